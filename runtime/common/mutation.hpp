#pragma once
// Deliberate bugs, each breaking one rule, to prove that the simulator's checkers catch
// them (tests/sim/mutants_test.cpp). A mutation point reads RAFTOR_MUTATED(name). In
// every library that ships, that is the constant false and the bug is compiled out;
// only the test build of the few files that hold mutation points (the *_mutants
// libraries, compiled with RAFTOR_MUTANTS and linked into the mutants' test binary)
// can switch one on. Mutation points go in .cpp files only, never in a header.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace raftor::mutation {

enum class Id : std::uint8_t {
    commit_by_counting,       // Raft: commit an earlier term's entry by counting replicas (Figure 3.7)
    commit_minority,          // Raft: commit once one replica short of a majority holds an entry
    double_vote,              // Raft: grant a second vote in one term
    ack_before_durable,       // Raft: acknowledge an append before it is on disk
    read_without_confirm,     // Raft: serve a ReadIndex read without the heartbeat round
    fire_without_dedup,       // operations: a slot the schedule already fired fires again
    launch_before_commit,     // operations: a handler runs before its start entry commits
    recover_forgets_running,  // operations: a new leader's recovery leaves earlier terms' tries running
    seal_out_of_order,        // receipts: a seal leaves the next unsealed receipt behind and seals those after it
    wal_ack_before_sync,      // storage: the WAL acknowledges a write before its fdatasync
    wal_fixed_prealloc,       // storage: WAL segments preallocated to 32 MiB whatever the setting, as before it existed
};
constexpr std::size_t count = 11;

const char* name(Id id);  // "double-vote"
std::optional<Id> parse(std::string_view name);

// Only the test build has these (runtime/common/mutation.cpp, library raftor_mutation).
bool on(Id id);
void set(Id id, bool on);
void clear();  // every mutation off

}  // namespace raftor::mutation

#ifdef RAFTOR_MUTANTS
#define RAFTOR_MUTATED(id) (::raftor::mutation::on(::raftor::mutation::Id::id))
#else
#define RAFTOR_MUTATED(id) false
#endif
