#include <boost/test/unit_test.hpp>

#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

BOOST_AUTO_TEST_SUITE(read_index)

BOOST_AUTO_TEST_CASE(the_leader_confirms_leadership_before_answering) {
    Group g({1, 2, 3});
    g.elect(1);
    g[1].propose("x");
    g.settle();
    BOOST_TEST((g[1].read_index("r1") == Error::none));
    Ready rd = g[1].ready();
    BOOST_TEST(rd.read_states.empty());  // not before a heartbeat round
    BOOST_TEST(of_type(rd.messages, MessageType::heartbeat).size() == 2u);
    for (auto& m : rd.messages) g[m.to].step(m);
    auto resp = drain(g[2]);
    for (auto& m : resp) g[1].step(m);
    std::vector<ReadState> rs;
    drain(g[1], nullptr, &rs);  // leader + one follower = quorum of 3
    BOOST_REQUIRE(rs.size() == 1u);
    BOOST_TEST(rs[0].context == "r1");
    BOOST_TEST(rs[0].index == 2u);
}

BOOST_AUTO_TEST_CASE(reads_share_one_heartbeat_round_in_flight) {
    Group g({1, 2, 3});
    g.elect(1);
    g[1].propose("x");
    g.settle();
    g[1].read_index("first");
    auto round1 = of_type(drain(g[1]), MessageType::heartbeat);
    BOOST_TEST(round1.size() == 2u);
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
    BOOST_TEST(round2.size() == 2u);  // one round for all hundred
    for (auto& m : round2) g[m.to].step(m);
    for (auto& m : drain(g[2])) g[1].step(m);
    rs.clear();
    drain(g[1], nullptr, &rs);
    BOOST_TEST(rs.size() == 100u);
}

BOOST_AUTO_TEST_CASE(a_follower_read_goes_through_the_leader) {
    Group g({1, 2, 3});
    g.elect(1);
    g[1].propose("x");
    g.settle();
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
    BOOST_TEST(of_type(ms, MessageType::heartbeat).size() == 2u);
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
