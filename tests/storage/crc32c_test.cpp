#include "runtime/common/crc32c.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>

using raftor::crc32c;
using raftor::crc32c_portable;

BOOST_AUTO_TEST_SUITE(crc32c_values)

// RFC 3720 (iSCSI), appendix B.4, and the usual check value of CRC-32C.
BOOST_AUTO_TEST_CASE(known_values) {
    BOOST_TEST(crc32c("123456789") == 0xE3069283u);
    BOOST_TEST(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
    BOOST_TEST(crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
    std::string ascending(32, '\0');
    for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
    BOOST_TEST(crc32c(ascending) == 0x46DD794Eu);
    BOOST_TEST(crc32c("") == 0u);
}

// The instruction and the tables agree on every length and alignment, and a CRC
// continued over pieces equals the CRC of the whole.
BOOST_AUTO_TEST_CASE(hardware_and_tables_agree) {
    std::mt19937_64 rng(7);
    std::string buf(1100, '\0');
    for (auto& c : buf) c = static_cast<char>(rng());
    for (std::size_t off = 0; off < 9; ++off)
        for (std::size_t len = 0; len + off <= buf.size(); len += (len < 40 ? 1 : 37)) {
            const char* p = buf.data() + off;
            BOOST_TEST_REQUIRE(crc32c(p, len) == crc32c_portable(p, len));
            const std::size_t cut = len / 3;
            BOOST_TEST_REQUIRE(crc32c(p + cut, len - cut, crc32c(p, cut)) == crc32c(p, len));
            BOOST_TEST_REQUIRE(crc32c_portable(p + cut, len - cut, crc32c_portable(p, cut)) == crc32c(p, len));
        }
}

BOOST_AUTO_TEST_SUITE_END()
