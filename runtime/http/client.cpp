// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <memory>

#include "runtime/http/client_async.hpp"

namespace raftor::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Call : std::enable_shared_from_this<Call> {
    tcp::resolver resolver;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::response_parser<bhttp::string_body> parser;
    ClientRequest spec;
    std::function<void(ClientResult)> done;

    Call(asio::io_context& io, ClientRequest r, std::function<void(ClientResult)> d)
        : resolver(io), stream(io), spec(std::move(r)), done(std::move(d)) {
        parser.body_limit(spec.body_max);
        parser.skip(spec.method == "HEAD");  // a HEAD answer has a Content-Length but no body
    }

    void fail(const std::string& what, beast::error_code ec) {
        ClientResult r;
        r.error = what + " " + spec.host + ":" + std::to_string(spec.port) + ": " +
                  (ec == beast::error::timeout ? std::string("timed out") : ec.message());
        finish(std::move(r));
    }
    void finish(ClientResult r) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
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
        stream.expires_after(spec.timeout);
        resolver.async_resolve(spec.host, std::to_string(spec.port),
                               [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type rs) {
                                   if (ec) return self->fail("resolving", ec);
                                   self->stream.async_connect(rs, [self](beast::error_code ec2, auto) {
                                       if (ec2) return self->fail("connecting to", ec2);
                                       self->write();
                                   });
                               });
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

void async_call(asio::io_context& io, ClientRequest req, std::function<void(ClientResult)> done) {
    std::make_shared<Call>(io, std::move(req), std::move(done))->start();
}

ClientResult call(const ClientRequest& req) {
    asio::io_context io;
    ClientResult out;
    async_call(io, req, [&](ClientResult r) { out = std::move(r); });
    io.run();
    return out;
}

}  // namespace raftor::http
