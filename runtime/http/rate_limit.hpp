#pragma once
// Token buckets per client and route class (pure: the time is an argument).
//
// A client is the address a request came from (not its port: one host, one budget).
// Each class has its own bucket, so a flood of reads does not starve the writes of the
// same client, and a stranger's flood of health probes costs the others nothing.
// A request over the budget is answered 429 with the seconds after which a request
// would be admitted (Retry-After). The table of clients is bounded: the client idle
// longest is forgotten first, and a forgotten client starts with a full bucket.
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "runtime/http/access.hpp"
#include "runtime/http/message.hpp"

namespace raftor::http {

struct Bucket {
    double per_second = 0;  // 0: unlimited
    double burst = 0;       // the most a client may spend at once
};

struct RateLimits {
    Bucket open{200, 400};        // health probes, metrics, the console page
    Bucket read{5'000, 10'000};   // GETs that need the read scope
    Bucket write{2'000, 4'000};   // everything that needs the admin scope
    bool exempt_loopback = true;  // a client on this host is not limited
    std::size_t clients_max = 10'000;
};

class RateLimiter {
public:
    explicit RateLimiter(RateLimits limits) : limits_(limits) {}

    // Nullopt when admitted (one token spent), else the seconds to wait (at least 1).
    std::optional<std::uint32_t> admit(const std::string& client, Scope cls, std::int64_t now_ms);

    // admit() for a request: the 429 to answer, or nullopt.
    std::optional<Response> check(const Request& req, std::int64_t now_ms);

    std::size_t clients() const { return index_.size(); }
    std::uint64_t refused() const { return refused_; }

private:
    struct Client {
        std::string key;
        double tokens[3] = {0, 0, 0};
        std::int64_t at_ms[3] = {0, 0, 0};
        bool seen[3] = {false, false, false};
    };
    const Bucket& bucket(Scope cls) const;

    RateLimits limits_;
    std::list<Client> order_;  // most recently seen first
    std::unordered_map<std::string, std::list<Client>::iterator> index_;
    std::uint64_t refused_ = 0;
};

}  // namespace raftor::http
