// Three raft_peer actors (with their storage actors on real LMDB and their election
// timers) in one actor system on CAF's deterministic scheduler, wired by the
// loopback transport; simulated time.
#include <boost/test/unit_test.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/raft_peer.hpp"
#include "runtime/raft/codec.hpp"
#include "runtime/storage/log_store.hpp"
#include "sim/loopback_transport.hpp"
#include "tests/common/caf_testing.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor;
using namespace raftor::actors;

namespace {

struct Fixture {
    testing::TempDir dir;
    caf::actor_system sys{raftor::testing::deterministic_config()};
    caf::scheduler::test_coordinator& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
    caf::actor transport = sys.spawn(sim::loopback_transport, std::string("loopback"));
    std::map<raft::NodeId, caf::actor> peers;
    std::map<raft::NodeId, std::shared_ptr<storage::LogStore>> stores;

    Fixture() {
        for (raft::NodeId id = 1; id <= 3; ++id) {
            storage::Status st;
            auto store = std::shared_ptr<storage::LogStore>(
                storage::LogStore::open({(dir.path / std::to_string(id)).string(), std::size_t{64} << 20, true}, st));
            BOOST_REQUIRE_MESSAGE(store != nullptr, st.message);
            storage::Loaded loaded;
            BOOST_REQUIRE(store->load(loaded).ok());
            auto setup = std::make_shared<PeerSetup>();
            setup->config.id = id;
            setup->config.seed = 11;
            setup->restore.hard_state = loaded.hard_state;
            setup->restore.entries = loaded.entries;
            setup->restore.initial_conf = raft::ConfState{{1, 2, 3}, {}};
            setup->options.snapshot_interval_ops = 1000;
            setup->store = store;
            setup->transport = transport;
            setup->own_threads = false;  // keep the run on the deterministic scheduler
            stores[id] = store;
            peers[id] = caf::actor_cast<caf::actor>(sys.spawn(raft_peer, PeerSetupPtr(setup)));
            caf::anon_send(transport, register_atom::value, id, peers[id]);
        }
        drain();
    }
    ~Fixture() {
        for (auto& [id, p] : peers) caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
        drain();
    }
    void drain() {
        while (sched.try_run_once()) {
        }
    }
    // Simulated time passes in 1 ms steps; every message due is delivered.
    void run_ms(int ms) {
        for (int i = 0; i < ms; ++i) {
            drain();
            sched.advance_time(std::chrono::milliseconds(1));
            drain();
        }
    }
    template <class R, class... Ts>
    std::shared_ptr<std::optional<R>> ask(caf::actor dest, Ts... xs) {
        auto out = std::make_shared<std::optional<R>>();
        // The destination is an argument, not a capture: see loopback_transport.hpp.
        sys.spawn(
            [=](caf::event_based_actor* self, caf::actor to) {
                self->request(to, caf::infinite, xs...).then([=](R r) { *out = std::move(r); });
            },
            dest);
        return out;
    }
    template <class R>
    R await(const std::shared_ptr<std::optional<R>>& r, int max_ms = 5000) {
        for (int i = 0; i < max_ms && !r->has_value(); ++i) run_ms(1);
        BOOST_REQUIRE_MESSAGE(r->has_value(), "no answer within " << max_ms << " ms of simulated time");
        return **r;
    }
    PeerStatus status(raft::NodeId id) { return *await(ask<StatusPtr>(peers[id], status_atom::value)); }
    raft::NodeId leader(std::set<raft::NodeId> among = {1, 2, 3}) {
        for (int i = 0; i < 100; ++i) {
            for (raft::NodeId id : among)
                if (status(id).role == raft::Role::leader) return id;
            run_ms(50);
        }
        BOOST_FAIL("no leader elected");
        return 0;
    }
};

state::KvCommand put(std::string k, std::string v) {
    return state::KvCommand{state::KvCommand::Op::put, {}, std::move(k), std::move(v), std::nullopt};
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(peers_elect_a_leader_and_replicate_durably, Fixture) {
    const raft::NodeId l = leader();
    run_ms(200);
    for (raft::NodeId id = 1; id <= 3; ++id) BOOST_TEST(status(id).leader == l);

    std::vector<std::shared_ptr<std::optional<CompletionPtr>>> replies;
    for (int i = 0; i < 100; ++i)
        replies.push_back(ask<CompletionPtr>(peers[l], write_atom::value, put("k" + std::to_string(i), "v")));
    std::set<std::uint64_t> revisions;
    for (auto& r : replies) {
        CompletionPtr c = await(r);
        BOOST_TEST((c->outcome == node::Outcome::done));
        revisions.insert(c->result.revision);
    }
    BOOST_TEST(revisions.size() == 100u);
    // 100 concurrent writes, far fewer transactions: group commit at work.
    BOOST_TEST_MESSAGE("leader store: " << stores[l]->stats().commits << " commits for "
                                        << stores[l]->stats().entries_written << " entries");
    BOOST_TEST(stores[l]->stats().commits < 50u);

    const raft::NodeId f = l % 3 + 1;
    CompletionPtr r = await(ask<CompletionPtr>(peers[f], read_atom::value, std::string("k42"), false));
    BOOST_REQUIRE(r->value.has_value());
    BOOST_TEST(r->value->value == "v");
    run_ms(100);
    for (auto& [id, s] : stores) BOOST_TEST(s->last_index() >= 101u);  // on every disk
}

BOOST_FIXTURE_TEST_CASE(a_cut_off_leader_is_replaced_and_writes_go_on, Fixture) {
    const raft::NodeId l = leader();
    BOOST_TEST((await(ask<CompletionPtr>(peers[l], write_atom::value, put("a", "1")))->outcome == node::Outcome::done));
    caf::anon_send(transport, cut_atom::value, l, true);
    std::set<raft::NodeId> rest;
    for (raft::NodeId id = 1; id <= 3; ++id)
        if (id != l) rest.insert(id);
    run_ms(3000);
    const raft::NodeId nl = leader(rest);
    BOOST_TEST(nl != l);
    auto c = await(ask<CompletionPtr>(peers[nl], write_atom::value, put("b", "2")));
    BOOST_TEST((c->outcome == node::Outcome::done));
    caf::anon_send(transport, cut_atom::value, l, false);
    run_ms(500);
    auto r = await(ask<CompletionPtr>(peers[l], read_atom::value, std::string("b"), false));
    BOOST_REQUIRE(r->value.has_value());  // the old leader caught up and serves a linearizable read
    BOOST_TEST(r->value->value == "2");
}

BOOST_FIXTURE_TEST_CASE(garbage_frames_never_reach_the_core, Fixture) {
    const raft::NodeId l = leader();
    const raft::NodeId other = l == 1 ? 2 : 1;
    caf::anon_send(peers[l], frame_atom::value, other, Frame{'n', 'o', 't', ' ', 'r', 'a', 'f', 't'});
    caf::anon_send(peers[l], frame_atom::value, other, Frame(64, '\xff'));
    run_ms(100);
    BOOST_TEST((status(l).role == raft::Role::leader));
    auto c = await(ask<CompletionPtr>(peers[l], write_atom::value, put("still", "ok")));
    BOOST_TEST((c->outcome == node::Outcome::done));
}

// Frames a member (or someone speaking as one) could send that the core's assertions
// would not survive: each is dropped at the boundary, and the leader leads on in its term.
BOOST_FIXTURE_TEST_CASE(forged_frames_are_refused_before_the_core, Fixture) {
    const raft::NodeId l = leader();
    const raft::NodeId other = l == 1 ? 2 : 1;
    const raft::Term term = status(l).term;
    auto send = [&](raft::NodeId sender, raft::Message m) {
        const std::string b = raft::encode_message(m);
        caf::anon_send(peers[l], frame_atom::value, sender, Frame(b.begin(), b.end()));
    };
    using raft::MessageType;
    // A heartbeat in the leader's own term: the abort "at most one leader per term".
    send(other, {.type = MessageType::heartbeat, .from = other, .to = l, .term = term, .commit = 1});
    send(other, {.type = MessageType::timeout_now, .from = other, .to = l, .term = term});
    // A frame that says it is from one member, on another's connection.
    send(other, {.type = MessageType::heartbeat, .from = 6 - l - other, .to = l, .term = term + 5});
    // From a node outside the configuration.
    send(99, {.type = MessageType::vote, .from = 99, .to = l, .term = term + 1});
    // A term near 2^64, which would otherwise be persisted.
    send(other, {.type = MessageType::vote, .from = other, .to = l, .term = ~raft::Term{0} - 1});
    // Entries that do not follow the message's index, and a snapshot chunk past its end.
    send(other, {.type = MessageType::append,
                 .from = other,
                 .to = l,
                 .term = term + 1,
                 .index = 1,
                 .entries = {raft::Entry{.term = term + 1, .index = 7}}});
    send(other, {.type = MessageType::install_snapshot,
                 .from = other,
                 .to = l,
                 .term = term + 1,
                 .snapshot = {.index = 5, .term = 1, .conf = {{1, 2, 3}, {}}, .size = 10},
                 .chunk_offset = 8,
                 .chunk = "abcdef"});
    run_ms(100);
    const PeerStatus s = status(l);
    BOOST_TEST((s.role == raft::Role::leader));
    BOOST_TEST(s.term == term);
    auto c = await(ask<CompletionPtr>(peers[l], write_atom::value, put("still", "ok")));
    BOOST_TEST((c->outcome == node::Outcome::done));
}
