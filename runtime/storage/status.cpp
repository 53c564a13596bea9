#include "runtime/storage/status.hpp"

#include <cerrno>
#include <cstring>

namespace raftor::storage {

const char* to_string(Errc e) {
    switch (e) {
        case Errc::ok: return "ok";
        case Errc::map_full: return "storage full";
        case Errc::corrupt: return "storage corrupt";
        case Errc::io: return "storage I/O error";
        case Errc::invalid: return "invalid storage request";
    }
    return "?";
}

Status Status::from_errno(int err, std::string_view what) {
    const bool full = err == ENOSPC || err == EDQUOT || err == EFBIG;
    return {full ? Errc::map_full : Errc::io, std::string(what) + ": " + std::strerror(err)};
}

}  // namespace raftor::storage
