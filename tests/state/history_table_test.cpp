// The execution history in the state's tables: against the packed in-memory history as
// a model (what goes in comes out, hashes, indexes, figures, drops), across a reopen,
// and a damaged record named rather than read.
#include "runtime/state/history_table.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

#include "runtime/state/execution_history.hpp"

using namespace raftor::state;
using raftor::crypto::Digest;

namespace {

Execution final_execution(std::uint64_t id, const std::string& op, std::int64_t finished_ms, ExecStatus status) {
    Execution e;
    e.id = id;
    e.operation = op;
    e.operation_version = 2;
    e.status = status;
    e.attempt = 1;
    e.node = "node-" + std::to_string(id % 3);
    e.created_ms = finished_ms - 20;
    e.started_ms = finished_ms - 9;
    e.finished_ms = finished_ms;
    e.duration_ms = 9 + id % 400;
    e.exit_code = status == ExecStatus::success ? 0 : 2;
    e.output = "out " + std::to_string(id);
    e.output_hash = raftor::crypto::sha256(e.output);
    e.input_hash = input_hash_of(e.operation, e.operation_version, e.cause, e.slot_ms, e.input);
    return e;
}

// `e` as the next receipt of `chain`: its sequence and hash set.
Execution chained(Execution e, raftor::crypto::ReceiptChain& chain) {
    auto r = receipt_fields(e);
    chain.append(r);
    e.receipt_sequence = r.sequence;
    e.receipt_hash = chain.head();
    return e;
}

// The table and the model, fed alike.
struct Both {
    StateDb db;
    HistoryTable table{db};
    ExecutionHistory model;
    raftor::crypto::ReceiptChain chain;

    void push(Execution e) {
        e = chained(std::move(e), chain);
        model.push(e);
        table.push(e);
    }
};

void check_same(const Execution& a, const Execution& b) {
    BOOST_TEST(a.id == b.id);
    BOOST_TEST(a.operation == b.operation);
    BOOST_TEST((a.status == b.status));
    BOOST_TEST(a.node == b.node);
    BOOST_TEST(a.finished_ms == b.finished_ms);
    BOOST_TEST(a.duration_ms == b.duration_ms);
    BOOST_TEST(a.output == b.output);
    BOOST_TEST((a.output_hash == b.output_hash));
    BOOST_TEST((a.input_hash == b.input_hash));
    BOOST_TEST(a.receipt_sequence == b.receipt_sequence);
}

std::vector<std::uint64_t> forward(const HistoryTable& t, const std::string& op, std::uint64_t from = 0) {
    std::vector<std::uint64_t> out;
    t.sequences_of(op, from, false, [&](std::uint64_t s) {
        out.push_back(s);
        return true;
    });
    return out;
}

bool same_figures(const OpsFigures& a, const OpsFigures& b) {
    return a.by_status == b.by_status && a.buckets == b.buckets && a.duration_count == b.duration_count &&
           a.duration_sum_ms == b.duration_sum_ms;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(history_table)

BOOST_AUTO_TEST_CASE(it_holds_what_the_packed_history_holds_through_pushes_and_drops) {
    Both b;
    std::mt19937_64 rng(7);
    const std::vector<std::string> ops{"backup", "report", "sync", "cleanup", "rare"};
    std::int64_t now = 1'700'000'000'000;
    std::uint64_t id = 100, sealed = 0;
    for (int round = 0; round < 12; ++round) {
        b.db.begin();
        for (int i = 0; i < 250; ++i) {
            // Mostly forward in time, sometimes a step back (a leader's clock).
            now += static_cast<std::int64_t>(rng() % 50) - (rng() % 10 == 0 ? 400 : 0);
            const std::string& op = rng() % 50 == 0 ? ops[4] : ops[rng() % 4];
            const auto status = rng() % 4 == 0 ? ExecStatus::failed : ExecStatus::success;
            b.push(final_execution(id += 1 + rng() % 3, op, now, status));
        }
        // Sealed up to a point: the hashes after it are read from memory, before it from the rows.
        sealed = std::max(sealed, b.model.last_sequence() - rng() % 300);
        b.model.sealed_through(sealed);
        b.table.sealed_through(sealed);
        if (round % 3 == 2) {
            const std::uint64_t through = b.model.base_sequence() + 1 + rng() % (b.model.size() / 2);
            b.model.drop_through(through);
            b.table.drop_through(through);
        }
        b.db.commit(static_cast<std::uint64_t>(round + 1));

        BOOST_TEST_CONTEXT("round " << round) {
            BOOST_TEST(b.table.size() == b.model.size());
            BOOST_TEST(b.table.base_sequence() == b.model.base_sequence());
            BOOST_TEST(b.table.last_sequence() == b.model.last_sequence());
            BOOST_TEST((b.table.base_hash() == b.model.base_hash()));
            const std::uint64_t lo = b.model.base_sequence() + 1, hi = b.model.last_sequence();
            BOOST_TEST((b.table.hashes(lo, hi) == b.model.hashes(lo, hi)));
            if (sealed + 1 <= hi) BOOST_TEST((b.table.hashes(sealed + 1, hi) == b.model.hashes(sealed + 1, hi)));
            if (sealed >= lo) BOOST_TEST((b.table.hash(sealed) == b.model.hash(sealed)));
            for (std::uint64_t s = lo; s <= hi; s += 17) {
                const Execution t = b.table.at(s), m = b.model.at(s);
                check_same(t, m);
                BOOST_TEST((t.receipt_hash == b.model.hash(s)));
                BOOST_TEST(b.table.sequence_of(t.id) == s);
                BOOST_TEST(b.table.finished_ms(s) == b.model.finished_ms(s));
            }
            BOOST_TEST(b.table.sequence_of(1) == 0u);  // never held
            for (const auto& op : ops) {
                const auto* m = b.model.sequences_of(op);
                const std::vector<std::uint64_t> want =
                    m ? std::vector<std::uint64_t>(m->begin(), m->end()) : std::vector<std::uint64_t>{};
                BOOST_TEST(forward(b.table, op) == want);
                std::vector<std::uint64_t> back;
                b.table.sequences_of(op, UINT64_MAX, true, [&](std::uint64_t s) {
                    back.push_back(s);
                    return true;
                });
                BOOST_TEST(std::vector<std::uint64_t>(back.rbegin(), back.rend()) == want);
            }
            for (std::int64_t since : {now - 100'000, now - 5'000, now - 500, now + 1})
                BOOST_TEST(same_figures(b.table.figures_since(since), b.model.figures_since(since)));
        }
    }
    // Dropped executions are gone from every index.
    BOOST_REQUIRE(b.model.base_sequence() > 0u);
    BOOST_TEST(forward(b.table, "backup", 0).front() > b.model.base_sequence());
}

BOOST_AUTO_TEST_CASE(newest_first_finds_a_rare_operation_and_stops_when_told) {
    StateDb db;
    HistoryTable t(db);
    raftor::crypto::ReceiptChain chain;
    db.begin();
    std::vector<std::uint64_t> rare;
    for (std::uint64_t i = 1; i <= 20'000; ++i) {
        const Execution e = chained(final_execution(i, i % 4'999 == 0 ? "rare" : "busy",
                                                    1'000 + static_cast<std::int64_t>(i), ExecStatus::success),
                                    chain);
        t.push(e);
        if (e.operation == "rare") rare.push_back(e.receipt_sequence);
    }
    db.commit(1);
    std::vector<std::uint64_t> got;
    t.sequences_of("rare", t.last_sequence(), true, [&](std::uint64_t s) {
        got.push_back(s);
        return got.size() < 3;
    });
    BOOST_TEST(got == (std::vector<std::uint64_t>{rare[3], rare[2], rare[1]}));
    // From a cursor, forward: the ones after it.
    BOOST_TEST(forward(t, "rare", rare[1] + 1) == (std::vector<std::uint64_t>{rare[2], rare[3]}));
    BOOST_TEST(forward(t, "rar").empty());  // a prefix of another's name is not it
}

BOOST_AUTO_TEST_CASE(a_reopened_table_reads_where_the_history_stands_and_a_damaged_record_is_named) {
    StateDb db;
    raftor::crypto::ReceiptChain chain;
    Digest base{};
    {
        HistoryTable t(db);
        db.begin();
        for (std::uint64_t i = 1; i <= 40; ++i) {
            const Execution e =
                chained(final_execution(i, "op", 5'000 + static_cast<std::int64_t>(i), ExecStatus::success), chain);
            if (i == 10) base = e.receipt_hash;
            t.push(e);
        }
        t.drop_through(10);
        db.commit(1);
    }
    HistoryTable again(db);
    BOOST_TEST(again.base_sequence() == 10u);
    BOOST_TEST(again.last_sequence() == 40u);
    BOOST_TEST((again.base_hash() == base));
    BOOST_TEST((again.hash(40) == chain.head()));

    db.begin();
    db.put(tables::history, encode_be64(25), "not an execution");
    db.commit(2);
    BOOST_CHECK_EXCEPTION(again.at(25), StateDbError, [](const StateDbError& e) {
        return std::string(e.what()).find("receipt 25") != std::string::npos;
    });
    BOOST_CHECK_EXCEPTION(again.hashes(20, 30), StateDbError, [](const StateDbError& e) {
        return std::string(e.what()).find("receipt 25") != std::string::npos;
    });
    BOOST_TEST(again.at(26).id == 26u);
}

BOOST_AUTO_TEST_SUITE_END()
