// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on
#include <openssl/x509v3.h>

#include <memory>

#include "runtime/common/host_port.hpp"
#include "runtime/http/client_async.hpp"
#include "runtime/net/tls_files.hpp"

namespace raftor::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One request on a new connection; Stream is beast::tcp_stream, or TLS over it.
template <class Stream>
struct Call : std::enable_shared_from_this<Call<Stream>> {
    using std::enable_shared_from_this<Call<Stream>>::shared_from_this;
    std::shared_ptr<asio::ssl::context> owned;  // a context made for this call only
    tcp::resolver resolver;
    Stream stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::response_parser<bhttp::string_body> parser;
    ClientRequest spec;
    std::function<void(ClientResult)> done;

    template <class... Extra>
    Call(asio::io_context& io, ClientRequest r, std::function<void(ClientResult)> d,
         std::shared_ptr<asio::ssl::context> own, Extra&... extra)
        : owned(std::move(own)), resolver(io), stream(io, extra...), spec(std::move(r)), done(std::move(d)) {
        parser.body_limit(spec.body_max);
        parser.skip(spec.method == "HEAD");  // a HEAD answer has a Content-Length but no body
    }
    beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream); }

    void fail(const std::string& what, beast::error_code ec) {
        ClientResult r;
        r.error = what + " " + spec.host + ":" + std::to_string(spec.port) + ": " +
                  (ec == beast::error::timeout ? std::string("timed out") : net::tls_error(ec));
        finish(std::move(r));
    }
    void fail(const std::string& why) {
        ClientResult r;
        r.error = why;
        finish(std::move(r));
    }
    void finish(ClientResult r) {
        beast::error_code ignored;
        tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
        if (done) std::exchange(done, nullptr)(std::move(r));
    }

    void start() {
        request.method_string(spec.method);
        request.target(spec.target);
        request.version(11);
        const bool v6 = spec.host.find(':') != std::string::npos;  // an IPv6 literal goes in brackets
        request.set(bhttp::field::host, (v6 ? "[" + spec.host + "]" : spec.host) + ":" + std::to_string(spec.port));
        request.set(bhttp::field::user_agent, "raftor");
        for (const auto& [k, v] : spec.headers) request.set(k, v);
        request.body() = spec.body;
        request.prepare_payload();
        tcp_layer().expires_after(spec.timeout);
        resolver.async_resolve(spec.host, std::to_string(spec.port),
                               [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type rs) {
                                   if (ec) return self->fail("resolving", ec);
                                   self->tcp_layer().async_connect(rs, [self](beast::error_code ec2, auto) {
                                       if (ec2) return self->fail("connecting to", ec2);
                                       self->secure();
                                   });
                               });
    }

    void secure() {
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            SSL* ssl = stream.native_handle();
            beast::error_code ec;
            boost::system::error_code addr_ec;
            asio::ip::make_address(spec.host, addr_ec);
            const bool ip = !addr_ec;
            if (!ip) SSL_set_tlsext_host_name(ssl, spec.host.c_str());  // SNI
            if (spec.insecure) {
                stream.set_verify_mode(asio::ssl::verify_none, ec);
            } else if (spec.expect_member.empty()) {
                // The certificate must name the host we dialled.
                X509_VERIFY_PARAM* p = SSL_get0_param(ssl);
                if (ip)
                    X509_VERIFY_PARAM_set1_ip_asc(p, spec.host.c_str());
                else
                    X509_VERIFY_PARAM_set1_host(p, spec.host.c_str(), 0);
            }
            stream.async_handshake(asio::ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
                if (ec) return self->fail("TLS with", ec);
                if (!self->spec.insecure && !self->spec.expect_member.empty()) {
                    const auto names = net::peer_certificate_names(self->stream.native_handle());
                    if (!net::certificate_names_member(names, self->spec.expect_member)) {
                        std::string list;
                        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
                        return self->fail("TLS with " + self->spec.host + ":" + std::to_string(self->spec.port) +
                                          ": its certificate names " + (list.empty() ? "nothing" : list) +
                                          ", not member " + self->spec.expect_member);
                    }
                }
                self->write();
            });
        } else {
            write();
        }
    }

    void write() {
        bhttp::async_write(stream, request, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->fail("sending to", ec);
            bhttp::async_read(self->stream, self->buffer, self->parser, [self](beast::error_code ec2, std::size_t) {
                if (ec2) return self->fail("reading from", ec2);
                ClientResult r;
                auto& res = self->parser.get();
                r.status = static_cast<int>(res.result_int());
                r.body = std::move(res.body());
                for (const auto& f : res) {
                    std::string name(f.name_string());
                    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    r.headers[name] = std::string(f.value());
                }
                self->finish(std::move(r));
            });
        });
    }
};

}  // namespace

std::string make_client_context(asio::ssl::context& ctx, const std::string& ca_file) {
    beast::error_code ec;
    ctx.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    if (ca_file.empty())
        ctx.set_default_verify_paths(ec);
    else
        ctx.load_verify_file(ca_file, ec);
    if (ec)
        return (ca_file.empty() ? std::string("the system's CA certificates") : "CA file '" + ca_file + "'") + ": " +
               net::tls_error(ec);
    ctx.set_verify_mode(asio::ssl::verify_peer, ec);
    return {};
}

void async_call(asio::io_context& io, ClientRequest req, std::function<void(ClientResult)> done,
                asio::ssl::context* tls) {
    if (!req.tls)
        return std::make_shared<Call<beast::tcp_stream>>(io, std::move(req), std::move(done), nullptr)->start();
    std::shared_ptr<asio::ssl::context> own;
    if (!tls) {
        own = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
        std::string e = make_client_context(*own, req.ca_file);
        if (e.empty() && !req.cert_file.empty()) e = net::load_certificate(*own, req.cert_file, req.key_file);
        if (!e.empty()) {
            ClientResult r;
            r.error = "HTTPS to " + req.host + ":" + std::to_string(req.port) + ": " + e;
            return done(std::move(r));
        }
        tls = own.get();
    }
    std::make_shared<Call<TlsStream>>(io, std::move(req), std::move(done), own, *tls)->start();
}

ClientResult call(const ClientRequest& req) {
    asio::io_context io;
    ClientResult out;
    async_call(io, req, [&](ClientResult r) { out = std::move(r); });
    io.run();
    return out;
}

bool parse_endpoint(const std::string& url, ClientRequest& req) {
    req.tls = url.rfind("https://", 0) == 0;
    return common::split_host_port(common::endpoint_of(url), req.host, req.port);
}

}  // namespace raftor::http
