// The chaos run's pure checks: what an HTTP answer means for an operation, the history
// handed to the linearizability checker, and the exactly-once accounting of slots.
#define BOOST_TEST_MODULE chaos_checks
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "tests/chaos/fires.hpp"
#include "tests/chaos/history.hpp"

using namespace raftor::chaos;

BOOST_AUTO_TEST_CASE(answers_are_classified_by_what_they_prove) {
    // Never sent: nothing happened. Sent without an answer: anything may have.
    BOOST_TEST(
        (classify(Fn::write, 0, "", "connecting to 10.0.0.1:8080: Connection refused").outcome == Outcome::fail));
    BOOST_TEST((classify(Fn::write, 0, "", "reading from 10.0.0.1:8080: timed out").outcome == Outcome::info));
    BOOST_TEST((classify(Fn::cas, 0, "", "writing to 10.0.0.1:8080: Broken pipe").outcome == Outcome::info));
    BOOST_TEST((classify(Fn::read, 0, "", "reading from 10.0.0.1:8080: timed out").outcome == Outcome::fail));
    BOOST_TEST((classify(Fn::write, 200, "", "").outcome == Outcome::ok));
    BOOST_TEST((classify(Fn::read, 404, "not_found", "").outcome == Outcome::ok));
    BOOST_TEST((classify(Fn::read, 503, "no_leader", "").outcome == Outcome::fail));
    const auto cas_failed = classify(Fn::cas, 412, "revision_mismatch", "");
    BOOST_TEST((cas_failed.outcome == Outcome::fail));
    BOOST_TEST(cas_failed.precondition_failed);
    // Refused before the log: certainly not applied.
    BOOST_TEST((classify(Fn::write, 503, "no_leader", "").outcome == Outcome::fail));
    BOOST_TEST((classify(Fn::write, 507, "storage_full", "").outcome == Outcome::fail));
    BOOST_TEST((classify(Fn::write, 409, "conflict", "").outcome == Outcome::fail));
    // Maybe applied.
    BOOST_TEST((classify(Fn::write, 503, "outcome_unknown", "").outcome == Outcome::info));
    BOOST_TEST((classify(Fn::write, 503, "leader_unreachable", "").outcome == Outcome::info));
    BOOST_TEST((classify(Fn::del, 500, "internal", "").outcome == Outcome::info));
}

namespace {
Op op(std::uint64_t client, Fn fn, std::string key, std::optional<std::string> value, std::uint64_t invoke,
      std::uint64_t complete, Outcome outcome) {
    Op o;
    o.client = client;
    o.fn = fn;
    o.key = std::move(key);
    if (fn == Fn::read)
        o.observed = value;
    else
        o.value = value;
    o.invoke_us = invoke;
    o.complete_us = complete;
    o.outcome = outcome;
    return o;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_lost_acknowledged_write_is_not_linearizable) {
    // x is written and acknowledged, then a later read sees the value before it.
    std::vector<Op> h{op(1, Fn::write, "x", "a", 0, 10, Outcome::ok), op(1, Fn::write, "x", "b", 20, 30, Outcome::ok),
                      op(2, Fn::read, "x", "a", 40, 50, Outcome::ok)};
    auto r = raftor::sim::check_linearizable(to_kv_ops(h));
    BOOST_TEST(!r.ok);
    BOOST_TEST(r.key == "x");
    // The same with the second write unknown: it may not have applied, so it is fine.
    h[1].outcome = Outcome::info;
    BOOST_TEST(raftor::sim::check_linearizable(to_kv_ops(h)).ok);
    // Refused (fail without a precondition): left out, and the read of "b" is then impossible.
    h[1].outcome = Outcome::fail;
    h[2].observed = "b";
    BOOST_TEST(to_kv_ops(h).size() == 2u);
    BOOST_TEST(!raftor::sim::check_linearizable(to_kv_ops(h)).ok);
}

BOOST_AUTO_TEST_CASE(a_failed_compare_and_set_says_the_value_was_another) {
    std::vector<Op> h{op(1, Fn::write, "x", "a", 0, 10, Outcome::ok)};
    Op cas = op(2, Fn::cas, "x", "c", 20, 30, Outcome::fail);
    cas.expected = "a";
    cas.precondition_failed = true;
    h.push_back(cas);
    // Nothing wrote x between: "a" was there, so the failure is impossible.
    BOOST_TEST(!raftor::sim::check_linearizable(to_kv_ops(h)).ok);
    h.push_back(op(3, Fn::write, "x", "b", 15, 25, Outcome::ok));  // unless b overlapped it
    BOOST_TEST(raftor::sim::check_linearizable(to_kv_ops(h)).ok);
}

BOOST_AUTO_TEST_CASE(the_history_file_has_an_invocation_and_a_completion_per_operation) {
    std::vector<Op> h{op(1, Fn::write, "x", "a", 5, 10, Outcome::ok), op(2, Fn::read, "x", "a", 0, 20, Outcome::ok)};
    h[1].detail = "";
    std::ostringstream out;
    write_jsonl(out, h);
    const std::string s = out.str();
    BOOST_TEST(std::count(s.begin(), s.end(), '\n') == 4);
    BOOST_TEST(s.find(R"("type":"invoke")") < s.find(R"("type":"ok")"));
    BOOST_TEST(s.find(R"("observed":"a")") != std::string::npos);
    const auto c = count(h);
    BOOST_TEST(c.ops == 2u);
    BOOST_TEST(c.ok == 2u);
}

BOOST_AUTO_TEST_CASE(every_slot_once_passes_and_a_gap_or_a_repeat_fails) {
    const std::int64_t t0 = 1'700'000'000'000;
    std::vector<std::int64_t> slots;
    for (int i = 1; i <= 60; ++i) slots.push_back(t0 + i * 1000);
    auto ok = check_fires(slots, 1000, t0, t0 + 61'000, 2500);
    BOOST_TEST(ok.ok, ok.explanation);
    BOOST_TEST(ok.expected == 60u);
    BOOST_TEST(ok.seen == 60u);

    auto twice = slots;
    twice.push_back(t0 + 30'000);
    auto d = check_fires(twice, 1000, t0, t0 + 61'000, 2500);
    BOOST_TEST(!d.ok);
    BOOST_TEST(d.duplicates == 1u);
    BOOST_TEST(d.explanation.find("fired twice") != std::string::npos);

    auto gap = slots;
    gap.erase(gap.begin() + 20);
    auto g = check_fires(gap, 1000, t0, t0 + 61'000, 2500);
    BOOST_TEST(!g.ok);
    BOOST_TEST(g.missing == 1u);
    BOOST_TEST(g.explanation.find(std::to_string(t0 + 21'000)) != std::string::npos);

    // Stopped firing long before the end: the slots after are missing.
    std::vector<std::int64_t> early(slots.begin(), slots.begin() + 40);
    auto e = check_fires(early, 1000, t0, t0 + 61'000, 2500);
    BOOST_TEST(!e.ok);
    BOOST_TEST(e.missing == 18u);

    // Fired ahead by a clock that jumped: allowed, each once.
    auto ahead = slots;
    for (int i = 61; i <= 80; ++i) ahead.push_back(t0 + i * 1000);
    auto a = check_fires(ahead, 1000, t0, t0 + 61'000, 2500);
    BOOST_TEST(a.ok, a.explanation);
    BOOST_TEST(a.expected == 80u);

    // Nothing, or a first slot long after registration.
    BOOST_TEST(!check_fires({}, 1000, t0, t0 + 61'000, 2500).ok);
    std::vector<std::int64_t> late(slots.begin() + 10, slots.end());
    BOOST_TEST(!check_fires(late, 1000, t0, t0 + 61'000, 2500).ok);
}

BOOST_AUTO_TEST_CASE(reasons_are_grouped_by_cause_most_frequent_first) {
    std::vector<Op> h(4);
    h[0].outcome = h[1].outcome = h[2].outcome = Outcome::fail;
    h[0].detail = "connecting to 10.0.0.1:8080: Connection refused";
    h[1].detail = "connecting to 10.0.0.2:8080: Connection refused";
    h[2].detail = "412 revision_mismatch";
    h[3].outcome = Outcome::info;
    h[3].detail = "reading from 10.0.0.1:8080: timed out";
    const auto f = reasons(h, Outcome::fail);
    BOOST_TEST(f.size() == 2u);
    BOOST_TEST(f[0].first == "connecting: Connection refused");
    BOOST_TEST(f[0].second == 2u);
    const auto i = reasons(h, Outcome::info);
    BOOST_TEST(i.size() == 1u);
    BOOST_TEST(i[0].first == "reading: timed out");
}
