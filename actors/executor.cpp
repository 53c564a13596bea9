#include "actors/executor.hpp"

#include <algorithm>

#include "actors/ops_requests.hpp"
#include "runtime/common/mutation.hpp"
#include "runtime/exec/http_call.hpp"
#include "runtime/log/log.hpp"
#include "runtime/state/ops_machine.hpp"
#include "runtime/state/start_plan.hpp"

namespace raftor::actors {

namespace {

using Self = Executor::stateful_base<ExecutorState>;

// A proposal the leader must see through (its recover, its finishes) is tried again
// after timeouts::propose_again while it still leads the same term; a new leader's
// recover covers the rest.

bool applied(const CompletionPtr& c) {
    return c && c->outcome == node::Outcome::done;
}

using Candidate = state::StartCandidate;

void scan(Self* self, const ExecutorSetupPtr& setup);

void finished(Self* self, std::uint64_t id, std::uint32_t attempt, state::ExecStatus status, int exit_code,
              std::string output, const crypto::Digest& hash, std::uint64_t duration_ms) {
    auto& st = self->state;
    auto it = st.running.find(id);
    if (it == st.running.end() || it->second.attempt != attempt) return;  // cancelled, or leadership lost
    if (status != state::ExecStatus::success) {
        // An operator's first look at a high error rate is grep ERROR in the logs (the
        // logger quotes and escapes the output's start).
        logging::said(logging::Level::error, "execution_failed", "operation failed",
                      {{"operation", it->second.operation},
                       {"execution", "ex-" + std::to_string(id)},
                       {"attempt", std::to_string(attempt)},
                       {"status", state::to_string(status)},
                       {"exitCode", std::to_string(exit_code)},
                       {"output", output.substr(0, 200)}});
    }
    st.running.erase(it);
    ++st.finished_total;
    st.finished.push_back(
        state::FinishExecution{id, attempt, status, exit_code, st.wall(), duration_ms, std::move(output), hash});
    if (!st.flush_queued) {
        st.flush_queued = true;
        self->send(self, flush_atom::value);
    }
}

void finished_now(Self* self, std::uint64_t id, std::uint32_t attempt, state::ExecStatus status, int code,
                  std::string output) {
    const crypto::Digest h = crypto::sha256(output);
    finished(self, id, attempt, status, code, std::move(output), h, 0);
}

void launch(Self* self, const ExecutorSetupPtr& setup, const Candidate& c) {
    auto& st = self->state;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    st.running[c.id] = ExecutorState::Running{c.attempt, cancel, c.spec.id, self->clock().now()};
    ++st.started_total;
    if (setup->on_launch) setup->on_launch(c.id, c.attempt);
    const auto& h = c.spec.handler;
    using K = state::Handler::Kind;
    using S = state::ExecStatus;
    switch (h.kind) {
        case K::noop: return finished_now(self, c.id, c.attempt, S::success, 0, {});
        case K::echo:
            return finished_now(self, c.id, c.attempt, S::success, 0, h.message.empty() ? c.input : h.message);
        case K::fail: return finished_now(self, c.id, c.attempt, S::failed, 1, h.message);
        case K::sleep: {
            const bool times_out = h.sleep_ms > c.spec.timeout_ms;
            self->delayed_send(self, std::chrono::milliseconds(times_out ? c.spec.timeout_ms : h.sleep_ms),
                               done_atom::value, c.id, c.attempt, times_out, static_cast<std::uint64_t>(h.sleep_ms));
            return;
        }
        case K::http: {
            exec::HttpCallSpec spec;
            spec.method = h.method;
            spec.url = h.url;
            spec.headers = h.headers;
            spec.headers["X-Raftor-Execution-Id"] = state::execution_id_string(c.id);
            spec.headers["X-Raftor-Operation-Id"] = c.spec.id;
            spec.headers["X-Raftor-Attempt"] = std::to_string(c.attempt);
            // The handler's own body, else the execution's input (an event's payload).
            spec.body = h.body.empty() ? c.input : h.body;
            spec.timeout_ms = c.spec.timeout_ms;
            spec.output_max = setup->output_max;
            spec.allowed_hosts = setup->http_hosts;
            spec.ca_file = setup->https_ca;
            return setup->runner(self, HandlerCall{c.id, c.attempt, std::move(spec), cancel});
        }
        case K::exec:
        case K::shell: {
            exec::ProcessSpec p;
            p.env = setup->env;
            p.run_as = setup->run_as;
            p.sandbox = setup->sandbox;
            if (h.kind == K::exec) {
                p.argv = h.argv;
                for (const auto& [k, v] : h.env) p.env[k] = v;
                p.cwd = h.cwd;
            } else {
                p.argv = setup->shell;
                p.argv.push_back(h.command);
            }
            p.env["RAFTOR_EXECUTION_ID"] = state::execution_id_string(c.id);
            p.env["RAFTOR_OPERATION_ID"] = c.spec.id;
            p.env["RAFTOR_ATTEMPT"] = std::to_string(c.attempt);
            p.input = c.input;
            p.timeout_ms = c.spec.timeout_ms;
            p.output_max = setup->output_max;
            return setup->runner(self, HandlerCall{c.id, c.attempt, std::move(p), cancel});
        }
    }
}

void start_candidates(Self* self, const ExecutorSetupPtr& setup, std::vector<Candidate> cands) {
    auto& st = self->state;
    if (cands.empty()) return;
    state::StartBatch batch;
    for (const auto& c : cands) {
        st.starting.insert(c.id);
        batch.starts.push_back(state::StartExecution{c.id, c.attempt, setup->node_name, setup->wall()});
    }
    const std::uint64_t term = st.term;
    if (RAFTOR_MUTATED(launch_before_commit))
        for (const auto& c : cands) launch(self, setup, c);
    auto shared = std::make_shared<std::vector<Candidate>>(std::move(cands));
    propose_ops(self, setup->peer, setup->wall(), std::move(batch))
        .then(
            [=](CompletionPtr c) {
                auto& st = self->state;
                for (const auto& x : *shared) st.starting.erase(x.id);
                if (!st.leading || st.term != term || c->outcome != node::Outcome::done) return;
                const std::set<std::uint64_t> started(c->ops.executions.begin(), c->ops.executions.end());
                for (const auto& x : *shared)
                    if (started.count(x.id) && !RAFTOR_MUTATED(launch_before_commit)) launch(self, setup, x);
                scan(self, setup);
            },
            [=](caf::error&) {
                for (const auto& x : *shared) self->state.starting.erase(x.id);
            });
}

void scan(Self* self, const ExecutorSetupPtr& setup) {
    auto& st = self->state;
    if (!st.leading || st.draining || !st.scan.begin()) return;
    state::ExecutorLoad load;
    load.max_concurrent = setup->max_concurrent;
    for (const auto& [id, r] : st.running) load.running[id] = r.attempt;
    load.starting = st.starting;
    load.finishes_pending = st.finished.size() + st.finishes_proposed;
    auto plan = std::make_shared<state::StartPlan>();
    const std::int64_t now = setup->wall();
    query_local(self, setup->peer, [=](const node::Applier& a) { *plan = state::plan_starts(a.ops(), load, now); })
        .then(
            [=](CompletionPtr) {
                auto& st = self->state;
                const bool more = st.scan.end();
                for (auto id : plan->gone) {
                    auto it = st.running.find(id);
                    if (it == st.running.end()) continue;
                    it->second.cancel->store(true);
                    st.running.erase(it);
                }
                if (plan->wake_ms) {
                    const auto gen = ++st.wake_generation;
                    const auto delay = std::max<std::int64_t>(1, *plan->wake_ms - setup->wall());
                    self->delayed_send(self, std::chrono::milliseconds(delay), wake_atom::value, gen);
                }
                start_candidates(self, setup, std::move(plan->start));
                if (more) scan(self, setup);
            },
            [=](caf::error&) {
                if (self->state.scan.end()) scan(self, setup);
            });
}

void stop_all(Self* self) {
    auto& st = self->state;
    for (auto& [id, r] : st.running) r.cancel->store(true);
    st.running.clear();
    st.starting.clear();
    st.finished.clear();
}

// "execution 12 (backup, try 1) for 350 ms, ...": the handlers running now, oldest
// first, at most ten named.
std::string running_text(Self* self) {
    std::vector<std::pair<caf::actor_clock::time_point, std::string>> rows;
    const auto now = self->clock().now();
    for (const auto& [id, r] : self->state.running) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - r.since).count();
        rows.emplace_back(r.since, "execution " + std::to_string(id) + " (" + r.operation + ", try " +
                                       std::to_string(r.attempt) + ") for " + std::to_string(ms) + " ms");
    }
    std::sort(rows.begin(), rows.end());
    std::string out;
    for (std::size_t i = 0; i < rows.size() && i < 10; ++i) out += (i ? ", " : "") + rows[i].second;
    if (rows.size() > 10) out += ", and " + std::to_string(rows.size() - 10) + " more";
    return out;
}

}  // namespace

// Each call blocks (a process, an HTTP call), so it runs on a thread of its own and
// reports its end back as a done message.
HandlerRunner detached_runner() {
    return [](Executor::pointer self, HandlerCall call) {
        // The executor goes as a spawn argument, not a capture: CAF 0.17 binds a reference
        // through a null pointer when a function actor takes no arguments (UBSan halts the node).
        self->spawn<caf::detached>(
            [](caf::event_based_actor* runner, Executor me, HandlerCall c) {
                auto r = std::make_shared<exec::ProcessResult>(exec::run_handler(c.what, *c.cancel));
                runner->send(me, done_atom::value, c.id, c.attempt, ProcessResultPtr(r));
                runner->quit();
            },
            caf::actor_cast<Executor>(self), std::move(call));
    };
}

Executor::behavior_type executor(Self* self, ExecutorSetupPtr setup) {
    self->state.wall = setup->wall;
    self->set_exit_handler([=](const caf::exit_msg& m) {
        stop_all(self);
        self->quit(m.reason);
    });
    return {
        [=](leadership_atom, bool leading, std::uint64_t term) {
            self->state.stats.note(self, "leadership");
            auto& st = self->state;
            if (leading == st.leading && term == st.term) return;
            if (!leading || term != st.term) stop_all(self);
            st.leading = leading;
            st.term = term;
            if (!leading) return;
            // First resolve whatever earlier leaders left running, then work.
            self->send(self, recover_atom::value, term);
        },
        [=](recover_atom, std::uint64_t term) {
            self->state.stats.note(self, "recover");
            auto& st = self->state;
            if (!st.leading || st.term != term) return;
            // Until it applies, tries started in earlier terms stay "running": no one
            // else would ever resolve them, so it is retried while this term lasts.
            auto again = [=](const std::string& why) {
                logging::warn("recover_not_applied", {{"term", std::to_string(term)}, {"reason", why}});
                self->delayed_send(self, timeouts::propose_again, recover_atom::value, term);
            };
            propose_ops(self, setup->peer, setup->wall(), state::Recover{})
                .then(
                    [=](CompletionPtr c) {
                        if (!applied(c)) return again(node::to_string(c->outcome) + std::string(": ") + c->detail);
                        scan(self, setup);
                        self->send(self, tick_atom::value, term);
                    },
                    [=](caf::error& e) { again(caf::to_string(e)); });
        },
        // While it leads, the leader says so in the log: the cluster's uptime and
        // failovers are read from these ticks (state/leader_terms.hpp).
        [=](tick_atom, std::uint64_t term) {
            self->state.stats.note(self, "tick");
            auto& st = self->state;
            if (!st.leading || st.term != term) return;
            // A tick refused or lost is not tried again: the next one will do.
            propose_ops(self, setup->peer, setup->wall(), state::LeaderTick{setup->node_name})
                .then([](CompletionPtr) {}, [](caf::error&) {});
            self->delayed_send(self, std::chrono::milliseconds(state::leader_tick_ms), tick_atom::value, term);
        },
        [=](ops_changed_atom, bool, bool runnable, bool) {
            self->state.stats.note(self, "ops_changed");
            if (runnable) scan(self, setup);
        },
        [=](wake_atom, std::uint64_t gen) {
            self->state.stats.note(self, "wake");
            if (gen == self->state.wake_generation) scan(self, setup);
        },
        [=](done_atom, std::uint64_t id, std::uint32_t attempt, bool timed_out, std::uint64_t ms) {
            self->state.stats.note(self, "sleep_done");
            using S = state::ExecStatus;
            finished_now(self, id, attempt, timed_out ? S::timeout : S::success, timed_out ? 137 : 0,
                         timed_out ? "slept past the timeout" : "slept " + std::to_string(ms) + " ms");
        },
        [=](done_atom, std::uint64_t id, std::uint32_t attempt, ProcessResultPtr r) {
            self->state.stats.note(self, "process_done");
            using S = state::ExecStatus;
            using E = exec::ProcessResult::End;
            if (r->end == E::cancelled) return;
            S status = r->succeeded() ? S::success : S::failed;
            std::string output = r->output;
            if (r->end == E::timed_out) status = S::timeout;
            if (r->end == E::failed_to_start) output = r->error;
            const crypto::Digest h = r->end == E::failed_to_start ? crypto::sha256(output) : r->output_hash;
            finished(self, id, attempt, status, r->exit_code, std::move(output), h, r->duration_ms);
        },
        [=](flush_atom) {
            auto& st = self->state;
            st.flush_queued = false;
            if (st.finished.empty() || !st.leading) return;
            auto finishes = std::make_shared<std::vector<state::FinishExecution>>(std::move(st.finished));
            st.finished.clear();
            const std::uint64_t term = st.term;
            // A finish that did not apply is put back and proposed again while this
            // term lasts (the state machine ignores one for a try that is over).
            auto again = [=](const std::string& why) {
                logging::warn("finish_not_recorded", {{"finishes", std::to_string(finishes->size())}, {"reason", why}});
                auto& st = self->state;
                if (!st.leading || st.term != term) return;
                st.finished.insert(st.finished.begin(), finishes->begin(), finishes->end());
                if (!st.flush_queued) {
                    st.flush_queued = true;
                    self->delayed_send(self, timeouts::propose_again, flush_atom::value);
                }
            };
            st.finishes_proposed += finishes->size();
            auto answered = [=] { self->state.finishes_proposed -= finishes->size(); };
            propose_ops(self, setup->peer, setup->wall(), state::FinishBatch{*finishes})
                .then(
                    [=](CompletionPtr c) {
                        answered();
                        if (!applied(c)) return again(node::to_string(c->outcome) + std::string(": ") + c->detail);
                        scan(self, setup);
                    },
                    [=](caf::error& e) {
                        answered();
                        again(caf::to_string(e));
                    });
        },
        // Drain mode on or off; answered with how many handlers still run (or are starting).
        [=](drained_atom, bool on) -> std::uint64_t {
            self->state.stats.note(self, "drained");
            auto& st = self->state;
            const bool was = st.draining;
            st.draining = on;
            if (was && !on) scan(self, setup);
            return st.running.size() + st.starting.size();
        },
        [=](inspect_atom) -> ReportPtr {
            const auto& st = self->state;
            return report_of(self, st.stats, "executor", "executor",
                             {{"leading", st.leading ? "true" : "false"},
                              {"draining", st.draining ? "true" : "false"},
                              {"running", std::to_string(st.running.size())},
                              {"runningHandlers", running_text(self)},
                              {"starting", std::to_string(st.starting.size())},
                              {"maxConcurrent", std::to_string(setup->max_concurrent)},
                              {"started", std::to_string(st.started_total)},
                              {"finished", std::to_string(st.finished_total)}});
        },
    };
}

}  // namespace raftor::actors
