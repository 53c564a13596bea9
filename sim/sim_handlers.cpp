#include "sim/sim_handlers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

#include "runtime/http/handler_url.hpp"

namespace raftor::sim {

namespace {

constexpr std::uint64_t start_cost_max_ms = 5;  // fork and exec, or connect
constexpr std::uint64_t http_latency_max_ms = 40;
// Longer than any run: what hangs with no bound on its time ends past every run's end,
// and no sum of sleeps overflows.
constexpr std::uint64_t never_ms = 1'000'000'000'000;  // about 31 years

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

// "0.7" -> 700 (ms); none for anything that is not a plain decimal.
std::optional<std::uint64_t> seconds_ms(std::string_view s) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || !(v >= 0)) return std::nullopt;
    if (v * 1000 >= static_cast<double>(never_ms)) return never_ms;
    return static_cast<std::uint64_t>(std::llround(v * 1000));
}

// The script a process runs: a shell's `-c` string, else its argv joined.
std::string script_of(const exec::ProcessSpec& spec) {
    const auto& a = spec.argv;
    if (a.size() >= 3 && a[1] == "-c") return a[2];
    std::string out;
    for (const auto& s : a) out += (out.empty() ? "" : " ") + s;
    return out;
}

// Ends the call at `ms`, or at its timeout with the code a node reports then: 137 for a
// killed process, -1 for an HTTP call given up.
SimulatedCall ended(exec::ProcessResult r, std::uint64_t ms, std::uint64_t timeout_ms, std::size_t output_max,
                    int timed_out_code) {
    if (ms > timeout_ms) {
        r.end = exec::ProcessResult::End::timed_out;
        r.exit_code = timed_out_code;
        ms = timeout_ms;
    }
    ms = std::min(ms, never_ms);
    r.duration_ms = ms;
    r.output_hash = crypto::sha256(r.output);
    if (r.output.size() > output_max) {
        r.output.resize(output_max);
        r.truncated = true;
    }
    return SimulatedCall{std::move(r), ms};
}

}  // namespace

SimulatedCall SimulatedHandlers::process(const exec::ProcessSpec& spec) {
    exec::ProcessResult r;
    std::uint64_t ms = rng_.below(start_cost_max_ms + 1);
    const std::string script = script_of(spec);
    std::string_view rest = script;
    bool hangs = false;
    while (!rest.empty()) {
        const auto semi = rest.find(';');
        const std::string_view cmd = trim(rest.substr(0, semi));
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        if (cmd.empty()) continue;
        const auto space = cmd.find(' ');
        const std::string_view prog = cmd.substr(0, space);
        const std::string_view arg = space == std::string_view::npos ? std::string_view{} : trim(cmd.substr(space));
        if (prog == "echo") {
            r.output.append(arg).push_back('\n');
        } else if (prog == "sleep" && seconds_ms(arg)) {
            ms = std::min(ms + *seconds_ms(arg), never_ms);
        } else if (prog == "hang") {
            hangs = true;
            break;
        } else if (prog == "exit") {
            int code = 0;
            const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), code);
            if (!arg.empty() && (ec != std::errc{} || end != arg.data() + arg.size())) {
                r.output += "sh: 1: exit: Illegal number: " + std::string(arg) + "\n";
                code = 2;
            }
            r.exit_code = code & 0xff;
            break;
        } else {
            r.output += "sh: 1: " + std::string(prog) + ": not found\n";
            r.exit_code = 127;
            break;
        }
    }
    return ended(std::move(r), hangs ? UINT64_MAX : ms, spec.timeout_ms, spec.output_max, 137);
}

SimulatedCall SimulatedHandlers::http(const exec::HttpCallSpec& spec) {
    exec::ProcessResult r;
    // Refused as a node refuses it: a bad URL, or a host neither loopback nor allowed.
    std::string error;
    const auto url = http::parse_http_url(spec.url, error);
    if (url) error = http::http_host_refused(url->host, spec.allowed_hosts);
    if (!error.empty()) {
        r.end = exec::ProcessResult::End::failed_to_start;
        r.exit_code = -1;
        r.error = "handler.url: " + error;
        return SimulatedCall{std::move(r), rng_.below(start_cost_max_ms + 1)};
    }
    r.end = exec::ProcessResult::End::answered;
    r.exit_code = 200;
    if (const auto at = spec.url.rfind("/status/"); at != std::string::npos) {
        const std::string_view code = std::string_view(spec.url).substr(at + 8);
        int status = 0;
        auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), status);
        if (ec == std::errc{} && end == code.data() + code.size() && status >= 100 && status <= 599)
            r.exit_code = status;
    }
    r.output = "{\"status\":" + std::to_string(r.exit_code) + "}";
    return ended(std::move(r), rng_.below(http_latency_max_ms + 1), spec.timeout_ms, spec.output_max, -1);
}

SimulatedCall SimulatedHandlers::call(const exec::HandlerSpec& spec) {
    if (const auto* p = std::get_if<exec::ProcessSpec>(&spec)) return process(*p);
    return http(std::get<exec::HttpCallSpec>(spec));
}

}  // namespace raftor::sim
