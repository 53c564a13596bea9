// Raft messages from the network into live cores. A three-member group elects node 1
// and commits a few entries; then each record of the input is one frame from a member
// (or a stranger) to one of the cores: decoded, checked at the boundary as raft_peer
// does, stepped, and whatever the cores answer is delivered among them. Ticks are
// records too. No assertion may fire: the core's assertions guard its own state, and
// the boundary check must keep every input from reaching one.
//
// A record: [core:1][sender:1][length:2, little-endian][frame], or [0xff][ticks:1].
#include <deque>
#include <map>
#include <memory>

#include "runtime/raft/codec.hpp"
#include "runtime/raft/inbound_check.hpp"
#include "runtime/raft/raft.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace raftor::raft;

namespace {

struct Group {
    std::map<NodeId, std::unique_ptr<Raft>> nodes;
    std::vector<Message> delivered;  // honest traffic, for the starting inputs

    Group() {
        for (NodeId id : {1, 2, 3}) {
            Config c;
            c.id = id;
            c.election_ticks = 10;
            c.heartbeat_ticks = 1;
            c.seed = 42 + id;
            Restore r;
            r.initial_conf = ConfState{{1, 2, 3}, {}};
            nodes[id] = std::make_unique<Raft>(c, std::move(r));
        }
    }
    // Persists at once and delivers until quiet (bounded: a storm is not a crash).
    void settle(NodeId first, bool record = false) {
        std::deque<Message> flight;
        auto collect = [&](NodeId id) {
            Raft& r = *nodes.at(id);
            while (r.has_ready()) {
                Ready rd = r.ready();
                for (auto& m : rd.messages) flight.push_back(std::move(m));
                if (rd.persist_id) r.on_persisted(rd.persist_id);
            }
        };
        collect(first);
        for (int n = 0; !flight.empty() && n < 20'000; ++n) {
            Message m = std::move(flight.front());
            flight.pop_front();
            auto it = nodes.find(m.to);
            if (it == nodes.end()) continue;
            if (check_inbound(*it->second, m.from, m) != Refusal::none) continue;
            if (record) delivered.push_back(m);
            it->second->step(m);
            collect(m.to);
        }
    }
    void start() {
        nodes.at(1)->campaign();
        settle(1, true);
        for (int i = 0; i < 3; ++i) {
            (void)nodes.at(1)->propose("entry-" + std::to_string(i));
            settle(1, true);
        }
        for (int t = 0; t < 3; ++t)
            for (NodeId id : {1, 2, 3}) {
                nodes.at(id)->tick();
                settle(id, true);
            }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Group g;
    g.start();
    std::size_t at = 0;
    while (at + 2 <= size) {
        if (data[at] == 0xff) {  // ticks for every core
            const int ticks = data[at + 1] % 32;
            at += 2;
            for (int t = 0; t < ticks; ++t)
                for (NodeId id : {1, 2, 3}) {
                    g.nodes.at(id)->tick();
                    g.settle(id);
                }
            continue;
        }
        if (at + 4 > size) break;
        const NodeId core = data[at] % 3 + 1;
        const NodeId sender = data[at + 1] % 4 + 1;  // 4: not a member
        const std::size_t len = data[at + 2] | std::size_t{data[at + 3]} << 8;
        at += 4;
        const std::size_t take = std::min(len, size - at);
        std::string error;
        auto m = decode_message(std::string_view(reinterpret_cast<const char*>(data + at), take), error);
        at += take;
        if (!m) continue;
        Raft& r = *g.nodes.at(core);
        if (check_inbound(r, sender, *m) != Refusal::none) continue;
        r.step(*m);
        g.settle(core);
    }
    return 0;
}

std::vector<std::string> raftor::fuzz::starting_inputs() {
    Group g;
    g.start();
    std::vector<std::string> out;
    // Windows of the honest traffic, each message as a record to its own core.
    for (std::size_t from = 0; from < g.delivered.size(); from += 8) {
        std::string s;
        for (std::size_t i = from; i < std::min(g.delivered.size(), from + 16); ++i) {
            const Message& m = g.delivered[i];
            const std::string bytes = encode_message(m);
            s += static_cast<char>(m.to - 1);
            s += static_cast<char>(m.from - 1);
            s += static_cast<char>(bytes.size() & 0xff);
            s += static_cast<char>((bytes.size() >> 8) & 0xff);
            s += bytes;
            if (i % 5 == 4) s += "\xff\x0c";
        }
        out.push_back(std::move(s));
    }
    return out;
}
