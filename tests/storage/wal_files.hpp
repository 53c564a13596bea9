#pragma once
// Damaging WAL segment files behind the store's back, as a disk or a crash would.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace raftor::testing {

inline std::vector<std::filesystem::path> segments(const std::filesystem::path& wal_dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(wal_dir))
        if (e.path().extension() == ".seg") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

inline std::filesystem::path only_segment(const std::filesystem::path& wal_dir) {
    auto all = segments(wal_dir);
    BOOST_REQUIRE_EQUAL(all.size(), 1u);
    return all.front();
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_at(const std::filesystem::path& p, std::size_t off, const std::string& bytes) {
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(off));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    BOOST_REQUIRE(f.good());
}

// Offset of the one occurrence of `needle` in the file.
inline std::size_t find_once(const std::filesystem::path& p, const std::string& needle) {
    const std::string data = read_file(p);
    const auto at = data.find(needle);
    BOOST_REQUIRE(at != std::string::npos);
    BOOST_REQUIRE(data.find(needle, at + 1) == std::string::npos);
    return at;
}

// Flips one bit in the middle of `needle`, a bit rotting on disk.
inline void flip_in_file(const std::filesystem::path& p, const std::string& needle) {
    const std::size_t at = find_once(p, needle) + needle.size() / 2;
    write_at(p, at, std::string(1, static_cast<char>(needle[needle.size() / 2] ^ 0x40)));
}

}  // namespace raftor::testing
