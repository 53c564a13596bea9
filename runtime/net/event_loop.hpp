#pragma once
// One Asio I/O thread that a node's HTTP server, its peer transport and its actors
// share. A request, the frames it makes for the peers and the actors' work on it pass
// from one to the next on this thread, without waking another: on a small machine the
// hand-offs between threads, not the work, were most of a write's cost.
//
// Rule for owners: stop the loop before anything that runs on it is destroyed, and
// destroy the loop after them (declare it first).
#include <chrono>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace raftor::net {

class EventLoop {
public:
    EventLoop();
    ~EventLoop();  // stops it (no grace) if still running
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    boost::asio::io_context& context();
    // Starts the thread; named `name` (at most 15 characters) for top and perf.
    void start(const char* name);
    // fn(arg) on the loop's thread, after what is already queued. From any thread.
    void post(void (*fn)(void*), void* arg);
    bool on_loop_thread() const;
    bool running() const;  // started, and not stopped
    // Lets the loop end once it has nothing left to do (every socket closed, every
    // timer done), waiting at most `grace`; then stops it and joins its thread.
    // Handlers still queued after that never run. Idempotent; not from the loop.
    void stop(std::chrono::milliseconds grace);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace raftor::net
