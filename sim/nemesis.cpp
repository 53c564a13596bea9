#include "sim/nemesis.hpp"

#include <algorithm>

#include "actors/messages.hpp"

namespace raftor::sim {

Nemesis::Nemesis(ActorCluster& cluster, FaultMix mix) : c_(cluster), mix_(mix) {
    const NetworkModel& n = c_.network();
    drop_ = n.drop;
    duplicate_ = n.duplicate;
    delay_min_us_ = n.delay_min_us;
    delay_max_us_ = n.delay_max_us;
}

std::uint64_t Nemesis::struck_total() const {
    std::uint64_t t = 0;
    for (auto s : struck_) t += s;
    return t;
}

std::string Nemesis::summary() const {
    std::string out;
    for (std::size_t i = 0; i < fault_kinds; ++i) {
        if (struck_[i] == 0) continue;
        if (!out.empty()) out += ", ";
        out += std::string(fault_name(static_cast<Fault>(i))) + " " + std::to_string(struck_[i]);
    }
    return out.empty() ? "none" : out;
}

raft::NodeId Nemesis::random_up_node() {
    std::vector<raft::NodeId> up;
    for (raft::NodeId id = 1; id <= c_.size(); ++id)
        if (c_.up(id)) up.push_back(id);
    return up.empty() ? 0 : up[c_.rng().below(up.size())];
}

void Nemesis::strike(std::uint64_t max_us) {
    const std::uint32_t total = mix_.total();
    if (total == 0) return;
    std::uint64_t dice = c_.rng().below(total);
    std::size_t i = 0;
    while (dice >= mix_.weight[i]) dice -= mix_.weight[i++];
    Active a{static_cast<Fault>(i), 0, c_.now_us() + 1 + c_.rng().below(max_us)};
    ++struck_[i];
    apply(a);
    active_.push_back(a);
}

void Nemesis::apply(Active& a) {
    NetworkModel& net = c_.network();
    raft::Rng& rng = c_.rng();
    switch (a.fault) {
        case Fault::drop: net.drop = 0.05 + 0.3 * rng.unit(); break;
        case Fault::dup: net.duplicate = 0.05 + 0.3 * rng.unit(); break;
        case Fault::delay:
            net.delay_min_us = 5'000 + rng.below(20'000);
            net.delay_max_us = net.delay_min_us + rng.below(300'000);
            break;
        case Fault::reorder:
            net.in_order = false;
            net.delay_min_us = 0;
            net.delay_max_us = 5'000 + rng.below(50'000);
            break;
        case Fault::partition: partition_some_way(); break;
        case Fault::crash:
            a.node = random_up_node();
            if (a.node != 0) c_.crash(a.node);
            break;
        case Fault::kill_leader:
            a.node = c_.leader();
            if (a.node != 0) c_.crash(a.node);
            break;
        case Fault::power:
            c_.note("power loss");
            for (raft::NodeId id = 1; id <= c_.size(); ++id) c_.crash(id);
            break;
        case Fault::skew: {
            a.node = 1 + rng.below(c_.size());
            // From a third of the normal pace to three times it.
            static constexpr int paces[] = {33, 50, 70, 85, 120, 150, 200, 300};
            c_.set_timer_pace(a.node, paces[rng.below(std::size(paces))]);
            break;
        }
        case Fault::slow_disk:
            a.node = 1 + rng.below(c_.size());
            c_.set_disk_delay(a.node, 10'000 + rng.below(400'000));
            c_.note("node " + std::to_string(a.node) + " disk slow");
            break;
        case Fault::fsync:
            a.node = 1 + rng.below(c_.size());
            c_.disk(a.node).set_faults(DiskFaults{.sync_fail = 0.2 + 0.8 * rng.unit()});
            c_.note("node " + std::to_string(a.node) + " fsync failing");
            break;
        case Fault::disk_full: {
            a.node = 1 + rng.below(c_.size());
            NodeDisk& d = c_.disk(a.node);
            // Room for a few more writes at most: what fills a real disk's last blocks.
            d.set_faults(DiskFaults{.capacity_bytes = d.used() + rng.below(16 << 10)});
            a.refusals = d.full_refusals();
            c_.note("node " + std::to_string(a.node) + " disk full");
            break;
        }
        case Fault::admin: admin(a); break;
        case Fault::clock: {
            a.node = 1 + rng.below(c_.size());
            // A step of up to a minute either way, or a drift of up to 5%.
            const auto by = static_cast<std::int64_t>(1 + rng.below(60'000));
            switch (rng.below(3)) {
                case 0: c_.step_wall(a.node, -by); break;
                case 1: c_.step_wall(a.node, by); break;
                default: c_.drift_wall(a.node, (rng.below(2) ? 1 : -1) * static_cast<std::int64_t>(rng.below(50'000)));
            }
            break;
        }
    }
}

void Nemesis::partition_some_way() {
    const std::size_t n = c_.size();
    std::vector<raft::NodeId> ids;
    for (raft::NodeId id = 1; id <= n; ++id) ids.push_back(id);
    // A seeded shuffle (std::shuffle's use of the generator is not portable).
    for (std::size_t i = n - 1; i > 0; --i) std::swap(ids[i], ids[c_.rng().below(i + 1)]);
    const raft::NodeId leader = c_.leader();
    if (leader != 0) std::iter_swap(ids.begin(), std::find(ids.begin(), ids.end(), leader));
    switch (c_.rng().below(4)) {
        case 0: {  // the leader (or anyone) alone
            std::set<raft::NodeId> rest(ids.begin() + 1, ids.end());
            c_.partition({{ids[0]}, rest});
            break;
        }
        case 1: {  // a minority with the leader, a majority without it
            const std::size_t minority = 1 + c_.rng().below((n - 1) / 2);
            c_.partition({std::set<raft::NodeId>(ids.begin(), ids.begin() + minority),
                          std::set<raft::NodeId>(ids.begin() + minority, ids.end())});
            break;
        }
        case 2: {  // a bridge: two sides that only the last node talks to both of
            const std::size_t half = (n - 1) / 2;
            std::set<raft::NodeId> a(ids.begin(), ids.begin() + half), b(ids.begin() + half, ids.end() - 1);
            c_.heal();
            for (auto x : a)
                for (auto y : b) {
                    c_.block(x, y);
                    c_.block(y, x);
                }
            c_.note("bridge through node " + std::to_string(ids.back()));
            break;
        }
        default: {  // one direction: the leader's messages out are lost, it still hears the others
            c_.heal();
            for (raft::NodeId id = 1; id <= n; ++id)
                if (id != ids[0]) c_.block(ids[0], id);
            c_.note("node " + std::to_string(ids[0]) + " cannot send");
            break;
        }
    }
}

void Nemesis::undo(const Active& a) {
    NetworkModel& net = c_.network();
    switch (a.fault) {
        case Fault::drop: net.drop = drop_; break;
        case Fault::dup: net.duplicate = duplicate_; break;
        case Fault::delay:
        case Fault::reorder:
            if (a.fault == Fault::reorder) net.in_order = true;
            net.delay_min_us = delay_min_us_;
            net.delay_max_us = delay_max_us_;
            break;
        case Fault::partition:
            c_.heal();
            c_.note("heal");
            break;
        case Fault::crash:
        case Fault::kill_leader:
            if (a.node != 0) c_.restart(a.node);
            break;
        case Fault::power:
            for (raft::NodeId id = 1; id <= c_.size(); ++id) c_.restart(id);
            break;
        case Fault::skew: c_.set_timer_pace(a.node, 100); break;
        case Fault::slow_disk: c_.set_disk_delay(a.node, c_.normal_disk_latency_us()); break;
        case Fault::fsync:
            // The disk is replaced; the node that stopped on it is started again.
            c_.disk(a.node).set_faults(DiskFaults{});
            c_.restart(a.node);
            break;
        case Fault::disk_full:
            // Room again: the node, still running, retries the writes it kept and carries on.
            if (c_.disk(a.node).full_refusals() > a.refusals) ++disk_full_bit_;
            c_.disk(a.node).set_faults(DiskFaults{});
            c_.restart(a.node);  // (a no-op unless it stopped for another reason)
            break;
        case Fault::clock: c_.true_wall(a.node); break;  // time service puts it right: another step
        case Fault::admin: admin_undo(a); break;
    }
}

void Nemesis::admin(Active& a) {
    raft::Rng& rng = c_.rng();
    const raft::NodeId l = c_.leader();
    a.action = static_cast<int>(rng.below(5));
    const std::string op = "operator: ";
    switch (a.action) {
        case transfer: {
            if (l == 0) return;
            std::vector<raft::NodeId> to;
            for (auto v : c_.view(l).voters)
                if (v != l && c_.up(v)) to.push_back(v);
            const raft::NodeId target = to.empty() ? 0 : to[rng.below(to.size())];
            c_.note(op + "transfer leadership from node " + std::to_string(l) + " to node " + std::to_string(target));
            caf::anon_send(c_.peer(l), actors::transfer_atom::value, target);
            return;
        }
        case drain: {
            a.node = random_up_node();
            if (a.node == 0) return;
            c_.note(op + "drain node " + std::to_string(a.node));
            caf::anon_send(c_.peer(a.node), actors::drained_atom::value, true);
            if (auto e = c_.actor(a.node, "executor")) caf::anon_send(e, actors::drained_atom::value, true);
            return;
        }
        case snapshot_now: {
            a.node = random_up_node();
            if (a.node == 0) return;
            c_.note(op + "snapshot now on node " + std::to_string(a.node));
            caf::anon_send(c_.peer(a.node), actors::snapnow_atom::value);
            return;
        }
        case remove: {
            // One voter out at a time, never below two; the leader a third of the time.
            if (l == 0 || !removed_.empty() || !returning_.empty()) return;
            const auto& voters = c_.view(l).voters;
            if (voters.size() < 3) return;
            a.node = rng.below(3) == 0 ? l : voters[rng.below(voters.size())];
            removed_.insert(a.node);
            c_.note(op + "remove node " + std::to_string(a.node) + (a.node == l ? " (the leader)" : ""));
            caf::anon_send(c_.peer(l), actors::member_atom::value, raft::ConfChangeType::remove_voter, a.node,
                           std::string());
            return;
        }
        case join: {
            // A brand-new node, once per run and up to seven: added as a learner, then
            // promoted (settle), while the faults go on.
            if (l == 0 || joined_ || c_.size() >= 7 || !removed_.empty() || !returning_.empty()) return;
            joined_ = true;
            const raft::NodeId id = c_.add_node();
            c_.note(op + "add brand-new node " + std::to_string(id));
            returning_.insert(id);
            next_settle_ = 0;
            settle();
            return;
        }
    }
}

void Nemesis::admin_undo(const Active& a) {
    if (a.node == 0) return;
    if (a.action == drain && c_.up(a.node)) {
        c_.note("operator: undrain node " + std::to_string(a.node));
        caf::anon_send(c_.peer(a.node), actors::drained_atom::value, false);
        if (auto e = c_.actor(a.node, "executor")) caf::anon_send(e, actors::drained_atom::value, false);
    } else if (a.action == remove && removed_.erase(a.node) > 0) {
        returning_.insert(a.node);
        next_settle_ = 0;
        settle();
    }
}

void Nemesis::settle() {
    const std::uint64_t now = c_.now_us();
    if (returning_.empty() || now < next_settle_) return;
    next_settle_ = now + 500'000;
    const raft::NodeId l = c_.leader();
    if (l == 0) return;
    const auto& v = c_.view(l);
    for (auto it = returning_.begin(); it != returning_.end();) {
        const raft::NodeId id = *it;
        if (std::find(v.voters.begin(), v.voters.end(), id) != v.voters.end()) {
            c_.note("operator: node " + std::to_string(id) + " is a voter");
            it = returning_.erase(it);
            continue;
        }
        // Proposals refused meanwhile (another change pending, a learner not caught up
        // yet) are asked again at the next settle.
        const bool learner = std::find(v.learners.begin(), v.learners.end(), id) != v.learners.end();
        c_.note("operator: " + std::string(learner ? "promote" : "add as a learner") + " node " + std::to_string(id));
        caf::anon_send(c_.peer(l), actors::member_atom::value,
                       learner ? raft::ConfChangeType::promote_learner : raft::ConfChangeType::add_learner, id,
                       std::string());
        ++it;
    }
}

void Nemesis::expire() {
    settle();
    const std::uint64_t now = c_.now_us();
    for (std::size_t i = 0; i < active_.size();) {
        if (active_[i].until <= now) {
            const Active a = active_[i];
            active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
            undo(a);
        } else {
            ++i;
        }
    }
}

void Nemesis::heal() {
    auto all = std::move(active_);
    active_.clear();
    for (const auto& a : all) undo(a);
    c_.heal();
    for (raft::NodeId id = 1; id <= c_.size(); ++id) {
        c_.disk(id).set_faults(DiskFaults{});
        c_.true_wall(id);
        c_.restart(id);  // also a node that stopped itself on its own
    }
    c_.note("heal all");
}

}  // namespace raftor::sim
