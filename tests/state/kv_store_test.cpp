#define BOOST_TEST_MODULE state
#include "runtime/state/kv_store.hpp"

#include <boost/test/unit_test.hpp>

#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/state_snapshot.hpp"

using namespace raftor::state;

namespace {
KvCommand put(std::string k, std::string v, std::optional<std::uint64_t> prev = std::nullopt, RequestId r = {}) {
    return KvCommand{KvCommand::Op::put, r, std::move(k), std::move(v), prev};
}
KvCommand del(std::string k, std::optional<std::uint64_t> prev = std::nullopt) {
    return KvCommand{KvCommand::Op::del, {}, std::move(k), {}, prev};
}
}  // namespace

BOOST_AUTO_TEST_CASE(puts_and_deletes_bump_one_global_revision) {
    KvStore s;
    BOOST_TEST(s.apply(1, put("a", "1")).revision == 1u);
    BOOST_TEST(s.apply(2, put("b", "2")).revision == 2u);
    BOOST_TEST(s.apply(3, put("a", "3")).revision == 3u);
    const auto a = s.get("a");
    BOOST_REQUIRE(a.has_value());
    BOOST_TEST(a->value == "3");
    BOOST_TEST(a->revision == 3u);
    BOOST_TEST(a->create_revision == 1u);
    auto d = s.apply(4, del("a"));
    BOOST_TEST(d.ok);
    BOOST_TEST(d.revision == 4u);
    BOOST_TEST(!s.get("a").has_value());
    auto nothing = s.apply(5, del("zzz"));
    BOOST_TEST(nothing.ok);
    BOOST_TEST(s.revision() == 4u);  // deleting a missing key changes nothing
    BOOST_TEST(s.applied_index() == 5u);
}

BOOST_AUTO_TEST_CASE(compare_and_set) {
    KvStore s;
    BOOST_TEST(s.apply(1, put("k", "v1", 0)).ok);  // 0: must not exist
    auto again = s.apply(2, put("k", "v2", 0));
    BOOST_TEST(!again.ok);
    BOOST_TEST(again.revision == 1u);  // tells the caller the current revision
    BOOST_TEST(s.get("k")->value == "v1");
    BOOST_TEST(s.apply(3, put("k", "v3", 1)).ok);
    BOOST_TEST(!s.apply(4, del("k", 1)).ok);
    BOOST_TEST(s.apply(5, del("k", 2)).ok);
    BOOST_TEST(!s.get("k").has_value());
}

BOOST_AUTO_TEST_CASE(a_retried_request_applies_once) {
    KvStore s;
    auto first = s.apply(1, put("x", "1", std::nullopt, {7, 1}));
    auto retry = s.apply(2, put("x", "1", std::nullopt, {7, 1}));
    BOOST_TEST(retry.duplicate);
    BOOST_TEST(retry.revision == first.revision);
    BOOST_TEST(s.revision() == 1u);
    auto next = s.apply(3, put("x", "2", std::nullopt, {7, 2}));
    BOOST_TEST(!next.duplicate);
    BOOST_TEST(next.revision == 2u);
    BOOST_TEST(s.apply(4, put("x", "3", std::nullopt, {8, 1})).revision == 3u);  // another client
}

BOOST_AUTO_TEST_CASE(snapshots_restore_the_same_state) {
    KvStore a, b;
    for (std::uint64_t i = 1; i <= 100; ++i)
        a.apply(i, put("k" + std::to_string(i % 17), std::string(i, 'v'), std::nullopt, {i % 3 + 1, i}));
    BOOST_REQUIRE(!b.restore(a.snapshot()).has_value());
    BOOST_TEST(b.snapshot() == a.snapshot());
    BOOST_TEST(b.applied_index() == 100u);
    BOOST_TEST(b.get("k5")->value == a.get("k5")->value);
    // Sessions survive too: a retry after the snapshot is still recognized.
    BOOST_TEST(b.apply(101, put("k1", "x", std::nullopt, {100 % 3 + 1, 100})).duplicate);
}

BOOST_AUTO_TEST_CASE(a_snapshot_larger_than_the_traversal_floor_restores) {
    // 96 values of 1 MiB: the snapshot is past the floor of the traversal limit (64 MiB),
    // as a state of gigabytes is past any fixed limit. It restores because the limit
    // follows the message's size; with the floor alone it is refused.
    KvStore a, b;
    const std::string value(kv_value_bytes_max, 'v');
    for (std::uint64_t i = 1; i <= 96; ++i) a.apply(i, put("k" + std::to_string(i), value));
    const std::string bytes = a.snapshot();
    const std::uint64_t words = bytes.size() / sizeof(capnp::word);
    BOOST_REQUIRE(words > raftor::raft::decode_traversal_words_floor);
    BOOST_TEST(raftor::raft::decode_traversal_words(words) >= words);
    auto error = b.restore(bytes);
    BOOST_REQUIRE_MESSAGE(!error, *error);
    BOOST_TEST(b.applied_index() == 96u);
    BOOST_TEST(b.get("k96")->value.size() == kv_value_bytes_max);

    kj::Array<capnp::word> copy;
    auto aligned = raftor::raft::detail::aligned_words(bytes, copy);
    capnp::ReaderOptions floor_only;
    floor_only.traversalLimitInWords = raftor::raft::decode_traversal_words_floor;
    capnp::FlatArrayMessageReader reader(aligned, floor_only);
    BOOST_CHECK_THROW(
        {
            KvStore c;
            StateDb::AutoBatch batch(c.db());
            if (auto e = KvCodec::load(c, reader.getRoot<raftor::schema::StateSnapshot>()))
                throw std::runtime_error(*e);
        },
        kj::Exception);
}

BOOST_AUTO_TEST_CASE(bad_snapshot_bytes_leave_the_state_untouched) {
    KvStore s;
    s.apply(1, put("a", "1"));
    const std::string before = s.snapshot();
    auto e = s.restore(std::string(24, '\x7f'));
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->find("state snapshot") == 0u);
    BOOST_TEST(s.snapshot() == before);
    std::string cut = before.substr(0, before.size() - 8);
    BOOST_TEST(s.restore(cut).has_value());
    BOOST_TEST(s.snapshot() == before);
}

BOOST_AUTO_TEST_CASE(commands_round_trip_and_bad_ones_are_named) {
    std::string err;
    KvCommand c = put("key", std::string("\0\xff", 2), 5, {9, 10});
    auto back = decode_command(encode_command(c), err);
    BOOST_REQUIRE_MESSAGE(back.has_value(), err);
    BOOST_TEST(back->key == "key");
    BOOST_TEST(back->value == c.value);
    BOOST_TEST(*back->prev_revision == 5u);
    BOOST_TEST(back->request.client == 9u);
    auto d = decode_command(encode_command(del("gone")), err);
    BOOST_REQUIRE(d.has_value());
    BOOST_TEST((d->op == KvCommand::Op::del));
    BOOST_TEST(!d->prev_revision.has_value());

    BOOST_TEST(!decode_command("garbage!", err).has_value());
    BOOST_TEST(!err.empty());
    BOOST_TEST(!decode_command(encode_command(put("", "v")), err).has_value());
    BOOST_TEST(err.find("key is empty") != std::string::npos);
    BOOST_TEST(check_command(put(std::string(2000, 'k'), "v"))->find("more than 1024") != std::string::npos);
    BOOST_TEST(check_command(put(std::string("a\0b", 3), "v")).value() == "key contains a NUL byte");
}

BOOST_AUTO_TEST_CASE(sessions_are_bounded_the_one_unused_longest_goes_first) {
    KvStore s;
    std::uint64_t index = 0;
    s.apply(++index, put("k", "v", std::nullopt, {1, 1}));
    for (std::uint64_t c = 2; c <= kv_sessions_max; ++c) s.apply(++index, put("k", "v", std::nullopt, {c, 1}));
    s.apply(++index, put("k", "v", std::nullopt, {1, 2}));  // client 1 used again: now the newest
    BOOST_TEST(s.sessions() == kv_sessions_max);
    s.apply(++index, put("k", "v", std::nullopt, {kv_sessions_max + 1, 1}));
    BOOST_TEST(s.sessions() == kv_sessions_max);
    BOOST_TEST(s.apply(++index, put("k", "v", std::nullopt, {1, 2})).duplicate);   // kept
    BOOST_TEST(!s.apply(++index, put("k", "v", std::nullopt, {2, 1})).duplicate);  // forgotten: applies
    // The order survives a snapshot: the same client is dropped next on both.
    KvStore b;
    BOOST_REQUIRE(!b.restore(s.snapshot()));
    BOOST_TEST(b.snapshot() == s.snapshot());
    s.apply(++index, put("k", "v", std::nullopt, {999'999, 1}));
    b.apply(index, put("k", "v", std::nullopt, {999'999, 1}));
    BOOST_TEST(b.snapshot() == s.snapshot());
    BOOST_TEST(!b.apply(++index, put("k", "v", std::nullopt, {3, 1})).duplicate);
}

// A store opened over the tables alone (as a node reopens its state) has the same keys,
// figures and sessions, in the same use order, whether they came by commands or by a
// snapshot.
BOOST_AUTO_TEST_CASE(a_store_reopened_from_its_tables_is_the_same) {
    KvStore s;
    std::uint64_t index = 0;
    for (std::uint64_t c = 1; c <= kv_sessions_max + 5; ++c)
        s.apply(++index, put("k" + std::to_string(c % 7), "v", std::nullopt, {c, 1}));
    s.apply(++index, del("k3"));
    s.apply(++index, put("k1", "again", std::nullopt, {6, 2}));
    const std::string snap = s.snapshot();
    KvStore reopened(s.db());
    BOOST_TEST(reopened.snapshot() == snap);
    BOOST_TEST(reopened.sessions() == kv_sessions_max);
    BOOST_TEST(reopened.apply(index + 1, put("k1", "x", std::nullopt, {6, 2})).duplicate);
    BOOST_TEST(!reopened.apply(index + 2, put("k1", "x", std::nullopt, {1, 1})).duplicate);  // dropped as the oldest
    KvStore restored;
    const auto error = restored.restore(snap);
    BOOST_REQUIRE_MESSAGE(!error, *error);
    KvStore from_tables(restored.db());
    BOOST_TEST(from_tables.snapshot() == snap);
}

BOOST_AUTO_TEST_CASE(keys_past_the_stores_key_limit_are_kept_whole) {
    // The store's keys stop at 510 bytes, a key at 1024: long keys are kept under a
    // prefix and a hash, with the whole key in the row. Two that share the prefix stay
    // apart, and all read back, delete and snapshot as short ones do.
    KvStore s;
    const std::string prefix(600, 'p');
    const std::string a = prefix + "a", b = prefix + "b", longest(kv_key_bytes_max, 'z');
    const std::string edge399(399, 'e'), edge400(400, 'e');
    BOOST_TEST(s.apply(1, put(a, "A")).ok);
    BOOST_TEST(s.apply(2, put(b, "B")).ok);
    BOOST_TEST(s.apply(3, put(longest, "Z")).ok);
    BOOST_TEST(s.apply(4, put(edge399, "399")).ok);
    BOOST_TEST(s.apply(5, put(edge400, "400")).ok);
    BOOST_TEST(s.get(a)->value == "A");
    BOOST_TEST(s.get(b)->value == "B");
    BOOST_TEST(s.get(longest)->value == "Z");
    BOOST_TEST(s.get(edge399)->value == "399");
    BOOST_TEST(s.get(edge400)->value == "400");
    BOOST_TEST(!s.get(prefix + "c").has_value());
    BOOST_TEST(s.size() == 5u);
    BOOST_TEST(s.apply(6, put(a, "A2", 1)).ok);  // compare-and-set on a long key
    BOOST_TEST(s.get(a)->revision == 6u);
    BOOST_TEST(s.get(a)->create_revision == 1u);
    BOOST_TEST(s.apply(7, del(b)).ok);
    BOOST_TEST(!s.get(b).has_value());
    BOOST_TEST(s.size() == 4u);
    BOOST_TEST(s.data_bytes() == a.size() + 2 + longest.size() + 1 + 399 + 3 + 400 + 3);

    KvStore r;
    BOOST_REQUIRE(!r.restore(s.snapshot()));
    BOOST_TEST(r.snapshot() == s.snapshot());
    BOOST_TEST(r.get(a)->value == "A2");
    BOOST_TEST(r.get(longest)->value == "Z");
    BOOST_TEST(r.size() == 4u);
    BOOST_TEST(r.data_bytes() == s.data_bytes());
}

BOOST_AUTO_TEST_CASE(a_store_alone_restores_an_older_snapshot) {
    KvStore s;
    s.apply(1, put("a", "1"));
    const std::string older = s.snapshot();
    s.apply(2, put("b", "2"));
    BOOST_REQUIRE(!s.restore(older));
    BOOST_TEST(!s.get("b").has_value());
    BOOST_TEST(s.applied_index() == 1u);
    BOOST_TEST(s.apply(2, put("c", "3")).ok);
}

BOOST_AUTO_TEST_CASE(a_snapshot_listing_a_key_twice_is_refused_and_changes_nothing) {
    capnp::MallocMessageBuilder mb;
    auto snap = mb.initRoot<raftor::schema::StateSnapshot>();
    snap.setAppliedIndex(2);
    snap.setRevision(2);
    auto kv = snap.initKv(2);
    for (unsigned i = 0; i < 2; ++i) {
        kv[i].setKey(std::string(450, 'd'));
        kv[i].setRevision(i + 1);
        kv[i].setCreateRevision(i + 1);
    }
    KvStore s;
    s.apply(1, put("kept", "1"));
    const std::string before = s.snapshot();
    auto e = s.restore(raftor::raft::detail::to_bytes(mb));
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->find("listed twice") != std::string::npos);
    BOOST_TEST(s.snapshot() == before);
    BOOST_TEST(s.get("kept")->value == "1");
    BOOST_TEST(s.size() == 1u);
}
