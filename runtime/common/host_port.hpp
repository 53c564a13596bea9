#pragma once
// "host:port" addresses, the one parser for configuration, peers and HTTP clients.
#include <cstdint>
#include <string>
#include <string_view>

namespace raftor::common {

// Splits "host:port" (an IPv6 host in brackets: "[::1]:8080", returned without them).
// False unless there is a host and the port is a number from 1 to 65535.
bool split_host_port(std::string_view address, std::string& host, std::uint16_t& port);

// What an operator types for a node ("http://127.0.0.1:8080/", "127.0.0.1:8080") as
// "host:port": the scheme and trailing slashes dropped.
std::string endpoint_of(std::string url);

}  // namespace raftor::common
