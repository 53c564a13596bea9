#include "actors/receipt_signer.hpp"

#include "actors/ops_requests.hpp"
#include "runtime/crypto/merkle.hpp"
#include "runtime/crypto/receipt.hpp"
#include "runtime/state/ops_machine.hpp"

namespace raftor::actors {

namespace {

using Self = ReceiptSigner::stateful_base<SignerState>;

void work(Self* self, const SignerSetupPtr& setup);

void propose(Self* self, const SignerSetupPtr& setup, state::OpsBody body, std::function<void(bool)> then) {
    propose_ops(self, setup->peer, setup->wall(), std::move(body))
        .then(
            [=](CompletionPtr c) {
                then(c->outcome == node::Outcome::done && c->ops.code == state::OpsResult::Code::ok);
            },
            [=](caf::error&) { then(false); });
}

void done(Self* self, const SignerSetupPtr& setup) {
    if (self->state.pass.end()) work(self, setup);
}

void work(Self* self, const SignerSetupPtr& setup) {
    auto& st = self->state;
    if (!st.leading || !st.pass.begin()) return;
    struct Look {
        bool key_ok = false;
        std::uint64_t first = 0;
        std::vector<crypto::Digest> leaves;
    };
    auto look = std::make_shared<Look>();
    const crypto::PublicKey mine = setup->key->public_key();
    const std::string me = setup->node_name;
    const std::size_t max = setup->batch_max;
    query_local(self, setup->peer,
                [=](const node::Applier& a) {
                    const auto& m = a.ops();
                    auto k = m.keys().find(me);
                    look->key_ok = k != m.keys().end() && !k->second.empty() && k->second.back() == mine;
                    look->first = m.seal_from();
                    look->leaves = m.unsealed(max);
                })
        .then(
            [=](CompletionPtr) {
                auto& st = self->state;
                if (!look->key_ok) {
                    // The key goes in the log before any seal that needs it.
                    return propose(self, setup, state::RegisterKey{me, mine}, [=](bool ok) {
                        if (ok) {
                            self->state.pass.ask_again();
                        } else {
                            // Refused at once while a leadership transfer runs: asking again
                            // at once was a busy loop until it ended (found by the simulator).
                            self->delayed_send(self, timeouts::propose_again, wake_atom::value);
                        }
                        done(self, setup);
                    });
                }
                if (look->leaves.empty() || !st.leading) return done(self, setup);
                const crypto::Digest root = crypto::merkle_root(look->leaves);
                const auto n = static_cast<std::uint32_t>(look->leaves.size());
                state::SealReceipts seal{look->first, n, root, me, setup->key->sign(crypto::batch_message(root))};
                propose(self, setup, std::move(seal), [=](bool ok) {
                    if (ok) {
                        ++self->state.seals;
                        self->state.receipts += n;
                    }
                    done(self, setup);
                });
            },
            [=](caf::error&) { done(self, setup); });
}

}  // namespace

ReceiptSigner::behavior_type receipt_signer(Self* self, SignerSetupPtr setup) {
    return {
        [=](leadership_atom, bool leading, std::uint64_t term) {
            self->state.stats.note(self, "leadership");
            self->state.leading = leading;
            self->state.term = term;
            if (leading) work(self, setup);
        },
        [=](wake_atom) {
            self->state.stats.note(self, "wake");
            if (self->state.leading) work(self, setup);
        },
        [=](ops_changed_atom, bool, bool, bool receipts) {
            self->state.stats.note(self, "ops_changed");
            if (receipts) work(self, setup);
        },
        [=](inspect_atom) -> ReportPtr {
            const auto& st = self->state;
            return report_of(self, st.stats, "receipt_signer", "signer",
                             {{"leading", st.leading ? "true" : "false"},
                              {"seals", std::to_string(st.seals)},
                              {"receiptsSealed", std::to_string(st.receipts)},
                              {"publicKey", crypto::to_hex(setup->key->public_key())}});
        },
    };
}

}  // namespace raftor::actors
