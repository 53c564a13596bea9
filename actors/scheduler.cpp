#include "actors/scheduler.hpp"

#include <algorithm>

#include "actors/ops_requests.hpp"
#include "runtime/log/log.hpp"
#include "runtime/state/due_slots.hpp"
#include "runtime/state/idle_due.hpp"
#include "runtime/state/ops_machine.hpp"

namespace raftor::actors {

namespace {

using Self = Scheduler::stateful_base<SchedulerState>;

struct Timed {
    std::string id;
    std::string spec;
    std::int64_t last_slot_ms = 0;
    state::CatchUp catch_up = state::CatchUp::all;
};

struct Scanned {
    std::vector<Timed> timed;
    state::IdleDue idle;
};

void scan(Self* self, const SchedulerSetupPtr& setup);

// Proposes every due slot not already in flight as one entry: one commit for a whole
// wake-up, and one creation time, whatever the number of schedules.
void fire(Self* self, const SchedulerSetupPtr& setup, std::vector<state::FireSlot> due) {
    auto& st = self->state;
    state::FireBatch batch;
    for (auto& f : due)
        if (st.in_flight.emplace(f.id, f.slot_ms).second) batch.fires.push_back(std::move(f));
    if (batch.fires.empty()) return;
    st.last_lateness_ms = setup->wall() - batch.fires.front().slot_ms;
    auto keys = std::make_shared<std::vector<std::pair<std::string, std::int64_t>>>();
    for (const auto& f : batch.fires) keys->emplace_back(f.id, f.slot_ms);
    propose_ops(self, setup->peer, setup->wall(), std::move(batch))
        .then(
            [=](CompletionPtr c) {
                auto& st = self->state;
                for (const auto& k : *keys) st.in_flight.erase(k);
                if (c->outcome == node::Outcome::done) {
                    st.fires += c->ops.executions.size();
                    st.duplicates += keys->size() - c->ops.executions.size();
                }
            },
            [=](caf::error&) {
                for (const auto& k : *keys) self->state.in_flight.erase(k);
            });
}

// Proposes an idle trigger due; the state machine fires it only if the cluster is still
// idle since the same moment.
void fire_idle(Self* self, const SchedulerSetupPtr& setup, const state::FireIdle& due) {
    const std::pair<std::string, std::int64_t> key{due.id, due.idle_from_ms};
    if (!self->state.idle_in_flight.insert(key).second) return;
    propose_ops(self, setup->peer, setup->wall(), due)
        .then(
            [=](CompletionPtr c) {
                self->state.idle_in_flight.erase(key);
                if (c->outcome == node::Outcome::done) self->state.idle_fires += c->ops.executions.size();
            },
            [=](caf::error&) { self->state.idle_in_flight.erase(key); });
}

// Wakes for the next slot due. The wall clock can be stepped (NTP, an operator, a VM
// resumed): a wait computed from it before a step back would oversleep by the step, so
// the scheduler sleeps at most a second at a time and looks at the clock again.
void arm(Self* self, const SchedulerSetupPtr& setup) {
    constexpr std::int64_t max_sleep_ms = 1000;
    auto& st = self->state;
    const auto gen = ++st.wake_generation;
    const auto wait = std::clamp<std::int64_t>(st.next_due_ms - setup->wall(), 0, max_sleep_ms);
    self->delayed_send(self, std::chrono::milliseconds(wait), wake_atom::value, gen);
}

void scan(Self* self, const SchedulerSetupPtr& setup) {
    auto& st = self->state;
    if (!st.leading || !st.scan.begin()) return;
    auto found = std::make_shared<Scanned>();
    const std::int64_t asked = setup->wall();
    query_local(self, setup->peer,
                [found, asked](const node::Applier& a) {
                    const auto& ops = a.ops();
                    for (const auto& [id, e] : ops.operations())
                        if (e.spec.schedule)
                            found->timed.push_back(Timed{id, *e.spec.schedule, e.last_slot_ms, e.spec.catch_up});
                    found->idle = state::idle_due(ops, asked);
                })
        .then(
            [=](CompletionPtr) {
                auto& st = self->state;
                const bool more = st.scan.end();
                if (!st.leading) return;
                const std::int64_t now = setup->wall();
                st.scanned_at_ms = now;
                // Idle triggers, decided on the state as it was read (state/idle_due).
                for (const auto& due : found->idle.fire) fire_idle(self, setup, due);
                std::optional<std::int64_t> next = found->idle.next_ms;
                std::vector<std::pair<std::int64_t, std::string>> next_fires;
                std::map<std::string, std::pair<std::string, std::shared_ptr<schedule::Schedule>>> parsed;
                std::vector<state::FireSlot> due_now;
                for (const Timed& t : found->timed) {
                    auto cached = st.parsed.find(t.id);
                    std::shared_ptr<schedule::Schedule> s;
                    if (cached != st.parsed.end() && cached->second.first == t.spec) {
                        s = cached->second.second;
                    } else {
                        std::string error;
                        auto p = schedule::parse(t.spec, error, setup->zones);
                        if (!p) {
                            // Checked when registered; a zone missing on this node only.
                            logging::warn("schedule_unusable", {{"operation", t.id}, {"error", error}});
                            continue;
                        }
                        s = std::make_shared<schedule::Schedule>(std::move(*p));
                    }
                    parsed[t.id] = {t.spec, s};
                    const auto due = state::due_slots(*s, t.last_slot_ms, now, t.catch_up, setup->skip_grace_ms, 256);
                    for (auto slot : due.fire) due_now.push_back(state::FireSlot{t.id, slot});
                    if (due.next && (!next || *due.next < *next)) next = due.next;
                    if (due.next) next_fires.emplace_back(*due.next, t.id);
                }
                const std::size_t shown = std::min<std::size_t>(next_fires.size(), 5);
                std::partial_sort(next_fires.begin(), next_fires.begin() + shown, next_fires.end());
                next_fires.resize(shown);
                st.next_fires = std::move(next_fires);
                st.parsed = std::move(parsed);
                fire(self, setup, std::move(due_now));
                st.next_due_ms = next.value_or(0);
                if (next) arm(self, setup);
                if (more) scan(self, setup);
            },
            [=](caf::error&) {
                if (self->state.scan.end()) scan(self, setup);
            });
}

// "op-a at 2026-11-24T10:00:01Z, op-b at ...": the soonest slots, as of the last scan.
std::string next_fires_text(const SchedulerState& st) {
    if (!st.leading) return "";
    std::string out;
    for (const auto& [slot, id] : st.next_fires)
        out += (out.empty() ? "" : ", ") + id + " at " + schedule::format_rfc3339(slot);
    return out;
}

}  // namespace

Scheduler::behavior_type scheduler(Self* self, SchedulerSetupPtr setup) {
    return {
        [=](leadership_atom, bool leading, std::uint64_t term) {
            self->state.stats.note(self, "leadership");
            self->state.leading = leading;
            self->state.term = term;
            self->state.in_flight.clear();
            self->state.idle_in_flight.clear();
            if (leading) scan(self, setup);
        },
        [=](ops_changed_atom, bool schedules, bool, bool) {
            self->state.stats.note(self, "ops_changed");
            if (schedules) scan(self, setup);
        },
        [=](wake_atom, std::uint64_t gen) {
            self->state.stats.note(self, "wake");
            if (gen != self->state.wake_generation || !self->state.leading) return;
            if (state::scan_now(setup->wall(), self->state.next_due_ms, self->state.scanned_at_ms))
                return scan(self, setup);
            arm(self, setup);  // not due yet by the clock as it reads now
        },
        [=](inspect_atom) -> ReportPtr {
            const auto& st = self->state;
            return report_of(self, st.stats, "scheduler", "scheduler",
                             {{"leading", st.leading ? "true" : "false"},
                              {"schedules", std::to_string(st.parsed.size())},
                              {"nextFire", st.next_due_ms ? schedule::format_rfc3339(st.next_due_ms) : ""},
                              {"nextFires", next_fires_text(st)},
                              {"fires", std::to_string(st.fires)},
                              {"duplicates", std::to_string(st.duplicates)},
                              {"idleFires", std::to_string(st.idle_fires)},
                              {"lastLatenessMs", std::to_string(st.last_lateness_ms)},
                              {"inFlight", std::to_string(st.in_flight.size())}});
        },
    };
}

}  // namespace raftor::actors
