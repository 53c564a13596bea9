#include "runtime/common/secret_file.hpp"

#include <sys/stat.h>

#include <sstream>

namespace raftor::common {

std::optional<std::string> secret_file_exposed(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    const unsigned mode = st.st_mode & 0777;
    const bool ok = st.st_uid == 0 ? (mode & 037) == 0 : (mode & 077) == 0;
    if (ok) return std::nullopt;
    std::ostringstream m;
    m << std::oct << mode;
    return "'" + path + "' may be read by group or others (mode " + m.str() + "): chmod 600 it" +
           (st.st_uid == 0 ? " (or 640, as it is root's)" : "");
}

}  // namespace raftor::common
