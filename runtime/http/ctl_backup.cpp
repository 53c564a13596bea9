// `raftor ctl backup` (online from a node, or offline from a stopped node's data dir),
// `raftor ctl backup --verify FILE`, and `raftor restore`.
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "runtime/backup/backup.hpp"
#include "runtime/http/client.hpp"
#include "runtime/http/ctl.hpp"

namespace raftor::http {

namespace {

std::string when(std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    char buf[32];
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void print(const std::string& file, const backup::Manifest& m) {
    std::cout << file << ": OK\n"
              << "  cluster " << m.cluster_id << ", from " << (m.node.empty() ? "a data dir" : m.node) << ", taken "
              << when(m.created_at_ms) << "\n"
              << "  state at index " << m.snapshot_index << " (term " << m.snapshot_term << "), " << m.voters.size()
              << " voter(s)\n"
              << "  operations " << m.operation_count << ", executions finished " << m.total_operations
              << " (ids issued " << m.execution_count << "), receipts " << m.receipt_count << ", keys " << m.kv_keys
              << "\n"
              << "  receipt chain head " << m.receipt_chain_head << "\n"
              << "  data.mdb " << m.data_bytes << " bytes, sha256 " << m.data_sha256 << "\n";
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

int run_ctl_backup(const CtlArgs& a) {
    backup::Manifest m;
    if (!a.file.empty()) {  // --verify FILE
        if (auto e = backup::verify_backup(a.file, m); !e.empty()) {
            std::cerr << "raftor ctl: FAILED: " << e << "\n";
            return 1;
        }
        print(a.file, m);
        return 0;
    }
    if (a.out.empty()) {
        std::cerr << "raftor ctl: backup needs --out FILE (or --verify FILE)\n";
        return 2;
    }
    if (!a.data_dir.empty()) {
        if (auto e = backup::backup_data_dir(a.data_dir, {a.cluster_id, "", now_ms()}, a.out, m); !e.empty()) {
            std::cerr << "raftor ctl: backup of " << a.data_dir << " failed: " << e << "\n";
            return 1;
        }
        print(a.out, m);
        return 0;
    }
    CtlArgs b = a;
    b.timeout_ms = std::max(a.timeout_ms, 600'000);
    std::string used;
    ClientResult r = ctl_ask(b, "GET", "/admin/backup", "", used);
    if (!r.ok() || r.status != 200) return ctl_report_error(r);
    const std::string partial = a.out + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out.write(r.body.data(), static_cast<std::streamsize>(r.body.size()));
        out.flush();
        if (!out) {
            std::cerr << "raftor ctl: cannot write " << partial << "\n";
            return 1;
        }
    }
    if (auto e = backup::verify_backup(partial, m); !e.empty()) {
        std::cerr << "raftor ctl: the backup from " << used << " does not verify (kept as " << partial << "): " << e
                  << "\n";
        return 1;
    }
    std::error_code ec;
    std::filesystem::rename(partial, a.out, ec);
    if (ec) {
        std::cerr << "raftor ctl: rename " << partial << ": " << ec.message() << "\n";
        return 1;
    }
    print(a.out, m);
    return 0;
}

int run_restore(const RestoreArgs& a) {
    backup::Manifest m;
    if (auto e = backup::restore_backup(a.from, a.data_dir, a.members, m); !e.empty()) {
        std::cerr << "raftor restore: " << e << "\n";
        return 1;
    }
    std::cout << "restored " << a.data_dir << " for " << a.node_id << " from " << a.from << ": state at index "
              << m.snapshot_index << ", " << m.operation_count << " operations, " << m.total_operations
              << " finished executions, " << m.receipt_count << " receipts, " << m.kv_keys << " keys; "
              << a.members.size() << " member(s)\n"
              << "start it with: raftor node --data-dir " << a.data_dir << " --node-id " << a.node_id
              << " --cluster-nodes ... (the same members on every node)\n";
    return 0;
}

}  // namespace raftor::http
