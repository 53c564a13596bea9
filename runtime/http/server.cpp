#include "runtime/http/server.hpp"

#include <atomic>
// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "runtime/common/host_port.hpp"
#include "runtime/http/client_async.hpp"
#include "runtime/http/errors.hpp"
#include "runtime/net/event_loop.hpp"
#include "runtime/net/tls_files.hpp"

namespace raftor::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
    explicit Impl(asio::io_context& ctx) : io(ctx) {}
    ServerOptions opts;
    Handler handler;
    OnLog on_log;
    // Connections open, in all and by client address, under conn_mu: a session ends
    // where its last reference goes, which may be an actor thread holding the reply.
    // Declared before the io_context: sessions still queued in it count themselves out
    // when it goes.
    std::mutex conn_mu;
    std::size_t connections = 0;
    std::unordered_map<std::string, std::size_t> per_client;
    // How to close each open session (by its address), so a shutdown can end idle
    // keep-alive connections on a loop that goes on; under conn_mu.
    std::unordered_map<const void*, std::function<void()>> closers;
    asio::io_context& io;  // the node's event loop: every handler below runs on its thread
    tcp::acceptor acceptor{io};
    tcp::acceptor tls_acceptor{io};  // HTTPS, when configured
    std::optional<asio::ssl::context> tls;
    std::optional<asio::ssl::context> forward_tls;  // the client side, for forwarding
    std::atomic<std::size_t> in_flight{0};
    std::atomic<bool> stopping{false};
    std::uint16_t port = 0, tls_port = 0;
    std::chrono::steady_clock::time_point last_refusal_log{};

    template <class Stream>
    struct Session;
    void accept();
    void accept_tls();
    // Whether a new connection from `addr` fits; if not it is answered and closed here.
    bool admit(tcp::socket& s, const std::string& addr);
    // After an accept error (EMFILE, ENFILE, ENOBUFS): wait before accepting again, or
    // the loop spins on the same error.
    void pause_then(std::function<void()> again);
};

// One client connection; Stream is beast::tcp_stream, or TLS over it.
template <class Stream>
struct HttpServer::Impl::Session : std::enable_shared_from_this<Session<Stream>> {
    using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
    std::shared_ptr<Impl> owner;  // outlives its sessions, which may end after the server object
    Impl& srv;
    Stream stream;
    beast::flat_buffer buffer;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser;
    std::shared_ptr<Request> current;  // the request being answered (shared with the handler: no copy)
    bool keep_alive = false;
    bool head = false;  // a HEAD request: answer without a body
    unsigned version = 11;
    std::string remote, client;  // "address:port", and the address alone (counted in per_client)

    template <class... Extra>
    Session(Impl& s, tcp::socket sock, std::string addr, Extra&... extra)
        : owner(s.shared_from_this()), srv(s), stream(std::move(sock), extra...), client(std::move(addr)) {
        beast::error_code ec;
        auto ep = socket().remote_endpoint(ec);
        if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
        std::lock_guard<std::mutex> lock(srv.conn_mu);
        ++srv.connections;
        ++srv.per_client[client];
    }
    ~Session() {
        std::lock_guard<std::mutex> lock(srv.conn_mu);
        srv.closers.erase(this);
        --srv.connections;
        auto it = srv.per_client.find(client);
        if (it != srv.per_client.end() && --it->second == 0) srv.per_client.erase(it);
    }
    tcp::socket& socket() { return beast::get_lowest_layer(stream).socket(); }

    // Registered once it is owned (shared_from_this), before its first read.
    std::shared_ptr<Session> tracked() {
        auto self = shared_from_this();
        std::lock_guard<std::mutex> lock(srv.conn_mu);
        srv.closers[this] = [weak = std::weak_ptr<Session>(self)] {
            if (auto s = weak.lock()) s->close();
        };
        return self;
    }

    // TLS first; a client that does not complete the handshake in time is dropped.
    void handshake() {
        beast::get_lowest_layer(stream).expires_after(srv.opts.idle_timeout);
        stream.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->close();
            self->read();
        });
    }

    void read() {
        parser.emplace();
        parser->body_limit(srv.opts.body_bytes_max);
        parser->header_limit(static_cast<std::uint32_t>(srv.opts.header_bytes_max));
        beast::get_lowest_layer(stream).expires_after(srv.opts.idle_timeout);
        bhttp::async_read(stream, buffer, *parser,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
            ec == asio::error::operation_aborted || ec == asio::error::connection_reset)
            return close();
        keep_alive = false;
        head = false;
        version = 11;
        if (ec == bhttp::error::body_limit) {
            ++srv.in_flight;
            return write(error_response(413, "body_too_large", "request body too large",
                                        "the limit is " + std::to_string(srv.opts.body_bytes_max) + " bytes"));
        }
        if (ec == bhttp::error::header_limit) {
            ++srv.in_flight;
            return write(error_response(431, "headers_too_large", "request headers too large",
                                        "the limit is " + std::to_string(srv.opts.header_bytes_max) + " bytes"));
        }
        if (ec) {
            // Not HTTP, or broken HTTP: say so once and hang up.
            ++srv.in_flight;
            return write(error_response(400, "bad_request", "malformed HTTP request", ec.message()));
        }
        auto& req = parser->get();
        keep_alive = req.keep_alive();
        version = req.version();
        head = req.method() == bhttp::verb::head;
        current = std::make_shared<Request>();
        current->method = std::string(req.method_string());
        current->target = std::string(req.target());
        for (const auto& f : req) {
            std::string name(f.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            current->headers[name] = std::string(f.value());
        }
        current->body = std::move(req.body());
        current->remote = remote;
        ++srv.in_flight;
        auto once = std::make_shared<std::atomic<bool>>(false);
        Reply reply = [self = shared_from_this(), once](Response r) {
            if (once->exchange(true)) return;
            asio::post(self->stream.get_executor(),
                       [self, r = std::move(r)]() mutable { self->respond(std::move(r)); });
        };
        srv.handler(current, std::move(reply));
    }

    void respond(Response r) {
        if (r.proxy_to.empty()) return write(std::move(r));
        ClientRequest fwd;
        if (!common::split_host_port(r.proxy_to, fwd.host, fwd.port))
            return write(error_response(502, "bad_leader_address", "cannot forward to the leader",
                                        "its address '" + r.proxy_to + "' is not host:port"));
        fwd.method = current->method;
        fwd.target = current->target;
        fwd.body = current->body;
        fwd.timeout = srv.opts.proxy_timeout;
        fwd.tls = srv.forward_tls.has_value();
        fwd.expect_member = r.proxy_member;
        // The request ids too: a retry through a follower must still be recognized.
        for (const char* h : {"authorization", "x-api-key", "content-type", "accept", "x-client-id", "x-request-seq"})
            if (auto v = current->header(h)) fwd.headers.emplace_back(h, *v);
        fwd.headers.emplace_back(forwarded_header, srv.opts.self_address.empty() ? "?" : srv.opts.self_address);
        const auto* original = current->header(client_address_header);  // only a member's survives
        fwd.headers.emplace_back(client_address_header, original ? *original : client);
        const std::string leader = r.proxy_to;
        auto* client_tls = srv.forward_tls ? &*srv.forward_tls : nullptr;
        async_call(
            srv.io, std::move(fwd),
            [self = shared_from_this(), leader, name = r.proxy_name](ClientResult res) {
                if (!res.ok() && name.empty())
                    return self->write(error_response(503, "leader_unreachable", "the leader did not answer", res.error,
                                                      {{"Retry-After", "1"}}));
                if (!res.ok())
                    return self->write(error_response(503, "member_unreachable", "the member did not answer",
                                                      name + " at " + leader + ": " + res.error,
                                                      {{"Retry-After", "1"}}));
                Response out;
                out.status = res.status;
                out.body = std::move(res.body);
                auto ct = res.headers.find("content-type");
                out.content_type = ct == res.headers.end() ? "application/json" : ct->second;
                for (const char* h : {"retry-after", "location", "www-authenticate", "x-raftor-replayed"}) {
                    auto it = res.headers.find(h);
                    if (it != res.headers.end()) out.headers.emplace_back(h, it->second);
                }
                out.headers.emplace_back("X-Raftor-Forwarded-To", leader);
                self->write(std::move(out));
            },
            client_tls);
    }

    void write(Response r) {
        if (head) return write_head(std::move(r));
        auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
        fill(*res, r);
        res->body() = std::move(r.body);
        res->prepare_payload();
        send(res);
    }

    // HEAD: the headers a GET would have (Content-Length included), no body.
    void write_head(Response r) {
        auto res = std::make_shared<bhttp::response<bhttp::empty_body>>();
        fill(*res, r);
        res->content_length(r.body.size());
        send(res);
    }

    template <class Res>
    void fill(Res& res, const Response& r) {
        res.version(version);
        res.result(static_cast<unsigned>(r.status));
        res.set(bhttp::field::server, "raftor");
        res.set(bhttp::field::content_type, r.content_type);
        for (const auto& [k, v] : r.headers) res.set(k, v);
        res.keep_alive(keep_alive && !srv.stopping.load());
    }

    template <class Res>
    void send(const std::shared_ptr<Res>& res) {
        const bool again = res->keep_alive();
        beast::get_lowest_layer(stream).expires_after(srv.opts.idle_timeout);
        bhttp::async_write(stream, *res, [self = shared_from_this(), res, again](beast::error_code ec, std::size_t) {
            --self->srv.in_flight;
            if (ec || !again) return self->close();
            self->read();
        });
    }

    void close() {
        beast::error_code ignored;
        socket().shutdown(tcp::socket::shutdown_send, ignored);
        socket().close(ignored);
    }
};

namespace {
std::string address_of(const tcp::socket& s) {
    beast::error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (ec) return {};
    auto a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = a.to_v6().to_v4();
    return a.to_string();
}
}  // namespace

bool HttpServer::Impl::admit(tcp::socket& s, const std::string& addr) {
    bool all = false, one = false;
    {
        std::lock_guard<std::mutex> lock(conn_mu);
        all = connections >= opts.connections_max;
        const auto it = per_client.find(addr);
        one = it != per_client.end() && it->second >= opts.connections_per_client_max;
    }
    if (!all && !one) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log > std::chrono::seconds(60)) {
        last_refusal_log = now;
        on_log(std::string("connection from ") + addr + " refused: " +
               (all ? std::to_string(opts.connections_max) + " connections open"
                    : std::to_string(opts.connections_per_client_max) + " connections open from that address"));
    }
    // A short answer the client can read, sent without waiting (the socket buffer is empty).
    static const std::string busy = [] {
        const std::string body =
            "{\"error\":\"too many connections\",\"code\":\"too_many_connections\",\"detail\":\"close idle "
            "connections, or retry\"}\n";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
               "Connection: close\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    beast::error_code ec;
    s.non_blocking(true, ec);
    asio::write(s, asio::buffer(busy), ec);
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
    return false;
}

void HttpServer::Impl::pause_then(std::function<void()> again) {
    auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
    t->async_wait([self = shared_from_this(), t, again = std::move(again)](beast::error_code) {
        if (!self->stopping.load()) again();
    });
}

void HttpServer::Impl::accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
        if (self->stopping.load() || ec == asio::error::operation_aborted) return;
        if (ec) {
            self->on_log("http accept: " + ec.message());
            return self->pause_then([self] { self->accept(); });
        }
        if (auto addr = address_of(s); self->admit(s, addr))
            std::make_shared<Session<beast::tcp_stream>>(*self, std::move(s), addr)->tracked()->read();
        self->accept();
    });
}

void HttpServer::Impl::accept_tls() {
    tls_acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
        if (self->stopping.load() || ec == asio::error::operation_aborted) return;
        if (ec) {
            self->on_log("https accept: " + ec.message());
            return self->pause_then([self] { self->accept_tls(); });
        }
        if (auto addr = address_of(s); self->admit(s, addr))
            std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*self, std::move(s), addr, *self->tls)
                ->tracked()
                ->handshake();
        self->accept_tls();
    });
}

HttpServer::HttpServer(ServerOptions opts, Handler handler, OnLog on_log, net::EventLoop& loop)
    : impl_(std::make_shared<Impl>(loop.context())) {
    impl_->opts = std::move(opts);
    impl_->handler = std::move(handler);
    impl_->on_log = std::move(on_log);
}

HttpServer::~HttpServer() {
    shutdown(std::chrono::milliseconds(0));
}

namespace {
std::string listen_on(tcp::acceptor& a, const std::string& what, const std::string& host, std::uint16_t port) {
    beast::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return what + " listen address '" + host + "': " + ec.message();
    tcp::endpoint ep(addr, port);
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return what + " listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
    return {};
}
}  // namespace

std::string HttpServer::bind() {
    if (auto e = listen_on(impl_->acceptor, "http", impl_->opts.host, impl_->opts.port); !e.empty()) return e;
    impl_->port = impl_->acceptor.local_endpoint().port();
    const auto& o = impl_->opts;
    if (o.tls_cert_file.empty()) return {};
    // HTTPS with the node's certificate; clients authenticate with tokens, and with
    // certificates too when asked (tls.requestCert).
    impl_->tls.emplace(asio::ssl::context::tls_server);
    if (o.tls_request_cert) {
        if (auto e = net::load_mutual(*impl_->tls, o.tls_ca_file, o.tls_cert_file, o.tls_key_file); !e.empty())
            return e;
        boost::system::error_code ec;
        if (!o.tls_reject_unauthorized) {
            // Asked for, not required: a missing or unverified certificate is let through.
            impl_->tls->set_verify_mode(asio::ssl::verify_peer, ec);
            impl_->tls->set_verify_callback([](bool, asio::ssl::verify_context&) { return true; }, ec);
        }
        if (ec) return "tls.requestCert: " + net::tls_error(ec);
    } else if (auto e = net::load_certificate(*impl_->tls, o.tls_cert_file, o.tls_key_file); !e.empty()) {
        return e;
    }
    if (auto e = listen_on(impl_->tls_acceptor, "https", o.tls_host, o.tls_port); !e.empty()) return e;
    impl_->tls_port = impl_->tls_acceptor.local_endpoint().port();
    impl_->forward_tls.emplace(asio::ssl::context::tls_client);
    if (auto e = make_client_context(*impl_->forward_tls, o.tls_ca_file); !e.empty()) return "tls.ca: " + e;
    // Forwarded to a member that asks for client certificates: this node's own.
    if (o.tls_request_cert)
        if (auto e = net::load_certificate(*impl_->forward_tls, o.tls_cert_file, o.tls_key_file); !e.empty()) return e;
    return {};
}

std::uint16_t HttpServer::bound_tls_port() const {
    return impl_->tls_port;
}

std::uint16_t HttpServer::bound_port() const {
    return impl_->port;
}

void HttpServer::start() {
    impl_->accept();
    if (impl_->tls) impl_->accept_tls();
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
    if (impl_->stopping.exchange(true)) return;
    asio::post(impl_->io, [impl = impl_] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
        impl->tls_acceptor.close(ignored);
    });
    // Answer what was received; idle keep-alive connections are simply closed.
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (impl_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    asio::post(impl_->io, [impl = impl_] {
        std::vector<std::function<void()>> close_all;
        {
            std::lock_guard<std::mutex> lock(impl->conn_mu);
            for (const auto& [session, close] : impl->closers) close_all.push_back(close);
        }
        for (const auto& close : close_all) close();
    });
}

}  // namespace raftor::http
