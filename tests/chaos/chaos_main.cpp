// raftor-chaos: the driver of a chaos run on real processes (started by chaos.sh inside
// the client namespace). It starts the nodes, registers a 1 s schedule, runs the KV
// clients, alternates nemesis and heal phases, then heals everything and checks:
// the history is linearizable (sim/'s checker), every slot fired exactly once, the
// receipt chain verifies on every node with one head, no node died on its own.
// Exit 0 only when all of that holds; the summary says what was seen either way.
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "runtime/schedule/schedule.hpp"
#include "sim/linearizability.hpp"
#include "tests/chaos/clients.hpp"
#include "tests/chaos/fires.hpp"
#include "tests/chaos/history.hpp"
#include "tests/chaos/nemesis.hpp"
#include "tests/chaos/netns_cluster.hpp"
#include "tests/common/history_pages.hpp"

using namespace std::chrono_literals;
using namespace raftor;
using namespace raftor::chaos;
using nlohmann::json;

namespace {

struct Args {
    ClusterSpec cluster;
    int duration_s = 60;
    std::uint64_t seed = 0;
    std::string nemeses = "all";
    int nemesis_s = 5;
    int heal_s = 3;
    // Peer traffic allowed, as a multiple of (N-1) x the bytes the clients wrote. A
    // resend storm sent tens of times this. Packed frames, implied ids and read rounds
    // of a quorum carried on appends brought a 60 s run to 1.45-1.50 (from 3.85); the
    // target is 1.5, and the bound stays just above it until there is room under it.
    // Under a sanitizer the nodes run several times slower: the clients write less in
    // the same time while heartbeats keep their pace, so that build passes a looser one.
    double traffic_max = 1.6;
    ClientOptions clients;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "raftor-chaos: " << why
              << "\nusage: raftor-chaos --bin RAFTOR --work DIR --ns-prefix P --subnet A.B.C [--faketime LIB]\n"
                 "         [--nodes 3..7] [--duration S] [--seed N] [--nemesis LIST] [--nemesis-s S] [--heal-s S]\n"
                 "         [--clients N] [--keys N] [--traffic-max X]\n";
    std::exit(2);
}

int number(const std::string& flag, const std::string& v, int lo, int hi) {
    try {
        std::size_t used = 0;
        const long n = std::stol(v, &used);
        if (used == v.size() && n >= lo && n <= hi) return static_cast<int>(n);
    } catch (const std::exception&) {
    }
    usage(flag + " must be a number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + v + "'");
}

double real(const std::string& flag, const std::string& v, double lo, double hi) {
    try {
        std::size_t used = 0;
        const double x = std::stod(v, &used);
        if (used == v.size() && x >= lo && x <= hi) return x;
    } catch (const std::exception&) {
    }
    usage(flag + " must be a number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + v + "'");
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        if (i + 1 >= argc) usage(f + " needs a value");
        const std::string v = argv[++i];
        if (f == "--bin")
            a.cluster.bin = v;
        else if (f == "--work")
            a.cluster.work = v;
        else if (f == "--ns-prefix")
            a.cluster.ns_prefix = v;
        else if (f == "--subnet")
            a.cluster.subnet = v;
        else if (f == "--faketime")
            a.cluster.faketime = v;
        else if (f == "--nodes")
            a.cluster.nodes = number(f, v, 3, 7);
        else if (f == "--duration")
            a.duration_s = number(f, v, 10, 24 * 3600);
        else if (f == "--seed")
            a.seed = static_cast<std::uint64_t>(number(f, v, 0, 2'000'000'000));
        else if (f == "--nemesis")
            a.nemeses = v;
        else if (f == "--nemesis-s")
            a.nemesis_s = number(f, v, 1, 600);
        else if (f == "--heal-s")
            a.heal_s = number(f, v, 1, 600);
        else if (f == "--clients")
            a.clients.clients = number(f, v, 1, 64);
        else if (f == "--keys")
            a.clients.keys = number(f, v, 1, 1000);
        else if (f == "--traffic-max")
            a.traffic_max = real(f, v, 1, 100);
        else
            usage("unknown option " + f);
    }
    if (a.cluster.bin.empty() || a.cluster.work.empty() || a.cluster.ns_prefix.empty() || a.cluster.subnet.empty())
        usage("--bin, --work, --ns-prefix and --subnet are required");
    if (a.seed == 0) a.seed = std::random_device{}() % 1'000'000'000 + 1;
    a.clients.seed = a.seed;
    return a;
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string mib(std::uint64_t bytes) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024 * 1024) << " MiB";
    return s.str();
}

// Bytes of the values the clients wrote into the log: writes acknowledged or unknown,
// and compare-and-sets whose precondition failed (decided when their entry applied, so
// replicated like any write). Writes refused before the log (no leader, full disk, no
// connection) are not counted.
std::uint64_t written_bytes(const std::vector<Op>& ops, std::size_t value_bytes) {
    std::uint64_t n = 0;
    for (const auto& o : ops)
        if ((o.fn == Fn::write || o.fn == Fn::cas) && (o.outcome != Outcome::fail || o.precondition_failed))
            n += value_bytes;
    return n;
}

class Run {
public:
    explicit Run(Args a)
        : args_(std::move(a)),
          epoch_(std::chrono::steady_clock::now()),
          cluster_(args_.cluster),
          nemesis_(cluster_, args_.seed) {}

    int go();

private:
    void say(const std::string& what) {
        const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
        std::cout << "[" << std::fixed;
        std::cout.precision(1);
        std::cout << t << "s] " << what << std::endl;
    }
    // A request that must go through in the end (the cluster is healed): retried on any
    // node until `within`.
    std::optional<json> must(const std::string& method, const std::string& target, const std::string& body,
                             std::chrono::seconds within, int want_status);
    void check_crashes(const std::set<int>& killed);
    std::vector<Kind> nemesis_plan();
    bool check_receipts(std::ostringstream& out);

    Args args_;
    std::chrono::steady_clock::time_point epoch_;
    NetnsCluster cluster_;
    Nemesis nemesis_;
    std::vector<std::string> events_;
    std::vector<std::string> crashes_;
    std::string not_possible_;
};

std::optional<json> Run::must(const std::string& method, const std::string& target, const std::string& body,
                              std::chrono::seconds within, int want_status) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    std::string last;
    int node = cluster_.leader().value_or(0);
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = cluster_.call(node, method, target, body, 5s);
        if (r.ok() && r.status == want_status) {
            auto j = json::parse(r.body, nullptr, false);
            if (!j.is_discarded()) return j;
        }
        last = r.ok() ? std::to_string(r.status) + " " + r.body.substr(0, 200) : r.error;
        if (r.ok() && r.status >= 400 && r.status < 500 && r.status != 409) break;  // asking again will not help
        node = (node + 1) % cluster_.size();
        std::this_thread::sleep_for(300ms);
    }
    say(method + " " + target + " did not answer " + std::to_string(want_status) + ": " + last);
    return std::nullopt;
}

void Run::check_crashes(const std::set<int>& killed) {
    for (int i = 0; i < cluster_.size(); ++i)
        if (!cluster_.running(i) && !killed.count(i)) {
            crashes_.push_back(cluster_.name(i));
            say(cluster_.name(i) + " EXITED ON ITS OWN (see its log); restarting it");
            cluster_.start(i);
        }
}

std::vector<Kind> Run::nemesis_plan() {
    auto kinds = parse_kinds(args_.nemeses);
    if (!cluster_.can_jump_clocks()) {
        const auto before = kinds.size();
        kinds.erase(std::remove(kinds.begin(), kinds.end(), Kind::clock_jump), kinds.end());
        if (kinds.size() != before)
            not_possible_ = "clock-jump not run: libfaketime (package faketime) is not installed";
        if (kinds.empty()) kinds.push_back(Kind::kill);
    }
    return kinds;
}

bool Run::check_receipts(std::ostringstream& out) {
    std::set<std::string> heads;
    int verified = 0;
    std::string failures;
    for (int i = 0; i < cluster_.size(); ++i) {
        std::string text;
        const int rc = testing::run_command({args_.cluster.bin, "ctl", "--endpoints", cluster_.http_address(i),
                                             "--token", cluster_.token(), "receipts", "verify", "--stale"},
                                            text);
        std::smatch m;
        if (rc == 0 && std::regex_search(text, m, std::regex("head ([0-9a-f]+)"))) {
            ++verified;
            heads.insert(m[1]);
            std::ofstream(cluster_.dir(i) / "receipts-verify.txt") << text;
        } else {
            failures += "\n    " + cluster_.name(i) + " (exit " + std::to_string(rc) + "): " + text.substr(0, 300);
        }
    }
    out << "verified on " << verified << "/" << cluster_.size() << " nodes";
    if (heads.size() == 1) out << ", one head " << heads.begin()->substr(0, 16) << "...";
    if (heads.size() > 1) out << ", but " << heads.size() << " different heads";
    out << failures;
    return verified == cluster_.size() && heads.size() == 1;
}

int Run::go() {
    const auto kinds = nemesis_plan();
    say("chaos: " + std::to_string(cluster_.size()) + " nodes, " + std::to_string(args_.duration_s) + " s, seed " +
        std::to_string(args_.seed) + ", work dir " + args_.cluster.work.string());
    for (int i = 0; i < cluster_.size(); ++i) cluster_.start(i);
    // Peak RSS and peer bytes, every half second, for the summary.
    std::jthread sampler([this](std::stop_token stop) {
        while (!stop.stop_requested()) {
            cluster_.sample();
            for (int i = 0; i < 10 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(50ms);
        }
    });
    if (!testing::eventually([&] { return cluster_.leader().has_value(); }, 30s)) {
        say("FAILED: no leader within 30 s of the start");
        return 1;
    }
    say("leader: " + cluster_.name(*cluster_.leader()));

    // The schedule: every second, each slot once (catchUp all), through everything.
    const std::int64_t registered_ms = wall_ms();
    if (!must(
            "PUT", "/operations/tick",
            R"J({"id":"tick","name":"every second","handler":{"kind":"noop"},"schedule":"@every 1s","catchUp":"all"})J",
            30s, 200)) {
        say("FAILED: could not register the schedule");
        return 1;
    }

    Clients clients(cluster_, args_.clients, epoch_);
    clients.start();
    std::this_thread::sleep_for(2s);

    // Nemesis and heal phases, each kind in turn in a seeded order (all of them in a
    // short run), until the duration is over.
    std::mt19937_64 rng(args_.seed);
    std::vector<Kind> bag;
    const auto end = epoch_ + std::chrono::seconds(args_.duration_s);
    while (std::chrono::steady_clock::now() + std::chrono::seconds(args_.nemesis_s) < end) {
        if (bag.empty()) {
            bag = kinds;
            std::shuffle(bag.begin(), bag.end(), rng);
        }
        const Kind k = bag.back();
        bag.pop_back();
        const Fault f = nemesis_.begin(k);
        events_.push_back(f.text);
        say("nemesis " + f.text);
        std::this_thread::sleep_for(std::chrono::seconds(args_.nemesis_s));
        std::set<int> killed;
        if (k == Kind::kill) killed.insert(f.nodes.begin(), f.nodes.end());
        check_crashes(killed);
        nemesis_.heal(f);
        say("healed");
        const auto rest = std::min(std::chrono::steady_clock::now() + std::chrono::seconds(args_.heal_s), end);
        while (std::chrono::steady_clock::now() < rest) std::this_thread::sleep_for(50ms);
    }
    nemesis_.heal_all();
    check_crashes({});
    say("all healed; waiting for one leader and every node applied");
    const bool settled = testing::eventually([&] { return cluster_.settled(); }, 60s);
    if (!settled) say("the cluster did not settle within 60 s of the last heal");
    std::this_thread::sleep_for(3s);  // the clients see it work again
    clients.stop();
    clients.read_everything();

    // Freeze the schedule (the same operation without one) and let the last fires end.
    const std::int64_t frozen_ms = wall_ms();
    const bool frozen =
        must("PUT", "/operations/tick", R"J({"id":"tick","name":"every second","handler":{"kind":"noop"}})J", 30s, 200)
            .has_value();
    testing::eventually(
        [&] {
            auto q = must("GET", "/queue", "", 5s, 200);
            return q && q->value("total", 1) == 0;
        },
        30s);
    testing::eventually([&] { return cluster_.settled(); }, 30s);
    std::this_thread::sleep_for(1500ms);  // the last receipts sealed and applied everywhere
    sampler.request_stop();
    sampler.join();
    cluster_.sample();

    // Fires: every slot from the registration to the freeze, each once.
    FireCheck fires;
    std::map<std::string, int> statuses;
    if (auto h = testing::whole_history("tick",
                                        [&](const std::string& target) { return must("GET", target, "", 30s, 200); });
        h && h->is_array()) {
        std::vector<std::int64_t> slots;
        for (const auto& e : *h) {
            statuses[e.value("status", std::string("?"))]++;
            if (e.contains("slot") && e["slot"].is_string())
                if (auto s = schedule::parse_rfc3339(e["slot"].get<std::string>())) slots.push_back(*s);
        }
        fires = check_fires(slots, 1000, registered_ms, frozen_ms, 2500);
    } else {
        fires.explanation = "the operation's history could not be read";
    }
    if (!frozen) fires.ok = false, fires.explanation += " (and the schedule could not be frozen)";

    std::ostringstream receipts;
    const bool receipts_ok = check_receipts(receipts);

    // Linearizability of everything the clients saw.
    const auto ops = clients.history();
    {
        std::ofstream out(args_.cluster.work / "history.jsonl");
        write_jsonl(out, ops);
    }
    const auto kv = to_kv_ops(ops);
    const auto lin = sim::check_linearizable(kv);
    const auto counts = count(ops);

    std::ostringstream s;
    s << "chaos summary (" << cluster_.size() << " nodes, " << args_.duration_s << " s, seed " << args_.seed << ")\n";
    s << "  ops:          " << counts.ops << " (ok " << counts.ok << ", fail " << counts.fail << ", unknown "
      << counts.info << ")\n";
    for (auto outcome : {Outcome::fail, Outcome::info}) {
        const auto why = reasons(ops, outcome);
        if (why.empty()) continue;
        s << "    " << (outcome == Outcome::fail ? "fail:    " : "unknown: ");
        for (std::size_t i = 0; i < why.size() && i < 5; ++i)
            s << (i ? ", " : "") << why[i].first << " x" << why[i].second;
        if (why.size() > 5) s << ", ...";
        s << "\n";
    }
    s << "  nemesis:      " << events_.size() << " events";
    for (std::size_t i = 0; i < events_.size(); ++i) s << (i ? "; " : ": ") << events_[i];
    s << "\n";
    if (!not_possible_.empty()) s << "                " << not_possible_ << "\n";
    s << "  linearizable: "
      << (lin.ok && !lin.exhausted ? "yes"
          : lin.ok                 ? "unknown (search budget ran out)"
                                   : "NO")
      << " (" << lin.keys << " keys, " << lin.ops << " ops checked, " << lin.steps << " steps)";
    if (!lin.ok || lin.exhausted) s << "\n                key " << lin.key << ": " << lin.explanation;
    s << "\n";
    s << "  fires:        expected " << fires.expected << ", seen " << fires.seen << " (duplicates " << fires.duplicates
      << ", missing " << fires.missing << ")";
    for (const auto& [st, n] : statuses) s << (st == statuses.begin()->first ? "; " : ", ") << st << " " << n;
    if (!fires.ok) s << "\n                " << fires.explanation;
    s << "\n";
    s << "  receipts:     " << receipts.str() << "\n";
    s << "  settled:      " << (settled ? "yes" : "NO: no single leader with every node applied within 60 s") << "\n";
    // What the nodes sent each other over the whole run, next to the writes' own volume:
    // replication that resends more than it must shows here. Each written byte goes to
    // N-1 followers; half as much again is to cover framing, answers and read rounds.
    const std::uint64_t wrote = written_bytes(ops, args_.clients.value_bytes);
    std::uint64_t peer_total = 0;
    s << "  peer traffic: ";
    for (int i = 0; i < cluster_.size(); ++i) {
        const auto u = cluster_.usage(i);
        peer_total += u.peer_bytes_out;
        s << (i ? ", " : "") << cluster_.name(i) << " " << mib(u.peer_bytes_out) << " out";
    }
    const double traffic_ratio =
        wrote == 0 ? 0 : static_cast<double>(peer_total) / (static_cast<double>(cluster_.size() - 1) * wrote);
    const double traffic_ratio_max = args_.traffic_max;  // see Args::traffic_max
    const bool traffic_ok = wrote > 0 && traffic_ratio <= traffic_ratio_max;
    s << "\n                clients wrote " << mib(wrote) << "; all peers sent " << mib(peer_total) << " = "
      << std::fixed << std::setprecision(2) << traffic_ratio << std::defaultfloat << " x (N-1) x that (at most "
      << traffic_ratio_max << ")" << (traffic_ok ? "" : ": TOO MUCH") << "\n";
    {
        // Where the bytes went, by message type (the processes running now: counters restart with them).
        std::map<std::string, std::uint64_t> by_type;
        const std::regex line(R"re(raft_peer_bytes_sent_total\{type="([a-z_]+)"\} ([0-9.e+]+))re");
        for (int i = 0; i < cluster_.size(); ++i) {
            auto r = cluster_.call(i, "GET", "/metrics?format=text", {}, 3s);
            if (!r.ok()) continue;
            for (std::sregex_iterator it(r.body.begin(), r.body.end(), line), e; it != e; ++it)
                by_type[(*it)[1]] += static_cast<std::uint64_t>(std::stod((*it)[2]));
        }
        s << "                by type, since each process started:";
        for (const auto& [type, n] : by_type)
            if (n > 0) s << " " << type << " " << mib(n);
        s << "\n";
    }
    s << "  peak RSS:     ";
    for (int i = 0; i < cluster_.size(); ++i)
        s << (i ? ", " : "") << cluster_.name(i) << " " << cluster_.usage(i).peak_rss_kb / 1024 << " MiB";
    s << "\n";
    s << "  data dirs:    ";
    for (int i = 0; i < cluster_.size(); ++i) {
        struct statvfs st {};
        if (::statvfs(cluster_.data_dir(i).c_str(), &st) == 0)
            s << (i ? ", " : "") << cluster_.name(i) << " " << (st.f_blocks - st.f_bfree) * st.f_frsize / (1024 * 1024)
              << "/" << st.f_blocks * st.f_frsize / (1024 * 1024) << " MiB";
    }
    s << "\n";
    s << "  crashes:      " << (crashes_.empty() ? "none" : "");
    for (const auto& c : crashes_) s << c << " ";
    s << "\n";
    const bool pass = lin.ok && !lin.exhausted && fires.ok && receipts_ok && settled && crashes_.empty() && traffic_ok;
    s << "  result:       " << (pass ? "PASS" : "FAIL") << "\n";
    std::cout << s.str() << std::flush;
    std::ofstream(args_.cluster.work / "summary.txt") << s.str();
    return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return Run(parse(argc, argv)).go();
    } catch (const std::exception& e) {
        std::cerr << "raftor-chaos: " << e.what() << "\n";
        return 1;
    }
}
