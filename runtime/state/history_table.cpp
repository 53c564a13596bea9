#include "runtime/state/history_table.hpp"

#include "runtime/raft/assert.hpp"

namespace raftor::state {

namespace {

constexpr std::string_view meta_key = "meta";

std::string seq_key(std::uint64_t sequence) {
    return encode_be64(sequence);
}
std::string op_key(const std::string& operation, std::uint64_t sequence) {
    std::string k = operation;
    k.push_back('\0');  // operation ids hold no NUL: one operation's keys never run into another's
    append_be64(k, sequence);
    return k;
}
// Signed times sort as unsigned numbers once the sign bit is flipped.
std::string finish_key(std::int64_t finished_ms, std::uint64_t sequence) {
    std::string k = encode_be64(static_cast<std::uint64_t>(finished_ms) ^ (std::uint64_t{1} << 63));
    append_be64(k, sequence);
    return k;
}

// Records are ours: one that does not decode is a damaged store, not input.
StateDbError damaged(const std::string& what) {
    return StateDbError("the execution history: " + what);
}

}  // namespace

HistoryTable::HistoryTable(StateDb& db) : db_(&db) {
    auto row = db_->get(tables::history_meta, meta_key);
    if (!row) return;
    const auto base = decode_be64(*row, 0), last = decode_be64(*row, 8);
    if (!base || !last || row->size() != 16 + base_hash_.size() || *last < *base)
        throw damaged("its figures are " + std::to_string(row->size()) + " bytes, not " +
                      std::to_string(16 + base_hash_.size()));
    base_ = *base;
    last_ = *last;
    std::copy(row->begin() + 16, row->end(), base_hash_.begin());
    tail_from_ = last_;
}

void HistoryTable::write_meta() {
    std::string row = encode_be64(base_);
    append_be64(row, last_);
    row.append(crypto::view(base_hash_));
    db_->put(tables::history_meta, meta_key, row);
}

void HistoryTable::push(const Execution& e) {
    RAFT_ASSERT(e.receipt_sequence == last_ + 1, "history holds the chain in order");
    RAFT_ASSERT(is_final(e.status), "history holds final executions");
    RAFT_ASSERT(sequence_of(e.id) == 0, "an execution has one receipt");
    const std::uint64_t s = e.receipt_sequence;
    db_->put(tables::history, seq_key(s), encode_execution(e));
    db_->put(tables::history_by_id, encode_be64(e.id), seq_key(s));
    db_->put(tables::history_by_op, op_key(e.operation, s), {});
    db_->put(tables::history_by_finish, finish_key(e.finished_ms, s), {});
    last_ = s;
    tail_.push_back(e.receipt_hash);
    write_meta();
}

void HistoryTable::sealed_through(std::uint64_t sequence) {
    while (tail_from_ < sequence && !tail_.empty()) {
        tail_.pop_front();
        ++tail_from_;
    }
}

void HistoryTable::drop_through(std::uint64_t sequence) {
    if (sequence <= base_) return;
    RAFT_ASSERT(sequence <= last_, "dropped executions are held");
    const crypto::Digest new_base = hash(sequence);
    for (std::uint64_t s = base_ + 1; s <= sequence; ++s) {
        const Execution e = at(s);
        db_->del(tables::history, seq_key(s));
        db_->del(tables::history_by_id, encode_be64(e.id));
        db_->del(tables::history_by_op, op_key(e.operation, s));
        db_->del(tables::history_by_finish, finish_key(e.finished_ms, s));
    }
    base_ = sequence;
    base_hash_ = new_base;
    sealed_through(sequence);
    write_meta();
}

void HistoryTable::reset(std::uint64_t base_sequence, const crypto::Digest& base_hash) {
    for (auto t : {tables::history, tables::history_by_id, tables::history_by_op, tables::history_by_finish})
        db_->clear_table(t);
    base_ = last_ = tail_from_ = base_sequence;
    base_hash_ = base_hash;
    tail_.clear();
    write_meta();
}

Execution HistoryTable::at(std::uint64_t sequence) const {
    RAFT_ASSERT(holds(sequence), "an execution asked for is held");
    auto row = db_->get(tables::history, seq_key(sequence));
    if (!row) throw damaged("receipt " + std::to_string(sequence) + " is missing");
    std::string error;
    auto e = decode_execution(*row, error);
    if (!e) throw damaged("receipt " + std::to_string(sequence) + ": " + error);
    if (e->receipt_sequence != sequence)
        throw damaged("receipt " + std::to_string(sequence) + " holds receipt " + std::to_string(e->receipt_sequence));
    return std::move(*e);
}

std::uint64_t HistoryTable::sequence_of(std::uint64_t id) const {
    auto row = db_->get(tables::history_by_id, encode_be64(id));
    if (!row) return 0;
    auto s = decode_be64(*row);
    if (!s || row->size() != 8) throw damaged("the index of execution " + std::to_string(id) + " is not 8 bytes");
    return *s;
}

crypto::Digest HistoryTable::hash(std::uint64_t sequence) const {
    RAFT_ASSERT(sequence >= base_ && sequence <= last_, "a receipt hash asked for is held");
    if (sequence == base_) return base_hash_;
    if (sequence > tail_from_) return tail_[sequence - tail_from_ - 1];
    return at(sequence).receipt_hash;
}

std::vector<crypto::Digest> HistoryTable::hashes(std::uint64_t from, std::uint64_t to) const {
    std::vector<crypto::Digest> out;
    if (from > tail_from_ && from <= to) {
        RAFT_ASSERT(to <= last_, "hashes asked for are held");
        return {tail_.begin() + static_cast<std::ptrdiff_t>(from - tail_from_ - 1),
                tail_.begin() + static_cast<std::ptrdiff_t>(to - tail_from_)};
    }
    each(from, to, [&](const Execution& e) { out.push_back(e.receipt_hash); });
    return out;
}

void HistoryTable::each(std::uint64_t from, std::uint64_t to, const std::function<void(const Execution&)>& f) const {
    if (from > to) return;
    RAFT_ASSERT(holds(from) && holds(to), "executions asked for are held");
    std::uint64_t expect = from;
    std::string error;
    db_->scan(tables::history, seq_key(from), seq_key(to + 1), [&](std::string_view k, std::string_view row) {
        auto e = decode_execution(row, error);
        if (!e || decode_be64(k) != expect || e->receipt_sequence != expect)
            throw damaged("receipt " + std::to_string(expect) + (e ? " is out of place" : ": " + error));
        f(*e);
        ++expect;
        return true;
    });
    if (expect != to + 1) throw damaged("receipt " + std::to_string(expect) + " is missing");
}

void HistoryTable::sequences_of(const std::string& operation, std::uint64_t from, bool newest_first,
                                const std::function<bool(std::uint64_t)>& f) const {
    const auto seq_of = [&](std::string_view k) {
        auto s = decode_be64(k, operation.size() + 1);
        if (!s || k.size() != operation.size() + 9) throw damaged("an index key of operation " + operation);
        return *s;
    };
    if (!newest_first) {
        db_->scan(tables::history_by_op, op_key(operation, from), op_key(operation, UINT64_MAX),
                  [&](std::string_view k, std::string_view) { return f(seq_of(k)); });
        return;
    }
    // Scans run forward: newest first walks back a span of sequences at a time, the span
    // doubling while it finds fewer than a page (an operation that runs rarely).
    constexpr std::size_t page = 64;
    std::uint64_t span = page;
    std::uint64_t below = from == UINT64_MAX ? UINT64_MAX : from + 1;  // excluded
    for (;;) {
        std::vector<std::uint64_t> seqs;
        const std::uint64_t lo = below > span ? below - span : 0;
        db_->scan(tables::history_by_op, op_key(operation, lo), op_key(operation, below),
                  [&](std::string_view k, std::string_view) {
                      seqs.push_back(seq_of(k));
                      return true;
                  });
        for (auto it = seqs.rbegin(); it != seqs.rend(); ++it)
            if (!f(*it)) return;
        if (lo <= base_) return;
        below = lo;
        if (seqs.size() < page && span < (std::uint64_t{1} << 62)) span *= 2;
    }
}

OpsFigures HistoryTable::figures_since(std::int64_t since_ms) const {
    OpsFigures f;
    std::vector<std::uint64_t> seqs;
    db_->scan(tables::history_by_finish, finish_key(since_ms, 0), {}, [&](std::string_view k, std::string_view) {
        auto s = decode_be64(k, 8);
        if (!s || k.size() != 16) throw damaged("a finish-time index key is not 16 bytes");
        seqs.push_back(*s);
        return true;
    });
    for (std::uint64_t s : seqs) f.add(at(s));
    return f;
}

}  // namespace raftor::state
