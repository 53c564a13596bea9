#pragma once
// What the console shows, rendered from what the nodes answered: pure functions from
// JSON to text (for the terminal) or to JSON (for scripts). No I/O: tested directly.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace raftor::console {

using json = nlohmann::json;

// One node's answers to one refresh.
struct NodeAnswer {
    std::string endpoint;  // host:port asked
    std::string error;     // non-empty: it did not answer usefully, and why
    json actors;           // GET /debug/actors
    json cluster;          // GET /health/cluster (null when that failed)
};

struct Snapshot {
    std::vector<NodeAnswer> nodes;
    std::int64_t at_ms = 0;  // wall clock of the refresh
};

// Checks that an answer has the shape the views read (a node of another version, or
// not a raftor node at all, may answer anything): on a bad one, sets `error` to what
// is wrong and drops the documents, so the views only ever see good ones.
void check_answer(NodeAnswer& a);
// The same for a trace page: empty when good, else what is wrong.
std::string check_trace_page(const json& page);

// The live table: one row per actor per node. `only`: just that actor, each row
// followed by its state summary (the watch view); `node`: just that node.
std::string actors_table(const Snapshot& s, const std::string& only = "", const std::string& node = "");
// Every report of `actor` (on `node` only when given), all fields; empty text when none.
std::string inspect_text(const Snapshot& s, const std::string& actor, const std::string& node);
// Who leads, each node's term and indexes, and lag per follower as the leader sees it.
std::string raft_text(const Snapshot& s);
// One line for the header: nodes answering, leader, term.
std::string summary_line(const Snapshot& s);

json actors_json(const Snapshot& s, const std::string& only = "", const std::string& node = "");
json raft_json(const Snapshot& s);

// Lines of a trace page (GET /debug/actors/:name/trace) from `node`.
std::vector<std::string> trace_lines(const std::string& node, const json& page);

// Members' HTTP addresses that the answers name and `known` lacks (to ask them too).
std::vector<std::string> undiscovered(const Snapshot& s, const std::vector<std::string>& known, bool https = false);

// The node's name in an answer ("" when it did not answer).
std::string node_name(const NodeAnswer& a);

}  // namespace raftor::console
