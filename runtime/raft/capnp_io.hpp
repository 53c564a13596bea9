#pragma once
// Helpers shared by the codecs: flat-array framing with aligned reads.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/raft/codec.hpp"

namespace raftor::raft::detail {

inline kj::ArrayPtr<const capnp::byte> bytes_of(const std::string& s) {
    return kj::arrayPtr(reinterpret_cast<const capnp::byte*>(s.data()), s.size());
}

inline std::string string_of(capnp::Data::Reader d) {
    return std::string(reinterpret_cast<const char*>(d.begin()), d.size());
}

// The first segment for a message of about `bytes`: Cap'n Proto's default is 1,024
// words, zeroed for every message, which cost more than encoding a small one (an entry,
// a command, a hard state). A message that outgrows the estimate takes a second segment.
inline unsigned first_segment_words(std::size_t bytes) {
    constexpr std::size_t max_words = 1u << 20;
    const std::size_t words = bytes / sizeof(capnp::word) + 1;
    return static_cast<unsigned>(words < max_words ? words : max_words);
}

// Written once, straight into the string: not first into a flat array and then copied
// (every frame went through both, and a state snapshot held three copies at once).
inline std::string to_bytes(capnp::MessageBuilder& mb) {
    std::string out(capnp::computeSerializedSizeInWords(mb) * sizeof(capnp::word), '\0');
    kj::ArrayOutputStream stream(kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()), out.size()));
    capnp::writeMessage(stream, mb);
    return out;
}

// Cap'n Proto reads 8-byte aligned words: the bytes themselves when they are aligned (a
// std::string's are), else a copy kept in `copy`. Copying every frame, entry and command
// cost an allocation and a copy each.
inline kj::ArrayPtr<const capnp::word> aligned_words(std::string_view bytes, kj::Array<capnp::word>& copy) {
    const std::size_t n = bytes.size() / sizeof(capnp::word);
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(capnp::word) == 0)
        return kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), n);
    copy = kj::heapArray<capnp::word>(n);
    if (n > 0) std::memcpy(copy.begin(), bytes.data(), n * sizeof(capnp::word));
    return copy;
}

inline capnp::ReaderOptions reader_options(std::size_t message_words) {
    capnp::ReaderOptions o;
    o.traversalLimitInWords = decode_traversal_words(message_words);
    o.nestingLimit = decode_nesting_max;
    return o;
}

// Runs `read(reader)` over `bytes`; any malformation ends up in `error`.
template <typename Root, typename F>
auto decode_root(std::string_view bytes, std::string& error, const char* what, F&& read)
    -> decltype(read(std::declval<typename Root::Reader>())) {
    if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
        error = std::string(what) + ": size " + std::to_string(bytes.size()) + " is not a whole number of words";
        return std::nullopt;
    }
    try {
        kj::Array<capnp::word> copy;
        const auto words = aligned_words(bytes, copy);
        capnp::FlatArrayMessageReader reader(words, reader_options(words.size()));
        auto out = read(reader.getRoot<Root>());
        if (!out) error = std::string(what) + ": " + (error.empty() ? "invalid content" : error);
        return out;
    } catch (const kj::Exception& e) {
        error = std::string(what) + ": malformed: " + e.getDescription().cStr();
        return std::nullopt;
    }
}

}  // namespace raftor::raft::detail
