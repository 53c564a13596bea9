#include "runtime/metrics/host_figures.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace raftor::metrics {

namespace {

// Seconds since the epoch when the machine booted (/proc/stat's btime).
double boot_time() {
    std::ifstream in("/proc/stat");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
    return 0;
}

// /proc/meminfo's MemTotal, in bytes.
std::uint64_t mem_total() {
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("MemTotal:", 0) == 0) return std::strtoull(line.c_str() + 9, nullptr, 10) * 1024;
    return 0;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

std::uint64_t memory_limit(const std::string& proc_self_cgroup, const std::string& cgroup_root, std::uint64_t total) {
    std::uint64_t limit = total;
    auto take = [&](const std::string& file) {
        const std::string v = read_all(file);
        if (v.empty() || v[0] < '0' || v[0] > '9') return;  // "max", or not there
        const std::uint64_t n = std::strtoull(v.c_str(), nullptr, 10);
        if (n > 0 && (limit == 0 || n < limit)) limit = n;  // v1 says "no limit" with a huge number
    };
    std::istringstream lines(proc_self_cgroup);
    for (std::string line; std::getline(lines, line);) {
        // "0::/path" (v2) or "4:memory:/path" (v1).
        const auto a = line.find(':');
        const auto b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (path.find("..") != std::string::npos) continue;
        if (controllers.empty())
            take(cgroup_root + path + "/memory.max");
        else if (("," + controllers + ",").find(",memory,") != std::string::npos)
            take(cgroup_root + "/memory" + path + "/memory.limit_in_bytes");
    }
    return limit;
}

ProcessFigures read_process() {
    ProcessFigures p;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    {
        // /proc/self/stat: the command name (field 2) may hold spaces; count from its ')'.
        std::ifstream in("/proc/self/stat");
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = all.rfind(')');
        if (close != std::string::npos && ticks > 0) {
            std::istringstream rest(all.substr(close + 2));
            std::string field;
            // Fields from 3 (state); utime is 14, stime 15, starttime 22.
            double utime = 0, stime = 0, start = 0;
            for (int i = 3; i <= 22 && rest >> field; ++i) {
                if (i == 14) utime = std::strtod(field.c_str(), nullptr);
                if (i == 15) stime = std::strtod(field.c_str(), nullptr);
                if (i == 22) start = std::strtod(field.c_str(), nullptr);
            }
            p.cpu_seconds = (utime + stime) / ticks;
            p.start_time_seconds = boot_time() + start / ticks;
        }
    }
    {
        std::ifstream in("/proc/self/statm");
        std::uint64_t size = 0, resident = 0;
        if (in >> size >> resident) p.rss_bytes = static_cast<std::uint64_t>(static_cast<double>(resident) * page);
    }
    p.memory_limit_bytes = memory_limit(read_all("/proc/self/cgroup"), "/sys/fs/cgroup", mem_total());
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec))
        ++p.open_fds;
    return p;
}

DiskFigures read_disk(const std::string& dir) {
    DiskFigures d;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code fe;
        if (it->is_regular_file(fe)) d.storage_bytes += it->file_size(fe);
    }
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) == 0) {
        d.filesystem_size_bytes = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
        d.filesystem_avail_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    }
    return d;
}

}  // namespace raftor::metrics
