#pragma once
// The asynchronous form of the client, for code already on an Asio I/O thread (the
// server's forwarding to the leader). Includes Asio: only for Beast translation units.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <utility>  // Boost 1.74 Asio under C++20 needs it first

#include "runtime/http/client.hpp"

namespace raftor::http {
// `done` runs on `io` once, with a response or an error (timeouts included).
void async_call(boost::asio::io_context& io, ClientRequest req, std::function<void(ClientResult)> done);
}  // namespace raftor::http
