#pragma once
// Storage errors as values: a code operators can act on and a message naming what failed.
#include <cstdint>
#include <string>
#include <string_view>

namespace raftor::storage {

enum class Errc : std::uint8_t {
    ok = 0,
    map_full,  // the LMDB map or the disk is full: writes refused, reads still work
    corrupt,   // bad checksum or undecodable record: names what and where
    io,        // any other LMDB or file-system error
    invalid,   // a caller asked for something impossible
};
const char* to_string(Errc e);

struct Status {
    Errc code = Errc::ok;
    std::string message;
    bool ok() const { return code == Errc::ok; }
    static Status from_mdb(int rc, std::string_view what);
    // `what` failed with errno `err`; a full disk or file-size limit is map_full.
    static Status from_errno(int err, std::string_view what);
};

}  // namespace raftor::storage
