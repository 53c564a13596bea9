// What peer authentication costs a connection and a frame: the time from a first send
// on a fresh pair of transports to the frame's delivery (TCP connect, hello, and with a
// cluster secret the challenge-response), and the per-frame tag (HMAC-SHA256) at a few
// sizes. Prints figures; asserts nothing.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/net/peer_auth.hpp"
#include "runtime/net/tcp_transport.hpp"

using namespace raftor::net;
using Clock = std::chrono::steady_clock;

namespace {

struct Inbox {
    std::mutex mu;
    std::condition_variable cv;
    int frames = 0;
};

// One fresh pair: microseconds from the first send to its delivery.
double first_frame_us(const std::string& secret) {
    Inbox in;
    auto make = [&](std::uint64_t id, bool receiver) {
        TcpOptions o;
        o.cluster_id = "bench";
        o.node_id = id;
        if (!secret.empty()) o.cluster_secrets = {secret};
        auto t = std::make_unique<TcpTransport>(
            o,
            [&in, receiver](std::uint64_t, std::string) {
                if (!receiver) return;
                std::lock_guard<std::mutex> l(in.mu);
                ++in.frames;
                in.cv.notify_all();
            },
            [](const std::string&) {});
        if (!t->bind().empty()) std::abort();
        return t;
    };
    auto a = make(1, false), b = make(2, true);
    a->set_peer(2, "127.0.0.1", b->bound_port());
    b->set_peer(1, "127.0.0.1", a->bound_port());
    a->start();
    b->start();
    const auto t0 = Clock::now();
    a->send(2, std::string(100, 'x'));
    std::unique_lock<std::mutex> l(in.mu);
    in.cv.wait(l, [&] { return in.frames > 0; });
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * double(v.size() - 1))];
}

}  // namespace

int main() {
    const int rounds = 200;
    std::printf("peer connection: first send to delivery, fresh transports, loopback, %d rounds\n", rounds);
    std::printf("%-16s %10s %10s %10s\n", "mode", "p50 us", "p90 us", "p99 us");
    for (const auto& [mode, secret] : {std::pair<const char*, std::string>{"none", ""},
                                       std::pair<const char*, std::string>{"cluster secret", std::string(64, 's')}}) {
        std::vector<double> us;
        for (int i = 0; i < rounds; ++i) us.push_back(first_frame_us(secret));
        std::printf("%-16s %10.0f %10.0f %10.0f\n", mode, percentile(us, 0.5), percentile(us, 0.9),
                    percentile(us, 0.99));
    }
    std::printf("\nper-frame tag (HMAC-SHA256 over sequence and payload)\n%-12s %12s %12s\n", "payload", "us/frame",
                "MB/s");
    FrameMac mac(std::string(32, 'k'));
    for (std::size_t bytes : {100u, 4096u, 65536u, 1u << 20}) {
        const std::string payload(bytes, 'p');
        const int n = bytes >= (1u << 20) ? 200 : 20'000;
        const auto t0 = Clock::now();
        std::size_t sink = 0;
        for (int i = 0; i < n; ++i) sink += mac.seal(payload).size();
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        std::printf("%-12zu %12.2f %12.0f%s\n", bytes, s / n * 1e6, double(bytes) * n / s / 1e6, sink ? "" : " ");
    }
    return 0;
}
