#pragma once
// The pieces of the operations codec that both the snapshot (ops_codec.cpp) and the
// state store's rows (ops_rows.cpp) encode: one operation, execution, seal or session.
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "runtime/state/ops_machine.hpp"
#include "schema/operations.capnp.h"

namespace raftor::state::codec_detail {

template <std::size_t N>
kj::ArrayPtr<const capnp::byte> bytes_of_array(const std::array<std::uint8_t, N>& a) {
    return kj::arrayPtr(reinterpret_cast<const capnp::byte*>(a.data()), a.size());
}

template <std::size_t N>
bool array_of(capnp::Data::Reader d, std::array<std::uint8_t, N>& out, bool allow_empty = false) {
    if (d.size() == 0 && allow_empty) {
        out.fill(0);
        return true;
    }
    if (d.size() != N) return false;
    std::memcpy(out.data(), d.begin(), N);
    return true;
}

void save_execution(const Execution& e, schema::Execution::Builder b);
std::optional<Execution> load_execution(schema::Execution::Reader r, std::string& error);
void save_entry(const OperationEntry& e, schema::OperationEntry::Builder b);
// The indexes of the operation (by topic, trigger) are the caller's to update.
std::optional<OperationEntry> load_entry(schema::OperationEntry::Reader r, std::string& error);
void save_seal(const SealRecord& s, schema::Seal::Builder b);
std::optional<SealRecord> load_seal(schema::Seal::Reader r);

}  // namespace raftor::state::codec_detail
