#include "runtime/console/views.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <sstream>

namespace raftor::console {

namespace {

std::string str(const json& j, const char* key, const std::string& none = "-") {
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) return none;
    const json& v = j[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    if (v.is_number_float()) {
        char b[32];
        std::snprintf(b, sizeof b, "%.1f", v.get<double>());
        return b;
    }
    return v.dump();
}

// Rows of cells, padded to the widest in each column.
std::string columns(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string age_text(const json& a) {
    if (!a.contains("lastMessageAgeMs") || a["lastMessageAgeMs"].is_null()) return "-";
    const auto ms = a["lastMessageAgeMs"].get<std::uint64_t>();
    char b[32];
    if (ms < 1000)
        std::snprintf(b, sizeof b, "%llums", static_cast<unsigned long long>(ms));
    else if (ms < 120'000)
        std::snprintf(b, sizeof b, "%.1fs", ms / 1000.0);
    else
        std::snprintf(b, sizeof b, "%llum", static_cast<unsigned long long>(ms / 60'000));
    return b;
}

std::string status_of(const json& a) {
    if (a.contains("stopped") && a["stopped"].is_string()) return "STOPPED: " + a["stopped"].get<std::string>();
    if (a.value("responsive", true) == false) return "STUCK (no answer)";
    return "ok";
}

bool wanted(const NodeAnswer& n, const std::string& node) {
    return node.empty() || node_name(n) == node;
}

std::string clock_text(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[32];
    std::snprintf(b, sizeof b, "%02d:%02d:%02d.%03dZ", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return b;
}

// The node whose answer says it leads in the highest term; -1 when none does.
int leader_index(const Snapshot& s) {
    int best = -1;
    std::uint64_t term = 0;
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        const auto& c = s.nodes[i].cluster;
        if (!c.is_object() || c.value("role", "") != "leader") continue;
        const auto t = c.value("term", std::uint64_t{0});
        if (best < 0 || t > term) best = static_cast<int>(i), term = t;
    }
    return best;
}

bool is_str_or_null(const json& j, const char* k) {
    return !j.contains(k) || j[k].is_string() || j[k].is_null();
}
bool is_num_or_null(const json& j, const char* k) {
    return !j.contains(k) || j[k].is_number() || j[k].is_null();
}
bool is_count(const json& v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

std::string check_actor(const json& a) {
    if (!a.is_object()) return "an actor that is not an object";
    if (!a.contains("name") || !a["name"].is_string()) return "an actor without a name";
    const std::string who = "actor '" + a["name"].get<std::string>() + "': ";
    for (const char* k : {"kind", "lastMessage", "stopped"})
        if (!is_str_or_null(a, k)) return who + k + " is not a string";
    for (const char* k : {"mailboxDepth", "messagesHandled", "ratePerSec", "lastMessageAgeMs"})
        if (!is_num_or_null(a, k)) return who + k + " is not a number";
    if (a.contains("lastMessageAgeMs") && a["lastMessageAgeMs"].is_number() && !is_count(a["lastMessageAgeMs"]))
        return who + "lastMessageAgeMs is negative";
    if (a.contains("responsive") && !a["responsive"].is_boolean()) return who + "responsive is not true or false";
    if (!a.contains("state") || !a["state"].is_object()) return who + "state is not an object";
    for (auto it = a["state"].begin(); it != a["state"].end(); ++it)
        if (!it->is_string()) return who + "state." + it.key() + " is not a string";
    return "";
}

}  // namespace

void check_answer(NodeAnswer& a) {
    if (!a.error.empty()) return;
    auto bad = [&](const std::string& where, const std::string& what) {
        a.error = "bad answer to " + where + ": " + what;
        a.actors = nullptr;
        a.cluster = nullptr;
    };
    const json& d = a.actors;
    if (!d.is_object() || !d.contains("node") || !d["node"].is_string() || !d.contains("actors") ||
        !d["actors"].is_array())
        return bad("/debug/actors", "not {\"node\": ..., \"actors\": [...]}");
    for (const auto& x : d["actors"])
        if (auto why = check_actor(x); !why.empty()) return bad("/debug/actors", why);
    const json& c = a.cluster;
    if (c.is_null()) return;
    if (!c.is_object() || !c.contains("members") || !c["members"].is_array())
        return bad("/health/cluster", "no members list");
    if (!is_str_or_null(c, "role") || !is_str_or_null(c, "leader") || !is_str_or_null(c, "node"))
        return bad("/health/cluster", "role, leader or node is not a string");
    for (const char* k : {"role", "node"})  // read with a default when absent
        if (c.contains(k) && c[k].is_null()) a.cluster.erase(k);
    if (c.contains("term") && !is_count(c["term"])) return bad("/health/cluster", "term is not a number");
    for (const auto& m : c["members"]) {
        if (!m.is_object() || !m.contains("name") || !m["name"].is_string())
            return bad("/health/cluster", "a member without a name");
        if (!is_str_or_null(m, "httpAddress")) return bad("/health/cluster", "a member's httpAddress is not a string");
        if (m.contains("leader") && !m["leader"].is_boolean())
            return bad("/health/cluster", "a member's leader is not true or false");
        if (m.contains("voter") && !m["voter"].is_boolean())
            return bad("/health/cluster", "a member's voter is not true or false");
    }
}

std::string check_trace_page(const json& page) {
    if (!page.is_object() || !page.contains("entries") || !page["entries"].is_array())
        return "not {\"entries\": [...]}";
    if (!is_str_or_null(page, "node") || !is_str_or_null(page, "actor")) return "node or actor is not a string";
    if (page.contains("missed") && !is_count(page["missed"])) return "missed is not a count";
    for (const auto& e : page["entries"])
        if (!e.is_object() || !e.contains("seq") || !is_count(e["seq"]) || !e.contains("atMs") ||
            !e["atMs"].is_number_integer() || !e.contains("type") || !e["type"].is_string())
            return "an entry is not {seq, type, atMs}";
    return "";
}

std::string node_name(const NodeAnswer& a) {
    if (a.actors.is_object() && a.actors.contains("node") && a.actors["node"].is_string())
        return a.actors["node"].get<std::string>();
    if (a.cluster.is_object() && a.cluster.contains("node") && a.cluster["node"].is_string())
        return a.cluster["node"].get<std::string>();
    return "";
}

std::string actors_table(const Snapshot& s, const std::string& only, const std::string& node) {
    std::vector<std::vector<std::string>> rows{
        {"NODE", "ACTOR", "KIND", "MAILBOX", "HANDLED", "RATE/s", "LAST MESSAGE", "AGO", "STATUS"}};
    std::string unreachable, details;
    std::size_t shown = 0;
    for (const auto& n : s.nodes) {
        if (!n.error.empty() || !n.actors.is_object()) {
            unreachable += n.endpoint + ": " + (n.error.empty() ? "no actor list" : n.error) + "\n";
            continue;
        }
        if (!wanted(n, node)) continue;
        const std::string name = node_name(n);
        for (const auto& a : n.actors["actors"]) {
            if (!only.empty() && a.value("name", "") != only) continue;
            ++shown;
            rows.push_back({name, str(a, "name"), str(a, "kind"), str(a, "mailboxDepth"), str(a, "messagesHandled"),
                            str(a, "ratePerSec"), str(a, "lastMessage"), age_text(a), status_of(a)});
            if (only.empty()) continue;
            details += "\n" + name + "/" + str(a, "name") + "\n";
            std::vector<std::vector<std::string>> kv;
            for (auto it = a["state"].begin(); it != a["state"].end(); ++it)
                kv.push_back({"  " + it.key(), it.value().is_string() ? it.value().get<std::string>() : it->dump()});
            details += columns(kv);
        }
    }
    std::string out = columns(rows);
    if (shown == 0 && !only.empty()) out += "(no actor '" + only + "'" + (node.empty() ? "" : " on " + node) + ")\n";
    out += details;
    if (!unreachable.empty()) out += "\nnot answering:\n" + unreachable;
    return out;
}

std::string inspect_text(const Snapshot& s, const std::string& actor, const std::string& node) {
    std::string out;
    for (const auto& n : s.nodes) {
        if (!n.error.empty() || !n.actors.is_object() || !wanted(n, node)) continue;
        for (const auto& a : n.actors["actors"]) {
            if (a.value("name", "") != actor) continue;
            std::vector<std::vector<std::string>> kv{
                {"kind", str(a, "kind")},
                {"mailbox depth", str(a, "mailboxDepth")},
                {"messages handled", str(a, "messagesHandled")},
                {"rate", str(a, "ratePerSec") + " /s"},
                {"last message", str(a, "lastMessage") + " (" + age_text(a) + " ago)"},
                {"status", status_of(a)}};
            for (auto it = a["state"].begin(); it != a["state"].end(); ++it)
                kv.push_back({it.key(), it.value().is_string() ? it.value().get<std::string>() : it->dump()});
            for (auto& r : kv) r[0] = "  " + r[0];
            out += node_name(n) + "/" + actor + "\n" + columns(kv);
        }
    }
    return out;
}

std::string summary_line(const Snapshot& s) {
    std::size_t answering = 0;
    for (const auto& n : s.nodes) answering += n.error.empty();
    std::string out = std::to_string(answering) + "/" + std::to_string(s.nodes.size()) + " nodes answering";
    const int l = leader_index(s);
    if (l >= 0)
        out += ", leader " + node_name(s.nodes[l]) + " (term " + str(s.nodes[l].cluster, "term") + ")";
    else
        out += ", no leader seen";
    return out + ", at " + clock_text(s.at_ms);
}

json raft_json(const Snapshot& s) {
    // Peers name each other by raft id; each node's own peer says which id is its.
    std::map<std::string, std::string> names;
    for (const auto& n : s.nodes)
        if (n.actors.is_object())
            for (const auto& a : n.actors["actors"])
                if (a.value("name", "") == "raft_peer" && a["state"].contains("id"))
                    names[a["state"]["id"].get<std::string>()] = node_name(n);
    json nodes = json::array();
    std::set<std::pair<std::string, std::uint64_t>> leaders;  // (name, term) as each node says
    for (const auto& n : s.nodes) {
        json j{{"endpoint", n.endpoint}, {"node", node_name(n)}};
        if (!n.error.empty() || !n.cluster.is_object()) {
            j["error"] = n.error.empty() ? "no cluster view" : n.error;
            nodes.push_back(std::move(j));
            continue;
        }
        const auto& c = n.cluster;
        for (const char* k : {"role", "term", "leader", "commitIndex", "appliedIndex", "replicationLag"})
            if (c.contains(k)) j[k] = c[k];
        if (c.value("role", "") == "leader") leaders.insert({node_name(n), c.value("term", std::uint64_t{0})});
        // The peer's own summary has the last index and, on the leader, in-flight appends.
        if (n.actors.is_object())
            for (const auto& a : n.actors["actors"])
                if (a.value("name", "") == "raft_peer") {
                    j["lastIndex"] = a["state"].value("lastIndex", "");
                    for (auto it = a["state"].begin(); it != a["state"].end(); ++it)
                        if (it.key().rfind("follower.", 0) == 0) {
                            const std::string id = it.key().substr(9);
                            j["progress"][names.count(id) ? names[id] : id] = it.value();
                        }
                }
        nodes.push_back(std::move(j));
    }
    json out{{"nodes", std::move(nodes)}};
    const int l = leader_index(s);
    out["leader"] = l >= 0 ? json(node_name(s.nodes[l])) : json(nullptr);
    out["leadersSeen"] = leaders.size();
    json followers = json::array();
    if (l >= 0)
        for (const auto& m : s.nodes[l].cluster["members"]) {
            if (m.value("leader", false)) continue;
            json f{{"node", m.value("name", "")}, {"voter", m.value("voter", true)}};
            for (const char* k : {"matchIndex", "lagEntries", "lagMs"}) f[k] = m.contains(k) ? m[k] : json(nullptr);
            followers.push_back(std::move(f));
        }
    out["followers"] = std::move(followers);
    return out;
}

std::string raft_text(const Snapshot& s) {
    const json r = raft_json(s);
    std::string out;
    if (r["leader"].is_null())
        out += "no leader: no answering node says it leads\n";
    else
        out += "leader: " + r["leader"].get<std::string>() + "\n";
    if (r["leadersSeen"].get<std::size_t>() > 1)
        out += "WARNING: " + std::to_string(r["leadersSeen"].get<std::size_t>()) +
               " nodes say they lead (an old leader that has not heard of the new term yet?)\n";
    std::vector<std::vector<std::string>> rows{
        {"NODE", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAST", "ENDPOINT"}};
    for (const auto& n : r["nodes"]) {
        if (n.contains("error")) {
            rows.push_back({n["node"].get<std::string>().empty() ? "?" : n["node"].get<std::string>(), "unreachable",
                            "-", "-", "-", "-", "-", str(n, "endpoint") + " (" + str(n, "error") + ")"});
            continue;
        }
        rows.push_back({str(n, "node"), str(n, "role"), str(n, "term"), str(n, "leader"), str(n, "commitIndex"),
                        str(n, "appliedIndex"), str(n, "lastIndex"), str(n, "endpoint")});
    }
    out += "\n" + columns(rows);
    if (!r["followers"].empty()) {
        out += "\nfollowers, as the leader sees them:\n";
        std::vector<std::vector<std::string>> f{{"NODE", "VOTER", "MATCH", "LAG (entries)", "LAG (ms)"}};
        for (const auto& m : r["followers"])
            f.push_back({str(m, "node"), str(m, "voter"), str(m, "matchIndex"), str(m, "lagEntries"), str(m, "lagMs")});
        out += columns(f);
    }
    // In-flight appends, from the leader's own peer.
    for (const auto& n : r["nodes"])
        if (n.contains("progress")) {
            out += "\nreplication progress (the leader's view of each follower):\n";
            std::vector<std::vector<std::string>> p;
            for (auto it = n["progress"].begin(); it != n["progress"].end(); ++it)
                p.push_back({"  " + it.key(), it.value().get<std::string>()});
            out += columns(p);
        }
    return out;
}

json actors_json(const Snapshot& s, const std::string& only, const std::string& node) {
    json nodes = json::array();
    for (const auto& n : s.nodes) {
        if (!wanted(n, node) && n.error.empty()) continue;
        json j{{"endpoint", n.endpoint}, {"node", node_name(n)}};
        if (!n.error.empty() || !n.actors.is_object()) {
            j["error"] = n.error.empty() ? "no actor list" : n.error;
        } else {
            json list = json::array();
            for (const auto& a : n.actors["actors"])
                if (only.empty() || a.value("name", "") == only) list.push_back(a);
            j["actors"] = std::move(list);
        }
        nodes.push_back(std::move(j));
    }
    return json{{"at", s.at_ms}, {"nodes", std::move(nodes)}, {"raft", raft_json(s)}};
}

std::vector<std::string> trace_lines(const std::string& node, const json& page) {
    std::vector<std::string> out;
    if (!check_trace_page(page).empty()) return out;
    const std::string actor = page.value("actor", "");
    if (!page.contains("entries") || !page["entries"].is_array()) return out;
    const auto missed = page.value("missed", std::uint64_t{0});
    if (missed > 0 && !page["entries"].empty())  // stamped like the entry after them, to sort with it
        out.push_back(clock_text(page["entries"].front().value("atMs", std::int64_t{0})) + "  " + node + "/" + actor +
                      "  ... " + std::to_string(missed) + " earlier messages not shown (the ring holds the last 256)");
    for (const auto& e : page["entries"]) {
        out.push_back(clock_text(e.value("atMs", std::int64_t{0})) + "  " + node + "/" + actor + "  #" +
                      std::to_string(e.value("seq", std::uint64_t{0})) + "  " + e.value("type", ""));
    }
    return out;
}

std::vector<std::string> undiscovered(const Snapshot& s, const std::vector<std::string>& known, bool https) {
    const char* field = https ? "httpsAddress" : "httpAddress";
    std::vector<std::string> out;
    for (const auto& n : s.nodes) {
        if (!n.cluster.is_object() || !n.cluster.contains("members")) continue;
        for (const auto& m : n.cluster["members"]) {
            if (!m.contains(field) || !m[field].is_string()) continue;
            const auto addr = m[field].get<std::string>();
            if (std::find(known.begin(), known.end(), addr) == known.end() &&
                std::find(out.begin(), out.end(), addr) == out.end())
                out.push_back(addr);
        }
    }
    return out;
}

}  // namespace raftor::console
