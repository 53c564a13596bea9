#include "runtime/state/operation.hpp"

namespace raftor::state {

const char* to_string(Handler::Kind k) {
    switch (k) {
        case Handler::Kind::exec: return "exec";
        case Handler::Kind::http: return "http";
        case Handler::Kind::shell: return "shell";
        case Handler::Kind::noop: return "noop";
        case Handler::Kind::sleep: return "sleep";
        case Handler::Kind::fail: return "fail";
        case Handler::Kind::echo: return "echo";
    }
    return "?";
}

const char* to_string(Concurrency c) {
    switch (c) {
        case Concurrency::allow: return "allow";
        case Concurrency::forbid: return "forbid";
        case Concurrency::replace: return "replace";
    }
    return "?";
}

const char* to_string(CatchUp c) {
    switch (c) {
        case CatchUp::skip: return "skip";
        case CatchUp::once: return "once";
        case CatchUp::all: return "all";
    }
    return "?";
}

const char* to_string(OnLeaderLoss o) {
    return o == OnLeaderLoss::retry ? "retry" : "abandon";
}

}  // namespace raftor::state
