#include "runtime/net/event_loop.hpp"

#include <pthread.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace raftor::net {

namespace asio = boost::asio;

struct EventLoop::Impl {
    // Concurrency hint 1: one thread runs it, so what the loop posts to itself (most of
    // the actors' rounds) goes on that thread's private queue, without Asio's lock.
    asio::io_context io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
    std::thread thread;
    std::atomic<std::thread::id> loop_id{};
    std::atomic<bool> running{false};
    std::promise<void> ran_out;
    std::mutex stop_mu;
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() {
    stop(std::chrono::milliseconds(0));
}

asio::io_context& EventLoop::context() {
    return impl_->io;
}

void EventLoop::start(const char* name) {
    impl_->running.store(true);
    impl_->thread = std::thread([impl = impl_.get(), name] {
        ::pthread_setname_np(::pthread_self(), name);
        impl->loop_id.store(std::this_thread::get_id());
        impl->io.run();
        impl->ran_out.set_value();
    });
}

void EventLoop::post(void (*fn)(void*), void* arg) {
    asio::post(impl_->io, [fn, arg] { fn(arg); });
}

bool EventLoop::running() const {
    return impl_->running.load();
}

bool EventLoop::on_loop_thread() const {
    return impl_->loop_id.load() == std::this_thread::get_id();
}

void EventLoop::stop(std::chrono::milliseconds grace) {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    if (!impl_->thread.joinable()) return;
    impl_->running.store(false);
    // Without the guard, run() returns when the last operation completes.
    asio::post(impl_->io, [impl = impl_.get()] { impl->work.reset(); });
    if (impl_->ran_out.get_future().wait_for(grace) != std::future_status::ready) impl_->io.stop();
    impl_->thread.join();
}

}  // namespace raftor::net
