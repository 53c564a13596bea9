// POST /operations bodies: the runbook's shape and the full one are read; every bad
// field is refused with its path and what was expected.
#include "runtime/http/operation_json.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "runtime/schedule/tz_file.hpp"

using namespace raftor;
using state::Handler;

namespace {
const schedule::ZoneLoader zones = [](const std::string& n, std::string& e) { return schedule::load_time_zone(n, e); };

std::string refused(const std::string& body, bool allow_shell = false) {
    std::string error;
    const auto op = http::operation_from_json(body, allow_shell, zones, error);
    BOOST_TEST(!op, body);
    return error;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(operation_json)

BOOST_AUTO_TEST_CASE(the_runbooks_shape_needs_shell_handlers_allowed) {
    const std::string seed = R"J({"id": "test-op", "name": "Test Operation", "handler": "console.log(\"success\")"})J";
    const std::string e = refused(seed);
    BOOST_TEST(e.find("handler: a plain string runs as /bin/sh -c") == 0u, e);
    BOOST_TEST(e.find("handlers.allowShell") != std::string::npos, e);
    std::string error;
    const auto op = http::operation_from_json(seed, true, zones, error);
    BOOST_REQUIRE_MESSAGE(op, error);
    BOOST_TEST(op->id == "test-op");
    BOOST_TEST(op->name == "Test Operation");
    BOOST_TEST((op->handler.kind == Handler::Kind::shell));
    BOOST_TEST(op->handler.command == "console.log(\"success\")");
    BOOST_TEST(op->timeout_ms == 30'000u);
}

BOOST_AUTO_TEST_CASE(every_field_read_and_written_back) {
    const std::string body = R"({
        "id": "nightly-report", "name": "Nightly report",
        "handler": {"kind": "exec", "argv": ["/usr/bin/report", "--all"], "env": {"LANG": "C"}, "cwd": "/var/lib/r"},
        "schedule": "TZ=Europe/Berlin 0 30 2 * * *",
        "triggers": {"topics": ["deploy"], "afterSuccess": ["backup"], "afterFailure": []},
        "timeoutMs": 600000, "retries": 3, "retryBackoffMs": 2000,
        "concurrency": "forbid", "catchUp": "once", "onLeaderLoss": "abandon"})";
    std::string error;
    const auto op = http::operation_from_json(body, false, zones, error);
    BOOST_REQUIRE_MESSAGE(op, error);
    BOOST_TEST(op->handler.argv.size() == 2u);
    BOOST_TEST(op->handler.env.at("LANG") == "C");
    BOOST_TEST(*op->schedule == "TZ=Europe/Berlin 0 30 2 * * *");
    BOOST_TEST(op->topics.front() == "deploy");
    BOOST_TEST(op->after_success.front() == "backup");
    BOOST_TEST(op->retries == 3u);
    BOOST_TEST((op->concurrency == state::Concurrency::forbid));
    BOOST_TEST((op->catch_up == state::CatchUp::once));
    BOOST_TEST((op->on_leader_loss == state::OnLeaderLoss::abandon));
    const auto again = http::operation_from_json(http::operation_to_json(*op), false, zones, error);
    BOOST_REQUIRE_MESSAGE(again, error);
    BOOST_TEST(http::operation_to_json(*again) == http::operation_to_json(*op));
    for (const char* h : {R"({"kind":"noop"})", R"({"kind":"sleep","ms":250})", R"({"kind":"fail","message":"x"})",
                          R"({"kind":"echo","message":"hi"})",
                          R"({"kind":"http","method":"GET","url":"http://127.0.0.1:9/x","headers":{"A":"b"}})"}) {
        const auto b = std::string(R"({"id":"b","handler":)") + h + "}";
        const auto x = http::operation_from_json(b, false, zones, error);
        BOOST_TEST(x.has_value(), b << ": " << error);
        if (x) BOOST_TEST(http::operation_from_json(http::operation_to_json(*x), false, zones, error).has_value());
    }
}

BOOST_AUTO_TEST_CASE(an_interval_in_ms_is_an_every_schedule) {
    std::string error;
    const auto op =
        http::operation_from_json(R"({"id":"tick","handler":{"kind":"noop"},"intervalMs":5000})", false, zones, error);
    BOOST_REQUIRE_MESSAGE(op, error);
    BOOST_TEST(*op->schedule == "@every 5000ms");
    const std::string shown = http::operation_to_json(*op);
    BOOST_TEST(shown.find(R"("intervalMs":5000)") != std::string::npos, shown);
    BOOST_TEST(shown.find(R"("schedule":"@every 5000ms")") != std::string::npos, shown);
    // What GET shows can be posted again.
    const auto again = http::operation_from_json(shown, false, zones, error);
    BOOST_REQUIRE_MESSAGE(again, error);
    BOOST_TEST(http::operation_to_json(*again) == shown);
    // "@every 5s" is shown with its interval too; a cron schedule has none.
    const auto every = http::operation_from_json(R"({"id":"t","handler":{"kind":"noop"},"schedule":"@every 5s"})",
                                                 false, zones, error);
    BOOST_REQUIRE(every);
    BOOST_TEST(http::operation_to_json(*every).find(R"("intervalMs":5000)") != std::string::npos);
    const auto cron = http::operation_from_json(R"({"id":"t","handler":{"kind":"noop"},"schedule":"0 * * * * *"})",
                                                false, zones, error);
    BOOST_REQUIRE(cron);
    BOOST_TEST(http::operation_to_json(*cron).find("intervalMs") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_retry_policy_object_and_its_older_fields) {
    std::string error;
    auto op = http::operation_from_json(R"({"id":"a","handler":{"kind":"noop"}})", false, zones, error);
    BOOST_REQUIRE_MESSAGE(op, error);
    // The defaults: 3 attempts, 1000 ms, x2, 30000 ms, jitter 0.1.
    BOOST_TEST(op->retries == 2u);
    BOOST_TEST(op->retry_backoff_ms == 1000u);
    BOOST_TEST(op->retry_multiplier == 2.0);
    BOOST_TEST(op->retry_max_backoff_ms == 30'000u);
    BOOST_TEST(op->retry_jitter == 0.1);
    const auto shown = nlohmann::json::parse(http::operation_to_json(*op));
    BOOST_TEST(shown["retry"].dump() ==
               R"({"backoffMs":1000,"backoffMultiplier":2.0,"jitterFactor":0.1,"maxAttempts":3,"maxBackoffMs":30000})");
    BOOST_TEST(shown["retries"] == 2);

    op = http::operation_from_json(
        R"({"id":"a","handler":{"kind":"noop"},"retry":{"maxAttempts":5,"backoffMs":250,"backoffMultiplier":1.5,"maxBackoffMs":4000,"jitterFactor":0}})",
        false, zones, error);
    BOOST_REQUIRE_MESSAGE(op, error);
    BOOST_TEST(op->retries == 4u);
    BOOST_TEST(op->retry_backoff_ms == 250u);
    BOOST_TEST(op->retry_multiplier == 1.5);
    BOOST_TEST(op->retry_max_backoff_ms == 4000u);
    BOOST_TEST(op->retry_jitter == 0.0);
    // Read back and posted again: the older fields agree with the object.
    const auto again = http::operation_from_json(http::operation_to_json(*op), false, zones, error);
    BOOST_REQUIRE_MESSAGE(again, error);
    BOOST_TEST(http::operation_to_json(*again) == http::operation_to_json(*op));
    // The older fields alone still work.
    op = http::operation_from_json(R"({"id":"a","handler":{"kind":"noop"},"retries":0,"retryBackoffMs":50})", false,
                                   zones, error);
    BOOST_REQUIRE_MESSAGE(op, error);
    BOOST_TEST(op->retries == 0u);
    BOOST_TEST(op->retry_backoff_ms == 50u);
}

BOOST_AUTO_TEST_CASE(an_event_trigger_takes_a_filter_on_the_body_and_an_idle_trigger_a_threshold) {
    std::string error;
    const auto op = http::operation_from_json(
        R"({"id":"a","handler":{"kind":"noop"},"triggers":{"topics":["deploy"],"filter":{"env":"prod","service.replicas":3,"dry":false}}})",
        false, zones, error);
    BOOST_REQUIRE_MESSAGE(op, error);
    BOOST_TEST(op->event_filter.at("env") == R"("prod")");
    BOOST_TEST(op->event_filter.at("service.replicas") == "3");
    BOOST_TEST(op->event_filter.at("dry") == "false");
    const auto idle = http::operation_from_json(
        R"({"id":"i","handler":{"kind":"noop"},"triggers":{"idleThresholdMs":60000}})", false, zones, error);
    BOOST_REQUIRE_MESSAGE(idle, error);
    BOOST_TEST(idle->idle_threshold_ms == 60'000u);
    BOOST_TEST(nlohmann::json::parse(http::operation_to_json(*idle))["triggers"]["idleThresholdMs"] == 60000);
    const auto shown = nlohmann::json::parse(http::operation_to_json(*op));
    BOOST_TEST(shown["triggers"]["filter"].dump() == R"({"dry":false,"env":"prod","service.replicas":3})");
    const auto again = http::operation_from_json(http::operation_to_json(*op), false, zones, error);
    BOOST_REQUIRE_MESSAGE(again, error);
    BOOST_TEST((again->event_filter == op->event_filter));
}

BOOST_AUTO_TEST_CASE(bad_fields_are_named) {
    auto says = [](const std::string& body, const std::string& what) {
        const std::string e = refused(body);
        BOOST_TEST(e.find(what) != std::string::npos, body << " -> " << e);
    };
    says("{", "body: not valid JSON");
    says("[1]", "body: must be a JSON object");
    says(R"({"name":"x","handler":{"kind":"noop"}})", "id: missing");
    says(R"({"id":"has space","handler":{"kind":"noop"}})", "id: may hold only");
    says(R"({"id":"a"})", "handler: missing");
    says(R"({"id":"a","handler":{"kind":"python"}})", "handler.kind: 'python' is not one of exec, http");
    says(R"({"id":"a","handler":{}})", "handler.kind: missing");
    says(R"({"id":"a","handler":{"kind":"exec"}})", "handler.argv: missing");
    says(R"({"id":"a","handler":{"kind":"exec","argv":[]}})", "handler.argv: must name a program");
    says(R"({"id":"a","handler":{"kind":"exec","argv":[7]}})", "handler.argv[0]: must be a string");
    says(R"({"id":"a","handler":{"kind":"exec","argv":["x"],"cwd":"tmp"}})", "handler.cwd: must be an absolute path");
    says(R"({"id":"a","handler":{"kind":"exec","argv":["x"],"shell":true}})", "handler.shell: unknown field");
    says(R"({"id":"a","handler":{"kind":"http","url":"ftp://x"}})", "handler.url: must start with http:// or https://");
    says(R"({"id":"a","handler":{"kind":"sleep"}})", "handler.ms: missing");
    says(R"({"id":"a","handler":{"kind":"noop"},"schedule":"61 * * * * *"})",
         "schedule: schedule '61 * * * * *': second field");
    says(R"({"id":"a","handler":{"kind":"noop"},"schedule":"TZ=Mars/X * * * * * *"})", "'Mars/X' is not in");
    says(R"({"id":"a","handler":{"kind":"noop"},"timeoutMs":-5})", "timeoutMs: must be between 1 and 86400000, got -5");
    says(R"({"id":"a","handler":{"kind":"noop"},"timeoutMs":0})", "timeoutMs: must be between 1");
    says(R"({"id":"a","handler":{"kind":"noop"},"timeoutMs":"5s"})", "timeoutMs: must be a whole number");
    says(R"({"id":"a","handler":{"kind":"noop"},"retries":1000})", "retries: must be between 0 and 100");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":3})", "retry: must be an object (maxAttempts");
    says(R"({"id":"a","handler":{"kind":"noop"},"triggers":{"idleThresholdMs":10}})",
         "triggers.idleThresholdMs: must be between 1000 and");
    says(R"({"id":"a","handler":{"kind":"noop"},"triggers":{"filter":{"env":"prod"}}})",
         "triggers.filter: filters events: give triggers.topics too");
    says(R"({"id":"a","handler":{"kind":"noop"},"triggers":{"topics":["t"],"filter":["env"]}})",
         "triggers.filter: must be an object");
    says(R"({"id":"a","handler":{"kind":"noop"},"triggers":{"topics":["t"],"filter":{"env":{"a":1}}}})",
         "triggers.filter.env: must be a string, number, boolean or null");
    says(R"({"id":"a","handler":{"kind":"noop"},"triggers":{"topics":["t"],"filter":{"a..b":1}}})",
         "triggers.filter: 'a..b' is not a dotted path");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":{"attempts":3}})", "retry.attempts: unknown field");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":{"maxAttempts":0}})",
         "retry.maxAttempts: must be between 1 and 101");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":{"backoffMultiplier":0.5}})",
         "retry.backoffMultiplier: must be between 1.0 and 10.0, got 0.5");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":{"jitterFactor":"0.1"}})",
         "retry.jitterFactor: must be a number");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":{"jitterFactor":2}})",
         "retry.jitterFactor: must be between 0.0 and 1.0");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":{"maxAttempts":3},"retries":5})",
         "retries: disagrees with retry.maxAttempts");
    says(R"({"id":"a","handler":{"kind":"noop"},"retry":{"backoffMs":3},"retryBackoffMs":5})",
         "retryBackoffMs: disagrees with retry.backoffMs");
    says(R"({"id":"a","handler":{"kind":"noop"},"timeout":5})", "timeout: unknown field; known: id, name, handler");
    says(R"({"id":"a","handler":{"kind":"noop"},"concurrency":"maybe"})", "concurrency: 'maybe' is not one of");
    says(R"({"id":"a","handler":{"kind":"noop"},"catchUp":true})", "catchUp: must be a string");
    says(R"({"id":"a","handler":{"kind":"noop"},"triggers":["x"]})", "triggers: must be an object");
    says(R"({"id":"a","handler":{"kind":"noop"},"intervalMs":50})", "intervalMs: must be between 100 and");
    says(R"({"id":"a","handler":{"kind":"noop"},"intervalMs":"5s"})", "intervalMs: must be a whole number");
    says(R"({"id":"a","handler":{"kind":"noop"},"schedule":"@every 1s","intervalMs":2000})",
         "intervalMs: give a schedule or an intervalMs, not both");
    says(R"({"id":"a","handler":{"kind":"noop"},"triggers":{"topic":["x"]}})", "triggers.topic: unknown field");
}

BOOST_AUTO_TEST_SUITE_END()

#include "runtime/http/handler_url.hpp"

BOOST_AUTO_TEST_SUITE(handler_url)

BOOST_AUTO_TEST_CASE(urls_are_read_and_hosts_checked) {
    std::string error;
    auto u = http::parse_http_url("http://127.0.0.1:9000/hooks/a?x=1", error);
    BOOST_REQUIRE_MESSAGE(u, error);
    BOOST_TEST(u->host == "127.0.0.1");
    BOOST_TEST(u->port == 9000);
    BOOST_TEST(u->target == "/hooks/a?x=1");
    u = http::parse_http_url("HTTP://[::1]", error);
    BOOST_REQUIRE_MESSAGE(u, error);
    BOOST_TEST(u->host == "::1");
    BOOST_TEST(u->port == 80);
    BOOST_TEST(u->target == "/");
    u = http::parse_http_url("http://hooks.internal?q", error);
    BOOST_REQUIRE_MESSAGE(u, error);
    BOOST_TEST(u->target == "/?q");
    for (const auto& [url, says] :
         std::vector<std::pair<std::string, std::string>>{{"ftp://127.0.0.1/", "must start with http://"},
                                                          {"https://127.0.0.1:0/", "port 1 to 65535"},
                                                          {"http:///x", "has no host"},
                                                          {"http://127.0.0.1:0/", "port 1 to 65535"},
                                                          {"http://127.0.0.1:99999/", "port 1 to 65535"},
                                                          {"http://u:p@127.0.0.1/", "user:password@"},
                                                          {"http://127.0.0.1/a b", "space"},
                                                          {"http://[::1/", "IPv6"}}) {
        BOOST_TEST(!http::parse_http_url(url, error), url);
        BOOST_TEST(error.find(says) != std::string::npos, url << ": " << error);
    }
    for (const char* h : {"127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST", "::1"})
        BOOST_TEST(http::http_host_refused(h, {}).empty(), h);
    for (const char* h : {"10.0.0.1", "128.0.0.1", "example.com", "::2", "127.0.0.1.example.com"})
        BOOST_TEST(!http::http_host_refused(h, {}).empty(), h);
    BOOST_TEST(http::http_host_refused("Hooks.Internal", {"hooks.internal"}).empty());
    BOOST_TEST(http::http_host_refused("hooks.internal", {}).find("handlers.httpHosts") != std::string::npos);
    // https: port 443 unless given.
    u = http::parse_http_url("HTTPS://localhost/hook", error);
    BOOST_REQUIRE_MESSAGE(u, error);
    BOOST_TEST(u->tls);
    BOOST_TEST(u->port == 443);
    BOOST_TEST(u->target == "/hook");
    // A handler naming a bad URL is refused, by field (its host is checked against
    // handlers.httpHosts when it is registered: tests/cluster).
    const std::string e = refused(R"J({"id":"x","name":"x","handler":{"kind":"http","url":"https://a:0/"}})J");
    BOOST_TEST(e.find("handler.url: 'a:0' is not host:port") == 0u, e);
}

BOOST_AUTO_TEST_SUITE_END()

#include "runtime/http/operation_cache.hpp"

BOOST_AUTO_TEST_SUITE(operation_cache)

BOOST_AUTO_TEST_CASE(definitions_are_rendered_once_per_version_within_the_bound) {
    http::OperationCache cache(2);
    state::OperationSpec a;
    a.id = "a";
    a.name = "first";
    state::OperationSpec b = a;
    b.id = "b";
    state::OperationSpec c = a;
    c.id = "c";
    BOOST_TEST(cache.definition(a, 1)["name"] == "first");
    BOOST_TEST(cache.definition(a, 1)["name"] == "first");
    a.name = "second";
    BOOST_TEST(cache.definition(a, 2)["name"] == "second");  // a new version is never served stale
    cache.definition(b, 1);
    cache.definition(c, 1);
    const auto f = cache.figures();
    BOOST_TEST(f.size == 2u);
    BOOST_TEST(f.capacity == 2u);
    BOOST_TEST(f.hits == 1u);
    BOOST_TEST(f.misses == 4u);
    BOOST_TEST(f.evictions == 2u);
    BOOST_TEST(f.hit_rate() == 0.2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
