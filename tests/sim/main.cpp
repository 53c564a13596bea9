#define BOOST_TEST_MODULE sim
#include <boost/test/unit_test.hpp>

#include "runtime/log/log.hpp"

namespace {
// The simulated nodes log like real ones; only warnings and errors are worth reading here.
struct QuietLogs {
    QuietLogs() { raftor::logging::init("warn", false, "sim"); }
};
}  // namespace
BOOST_TEST_GLOBAL_FIXTURE(QuietLogs);
