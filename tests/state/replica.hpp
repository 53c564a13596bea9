#pragma once
// The operations state machine driven as a replica is: every command goes through the
// entry encoding first. Shared by the tests of tests/state/.

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>

#include "runtime/crypto/sha256.hpp"
#include "runtime/state/ops_machine.hpp"
#include "runtime/state/ops_snapshot.hpp"

namespace raftor::state::testing {

// A noop operation; a failed try is final unless a test sets retries.
inline OperationSpec op(std::string id, std::optional<std::string> schedule = std::nullopt) {
    OperationSpec s;
    s.id = std::move(id);
    s.name = "op " + s.id;
    s.handler.kind = Handler::Kind::noop;
    s.retries = 0;
    s.schedule = std::move(schedule);
    return s;
}

struct Replica {
    OpsMachine m;
    std::uint64_t index = 0;
    std::uint64_t term = 1;
    std::int64_t now;

    explicit Replica(OpsOptions o = {}, std::int64_t start_ms = 1'800'000'000'000) : m(o), now(start_ms) {}

    OpsResult run(OpsBody body, RequestId request = {}) {
        OpsCommand c{request, now, std::move(body)};
        std::string error;
        auto decoded = decode_any_command(encode_ops_command(c), error);
        BOOST_REQUIRE_MESSAGE(decoded, error);
        OpsResult r = m.apply(++index, term, std::get<OpsCommand>(*decoded));
        check_rows();
        return r;
    }
    // The state store's rows hold the machine whole: one reloaded from them alone is the
    // same, snapshot byte for snapshot byte (after every command of every test).
    void check_rows() const {
        OpsMachine copy(m.options(), m.db());
        auto error = OpsSnapshotCodec::reload(copy);
        BOOST_REQUIRE_MESSAGE(!error, "reload from the rows: " << *error);
        BOOST_REQUIRE_MESSAGE(OpsSnapshotCodec::encode(copy) == OpsSnapshotCodec::encode(m),
                              "the rows differ from the machine after entry " << index);
    }
    std::uint64_t execute(const std::string& id, std::string input = "in") {
        auto r = run(ExecuteOperation{id, std::move(input)});
        BOOST_REQUIRE(r.code == OpsResult::Code::ok);
        return r.executions.at(0);
    }
    OpsResult start(std::uint64_t e, std::uint32_t attempt = 1) {
        return run(StartBatch{{StartExecution{e, attempt, "n1", now}}});
    }
    // Finishes try `attempt` with `s`, `ms` after now.
    OpsResult finish(std::uint64_t e, ExecStatus s = ExecStatus::success, std::uint32_t attempt = 1,
                     std::uint64_t ms = 5) {
        return run(
            FinishBatch{{FinishExecution{e, attempt, s, s == ExecStatus::success ? 0 : 1,
                                         now + static_cast<std::int64_t>(ms), ms, "out", crypto::sha256("out")}}});
    }
    // Starts and finishes try 1 with `s`.
    void run_to(std::uint64_t e, ExecStatus s, std::uint64_t ms = 5) {
        start(e);
        finish(e, s, 1, ms);
    }
    ExecStatus status(std::uint64_t e) const {
        auto x = m.execution(e);
        BOOST_REQUIRE(x.has_value());
        return x->status;
    }
};

}  // namespace raftor::state::testing
