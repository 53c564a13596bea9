#pragma once
// Who the members are: name, peer address and HTTP address by raft id. The names and
// peer addresses come from the configuration; HTTP addresses from each peer's hello
// (on the transport's I/O thread), so a follower knows where to forward writes.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/raft/types.hpp"

namespace raftor::actors {

class Directory {
public:
    struct Entry {
        std::string name;
        std::string peer_address;
        std::string http_address;
        std::string https_address;  // with TLS
        // Where requests for this member are forwarded: its HTTPS address when this
        // node has TLS (never in clear then), else its HTTP one. Filled by get().
        std::string forward_to;
    };

    // With TLS, requests are forwarded over HTTPS only.
    void forward_over_tls(bool on) {
        std::lock_guard<std::mutex> lock(mu_);
        tls_ = on;
    }
    bool tls() const {
        std::lock_guard<std::mutex> lock(mu_);
        return tls_;
    }

    void add(raft::NodeId id, Entry e) {
        std::lock_guard<std::mutex> lock(mu_);
        entries_[id] = std::move(e);
    }
    // A member learned at run time: its name and peer address (an HTTP address it
    // already introduced stays).
    void learn(raft::NodeId id, const std::string& name, const std::string& peer_address) {
        std::lock_guard<std::mutex> lock(mu_);
        auto& e = entries_[id];
        e.name = name;
        e.peer_address = peer_address;
    }
    // A peer's hello. It may come before the member is learned (a joining node dials
    // the cluster before it is added), so the address is kept for when it is.
    void set_http(raft::NodeId id, const std::string& http, const std::string& https = {}) {
        std::lock_guard<std::mutex> lock(mu_);
        entries_[id].http_address = http;
        entries_[id].https_address = https;
    }
    // The newest peer protocol the member said it speaks in its last hello (0: none yet).
    void set_protocol(raft::NodeId id, std::uint32_t protocol) {
        std::lock_guard<std::mutex> lock(mu_);
        protocols_[id] = protocol;
    }
    std::uint32_t protocol(raft::NodeId id) const {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = protocols_.find(id);
        return it == protocols_.end() ? 0 : it->second;
    }
    Entry get(raft::NodeId id) const {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return Entry{id == 0 ? "" : std::to_string(id), "", ""};
        Entry e = it->second;
        if (e.name.empty()) e.name = std::to_string(id);  // not learned yet
        e.forward_to = tls_ ? e.https_address : e.http_address;
        return e;
    }

    // The member called `name`, and its raft id (0 when there is none).
    std::pair<raft::NodeId, Entry> by_name(const std::string& name) const {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [id, e] : entries_)
            if (!e.name.empty() && e.name == name) {
                Entry out = e;
                out.forward_to = tls_ ? e.https_address : e.http_address;
                return {id, out};
            }
        return {0, Entry{}};
    }
    // Whether `address` (an IP, as a connection's remote end) is the host of a member's
    // peer or HTTP address: requests a member forwards were already counted there.
    bool member_host(const std::string& address) const {
        const auto host_of = [](const std::string& hp) {
            const auto colon = hp.rfind(':');
            std::string h = colon == std::string::npos ? hp : hp.substr(0, colon);
            if (h.size() > 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
            return h;
        };
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [id, e] : entries_)
            if ((!e.peer_address.empty() && host_of(e.peer_address) == address) ||
                (!e.http_address.empty() && host_of(e.http_address) == address))
                return true;
        return false;
    }
    std::string names() const {  // "node-1, node-2, node-3", for errors
        std::lock_guard<std::mutex> lock(mu_);
        std::string out;
        for (const auto& [id, e] : entries_)
            if (!e.name.empty()) out += (out.empty() ? "" : ", ") + e.name;
        return out;
    }

private:
    mutable std::mutex mu_;
    std::map<raft::NodeId, Entry> entries_;
    std::map<raft::NodeId, std::uint32_t> protocols_;
    bool tls_ = false;
};

}  // namespace raftor::actors
