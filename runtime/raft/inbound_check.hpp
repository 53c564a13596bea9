#pragma once
// What a message from the network must satisfy before the core sees it. The core's
// assertions guard its own state; they take for granted what this checks of input
// (contiguous entries, sane terms, snapshot chunks inside the snapshot, no second
// leader in a term), so a bad or hostile frame is dropped here and counted instead of
// aborting the node.
#include <cstdint>

#include "runtime/raft/raft.hpp"

namespace raftor::raft {

// The reasons a frame is refused at the boundary: a small, fixed set (a metric label).
enum class Refusal : std::uint8_t {
    none = 0,
    undecodable,        // not a Raft message
    misaddressed,       // addressed to another node
    sender_mismatch,    // `from` is not the authenticated peer of the connection
    not_a_member,       // the sender is not in the configuration (voters and learners)
    term_out_of_range,  // a term beyond any real cluster's, or terms that contradict each other
    leader_conflict,    // leader traffic in our own term while we lead
    bad_entries,        // entries that are not contiguous after the message's index
    bad_snapshot,       // a snapshot chunk outside its snapshot, or a snapshot over the limit
};
constexpr int refusal_count = 9;
const char* to_string(Refusal r);

// Terms above this are refused: at one election per millisecond a cluster would take
// ~8,900 years to get there, and the core may add one to any term it accepts.
constexpr Term term_max = Term{1} << 48;

struct InboundLimits {
    std::uint64_t snapshot_bytes_max = std::uint64_t{1} << 40;
    std::uint64_t chunk_bytes_max = std::uint64_t{64} << 20;
};

// Why `m` (already decoded, from `sender`, the authenticated peer of its connection)
// must not be stepped into `core`; Refusal::none when it may.
Refusal check_inbound(const Raft& core, NodeId sender, const Message& m, const InboundLimits& limits = {});

}  // namespace raftor::raft
