#pragma once
// What an operations request asks the node for: a command to propose, or a read of
// the operations state (rendered by operations_api.hpp).
#include <cstdint>
#include <string>

#include "runtime/state/ops_command.hpp"

namespace raftor::http {

struct OpsWrite {
    enum class Kind : std::uint8_t { create, replace, remove, execute, event, replay } kind = Kind::create;
    state::OpsCommand cmd;  // at_ms is set by the gateway, from its wall clock
    std::string id;         // the operation (or topic) named in the path
    bool wait = false;      // execute: answer with the final result
    std::uint64_t wait_ms = 0;
};

struct OpsRead {
    enum class Kind : std::uint8_t { list, get, history, execution, queue, receipt, receipts } kind = Kind::list;
    std::string id;           // operation id, or execution id for execution/receipt
    std::size_t limit = 100;  // list, history, receipts
    std::uint64_t from = 0;   // receipts, history: from this receipt sequence
    bool paged = false;       // history: `from` was given (without it, the newest `limit`)
    bool stale = false;       // this node's copy, without a read index
    bool reveal = false;      // list, get: handlers' env and headers as they are (admin scope only)
};

}  // namespace raftor::http
