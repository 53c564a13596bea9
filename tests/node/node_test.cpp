#define BOOST_TEST_MODULE node
// A node's two pure halves, PeerCore (Raft side) and Applier (state machine side),
// driven through the same surface the raft_peer and state_machine actors drive, three
// nodes with frames delivered in order and writes durable at once.
#include <boost/test/unit_test.hpp>
#include <map>
#include <set>

#include "runtime/node/applier.hpp"
#include "runtime/node/peer_core.hpp"
#include "runtime/node/timing.hpp"
#include "runtime/raft/codec.hpp"
#include "sim/disk.hpp"

using namespace raftor;
using namespace raftor::node;
using raft::NodeId;

namespace {
state::KvCommand put(std::string k, std::string v, std::optional<std::uint64_t> prev = std::nullopt) {
    return state::KvCommand{state::KvCommand::Op::put, {}, std::move(k), std::move(v), prev};
}

// One node: what raft_peer does with PeerCore, and state_machine with Applier. The
// tests name requests by their own ids; the core hands out its own tokens.
struct Node {
    PeerCore core_;
    Applier app;
    std::map<Token, std::string> read_keys;  // linearizable reads waiting for their index, by core token
    std::map<Token, Token> ids;              // core token -> the test's id
    std::map<Token, Completion>* done;

    Node(raft::Config c, raft::Restore r, Options o, std::size_t min_voters, std::map<Token, Completion>* d)
        : core_(c, r, min_voters, [](NodeId id) { return "node-" + std::to_string(id); }),
          app(o, r.snapshot.index, r.snapshot_data),
          done(d) {}

    // Every step goes through here: what it answers operators, and who leads, is kept.
    std::vector<AdminResult> answers;
    std::vector<std::pair<NodeId, std::string>> handovers;
    std::vector<std::pair<bool, raft::Term>> leadership;
    Effects step(Input input) {
        Effects fx = core_.step(std::move(input));
        answers.insert(answers.end(), fx.answers.begin(), fx.answers.end());
        handovers.insert(handovers.end(), fx.handovers.begin(), fx.handovers.end());
        if (fx.leadership) leadership.push_back(*fx.leadership);
        return fx;
    }

    void finish(Completion c) {
        auto it = ids.find(c.token);
        if (it == ids.end()) return;
        c.token = it->second;
        (*done)[c.token] = std::move(c);
        ids.erase(it);
    }
    void proposed(Token id, Effects fx) {
        ids[fx.token] = id;
        if (fx.proposed->refused)
            finish(*fx.proposed->refused);
        else
            app.await(fx.token, fx.proposed->index, fx.proposed->term);
    }
    void write(Token id, const state::KvCommand& cmd) { proposed(id, step(in::Write{cmd})); }
    void change(Token id, raft::ConfChangeType type, NodeId node, std::string context) {
        proposed(id, step(in::ChangeMember{type, node, std::move(context)}));
    }
    void read(Token id, std::string key, bool stale) {
        if (stale) {
            ids[1'000'000 + id] = id;
            return app.read(1'000'000 + id, std::move(key), 0), collect();
        }
        Effects fx = step(in::Read{});
        ids[fx.token] = id;
        if (!fx.completions.empty())
            finish(fx.completions.front());
        else
            read_keys[fx.token] = std::move(key);
    }
    void collect() {
        for (auto& c : app.take_completions()) finish(c);
    }
    const raft::Raft& core() const { return core_.core(); }
    const state::KvStore& kv() const { return app.kv(); }
};

struct Cluster {
    std::map<NodeId, std::unique_ptr<Node>> nodes;
    std::map<NodeId, sim::Disk> disks;
    std::map<Token, Completion> done;
    std::vector<raft::Message> wire;
    std::set<NodeId> cut;
    std::uint64_t snapshots_taken = 0;
    Options opts;
    std::size_t min_voters = 1;

    explicit Cluster(std::uint64_t snapshot_every = 1000) {
        opts.snapshot_interval_ops = snapshot_every;
        for (NodeId id = 1; id <= 3; ++id) {
            disks[id].snapshot.conf = raft::ConfState{{1, 2, 3}, {}};  // the bootstrap configuration
            start(id);
        }
    }
    void start(NodeId id) {
        raft::Config c;
        c.id = id;
        c.seed = 7;
        nodes[id] = std::make_unique<Node>(c, disks[id].restore(), opts, min_voters, &done);
    }
    Node& operator[](NodeId id) { return *nodes.at(id); }
    void pump(NodeId id) {
        Node& n = *nodes.at(id);
        sim::Disk& d = disks[id];
        while (n.core_.has_work()) {
            Actions a = std::move(*n.step(in::Advance{}).actions);
            raft::Ready& rd = a.ready;
            d.write(rd.hard_state, rd.entries, rd.snapshot);
            for (auto& m : rd.messages) wire.push_back(m);
            for (auto& c : a.completions) n.finish(c);
            // The state machine's channel, in the order the actor sends it.
            if (rd.snapshot) BOOST_REQUIRE(!n.app.restore(rd.snapshot->meta, *rd.snapshot->data));
            n.app.apply(rd.committed);
            for (const ReadAt& r : a.reads) {
                n.app.read(r.token, n.read_keys[r.token], r.index);
                n.read_keys.erase(r.token);
            }
            if (a.abandon_before) n.app.abandon(*a.abandon_before);
            if (auto due = n.app.snapshot_due()) {
                if (auto snap = n.step(in::Compact{due->index, due->data}).snapshot) {
                    ++snapshots_taken;
                    d.keep_snapshot(*snap);
                }
            }
            n.collect();
            if (rd.persist_id) n.step(in::Persisted{rd.persist_id});
        }
    }
    void settle() {
        for (auto& [id, _] : nodes) pump(id);
        while (!wire.empty()) {
            auto batch = std::move(wire);
            wire.clear();
            for (auto& m : batch) {
                if (cut.count(m.from) || cut.count(m.to)) continue;
                const std::string bytes = raft::encode_message(m);
                nodes.at(m.to)->step(in::Frame{m.from, bytes});
                pump(m.to);
            }
        }
    }
    void ticks(int n) {
        for (int i = 0; i < n; ++i) {
            for (auto& [id, r] : nodes) r->step(in::Tick{});  // a cut node still keeps time
            settle();
        }
    }
    NodeId leader() {
        for (auto& [id, r] : nodes)
            if (!cut.count(id) && r->core().role() == raft::Role::leader) return id;
        return 0;
    }
    NodeId elect() {
        for (int i = 0; i < 100 && leader() == 0; ++i) ticks(1);
        BOOST_REQUIRE(leader() != 0u);
        ticks(2);  // let the no-op commit everywhere
        return leader();
    }
};
}  // namespace

BOOST_AUTO_TEST_CASE(writes_complete_on_the_leader_and_are_refused_elsewhere) {
    Cluster c;
    const NodeId l = c.elect();
    const NodeId f = l % 3 + 1;
    c[l].write(1, put("a", "1"));
    c[f].write(2, put("b", "2"));
    c.settle();
    BOOST_REQUIRE(c.done.count(1));
    BOOST_TEST((c.done[1].outcome == Outcome::done));
    BOOST_TEST(c.done[1].result.ok);
    BOOST_TEST(c.done[1].result.revision == 1u);
    BOOST_TEST((c.done[2].outcome == Outcome::not_leader));
    BOOST_TEST(c.done[2].leader_hint == l);
    c[l].write(3, put("a", "x", 0));  // compare-and-set: must not exist
    c[l].write(4, put("", "x"));
    c.settle();
    BOOST_TEST(!c.done[3].result.ok);
    BOOST_TEST((c.done[4].outcome == Outcome::invalid));
    BOOST_TEST(c.done[4].detail == "key is empty");
}

BOOST_AUTO_TEST_CASE(a_linearizable_read_on_a_follower_sees_the_latest_write) {
    Cluster c;
    const NodeId l = c.elect();
    const NodeId f = l % 3 + 1;
    c[l].write(1, put("k", "v1"));
    c.settle();
    c[l].write(2, put("k", "v2"));
    c.settle();
    BOOST_REQUIRE(c.done.count(2));  // acknowledged by the leader...
    // ...but the follower learns the commit index only at the leader's next tick or
    // append: it has not applied v2. A linearizable read on it must still see v2.
    BOOST_TEST(c[f].app.applied() < c[l].core().commit());
    c[f].read(3, "k", false);
    c.settle();
    BOOST_REQUIRE(c.done.count(3));
    BOOST_TEST((c.done[3].outcome == Outcome::done));
    BOOST_REQUIRE(c.done[3].value.has_value());
    BOOST_TEST(c.done[3].value->value == "v2");
    c[f].read(4, "missing", true);  // stale reads answer at once, locally
    BOOST_REQUIRE(c.done.count(4));
    BOOST_TEST(!c.done[4].value.has_value());
}

BOOST_AUTO_TEST_CASE(reads_waiting_for_a_read_index_are_bounded) {
    Cluster c;
    const NodeId l = c.elect();
    c[l].write(1, put("k", "v"));
    c.settle();
    // No heartbeat answers are delivered: every read waits for its round.
    const Token first = 100;
    for (Token t = first; t < first + Consensus::pending_reads_max; ++t) c[l].read(t, "k", false);
    BOOST_TEST(c.done.count(first) == 0u);
    c[l].read(first + Consensus::pending_reads_max, "k", false);
    BOOST_REQUIRE(c.done.count(first + Consensus::pending_reads_max) == 1u);
    BOOST_TEST((c.done[first + Consensus::pending_reads_max].outcome == Outcome::overloaded));
    // The round confirms, they are served, and there is room again.
    c.settle();
    BOOST_TEST((c.done[first].outcome == Outcome::done));
    BOOST_TEST(c[l].core_.pending_reads() == 0u);
}

BOOST_AUTO_TEST_CASE(a_write_on_a_deposed_leader_ends_unknown_not_lost_silently) {
    Cluster c;
    const NodeId l = c.elect();
    c.cut = {l};
    c[l].write(1, put("k", "orphan"));
    c.pump(l);
    BOOST_TEST(!c.done.count(1));
    c.ticks(60);  // the others elect a new leader; the old one steps down (check-quorum)
    BOOST_TEST(c.done.count(1) == 1u);
    BOOST_TEST((c.done[1].outcome == Outcome::unknown));
    c.cut.clear();
    c.ticks(5);
    const NodeId nl = c.leader();
    BOOST_REQUIRE(nl != 0u);
    c[nl].read(2, "k", false);
    c.settle();
    BOOST_TEST(!c.done[2].value.has_value());  // the orphan never committed
}

BOOST_AUTO_TEST_CASE(snapshots_are_taken_every_n_ops_and_restart_restores_the_state) {
    Cluster c(50);
    const NodeId l = c.elect();
    for (Token t = 1; t <= 180; ++t) {
        c[l].write(t, put("k" + std::to_string(t % 7), "v" + std::to_string(t)));
        if (t % 10 == 0) c.settle();
    }
    c.settle();
    c.ticks(1);                           // followers learn the commit index at the leader's next tick
    BOOST_TEST(c.snapshots_taken >= 9u);  // three nodes, at least three each
    const NodeId f = l % 3 + 1;
    BOOST_TEST(c.disks[f].snapshot.index > 0u);
    const std::string before = c[f].kv().snapshot();
    c.start(f);  // rebuilt from its disk: snapshot + the entries after it
    c.ticks(3);
    BOOST_TEST(c[f].kv().snapshot() == before);
    BOOST_TEST(c[f].kv().get("k3")->value == c[l].kv().get("k3")->value);
}

BOOST_AUTO_TEST_CASE(a_member_added_with_its_address_is_known_everywhere_and_survives_snapshots) {
    Cluster c(20);
    const NodeId l = c.elect();
    c.cut = {4};  // node 4 never runs here: only what the others record of it matters
    const state::MemberInfo m4{4, "node-4", "10.0.0.4:8081"};
    c[l].change(1, raft::ConfChangeType::add_learner, 4, state::encode_member(m4));
    c.settle();
    c.ticks(1);  // followers learn the commit index at the leader's next tick
    BOOST_REQUIRE(c.done.count(1));
    BOOST_TEST((c.done[1].outcome == Outcome::done), c.done[1].detail);
    for (NodeId id = 1; id <= 3; ++id) {
        BOOST_TEST((c[id].app.members().all().at(4) == m4));
        BOOST_TEST(c[id].app.take_members_changed());
        BOOST_TEST(!c[id].app.take_members_changed());
        BOOST_TEST(c[id].core().conf().is_learner(4));
    }
    // A second change while... none is pending now: a bad one is refused, named.
    c[l].change(2, raft::ConfChangeType::promote_learner, 9, {});
    BOOST_TEST((c.done[2].outcome == Outcome::invalid));
    // Past a few snapshots, a restarted follower still knows node 4's address.
    for (Token t = 10; t < 80; ++t) c[l].write(t, put("k" + std::to_string(t), "v"));
    c.settle();
    c.ticks(1);  // followers learn the commit index at the leader's next tick
    const NodeId f = l % 3 + 1;
    BOOST_TEST(c.disks[f].snapshot.index > 5u);
    c.start(f);
    BOOST_TEST((c[f].app.members().all().at(4) == m4));
    BOOST_TEST(c[f].app.take_members_changed());  // the node learns it at start
    // Removing it forgets it, everywhere.
    c[l].change(3, raft::ConfChangeType::remove_voter, 4, {});
    c.settle();
    c.ticks(1);  // followers learn the commit index at the leader's next tick
    BOOST_TEST((c.done[3].outcome == Outcome::done), c.done[3].detail);
    for (NodeId id = 1; id <= 3; ++id) BOOST_TEST(c[id].app.members().all().count(4) == 0u);
}

BOOST_AUTO_TEST_CASE(min_cluster_size_refuses_a_removal_below_it) {
    Cluster c;
    c.min_voters = 3;
    for (NodeId id = 1; id <= 3; ++id) c.start(id);
    NodeId l = c.elect();
    NodeId f = l % 3 + 1;
    c[l].change(1, raft::ConfChangeType::remove_voter, f, {});
    BOOST_REQUIRE(c.done.count(1));
    BOOST_TEST((c.done[1].outcome == Outcome::refused));
    BOOST_TEST(c.done[1].detail.find("fewer than raft.minClusterSize (3)") != std::string::npos, c.done[1].detail);
    BOOST_TEST(c[l].core().conf().voters.size() == 3u);
    // At 2 (the nodes restarted with it) the same removal goes through; then the next
    // is refused.
    c.min_voters = 2;
    for (NodeId id = 1; id <= 3; ++id) c.start(id);
    l = c.elect();
    f = l % 3 + 1;
    c[l].change(2, raft::ConfChangeType::remove_voter, f, {});
    c.settle();
    c.ticks(1);
    BOOST_TEST((c.done[2].outcome == Outcome::done), c.done[2].detail);
    const NodeId last = 6 - l - f;  // ids 1, 2 and 3: the voter left besides the leader
    c[l].change(3, raft::ConfChangeType::remove_voter, last, {});
    BOOST_TEST((c.done[3].outcome == Outcome::refused));
    // Adding or removing a non-voter is never refused by it.
    c[l].change(4, raft::ConfChangeType::remove_voter, 9, {});
    BOOST_TEST((c.done[4].outcome != Outcome::refused));
}

BOOST_AUTO_TEST_CASE(a_lagging_follower_gets_the_state_machine_by_snapshot) {
    Cluster c(20);
    const NodeId l = c.elect();
    const NodeId f = l % 3 + 1;
    c.cut = {f};
    for (Token t = 1; t <= 100; ++t) c[l].write(t, put("key" + std::to_string(t), "value"));
    c.settle();
    BOOST_TEST(c[l].core().log().snapshot_index() > 50u);
    c.cut.clear();
    c.ticks(5);
    BOOST_TEST(c[f].kv().size() == 100u);
    BOOST_TEST(c[f].kv().revision() == c[l].kv().revision());
}

BOOST_AUTO_TEST_CASE(timers_in_ticks_keep_the_operators_milliseconds) {
    // Defaults: 150 ms heartbeat, 1500 ms election timeout -> a 50 ms tick, a heartbeat
    // every 3 ticks, elections after [15, 30) ticks = [750, 1500) ms.
    const Timing t = timing_of(150, 1500);
    BOOST_TEST(t.tick_ms == 50u);
    BOOST_TEST(t.heartbeat_ticks == 3);
    BOOST_TEST(t.election_ticks == 15);
    // The smallest allowed ratio (3 heartbeats) still waits longer than a heartbeat.
    const Timing tight = timing_of(100, 300);
    BOOST_TEST(tight.election_ticks > tight.heartbeat_ticks);
    BOOST_TEST(timing_of(10, 50).tick_ms == 3u);
}

// What a node decides around the Raft core comes out of step() too: an operator's
// transfer checked and answered once over, a drained leader handing on, writes refused
// while the leader's storage is full, leadership news for the operations actors.
BOOST_AUTO_TEST_CASE(operator_decisions_come_out_of_the_same_step) {
    Cluster c;
    const NodeId l = c.elect();
    const NodeId f = l % 3 + 1;
    BOOST_TEST(!c[l].leadership.empty());
    BOOST_TEST(c[l].leadership.back().first);
    auto answer = [&](NodeId on, Input in) {
        Effects fx = c[on].step(std::move(in));
        BOOST_REQUIRE(fx.answers.size() == 1u);
        BOOST_TEST(fx.answers[0].token == fx.token);
        return fx.answers[0];
    };
    const AdminResult not_leader = answer(f, in::Transfer{l});
    BOOST_TEST((!not_leader.ok && not_leader.code == "not_leader" && not_leader.leader == l));
    const AdminResult already = answer(l, in::Transfer{l});
    BOOST_TEST((already.ok && !already.changed));
    BOOST_TEST(already.detail == "node-" + std::to_string(l) + " already leads");
    const AdminResult stranger = answer(l, in::Transfer{9});
    BOOST_TEST(stranger.code == "no_target");
    BOOST_TEST(stranger.detail.find("(it is not a voter)") != std::string::npos, stranger.detail);

    // A transfer that works is answered once the target leads.
    const Effects moving = c[l].step(in::Transfer{f});
    BOOST_TEST(moving.answers.empty());
    BOOST_REQUIRE(moving.handovers.size() == 1u);
    BOOST_TEST((moving.handovers[0] == std::make_pair(f, std::string("operator"))));
    c[l].answers.clear();
    c.settle();
    c.ticks(2);
    BOOST_REQUIRE(c.leader() == f);
    BOOST_REQUIRE(c[l].answers.size() == 1u);
    BOOST_TEST((c[l].answers[0].token == moving.token && c[l].answers[0].ok && c[l].answers[0].leader == f));
    BOOST_TEST(!c[l].leadership.back().first);  // the operations actors hear it no longer leads

    // Storage full: the leader refuses writes before they reach the log; a follower
    // still says it is not the leader.
    c[f].step(in::StorageFull{true, "disk full"});
    c[l].step(in::StorageFull{true, "disk full"});
    c[f].write(1, put("a", "1"));
    c[l].write(2, put("a", "2"));
    BOOST_TEST((c.done[1].outcome == Outcome::no_space));
    BOOST_TEST(c.done[1].detail == "the leader's storage is full: disk full");
    BOOST_TEST((c.done[2].outcome == Outcome::not_leader));
    c[f].step(in::StorageFull{false, ""});
    c[f].write(3, put("a", "3"));
    c.settle();
    BOOST_TEST((c.done[3].outcome == Outcome::done));

    // A drained leader hands leadership on by itself.
    const Effects drained = c[f].step(in::Drained{true});
    BOOST_REQUIRE(drained.handovers.size() == 1u);
    BOOST_TEST(drained.handovers[0].second == "drained");
    c.settle();
    c.ticks(2);
    BOOST_TEST(c.leader() != f);
    BOOST_TEST(c.leader() != 0u);

    // A step-down: answered with the new leader, or at once when not leading.
    const AdminResult not_leading = answer(f, in::StepDown{});
    BOOST_TEST((!not_leading.ok && not_leading.code == "not_leading"));
}
