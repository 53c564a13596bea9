#include "sim/sim_file_system.hpp"

#include <algorithm>
#include <cerrno>

namespace raftor::sim {

namespace {

std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

class SimFile final : public storage::File {
public:
    SimFile(SimFileSystem& fs, std::shared_ptr<SimFileSystem::Inode> node, bool writable)
        : fs_(fs), node_(std::move(node)), writable_(writable), generation_(fs.generation_) {}

    int read_at(char* buf, std::size_t n, std::uint64_t off, std::size_t& got) override {
        got = 0;
        if (dead()) return EIO;
        const auto& d = node_->data;
        if (off >= d.size()) return 0;
        got = static_cast<std::size_t>(std::min<std::uint64_t>(n, d.size() - off));
        std::copy_n(d.data() + off, got, buf);
        return 0;
    }
    int write_at(const char* buf, std::size_t n, std::uint64_t off) override {
        if (dead() || !writable_) return dead() ? EIO : EBADF;
        if (const int err = fs_.failing(SimFileSystem::Op::write)) return err;
        auto& d = node_->data;
        if (d.size() < off + n) {
            if (const int err = fs_.room_for(off + n - d.size())) return err;
            d.resize(off + n, '\0');
        }
        std::copy_n(buf, n, d.data() + off);
        node_->pending.push_back({off, std::string(buf, n)});
        return 0;
    }
    int sync() override {
        if (dead()) return EIO;
        if (const int err = fs_.failing(SimFileSystem::Op::sync)) return err;
        // What was written since the last sync, and the zeros of any growth.
        auto& synced = node_->synced;
        synced.resize(node_->data.size(), '\0');
        for (const auto& w : node_->pending) std::copy(w.bytes.begin(), w.bytes.end(), synced.begin() + w.off);
        node_->pending.clear();
        ++fs_.syncs_;
        return 0;
    }
    int allocate(std::uint64_t size) override {
        if (dead() || !writable_) return dead() ? EIO : EBADF;
        if (const int err = fs_.failing(SimFileSystem::Op::allocate)) return err;
        // Zeros up to `size`; like the size of a real file, durable at the next sync.
        if (node_->data.size() < size) {
            if (const int err = fs_.room_for(size - node_->data.size())) return err;
            node_->data.resize(size, '\0');
        }
        return 0;
    }
    int size(std::uint64_t& out) override {
        if (dead()) return EIO;
        out = node_->data.size();
        return 0;
    }

private:
    bool dead() const { return generation_ != fs_.generation_; }
    SimFileSystem& fs_;
    std::shared_ptr<SimFileSystem::Inode> node_;
    bool writable_;
    std::uint64_t generation_;
};

std::uint64_t SimFileSystem::used() const {
    std::uint64_t n = outside_;
    for (const auto& [path, node] : names_) n += node->data.size();
    return n;
}

int SimFileSystem::room_for(std::uint64_t more) {
    if (capacity_ == 0 || used() + more <= capacity_) return 0;
    ++full_refusals_;
    return ENOSPC;
}

int SimFileSystem::failing(Op op) {
    if (hook_)
        if (const int err = hook_(op)) return err;
    auto it = faults_.find(op);
    if (it == faults_.end() || it->second.second <= 0) return 0;
    const int err = it->second.first;
    if (--it->second.second == 0) faults_.erase(it);
    return err;
}

void SimFileSystem::fail(Op op, int err, int times) {
    faults_[op] = {err, times};
}

int SimFileSystem::open(const std::string& path, Mode mode, std::unique_ptr<storage::File>& out) {
    if (const int err = failing(Op::open)) return err;
    auto it = names_.find(path);
    if (mode == Mode::create) {
        if (!dirs_.count(parent_of(path))) return ENOENT;
        auto node = std::make_shared<Inode>();
        names_[path] = node;  // O_TRUNC: a new file under the name (durable once the dir is synced)
        out = std::make_unique<SimFile>(*this, node, true);
        return 0;
    }
    if (it == names_.end()) return ENOENT;
    out = std::make_unique<SimFile>(*this, it->second, mode == Mode::write);
    return 0;
}

int SimFileSystem::make_dir(const std::string& path) {
    if (dirs_.count(path)) return EEXIST;
    dirs_[path] = true;  // directories themselves are taken as durable
    return 0;
}

int SimFileSystem::list(const std::string& dir, std::vector<std::string>& names) {
    if (!dirs_.count(dir)) return ENOENT;
    for (const auto& [path, node] : names_)
        if (parent_of(path) == dir) names.push_back(path.substr(dir.size() + 1));
    return 0;
}

int SimFileSystem::remove(const std::string& path) {
    if (const int err = failing(Op::remove)) return err;
    return names_.erase(path) ? 0 : ENOENT;
}

int SimFileSystem::rename(const std::string& from, const std::string& to) {
    if (const int err = failing(Op::rename)) return err;
    auto it = names_.find(from);
    if (it == names_.end()) return ENOENT;
    names_[to] = it->second;
    names_.erase(from);
    return 0;
}

int SimFileSystem::sync_dir(const std::string& dir) {
    if (const int err = failing(Op::sync_dir)) return err;
    if (!dirs_.count(dir)) return ENOENT;
    for (auto it = durable_.begin(); it != durable_.end();)
        it = parent_of(it->first) == dir && !names_.count(it->first) ? durable_.erase(it) : std::next(it);
    for (const auto& [path, node] : names_)
        if (parent_of(path) == dir) durable_[path] = node;
    return 0;
}

void SimFileSystem::crash(const std::function<bool()>& coin) {
    ++generation_;
    for (auto& [path, node] : durable_) {
        std::string after = node->synced;
        // Each sector of each unsynced write reached the disk or not, independently.
        for (const auto& w : node->pending) {
            for (std::uint64_t s = w.off / sector * sector; s < w.off + w.bytes.size(); s += sector) {
                if (!coin()) continue;
                const std::uint64_t from = std::max(s, w.off), to = std::min(s + sector, w.off + w.bytes.size());
                if (after.size() < to) after.resize(to, '\0');
                std::copy_n(w.bytes.data() + (from - w.off), to - from, after.data() + from);
            }
        }
        node->data = node->synced = after;
        node->pending.clear();
    }
    names_ = durable_;
    faults_.clear();
}

}  // namespace raftor::sim
