#include "runtime/http/errors.hpp"

#include <nlohmann/json.hpp>

namespace raftor::http {

Response json_response(int status, const nlohmann::json& j) {
    Response r;
    r.status = status;
    r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return r;
}

Response error_response(int status, const std::string& code, const std::string& error, const std::string& detail,
                        std::vector<std::pair<std::string, std::string>> headers) {
    Response r = json_response(status, nlohmann::json{{"error", error}, {"code", code}, {"detail", detail}});
    r.headers = std::move(headers);
    return r;
}

}  // namespace raftor::http
