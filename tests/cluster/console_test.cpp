#define BOOST_TEST_MODULE console_cluster
// The introspection console against a real 3-node cluster: `raftor console` for
// scripts (--once --json, commands on stdin), on a terminal (a pseudo-terminal: the
// live table, raft, trace, quit), with a member down; and the web console at /console
// in Debian's headless Chromium, read back from its DOM and from a screenshot.
#include <png.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "tests/cluster/process_cluster.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor;
using raftor::testing::ClusterOptions;
using raftor::testing::eventually;
using raftor::testing::ProcessCluster;
using raftor::testing::run_command;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// `raftor console ARGS` with `input` on stdin.
int console(const std::vector<std::string>& args, const std::string& input, std::string& out) {
    std::string cmd = "printf '" + input + "' | " + RAFTOR_BIN + " console";  // input: a printf format
    for (const auto& a : args) cmd += " '" + a + "'";
    return run_command({"/bin/sh", "-c", cmd}, out);
}

// The console on a pseudo-terminal, as an operator runs it.
class Terminal {
public:
    explicit Terminal(const std::vector<std::string>& args) {
        winsize ws{};
        ws.ws_row = 50;
        ws.ws_col = 140;
        pid_ = forkpty(&fd_, nullptr, nullptr, &ws);
        BOOST_REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            std::vector<std::string> argv{RAFTOR_BIN, "console"};
            argv.insert(argv.end(), args.begin(), args.end());
            std::vector<char*> p;
            for (auto& a : argv) p.push_back(a.data());
            p.push_back(nullptr);
            ::setenv("TERM", "xterm", 1);
            ::execv(RAFTOR_BIN, p.data());
            ::_exit(127);
        }
    }
    ~Terminal() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (fd_ >= 0) ::close(fd_);
    }
    void type(const std::string& keys) {
        BOOST_REQUIRE(::write(fd_, keys.data(), keys.size()) == ssize_t(keys.size()));
    }
    // Reads the screen output until `pattern` appears after `from` (or the time is up).
    bool wait_for(const std::string& pattern, std::size_t from, std::chrono::milliseconds within = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        while (out_.find(pattern, from) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            char buf[8192];
            const ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) return out_.find(pattern, from) != std::string::npos;
            out_.append(buf, static_cast<std::size_t>(n));
        }
        return true;
    }
    // Its exit status once it exits (-1 if it did not within the time).
    int exit_status(std::chrono::milliseconds within = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        while (std::chrono::steady_clock::now() < deadline) {
            wait_for("\x01never", out_.size(), 50ms);  // keep draining so it never blocks on output
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = 0;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
        }
        return -1;
    }
    const std::string& output() const { return out_; }

private:
    pid_t pid_ = -1;
    int fd_ = -1;
    std::string out_;
};

// RGB pixels of a PNG file (libpng's simplified API).
struct Image {
    unsigned width = 0, height = 0;
    std::vector<unsigned char> rgb;
    bool is(unsigned x, unsigned y, unsigned char r, unsigned char g, unsigned char b) const {
        const auto* p = &rgb[(std::size_t(y) * width + x) * 3];
        return p[0] == r && p[1] == g && p[2] == b;
    }
};

bool read_png(const std::string& path, Image& out) {
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path.c_str())) return false;
    img.format = PNG_FORMAT_RGB;
    out.width = img.width;
    out.height = img.height;
    out.rgb.resize(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr)) {
        png_image_free(&img);
        return false;
    }
    return true;
}

// Vertical bands of pixel rows holding at least `min_run` pixels of the colour in a
// row: one per status badge stacked down the table.
int bands_of(const Image& im, unsigned char r, unsigned char g, unsigned char b, int min_run = 20) {
    int bands = 0;
    bool in = false;
    for (unsigned y = 0; y < im.height; ++y) {
        int run = 0, best = 0;
        for (unsigned x = 0; x < im.width; ++x) {
            run = im.is(x, y, r, g, b) ? run + 1 : 0;
            best = std::max(best, run);
        }
        const bool row = best >= min_run;
        if (row && !in) ++bands;
        in = row;
    }
    return bands;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_console_answers_scripts_and_runs_live_on_a_terminal) {
    ProcessCluster c(ClusterOptions{});
    const int leader = c.start_and_elect();
    const std::string one = c.http_address((leader + 1) % 3);  // a follower: the others are discovered

    // --once --json: every actor of every member, found from one of them.
    std::string out;
    BOOST_TEST(console({"--nodes", "http://" + one, "--once", "--json"}, "", out) == 0, out);
    json j = json::parse(out, nullptr, false);
    BOOST_REQUIRE_MESSAGE(j.is_object(), out);
    BOOST_REQUIRE(j["nodes"].size() == 3u);
    std::set<std::string> names;
    for (const auto& n : j["nodes"]) {
        names.insert(n["node"].get<std::string>());
        BOOST_TEST(!n.contains("error"), n.dump());
        std::set<std::string> actors;
        for (const auto& a : n["actors"]) actors.insert(a["name"].get<std::string>());
        for (const char* a : {"raft_peer", "storage", "state_machine", "election_timer", "transport", "http_gateway",
                              "scheduler", "executor", "receipt_signer", "supervisor", "introspector"})
            BOOST_TEST(actors.count(a), a << " missing on " << n["node"]);
    }
    BOOST_TEST(names == (std::set<std::string>{"node-1", "node-2", "node-3"}));
    BOOST_TEST(j["raft"]["leader"] == c.name(leader));
    BOOST_TEST(j["raft"]["leadersSeen"] == 1);
    BOOST_TEST(j["raft"]["followers"].size() == 2u);

    // Commands on stdin, each answered once; a bad one is named and sets the exit status.
    const int rc =
        console({"--nodes", one}, "inspect raft_peer\\ntrace election_timer 0.3\\nbogus\\nraft\\nquit\\nraft\\n", out);
    BOOST_TEST(rc == 1, out);
    BOOST_TEST(has(out, c.name(leader) + "/raft_peer\n"), out);
    BOOST_TEST(std::regex_search(out, std::regex("\n  role +leader\n")), out);
    BOOST_TEST(std::regex_search(out, std::regex(R"(\d\d:\d\d:\d\d\.\d{3}Z  node-\d/election_timer  #\d+  tick)")),
               out);
    BOOST_TEST(has(out, "unknown command 'bogus'"), out);
    BOOST_TEST(has(out, "leader: " + c.name(leader) + "\n"), out);
    BOOST_TEST(has(out, "followers, as the leader sees them:"), out);
    BOOST_TEST(out.find("leader: ") == out.rfind("leader: "), "nothing runs after quit");

    BOOST_TEST(console({"--nodes", one, "--once", "inspect", "no_such_actor"}, "", out) == 1, out);
    BOOST_TEST(has(out, "no actor 'no_such_actor'"), out);
    BOOST_TEST(console({"--nodes", "nonsense", "--once"}, "", out) == 1, out);
    BOOST_TEST(has(out, "node 'nonsense' is not host:port"), out);

    // On a terminal: the live table, then raft, trace and quit at the prompt.
    {
        Terminal t({"--nodes", one, "--interval-ms", "300"});
        BOOST_REQUIRE_MESSAGE(t.wait_for("\x1b[?1049h", 0), t.output());  // the alternate screen
        BOOST_REQUIRE_MESSAGE(t.wait_for("NODE    ACTOR", 0), t.output());
        BOOST_TEST(t.wait_for("3/3 nodes answering", 0), t.output());
        for (int i = 0; i < 3; ++i) BOOST_TEST(t.wait_for(c.name(i) + "  raft_peer", 0), t.output());
        // Refreshed in place: drawn again from the top (cursor home), not scrolled.
        const auto first = t.output().size();
        BOOST_TEST(t.wait_for("\x1b[H", first), "no second frame");
        t.type("raft\r");
        BOOST_TEST(t.wait_for("followers, as the leader sees them:", first), t.output().substr(first));
        const auto at_trace = t.output().size();
        t.type(
            "trace elec\x7f\x7f\x7f\x7f"
            "election_timer\r");  // typing, with backspaces
        BOOST_TEST(t.wait_for("trace election_timer", at_trace), t.output().substr(at_trace));
        BOOST_TEST(t.wait_for("/election_timer  #", at_trace), t.output().substr(at_trace));
        t.type("quit\r");
        BOOST_TEST(t.exit_status() == 0);
        BOOST_TEST(has(t.output(), "\x1b[?1049l"), "the terminal is given back");
    }

    // A member down: named, and --once says so in its status.
    const int down = (leader + 2) % 3;
    c.kill(down, SIGKILL);
    BOOST_TEST(console({"--nodes", one, "--once"}, "", out) == 1, out);
    BOOST_TEST(has(out, "not answering:\n" + c.http_address(down) + ": "), out);
    BOOST_TEST(has(out, "2/3 nodes answering"), out);
}

BOOST_AUTO_TEST_CASE(a_node_answers_for_another_member_through_node_param) {
    ProcessCluster c(ClusterOptions{});
    const int leader = c.start_and_elect();
    const int other = (leader + 1) % 3;
    auto r = c.call(leader, "GET", "/debug/actors/storage?node=" + c.name(other));
    BOOST_TEST(r.status == 200, r.body);
    BOOST_TEST(json::parse(r.body)["node"] == c.name(other));
    r = c.call(leader, "GET", "/debug/actors/raft_peer/trace?limit=3&node=" + c.name(other));
    BOOST_TEST(r.status == 200, r.body);
    BOOST_TEST(json::parse(r.body)["node"] == c.name(other));
    BOOST_TEST(json::parse(r.body)["entries"].size() == 3u);
    r = c.call(leader, "GET", "/debug/actors?node=node-9");
    BOOST_TEST(r.status == 404);
    BOOST_TEST(has(r.body, "no member named 'node-9'"), r.body);
    c.kill(other, SIGKILL);
    r = c.call(leader, "GET", "/debug/actors?node=" + c.name(other));
    BOOST_TEST(r.status == 503, r.body);
    BOOST_TEST(has(r.body, "member_unreachable"), r.body);
}

BOOST_AUTO_TEST_CASE(the_web_console_renders_the_actor_table_in_headless_chromium) {
    const char* chromium = "/usr/bin/chromium";
    if (::access(chromium, X_OK) != 0) {
        // ctest reads this line as a skip (SKIP_REGULAR_EXPRESSION); bootstrap installs it.
        std::cout << "SKIPPED: /usr/bin/chromium is not installed (Debian package 'chromium'; "
                     "scripts/bootstrap installs it when the package can be installed)"
                  << std::endl;
        return;
    }
    ProcessCluster c(ClusterOptions{});
    const int leader = c.start_and_elect();
    const std::string url = "http://" + c.http_address((leader + 1) % 3) + "/console";
    raftor::testing::TempDir tmp;
    auto browse = [&](const std::string& what, const std::string& page, const std::string& size) {
        std::string out;
        const int rc =
            run_command({"timeout", "90", chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                         "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + (tmp.path / "profile").string(),
                         "--window-size=" + size, "--virtual-time-budget=6000", what, page},
                        out);
        BOOST_TEST(rc == 0, "chromium exited " << rc << ": " << out.substr(0, 2000));
        return out;
    };

    // The DOM after the page's script ran: a row per actor per member, all ok.
    const std::string dom = browse("--dump-dom", url, "1280,1400");
    const std::regex row(R"(<tr class="[^"]*" data-node="node-\d" data-actor="[a-z_]+">)");
    const auto rows = std::distance(std::sregex_iterator(dom.begin(), dom.end(), row), std::sregex_iterator());
    BOOST_TEST(rows == 33,
               rows << " rows in " << dom.substr(dom.find("<body"), 6000));  // 11 actors on each of 3 members
    for (int i = 0; i < 3; ++i) BOOST_TEST(has(dom, "data-node=\"" + c.name(i) + "\" data-actor=\"raft_peer\""));
    BOOST_TEST(has(dom, "3/3 members answering, leader " + c.name(leader)), dom.substr(0, 4000));

    // The screenshot: one green "ok" badge per row, stacked down the table.
    const auto png = (tmp.path / "console.png").string();
    browse("--screenshot=" + png, url, "1280,1400");
    Image im;
    BOOST_REQUIRE_MESSAGE(read_png(png, im), "cannot read " << png);
    BOOST_TEST(im.width == 1280u);
    const int badges = bands_of(im, 0x2e, 0x7d, 0x32, 10);
    BOOST_TEST(badges == 33, "green badges seen: " << badges);
    int bar = 0;  // the header bar across the top
    for (unsigned x = 0; x < im.width; ++x) bar += im.is(x, 2, 0x26, 0x32, 0x38);
    BOOST_TEST(bar == int(im.width));

    // The Raft view names the leader's followers.
    const std::string raft = browse("--dump-dom", url + "?view=raft", "1280,900");
    BOOST_TEST(has(raft, "followers of " + c.name(leader)), raft.substr(0, 4000));
}

BOOST_AUTO_TEST_CASE(with_tokens_the_console_needs_one_and_works_with_it) {
    ClusterOptions o;
    o.auth_token = "admin-0123456789abcdef0123456789abcdef";
    o.read_token = "reader-0123456789abcdef0123456789abcdef";
    ProcessCluster c(o);
    const int leader = c.start_and_elect();
    const std::string one = "http://" + c.http_address(leader);
    std::string out;
    // Without a token the actors' views are refused, and the console says why.
    BOOST_TEST(console({"--nodes", one, "--once", "--json"}, "", out) != 0, out);
    BOOST_TEST(out.find("needs a token") != std::string::npos, out);
    // The read token is enough; every member answers (discovered through the first).
    BOOST_TEST(console({"--nodes", one, "--once", "--json", "--token", o.read_token}, "", out) == 0, out);
    json j = json::parse(out, nullptr, false);
    BOOST_REQUIRE_MESSAGE(j.is_object(), out);
    BOOST_TEST(j["nodes"].size() == 3u);
    for (const auto& n : j["nodes"]) BOOST_TEST(!n.contains("error"), n.dump());
}
