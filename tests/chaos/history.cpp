#include "tests/chaos/history.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace raftor::chaos {

const char* to_string(Fn f) {
    switch (f) {
        case Fn::read: return "read";
        case Fn::write: return "write";
        case Fn::cas: return "cas";
        case Fn::del: return "delete";
    }
    return "?";
}

const char* to_string(Outcome o) {
    switch (o) {
        case Outcome::ok: return "ok";
        case Outcome::fail: return "fail";
        case Outcome::info: return "info";
    }
    return "?";
}

Classified classify(Fn f, int status, const std::string& code, const std::string& transport_error) {
    // A request that never reached the node did nothing.
    if (status == 0) {
        const bool never_sent = transport_error.rfind("connecting to", 0) == 0;
        return {f == Fn::read || never_sent ? Outcome::fail : Outcome::info, false};
    }
    if (f == Fn::read) {
        // A read has no effect: one that was not answered says nothing and is a fail.
        return {status == 200 || status == 404 ? Outcome::ok : Outcome::fail, false};
    }
    if (status == 200) return {Outcome::ok, false};
    if (status == 412) return {Outcome::fail, true};
    // Refused before it was proposed: no leader known to forward to, the leader's
    // storage full, a conflict. Everything else (outcome_unknown, a timeout, a leader
    // that did not answer a forwarded request, ...) may have applied.
    if ((status == 503 && code == "no_leader") || status == 507 || status == 409) return {Outcome::fail, false};
    return {Outcome::info, false};
}

std::vector<sim::KvOp> to_kv_ops(const std::vector<Op>& ops) {
    std::vector<sim::KvOp> out;
    out.reserve(ops.size());
    for (const auto& o : ops) {
        if (o.outcome == Outcome::fail && !o.precondition_failed) continue;
        sim::KvOp k;
        switch (o.fn) {
            case Fn::read: k.kind = sim::KvOp::Kind::get; break;
            case Fn::write: k.kind = sim::KvOp::Kind::put; break;
            case Fn::cas: k.kind = sim::KvOp::Kind::cas; break;
            case Fn::del: k.kind = sim::KvOp::Kind::del; break;
        }
        k.result = o.outcome == Outcome::ok     ? sim::KvOp::Result::ok
                   : o.outcome == Outcome::fail ? sim::KvOp::Result::failed
                                                : sim::KvOp::Result::unknown;
        k.key = o.key;
        k.value = o.value;
        k.expected = o.expected;
        k.observed = o.observed;
        k.invoke = o.invoke_us;
        k.complete = o.complete_us;
        k.client = o.client;
        out.push_back(std::move(k));
    }
    return out;
}

void write_jsonl(std::ostream& out, const std::vector<Op>& ops) {
    struct Line {
        std::uint64_t time;
        bool invoke;
        const Op* op;
    };
    std::vector<Line> lines;
    for (const auto& o : ops) {
        lines.push_back({o.invoke_us, true, &o});
        lines.push_back({o.complete_us, false, &o});
    }
    std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
        return a.time != b.time ? a.time < b.time : a.invoke > b.invoke;
    });
    auto opt = [](const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    for (const auto& l : lines) {
        const Op& o = *l.op;
        nlohmann::json j{
            {"time_us", l.time},    {"process", o.client}, {"type", l.invoke ? "invoke" : to_string(o.outcome)},
            {"f", to_string(o.fn)}, {"key", o.key},        {"node", o.node}};
        if (o.fn == Fn::write || o.fn == Fn::cas) j["value"] = opt(o.value);
        if (o.fn == Fn::cas) j["expected"] = opt(o.expected);
        if (!l.invoke && o.fn == Fn::read && o.outcome == Outcome::ok) j["observed"] = opt(o.observed);
        if (!l.invoke && !o.detail.empty()) j["detail"] = o.detail;
        out << j.dump() << '\n';
    }
}

Counts count(const std::vector<Op>& ops) {
    Counts c;
    for (const auto& o : ops) {
        ++c.ops;
        switch (o.outcome) {
            case Outcome::ok: ++c.ok; break;
            case Outcome::fail: ++c.fail; break;
            case Outcome::info: ++c.info; break;
        }
    }
    return c;
}

std::vector<std::pair<std::string, std::uint64_t>> reasons(const std::vector<Op>& ops, Outcome outcome) {
    std::map<std::string, std::uint64_t> n;
    for (const auto& o : ops) {
        if (o.outcome != outcome) continue;
        std::string why = o.detail;
        // "reading from 10.0.0.1:8080: timed out" -> "reading: timed out": one line per cause.
        for (const char* verb : {"connecting", "writing", "reading"})
            if (why.rfind(std::string(verb) + " ", 0) == 0)
                why = std::string(verb) + ": " + why.substr(why.rfind(": ") + 2);
        ++n[why.empty() ? "(none)" : why];
    }
    std::vector<std::pair<std::string, std::uint64_t>> out(n.begin(), n.end());
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return out;
}

}  // namespace raftor::chaos
