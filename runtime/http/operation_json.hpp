#pragma once
// The JSON shape of an operation (POST/PUT /operations, GET /operations/:id). Reading
// is strict: an unknown field, a wrong type or a value out of range is refused with
// the field's path ("handler.argv[0]", "timeoutMs") and what was expected.
#include <optional>
#include <string>
#include <string_view>

#include "runtime/schedule/schedule.hpp"
#include "runtime/state/operation.hpp"

namespace raftor::http {

// `allow_shell`: whether a plain string handler may be registered (config).
std::optional<state::OperationSpec> operation_from_json(std::string_view body, bool allow_shell,
                                                        const schedule::ZoneLoader& zones, std::string& error);
std::string operation_to_json(const state::OperationSpec& op);

}  // namespace raftor::http
