#include "sim/actor_cluster.hpp"

#include <algorithm>
#include <stdexcept>

#include "runtime/node/timing.hpp"
#include "sim/sim_handlers.hpp"

namespace raftor::sim {

namespace {

// What the test scheduler queues for an actor.
caf::resumable* job_of(const caf::actor& a) {
    return dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(a));
}

caf::actor_system_config& deterministic(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    return cfg;
}

std::uint64_t entry_hash(const raft::Entry& e) {
    std::uint64_t h = 1469598103934665603ull ^ e.term;
    for (char c : e.payload) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return h;
}

}  // namespace

struct ActorCluster::Node {
    raft::NodeId id = 0;
    std::unique_ptr<NodeDisk> disk;
    bool joining = false;            // added to a running cluster: it starts with no configuration
    caf::actor peer;                 // null while down
    actors::NodeActors parts;        // this incarnation's
    std::vector<caf::actor> actors;  // this incarnation's: the peer and its children
    std::uint64_t incarnation = 0;
    int pace_percent = 100;
    std::uint64_t disk_delay_max_us = 0;
    // Its wall clock: true time, plus steps, plus a drift since `drift_since_ms`.
    std::int64_t wall_offset_ms = 0;
    std::int64_t drift_ppm = 0;
    std::int64_t drift_since_ms = 0;
    std::shared_ptr<const crypto::SigningKey> key;  // its node.key: kept across crashes
    View view;
    Intake intake;
};

// Runs the invariant checks on the core, in the peer's own handler.
class ActorCluster::Observer final : public actors::PeerObserver {
public:
    Observer(ActorCluster& c, Node& n) : c_(c), n_(n), incarnation_(n.incarnation) {}
    void stepped(const raft::Raft& core) override { see(core); }
    void ready(const raft::Raft& core, const raft::Ready& rd) override {
        for (const auto& e : rd.entries) c_.inv_.entry_appended(core.id(), e, core.log().term_at(e.index - 1));
        if (n_.incarnation == incarnation_) {
            for (const auto& e : rd.entries) {
                n_.intake.entry_bytes += e.size_bytes();
                ++n_.intake.entries;
                n_.intake.last_index = e.index;
            }
            n_.intake.fetches += rd.fetches.size();
            n_.intake.cached_bytes_max = std::max(n_.intake.cached_bytes_max, core.log().cached_bytes());
            if (rd.snapshot && rd.snapshot->data) {
                n_.intake.snapshot_bytes += rd.snapshot->data->size();
                ++n_.intake.snapshots;
                n_.intake.last_index = std::max(n_.intake.last_index, rd.snapshot->meta.index);
            }
        }
        for (const auto& e : rd.committed) c_.inv_.state_at(core.id(), e.index, entry_hash(e));
        if (c_.committed_)
            for (const auto& e : rd.committed) c_.committed_(core.id(), e);
        see(core);
    }

private:
    void see(const raft::Raft& core) {
        if (n_.incarnation != incarnation_) return;  // a killed incarnation's last words
        // Seen twice per input (once stepped, once for its Ready): when nothing the checks
        // look at moved since, they would find nothing new.
        const View& last = n_.view;
        if (seen_ && core.role() == last.role && core.term() == last.term && core.leader() == last.leader &&
            core.commit() == last.commit && core.log().last_index() == last.last_index &&
            core.conf().voters == last.voters && core.conf().learners == last.learners)
            return;
        seen_ = true;
        c_.inv_.observe(core, incarnation_);
        View v{core.role(),
               core.term(),
               core.leader(),
               core.commit(),
               core.log().last_index(),
               std::move(n_.view.voters),
               std::move(n_.view.learners)};
        if (v.voters != core.conf().voters) v.voters = core.conf().voters;  // copied only when it changed
        if (v.learners != core.conf().learners) v.learners = core.conf().learners;
        if (v.role != n_.view.role || v.term != n_.view.term)
            c_.note("node " + std::to_string(n_.id) + " " + raft::to_string(v.role) + " term " +
                    std::to_string(v.term));
        n_.view = v;
    }
    ActorCluster& c_;
    Node& n_;
    std::uint64_t incarnation_;
    bool seen_ = false;  // this incarnation was checked once
};

ActorCluster::ActorCluster(ClusterOptions opts)
    : opts_(std::move(opts)),
      rng_(opts_.seed * 0x9E3779B97F4A7C15ull + opts_.nodes),
      sys_(deterministic(cfg_)),
      sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())),
      net_(std::make_shared<NetworkModel>(rng_)) {
    // Into the trace hash always; spelled out only when a trace is written.
    net_->event = [this](const char* what, raft::NodeId from, raft::NodeId to, std::size_t bytes) {
        mix(what[0]);
        mix(from << 8 | to);
        mix(bytes);
        if (opts_.trace)
            opts_.trace(std::to_string(now_us()) + " " + what + " " + std::to_string(from) + "->" + std::to_string(to) +
                        " " + std::to_string(bytes) + "B");
    };
    network_ = sys_.spawn(sim_network, net_);
    watch(network_);
    for (raft::NodeId id = 1; id <= opts_.nodes; ++id) make_node();
    for (auto& n : nodes_) start(*n);
}

ActorCluster::Node& ActorCluster::make_node() {
    auto n = std::make_unique<Node>();
    n->id = nodes_.size() + 1;
    n->disk_delay_max_us = opts_.disk_latency_max_us;
    n->disk = std::make_unique<NodeDisk>(rng_, opts_.wal_segment_bytes);
    if (opts_.operations) {
        std::string seed(32, '\0'), error;
        for (char& ch : seed) ch = static_cast<char>(rng_.below(256));
        auto key = crypto::SigningKey::from_private(seed, error);
        if (!key) throw std::runtime_error("simulated node key: " + error);
        n->key = std::make_shared<const crypto::SigningKey>(std::move(*key));
    }
    nodes_.push_back(std::move(n));
    return *nodes_.back();
}

raft::NodeId ActorCluster::add_node() {
    Node& n = make_node();
    n.joining = true;
    note("new node " + std::to_string(n.id));
    start(n);
    return n.id;
}

ActorCluster::~ActorCluster() {
    closing_ = true;
    for (auto& n : nodes_) kill_actors(*n);
    caf::anon_send_exit(network_, caf::exit_reason::kill);
    while (sched_.try_run_once()) {
    }
    *alive_ = false;  // what ends with the actor system after this finds nothing to forget
}

void ActorCluster::mix(std::uint64_t v) {
    trace_hash_ = (trace_hash_ ^ v) * 1099511628211ull;
}

void ActorCluster::note(const std::string& what) {
    for (char c : what) mix(static_cast<unsigned char>(c));
    if (opts_.trace) opts_.trace(std::to_string(now_us()) + " " + what);
}

std::uint64_t ActorCluster::now_us() const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(sched_.clock().now().time_since_epoch()).count());
}

ActorCluster::Node& ActorCluster::node(raft::NodeId id) {
    return *nodes_.at(id - 1);
}
const ActorCluster::Node& ActorCluster::node(raft::NodeId id) const {
    return *nodes_.at(id - 1);
}
void ActorCluster::set_timer_pace(raft::NodeId id, int percent) {
    Node& n = node(id);
    n.pace_percent = percent;
    for (const auto& a : n.actors)
        if (actors_[a.id()].second == "election_timer") caf::anon_send(a, actors::pace_atom::value, percent);
    note("node " + std::to_string(id) + " timers at " + std::to_string(percent) + "%");
}
void ActorCluster::set_disk_delay(raft::NodeId id, std::uint64_t max_us) {
    node(id).disk_delay_max_us = max_us;
}
NodeDisk& ActorCluster::disk(raft::NodeId id) {
    return *node(id).disk;
}

std::int64_t ActorCluster::true_wall_ms() const {
    return opts_.wall_start_ms + static_cast<std::int64_t>(now_us() / 1000);
}
std::int64_t ActorCluster::wall_ms(raft::NodeId id) const {
    const Node& n = node(id);
    const std::int64_t now = static_cast<std::int64_t>(now_us() / 1000);
    return opts_.wall_start_ms + now + n.wall_offset_ms + (now - n.drift_since_ms) * n.drift_ppm / 1'000'000;
}
void ActorCluster::step_wall(raft::NodeId id, std::int64_t delta_ms) {
    node(id).wall_offset_ms += delta_ms;
    note("node " + std::to_string(id) + " wall clock stepped " + std::to_string(delta_ms) + " ms");
}
void ActorCluster::drift_wall(raft::NodeId id, std::int64_t ppm) {
    Node& n = node(id);
    const std::int64_t now = static_cast<std::int64_t>(now_us() / 1000);
    n.wall_offset_ms += (now - n.drift_since_ms) * n.drift_ppm / 1'000'000;  // what it drifted so far stays
    n.drift_since_ms = now;
    n.drift_ppm = ppm;
    note("node " + std::to_string(id) + " wall clock drifts " + std::to_string(ppm) + " ppm");
}
void ActorCluster::true_wall(raft::NodeId id) {
    Node& n = node(id);
    if (n.wall_offset_ms == 0 && n.drift_ppm == 0) return;
    n.wall_offset_ms = n.drift_ppm = 0;
    note("node " + std::to_string(id) + " wall clock true");
}
bool ActorCluster::up(raft::NodeId id) const {
    return static_cast<bool>(node(id).peer);
}
caf::actor ActorCluster::peer(raft::NodeId id) const {
    return node(id).peer;
}
caf::actor ActorCluster::actor(raft::NodeId id, const std::string& name) const {
    for (const auto& a : node(id).actors)
        if (auto it = actors_.find(a.id()); it != actors_.end() && it->second.second == name) return a;
    return nullptr;
}
const ActorCluster::View& ActorCluster::view(raft::NodeId id) const {
    return node(id).view;
}
const ActorCluster::Intake& ActorCluster::intake(raft::NodeId id) const {
    return node(id).intake;
}

// Every actor of the node, assembled as `raftor node` assembles them (node_assembly.hpp),
// in the simulated world: its own LogStore on its simulated disk, the simulated network,
// its simulated wall clock, the randomness of the seed, and no thread of its own. Its
// handlers run on the simulated clock: the built-ins, and processes and HTTP calls
// whose end the seed decides.
void ActorCluster::start(Node& n) {
    n.incarnation = ++incarnations_;
    n.view = View{};
    const std::uint64_t incarnation = n.incarnation;
    const raft::NodeId id = n.id;
    // The node's own storage code reads back what its disk kept.
    storage::Status st;
    auto store = n.disk->open(st);
    storage::Loaded loaded;
    if (store) st = store->load(loaded, opts_.log_cache_bytes_max);
    if (!st.ok()) {
        // On a failing or full disk a node rightly refuses to start (the fault's end
        // starts it again); on a sound one, its disk must open.
        const DiskFaults& f = n.disk->faults();
        if (f.sync_fail == 0 && f.capacity_bytes == 0) inv_.storage_unreadable(n.id, st.message);
        note("node " + std::to_string(n.id) + " storage would not open: " + st.message);
        n.peer = nullptr;
        return;
    }
    actors::NodeSpec spec;
    spec.name = "node-" + std::to_string(id);
    spec.operations = opts_.operations;
    const node::Timing timing = node::timing_of(opts_.heartbeat_ms, opts_.election_timeout_ms);
    actors::PeerSetup& p = spec.peer;
    p.config.id = id;
    p.config.append_entries_max = opts_.append_entries_max;
    p.config.log_cache_bytes_max = opts_.log_cache_bytes_max;
    p.config.inflight_bytes_max = opts_.inflight_bytes_max;
    p.config.uncommitted_bytes_max = opts_.uncommitted_bytes_max;
    p.config.heartbeat_ticks = timing.heartbeat_ticks;
    p.config.election_ticks = timing.election_ticks;
    p.tick = std::chrono::milliseconds(timing.tick_ms);
    // The cluster's first members start from its voters; a node added later from none,
    // never campaigning until the leader's log makes it a member (as `raft.join` does).
    raft::ConfState bootstrap;
    if (!n.joining)
        for (raft::NodeId v = 1; v <= opts_.nodes; ++v) bootstrap.voters.push_back(v);
    p.restore = storage::to_restore(std::move(loaded), std::move(bootstrap));
    p.options.snapshot_interval_ops = opts_.snapshot_interval_ops;
    p.options.ops.history_max = opts_.history_max;
    spec.executor.max_concurrent = opts_.max_concurrent;
    spec.executor.shell = {"/bin/sh", "-c"};
    spec.executor.http_hosts = {"hooks.sim"};  // the workload's webhooks (sim_handlers.hpp)
    spec.executor.on_launch = [this, id](std::uint64_t execution, std::uint32_t attempt) {
        if (launched_) launched_(id, execution, attempt);
    };
    spec.scheduler.zones = [](const std::string& zone, std::string& error) -> std::optional<schedule::TimeZone> {
        error = "the simulator has no time zone '" + zone + "'";
        return std::nullopt;
    };
    spec.signer.key = n.key;
    spec.supervisor.data_dir = NodeDisk::data_dir;
    // Who is who, for the gateway: names and made-up addresses (a simulated node is
    // reached by its id, never at an address).
    auto directory = std::make_shared<actors::Directory>();
    for (raft::NodeId m = 1; m <= size(); ++m) {
        const std::string host = "node-" + std::to_string(m);
        directory->add(m, actors::Directory::Entry{host, host + ":7000", host + ":8080"});
    }
    spec.gateway.directory = directory;

    actors::NodeEnvironment env;
    env.wall = [this, id] { return wall_ms(id); };
    env.seed = rng_.next();
    env.store = std::move(store);
    env.fs = &n.disk->fs();
    env.transport = network_;
    // As on a node, the peer hands its frames to the transport itself: no actor between.
    env.send_frames = [this, id](std::vector<std::pair<raft::NodeId, std::string>>&& frames) {
        const std::uint64_t now = now_us();
        for (auto& [to, bytes] : frames) net_->send(id, to, std::move(bytes), now);
    };
    env.own_threads = false;
    // Processes and HTTP calls end on the simulated clock, as the seed decides
    // (sim_handlers.hpp): no process starts, no socket opens. A cancel has nothing to
    // kill: the executor forgot the try when it cancelled it, so its end is ignored, as
    // a killed process's is on a node.
    auto handlers = std::make_shared<SimulatedHandlers>(env.seed ^ 0x68616e646c657273ull);
    env.runner = [handlers](actors::Executor::pointer self, actors::HandlerCall call) {
        const SimulatedCall c = handlers->call(call.what);
        self->delayed_send(self, std::chrono::milliseconds(c.after_ms), actors::done_atom::value, call.id, call.attempt,
                           actors::ProcessResultPtr(std::make_shared<exec::ProcessResult>(c.result)));
    };
    env.spawned = [this, id](const std::string& name, const caf::actor& who) {
        if (name != "transport") joined(id, name, who);  // the network is the simulation's, not the node's
    };
    env.observer = std::make_shared<Observer>(*this, n);
    // The node's supervisor saw its peer stop (a failed disk): the node is down.
    env.stop_node = [this, id, incarnation](const std::string& why) { stopped(id, incarnation, why); };
    env.request_stop = [this, id] { note("node " + std::to_string(id) + " asked to stop"); };
    n.parts = actors::assemble_node(sys_, std::move(spec), std::move(env));
    n.peer = n.parts.peer;
    net_->peers[n.id] = n.peer;
    note("start node " + std::to_string(n.id));
}

bool ActorCluster::look(raft::NodeId id, node::Query look, std::uint64_t max_us) {
    if (!up(id)) return false;
    auto answered = std::make_shared<bool>(false);
    auto query = actors::QueryPtr(std::make_shared<node::Query>(std::move(look)));
    // The peer goes as a spawn argument: CAF 0.17 misbinds a function actor without one.
    auto asker = sys_.spawn(
        [query, answered](caf::event_based_actor* self, caf::actor peer) {
            self->request(peer, std::chrono::microseconds(1'000'000), actors::query_atom::value, query, true)
                .then(
                    [=](const actors::CompletionPtr& c) {
                        *answered = c && c->outcome == node::Outcome::done;
                        self->quit();
                    },
                    [=](caf::error&) { self->quit(); });
        },
        node(id).peer);
    run_until([&] { return *answered; }, max_us);
    kill_now(asker);
    return *answered;
}

std::optional<http::Response> ActorCluster::http(raft::NodeId id, const std::string& method, const std::string& target,
                                                 const std::string& body, std::uint64_t max_us) {
    if (!up(id)) return std::nullopt;
    auto req = std::make_shared<http::Request>();
    req->method = method;
    req->target = target;
    req->body = body;
    if (!body.empty() && body.front() == '{') req->headers["content-type"] = "application/json";
    req->remote = "127.0.0.1:40000";
    auto answer = std::make_shared<std::optional<http::Response>>();
    auto reply = std::make_shared<std::function<void(http::Response)>>([this, answer](http::Response r) {
        if (answer->has_value()) ++answered_twice_;  // an HTTP session would write a second response
        *answer = r;
    });
    caf::anon_send(node(id).parts.gateway->get(), actors::http_atom::value, actors::RequestPtr(req),
                   actors::ReplyPtr(reply));
    run_until([&] { return answer->has_value(); }, max_us);
    return *answer;
}

void ActorCluster::joined(raft::NodeId id, const std::string& name, const caf::actor& who) {
    Node& n = node(id);
    n.actors.push_back(who);
    actors_[who.id()] = {id, name};
    watch(who);
    if (name == "storage") storage_jobs_.push_back({job_of(who), id, 0});
    // A skewed clock stays skewed across restarts.
    if (name == "election_timer" && n.pace_percent != 100)
        caf::anon_send(who, actors::pace_atom::value, n.pace_percent);
}

void ActorCluster::watch(const caf::actor& who) {
    const caf::resumable* job = job_of(who);
    forget_job(job);
    job_ids_.emplace_back(job, who.id());
    // Forgotten the moment it ends, however it ends: a new actor may reuse its memory,
    // and must not be taken for it (held as a storage job, named as another actor).
    caf::actor_cast<caf::abstract_actor*>(who)->attach_functor([this, job, alive = alive_] {
        if (!*alive) return;
        std::erase_if(storage_jobs_, [&](const StorageJob& s) { return s.job == job; });
        forget_job(job);
    });
}

caf::actor_id ActorCluster::id_of_job(const caf::resumable* job) const {
    for (const auto& [j, id] : job_ids_)
        if (j == job) return id;
    return 0;
}

void ActorCluster::forget_job(const caf::resumable* job) {
    std::erase_if(job_ids_, [&](const auto& p) { return p.first == job; });
}

void ActorCluster::kill_now(const caf::actor& a) {
    caf::anon_send_exit(a, caf::exit_reason::kill);
    while (sched_.prioritize(a)) sched_.run_once();
}

void ActorCluster::trace_line(const std::string& what) {
    if (opts_.trace) opts_.trace(std::to_string(now_us()) + " " + what);
}

void ActorCluster::kill_actors(Node& n) {
    for (const auto& a : n.actors) {
        const caf::resumable* job = job_of(a);
        std::erase_if(storage_jobs_, [&](const StorageJob& s) { return s.job == job; });
        forget_job(job);
        kill_now(a);  // before any other actor runs: a crash is instantaneous
        actors_.erase(a.id());
    }
    n.actors.clear();
}

void ActorCluster::crash(raft::NodeId id) {
    Node& n = node(id);
    if (!n.peer) return;
    note("crash node " + std::to_string(id));
    ++crashes_;
    n.peer = nullptr;
    ++n.incarnation;  // silences the dying incarnation's observer
    net_->peers.erase(id);
    kill_actors(n);
    n.disk->crash();
}

void ActorCluster::stopped(raft::NodeId id, std::uint64_t incarnation, const std::string& why) {
    Node& n = node(id);
    if (closing_ || !n.peer || n.incarnation != incarnation) return;  // crashed by us, or the end
    note("node " + std::to_string(id) + " stopped itself: " + why);
    ++stops_;
    n.peer = nullptr;
    ++n.incarnation;
    net_->peers.erase(id);
    kill_actors(n);
    n.disk->crash();
}

void ActorCluster::restart(raft::NodeId id) {
    Node& n = node(id);
    if (n.peer) return;
    start(n);
}

void ActorCluster::partition(const std::vector<std::set<raft::NodeId>>& groups) {
    heal();
    std::map<raft::NodeId, std::size_t> group_of;
    for (std::size_t g = 0; g < groups.size(); ++g)
        for (auto id : groups[g]) group_of[id] = g;
    for (raft::NodeId a = 1; a <= size(); ++a)
        for (raft::NodeId b = 1; b <= size(); ++b)
            if (a != b && group_of[a] != group_of[b]) block(a, b);
    std::string what = "partition";
    for (const auto& g : groups) {
        what += " {";
        for (auto id : g) what += std::to_string(id) + ",";
        what.back() = '}';
    }
    note(what);
}

raft::NodeId ActorCluster::leader() const {
    raft::NodeId best = 0;
    raft::Term term = 0;
    for (const auto& n : nodes_)
        if (n->peer && n->view.role == raft::Role::leader && n->view.term >= term) {
            best = n->id;
            term = n->view.term;
        }
    return best;
}

bool ActorCluster::step() {
    const std::uint64_t now = now_us();
    net_->deliver_due(now);
    // The runnable jobs: every actor with mail, but a storage actor waits out its disk's latency.
    runnable_.clear();
    std::uint64_t next_release = 0;
    std::size_t i = 0;
    for (auto job_it = sched_.jobs.begin(); job_it != sched_.jobs.end(); ++job_it, ++i) {
        const caf::resumable* job = *job_it;
        bool held = false;
        for (auto& s : storage_jobs_) {
            if (s.job != job) continue;
            const Node& n = node(s.node);
            if (n.disk_delay_max_us > 0) {
                if (s.held_until == 0) s.held_until = now + 1 + rng_.below(n.disk_delay_max_us);
                if (s.held_until > now) {
                    next_release = next_release == 0 ? s.held_until : std::min(next_release, s.held_until);
                    held = true;
                }
            }
            break;
        }
        if (!held) runnable_.push_back(i);
    }
    if (!runnable_.empty()) {
        const std::size_t pick = runnable_[rng_.below(runnable_.size())];
        caf::resumable* job = sched_.jobs[pick];
        caf::actor_id aid = id_of_job(job);
        if (aid == 0)
            if (auto* a = dynamic_cast<caf::abstract_actor*>(job)) aid = a->id();
        // The chosen job goes first; the others keep their order.
        sched_.jobs.erase(sched_.jobs.begin() + static_cast<std::ptrdiff_t>(pick));
        sched_.jobs.push_front(job);
        sched_.run_once();
        for (auto& s : storage_jobs_)
            if (s.job == job) s.held_until = 0;  // its next group commit waits anew
        ++jobs_run_;
        mix(aid);
        mix(now);
        return true;
    }
    // Nothing to run now: move time to the next timer or disk completion.
    std::uint64_t next = next_release;
    if (const std::uint64_t arrival = net_->next_arrival(); arrival != 0)
        next = next == 0 ? arrival : std::min(next, arrival);
    const auto& schedule = sched_.clock().schedule();
    if (!schedule.empty()) {
        const auto t = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(schedule.begin()->first.time_since_epoch()).count());
        next = next == 0 ? t : std::min(next, t);
    }
    if (next == 0) return false;
    if (next > now)
        sched_.advance_time(std::chrono::microseconds(next - now));
    else
        sched_.advance_time(std::chrono::microseconds(0));
    return true;
}

void ActorCluster::run_for(std::uint64_t us) {
    const std::uint64_t until = now_us() + us;
    while (now_us() < until && step()) {
    }
}

bool ActorCluster::run_until(const std::function<bool()>& done, std::uint64_t max_us) {
    const std::uint64_t until = now_us() + max_us;
    while (!done()) {
        if (now_us() >= until || !step()) return done();
    }
    return true;
}

}  // namespace raftor::sim
