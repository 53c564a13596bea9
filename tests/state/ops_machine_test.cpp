// The operations state machine, driven through the entry codec as a replica would be.
#include "runtime/state/ops_machine.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

#include "runtime/crypto/merkle.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "tests/state/replica.hpp"

using namespace raftor::state;
using raftor::crypto::Digest;

namespace {

using testing::op;

// Times from 1 s past the epoch.
struct Replica : testing::Replica {
    explicit Replica(OpsOptions o = {}) : testing::Replica(o, 1'000'000) {}
};

const raftor::crypto::SigningKey& key() {
    static const auto k = raftor::crypto::SigningKey::generate();
    return k;
}

// Seals everything unsealed as the leader's signer would.
OpsResult seal_all(Replica& r, const std::string& signer = "n1") {
    auto leaves = r.m.unsealed(1u << 20);
    const Digest root = raftor::crypto::merkle_root(leaves);
    return r.run(SealReceipts{r.m.sealed_through() + 1, static_cast<std::uint32_t>(leaves.size()), root, signer,
                              key().sign(raftor::crypto::batch_message(root))});
}

// `batches` sealed batches of `per_batch` receipts of operation "a", each run to success.
void sealed_batches(Replica& r, int batches, int per_batch) {
    for (int batch = 0; batch < batches; ++batch) {
        for (int i = 0; i < per_batch; ++i) {
            const auto e = r.execute("a");
            r.start(e);
            r.finish(e);
        }
        seal_all(r);
    }
}

raftor::crypto::KeyRing keys() {
    return {{"n1", {key().public_key()}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops_machine)

BOOST_AUTO_TEST_CASE(an_execution_goes_from_queued_to_running_to_a_receipt) {
    Replica r;
    BOOST_TEST(r.run(PutOperation{op("a"), true}).version == 1u);
    const std::uint64_t defined = r.m.operation("a")->defined_index;
    BOOST_TEST(defined == r.index);
    BOOST_TEST((r.run(PutOperation{op("a"), true}).code == OpsResult::Code::exists));
    BOOST_TEST(r.run(PutOperation{op("a"), false}).version == 2u);
    BOOST_TEST((r.run(ExecuteOperation{"nope", ""}).code == OpsResult::Code::not_found));

    const auto e = r.execute("a");
    BOOST_TEST((r.status(e) == ExecStatus::queued));
    BOOST_TEST(r.start(e).executions.size() == 1u);
    BOOST_TEST((r.status(e) == ExecStatus::running));
    BOOST_TEST(r.m.running("a") == 1u);
    // A second start of the same try is a stale repeat: nothing changes.
    BOOST_TEST(r.start(e).executions.empty());
    r.finish(e);
    auto x = r.m.execution(e);
    BOOST_TEST((x->status == ExecStatus::success));
    BOOST_TEST(x->duration_ms == 5u);
    BOOST_TEST(x->receipt_sequence == 1u);
    BOOST_TEST(x->node == "n1");
    BOOST_TEST(r.m.running("a") == 0u);
    BOOST_TEST(r.m.active().empty());
    // A late finish of the same try is ignored.
    BOOST_TEST(r.finish(e, ExecStatus::failed).executions.empty());
    BOOST_TEST((r.status(e) == ExecStatus::success));
    BOOST_TEST(r.m.history("a", 10).size() == 1u);
    BOOST_TEST(r.m.chain_sequence() == 1u);
}

BOOST_AUTO_TEST_CASE(a_slot_fires_once_whoever_proposes_it) {
    Replica r;
    auto s = op("tick");
    s.schedule = "@every 1s";
    r.run(PutOperation{s, true});
    const std::int64_t slot = r.now + 1000;
    BOOST_TEST(r.run(FireSlot{"tick", slot}).executions.size() == 1u);
    BOOST_TEST((r.run(FireSlot{"tick", slot}).code == OpsResult::Code::duplicate));
    BOOST_TEST((r.run(FireSlot{"tick", slot - 1000}).code == OpsResult::Code::duplicate));
    BOOST_TEST(r.run(FireSlot{"tick", slot + 1000}).executions.size() == 1u);
    BOOST_TEST(r.m.operation("tick")->last_slot_ms == slot + 1000);
    BOOST_TEST(r.m.active().size() == 2u);
    // Slots from before the schedule was set are not owed.
    BOOST_TEST((r.run(FireSlot{"tick", r.now - 5}).code == OpsResult::Code::duplicate));
    BOOST_TEST((r.run(FireSlot{"nope", slot}).code == OpsResult::Code::not_found));
    r.run(PutOperation{op("plain"), true});
    BOOST_TEST((r.run(FireSlot{"plain", slot}).code == OpsResult::Code::refused));
    // A wake-up's batch: each slot on its own terms (a duplicate, an unknown operation
    // and a schedule-less one are left out), in one entry.
    auto t2 = op("tock");
    t2.schedule = "@every 1s";
    r.run(PutOperation{t2, true});
    const auto batch =
        r.run(FireBatch{{FireSlot{"tick", slot + 1000}, FireSlot{"tick", slot + 2000}, FireSlot{"tock", slot + 2000},
                         FireSlot{"nope", slot}, FireSlot{"plain", slot}, FireSlot{"tock", slot + 3000}}});
    BOOST_TEST((batch.code == OpsResult::Code::ok));
    BOOST_TEST(batch.executions.size() == 3u);
    BOOST_TEST(r.m.operation("tick")->last_slot_ms == slot + 2000);
    BOOST_TEST(r.m.operation("tock")->last_slot_ms == slot + 3000);
    BOOST_TEST(r.run(FireBatch{{FireSlot{"tock", slot + 3000}}}).executions.empty());
}

BOOST_AUTO_TEST_CASE(forbid_skips_a_run_while_one_is_running_and_replace_cancels_it) {
    Replica r;
    auto f = op("f");
    f.concurrency = Concurrency::forbid;
    r.run(PutOperation{f, true});
    const auto a = r.execute("f"), b = r.execute("f");
    r.run(StartBatch{{StartExecution{a, 1, "n1", r.now}, StartExecution{b, 1, "n1", r.now}}});
    BOOST_TEST((r.status(a) == ExecStatus::running));
    BOOST_TEST((r.status(b) == ExecStatus::skipped));
    BOOST_TEST(r.m.running("f") == 1u);

    auto p = op("p");
    p.concurrency = Concurrency::replace;
    r.run(PutOperation{p, true});
    const auto c = r.execute("p"), d = r.execute("p");
    r.start(c);
    r.start(d);
    BOOST_TEST((r.status(c) == ExecStatus::cancelled));
    BOOST_TEST(r.m.execution(c)->detail == "replaced by " + execution_id_string(d));
    BOOST_TEST((r.status(d) == ExecStatus::running));
    BOOST_TEST(r.m.running("p") == 1u);
    // The replaced try's own finish arrives late and changes nothing.
    BOOST_TEST(r.finish(c).executions.empty());
    BOOST_TEST((r.status(c) == ExecStatus::cancelled));

    auto al = op("al");
    r.run(PutOperation{al, true});
    const auto x = r.execute("al"), y = r.execute("al");
    r.start(x);
    r.start(y);
    BOOST_TEST(r.m.running("al") == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_try_is_retried_with_backoff_until_the_retries_run_out) {
    Replica r;
    auto s = op("flaky");
    s.retries = 2;
    s.retry_backoff_ms = 1000;
    r.run(PutOperation{s, true});
    const auto e = r.execute("flaky");
    r.start(e, 1);
    r.finish(e, ExecStatus::failed, 1);
    BOOST_TEST((r.status(e) == ExecStatus::retrying));
    const auto first_wait = r.m.execution(e)->retry_at_ms - r.now;
    BOOST_TEST(first_wait > 900);
    BOOST_TEST(first_wait <= 1000);
    BOOST_TEST(r.start(e, 1).executions.empty());  // the try that failed cannot start again
    r.start(e, 2);
    r.finish(e, ExecStatus::timeout, 2);
    const auto second_wait = r.m.execution(e)->retry_at_ms - r.now;
    BOOST_TEST(second_wait > 1800);
    BOOST_TEST(second_wait <= 2000);
    r.start(e, 3);
    r.finish(e, ExecStatus::failed, 3);
    BOOST_TEST((r.status(e) == ExecStatus::failed));
    BOOST_TEST(r.m.execution(e)->attempt == 3u);
    BOOST_TEST(retry_delay_ms(s, 7, 30) <= 30'000);
}

BOOST_AUTO_TEST_CASE(an_event_filter_fires_only_on_bodies_that_match) {
    Replica r;
    auto prod = op("prod-deploy");
    prod.topics = {"deploy"};
    prod.event_filter = {{"env", R"("prod")"}, {"service.replicas", "3"}};
    auto any = op("any-deploy");
    any.topics = {"deploy"};
    r.run(PutOperation{prod, true});
    r.run(PutOperation{any, true});
    auto fired = [&](const std::string& body) {
        std::set<std::string> out;
        for (auto e : r.run(PublishEvent{"deploy", body}).executions) out.insert(r.m.execution(e)->operation);
        return out;
    };
    const std::set<std::string> both{"any-deploy", "prod-deploy"}, one{"any-deploy"};
    BOOST_TEST((fired(R"({"env":"prod","service":{"replicas":3,"name":"api"}})") == both));
    BOOST_TEST((fired(R"({"env":"prod","service":{"replicas":3.0}})") == both));  // the same number
    BOOST_TEST((fired(R"({"env":"staging","service":{"replicas":3}})") == one));
    BOOST_TEST((fired(R"({"env":"prod"})") == one));                // a path missing
    BOOST_TEST((fired(R"({"env":"prod","service":"x"})") == one));  // not an object on the way
    BOOST_TEST((fired("not json") == one));
    BOOST_TEST((fired(R"(["env","prod"])") == one));
    BOOST_TEST((fired(std::string(100000, '[')) == one));  // deep and broken: no match, no crash
    // It survives a snapshot.
    const std::string bytes = encode_state(KvStore{}, r.m);
    KvStore kv;
    OpsMachine back;
    BOOST_REQUIRE(!restore_state(bytes, kv, back));
    BOOST_TEST((back.operation("prod-deploy")->spec.event_filter == prod.event_filter));
}

BOOST_AUTO_TEST_CASE(an_idle_trigger_fires_once_per_idle_period_and_only_when_still_idle) {
    Replica r;
    auto cleanup = op("cleanup");
    cleanup.idle_threshold_ms = 5000;
    r.run(PutOperation{cleanup, true});
    r.run(PutOperation{op("work"), true});
    const OperationEntry* entry = r.m.operation("cleanup");
    // Idle since "work" was defined (the later change).
    std::int64_t from = r.m.idle_from_ms(*entry);
    BOOST_TEST(from == r.now);
    r.now += 4000;
    BOOST_TEST((r.run(FireIdle{"cleanup", from}).code == OpsResult::Code::duplicate));  // too early
    r.now += 1000;
    auto fired = r.run(FireIdle{"cleanup", from});
    BOOST_REQUIRE(fired.executions.size() == 1u);
    BOOST_TEST((r.m.execution(fired.executions[0])->cause == Cause::idle));
    BOOST_TEST(r.run(FireIdle{"cleanup", from}).executions.empty());  // once per period
    // Its own run is not activity: finishing it starts no new period.
    r.start(fired.executions[0]);
    r.finish(fired.executions[0]);
    BOOST_TEST(r.m.idle_from_ms(*r.m.operation("cleanup")) == from);
    // Work makes the cluster busy: no idle fire while it runs, a new period after it.
    const auto w = r.execute("work");
    BOOST_TEST(r.m.busy() == 1u);
    r.now += 60'000;
    BOOST_TEST(r.run(FireIdle{"cleanup", from}).executions.empty());
    r.start(w);
    r.finish(w);  // finished at now + 5
    BOOST_TEST(r.m.busy() == 0u);
    from = r.m.idle_from_ms(*r.m.operation("cleanup"));
    BOOST_TEST(from == r.now + 5);
    r.now += 6000;
    BOOST_TEST(r.run(FireIdle{"cleanup", from}).executions.size() == 1u);
    // The period and the fire survive a snapshot.
    const std::string bytes = encode_state(KvStore{}, r.m);
    KvStore kv;
    OpsMachine back;
    BOOST_REQUIRE(!restore_state(bytes, kv, back));
    BOOST_TEST(back.idle_from_ms(*back.operation("cleanup")) == from);
    BOOST_TEST(back.operation("cleanup")->idle_fired_for_ms == from);
    BOOST_TEST(back.busy() == 0u);  // the idle run left queued is not busy
    BOOST_TEST((r.run(FireIdle{"work", from}).code == OpsResult::Code::refused));
}

BOOST_AUTO_TEST_CASE(the_retry_policy_sets_growth_cap_and_jitter) {
    auto s = op("policy");
    BOOST_TEST(OperationSpec{}.retries == 2u);  // maxAttempts 3, as the guide's daemon
    s.retry_backoff_ms = 1000;
    s.retry_multiplier = 3;
    s.retry_max_backoff_ms = 5000;
    s.retry_jitter = 0;
    BOOST_TEST(retry_delay_ms(s, 7, 1) == 1000);
    BOOST_TEST(retry_delay_ms(s, 7, 2) == 3000);
    BOOST_TEST(retry_delay_ms(s, 7, 3) == 5000);
    BOOST_TEST(retry_delay_ms(s, 7, 50) == 5000);
    // The cap never cuts below the first wait.
    s.retry_max_backoff_ms = 100;
    BOOST_TEST(retry_delay_ms(s, 7, 4) == 1000);
    // A full jitter takes up to all of the wait, the same for the same execution and try.
    s.retry_jitter = 1;
    s.retry_multiplier = 1;
    std::int64_t lo = 1000;
    for (std::uint64_t id = 1; id < 200; ++id) {
        const auto d = retry_delay_ms(s, id, 1);
        BOOST_TEST(d == retry_delay_ms(s, id, 1));
        BOOST_TEST((d >= 0 && d <= 1000));
        lo = std::min(lo, d);
    }
    BOOST_TEST(lo < 100);
}

BOOST_AUTO_TEST_CASE(a_new_leader_resolves_tries_its_predecessors_left_running) {
    Replica r;
    auto keep = op("keep");
    auto drop = op("drop");
    drop.on_leader_loss = OnLeaderLoss::abandon;
    r.run(PutOperation{keep, true});
    r.run(PutOperation{drop, true});
    const auto k = r.execute("keep"), d = r.execute("drop");
    r.start(k);
    r.start(d);
    r.term = 2;
    const auto k2 = r.execute("keep");
    r.start(k2);  // started in term 2: the recover of term 2 leaves it alone
    r.run(Recover{});
    BOOST_TEST((r.status(k) == ExecStatus::retrying));
    BOOST_TEST(r.m.execution(k)->retry_at_ms == r.now);
    BOOST_TEST((r.status(d) == ExecStatus::interrupted));
    BOOST_TEST((r.status(k2) == ExecStatus::running));
    BOOST_TEST(r.m.running("keep") == 1u);
    // The old leader's finish for the lost try is ignored; the retry runs as try 2.
    BOOST_TEST(r.finish(k).executions.empty());
    r.start(k, 2);
    r.finish(k, ExecStatus::success, 2);
    BOOST_TEST((r.status(k) == ExecStatus::success));
}

BOOST_AUTO_TEST_CASE(events_and_outcomes_trigger_their_operations_once) {
    Replica r;
    auto a = op("a");
    a.topics = {"deploy"};
    auto b = op("b");
    b.after_success = {"a"};
    auto c = op("c");
    c.after_failure = {"a"};
    r.run(PutOperation{a, true});
    r.run(PutOperation{b, true});
    r.run(PutOperation{c, true});
    auto ev = r.run(PublishEvent{"deploy", "{}"});
    BOOST_REQUIRE(ev.executions.size() == 1u);
    BOOST_TEST(r.run(PublishEvent{"other", "{}"}).executions.empty());
    const auto e = ev.executions[0];
    BOOST_TEST((r.m.execution(e)->cause == Cause::event));
    r.start(e);
    r.finish(e);
    BOOST_REQUIRE(r.m.active().size() == 1u);
    const Execution& next = r.m.active().begin()->second;
    BOOST_TEST(next.operation == "b");
    BOOST_TEST((next.cause == Cause::after_success));
    BOOST_TEST(next.input == execution_id_string(e));
    // Deleting an operation cancels its waiting runs and unsubscribes it.
    r.run(DeleteOperation{"b"});
    BOOST_TEST(r.m.active().empty());
    BOOST_TEST((r.run(DeleteOperation{"b"}).code == OpsResult::Code::not_found));
    const std::uint64_t first_definition = r.m.operation("a")->defined_index;
    r.run(DeleteOperation{"a"});
    BOOST_TEST(r.run(PublishEvent{"deploy", "{}"}).executions.empty());
    // Re-created: its version starts again, its definition's index does not.
    BOOST_TEST(r.run(PutOperation{op("a"), true}).version == 1u);
    BOOST_TEST(r.m.operation("a")->defined_index > first_definition);
}

BOOST_AUTO_TEST_CASE(history_pages_from_a_receipt_sequence_then_the_active_ones) {
    Replica r;
    r.run(PutOperation{op("a"), true});
    r.run(PutOperation{op("b"), true});
    for (int i = 0; i < 5; ++i) {
        const auto e = r.execute(i % 2 ? "b" : "a");
        r.start(e);
        r.finish(e);
    }
    const auto running = r.execute("a");
    r.start(running);
    // "a" finished receipts 1, 3 and 5; then one is running.
    auto page = r.m.history_from("a", 0, 2);
    BOOST_REQUIRE(page.size() == 2u);
    BOOST_TEST(page[0].receipt_sequence == 1u);
    BOOST_TEST(page[1].receipt_sequence == 3u);
    page = r.m.history_from("a", page.back().receipt_sequence + 1, 2);
    BOOST_REQUIRE(page.size() == 2u);
    BOOST_TEST(page[0].receipt_sequence == 5u);
    BOOST_TEST(page[1].id == running);  // the finished ones ran out: the active one
    BOOST_TEST(r.m.history_from("a", 6, 10).size() == 1u);
    BOOST_TEST(r.m.history_from("b", 0, 10).size() == 2u);
    BOOST_TEST(r.m.history_from("none", 0, 10).empty());
    // The hashes are the chain's, as the newest-first read computes them.
    BOOST_TEST(r.m.history_from("a", 0, 1)[0].receipt_hash == r.m.history("a", 4)[0].receipt_hash);
}

BOOST_AUTO_TEST_CASE(seals_are_checked_against_the_chain_and_the_chain_verifies) {
    Replica r;
    r.run(PutOperation{op("a"), true});
    for (int i = 0; i < 5; ++i) {
        const auto e = r.execute("a");
        r.start(e);
        r.finish(e);
    }
    BOOST_TEST((seal_all(r).code == OpsResult::Code::refused));  // no key registered
    r.run(RegisterKey{"n1", key().public_key()});
    // A root over other receipts, a forged signature, a range past the end: refused.
    auto leaves = r.m.unsealed(100);
    BOOST_REQUIRE(leaves.size() == 5u);
    auto wrong = leaves;
    wrong.pop_back();
    const Digest bad_root = raftor::crypto::merkle_root(wrong);
    BOOST_TEST((r.run(SealReceipts{1, 5, bad_root, "n1", key().sign(raftor::crypto::batch_message(bad_root))}).code ==
                OpsResult::Code::refused));
    const Digest root = raftor::crypto::merkle_root(leaves);
    auto other = raftor::crypto::SigningKey::generate();
    BOOST_TEST((r.run(SealReceipts{1, 5, root, "n1", other.sign(raftor::crypto::batch_message(root))}).code ==
                OpsResult::Code::refused));
    BOOST_TEST((r.run(SealReceipts{1, 6, root, "n1", key().sign(raftor::crypto::batch_message(root))}).code ==
                OpsResult::Code::refused));
    BOOST_TEST((r.run(SealReceipts{2, 4, root, "n1", key().sign(raftor::crypto::batch_message(root))}).code ==
                OpsResult::Code::refused));
    BOOST_TEST((seal_all(r).code == OpsResult::Code::ok));
    BOOST_TEST(r.m.sealed_through() == 5u);

    auto chain = r.m.receipts(0, 100);
    BOOST_REQUIRE(chain.size() == 5u);
    auto check = raftor::crypto::verify_chain(chain, keys(), raftor::crypto::ChainEnd{5, r.m.chain_head()});
    BOOST_TEST(check.ok, check.error);
    auto one = r.m.receipt_of(chain[2].sequence == 3 ? r.m.history("a", 10)[2].id : 0);
    BOOST_REQUIRE(one.has_value());
    BOOST_TEST(one->batch_index == 2u);
    BOOST_TEST(raftor::crypto::merkle_verify(raftor::crypto::receipt_hash(*one), 2, 5, one->proof, root));
    chain[3].status = "failed";
    check = raftor::crypto::verify_chain(chain, keys());
    BOOST_TEST(!check.ok);
    BOOST_TEST(check.bad_sequence == 4u);
}

BOOST_AUTO_TEST_CASE(retention_drops_whole_sealed_batches_and_the_rest_still_verifies) {
    OpsOptions o;
    o.history_max = 6;
    o.history_retention_ms = o.receipts_retention_ms = 60'000;
    Replica r(o);
    r.run(PutOperation{op("a"), true});
    r.run(RegisterKey{"n1", key().public_key()});
    sealed_batches(r, 4, 4);
    // 16 receipts in batches of 4; at most 6 kept, whole batches: 8 dropped... then 4.
    BOOST_TEST(r.m.history_size() <= 8u);
    BOOST_TEST(r.m.history_size() % 4 == 0u);
    BOOST_TEST(r.m.base_sequence() == 16 - r.m.history_size());
    auto chain = r.m.receipts(0, 100);
    auto check = raftor::crypto::verify_chain(chain, keys(), raftor::crypto::ChainEnd{16, r.m.chain_head()},
                                              r.m.base_sequence(), r.m.base_hash());
    BOOST_TEST(check.ok, check.error);
    BOOST_TEST(!r.m.execution(1).has_value());
    // Age: an hour later everything sealed goes; unsealed receipts stay until sealed.
    const auto e = r.execute("a");
    r.start(e);
    r.finish(e);
    r.now += 3'600'000;
    r.run(PublishEvent{"nothing", ""});
    BOOST_TEST(r.m.history_size() == 1u);
    BOOST_TEST(r.m.base_sequence() == 16u);
    // Past history.retentionMs it leaves the history routes; its receipt is still kept.
    BOOST_TEST(r.m.history("a", 100).empty());
    BOOST_TEST(r.m.receipt_of(e).has_value());
}

BOOST_AUTO_TEST_CASE(retention_drops_a_bounded_number_of_batches_per_command) {
    OpsOptions o;
    o.history_retention_ms = o.receipts_retention_ms = 60'000;
    o.prune_batches_max = 3;
    Replica r(o);
    r.run(PutOperation{op("a"), true});
    r.run(RegisterKey{"n1", key().public_key()});
    sealed_batches(r, 10, 2);
    BOOST_REQUIRE(r.m.history_size() == 20u);
    // An hour later all ten batches are too old: three go with each command.
    r.now += 3'600'000;
    for (std::uint64_t left : {14u, 8u, 2u, 0u}) {
        r.run(PublishEvent{"nothing", ""});
        BOOST_TEST(r.m.history_size() == left);
    }
    BOOST_TEST(r.m.base_sequence() == 20u);
}

BOOST_AUTO_TEST_CASE(a_snapshot_restores_the_same_state) {
    Replica r;
    auto s = op("a");
    s.schedule = "*/5 * * * * *";
    s.topics = {"t"};
    s.handler.kind = Handler::Kind::exec;
    s.handler.argv = {"/bin/echo", "hi"};
    s.handler.env = {{"A", "1"}};
    r.run(PutOperation{s, true});
    r.run(RegisterKey{"n1", key().public_key()});
    const auto a = r.execute("a");
    r.start(a);
    r.finish(a);
    seal_all(r);
    const auto b = r.execute("a");
    r.start(b);
    r.execute("a");
    KvStore kv;
    kv.apply(1, KvCommand{KvCommand::Op::put, {}, "k", "v", std::nullopt});
    const std::string bytes = encode_state(kv, r.m);

    KvStore kv2;
    OpsMachine m2;
    BOOST_REQUIRE(!restore_state(bytes, kv2, m2));
    BOOST_TEST(encode_state(kv2, m2) == bytes);
    BOOST_TEST(m2.running("a") == 1u);
    BOOST_TEST(m2.operation("a")->spec.handler.argv.size() == 2u);
    BOOST_TEST(m2.next_execution_id() == r.m.next_execution_id());
    // The restored machine goes on where the other did.
    const auto created = r.run(PublishEvent{"t", ""}).executions;
    OpsCommand c{{}, r.now, PublishEvent{"t", ""}};
    BOOST_TEST(m2.apply(r.index, r.term, c).executions == created);
    BOOST_TEST(encode_state(kv2, m2) == encode_state(kv, r.m));

    // Bad bytes: refused with a reason, the state untouched.
    std::string broken = bytes;
    broken.resize(broken.size() / 2 / 8 * 8);
    BOOST_TEST(restore_state(broken, kv2, m2).has_value());
    BOOST_TEST(kv2.get("k").has_value());
}

// A client retrying a request it got no answer for (X-Client-Id, X-Request-Seq) gets the
// first result back, and nothing is applied twice - also after a snapshot.
BOOST_AUTO_TEST_CASE(a_retried_request_is_answered_once_applied_once) {
    OpsOptions o;
    o.sessions_max = 3;
    Replica r(o);
    r.run(PutOperation{op("a"), true});
    const auto first = r.run(ExecuteOperation{"a", ""}, RequestId{7, 1});
    BOOST_REQUIRE(first.code == OpsResult::Code::ok);
    BOOST_TEST(!first.replayed);
    const auto again = r.run(ExecuteOperation{"a", ""}, RequestId{7, 1});
    BOOST_TEST(again.replayed);
    BOOST_TEST(again.executions == first.executions);
    BOOST_TEST(r.m.active().size() == 1u);
    // A create retried after it succeeded is not a conflict.
    const auto put = r.run(PutOperation{op("b"), true}, RequestId{7, 2});
    BOOST_TEST((r.run(PutOperation{op("b"), true}, RequestId{7, 2}).code == put.code));
    BOOST_TEST((r.run(PutOperation{op("b"), true}, RequestId{8, 1}).code == OpsResult::Code::exists));
    // An older request of the same client is refused, not applied.
    const auto old = r.run(ExecuteOperation{"a", ""}, RequestId{7, 1});
    BOOST_TEST((old.code == OpsResult::Code::duplicate));
    BOOST_TEST(old.detail.find("older than its last, 2") != std::string::npos, old.detail);
    BOOST_TEST(r.m.active().size() == 1u);
    // Without ids nothing is deduplicated.
    r.run(ExecuteOperation{"a", ""});
    r.run(ExecuteOperation{"a", ""});
    BOOST_TEST(r.m.active().size() == 3u);

    // The sessions survive a snapshot.
    KvStore kv;
    const std::string bytes = encode_state(kv, r.m);
    KvStore kv2;
    OpsMachine m2(o);
    BOOST_REQUIRE(!restore_state(bytes, kv2, m2));
    BOOST_TEST(encode_state(kv2, m2) == bytes);
    OpsCommand retry{RequestId{7, 2}, r.now, PutOperation{op("b"), true}};
    BOOST_TEST(m2.apply(r.index + 1, r.term, retry).replayed);

    // At most sessions_max clients are remembered; the one unused longest is forgotten.
    r.run(ExecuteOperation{"a", ""}, RequestId{9, 1});
    r.run(ExecuteOperation{"a", ""}, RequestId{10, 1});  // clients 8, 9, 10 remain; 7 is gone
    const auto forgotten = r.run(ExecuteOperation{"a", ""}, RequestId{7, 1});
    BOOST_TEST(!forgotten.replayed);
    BOOST_TEST((forgotten.code == OpsResult::Code::ok));
    BOOST_TEST(r.run(ExecuteOperation{"a", ""}, RequestId{9, 1}).replayed);
}

BOOST_AUTO_TEST_CASE(bad_command_bytes_are_refused_with_a_reason) {
    std::string error;
    BOOST_TEST(!decode_any_command("", error));
    BOOST_TEST(!error.empty());
    OpsCommand c{{}, 0, SealReceipts{}};
    std::string bytes = encode_ops_command(c);
    BOOST_TEST(decode_any_command(bytes, error).has_value());
    // A flipped byte anywhere: refused or decoded to some command, never a crash.
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::string b = bytes;
        b[i] = static_cast<char>(b[i] ^ 0x5a);
        error.clear();
        (void)decode_any_command(b, error);
    }
    // KV commands still decode through the same entry point.
    auto kv = decode_any_command(encode_command(KvCommand{KvCommand::Op::put, {}, "k", "v", std::nullopt}), error);
    BOOST_REQUIRE(kv.has_value());
    BOOST_TEST(std::get<KvCommand>(*kv).key == "k");
    BOOST_TEST(parse_execution_id("ex-42") == 42u);
    BOOST_TEST(parse_execution_id("42") == 42u);
    BOOST_TEST(parse_execution_id("ex-") == 0u);
    BOOST_TEST(parse_execution_id("ex-4x") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
