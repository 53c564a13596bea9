#include "runtime/net/frame_codec.hpp"

#include <boost/test/unit_test.hpp>

#include "runtime/raft/rng.hpp"

using namespace raftor::net;

BOOST_AUTO_TEST_CASE(frames_survive_any_split_of_the_stream) {
    std::string stream;
    std::vector<std::string> sent;
    for (int i = 1; i <= 200; ++i) {
        sent.push_back(std::string(static_cast<std::size_t>(i * 37 % 5000 + 1), static_cast<char>(i)));
        stream += encode_frame(sent.back());
    }
    raftor::raft::Rng rng(3);
    FrameDecoder d;
    std::vector<std::string> got;
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min<std::size_t>(1 + rng.below(3000), stream.size() - at);
        BOOST_REQUIRE(d.feed(stream.data() + at, n));
        at += n;
        while (auto f = d.next()) got.push_back(std::move(*f));
    }
    BOOST_TEST(got == sent);
    BOOST_TEST(d.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(an_oversized_or_empty_frame_is_an_error_that_says_so) {
    FrameDecoder d(1000);
    const std::string big = encode_frame(std::string(1001, 'x'));
    BOOST_TEST(!d.feed(big.data(), 4));  // refused from the header alone
    BOOST_TEST(d.error() == "frame of 1001 bytes exceeds the limit of 1000");
    BOOST_TEST(!d.feed("more", 4));  // and stays refused
    FrameDecoder e;
    const char zero[4] = {0, 0, 0, 0};
    BOOST_TEST(!e.feed(zero, 4));
    BOOST_TEST(e.error() == "empty frame");
    FrameDecoder g;
    BOOST_TEST(!g.feed("\xff\xff\xff\xff", 4));  // garbage on the port reads as a huge length
    BOOST_TEST(g.error().find("exceeds the limit") != std::string::npos);
}
