#pragma once
// Drive cores by hand: every ready() is persisted at once unless a test holds it.
#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "runtime/raft/raft.hpp"

namespace raftor::raft::testing {

inline Config config(NodeId id, int election = 10, int heartbeat = 1) {
    Config c;
    c.id = id;
    c.election_ticks = election;
    c.heartbeat_ticks = heartbeat;
    c.seed = 42;
    return c;
}

inline ConfState voters(std::initializer_list<NodeId> ids) {
    return ConfState{ids, {}};
}

inline std::unique_ptr<Raft> make(NodeId id, ConfState conf, Config c = {}) {
    if (c.id == no_node) c = config(id);
    Restore r;
    r.initial_conf = std::move(conf);
    return std::make_unique<Raft>(c, std::move(r));
}

// The entries a node wrote, by index: what storage reads back for Ready::fetches.
using StoredLog = std::map<Index, Entry>;

// Drains ready(), persisting immediately; returns the messages sent. With `stored`,
// entries are kept there and fetches are answered from it.
inline std::vector<Message> drain(Raft& r, std::vector<Entry>* committed = nullptr,
                                  std::vector<ReadState>* reads = nullptr, StoredLog* stored = nullptr) {
    std::vector<Message> out;
    while (r.has_ready()) {
        Ready rd = r.ready();
        if (stored) {
            if (rd.snapshot) stored->clear();
            if (!rd.entries.empty()) stored->erase(stored->lower_bound(rd.entries.front().index), stored->end());
            for (const auto& e : rd.entries) (*stored)[e.index] = e;
            for (const auto& f : rd.fetches) {
                std::vector<Entry> read;
                for (auto it = stored->find(f.from); it != stored->end() && read.size() < f.count; ++it)
                    read.push_back(it->second);
                r.on_fetched(f.to, f.from, std::move(read));
            }
        }
        for (auto& m : rd.messages) out.push_back(std::move(m));
        if (committed)
            for (auto& e : rd.committed) committed->push_back(std::move(e));
        if (reads)
            for (auto& rs : rd.read_states) reads->push_back(std::move(rs));
        if (rd.persist_id != 0) r.on_persisted(rd.persist_id);
    }
    return out;
}

inline std::vector<Message> of_type(const std::vector<Message>& ms, MessageType t) {
    std::vector<Message> out;
    for (const auto& m : ms)
        if (m.type == t) out.push_back(m);
    return out;
}

// Wins an election for `r` by stepping grants from `voters` by hand, without
// delivering anything else (so the new leader's no-op stays uncommitted).
inline void win_election(Raft& r, std::initializer_list<NodeId> voters) {
    r.campaign();
    drain(r);
    const Term t = r.term() + 1;
    for (NodeId v : voters) r.step(Message{.type = MessageType::pre_vote_resp, .from = v, .to = r.id(), .term = t});
    drain(r);
    for (NodeId v : voters) r.step(Message{.type = MessageType::vote_resp, .from = v, .to = r.id(), .term = t});
    drain(r);
    BOOST_REQUIRE((r.role() == Role::leader));
}

// A fully connected group delivering everything until quiet (no loss).
struct Group {
    std::map<NodeId, std::unique_ptr<Raft>> nodes;
    std::map<NodeId, std::vector<Entry>> applied;
    std::map<NodeId, std::vector<ReadState>> reads;
    std::map<NodeId, StoredLog> stored;
    std::vector<Message> in_flight;
    std::set<NodeId> down;
    std::vector<Message> delivered;  // every message delivered, in order

    explicit Group(std::initializer_list<NodeId> ids, Config base = {}) {
        ConfState conf{ids, {}};
        for (NodeId id : ids) {
            Config c = base;
            c.id = id;
            if (c.seed == 1) c.seed = 42;
            nodes[id] = make(id, conf, c);
        }
    }
    Raft& operator[](NodeId id) { return *nodes.at(id); }
    void collect(NodeId id) {
        auto ms = drain(*nodes.at(id), &applied[id], &reads[id], &stored[id]);
        for (auto& m : ms) in_flight.push_back(std::move(m));
    }
    // Delivers until no message is left; returns how many were delivered.
    std::size_t settle(std::size_t max = 1'000'000) {
        for (auto& [id, _] : nodes) collect(id);
        std::size_t n = 0;
        while (!in_flight.empty() && n < max) {
            auto batch = std::move(in_flight);
            in_flight.clear();
            for (auto& m : batch) {
                if (down.count(m.to) || down.count(m.from) || !nodes.count(m.to)) continue;
                nodes.at(m.to)->step(m);
                delivered.push_back(m);
                ++n;
                collect(m.to);
            }
        }
        return n;
    }
    void tick_all(int times = 1) {
        for (int i = 0; i < times; ++i)
            for (auto& [id, r] : nodes)
                if (!down.count(id)) r->tick();
        settle();
    }
    NodeId elect(NodeId id) {
        nodes.at(id)->campaign();
        settle();
        BOOST_REQUIRE(nodes.at(id)->role() == Role::leader);
        return id;
    }
};

}  // namespace raftor::raft::testing
