// `raftor ctl receipts verify|dump`: the whole receipt chain, read from a cluster page
// by page (or from a dump file, or the state inside a backup) and checked offline:
// numbering, every link, every batch's Merkle proof and signature, and that it ends at
// the replicated head.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "runtime/backup/backup.hpp"
#include "runtime/http/client.hpp"
#include "runtime/http/ctl.hpp"
#include "runtime/http/operations_api.hpp"
#include "runtime/http/receipt_pages.hpp"
#include "runtime/state/kv_store.hpp"
#include "runtime/state/ops_machine.hpp"
#include "runtime/state/state_snapshot.hpp"

namespace raftor::http {

namespace {

using json = nlohmann::json;

// The receipts the cluster keeps (those of --from/--to when given), read in pages.
std::optional<std::string> fetch(const CtlArgs& a, std::string& error) {
    const bool ranged = a.receipts_from != 0 || a.receipts_to != 0;
    ReceiptPages pages = ranged ? ReceiptPages(std::max<std::uint64_t>(a.receipts_from, 1),
                                               a.receipts_to == 0 ? UINT64_MAX : a.receipts_to)
                                : ReceiptPages();
    std::string used;
    while (!pages.done()) {
        ClientResult r = ctl_ask(a, "GET", pages.next_target(a.stale), "", used);
        if (!r.ok()) return error = r.error, std::nullopt;
        if (r.status != 200)
            return error = "GET /receipts: HTTP " + std::to_string(r.status) + ": " + r.body, std::nullopt;
        if (!pages.add(r.body, error)) return error += " (from " + used + ")", std::nullopt;
    }
    std::string dump = pages.dump(error);
    if (dump.empty()) return std::nullopt;
    return dump;
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error = "cannot open '" + path + "'", std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) return error = "cannot read '" + path + "'", std::nullopt;
    return s.str();
}

// The chain inside a backup: the archive checked first (its checksums, its state
// against its manifest), then its state's receipts, keys, base and head.
std::optional<ReceiptDump> from_backup(const std::string& path, std::string& error, bool& unreadable) {
    unreadable = !std::filesystem::is_regular_file(path);
    if (unreadable) return error = "cannot open '" + path + "'", std::nullopt;
    backup::Manifest manifest;
    storage::Loaded loaded;
    if (auto e = backup::verify_backup(path, manifest, &loaded); !e.empty()) return error = e, std::nullopt;
    if (!loaded.snapshot_data) return error = "the backup holds no state", std::nullopt;
    state::KvStore kv;
    state::OpsMachine ops;
    if (auto e = state::restore_state(*loaded.snapshot_data, kv, ops))
        return error = "its state does not decode: " + *e, std::nullopt;
    ReceiptDump d;
    d.receipts = ops.receipts(0, SIZE_MAX);
    d.keys = ops.keys();
    d.base_sequence = ops.base_sequence();
    d.base_hash = ops.base_hash();
    d.head = crypto::ChainEnd{ops.chain_sequence(), ops.chain_head()};
    d.sealed_through = ops.sealed_through();
    d.stated_hashes.resize(d.receipts.size());
    return d;
}

// A file's trust comes from its signatures alone: anyone could rewrite unsigned
// receipts and the head together, so a file must be sealed to its end. A running
// cluster's newest receipts may still be waiting for their seal, and so may those of a
// backup taken while it ran: those are checked by their links, and said so.
int verify(const std::string& text, const std::string& source, bool must_be_sealed);
int verify(const ReceiptDump& d, const std::string& source, bool must_be_sealed);

int verify(const std::string& text, const std::string& source, bool must_be_sealed) {
    std::string error;
    auto dump = receipts_from_json(text, error);
    if (!dump) {
        std::cerr << "raftor ctl receipts verify: " << source << ": " << error << "\n";
        return 2;
    }
    return verify(*dump, source, must_be_sealed);
}

int verify(const ReceiptDump& d, const std::string& source, bool must_be_sealed) {
    if (must_be_sealed && d.sealed_through < d.head.sequence) {
        std::cout << "FAILED: " << source << ": receipt " << std::max(d.sealed_through, d.base_sequence) + 1
                  << " is not sealed (sealedThrough " << d.sealed_through << ", head " << d.head.sequence
                  << "): a file's receipts must all be signed\n";
        return 1;
    }
    const auto check = crypto::verify_chain(d.receipts, d.keys, d.head, d.base_sequence, d.base_hash, d.sealed_through);
    if (!check.ok) {
        std::cout << "FAILED: " << source << ": " << check.error << "\n"
                  << "(" << check.checked << " receipts verified before it)\n";
        return 1;
    }
    for (std::size_t i = 0; i < d.receipts.size(); ++i) {
        const auto& stated = d.stated_hashes[i];
        const auto& r = d.receipts[i];
        if (stated && *stated != crypto::receipt_hash(r)) {
            std::cout << "FAILED: " << source << ": receipt " << r.sequence << " (" << r.execution_id
                      << "): its stated hash " << crypto::to_hex(*stated) << " is not the hash of its contents "
                      << crypto::to_hex(crypto::receipt_hash(r)) << "\n";
            return 1;
        }
    }
    std::set<std::string> signers;
    std::set<std::string> batches;
    std::uint64_t unsealed = 0;
    for (const auto& r : d.receipts) {
        if (r.sequence > d.sealed_through) {
            ++unsealed;
            continue;
        }
        signers.insert(r.signer);
        batches.insert(crypto::to_hex(r.batch_root) + r.signer);
    }
    std::cout << "OK: " << source << ": " << check.checked << " receipts";
    if (check.checked) std::cout << " (" << d.base_sequence + 1 << ".." << d.head.sequence << ")";
    std::cout << ", " << batches.size() << " signed batches by " << signers.size() << " signer(s)";
    for (const auto& s : signers) std::cout << " " << s;
    if (unsealed) std::cout << "; " << unsealed << " at the end not sealed yet (links checked, no signature)";
    if (d.base_sequence) std::cout << "; " << d.base_sequence << " earlier receipts pruned by retention";
    std::cout << "; head " << crypto::to_hex(d.head.head) << "\n";
    return 0;
}

}  // namespace

int run_ctl_receipts(const CtlArgs& a) {
    std::string error;
    if (a.receipts_to != 0 && a.receipts_to < std::max<std::uint64_t>(a.receipts_from, 1)) {
        std::cerr << "raftor ctl receipts dump: --to " << a.receipts_to << " is before --from " << a.receipts_from
                  << "\n";
        return 2;
    }
    if (a.command == "receipts-verify" && !a.backup.empty()) {
        bool unreadable = false;
        auto dump = from_backup(a.backup, error, unreadable);
        if (!dump) {
            if (unreadable) {
                std::cerr << "raftor ctl receipts verify: " << error << "\n";
                return 2;
            }
            // The archive's errors name it already.
            if (error.rfind(a.backup + ": ", 0) == 0) error.erase(0, a.backup.size() + 2);
            std::cout << "FAILED: backup " << a.backup << ": " << error << "\n";
            return 1;
        }
        return verify(*dump, "backup " + a.backup, false);
    }
    const bool from_file = a.command == "receipts-verify" && !a.file.empty();
    auto text = from_file ? read_file(a.file, error) : fetch(a, error);
    if (!text) {
        std::cerr << "raftor ctl " << (a.command == "receipts-dump" ? "receipts dump" : "receipts verify") << ": "
                  << error << "\n";
        return 2;
    }
    if (a.command == "receipts-verify") return verify(*text, from_file ? a.file : "the cluster", from_file);
    if (a.command == "receipts-dump") {
        // Only what is signed: the dump ends at the last sealed receipt.
        auto dump = receipts_from_json(*text, error);
        if (!dump) {
            std::cerr << "raftor ctl receipts dump: " << error << "\n";
            return 2;
        }
        json j = json::parse(*text);
        auto& list = j["receipts"];
        std::size_t left_out = 0;
        while (!list.empty() && list.back().value("sequence", std::uint64_t{0}) > dump->sealed_through) {
            list.erase(list.end() - 1);
            ++left_out;
        }
        const std::size_t kept = list.size();
        if (kept == 0 && left_out > 0 && (a.receipts_from != 0 || a.receipts_to != 0)) {
            // A range past the last seal: nothing in it is signed yet.
            std::cerr << "raftor ctl receipts dump: receipt " << dump->base_sequence + 1
                      << " is not sealed yet (sealed through " << dump->sealed_through << ")\n";
            return 2;
        }
        if (left_out) {
            j["head"]["sequence"] = dump->sealed_through;
            j["head"]["hash"] = crypto::to_hex(kept ? crypto::receipt_hash(dump->receipts[kept - 1]) : dump->base_hash);
        }
        std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
        if (!out || !(out << j.dump() << "\n") || !out.flush()) {
            std::cerr << "raftor ctl receipts dump: cannot write '" << a.out << "'\n";
            return 2;
        }
        std::cout << "wrote " << kept << " receipts to " << a.out;
        if (left_out) std::cout << " (" << left_out << " newer ones not sealed yet were left out)";
        std::cout << "\n";
        return 0;
    }
    std::cerr << "raftor ctl: unknown command '" << a.command << "'\n";
    return 2;
}

}  // namespace raftor::http
