#include "sim/core_cluster.hpp"

#include <cstring>

#include "runtime/common/crc32c.hpp"

namespace raftor::sim {

namespace {
std::uint64_t fnv(std::uint64_t h, std::uint64_t v) {
    for (int i = 0; i < 8; ++i, v >>= 8) h = (h ^ (v & 0xFF)) * 1099511628211ull;
    return h;
}
}  // namespace

std::string StateMachine::encode() const {
    std::string s(24, '\0');
    std::memcpy(s.data(), &applied, 8);
    std::memcpy(s.data() + 8, &hash, 8);
    std::memcpy(s.data() + 16, &count, 8);
    return s;
}

bool StateMachine::decode(const std::string& s) {
    if (s.size() != 24) return false;
    std::memcpy(&applied, s.data(), 8);
    std::memcpy(&hash, s.data() + 8, 8);
    std::memcpy(&count, s.data() + 16, 8);
    return true;
}

CoreCluster::CoreCluster(std::size_t n, std::uint64_t seed, raft::Config base, std::size_t voters)
    : base_(base), rng_(seed) {
    base_.seed = seed;
    raft::ConfState conf;
    for (NodeId id = 1; id <= (voters == 0 ? n : voters); ++id) conf.voters.push_back(id);
    for (NodeId id = 1; id <= n; ++id) {
        auto node = std::make_unique<Node>();
        node->id = id;
        nodes_.push_back(std::move(node));
    }
    for (auto& np : nodes_) {
        if (conf.is_voter(np->id)) np->disk.snapshot.conf = conf;  // the bootstrap configuration
        start_core(*np);
        schedule(Event{.time = rng_.below(np->tick_us), .kind = Event::tick, .node = np->id, .incarnation = 0});
    }
}

void CoreCluster::start_core(Node& n) {
    raft::Config cfg = base_;
    cfg.id = n.id;
    cfg.seed = base_.seed + n.incarnation * 7919;
    n.core = std::make_unique<raft::Raft>(cfg, n.disk.restore());
    // The state machine restarts from the snapshot; committed entries replay after it.
    n.sm = StateMachine{};
    if (n.disk.snapshot_data) n.sm.decode(*n.disk.snapshot_data);
    n.pending.clear();
}

void CoreCluster::trace(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    trace_hash_ = fnv(fnv(fnv(trace_hash_, a), b), c);
}

void CoreCluster::schedule(Event e) {
    e.seq = ++seq_;
    events_.push(std::move(e));
}

void CoreCluster::send(const raft::Message& m) {
    if (blocked_.count({m.from, m.to}) || !node(m.to).up) return;
    if (rng_.unit() < faults.drop) return;
    const int copies = rng_.unit() < faults.duplicate ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
        const std::uint64_t d = faults.delay_min_us + rng_.below(faults.delay_max_us - faults.delay_min_us + 1);
        schedule(Event{.time = now_us_ + d,
                       .kind = Event::deliver,
                       .node = m.to,
                       .incarnation = node(m.to).incarnation,
                       .msg = m});
    }
}

bool CoreCluster::step() {
    if (events_.empty()) return false;
    Event e = events_.top();
    events_.pop();
    now_us_ = std::max(now_us_, e.time);
    Node& n = node(e.node);
    if (!n.up || e.incarnation != n.incarnation) return true;  // for a crashed (or earlier) incarnation
    switch (e.kind) {
        case Event::tick:
            n.core->tick();
            schedule(
                Event{.time = now_us_ + n.tick_us, .kind = Event::tick, .node = n.id, .incarnation = n.incarnation});
            trace(1, n.id, now_us_);
            break;
        case Event::deliver:
            // Partitions made after sending still cut messages in flight.
            if (blocked_.count({e.msg.from, e.msg.to})) return true;
            ++delivered_;
            entries_delivered_[n.id] += e.msg.entries.size();
            trace(2, n.id, static_cast<std::uint64_t>(e.msg.type) << 32 | e.msg.from);
            n.core->step(e.msg);
            break;
        case Event::sync:
            sync_one(n);
            trace(3, n.id, now_us_);
            break;
    }
    process(n.id);
    return true;
}

void CoreCluster::sync_one(Node& n) {
    if (n.pending.empty()) return;
    Node::PendingWrite w = std::move(n.pending.front());
    n.pending.pop_front();
    // The lying-disk fault: the hard state is acknowledged but not kept.
    if (w.hs && faults.lose_hard_state > 0 && rng_.unit() < faults.lose_hard_state) w.hs.reset();
    n.disk.write(w.hs, std::move(w.entries), w.snapshot);
    n.core->on_persisted(w.persist_id);
}

void CoreCluster::apply(Node& n, const raft::Entry& e) {
    if (e.index <= n.sm.applied) return;
    if (e.type == raft::EntryType::normal) {
        n.sm.hash = fnv(n.sm.hash ^ crc32c(e.payload), e.index);
        ++n.sm.count;
    }
    n.sm.applied = e.index;
    inv_.state_at(n.id, e.index, n.sm.hash);
}

void CoreCluster::process(NodeId id) {
    Node& n = node(id);
    while (n.up && n.core->has_ready()) {
        raft::Ready rd = n.core->ready();
        if (rd.snapshot) {
            ++snapshots_installed_;
            StateMachine sm;
            if (!sm.decode(*rd.snapshot->data)) inv_.state_at(n.id, 0, 1);  // flags a garbled snapshot
            n.sm = sm;
            inv_.state_at(n.id, sm.applied, sm.hash);
        }
        for (const auto& e : rd.entries) inv_.entry_appended(n.id, e, n.core->log().term_at(e.index - 1));
        if (rd.persist_id != 0) {
            n.pending.push_back({rd.persist_id, rd.hard_state, std::move(rd.entries), std::move(rd.snapshot)});
            const std::uint64_t d = faults.sync_min_us + rng_.below(faults.sync_max_us - faults.sync_min_us + 1);
            schedule(Event{.time = now_us_ + d, .kind = Event::sync, .node = n.id, .incarnation = n.incarnation});
        }
        for (const auto& m : rd.messages) send(m);
        for (const auto& e : rd.committed) apply(n, e);
        for (const auto& rs : rd.read_states) inv_.read_released(n.id, rs);
    }
    if (!n.up) return;
    inv_.observe(*n.core, n.incarnation);
    // Compaction, as a state machine would do it, at its applied index.
    auto& core = *n.core;
    if (compact_every != 0 && n.sm.applied >= core.log().snapshot_index() + compact_every &&
        n.sm.applied <= core.applied()) {
        auto data = std::make_shared<const std::string>(n.sm.encode());
        if (core.compact(n.sm.applied, data) == raft::Error::none) {
            n.disk.keep_snapshot(core.snapshot());  // durable at once here; a node goes through storage
        }
    }
}

void CoreCluster::run_for(std::uint64_t us) {
    const std::uint64_t end = now_us_ + us;
    while (!events_.empty() && events_.top().time <= end) step();
    now_us_ = std::max(now_us_, end);
}

bool CoreCluster::run_until(const std::function<bool()>& done, std::uint64_t max_us) {
    const std::uint64_t end = now_us_ + max_us;
    while (!done()) {
        if (events_.empty() || events_.top().time > end) {
            now_us_ = std::max(now_us_, end);  // we waited the whole time
            return false;
        }
        step();
    }
    return true;
}

void CoreCluster::partition(const std::vector<std::set<NodeId>>& groups) {
    heal();
    for (NodeId a = 1; a <= size(); ++a)
        for (NodeId b = 1; b <= size(); ++b) {
            bool together = false;
            for (const auto& g : groups) together = together || (g.count(a) && g.count(b));
            if (a != b && !together) block(a, b);
        }
}

void CoreCluster::isolate(NodeId id) {
    for (NodeId o = 1; o <= size(); ++o) {
        if (o == id) continue;
        block(id, o);
        block(o, id);
    }
}

void CoreCluster::crash(NodeId id) {
    Node& n = node(id);
    if (!n.up) return;
    n.up = false;
    n.pending.clear();  // written but never synced: gone
    ++n.incarnation;
    trace(4, id, now_us_);
}

void CoreCluster::restart(NodeId id) {
    Node& n = node(id);
    if (n.up) return;
    n.up = true;
    start_core(n);
    schedule(
        Event{.time = now_us_ + rng_.below(n.tick_us), .kind = Event::tick, .node = id, .incarnation = n.incarnation});
    trace(5, id, now_us_);
    process(id);
}

raft::Proposed CoreCluster::propose(NodeId id, std::string payload) {
    Node& n = node(id);
    if (!n.up) return {raft::Error::not_leader};
    auto r = n.core->propose(std::move(payload));
    process(id);
    return r;
}

NodeId CoreCluster::leader() const {
    NodeId best = 0;
    Term term = 0;
    for (const auto& n : nodes_) {
        if (n->up && n->core->role() == raft::Role::leader && n->core->term() >= term) {
            best = n->id;
            term = n->core->term();
        }
    }
    return best;
}

NodeId CoreCluster::wait_for_leader(std::uint64_t max_us) {
    run_until(
        [&] {
            return leader() != 0 && core(leader()).commit() > 0 &&
                   core(leader()).log().term_at(core(leader()).commit()) == core(leader()).term();
        },
        max_us);
    return leader();
}

bool CoreCluster::replicate(std::string payload, std::uint64_t max_us) {
    const std::uint64_t end = now_us_ + max_us;
    while (now_us_ < end) {
        const NodeId l = wait_for_leader(end - now_us_);
        if (l == 0) return false;
        auto p = propose(l, payload);
        if (!p.ok()) {
            run_for(10'000);
            continue;
        }
        const bool done = run_until(
            [&] {
                const auto& conf = core(l).conf();
                for (const auto& n : nodes_) {
                    if (!n->up || !conf.is_member(n->id)) continue;
                    if (n->sm.applied < p.index) return false;
                }
                return true;
            },
            std::min<std::uint64_t>(end - now_us_, 2'000'000));
        if (done) {
            // Applied everywhere, but is it the entry we proposed (not overwritten)?
            const auto& log = core(l).log();
            if (p.index <= log.snapshot_index() || log.term_at(p.index) == p.term) return true;
        }
    }
    return false;
}

raft::Error CoreCluster::read(NodeId id) {
    Node& n = node(id);
    const std::string ctx = "r" + std::to_string(++read_counter_);
    inv_.read_requested(ctx, inv_.highest_commit());
    auto err = n.core->read_index(ctx);
    process(id);
    return err;
}

}  // namespace raftor::sim
