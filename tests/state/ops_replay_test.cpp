// Replay (POST /daemon/replay) as the state machine decides it: back up, run work,
// restore, replay; every lost slot and failed run goes again once, a second replay of
// the same window does nothing, and what cannot be known or run again is refused.
#include <boost/test/unit_test.hpp>
#include <map>

#include "runtime/crypto/merkle.hpp"
#include "runtime/state/ops_machine.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "tests/state/replica.hpp"

using namespace raftor::state;

namespace {

using testing::op;
using testing::Replica;

// Every slot of a 1 s schedule in [from, to].
std::vector<FireSlot> slots(const std::string& id, std::int64_t from, std::int64_t to) {
    std::vector<FireSlot> out;
    for (std::int64_t s = (from + 999) / 1000 * 1000; s <= to; s += 1000) out.push_back(FireSlot{id, s});
    return out;
}

// (operation, slot) -> successful executions of it, over active and kept ones.
std::map<std::pair<std::string, std::int64_t>, int> successes(const OpsMachine& m, const std::string& id) {
    std::map<std::pair<std::string, std::int64_t>, int> out;
    for (const auto& e : m.history(id, 100000))
        if (e.status == ExecStatus::success) ++out[{e.operation, e.slot_ms}];
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops_replay)

BOOST_AUTO_TEST_CASE(after_a_restore_every_lost_slot_runs_once_and_a_second_replay_does_nothing) {
    Replica r;
    r.run(PutOperation{op("tick", "@every 1s"), true});
    r.run(PutOperation{op("manual"), true});
    const std::int64_t backup_at = r.now;
    // Before the backup: slots 1..3 s fired and succeeded.
    for (auto f : slots("tick", r.now + 1000, r.now + 3000)) {
        r.now = f.slot_ms;
        r.run_to(r.run(FireBatch{{f}}).executions.at(0), ExecStatus::success);
    }
    const std::string backup = encode_state(KvStore{}, r.m);
    // After it, work that the restore loses: slots 4..6 s and a manual run.
    for (auto f : slots("tick", r.now + 1000, r.now + 3000)) {
        r.now = f.slot_ms;
        r.run_to(r.run(FireBatch{{f}}).executions.at(0), ExecStatus::success);
    }
    r.now += 10'000;  // the restore, ten seconds later

    Replica restored;
    KvStore kv;
    BOOST_REQUIRE(!restore_state(backup, kv, restored.m));
    restored.now = r.now;
    restored.index = r.index;
    // Replay since the backup: the leader lists the slots from then to now.
    const std::int64_t since = backup_at;
    auto first = restored.run(Replay{since, slots("tick", since, restored.now)});
    BOOST_TEST((first.code == OpsResult::Code::ok), first.detail);
    // Slots 1..3 s succeeded in the restored state; 4..16 s did not happen there (the
    // slot at 0 s is when the schedule was set: not owed).
    BOOST_TEST(first.executions.size() == 13u);
    for (auto id : first.executions) {
        auto e = restored.m.execution(id);
        BOOST_TEST((e->cause == Cause::replay));
        BOOST_TEST(e->replay_of == 0u);
        restored.run_to(id, ExecStatus::success);
    }
    // The scheduler will not fire them again either.
    BOOST_TEST(restored.m.operation("tick")->last_slot_ms == restored.now / 1000 * 1000);
    BOOST_TEST((restored.run(FireSlot{"tick", since + 5000}).code == OpsResult::Code::duplicate));
    // Every slot of the window succeeded exactly once.
    const auto once = successes(restored.m, "tick");
    BOOST_TEST(once.size() == 16u);
    for (const auto& [slot, n] : once) BOOST_TEST(n == 1, slot.second);

    // Again with the same since: nothing left to do.
    auto second = restored.run(Replay{since, slots("tick", since, restored.now)});
    BOOST_TEST((second.code == OpsResult::Code::ok));
    BOOST_TEST(second.executions.empty());
}

BOOST_AUTO_TEST_CASE(failed_runs_in_the_window_run_again_once_under_their_retry_policy) {
    Replica r;
    auto flaky = op("flaky");
    flaky.retries = 2;
    r.run(PutOperation{flaky, true});
    r.run(PutOperation{op("tick", "@every 1s"), true});
    const auto old = r.run(ExecuteOperation{"flaky", "old"}).executions.at(0);
    r.run_to(old, ExecStatus::failed);  // retrying: one try of three
    r.now += 1000;
    const std::int64_t since = r.now;
    const auto a = r.run(ExecuteOperation{"flaky", "a"}).executions.at(0);
    const auto b = r.run(ExecuteOperation{"flaky", "b"}).executions.at(0);
    const auto ok = r.run(ExecuteOperation{"flaky", "c"}).executions.at(0);
    const auto slot = r.run(FireSlot{"tick", since + 1000}).executions.at(0);
    // a and b run out of tries (failed, timed out); the slot's run fails too.
    for (std::uint32_t t = 1; t <= 3; ++t) {
        r.run(StartBatch{{StartExecution{a, t, "n1", r.now}, StartExecution{b, t, "n1", r.now}}});
        r.run(FinishBatch{{FinishExecution{a, t, ExecStatus::failed, 1, r.now, 1, "", raftor::crypto::sha256("")},
                           FinishExecution{b, t, ExecStatus::timeout, -1, r.now, 1, "", raftor::crypto::sha256("")}}});
        r.now += 60'000;
    }
    r.run_to(ok, ExecStatus::success);
    r.run_to(slot, ExecStatus::failed);
    BOOST_TEST((r.m.execution(a)->status == ExecStatus::failed));
    BOOST_TEST((r.m.execution(b)->status == ExecStatus::timeout));

    auto rep = r.run(Replay{since, {FireSlot{"tick", since + 1000}}});
    BOOST_TEST((rep.code == OpsResult::Code::ok), rep.detail);
    BOOST_REQUIRE(rep.executions.size() == 3u);  // a, b, and the failed slot; not c, not the old one
    std::map<std::uint64_t, Execution> by_of;
    for (auto id : rep.executions) {
        auto e = *r.m.execution(id);
        by_of[e.replay_of] = e;
        BOOST_TEST((e.cause == Cause::replay));
        BOOST_TEST((e.status == ExecStatus::queued));
    }
    BOOST_TEST(by_of.at(a).input == "a");
    BOOST_TEST(by_of.at(b).input == "b");
    BOOST_TEST(by_of.at(slot).slot_ms == since + 1000);
    // Under its retry policy: a failed try of the replay is retried.
    const auto again = by_of.at(a).id;
    r.run_to(again, ExecStatus::failed);
    BOOST_TEST((r.m.execution(again)->status == ExecStatus::retrying));
    // While they run, or after they failed, the same replay does nothing more.
    BOOST_TEST(r.run(Replay{since, {FireSlot{"tick", since + 1000}}}).executions.empty());
    for (std::uint32_t t = 2; t <= 3; ++t) {
        r.run(StartBatch{{StartExecution{again, t, "n1", r.now}}});
        r.run(
            FinishBatch{{FinishExecution{again, t, ExecStatus::failed, 1, r.now, 1, "", raftor::crypto::sha256("")}}});
    }
    BOOST_TEST((r.m.execution(again)->status == ExecStatus::failed));
    BOOST_TEST(r.run(Replay{since, {FireSlot{"tick", since + 1000}}}).executions.empty());
}

BOOST_AUTO_TEST_CASE(what_cannot_be_known_or_run_again_is_said) {
    OpsOptions o;
    o.history_retention_ms = o.receipts_retention_ms = 60'000;
    Replica r(o);
    r.run(PutOperation{op("a"), true});
    r.run(RegisterKey{"n1", raftor::crypto::SigningKey::generate().public_key()});
    // A long input is kept only by its hash once final: it cannot run again.
    const auto long_input = r.run(ExecuteOperation{"a", std::string(200, 'x')}).executions.at(0);
    r.run_to(long_input, ExecStatus::failed);
    const auto replay = r.run(Replay{r.now - 1, {}});
    BOOST_TEST(replay.executions.empty());
    BOOST_TEST(replay.detail == "ex-" + std::to_string(long_input) + ": its input was not kept (over 64 bytes)");

    // A failed run of an operation deleted since is named, not run.
    r.run(PutOperation{op("gone"), true});
    const auto gone = r.run(ExecuteOperation{"gone", ""}).executions.at(0);
    r.run_to(gone, ExecStatus::failed);
    r.run(DeleteOperation{"gone"});
    BOOST_TEST(
        r.run(Replay{r.now - 1, {}}).detail.find("ex-" + std::to_string(gone) + ": operation 'gone' was deleted") !=
        std::string::npos);
    // Since in the future: refused.
    auto future = r.run(Replay{r.now + 1000, {}});
    BOOST_TEST((future.code == OpsResult::Code::refused));
    BOOST_TEST(future.detail == "since is in the future: nothing to replay yet");
}

BOOST_AUTO_TEST_CASE(a_window_older_than_the_history_kept_is_refused) {
    OpsOptions o;
    o.history_retention_ms = o.receipts_retention_ms = 60'000;
    Replica r(o);
    r.run(PutOperation{op("a"), true});
    const auto k = raftor::crypto::SigningKey::generate();
    r.run(RegisterKey{"n1", k.public_key()});
    const std::int64_t early = r.now;
    const auto e = r.run(ExecuteOperation{"a", "in"}).executions.at(0);
    r.run_to(e, ExecStatus::success);
    auto leaves = r.m.unsealed(100);
    const auto root = raftor::crypto::merkle_root(leaves);
    r.run(SealReceipts{1, static_cast<std::uint32_t>(leaves.size()), root, "n1",
                       k.sign(raftor::crypto::batch_message(root))});
    r.now += 120'000;
    r.run(PublishEvent{"nothing", ""});
    BOOST_REQUIRE(r.m.base_sequence() == 1u);  // dropped by age
    auto refused = r.run(Replay{early, {}});
    BOOST_TEST((refused.code == OpsResult::Code::refused));
    BOOST_TEST(refused.detail.find("are no longer kept") != std::string::npos, refused.detail);
    BOOST_TEST((r.run(Replay{r.m.history_complete_from_ms(r.now), {}}).code == OpsResult::Code::ok));
    // The mark survives a snapshot.
    OpsMachine m2;
    KvStore kv;
    BOOST_REQUIRE(!restore_state(encode_state(KvStore{}, r.m), kv, m2));
    BOOST_TEST(m2.history_complete_from_ms(r.now) == r.m.history_complete_from_ms(r.now));
}

BOOST_AUTO_TEST_SUITE_END()
