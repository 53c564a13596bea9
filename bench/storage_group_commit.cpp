// Group commit of the log store (entries in the WAL, one pwrite + one fdatasync per
// commit): entries/s and commits/s at batch sizes 1, 16, 256, against the raw
// fdatasync rate of the same file system.
// Usage: storage_group_commit [dir] [seconds_per_case]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "runtime/storage/log_store.hpp"

using namespace raftor;
using Clock = std::chrono::steady_clock;

namespace {
double raw_fdatasync_per_s(const std::string& dir, double secs) {
    const std::string path = dir + "/raw";
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) return 0;
    std::string block(4096, 'r');
    std::uint64_t n = 0;
    const auto start = Clock::now();
    while (std::chrono::duration<double>(Clock::now() - start).count() < secs) {
        if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>((n % 256) * 4096)) < 0) return 0;
        ::fdatasync(fd);
        ++n;
    }
    const double el = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(fd);
    std::filesystem::remove(path);
    return n / el;
}
}  // namespace

int main(int argc, char** argv) {
    const std::string base = argc > 1 ? argv[1] : (std::filesystem::temp_directory_path() / "raftor-bench").string();
    const double secs = argc > 2 ? std::atof(argv[2]) : 2.0;
    std::filesystem::remove_all(base);
    std::filesystem::create_directories(base);
    const double raw = raw_fdatasync_per_s(base, secs);
    std::printf("raw fdatasync (4 KiB pwrite + fdatasync): %.0f/s on %s\n", raw, base.c_str());
    for (std::size_t batch : {1, 16, 256}) {
        const std::string dir = base + "/b" + std::to_string(batch);
        storage::Status st;
        auto s = storage::LogStore::open(storage::Options{dir, std::size_t{4} << 30, true}, st);
        if (!s) {
            std::fprintf(stderr, "%s\n", st.message.c_str());
            return 1;
        }
        raft::Index next = 1;
        const std::string payload(128, 'p');
        std::uint64_t commits = 0;
        const auto start = Clock::now();
        while (std::chrono::duration<double>(Clock::now() - start).count() < secs) {
            storage::WriteBatch b;
            for (std::size_t i = 0; i < batch; ++i, ++next)
                b.entries.push_back(raft::Entry{1, next, raft::EntryType::normal, payload});
            b.hard_state = raft::HardState{1, 1, next - 1};
            if (auto w = s->write(b); !w.ok()) {
                std::fprintf(stderr, "%s\n", w.message.c_str());
                return 1;
            }
            ++commits;
        }
        const double el = std::chrono::duration<double>(Clock::now() - start).count();
        std::printf("batch %4zu: %9.0f entries/s, %6.0f commits/s (%.0f%% of raw fdatasync)\n", batch, (next - 1) / el,
                    commits / el, 100.0 * commits / el / raw);
    }
    std::filesystem::remove_all(base);
    return 0;
}
