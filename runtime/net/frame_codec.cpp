#include "runtime/net/frame_codec.hpp"

namespace raftor::net {

std::string encode_frame_header(std::size_t payload_bytes) {
    const auto n = static_cast<std::uint32_t>(payload_bytes);
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
    return out;
}

std::string encode_frame(std::string_view payload) {
    std::string out;
    out.reserve(frame_header_bytes + payload.size());
    out = encode_frame_header(payload.size());
    out.append(payload);
    return out;
}

bool FrameDecoder::feed(const char* data, std::size_t size) {
    if (!error_.empty()) return false;
    buf_.append(data, size);
    return parse();
}

bool FrameDecoder::parse() {
    while (buf_.size() - pos_ >= frame_header_bytes) {
        std::uint32_t n = 0;
        for (std::size_t i = 0; i < frame_header_bytes; ++i) n = (n << 8) | static_cast<unsigned char>(buf_[pos_ + i]);
        if (n == 0) {
            error_ = "empty frame";
            return false;
        }
        if (n > max_) {
            error_ = "frame of " + std::to_string(n) + " bytes exceeds the limit of " + std::to_string(max_);
            return false;
        }
        if (buf_.size() - pos_ - frame_header_bytes < n) break;  // wait for the rest
        ready_.emplace_back(buf_, pos_ + frame_header_bytes, n);
        pos_ += frame_header_bytes + n;
    }
    // Drop consumed bytes now and then, not on every frame.
    if (pos_ > 0 && (pos_ == buf_.size() || pos_ > (1u << 16))) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    return true;
}

std::optional<std::string> FrameDecoder::next() {
    if (ready_.empty()) return std::nullopt;
    std::string f = std::move(ready_.front());
    ready_.pop_front();
    return f;
}

}  // namespace raftor::net
