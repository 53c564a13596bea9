#pragma once
#include "config/node_config.hpp"

namespace raftor::actors {
// Runs one cluster member until SIGTERM or SIGINT (graceful: stop accepting, answer
// what is in flight, make storage durable, leave) or a fatal failure. Returns the
// process exit code: 0 after a graceful stop, 1 when it cannot start, 2 when a
// failure stopped it.
int run_node(const config::NodeConfig& cfg);
}  // namespace raftor::actors
