#include "runtime/http/rate_limit.hpp"

#include <boost/test/unit_test.hpp>

using namespace raftor::http;

namespace {
Request get(const std::string& target, const std::string& remote) {
    Request r;
    r.method = "GET";
    r.target = target;
    r.remote = remote;
    return r;
}
Request put(const std::string& target, const std::string& remote) {
    Request r = get(target, remote);
    r.method = "PUT";
    return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limit)

BOOST_AUTO_TEST_CASE(client_address_drops_the_port) {
    BOOST_TEST(client_address("10.0.0.7:51234") == "10.0.0.7");
    BOOST_TEST(client_address("::1:8080") == "::1");
    BOOST_TEST(client_address("[fe80::1]:8080") == "fe80::1");
    BOOST_TEST(client_address("::ffff:10.1.2.3:99") == "10.1.2.3");
    BOOST_TEST(loopback_remote("::1:4000"));
    BOOST_TEST(loopback_remote("127.0.0.1:4000"));
    BOOST_TEST(!loopback_remote("10.0.0.1:4000"));
}

BOOST_AUTO_TEST_CASE(a_burst_beyond_the_bucket_gets_429_with_retry_after) {
    RateLimits l;
    l.write = {10, 5};
    RateLimiter rl(l);
    for (int i = 0; i < 5; ++i) BOOST_TEST(!rl.check(put("/kv/a", "10.0.0.2:1000"), 0));
    auto refused = rl.check(put("/kv/a", "10.0.0.2:1001"), 0);  // another port, the same client
    BOOST_REQUIRE(refused);
    BOOST_TEST(refused->status == 429);
    BOOST_TEST(refused->body.find("rate_limited") != std::string::npos);
    BOOST_TEST(refused->body.find("rateLimit.writePerSecond") != std::string::npos);
    bool retry_after = false;
    for (const auto& [k, v] : refused->headers)
        if (k == "Retry-After") retry_after = v == "1";
    BOOST_TEST(retry_after);
    BOOST_TEST(rl.refused() == 1u);
    // 10/s: one token back after 100 ms, and only one.
    BOOST_TEST(!rl.check(put("/kv/a", "10.0.0.2:1000"), 100));
    BOOST_TEST(rl.check(put("/kv/a", "10.0.0.2:1000"), 100).has_value());
    // Full again after half a second, never beyond the burst.
    for (int i = 0; i < 5; ++i) BOOST_TEST(!rl.check(put("/kv/a", "10.0.0.2:1000"), 10'000));
    BOOST_TEST(rl.check(put("/kv/a", "10.0.0.2:1000"), 10'000).has_value());
}

BOOST_AUTO_TEST_CASE(classes_and_clients_have_their_own_buckets) {
    RateLimits l;
    l.write = {1, 1};
    l.read = {1, 2};
    l.open = {0, 0};  // unlimited
    RateLimiter rl(l);
    BOOST_TEST(!rl.check(put("/kv/a", "10.0.0.2:1"), 0));
    BOOST_TEST(rl.check(put("/kv/a", "10.0.0.2:1"), 0).has_value());
    BOOST_TEST(!rl.check(get("/kv/a", "10.0.0.2:1"), 0));  // reads: their own bucket
    BOOST_TEST(!rl.check(get("/kv/a", "10.0.0.2:1"), 0));
    BOOST_TEST(rl.check(get("/kv/a", "10.0.0.2:1"), 0).has_value());
    BOOST_TEST(!rl.check(put("/kv/a", "10.0.0.3:1"), 0));  // another client
    for (int i = 0; i < 1000; ++i) BOOST_TEST(!rl.check(get("/health", "10.0.0.2:1"), 0));
    // /admin reads count as writes: they need the admin scope.
    BOOST_TEST(rl.check(get("/admin/members", "10.0.0.2:1"), 0).has_value());
}

BOOST_AUTO_TEST_CASE(retry_after_says_how_long_a_slow_bucket_takes) {
    RateLimits l;
    l.write = {0.1, 1};  // one every ten seconds
    RateLimiter rl(l);
    BOOST_TEST(!rl.admit("c", Scope::admin, 0));
    BOOST_TEST(rl.admit("c", Scope::admin, 0).value() == 10u);
    BOOST_TEST(rl.admit("c", Scope::admin, 5'000).value() == 5u);
    BOOST_TEST(!rl.admit("c", Scope::admin, 10'000));
}

BOOST_AUTO_TEST_CASE(loopback_is_exempt_unless_configured_otherwise) {
    RateLimits l;
    l.write = {1, 1};
    RateLimiter exempt(l);
    for (int i = 0; i < 10; ++i) BOOST_TEST(!exempt.check(put("/kv/a", "127.0.0.1:5"), 0));
    l.exempt_loopback = false;
    RateLimiter strict(l);
    BOOST_TEST(!strict.check(put("/kv/a", "127.0.0.1:5"), 0));
    BOOST_TEST(strict.check(put("/kv/a", "127.0.0.1:5"), 0).has_value());
}

BOOST_AUTO_TEST_CASE(the_table_of_clients_is_bounded_and_a_stepped_back_clock_earns_nothing) {
    RateLimits l;
    l.write = {1, 1};
    l.clients_max = 3;
    RateLimiter rl(l);
    for (int c = 0; c < 100; ++c) rl.admit("c" + std::to_string(c), Scope::admin, 1000);
    BOOST_TEST(rl.clients() == 3u);
    BOOST_TEST(!rl.admit("x", Scope::admin, 5000));
    BOOST_TEST(rl.admit("x", Scope::admin, 0).has_value());  // back in time: no refill
    BOOST_TEST(rl.admit("x", Scope::admin, 5000).has_value());
    BOOST_TEST(!rl.admit("x", Scope::admin, 6000));
}

BOOST_AUTO_TEST_SUITE_END()
