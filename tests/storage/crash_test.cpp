// A writer process killed with SIGKILL in the middle of writes: the reopened store
// holds a consistent prefix of what was committed, every record intact.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "runtime/raft/rng.hpp"
#include "runtime/storage/log_store.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor;
using namespace raftor::storage;

namespace {
// The payload is a function of (index, term), so any torn or mixed record shows.
std::string payload(raft::Index i, raft::Term t) {
    return "entry-" + std::to_string(i) + "-term-" + std::to_string(t) + std::string(i % 300, 'x');
}

// Writes batches forever; after its first commit it tells the parent through `ready_fd`.
[[noreturn]] void writer(const std::string& dir, std::uint64_t seed, int ready_fd) {
    Status st;
    auto s = LogStore::open(Options{dir, std::size_t{256} << 20, true}, st);
    if (!s) _exit(2);
    raft::Rng rng(seed);
    raft::Term term = 1;
    Loaded l;
    if (!s->load(l).ok()) _exit(3);
    if (!l.entries.empty()) term = l.entries.back().term;
    raft::Index next = s->last_index() + 1;
    for (;;) {
        // Now and then, overwrite a suffix with a newer term (a new leader's entries).
        if (next > 10 && rng.below(10) == 0) {
            next -= 1 + rng.below(5);
            ++term;
        }
        WriteBatch b;
        for (std::uint64_t k = 1 + rng.below(64); k > 0; --k, ++next)
            b.entries.push_back(raft::Entry{term, next, raft::EntryType::normal, payload(next, term)});
        b.hard_state = raft::HardState{term, 1, next - 1};
        if (!s->write(b).ok()) _exit(4);
        if (ready_fd >= 0) {
            const char c = 'w';
            if (::write(ready_fd, &c, 1) != 1) _exit(5);
            ::close(ready_fd);
            ready_fd = -1;
        }
    }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(sigkill_mid_write_leaves_a_consistent_prefix) {
    testing::TempDir d;
    raft::Index previous_last = 0;
    for (int round = 0; round < 8; ++round) {
        int fds[2];
        BOOST_REQUIRE(::pipe(fds) == 0);
        const pid_t pid = fork();
        BOOST_REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            writer(d.str(), 1000 + static_cast<std::uint64_t>(round), fds[1]);
        }
        ::close(fds[1]);
        // Wait for the writer's first commit (however slow the build), then kill it
        // at a moment that varies by round, in the middle of later writes.
        char c = 0;
        BOOST_REQUIRE(::read(fds[0], &c, 1) == 1);
        ::close(fds[0]);
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + 15 * round));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status), "writer exited on its own with " << WEXITSTATUS(status));

        Status st;
        auto s = LogStore::open(Options{d.str(), std::size_t{256} << 20, true}, st);
        BOOST_REQUIRE_MESSAGE(s != nullptr, st.message);
        Loaded l;
        st = s->load(l);
        BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
        BOOST_REQUIRE(!l.entries.empty());
        raft::Index expect = 1;
        raft::Term last_term = 0;
        for (const auto& e : l.entries) {
            BOOST_REQUIRE_EQUAL(e.index, expect++);
            BOOST_REQUIRE(e.term >= last_term);
            BOOST_REQUIRE(e.payload == payload(e.index, e.term));
            last_term = e.term;
        }
        // The hard state was written in the same transaction as the entries.
        BOOST_TEST(l.hard_state.commit == l.entries.back().index);
        BOOST_TEST_MESSAGE("round " << round << ": " << l.entries.size() << " entries intact");
        BOOST_TEST(l.entries.size() + 5 * (round + 1) > previous_last);  // progress, minus rewritten suffixes
        previous_last = l.entries.size();
    }
}

BOOST_AUTO_TEST_SUITE_END()
