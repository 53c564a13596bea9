#include "runtime/node/self_check.hpp"

#include <cstdlib>

namespace raftor::node {

SelfCheck evaluate(const SelfCheckInput& in, std::uint64_t runs_before) {
    SelfCheck c;
    c.done = true;
    c.runs = runs_before + 1;
    c.at_wall_ms = in.wall_ms;
    if (in.storage_error) {
        c.storage = false;
        c.storage_detail = *in.storage_error;
    }
    // Reaching a quorum (this node counts itself) is what lets it lead or follow.
    c.peers_total = in.peers;
    c.peers_reachable = in.peers_connected < in.peers ? in.peers_connected : in.peers;
    const std::size_t members = in.peers + 1, quorum = members / 2 + 1;
    if (c.peers_reachable + 1 < quorum) {
        c.peers = false;
        c.peers_detail = std::to_string(c.peers_reachable) + " of " + std::to_string(in.peers) +
                         " peers connected; a quorum needs " + std::to_string(quorum - 1);
    }
    if (in.wall_ms < sane_wall_ms_min) {
        c.clock = false;
        c.clock_detail =
            "the wall clock reads " + std::to_string(in.wall_ms) + " ms since 1970, before 2020: it is not set";
    } else if (in.prev_wall_ms != 0) {
        c.clock_step_ms = (in.wall_ms - in.prev_wall_ms) - (in.steady_ms - in.prev_steady_ms);
        if (std::llabs(c.clock_step_ms) > in.clock_step_tolerance_ms) {
            c.clock = false;
            c.clock_detail = "the wall clock stepped " + std::string(c.clock_step_ms < 0 ? "back" : "forward") +
                             " by " + std::to_string(std::llabs(c.clock_step_ms)) +
                             " ms since the last check (schedules fire by it: is NTP stepping it?)";
        }
    }
    return c;
}

}  // namespace raftor::node
