#pragma once
// What the operating system says about this process and its data directory, read at
// scrape time from /proc and the file system.
#include <cstdint>
#include <string>

#include "runtime/metrics/metrics_input.hpp"

namespace raftor::metrics {

// RSS, CPU, open descriptors and start time of this process (zeros where /proc is not there).
ProcessFigures read_process();
// The memory limit of the cgroup named by `proc_self_cgroup` (the text of
// /proc/self/cgroup) under `cgroup_root` (/sys/fs/cgroup), v2 or v1, capped by
// `mem_total`; `mem_total` when the cgroup sets none (or it cannot be read).
std::uint64_t memory_limit(const std::string& proc_self_cgroup, const std::string& cgroup_root,
                           std::uint64_t mem_total);
// Bytes of the files under `dir` (LMDB map and WAL segments) and the file system's
// size and free space.
DiskFigures read_disk(const std::string& dir);

}  // namespace raftor::metrics
