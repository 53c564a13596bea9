#include "runtime/common/host_port.hpp"

namespace raftor::common {

bool split_host_port(std::string_view address, std::string& host, std::uint16_t& port) {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) return false;
    unsigned long p = 0;
    for (std::size_t i = colon + 1; i < address.size(); ++i) {
        if (address[i] < '0' || address[i] > '9') return false;
        p = p * 10 + static_cast<unsigned long>(address[i] - '0');
        if (p > 65535) return false;
    }
    if (p == 0) return false;
    std::string_view h = address.substr(0, colon);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    host = std::string(h);
    port = static_cast<std::uint16_t>(p);
    return true;
}

std::string endpoint_of(std::string url) {
    for (const std::string_view s : {"http://", "https://"})
        if (url.rfind(s, 0) == 0) url.erase(0, s.size());
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

}  // namespace raftor::common
