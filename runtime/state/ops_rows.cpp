// The operations state as rows of the state store, beside the history's tables: each
// operation, active execution, seal and client session a row, the rollups a row per
// run, and one row of the machine's own figures. Every command writes the rows of what
// it changed, in the batch it applies in; reload() builds a machine from the rows alone,
// through the snapshot's own checks.
#include <capnp/message.h>

#include <set>
#include <utility>

#include "runtime/crypto/sha256.hpp"
#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/ops_codec_detail.hpp"
#include "runtime/state/ops_snapshot.hpp"
#include "runtime/state/state_db.hpp"

namespace raftor::state {

using namespace codec_detail;

namespace {

constexpr std::string_view meta_key = "ops";
// An operation's id is its key; one too long for a key (never from the API, which stops
// at operation_id_max) is kept under its prefix and hash.
constexpr std::size_t op_key_max = 400, op_key_prefix = 368;

std::string op_key(const std::string& id) {
    if (id.size() <= op_key_max) return id;
    std::string k = id.substr(0, op_key_prefix);
    k.append(crypto::view(crypto::sha256(id)));
    return k;
}

std::string run_key(std::int64_t minute, std::uint32_t place) {
    std::string k = encode_be64(static_cast<std::uint64_t>(minute));
    append_be64(k, place);
    return k;
}

template <typename T, typename Fill>
std::string row_of(std::size_t words, Fill fill) {
    capnp::MallocMessageBuilder mb(raft::detail::first_segment_words(words));
    fill(mb.initRoot<T>());
    return raft::detail::to_bytes(mb);
}

std::string words_row(const std::vector<std::uint32_t>& words) {
    std::string out;
    out.reserve(4 * words.size());
    for (std::uint32_t w : words)
        for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((w >> shift) & 0xFF));
    return out;
}

std::string row_key(const std::string& id) {
    return op_key(id);
}
std::string row_key(std::uint64_t number) {
    return encode_be64(number);
}

// `table`'s rows for the keys in `dirty` (every key of `live`, the table emptied first,
// when `all`): a live entry's row, none for one that is gone.
template <typename Map, typename Key, typename Encode>
void write_rows(StateDb& db, storage::TableId table, const Map& live, std::set<Key>& dirty, bool all, Encode encode) {
    if (all) {
        db.clear_table(table);
        for (const auto& [k, v] : live) db.put(table, row_key(k), encode(k, v));
    } else {
        for (const auto& k : dirty) {
            auto it = live.find(k);
            if (it == live.end())
                db.del(table, row_key(k));
            else
                db.put(table, row_key(k), encode(k, it->second));
        }
    }
    dirty.clear();
}

// Each row of `table` decoded as a T into the list `init` makes: a snapshot's list.
template <typename T, typename Init>
bool copy_rows(const StateDb& db, storage::TableId table, const char* what, Init init, std::string& error) {
    std::vector<std::string> rows;
    db.scan(table, {}, {}, [&](std::string_view, std::string_view v) {
        rows.emplace_back(v);
        return true;
    });
    auto list = init(static_cast<unsigned>(rows.size()));
    for (unsigned i = 0; i < rows.size(); ++i) {
        const auto ok =
            raft::detail::decode_root<T>(rows[i], error, what, [&](typename T::Reader r) -> std::optional<bool> {
                list.setWithCaveats(i, r);
                return true;
            });
        if (!ok) return false;
    }
    return true;
}

}  // namespace

void OpsSnapshotCodec::flush_rows(OpsMachine& m) {
    StateDb& db = *m.db_;
    const bool all = std::exchange(m.dirty_all_, false);
    write_rows(db, tables::ops_registry, m.ops_, m.dirty_ops_, all, [](const std::string&, const OperationEntry& e) {
        return row_of<schema::OperationEntry>(512, [&](auto b) { save_entry(e, b); });
    });
    write_rows(db, tables::ops_active, m.active_, m.dirty_active_, all, [](std::uint64_t, const Execution& e) {
        return row_of<schema::Execution>(256 + (e.input.size() + e.output.size() + e.detail.size()) / 8,
                                         [&](auto b) { save_execution(e, b); });
    });
    write_rows(db, tables::ops_seals, m.seals_, m.dirty_seals_, all, [](std::uint64_t, const SealRecord& s) {
        return row_of<schema::Seal>(64, [&](auto b) { save_seal(s, b); });
    });
    write_rows(db, tables::ops_sessions, m.sessions_, m.dirty_sessions_, all,
               [](std::uint64_t client, const OpsMachine::Session& s) {
                   return row_of<schema::OpsSession>(64 + s.result.detail.size() / 8 + s.result.executions.size(),
                                                     [&](auto b) { save_session(client, s, b); });
               });
    if (all) m.rollups_.mark_all_changed();

    Rollups::RowChanges rc = m.rollups_.take_row_changes();
    const auto& names = m.rollups_.names();
    if (rc.all) {
        db.clear_table(tables::ops_rollups);
        db.clear_table(tables::ops_rollup_names);
        rc.names_from = 0;
        rc.dropped.clear();
        rc.runs.clear();
        for (const auto& [start, words] : m.rollups_.words()) {
            std::uint32_t place = 0;
            for (std::size_t at = 0; at < words.size(); at += 4 + words[at + 1]) rc.runs.emplace_back(start, place++);
        }
    }
    for (std::int64_t minute : rc.dropped)
        db.del_range(tables::ops_rollups, encode_be64(static_cast<std::uint64_t>(minute)),
                     encode_be64(static_cast<std::uint64_t>(minute) + 1));
    for (std::size_t i = rc.names_from; i < names.size(); ++i)
        db.put(tables::ops_rollup_names, encode_be64(i), names[i]);
    for (const auto& [minute, place] : rc.runs) {
        const auto words = m.rollups_.run_words(minute, place);
        if (!words.empty()) db.put(tables::ops_rollups, run_key(minute, place), words_row(words));
    }

    std::size_t terms = m.leaders_.terms().size(), keys = 0;
    for (const auto& [node, ring] : m.keys_) keys += ring.size() + 1;
    db.put(tables::ops_meta, meta_key,
           row_of<schema::OperationsSnapshot>(128 + 8 * terms + 8 * keys, [&](auto b) { save_meta(m, b); }));
}

std::optional<std::string> OpsSnapshotCodec::reload(OpsMachine& m) {
    StateDb& db = *m.db_;
    // One snapshot's message, assembled from the rows, then loaded as a snapshot is.
    capnp::MallocMessageBuilder mb;
    auto root = mb.initRoot<schema::OperationsSnapshot>();
    std::string error;
    if (auto meta = db.get(tables::ops_meta, meta_key)) {
        const auto ok = raft::detail::decode_root<schema::OperationsSnapshot>(
            *meta, error, "the operations row", [&](schema::OperationsSnapshot::Reader r) -> std::optional<bool> {
                mb.setRoot(r);
                return true;
            });
        if (!ok) return error;
        root = mb.getRoot<schema::OperationsSnapshot>();
    }
    if (!copy_rows<schema::OperationEntry>(
            db, tables::ops_registry, "an operation", [&](unsigned n) { return root.initOperations(n); }, error) ||
        !copy_rows<schema::Execution>(
            db, tables::ops_active, "an active execution", [&](unsigned n) { return root.initActive(n); }, error) ||
        !copy_rows<schema::Seal>(
            db, tables::ops_seals, "a seal", [&](unsigned n) { return root.initSeals(n); }, error) ||
        !copy_rows<schema::OpsSession>(
            db, tables::ops_sessions, "a session", [&](unsigned n) { return root.initSessions(n); }, error))
        return error;

    std::vector<std::string> names;
    bool names_ok = true;
    db.scan(tables::ops_rollup_names, {}, {}, [&](std::string_view k, std::string_view v) {
        if (decode_be64(k) != names.size()) return names_ok = false;
        names.emplace_back(v);
        return true;
    });
    if (!names_ok) return std::string("the rollups' operation names are not numbered in order");
    std::map<std::int64_t, std::vector<std::uint32_t>> minutes;
    std::string bad;
    db.scan(tables::ops_rollups, {}, {}, [&](std::string_view k, std::string_view v) {
        const auto minute = decode_be64(k, 0);
        if (!minute || k.size() != 16 || v.size() % 4 != 0) {
            bad = "a rollup row is malformed";
            return false;
        }
        auto& words = minutes[static_cast<std::int64_t>(*minute)];
        for (std::size_t i = 0; i < v.size(); i += 4) {
            std::uint32_t w = 0;
            for (int b = 3; b >= 0; --b) w = (w << 8) | static_cast<unsigned char>(v[i + static_cast<std::size_t>(b)]);
            words.push_back(w);
        }
        return true;
    });
    if (!bad.empty()) return bad;
    auto rollups = root.initRollups();
    auto rn = rollups.initOperations(static_cast<unsigned>(names.size()));
    for (unsigned j = 0; j < names.size(); ++j) rn.set(j, names[j]);
    auto rm = rollups.initMinutes(static_cast<unsigned>(minutes.size()));
    unsigned i = 0;
    for (const auto& [start, words] : minutes) {
        auto x = rm[i++];
        x.setStartMs(start);
        auto w = x.initWords(static_cast<unsigned>(words.size()));
        for (unsigned j = 0; j < words.size(); ++j) w.set(j, words[j]);
    }

    OpsMachine next(m.opts_, db);
    if (auto e = load_into(next, root.asReader(), true)) return e;
    adopt(m, std::move(next));
    m.changes_ = OpsChanges{true, true, true};
    return std::nullopt;
}

}  // namespace raftor::state
