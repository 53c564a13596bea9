// Bytes from a peer's socket: the frame decoder (with the small limit before a hello),
// then each frame as a hello, a hello proof and a Raft message, as the transport and
// raft_peer take them. Nothing may crash; every refusal must say why.
#include <cstdlib>

#include "runtime/net/frame_codec.hpp"
#include "runtime/net/hello.hpp"
#include "runtime/raft/codec.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace raftor;

namespace {
std::string differs(const raft::Message& a, const raft::Message& b) {
    std::string out;
#define RAFTOR_FIELD(f) \
    if (!(a.f == b.f)) out += std::string(out.empty() ? "" : ", ") + #f;
    RAFTOR_FIELD(type)
    RAFTOR_FIELD(from)
    RAFTOR_FIELD(to) RAFTOR_FIELD(term) RAFTOR_FIELD(log_term) RAFTOR_FIELD(index) RAFTOR_FIELD(entries)
        RAFTOR_FIELD(commit) RAFTOR_FIELD(reject) RAFTOR_FIELD(reject_hint) RAFTOR_FIELD(conflict_term)
            RAFTOR_FIELD(transfer) RAFTOR_FIELD(read_seq) RAFTOR_FIELD(snapshot) RAFTOR_FIELD(chunk_offset)
                RAFTOR_FIELD(chunk) RAFTOR_FIELD(chunk_last) RAFTOR_FIELD(read_context)
#undef RAFTOR_FIELD
                    return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const char* p = reinterpret_cast<const char*>(data);
    net::FrameDecoder decoder(4096);  // the limit before the hello
    // Fed in two pieces: a frame split across reads must decode the same.
    const std::size_t cut = size ? data[0] % (size + 1) : 0;
    bool ok = decoder.feed(p, cut) && decoder.feed(p + cut, size - cut);
    if (!ok && decoder.error().empty()) raftor::fuzz::fail("refused without a reason");
    net::Hello ours{net::peer_protocol_version, net::peer_protocol_version_min, "fuzz", 1, "127.0.0.1:1", 0, {}};
    int frames = 0;
    while (auto f = decoder.next()) {
        if (++frames == 1) decoder.set_limit(1 << 20);  // proven: frames as large as Raft's
        net::Hello theirs;
        if (!net::check_hello(*f, ours, theirs) && theirs.cluster_id != "fuzz")
            raftor::fuzz::fail("accepted a stranger");
        net::HelloProof proof;
        (void)net::decode_proof(*f, proof);
        std::string error;
        auto m = raft::decode_message(*f, error);
        if (!m && error.empty()) raftor::fuzz::fail("a message refused without a reason");
        if (m) {
            // What decodes must encode and decode to the same message.
            auto again = raft::decode_message(raft::encode_message(*m), error);
            if (!again) raftor::fuzz::fail(("a decoded message does not decode once encoded: " + error).c_str());
            if (!(*again == *m))
                raftor::fuzz::fail(("a decoded message encodes to another: " + differs(*m, *again)).c_str());
        }
    }
    return 0;
}

std::vector<std::string> raftor::fuzz::starting_inputs() {
    using raft::MessageType;
    std::vector<std::string> out;
    const std::string hello = net::encode_frame(net::encode_hello(
        net::Hello{net::peer_protocol_version, net::peer_protocol_version_min, "fuzz", 2, "127.0.0.1:2", 1, {}}));
    const std::string proof =
        net::encode_frame(net::encode_proof(net::HelloProof{std::string(32, 'n'), std::string(32, 'p')}));
    const std::string append = net::encode_frame(raft::encode_message(
        {.type = MessageType::append,
         .from = 2,
         .to = 1,
         .term = 3,
         .log_term = 2,
         .index = 5,
         .entries = {raft::Entry{.term = 3, .index = 6, .payload = "x"}, raft::Entry{.term = 3, .index = 7}},
         .commit = 5}));
    const std::string heartbeat = net::encode_frame(
        raft::encode_message({.type = MessageType::heartbeat, .from = 2, .to = 1, .term = 3, .commit = 4}));
    const std::string vote = net::encode_frame(
        raft::encode_message({.type = MessageType::vote, .from = 2, .to = 1, .term = 4, .log_term = 3, .index = 7}));
    out.push_back(hello);
    out.push_back(hello + append + heartbeat);
    out.push_back(hello + proof + vote);
    out.push_back(std::string(1, '\x05') + hello + heartbeat);
    return out;
}
