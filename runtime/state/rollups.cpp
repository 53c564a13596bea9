#include "runtime/state/rollups.hpp"

#include <algorithm>

namespace raftor::state {

namespace {

constexpr std::size_t header_words = 4;  // operation, field count, duration sum (2 words)

std::uint32_t tag_of(std::uint32_t field) {
    return field >> 24;
}
std::uint32_t count_of(std::uint32_t field) {
    return field & Rollups::count_max;
}

std::int64_t minute_of(std::int64_t ms) {
    // Floor division: a time before the epoch (a badly set clock) still has a minute.
    std::int64_t m = ms / Rollups::minute_ms;
    if (ms % Rollups::minute_ms < 0) --m;
    return m * Rollups::minute_ms;
}

// Adds one to the field tagged `tag` of the run at `words[at]`, opening a field (or a
// second one, past count_max) where needed.
void bump(std::vector<std::uint32_t>& words, std::size_t at, std::uint32_t tag) {
    const std::size_t fields = words[at + 1];
    for (std::size_t i = 0; i < fields; ++i) {
        std::uint32_t& f = words[at + header_words + i];
        if (tag_of(f) == tag && count_of(f) < Rollups::count_max) {
            ++f;
            return;
        }
    }
    words.insert(words.begin() + static_cast<std::ptrdiff_t>(at + header_words + fields), (tag << 24) | 1u);
    ++words[at + 1];
}

}  // namespace

std::uint32_t Rollups::intern(const std::string& operation) {
    auto [it, fresh] = index_.try_emplace(operation, static_cast<std::uint32_t>(names_.size()));
    if (fresh) names_.push_back(operation);
    return it->second;
}

void Rollups::add(std::int64_t finished_ms, const std::string& operation, ExecStatus status, bool ran,
                  std::uint64_t duration_ms) {
    const std::uint32_t op = intern(operation);
    const std::int64_t minute = minute_of(finished_ms);
    auto& words = minutes_[minute];
    if (hot_.minute != minute) index_hot(minute, words);
    std::uint32_t place = 0;
    if (auto it = hot_.place_of.find(op); it != hot_.place_of.end()) {
        place = it->second;
    } else {
        place = static_cast<std::uint32_t>(hot_.offset.size());
        hot_.place_of.emplace(op, place);
        hot_.offset.push_back(static_cast<std::uint32_t>(words.size()));
        words.insert(words.end(), {op, 0, 0, 0});
    }
    changes_.runs.emplace_back(minute, place);
    const std::size_t at = hot_.offset[place], before = words.size();
    bump(words, at, static_cast<std::uint32_t>(status));
    if (ran) {
        const auto& b = OpsFigures::bounds;
        const auto bucket = static_cast<std::uint32_t>(std::lower_bound(b.begin(), b.end(), duration_ms) - b.begin());
        bump(words, at, bucket_tag + bucket);
        const std::uint64_t sum = (std::uint64_t{words[at + 3]} << 32 | words[at + 2]) + duration_ms;
        words[at + 2] = static_cast<std::uint32_t>(sum);
        words[at + 3] = static_cast<std::uint32_t>(sum >> 32);
    }
    // A field opened inside this run moved the runs after it.
    if (const auto grew = static_cast<std::uint32_t>(words.size() - before); grew != 0)
        for (std::size_t p = place + 1; p < hot_.offset.size(); ++p) hot_.offset[p] += grew;
}

void Rollups::index_hot(std::int64_t minute, const std::vector<std::uint32_t>& words) {
    hot_ = Hot{};
    hot_.minute = minute;
    for (std::size_t at = 0; at < words.size(); at += header_words + words[at + 1]) {
        hot_.place_of.emplace(words[at], static_cast<std::uint32_t>(hot_.offset.size()));
        hot_.offset.push_back(static_cast<std::uint32_t>(at));
    }
}

void Rollups::drop_before(std::int64_t from_ms) {
    if (minutes_.empty() || minutes_.begin()->first + minute_ms > from_ms) return;
    while (!minutes_.empty() && minutes_.begin()->first + minute_ms <= from_ms) {
        if (minutes_.begin()->first == hot_.minute) hot_ = Hot{};
        changes_.dropped.insert(minutes_.begin()->first);
        minutes_.erase(minutes_.begin());
    }
    // Operation ids churned through (created, run, deleted) would pile up in the name
    // table: renumber the ones still used once there are many.
    if (names_.size() < 256) return;
    std::vector<std::uint32_t> renumber(names_.size(), UINT32_MAX);
    std::vector<std::string> kept;
    for (auto& [m, words] : minutes_)
        for (std::size_t at = 0; at < words.size(); at += header_words + words[at + 1])
            if (renumber[words[at]] == UINT32_MAX) {
                renumber[words[at]] = static_cast<std::uint32_t>(kept.size());
                kept.push_back(names_[words[at]]);
            }
    if (kept.size() * 2 > names_.size()) return;
    for (auto& [m, words] : minutes_)
        for (std::size_t at = 0; at < words.size(); at += header_words + words[at + 1]) words[at] = renumber[words[at]];
    names_ = std::move(kept);
    changes_.all = true;
    hot_ = Hot{};
    index_.clear();
    for (std::uint32_t i = 0; i < names_.size(); ++i) index_.emplace(names_[i], i);
}

Rollups::RowChanges Rollups::take_row_changes() {
    std::sort(changes_.runs.begin(), changes_.runs.end());
    changes_.runs.erase(std::unique(changes_.runs.begin(), changes_.runs.end()), changes_.runs.end());
    RowChanges out = std::move(changes_);
    changes_ = RowChanges{};
    changes_.names_from = names_.size();
    return out;
}

std::vector<std::uint32_t> Rollups::run_words(std::int64_t start, std::uint32_t place) const {
    auto m = minutes_.find(start);
    if (m == minutes_.end()) return {};
    const auto& words = m->second;
    std::size_t at = 0;
    if (start == hot_.minute && place < hot_.offset.size())
        at = hot_.offset[place];
    else
        for (std::uint32_t p = 0; at < words.size() && p < place; ++p) at += header_words + words[at + 1];
    if (at >= words.size()) return {};
    const std::size_t end = at + header_words + words[at + 1];
    return {words.begin() + static_cast<std::ptrdiff_t>(at), words.begin() + static_cast<std::ptrdiff_t>(end)};
}

void Rollups::merge_run(const std::uint32_t* run, OpsFigures& out) {
    for (std::uint32_t i = 0; i < run[1]; ++i) {
        const std::uint32_t f = run[header_words + i];
        const std::uint32_t tag = tag_of(f), n = count_of(f);
        if (tag < status_tags) {
            out.by_status[tag] += n;
        } else {
            out.buckets[tag - bucket_tag] += n;
            out.duration_count += n;
        }
    }
    out.duration_sum_ms += std::uint64_t{run[3]} << 32 | run[2];
}

OpsFigures Rollups::sum(std::optional<std::uint32_t> only, std::int64_t from_ms, std::int64_t to_ms) const {
    OpsFigures out;
    for (auto it = minutes_.lower_bound(minute_of(from_ms)); it != minutes_.end() && it->first <= to_ms; ++it) {
        const auto& words = it->second;
        for (std::size_t at = 0; at < words.size(); at += header_words + words[at + 1])
            if (!only || words[at] == *only) merge_run(&words[at], out);
    }
    return out;
}

OpsFigures Rollups::total(std::int64_t from_ms, std::int64_t to_ms) const {
    return sum(std::nullopt, from_ms, to_ms);
}

OpsFigures Rollups::of(const std::string& operation, std::int64_t from_ms, std::int64_t to_ms) const {
    auto it = index_.find(operation);
    if (it == index_.end()) return {};
    return sum(it->second, from_ms, to_ms);
}

std::size_t Rollups::bytes() const {
    std::size_t n = names_.size() * 48;
    for (const auto& [m, words] : minutes_) n += 64 + words.capacity() * sizeof(std::uint32_t);  // a map node each
    return n;
}

std::optional<std::int64_t> Rollups::oldest_minute_ms() const {
    if (minutes_.empty()) return std::nullopt;
    return minutes_.begin()->first;
}

std::optional<Rollups> Rollups::restore(std::vector<std::string> names,
                                        std::map<std::int64_t, std::vector<std::uint32_t>> minutes,
                                        std::string& error) {
    Rollups r;
    for (std::uint32_t i = 0; i < names.size(); ++i)
        if (!r.index_.emplace(names[i], i).second) {
            error = "the rollups name operation '" + names[i] + "' twice";
            return std::nullopt;
        }
    const std::uint32_t tags_max = bucket_tag + static_cast<std::uint32_t>(OpsFigures::bounds.size()) + 1;
    for (const auto& [m, words] : minutes) {
        if (minute_of(m) != m) {
            error = "a rollup minute starts at " + std::to_string(m) + ", not on a minute";
            return std::nullopt;
        }
        for (std::size_t at = 0; at < words.size();) {
            if (words.size() - at < header_words || words[at] >= names.size() ||
                words[at + 1] > words.size() - at - header_words) {
                error = "the rollup of minute " + std::to_string(m) + " is malformed at word " + std::to_string(at);
                return std::nullopt;
            }
            for (std::uint32_t i = 0; i < words[at + 1]; ++i) {
                const std::uint32_t tag = tag_of(words[at + header_words + i]);
                if ((tag >= status_tags && tag < bucket_tag) || tag >= tags_max) {
                    error =
                        "the rollup of minute " + std::to_string(m) + " has an unknown field " + std::to_string(tag);
                    return std::nullopt;
                }
            }
            at += header_words + words[at + 1];
        }
    }
    r.names_ = std::move(names);
    r.minutes_ = std::move(minutes);
    r.changes_.names_from = r.names_.size();
    return r;
}

}  // namespace raftor::state
