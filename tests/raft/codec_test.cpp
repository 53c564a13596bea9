#include "runtime/raft/codec.hpp"

#include <boost/test/unit_test.hpp>

#include "runtime/raft/capnp_io.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "schema/raft.capnp.h"

using namespace raftor::raft;

namespace {
// Why decoding the encoded message fails; empty if it decodes.
std::string rejection(const Message& m) {
    std::string err;
    return decode_message(encode_message(m), err) ? std::string() : err;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(codec)

BOOST_AUTO_TEST_CASE(message_round_trips_every_field) {
    ConfChange cc{ConfChangeType::add_learner, 4, "10.0.0.4:8081", ConfState{{1, 2, 3}, {4}}};
    Message m{
        .type = MessageType::install_snapshot,
        .from = 1,
        .to = 2,
        .term = 7,
        .log_term = 6,
        .index = 99,
        .entries = {Entry{7, 100, EntryType::normal, std::string("a\0b", 3)},
                    Entry{7, 101, EntryType::conf_change, encode_conf_change(cc)}, Entry{7, 102, EntryType::noop, ""}},
        .commit = 98,
        .reject = true,
        .reject_hint = 50,
        .conflict_term = 5,
        .transfer = true,
        .read_seq = 12,
        .snapshot = SnapshotMeta{90, 6, ConfState{{1, 2, 3}, {}}, 0xdeadbeef, 1234},
        .chunk_offset = 512,
        .chunk = "chunk",
        .chunk_last = true,
        .read_context = "ctx"};
    std::string err;
    auto back = decode_message(encode_message(m), err);
    BOOST_REQUIRE_MESSAGE(back.has_value(), err);
    BOOST_TEST((*back == m));
    auto cc2 = decode_conf_change(back->entries[1].payload);
    BOOST_REQUIRE(cc2.has_value());
    BOOST_TEST((*cc2 == cc));
}

// Aligned bytes are read in place, others through an aligned copy: both decode alike.
BOOST_AUTO_TEST_CASE(bytes_at_any_alignment_decode_alike) {
    Message m{.type = MessageType::append, .from = 1, .to = 2, .term = 3, .index = 4,
              .entries = {Entry{3, 5, EntryType::normal, "payload"}}, .commit = 4};
    const std::string bytes = encode_message(m);
    for (std::size_t shift = 0; shift < 8; ++shift) {
        std::string buf(shift, 'x');
        buf += bytes;
        std::string err;
        auto back = decode_message(std::string_view(buf).substr(shift), err);
        BOOST_REQUIRE_MESSAGE(back.has_value(), "shift " << shift << ": " << err);
        BOOST_TEST((*back == m), "shift " << shift);
    }
}

// To a peer of protocol 2 the sender and addressee are left out (its link names them):
// 16 bytes less per message. One without the other is refused.
BOOST_AUTO_TEST_CASE(ids_left_out_decode_as_none_and_one_alone_is_refused) {
    Message m{.type = MessageType::heartbeat,
              .from = 18335246103812396561ull,
              .to = 18335242805277511928ull,
              .term = 3,
              .commit = 12,
              .read_seq = 4};
    std::string err;
    const std::string implied = encode_message(m, true), full = encode_message(m);
    auto back = decode_message(implied, err);
    BOOST_REQUIRE_MESSAGE(back.has_value(), err);
    BOOST_TEST(back->from == no_node);
    BOOST_TEST(back->to == no_node);
    back->from = m.from;
    back->to = m.to;
    BOOST_TEST((*back == m));
    BOOST_TEST(implied.size() == full.size());  // flat, their words stay (zero): the packing drops them
    Message half = m;
    half.to = no_node;
    BOOST_TEST(rejection(half).find("a sender without an addressee") != std::string::npos, rejection(half));
}

BOOST_AUTO_TEST_CASE(malformed_input_is_an_error_that_names_the_problem) {
    std::string err;
    BOOST_TEST(!decode_message("", err).has_value());
    BOOST_TEST(err.find("whole number of words") != std::string::npos);
    err.clear();
    BOOST_TEST(!decode_message(std::string(16, '\xff'), err).has_value());
    BOOST_TEST(err.find("malformed") != std::string::npos);

    // Truncated and bit-flipped frames never decode into garbage that crashes.
    Message m{.type = MessageType::append,
              .from = 1,
              .to = 2,
              .term = 3,
              .index = 4,
              .entries = {Entry{3, 5, EntryType::normal, "payload"}}};
    const std::string good = encode_message(m);
    for (std::size_t cut = 8; cut < good.size(); cut += 8) {
        err.clear();
        auto r = decode_message(good.substr(0, cut), err);
        if (!r) BOOST_TEST(!err.empty());
    }
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x5a);
        err.clear();
        auto r = decode_message(bad, err);  // must not throw or crash
        if (!r) BOOST_TEST(!err.empty());
    }
}

BOOST_AUTO_TEST_CASE(invalid_content_is_rejected) {
    BOOST_TEST(rejection(Message{.type = MessageType::append, .from = 0, .to = 2}).find("sender") != std::string::npos);
    const Message gap{.type = MessageType::append,
                      .from = 1,
                      .to = 2,
                      .index = 4,
                      .entries = {Entry{3, 5, EntryType::normal, ""}, Entry{3, 7, EntryType::normal, ""}}};
    BOOST_TEST(rejection(gap).find("contiguous") != std::string::npos);
    const Message bad_cc{.type = MessageType::append,
                         .from = 1,
                         .to = 2,
                         .index = 4,
                         .entries = {Entry{3, 5, EntryType::conf_change, "not a conf change"}}};
    BOOST_TEST(rejection(bad_cc).find("conf-change") != std::string::npos);

    // A conf change whose result is not a valid configuration.
    ConfChange dup{ConfChangeType::add_voter, 2, "", ConfState{{1, 1}, {}}};
    BOOST_TEST(!decode_conf_change(encode_conf_change(dup)).has_value());
    ConfChange overlap{ConfChangeType::add_voter, 2, "", ConfState{{1, 2}, {2}}};
    BOOST_TEST(!decode_conf_change(encode_conf_change(overlap)).has_value());
}

BOOST_AUTO_TEST_CASE(snapshot_metadata_on_another_message_is_ignored) {
    // Found by fuzzing: it decoded with the metadata and encoded without it.
    capnp::MallocMessageBuilder mb;
    auto b = mb.initRoot<raftor::schema::Message>();
    b.setType(static_cast<raftor::schema::MessageType>(MessageType::heartbeat));
    b.setFrom(1);
    b.setTo(2);
    b.setTerm(3);
    b.initSnapshot().setIndex(9);
    std::string error;
    auto m = decode_message(raftor::raft::detail::to_bytes(mb), error);
    BOOST_REQUIRE_MESSAGE(m, error);
    BOOST_TEST(m->snapshot.index == 0u);
    auto again = decode_message(encode_message(*m), error);
    BOOST_REQUIRE(again);
    BOOST_TEST((*again == *m));
}

BOOST_AUTO_TEST_CASE(disk_records_round_trip) {
    std::string err;
    HardState hs{5, 2, 40};
    BOOST_TEST((*decode_hard_state(encode_hard_state(hs), err) == hs));
    SnapshotMeta sm{100, 4, ConfState{{1, 2}, {3}}, 77, 4096};
    BOOST_TEST((*decode_snapshot_meta(encode_snapshot_meta(sm), err) == sm));
    Entry e{3, 9, EntryType::noop, ""};
    BOOST_TEST((*decode_entry(encode_entry(e), err) == e));
    BOOST_TEST(!decode_entry(encode_entry(Entry{0, 9, EntryType::normal, ""}), err).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
