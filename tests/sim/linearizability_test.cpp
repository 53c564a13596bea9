// The KV linearizability checker on hand-made histories: each illegal one is a real
// bug's signature (a stale read, a lost write, a write applied twice), each legal one
// a case a naive checker gets wrong (concurrency, unknown outcomes).
#include "sim/linearizability.hpp"

#include <boost/test/unit_test.hpp>
#include <map>

#include "runtime/raft/rng.hpp"

using namespace raftor::sim;
using K = KvOp::Kind;
using R = KvOp::Result;

namespace {

KvOp put(std::string v, std::uint64_t a, std::uint64_t b, R r = R::ok, std::string key = "k") {
    KvOp op;
    op.kind = K::put;
    op.key = std::move(key);
    op.value = std::move(v);
    op.invoke = a;
    op.complete = b;
    op.result = r;
    return op;
}
KvOp get(std::optional<std::string> seen, std::uint64_t a, std::uint64_t b, std::string key = "k") {
    KvOp op;
    op.kind = K::get;
    op.key = std::move(key);
    op.observed = std::move(seen);
    op.invoke = a;
    op.complete = b;
    return op;
}
KvOp cas(std::optional<std::string> expected, std::string v, std::uint64_t a, std::uint64_t b, R r) {
    KvOp op = put(std::move(v), a, b, r);
    op.kind = K::cas;
    op.expected = std::move(expected);
    return op;
}
KvOp del(std::uint64_t a, std::uint64_t b, R r = R::ok) {
    KvOp op = put("", a, b, r);
    op.kind = K::del;
    op.value.reset();
    return op;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linearizability)

BOOST_AUTO_TEST_CASE(sequential_histories) {
    BOOST_TEST(check_linearizable({}).ok);
    BOOST_TEST(check_linearizable({get(std::nullopt, 1, 2)}).ok);
    BOOST_TEST(check_linearizable({put("a", 1, 2), get("a", 3, 4), del(5, 6), get(std::nullopt, 7, 8)}).ok);
    // A read that misses a write completed before it began: stale.
    const auto r = check_linearizable({put("a", 1, 2), put("b", 3, 4), get("a", 5, 6)});
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.key == "k");
    BOOST_TEST(r.explanation.find("get k -> 'a'") != std::string::npos, r.explanation);
    // A value no one wrote.
    BOOST_TEST(!check_linearizable({put("a", 1, 2), get("z", 3, 4)}).ok);
    // A deleted key read back.
    BOOST_TEST(!check_linearizable({put("a", 1, 2), del(3, 4), get("a", 5, 6)}).ok);
}

BOOST_AUTO_TEST_CASE(concurrent_operations_may_take_effect_in_either_order) {
    // Two overlapping writes; reads after both may see either, but then must agree.
    BOOST_TEST(check_linearizable({put("a", 1, 10), put("b", 2, 9), get("a", 11, 12)}).ok);
    BOOST_TEST(check_linearizable({put("a", 1, 10), put("b", 2, 9), get("b", 11, 12)}).ok);
    BOOST_TEST(!check_linearizable({put("a", 1, 10), put("b", 2, 9), get("a", 11, 12), get("b", 13, 14)}).ok);
    // A read overlapping a write may see the old or the new value...
    BOOST_TEST(check_linearizable({put("a", 1, 2), put("b", 3, 10), get("a", 4, 5), get("b", 6, 7)}).ok);
    // ...but once one read saw the new value, a later read may not see the old one.
    BOOST_TEST(!check_linearizable({put("a", 1, 2), put("b", 3, 10), get("b", 4, 5), get("a", 6, 7)}).ok);
    // Operations that touch (one completes when the other begins) count as concurrent.
    BOOST_TEST(check_linearizable({put("a", 1, 5), get(std::nullopt, 5, 6)}).ok);
}

BOOST_AUTO_TEST_CASE(unknown_outcomes_may_or_may_not_have_happened) {
    // A write with no answer may show up later, at any time after it was invoked...
    BOOST_TEST(check_linearizable({put("a", 1, 2), put("b", 3, 0, R::unknown), get("a", 4, 5), get("b", 6, 7)}).ok);
    // ...or never.
    BOOST_TEST(check_linearizable({put("a", 1, 2), put("b", 3, 0, R::unknown), get("a", 40, 50)}).ok);
    // But not before it was invoked, and not undone once seen.
    BOOST_TEST(!check_linearizable({get("b", 1, 2), put("b", 3, 0, R::unknown)}).ok);
    BOOST_TEST(!check_linearizable({put("a", 1, 2), put("b", 3, 0, R::unknown), get("b", 4, 5), get("a", 6, 7)}).ok);
}

BOOST_AUTO_TEST_CASE(compare_and_set) {
    BOOST_TEST(check_linearizable({put("a", 1, 2), cas("a", "b", 3, 4, R::ok), get("b", 5, 6)}).ok);
    BOOST_TEST(check_linearizable({cas(std::nullopt, "a", 1, 2, R::ok), get("a", 3, 4)}).ok);
    // A compare-and-set that succeeded although the value had changed: a lost update.
    BOOST_TEST(!check_linearizable({put("a", 1, 2), put("b", 3, 4), cas("a", "c", 5, 6, R::ok)}).ok);
    // One that failed although its precondition held.
    BOOST_TEST(!check_linearizable({put("a", 1, 2), cas("a", "c", 5, 6, R::failed)}).ok);
    // Two clients swap from the same value: only one may win.
    BOOST_TEST(!check_linearizable({put("a", 1, 2), cas("a", "b", 3, 10, R::ok), cas("a", "c", 4, 9, R::ok)}).ok);
    BOOST_TEST(check_linearizable(
                   {put("a", 1, 2), cas("a", "b", 3, 10, R::ok), cas("a", "c", 4, 9, R::failed), get("b", 11, 12)})
                   .ok);
    // A failed compare-and-set explained only by an unknown write no one read.
    BOOST_TEST(check_linearizable({put("a", 1, 2), put("b", 3, 0, R::unknown), cas("a", "c", 5, 6, R::failed),
                                   put("d", 7, 8), get("d", 9, 10)})
                   .ok);
    // One that expects a value no one wrote always fails, and must.
    BOOST_TEST(check_linearizable({put("a", 1, 2), cas("zz", "c", 3, 4, R::failed), get("a", 5, 6)}).ok);
    BOOST_TEST(!check_linearizable({put("a", 1, 2), cas("zz", "c", 3, 4, R::ok)}).ok);
    // An unknown compare-and-set may have applied, if it could.
    BOOST_TEST(check_linearizable({put("a", 1, 2), cas("a", "b", 3, 0, R::unknown), get("b", 5, 6)}).ok);
    BOOST_TEST(
        !check_linearizable({put("a", 1, 2), put("x", 3, 4), cas("a", "b", 5, 0, R::unknown), get("b", 6, 7)}).ok);
}

BOOST_AUTO_TEST_CASE(keys_are_independent) {
    std::vector<KvOp> h{put("a", 1, 2, R::ok, "k1"), put("b", 1, 2, R::ok, "k2"), get("a", 3, 4, "k1"),
                        get("b", 3, 4, "k2")};
    auto r = check_linearizable(h);
    BOOST_TEST(r.ok);
    BOOST_TEST(r.keys == 2u);
    BOOST_TEST(r.ops == 4u);
    h.push_back(get("a", 5, 6, "k2"));  // k1's value read on k2
    r = check_linearizable(h);
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.key == "k2");
}

// A long, highly concurrent history from a simulated atomic register is linearizable,
// and the checker is fast on it; one corrupted read makes it fail.
BOOST_AUTO_TEST_CASE(ten_thousand_operations_from_a_real_register) {
    raftor::raft::Rng rng(7);
    std::vector<KvOp> h;
    std::map<std::string, std::optional<std::string>> reg;
    std::uint64_t t = 0, unique = 0;
    const int clients = 8;
    for (int i = 0; i < 10'000; ++i) {
        const std::string key = "k" + std::to_string(rng.below(10));
        const std::uint64_t invoke = t + rng.below(5);
        t += 3;
        const std::uint64_t complete = invoke + 2 + rng.below(40);
        KvOp op;
        op.key = key;
        op.client = static_cast<std::uint64_t>(i % clients);
        op.invoke = invoke;
        op.complete = complete;
        h.push_back(op);
    }
    // Each op takes effect inside its interval (at its middle): apply them in that order.
    std::vector<std::pair<std::uint64_t, std::size_t>> order;
    for (std::size_t i = 0; i < h.size(); ++i) order.emplace_back(h[i].invoke + (h[i].complete - h[i].invoke) / 2, i);
    std::sort(order.begin(), order.end());
    for (auto [when, i] : order) {
        (void)when;
        KvOp& op = h[i];
        auto& cur = reg[op.key];
        switch (rng.below(4)) {
            case 0:
                op.kind = K::put;
                op.value = "v" + std::to_string(++unique);
                cur = op.value;
                break;
            case 1:
                op.kind = K::get;
                op.observed = cur;
                break;
            case 2:
                op.kind = K::cas;
                op.expected = rng.below(2) ? cur : std::optional<std::string>("v0");
                op.value = "v" + std::to_string(++unique);
                op.result = op.expected == cur ? R::ok : R::failed;
                if (op.result == R::ok) cur = op.value;
                break;
            default:
                op.kind = K::put;
                op.value = "v" + std::to_string(++unique);
                if (rng.below(2)) op.result = R::unknown;  // it applied, but its answer was lost
                cur = op.value;
        }
    }
    auto r = check_linearizable(h);
    BOOST_TEST(r.ok, r.explanation);
    BOOST_TEST(!r.exhausted);
    BOOST_TEST_MESSAGE("10,000 ops over " << r.keys << " keys: " << r.steps << " search steps");
    // Corrupt one read that saw a value to see an older one of the same key.
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        KvOp& op = h[it->second];
        if (op.kind != K::get || !op.observed) continue;
        op.observed = std::string("v0");  // never written
        break;
    }
    r = check_linearizable(h);
    BOOST_TEST(!r.ok);
}

BOOST_AUTO_TEST_CASE(a_search_that_runs_out_says_so) {
    std::vector<KvOp> h;
    for (int i = 0; i < 30; ++i) h.push_back(put("v" + std::to_string(i), 1, 100));
    h.push_back(get("nobody", 101, 102));
    // 30 concurrent writes: every order is a candidate, and the read matches none.
    const auto r = check_linearizable(h, 1000);
    BOOST_TEST(r.exhausted);
    BOOST_TEST(r.ok);  // not refuted either: the caller must report "inconclusive"
    BOOST_TEST(r.explanation.find("search budget of 1000 steps ran out over 31 operations") != std::string::npos,
               r.explanation);
}

// Many writes without an answer that no one read are interchangeable: the search tries
// one of them at each point, not every subset. This shape (a chaos run's clients timing
// out against a key while others kept reading it) ran a 20-million-step budget out.
BOOST_AUTO_TEST_CASE(unread_unknown_writes_do_not_make_the_search_exponential) {
    std::vector<KvOp> h{put("a", 1, 2)};
    for (int i = 0; i < 40; ++i) h.push_back(put("u" + std::to_string(i), 3 + i, 0, R::unknown));
    h.push_back(del(3, 0, R::unknown));
    h.push_back(del(4, 0, R::unknown));
    h.push_back(get("a", 50, 51));
    for (std::uint64_t j = 0; j < 100; ++j) {
        const std::uint64_t t = 100 + 10 * j;
        const std::string x = "x" + std::to_string(j);
        h.push_back(put(x, t, t + 1));
        h.push_back(get(x, t + 2, t + 3));
        h.push_back(cas("a", "y" + std::to_string(j), t + 4, t + 5, R::failed));
    }
    const auto r = check_linearizable(h, 2'000'000);
    BOOST_TEST(!r.exhausted, r.explanation);
    BOOST_TEST(r.ok, r.explanation);
    BOOST_TEST_MESSAGE("steps: " << r.steps);
    // A stale read at the end is still found, as quickly.
    h.push_back(get("x3", 5000, 5001));
    const auto bad = check_linearizable(h);  // the chaos run's budget
    BOOST_TEST_MESSAGE("bad steps: " << bad.steps);
    BOOST_TEST(!bad.exhausted, bad.explanation);
    BOOST_TEST(!bad.ok);
    // An unknown write someone read is not interchangeable with the rest: it must land
    // between its call and that read.
    std::vector<KvOp> g{put("a", 1, 2)};
    for (int i = 0; i < 10; ++i) g.push_back(put("u" + std::to_string(i), 3, 0, R::unknown));
    g.push_back(get("u7", 10, 11));
    g.push_back(get("a", 12, 13));
    BOOST_TEST(!check_linearizable(g).ok);
    g.pop_back();
    g.push_back(get("u7", 12, 13));
    BOOST_TEST(check_linearizable(g).ok);
}

BOOST_AUTO_TEST_SUITE_END()
