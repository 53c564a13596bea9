// The operations figures: counts by status, the duration histogram and the quantiles
// read from it as Prometheus's histogram_quantile reads them.
#include "runtime/state/ops_figures.hpp"

#include <boost/test/unit_test.hpp>

using namespace raftor::state;

namespace {

Execution ran(ExecStatus s, std::uint64_t duration_ms) {
    Execution e;
    e.status = s;
    e.started_ms = 1000;
    e.duration_ms = duration_ms;
    return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops_machine)

BOOST_AUTO_TEST_CASE(figures_count_by_status_and_read_quantiles_from_the_histogram) {
    OpsFigures f;
    BOOST_TEST(f.success_rate() == 1.0);
    BOOST_TEST(f.quantile_ms(0.95) == 0.0);
    BOOST_TEST(f.average_ms() == 0.0);
    // 90 fast (3 ms, bucket (1,5]), 10 slow (200 ms, bucket (100,250]).
    for (int i = 0; i < 90; ++i) f.add(ran(ExecStatus::success, 3));
    for (int i = 0; i < 8; ++i) f.add(ran(ExecStatus::failed, 200));
    f.add(ran(ExecStatus::timeout, 200));
    f.add(ran(ExecStatus::interrupted, 200));
    Execution skipped;  // never ran: counted, no duration
    skipped.status = ExecStatus::skipped;
    f.add(skipped);
    BOOST_TEST(f.finished() == 101u);
    BOOST_TEST(f.errors() == 10u);
    BOOST_TEST(f.of(ExecStatus::skipped) == 1u);
    BOOST_TEST(f.duration_count == 100u);
    BOOST_TEST(f.success_rate() == 0.9);
    BOOST_TEST(f.average_ms() == (90 * 3 + 10 * 200) / 100.0);
    BOOST_TEST(f.buckets[1] == 90u);  // <= 5
    BOOST_TEST(f.buckets[6] == 10u);  // <= 250
    // The 50th of 90 in (1, 5]: 1 + 4 * 50/90; the 95th: 5 of 10 into (100, 250].
    BOOST_TEST(f.quantile_ms(0.5) == 1.0 + 4.0 * 50.0 / 90.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(f.quantile_ms(0.95) == 100.0 + 150.0 * 5.0 / 10.0, boost::test_tools::tolerance(1e-9));
    // Past the last bound: its lower bound, as histogram_quantile answers.
    OpsFigures slow;
    slow.add(ran(ExecStatus::success, 1'000'000));
    BOOST_TEST(slow.quantile_ms(0.99) == 300000.0);
    BOOST_TEST(slow.buckets.back() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
