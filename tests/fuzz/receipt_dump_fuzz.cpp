// A receipt dump as `raftor ctl receipts verify --file` reads it (the GET /receipts
// shape): parsed, then the chain checked offline: numbering, links, Merkle proofs and
// signatures. Whatever the file, the answer is a verdict that names the first bad
// receipt, never a crash. The binary form (a backup's receipts) is decoded too.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "runtime/crypto/receipt.hpp"
#include "runtime/http/operations_api.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace raftor;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::string error;
    if (auto d = http::receipts_from_json(text, error)) {
        const auto check =
            crypto::verify_chain(d->receipts, d->keys, d->head, d->base_sequence, d->base_hash, d->sealed_through);
        if (!check.ok && check.error.empty()) raftor::fuzz::fail("a verdict without a reason");
        if (check.ok && check.checked > d->receipts.size()) raftor::fuzz::fail("verified more receipts than given");
    } else if (error.empty()) {
        raftor::fuzz::fail("a dump refused without a reason");
    }
    (void)crypto::decode_receipts(text, error);
    return 0;
}

std::vector<std::string> raftor::fuzz::starting_inputs() {
    // A real chain of five receipts, sealed in two batches by one key, as a node serves it.
    const auto key = crypto::SigningKey::generate();
    std::vector<crypto::Receipt> receipts;
    crypto::ReceiptChain chain;
    for (int i = 0; i < 5; ++i) {
        crypto::Receipt r;
        r.execution_id = "ex-" + std::to_string(i + 1);
        r.operation_id = "backup";
        r.node = "node-1";
        r.started_at_ms = 1000 + i;
        r.finished_at_ms = 2000 + i;
        r.status = i == 3 ? "failed" : "success";
        r.input_hash = crypto::sha256("in" + std::to_string(i));
        r.output_hash = crypto::sha256("out" + std::to_string(i));
        chain.append(r);
        receipts.push_back(r);
    }
    crypto::seal_batch(receipts, 0, 3, key, "node-1");
    crypto::seal_batch(receipts, 3, 2, key, "node-1");
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : receipts) list.push_back(nlohmann::json::parse(http::receipt_json(r, true)));
    const nlohmann::json dump{{"base", {{"sequence", 0}, {"hash", crypto::to_hex(crypto::Digest{})}}},
                              {"head", {{"sequence", chain.last_sequence()}, {"hash", crypto::to_hex(chain.head())}}},
                              {"sealedThrough", 5},
                              {"keys", {{"node-1", crypto::to_hex(key.public_key())}}},
                              {"receipts", list}};
    nlohmann::json unsealed = dump;
    unsealed["sealedThrough"] = 3;
    return {dump.dump(), unsealed.dump(), crypto::encode_receipts(receipts)};
}
