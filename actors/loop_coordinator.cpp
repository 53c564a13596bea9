#include "actors/loop_coordinator.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/timeouts.hpp"
#include "runtime/net/event_loop.hpp"

namespace raftor::actors {

namespace {

class LoopCoordinator final : public caf::scheduler::abstract_coordinator {
public:
    LoopCoordinator(caf::actor_system& sys, net::EventLoop& loop)
        : abstract_coordinator(sys), loop_(loop), unit_(sys, *this) {}

    void enqueue(caf::resumable* job) override { push(job); }

    caf::actor_clock& clock() noexcept override { return clock_; }

protected:
    void start() override {
        clock_thread_ = std::thread([this] {
            system().thread_started();
            clock_.run_dispatch_loop();
            system().thread_terminates();
        });
        abstract_coordinator::start();  // the utility actors (detached)
    }

    void stop() override {
        stop_actors();
        // From here nothing is queued or posted for this system: a job made ready now
        // (an actor ending elsewhere) is cleaned up at once by push().
        std::vector<caf::resumable*> left;
        {
            std::lock_guard<std::mutex> lock(mu_);
            closed_ = true;
            left.swap(queue_);
        }
        // A round posted before, or an actor still cleaning up on the loop (cancelling its
        // timeouts in the clock, say), finishes before this coordinator and its clock go:
        // the loop runs a last handler of ours behind them. CAF's own scheduler joins its
        // workers for the same reason. A stopped loop runs nothing more.
        if (loop_.running() && !loop_.on_loop_thread()) {
            auto* done = new std::promise<void>;
            auto ran = done->get_future();
            loop_.post(
                [](void* p) {
                    auto* d = static_cast<std::promise<void>*>(p);
                    d->set_value();
                    delete d;
                },
                done);
            ran.wait_for(timeouts::loop_fence);
        }
        for (auto* job : left) cleanup_and_release(job);
        clock_.cancel_dispatch_loop();
        clock_thread_.join();
    }

private:
    // Where an actor run on the loop schedules the actors it sends to.
    struct Unit final : caf::execution_unit {
        Unit(caf::actor_system& sys, LoopCoordinator& c) : execution_unit(&sys), owner(c) {}
        void exec_later(caf::resumable* job) override { owner.push(job); }
        LoopCoordinator& owner;
    };

    void push(caf::resumable* job) {
        bool post = false, closed = false;
        {
            std::lock_guard<std::mutex> lock(mu_);
            closed = closed_;
            if (!closed) {
                queue_.push_back(job);
                post = !round_posted_;
                round_posted_ = true;
            }
        }
        if (closed) return cleanup_and_release(job);  // the system has stopped: nothing will run it
        if (post) loop_.post(&LoopCoordinator::round_on_loop, this);
    }

    static void round_on_loop(void* self) { static_cast<LoopCoordinator*>(self)->round(); }

    void round() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            running_.swap(queue_);
            if (running_.empty()) {
                round_posted_ = false;
                return;
            }
        }
        for (auto* job : running_) {
            switch (job->resume(&unit_, max_throughput())) {
                case caf::resumable::resume_later:
                    push(job);  // keeps its reference
                    break;
                case caf::resumable::done:
                case caf::resumable::awaiting_message: intrusive_ptr_release(job); break;
                case caf::resumable::shutdown_execution_unit: break;
            }
        }
        running_.clear();
        bool again = false;
        {
            std::lock_guard<std::mutex> lock(mu_);
            again = !queue_.empty() && !closed_;
            round_posted_ = again;
        }
        // Behind the I/O that arrived during this round.
        if (again) loop_.post(&LoopCoordinator::round_on_loop, this);
    }

    net::EventLoop& loop_;
    Unit unit_;
    std::mutex mu_;
    std::vector<caf::resumable*> queue_;    // under mu_
    bool round_posted_ = false;             // under mu_: a round is queued on the loop
    bool closed_ = false;                   // under mu_
    std::vector<caf::resumable*> running_;  // the loop's thread only
    caf::detail::thread_safe_actor_clock clock_;
    std::thread clock_thread_;
};

}  // namespace

void run_actors_on(caf::actor_system_config& cfg, net::EventLoop& loop) {
    cfg.module_factories.push_back(
        [&loop](caf::actor_system& sys) -> caf::actor_system::module* { return new LoopCoordinator(sys, loop); });
}

}  // namespace raftor::actors
