#include "runtime/backup/backup.hpp"

#include <openssl/evp.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "runtime/backup/archive.hpp"
#include "runtime/common/crc32c.hpp"
#include "runtime/crypto/sha256.hpp"
#include "runtime/node/applier.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "runtime/storage/log_store.hpp"

namespace raftor::backup {

namespace fs = std::filesystem;

namespace {

// A directory removed, with everything in it, when it goes out of scope.
struct TempDir {
    std::string path;
    std::string error;
    explicit TempDir(const std::string& under) {
        std::string pattern = (fs::path(under.empty() ? "." : under) / ".raftor-backup-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            error = "cannot make a temporary directory under " + under + ": " + std::strerror(errno);
        else
            path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

std::string sha256_file(const std::string& path, std::string& hex, std::uint64_t& bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot read " + path;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return "SHA-256 is not available";
    std::vector<char> buf(1 << 20);
    bytes = 0;
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        EVP_DigestUpdate(ctx.get(), buf.data(), n);
        bytes += n;
    }
    if (in.bad()) return "cannot read " + path;
    crypto::Digest d{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), d.data(), &len);
    hex = crypto::to_hex(d);
    return {};
}

struct State {
    state::KvStore kv;
    state::OpsMachine ops;
    state::MemberRegistry members;
};

std::string decode(const storage::Loaded& l, State& s) {
    if (l.snapshot.index == 0 || !l.snapshot_data) return "the copy holds no snapshot";
    if (auto e = state::restore_state(*l.snapshot_data, s.kv, s.ops, &s.members))
        return "the snapshot at index " + std::to_string(l.snapshot.index) + " does not decode: " + *e;
    return {};
}

// The figures of a snapshot, for the manifest.
std::string figures(const storage::Loaded& l, Manifest& m) {
    State s;
    if (auto e = decode(l, s); !e.empty()) return e;
    m.snapshot_index = l.snapshot.index;
    m.snapshot_term = l.snapshot.term;
    m.voters = l.snapshot.conf.voters;
    m.learners = l.snapshot.conf.learners;
    m.snapshot_crc32c = l.snapshot.checksum;
    m.operation_count = s.ops.operations().size();
    m.total_operations = s.ops.figures().finished();
    m.execution_count = s.ops.next_execution_id() > 0 ? s.ops.next_execution_id() - 1 : 0;
    m.receipt_count = s.ops.chain_sequence();
    m.receipt_chain_head = crypto::to_hex(s.ops.chain_head());
    m.kv_keys = s.kv.size();
    m.kv_revision = s.kv.revision();
    return {};
}

// `copy_dir` holds a copy (data.mdb): read it back, write the manifest, archive both.
std::string archive(const std::string& copy_dir, const Source& src, const std::string& out_path, Manifest& m) {
    storage::Loaded l;
    if (auto st = storage::LogStore::read_copy(copy_dir, l); !st.ok()) return "reading the copy back: " + st.message;
    m = Manifest{};
    m.cluster_id = src.cluster_id;
    m.node = src.node;
    m.created_at_ms = src.now_ms;
    if (auto e = figures(l, m); !e.empty()) return e;
    const std::string data = copy_dir + "/data.mdb";
    if (auto e = sha256_file(data, m.data_sha256, m.data_bytes); !e.empty()) return e;
    const std::string manifest = copy_dir + "/manifest.json";
    {
        std::ofstream out(manifest, std::ios::binary | std::ios::trunc);
        out << to_json(m);
        if (!out) return "cannot write " + manifest;
    }
    // Written beside the target, then renamed: a reader never sees half an archive.
    const std::string tmp = out_path + ".partial";
    if (auto e = write_tar(tmp, {{"manifest.json", manifest}, {"data.mdb", data}}); !e.empty()) return e;
    std::error_code ec;
    fs::rename(tmp, out_path, ec);
    if (ec) return "rename " + tmp + " to " + out_path + ": " + ec.message();
    Manifest check;
    if (auto e = verify_backup(out_path, check); !e.empty()) return "the archive written does not verify: " + e;
    return {};
}

std::string dir_of(const std::string& file) {
    const auto p = fs::path(file).parent_path();
    return p.empty() ? "." : p.string();
}

// Writes `hs` and `snap` as the whole of a new store in `dir`.
std::string seed_store(const std::string& dir, const raft::HardState& hs, const raft::Snapshot& snap) {
    storage::Status st;
    auto store = storage::LogStore::open({dir, std::size_t{1} << 30, true}, st);
    if (!store) return "opening a store in " + dir + ": " + st.message;
    storage::WriteBatch b;
    b.hard_state = hs;
    b.snapshot = snap;
    if (st = store->write(b); !st.ok()) return "writing the snapshot into " + dir + ": " + st.message;
    if (st = store->flush(); !st.ok()) return "flushing " + dir + ": " + st.message;
    return {};
}

raft::Snapshot snapshot_of(raft::Index index, raft::Term term, raft::ConfState conf, std::string data) {
    raft::Snapshot s;
    s.meta.index = index;
    s.meta.term = term;
    s.meta.conf = std::move(conf);
    s.meta.checksum = crc32c(data);
    s.meta.size = data.size();
    s.data = std::make_shared<const std::string>(std::move(data));
    return s;
}

}  // namespace

std::string backup_store(const storage::LogStore& store, const Source& src, const std::string& work_dir,
                         const std::string& out_path, Manifest& m) {
    TempDir tmp(work_dir);
    if (!tmp.error.empty()) return tmp.error;
    if (auto st = store.copy_to(tmp.path); !st.ok()) return st.message;
    return archive(tmp.path, src, out_path, m);
}

std::string backup_data_dir(const std::string& data_dir, const Source& src, const std::string& out_path, Manifest& m) {
    if (!fs::exists(fs::path(data_dir) / "data.mdb")) return data_dir + " holds no node data (no data.mdb)";
    storage::Status st;
    storage::Loaded l;
    {
        auto store = storage::LogStore::open({data_dir, std::size_t{1} << 30, true}, st);
        if (!store) return "opening " + data_dir + ": " + st.message;
        if (st = store->load(l); !st.ok()) return "reading " + data_dir + ": " + st.message;
    }
    // The state at the commit index: the snapshot, then the committed entries after it.
    const raft::Index commit = l.hard_state.commit;
    node::Applier applier(node::Options{}, l.snapshot.index, l.snapshot_data);
    raft::ConfState conf = l.snapshot.conf;
    raft::Term term = l.snapshot.term;
    std::vector<raft::Entry> committed;
    for (const auto& e : l.entries) {
        if (e.index > commit) break;
        if (e.type == raft::EntryType::conf_change)
            if (auto cc = raft::decode_conf_change(e.payload)) conf = cc->result;
        term = e.term;
        committed.push_back(e);
    }
    applier.apply(committed);
    std::string data;
    if (auto now = applier.snapshot_now())
        data = *now->data;
    else if (l.snapshot_data)
        data = *l.snapshot_data;
    else
        return data_dir + " has nothing committed to back up";
    TempDir tmp(dir_of(out_path));
    if (!tmp.error.empty()) return tmp.error;
    const std::string store_dir = tmp.path + "/store", copy_dir = tmp.path + "/copy";
    fs::create_directories(copy_dir);
    if (auto e = seed_store(store_dir, {term, raft::no_node, applier.applied()},
                            snapshot_of(applier.applied(), term, conf, std::move(data)));
        !e.empty())
        return e;
    {
        auto store = storage::LogStore::open({store_dir, std::size_t{1} << 30, true}, st);
        if (!store) return "reopening the copy: " + st.message;
        if (st = store->copy_to(copy_dir); !st.ok()) return st.message;
    }
    return archive(copy_dir, src, out_path, m);
}

std::string verify_backup(const std::string& archive_path, Manifest& m, storage::Loaded* loaded) {
    std::vector<TarEntry> entries;
    if (auto e = list_tar(archive_path, entries); !e.empty()) return e;
    auto find = [&](const std::string& name) -> const TarEntry* {
        for (const auto& x : entries)
            if (x.name == name) return &x;
        return nullptr;
    };
    const TarEntry* man = find("manifest.json");
    const TarEntry* data = find("data.mdb");
    if (!man || !data) return archive_path + ": not a raftor backup (it needs manifest.json and data.mdb)";
    if (man->size > (1 << 20)) return archive_path + ": manifest.json is larger than 1 MiB";
    std::string text;
    if (auto e = read_entry(archive_path, *man, text); !e.empty()) return e;
    std::string error;
    auto parsed = manifest_from_json(text, error);
    if (!parsed) return archive_path + ": " + error;
    m = *parsed;
    TempDir tmp(dir_of(archive_path));
    if (!tmp.error.empty()) return tmp.error;
    if (auto e = extract_entry(archive_path, *data, tmp.path + "/data.mdb"); !e.empty()) return e;
    std::string sha;
    std::uint64_t bytes = 0;
    if (auto e = sha256_file(tmp.path + "/data.mdb", sha, bytes); !e.empty()) return e;
    if (sha != m.data_sha256 || bytes != m.data_bytes)
        return archive_path + ": data.mdb has SHA-256 " + sha + " (" + std::to_string(bytes) +
               " bytes), the manifest says " + m.data_sha256 + " (" + std::to_string(m.data_bytes) + " bytes)";
    storage::Loaded l;
    if (auto st = storage::LogStore::read_copy(tmp.path, l); !st.ok())
        return archive_path + ": data.mdb: " + st.message;
    Manifest seen = m;
    if (auto e = figures(l, seen); !e.empty()) return archive_path + ": " + e;
    if (!(seen == m))
        return archive_path + ": the snapshot inside does not match the manifest (index " +
               std::to_string(seen.snapshot_index) + " vs " + std::to_string(m.snapshot_index) + ", operations " +
               std::to_string(seen.operation_count) + " vs " + std::to_string(m.operation_count) + ", receipts " +
               std::to_string(seen.receipt_count) + " vs " + std::to_string(m.receipt_count) + ")";
    if (loaded) *loaded = std::move(l);
    return {};
}

std::string restore_backup(const std::string& archive_path, const std::string& data_dir,
                           const std::vector<state::MemberInfo>& members, Manifest& m) {
    std::error_code ec;
    if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec))
        return data_dir + " is not empty: restore only into a new, empty data directory";
    if (members.empty()) return "no members given for the new cluster";
    fs::create_directories(data_dir, ec);
    if (ec) return "cannot create " + data_dir + ": " + ec.message();
    storage::Loaded l;
    if (auto e = verify_backup(archive_path, m, &l); !e.empty()) return e;
    State s;
    if (auto e = decode(l, s); !e.empty()) return e;
    // The new cluster's members, with their addresses, replace the old ones.
    raft::ConfState conf;
    s.members = {};
    for (const auto& x : members) {
        conf.voters.push_back(x.id);
        s.members.put(x);
    }
    std::sort(conf.voters.begin(), conf.voters.end());
    std::string data = state::encode_state(s.kv, s.ops, s.members);
    return seed_store(data_dir, {l.snapshot.term, raft::no_node, l.snapshot.index},
                      snapshot_of(l.snapshot.index, l.snapshot.term, conf, std::move(data)));
}

}  // namespace raftor::backup
