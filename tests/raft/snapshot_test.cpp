#include <boost/test/unit_test.hpp>

#include "runtime/common/crc32c.hpp"
#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

namespace {
Message chunk(const SnapshotMeta& meta, std::uint64_t offset, std::string data, bool last) {
    return Message{.type = MessageType::install_snapshot,
                   .from = 1,
                   .to = 2,
                   .term = 1,
                   .snapshot = meta,
                   .chunk_offset = offset,
                   .chunk = std::move(data),
                   .chunk_last = last};
}
// Node 3 was away while the others took 20 entries and the leader (1) compacted them
// into `state` at index 15: it is back now, and can be fed only by snapshot.
Group lagging_behind_a_snapshot(const std::string& state) {
    Config c = config(1);
    c.snapshot_chunk_bytes_max = 1000;
    Group g({1, 2, 3}, c);
    g.elect(1);
    g.down = {3};
    for (int i = 0; i < 20; ++i) g[1].propose("e" + std::to_string(i));
    g.settle();
    BOOST_REQUIRE((g[1].compact(15, std::make_shared<std::string>(state)) == Error::none));
    g.down = {};
    return g;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot)

BOOST_AUTO_TEST_CASE(compaction_drops_the_log_up_to_an_applied_index) {
    Group g({1, 2, 3});
    g.elect(1);
    for (int i = 0; i < 10; ++i) g[1].propose("e");
    g.settle();
    BOOST_TEST((g[1].compact(g[1].applied() + 1, std::make_shared<std::string>("x")) == Error::bad_index));
    BOOST_TEST((g[1].compact(6, std::make_shared<std::string>("state@6")) == Error::none));
    BOOST_TEST(g[1].log().first_index() == 7u);
    BOOST_TEST(g[1].snapshot().meta.index == 6u);
    BOOST_TEST((g[1].snapshot().meta.conf == voters({1, 2, 3})));
    BOOST_TEST(g[1].snapshot().meta.checksum == raftor::crc32c("state@6"));
    BOOST_TEST((g[1].compact(6, std::make_shared<std::string>("again")) == Error::bad_index));
}

BOOST_AUTO_TEST_CASE(a_lagging_follower_receives_the_snapshot_in_chunks) {
    const std::string state(4500, 's');
    Group g = lagging_behind_a_snapshot(state);
    g.delivered.clear();
    g.tick_all();
    for (int i = 0; i < 5; ++i) g.tick_all();
    std::size_t chunks = 0;
    for (auto& m : g.delivered)
        if (m.type == MessageType::install_snapshot && m.to == 3) ++chunks;
    BOOST_TEST(chunks >= 5u);  // 4500 bytes in 1000-byte chunks
    BOOST_TEST(g[3].log().snapshot_index() == 15u);
    BOOST_TEST(g[3].log().last_index() == g[1].log().last_index());
    BOOST_TEST(g[3].commit() == g[1].commit());
    BOOST_TEST(*g[3].snapshot().data == state);
    BOOST_TEST((g[1].progress(3)->state == ProgressState::replicate));
}

BOOST_AUTO_TEST_CASE(a_snapshot_is_handed_to_the_caller_and_acknowledged_after_persisting) {
    auto f = make(2, voters({1, 2}));
    SnapshotMeta meta{.index = 10, .term = 1, .conf = voters({1, 2}), .checksum = raftor::crc32c("abc"), .size = 3};
    f->step(chunk(meta, 0, "ab", false));
    auto ms = drain(*f);
    BOOST_REQUIRE(ms.size() == 1u);
    BOOST_TEST(ms[0].chunk_offset == 2u);
    f->step(chunk(meta, 2, "c", true));
    Ready rd = f->ready();
    BOOST_REQUIRE(rd.snapshot.has_value());
    BOOST_TEST(*rd.snapshot->data == "abc");
    BOOST_TEST(rd.messages.empty());  // the acknowledgment waits for the snapshot to be durable
    f->on_persisted(rd.persist_id);
    ms = drain(*f);
    BOOST_REQUIRE(ms.size() == 1u);
    BOOST_TEST(ms[0].chunk_last);
    BOOST_TEST(f->commit() == 10u);
    BOOST_TEST(f->log().last_index() == 10u);
}

BOOST_AUTO_TEST_CASE(a_corrupted_snapshot_is_refused_and_restarted) {
    auto f = make(2, voters({1, 2}));
    SnapshotMeta meta{.index = 10, .term = 1, .conf = voters({1, 2}), .checksum = raftor::crc32c("abc"), .size = 3};
    f->step(chunk(meta, 0, "abX", true));
    Ready rd = f->ready();
    BOOST_TEST(!rd.snapshot.has_value());
    BOOST_REQUIRE(rd.messages.size() == 1u);
    BOOST_TEST(rd.messages[0].reject);
    BOOST_TEST(rd.messages[0].chunk_offset == 0u);
    BOOST_TEST(f->commit() == 0u);
    // A chunk out of order is answered with where the follower stands.
    f->step(chunk(meta, 0, "a", false));
    drain(*f);
    f->step(chunk(meta, 2, "c", true));
    auto ms = drain(*f);
    BOOST_REQUIRE(ms.size() == 1u);
    BOOST_TEST(ms[0].chunk_offset == 1u);
    BOOST_TEST(!ms[0].reject);
}

BOOST_AUTO_TEST_CASE(one_chunk_in_flight_and_duplicate_answers_send_nothing) {
    Group g = lagging_behind_a_snapshot(std::string(4500, 's'));
    g[1].propose("wake");  // node 3 rejects it and is sent the snapshot
    std::vector<Message> chunks;
    for (int round = 0; round < 4; ++round) {
        for (auto& m : drain(g[1])) {
            if (m.type == MessageType::install_snapshot) chunks.push_back(m);
            g[m.to].step(m);
        }
        if (!chunks.empty()) break;
        for (NodeId f : {2, 3})
            for (auto& m : drain(g[f])) g[1].step(m);
    }
    BOOST_REQUIRE(chunks.size() == 1u);  // one chunk, not a window of them
    BOOST_TEST(chunks[0].chunk_offset == 0u);
    // Its answer, delivered three times (a duplicating network): one next chunk, not three.
    auto answer = of_type(drain(g[3]), MessageType::install_snapshot_resp);
    BOOST_REQUIRE(answer.size() == 1u);
    for (int i = 0; i < 3; ++i) g[1].step(answer[0]);
    auto next = of_type(drain(g[1]), MessageType::install_snapshot);
    BOOST_REQUIRE(next.size() == 1u);
    BOOST_TEST(next[0].chunk_offset == 1000u);
    // A late copy of the first chunk reaches the follower after the second: it keeps both.
    g[3].step(next[0]);
    g[3].step(chunks[0]);
    auto answers = of_type(drain(g[3]), MessageType::install_snapshot_resp);
    BOOST_REQUIRE(answers.size() == 2u);
    BOOST_TEST(answers[0].chunk_offset == 2000u);
    BOOST_TEST(answers[1].chunk_offset == 2000u);
    for (auto& a : answers) g[1].step(a);
    auto third = of_type(drain(g[1]), MessageType::install_snapshot);
    BOOST_REQUIRE(third.size() == 1u);
    BOOST_TEST(third[0].chunk_offset == 2000u);
    g[3].step(third[0]);
    g.settle();
    g.tick_all(3);
    BOOST_TEST(g[3].log().snapshot_index() == 15u);
    BOOST_TEST(g[3].log().last_index() == g[1].log().last_index());
}

BOOST_AUTO_TEST_SUITE_END()
