#pragma once
// The handlers' world in the simulator. On a node an exec or shell handler runs as a
// process and an http handler as an HTTP call; here no process starts and no socket
// opens: each call's duration and end are decided from its command and the seed.
//  - A command (a shell handler's string, or an exec handler's argv) is read as a
//    script of `sleep SECONDS`, `echo TEXT`, `exit CODE` and `hang` (never ends),
//    joined by `;`. Any other program is not found (exit 127), as sh says.
//  - An HTTP call answers with the status its URL's path ends in (`.../status/503`),
//    else 200, after a latency; a host neither loopback nor allowed is refused, as a
//    node refuses it.
//  - Every start costs a few milliseconds, drawn from the seed. Whatever runs past its
//    timeout is killed at the timeout, as a node kills it.
#include <cstdint>

#include "runtime/exec/handler_spec.hpp"
#include "runtime/raft/rng.hpp"

namespace raftor::sim {

struct SimulatedCall {
    exec::ProcessResult result;
    std::uint64_t after_ms = 0;  // when it ends, from its start
};

class SimulatedHandlers {
public:
    explicit SimulatedHandlers(std::uint64_t seed) : rng_(seed) {}
    SimulatedCall process(const exec::ProcessSpec& spec);
    SimulatedCall http(const exec::HttpCallSpec& spec);
    SimulatedCall call(const exec::HandlerSpec& spec);  // whichever of the two it is

private:
    raft::Rng rng_;
};

}  // namespace raftor::sim
