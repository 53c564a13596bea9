#pragma once
// What the operating system says about this process and its data directory, read at
// scrape time from /proc and the file system.
#include <cstdint>
#include <string>

#include "runtime/metrics/metrics_input.hpp"

namespace raftor::metrics {

// RSS, CPU, open descriptors and start time of this process (zeros where /proc is not there).
ProcessFigures read_process();
// Bytes of the files under `dir` (LMDB map and WAL segments) and the file system's
// size and free space.
DiskFigures read_disk(const std::string& dir);

}  // namespace raftor::metrics
