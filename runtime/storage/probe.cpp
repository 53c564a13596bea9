#include "runtime/storage/probe.hpp"

#include <cstring>

namespace raftor::storage {

std::optional<std::string> probe_writable(FileSystem& fs, const std::string& dir) {
    const std::string path = dir + "/.health-probe";
    auto failed = [&](const char* what, int err) {
        return std::optional<std::string>(std::string(what) + " " + path + ": " + std::strerror(err));
    };
    std::unique_ptr<File> f;
    if (const int err = fs.open(path, FileSystem::Mode::create, f); err != 0) return failed("cannot create", err);
    static constexpr char text[] = "raftor self-check: this directory takes writes\n";
    std::optional<std::string> error;
    if (const int err = f->write_at(text, sizeof text - 1, 0); err != 0)
        error = failed("cannot write", err);
    else if (const int e = f->sync(); e != 0)
        error = failed("cannot sync", e);
    f.reset();
    if (const int err = fs.remove(path); err != 0 && !error) error = failed("cannot remove", err);
    return error;
}

}  // namespace raftor::storage
