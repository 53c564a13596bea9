#include "runtime/net/frame_packing.hpp"

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/io.h>

#include <boost/test/unit_test.hpp>
#include <cstring>

#include "runtime/raft/codec.hpp"
#include "runtime/raft/rng.hpp"

using namespace raftor::net;

namespace {

// Words with runs of zeros, runs of all-set bytes and everything between.
std::string mixed_words(raftor::raft::Rng& rng, std::size_t words) {
    std::string out;
    for (std::size_t w = 0; w < words; ++w) {
        const auto kind = rng.below(4);
        for (int b = 0; b < 8; ++b) {
            const bool zero = kind == 0 || (kind == 2 && rng.below(2) == 0);
            out.push_back(zero ? '\0' : static_cast<char>(1 + rng.below(255)));
        }
        if (kind == 0 && rng.below(3) == 0) out.append(8 * rng.below(300), '\0');  // long zero runs
        if (kind == 1 && rng.below(3) == 0)
            for (std::size_t i = 8 * rng.below(300); i > 0; --i) out.push_back(static_cast<char>(1 + rng.below(255)));
    }
    return out.substr(0, out.size() / 8 * 8);
}

// A real Raft message (an append of one 512-byte write), as Cap'n Proto packs it and as
// its flat words.
std::pair<std::string, std::string> packed_by_capnp(const std::string& flat) {
    auto words = kj::heapArray<capnp::word>(flat.size() / 8);
    std::memcpy(words.begin(), flat.data(), flat.size());
    capnp::FlatArrayMessageReader reader(words);
    capnp::MallocMessageBuilder copy;
    copy.setRoot(reader.getRoot<capnp::AnyStruct>());
    kj::VectorOutputStream out;
    capnp::writePackedMessage(out, copy);
    auto copied = capnp::messageToFlatArray(copy);
    auto bytes = copied.asBytes();
    return {std::string(reinterpret_cast<const char*>(out.getArray().begin()), out.getArray().size()),
            std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size())};
}

}  // namespace

BOOST_AUTO_TEST_CASE(packed_words_unpack_to_what_was_packed) {
    raftor::raft::Rng rng(7);
    for (int round = 0; round < 300; ++round) {
        const std::string words = mixed_words(rng, rng.below(400));
        const std::string packed = pack_words(words);
        std::string error;
        auto back = unpack_words(packed, words.size(), error);
        BOOST_REQUIRE_MESSAGE(back, error);
        BOOST_REQUIRE(*back == words);
    }
    // Any bytes, through the frame form (a pad byte, then words).
    for (std::size_t n = 0; n < 40; ++n) {
        std::string payload(n, 'x');
        if (n > 3) payload[3] = '\0';
        std::string error;
        auto back = unpack_frame(pack_frame(payload), 1 << 20, error);
        BOOST_REQUIRE_MESSAGE(back, error);
        BOOST_TEST(*back == payload);
    }
}

BOOST_AUTO_TEST_CASE(packing_is_cap_n_proto_s_own) {
    using namespace raftor::raft;
    Message m{.type = MessageType::append, .from = 18335246103812396561ull, .to = 18335242805277511928ull, .term = 3};
    m.log_term = 3;
    m.index = 12345;
    m.commit = 12344;
    m.entries.push_back(Entry{.term = 3,
                              .index = 12346,
                              .type = EntryType::normal,
                              .payload = std::string(8, '\0') + "v-1|" + std::string(508, 'p')});
    for (const auto& msg : {m, Message{.type = MessageType::heartbeat, .from = 1, .to = 2, .term = 9}}) {
        auto [theirs, flat] = packed_by_capnp(encode_message(msg));
        BOOST_TEST(pack_words(flat) == theirs);
        std::string error;
        auto back = unpack_words(theirs, flat.size(), error);
        BOOST_REQUIRE_MESSAGE(back, error);
        BOOST_TEST(*back == flat);
        BOOST_TEST(theirs.size() < flat.size());
    }
}

BOOST_AUTO_TEST_CASE(a_bad_packing_is_an_error_that_says_what_is_wrong) {
    std::string error;
    auto fails = [&](std::string_view packed, std::size_t max, const std::string& part) {
        error.clear();
        const bool failed = !unpack_frame(packed, max, error);
        BOOST_TEST(failed, "accepted: " << part);
        BOOST_TEST(error.find(part) != std::string::npos, error);
    };
    fails("", 100, "empty");
    fails(std::string("\x08", 1), 100, "pad byte 8");
    fails(std::string("\0\x03\x01", 3), 100, "ends inside a word");
    fails(std::string("\0\0", 2), 100, "a run has no count");
    fails(std::string("\0\0\xff", 3), 1000, "unpacks to more than 1000 bytes");  // 2 KiB claimed in 3 bytes
    fails(std::string("\0\xff", 2) + std::string(8, 'a') + "\x02" + std::string(9, 'b'), 100,
          "inside a run of raw words");
    fails(std::string("\x02\x80\x61", 3), 100, "not zero padding");  // the pad would cut 'a'
    // Nothing that arrives can crash it or make it allocate past the bound.
    raftor::raft::Rng rng(11);
    for (int round = 0; round < 20000; ++round) {
        std::string junk(rng.below(64), '\0');
        for (auto& c : junk) c = static_cast<char>(rng.below(4) == 0 ? 0 : rng.below(256));
        if (!junk.empty()) junk[0] = static_cast<char>(rng.below(8));  // past the pad byte, mostly
        if (auto out = unpack_frame(junk, 4096, error)) BOOST_REQUIRE(out->size() <= 4096u);
    }
}
