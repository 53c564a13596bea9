#pragma once
// The HTTP server (Boost.Beast) on the node's event loop (net/event_loop.hpp). Each
// request goes to the handler on that loop's thread; the handler must not block: it answers through `Reply`,
// from any thread, exactly once. Bodies over the limit are refused with 413 before
// they reach the handler; a request that is not HTTP gets 400 and the connection
// closes. Responses that name a `proxy_to` are forwarded to that gateway (over HTTPS
// when this node has TLS). With a certificate configured the same API is also served
// over TLS (HTTPS, 8443).
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "runtime/http/message.hpp"

namespace raftor::net {
class EventLoop;
}

namespace raftor::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port (see bound_port())
    std::size_t body_bytes_max = 1 << 20;
    std::size_t header_bytes_max = 16 << 10;
    std::chrono::seconds idle_timeout{60};
    // Open connections, in all and from one client address; beyond them a connection is
    // answered 503 and closed at once.
    std::size_t connections_max = 4096;
    std::size_t connections_per_client_max = 512;
    std::chrono::milliseconds proxy_timeout{10'000};
    std::string self_address;  // "host:port" this gateway is reached at, named when forwarding
    // HTTPS beside plain HTTP when a certificate is given (the node's tls.cert / tls.key).
    std::string tls_cert_file, tls_key_file;
    // With TLS, requests are forwarded to other members over HTTPS only, their
    // certificates checked against this CA (tls.ca) and the member's name.
    std::string tls_ca_file;
    // Client certificates on HTTPS (tls.requestCert, tls.rejectUnauthorized): asked for,
    // checked against tls_ca_file, and (when rejecting) required at the handshake. The
    // node then presents its own certificate when it forwards to another member.
    bool tls_request_cert = false;
    bool tls_reject_unauthorized = true;
    std::string tls_host = "0.0.0.0";
    std::uint16_t tls_port = 8443;  // 0: any free port (see bound_tls_port())
};

class HttpServer {
public:
    using Reply = std::function<void(Response)>;
    // The request is the session's own: the handler may change it before it hands it
    // on, and must not after (the session reads it again to forward it to the leader).
    using Handler = std::function<void(std::shared_ptr<Request>, Reply)>;
    using OnLog = std::function<void(const std::string& line)>;

    // Runs on `loop`, which outlives this server and is stopped before it is destroyed.
    HttpServer(ServerOptions opts, Handler handler, OnLog on_log, net::EventLoop& loop);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds the listener; an empty string on success, else what went wrong.
    std::string bind();
    std::uint16_t bound_port() const;
    std::uint16_t bound_tls_port() const;  // 0 without HTTPS
    void start();
    // Stops accepting; requests already received are answered (up to `grace`); then
    // every connection is closed.
    void shutdown(std::chrono::milliseconds grace);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace raftor::http
