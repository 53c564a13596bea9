// Cap'n Proto encoding of operations commands and of the operations snapshot. Every
// decode checks what it reads (sizes, enum values, lengths): a bad entry is skipped
// the same way on every replica, never half applied.
#include <cstring>

#include "runtime/raft/assert.hpp"
#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/event_filter.hpp"
#include "runtime/state/history_table.hpp"
#include "runtime/state/ops_codec_detail.hpp"
#include "runtime/state/ops_snapshot.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "schema/state.capnp.h"

namespace raftor::state {

using raft::detail::bytes_of;
using raft::detail::string_of;
using namespace codec_detail;

namespace codec_detail {

template <typename List>
void set_strings(List list, const std::vector<std::string>& v) {
    for (unsigned i = 0; i < v.size(); ++i) list.set(i, v[i]);
}

template <typename Builder>
void set_pairs(Builder list, const std::map<std::string, std::string>& m) {
    unsigned i = 0;
    for (const auto& [k, v] : m) {
        list[i].setKey(k);
        list[i].setValue(v);
        ++i;
    }
}

void save_spec(const OperationSpec& s, schema::Operation::Builder b) {
    b.setId(s.id);
    b.setName(s.name);
    auto h = b.initHandler();
    h.setKind(static_cast<schema::HandlerKind>(s.handler.kind));
    set_strings(h.initArgv(static_cast<unsigned>(s.handler.argv.size())), s.handler.argv);
    set_pairs(h.initEnv(static_cast<unsigned>(s.handler.env.size())), s.handler.env);
    h.setCwd(s.handler.cwd);
    h.setMethod(s.handler.method);
    h.setUrl(s.handler.url);
    set_pairs(h.initHeaders(static_cast<unsigned>(s.handler.headers.size())), s.handler.headers);
    h.setBody(bytes_of(s.handler.body));
    h.setCommand(s.handler.command);
    h.setSleepMs(s.handler.sleep_ms);
    h.setMessage(s.handler.message);
    b.setHasSchedule(s.schedule.has_value());
    b.setSchedule(s.schedule.value_or(""));
    set_strings(b.initTopics(static_cast<unsigned>(s.topics.size())), s.topics);
    set_pairs(b.initEventFilter(static_cast<unsigned>(s.event_filter.size())), s.event_filter);
    set_strings(b.initAfterSuccess(static_cast<unsigned>(s.after_success.size())), s.after_success);
    set_strings(b.initAfterFailure(static_cast<unsigned>(s.after_failure.size())), s.after_failure);
    b.setTimeoutMs(s.timeout_ms);
    b.setRetries(s.retries);
    b.setRetryBackoffMs(s.retry_backoff_ms);
    b.setRetryMultiplier(s.retry_multiplier);
    b.setRetryMaxBackoffMs(s.retry_max_backoff_ms);
    b.setRetryJitter(s.retry_jitter);
    b.setConcurrency(static_cast<schema::Concurrency>(s.concurrency));
    b.setCatchUp(static_cast<schema::CatchUp>(s.catch_up));
    b.setOnLeaderLoss(static_cast<schema::OnLeaderLoss>(s.on_leader_loss));
    b.setIdleThresholdMs(s.idle_threshold_ms);
}

template <typename List>
std::vector<std::string> strings_of(List l) {
    std::vector<std::string> out;
    for (auto t : l) out.emplace_back(t.cStr());
    return out;
}

template <typename List>
std::map<std::string, std::string> pairs_of(List l) {
    std::map<std::string, std::string> out;
    for (auto p : l) out[p.getKey().cStr()] = p.getValue().cStr();
    return out;
}

std::optional<OperationSpec> load_spec(schema::Operation::Reader r, std::string& error) {
    OperationSpec s;
    s.id = r.getId().cStr();
    if (s.id.empty() || s.id.size() > operation_id_max) {
        error = "operation id is empty or longer than " + std::to_string(operation_id_max);
        return std::nullopt;
    }
    s.name = r.getName().cStr();
    auto h = r.getHandler();
    const auto kind = static_cast<unsigned>(h.getKind());
    if (kind > static_cast<unsigned>(Handler::Kind::echo)) {
        error = "operation '" + s.id + "': unknown handler kind " + std::to_string(kind);
        return std::nullopt;
    }
    s.handler.kind = static_cast<Handler::Kind>(kind);
    s.handler.argv = strings_of(h.getArgv());
    s.handler.env = pairs_of(h.getEnv());
    s.handler.cwd = h.getCwd().cStr();
    s.handler.method = h.getMethod().cStr();
    s.handler.url = h.getUrl().cStr();
    s.handler.headers = pairs_of(h.getHeaders());
    s.handler.body = string_of(h.getBody());
    s.handler.command = h.getCommand().cStr();
    s.handler.sleep_ms = h.getSleepMs();
    s.handler.message = h.getMessage().cStr();
    if (r.getHasSchedule()) s.schedule = std::string(r.getSchedule().cStr());
    s.topics = strings_of(r.getTopics());
    s.event_filter = pairs_of(r.getEventFilter());
    s.idle_threshold_ms = r.getIdleThresholdMs();
    if (s.idle_threshold_ms != 0 &&
        (s.idle_threshold_ms < operation_idle_ms_min || s.idle_threshold_ms > operation_idle_ms_max)) {
        error = "operation '" + s.id + "': idleThresholdMs out of range";
        return std::nullopt;
    }
    if (s.event_filter.size() > event_filter_max) {
        error = "operation '" + s.id + "': more than " + std::to_string(event_filter_max) + " event filter entries";
        return std::nullopt;
    }
    s.after_success = strings_of(r.getAfterSuccess());
    s.after_failure = strings_of(r.getAfterFailure());
    s.timeout_ms = r.getTimeoutMs();
    s.retries = r.getRetries();
    s.retry_backoff_ms = r.getRetryBackoffMs();
    s.retry_multiplier = r.getRetryMultiplier();
    s.retry_max_backoff_ms = r.getRetryMaxBackoffMs();
    s.retry_jitter = r.getRetryJitter();
    const auto conc = static_cast<unsigned>(r.getConcurrency());
    const auto catch_up = static_cast<unsigned>(r.getCatchUp());
    const auto loss = static_cast<unsigned>(r.getOnLeaderLoss());
    if (conc > 2 || catch_up > 2 || loss > 1 || s.timeout_ms == 0 || s.timeout_ms > operation_timeout_ms_max ||
        s.retries > operation_retries_max || s.retry_backoff_ms > operation_backoff_ms_max ||
        !(s.retry_multiplier >= 1.0 && s.retry_multiplier <= operation_multiplier_max) ||
        s.retry_max_backoff_ms > operation_backoff_ms_max || !(s.retry_jitter >= 0.0 && s.retry_jitter <= 1.0)) {
        error = "operation '" + s.id + "': a policy or limit is out of range";
        return std::nullopt;
    }
    s.concurrency = static_cast<Concurrency>(conc);
    s.catch_up = static_cast<CatchUp>(catch_up);
    s.on_leader_loss = static_cast<OnLeaderLoss>(loss);
    return s;
}

bool status_of(schema::ExecStatus s, ExecStatus& out) {
    const auto v = static_cast<unsigned>(s);
    if (v > static_cast<unsigned>(ExecStatus::skipped)) return false;
    out = static_cast<ExecStatus>(v);
    return true;
}

void save_execution(const Execution& e, schema::Execution::Builder b) {
    b.setId(e.id);
    b.setOperationId(e.operation);
    b.setOperationVersion(e.operation_version);
    b.setCause(static_cast<schema::Cause>(e.cause));
    b.setStatus(static_cast<schema::ExecStatus>(e.status));
    b.setAttempt(e.attempt);
    b.setNode(e.node);
    b.setCreatedAtMs(e.created_ms);
    b.setStartedAtMs(e.started_ms);
    b.setFinishedAtMs(e.finished_ms);
    b.setRetryAtMs(e.retry_at_ms);
    b.setSlotMs(e.slot_ms);
    b.setDurationMs(e.duration_ms);
    b.setExitCode(e.exit_code);
    b.setStartTerm(e.start_term);
    b.setInput(bytes_of(e.input));
    b.setInputHash(bytes_of_array(e.input_hash));
    b.setOutputHash(bytes_of_array(e.output_hash));
    b.setOutput(bytes_of(e.output));
    b.setReceiptSequence(e.receipt_sequence);
    b.setReceiptHash(bytes_of_array(e.receipt_hash));
    b.setDetail(e.detail);
    b.setReplayOf(e.replay_of);
}

std::optional<Execution> load_execution(schema::Execution::Reader r, std::string& error) {
    Execution e;
    e.id = r.getId();
    e.operation = r.getOperationId().cStr();
    e.operation_version = r.getOperationVersion();
    const auto cause = static_cast<unsigned>(r.getCause());
    if (cause > static_cast<unsigned>(Cause::idle) || !status_of(r.getStatus(), e.status) ||
        !array_of(r.getInputHash(), e.input_hash) || !array_of(r.getOutputHash(), e.output_hash, true) ||
        !array_of(r.getReceiptHash(), e.receipt_hash, true) || e.id == 0) {
        error = "execution " + std::to_string(e.id) + ": bad id, cause, status or hash";
        return std::nullopt;
    }
    e.cause = static_cast<Cause>(cause);
    e.attempt = r.getAttempt();
    e.node = r.getNode().cStr();
    e.created_ms = r.getCreatedAtMs();
    e.started_ms = r.getStartedAtMs();
    e.finished_ms = r.getFinishedAtMs();
    e.retry_at_ms = r.getRetryAtMs();
    e.slot_ms = r.getSlotMs();
    e.duration_ms = r.getDurationMs();
    e.exit_code = r.getExitCode();
    e.start_term = r.getStartTerm();
    e.input = string_of(r.getInput());
    e.output = string_of(r.getOutput());
    e.receipt_sequence = r.getReceiptSequence();
    e.detail = r.getDetail().cStr();
    e.replay_of = r.getReplayOf();
    return e;
}

void save_entry(const OperationEntry& e, schema::OperationEntry::Builder o) {
    save_spec(e.spec, o.initOperation());
    o.setVersion(e.version);
    o.setCreatedAtMs(e.created_ms);
    o.setUpdatedAtMs(e.updated_ms);
    o.setLastSlotMs(e.last_slot_ms);
    o.setDefinedIndex(e.defined_index);
    o.setScheduleSetMs(e.schedule_set_ms);
    o.setIdleFiredForMs(e.idle_fired_for_ms);
}

std::optional<OperationEntry> load_entry(schema::OperationEntry::Reader o, std::string& error) {
    auto spec = load_spec(o.getOperation(), error);
    if (!spec) return std::nullopt;
    OperationEntry e;
    e.spec = std::move(*spec);
    e.version = o.getVersion();
    e.created_ms = o.getCreatedAtMs();
    e.updated_ms = o.getUpdatedAtMs();
    e.last_slot_ms = o.getLastSlotMs();
    e.defined_index = o.getDefinedIndex();
    // A snapshot from before it was kept: the last change bounds it.
    e.schedule_set_ms = o.getScheduleSetMs() != 0 ? o.getScheduleSetMs() : e.updated_ms;
    e.idle_fired_for_ms = o.getIdleFiredForMs();
    return e;
}

void save_seal(const SealRecord& s, schema::Seal::Builder x) {
    x.setFirstSequence(s.first);
    x.setCount(s.count);
    x.setRoot(bytes_of_array(s.root));
    x.setSigner(s.signer);
    x.setSignature(bytes_of_array(s.signature));
}

std::optional<SealRecord> load_seal(schema::Seal::Reader s) {
    SealRecord x;
    x.first = s.getFirstSequence();
    x.count = s.getCount();
    x.signer = s.getSigner().cStr();
    if (!array_of(s.getRoot(), x.root) || !array_of(s.getSignature(), x.signature) || x.count == 0) return std::nullopt;
    return x;
}

}  // namespace codec_detail

std::string encode_execution(const Execution& e) {
    capnp::MallocMessageBuilder mb(raft::detail::first_segment_words(
        256 + e.operation.size() + e.node.size() + e.input.size() + e.output.size() + e.detail.size()));
    save_execution(e, mb.initRoot<schema::Execution>());
    return raft::detail::to_bytes(mb);
}

std::optional<Execution> decode_execution(std::string_view bytes, std::string& error) {
    return raft::detail::decode_root<schema::Execution>(
        bytes, error, "execution record",
        [&](schema::Execution::Reader r) -> std::optional<Execution> { return load_execution(r, error); });
}

std::string encode_ops_command(const OpsCommand& cmd) {
    // Most commands (a start, a finish, a seal) fit in 1 KiB; a larger one grows.
    capnp::MallocMessageBuilder mb(raft::detail::first_segment_words(1024));
    auto c = mb.initRoot<schema::Command>();
    c.initRequest().setClient(cmd.request.client);
    c.getRequest().setSeq(cmd.request.seq);
    c.setAtMs(cmd.at_ms);
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, PutOperation>) {
                auto p = c.initPutOperation();
                save_spec(x.spec, p.initOperation());
                p.setCreateOnly(x.create_only);
            } else if constexpr (std::is_same_v<T, DeleteOperation>) {
                c.setDeleteOperation(x.id);
            } else if constexpr (std::is_same_v<T, ExecuteOperation>) {
                auto e = c.initExecute();
                e.setOperationId(x.id);
                e.setInput(bytes_of(x.input));
            } else if constexpr (std::is_same_v<T, FireSlot>) {
                auto f = c.initFire();
                f.setOperationId(x.id);
                f.setSlotMs(x.slot_ms);
            } else if constexpr (std::is_same_v<T, FireBatch>) {
                auto list = c.initFires(static_cast<unsigned>(x.fires.size()));
                for (unsigned i = 0; i < x.fires.size(); ++i) {
                    list[i].setOperationId(x.fires[i].id);
                    list[i].setSlotMs(x.fires[i].slot_ms);
                }
            } else if constexpr (std::is_same_v<T, Replay>) {
                auto r = c.initReplay();
                r.setSinceMs(x.since_ms);
                auto list = r.initSlots(static_cast<unsigned>(x.slots.size()));
                for (unsigned i = 0; i < x.slots.size(); ++i) {
                    list[i].setOperationId(x.slots[i].id);
                    list[i].setSlotMs(x.slots[i].slot_ms);
                }
            } else if constexpr (std::is_same_v<T, PublishEvent>) {
                auto e = c.initEvent();
                e.setTopic(x.topic);
                e.setBody(bytes_of(x.body));
            } else if constexpr (std::is_same_v<T, StartBatch>) {
                auto l = c.initStart().initStarts(static_cast<unsigned>(x.starts.size()));
                for (unsigned i = 0; i < x.starts.size(); ++i) {
                    l[i].setExecutionId(x.starts[i].execution);
                    l[i].setAttempt(x.starts[i].attempt);
                    l[i].setNode(x.starts[i].node);
                    l[i].setStartedAtMs(x.starts[i].started_at_ms);
                }
            } else if constexpr (std::is_same_v<T, FinishBatch>) {
                auto l = c.initFinish().initFinishes(static_cast<unsigned>(x.finishes.size()));
                for (unsigned i = 0; i < x.finishes.size(); ++i) {
                    const auto& f = x.finishes[i];
                    l[i].setExecutionId(f.execution);
                    l[i].setAttempt(f.attempt);
                    l[i].setStatus(static_cast<schema::ExecStatus>(f.status));
                    l[i].setExitCode(f.exit_code);
                    l[i].setFinishedAtMs(f.finished_at_ms);
                    l[i].setDurationMs(f.duration_ms);
                    l[i].setOutput(bytes_of(f.output));
                    l[i].setOutputHash(bytes_of_array(f.output_hash));
                }
            } else if constexpr (std::is_same_v<T, Recover>) {
                c.setRecover();
            } else if constexpr (std::is_same_v<T, LeaderTick>) {
                c.setLeaderTick(x.node);
            } else if constexpr (std::is_same_v<T, FireIdle>) {
                auto f = c.initFireIdle();
                f.setOperationId(x.id);
                f.setSlotMs(x.idle_from_ms);
            } else if constexpr (std::is_same_v<T, RegisterKey>) {
                auto k = c.initNodeKey();
                k.setNode(x.node);
                k.setPublicKey(bytes_of_array(x.key));
            } else if constexpr (std::is_same_v<T, SealReceipts>) {
                auto s = c.initSeal();
                s.setFirstSequence(x.first);
                s.setCount(x.count);
                s.setRoot(bytes_of_array(x.root));
                s.setSigner(x.signer);
                s.setSignature(bytes_of_array(x.signature));
            }
        },
        cmd.body);
    return raft::detail::to_bytes(mb);
}

std::optional<Command> decode_any_command(std::string_view bytes, std::string& error) {
    return raft::detail::decode_root<schema::Command>(
        bytes, error, "command", [&](schema::Command::Reader c) -> std::optional<Command> {
            if (c.which() == schema::Command::KV_PUT || c.which() == schema::Command::KV_DELETE) {
                auto kv = KvCodec::command(c, error);
                if (!kv) return std::nullopt;
                return Command(std::move(*kv));
            }
            OpsCommand cmd;
            cmd.request = RequestId{c.getRequest().getClient(), c.getRequest().getSeq()};
            cmd.at_ms = c.getAtMs();
            switch (c.which()) {
                case schema::Command::PUT_OPERATION: {
                    auto spec = load_spec(c.getPutOperation().getOperation(), error);
                    if (!spec) return std::nullopt;
                    cmd.body = PutOperation{std::move(*spec), c.getPutOperation().getCreateOnly()};
                    break;
                }
                case schema::Command::DELETE_OPERATION:
                    cmd.body = DeleteOperation{c.getDeleteOperation().cStr()};
                    break;
                case schema::Command::EXECUTE: {
                    auto e = c.getExecute();
                    if (e.getInput().size() > ops_input_bytes_max) return error = "input too large", std::nullopt;
                    cmd.body = ExecuteOperation{e.getOperationId().cStr(), string_of(e.getInput())};
                    break;
                }
                case schema::Command::FIRE:
                    cmd.body = FireSlot{c.getFire().getOperationId().cStr(), c.getFire().getSlotMs()};
                    break;
                case schema::Command::FIRES: {
                    FireBatch b;
                    for (auto f : c.getFires()) b.fires.push_back(FireSlot{f.getOperationId().cStr(), f.getSlotMs()});
                    cmd.body = std::move(b);
                    break;
                }
                case schema::Command::REPLAY: {
                    Replay r;
                    r.since_ms = c.getReplay().getSinceMs();
                    auto l = c.getReplay().getSlots();
                    if (l.size() > replay_max) return error = "too many slots in one replay", std::nullopt;
                    for (auto f : l) r.slots.push_back(FireSlot{f.getOperationId().cStr(), f.getSlotMs()});
                    cmd.body = std::move(r);
                    break;
                }
                case schema::Command::EVENT: {
                    auto e = c.getEvent();
                    if (e.getBody().size() > ops_input_bytes_max) return error = "event body too large", std::nullopt;
                    cmd.body = PublishEvent{e.getTopic().cStr(), string_of(e.getBody())};
                    break;
                }
                case schema::Command::START: {
                    StartBatch b;
                    auto l = c.getStart().getStarts();
                    if (l.size() > ops_batch_max) return error = "too many starts in one entry", std::nullopt;
                    for (auto s : l)
                        b.starts.push_back(
                            StartExecution{s.getExecutionId(), s.getAttempt(), s.getNode().cStr(), s.getStartedAtMs()});
                    cmd.body = std::move(b);
                    break;
                }
                case schema::Command::FINISH: {
                    FinishBatch b;
                    auto l = c.getFinish().getFinishes();
                    if (l.size() > ops_batch_max) return error = "too many finishes in one entry", std::nullopt;
                    for (auto f : l) {
                        FinishExecution x;
                        x.execution = f.getExecutionId();
                        x.attempt = f.getAttempt();
                        if (!status_of(f.getStatus(), x.status) || !is_final(x.status))
                            return error = "a finish with a status that is not final", std::nullopt;
                        x.exit_code = f.getExitCode();
                        x.finished_at_ms = f.getFinishedAtMs();
                        x.duration_ms = f.getDurationMs();
                        if (f.getOutput().size() > ops_output_bytes_max)
                            return error = "output too large", std::nullopt;
                        x.output = string_of(f.getOutput());
                        if (!array_of(f.getOutputHash(), x.output_hash))
                            return error = "output hash is not 32 bytes", std::nullopt;
                        b.finishes.push_back(std::move(x));
                    }
                    cmd.body = std::move(b);
                    break;
                }
                case schema::Command::RECOVER: cmd.body = Recover{}; break;
                case schema::Command::FIRE_IDLE:
                    cmd.body = FireIdle{c.getFireIdle().getOperationId().cStr(), c.getFireIdle().getSlotMs()};
                    break;
                case schema::Command::LEADER_TICK: {
                    LeaderTick t{c.getLeaderTick().cStr()};
                    if (t.node.size() > 255) return error = "a leader tick's node name is too long", std::nullopt;
                    cmd.body = std::move(t);
                    break;
                }
                case schema::Command::NODE_KEY: {
                    RegisterKey k;
                    k.node = c.getNodeKey().getNode().cStr();
                    if (k.node.empty() || !array_of(c.getNodeKey().getPublicKey(), k.key))
                        return error = "a node key needs a node and 32 bytes of key", std::nullopt;
                    cmd.body = std::move(k);
                    break;
                }
                case schema::Command::SEAL: {
                    auto s = c.getSeal();
                    SealReceipts x;
                    x.first = s.getFirstSequence();
                    x.count = s.getCount();
                    x.signer = s.getSigner().cStr();
                    if (!array_of(s.getRoot(), x.root) || !array_of(s.getSignature(), x.signature))
                        return error = "a seal needs a 32-byte root and a 64-byte signature", std::nullopt;
                    cmd.body = std::move(x);
                    break;
                }
                default: error = "unknown command kind"; return std::nullopt;
            }
            return Command(std::move(cmd));
        });
}

void OpsSnapshotCodec::save_meta(const OpsMachine& m, schema::OperationsSnapshot::Builder b) {
    b.setNextExecutionId(m.next_id_);
    b.setChainSequence(m.chain_.last_sequence());
    b.setChainHead(bytes_of_array(m.chain_.head()));
    b.setSealedThrough(m.sealed_through_);
    std::size_t key_count = 0;
    for (const auto& [node, ring] : m.keys_) key_count += ring.size();
    auto keys = b.initKeys(static_cast<unsigned>(key_count));
    unsigned i = 0;
    for (const auto& [node, ring] : m.keys_)
        for (const auto& k : ring) {  // oldest first: the order is the ring's
            keys[i].setNode(node);
            keys[i].setPublicKey(bytes_of_array(k));
            ++i;
        }
    b.setHistoryBaseSequence(m.history_.base_sequence());
    b.setHistoryBaseHash(bytes_of_array(m.history_.base_hash()));
    b.setSessionClock(m.session_clock_);
    b.setHistoryDroppedThroughMs(m.dropped_through_ms_);
    b.setLastActivityMs(m.last_activity_ms_);
    auto f = b.initFigures();
    auto by_status = f.initByStatus(static_cast<unsigned>(m.figures_.by_status.size()));
    for (unsigned j = 0; j < by_status.size(); ++j) by_status.set(j, m.figures_.by_status[j]);
    auto buckets = f.initBuckets(static_cast<unsigned>(m.figures_.buckets.size()));
    for (unsigned j = 0; j < buckets.size(); ++j) buckets.set(j, m.figures_.buckets[j]);
    f.setDurationCount(m.figures_.duration_count);
    f.setDurationSumMs(m.figures_.duration_sum_ms);
    const auto& terms = m.leaders_.terms();
    auto lt = b.initLeaderTerms(static_cast<unsigned>(terms.size()));
    for (unsigned j = 0; j < terms.size(); ++j) {
        lt[j].setTerm(terms[j].term);
        lt[j].setNode(terms[j].node);
        lt[j].setFromMs(terms[j].from_ms);
        lt[j].setLastMs(terms[j].last_ms);
        lt[j].setFollows(terms[j].follows);
    }
}

void OpsSnapshotCodec::save(const OpsMachine& m, schema::OperationsSnapshot::Builder b) {
    save_meta(m, b);
    auto ops = b.initOperations(static_cast<unsigned>(m.ops_.size()));
    unsigned i = 0;
    for (const auto& [id, e] : m.ops_) save_entry(e, ops[i++]);
    auto active = b.initActive(static_cast<unsigned>(m.active_.size()));
    i = 0;
    for (const auto& [id, e] : m.active_) save_execution(e, active[i++]);
    const HistoryTable& kept = m.history_;
    auto history = b.initHistory(static_cast<unsigned>(kept.size()));
    i = 0;
    kept.each(kept.base_sequence() + 1, kept.last_sequence(),
              [&](const Execution& e) { save_execution(e, history[i++]); });
    auto seals = b.initSeals(static_cast<unsigned>(m.seals_.size()));
    i = 0;
    for (const auto& [first, s] : m.seals_) save_seal(s, seals[i++]);
    auto sessions = b.initSessions(static_cast<unsigned>(m.sessions_.size()));
    i = 0;
    for (const auto& [client, sess] : m.sessions_) save_session(client, sess, sessions[i++]);
    auto rollups = b.initRollups();
    const auto& names = m.rollups_.names();
    auto rn = rollups.initOperations(static_cast<unsigned>(names.size()));
    for (unsigned j = 0; j < names.size(); ++j) rn.set(j, names[j]);
    auto minutes = rollups.initMinutes(static_cast<unsigned>(m.rollups_.words().size()));
    i = 0;
    for (const auto& [start, words] : m.rollups_.words()) {
        auto x = minutes[i++];
        x.setStartMs(start);
        auto w = x.initWords(static_cast<unsigned>(words.size()));
        for (unsigned j = 0; j < words.size(); ++j) w.set(j, words[j]);
    }
}

std::string OpsSnapshotCodec::encode(const OpsMachine& m) {
    capnp::MallocMessageBuilder mb;
    save(m, mb.initRoot<schema::OperationsSnapshot>());
    return raft::detail::to_bytes(mb);
}

void OpsSnapshotCodec::save_session(std::uint64_t client, const OpsMachine::Session& sess,
                                    schema::OpsSession::Builder x) {
    x.setClient(client);
    x.setSeq(sess.seq);
    x.setTouched(sess.touched);
    x.setCode(static_cast<std::uint8_t>(sess.result.code));
    x.setDetail(sess.result.detail);
    auto ex = x.initExecutions(static_cast<unsigned>(sess.result.executions.size()));
    for (unsigned j = 0; j < sess.result.executions.size(); ++j) ex.set(j, sess.result.executions[j]);
    x.setVersion(sess.result.version);
}

void OpsSnapshotCodec::adopt(OpsMachine& m, OpsMachine&& next) {
    RAFT_ASSERT(next.db_ == m.db_, "a machine adopts one loaded over its own db");
    std::shared_ptr<StateDb> own = m.own_db_;
    m = std::move(next);
    m.own_db_ = std::move(own);
}

// The history goes into `m`'s tables, in the batch the caller opened (and commits, or
// drops when this fails) or in one of its own; the rest is built apart and replaces
// `m`'s only at the end.
std::optional<std::string> OpsSnapshotCodec::load(OpsMachine& m, schema::OperationsSnapshot::Reader r) {
    StateDb::AutoBatch batch(*m.db_);
    OpsMachine next(m.opts_, *m.db_);
    if (auto e = load_into(next, r, false)) return e;
    adopt(m, std::move(next));
    m.dirty_all_ = true;
    flush_rows(m);
    batch.done(m.db_->applied_index());
    m.changes_ = OpsChanges{true, true, true};
    return std::nullopt;
}

std::optional<std::string> OpsSnapshotCodec::load_into(OpsMachine& next, schema::OperationsSnapshot::Reader r,
                                                       bool history_in_table) {
    std::string error;
    next.next_id_ = std::max<std::uint64_t>(1, r.getNextExecutionId());
    for (auto o : r.getOperations()) {
        auto e = load_entry(o, error);
        if (!e) return error;
        next.index_operation(e->spec, true);
        const std::string id = e->spec.id;
        next.ops_.emplace(id, std::move(*e));
    }
    for (auto x : r.getActive()) {
        auto e = load_execution(x, error);
        if (!e) return error;
        if (is_final(e->status) || e->id >= next.next_id_)
            return "active execution " + std::to_string(e->id) + " is final or from the future";
        if (e->status == ExecStatus::running) ++next.running_[e->operation];
        if (e->cause != Cause::idle) ++next.busy_;
        next.active_.emplace(e->id, std::move(*e));
    }
    crypto::Digest base{}, head{};
    if (!array_of(r.getHistoryBaseHash(), base, true) || !array_of(r.getChainHead(), head, true))
        return std::string("chain hashes are not 32 bytes");
    if (history_in_table) {
        // The executions and receipts are the tables' rows as they stand: the chain's
        // figures must end where they do.
        const HistoryTable& h = next.history_;
        if (r.getChainSequence() != h.last_sequence())
            return std::string("the chain's length does not match its history");
        if ((h.empty() ? h.base_hash() : h.hash(h.last_sequence())) != head)
            return std::string("the chain's head is not the hash of its last receipt");
    } else {
        next.history_.reset(r.getHistoryBaseSequence(), base);
    }
    std::uint64_t expect = next.history_.last_sequence() + 1;
    crypto::Digest prev = history_in_table ? head : base;
    for (auto x : history_in_table ? schema::OperationsSnapshot::Reader().getHistory() : r.getHistory()) {
        auto e = load_execution(x, error);
        if (!e) return error;
        const std::string name = "history execution " + std::to_string(e->id);
        if (!is_final(e->status) || e->receipt_sequence != expect++)
            return name + " is not final or out of chain order";
        if (next.active_.count(e->id) || next.history_.sequence_of(e->id) != 0)
            return name + " is in the snapshot twice";
        // Only the chain's hashes at checkpoints are kept, the rest recomputed from the
        // fields: each must give the hash it was stored with.
        crypto::Receipt fields = receipt_fields(*e);
        fields.sequence = e->receipt_sequence;
        fields.prev_hash = prev;
        if (crypto::receipt_hash(fields) != e->receipt_hash)
            return name + ": its receipt hash does not match its fields and the receipt before";
        prev = e->receipt_hash;
        keep_final_only(*e);
        next.history_.push(*e);
    }
    if (r.getChainSequence() != expect - 1) return std::string("the chain's length does not match its history");
    if (prev != head) return std::string("the chain's head is not the hash of its last receipt");
    next.chain_ = crypto::ReceiptChain(r.getChainSequence(), head);
    next.sealed_through_ = r.getSealedThrough();
    if (next.sealed_through_ > r.getChainSequence()) return std::string("sealed past the end of the chain");
    if (next.sealed_through_ < next.history_.base_sequence())
        return std::string("receipts dropped from the history were never sealed");
    next.history_.sealed_through(next.sealed_through_);
    for (auto s : r.getSeals()) {
        auto x = load_seal(s);
        if (!x) return std::string("a seal is malformed");
        const std::uint64_t first = x->first;
        next.seals_.emplace(first, std::move(*x));
    }
    for (auto k : r.getKeys()) {
        crypto::PublicKey key{};
        if (!array_of(k.getPublicKey(), key)) return std::string("a node key is not 32 bytes");
        next.keys_[k.getNode().cStr()].push_back(key);
    }
    next.session_clock_ = r.getSessionClock();
    next.dropped_through_ms_ = r.getHistoryDroppedThroughMs();
    next.last_activity_ms_ = r.getLastActivityMs();
    for (auto x : r.getSessions()) {
        OpsMachine::Session sess;
        sess.seq = x.getSeq();
        sess.touched = x.getTouched();
        if (x.getCode() > static_cast<std::uint8_t>(OpsResult::Code::refused) || sess.touched == 0 ||
            sess.touched > next.session_clock_ || next.session_age_.count(sess.touched))
            return "session of client " + std::to_string(x.getClient()) + " is malformed";
        sess.result.code = static_cast<OpsResult::Code>(x.getCode());
        sess.result.detail = x.getDetail().cStr();
        for (auto e : x.getExecutions()) sess.result.executions.push_back(e);
        sess.result.version = x.getVersion();
        next.session_age_[sess.touched] = x.getClient();
        next.sessions_[x.getClient()] = std::move(sess);
    }
    if (r.hasFigures()) {
        // A snapshot from before the figures has none: they start again from zero.
        const auto f = r.getFigures();
        const auto by_status = f.getByStatus();
        const auto buckets = f.getBuckets();
        if ((by_status.size() != 0 && by_status.size() != next.figures_.by_status.size()) ||
            (buckets.size() != 0 && buckets.size() != next.figures_.buckets.size()))
            return std::string("the operations figures do not have the histogram's shape");
        for (unsigned j = 0; j < by_status.size(); ++j) next.figures_.by_status[j] = by_status[j];
        for (unsigned j = 0; j < buckets.size(); ++j) next.figures_.buckets[j] = buckets[j];
        next.figures_.duration_count = f.getDurationCount();
        next.figures_.duration_sum_ms = f.getDurationSumMs();
    }
    if (r.hasRollups()) {
        std::vector<std::string> names;
        for (auto n : r.getRollups().getOperations()) names.emplace_back(n.cStr());
        std::map<std::int64_t, std::vector<std::uint32_t>> minutes;
        for (auto x : r.getRollups().getMinutes()) {
            auto& words = minutes[x.getStartMs()];
            if (!words.empty()) return "rollup minute " + std::to_string(x.getStartMs()) + " is in the snapshot twice";
            for (auto w : x.getWords()) words.push_back(w);
        }
        auto rollups = Rollups::restore(std::move(names), std::move(minutes), error);
        if (!rollups) return error;
        next.rollups_ = std::move(*rollups);
    } else {
        // A snapshot from before the rollups: the executions it kept are their start.
        if (!next.history_.empty())
            next.history_.each(
                next.history_.base_sequence() + 1, next.history_.last_sequence(), [&](const Execution& e) {
                    next.rollups_.add(e.finished_ms, e.operation, e.status, e.started_ms != 0, e.duration_ms);
                });
    }
    std::deque<LeaderTerm> terms;
    for (auto t : r.getLeaderTerms()) {
        if (!terms.empty() && (t.getTerm() <= terms.back().term || t.getFromMs() < terms.back().last_ms))
            return std::string("the leader terms are out of order");
        if (t.getLastMs() < t.getFromMs())
            return "leader term " + std::to_string(t.getTerm()) + " ends before it begins";
        terms.push_back({t.getTerm(), t.getNode().cStr(), t.getFromMs(), t.getLastMs(), t.getFollows()});
    }
    next.leaders_.restore(std::move(terms));
    return std::nullopt;
}

}  // namespace raftor::state
