#include <boost/test/unit_test.hpp>

#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

namespace {
// Node 4 starts with no configuration: it only learns one from the leader.
void add_blank_node(Group& g, NodeId id) {
    g.nodes[id] = make(id, ConfState{});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(membership)

BOOST_AUTO_TEST_CASE(a_learner_replicates_without_voting_then_is_promoted) {
    Group g({1, 2, 3});
    g.elect(1);
    add_blank_node(g, 4);
    auto p = g[1].propose_conf_change(ConfChangeType::add_learner, 4, "addr4");
    BOOST_REQUIRE(p.ok());
    g.settle();
    g.tick_all(2);
    BOOST_TEST(g[4].conf().is_learner(4));
    BOOST_TEST(g[4].log().last_index() == g[1].log().last_index());
    // A learner never campaigns.
    for (int i = 0; i < 50; ++i) g[4].tick();
    BOOST_TEST((g[4].role() == Role::follower));
    auto q = g[1].propose_conf_change(ConfChangeType::promote_learner, 4);
    BOOST_REQUIRE(q.ok());
    g.settle();
    for (auto& [id, r] : g.nodes) BOOST_TEST(r->conf().voters.size() == 4u);
    // Now a quorum is 3 of 4: with two down nothing commits.
    g.down = {3, 4};
    g[1].propose("x");
    g.settle();
    BOOST_TEST(g[1].commit() < g[1].log().last_index());
}

// The member removed still gets the entry that removes it (it is replicated to until
// the change commits), so it stops being a voter instead of waiting out an election
// timeout in a configuration it is no longer part of; once the change commits the
// leader sends it nothing more.
BOOST_AUTO_TEST_CASE(a_removed_follower_hears_of_its_removal_then_is_forgotten) {
    Group g({1, 2, 3});
    g.elect(1);
    BOOST_REQUIRE(g[1].propose_conf_change(ConfChangeType::remove_voter, 3).ok());
    g.settle();
    g.tick_all(2);
    BOOST_TEST(!g[3].conf().is_voter(3));
    BOOST_TEST(g[3].log().last_index() == g[1].log().last_index());
    BOOST_TEST(g[1].progress(3) == nullptr);  // committed: forgotten
    BOOST_TEST((g[1].conf().voters == std::vector<NodeId>{1, 2}));
    // It never campaigns, so it never disturbs the two that remain.
    const Term term = g[1].term();
    for (int i = 0; i < 100; ++i) g[3].tick();
    g.settle();
    BOOST_TEST((g[3].role() == Role::follower));
    BOOST_TEST(g[1].term() == term);
    BOOST_TEST((g[1].role() == Role::leader));
}

BOOST_AUTO_TEST_CASE(one_change_at_a_time) {
    Group g({1, 2, 3});
    g.elect(1);
    add_blank_node(g, 4);
    add_blank_node(g, 5);
    g.down = {2, 3};  // keep the first change uncommitted
    BOOST_REQUIRE(g[1].propose_conf_change(ConfChangeType::add_learner, 4).ok());
    BOOST_TEST((g[1].propose_conf_change(ConfChangeType::add_learner, 5).error == Error::conf_change_pending));
    g.down = {};
    g.tick_all(2);
    BOOST_TEST(g[1].propose_conf_change(ConfChangeType::add_learner, 5).ok());
}

BOOST_AUTO_TEST_CASE(a_new_leader_changes_membership_only_after_its_noop_commits) {
    auto r = make(1, voters({1, 2, 3}));
    win_election(*r, {2});
    BOOST_TEST((r->propose_conf_change(ConfChangeType::add_learner, 4).error == Error::not_committed_in_term));
}

BOOST_AUTO_TEST_CASE(invalid_changes_are_refused) {
    Group g({1, 2, 3});
    g.elect(1);
    BOOST_TEST((g[1].propose_conf_change(ConfChangeType::add_voter, 2).error == Error::invalid_conf_change));
    BOOST_TEST((g[1].propose_conf_change(ConfChangeType::promote_learner, 2).error == Error::invalid_conf_change));
    BOOST_TEST((g[1].propose_conf_change(ConfChangeType::remove_voter, 9).error == Error::invalid_conf_change));
    BOOST_TEST((g[2].propose_conf_change(ConfChangeType::add_learner, 4).error == Error::not_leader));
}

BOOST_AUTO_TEST_CASE(a_lagging_learner_is_not_promoted) {
    Config c = config(1);
    c.promote_lag_entries_max = 10;
    Group g({1, 2, 3}, c);
    g.elect(1);
    add_blank_node(g, 4);
    BOOST_REQUIRE(g[1].propose_conf_change(ConfChangeType::add_learner, 4).ok());
    g.settle();
    g.down = {4};
    for (int i = 0; i < 50; ++i) g[1].propose("x");
    g.settle();
    BOOST_TEST((g[1].propose_conf_change(ConfChangeType::promote_learner, 4).error == Error::learner_not_caught_up));
    g.down = {};
    g.tick_all(3);
    BOOST_TEST(g[1].propose_conf_change(ConfChangeType::promote_learner, 4).ok());
}

// A learner that never answered (not running, a wrong address) is never promoted, even
// when the log is shorter than the lag allowed: a dead voter would shrink the margin.
BOOST_AUTO_TEST_CASE(a_learner_never_heard_from_is_not_promoted) {
    Group g({1, 2, 3});
    g.elect(1);
    g.down = {4};  // added, never started
    BOOST_REQUIRE(g[1].propose_conf_change(ConfChangeType::add_learner, 4).ok());
    g.settle();
    g.tick_all(2);
    BOOST_TEST(g[1].log().last_index() < 1000u);  // within promote_lag_entries_max of 0
    BOOST_TEST((g[1].propose_conf_change(ConfChangeType::promote_learner, 4).error == Error::learner_not_caught_up));
    add_blank_node(g, 4);
    g.down = {};
    g.tick_all(3);
    BOOST_TEST(g[1].propose_conf_change(ConfChangeType::promote_learner, 4).ok());
}

BOOST_AUTO_TEST_CASE(removing_the_leader_hands_over_after_the_change_commits) {
    Group g({1, 2, 3});
    g.elect(1);
    auto p = g[1].propose_conf_change(ConfChangeType::remove_voter, 1);
    BOOST_REQUIRE(p.ok());
    g.settle();
    BOOST_TEST((g[1].role() == Role::follower));
    BOOST_TEST(!g[1].conf().is_member(1));
    for (NodeId id : {2, 3}) BOOST_TEST(g[id].commit() >= p.index);
    g.down = {1};
    NodeId leader = 0;
    for (int i = 0; i < 60 && leader == 0; ++i) {
        g.tick_all();
        for (NodeId id : {2, 3})
            if (g[id].role() == Role::leader) leader = id;
    }
    BOOST_TEST(leader != 0u);
    BOOST_TEST(g[leader].propose("after").ok());
}

BOOST_AUTO_TEST_CASE(an_uncommitted_change_rolls_back_with_its_entry) {
    Group g({1, 2, 3});
    g.elect(1);
    g.down = {2, 3};
    BOOST_REQUIRE(g[1].propose_conf_change(ConfChangeType::remove_voter, 3).ok());
    g.settle();
    BOOST_TEST(!g[1].conf().is_voter(3));  // in force once in the log
    // 2 and 3 elect 2 with a later term; 1's uncommitted change is overwritten.
    g.down = {1};
    for (int i = 0; i < 60 && g[2].role() != Role::leader && g[3].role() != Role::leader; ++i) g.tick_all();
    g.down = {};
    g.tick_all(3);
    BOOST_TEST(g[1].conf().is_voter(3));
    BOOST_TEST(g[1].conf().voters.size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
