#include "runtime/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>

namespace raftor::logging {

namespace {
std::atomic<std::uint64_t> g_term{0}, g_index{0};
bool g_json = false;
std::string g_node;

spdlog::level::level_enum to_spd(Level l) {
    switch (l) {
        case Level::trace: return spdlog::level::trace;
        case Level::debug: return spdlog::level::debug;
        case Level::info: return spdlog::level::info;
        case Level::warn: return spdlog::level::warn;
        case Level::error: return spdlog::level::err;
        case Level::critical: return spdlog::level::critical;
        case Level::off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

// The level as operators grep it: "grep ERROR" finds every error, in text and JSON alike.
const char* level_name(Level l) {
    switch (l) {
        case Level::trace: return "TRACE";
        case Level::debug: return "DEBUG";
        case Level::info: return "INFO";
        case Level::warn: return "WARN";
        case Level::error: return "ERROR";
        case Level::critical: return "CRITICAL";
        case Level::off: break;
    }
    return "INFO";
}

bool needs_quotes(const std::string& v) {
    if (v.empty()) return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
    return false;
}
}  // namespace

bool parse_level(const std::string& s, Level& out) {
    static const std::pair<const char*, Level> names[] = {
        {"trace", Level::trace},  {"debug", Level::debug}, {"info", Level::info},         {"warn", Level::warn},
        {"warning", Level::warn}, {"error", Level::error}, {"critical", Level::critical}, {"off", Level::off}};
    for (const auto& [n, l] : names)
        if (s == n) return out = l, true;
    return false;
}

bool init(const std::string& level, bool json, const std::string& node) {
    Level l;
    if (!parse_level(level, l)) return false;
    // Logs go to stderr, one line per event, flushed at once: a crash loses none.
    auto logger = spdlog::stderr_logger_mt("raftor");
    logger->set_level(to_spd(l));
    logger->flush_on(spdlog::level::trace);
    g_json = json;
    g_node = node;
    if (json)
        logger->set_pattern("{\"ts\":\"%Y-%m-%dT%H:%M:%S.%e%z\",%v}");
    else
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %v");
    spdlog::set_default_logger(logger);
    return true;
}

void set_position(std::uint64_t term, std::uint64_t index) {
    g_term.store(term, std::memory_order_relaxed);
    g_index.store(index, std::memory_order_relaxed);
}

void event(Level lvl, std::string_view name, std::initializer_list<Field> fields) {
    said(lvl, name, {}, fields);
}

namespace {
// spdlog makes its registry on first use, inside the (uninstrumented) library, where
// ThreadSanitizer cannot see the first two callers synchronized: the first use goes
// through a static of ours, whose guard it sees.
spdlog::logger* default_logger() {
    static spdlog::logger* const first [[maybe_unused]] = spdlog::default_logger_raw();
    return spdlog::default_logger_raw();
}
}  // namespace

void said(Level lvl, std::string_view name, std::string_view phrase, std::initializer_list<Field> fields) {
    auto logger = default_logger();
    if (!logger->should_log(to_spd(lvl))) return;
    bool has_term = false, has_index = false;
    for (const auto& f : fields) {
        has_term |= f.first == "term";
        has_index |= f.first == "index";
    }
    const std::uint64_t term = g_term.load(std::memory_order_relaxed);
    const std::uint64_t index = g_index.load(std::memory_order_relaxed);
    // Before the peer runs there is no position to give.
    const bool with_term = !has_term && (term != 0 || index != 0);
    const bool with_index = !has_index && (term != 0 || index != 0);
    std::string line;
    if (g_json) {
        nlohmann::json j;
        j["event"] = std::string(name);
        if (!phrase.empty()) j["msg"] = std::string(phrase);
        if (!g_node.empty()) j["node"] = g_node;
        if (with_term) j["term"] = std::to_string(term);
        if (with_index) j["index"] = std::to_string(index);
        for (const auto& [k, v] : fields) j[std::string(k)] = v;
        line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        // The pattern supplies the braces; the level leads, as in the text form.
        line = std::string("\"level\":\"") + level_name(lvl) + "\"," + line.substr(1, line.size() - 2);
    } else {
        line = level_name(lvl);
        line.resize(std::max<std::size_t>(line.size(), 5), ' ');
        line += ' ';
        line += name;
        if (!g_node.empty()) line += " node=" + g_node;
        if (!phrase.empty()) {
            line += " msg=\"";
            line += phrase;
            line += '"';
        }
        for (const auto& [k, v] : fields) {
            line += ' ';
            line += k;
            line += '=';
            line +=
                needs_quotes(v) ? nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : v;
        }
        // The position last: "event node=... <its own fields>" reads (and greps) as before.
        if (with_term) line += " term=" + std::to_string(term);
        if (with_index) line += " index=" + std::to_string(index);
    }
    logger->log(to_spd(lvl), "{}", line);
}

}  // namespace raftor::logging
