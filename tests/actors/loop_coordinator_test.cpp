// The node's scheduler: actors that are not detached run on the event loop's thread,
// in rounds with the loop's I/O between them; detached actors and other threads reach
// them; CAF's timers fire; and a stop leaves nothing behind.
#include "actors/loop_coordinator.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>
#include <chrono>
#include <thread>

#include "runtime/net/event_loop.hpp"

using namespace raftor;
using namespace std::chrono_literals;

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using later_atom = caf::atom_constant<caf::atom("later")>;

struct Seen {
    std::atomic<int> handled{0}, off_loop{0};
    std::atomic<bool> bouncing{true};  // set false on the loop's thread, by the last bounce
};

// Bounces a count with its partner until it reaches zero, then tells `report`.
caf::behavior bouncer(caf::event_based_actor* self, net::EventLoop* loop, Seen* seen) {
    return {
        [=](ping_atom, int left, const caf::actor& partner, const caf::actor& report) {
            ++seen->handled;
            if (!loop->on_loop_thread()) ++seen->off_loop;
            if (left == 0) {
                seen->bouncing = false;
                return self->send(report, done_atom::value);
            }
            self->send(partner, ping_atom::value, left - 1, caf::actor_cast<caf::actor>(self), report);
        },
        [=](later_atom, const caf::actor& report) {
            if (!loop->on_loop_thread()) ++seen->off_loop;
            self->send(report, later_atom::value);
        },
    };
}

// A detached actor (its own thread, as storage is on a node) that sends to one on the loop.
caf::behavior sender(caf::event_based_actor* self, caf::actor target, caf::actor report) {
    return {[=](ping_atom, int n) {
        for (int i = 0; i < n; ++i) self->send(target, ping_atom::value, 0, target, report);
    }};
}

}  // namespace

BOOST_AUTO_TEST_CASE(actors_run_on_the_event_loop_between_its_io) {
    net::EventLoop loop;
    loop.start("test-loop");
    Seen seen;
    {
        caf::actor_system_config cfg;
        actors::run_actors_on(cfg, loop);
        caf::actor_system sys{cfg};
        caf::scoped_actor self{sys};
        auto a = sys.spawn(bouncer, &loop, &seen);
        auto b = sys.spawn(bouncer, &loop, &seen);

        // While two actors bounce 200,000 messages, a timer of the loop's fires: the
        // sockets and timers are served between rounds, not after the actors are idle.
        std::atomic<bool> timer_fired_while_bouncing{false};
        boost::asio::steady_timer timer(loop.context(), 1ms);
        timer.async_wait([&](const boost::system::error_code&) { timer_fired_while_bouncing = seen.bouncing.load(); });
        self->send(a, ping_atom::value, 200'000, b, caf::actor_cast<caf::actor>(self));
        self->receive([](done_atom) {});
        BOOST_TEST(seen.handled.load() == 200'001);
        BOOST_TEST(timer_fired_while_bouncing.load());

        // From a detached actor's thread, and from CAF's clock (a delayed message).
        seen.handled = 0;
        auto d = sys.spawn<caf::detached>(sender, a, caf::actor_cast<caf::actor>(self));
        self->send(d, ping_atom::value, 1000);
        for (int i = 0; i < 1000; ++i) self->receive([](done_atom) {});
        BOOST_TEST(seen.handled.load() == 1000);
        self->delayed_send(a, 20ms, later_atom::value, caf::actor_cast<caf::actor>(self));
        bool late = false;
        self->receive([&](later_atom) { late = true; }, caf::after(5s) >> [] {});
        BOOST_TEST(late);
        BOOST_TEST(seen.off_loop.load() == 0);  // every handler of a, b ran on the loop's thread

        for (const auto& x : {a, b, d}) caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
        self->wait_for(a, b, d);
    }
    // The system is gone and nothing of it is left queued: the loop runs out at once.
    const auto t0 = std::chrono::steady_clock::now();
    loop.stop(5s);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count() <
               1000);
    BOOST_TEST(!loop.running());
}
