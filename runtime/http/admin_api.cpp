#include "runtime/http/admin_api.hpp"

#include <nlohmann/json.hpp>

#include "runtime/common/host_port.hpp"
#include "runtime/http/api.hpp"
#include "runtime/http/errors.hpp"
#include "runtime/state/member_registry.hpp"

namespace raftor::http {

using nlohmann::json;

namespace {

using QueryItems = std::vector<std::pair<std::string, std::string>>;

std::optional<Routed> no_parameters(const std::string& what, const QueryItems& query) {
    if (query.empty()) return std::nullopt;
    return bad_request("unknown_parameter", "unknown query parameter",
                       "'" + query.front().first + "' is not a parameter of " + what + " (it takes none)");
}

Routed call(AdminCall c, const Request& req) {
    Routed out;
    out.forwarded = req.header(forwarded_header) != nullptr;
    out.call = std::move(c);
    return out;
}

std::optional<MemberChange::Action> action_of(const std::string& s) {
    if (s == "add-learner") return MemberChange::Action::add_learner;
    if (s == "add-voter") return MemberChange::Action::add_voter;
    if (s == "promote") return MemberChange::Action::promote;
    if (s == "remove") return MemberChange::Action::remove;
    return std::nullopt;
}

// {"action": "add-learner"|"add-voter"|"promote"|"remove", "name": "node-4",
//  "peerAddress": "10.0.0.4:8081"} (the address for the two adds only).
Routed member_change(const Request& req) {
    json doc;
    try {
        doc = json::parse(req.body);
    } catch (const json::exception& e) {  // a syntax error, or a number out of range
        return bad_request("bad_json", "bad JSON", std::string("the body is not valid JSON: ") + e.what());
    }
    if (!doc.is_object())
        return bad_request("bad_json", "bad JSON", "the body must be an object {action, name, peerAddress}");
    MemberChange c;
    bool has_action = false, has_name = false;
    for (const auto& [k, v] : doc.items()) {
        if (k == "action") {
            auto a = v.is_string() ? action_of(v.get<std::string>()) : std::nullopt;
            if (!a)
                return bad_request("bad_field", "bad field",
                                   "action: must be one of add-learner, add-voter, promote, remove, not " + v.dump());
            c.action = *a;
            has_action = true;
        } else if (k == "name") {
            if (!v.is_string()) return bad_request("bad_field", "bad field", "name: must be a string");
            c.name = v.get<std::string>();
            if (auto e = state::check_member_name(c.name); !e.empty())
                return bad_request("bad_field", "bad field", "name: '" + c.name + "' " + e);
            has_name = true;
        } else if (k == "peerAddress") {
            if (!v.is_string()) return bad_request("bad_field", "bad field", "peerAddress: must be a string");
            c.peer_address = v.get<std::string>();
            std::string host;
            std::uint16_t port = 0;
            if (!common::split_host_port(c.peer_address, host, port))
                return bad_request("bad_field", "bad field",
                                   "peerAddress: '" + c.peer_address + "' is not host:port (port 1-65535)");
        } else {
            return bad_request("unknown_field", "unknown field",
                               "'" + k + "' is not a field of a membership change (action, name, peerAddress)");
        }
    }
    if (!has_action) return bad_request("missing_field", "missing field", "action: is required");
    if (!has_name) return bad_request("missing_field", "missing field", "name: is required");
    const bool adds = c.action == MemberChange::Action::add_learner || c.action == MemberChange::Action::add_voter;
    if (adds && c.peer_address.empty())
        return bad_request("missing_field", "missing field",
                           std::string("peerAddress: is required to ") + to_string(c.action) + " (host:port)");
    if (!adds && !c.peer_address.empty())
        return bad_request(
            "unexpected_field", "unexpected field",
            std::string("peerAddress: only add-learner and add-voter take one, not ") + to_string(c.action));
    AdminCall a;
    a.kind = AdminCall::Kind::member_change;
    a.change = std::move(c);
    return call(std::move(a), req);
}

}  // namespace

const char* to_string(MemberChange::Action a) {
    switch (a) {
        case MemberChange::Action::add_learner: return "add-learner";
        case MemberChange::Action::add_voter: return "add-voter";
        case MemberChange::Action::promote: return "promote";
        case MemberChange::Action::remove: return "remove";
    }
    return "?";
}

bool is_admin_path(const std::string& path) {
    return path == "/shutdown" || path.rfind("/admin/", 0) == 0 || path == "/admin";
}

Routed route_admin(const Request& req, const std::string& path, const QueryItems& query) {
    auto need = [&](const char* method) -> std::optional<Routed> {
        if (req.method != method) return method_not_allowed(req, path, method);
        return std::nullopt;
    };
    // Every admin request, reads too (a backup holds everything), needs the admin scope:
    // route() has checked it (access.hpp).
    if (path == "/admin/snapshot" || path == "/admin/undrain" || path == "/shutdown") {
        if (auto r = need("POST")) return *r;
        if (auto bad = no_parameters("POST " + path, query)) return *bad;
        AdminCall c;
        c.kind = path == "/admin/snapshot"  ? AdminCall::Kind::snapshot
                 : path == "/admin/undrain" ? AdminCall::Kind::undrain
                                            : AdminCall::Kind::shutdown;
        return call(std::move(c), req);
    }
    if (path == "/admin/transfer-leader") {
        if (auto r = need("POST")) return *r;
        AdminCall c;
        c.kind = AdminCall::Kind::transfer_leader;
        for (const auto& [k, v] : query) {
            if (k != "to")
                return bad_request("unknown_parameter", "unknown query parameter",
                                   "'" + k + "' is not a parameter of POST /admin/transfer-leader (to)");
            if (auto e = state::check_member_name(v); !e.empty())
                return bad_request("bad_parameter", "bad query parameter", "to: '" + v + "' " + e);
            c.to = v;
        }
        return call(std::move(c), req);
    }
    if (path == "/admin/drain") {
        if (is_get(req)) {
            if (auto bad = no_parameters("GET /admin/drain", query)) return *bad;
            AdminCall c;
            c.kind = AdminCall::Kind::drain_status;
            return call(std::move(c), req);
        }
        if (req.method != "POST") return method_not_allowed(req, path, "GET, POST");
        AdminCall c;
        c.kind = AdminCall::Kind::drain;
        for (const auto& [k, v] : query) {
            if (k != "timeoutMs")
                return bad_request("unknown_parameter", "unknown query parameter",
                                   "'" + k + "' is not a parameter of POST /admin/drain (timeoutMs)");
            if (!parse_u64(v, c.timeout_ms) || c.timeout_ms > 3'600'000)
                return bad_request("bad_parameter", "bad query parameter",
                                   "timeoutMs: must be a whole number of milliseconds up to 3600000, not '" + v + "'");
        }
        return call(std::move(c), req);
    }
    if (path == "/admin/members") {
        if (is_get(req)) {
            if (auto bad = no_parameters("GET /admin/members", query)) return *bad;
            AdminCall c;
            c.kind = AdminCall::Kind::members;
            return call(std::move(c), req);
        }
        if (req.method != "POST") return method_not_allowed(req, path, "GET, POST");
        if (auto bad = no_parameters("POST /admin/members", query)) return *bad;
        return member_change(req);
    }
    if (path == "/admin/storage") {
        if (auto r = need("POST")) return *r;
        if (auto bad = no_parameters("POST /admin/storage", query)) return *bad;
        const json doc = json::parse(req.body, nullptr, false);
        if (doc.is_discarded() || !doc.is_object())
            return bad_request("bad_json", "bad JSON", "the body must be an object {\"mapBytes\": N}");
        AdminCall c;
        c.kind = AdminCall::Kind::storage;
        for (const auto& [k, v] : doc.items()) {
            if (k != "mapBytes")
                return bad_request("unknown_field", "unknown field",
                                   "'" + k + "' is not a field of POST /admin/storage (mapBytes)");
            if (!v.is_number_unsigned() || v.get<std::uint64_t>() < (std::uint64_t{1} << 20) ||
                v.get<std::uint64_t>() > (std::uint64_t{1} << 44))
                return bad_request("bad_field", "bad field",
                                   "mapBytes: must be a whole number of bytes from 1048576 (1 MiB) to 17592186044416 "
                                   "(16 TiB), not " +
                                       v.dump());
            c.map_bytes = v.get<std::uint64_t>();
        }
        if (c.map_bytes == 0) return bad_request("missing_field", "missing field", "mapBytes: is required");
        return call(std::move(c), req);
    }
    if (path == "/admin/backup") {
        if (!is_get(req)) return method_not_allowed(req, path, "GET");
        if (auto bad = no_parameters("GET /admin/backup", query)) return *bad;
        AdminCall c;
        c.kind = AdminCall::Kind::backup;
        return call(std::move(c), req);
    }
    return answer(error_response(404, "not_found", "no such route",
                                 req.method + " " + path +
                                     " is not an admin path (snapshot, transfer-leader, drain, undrain, members, "
                                     "backup, storage; POST /shutdown)"));
}

Response snapshot_taken(const SnapshotTaken& s) {
    json j{{"node", s.node}, {"taken", s.taken}, {"index", s.index}, {"term", s.term}, {"bytes", s.bytes}};
    if (!s.detail.empty()) j["detail"] = s.detail;
    return json_response(200, j);
}

Response leader_moved(const LeaderMoved& m) {
    json j{{"from", m.from}, {"leader", m.to}, {"term", m.term}, {"moved", m.moved}};
    if (!m.detail.empty()) j["detail"] = m.detail;
    return json_response(200, j);
}

Response drain_report(const DrainReport& r) {
    json j{{"node", r.node},       {"draining", r.draining}, {"drained", r.drained}, {"runningHandlers", r.running},
           {"leading", r.leading}, {"waitedMs", r.waited_ms}};
    if (!r.leader.empty()) j["leader"] = r.leader;
    if (r.draining && !r.drained) {
        std::string why;
        if (r.running > 0) why = std::to_string(r.running) + " handler(s) still running here";
        if (r.leading) why += std::string(why.empty() ? "" : " and ") + "this node still leads";
        j["detail"] = why + "; ask again with GET /admin/drain";
    }
    return json_response(r.draining && !r.drained ? 202 : 200, j);
}

Response member_changed(const MemberChanged& m) {
    json j{{"action", to_string(m.change.action)},
           {"name", m.change.name},
           {"id", std::to_string(m.id)},
           {"index", m.index},
           {"voters", m.voters},
           {"learners", m.learners}};
    if (!m.change.peer_address.empty()) j["peerAddress"] = m.change.peer_address;
    return json_response(200, j);
}

Response storage_resized(const std::string& node, std::uint64_t map_bytes, bool full, const std::string& detail) {
    json j{{"node", node}, {"mapBytes", map_bytes}, {"full", full}};
    if (full) j["detail"] = detail;
    return json_response(200, j);
}

Response shutdown_started(const std::string& node) {
    return json_response(202, json{{"node", node},
                                   {"stopping", true},
                                   {"detail",
                                    "a graceful stop has begun: leadership is handed over, requests in "
                                    "flight are answered, storage is flushed"}});
}

}  // namespace raftor::http
