#include "runtime/console/console.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <thread>

#include "runtime/common/host_port.hpp"
#include "runtime/console/command.hpp"
#include "runtime/console/line_editor.hpp"
#include "runtime/console/views.hpp"
#include "runtime/http/client.hpp"

namespace raftor::console {

namespace {

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Asks the nodes, each in its own thread, so one that does not answer costs one
// timeout per refresh, not one per node.
class Nodes {
public:
    Nodes(std::vector<std::string> endpoints, int timeout_ms, bool discover, http::ClientAccess access, bool tls)
        : endpoints_(std::move(endpoints)),
          timeout_ms_(timeout_ms),
          discover_(discover),
          access_(std::move(access)),
          tls_(tls) {}

    Snapshot snapshot() {
        Snapshot s = ask_all();
        if (discover_ && !discovered_) {
            discovered_ = true;
            const auto more = undiscovered(s, endpoints_, tls_);
            if (!more.empty()) {
                endpoints_.insert(endpoints_.end(), more.begin(), more.end());
                s = ask_all();
            }
        }
        return s;
    }

    // New trace lines of `actor` (on `node` only, when given) since the last call.
    std::vector<std::string> trace(const std::string& actor, const std::string& node, std::string& errors) {
        std::vector<std::vector<std::string>> per(endpoints_.size());
        std::vector<std::string> errs(endpoints_.size());
        seqs_.assign(endpoints_.size(), 0);
        std::vector<std::thread> ts;
        for (std::size_t i = 0; i < endpoints_.size(); ++i)
            ts.emplace_back([&, i] {
                const std::string ep = endpoints_[i];
                const std::string key = ep + "/" + actor;
                std::string error;
                const auto after = last_seq_.count(key) ? last_seq_.at(key) : 0;
                json page = get(ep, "/debug/actors/" + actor + "/trace?after=" + std::to_string(after), error);
                if (error.empty()) error = check_trace_page(page);
                if (!error.empty()) return void(errs[i] = ep + ": " + error);
                if (!node.empty() && page.value("node", "") != node) return;
                per[i] = trace_lines(page.value("node", ep), page);
                if (page.contains("entries") && !page["entries"].empty())
                    seqs_[i] = page["entries"].back().value("seq", after);
                else
                    seqs_[i] = after;
            });
        for (auto& t : ts) t.join();
        std::vector<std::string> out;
        errors.clear();
        for (std::size_t i = 0; i < endpoints_.size(); ++i) {
            out.insert(out.end(), per[i].begin(), per[i].end());
            if (!errs[i].empty()) errors += (errors.empty() ? "" : "; ") + errs[i];
            if (seqs_[i]) last_seq_[endpoints_[i] + "/" + actor] = seqs_[i];
        }
        // Interleave the nodes by time: each line starts with its wall-clock time.
        std::stable_sort(out.begin(), out.end(),
                         [](const std::string& a, const std::string& b) { return a.compare(0, 13, b, 0, 13) < 0; });
        return out;
    }
    void forget_traces() { last_seq_.clear(); }

private:
    json get(const std::string& endpoint, const std::string& target, std::string& error) const {
        http::ClientRequest req;
        if (!common::split_host_port(endpoint, req.host, req.port)) {
            error = "'" + endpoint + "' is not host:port";
            return nullptr;
        }
        req.target = target;
        req.timeout = std::chrono::milliseconds(timeout_ms_);
        req.body_max = 16 << 20;
        req.tls = tls_;
        access_.apply(req);
        const auto r = http::call(req);
        if (!r.ok()) {
            error = r.error;
            return nullptr;
        }
        json j = json::parse(r.body, nullptr, false);
        if (j.is_discarded()) {
            error = "HTTP " + std::to_string(r.status) + " with a body that is not JSON";
            return nullptr;
        }
        if (r.status != 200) {
            error = "HTTP " + std::to_string(r.status) + ": " + j.value("detail", j.value("error", r.body));
            return nullptr;
        }
        return j;
    }

    Snapshot ask_all() {
        Snapshot s;
        s.at_ms = wall_ms();
        s.nodes.resize(endpoints_.size());
        std::vector<std::thread> ts;
        for (std::size_t i = 0; i < endpoints_.size(); ++i)
            ts.emplace_back([&, i] {
                NodeAnswer& a = s.nodes[i];
                a.endpoint = endpoints_[i];
                std::string e1, e2;
                a.actors = get(a.endpoint, "/debug/actors", e1);
                if (e1.empty()) a.cluster = get(a.endpoint, "/health/cluster", e2);
                a.error = !e1.empty() ? e1 : e2;
                check_answer(a);
            });
        for (auto& t : ts) t.join();
        return s;
    }

    std::vector<std::string> endpoints_;
    int timeout_ms_;
    bool discover_;
    http::ClientAccess access_;
    bool tls_;  // every node over HTTPS (the nodes were given as https://)
    bool discovered_ = false;
    std::map<std::string, std::uint64_t> last_seq_;  // endpoint/actor -> last trace seq seen
    std::vector<std::uint64_t> seqs_;
};

std::size_t answering(const Snapshot& s) {
    std::size_t n = 0;
    for (const auto& a : s.nodes) n += a.error.empty();
    return n;
}

json inspect_json(const Snapshot& s, const std::string& actor, const std::string& node) {
    json out = json::array();
    for (const auto& n : s.nodes) {
        if (!n.error.empty() || !n.actors.is_object() || (!node.empty() && node_name(n) != node)) continue;
        for (const auto& a : n.actors["actors"])
            if (a.value("name", "") == actor) out.push_back(a);
    }
    return out;
}

// ---- without a terminal: each command answered once

int run_script(Nodes& nodes, const ConsoleArgs& args, std::istream& in) {
    int status = 0;
    auto run = [&](const Command& c) -> bool {  // false: quit
        switch (c.kind) {
            case Command::Kind::none: return true;
            case Command::Kind::quit: return false;
            case Command::Kind::help: std::cout << help_text() << std::flush; return true;
            case Command::Kind::bad:
                std::cerr << "raftor console: " << c.error << "\n";
                status = 1;
                return true;
            case Command::Kind::trace: {
                std::string errors;
                const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(c.follow_s);
                for (bool first = true;; first = false) {
                    for (const auto& l : nodes.trace(c.actor, c.node, errors)) std::cout << l << "\n";
                    std::cout << std::flush;
                    if (!errors.empty() && first) {
                        std::cerr << "raftor console: " << errors << "\n";
                        status = 1;
                    }
                    if (std::chrono::steady_clock::now() >= until) break;
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));
                }
                return true;
            }
            default: break;
        }
        const Snapshot s = nodes.snapshot();
        if (answering(s) == 0) status = 2;
        if (args.once && answering(s) < s.nodes.size() && status == 0) status = 1;
        switch (c.kind) {
            case Command::Kind::actors:
            case Command::Kind::watch:
                if (args.json)
                    std::cout << actors_json(s, c.actor, c.node).dump() << "\n";
                else
                    std::cout << summary_line(s) << "\n\n" << actors_table(s, c.actor, c.node);
                break;
            case Command::Kind::inspect: {
                const json found = inspect_json(s, c.actor, c.node);
                if (found.empty()) {
                    std::cerr << "raftor console: no actor '" << c.actor << "'"
                              << (c.node.empty() ? "" : " on " + c.node) << " answered\n";
                    status = 1;
                } else if (args.json) {
                    std::cout << found.dump() << "\n";
                } else {
                    std::cout << inspect_text(s, c.actor, c.node);
                }
                break;
            }
            case Command::Kind::raft:
                if (args.json)
                    std::cout << raft_json(s).dump() << "\n";
                else
                    std::cout << raft_text(s);
                break;
            default: break;
        }
        std::cout << std::flush;
        return true;
    };
    if (args.once) {
        run(parse_command(args.command));
        return status;
    }
    for (std::string line; std::getline(in, line);)
        if (!run(parse_command(line))) break;
    return status;
}

// ---- on a terminal: a live screen

std::atomic<bool> g_stop{false};
std::atomic<bool> g_resized{false};

extern "C" void on_stop(int) {
    g_stop = true;
}
extern "C" void on_winch(int) {
    g_resized = true;
}

// Raw input (no echo, byte by byte) and the alternate screen, restored however we leave.
class Terminal {
public:
    Terminal() {
        if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        termios raw = saved_;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        ok_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        std::cout << "\x1b[?1049h\x1b[H\x1b[2J" << std::flush;
    }
    ~Terminal() {
        std::cout << "\x1b[?1049l" << std::flush;
        if (ok_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }
    static std::pair<int, int> size() {
        winsize ws{};
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) return {ws.ws_row, ws.ws_col};
        return {24, 80};
    }

private:
    termios saved_{};
    bool ok_ = false;
};

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t from = 0;
    while (from < text.size()) {
        auto nl = text.find('\n', from);
        if (nl == std::string::npos) nl = text.size();
        out.push_back(text.substr(from, nl - from));
        from = nl + 1;
    }
    return out;
}

void draw(const std::string& title, const std::vector<std::string>& body, const std::string& message,
          const std::string& input) {
    const auto [rows, cols] = Terminal::size();
    auto fit = [cols = cols](const std::string& l) {
        return l.size() > static_cast<std::size_t>(cols) ? l.substr(0, cols) : l;
    };
    std::string out = "\x1b[H\x1b[7m" + fit(title) + "\x1b[0m\x1b[K\r\n";
    const std::size_t room = rows > 4 ? static_cast<std::size_t>(rows - 4) : 1;
    // A long body keeps its top (tables) unless it is a stream (trace), which keeps its end.
    for (std::size_t i = 0; i < body.size() && i < room; ++i) out += fit(body[i]) + "\x1b[K\r\n";
    out += "\x1b[J";
    out += "\x1b[" + std::to_string(rows - 1) + ";1H" + fit(message) + "\x1b[K";
    out += "\x1b[" + std::to_string(rows) + ";1H" + fit("> " + input) + "\x1b[K";
    std::cout << out << std::flush;
}

int run_terminal(Nodes& nodes, const ConsoleArgs& args) {
    struct sigaction sa {};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, nullptr);

    Terminal term;
    LineEditor editor;
    Command view;
    view.kind = Command::Kind::actors;
    std::string message = "help lists the commands; quit leaves";
    std::vector<std::string> body;
    std::deque<std::string> stream;  // trace lines
    std::string title = "raftor console";
    auto next = std::chrono::steady_clock::now();
    bool frozen = false;  // inspect and help show one answer until the next command

    auto refresh = [&] {
        const int period = view.kind == Command::Kind::trace ? std::min(args.interval_ms, 250) : args.interval_ms;
        next = std::chrono::steady_clock::now() + std::chrono::milliseconds(period);
        if (frozen) return;
        if (view.kind == Command::Kind::trace) {
            std::string errors;
            for (auto& l : nodes.trace(view.actor, view.node, errors)) stream.push_back(std::move(l));
            while (stream.size() > 2000) stream.pop_front();
            const auto [rows, cols] = Terminal::size();
            const std::size_t room = rows > 4 ? static_cast<std::size_t>(rows - 4) : 1;
            body.assign(stream.size() > room ? stream.end() - static_cast<std::ptrdiff_t>(room) : stream.begin(),
                        stream.end());
            title = "raftor console - trace " + (view.node.empty() ? "" : view.node + "/") + view.actor;
            if (!errors.empty()) message = errors;
            return;
        }
        const Snapshot s = nodes.snapshot();
        title = "raftor console - " + summary_line(s);
        if (view.kind == Command::Kind::raft)
            body = split_lines(raft_text(s));
        else
            body = split_lines(actors_table(s, view.actor, view.node));
    };

    refresh();
    draw(title, body, message, editor.line());
    while (!g_stop) {
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
        pollfd p{STDIN_FILENO, POLLIN, 0};
        const int ready = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, wait.count())));
        if (g_stop) break;
        bool redraw = false;
        if (g_resized.exchange(false)) redraw = true;
        if (ready > 0) {
            char buf[256];
            const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n == 0) break;  // the terminal went away
            for (ssize_t i = 0; i < n && !g_stop; ++i) {
                const auto ev = editor.feed(static_cast<unsigned char>(buf[i]));
                if (ev == LineEditor::Event::quit) g_stop = true;
                if (ev == LineEditor::Event::changed) redraw = true;
                if (ev != LineEditor::Event::submit) continue;
                const Command c = parse_command(editor.take());
                redraw = true;
                switch (c.kind) {
                    case Command::Kind::none: break;
                    case Command::Kind::quit: g_stop = true; break;
                    case Command::Kind::bad: message = c.error; break;
                    case Command::Kind::help:
                        frozen = true;
                        title = "raftor console - help";
                        body = split_lines(help_text());
                        message = "actors, watch or raft return to a live view";
                        break;
                    case Command::Kind::inspect: {
                        frozen = true;
                        const Snapshot s = nodes.snapshot();
                        title = "raftor console - inspect " + c.actor + " (as of " + summary_line(s) + ")";
                        const std::string text = inspect_text(s, c.actor, c.node);
                        body = split_lines(text.empty() ? "no actor '" + c.actor + "' answered" : text);
                        message = "a snapshot: actors, watch " + c.actor + " or raft for a live view";
                        break;
                    }
                    default:
                        frozen = false;
                        view = c;
                        stream.clear();
                        nodes.forget_traces();
                        message =
                            c.kind == Command::Kind::trace ? "trace of " + c.actor + ": newest at the bottom" : "";
                        next = std::chrono::steady_clock::now();  // show it now
                }
            }
        }
        if (g_stop) break;
        if (std::chrono::steady_clock::now() >= next) {
            refresh();
            redraw = true;
        }
        if (redraw) draw(title, body, message, editor.line());
    }
    return 0;
}

}  // namespace

int run_console(const ConsoleArgs& args) {
    std::vector<std::string> endpoints;
    bool tls = false;
    for (const auto& n : args.nodes) {
        tls = tls || n.rfind("https://", 0) == 0;
        const std::string ep = common::endpoint_of(n);
        std::string host;
        std::uint16_t port = 0;
        if (!common::split_host_port(ep, host, port)) {
            std::cerr << "raftor console: node '" << n << "' is not host:port, http://host:port or https://host:port\n";
            return 1;
        }
        endpoints.push_back(ep);
    }
    if (endpoints.empty()) {
        std::cerr << "raftor console: no node given (--nodes or RAFTOR_ENDPOINTS)\n";
        return 1;
    }
    Nodes nodes(std::move(endpoints), args.timeout_ms, args.discover, {args.token, args.ca_file, args.insecure}, tls);
    if (!args.once && !args.json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) return run_terminal(nodes, args);
    return run_script(nodes, args, std::cin);
}

}  // namespace raftor::console
