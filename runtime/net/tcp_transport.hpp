#pragma once
// Peer-to-peer TCP for Raft frames, on a node's event loop (event_loop.hpp) or on an
// Asio I/O thread of its own. Each node dials every
// peer (frames go out on those connections) and accepts the peers' connections
// (frames come in on those). Outbound connections reconnect with capped, jittered
// exponential backoff; their queues are bounded (Raft retransmits what is dropped).
// Every connection opens with a hello (cluster id, protocol version, node id) and, when
// configured, proves who is calling: mutual TLS binds the certificate's name to the
// member the hello names; a cluster secret runs a challenge-response over both nonces
// and then tags every frame (peer_auth.hpp). A bad or foreign hello, a failed proof, a
// handshake not finished in time, a frame that is too large or fails its tag, or a
// stream that is not frames closes that connection with a logged reason; nothing of it
// reaches the caller, and every frame that does is given with its authenticated sender.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/net/hello.hpp"

namespace raftor::net {

struct TcpOptions {
    // Who we are, said in the hello that opens each of our connections; a peer
    // whose hello names another cluster or protocol version is refused.
    std::string cluster_id = "raftor";
    std::uint64_t node_id = 0;
    std::uint32_t protocol_version = peer_protocol_version;
    std::uint32_t min_protocol_version = peer_protocol_version_min;  // the oldest still spoken (hello.hpp)
    std::string http_address;   // said in our hello; peers forward client writes there
    std::string https_address;  // ... or there, when they have TLS
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 0;  // 0: any free port (see bound_port())
    std::size_t frame_bytes_max = 64u << 20;
    std::size_t queue_bytes_max = 64u << 20;  // per peer; beyond it new frames are dropped
    std::uint32_t backoff_min_ms = 50;
    std::uint32_t backoff_max_ms = 2000;
    // Mutual TLS when `tls_cert_file` is set: both ends present a certificate signed by
    // the CA in `tls_ca_file` and verify the other's; a dialled peer's certificate must
    // also name the host it was dialled at (subjectAltName). Anything else is refused.
    // The certificate must also carry the member's name (CN or subjectAltName; see
    // certificate_names_member), both ways: a member cannot speak as another.
    std::string tls_ca_file, tls_cert_file, tls_key_file;
    bool tls() const { return !tls_cert_file.empty(); }
    // The cluster secrets (peer_auth.hpp); empty: none. The first proves this node; any
    // of them is accepted from a peer, so a secret is rotated by rolling restarts (add
    // the new one second, then first, then drop the old).
    std::vector<std::string> cluster_secrets;
    bool secret() const { return !cluster_secrets.empty(); }
    bool authenticated() const { return tls() || secret(); }
    // Bounds on what a stranger can hold: inbound connections at once, the time and the
    // frame size allowed before a connection has proved itself.
    std::size_t inbound_connections_max = 64;
    std::uint32_t handshake_timeout_ms = 5000;
    std::size_t handshake_frame_bytes_max = 4096;
};

struct PeerStats {
    std::uint64_t frames_out = 0, bytes_out = 0, frames_dropped = 0, connects = 0;
    std::uint64_t frames_in = 0, bytes_in = 0, rejected_connections = 0;
    // The peer protocol our link to it speaks now (hello.hpp; 0 while not connected).
    std::uint32_t protocol = 0;
};

class EventLoop;

class TcpTransport {
public:
    // Called on the I/O thread with the sender's node id, as its connection proved it
    // (or, with neither TLS nor a cluster secret, as its hello claimed).
    using OnFrame = std::function<void(std::uint64_t from, std::string payload)>;
    using OnLog = std::function<void(const std::string& line)>;
    // A peer introduced itself (called on the I/O thread): its node id, HTTP addresses
    // and the newest peer protocol it speaks.
    using OnHello = std::function<void(std::uint64_t node_id, const std::string& http_address,
                                       const std::string& https_address, std::uint32_t protocol)>;

    // On `loop` when given (it outlives this transport, and is stopped before the
    // transport is destroyed), else on an I/O thread of its own.
    TcpTransport(TcpOptions opts, OnFrame on_frame, OnLog on_log, EventLoop* loop = nullptr);
    ~TcpTransport();
    TcpTransport(const TcpTransport&) = delete;
    TcpTransport& operator=(const TcpTransport&) = delete;

    // Loads the TLS material (when configured) and binds the listener; an empty string
    // on success, else what went wrong.
    std::string bind();
    std::uint16_t bound_port() const { return bound_port_; }
    // Where peer `id` listens, and its name for log lines (its id when empty). May be
    // called before or after start().
    void set_peer(std::uint64_t id, std::string host, std::uint16_t port, std::string name = {});
    void start();
    void stop();
    // Thread-safe; the frame is queued for the peer's connection.
    void send(std::uint64_t to, std::string payload);
    // Thread-safe; the frames, in order, with one wake of the I/O thread.
    void send(std::vector<std::pair<std::uint64_t, std::string>> frames);
    PeerStats stats() const;                                // all connections together
    std::map<std::uint64_t, PeerStats> peer_stats() const;  // by peer id: out on our link, in on theirs
    void on_hello(OnHello f);                               // set before start()

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint16_t bound_port_ = 0;
};

}  // namespace raftor::net
