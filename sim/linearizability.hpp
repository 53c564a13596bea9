#pragma once
// A linearizability checker for KV histories: Wing & Gong's search with Lowe's
// memoization (the algorithm of Knossos and Porcupine). The keys of a KV store are
// independent registers, so each key's history is checked alone, which keeps a
// 10,000-operation history to many small searches.
//
// Values written are unique per write (the workload makes them so): a value names the
// write that made it, and a compare-and-set names the value it expects to replace.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace raftor::sim {

struct KvOp {
    enum class Kind : std::uint8_t { put, del, get, cas } kind = Kind::get;
    // ok: it took effect (a get: it read `observed`); failed: a compare-and-set whose
    // precondition did not hold, certainly not applied; unknown: no answer (a timeout,
    // a crash, a lost leader), so it may have taken effect at any time after `invoke`.
    // Requests refused before they reached the log (not the leader) are left out.
    enum class Result : std::uint8_t { ok, failed, unknown } result = Result::ok;
    std::string key;
    std::optional<std::string> value;     // put, cas: what it writes
    std::optional<std::string> expected;  // cas: what it must find (nothing: the key is absent)
    std::optional<std::string> observed;  // get: what it read (nothing: absent)
    std::uint64_t invoke = 0;             // simulated times
    std::uint64_t complete = 0;           // ignored when unknown
    std::uint64_t client = 0;
};

std::string describe(const KvOp& op);

struct LinearizabilityResult {
    bool ok = true;           // false: some key's history has no linearization
    bool exhausted = false;   // the search budget ran out on some key: neither proven nor refuted
    std::string key;          // the first key that failed (or ran out)
    std::string explanation;  // what could not be placed
    std::uint64_t keys = 0;
    std::uint64_t ops = 0;
    std::uint64_t steps = 0;  // search steps over all keys
};

// `max_steps_per_key` bounds the search on one key (it is exponential in the worst case).
LinearizabilityResult check_linearizable(const std::vector<KvOp>& history,
                                         std::uint64_t max_steps_per_key = 20'000'000);

}  // namespace raftor::sim
