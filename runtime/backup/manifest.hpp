#pragma once
// What a backup holds, said in `manifest.json` next to the LMDB copy: where it came
// from, the point in the log it stands for, the figures a restore is checked against
// (the DR drill compares `operationCount` and `totalOperations`), and the
// copy's checksum.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace raftor::backup {

inline constexpr const char* manifest_format = "raftor-backup-1";

struct Manifest {
    std::string format = manifest_format;
    std::string cluster_id;
    std::string node;  // the member it was taken from ("" offline when unknown)
    std::int64_t created_at_ms = 0;
    std::uint64_t snapshot_index = 0, snapshot_term = 0;  // the state is the log applied up to here
    std::vector<std::uint64_t> voters, learners;          // the configuration at that index (raft ids)
    std::uint64_t operation_count = 0;                    // operations registered
    std::uint64_t total_operations = 0;                   // executions finished (the metrics summary's totalOperations)
    std::uint64_t execution_count = 0;                    // execution ids issued
    std::uint64_t receipt_count = 0;                      // receipts in the chain
    std::string receipt_chain_head;                       // hex SHA-256 of the last receipt
    std::uint64_t kv_keys = 0, kv_revision = 0;
    std::string data_sha256;  // of data.mdb
    std::uint64_t data_bytes = 0;
    std::uint32_t snapshot_crc32c = 0;  // of the state snapshot inside

    bool operator==(const Manifest&) const = default;
};

std::string to_json(const Manifest& m);
// Nothing (and `error` names the field) unless the text is a manifest of this format.
std::optional<Manifest> manifest_from_json(const std::string& text, std::string& error);

}  // namespace raftor::backup
