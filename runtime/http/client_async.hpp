#pragma once
// The asynchronous form of the client, for code already on an Asio I/O thread (the
// server's forwarding to the leader). Includes Asio: only for Beast translation units.
// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
// clang-format on
#include <functional>

#include "runtime/http/client.hpp"

namespace raftor::http {
// `done` runs on `io` once, with a response or an error (timeouts included). With
// req.tls, `tls` is the client context to use (its verification set up), or null to make
// one from req.ca_file for this call.
void async_call(boost::asio::io_context& io, ClientRequest req, std::function<void(ClientResult)> done,
                boost::asio::ssl::context* tls = nullptr);
// A client context trusting `ca_file` (the system's roots when empty); "" or the error.
std::string make_client_context(boost::asio::ssl::context& ctx, const std::string& ca_file);
}  // namespace raftor::http
