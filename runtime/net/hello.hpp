#pragma once
// The peer handshake: the first frame of every connection says who is calling.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace raftor::net {

constexpr std::uint64_t hello_magic = 0x7261667430720001ull;
// The peer protocol this build speaks, and the oldest it still speaks: two nodes talk
// when their ranges meet, so a rolling upgrade (one node at a time, each release still
// speaking the previous protocol) never splits the cluster, and anything further apart
// is refused with a line that says so.
//   1: frames are flat Cap'n Proto messages; with a cluster secret, 32-byte tags.
//   2: the listener answers a hello of 2 or later with a hello of its own (its welcome);
//      a dialler that reads one of 2 or later sends the 4-byte frame `packed_marker`,
//      and every frame after it is packed (frame_packing.hpp) with 16-byte tags. A
//      node of 1 never welcomes and never reads one, so both keep speaking 1.
constexpr std::uint32_t peer_protocol_version = 2;
constexpr std::uint32_t peer_protocol_version_min = 1;

// Never a message: Cap'n Proto messages are whole 8-byte words.
constexpr std::string_view packed_marker = "pack";
constexpr std::uint32_t packed_protocol_version = 2;

struct Hello {
    std::uint32_t protocol_version = peer_protocol_version;
    std::uint32_t min_protocol_version = peer_protocol_version_min;
    std::string cluster_id;
    std::uint64_t node_id = 0;
    std::string http_address;      // where this node's HTTP gateway answers (host:port)
    std::uint64_t to_node_id = 0;  // whom the caller dialled
    std::string nonce;             // with a cluster secret
    std::string https_address;     // with TLS: where its HTTPS gateway answers
};

struct HelloProof {
    std::string nonce, proof;
};
std::string encode_proof(const HelloProof& p);
std::optional<std::string> decode_proof(std::string_view bytes, HelloProof& out);

std::string encode_hello(const Hello& h);
// Checks a received hello against ours; the reason when the peer must be refused.
// (`ours` needs its versions, cluster id and node id.)
std::optional<std::string> check_hello(std::string_view bytes, const Hello& ours, Hello& theirs);

}  // namespace raftor::net
