#include <boost/test/unit_test.hpp>

#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

BOOST_AUTO_TEST_SUITE(transfer)

BOOST_AUTO_TEST_CASE(leadership_moves_to_an_up_to_date_follower) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[1].term();
    BOOST_TEST((g[1].transfer_leadership(2) == Error::none));
    g.settle();
    BOOST_TEST((g[2].role() == Role::leader));
    BOOST_TEST(g[2].term() == t + 1);
    BOOST_TEST((g[1].role() == Role::follower));
    BOOST_TEST(g[1].leader() == 2u);
}

BOOST_AUTO_TEST_CASE(proposals_are_refused_while_a_transfer_is_under_way) {
    Group g({1, 2, 3});
    g.elect(1);
    g.down = {2};
    for (int i = 0; i < 5; ++i) g[1].tick();  // start mid-way through a check-quorum period
    BOOST_TEST((g[1].transfer_leadership(2) == Error::none));
    BOOST_TEST((g[1].propose("x").error == Error::transfer_in_progress));
    BOOST_TEST((g[1].propose_conf_change(ConfChangeType::add_learner, 4).error == Error::transfer_in_progress));
    // The target never answers: the transfer is abandoned after a full election
    // timeout from its start, not at the next check-quorum boundary.
    for (int i = 0; i < 9; ++i) g[1].tick();
    BOOST_TEST(g[1].transfer_target() == 2u);
    g[1].tick();
    BOOST_TEST(g[1].transfer_target() == 0u);
    BOOST_TEST(g[1].propose("x").ok());
}

BOOST_AUTO_TEST_CASE(transfer_to_a_non_voter_or_self_is_refused) {
    Group g({1, 2, 3});
    g.elect(1);
    BOOST_TEST((g[1].transfer_leadership(1) == Error::invalid_conf_change));
    BOOST_TEST((g[1].transfer_leadership(7) == Error::invalid_conf_change));
    BOOST_TEST((g[2].transfer_leadership(3) == Error::not_leader));
}

BOOST_AUTO_TEST_CASE(a_lost_timeout_now_is_repeated_until_the_target_campaigns) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[1].term();
    BOOST_TEST((g[1].transfer_leadership(2) == Error::none));
    // The target is caught up, so TimeoutNow goes out at once: lose it.
    g.collect(1);
    const auto before = g.in_flight.size();
    std::erase_if(g.in_flight, [](const Message& m) { return m.type == MessageType::timeout_now; });
    BOOST_REQUIRE(g.in_flight.size() == before - 1);
    g.settle();
    BOOST_TEST((g[1].role() == Role::leader));
    // The next heartbeat round brings the target's answer, and TimeoutNow again.
    g.tick_all(1);
    BOOST_TEST((g[2].role() == Role::leader));
    BOOST_TEST(g[2].term() == t + 1);
}

BOOST_AUTO_TEST_CASE(a_target_that_has_not_heard_the_leader_yet_still_campaigns_on_timeout_now) {
    Group g({1, 2, 3});
    g.elect(1);
    // Node 2 restarted: same term, durable log, but no leader known yet.
    Restore r;
    r.hard_state = g[2].hard_state();
    r.initial_conf = voters({1, 2, 3});
    r.entries = g[2].log().slice(1, g[2].log().last_index());
    g.nodes[2] = std::make_unique<Raft>(config(2), std::move(r));
    BOOST_REQUIRE(g[2].leader() == 0u);
    BOOST_TEST((g[1].transfer_leadership(2) == Error::none));
    g.settle();
    BOOST_TEST((g[2].role() == Role::leader));
}

BOOST_AUTO_TEST_SUITE_END()
