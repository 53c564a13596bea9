#pragma once
// JSON answers: every failure in the same shape, {error, code, detail}.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "runtime/http/message.hpp"

namespace raftor::http {

// `code` is stable and machine-readable ("not_found"); `error` a short sentence;
// `detail` names exactly what was wrong.
Response error_response(int status, const std::string& code, const std::string& error, const std::string& detail,
                        std::vector<std::pair<std::string, std::string>> headers = {});
// Bad UTF-8 in `j` (details may quote what the client sent) is replaced, not thrown.
Response json_response(int status, const nlohmann::json& j);

}  // namespace raftor::http
