// Three raft_peer actors on the threaded scheduler, each with its own TCP transport
// on a loopback port: the same actors as the node, over real sockets.
#include <boost/test/unit_test.hpp>
#include <iostream>
#include <mutex>
#include <thread>

#include "actors/raft_peer.hpp"
#include "actors/transport.hpp"
#include "runtime/storage/log_store.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor;
using namespace raftor::actors;

namespace {
state::KvCommand put(std::string k, std::string v) {
    return state::KvCommand{state::KvCommand::Op::put, {}, std::move(k), std::move(v), std::nullopt};
}
}  // namespace

BOOST_AUTO_TEST_CASE(three_peers_over_loopback_tcp) {
    testing::TempDir dir;
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    std::map<raft::NodeId, std::shared_ptr<net::TcpTransport>> tcps;
    std::map<raft::NodeId, std::shared_ptr<InboundTarget>> targets;
    for (raft::NodeId id = 1; id <= 3; ++id) {
        targets[id] = std::make_shared<InboundTarget>();
        net::TcpOptions o;
        o.cluster_id = "tcp-cluster-test";
        o.node_id = id;
        o.backoff_min_ms = 10;
        auto target = targets[id];
        tcps[id] = std::make_shared<net::TcpTransport>(
            o, [target](std::uint64_t from, std::string f) { target->deliver(from, std::move(f)); },
            [id](const std::string& line) {
                // From the transport's I/O thread: not through Boost.Test, which is not thread-safe.
                static std::mutex mu;
                std::lock_guard<std::mutex> lock(mu);
                std::clog << "transport " << id << ": " << line << "\n";
            });
        const std::string err = tcps[id]->bind();
        BOOST_REQUIRE_MESSAGE(err.empty(), err);
    }
    for (raft::NodeId a = 1; a <= 3; ++a)
        for (raft::NodeId b = 1; b <= 3; ++b)
            if (a != b) tcps[a]->set_peer(b, "127.0.0.1", tcps[b]->bound_port());

    std::map<raft::NodeId, caf::actor> peers;
    std::vector<caf::actor> transports;
    for (raft::NodeId id = 1; id <= 3; ++id) {
        storage::Status st;
        auto store = std::shared_ptr<storage::LogStore>(
            storage::LogStore::open({(dir.path / std::to_string(id)).string(), std::size_t{64} << 20, true}, st));
        BOOST_REQUIRE_MESSAGE(store != nullptr, st.message);
        auto transport = caf::actor_cast<caf::actor>(sys.spawn(transport_actor, tcps[id], targets[id]));
        auto setup = std::make_shared<PeerSetup>();
        setup->config.id = id;
        setup->config.seed = id;
        setup->restore.initial_conf = raft::ConfState{{1, 2, 3}, {}};
        setup->store = store;
        setup->transport = transport;
        setup->tick = std::chrono::milliseconds(10);
        peers[id] = caf::actor_cast<caf::actor>(sys.spawn(raft_peer, PeerSetupPtr(setup)));
        caf::anon_send(transport, register_atom::value, id, peers[id]);
        transports.push_back(transport);
    }

    caf::scoped_actor self{sys};
    auto status = [&](raft::NodeId id) {
        StatusPtr s;
        self->request(peers[id], std::chrono::seconds(10), status_atom::value)
            .receive([&](StatusPtr r) { s = r; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
        return *s;
    };
    auto find_leader = [&] {
        for (int i = 0; i < 500; ++i) {
            for (raft::NodeId id = 1; id <= 3; ++id)
                if (status(id).role == raft::Role::leader) return id;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        BOOST_FAIL("no leader elected");
        return raft::NodeId{0};
    };
    raft::NodeId leader = find_leader();

    // A client as a real one behaves: on "not leader" or "outcome unknown" it finds the
    // leader and retries with the same request id, which the state machine applies once.
    std::uint64_t retries = 0;
    for (std::uint64_t i = 0; i < 200; ++i) {
        state::KvCommand cmd = put("k" + std::to_string(i), "v");
        cmd.request = state::RequestId{1, i + 1};
        for (int attempt = 0;; ++attempt) {
            BOOST_REQUIRE(attempt < 50);
            CompletionPtr c;
            self->request(peers[leader], std::chrono::seconds(10), write_atom::value, cmd)
                .receive([&](CompletionPtr r) { c = r; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
            if (c->outcome == node::Outcome::done) break;
            ++retries;
            leader = find_leader();
        }
    }
    BOOST_TEST_MESSAGE("writes retried after a leader change: " << retries);
    const raft::NodeId follower = leader % 3 + 1;
    CompletionPtr r;
    self->request(peers[follower], std::chrono::seconds(10), read_atom::value, std::string("k199"), false)
        .receive([&](CompletionPtr x) { r = x; }, [&](caf::error& e) { BOOST_FAIL(sys.render(e)); });
    BOOST_REQUIRE(r->value.has_value());
    BOOST_TEST(r->value->value == "v");
    BOOST_TEST(tcps[leader]->stats().frames_out > 0u);

    for (auto& [id, p] : peers) self->send_exit(p, caf::exit_reason::user_shutdown);
    for (auto& t : transports) self->send_exit(t, caf::exit_reason::user_shutdown);
}
