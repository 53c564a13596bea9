#pragma once
// The part of introspection each actor carries: counters it bumps in every handler,
// and the report it answers to the introspector's `inspect` with.
#include <caf/all.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/introspect/actor_report.hpp"
#include "runtime/introspect/message_trace.hpp"
#include "runtime/metrics/live_counters.hpp"

namespace raftor::actors {

using inspect_atom = caf::atom_constant<caf::atom("inspect")>;
using join_atom = caf::atom_constant<caf::atom("join")>;  // actor -> introspector: here I am

using ReportPtr = std::shared_ptr<const introspect::ActorReport>;
using ReportsPtr = std::shared_ptr<const std::vector<introspect::ActorReport>>;
using Summary = std::vector<std::pair<std::string, std::string>>;

struct ActorStats {
    std::uint64_t handled = 0;
    const char* last = "";  // a string literal naming the message type
    caf::actor_clock::time_point last_at{};
    introspect::MessageTrace trace;  // for `trace <actor>` in the console
    introspect::RateMeter rate;

    template <class Self>
    void note(Self* self, const char* what) {
        if constexpr (!metrics::enabled) return;
        ++handled;
        last = what;
        last_at = self->clock().now();
        const auto ms = steady_ms(last_at);
        trace.record(what, ms);
        rate.add(ms);
    }
    static std::int64_t steady_ns(caf::actor_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    }
    static std::int64_t steady_ms(caf::actor_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    }
};

// Called from the actor's own `inspect` handler: only the owner may read its mailbox.
template <class Self>
ReportPtr report_of(Self* self, const ActorStats& stats, std::string name, std::string kind, Summary state) {
    auto r = std::make_shared<introspect::ActorReport>();
    r->name = std::move(name);
    r->kind = std::move(kind);
    r->mailbox_depth = self->mailbox().size();
    r->messages_handled = stats.handled;
    r->last_message = stats.last;
    if (stats.handled > 0)
        r->last_message_age_ms = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now() - stats.last_at).count());
    r->state = std::move(state);
    const auto now = ActorStats::steady_ms(self->clock().now());
    r->rate_per_s = stats.rate.per_second(now);
    // On the actor clock, which is monotonic: the introspector, which has the node's wall
    // clock, turns them into the wall time operators read (introspect::to_wall_time).
    r->clock_ms = now;
    r->on_actor_clock = true;
    const auto entries = stats.trace.since(0);
    r->trace.reserve(entries.size());
    for (const auto& e : entries) r->trace.push_back({e.seq, e.type, e.at_ms});
    return r;
}

// Whoever spawns an actor tells the introspector (when there is one) that it exists.
inline void join(const caf::actor& introspector, const std::string& name, const std::string& kind,
                 const caf::actor& who) {
    if (introspector) caf::anon_send(introspector, join_atom::value, name, kind, who);
}

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::ReportPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::ReportsPtr)
