// The packed history of final executions: what goes in comes out field for field, the
// receipt hashes it recomputes are the chain's, and its id index holds under churn.
#include "runtime/state/execution_history.hpp"

#include <capnp/message.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>

#include "runtime/state/ops_snapshot.hpp"

using namespace raftor::state;
using raftor::crypto::Digest;

namespace {

// A final execution as the state machine makes one, with consistent hashes.
Execution final_execution(std::uint64_t id, const std::string& op, ExecStatus status = ExecStatus::success) {
    Execution e;
    e.id = id;
    e.operation = op;
    e.operation_version = 3;
    e.cause = Cause::manual;
    e.status = status;
    e.attempt = 1;
    e.node = "node-" + std::to_string(id % 3);
    e.created_ms = 1'700'000'000'000 + static_cast<std::int64_t>(id) * 10;
    e.started_ms = e.created_ms + 2;
    e.finished_ms = e.started_ms + 7;
    e.duration_ms = 7;
    e.exit_code = status == ExecStatus::success ? 0 : 3;
    e.output = "out " + std::to_string(id) + "\n";
    e.output_hash = raftor::crypto::sha256(e.output);
    e.input_hash = input_hash_of(e.operation, e.operation_version, e.cause, e.slot_ms, e.input);
    return e;
}

struct Chain {
    ExecutionHistory h;
    raftor::crypto::ReceiptChain chain;
    std::vector<Digest> hashes{Digest{}};  // hashes[s]: receipt s's; [0] the base
    std::vector<Execution> kept{Execution{}};

    void push(Execution e) {
        auto r = receipt_fields(e);
        chain.append(r);
        e.receipt_sequence = r.sequence;
        e.receipt_hash = chain.head();
        h.push(e);
        hashes.push_back(e.receipt_hash);
        kept.push_back(e);
    }
};

void check_same(const Execution& a, const Execution& b) {
    BOOST_TEST(a.id == b.id);
    BOOST_TEST(a.operation == b.operation);
    BOOST_TEST(a.operation_version == b.operation_version);
    BOOST_TEST((a.cause == b.cause));
    BOOST_TEST((a.status == b.status));
    BOOST_TEST(a.attempt == b.attempt);
    BOOST_TEST(a.node == b.node);
    BOOST_TEST(a.created_ms == b.created_ms);
    BOOST_TEST(a.started_ms == b.started_ms);
    BOOST_TEST(a.finished_ms == b.finished_ms);
    BOOST_TEST(a.slot_ms == b.slot_ms);
    BOOST_TEST(a.duration_ms == b.duration_ms);
    BOOST_TEST(a.exit_code == b.exit_code);
    BOOST_TEST(a.input == b.input);
    BOOST_TEST((a.input_hash == b.input_hash));
    BOOST_TEST((a.output_hash == b.output_hash));
    BOOST_TEST(a.output == b.output);
    BOOST_TEST(a.detail == b.detail);
    BOOST_TEST(a.receipt_sequence == b.receipt_sequence);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops_machine)

BOOST_AUTO_TEST_CASE(history_gives_back_every_field_of_every_kind_of_execution) {
    Chain c;
    c.push(final_execution(1, "plain"));
    // Never started: no start time, a detail.
    Execution cancelled = final_execution(2, "plain", ExecStatus::cancelled);
    cancelled.started_ms = 0;
    cancelled.duration_ms = 0;
    cancelled.output.clear();
    cancelled.output_hash = raftor::crypto::sha256("");
    cancelled.detail = "replaced by ex-9";
    c.push(cancelled);
    // Triggered: a short input, kept and hashed again.
    Execution triggered = final_execution(3, "after");
    triggered.cause = Cause::after_success;
    triggered.input = "ex-1";
    triggered.input_hash = input_hash_of("after", 3, Cause::after_success, 0, "ex-1");
    c.push(triggered);
    // An output cut at its cap: the hash of all of it is kept, not recomputed.
    Execution cut = final_execution(4, "loud");
    cut.output_hash = raftor::crypto::sha256(cut.output + "and much more");
    c.push(cut);
    // An input hash that does not recompute (a long input dropped; an old snapshot).
    Execution hashed = final_execution(5, "event");
    hashed.cause = Cause::event;
    hashed.input_hash = raftor::crypto::sha256("a long event body");
    c.push(hashed);
    // A scheduled fire, an exit code, a second try.
    Execution fired = final_execution(6, "cron", ExecStatus::failed);
    fired.cause = Cause::schedule;
    fired.slot_ms = fired.created_ms - 3;
    fired.attempt = 2;
    fired.exit_code = -9;
    fired.input_hash = input_hash_of("cron", 3, Cause::schedule, fired.slot_ms, "");
    c.push(fired);
    // Numbers past the packed form: kept whole.
    Execution slow = final_execution(7, "slow");
    slow.finished_ms = slow.created_ms + 40LL * 24 * 3'600'000;
    slow.duration_ms = 40ULL * 24 * 3'600'000;
    c.push(slow);
    Execution negative = final_execution(8, "slow");
    negative.created_ms = -5;  // a clock before 1970
    negative.started_ms = 1;
    negative.finished_ms = 8;
    c.push(negative);

    BOOST_TEST(c.h.size() == 8u);
    BOOST_TEST(c.h.whole_count() == 1u);  // only the 40-day one
    for (std::uint64_t s = 1; s <= 8; ++s) {
        BOOST_TEST_CONTEXT("receipt " << s) {
            check_same(c.h.at(s), c.kept[s]);
            BOOST_TEST((c.h.hash(s) == c.hashes[s]));
            BOOST_TEST(c.h.sequence_of(c.kept[s].id) == s);
        }
    }
    BOOST_TEST(c.h.sequence_of(99) == 0u);
    BOOST_REQUIRE(c.h.sequences_of("slow") != nullptr);
    BOOST_TEST(c.h.sequences_of("slow")->size() == 2u);
    BOOST_TEST(c.h.finished_ms(7) == slow.finished_ms);
}

BOOST_AUTO_TEST_CASE(history_recomputes_receipt_hashes_across_checkpoints_seals_and_drops) {
    Chain c;
    for (std::uint64_t id = 1; id <= 100; ++id) c.push(final_execution(id, "op-" + std::to_string(id % 7)));
    c.h.sealed_through(60);  // hashes through 60 are no longer kept but recomputed
    for (std::uint64_t s = 0; s <= 100; ++s) BOOST_TEST((c.h.hash(s) == c.hashes[s]), "receipt " << s);
    auto range = c.h.hashes(17, 83);
    BOOST_REQUIRE(range.size() == 67u);
    for (std::uint64_t s = 17; s <= 83; ++s) BOOST_TEST((range[s - 17] == c.hashes[s]));
    // Each execution with its hash, across the sealed and unsealed parts, as a snapshot reads them.
    std::uint64_t next = 17;
    c.h.each_with_hash(17, 83, [&](const Execution& e) {
        BOOST_TEST((e.receipt_hash == c.hashes[next]), "receipt " << next);
        check_same(e, c.kept[next]);
        ++next;
    });
    BOOST_TEST(next == 84u);
    // Walking on from a hash already known gives the same.
    const std::pair<std::uint64_t, Digest> known{50, c.hashes[50]};
    BOOST_TEST((c.h.hash(59, &known) == c.hashes[59]));

    c.h.drop_through(41);
    BOOST_TEST(c.h.base_sequence() == 41u);
    BOOST_TEST((c.h.base_hash() == c.hashes[41]));
    BOOST_TEST(c.h.size() == 59u);
    for (std::uint64_t s = 41; s <= 100; ++s) BOOST_TEST((c.h.hash(s) == c.hashes[s]), "receipt " << s);
    for (std::uint64_t id = 1; id <= 41; ++id) BOOST_TEST(c.h.sequence_of(id) == 0u);
    for (std::uint64_t s = 42; s <= 100; ++s) check_same(c.h.at(s), c.kept[s]);
    // Each operation's sequences start after the drop, in chain order.
    for (int k = 0; k < 7; ++k) {
        const auto* seqs = c.h.sequences_of("op-" + std::to_string(k));
        BOOST_REQUIRE(seqs != nullptr);
        BOOST_TEST(seqs->front() > 41u);
        BOOST_TEST(std::is_sorted(seqs->begin(), seqs->end()));
    }
    // Dropping into the unsealed tail is allowed and keeps it right.
    c.h.drop_through(70);
    for (std::uint64_t s = 70; s <= 100; ++s) BOOST_TEST((c.h.hash(s) == c.hashes[s]), "receipt " << s);
    c.h.drop_through(100);
    BOOST_TEST(c.h.empty());
    BOOST_TEST((c.h.base_hash() == c.hashes[100]));
    BOOST_TEST(c.h.sequences_of("op-1") == nullptr);
    c.push(final_execution(101, "op-1"));
    BOOST_TEST((c.h.hash(101) == c.hashes[101]));
    BOOST_TEST(c.h.sequences_of("op-1")->size() == 1u);
    BOOST_TEST(c.h.text_bytes() == c.kept[101].output.size());
}

BOOST_AUTO_TEST_CASE(history_id_index_holds_under_random_churn) {
    // Ids out of order (retries finish late), batches dropped from the front, against a map.
    std::mt19937_64 rng(7);
    Chain c;
    std::map<std::uint64_t, std::uint64_t> model;  // id -> sequence
    std::uint64_t next_id = 1;
    std::vector<std::uint64_t> late;
    for (int round = 0; round < 60; ++round) {
        const int n = 1 + static_cast<int>(rng() % 200);
        for (int i = 0; i < n; ++i) {
            std::uint64_t id;
            if (!late.empty() && rng() % 4 == 0) {
                id = late.back();
                late.pop_back();
            } else {
                id = next_id++;
                if (rng() % 5 == 0) {
                    late.push_back(id);
                    continue;
                }
            }
            c.push(final_execution(id, "op-" + std::to_string(rng() % 50)));
            model[id] = c.h.last_sequence();
        }
        if (rng() % 2 == 0 && c.h.size() > 10) {
            const std::uint64_t to = c.h.base_sequence() + 1 + rng() % (c.h.size() - 1);
            for (auto it = model.begin(); it != model.end();) it = it->second <= to ? model.erase(it) : std::next(it);
            c.h.drop_through(to);
        }
        for (std::uint64_t id = 1; id < next_id; ++id) {
            auto it = model.find(id);
            BOOST_TEST(c.h.sequence_of(id) == (it == model.end() ? 0u : it->second), "id " << id);
        }
    }
    BOOST_TEST(c.h.size() == model.size());
}

BOOST_AUTO_TEST_CASE(a_snapshot_with_a_changed_history_field_is_refused_by_its_receipt_hashes) {
    OpsMachine m;
    OperationSpec s;
    s.id = "a";
    s.name = "a";
    s.handler.kind = Handler::Kind::noop;
    std::uint64_t index = 0;
    auto run = [&](OpsBody b) { return m.apply(++index, 1, OpsCommand{{}, 1'000'000, std::move(b)}); };
    run(PutOperation{s, true});
    for (int i = 0; i < 3; ++i) {
        const auto id = run(ExecuteOperation{"a", ""}).executions.at(0);
        run(StartBatch{{StartExecution{id, 1, "n1", 1'000'000}}});
        run(FinishBatch{
            {FinishExecution{id, 1, ExecStatus::success, 0, 1'000'005, 5, "fine", raftor::crypto::sha256("fine")}}});
    }
    capnp::MallocMessageBuilder mb;
    auto snap = mb.initRoot<raftor::schema::OperationsSnapshot>();
    OpsSnapshotCodec::save(m, snap);
    {
        OpsMachine copy;
        BOOST_TEST(!OpsSnapshotCodec::load(copy, snap.asReader()).has_value());
        BOOST_TEST(copy.history_size() == 3u);
        BOOST_TEST(copy.figures().of(ExecStatus::success) == 3u);
        BOOST_TEST(copy.figures().duration_sum_ms == 15u);
        BOOST_TEST((copy.chain_head() == m.chain_head()));
        BOOST_TEST(copy.execution(2)->output == "fine");
        BOOST_TEST((copy.execution(2)->receipt_hash == m.execution(2)->receipt_hash));
    }
    // One finish time changed: the receipt no longer hashes to what the next one links to.
    auto second = snap.getHistory()[1];
    second.setFinishedAtMs(second.getFinishedAtMs() + 1);
    OpsMachine copy;
    auto error = OpsSnapshotCodec::load(copy, snap.asReader());
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(error->find("history execution 2") != std::string::npos, *error);
    BOOST_TEST(error->find("receipt hash") != std::string::npos, *error);
    BOOST_TEST(copy.history_size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
