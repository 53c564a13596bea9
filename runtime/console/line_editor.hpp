#pragma once
// The prompt's line editing, byte by byte from a terminal in raw mode: typing,
// backspace, Ctrl-U, Enter; Ctrl-C, and Ctrl-D on an empty line, leave. Escape
// sequences (arrow keys and the like) are swallowed. Pure: tested by feeding bytes.
#include <string>

namespace raftor::console {

class LineEditor {
public:
    enum class Event { none, changed, submit, quit };

    Event feed(unsigned char c) {
        if (esc_ == 1) {  // after ESC: '[' or 'O' starts a sequence; anything else ends it
            esc_ = (c == '[' || c == 'O') ? 2 : 0;
            return Event::none;
        }
        if (esc_ == 2) {  // parameters until a final byte
            if (c >= 0x40 && c <= 0x7e) esc_ = 0;
            return Event::none;
        }
        switch (c) {
            case 0x1b: esc_ = 1; return Event::none;
            case '\r':
            case '\n': return Event::submit;
            case 0x03: return Event::quit;                               // Ctrl-C
            case 0x04: return buf_.empty() ? Event::quit : Event::none;  // Ctrl-D
            case 0x15: buf_.clear(); return Event::changed;              // Ctrl-U
            case 0x7f:
            case 0x08:
                if (buf_.empty()) return Event::none;
                // A whole UTF-8 character: its continuation bytes, then its first.
                while (!buf_.empty() && (static_cast<unsigned char>(buf_.back()) & 0xc0) == 0x80) buf_.pop_back();
                if (!buf_.empty()) buf_.pop_back();
                return Event::changed;
            default:
                if (c < 0x20) return Event::none;  // other control keys
                if (buf_.size() >= 512) return Event::none;
                buf_.push_back(static_cast<char>(c));
                return Event::changed;
        }
    }
    const std::string& line() const { return buf_; }
    std::string take() {
        std::string out;
        out.swap(buf_);
        return out;
    }

private:
    std::string buf_;
    int esc_ = 0;
};

}  // namespace raftor::console
