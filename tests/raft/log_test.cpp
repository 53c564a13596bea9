#include "runtime/raft/log.hpp"

#include <boost/test/unit_test.hpp>

using namespace raftor::raft;

namespace {
Entry e(Index i, Term t, std::string p = {}) {
    return Entry{t, i, EntryType::normal, std::move(p)};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(raft_log)

BOOST_AUTO_TEST_CASE(terms_indexes_and_up_to_date) {
    RaftLog l;
    BOOST_TEST(l.last_index() == 0u);
    BOOST_TEST(*l.term_at(0) == 0u);
    l.append(e(1, 1));
    l.append(e(2, 1));
    l.append(e(3, 2));
    BOOST_TEST(l.last_term() == 2u);
    BOOST_TEST(!l.term_at(4).has_value());
    BOOST_TEST(l.is_up_to_date(3, 2));
    BOOST_TEST(l.is_up_to_date(1, 3));   // higher last term wins
    BOOST_TEST(!l.is_up_to_date(9, 1));  // longer but older term loses
    BOOST_TEST(!l.is_up_to_date(2, 2));
    BOOST_TEST(l.first_index_of_term_at(2) == 1u);
    BOOST_TEST(l.last_index_of_term(1) == 2u);
    BOOST_TEST(l.last_index_of_term(5) == 0u);
}

BOOST_AUTO_TEST_CASE(truncate_and_compact) {
    RaftLog l;
    for (Index i = 1; i <= 10; ++i) l.append(e(i, i < 6 ? 1 : 2));
    l.truncate_from(8);
    BOOST_TEST(l.last_index() == 7u);
    l.compact_to(4, 1);
    BOOST_TEST(l.first_index() == 5u);
    BOOST_TEST(*l.term_at(4) == 1u);
    BOOST_TEST(!l.term_at(3).has_value());
    BOOST_TEST(l.at(7).term == 2u);
    l.reset(20, 3);
    BOOST_TEST(l.last_index() == 20u);
    BOOST_TEST(l.last_term() == 3u);
}

BOOST_AUTO_TEST_CASE(slices_are_bounded_by_count_and_bytes) {
    RaftLog l;
    for (Index i = 1; i <= 100; ++i) l.append(e(i, 1, std::string(100, 'x')));
    BOOST_TEST(l.slice(1, 10, 1 << 20).size() == 10u);
    BOOST_TEST(l.slice(1, 1000, 3 * 124).size() == 3u);
    BOOST_TEST(l.slice(1, 1000, 1).size() == 1u);  // always at least one
    BOOST_TEST(l.slice(95, 1000, 1 << 20).size() == 6u);
    BOOST_TEST(l.slice(3, 5).size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
