// An operation's definition as JSON (POST /operations): parsed and validated; what is
// accepted must render back to JSON that parses to the same definition.
#include <cstdlib>

#include "runtime/http/operation_json.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace raftor;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const schedule::ZoneLoader zones = [](const std::string& name,
                                          std::string& error) -> std::optional<schedule::TimeZone> {
        if (name == "UTC") return schedule::TimeZone::utc();
        error = "unknown zone '" + name + "'";
        return std::nullopt;
    };
    std::string error;
    auto op = http::operation_from_json(body, size % 2 == 0, zones, error);
    if (!op) {
        if (error.empty()) raftor::fuzz::fail("refused without a reason");
        return 0;
    }
    const std::string again = http::operation_to_json(*op);
    auto back = http::operation_from_json(again, true, zones, error);
    if (!back) raftor::fuzz::fail("our own rendering refused");
    if (http::operation_to_json(*back) != again) raftor::fuzz::fail("not the same definition");
    return 0;
}

std::vector<std::string> raftor::fuzz::starting_inputs() {
    return {
        R"({"id":"backup","name":"nightly backup","schedule":"0 0 2 * * *","timezone":"UTC","handler":{"kind":"exec","argv":["/usr/bin/backup","--all"],"env":{"TOKEN":"x"}},"retry":{"maxAttempts":3,"backoffMs":1000},"timeoutMs":60000,"catchUp":"latest"})",
        R"({"id":"hook","name":"deploy hook","trigger":{"event":"deploy"},"handler":{"kind":"http","url":"http://127.0.0.1:8000/hook","method":"POST","headers":{"X-Key":"k"},"body":"{}"}})",
        R"({"id":"tick","name":"tick","schedule":"@every 1s","catchUp":"all","handler":{"kind":"noop"}})",
        R"({"id":"sh","name":"shell","schedule":"@every 5m","handler":"echo hello","maxConcurrent":1})",
        R"({"id":"once","name":"once","schedule":"@at 2030-01-01T00:00:00Z","handler":{"kind":"noop"},"input":{"a":[1,2,{"b":null}]}})",
    };
}
