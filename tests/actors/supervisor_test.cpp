// The supervisor on CAF's deterministic scheduler: a failed gateway is replaced (up
// to a limit); a failed raft_peer or transport stops the node, once.
#include "actors/supervisor.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "tests/common/caf_testing.hpp"

using namespace raftor::actors;

namespace {

caf::behavior idle(caf::event_based_actor*, int) {  // CAF 0.17: never spawn without arguments
    return {[](caf::tick_atom) {}};
}

struct Fixture {
    caf::actor_system sys{raftor::testing::deterministic_config()};
    caf::scheduler::test_coordinator& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
    caf::actor peer = sys.spawn(idle, 0), transport = sys.spawn(idle, 0);
    std::shared_ptr<GatewayHandle> gateway = std::make_shared<GatewayHandle>();
    int spawned = 0;
    std::vector<std::string> stops;
    caf::actor sup;

    Fixture() {
        gateway->set(sys.spawn(idle, 0));
        auto s = std::make_shared<SupervisorSetup>();
        s->peer = peer;
        s->transport = transport;
        s->gateway = gateway;
        s->spawn_gateway = [this] {
            ++spawned;
            return sys.spawn(idle, 0);
        };
        s->stop_node = [this](const std::string& why) { stops.push_back(why); };
        s->gateway_restarts_max = 3;
        sup = caf::actor_cast<caf::actor>(sys.spawn(supervisor, SupervisorSetupPtr(s)));
        drain();
    }
    ~Fixture() {
        for (auto& a : {peer, transport, gateway->get(), sup}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
        drain();
    }
    void drain() {
        while (sched.try_run_once()) {
        }
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_failed_gateway_is_replaced_until_it_fails_too_often, Fixture) {
    for (int i = 1; i <= 3; ++i) {
        const caf::actor before = gateway->get();
        caf::anon_send_exit(before, caf::exit_reason::kill);
        drain();
        BOOST_TEST(spawned == i);
        BOOST_TEST((gateway->get() != before));
        BOOST_TEST(stops.empty());
    }
    caf::anon_send_exit(gateway->get(), caf::exit_reason::kill);
    drain();
    BOOST_TEST(spawned == 3);
    BOOST_REQUIRE(stops.size() == 1u);
    BOOST_TEST(stops[0].find("http_gateway (restarted too often)") == 0u, stops[0]);
}

BOOST_FIXTURE_TEST_CASE(a_failed_raft_peer_stops_the_node_once, Fixture) {
    caf::anon_send_exit(peer, caf::exit_reason::kill);
    drain();
    BOOST_REQUIRE(stops.size() == 1u);
    BOOST_TEST(stops[0].find("raft_peer stopped") == 0u, stops[0]);
    caf::anon_send_exit(transport, caf::exit_reason::kill);
    drain();
    BOOST_TEST(stops.size() == 1u);  // already stopping: no second stop
    BOOST_TEST(spawned == 0);
}
