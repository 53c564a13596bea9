#pragma once
// A backup is one POSIX tar (ustar) file, so operators can look inside with `tar`:
// `tar -xOf backup.tar manifest.json | jq`. Only what raftor writes is read back:
// regular files with names up to 100 bytes, sizes under 8 GiB.
#include <cstdint>
#include <string>
#include <vector>

namespace raftor::backup {

struct TarFile {
    std::string name;  // in the archive
    std::string path;  // on disk, to read from
};
// Writes `files` to `out_path` (created, or truncated) and syncs it; empty, or what failed.
std::string write_tar(const std::string& out_path, const std::vector<TarFile>& files);

struct TarEntry {
    std::string name;
    std::uint64_t offset = 0;  // of the contents
    std::uint64_t size = 0;
};
// The regular files in an archive, each header's checksum verified; empty, or what is wrong.
std::string list_tar(const std::string& path, std::vector<TarEntry>& out);
std::string read_entry(const std::string& path, const TarEntry& e, std::string& out);
std::string extract_entry(const std::string& path, const TarEntry& e, const std::string& to);

}  // namespace raftor::backup
