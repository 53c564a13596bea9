#pragma once
// The asynchronous form of the client, for code already on an Asio I/O thread (the
// server's forwarding to the leader). Includes Asio: only for Beast translation units.
// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
// clang-format on
#include <functional>

#include "runtime/http/client.hpp"

namespace raftor::http {
// `done` runs on `io` once, with a response or an error (timeouts included).
void async_call(boost::asio::io_context& io, ClientRequest req, std::function<void(ClientResult)> done);
}  // namespace raftor::http
