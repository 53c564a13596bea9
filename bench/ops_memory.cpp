// Memory of the operations state machine with a long history: 10,000 operations and
// 1,000,000 finished executions kept (historyMax 1,000,000), every one started,
// finished and sealed in batches of 1,024 as the leader's actors would, applied into an
// LMDB state store as on a node (one transaction per batch). Prints the process's RSS
// before and after (LMDB's pages read back count in it, as the page cache's), the bytes
// per execution in memory and on disk, and the apply rate of the state machine alone.
// Target: RSS under 150 MB.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "runtime/crypto/merkle.hpp"
#include "runtime/state/ops_machine.hpp"
#include "runtime/state/rollups.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "runtime/storage/state_store_lmdb.hpp"

using namespace raftor;
using namespace raftor::state;
using Clock = std::chrono::steady_clock;

namespace {

double rss_mb() {
    std::ifstream f("/proc/self/statm");
    long pages = 0, resident = 0;
    f >> pages >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// The anonymous part of the RSS (the heap): LMDB's pages are file-backed, the page
// cache's to reclaim.
double rss_anon_mb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("RssAnon:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t operations = 10'000;
    const std::size_t executions = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
    OpsOptions o;
    o.history_max = executions;
    o.history_retention_ms = o.receipts_retention_ms = 0;  // count only
    std::string dir = (std::filesystem::temp_directory_path() / "raftor-ops-memory-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) return std::perror("mkdtemp"), 1;
    struct Cleanup {
        std::string dir;
        ~Cleanup() { std::filesystem::remove_all(dir); }
    } cleanup{dir};
    storage::Status st;
    std::shared_ptr<storage::StateStore> store =
        storage::LmdbStateStore::open(dir, storage::state_map_bytes, false, st);
    if (!store) return std::fprintf(stderr, "state store: %s\n", st.message.c_str()), 1;
    StateDb db(store);
    OpsMachine m(o, db);
    std::uint64_t index = 0;
    std::int64_t now = 1'700'000'000'000;
    auto apply = [&](OpsBody b) { return m.apply(++index, 1, OpsCommand{{}, now, std::move(b)}); };
    const auto key = crypto::SigningKey::generate();
    apply(RegisterKey{"node-1", key.public_key()});
    const double rss0 = rss_mb();
    for (std::size_t i = 0; i < operations; ++i) {
        OperationSpec s;
        s.id = "operation-" + std::to_string(i);
        s.name = "bench operation " + std::to_string(i);
        s.handler.kind = Handler::Kind::exec;
        s.handler.argv = {"/usr/local/bin/job", "--id", std::to_string(i)};
        apply(PutOperation{std::move(s), true});
    }
    const double rss_ops = rss_mb();
    const auto t0 = Clock::now();
    constexpr std::size_t batch = 1024;
    for (std::size_t done = 0; done < executions; done += batch) {
        const std::size_t n = std::min(batch, executions - done);
        db.begin();  // as the applier does: one transaction for the batch
        StartBatch starts;
        FinishBatch finishes;
        for (std::size_t i = 0; i < n; ++i) {
            auto r = apply(ExecuteOperation{"operation-" + std::to_string((done + i) % operations), ""});
            const std::uint64_t id = r.executions.at(0);
            starts.starts.push_back(StartExecution{id, 1, "node-1", now});
            finishes.finishes.push_back(
                FinishExecution{id, 1, ExecStatus::success, 0, now + 3, 3, "ok\n", crypto::sha256("ok\n")});
        }
        apply(std::move(starts));
        now += 1;
        apply(std::move(finishes));
        auto leaves = m.unsealed(batch);
        const auto root = crypto::merkle_root(leaves);
        apply(SealReceipts{m.sealed_through() + 1, static_cast<std::uint32_t>(leaves.size()), root, "node-1",
                           key.sign(crypto::batch_message(root))});
        db.commit(index);
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const double rss1 = rss_mb();
    std::printf("ops state machine: %zu operations, %zu executions kept (history %zu, chain %llu)\n", operations,
                executions, m.history_size(), static_cast<unsigned long long>(m.chain_sequence()));
    std::printf(
        "  RSS: %.1f MB empty, %.1f MB with the operations, %.1f MB with the history (%.1f MB of it anonymous)\n", rss0,
        rss_ops, rss1, rss_anon_mb());
    std::printf("  %.0f bytes per operation, %.0f bytes per execution kept\n",
                (rss_ops - rss0) * 1048576.0 / double(operations), (rss1 - rss_ops) * 1048576.0 / double(executions));
    const auto disk = std::filesystem::file_size(std::filesystem::path(dir) / "data.mdb");
    std::printf("  state store on disk: %.1f MB, %.0f bytes per execution\n", double(disk) / 1048576.0,
                double(disk) / double(executions));
    std::printf("  applied %zu executions (execute + start + finish + seal) in %.2f s = %.0f executions/s\n",
                executions, secs, double(executions) / secs);
    std::printf("  target: RSS under 150 MB: %s\n", rss1 < 150.0 ? "met" : "NOT met");
    // A snapshot of this state is encoded whole on the node's event loop, which
    // nothing else uses meanwhile (heartbeats included): how long that takes.
    {
        const KvStore kv;
        const auto s0 = Clock::now();
        const std::string snap = encode_state(kv, m);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - s0).count();
        std::printf("  snapshot of it: %.1f MB encoded in %.0f ms (%.0f MB/s)\n", double(snap.size()) / 1048576.0, ms,
                    double(snap.size()) / 1048576.0 / (ms / 1000.0));
    }

    // The rollups behind the metrics windows: 100 operations that each finish one
    // execution every minute, for 35 days (docs/operations.md, Retention).
    const double before = rss_mb();
    Rollups rollups;
    constexpr std::int64_t minutes = 35 * 24 * 60;
    for (std::int64_t minute = 0; minute < minutes; ++minute) {
        for (int op = 0; op < 100; ++op)
            rollups.add(1'700'000'000'000 + minute * Rollups::minute_ms, "operation-" + std::to_string(op),
                        ExecStatus::success, true, 3);
        rollups.take_row_changes();  // as the machine's rows are written, after each command
    }
    const double after = rss_mb();
    std::printf("rollups: 100 operations x %lld minutes: %.1f MB RSS, %.0f bytes per operation-minute\n",
                static_cast<long long>(minutes), after - before, (after - before) * 1048576.0 / double(minutes * 100));
}
