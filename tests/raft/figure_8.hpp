#pragma once
// Figure 3.7 (Figure 8 of the paper): S1 leads term 4 with an entry of term 2 at index
// 2, which S2 and S3 then store - with S1 a majority of five - while S5 could still be
// elected and overwrite it. For the scenario test and for its mutant.
#include <boost/test/unit_test.hpp>

#include "runtime/raft/raft.hpp"
#include "tests/raft/manual.hpp"

namespace raftor::raft::testing {

inline Restore figure_8_restore() {
    Restore r;
    r.hard_state = HardState{3, 0, 0};
    r.entries = {Entry{1, 1, EntryType::normal, "a"}, Entry{2, 2, EntryType::normal, "b"}};
    r.initial_conf = voters({1, 2, 3, 4, 5});
    return r;
}

// S1 wins term 4, then S2 and S3 acknowledge index 2: the commit index after that.
inline Index figure_8_commit_after_old_term_acks(Raft& s1) {
    win_election(s1, {2, 3});
    BOOST_REQUIRE(s1.log().last_index() == 3u);  // the term-4 no-op
    for (NodeId v : {2, 3})
        s1.step(Message{.type = MessageType::append_resp, .from = v, .to = 1, .term = 4, .index = 2});
    drain(s1);
    return s1.commit();
}

}  // namespace raftor::raft::testing
