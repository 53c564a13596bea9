// The admin routes: each becomes its call, every one needs the token, bad input is named.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "runtime/http/api.hpp"

using namespace raftor;
using namespace raftor::http;
using json = nlohmann::json;

namespace {
Request admin_req(std::string method, std::string target, std::string body = {}, std::string token = {}) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    if (!r.body.empty()) r.headers["content-type"] = "application/json";
    r.remote = "127.0.0.1:40000";
    return r;
}
AdminCall admin_call(const Routed& r) {
    BOOST_REQUIRE_MESSAGE(r.call, r.response.body);
    return std::get<AdminCall>(*r.call);
}
std::pair<int, std::string> refusal(const Routed& r) {
    BOOST_REQUIRE(!r.call);
    auto j = json::parse(r.response.body);
    return {r.response.status, j.value("detail", "")};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(admin_api)

BOOST_AUTO_TEST_CASE(each_admin_route_becomes_its_call) {
    using K = AdminCall::Kind;
    BOOST_TEST((admin_call(route(admin_req("POST", "/admin/snapshot"), {})).kind == K::snapshot));
    BOOST_TEST((admin_call(route(admin_req("POST", "/shutdown"), {})).kind == K::shutdown));
    BOOST_TEST((admin_call(route(admin_req("POST", "/admin/undrain"), {})).kind == K::undrain));
    BOOST_TEST((admin_call(route(admin_req("GET", "/admin/drain"), {})).kind == K::drain_status));
    auto d = admin_call(route(admin_req("POST", "/admin/drain?timeoutMs=5000"), {}));
    BOOST_TEST((d.kind == K::drain));
    BOOST_TEST(d.timeout_ms == 5000u);
    BOOST_TEST(admin_call(route(admin_req("POST", "/admin/drain"), {})).timeout_ms == 30'000u);
    auto t = admin_call(route(admin_req("POST", "/admin/transfer-leader?to=node-2"), {}));
    BOOST_TEST((t.kind == K::transfer_leader));
    BOOST_TEST(t.to == "node-2");
    BOOST_TEST(admin_call(route(admin_req("POST", "/admin/transfer-leader"), {})).to.empty());
    BOOST_TEST((admin_call(route(admin_req("GET", "/admin/members"), {})).kind == K::members));
    BOOST_TEST((admin_call(route(admin_req("GET", "/admin/backup"), {})).kind == K::backup));
    auto m = admin_call(route(admin_req("POST", "/admin/members",
                                        R"({"action":"add-learner","name":"node-4","peerAddress":"10.0.0.4:8081"})"),
                              {}));
    BOOST_TEST((m.kind == K::member_change));
    BOOST_TEST((m.change.action == MemberChange::Action::add_learner));
    BOOST_TEST(m.change.name == "node-4");
    BOOST_TEST(m.change.peer_address == "10.0.0.4:8081");
    auto r = admin_call(route(admin_req("POST", "/admin/members", R"({"action":"remove","name":"node-1"})"), {}));
    BOOST_TEST((r.change.action == MemberChange::Action::remove));
    // A number beyond a double: 400, not an exception out of the router.
    auto huge = route(admin_req("POST", "/admin/members", R"({"action":"remove","name":"n","x":1e99999})"), {});
    BOOST_TEST(!huge.call);
    BOOST_TEST(huge.response.status == 400);
}

BOOST_AUTO_TEST_CASE(every_admin_request_needs_the_token_reads_too) {
    ApiOptions o;
    o.auth_token = "t0k";
    for (auto [method, target] : std::vector<std::pair<std::string, std::string>>{{"POST", "/admin/snapshot"},
                                                                                  {"GET", "/admin/members"},
                                                                                  {"GET", "/admin/backup"},
                                                                                  {"GET", "/admin/drain"},
                                                                                  {"POST", "/shutdown"}}) {
        auto denied = route(admin_req(method, target), o);
        BOOST_TEST(!denied.call);
        BOOST_TEST(denied.response.status == 401, target);
        BOOST_TEST(json::parse(denied.response.body)["detail"].get<std::string>().find("admin requests") !=
                   std::string::npos);
        BOOST_TEST(route(admin_req(method, target, {}, "bad"), o).response.status == 403, target);
        BOOST_TEST(route(admin_req(method, target, {}, "t0k"), o).call.has_value(), target);
    }
}

BOOST_AUTO_TEST_CASE(bad_admin_requests_are_named) {
    auto check = [](const Request& r, int status, const std::string& names) {
        auto [s, detail] = refusal(route(r, {}));
        BOOST_TEST(s == status, r.method + " " + r.target + ": " + detail);
        BOOST_TEST(detail.find(names) != std::string::npos, r.method + " " + r.target + ": " + detail);
    };
    check(admin_req("GET", "/admin/snapshot"), 405, "");
    check(admin_req("POST", "/admin/snapshot?now=1"), 400, "'now' is not a parameter");
    check(admin_req("POST", "/admin/drain?timeoutMs=soon"), 400, "timeoutMs");
    check(admin_req("POST", "/admin/drain?timeoutMs=99999999"), 400, "timeoutMs");
    check(admin_req("POST", "/admin/transfer-leader?to=a%20b"), 400, "to:");
    check(admin_req("POST", "/admin/transfer-leader?who=x"), 400, "'who'");
    check(admin_req("POST", "/admin/compact"), 404, "not an admin path");
    check(admin_req("POST", "/admin/members", "{"), 400, "not valid JSON");
    check(admin_req("POST", "/admin/members", "[]"), 400, "must be an object");
    check(admin_req("POST", "/admin/members", R"({"name":"n"})"), 400, "action: is required");
    check(admin_req("POST", "/admin/members", R"({"action":"kick","name":"n"})"), 400, "action: must be one of");
    check(admin_req("POST", "/admin/members", R"({"action":"remove"})"), 400, "name: is required");
    check(admin_req("POST", "/admin/members", R"({"action":"remove","name":"bad name"})"), 400,
          "name: 'bad name' has the character ' '");
    check(admin_req("POST", "/admin/members", R"({"action":"add-learner","name":"n4"})"), 400,
          "peerAddress: is required");
    check(admin_req("POST", "/admin/members", R"({"action":"add-voter","name":"n4","peerAddress":"nowhere"})"), 400,
          "peerAddress: 'nowhere' is not host:port");
    check(admin_req("POST", "/admin/members", R"({"action":"promote","name":"n4","peerAddress":"h:1"})"), 400,
          "only add-learner and add-voter");
    check(admin_req("POST", "/admin/members", R"({"action":"remove","name":"n4","x":1})"), 400, "'x' is not a field");
    check(admin_req("POST", "/admin/members", R"({"action":"remove","name":7})"), 400, "name: must be a string");
}

BOOST_AUTO_TEST_CASE(a_drained_node_is_healthy_but_not_ready_and_a_removed_one_is_neither_ready) {
    NodeView v;
    v.started = true;
    v.node = "node-1";
    v.leader = "node-2";
    v.draining = true;
    BOOST_TEST(health(Probe::health, v).status == 200);
    auto ready = health(Probe::ready, v);
    BOOST_TEST(ready.status == 503);
    BOOST_TEST(json::parse(ready.body)["reason"].get<std::string>().find("drained") != std::string::npos);
    v.draining = false;
    BOOST_TEST(health(Probe::ready, v).status == 200);
    v.member = false;
    BOOST_TEST(json::parse(health(Probe::ready, v).body)["reason"].get<std::string>().find("not a member") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(drain_reports_say_what_is_left) {
    DrainReport r{"node-1", true, false, 2, true, "node-1", 120};
    auto pending = drain_report(r);
    BOOST_TEST(pending.status == 202);
    BOOST_TEST(json::parse(pending.body)["detail"].get<std::string>() ==
               "2 handler(s) still running here and this node still leads; ask again with GET /admin/drain");
    r.running = 0;
    r.leading = false;
    r.drained = true;
    r.leader = "node-2";
    auto done = json::parse(drain_report(r).body);
    BOOST_TEST(done["drained"] == true);
    BOOST_TEST(done["leader"] == "node-2");
    BOOST_TEST(!done.contains("detail"));
}

BOOST_AUTO_TEST_SUITE_END()
