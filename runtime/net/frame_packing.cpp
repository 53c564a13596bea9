#include "runtime/net/frame_packing.hpp"

#include "runtime/raft/assert.hpp"

namespace raftor::net {

namespace {

constexpr std::size_t word_bytes = 8;

std::size_t zero_bytes(const unsigned char* w) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < word_bytes; ++i) n += w[i] == 0;
    return n;
}

}  // namespace

std::string pack_words(std::string_view words) {
    RAFT_ASSERT(words.size() % word_bytes == 0, "a message we encoded is whole words");
    const auto* in = reinterpret_cast<const unsigned char*>(words.data());
    const std::size_t n = words.size() / word_bytes;
    std::string out;
    out.reserve(words.size() + words.size() / 64 + 2);
    for (std::size_t i = 0; i < n;) {
        const unsigned char* w = in + i * word_bytes;
        unsigned char tag = 0;
        const std::size_t tag_at = out.size();
        out.push_back(0);
        for (std::size_t b = 0; b < word_bytes; ++b)
            if (w[b] != 0) {
                tag |= static_cast<unsigned char>(1u << b);
                out.push_back(static_cast<char>(w[b]));
            }
        out[tag_at] = static_cast<char>(tag);
        ++i;
        if (tag == 0x00) {
            std::size_t run = 0;
            while (i < n && run < 255 && zero_bytes(in + i * word_bytes) == word_bytes) ++i, ++run;
            out.push_back(static_cast<char>(run));
        } else if (tag == 0xff) {
            // Words that would not pack smaller (at most one zero byte) follow as they are.
            const std::size_t start = i;
            while (i < n && i - start < 255 && zero_bytes(in + i * word_bytes) < 2) ++i;
            out.push_back(static_cast<char>(i - start));
            out.append(reinterpret_cast<const char*>(in + start * word_bytes), (i - start) * word_bytes);
        }
    }
    return out;
}

std::optional<std::string> unpack_words(std::string_view packed, std::size_t max_bytes, std::string& error) {
    const auto* p = reinterpret_cast<const unsigned char*>(packed.data());
    const auto* end = p + packed.size();
    std::string out;
    auto fail = [&](const std::string& why) -> std::optional<std::string> {
        error = "packed frame: " + why + " (at byte " + std::to_string(packed.size() - (end - p)) + ")";
        return std::nullopt;
    };
    auto room = [&](std::size_t bytes) { return out.size() <= max_bytes && bytes <= max_bytes - out.size(); };
    while (p < end) {
        const unsigned char tag = *p++;
        if (!room(word_bytes)) return fail("unpacks to more than " + std::to_string(max_bytes) + " bytes");
        char w[word_bytes] = {};
        for (std::size_t b = 0; b < word_bytes; ++b)
            if (tag & (1u << b)) {
                if (p == end) return fail("ends inside a word");
                w[b] = static_cast<char>(*p++);
            }
        out.append(w, word_bytes);
        if (tag != 0x00 && tag != 0xff) continue;
        if (p == end) return fail("a run has no count");
        const std::size_t run = *p++;
        if (!room(run * word_bytes)) return fail("unpacks to more than " + std::to_string(max_bytes) + " bytes");
        if (tag == 0x00) {
            out.append(run * word_bytes, '\0');
        } else {
            if (static_cast<std::size_t>(end - p) < run * word_bytes) return fail("ends inside a run of raw words");
            out.append(reinterpret_cast<const char*>(p), run * word_bytes);
            p += run * word_bytes;
        }
    }
    return out;
}

std::string pack_frame(std::string_view payload) {
    const std::size_t pad = (word_bytes - payload.size() % word_bytes) % word_bytes;
    std::string out(1, static_cast<char>(pad));
    if (pad == 0) return out + pack_words(payload);
    std::string padded(payload);
    padded.append(pad, '\0');
    return out + pack_words(padded);
}

std::optional<std::string> unpack_frame(std::string_view packed, std::size_t max_bytes, std::string& error) {
    if (packed.empty()) {
        error = "packed frame: empty (no pad byte)";
        return std::nullopt;
    }
    const std::size_t pad = static_cast<unsigned char>(packed[0]);
    if (pad >= word_bytes) {
        error = "packed frame: pad byte " + std::to_string(pad) + " (at most 7)";
        return std::nullopt;
    }
    auto out = unpack_words(packed.substr(1), max_bytes + pad, error);
    if (!out) return std::nullopt;
    if (out->size() < pad || out->find_first_not_of('\0', out->size() - pad) != std::string::npos) {
        error = "packed frame: its last " + std::to_string(pad) + " bytes are not zero padding";
        return std::nullopt;
    }
    out->resize(out->size() - pad);
    if (out->size() > max_bytes) {
        error = "packed frame: unpacks to more than " + std::to_string(max_bytes) + " bytes";
        return std::nullopt;
    }
    return out;
}

}  // namespace raftor::net
