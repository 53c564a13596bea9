#include "tests/chaos/clients.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <random>

namespace raftor::chaos {

std::string Clients::padded(const std::string& value) const {
    std::string v = value + "|";
    if (v.size() < opts_.value_bytes) v.append(opts_.value_bytes - v.size(), 'p');
    return v;
}

// The value a read saw, as the history names it. Anything but a value this run wrote,
// intact, stays whole, so it matches no write and the checker names it.
std::string Clients::unpadded(const std::string& stored) const {
    const auto bar = stored.find('|');
    if (bar == std::string::npos) return stored;
    std::string v = stored.substr(0, bar);
    return padded(v) == stored ? v : stored;
}

void Clients::start() {
    stopping_ = false;
    for (int i = 0; i < opts_.clients; ++i) threads_.emplace_back([this, i] { run(static_cast<std::uint64_t>(i)); });
}

void Clients::stop() {
    stopping_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
}

std::vector<Op> Clients::history() const {
    std::lock_guard lock(mu_);
    return ops_;
}

void Clients::record(Op op) {
    std::lock_guard lock(mu_);
    ops_.push_back(std::move(op));
}

Op Clients::call(std::uint64_t client, int node, Fn fn, const std::string& key, const std::optional<std::string>& value,
                 const Known* expect, Known* learned) {
    Op op;
    op.client = client;
    op.fn = fn;
    op.key = key;
    op.value = value;
    op.node = c_.name(node);
    std::string method = "GET", target = "/kv/" + key;
    if (fn == Fn::write || fn == Fn::cas) method = "PUT";
    if (fn == Fn::del) method = "DELETE";
    if (fn == Fn::cas) {
        op.expected = expect->value;
        target += "?prevRevision=" + std::to_string(expect->revision);
    }
    op.invoke_us = now_us();
    const auto r = c_.call(node, method, target, value ? padded(*value) : "", opts_.timeout);
    op.complete_us = now_us();
    auto body = nlohmann::json::parse(r.ok() ? r.body : "", nullptr, false);
    const std::string code =
        body.is_object() && body.contains("code") && body["code"].is_string() ? body["code"].get<std::string>() : "";
    auto c = classify(fn, r.ok() ? r.status : 0, code, r.error);
    // A delete of an absent key leaves it absent: it took effect.
    if (fn == Fn::del && r.ok() && r.status == 404) c = {Outcome::ok, false};
    op.outcome = c.outcome;
    op.precondition_failed = c.precondition_failed;
    if (op.outcome != Outcome::ok)
        op.detail = r.ok() ? std::to_string(r.status) + " " + (code.empty() ? r.body.substr(0, 120) : code) : r.error;
    if (op.outcome == Outcome::ok && fn == Fn::read) {
        if (r.status == 200 && body.is_object() && body.contains("value") && body["value"].is_string()) {
            op.observed = unpadded(body["value"].get<std::string>());
            learned->value = op.observed;
            learned->revision = body.value("revision", std::uint64_t{0});
        } else if (r.status == 200) {
            op.outcome = Outcome::fail;  // an answer it cannot read: the checker cannot use it
            op.detail = "200 without a string value: " + r.body.substr(0, 120);
        } else {
            *learned = Known{};
        }
    }
    if (op.outcome == Outcome::ok && (fn == Fn::write || fn == Fn::cas)) {
        learned->value = value;
        learned->revision = body.is_object() ? body.value("revision", std::uint64_t{0}) : 0;
    }
    if (op.outcome == Outcome::ok && fn == Fn::del) *learned = Known{};
    return op;
}

void Clients::run(std::uint64_t client) {
    std::mt19937_64 rng(opts_.seed * 1000003 + client);
    std::map<std::string, Known> known;  // what this client last saw of each key
    std::uint64_t written = 0;
    while (!stopping_) {
        const int node = std::uniform_int_distribution<int>(0, c_.size() - 1)(rng);
        const std::string k = key(std::uniform_int_distribution<int>(0, opts_.keys - 1)(rng));
        const int dice = std::uniform_int_distribution<int>(0, 99)(rng);
        Fn fn = dice < 45 ? Fn::read : dice < 75 ? Fn::write : dice < 95 ? Fn::cas : Fn::del;
        auto seen = known.find(k);
        if (fn == Fn::cas && seen == known.end()) fn = Fn::read;  // a compare-and-set needs a revision
        std::optional<std::string> value;
        if (fn == Fn::write || fn == Fn::cas) value = "c" + std::to_string(client) + "-" + std::to_string(++written);
        Known learned;
        Op op = call(client, node, fn, k, value, seen == known.end() ? nullptr : &seen->second, &learned);
        if (op.outcome == Outcome::ok) {
            known[k] = learned;
        } else if (fn != Fn::read) {
            known.erase(k);  // unknown or refused: what this client knew may be stale
        }
        const bool failed = op.outcome != Outcome::ok;
        record(std::move(op));
        // A dead or cut-off node answers at once: do not spin on it.
        if (failed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void Clients::read_everything() {
    for (int i = 0; i < c_.size(); ++i)
        for (int k = 0; k < opts_.keys; ++k) {
            Known learned;
            record(call(1000 + static_cast<std::uint64_t>(i), i, Fn::read, key(k), std::nullopt, nullptr, &learned));
        }
}

}  // namespace raftor::chaos
