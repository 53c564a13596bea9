#pragma once
// Names and peer addresses of the members added at run time. A conf-change entry
// carries the member it adds as its context (schema/membership.capnp); every replica
// records it when the entry applies, and the state snapshot keeps it, so a node that
// restarts after compaction (or joins by snapshot) still knows where each member is.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace raftor::state {

struct MemberInfo {
    std::uint64_t id = 0;
    std::string name;
    std::string peer_address;  // host:port
    bool operator==(const MemberInfo&) const = default;
};

class MemberRegistry {
public:
    void put(MemberInfo m) { by_id_[m.id] = std::move(m); }
    void erase(std::uint64_t id) { by_id_.erase(id); }
    const std::map<std::uint64_t, MemberInfo>& all() const { return by_id_; }
    bool operator==(const MemberRegistry&) const = default;

private:
    std::map<std::uint64_t, MemberInfo> by_id_;
};

// A member name: 1-63 of [A-Za-z0-9._-]. Empty when fine, else what is wrong.
std::string check_member_name(std::string_view name);

std::string encode_member(const MemberInfo& m);

class StateDb;
// The registry as rows of the state store (tables::members), in its open batch: one
// member's row (none when `m` is null), or every row again.
void write_member(StateDb& db, std::uint64_t id, const MemberInfo* m);
void write_members(StateDb& db, const MemberRegistry& members);
// The registry the rows hold; a row that does not decode is a damaged store (StateDbError).
MemberRegistry read_members(const StateDb& db);
// Empty when the member has an id, a valid name and a host:port; else what is wrong.
std::string check_member(const MemberInfo& m);
// Nothing (and `error` says why) unless the bytes are a Member that passes check_member.
std::optional<MemberInfo> decode_member(std::string_view bytes, std::string& error);

}  // namespace raftor::state
