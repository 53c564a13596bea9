#include <boost/test/unit_test.hpp>

#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

BOOST_AUTO_TEST_SUITE(election)

BOOST_AUTO_TEST_CASE(single_node_becomes_leader_only_once_its_vote_is_durable) {
    auto r = make(1, voters({1}));
    for (int i = 0; i < 20 && r->role() != Role::candidate; ++i) r->tick();
    BOOST_TEST(r->term() == 1u);
    BOOST_TEST((r->role() == Role::candidate));
    Ready rd = r->ready();
    BOOST_REQUIRE(rd.hard_state.has_value());
    BOOST_TEST(rd.hard_state->vote == 1u);
    BOOST_TEST((r->role() == Role::candidate));  // not yet: the self-vote is not durable
    r->on_persisted(rd.persist_id);
    BOOST_TEST((r->role() == Role::leader));
    std::vector<Entry> committed;
    drain(*r, &committed);
    BOOST_REQUIRE(committed.size() == 1u);
    BOOST_TEST((committed[0].type == EntryType::noop));
}

BOOST_AUTO_TEST_CASE(election_timeout_is_randomized_within_bounds) {
    std::set<int> seen;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        Config c = config(2);
        c.seed = seed;
        auto r = make(2, voters({1, 2, 3}), c);
        int ticks = 0;
        while (r->role() == Role::follower) {
            r->tick();
            ++ticks;
        }
        BOOST_TEST(ticks >= 10);
        BOOST_TEST(ticks < 20);
        seen.insert(ticks);
    }
    BOOST_TEST(seen.size() > 3u);
}

BOOST_AUTO_TEST_CASE(pre_vote_does_not_change_the_term) {
    auto r = make(1, voters({1, 2, 3}));
    for (int i = 0; i < 20 && r->role() == Role::follower; ++i) r->tick();
    BOOST_TEST((r->role() == Role::pre_candidate));
    BOOST_TEST(r->term() == 0u);
    auto ms = of_type(drain(*r), MessageType::pre_vote);
    BOOST_REQUIRE(ms.size() == 2u);
    BOOST_TEST(ms[0].term == 1u);
    // One grant (plus our own) is a quorum of three: now a real candidate.
    r->step(Message{.type = MessageType::pre_vote_resp, .from = 2, .to = 1, .term = 1});
    BOOST_TEST((r->role() == Role::candidate));
    BOOST_TEST(r->term() == 1u);
    BOOST_TEST(of_type(drain(*r), MessageType::vote).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_vote_is_given_once_per_term_and_sent_only_after_persisting) {
    auto r = make(1, voters({1, 2, 3}));
    r->step(Message{.type = MessageType::vote, .from = 2, .to = 1, .term = 5, .log_term = 0, .index = 0});
    Ready rd = r->ready();
    BOOST_TEST(rd.messages.empty());  // the grant waits for the vote to be on disk
    BOOST_REQUIRE(rd.hard_state.has_value());
    BOOST_TEST(rd.hard_state->vote == 2u);
    BOOST_TEST(rd.hard_state->term == 5u);
    r->on_persisted(rd.persist_id);
    auto ms = drain(*r);
    BOOST_REQUIRE(ms.size() == 1u);
    BOOST_TEST((ms[0].type == MessageType::vote_resp));
    BOOST_TEST(!ms[0].reject);
    // Another candidate in the same term is refused.
    r->step(Message{.type = MessageType::vote, .from = 3, .to = 1, .term = 5, .log_term = 0, .index = 0});
    ms = drain(*r);
    BOOST_REQUIRE(ms.size() == 1u);
    BOOST_TEST(ms[0].reject);
    BOOST_TEST(r->vote() == 2u);
}

BOOST_AUTO_TEST_CASE(votes_go_only_to_logs_at_least_as_up_to_date) {
    Group g({1, 2, 3});
    g.elect(1);
    g[1].propose("x");
    g.settle();
    // Node 3 has (term 1, index 2); a candidate with an empty log must lose its vote.
    g[3].step(
        Message{.type = MessageType::vote, .from = 2, .to = 3, .term = 9, .log_term = 0, .index = 0, .transfer = true});
    auto ms = drain(g[3]);
    BOOST_REQUIRE(ms.size() == 1u);
    BOOST_TEST(ms[0].reject);
    BOOST_TEST(g[3].term() == 9u);  // but it did learn the newer term
}

BOOST_AUTO_TEST_CASE(three_nodes_elect_one_leader_and_commit_its_noop) {
    Group g({1, 2, 3});
    NodeId leader = 0;
    for (int i = 0; i < 40 && leader == 0; ++i) {
        g.tick_all();
        for (auto& [id, r] : g.nodes)
            if (r->role() == Role::leader) leader = id;
    }
    BOOST_REQUIRE(leader != 0u);
    int leaders = 0;
    for (auto& [id, r] : g.nodes) leaders += r->role() == Role::leader;
    BOOST_TEST(leaders == 1);
    g.tick_all();  // the followers learn the no-op's commit at the leader's next tick
    for (auto& [id, r] : g.nodes) {
        BOOST_TEST(r->commit() == 1u);
        BOOST_TEST(r->leader() == leader);
    }
}

BOOST_AUTO_TEST_CASE(check_quorum_makes_an_isolated_leader_step_down) {
    Group g({1, 2, 3});
    g.elect(1);
    g.down = {2, 3};
    // The first check-quorum period after an election is a grace period.
    for (int i = 0; i < 21; ++i) g.tick_all();
    BOOST_TEST((g[1].role() != Role::leader));
}

BOOST_AUTO_TEST_CASE(a_follower_in_a_leader_lease_ignores_vote_requests) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[2].term();
    g[2].step(Message{.type = MessageType::vote, .from = 3, .to = 2, .term = t + 1, .log_term = 1, .index = 1});
    BOOST_TEST(g[2].term() == t);
    BOOST_TEST(drain(g[2]).empty());
    BOOST_TEST((g[1].role() == Role::leader));
}

BOOST_AUTO_TEST_SUITE_END()
