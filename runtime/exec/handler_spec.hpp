#pragma once
// What a handler that takes its time outside the node runs: a process (exec, shell) or
// an HTTP call, and running either to its end. Blocking: a node calls it from a thread
// of its own.
#include <atomic>
#include <variant>

#include "runtime/exec/http_call.hpp"
#include "runtime/exec/process.hpp"

namespace raftor::exec {

using HandlerSpec = std::variant<ProcessSpec, HttpCallSpec>;

// `cancel` kills a process; an HTTP call ends at its timeout.
inline ProcessResult run_handler(const HandlerSpec& spec, const std::atomic<bool>& cancel) {
    if (const auto* p = std::get_if<ProcessSpec>(&spec)) return run_process(*p, cancel);
    return run_http_call(std::get<HttpCallSpec>(spec));
}

}  // namespace raftor::exec
