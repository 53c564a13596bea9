#include "runtime/state/execution_history.hpp"

#include <algorithm>
#include <climits>
#include <limits>

#include "runtime/raft/assert.hpp"

namespace raftor::state {

namespace {

constexpr std::size_t no_slot = std::numeric_limits<std::size_t>::max();
constexpr std::uint16_t no_node = UINT16_MAX;

// An absolute time as an offset from `base`; none for 0; false when it does not fit.
bool offset_of(std::int64_t v, std::int64_t base, std::int32_t none, std::int32_t& out) {
    if (v == 0) {
        out = none;
        return true;
    }
    if ((base > 0 && v < INT64_MIN + base) || (base < 0 && v > INT64_MAX + base)) return false;
    const std::int64_t d = v - base;
    if (d <= none || d > INT32_MAX) return false;
    out = static_cast<std::int32_t>(d);
    return true;
}

std::int64_t time_of(std::int32_t offset, std::int64_t base, std::int32_t none) {
    return offset == none ? 0 : base + offset;
}

std::size_t mix(std::uint64_t id) {
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdull;
    id ^= id >> 33;
    return static_cast<std::size_t>(id);
}

}  // namespace

ExecutionHistory::ExecutionHistory(std::uint64_t base_sequence, const crypto::Digest& base_hash)
    : base_sequence_(base_sequence), base_hash_(base_hash), tail_from_(base_sequence) {}

std::uint32_t ExecutionHistory::intern_operation(const std::string& name) {
    if (auto it = operation_index_.find(name); it != operation_index_.end()) return it->second;
    std::uint32_t slot;
    if (!free_operations_.empty()) {
        slot = free_operations_.back();
        free_operations_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(operations_.size());
        operations_.emplace_back();
    }
    operations_[slot].name = name;
    operation_index_.emplace(name, slot);
    return slot;
}

std::uint16_t ExecutionHistory::intern_node(const std::string& name) {
    if (auto it = node_index_.find(name); it != node_index_.end()) return it->second;
    // Nodes are the members a cluster ever had: a handful. Past the packed range an
    // execution is kept whole.
    if (nodes_.size() >= no_node) return no_node;
    const auto slot = static_cast<std::uint16_t>(nodes_.size());
    nodes_.push_back(name);
    node_index_.emplace(name, slot);
    return slot;
}

std::optional<ExecutionHistory::Packed> ExecutionHistory::pack(const Execution& e, std::uint32_t operation,
                                                               std::uint16_t node) const {
    Packed p;
    p.id = e.id;
    p.created_ms = e.created_ms;
    p.operation = operation;
    p.node = node;
    p.cause = static_cast<std::uint8_t>(e.cause);
    p.status = static_cast<std::uint8_t>(e.status);
    p.exit_code = e.exit_code;
    if (node == no_node || e.operation_version > UINT32_MAX || e.duration_ms > UINT32_MAX || e.attempt > UINT16_MAX ||
        e.output.size() > UINT32_MAX || e.detail.size() > UINT16_MAX || e.retry_at_ms != 0 || e.start_term != 0 ||
        e.replay_of != 0)  // rare: a replay's link is kept whole rather than in every record
        return std::nullopt;
    if (!offset_of(e.started_ms, e.created_ms, none, p.started) ||
        !offset_of(e.finished_ms, e.created_ms, none, p.finished) || !offset_of(e.slot_ms, e.created_ms, none, p.slot))
        return std::nullopt;
    p.version = static_cast<std::uint32_t>(e.operation_version);
    p.duration_ms = static_cast<std::uint32_t>(e.duration_ms);
    p.attempt = static_cast<std::uint16_t>(e.attempt);
    p.output_len = static_cast<std::uint32_t>(e.output.size());
    p.detail_len = static_cast<std::uint16_t>(e.detail.size());
    if (input_hash_of(e.operation, e.operation_version, e.cause, e.slot_ms, e.input) == e.input_hash &&
        e.input.size() <= final_input_max) {
        p.input_len = static_cast<std::uint16_t>(e.input.size());
    } else if (e.input.empty()) {
        p.flags |= input_hash_kept;
        p.input_len = static_cast<std::uint16_t>(sizeof(crypto::Digest));
    } else {
        return std::nullopt;  // an input that does not hash to its hash is kept as it is
    }
    if (crypto::sha256(e.output) != e.output_hash) p.flags |= output_hash_kept;
    return p;
}

void ExecutionHistory::push(const Execution& e) {
    const std::uint64_t sequence = last_sequence() + 1;
    RAFT_ASSERT(e.receipt_sequence == sequence, "history holds the chain in order");
    RAFT_ASSERT(is_final(e.status), "history holds final executions");
    RAFT_ASSERT(sequence_of(e.id) == 0, "an execution has one receipt");
    const std::uint32_t operation = intern_operation(e.operation);
    auto packed = pack(e, operation, intern_node(e.node));
    const std::uint64_t at = text_base_ + text_.size();
    if (!packed) {
        Packed w;
        w.id = e.id;
        w.operation = operation;
        w.text_at = at;
        w.flags = whole;
        Execution copy = e;
        copy.receipt_hash = {};
        whole_.emplace(e.id, std::move(copy));
        records_.push_back(w);
    } else {
        Packed& p = *packed;
        p.text_at = at;
        auto put = [&](const void* data, std::size_t n) {
            const char* c = static_cast<const char*>(data);
            text_.insert(text_.end(), c, c + n);
        };
        if (p.flags & input_hash_kept)
            put(e.input_hash.data(), e.input_hash.size());
        else
            put(e.input.data(), e.input.size());
        if (p.flags & output_hash_kept) put(e.output_hash.data(), e.output_hash.size());
        put(e.output.data(), e.output.size());
        put(e.detail.data(), e.detail.size());
        records_.push_back(p);
    }
    operations_[operation].sequences.push_back(sequence);
    index_insert(e.id, sequence);
    if (sequence % checkpoint_every == 0) {
        if (checkpoints_.empty()) first_checkpoint_ = sequence / checkpoint_every;
        checkpoints_.push_back(e.receipt_hash);
    }
    tail_.push_back(e.receipt_hash);
}

void ExecutionHistory::sealed_through(std::uint64_t sequence) {
    RAFT_ASSERT(sequence <= last_sequence(), "sealed receipts exist");
    trim_tail(sequence);
}

void ExecutionHistory::trim_tail(std::uint64_t through) {
    while (tail_from_ < through && !tail_.empty()) {
        tail_from_hash_ = tail_.front();
        tail_.pop_front();
        ++tail_from_;
    }
    if (tail_from_ < through) {
        tail_from_ = through;
        tail_from_hash_.reset();
    }
}

void ExecutionHistory::drop_through(std::uint64_t sequence) {
    if (sequence <= base_sequence_) return;
    RAFT_ASSERT(sequence <= last_sequence(), "dropped executions are held");
    const crypto::Digest new_base = hash(sequence);
    for (std::uint64_t s = base_sequence_ + 1; s <= sequence; ++s) index_erase(record(s).id);
    for (std::uint64_t s = base_sequence_ + 1; s <= sequence; ++s) {
        const Packed& p = records_.front();
        RAFT_ASSERT(p.text_at == text_base_, "an execution's bytes start where the last one's ended");
        std::size_t bytes = 0;
        if (p.flags & whole) {
            whole_.erase(p.id);
        } else {
            bytes = p.input_len + p.output_len + p.detail_len;
            if (p.flags & output_hash_kept) bytes += sizeof(crypto::Digest);
        }
        text_.erase(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(bytes));
        text_base_ += bytes;
        OperationSlot& op = operations_[p.operation];
        RAFT_ASSERT(!op.sequences.empty() && op.sequences.front() == s, "an operation's history is in chain order");
        op.sequences.pop_front();
        if (op.sequences.empty()) {
            operation_index_.erase(op.name);
            op.name.clear();
            op.name.shrink_to_fit();
            op.sequences = {};
            free_operations_.push_back(p.operation);
        }
        records_.pop_front();
    }
    base_sequence_ = sequence;
    base_hash_ = new_base;
    while (!checkpoints_.empty() && first_checkpoint_ * checkpoint_every <= base_sequence_) {
        checkpoints_.pop_front();
        ++first_checkpoint_;
    }
    trim_tail(base_sequence_);
}

std::string ExecutionHistory::text(std::uint64_t at, std::size_t len) const {
    const auto from = text_.begin() + static_cast<std::ptrdiff_t>(at - text_base_);
    return std::string(from, from + static_cast<std::ptrdiff_t>(len));
}

Execution ExecutionHistory::at(std::uint64_t sequence) const {
    RAFT_ASSERT(holds(sequence), "an execution read is held");
    const Packed& p = record(sequence);
    if (p.flags & whole) return whole_.at(p.id);
    Execution e;
    e.id = p.id;
    e.operation = operations_[p.operation].name;
    e.operation_version = p.version;
    e.cause = static_cast<Cause>(p.cause);
    e.status = static_cast<ExecStatus>(p.status);
    e.attempt = p.attempt;
    e.node = nodes_[p.node];
    e.created_ms = p.created_ms;
    e.started_ms = time_of(p.started, p.created_ms, none);
    e.finished_ms = time_of(p.finished, p.created_ms, none);
    e.slot_ms = time_of(p.slot, p.created_ms, none);
    e.duration_ms = p.duration_ms;
    e.exit_code = p.exit_code;
    std::uint64_t at = p.text_at;
    auto digest = [&](crypto::Digest& d) {
        const auto from = text_.begin() + static_cast<std::ptrdiff_t>(at - text_base_);
        std::copy(from, from + static_cast<std::ptrdiff_t>(d.size()), d.begin());
        at += d.size();
    };
    if (p.flags & input_hash_kept) {
        digest(e.input_hash);
    } else {
        e.input = text(at, p.input_len);
        at += p.input_len;
        e.input_hash = input_hash_of(e.operation, e.operation_version, e.cause, e.slot_ms, e.input);
    }
    if (p.flags & output_hash_kept) digest(e.output_hash);
    e.output = text(at, p.output_len);
    at += p.output_len;
    if (!(p.flags & output_hash_kept)) e.output_hash = crypto::sha256(e.output);
    e.detail = text(at, p.detail_len);
    e.receipt_sequence = sequence;
    return e;
}

std::int64_t ExecutionHistory::finished_ms(std::uint64_t sequence) const {
    const Packed& p = record(sequence);
    if (p.flags & whole) return whole_.at(p.id).finished_ms;
    return time_of(p.finished, p.created_ms, none);
}

OpsFigures ExecutionHistory::figures_since(std::int64_t since_ms) const {
    OpsFigures f;
    for (const Packed& p : records_) {
        if (p.flags & whole) {
            const Execution& e = whole_.at(p.id);
            if (e.finished_ms >= since_ms) f.add(e);
            continue;
        }
        if (time_of(p.finished, p.created_ms, none) < since_ms) continue;
        f.add(static_cast<ExecStatus>(p.status), p.started != none, p.duration_ms);
    }
    return f;
}

const std::deque<std::uint64_t>* ExecutionHistory::sequences_of(const std::string& operation) const {
    auto it = operation_index_.find(operation);
    return it == operation_index_.end() ? nullptr : &operations_[it->second].sequences;
}

crypto::Digest ExecutionHistory::link(std::uint64_t sequence, const crypto::Digest& prev) const {
    return link(sequence, at(sequence), prev);
}

crypto::Digest ExecutionHistory::link(std::uint64_t sequence, const Execution& e, const crypto::Digest& prev) const {
    crypto::Receipt r = receipt_fields(e);
    r.sequence = sequence;
    r.prev_hash = prev;
    return crypto::receipt_hash(r);
}

crypto::Digest ExecutionHistory::hash(std::uint64_t sequence,
                                      const std::pair<std::uint64_t, crypto::Digest>* known) const {
    RAFT_ASSERT(sequence >= base_sequence_ && sequence <= last_sequence(), "a receipt hash asked for is held");
    if (sequence == base_sequence_) return base_hash_;
    if (sequence > tail_from_) return tail_[sequence - tail_from_ - 1];
    if (sequence == tail_from_ && tail_from_hash_) return *tail_from_hash_;
    std::uint64_t from = base_sequence_;
    crypto::Digest h = base_hash_;
    const std::uint64_t c = sequence / checkpoint_every;
    if (!checkpoints_.empty() && c >= first_checkpoint_) {
        from = c * checkpoint_every;
        h = checkpoints_[c - first_checkpoint_];
    }
    if (known && known->first <= sequence && known->first > from && holds(known->first)) {
        from = known->first;
        h = known->second;
    }
    for (std::uint64_t s = from + 1; s <= sequence; ++s) h = link(s, h);
    return h;
}

std::vector<crypto::Digest> ExecutionHistory::hashes(std::uint64_t from, std::uint64_t to) const {
    std::vector<crypto::Digest> out;
    if (from > to) return out;
    RAFT_ASSERT(holds(from) && holds(to), "receipt hashes asked for are held");
    out.reserve(to - from + 1);
    crypto::Digest h = hash(from - 1);
    for (std::uint64_t s = from; s <= to; ++s) {
        h = s > tail_from_ ? tail_[s - tail_from_ - 1] : link(s, h);
        out.push_back(h);
    }
    return out;
}

std::size_t ExecutionHistory::slot_of(std::uint64_t id) const {
    if (slots_.empty()) return no_slot;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix(id) & mask; slots_[i] != 0; i = (i + 1) & mask)
        if (record(slots_[i]).id == id) return i;
    return no_slot;
}

std::uint64_t ExecutionHistory::sequence_of(std::uint64_t id) const {
    const std::size_t i = slot_of(id);
    return i == no_slot ? 0 : slots_[i];
}

void ExecutionHistory::index_insert(std::uint64_t id, std::uint64_t sequence) {
    // At most 3/4 full, so a probe stays short.
    if ((used_slots_ + 1) * 4 > slots_.size() * 3) {
        std::vector<std::uint64_t> old = std::move(slots_);
        slots_.assign(std::max<std::size_t>(16, old.size() * 2), 0);
        used_slots_ = 0;
        for (std::uint64_t s : old)
            if (s != 0) index_insert(record(s).id, s);
    }
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = mix(id) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = sequence;
    ++used_slots_;
}

void ExecutionHistory::index_erase(std::uint64_t id) {
    std::size_t i = slot_of(id);
    RAFT_ASSERT(i != no_slot, "an execution held is indexed");
    const std::size_t mask = slots_.size() - 1;
    // Backward shift: later entries of the probe run move up so no lookup stops early.
    for (std::size_t j = (i + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
        const std::size_t home = mix(record(slots_[j]).id) & mask;
        const bool movable = j > i ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            slots_[i] = slots_[j];
            i = j;
        }
    }
    slots_[i] = 0;
    --used_slots_;
}

}  // namespace raftor::state
