#include "runtime/http/ctl.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "runtime/common/host_port.hpp"
#include "runtime/http/api.hpp"
#include "runtime/http/client.hpp"

namespace raftor::http {

namespace {

using json = nlohmann::json;

}  // namespace

ClientResult ctl_ask(const CtlArgs& a, const std::string& method, const std::string& target, const std::string& body,
                     std::string& used, const std::string& content_type) {
    ClientResult last;
    last.error = "no endpoint given";
    for (const auto& raw : a.endpoints) {
        ClientRequest req;
        const std::string ep = common::endpoint_of(raw);
        if (!parse_endpoint(raw, req)) {
            last.error = "endpoint '" + raw + "' is not host:port, http://host:port or https://host:port";
            continue;
        }
        req.method = method;
        req.target = target;
        req.body = body;
        req.timeout = std::chrono::milliseconds(a.timeout_ms);
        ClientAccess{a.token, a.ca_file, a.insecure, a.cert_file, a.key_file}.apply(req);
        if (!body.empty())
            req.headers.emplace_back("Content-Type", !content_type.empty() ? content_type
                                                     : body.front() == '{' ? "application/json"
                                                                           : "application/octet-stream");
        last = call(req);
        if (last.ok()) {
            used = ep;
            return last;
        }
    }
    return last;
}

int ctl_report_error(const ClientResult& r) {
    if (!r.ok()) {
        std::cerr << "raftor ctl: " << r.error << "\n";
        return 1;
    }
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("error"))
        std::cerr << "raftor ctl: " << r.status << " " << j.value("error", "") << ": " << j.value("detail", "") << "\n";
    else
        std::cerr << "raftor ctl: HTTP " << r.status << ": " << r.body << "\n";
    return 1;
}

int run_ctl(const CtlArgs& a) {
    std::string used;
    if (a.command == "status" || a.command == "leader") {
        ClientResult r = ctl_ask(a, "GET", "/health/cluster", "", used);
        if (!r.ok() || r.status != 200) return ctl_report_error(r);
        auto j = json::parse(r.body, nullptr, false);
        if (j.is_discarded()) return ctl_report_error(r);
        if (a.command == "leader") {
            if (j["leader"].is_null()) {
                std::cerr << "raftor ctl: " << used << " knows no leader (term " << j.value("term", 0) << ")\n";
                return 1;
            }
            std::cout << j["leader"].get<std::string>() << "\n";
            return 0;
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    const std::string path = "/kv/" + percent_encode(a.key);
    if (a.command == "kv-get") {
        ClientResult r = ctl_ask(a, "GET", path + (a.stale ? "?stale=true" : ""), "", used);
        if (!r.ok() || r.status != 200) return ctl_report_error(r);
        auto j = json::parse(r.body, nullptr, false);
        if (j.is_discarded()) return ctl_report_error(r);
        std::cout << j.value("value", "") << "\n";
        return 0;
    }
    if (a.command == "kv-put" || a.command == "kv-del") {
        std::string target = path;
        if (a.prev_revision) target += "?prevRevision=" + std::to_string(*a.prev_revision);
        ClientResult r = ctl_ask(a, a.command == "kv-put" ? "PUT" : "DELETE", target,
                                 a.command == "kv-put" ? a.value : std::string(), used);
        if (!r.ok() || r.status != 200) return ctl_report_error(r);
        std::cout << r.body;
        return 0;
    }
    if (a.command.rfind("receipts-", 0) == 0) return run_ctl_receipts(a);
    if (a.command == "backup") return run_ctl_backup(a);
    if (a.command.rfind("ops-", 0) == 0) return run_ctl_ops(a);
    if (a.command.rfind("member-", 0) == 0 || a.command == "transfer-leader" || a.command == "snapshot" ||
        a.command == "drain" || a.command == "undrain" || a.command == "shutdown")
        return run_ctl_admin(a);
    std::cerr << "raftor ctl: unknown command '" << a.command << "'\n";
    return 1;
}

}  // namespace raftor::http
