#pragma once
// Collects what a transport receives and logs, safely across its I/O thread.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/net/tcp_transport.hpp"

namespace raftor::testing {

struct Sink {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> frames;
    std::vector<std::uint64_t> senders;  // of each frame, as the transport authenticated it
    std::vector<std::string> logs;
    net::TcpTransport::OnFrame on_frame() {
        return [this](std::uint64_t from, std::string f) {
            std::lock_guard<std::mutex> l(mu);
            senders.push_back(from);
            frames.push_back(std::move(f));
            cv.notify_all();
        };
    }
    net::TcpTransport::OnLog on_log() {
        return [this](const std::string& line) {
            std::lock_guard<std::mutex> l(mu);
            logs.push_back(line);
            cv.notify_all();
        };
    }
    // Waits for a condition, with a deadline far beyond what it needs (not a timing test).
    template <class P>
    bool wait(P pred) {
        std::unique_lock<std::mutex> l(mu);
        return cv.wait_for(l, std::chrono::seconds(20), [&] { return pred(); });
    }
    // Call with `mu` held (inside wait's predicate) or after the transport stopped.
    bool logged(const std::string& part) const {
        for (const auto& l : logs)
            if (l.find(part) != std::string::npos) return true;
        return false;
    }
};

}  // namespace raftor::testing
