#include "runtime/storage/state_store_memory.hpp"

#include <utility>

namespace raftor::storage {

namespace {

using Shared = MemoryStateStore::Shared;
using Entry = std::pair<std::string, std::shared_ptr<const std::string>>;  // full key, value

// The end of a scan's range, as a full key; empty: the end of the table.
std::string range_end(TableId table, std::string_view to) {
    if (!to.empty()) return state_full_key(table, to);
    if (table == store_table) return {};  // the last table: no byte after it
    return std::string(1, static_cast<char>(table + 1));
}

// The value of `versions` a reader at `commit` sees (null: none, or deleted).
std::shared_ptr<const std::string> visible(const std::vector<MemoryStateStore::Version>& versions,
                                           std::uint64_t commit) {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it)
        if (it->commit <= commit) return it->value;
    return nullptr;
}

// Up to `max` entries visible at `commit`, from `start` (after it unless `inclusive`) up
// to `end` (excluded; empty: no end), copied out so that the caller runs unlocked.
std::vector<Entry> collect(const Shared& s, const std::string& start, bool inclusive, const std::string& end,
                           std::uint64_t commit, std::size_t max) {
    std::vector<Entry> out;
    std::lock_guard lock(s.mu);
    auto it = inclusive ? s.data.lower_bound(start) : s.data.upper_bound(start);
    for (; it != s.data.end() && out.size() < max; ++it) {
        if (!end.empty() && it->first >= end) break;
        if (auto v = visible(it->second, commit)) out.emplace_back(it->first, std::move(v));
    }
    return out;
}

constexpr std::size_t chunk = 256;

// The committed entries of a range in key order, fetched a chunk at a time.
class Committed {
public:
    Committed(const Shared& s, std::string start, std::string end, std::uint64_t commit)
        : s_(s), start_(std::move(start)), end_(std::move(end)), commit_(commit) {}
    const Entry* peek() {
        if (pos_ == buf_.size()) {
            if (exhausted_) return nullptr;
            buf_ = collect(s_, start_, inclusive_, end_, commit_, chunk);
            pos_ = 0;
            exhausted_ = buf_.size() < chunk;
            if (buf_.empty()) return nullptr;
            start_ = buf_.back().first;
            inclusive_ = false;
        }
        return &buf_[pos_];
    }
    void pop() { ++pos_; }

private:
    const Shared& s_;
    std::string start_, end_;
    std::uint64_t commit_;
    bool inclusive_ = true, exhausted_ = false;
    std::vector<Entry> buf_;
    std::size_t pos_ = 0;
};

// A consistent view at one commit, which keeps the versions it reads.
class View final : public StateRead {
public:
    View(std::shared_ptr<Shared> s, std::uint64_t commit, std::uint64_t applied)
        : s_(std::move(s)), commit_(commit), applied_(applied) {}
    ~View() override {
        std::lock_guard lock(s_->mu);
        s_->readers.erase(s_->readers.find(commit_));
    }
    Status get(TableId table, std::string_view key, std::optional<std::string_view>& out) const override {
        out.reset();
        if (auto st = check_state_key(key); !st.ok()) return st;
        std::lock_guard lock(s_->mu);
        auto it = s_->data.find(state_full_key(table, key));
        if (it == s_->data.end()) return {};
        // The version stays while this view is open: a commit keeps what a reader sees.
        if (auto v = visible(it->second, commit_)) out = std::string_view(*v);
        return {};
    }
    Status scan(TableId table, std::string_view from, std::string_view to, const ScanFn& f) const override {
        Committed c(*s_, state_full_key(table, from), range_end(table, to), commit_);
        for (const Entry* e; (e = c.peek()) != nullptr; c.pop())
            if (!f(std::string_view(e->first).substr(1), *e->second)) break;
        return {};
    }
    std::uint64_t applied_index() const override { return applied_; }

private:
    std::shared_ptr<Shared> s_;
    std::uint64_t commit_, applied_;
};

// The one write: its changes kept apart until the commit, read over the last commit.
class Write final : public StateWrite {
public:
    Write(std::shared_ptr<Shared> s, std::uint64_t base, std::uint64_t applied)
        : s_(std::move(s)), base_(base), applied_(applied) {}
    ~Write() override {
        if (!committed_) {
            std::lock_guard lock(s_->mu);
            s_->writing = false;
        }
    }
    Status get(TableId table, std::string_view key, std::optional<std::string_view>& out) const override {
        out.reset();
        if (auto st = check_state_key(key); !st.ok()) return st;
        const std::string k = state_full_key(table, key);
        if (auto it = changes_.find(k); it != changes_.end()) {
            if (it->second) out = std::string_view(*it->second);
            return {};
        }
        std::lock_guard lock(s_->mu);
        auto it = s_->data.find(k);
        // The newest version of a key stays until a commit writes the key: this one's.
        if (it != s_->data.end())
            if (auto v = visible(it->second, base_)) out = std::string_view(*v);
        return {};
    }
    // The changes merged over the committed entries, a change winning on the same key.
    Status scan(TableId table, std::string_view from, std::string_view to, const ScanFn& f) const override {
        const std::string start = state_full_key(table, from), end = range_end(table, to);
        Committed c(*s_, start, end, base_);
        auto ch = changes_.lower_bound(start);
        for (;;) {
            const Entry* e = c.peek();
            const bool change = ch != changes_.end() && (end.empty() || ch->first < end);
            if (e == nullptr && !change) return {};
            if (change && (e == nullptr || ch->first <= e->first)) {
                if (e != nullptr && ch->first == e->first) c.pop();
                if (ch->second && !f(std::string_view(ch->first).substr(1), *ch->second)) return {};
                ++ch;
                continue;
            }
            if (!f(std::string_view(e->first).substr(1), *e->second)) return {};
            c.pop();
        }
    }
    std::uint64_t applied_index() const override { return applied_; }
    Status put(TableId table, std::string_view key, std::string_view value) override {
        if (auto st = check_state_key(key); !st.ok()) return st;
        changes_[state_full_key(table, key)] = std::string(value);
        return {};
    }
    Status del(TableId table, std::string_view key) override {
        if (auto st = check_state_key(key); !st.ok()) return st;
        changes_[state_full_key(table, key)] = std::nullopt;
        return {};
    }
    // Every key this write would see, deleted (the store's own records are written again
    // by the commit).
    Status clear() override {
        std::vector<std::string> keys;
        for (unsigned t = 0; t <= store_table; ++t)
            scan(static_cast<TableId>(t), {}, {}, [&](std::string_view k, std::string_view) {
                keys.push_back(state_full_key(static_cast<TableId>(t), k));
                return true;
            });
        for (auto& k : keys) changes_[std::move(k)] = std::nullopt;
        cleared_ = true;
        applied_ = 0;
        return {};
    }
    bool cleared() const { return cleared_; }

    const std::shared_ptr<Shared>& shared() const { return s_; }
    std::map<std::string, std::optional<std::string>>& changes() { return changes_; }
    void done() { committed_ = true; }

private:
    std::shared_ptr<Shared> s_;
    std::uint64_t base_, applied_;
    std::map<std::string, std::optional<std::string>> changes_;
    bool committed_ = false;
    bool cleared_ = false;
};

std::uint64_t applied_at(const Shared& s, std::uint64_t commit) {
    auto it = s.applied_at.upper_bound(commit);
    return it == s.applied_at.begin() ? 0 : std::prev(it)->second;
}

}  // namespace

MemoryStateStore::MemoryStateStore() : shared_(std::make_shared<Shared>()) {}

std::unique_ptr<StateRead> MemoryStateStore::read(Status& status) {
    status = {};
    std::lock_guard lock(shared_->mu);
    shared_->readers.insert(shared_->last_commit);
    return std::make_unique<View>(shared_, shared_->last_commit, applied_at(*shared_, shared_->last_commit));
}

std::unique_ptr<StateWrite> MemoryStateStore::write(Status& status) {
    std::lock_guard lock(shared_->mu);
    if (shared_->writing) {
        status = {Errc::invalid, "a state write is already open"};
        return nullptr;
    }
    status = {};
    shared_->writing = true;
    return std::make_unique<Write>(shared_, shared_->last_commit, applied_at(*shared_, shared_->last_commit));
}

Status MemoryStateStore::commit(std::unique_ptr<StateWrite> write, std::uint64_t applied_index) {
    auto* w = dynamic_cast<Write*>(write.get());
    if (w == nullptr || w->shared() != shared_) return {Errc::invalid, "a write of another store"};
    Shared& s = *shared_;
    std::lock_guard lock(s.mu);
    const std::uint64_t before = w->cleared() ? 0 : applied_at(s, s.last_commit);
    if (applied_index < before) {
        s.writing = false;
        w->done();
        return {Errc::invalid, "the applied index would go back from " + std::to_string(before) + " to " +
                                   std::to_string(applied_index)};
    }
    const std::uint64_t commit = s.last_commit + 1;
    // What the oldest open view reads at: versions older than the one it sees go.
    const std::uint64_t oldest = s.readers.empty() ? commit : *s.readers.begin();
    for (auto& [k, v] : w->changes()) {
        auto& versions = s.data[k];
        versions.push_back({commit, v ? std::make_shared<const std::string>(std::move(*v)) : nullptr});
        std::size_t keep = 0;  // the newest version at or before `oldest`
        for (std::size_t i = 0; i < versions.size(); ++i)
            if (versions[i].commit <= oldest) keep = i;
        versions.erase(versions.begin(), versions.begin() + static_cast<std::ptrdiff_t>(keep));
        if (versions.size() == 1 && !versions.front().value && versions.front().commit <= oldest) s.data.erase(k);
    }
    s.applied_at[commit] = applied_index;
    // Applied indexes no view can ask for any more.
    while (s.applied_at.size() > 1 && std::next(s.applied_at.begin())->first <= oldest)
        s.applied_at.erase(s.applied_at.begin());
    s.last_commit = commit;
    s.writing = false;
    w->done();
    return {};
}

Status MemoryStateStore::reserve(std::uint64_t bytes) {
    std::lock_guard lock(shared_->mu);
    if (shared_->room && bytes > *shared_->room)
        return {Errc::map_full, "reserve " + std::to_string(bytes) +
                                    " bytes for the state: " + std::to_string(*shared_->room) + " bytes free"};
    return {};
}

void MemoryStateStore::set_room(std::optional<std::uint64_t> bytes) {
    std::lock_guard lock(shared_->mu);
    shared_->room = bytes;
}

std::size_t MemoryStateStore::versions_held() const {
    std::lock_guard lock(shared_->mu);
    std::size_t n = 0;
    for (const auto& [k, v] : shared_->data) n += v.size();
    return n;
}

}  // namespace raftor::storage
