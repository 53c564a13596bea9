#include "runtime/state/state_db.hpp"

#include <vector>

#include "runtime/raft/assert.hpp"
#include "runtime/storage/state_store_memory.hpp"

namespace raftor::state {

namespace {

void check(const storage::Status& st, std::string_view doing) {
    if (!st.ok())
        throw StateDbError("the state store failed to " + std::string(doing) + ": " + storage::to_string(st.code) +
                           ": " + st.message);
}

}  // namespace

StateDb::StateDb() : StateDb(std::make_shared<storage::MemoryStateStore>()) {}

StateDb::StateDb(std::shared_ptr<storage::StateStore> store) : store_(std::move(store)) {
    RAFT_ASSERT(store_ != nullptr, "a state db has a store");
}

StateDb::~StateDb() = default;

void StateDb::begin() {
    RAFT_ASSERT(batch_ == nullptr, "one state batch at a time");
    storage::Status st;
    batch_ = store_->write(st);
    check(st, "begin a batch");
    batch_bytes_ = 0;
}

storage::Status StateDb::reserve(std::uint64_t bytes) {
    storage::Status st = store_->reserve(bytes);
    if (st.code != storage::Errc::map_full) check(st, "reserve room");
    return st;
}

void StateDb::commit(std::uint64_t applied_index) {
    RAFT_ASSERT(batch_ != nullptr, "a state batch is open to commit");
    view_.reset();
    check(store_->commit(std::move(batch_), applied_index), "commit a batch");
}

void StateDb::abort() {
    batch_.reset();
}

void StateDb::put(storage::TableId table, std::string_view key, std::string_view value) {
    RAFT_ASSERT(batch_ != nullptr, "state writes go into a batch");
    check(batch_->put(table, key, value), "write a key");
    batch_bytes_ += key.size() + value.size() + page_bytes;
}

void StateDb::del(storage::TableId table, std::string_view key) {
    RAFT_ASSERT(batch_ != nullptr, "state writes go into a batch");
    check(batch_->del(table, key), "delete a key");
    batch_bytes_ += key.size() + page_bytes;
}

void StateDb::clear() {
    RAFT_ASSERT(batch_ != nullptr, "state writes go into a batch");
    check(batch_->clear(), "clear the state");
}

void StateDb::clear_table(storage::TableId table) {
    del_range(table, {}, {});
}

void StateDb::del_range(storage::TableId table, std::string_view from, std::string_view to) {
    // The keys first: a scan's views do not outlive a write.
    std::vector<std::string> keys;
    scan(table, from, to, [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
    });
    for (const auto& k : keys) del(table, k);
}

const storage::StateRead& StateDb::reader() const {
    if (batch_) return *batch_;
    if (!view_) {
        storage::Status st;
        view_ = store_->read(st);
        check(st, "open a view");
    }
    return *view_;
}

std::optional<std::string_view> StateDb::get(storage::TableId table, std::string_view key) const {
    std::optional<std::string_view> out;
    check(reader().get(table, key, out), "read a key");
    return out;
}

void StateDb::scan(storage::TableId table, std::string_view from, std::string_view to, const storage::ScanFn& f) const {
    check(reader().scan(table, from, to, f), "scan a table");
}

std::uint64_t StateDb::applied_index() const {
    return reader().applied_index();
}

std::string encode_be64(std::uint64_t v) {
    std::string out;
    append_be64(out, v);
    return out;
}

void append_be64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

std::optional<std::uint64_t> decode_be64(std::string_view bytes, std::size_t at) {
    if (bytes.size() < at + 8) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = at; i < at + 8; ++i) v = v << 8 | static_cast<unsigned char>(bytes[i]);
    return v;
}

}  // namespace raftor::state
