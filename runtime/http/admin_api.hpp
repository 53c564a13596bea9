#pragma once
// The operator's admin requests (POST /admin/..., POST /shutdown, GET /admin/backup):
// routing and rendering, pure. Every one needs the bearer token when one is set.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/http/message.hpp"

namespace raftor::http {

struct MemberChange {
    enum class Action : std::uint8_t { add_learner, add_voter, promote, remove } action = Action::add_learner;
    std::string name;
    std::string peer_address;  // add-learner / add-voter: where its peer transport listens
};
const char* to_string(MemberChange::Action a);

struct AdminCall {
    enum class Kind : std::uint8_t {
        snapshot,         // POST /admin/snapshot
        transfer_leader,  // POST /admin/transfer-leader[?to=NAME]
        drain,            // POST /admin/drain[?timeoutMs=N]
        drain_status,     // GET /admin/drain
        undrain,          // POST /admin/undrain
        shutdown,         // POST /shutdown
        members,          // GET /admin/members
        member_change,    // POST /admin/members {action, name, peerAddress}
        backup,           // GET /admin/backup
        storage,          // POST /admin/storage {"mapBytes": N}
    } kind = Kind::snapshot;
    std::string to;                     // transfer_leader: empty means the most caught-up voter
    std::uint64_t timeout_ms = 30'000;  // drain: how long to wait for handlers and the handover
    MemberChange change;
    std::uint64_t map_bytes = 0;  // storage: the new LMDB map size
};

bool is_admin_path(const std::string& path);
struct Routed;
// Called once route() has checked the caller may use admin routes (access.hpp).
Routed route_admin(const Request& req, const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& query);

// ---- answers
struct SnapshotTaken {
    std::string node;
    std::uint64_t index = 0, term = 0, bytes = 0;
    bool taken = true;  // false: nothing applied since the last one (its figures are given)
    std::string detail;
};
Response snapshot_taken(const SnapshotTaken& s);

struct LeaderMoved {
    std::string from, to;  // names
    std::uint64_t term = 0;
    bool moved = true;  // false: `to` already led
    std::string detail;
};
Response leader_moved(const LeaderMoved& m);

struct DrainReport {
    std::string node;
    bool draining = false;
    bool drained = false;       // no handler running here and this node does not lead
    std::uint64_t running = 0;  // handlers still running (or starting) here
    bool leading = false;
    std::string leader;  // who leads now (name), when known
    std::uint64_t waited_ms = 0;
};
// 200 when drained (or undrained), 202 while handlers still run or the handover is pending.
Response drain_report(const DrainReport& r);

struct MemberChanged {
    MemberChange change;
    std::uint64_t id = 0;
    std::uint64_t index = 0;                    // the conf-change entry
    std::vector<std::string> voters, learners;  // the configuration now (names)
};
Response member_changed(const MemberChanged& m);
// POST /admin/storage: the map was resized (and the writes waiting for room retried).
Response storage_resized(const std::string& node, std::uint64_t map_bytes, bool full, const std::string& detail);
// 202: the graceful stop SIGTERM makes has begun.
Response shutdown_started(const std::string& node);

}  // namespace raftor::http
