#define BOOST_TEST_MODULE sim
#include <boost/test/unit_test.hpp>

#include "runtime/log/log.hpp"

namespace {
// The simulated nodes log like real ones, with wall-clock stamps that say nothing here,
// and their errors are the faults the simulator injects: the tests report what matters.
struct QuietLogs {
    QuietLogs() { raftor::logging::init("off", false, "sim"); }
};
}  // namespace
BOOST_TEST_GLOBAL_FIXTURE(QuietLogs);
