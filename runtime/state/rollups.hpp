#pragma once
// Per-minute figures of final executions, per operation, kept long after the executions
// themselves are dropped: /metrics/7d and /metrics/month are merged from them. They are
// replicated state, so every node answers a window alike and a restart forgets nothing.
//
// Packed, because a month of minutes times the operations that ran in them adds up: a
// minute holds one run of 32-bit words per operation that finished executions in it,
//   [operation, field count, duration sum low, duration sum high, field...]
// where each field is (tag << 24 | count): tags 0-8 count final executions by status,
// tags 16 and up the duration histogram's buckets (OpsFigures::bounds, then +Inf). An
// operation with one outcome in one bucket in a minute costs 24 bytes.
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/state/ops_figures.hpp"

namespace raftor::state {

class Rollups {
public:
    static constexpr std::int64_t minute_ms = 60'000;
    static constexpr std::uint32_t status_tags = 9, bucket_tag = 16;
    static constexpr std::uint32_t count_max = (1u << 24) - 1;  // a field's count; more opens a second field

    void add(std::int64_t finished_ms, const std::string& operation, ExecStatus status, bool ran,
             std::uint64_t duration_ms);
    // Drops the minutes that end at or before `from_ms`.
    void drop_before(std::int64_t from_ms);

    // Every operation's figures over the minutes that overlap [from_ms, to_ms].
    OpsFigures total(std::int64_t from_ms, std::int64_t to_ms) const;
    // One operation's, over the same minutes.
    OpsFigures of(const std::string& operation, std::int64_t from_ms, std::int64_t to_ms) const;

    std::size_t minutes() const { return minutes_.size(); }
    std::size_t bytes() const;  // held, roughly: for the introspection figures and the docs
    std::optional<std::int64_t> oldest_minute_ms() const;

    // ---- for the state store's rows: a run (an operation's fields in a minute) is a row,
    // keyed by its minute and its place in it, which never changes (runs are appended,
    // and only whole minutes are dropped).
    struct RowChanges {
        std::vector<std::pair<std::int64_t, std::uint32_t>> runs;  // (minute, place) written to, sorted
        std::set<std::int64_t> dropped;                            // minutes dropped
        std::size_t names_from = 0;                                // names from here on are new
        bool all = false;                                          // renumbered: every row is new
    };
    RowChanges take_row_changes();
    void mark_all_changed() { changes_.all = true; }
    // The words of the run at `place` in minute `start` (empty: none).
    std::vector<std::uint32_t> run_words(std::int64_t start, std::uint32_t place) const;

    // ---- for the snapshot codec
    const std::vector<std::string>& names() const { return names_; }
    const std::map<std::int64_t, std::vector<std::uint32_t>>& words() const { return minutes_; }
    // Rebuilds from a snapshot's names and minutes; an error names what is malformed.
    static std::optional<Rollups> restore(std::vector<std::string> names,
                                          std::map<std::int64_t, std::vector<std::uint32_t>> minutes,
                                          std::string& error);

private:
    std::uint32_t intern(const std::string& operation);
    // Adds one run's fields into `out` (every operation when `only` is empty).
    static void merge_run(const std::uint32_t* run, OpsFigures& out);
    OpsFigures sum(std::optional<std::uint32_t> only, std::int64_t from_ms, std::int64_t to_ms) const;

    std::vector<std::string> names_;  // operation ids, interned (a deleted operation's stay)
    std::unordered_map<std::string, std::uint32_t> index_;
    std::map<std::int64_t, std::vector<std::uint32_t>> minutes_;  // by minute start (ms)
    RowChanges changes_;
    // The minute last added to, indexed: finishes land in it, and walking the packed
    // words to find an operation's run was most of an apply's time.
    struct Hot {
        std::int64_t minute = INT64_MIN;
        std::unordered_map<std::uint32_t, std::uint32_t> place_of;  // operation -> its run's place
        std::vector<std::uint32_t> offset;                          // place -> the run's first word
    };
    Hot hot_;
    void index_hot(std::int64_t minute, const std::vector<std::uint32_t>& words);
};

}  // namespace raftor::state
