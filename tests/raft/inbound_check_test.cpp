#include "runtime/raft/inbound_check.hpp"

#include <boost/test/unit_test.hpp>

#include "runtime/raft/conf_change_codec.hpp"
#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

BOOST_AUTO_TEST_SUITE(inbound_check)

namespace {
Message heartbeat(NodeId from, NodeId to, Term t) {
    return Message{.type = MessageType::heartbeat, .from = from, .to = to, .term = t};
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_sound_message_passes) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[2].term();
    BOOST_TEST((check_inbound(g[2], 1, heartbeat(1, 2, t)) == Refusal::none));
    Message a{.type = MessageType::append, .from = 1, .to = 2, .term = t, .log_term = t, .index = 1};
    a.entries = {Entry{.term = t, .index = 2}, Entry{.term = t, .index = 3}};
    BOOST_TEST((check_inbound(g[2], 1, a) == Refusal::none));
}

BOOST_AUTO_TEST_CASE(the_sender_is_the_connection_s_peer_and_a_member) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[2].term();
    BOOST_TEST((check_inbound(g[2], 3, heartbeat(1, 2, t)) == Refusal::sender_mismatch));
    BOOST_TEST((check_inbound(g[2], 2, heartbeat(2, 2, t)) == Refusal::sender_mismatch));
    BOOST_TEST((check_inbound(g[2], 9, heartbeat(9, 2, t)) == Refusal::not_a_member));
    BOOST_TEST((check_inbound(g[2], 1, heartbeat(1, 3, t)) == Refusal::misaddressed));
    // A node outside the configuration (a joiner) takes its leader's word for it.
    auto joiner = make(4, ConfState{});
    BOOST_TEST((check_inbound(*joiner, 1, heartbeat(1, 4, t)) == Refusal::none));
}

// A change that removes node 1 is appended here but not committed: node 1 may still be
// the leader that overwrites it, and is heard. A node no configuration holds is not.
BOOST_AUTO_TEST_CASE(a_member_only_an_uncommitted_change_removed_is_heard) {
    Restore r;
    r.hard_state = HardState{2, 0, 1};
    r.initial_conf = voters({1, 2, 3});
    const ConfChange cc{.type = ConfChangeType::remove_voter, .node = 1, .result = voters({2, 3})};
    r.entries = {Entry{1, 1, EntryType::normal, "a"}, Entry{2, 2, EntryType::conf_change, encode_conf_change(cc)}};
    Raft n3(config(3), r);
    BOOST_REQUIRE(!n3.conf().is_member(1));
    BOOST_TEST(n3.committed_member(1));
    BOOST_TEST((check_inbound(n3, 1, heartbeat(1, 3, 3)) == Refusal::none));
    BOOST_TEST((check_inbound(n3, 9, heartbeat(9, 3, 3)) == Refusal::not_a_member));
}

BOOST_AUTO_TEST_CASE(a_second_leader_in_our_term_never_reaches_the_core) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[1].term();
    BOOST_TEST((check_inbound(g[1], 2, heartbeat(2, 1, t)) == Refusal::leader_conflict));
    BOOST_TEST((check_inbound(g[1], 2, Message{.type = MessageType::timeout_now, .from = 2, .to = 1, .term = t}) ==
                Refusal::leader_conflict));
    // A later term is a real new leader: the core steps down.
    BOOST_TEST((check_inbound(g[1], 2, heartbeat(2, 1, t + 1)) == Refusal::none));
}

BOOST_AUTO_TEST_CASE(terms_beyond_any_cluster_s_or_contradicting_are_refused) {
    Group g({1, 2, 3});
    g.elect(1);
    BOOST_TEST((check_inbound(g[2], 3, Message{.type = MessageType::vote, .from = 3, .to = 2, .term = ~Term{0}}) ==
                Refusal::term_out_of_range));
    BOOST_TEST(
        (check_inbound(g[2], 3, Message{.type = MessageType::vote, .from = 3, .to = 2, .term = 5, .log_term = 6}) ==
         Refusal::term_out_of_range));
    Message a{.type = MessageType::append, .from = 1, .to = 2, .term = 5, .log_term = 1, .index = 1};
    a.entries = {Entry{.term = 6, .index = 2}};
    BOOST_TEST((check_inbound(g[2], 1, a) == Refusal::term_out_of_range));
}

BOOST_AUTO_TEST_CASE(entries_must_follow_the_index_in_order) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[2].term();
    Message a{.type = MessageType::append, .from = 1, .to = 2, .term = t, .log_term = t, .index = 1};
    a.entries = {Entry{.term = t, .index = 3}};
    BOOST_TEST((check_inbound(g[2], 1, a) == Refusal::bad_entries));
    a.entries = {Entry{.term = t, .index = 2}, Entry{.term = t, .index = 2}};
    BOOST_TEST((check_inbound(g[2], 1, a) == Refusal::bad_entries));
    a.log_term = 1;
    a.term = t + 2;
    a.entries = {Entry{.term = t + 2, .index = 2}, Entry{.term = t + 1, .index = 3}};
    BOOST_TEST((check_inbound(g[2], 1, a) == Refusal::bad_entries));  // terms never decrease
    a.index = ~Index{0};
    a.entries = {Entry{.term = t, .index = 0}};
    BOOST_TEST((check_inbound(g[2], 1, a) == Refusal::bad_entries));  // index wraps
    Message hb = heartbeat(1, 2, t);
    hb.entries = {Entry{.term = t, .index = 2}};
    BOOST_TEST((check_inbound(g[2], 1, hb) == Refusal::bad_entries));
}

BOOST_AUTO_TEST_CASE(snapshot_chunks_stay_inside_their_snapshot) {
    Group g({1, 2, 3});
    g.elect(1);
    const Term t = g[2].term();
    Message s{.type = MessageType::install_snapshot, .from = 1, .to = 2, .term = t};
    s.snapshot = SnapshotMeta{.index = 10, .term = t, .conf = voters({1, 2, 3}), .size = 10};
    s.chunk = "0123456789";
    BOOST_TEST((check_inbound(g[2], 1, s) == Refusal::none));
    s.chunk_offset = 1;
    BOOST_TEST((check_inbound(g[2], 1, s) == Refusal::bad_snapshot));
    s.chunk_offset = ~std::uint64_t{0};
    BOOST_TEST((check_inbound(g[2], 1, s) == Refusal::bad_snapshot));
    s.chunk_offset = 0;
    s.snapshot.conf = ConfState{};
    BOOST_TEST((check_inbound(g[2], 1, s) == Refusal::bad_snapshot));
    s.snapshot.conf = voters({1, 2, 3});
    s.snapshot.size = std::uint64_t{1} << 50;
    BOOST_TEST((check_inbound(g[2], 1, s, InboundLimits{.snapshot_bytes_max = 1 << 20}) == Refusal::bad_snapshot));
}

BOOST_AUTO_TEST_SUITE_END()
