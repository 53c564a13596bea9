#define BOOST_TEST_MODULE raft
#include <boost/test/unit_test.hpp>
