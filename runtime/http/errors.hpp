#pragma once
// Every failure answers the same JSON shape: {error, code, detail}.
#include <string>
#include <utility>
#include <vector>

#include "runtime/http/message.hpp"

namespace raftor::http {

// `code` is stable and machine-readable ("not_found"); `error` a short sentence;
// `detail` names exactly what was wrong.
Response error_response(int status, const std::string& code, const std::string& error, const std::string& detail,
                        std::vector<std::pair<std::string, std::string>> headers = {});

}  // namespace raftor::http
