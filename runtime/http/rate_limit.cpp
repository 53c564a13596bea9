#include "runtime/http/rate_limit.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/http/errors.hpp"

namespace raftor::http {

const Bucket& RateLimiter::bucket(Scope cls) const {
    switch (cls) {
        case Scope::open: return limits_.open;
        case Scope::read: return limits_.read;
        case Scope::admin: break;
    }
    return limits_.write;
}

std::optional<std::uint32_t> RateLimiter::admit(const std::string& client, Scope cls, std::int64_t now_ms) {
    const Bucket& b = bucket(cls);
    if (b.per_second <= 0) return std::nullopt;
    auto it = index_.find(client);
    if (it == index_.end()) {
        order_.push_front(Client{client});
        index_.emplace(client, order_.begin());
        while (index_.size() > std::max<std::size_t>(limits_.clients_max, 1)) {
            index_.erase(order_.back().key);
            order_.pop_back();
        }
        it = index_.find(client);
    } else {
        order_.splice(order_.begin(), order_, it->second);
    }
    Client& c = *it->second;
    const auto k = static_cast<std::size_t>(cls);
    const double burst = std::max(b.burst, 1.0);
    if (!c.seen[k]) {
        c.seen[k] = true;
        c.tokens[k] = burst;
    } else if (now_ms > c.at_ms[k]) {
        c.tokens[k] = std::min(burst, c.tokens[k] + static_cast<double>(now_ms - c.at_ms[k]) * b.per_second / 1000.0);
    }
    c.at_ms[k] = std::max(c.at_ms[k], now_ms);  // a clock that steps back earns nothing
    if (c.tokens[k] >= 1.0) {
        c.tokens[k] -= 1.0;
        return std::nullopt;
    }
    ++refused_;
    const double wait_s = (1.0 - c.tokens[k]) / b.per_second;
    return static_cast<std::uint32_t>(std::max(1.0, std::ceil(wait_s)));
}

std::optional<Response> RateLimiter::check(const Request& req, std::int64_t now_ms) {
    if (limits_.exempt_loopback && loopback_remote(req.remote)) return std::nullopt;
    const Scope cls = scope_of(req);
    const auto wait = admit(client_address(req.remote), cls, now_ms);
    if (!wait) return std::nullopt;
    const Bucket& b = bucket(cls);
    char rate[64];
    std::snprintf(rate, sizeof rate, "%g requests/s (burst %g)", b.per_second, b.burst);
    return error_response(429, "rate_limited", "too many requests",
                          std::string("this client's ") + to_string(cls) + " requests are limited to " + rate +
                              "; see rateLimit." + (cls == Scope::admin ? "write" : to_string(cls)) + "PerSecond",
                          {{"Retry-After", std::to_string(*wait)}});
}

}  // namespace raftor::http
