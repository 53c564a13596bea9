#define BOOST_TEST_MODULE http
// The HTTP API's pure half: routing, validation, authentication and rendering.
#include "runtime/http/api.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace raftor;
using namespace raftor::http;
using json = nlohmann::json;

namespace {
Request req(std::string method, std::string target, std::string body = {},
            std::map<std::string, std::string> headers = {}) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.remote = "127.0.0.1:40000";  // a local client: no token needed (protected mode)
    if (!r.body.empty() && !r.headers.count("content-type") && (r.body[0] == '{' || r.body[0] == '['))
        r.headers["content-type"] = "application/json";
    return r;
}
json body(const Response& r) {
    return json::parse(r.body);
}
std::string code(const Routed& r) {
    return body(r.response)["code"];
}
}  // namespace

BOOST_AUTO_TEST_CASE(kv_requests_become_calls) {
    auto g = route(req("GET", "/kv/a%2Fb?stale=true"), {});
    BOOST_REQUIRE(g.call);
    BOOST_TEST(std::get<KvGet>(*g.call).key == "a/b");
    BOOST_TEST(std::get<KvGet>(*g.call).stale);
    auto p = route(req("PUT", "/kv/k?prevRevision=0&forward=false", "v"), {});
    BOOST_REQUIRE(p.call);
    const auto& cmd = std::get<KvWrite>(*p.call).cmd;
    BOOST_TEST((cmd.op == state::KvCommand::Op::put));
    BOOST_TEST(cmd.value == "v");
    BOOST_TEST(cmd.prev_revision.value() == 0u);
    BOOST_TEST(!p.forward);
    auto d = route(req("DELETE", "/kv/k"), {});
    BOOST_TEST((std::get<KvWrite>(*d.call).cmd.op == state::KvCommand::Op::del));
    auto h = route(req("GET", "/health/cluster"), {});
    BOOST_TEST((std::get<HealthCall>(*h.call).probe == Probe::cluster));
    auto a = route(req("GET", "/debug/actors/raft_peer"), {});
    BOOST_TEST(std::get<DebugActors>(*a.call).name == "raft_peer");
}

BOOST_AUTO_TEST_CASE(bad_requests_are_answered_with_a_named_error) {
    struct Case {
        Request r;
        int status;
        std::string code;
    };
    const std::vector<Case> cases{
        {req("GET", "/nope"), 404, "not_found"},
        {req("POST", "/health"), 405, "method_not_allowed"},
        {req("PATCH", "/kv/a"), 405, "method_not_allowed"},
        {req("GET", "/kv/"), 400, "bad_key"},
        {req("GET", "/kv/%g1"), 400, "bad_key"},
        {req("GET", "/kv/a?x=1"), 400, "unknown_parameter"},
        {req("GET", "/kv/a?stale=maybe"), 400, "bad_parameter"},
        {req("PUT", "/kv/a?prevRevision=-1", "v"), 400, "bad_parameter"},
        {req("DELETE", "/kv/a", "body"), 400, "unexpected_body"},
        {req("PUT", "/kv/a", std::string(state::kv_value_bytes_max + 1, 'x')), 413, "value_too_large"},
        {req("PUT", "/kv/a", "v", {{"x-client-id", "1"}}), 400, "bad_request_id"},
        {req("GET", "/kv/a?%zz=1"), 400, "bad_query"},
        {req("GET", "/debug/actors?x=1"), 400, "unknown_parameter"},
        {req("GET", "/debug/actors?after=1"), 400, "unknown_parameter"},
        {req("GET", "/debug/actors/storage/trace?after=x"), 400, "bad_parameter"},
        {req("GET", "/debug/actors/storage/trace?limit=0"), 400, "bad_parameter"},
        {req("GET", "/debug/actors/storage/trace?limit=257"), 400, "bad_parameter"},
        {req("GET", "/debug/actors/storage/trace?since=1"), 400, "unknown_parameter"},
        {req("GET", "/debug/actors/storage/other"), 404, "not_found"},
        // A page holds at most 1,000: more is asked page by page.
        {req("GET", "/operations/a/history?limit=1001"), 400, "bad_parameter"},
        {req("GET", "/receipts?limit=1001"), 400, "bad_parameter"},
        {req("GET", "/queue?limit=1001"), 400, "bad_parameter"},
        {req("GET", "/queue?from=3"), 400, "unknown_parameter"},
        {req("POST", "/debug/actors/storage/trace"), 405, "method_not_allowed"},
        {req("GET", "/debug/actors?node="), 400, "bad_parameter"},
        {req("GET", "/console?x=1"), 400, "unknown_parameter"},
        {req("DELETE", "/console"), 405, "method_not_allowed"},
    };
    for (const auto& c : cases) {
        auto r = route(c.r, {});
        BOOST_TEST(!r.call, c.r.method << " " << c.r.target);
        BOOST_TEST(r.response.status == c.status, c.r.method << " " << c.r.target);
        BOOST_TEST(code(r) == c.code, c.r.method << " " << c.r.target);
        BOOST_TEST(!body(r.response)["detail"].get<std::string>().empty());
    }
    auto allow = route(req("POST", "/health"), {});
    BOOST_TEST(allow.response.headers.front().first == "Allow");
}

BOOST_AUTO_TEST_CASE(with_a_token_configured_writes_need_it_and_reads_need_a_token) {
    ApiOptions o;
    o.auth_token = "t0ken";
    BOOST_TEST(code(route(req("PUT", "/kv/a", "v"), o)) == "unauthorized");
    BOOST_TEST(route(req("PUT", "/kv/a", "v"), o).response.status == 401);
    BOOST_TEST(code(route(req("PUT", "/kv/a", "v", {{"authorization", "Bearer t0ke"}}), o)) == "forbidden");
    BOOST_TEST(code(route(req("PUT", "/kv/a", "v", {{"authorization", "Bearer t0ken2"}}), o)) == "forbidden");
    BOOST_TEST(code(route(req("DELETE", "/kv/a", "", {{"authorization", "t0ken"}}), o)) == "unauthorized");
    BOOST_TEST(route(req("PUT", "/kv/a", "v", {{"authorization", "Bearer t0ken"}}), o).call.has_value());
    BOOST_TEST(route(req("DELETE", "/kv/a", "", {{"x-api-key", "t0ken"}}), o).call.has_value());
    BOOST_TEST(route(req("GET", "/kv/a"), o).response.status == 401);
    BOOST_TEST(route(req("GET", "/kv/a", "", {{"authorization", "Bearer t0ken"}}), o).call.has_value());
    // Probes and metrics stay open.
    BOOST_TEST(route(req("GET", "/health/ready"), o).call.has_value());
    BOOST_TEST(route(req("GET", "/metrics"), o).call.has_value());
}

BOOST_AUTO_TEST_CASE(results_render_as_the_design_card_says) {
    state::KvCommand put{state::KvCommand::Op::put, {}, "k", "v", 3};
    auto ok = kv_written(put, state::KvResult{true, 7, false});
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(body(ok) == json::parse(R"({"key":"k","revision":7})"));
    auto cas = kv_written(put, state::KvResult{false, 5, false});
    BOOST_TEST(cas.status == 412);
    BOOST_TEST(body(cas)["code"] == "revision_mismatch");
    BOOST_TEST(body(cas)["detail"] == "key 'k' is at revision 5, not 3");
    auto text = kv_read("k", state::KvValue{"hello", 4, 2});
    BOOST_TEST(body(text)["value"] == "hello");
    BOOST_TEST(!body(text).contains("encoding"));
    auto bin = kv_read("k", state::KvValue{std::string("\xc3\x28", 2), 4, 2});
    BOOST_TEST(body(bin)["encoding"] == "base64");
    BOOST_TEST(body(bin)["value"] == "wyg=");
    BOOST_TEST(kv_read("k", std::nullopt).status == 404);

    Routed fwd;
    BOOST_TEST(fwd.may_proxy());
    auto proxied = not_leader(req("PUT", "/kv/k"), fwd.may_proxy(), "node-2", "127.0.0.1:9");
    BOOST_TEST(proxied.proxy_to == "127.0.0.1:9");
    fwd.forward = false;
    BOOST_TEST(!fwd.may_proxy());
    auto redirect = not_leader(req("PUT", "/kv/k?forward=false"), fwd.may_proxy(), "node-2", "127.0.0.1:9");
    BOOST_TEST(redirect.status == 307);
    fwd.forward = true;
    fwd.forwarded = true;  // once forwarded, never again
    BOOST_TEST(!fwd.may_proxy());
    auto none = not_leader(req("PUT", "/kv/k"), fwd.may_proxy(), "", "");
    BOOST_TEST(none.status == 503);
    BOOST_TEST(none.headers.front().first == "Retry-After");
}

BOOST_AUTO_TEST_CASE(probes_follow_the_readiness_rules) {
    NodeView v;
    v.node = "n1";
    BOOST_TEST(health(Probe::live, v).status == 200);
    BOOST_TEST(health(Probe::startup, v).status == 503);
    v.started = true;
    BOOST_TEST(health(Probe::startup, v).status == 200);
    BOOST_TEST(health(Probe::ready, v).status == 503);  // no leader
    BOOST_TEST(body(health(Probe::ready, v))["reason"] == "no known leader");
    v.leader = "n2";
    v.commit_index = 5000;
    v.applied_index = 3999;
    BOOST_TEST(health(Probe::ready, v).status == 503);  // behind: a restart replaying a long log
    BOOST_TEST(body(health(Probe::ready, v))["reason"] == "applying committed entries");
    v.applied_index = 4000;
    BOOST_TEST(health(Probe::ready, v).status == 200);  // the applies in flight under load
    v.applied_index = 5000;
    BOOST_TEST(health(Probe::ready, v).status == 200);
    BOOST_TEST(health(Probe::health, v).status == 200);
    v.storage_ok = false;
    BOOST_TEST(health(Probe::health, v).status == 503);
    auto c = body(health(Probe::cluster, v));
    for (const char* k : {"clusterSize", "leader", "term", "commitIndex", "replicated", "replicationLag", "members"})
        BOOST_TEST(c.contains(k), k);
}

BOOST_AUTO_TEST_CASE(a_replay_takes_since_as_rfc3339_or_ms_and_says_what_is_wrong) {
    auto since_of = [](const Request& r) -> std::int64_t {
        auto routed = route(r, {});
        if (!routed.call) return -1;
        auto* w = std::get_if<OpsWrite>(&*routed.call);
        BOOST_REQUIRE(w);
        BOOST_TEST((w->kind == OpsWrite::Kind::replay));
        return std::get<state::Replay>(w->cmd.body).since_ms;
    };
    BOOST_TEST(since_of(req("POST", "/daemon/replay", R"({"since":"2026-12-06T10:00:00+01:00"})")) ==
               1'796'547'600'000);
    BOOST_TEST(since_of(req("POST", "/daemon/replay", R"({"since":1796547600000})")) == 1'796'547'600'000);
    BOOST_TEST(since_of(req("POST", "/replay?since=2026-12-06T09:00:00Z")) == 1'796'547'600'000);
    BOOST_TEST(since_of(req("POST", "/replay?since=1796547600000")) == 1'796'547'600'000);
    auto error = [](const Request& r) {
        auto routed = route(r, {});
        BOOST_REQUIRE(!routed.call);
        return body(routed.response)["code"].get<std::string>();
    };
    BOOST_TEST(error(req("POST", "/daemon/replay", "{}")) == "missing_since");
    BOOST_TEST(error(req("POST", "/daemon/replay", R"({"since":"yesterday"})")) == "bad_since");
    BOOST_TEST(error(req("POST", "/daemon/replay", R"({"since":-5})")) == "bad_since");
    BOOST_TEST(error(req("POST", "/daemon/replay", R"({"since":"2026-12-06T09:00:00Z","dryRun":true})")) ==
               "unknown_field");
    BOOST_TEST(error(req("POST", "/replay?since=1&since2=3")) == "unknown_parameter");
    BOOST_TEST(route(req("GET", "/daemon/replay"), {}).response.status == 405);
}

BOOST_AUTO_TEST_CASE(health_reports_the_self_check) {
    NodeView v;
    v.node = "n1";
    v.started = true;
    v.leader = "n1";
    BOOST_TEST(!body(health(Probe::health, v)).contains("checks"));  // none ran yet
    node::SelfCheckInput in;
    in.peers = 2;
    in.peers_connected = 1;
    in.wall_ms = node::sane_wall_ms_min + 5000;
    v.self_check = node::evaluate(in, 0);
    auto ok = body(health(Probe::health, v));
    BOOST_TEST(ok["status"] == "healthy");
    BOOST_TEST(ok["checks"]["peers"]["reachable"] == 1);
    BOOST_TEST(ok["checks"]["peers"]["total"] == 2);
    BOOST_TEST(ok["checks"]["storage"]["ok"] == true);
    BOOST_TEST(ok["checks"]["runs"] == 1);
    // No quorum of peers, or a stepped clock: still serving, but degraded.
    in.peers_connected = 0;
    v.self_check = node::evaluate(in, 1);
    auto r = health(Probe::health, v);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(body(r)["status"] == "degraded");
    BOOST_TEST(body(r)["checks"]["peers"]["detail"] == "0 of 2 peers connected; a quorum needs 1");
    BOOST_TEST(health(Probe::ready, v).status == 200);
    // Storage that takes no writes: not ready, and /health says why.
    in.peers_connected = 2;
    in.storage_error = "cannot sync /d/.health-probe: Input/output error";
    v.self_check = node::evaluate(in, 2);
    auto nr = health(Probe::ready, v);
    BOOST_TEST(nr.status == 503);
    BOOST_TEST(body(nr)["reason"] ==
               "storage is not writable (self-check): cannot sync /d/.health-probe: Input/output error");
    BOOST_TEST(health(Probe::health, v).status == 503);
    BOOST_TEST(body(health(Probe::health, v))["checks"]["storage"]["ok"] == false);
}

BOOST_AUTO_TEST_CASE(encodings_round_trip) {
    bool ok = false;
    BOOST_TEST(percent_decode("a%20b+c%2F", ok) == "a b c/");
    BOOST_TEST(ok);
    percent_decode("%4", ok);
    BOOST_TEST(!ok);
    BOOST_TEST(percent_encode("a b/é") == "a%20b/%C3%A9");
    BOOST_TEST(is_utf8("héllo"));
    BOOST_TEST(!is_utf8(std::string("\xc0\xaf", 2)));      // overlong
    BOOST_TEST(!is_utf8(std::string("\xed\xa0\x80", 3)));  // surrogate
    BOOST_TEST(base64_encode("") == "");
    BOOST_TEST(base64_encode("f") == "Zg==");
    BOOST_TEST(base64_encode("fo") == "Zm8=");
    BOOST_TEST(base64_encode("foo") == "Zm9v");
}

BOOST_AUTO_TEST_CASE(metrics_requests_choose_text_json_or_a_window) {
    auto call = [](const Request& r) {
        auto routed = route(r, {});
        BOOST_REQUIRE(routed.call);
        return std::get<MetricsCall>(*routed.call);
    };
    BOOST_TEST(call(req("GET", "/metrics")).json);  // curl with no Accept: the runbook's summary
    BOOST_TEST(call(req("GET", "/metrics", {}, {{"accept", "*/*"}})).json);
    BOOST_TEST(call(req("GET", "/metrics", {}, {{"accept", "application/json"}})).json);
    BOOST_TEST(!call(req("GET", "/metrics", {}, {{"accept", "text/plain"}})).json);
    BOOST_TEST(!call(req("GET", "/metrics?format=text")).json);
    BOOST_TEST(call(req("GET", "/metrics?format=json")).json);
    BOOST_TEST(!call(req("GET", "/metrics?format=text", {}, {{"accept", "application/json"}})).json);
    const auto week = call(req("GET", "/metrics/7d"));
    BOOST_TEST(week.json);
    BOOST_TEST(week.window_ms == 7LL * 86'400'000);
    BOOST_TEST(call(req("GET", "/metrics/month")).window_ms == 30LL * 86'400'000);
    BOOST_TEST(call(req("GET", "/metrics/90m")).window_ms == 90LL * 60'000);
    for (const char* bad : {"/metrics/7", "/metrics/x7d", "/metrics/d", "/metrics/999999999d", "/metrics?format=xml",
                            "/metrics?limit=3"}) {
        auto routed = route(req("GET", bad), {});
        BOOST_TEST(!routed.call, bad);
        BOOST_TEST(routed.response.status == 400, bad);
    }
    BOOST_TEST(route(req("POST", "/metrics"), {}).response.status == 405);
}

BOOST_AUTO_TEST_CASE(metrics_accept_headers_are_negotiated) {
    using F = MetricsFormat;
    // Prometheus 2.x and later, then the 0.0.4-only scrapers.
    BOOST_TEST((negotiate_metrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                                  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == F::text));
    BOOST_TEST((negotiate_metrics("text/plain;version=0.0.4;q=1,*/*;q=0.1") == F::text));
    BOOST_TEST((negotiate_metrics("Text/Plain") == F::text));
    BOOST_TEST((negotiate_metrics("text/*") == F::text));
    // curl, browsers, jq pipes.
    BOOST_TEST((negotiate_metrics("") == F::json));
    BOOST_TEST((negotiate_metrics("*/*") == F::json));
    BOOST_TEST((negotiate_metrics("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") == F::json));
    BOOST_TEST((negotiate_metrics("application/json, text/plain;q=0.5") == F::json));
    BOOST_TEST((negotiate_metrics("text/plain;q=0.9, application/json;q=0.2") == F::text));
    BOOST_TEST((negotiate_metrics("application/*") == F::json));
    // Nothing we serve, or everything refused.
    BOOST_TEST((negotiate_metrics("image/png") == F::none));
    BOOST_TEST((negotiate_metrics("application/json;q=0, text/plain;q=0") == F::none));
    BOOST_TEST((negotiate_metrics("text/plain;q=banana") == F::none));
    BOOST_TEST((negotiate_metrics(" , ,,") == F::json));
    const auto refused = route(req("GET", "/metrics", {}, {{"accept", "image/png"}}), {});
    BOOST_TEST(!refused.call);
    BOOST_TEST(refused.response.status == 406);
    BOOST_TEST(refused.response.body.find("application/json") != std::string::npos);
    // An explicit format or a window overrides the header.
    BOOST_TEST(route(req("GET", "/metrics?format=text", {}, {{"accept", "image/png"}}), {}).call.has_value());
    BOOST_TEST(route(req("GET", "/metrics/7d", {}, {{"accept", "image/png"}}), {}).call.has_value());
}

BOOST_AUTO_TEST_CASE(requests_are_counted_under_bounded_route_patterns) {
    BOOST_TEST(std::string(route_pattern("/kv/some/key?stale=true")) == "/kv/:key");
    BOOST_TEST(std::string(route_pattern("/operations")) == "/operations");
    BOOST_TEST(std::string(route_pattern("/operations/backup")) == "/operations/:id");
    BOOST_TEST(std::string(route_pattern("/operations/backup/history?limit=3")) == "/operations/:id/history");
    BOOST_TEST(std::string(route_pattern("/operations/backup/other")) == "other");
    BOOST_TEST(std::string(route_pattern("/execute/x")) == "/execute/:id");
    BOOST_TEST(std::string(route_pattern("/health/ready")) == "/health/ready");
    BOOST_TEST(std::string(route_pattern("/metrics/7d")) == "/metrics/:window");
    BOOST_TEST(std::string(route_pattern("/debug/actors/raft_peer")) == "/debug/actors/:name");
    BOOST_TEST(std::string(route_pattern("/debug/actors/raft_peer/trace?after=3")) == "/debug/actors/:name/trace");
    BOOST_TEST(std::string(route_pattern("/no/such/path")) == "other");
}

BOOST_AUTO_TEST_CASE(an_actor_trace_is_read_after_a_sequence_number) {
    auto r = route(req("GET", "/debug/actors/raft_peer/trace?after=7&limit=2"), {});
    BOOST_REQUIRE(r.call);
    const auto call = std::get<DebugActors>(*r.call);
    BOOST_TEST(call.name == "raft_peer");
    BOOST_TEST(call.trace);
    BOOST_TEST(call.after == 7u);
    BOOST_TEST(call.limit == 2u);

    introspect::ActorReport peer;
    peer.name = "raft_peer";
    peer.messages_handled = 12;
    for (std::uint64_t s = 5; s <= 12; ++s) peer.trace.push_back({s, s % 2 ? "frame" : "tick", 1000 + std::int64_t(s)});
    auto page = nlohmann::json::parse(actors("node-1", call, {peer}).body);
    BOOST_TEST(page["actor"] == "raft_peer");
    BOOST_TEST(page["lastSeq"] == 12);
    BOOST_REQUIRE(page["entries"].size() == 2u);  // the newest two after 7
    BOOST_TEST(page["entries"][0]["seq"] == 11);
    BOOST_TEST(page["entries"][0]["type"] == "frame");
    BOOST_TEST(page["entries"][1]["atMs"] == 1012);
    BOOST_TEST(page["missed"] == 3);  // 8, 9 and 10 were left out by the limit

    DebugActors all = call;
    all.after = 0;
    all.limit = 256;
    page = nlohmann::json::parse(actors("node-1", all, {peer}).body);
    BOOST_TEST(page["entries"].size() == 8u);
    BOOST_TEST(page["missed"] == 4);  // 1 to 4 were overwritten in the ring

    all.after = 12;
    page = nlohmann::json::parse(actors("node-1", all, {peer}).body);
    BOOST_TEST(page["entries"].empty());
    BOOST_TEST(page["missed"] == 0);

    all.name = "nope";
    BOOST_TEST(actors("node-1", all, {peer}).status == 404);
}

BOOST_AUTO_TEST_CASE(the_web_console_is_one_static_page_and_reads_members_through_this_node) {
    auto page = route(req("GET", "/console?view=raft"), {});
    BOOST_REQUIRE(!page.call);
    BOOST_TEST(page.response.status == 200);
    BOOST_TEST(page.response.content_type == "text/html; charset=utf-8");
    BOOST_TEST(page.response.body.find("<table id=\"actors\">") != std::string::npos);
    BOOST_TEST(page.response.body.find("/debug/actors?node=") != std::string::npos);
    BOOST_TEST(page.response.body.find("http://") == std::string::npos);  // nothing from elsewhere
    bool csp = false;
    for (const auto& [k, v] : page.response.headers) csp |= k == "Content-Security-Policy";
    BOOST_TEST(csp);

    auto other = route(req("GET", "/debug/actors/storage/trace?node=node-2&after=4"), {});
    BOOST_REQUIRE(other.call);
    BOOST_TEST(std::get<DebugActors>(*other.call).node == "node-2");
    BOOST_TEST(std::get<DebugActors>(*other.call).after == 4u);
    BOOST_TEST(std::get<DebugActors>(*route(req("GET", "/debug/actors?node=node-3"), {}).call).node == "node-3");
}

BOOST_AUTO_TEST_SUITE(request_ids)

// The session a request id lands in: bound to the caller's address.
std::uint64_t session_of(const std::string& remote, std::map<std::string, std::string> headers) {
    state::RequestId id;
    Request r = req("PUT", "/kv/a", "v", std::move(headers));
    r.remote = remote;
    BOOST_REQUIRE(!read_request_id(r, id));
    return id.client;
}

BOOST_AUTO_TEST_CASE(a_client_id_is_bound_to_the_caller_s_address) {
    const std::map<std::string, std::string> ids{{"x-client-id", "42"}, {"x-request-seq", "1"}};
    const auto mine = session_of("10.0.0.5:1000", ids);
    BOOST_TEST(mine != 0u);
    BOOST_TEST(session_of("10.0.0.5:2000", ids) == mine);  // another connection, the same client
    BOOST_TEST(session_of("10.0.0.6:1000", ids) != mine);  // another client, the same id
    auto other_id = ids;
    other_id["x-client-id"] = "43";
    BOOST_TEST(session_of("10.0.0.5:1000", other_id) != mine);
    // Forwarded by a member: the client it forwards for (the node keeps this header only
    // on a member's requests).
    auto forwarded = ids;
    forwarded[client_address_header] = "10.0.0.5";
    BOOST_TEST(session_of("10.0.0.9:3000", forwarded) == mine);
}

BOOST_AUTO_TEST_SUITE_END()
