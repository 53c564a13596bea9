// `raftor ctl ops ...`: the operations API without hand-written curl. Each command is
// one request; the answer is printed as JSON (for jq), errors as the API names them.
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "runtime/http/api.hpp"
#include "runtime/http/client.hpp"
#include "runtime/http/ctl.hpp"

namespace raftor::http {

namespace {

using json = nlohmann::json;

// Prints a JSON answer indented (or as it came when it is not JSON).
void print(const std::string& body) {
    const auto j = json::parse(body, nullptr, false);
    if (j.is_discarded())
        std::cout << body << (body.empty() || body.back() == '\n' ? "" : "\n");
    else
        std::cout << j.dump(2) << "\n";
}

// The definition to send: a file, or stdin for "-".
bool read_definition(const std::string& from, std::string& out) {
    if (from == "-") {
        out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        return true;
    }
    std::ifstream in(from, std::ios::binary);
    if (!in) {
        std::cerr << "raftor ctl: cannot read " << from << "\n";
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

int answer(const ClientResult& r, std::initializer_list<int> ok) {
    if (!r.ok()) return ctl_report_error(r);
    for (int s : ok)
        if (r.status == s) {
            print(r.body);
            return 0;
        }
    return ctl_report_error(r);
}

}  // namespace

int run_ctl_ops(const CtlArgs& a) {
    std::string used;
    const std::string op = "/operations/" + percent_encode(a.id);
    if (a.command == "ops-list") return answer(ctl_ask(a, "GET", "/operations", "", used), {200});
    if (a.command == "ops-get") return answer(ctl_ask(a, "GET", op, "", used), {200});
    if (a.command == "ops-queue") return answer(ctl_ask(a, "GET", "/queue", "", used), {200});
    if (a.command == "ops-delete") return answer(ctl_ask(a, "DELETE", op, "", used), {200});
    if (a.command == "ops-history") {
        std::string target = op + "/history";
        if (a.limit) target += "?limit=" + std::to_string(a.limit);
        return answer(ctl_ask(a, "GET", target, "", used), {200});
    }
    if (a.command == "ops-define") {
        std::string body;
        if (!read_definition(a.file, body)) return 1;
        const auto j = json::parse(body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            std::cerr << "raftor ctl: " << a.file << " is not a JSON object (an operation's definition)\n";
            return 1;
        }
        body = j.dump();  // as JSON, whatever the file's layout
        if (!a.replace) return answer(ctl_ask(a, "POST", "/operations", body, used), {201});
        if (!j.contains("id") || !j["id"].is_string()) {
            std::cerr << "raftor ctl: --replace needs the definition's id\n";
            return 1;
        }
        return answer(ctl_ask(a, "PUT", "/operations/" + percent_encode(j["id"].get<std::string>()), body, used),
                      {200, 201});
    }
    if (a.command == "ops-execute") {
        std::string target = "/execute/" + percent_encode(a.id);
        if (a.wait) target += "?wait=true";
        // The input is JSON, as POST /execute takes it.
        if (!a.input.empty() && json::parse(a.input, nullptr, false).is_discarded()) {
            std::cerr << "raftor ctl: --input must be JSON (the execution's input), e.g. '{\"day\": \"mon\"}' or "
                         "'\"text\"'\n";
            return 1;
        }
        const ClientResult r = ctl_ask(a, "POST", target, a.input, used, "application/json");
        const int rc = answer(r, {200, 202});
        if (rc != 0 || !a.wait) return rc;
        // Waited: the exit code says how it ended (0 success, 1 anything else or not yet).
        const auto j = json::parse(r.body, nullptr, false);
        return !j.is_discarded() && j.is_object() && j.value("status", "") == "success" ? 0 : 1;
    }
    if (a.command == "ops-replay") {
        const json body{{"since", a.since}};
        return answer(ctl_ask(a, "POST", "/daemon/replay", body.dump(), used), {200});
    }
    std::cerr << "raftor ctl: unknown command '" << a.command << "'\n";
    return 1;
}

}  // namespace raftor::http
