#pragma once
// Peer connections carry frames: a 4-byte big-endian length, then that many bytes
// (a Cap'n Proto message). The decoder is fed whatever the socket returned and
// yields whole frames; a length over the limit is an error that names it, and the
// connection must then be closed (nothing after it can be trusted).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace raftor::net {

constexpr std::size_t frame_header_bytes = 4;
constexpr std::size_t frame_bytes_max_default = 64u << 20;  // a 1 MiB append batch fits many times over

std::string encode_frame(std::string_view payload);
// The 4-byte header of a frame of `payload_bytes`.
std::string encode_frame_header(std::size_t payload_bytes);

class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t frame_bytes_max = frame_bytes_max_default) : max_(frame_bytes_max) {}

    // Appends received bytes. Returns false (and sets error()) once the stream is bad.
    bool feed(const char* data, std::size_t size);
    // The next complete frame, if any.
    std::optional<std::string> next();
    const std::string& error() const { return error_; }
    void set_limit(std::size_t frame_bytes_max) { max_ = frame_bytes_max; }
    std::size_t buffered() const { return buf_.size() - pos_; }

private:
    bool parse();
    std::size_t max_;
    std::string buf_;
    std::size_t pos_ = 0;
    std::deque<std::string> ready_;
    std::string error_;
};

}  // namespace raftor::net
