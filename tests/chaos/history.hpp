#pragma once
// What the chaos clients did, operation by operation, in the shape Jepsen records:
// every operation is invoked, then completes ok (it took effect / it read this),
// fail (it certainly did not take effect) or info (no answer: it may have taken effect
// at any time after its invocation). Pure: no I/O but the file it is written to.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/linearizability.hpp"

namespace raftor::chaos {

enum class Fn : std::uint8_t { read, write, cas, del };
enum class Outcome : std::uint8_t { ok, fail, info };

struct Op {
    std::uint64_t client = 0;
    Fn fn = Fn::read;
    std::string key;
    std::optional<std::string> value;     // write, cas: what it writes
    std::optional<std::string> expected;  // cas: the value it expects (nothing: absent)
    std::optional<std::string> observed;  // read ok: what it read (nothing: absent)
    std::uint64_t invoke_us = 0;          // since the run started, one clock for every client
    std::uint64_t complete_us = 0;
    std::string node;  // the node asked
    Outcome outcome = Outcome::info;
    // fail: whether the store answered that the precondition did not hold (a failed
    // compare-and-set, which tells the checker something) rather than refusing it.
    bool precondition_failed = false;
    std::string detail;  // why it failed or is unknown (status and code, or the client's error)
};

const char* to_string(Fn f);
const char* to_string(Outcome o);

// What an HTTP answer (or the lack of one) means for a KV operation. `status` 0 is no
// answer; `transport_error` the client's message then ("connecting to ...": the
// request never left, so it certainly did not apply).
struct Classified {
    Outcome outcome = Outcome::info;
    bool precondition_failed = false;
};
Classified classify(Fn f, int status, const std::string& code, const std::string& transport_error);

// The history for the checker: ok operations, failed compare-and-sets (a read that the
// value was not the expected one) and unknown writes; refused writes and failed reads
// had no effect and say nothing, so they are left out.
std::vector<sim::KvOp> to_kv_ops(const std::vector<Op>& ops);

// One JSON object per line, invocations and completions in time order.
void write_jsonl(std::ostream& out, const std::vector<Op>& ops);

struct Counts {
    std::uint64_t ops = 0, ok = 0, fail = 0, info = 0;
};
Counts count(const std::vector<Op>& ops);

// Why operations ended with `outcome`, most frequent first: "412 revision_mismatch",
// "connecting: Connection refused", "reading: timed out", ...
std::vector<std::pair<std::string, std::uint64_t>> reasons(const std::vector<Op>& ops, Outcome outcome);

}  // namespace raftor::chaos
