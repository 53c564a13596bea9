#include "runtime/console/command.hpp"

#include <cstdlib>
#include <sstream>
#include <vector>

namespace raftor::console {

namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

Command bad(std::string why) {
    Command c;
    c.kind = Command::Kind::bad;
    c.error = std::move(why);
    return c;
}

// "raft_peer" or "node-2/raft_peer".
void actor_arg(const std::string& w, Command& c) {
    const auto slash = w.find('/');
    if (slash == std::string::npos) {
        c.actor = w;
    } else {
        c.node = w.substr(0, slash);
        c.actor = w.substr(slash + 1);
    }
}

}  // namespace

Command parse_command(const std::string& line) {
    const auto w = words(line);
    Command c;
    if (w.empty()) return c;
    const std::string& verb = w[0];
    const std::size_t args = w.size() - 1;
    auto arity = [&](std::size_t lo, std::size_t hi, const char* usage) -> bool {
        if (args >= lo && args <= hi) return true;
        c = bad(std::string("usage: ") + usage);
        return false;
    };
    if (verb == "actors" || verb == "table" || verb == "a") {
        if (!arity(0, 0, "actors")) return c;
        c.kind = Command::Kind::actors;
    } else if (verb == "watch" || verb == "w") {
        if (!arity(0, 1, "watch [ACTOR | NODE/ACTOR]")) return c;
        c.kind = Command::Kind::watch;
        if (args == 1) actor_arg(w[1], c);
    } else if (verb == "inspect" || verb == "i") {
        if (!arity(1, 1, "inspect ACTOR | NODE/ACTOR")) return c;
        c.kind = Command::Kind::inspect;
        actor_arg(w[1], c);
    } else if (verb == "raft" || verb == "r") {
        if (!arity(0, 0, "raft")) return c;
        c.kind = Command::Kind::raft;
    } else if (verb == "trace" || verb == "t") {
        if (!arity(1, 2, "trace ACTOR | NODE/ACTOR [SECONDS]")) return c;
        c.kind = Command::Kind::trace;
        actor_arg(w[1], c);
        if (args == 2) {
            char* end = nullptr;
            c.follow_s = std::strtod(w[2].c_str(), &end);
            if (end == w[2].c_str() || *end != '\0' || !(c.follow_s >= 0 && c.follow_s <= 3600))
                return bad("trace: SECONDS must be a number from 0 to 3600, not '" + w[2] + "'");
        }
    } else if (verb == "help" || verb == "h" || verb == "?") {
        c.kind = Command::Kind::help;
    } else if (verb == "quit" || verb == "q" || verb == "exit") {
        c.kind = Command::Kind::quit;
    } else {
        return bad("unknown command '" + verb + "' (help lists them)");
    }
    if ((c.kind == Command::Kind::inspect || c.kind == Command::Kind::trace ||
         (c.kind == Command::Kind::watch && args == 1)) &&
        c.actor.empty())
        return bad(verb + ": the actor's name is missing (actors lists them)");
    return c;
}

const char* help_text() {
    return "commands:\n"
           "  actors              the live table of every actor on every node (the start view)\n"
           "  watch [ACTOR]       the live table, only ACTOR's rows, each with its own state\n"
           "  inspect ACTOR       ACTOR's full report on every node, once (NODE/ACTOR: one node)\n"
           "  raft                the cluster: who leads, each node's term and indexes, lag per follower\n"
           "  trace ACTOR [S]     the messages ACTOR handles, as they come (in a script: for S seconds)\n"
           "  help                this\n"
           "  quit                leave (also q, Ctrl-D, Ctrl-C)\n";
}

}  // namespace raftor::console
