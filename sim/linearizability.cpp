#include "sim/linearizability.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>

namespace raftor::sim {

namespace {

constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
constexpr int absent = -1;
// The value of an unknown write that no operation read or expected: all such values of
// a key are one, since nothing can tell them apart.
constexpr int unseen = -2;
// Symmetry classes: at most this many per key (one bit each); the rest go unpruned.
constexpr int max_classes = 64;

std::string show(const std::optional<std::string>& v) {
    return v ? "'" + *v + "'" : "(absent)";
}

// One key's history with values interned: states are small integers.
struct Register {
    struct Op {
        KvOp::Kind kind;
        KvOp::Result result;
        int value = absent;     // put, cas
        int expected = absent;  // cas
        int observed = absent;  // get
        std::size_t source;     // index in the full history
        // Unknown ops with the same effect and no deadline (an unknown put or
        // compare-and-set of an unseen value, an unknown delete) are interchangeable:
        // once one of a class has been tried at a point of the search, trying another
        // there explores the same histories with two ops renamed. -1: no class.
        int cls = -1;
    };
    std::vector<Op> ops;

    // Applies op `i` to `state`: false if the op's outcome is impossible from it.
    bool step(std::size_t i, int state, int& next) const {
        const Op& op = ops[i];
        switch (op.kind) {
            case KvOp::Kind::put: next = op.value; return true;
            case KvOp::Kind::del: next = absent; return true;
            case KvOp::Kind::get: next = state; return state == op.observed;
            case KvOp::Kind::cas:
                switch (op.result) {
                    case KvOp::Result::ok: next = op.value; return state == op.expected;
                    case KvOp::Result::failed: next = state; return state != op.expected;
                    case KvOp::Result::unknown:
                        // Not applied at all is the same as applied last, where no one sees it.
                        next = state == op.expected ? op.value : state;
                        return true;
                }
        }
        return false;
    }
};

// The call and return events of a history in a doubly linked list (Lowe's "lift").
struct Event {
    bool call = true;
    std::size_t op = 0;
    std::uint64_t time = 0;
    int match = -1;  // the return of a call
    int prev = -1, next = -1;
};

struct CacheKey {
    std::vector<std::uint64_t> bits;
    int state;
    bool operator==(const CacheKey&) const = default;
};
struct CacheHash {
    std::size_t operator()(const CacheKey& k) const {
        std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint64_t>(k.state + 1);
        for (auto w : k.bits) h = (h ^ w) * 1099511628211ull;
        return static_cast<std::size_t>(h);
    }
};

struct KeyResult {
    bool ok = true;
    bool exhausted = false;
    std::uint64_t steps = 0;
    std::size_t deepest = 0;       // most ops linearized at once
    std::size_t stuck_source = 0;  // the op whose return could not be reached there
};

KeyResult check_key(const Register& reg, const std::vector<KvOp>& history, std::uint64_t max_steps) {
    const std::size_t n = reg.ops.size();
    // Events: head sentinel at 0, then calls and returns sorted by time; at equal times
    // calls first, so that touching operations count as concurrent (never a false alarm).
    std::vector<Event> ev(1 + 2 * n);
    {
        std::vector<Event> tmp;
        tmp.reserve(2 * n);
        for (std::size_t i = 0; i < n; ++i) {
            const KvOp& op = history[reg.ops[i].source];
            tmp.push_back(Event{true, i, op.invoke});
            tmp.push_back(Event{false, i, op.result == KvOp::Result::unknown ? never : op.complete});
        }
        std::stable_sort(tmp.begin(), tmp.end(), [](const Event& a, const Event& b) {
            return a.time != b.time ? a.time < b.time : (a.call && !b.call);
        });
        std::vector<int> call_at(n, -1);
        for (std::size_t k = 0; k < tmp.size(); ++k) {
            ev[k + 1] = tmp[k];
            if (tmp[k].call) call_at[tmp[k].op] = static_cast<int>(k + 1);
        }
        for (std::size_t k = 1; k < ev.size(); ++k)
            if (!ev[k].call) ev[static_cast<std::size_t>(call_at[ev[k].op])].match = static_cast<int>(k);
        for (std::size_t k = 0; k < ev.size(); ++k) {
            ev[k].prev = static_cast<int>(k) - 1;
            ev[k].next = k + 1 < ev.size() ? static_cast<int>(k + 1) : -1;
        }
    }
    auto unlink = [&](int k) {
        Event& e = ev[static_cast<std::size_t>(k)];
        ev[static_cast<std::size_t>(e.prev)].next = e.next;
        if (e.next >= 0) ev[static_cast<std::size_t>(e.next)].prev = e.prev;
    };
    auto relink = [&](int k) {
        Event& e = ev[static_cast<std::size_t>(k)];
        ev[static_cast<std::size_t>(e.prev)].next = k;
        if (e.next >= 0) ev[static_cast<std::size_t>(e.next)].prev = k;
    };
    auto lift = [&](int call) {
        unlink(call);
        unlink(ev[static_cast<std::size_t>(call)].match);
    };
    auto unlift = [&](int call) {
        relink(ev[static_cast<std::size_t>(call)].match);
        relink(call);
    };

    KeyResult res;
    std::vector<std::uint64_t> linearized((n + 63) / 64, 0);
    std::size_t depth = 0;
    std::unordered_set<CacheKey, CacheHash> cache;
    struct Frame {
        int call, state;      // the call event linearized, the state before it
        std::uint64_t tried;  // the classes tried at this point before it
    };
    std::vector<Frame> stack;
    std::uint64_t tried = 0;  // classes tried at the current point of the search
    auto bit_of = [&](std::size_t op) {
        const int c = reg.ops[op].cls;
        return c >= 0 ? std::uint64_t{1} << c : 0;
    };
    int state = absent;
    int entry = ev[0].next;
    while (ev[0].next >= 0) {
        if (++res.steps > max_steps) {
            res.exhausted = true;
            return res;
        }
        const Event& e = ev[static_cast<std::size_t>(entry)];
        if (e.call) {
            const std::uint64_t cls = bit_of(e.op);
            int next = absent;
            if ((tried & cls) == 0 && reg.step(e.op, state, next)) {
                const std::uint64_t bit = std::uint64_t{1} << (e.op % 64);
                linearized[e.op / 64] |= bit;
                if (cache.insert(CacheKey{linearized, next}).second) {
                    stack.push_back({entry, state, tried});
                    tried = 0;
                    state = next;
                    ++depth;
                    lift(entry);
                    entry = ev[0].next;
                    continue;
                }
                linearized[e.op / 64] &= ~bit;
            }
            tried |= cls;
            entry = e.next;
        } else {
            // The op that returns here must have been linearized before this point.
            if (depth >= res.deepest) {
                res.deepest = depth;
                res.stuck_source = reg.ops[e.op].source;
            }
            if (stack.empty()) {
                res.ok = false;
                return res;
            }
            const Frame f = stack.back();
            stack.pop_back();
            const int call = f.call;
            state = f.state;
            const std::size_t op = ev[static_cast<std::size_t>(call)].op;
            tried = f.tried | bit_of(op);
            linearized[op / 64] &= ~(std::uint64_t{1} << (op % 64));
            --depth;
            unlift(call);
            entry = ev[static_cast<std::size_t>(call)].next;
        }
    }
    return res;
}

const char* kind_name(KvOp::Kind k) {
    switch (k) {
        case KvOp::Kind::put: return "put";
        case KvOp::Kind::del: return "del";
        case KvOp::Kind::get: return "get";
        case KvOp::Kind::cas: return "cas";
    }
    return "?";
}

}  // namespace

std::string describe(const KvOp& op) {
    std::string s = "client " + std::to_string(op.client) + " " + kind_name(op.kind) + " " + op.key;
    switch (op.kind) {
        case KvOp::Kind::put: s += " = " + show(op.value); break;
        case KvOp::Kind::del: break;
        case KvOp::Kind::get: s += " -> " + show(op.observed); break;
        case KvOp::Kind::cas: s += " " + show(op.expected) + " -> " + show(op.value); break;
    }
    const char* r = op.result == KvOp::Result::ok ? "ok" : op.result == KvOp::Result::failed ? "failed" : "unknown";
    s += std::string(" (") + r + ", invoked " + std::to_string(op.invoke) +
         (op.result == KvOp::Result::unknown ? "" : ", completed " + std::to_string(op.complete)) + ")";
    return s;
}

LinearizabilityResult check_linearizable(const std::vector<KvOp>& history, std::uint64_t max_steps_per_key) {
    LinearizabilityResult out;
    // std::map: keys are checked in a fixed order, so the first failure named is stable.
    std::map<std::string, Register> regs;
    std::map<std::string, std::map<std::string, int>> values;
    auto intern = [&](const std::string& key, const std::optional<std::string>& v) {
        if (!v) return absent;
        auto& m = values[key];
        return m.emplace(*v, static_cast<int>(m.size())).first->second;
    };
    // Unknown writes make the search exponential (each may take effect anywhere after
    // its call), so narrow them down first, without changing the answer. Values are
    // unique, so an unknown write whose value someone read (or replaced by a successful
    // compare-and-set) took effect before that op completed: that is its return. One
    // whose value no one saw is the same as one that never took effect, unless a failed
    // compare-and-set on its key could be explained by it: then it stays.
    std::map<std::pair<std::string, std::string>, std::uint64_t> seen_by;  // (key, value) -> earliest completion
    std::set<std::pair<std::string, std::string>> written;                 // (key, value) someone wrote
    for (const KvOp& op : history)
        if (op.value) written.emplace(op.key, *op.value);
    // A failed compare-and-set that expects a value no one wrote holds whatever the state
    // is: it constrains nothing, and nothing is needed to explain it.
    auto vacuous = [&](const KvOp& op) {
        return op.kind == KvOp::Kind::cas && op.result == KvOp::Result::failed && op.expected &&
               !written.count({op.key, *op.expected});
    };
    std::set<std::string> has_failed_cas;
    for (const KvOp& op : history) {
        if (op.kind == KvOp::Kind::cas && op.result == KvOp::Result::failed && !vacuous(op))
            has_failed_cas.insert(op.key);
        if (op.result != KvOp::Result::ok) continue;
        const std::optional<std::string>& v = op.kind == KvOp::Kind::get   ? op.observed
                                              : op.kind == KvOp::Kind::cas ? op.expected
                                                                           : std::nullopt;
        if (!v) continue;
        auto [it, fresh] = seen_by.emplace(std::make_pair(op.key, *v), op.complete);
        if (!fresh) it->second = std::min(it->second, op.complete);
    }
    std::vector<KvOp> narrowed;
    std::vector<std::size_t> origin;  // narrowed[i] is history[origin[i]]: failures name the op as the client saw it
    narrowed.reserve(history.size());
    origin.reserve(history.size());
    for (std::size_t h = 0; h < history.size(); ++h) {
        const KvOp& op = history[h];
        // A read without an answer constrains nothing.
        if (op.kind == KvOp::Kind::get && op.result != KvOp::Result::ok) continue;
        if (vacuous(op)) continue;
        if (op.result == KvOp::Result::unknown && op.value) {
            auto it = seen_by.find({op.key, *op.value});
            if (it != seen_by.end() && it->second >= op.invoke) {
                KvOp bounded = op;
                bounded.result = KvOp::Result::ok;  // it took effect (a compare-and-set: it found its value)
                bounded.complete = it->second;
                narrowed.push_back(std::move(bounded));
                origin.push_back(h);
                continue;
            }
            if (it == seen_by.end() && !has_failed_cas.count(op.key)) continue;
        }
        narrowed.push_back(op);
        origin.push_back(h);
    }
    // The values some op read or expected: an unknown write of any other value is one
    // no one can tell apart from another such write.
    std::set<std::pair<std::string, std::string>> referenced;
    for (const KvOp& op : narrowed) {
        if (op.kind == KvOp::Kind::get && op.observed) referenced.emplace(op.key, *op.observed);
        if (op.kind == KvOp::Kind::cas && op.expected) referenced.emplace(op.key, *op.expected);
    }
    std::map<std::string, std::map<std::pair<int, int>, int>> classes;  // key -> (kind, expected) -> class
    for (std::size_t i = 0; i < narrowed.size(); ++i) {
        const KvOp& op = narrowed[i];
        const bool unknown = op.result == KvOp::Result::unknown;
        const bool anonymous = unknown && op.value && !referenced.count({op.key, *op.value});
        Register::Op r{op.kind,
                       op.result,
                       anonymous ? unseen : intern(op.key, op.value),
                       intern(op.key, op.expected),
                       intern(op.key, op.observed),
                       i};
        if (unknown && (anonymous || op.kind == KvOp::Kind::del)) {
            auto& m = classes[op.key];
            const int c = m.emplace(std::make_pair(static_cast<int>(op.kind), r.expected), static_cast<int>(m.size()))
                              .first->second;
            if (c < max_classes) r.cls = c;
        }
        regs[op.key].ops.push_back(r);
        ++out.ops;
    }
    for (const auto& [key, reg] : regs) {
        ++out.keys;
        const KeyResult r = check_key(reg, narrowed, max_steps_per_key);
        out.steps += r.steps;
        if (r.exhausted && !out.exhausted && out.ok) {
            out.exhausted = true;
            out.key = key;
            out.explanation = "key '" + key + "': search budget of " + std::to_string(max_steps_per_key) +
                              " steps ran out over " + std::to_string(reg.ops.size()) + " operations";
        }
        if (!r.ok) {
            out.ok = false;
            out.exhausted = false;
            out.key = key;
            out.explanation =
                "key '" + key + "': no linearization of its " + std::to_string(reg.ops.size()) +
                " operations; at best " + std::to_string(r.deepest) +
                " are placed before this one must complete and cannot be: " + describe(history[origin[r.stuck_source]]);
            return out;
        }
    }
    return out;
}

}  // namespace raftor::sim
