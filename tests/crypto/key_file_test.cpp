// The node key on disk: created once with mode 0600, the same key on every later
// start, and a file that is loose or damaged is refused with a reason.
#include "runtime/crypto/key_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

using namespace raftor::crypto;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("raftor-key-" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(key_file)

BOOST_AUTO_TEST_CASE(created_once_owner_only_and_the_same_key_after) {
    TempDir d;
    const std::string p = (d.path / "node.key").string();
    std::string error;
    auto first = load_or_create_key(p, error);
    BOOST_REQUIRE_MESSAGE(first, error);
    struct stat st {};
    BOOST_REQUIRE(::stat(p.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    auto again = load_or_create_key(p, error);
    BOOST_REQUIRE_MESSAGE(again, error);
    BOOST_TEST((again->public_key() == first->public_key()));
    BOOST_TEST(!fs::exists(p + ".tmp"));
}

BOOST_AUTO_TEST_CASE(loose_or_damaged_key_files_are_refused) {
    TempDir d;
    const std::string p = (d.path / "node.key").string();
    std::string error;
    BOOST_REQUIRE(load_or_create_key(p, error));
    ::chmod(p.c_str(), 0644);
    BOOST_TEST(!load_or_create_key(p, error));
    BOOST_TEST(error.find("has mode 0644") != std::string::npos, error);
    auto write = [&](const std::string& text) {
        std::ofstream(p, std::ios::trunc) << text;
        ::chmod(p.c_str(), 0600);
    };
    write("garbage\n");
    BOOST_TEST(!load_or_create_key(p, error));
    BOOST_TEST(error.find("does not start with 'raftor-ed25519-v1'") != std::string::npos, error);
    write("raftor-ed25519-v1 abcd\n");
    BOOST_TEST(!load_or_create_key(p, error));
    BOOST_TEST(error.find("64 hex digits") != std::string::npos, error);
    BOOST_TEST(!load_or_create_key((d.path / "missing-dir" / "node.key").string(), error));
    BOOST_TEST(error.find("cannot create the node key") != std::string::npos, error);
}

BOOST_AUTO_TEST_SUITE_END()
