#include "runtime/state/member_registry.hpp"

#include "runtime/common/host_port.hpp"
#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/state_db.hpp"
#include "schema/membership.capnp.h"

namespace raftor::state {

std::string check_member_name(std::string_view name) {
    if (name.empty()) return "is empty";
    if (name.size() > 63) return "is longer than 63 characters";
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            return std::string("has the character '") + c + "' (allowed: letters, digits, '.', '_', '-')";
    return {};
}

std::string check_member(const MemberInfo& m) {
    std::string host;
    std::uint16_t port = 0;
    if (m.id == 0) return "member '" + m.name + "': id is 0";
    if (auto e = check_member_name(m.name); !e.empty()) return "member name '" + m.name + "' " + e;
    if (!common::split_host_port(m.peer_address, host, port))
        return "member '" + m.name + "': peer address '" + m.peer_address + "' is not host:port";
    return {};
}

std::string encode_member(const MemberInfo& m) {
    capnp::MallocMessageBuilder mb;
    auto b = mb.initRoot<schema::Member>();
    b.setId(m.id);
    b.setName(m.name);
    b.setPeerAddress(m.peer_address);
    return raft::detail::to_bytes(mb);
}

std::optional<MemberInfo> decode_member(std::string_view bytes, std::string& error) {
    return raft::detail::decode_root<schema::Member>(
        bytes, error, "member", [&](schema::Member::Reader r) -> std::optional<MemberInfo> {
            MemberInfo m{r.getId(), r.getName().cStr(), r.getPeerAddress().cStr()};
            if (error = check_member(m); !error.empty()) return std::nullopt;
            return m;
        });
}

void write_member(StateDb& db, std::uint64_t id, const MemberInfo* m) {
    if (m == nullptr) return db.del(tables::members, encode_be64(id));
    db.put(tables::members, encode_be64(id), encode_member(*m));
}

void write_members(StateDb& db, const MemberRegistry& members) {
    db.clear_table(tables::members);
    for (const auto& [id, m] : members.all()) write_member(db, id, &m);
}

MemberRegistry read_members(const StateDb& db) {
    MemberRegistry out;
    db.scan(tables::members, {}, {}, [&](std::string_view key, std::string_view row) {
        std::string error;
        auto m = decode_member(row, error);
        if (!m || decode_be64(key) != m->id)
            throw StateDbError("the member row of " + std::to_string(row.size()) + " bytes is damaged: " + error);
        out.put(std::move(*m));
        return true;
    });
    return out;
}

}  // namespace raftor::state
