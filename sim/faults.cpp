#include "sim/faults.hpp"

#include <sstream>

namespace raftor::sim {

namespace {
constexpr std::array<const char*, fault_kinds> names = {"drop",  "delay",       "dup",   "reorder", "partition",
                                                        "crash", "kill-leader", "power", "skew",    "slow-disk",
                                                        "fsync", "disk-full",   "clock", "admin"};
}

const char* fault_name(Fault f) {
    return names[static_cast<std::size_t>(f)];
}

std::uint32_t FaultMix::total() const {
    std::uint32_t t = 0;
    for (auto w : weight) t += w;
    return t;
}

FaultMix FaultMix::all() {
    FaultMix m;
    m.weight.fill(1);
    return m;
}

std::string FaultMix::to_string() const {
    if (total() == 0) return "none";
    std::string out;
    for (std::size_t i = 0; i < fault_kinds; ++i) {
        if (weight[i] == 0) continue;
        if (!out.empty()) out += ",";
        out += names[i];
        if (weight[i] != 1) out += "=" + std::to_string(weight[i]);
    }
    return out;
}

std::optional<FaultMix> parse_faults(const std::string& spec, std::string& error) {
    FaultMix mix;
    std::stringstream in(spec);
    std::string item;
    bool any = false;
    while (std::getline(in, item, ',')) {
        any = true;
        if (item == "all") {
            mix = FaultMix::all();
            continue;
        }
        if (item == "none") continue;
        const auto eq = item.find('=');
        const std::string name = item.substr(0, eq);
        std::uint32_t w = 1;
        if (eq != std::string::npos) {
            const std::string num = item.substr(eq + 1);
            if (num.empty() || num.size() > 4 || num.find_first_not_of("0123456789") != std::string::npos) {
                error = "fault weight '" + num + "' of '" + name + "' is not a number from 0 to 9999";
                return std::nullopt;
            }
            w = static_cast<std::uint32_t>(std::stoul(num));
        }
        std::size_t i = 0;
        while (i < fault_kinds && name != names[i]) ++i;
        if (i == fault_kinds) {
            error = "unknown fault '" + name + "'; known: all, none";
            for (const char* n : names) error += std::string(", ") + n;
            return std::nullopt;
        }
        mix.weight[i] = w;
    }
    if (!any) {
        error = "no faults named (use 'none' for a run without faults)";
        return std::nullopt;
    }
    return mix;
}

}  // namespace raftor::sim
