// `raftor ctl member ...`, `transfer-leader`, `snapshot`, `drain`, `undrain`, `shutdown`.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/http/client.hpp"
#include "runtime/http/ctl.hpp"

namespace raftor::http {

namespace {

using json = nlohmann::json;

json parsed(const ClientResult& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_discarded() || !j.is_object() ? json::object() : j;
}

// The first endpoint only: a request about one node must not land on another.
CtlArgs first_only(const CtlArgs& a) {
    CtlArgs one = a;
    if (!one.endpoints.empty()) one.endpoints.resize(1);
    return one;
}

std::string names(const json& list) {
    std::string out;
    if (!list.is_array()) return out;
    for (const auto& n : list) out += (out.empty() ? "" : ", ") + n.get<std::string>();
    return out.empty() ? "-" : out;
}

int print_change(const ClientResult& r) {
    const json j = parsed(r);
    std::cout << j.value("action", "") << " " << j.value("name", "") << ": done at index " << j.value("index", 0)
              << "\n  voters:   " << names(j["voters"]) << "\n  learners: " << names(j["learners"]) << "\n";
    return 0;
}

ClientResult change(const CtlArgs& a, const std::string& action, bool with_address, std::string& used) {
    json body{{"action", action}, {"name", a.name}};
    if (with_address) body["peerAddress"] = a.peer_address;
    return ctl_ask(a, "POST", "/admin/members", body.dump(), used);
}

int member_list(const CtlArgs& a) {
    std::string used;
    ClientResult r = ctl_ask(a, "GET", "/admin/members", "", used);
    if (!r.ok() || r.status != 200) return ctl_report_error(r);
    json j = parsed(r);
    // Only the leader knows how far each member lags: ask it when another node answered.
    if (j["leader"].is_string() && j.value("node", "") != j["leader"].get<std::string>()) {
        for (const auto& m : j.value("members", json::array())) {
            if (!m.value("leader", false) || !m["httpAddress"].is_string()) continue;
            CtlArgs leader = a;
            leader.endpoints = {m["httpAddress"].get<std::string>()};
            std::string at;
            ClientResult lr = ctl_ask(leader, "GET", "/admin/members", "", at);
            if (lr.ok() && lr.status == 200) j = parsed(lr);
        }
    }
    std::printf("%-16s %-8s %-22s %-22s %s\n", "NAME", "ROLE", "PEER", "HTTP", "LAG");
    for (const auto& m : j.value("members", json::array())) {
        const bool leader = m.value("leader", false);
        const std::string role = leader ? "leader" : m.value("voter", false) ? "voter" : "learner";
        std::string lag = m.contains("lagEntries") ? std::to_string(m["lagEntries"].get<std::uint64_t>()) + " entries"
                                                   : std::string("-");
        std::printf("%-16s %-8s %-22s %-22s %s\n", m.value("name", "").c_str(), role.c_str(),
                    m.value("peerAddress", "").c_str(),
                    m["httpAddress"].is_string() ? m["httpAddress"].get<std::string>().c_str() : "-", lag.c_str());
    }
    if (!j["leader"].is_string()) std::cout << "(no leader known to " << used << ")\n";
    return 0;
}

// A 409 that waiting will not change (code "refused": raft.minClusterSize).
bool refused_for_good(const ClientResult& r) {
    const auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.value("code", "") == "refused";
}

// A change, asked again while the answer is 409 ("not now": another change pending, a
// new leader's first commit, a learner not caught up) and `wait_ms` has not run out.
// `waiting` hears each 409 (with how many came before).
template <typename Waiting>
ClientResult change_when_possible(const CtlArgs& a, const std::string& action, std::string& used, Waiting waiting) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(a.wait_ms);
    ClientResult r = change(a, action, action == "add-learner" || action == "add-voter", used);
    for (int tries = 0;
         r.ok() && r.status == 409 && !refused_for_good(r) && std::chrono::steady_clock::now() < deadline; ++tries) {
        waiting(r, tries);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        r = change(a, action, action == "add-learner" || action == "add-voter", used);
    }
    return r;
}

// Adds a learner, waits for it to catch up (by snapshot when the log was compacted),
// then promotes it: the cluster's quorum never counts a member that lags.
int member_add(const CtlArgs& a) {
    std::string used;
    ClientResult r = change(a, "add-learner", true, used);
    if (!r.ok() || r.status != 200) return ctl_report_error(r);
    std::cout << "added " << a.name << " (" << a.peer_address << ") as a learner\n";
    if (a.learner_only) return print_change(r);
    r = change_when_possible(a, "promote", used, [&](const ClientResult& wait, int tries) {
        if (tries % 10 == 0)
            std::cout << "waiting for " << a.name << " to catch up: " << parsed(wait).value("detail", "") << "\n";
    });
    if (!r.ok() || r.status != 200) {
        std::cerr << "raftor ctl: " << a.name << " stays a learner: ";
        ctl_report_error(r);
        std::cerr << "  promote it later with: raftor ctl member promote " << a.name << "\n";
        return 1;
    }
    std::cout << "promoted " << a.name << " to voter\n";
    return print_change(r);
}

int drain(const CtlArgs& a0) {
    CtlArgs a = first_only(a0);
    a.timeout_ms = static_cast<int>(std::min<std::uint64_t>(a.wait_ms + 10'000, 3'700'000));
    std::string used;
    ClientResult r = ctl_ask(a, "POST", "/admin/drain?timeoutMs=" + std::to_string(a.wait_ms), "", used);
    if (!r.ok() || (r.status != 200 && r.status != 202)) return ctl_report_error(r);
    const json j = parsed(r);
    if (r.status == 200) {
        std::cout << j.value("node", used) << " is drained: no handler runs there and "
                  << (j.contains("leader") ? j["leader"].get<std::string>() + " leads"
                                           : std::string("it does not lead"))
                  << " (waited " << j.value("waitedMs", 0) << " ms)\n";
        return 0;
    }
    std::cerr << "raftor ctl: " << j.value("node", used) << " is not drained yet: " << j.value("detail", "") << "\n";
    return 1;
}

int one_node(const CtlArgs& a0, const std::string& path, int want) {
    CtlArgs a = first_only(a0);
    if (path == "/admin/snapshot") a.timeout_ms = std::max(a.timeout_ms, 300'000);
    std::string used;
    ClientResult r = ctl_ask(a, "POST", path, "", used);
    if (!r.ok() || r.status != want) return ctl_report_error(r);
    std::cout << parsed(r).dump(2) << "\n";
    return 0;
}

}  // namespace

int run_ctl_admin(const CtlArgs& a) {
    if (a.command == "member-list") return member_list(a);
    if (a.command == "member-add") return member_add(a);
    if (a.command == "member-add-voter" || a.command == "member-promote" || a.command == "member-remove") {
        const std::string action = a.command.substr(7);
        std::string used;
        CtlArgs b = a;
        b.timeout_ms = std::max(a.timeout_ms, 35'000);  // removing the leader waits for the handover
        ClientResult r = change_when_possible(b, action, used, [](const ClientResult&, int) {});
        if (!r.ok() || r.status != 200) return ctl_report_error(r);
        return print_change(r);
    }
    if (a.command == "transfer-leader") {
        std::string used;
        CtlArgs b = a;
        b.timeout_ms = std::max(a.timeout_ms, 35'000);
        ClientResult r = ctl_ask(b, "POST", "/admin/transfer-leader" + (a.to.empty() ? "" : "?to=" + a.to), "", used);
        if (!r.ok() || r.status != 200) return ctl_report_error(r);
        const json j = parsed(r);
        std::cout << (j.value("moved", false) ? "leadership moved from " + j.value("from", "?") + " to "
                                              : std::string("already led by "))
                  << j.value("leader", "?") << " (term " << j.value("term", 0) << ")\n";
        return 0;
    }
    if (a.command == "snapshot") return one_node(a, "/admin/snapshot", 200);
    if (a.command == "drain") return drain(a);
    if (a.command == "undrain") return one_node(a, "/admin/undrain", 200);
    if (a.command == "shutdown") return one_node(a, "/shutdown", 202);
    std::cerr << "raftor ctl: unknown command '" << a.command << "'\n";
    return 1;
}

}  // namespace raftor::http
