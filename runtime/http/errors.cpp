#include "runtime/http/errors.hpp"

#include <nlohmann/json.hpp>

namespace raftor::http {

Response error_response(int status, const std::string& code, const std::string& error, const std::string& detail,
                        std::vector<std::pair<std::string, std::string>> headers) {
    Response r;
    r.status = status;
    // Replace bad UTF-8 rather than throw: details may quote what the client sent.
    r.body = nlohmann::json{{"error", error}, {"code", code}, {"detail", detail}}.dump(
                 -1, ' ', false, nlohmann::json::error_handler_t::replace) +
             "\n";
    r.headers = std::move(headers);
    return r;
}

}  // namespace raftor::http
