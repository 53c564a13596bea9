#pragma once
// `raftor console`: the actor introspection console over the nodes' HTTP endpoints
// (/debug/actors, /debug/actors/:name/trace, /health/cluster). On a terminal it is a
// live screen refreshed in place with a command prompt; without one it runs the
// commands read from stdin (or one, with --once) and prints each answer once.
#include <string>
#include <vector>

namespace raftor::console {

struct ConsoleArgs {
    std::vector<std::string> nodes;  // host:port or http://host:port
    int interval_ms = 1000;          // refresh period of the live views
    int timeout_ms = 1500;           // per request
    bool once = false;               // print one answer and exit
    bool json = false;               // answers as JSON (without a terminal)
    bool discover = true;            // also ask the members the nodes name
    std::string command = "actors";  // --once: which answer
    std::string token;               // a read (or admin) token, when the nodes have tokens
    std::string ca_file;             // https:// nodes: the CA of their certificates
    bool insecure = false;           // https:// nodes: verify nothing
};

// Exit status: 0; 1 when a command was bad or (--once) a node did not answer; 2 when
// no node answered at all.
int run_console(const ConsoleArgs& args);

}  // namespace raftor::console
