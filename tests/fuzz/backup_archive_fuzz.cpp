// A backup archive as `raftor ctl backup --verify` and `raftor restore` first read it:
// the tar headers (checksums, sizes, names), each entry, and the manifest. A damaged
// or hostile archive is an error that names what is wrong, never a crash or a read
// past the file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "runtime/backup/archive.hpp"
#include "runtime/backup/manifest.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace raftor::backup;

namespace {
// The input as a file the reader can open, in memory.
struct MemFile {
    int fd = ::memfd_create("fuzz-archive", 0);
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    ~MemFile() { ::close(fd); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    MemFile f;
    if (f.fd < 0 || ::write(f.fd, data, size) != static_cast<ssize_t>(size)) return 0;
    std::vector<TarEntry> entries;
    if (auto e = list_tar(f.path, entries); !e.empty()) return 0;
    for (const auto& entry : entries) {
        if (entry.offset + entry.size > size) raftor::fuzz::fail("listed past the end");
        std::string contents, error;
        if (!read_entry(f.path, entry, contents).empty()) raftor::fuzz::fail("a listed entry could not be read");
        if (entry.name == "manifest.json" && !manifest_from_json(contents, error) && error.empty())
            raftor::fuzz::fail("a manifest refused without a reason");
    }
    return 0;
}

std::vector<std::string> raftor::fuzz::starting_inputs() {
    // Real archives, made by the writer: a manifest and a data file.
    char dir[] = "/tmp/raftor-fuzz-XXXXXX";
    if (!::mkdtemp(dir)) return {};
    const std::string d = dir;
    Manifest m;
    m.cluster_id = "fuzz";
    m.node = "node-1";
    {
        std::FILE* f = std::fopen((d + "/manifest.json").c_str(), "w");
        std::fputs(to_json(m).c_str(), f);
        std::fclose(f);
        f = std::fopen((d + "/data.mdb").c_str(), "w");
        std::fputs(std::string(1500, 'd').c_str(), f);
        std::fclose(f);
    }
    std::vector<std::string> out;
    for (const auto& files :
         {std::vector<TarFile>{{"manifest.json", d + "/manifest.json"}},
          std::vector<TarFile>{{"manifest.json", d + "/manifest.json"}, {"data.mdb", d + "/data.mdb"}}}) {
        const std::string tar = d + "/a.tar";
        if (!write_tar(tar, files).empty()) continue;
        std::FILE* f = std::fopen(tar.c_str(), "rb");
        std::string bytes;
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
        std::fclose(f);
        out.push_back(std::move(bytes));
    }
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
    return out;
}
