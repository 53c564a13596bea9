// An HTTP request as a client sends it, into the router: authorization, query
// parameters, path segments, and every JSON body the routes parse (KV, operations,
// events, admin). The input is "METHOD TARGET\n", header lines "name: value\n", an
// empty line, then the body. Every answer must be an answer: a status, and JSON.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "runtime/http/api.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace raftor;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    http::Request req;
    std::size_t at = in.find('\n');
    const std::string first = in.substr(0, at);
    const auto space = first.find(' ');
    req.method = first.substr(0, space);
    req.target = space == std::string::npos ? "/" : first.substr(space + 1);
    while (at != std::string::npos) {
        const std::size_t next = in.find('\n', at + 1);
        const std::string line = in.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
        at = next;
        if (line.empty()) break;
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[name] = colon == std::string::npos
                                ? ""
                                : line.substr(colon + 1 + (line.size() > colon + 1 && line[colon + 1] == ' '));
    }
    if (at != std::string::npos) req.body = in.substr(at + 1);
    // Half the inputs as a local client of a node without tokens, half as a stranger
    // to a node with them.
    const bool local = size % 2 == 0;
    req.remote = local ? "127.0.0.1:4000" : "10.9.8.7:4000";
    http::ApiOptions opts;
    if (!local) {
        opts.auth_token = "admin-0123456789abcdef0123456789abcdef";
        opts.read_token = "reader-0123456789abcdef0123456789abcdef";
    }
    opts.allow_shell = size % 3 == 0;
    opts.shell_program = "/bin/sh";
    opts.zones = [](const std::string& name, std::string& error) -> std::optional<schedule::TimeZone> {
        error = "no time zones while fuzzing ('" + name + "')";
        return std::nullopt;
    };
    http::Routed r = http::route(req, opts);
    if (!r.call) {
        if (r.response.status < 100 || r.response.status > 599) raftor::fuzz::fail("an answer without an HTTP status");
        if (r.response.content_type.find("json") != std::string::npos &&
            nlohmann::json::parse(r.response.body, nullptr, false).is_discarded())
            raftor::fuzz::fail("an error answer that is not JSON");
    }
    return 0;
}

std::vector<std::string> raftor::fuzz::starting_inputs() {
    return {
        "PUT /kv/a?prevRevision=0\nx-client-id: 7\nx-request-seq: 1\n\nvalue",
        "GET /kv/a%20b?stale=true\n\n",
        "DELETE /kv/a\n\n",
        "POST /operations\ncontent-type: application/json\n\n"
        R"({"id":"backup","name":"b","schedule":"*/5 * * * * *","handler":{"kind":"exec","argv":["/bin/true"],)"
        R"("env":{"A":"b"}},"retry":{"maxAttempts":3,"backoffMs":100},"timeoutMs":5000})",
        "PUT /operations/x\ncontent-type: application/json\n\n"
        R"({"name":"x","trigger":{"event":"deploy"},"handler":{"kind":"http","url":"http://127.0.0.1:9/h","method":"POST","headers":{"A":"b"}}})",
        "POST /execute/backup?wait=true&timeoutMs=100\n\n{}",
        "POST /events/deploy\ncontent-type: application/json\n\n{\"v\":1}",
        "GET /operations/backup/history?limit=10&from=3\n\n",
        "GET /receipts?from=1&limit=5\n\n",
        "GET /queue\n\n",
        "POST /admin/members\ncontent-type: application/json\n\n{\"name\":\"node-4\",\"peerAddress\":\"127.0.0.1:9\"}",
        "POST /admin/transfer-leader?to=node-2\n\n",
        "POST /admin/storage\ncontent-type: application/json\n\n{\"mapBytes\":67108864}",
        "GET /debug/actors/raft_peer/trace?after=1&limit=5&node=node-2\n\n",
        "GET /metrics/7d\naccept: application/json\n\n",
        "PUT /kv/a\nauthorization: Bearer admin-0123456789abcdef0123456789abcdef\norigin: http://evil\n\nv",
    };
}
