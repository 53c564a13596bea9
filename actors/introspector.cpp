#include "actors/introspector.hpp"

namespace raftor::actors {

namespace {

using Self = Introspector::stateful_base<IntrospectorState>;

// One inspection round: the reports so far and how many answers are still due.
struct Round {
    caf::typed_response_promise<ReportsPtr> rp;
    std::size_t due = 0;
};

void finish(Self* self, const std::shared_ptr<Round>& round, const WallClock& wall) {
    if (--round->due > 0) return;
    auto out = std::make_shared<std::vector<introspect::ActorReport>>();
    auto& st = self->state;
    for (const auto& [name, m] : st.members) out->push_back(m.last);
    ReportPtr me =
        report_of(self, st.stats, "introspector", "introspection", {{"members", std::to_string(st.members.size())}});
    out->push_back(*me);
    out->back().to_wall_time(wall());
    round->rp.deliver(ReportsPtr(std::move(out)));
}

}  // namespace

Introspector::behavior_type introspector(Self* self, std::chrono::milliseconds answer_timeout, WallClock wall) {
    self->set_down_handler([=](caf::down_msg& dm) {
        for (auto& [name, m] : self->state.members) {
            if (m.handle && m.handle.address() == dm.source) {
                m.handle = nullptr;
                m.last.responsive = false;
                m.last.stopped = dm.reason ? self->system().render(dm.reason) : "normal exit";
            }
        }
    });
    return {
        [=](join_atom, const std::string& name, const std::string& kind, caf::actor who) {
            self->state.stats.note(self, "join");
            self->monitor(who);
            auto& m = self->state.members[name];  // a restarted actor takes its predecessor's place
            m.kind = kind;
            m.handle = who;
            m.last = introspect::ActorReport{};
            m.last.name = name;
            m.last.kind = kind;
        },
        [=](inspect_atom) -> caf::typed_response_promise<ReportsPtr> {
            self->state.stats.note(self, "inspect");
            auto round = std::make_shared<Round>();
            round->rp = self->make_response_promise<ReportsPtr>();
            round->due = 1;  // ours: released below, after every request has gone out
            for (auto& [name, m] : self->state.members) {
                if (!m.handle) continue;
                ++round->due;
                const std::string who = name;
                self->request(m.handle, answer_timeout, inspect_atom::value)
                    .then(
                        [=](ReportPtr r) {
                            auto it = self->state.members.find(who);
                            if (it != self->state.members.end() && it->second.handle) {
                                // The name it joined under is the one operators look it up by.
                                it->second.last = *r;
                                it->second.last.to_wall_time(wall());
                                it->second.last.name = who;
                                it->second.last.kind = it->second.kind;
                            }
                            finish(self, round, wall);
                        },
                        [=](caf::error&) {
                            auto it = self->state.members.find(who);
                            if (it != self->state.members.end()) it->second.last.responsive = false;
                            finish(self, round, wall);
                        });
            }
            finish(self, round, wall);
            return round->rp;
        },
    };
}

}  // namespace raftor::actors
