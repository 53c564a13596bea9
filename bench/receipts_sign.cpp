// Receipts signed per second on one core, by batch size: each receipt is hashed and
// linked, each batch gets a Merkle tree and one Ed25519 signature. Also how fast a
// chain verifies offline. Target: over 20,000 receipts/s per node.
#include <chrono>
#include <cstdio>

#include "runtime/crypto/receipt.hpp"

using namespace raftor::crypto;
using Clock = std::chrono::steady_clock;

int main() {
    const SigningKey key = SigningKey::generate();
    const KeyRing keys{{"node-1", {key.public_key()}}};
    constexpr std::size_t total = 100'000;
    std::printf("%-10s %14s %14s\n", "batch", "signed/s", "verified/s");
    for (std::size_t batch : {1, 16, 64, 256, 1024}) {
        std::vector<Receipt> rs(total);
        const auto t0 = Clock::now();
        ReceiptChain chain;
        for (std::size_t i = 0; i < total; ++i) {
            Receipt& r = rs[i];
            r.execution_id = "exec-" + std::to_string(i);
            r.operation_id = "op-7";
            r.node = "node-1";
            r.started_at_ms = 1'700'000'000'000 + i;
            r.finished_at_ms = r.started_at_ms + 3;
            r.status = "success";
            r.input_hash = sha256("input");
            r.output_hash = sha256(r.execution_id);
            chain.append(r);
            if ((i + 1) % batch == 0) seal_batch(rs, i + 1 - batch, batch, key, "node-1");
        }
        if (total % batch != 0) seal_batch(rs, total - total % batch, total % batch, key, "node-1");
        const double sign_s = std::chrono::duration<double>(Clock::now() - t0).count();
        const auto t1 = Clock::now();
        const ChainCheck c = verify_chain(rs, keys, ChainEnd{total, chain.head()});
        const double verify_s = std::chrono::duration<double>(Clock::now() - t1).count();
        if (!c.ok) {
            std::printf("verification failed: %s\n", c.error.c_str());
            return 1;
        }
        std::printf("%-10zu %14.0f %14.0f\n", batch, total / sign_s, total / verify_s);
    }
}
