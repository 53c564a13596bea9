// The LRU cache behind the operations cache: bounded, least recently used out first,
// hits and misses counted.
#include "runtime/common/lru_cache.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using raftor::common::LruCache;

BOOST_AUTO_TEST_SUITE(lru_cache)

BOOST_AUTO_TEST_CASE(the_least_recently_used_goes_first) {
    LruCache<std::string, int> c(3);
    BOOST_TEST(c.get("a") == nullptr);
    c.put("a", 1);
    c.put("b", 2);
    c.put("c", 3);
    BOOST_TEST(*c.get("a") == 1);  // a is now the most recent: b is the oldest
    c.put("d", 4);
    BOOST_TEST(c.size() == 3u);
    BOOST_TEST(c.get("b") == nullptr);
    BOOST_TEST(*c.get("c") == 3);
    BOOST_TEST(*c.get("d") == 4);
    c.put("a", 10);  // replaced in place, made most recent
    BOOST_TEST(*c.get("a") == 10);
    BOOST_TEST(c.hits() == 4u);
    BOOST_TEST(c.misses() == 2u);
    BOOST_TEST(c.evictions() == 1u);
    c.set_capacity(1);
    BOOST_TEST(c.size() == 1u);
    BOOST_TEST(*c.get("a") == 10);
    c.erase("a");
    BOOST_TEST(c.size() == 0u);
}

BOOST_AUTO_TEST_CASE(capacity_zero_caches_nothing) {
    LruCache<int, int> c(0);
    c.put(1, 1);
    BOOST_TEST(c.get(1) == nullptr);
    BOOST_TEST(c.size() == 0u);
    BOOST_TEST(c.misses() == 1u);
}

BOOST_AUTO_TEST_CASE(a_long_run_stays_bounded_and_consistent) {
    LruCache<int, int> c(100);
    std::uint64_t seed = 7;
    for (int i = 0; i < 100'000; ++i) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        const int k = static_cast<int>((seed >> 33) % 300);
        if (const int* v = c.get(k))
            BOOST_REQUIRE(*v == k * 2);
        else
            c.put(k, k * 2);
        BOOST_REQUIRE(c.size() <= 100u);
    }
    BOOST_TEST(c.hits() + c.misses() == 100'000u);
    BOOST_TEST(c.hits() > 20'000u);  // about a third of 300 keys fit
}

BOOST_AUTO_TEST_SUITE_END()
