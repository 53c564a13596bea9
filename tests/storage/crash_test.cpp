// A writer process killed with SIGKILL in the middle of writes: the reopened store
// holds a consistent prefix of what was written, every record intact, and nothing the
// writer was told is durable has gone missing.
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

struct Ack {
    raft::Index index;
    raft::Term term;
    bool intent;  // about to write from `index` (not yet acknowledged)
};

// Writes batches forever and tells the parent, through `ack_fd`, the last entry of
// every write that returned.
[[noreturn]] void writer(const std::string& dir, std::uint64_t seed, int ack_fd) {
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
        const Ack intent{b.entries.front().index, term, true};
        if (::write(ack_fd, &intent, sizeof intent) != sizeof intent) _exit(5);
        if (!s->write(b).ok()) _exit(4);
        const Ack ack{next - 1, term, false};
        if (::write(ack_fd, &ack, sizeof ack) != sizeof ack) _exit(5);
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
        // Wait for the writer's first write (however slow the build), then kill it
        // at a moment that varies by round, in the middle of later writes.
        Ack ack{}, pending{};
        do BOOST_REQUIRE(::read(fds[0], &ack, sizeof ack) == sizeof ack);
        while (ack.intent);
        std::this_thread::sleep_for(std::chrono::milliseconds(5 + 15 * round));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status), "writer exited on its own with " << WEXITSTATUS(status));
        for (Ack a{}; ::read(fds[0], &a, sizeof a) == sizeof a;) (a.intent ? pending : ack) = a;
        const bool in_flight = pending.intent && (pending.term > ack.term || pending.index > ack.index);
        ::close(fds[0]);

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
        // The last acknowledged entry is there, unless a write in flight had begun
        // replacing it (Raft lets a follower drop uncommitted entries a new leader
        // replaces): then everything before that write's first entry is.
        const bool kept = l.entries.size() >= ack.index && l.entries[ack.index - 1].term == ack.term;
        const bool replaced = in_flight && pending.index <= ack.index && l.entries.size() + 1 >= pending.index;
        BOOST_TEST((kept || replaced), "acknowledged entry " << ack.index << " (term " << ack.term << ") lost");
        // The commit index never runs ahead of the entries on disk.
        BOOST_TEST(l.hard_state.commit <= l.entries.back().index);
        BOOST_TEST_MESSAGE("round " << round << ": " << l.entries.size() << " entries intact");
        BOOST_TEST(l.entries.size() + 5 * (round + 1) > previous_last);  // progress, minus rewritten suffixes
        previous_last = l.entries.size();
    }
}

BOOST_AUTO_TEST_SUITE_END()
