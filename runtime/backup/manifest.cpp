#include "runtime/backup/manifest.hpp"

#include <nlohmann/json.hpp>

namespace raftor::backup {

using nlohmann::json;

namespace {
json ids(const std::vector<std::uint64_t>& v) {
    json a = json::array();
    for (auto id : v) a.push_back(std::to_string(id));  // raft ids exceed a double's integers
    return a;
}
}  // namespace

std::string to_json(const Manifest& m) {
    json j{{"format", m.format},
           {"clusterId", m.cluster_id},
           {"node", m.node},
           {"createdAtMs", m.created_at_ms},
           {"snapshotIndex", m.snapshot_index},
           {"snapshotTerm", m.snapshot_term},
           {"commitIndex", m.snapshot_index},
           {"voters", ids(m.voters)},
           {"learners", ids(m.learners)},
           {"operationCount", m.operation_count},
           {"totalOperations", m.total_operations},
           {"executionCount", m.execution_count},
           {"receiptCount", m.receipt_count},
           {"receiptChainHead", m.receipt_chain_head},
           {"kvKeys", m.kv_keys},
           {"kvRevision", m.kv_revision},
           {"snapshotCrc32c", m.snapshot_crc32c},
           {"files", {{"data.mdb", {{"sha256", m.data_sha256}, {"bytes", m.data_bytes}}}}}};
    return j.dump(2) + "\n";
}

std::optional<Manifest> manifest_from_json(const std::string& text, std::string& error) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return error = "manifest.json is not a JSON object", std::nullopt;
    Manifest m;
    try {
        m.format = j.at("format").get<std::string>();
        if (m.format != manifest_format)
            return error = "manifest format '" + m.format + "', expected '" + manifest_format + "'", std::nullopt;
        m.cluster_id = j.at("clusterId").get<std::string>();
        m.node = j.at("node").get<std::string>();
        m.created_at_ms = j.at("createdAtMs").get<std::int64_t>();
        m.snapshot_index = j.at("snapshotIndex").get<std::uint64_t>();
        m.snapshot_term = j.at("snapshotTerm").get<std::uint64_t>();
        for (const char* k : {"voters", "learners"})
            for (const auto& id : j.at(k))
                (std::string(k) == "voters" ? m.voters : m.learners).push_back(std::stoull(id.get<std::string>()));
        m.operation_count = j.at("operationCount").get<std::uint64_t>();
        m.total_operations = j.at("totalOperations").get<std::uint64_t>();
        m.execution_count = j.at("executionCount").get<std::uint64_t>();
        m.receipt_count = j.at("receiptCount").get<std::uint64_t>();
        m.receipt_chain_head = j.at("receiptChainHead").get<std::string>();
        m.kv_keys = j.at("kvKeys").get<std::uint64_t>();
        m.kv_revision = j.at("kvRevision").get<std::uint64_t>();
        m.snapshot_crc32c = j.at("snapshotCrc32c").get<std::uint32_t>();
        const json& f = j.at("files").at("data.mdb");
        m.data_sha256 = f.at("sha256").get<std::string>();
        m.data_bytes = f.at("bytes").get<std::uint64_t>();
    } catch (const std::exception& e) {
        return error = std::string("manifest.json: ") + e.what(), std::nullopt;
    }
    return m;
}

}  // namespace raftor::backup
