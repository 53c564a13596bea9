#include <boost/test/unit_test.hpp>

#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

namespace {
// Node 1 leads, with one entry committed and applied everywhere.
void lead_with_one_entry(Group& g) {
    g.elect(1);
    g[1].propose("x");
    g.settle();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(read_index)

BOOST_AUTO_TEST_CASE(the_leader_confirms_leadership_before_answering) {
    Group g({1, 2, 3});
    lead_with_one_entry(g);
    BOOST_TEST((g[1].read_index("r1") == Error::none));
    Ready rd = g[1].ready();
    BOOST_TEST(rd.read_states.empty());  // not before a heartbeat round
    // To a quorum: the leader and one follower of two.
    const auto round = of_type(rd.messages, MessageType::heartbeat);
    BOOST_REQUIRE(round.size() == 1u);
    g[round[0].to].step(round[0]);
    for (auto& m : drain(g[round[0].to])) g[1].step(m);
    std::vector<ReadState> rs;
    drain(g[1], nullptr, &rs);  // leader + one follower = quorum of 3
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].context == "r1");
    BOOST_TEST(rs[0].index == 2u);
}

BOOST_AUTO_TEST_CASE(reads_share_one_heartbeat_round_in_flight) {
    Group g({1, 2, 3});
    lead_with_one_entry(g);
    g[1].read_index("first");
    auto round1 = of_type(drain(g[1]), MessageType::heartbeat);
    BOOST_TEST(round1.size() == 1u);
    // A hundred more while that round is out: no more heartbeats until it is confirmed.
    for (int i = 0; i < 100; ++i) g[1].read_index("r" + std::to_string(i));
    BOOST_TEST(of_type(drain(g[1]), MessageType::heartbeat).empty());
    for (auto& m : round1) g[m.to].step(m);
    for (NodeId f : {2, 3})
        for (auto& m : drain(g[f])) g[1].step(m);
    std::vector<ReadState> rs;
    auto round2 = of_type(drain(g[1], nullptr, &rs), MessageType::heartbeat);
    BOOST_REQUIRE(rs.size() == 1u);  // only the read that came before the round went out
    BOOST_TEST(rs[0].context == "first");
    BOOST_REQUIRE(round2.size() == 1u);  // one round for all hundred
    for (auto& m : round2) g[m.to].step(m);
    for (auto& m : drain(g[round2[0].to])) g[1].step(m);
    rs.clear();
    drain(g[1], nullptr, &rs);
    BOOST_TEST(rs.size() == 100u);
}

// Under writes a round costs the followers no message of their own: it rides on the
// appends that leave with it, and each follower answers it at once, before its fsync.
BOOST_AUTO_TEST_CASE(a_read_round_rides_on_the_appends_that_leave_with_it) {
    Group g({1, 2, 3});
    lead_with_one_entry(g);
    g[1].propose("y");
    g[1].read_index("r");
    Ready rd = g[1].ready();
    BOOST_TEST(of_type(rd.messages, MessageType::heartbeat).empty());
    const auto appends = of_type(rd.messages, MessageType::append);
    BOOST_REQUIRE(appends.size() == 2u);
    // One of them carries the round: with the leader, a quorum.
    BOOST_REQUIRE(appends[0].read_seq + appends[1].read_seq == 1u);
    const Message& carrier = appends[0].read_seq == 1 ? appends[0] : appends[1];
    const NodeId f2 = carrier.to;
    g[1].on_persisted(rd.persist_id);
    // That follower answers the round now; its acknowledgement of "y" waits for its fsync.
    g[f2].step(carrier);
    Ready f = g[f2].ready();
    BOOST_REQUIRE(f.messages.size() == 1u);
    BOOST_TEST((f.messages[0].type == MessageType::heartbeat_resp));
    BOOST_TEST(f.messages[0].read_seq == 1u);
    g[1].step(f.messages[0]);
    std::vector<ReadState> rs;
    drain(g[1], nullptr, &rs);
    BOOST_REQUIRE(rs.size() == 1u);  // confirmed with the follower not yet durable
    BOOST_TEST(rs[0].context == "r");
    g[f2].on_persisted(f.persist_id);
    const auto later = drain(g[f2]);
    BOOST_TEST(of_type(later, MessageType::append_resp).size() == 1u);
    BOOST_TEST(of_type(later, MessageType::heartbeat_resp).empty());  // once per round
}

// One fsync covering several appends releases one acknowledgement: they are cumulative.
BOOST_AUTO_TEST_CASE(acknowledgements_released_by_one_fsync_go_as_one) {
    Group g({1, 2, 3});
    g.elect(1);
    g.settle();
    std::vector<Message> to2;
    for (const char* v : {"a", "b", "c"}) {
        g[1].propose(v);
        for (auto& m : drain(g[1]))
            if (m.to == 2 && m.type == MessageType::append) to2.push_back(m);
    }
    BOOST_REQUIRE(to2.size() == 3u);
    for (auto& m : to2) g[2].step(m);
    const auto acks = of_type(drain(g[2]), MessageType::append_resp);
    BOOST_REQUIRE(acks.size() == 1u);
    BOOST_TEST(acks[0].index == to2.back().index + 1);
    g[1].step(acks[0]);
    g.settle();
    BOOST_TEST(g[1].commit() == to2.back().index + 1);
}

BOOST_AUTO_TEST_CASE(a_follower_read_goes_through_the_leader) {
    Group g({1, 2, 3});
    lead_with_one_entry(g);
    BOOST_TEST((g[3].read_index("f") == Error::none));
    g.settle();
    BOOST_REQUIRE(g.reads[3].size() == 1u);
    BOOST_TEST(g.reads[3][0].context == "f");
    BOOST_TEST(g.reads[3][0].index == 2u);
    BOOST_TEST(g.reads[1].empty());
}

BOOST_AUTO_TEST_CASE(an_isolated_leader_cannot_serve_reads) {
    Group g({1, 2, 3});
    g.elect(1);
    g.down = {2, 3};
    g[1].read_index("lost");
    g.settle();
    BOOST_TEST(g.reads[1].empty());
}

BOOST_AUTO_TEST_CASE(a_new_leader_waits_for_its_noop_before_reading) {
    auto r = make(1, voters({1, 2, 3}));
    win_election(*r, {2});
    r->read_index("early");
    auto ms = drain(*r);
    BOOST_TEST(of_type(ms, MessageType::heartbeat).empty());  // waiting for the no-op to commit
    r->step(Message{.type = MessageType::append_resp, .from = 2, .to = 1, .term = 1, .index = 1});
    ms = drain(*r);
    BOOST_TEST(r->commit() == 1u);
    BOOST_TEST(of_type(ms, MessageType::heartbeat).size() == 1u);  // a quorum's round
}

// A round goes to the followers that confirmed the latest rounds; one that went quiet
// holds it up for a tick at most, then it goes to every voter not yet heard.
BOOST_AUTO_TEST_CASE(a_round_the_chosen_follower_leaves_unanswered_widens_at_the_next_tick) {
    Group g({1, 2, 3}, config(1, 10, 5));  // a tick that is not a heartbeat's
    lead_with_one_entry(g);
    g[1].read_index("first");
    const auto first = of_type(drain(g[1]), MessageType::heartbeat);
    BOOST_REQUIRE(first.size() == 1u);
    const NodeId chosen = first[0].to, other = chosen == 2 ? 3 : 2;
    g[chosen].step(first[0]);
    for (auto& m : drain(g[chosen])) g[1].step(m);
    std::vector<ReadState> rs;
    drain(g[1], nullptr, &rs);
    BOOST_REQUIRE(rs.size() == 1u);
    // The follower that answered is asked again; this time it says nothing.
    g[1].read_index("second");
    const auto second = of_type(drain(g[1]), MessageType::heartbeat);
    BOOST_REQUIRE(second.size() == 1u);
    BOOST_TEST(second[0].to == chosen);
    g[1].tick();
    const auto widened = of_type(drain(g[1]), MessageType::heartbeat);
    // Both (the chosen one may yet answer), with the round's number.
    for (NodeId f : {chosen, other})
        BOOST_TEST(std::count_if(widened.begin(), widened.end(),
                                 [&](const Message& m) { return m.to == f && m.read_seq == second[0].read_seq; }) >= 1);
    for (auto& m : widened)
        if (m.to == other) g[other].step(m);
    for (auto& m : drain(g[other])) g[1].step(m);
    rs.clear();
    drain(g[1], nullptr, &rs);
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].context == "second");
    // The next round goes to the follower that answered.
    g[1].read_index("third");
    const auto third = of_type(drain(g[1]), MessageType::heartbeat);
    BOOST_REQUIRE(third.size() == 1u);
    BOOST_TEST(third[0].to == other);
}

BOOST_AUTO_TEST_CASE(lease_reads_answer_at_once) {
    Config c = config(1);
    c.lease_read = true;
    Group g({1, 2, 3}, c);
    g.elect(1);
    g[1].read_index("lease");
    std::vector<ReadState> rs;
    drain(g[1], nullptr, &rs);
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].index == 1u);
}

BOOST_AUTO_TEST_CASE(reads_fail_fast_without_a_known_leader) {
    auto r = make(2, voters({1, 2, 3}));
    BOOST_TEST((r->read_index("x") == Error::no_leader));
}

BOOST_AUTO_TEST_SUITE_END()
