#include "runtime/net/tcp_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <array>
// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
// clang-format on
#include <deque>
#include <optional>
#include <random>
#include <set>

#include "runtime/net/event_loop.hpp"
#include "runtime/net/frame_codec.hpp"
#include "runtime/net/frame_packing.hpp"
#include "runtime/net/hello.hpp"
#include "runtime/net/peer_auth.hpp"
#include "runtime/net/tls_files.hpp"

namespace raftor::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// One peer connection's byte stream: plain TCP, or TLS over it.
class PeerStream {
public:
    PeerStream(asio::io_context& io, ssl::context* tls) : sock_(io) {
        if (tls) tls_.emplace(sock_, *tls);
    }
    PeerStream(tcp::socket s, ssl::context* tls) : sock_(std::move(s)) {
        if (tls) tls_.emplace(sock_, *tls);
    }
    tcp::socket& socket() { return sock_; }
    SSL* native_handle() { return tls_ ? tls_->native_handle() : nullptr; }

    // Client side: the certificate must name `host` (an IP address or a DNS name).
    template <class H>
    void handshake_client(const std::string& host, H&& h) {
        if (!tls_) return h(boost::system::error_code{});
        tls_->set_verify_callback(ssl::host_name_verification(host));
        // SNI, for peers behind a TLS-terminating proxy; not for IP addresses.
        boost::system::error_code ec;
        asio::ip::make_address(host, ec);
        if (ec) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
        tls_->async_handshake(ssl::stream_base::client, std::forward<H>(h));
    }
    template <class H>
    void handshake_server(H&& h) {
        if (!tls_) return h(boost::system::error_code{});
        tls_->async_handshake(ssl::stream_base::server, std::forward<H>(h));
    }
    template <class B, class H>
    void write(const B& buf, H&& h) {
        if (tls_)
            asio::async_write(*tls_, buf, std::forward<H>(h));
        else
            asio::async_write(sock_, buf, std::forward<H>(h));
    }
    template <class B, class H>
    void read_some(const B& buf, H&& h) {
        if (tls_)
            tls_->async_read_some(buf, std::forward<H>(h));
        else
            sock_.async_read_some(buf, std::forward<H>(h));
    }
    // Hard close: a peer connection carries nothing worth a TLS close_notify wait.
    void close() {
        boost::system::error_code ignored;
        sock_.close(ignored);
    }

private:
    tcp::socket sock_;
    std::optional<ssl::stream<tcp::socket&>> tls_;
};

std::string joined(const std::vector<std::string>& names) {
    if (names.empty()) return "nothing";
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
}

// A peer whose host vanished (power loss, a cut cable) leaves a connection that never
// errors: TCP keepalive finds it in about a minute (30 s idle, then 3 probes 10 s
// apart), so the link is redialled. Only proven members hold a connection past the
// handshake's deadline, so idle is not otherwise a threat.
void keep_alive(tcp::socket& s) {
    boost::system::error_code ignored;
    s.set_option(asio::socket_base::keep_alive(true), ignored);
    const int idle = 30, interval = 10, probes = 3;
    ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
}

}  // namespace

struct TcpTransport::Impl {
    struct Outbound;
    struct Inbound;

    TcpOptions opts;
    OnFrame on_frame;
    OnLog on_log;
    OnHello on_hello;
    std::unique_ptr<EventLoop> own_loop;  // when no loop was given: a thread of its own
    EventLoop& loop;
    asio::io_context& io;
    std::optional<ssl::context> tls;  // set by bind() when TLS is configured
    tcp::acceptor acceptor{io};
    asio::steady_timer accept_timer{io};
    std::atomic<bool> started{false}, stopped{false};
    std::map<std::uint64_t, std::shared_ptr<Outbound>> peers;  // I/O thread only
    std::set<std::shared_ptr<Inbound>> inbound;                // I/O thread only
    std::mt19937_64 jitter{std::random_device{}()};
    bool stopping = false;
    mutable std::mutex stats_mu;
    std::map<std::uint64_t, PeerStats> out_stats;
    PeerStats in_stats;
    std::map<std::uint64_t, std::string> names;  // for log lines; I/O thread only

    std::string name_of(std::uint64_t id) const {
        auto it = names.find(id);
        return it == names.end() ? std::to_string(id) : it->second;
    }

    Impl(TcpOptions o, OnFrame f, OnLog l, EventLoop* shared)
        : opts(std::move(o)),
          on_frame(std::move(f)),
          on_log(std::move(l)),
          own_loop(shared ? nullptr : std::make_unique<EventLoop>()),
          loop(shared ? *shared : *own_loop),
          io(loop.context()) {}

    template <class F>
    void count(std::uint64_t id, F&& f) {
        std::lock_guard<std::mutex> lock(stats_mu);
        f(out_stats[id]);
    }
    template <class F>
    void count_in(F&& f) {
        std::lock_guard<std::mutex> lock(stats_mu);
        f(in_stats);
    }

    void accept();
};

// One connection to one peer: frames we send go out on it.
struct TcpTransport::Impl::Outbound : std::enable_shared_from_this<Outbound> {
    Impl& impl;
    std::uint64_t id;
    std::string host;
    std::uint16_t port;
    std::shared_ptr<PeerStream> stream;  // a fresh one per connection attempt (TLS state is per connection)
    tcp::resolver resolver;
    asio::steady_timer timer;       // backoff between attempts
    asio::steady_timer deadline;    // the handshake's
    std::deque<std::string> queue;  // payloads, framed (and tagged) as they are written
    std::size_t queued_bytes = 0;
    bool connected = false, connecting = false, writing = false;
    bool closed = false;  // replaced or stopped: never reconnect
    std::uint32_t backoff_ms;
    // The handshake in progress, and the tags of this connection's frames.
    std::string hs_out, wire, nonce;
    FrameDecoder hs_decoder;
    std::array<char, 4096> hs_buf{};
    std::unique_ptr<FrameMac> mac;
    // Peer protocol 2: the listener welcomed us at 2 or later, so the marker goes out
    // next (switch_pending) and every frame after it is packed (packing).
    bool switch_pending = false, packing = false;

    Outbound(Impl& i, std::uint64_t peer, std::string h, std::uint16_t p)
        : impl(i),
          id(peer),
          host(std::move(h)),
          port(p),
          resolver(i.io),
          timer(i.io),
          deadline(i.io),
          backoff_ms(i.opts.backoff_min_ms) {}

    void kick() {
        if (impl.stopping || closed) return;
        if (!connected && !connecting)
            connect();
        else if (connected && !writing)
            write_next();
    }

    void connect() {
        connecting = true;
        stream = std::make_shared<PeerStream>(impl.io, impl.tls ? &*impl.tls : nullptr);
        auto self = shared_from_this();
        resolver.async_resolve(host, std::to_string(port), [self](auto ec, tcp::resolver::results_type results) {
            if (ec) return self->retry("resolve " + self->host + ": " + ec.message());
            asio::async_connect(self->stream->socket(), results, [self](auto ec2, const tcp::endpoint&) {
                if (ec2)
                    return self->retry("connect to " + self->host + ":" + std::to_string(self->port) + ": " +
                                       ec2.message());
                boost::system::error_code ignored;
                self->stream->socket().set_option(tcp::no_delay(true), ignored);
                keep_alive(self->stream->socket());
                // A peer that accepts and then says nothing must not hold the link forever.
                self->deadline.expires_after(std::chrono::milliseconds(self->impl.opts.handshake_timeout_ms));
                self->deadline.async_wait([self, s = self->stream](auto ec4) {
                    if (!ec4 && s == self->stream && !self->connected) s->close();
                });
                self->stream->handshake_client(self->host, [self](const boost::system::error_code& ec3) {
                    if (ec3) return self->retry("TLS handshake with " + self->host + ": " + tls_error(ec3), true);
                    if (self->impl.tls) {
                        const auto names = peer_certificate_names(self->stream->native_handle());
                        const std::string member = self->impl.name_of(self->id);
                        if (!certificate_names_member(names, member))
                            return self->retry("the certificate at " + self->host + " does not name member '" + member +
                                                   "' (it names " + joined(names) + ")",
                                               true);
                    }
                    self->send_hello();
                });
            });
        });
    }

    void send_hello() {
        const auto& o = impl.opts;
        nonce = o.secret() ? random_nonce() : std::string();
        hs_out = encode_frame(encode_hello(Hello{o.protocol_version, o.min_protocol_version, o.cluster_id, o.node_id,
                                                 o.http_address, id, nonce, o.https_address}));
        auto self = shared_from_this();
        stream->write(asio::buffer(hs_out), [self, s = stream](auto ec, std::size_t n) {
            if (s != self->stream) return;
            if (ec) return self->retry("write: " + ec.message());
            self->impl.count(self->id, [n](PeerStats& st) { st.bytes_out += n; });
            self->hs_decoder = FrameDecoder(self->impl.opts.handshake_frame_bytes_max);
            if (!self->impl.opts.secret()) return self->established();
            self->read_challenge();
        });
    }

    // The listener's nonce and proof: it holds the secret and is the node we dialled.
    void read_challenge() {
        auto self = shared_from_this();
        stream->read_some(asio::buffer(hs_buf), [self, s = stream](auto ec, std::size_t n) {
            if (s != self->stream) return;
            if (ec) return self->retry("handshake with " + self->host + ": " + ec.message());
            if (!self->hs_decoder.feed(self->hs_buf.data(), n))
                return self->retry("handshake with " + self->host + ": " + self->hs_decoder.error(), true);
            auto f = self->hs_decoder.next();
            if (!f) return self->read_challenge();
            HelloProof theirs;
            if (auto why = decode_proof(*f, theirs)) return self->retry(*why, true);
            const auto& o = self->impl.opts;
            const HandshakeIds ids{o.cluster_id, o.node_id, self->id, self->nonce, theirs.nonce};
            // Whichever of our secrets the listener proved is the one both hold.
            const std::string* shared = nullptr;
            if (theirs.nonce.size() == nonce_bytes)
                for (const auto& s : o.cluster_secrets)
                    if (same_bytes(theirs.proof, handshake_proof(s, ids, ProofSide::listener))) shared = &s;
            if (!shared)
                return self->retry(self->host + ":" + std::to_string(self->port) +
                                       " failed the cluster-secret proof (a different secret, or not " +
                                       self->impl.name_of(self->id) + ")",
                                   true);
            self->mac = std::make_unique<FrameMac>(session_key(*shared, ids));
            self->hs_out =
                encode_frame(encode_proof(HelloProof{{}, handshake_proof(*shared, ids, ProofSide::dialler)}));
            self->stream->write(asio::buffer(self->hs_out), [self, s2 = self->stream](auto ec2, std::size_t n2) {
                if (s2 != self->stream) return;
                if (ec2) return self->retry("write: " + ec2.message());
                self->impl.count(self->id, [n2](PeerStats& st) { st.bytes_out += n2; });
                self->established();
            });
        });
    }

    void established() {
        deadline.cancel();
        connecting = false;
        connected = true;
        backoff_ms = impl.opts.backoff_min_ms;
        impl.count(id, [](PeerStats& s) {
            ++s.connects;
            s.protocol = 1;  // until a welcome says more
        });
        write_next();
        if (impl.opts.protocol_version >= packed_protocol_version) read_welcome();
    }

    // A listener of protocol 2 or later answers our hello with its own; one of 1 says
    // nothing, and this read then waits for nothing (frames go out meanwhile, flat).
    void read_welcome() {
        if (auto f = hs_decoder.next()) return accept_welcome(*f);
        auto self = shared_from_this();
        stream->read_some(asio::buffer(hs_buf), [self, s = stream](auto ec, std::size_t n) {
            if (s != self->stream || ec) return;  // a broken link shows on the next write
            if (!self->hs_decoder.feed(self->hs_buf.data(), n))
                return self->retry("welcome from " + self->host + ": " + self->hs_decoder.error(), true);
            self->read_welcome();
        });
    }

    void accept_welcome(const std::string& frame) {
        const auto& o = impl.opts;
        Hello theirs;
        auto why =
            check_hello(frame, Hello{o.protocol_version, o.min_protocol_version, o.cluster_id, o.node_id}, theirs);
        if (!why && theirs.node_id != id)
            why = "it answers as node " + std::to_string(theirs.node_id) + ", not " + impl.name_of(id);
        if (why) return retry("welcome from " + host + ": " + *why, true);
        if (std::min(theirs.protocol_version, o.protocol_version) < packed_protocol_version) return;
        switch_pending = true;
        if (!writing) write_next();
    }

    // Capped exponential backoff with jitter, so restarted peers are not stampeded.
    // A refused certificate or proof is always logged; a peer that is merely down only
    // once the backoff is long (it is expected while a peer restarts).
    void retry(const std::string& why, bool always_log = false) {
        // A connection that was up and broke is news every time; failed dials are not.
        if (connected && !impl.stopping && !closed) {
            impl.on_log("peer " + impl.name_of(id) + ": connection dropped: " + why);
            always_log = false;
        }
        if (stream) stream->close();
        deadline.cancel();
        mac.reset();
        connected = connecting = writing = false;
        switch_pending = packing = false;
        impl.count(id, [](PeerStats& s) { s.protocol = 0; });
        if (impl.stopping || closed) return;
        if (always_log || backoff_ms >= impl.opts.backoff_max_ms / 2)
            impl.on_log("peer " + impl.name_of(id) + ": " + why);
        const std::uint32_t wait = backoff_ms / 2 + static_cast<std::uint32_t>(impl.jitter() % (backoff_ms / 2 + 1));
        backoff_ms = std::min(backoff_ms * 2, impl.opts.backoff_max_ms);
        connecting = true;
        timer.expires_after(std::chrono::milliseconds(wait));
        auto self = shared_from_this();
        timer.async_wait([self](auto ec) {
            self->connecting = false;
            if (!ec) self->kick();
        });
    }

    void write_next() {
        if ((queue.empty() && !switch_pending) || impl.stopping) {
            writing = false;
            return;
        }
        writing = true;
        // Framed (packed, tagged) now: a tag belongs to this connection and its sequence.
        const bool marker = switch_pending;
        std::string packed;
        std::string_view payload = marker ? packed_marker : std::string_view(queue.front());
        if (packing) payload = packed = pack_frame(payload);
        const std::string tag = mac ? mac->seal(payload) : std::string();
        wire.clear();
        wire.reserve(frame_header_bytes + payload.size() + tag.size());
        wire.append(encode_frame_header(payload.size() + tag.size())).append(payload).append(tag);
        auto self = shared_from_this();
        stream->write(asio::buffer(wire), [self, s = stream, marker](auto ec, std::size_t n) {
            if (s != self->stream) return;                         // a write of a connection since replaced
            if (ec) return self->retry("write: " + ec.message());  // the frame stays queued
            if (marker) {
                self->switch_pending = false;
                self->packing = true;
                if (self->mac) self->mac->shorten();
            } else {
                self->queued_bytes -= self->queue.front().size();
                self->queue.pop_front();
            }
            self->impl.count(self->id, [n, marker](PeerStats& st) {
                st.frames_out += marker ? 0 : 1;
                st.bytes_out += n;
                if (marker) st.protocol = packed_protocol_version;
            });
            self->write_next();
        });
    }

    void enqueue(std::string payload) {
        if (queued_bytes + payload.size() > impl.opts.queue_bytes_max) {
            impl.count(id, [](PeerStats& s) { ++s.frames_dropped; });
            return;
        }
        queued_bytes += payload.size();
        queue.push_back(std::move(payload));
        kick();
    }

    void close() {
        closed = true;
        timer.cancel();
        deadline.cancel();
        resolver.cancel();
        if (stream) stream->close();
    }
};

// One connection from a peer: frames come in on it.
struct TcpTransport::Impl::Inbound : std::enable_shared_from_this<Inbound> {
    enum class Phase { tls, hello, proof, open };
    Impl& impl;
    PeerStream stream;
    FrameDecoder decoder;
    asio::steady_timer deadline;
    std::array<char, 64 * 1024> buf{};
    std::string remote;
    Phase phase = Phase::tls;
    std::uint64_t peer = 0;  // who it is, once its hello is read
    HandshakeIds ids;        // with a cluster secret
    std::string hs_out;
    std::unique_ptr<FrameMac> mac;
    bool closed = false;
    std::uint32_t dialler_version = 0;
    bool welcomed = false;  // we answered at protocol 2 or later: the dialler may switch to packed frames
    bool packed = false;    // it did: every frame since its marker is packed
    std::string welcome_out;
    bool first_read = true;

    Inbound(Impl& i, tcp::socket s)
        : impl(i),
          stream(std::move(s), i.tls ? &*i.tls : nullptr),
          decoder(i.opts.handshake_frame_bytes_max),
          deadline(i.io) {
        boost::system::error_code ec;
        const auto ep = stream.socket().remote_endpoint(ec);
        remote = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
    }

    void refuse(const std::string& why) {
        impl.count_in([](PeerStats& s) { ++s.rejected_connections; });
        impl.on_log("refusing peer connection from " + remote + ": " + why);
        close();
    }

    // TLS first (a peer without a certificate from our CA goes no further), then the
    // hello (and the proofs), all within the handshake's deadline; then frames.
    void start() {
        auto self = shared_from_this();
        deadline.expires_after(std::chrono::milliseconds(impl.opts.handshake_timeout_ms));
        deadline.async_wait([self](auto ec) {
            if (!ec && self->phase != Phase::open && !self->closed)
                self->refuse("no handshake within " + std::to_string(self->impl.opts.handshake_timeout_ms) + " ms");
        });
        stream.handshake_server([self](const boost::system::error_code& ec) {
            if (self->closed) return;
            if (ec) return self->refuse("TLS handshake: " + tls_error(ec));
            self->phase = Phase::hello;
            self->read();
        });
    }

    void read() {
        auto self = shared_from_this();
        stream.read_some(asio::buffer(buf), [self](auto ec, std::size_t n) {
            if (self->closed) return;
            if (ec) {
                // A dialler that hangs up on our proof did not take it (another secret).
                if (self->phase == Phase::proof && !self->impl.stopping && ec != asio::error::operation_aborted)
                    return self->refuse("node " + self->impl.name_of(self->peer) +
                                        " hung up during the cluster-secret handshake (it did not accept our proof)");
                if (self->phase == Phase::open && !self->impl.stopping && ec != asio::error::operation_aborted)
                    self->impl.on_log("peer " + self->impl.name_of(self->peer) + ": connection from " + self->remote +
                                      " dropped: " + ec.message());
                return self->close();
            }
            if (std::exchange(self->first_read, false) && self->phase == Phase::hello &&
                std::string_view(self->buf.data(), n).substr(0, 4) == "GET ")
                return self->answer_http(std::string_view(self->buf.data(), n));
            if (!self->decoder.feed(self->buf.data(), n)) {
                self->impl.count_in([](PeerStats& s) { ++s.rejected_connections; });
                self->impl.on_log("closing peer connection from " + self->remote + ": " + self->decoder.error());
                return self->close();
            }
            while (auto f = self->decoder.next()) {
                if (self->phase == Phase::hello) {
                    if (!self->accept_hello(*f)) return;
                    continue;
                }
                if (self->phase == Phase::proof) {
                    if (!self->accept_proof(*f)) return;
                    continue;
                }
                if (self->mac && !self->mac->open(*f)) {
                    self->impl.count_in([](PeerStats& s) { ++s.rejected_connections; });
                    self->impl.on_log("closing peer connection from " + self->remote + " (" +
                                      self->impl.name_of(self->peer) +
                                      "): a frame failed its integrity check (forged, altered or replayed)");
                    return self->close();
                }
                const std::size_t size = f->size();
                const Got got = self->unpacked(*f);
                if (got == Got::bad) return;
                if (got == Got::marker) continue;
                {
                    // Totals, and the peer's own figures (its row also has our frames to it).
                    std::lock_guard<std::mutex> lock(self->impl.stats_mu);
                    for (PeerStats* s : {&self->impl.in_stats, &self->impl.out_stats[self->peer]}) {
                        ++s->frames_in;
                        s->bytes_in += size;
                    }
                }
                self->impl.on_frame(self->peer, std::move(*f));
            }
            self->read();
        });
    }

    // An HTTP GET where a hello belongs: `GET /ping` (the operator's latency check
    // between hosts, as etcd's peer port answers one) gets `pong`, anything else a 400
    // that says what this port is. Nothing about the node or the cluster is told, and
    // the connection closes after the answer: it never reaches the Raft core.
    void answer_http(std::string_view request) {
        const bool ping =
            request.substr(4, 6) == "/ping " || request.substr(4, 6) == "/ping\r" || request.substr(4, 6) == "/ping?";
        const std::string body = ping ? "pong\n"
                                      : "this is a raftor peer port: it speaks the peer protocol; GET /ping answers "
                                        "pong\n";
        hs_out = std::string(ping ? "HTTP/1.1 200 OK" : "HTTP/1.1 400 Bad Request") +
                 "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\nConnection: close\r\n\r\n" + body;
        auto self = shared_from_this();
        stream.write(asio::buffer(hs_out), [self](auto, std::size_t) { self->close(); });
    }

    bool accept_hello(const std::string& frame) {
        const auto& o = impl.opts;
        Hello theirs;
        if (auto why = check_hello(frame, Hello{o.protocol_version, o.min_protocol_version, o.cluster_id, o.node_id},
                                   theirs)) {
            refuse(*why);
            return false;
        }
        if (theirs.node_id == 0 || theirs.node_id == o.node_id) {
            refuse("node id " + std::to_string(theirs.node_id) + " is not a peer's");
            return false;
        }
        if (impl.tls) {
            // The certificate must name the member the hello speaks for.
            auto known = impl.names.find(theirs.node_id);
            if (known == impl.names.end()) {
                refuse("node " + std::to_string(theirs.node_id) + " is not a member this node knows");
                return false;
            }
            const auto names = peer_certificate_names(stream.native_handle());
            if (!certificate_names_member(names, known->second)) {
                refuse("its hello speaks for member '" + known->second + "' but its certificate names " +
                       joined(names));
                return false;
            }
        }
        peer = theirs.node_id;
        dialler_version = theirs.protocol_version;
        if (o.secret()) {
            if (theirs.to_node_id != o.node_id) {
                refuse("it dialled node " + std::to_string(theirs.to_node_id) + ", this is node " +
                       std::to_string(o.node_id));
                return false;
            }
            if (theirs.nonce.size() != nonce_bytes) {
                refuse("no cluster-secret handshake (this node requires one: peer.secretFile)");
                return false;
            }
            ids = HandshakeIds{o.cluster_id, theirs.node_id, o.node_id, theirs.nonce, random_nonce()};
            hs_out = encode_frame(encode_proof(
                HelloProof{ids.listener_nonce, handshake_proof(o.cluster_secrets.front(), ids, ProofSide::listener)}));
            auto self = shared_from_this();
            stream.write(asio::buffer(hs_out), [self](auto ec, std::size_t) {
                if (ec && !self->closed) self->close();
            });
            phase = Phase::proof;
            http_address = theirs.http_address;
            https_address = theirs.https_address;
            return true;
        }
        http_address = theirs.http_address;
        https_address = theirs.https_address;
        open();
        return true;
    }

    bool accept_proof(const std::string& frame) {
        const auto& o = impl.opts;
        HelloProof theirs;
        if (auto why = decode_proof(frame, theirs)) {
            refuse(*why);
            return false;
        }
        const std::string* shared = nullptr;
        for (const auto& s : o.cluster_secrets)
            if (same_bytes(theirs.proof, handshake_proof(s, ids, ProofSide::dialler))) shared = &s;
        if (!shared) {
            refuse("node " + impl.name_of(peer) + " failed the cluster-secret proof (a different secret?)");
            return false;
        }
        mac = std::make_unique<FrameMac>(session_key(*shared, ids));
        open();
        return true;
    }

    // Proven (or nothing to prove): frames may now be as large as Raft's. A dialler of
    // protocol 2 or later hears our hello back, and may then switch to packed frames.
    void open() {
        phase = Phase::open;
        deadline.cancel();
        // A packed frame is at most 1/8 (its tags) larger than what it packs, and a pad byte.
        const std::size_t max = impl.opts.frame_bytes_max;
        decoder.set_limit(max + max / 8 + 2 + (mac ? frame_tag_bytes : 0));
        if (dialler_version >= packed_protocol_version && impl.opts.protocol_version >= packed_protocol_version) {
            const auto& o = impl.opts;
            welcome_out = encode_frame(encode_hello(Hello{o.protocol_version,
                                                          o.min_protocol_version,
                                                          o.cluster_id,
                                                          o.node_id,
                                                          o.http_address,
                                                          peer,
                                                          {},
                                                          o.https_address}));
            welcomed = true;
            auto self = shared_from_this();
            stream.write(asio::buffer(welcome_out), [self](auto ec, std::size_t) {
                if (ec && !self->closed) self->close();
            });
        }
        if (impl.on_hello) impl.on_hello(peer, http_address, https_address, dialler_version);
    }

    // Turns a frame (its tag already checked) into what the dialler sent: its marker
    // switches the connection to packed frames (and leaves `f` empty), and packed frames
    // are unpacked. False, and the connection closed, when it is not what it claims.
    enum class Got { frame, marker, bad };
    Got unpacked(std::string& f) {
        auto bad = [&](const std::string& why) {
            impl.count_in([](PeerStats& s) { ++s.rejected_connections; });
            impl.on_log("closing peer connection from " + remote + " (" + impl.name_of(peer) + "): " + why);
            close();
            return Got::bad;
        };
        if (!packed) {
            if (f != packed_marker) {
                if (f.size() > impl.opts.frame_bytes_max)
                    return bad("a frame of " + std::to_string(f.size()) + " bytes (the limit is " +
                               std::to_string(impl.opts.frame_bytes_max) + ")");
                return Got::frame;
            }
            if (!welcomed) return bad("it switched to packed frames without our welcome");
            packed = true;
            if (mac) mac->shorten();
            return Got::marker;
        }
        std::string error;
        auto out = unpack_frame(f, impl.opts.frame_bytes_max, error);
        if (!out) return bad(error);
        f = std::move(*out);
        return Got::frame;
    }

    void close() {
        if (closed) return;
        closed = true;
        deadline.cancel();
        stream.close();
        impl.inbound.erase(shared_from_this());
    }

    std::string http_address, https_address;
};

void TcpTransport::Impl::accept() {
    acceptor.async_accept([this](auto ec, tcp::socket s) {
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) return;
            on_log("accept: " + ec.message());
            // Out of descriptors (or another passing failure): wait before accepting
            // again instead of spinning on the error.
            accept_timer.expires_after(std::chrono::milliseconds(100));
            accept_timer.async_wait([this](auto ec2) {
                if (!ec2 && !stopping) accept();
            });
            return;
        }
        if (inbound.size() >= opts.inbound_connections_max) {
            count_in([](PeerStats& st) { ++st.rejected_connections; });
            boost::system::error_code ignored;
            const auto ep = s.remote_endpoint(ignored);
            on_log("refusing peer connection from " + (ignored ? std::string("?") : ep.address().to_string()) +
                   ": already " + std::to_string(inbound.size()) + " inbound connections (the limit)");
            s.close(ignored);
        } else {
            keep_alive(s);
            auto conn = std::make_shared<Inbound>(*this, std::move(s));
            inbound.insert(conn);
            conn->start();
        }
        accept();
    });
}

TcpTransport::TcpTransport(TcpOptions opts, OnFrame on_frame, OnLog on_log, EventLoop* loop)
    : impl_(std::make_unique<Impl>(std::move(opts), std::move(on_frame), std::move(on_log), loop)) {}

TcpTransport::~TcpTransport() {
    stop();
}

std::string TcpTransport::bind() {
    if (impl_->opts.tls()) {
        impl_->tls.emplace(ssl::context::tls);
        const auto& o = impl_->opts;
        if (auto e = load_mutual(*impl_->tls, o.tls_ca_file, o.tls_cert_file, o.tls_key_file); !e.empty()) return e;
    }
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(impl_->opts.listen_host, ec);
    if (ec) return "listen address '" + impl_->opts.listen_host + "': " + ec.message();
    const tcp::endpoint ep(addr, impl_->opts.listen_port);
    auto& a = impl_->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return "listen on " + impl_->opts.listen_host + ":" + std::to_string(impl_->opts.listen_port) + ": " +
               ec.message();
    bound_port_ = a.local_endpoint().port();
    return {};
}

void TcpTransport::set_peer(std::uint64_t id, std::string host, std::uint16_t port, std::string name) {
    asio::post(impl_->io, [impl = impl_.get(), id, host = std::move(host), port, name = std::move(name)] {
        impl->names[id] = name.empty() ? std::to_string(id) : name;
        auto& slot = impl->peers[id];
        if (slot) slot->close();
        slot = std::make_shared<Impl::Outbound>(*impl, id, host, port);
        // Dial at once: the hello tells the peer who we are (and where our HTTP is)
        // before there is anything to send.
        slot->kick();
    });
}

void TcpTransport::start() {
    impl_->started.store(true);
    impl_->accept();
    if (impl_->own_loop) impl_->own_loop->start("raftor-peers");
}

void TcpTransport::stop() {
    // Callable from any thread, any number of times; the first call does it. Never
    // blocks on the loop's own thread (an actor there may be what drops us last).
    if (!impl_ || !impl_->started.load() || impl_->stopped.exchange(true)) return;
    auto close_all = [impl = impl_.get()] {
        impl->stopping = true;
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
        impl->accept_timer.cancel();
        for (auto& [id, p] : impl->peers) p->close();
        auto in = impl->inbound;
        for (auto& c : in) c->close();
        impl->peers.clear();
        impl->inbound.clear();
    };
    if (impl_->own_loop) {
        asio::post(impl_->io, close_all);
        impl_->own_loop->stop(std::chrono::seconds(5));
        return;
    }
    // A shared loop goes on; its owner stops it before destroying us, so what the
    // closes leave to run still finds this object.
    if (impl_->loop.on_loop_thread()) return close_all();
    asio::post(impl_->io, close_all);
}

void TcpTransport::send(std::uint64_t to, std::string payload) {
    asio::post(impl_->io, [impl = impl_.get(), to, payload = std::move(payload)]() mutable {
        auto it = impl->peers.find(to);
        if (it == impl->peers.end()) return;
        it->second->enqueue(std::move(payload));
    });
}

void TcpTransport::send(std::vector<std::pair<std::uint64_t, std::string>> frames) {
    if (frames.empty()) return;
    asio::post(impl_->io, [impl = impl_.get(), frames = std::move(frames)]() mutable {
        for (auto& [to, payload] : frames) {
            auto it = impl->peers.find(to);
            if (it != impl->peers.end()) it->second->enqueue(std::move(payload));
        }
    });
}

PeerStats TcpTransport::stats() const {
    std::lock_guard<std::mutex> lock(impl_->stats_mu);
    PeerStats total = impl_->in_stats;
    for (const auto& [id, s] : impl_->out_stats) {
        total.frames_out += s.frames_out;
        total.bytes_out += s.bytes_out;
        total.frames_dropped += s.frames_dropped;
        total.connects += s.connects;
    }
    return total;
}

std::map<std::uint64_t, PeerStats> TcpTransport::peer_stats() const {
    std::lock_guard<std::mutex> lock(impl_->stats_mu);
    return impl_->out_stats;
}

void TcpTransport::on_hello(OnHello f) {
    impl_->on_hello = std::move(f);
}

}  // namespace raftor::net
