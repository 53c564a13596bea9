#include "runtime/net/tcp_transport.hpp"

#include "runtime/net/frame_codec.hpp"
#include "runtime/net/frame_packing.hpp"
#include "tests/net/sink.hpp"

// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

using namespace raftor::net;
using raftor::testing::Sink;

namespace {
std::unique_ptr<TcpTransport> make(Sink& s, std::uint16_t port = 0, std::string cluster = "test",
                                   std::uint32_t version = peer_protocol_version, std::uint64_t node = 0,
                                   std::uint32_t min_version = 0) {
    static std::uint64_t next_node = 100;  // each transport a node of its own unless told
    if (node == 0) node = next_node++;
    TcpOptions o;
    o.cluster_id = std::move(cluster);
    o.protocol_version = version;
    o.min_protocol_version = min_version == 0 ? std::min(version, peer_protocol_version_min) : min_version;
    o.node_id = node;
    o.listen_port = port;
    o.frame_bytes_max = 1 << 20;
    o.backoff_min_ms = 10;
    o.backoff_max_ms = 200;
    auto t = std::make_unique<TcpTransport>(o, s.on_frame(), s.on_log());
    const std::string err = t->bind();
    BOOST_REQUIRE_MESSAGE(err.empty(), err);
    return t;
}
}  // namespace

BOOST_AUTO_TEST_CASE(frames_flow_in_order_between_two_nodes) {
    Sink sa, sb;
    auto a = make(sa, 0, "test", peer_protocol_version, 1), b = make(sb, 0, "test", peer_protocol_version, 2);
    a->set_peer(2, "127.0.0.1", b->bound_port());
    b->set_peer(1, "127.0.0.1", a->bound_port());
    a->start();
    b->start();
    for (int i = 0; i < 1000; ++i) a->send(2, "frame-" + std::to_string(i) + std::string(i % 700, 'x'));
    b->send(1, "hello back");
    BOOST_REQUIRE(sb.wait([&] { return sb.frames.size() == 1000; }));
    for (int i = 0; i < 1000; ++i)
        BOOST_REQUIRE(sb.frames[static_cast<std::size_t>(i)] ==
                      "frame-" + std::to_string(i) + std::string(i % 700, 'x'));
    BOOST_REQUIRE(sa.wait([&] { return sa.frames.size() == 1; }));
    BOOST_TEST(sa.frames[0] == "hello back");
    // A frame is counted out when its write completes, which may be after the peer read it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (a->stats().frames_out < 1000u && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_TEST(a->stats().frames_out == 1000u);
    BOOST_TEST(b->stats().frames_in == 1000u);
    // Both ends of the link run TCP keepalive (timer 02 in /proc/net/tcp): a peer whose
    // host vanishes is found and redialled.
    // (A socket with unacknowledged bytes shows its retransmit timer instead: look again.)
    int kept_alive = 0;
    for (int attempt = 0; attempt < 100 && kept_alive < 2; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        kept_alive = 0;
        std::ifstream tcp_table("/proc/net/tcp");
        for (std::string line; std::getline(tcp_table, line);) {
            std::istringstream in(line);
            std::string sl, local, remote, state, queues, timer;
            in >> sl >> local >> remote >> state >> queues >> timer;
            const auto port_of = [](const std::string& addr) {
                return static_cast<std::uint16_t>(std::stoul(addr.substr(addr.find(':') + 1), nullptr, 16));
            };
            if (state != "01" || local.find(':') == std::string::npos) continue;
            if (port_of(local) != b->bound_port() && port_of(remote) != b->bound_port()) continue;
            if (timer.rfind("02:", 0) == 0) ++kept_alive;
        }
    }
    BOOST_TEST(kept_alive >= 2);  // a's dialled end and b's accepted end
}

BOOST_AUTO_TEST_CASE(a_restarted_peer_is_reconnected_and_queued_frames_arrive) {
    Sink sa, sb1, sb2;
    auto a = make(sa, 0, "test", peer_protocol_version, 1);
    auto b1 = make(sb1, 0, "test", peer_protocol_version, 2);
    const std::uint16_t port = b1->bound_port();
    a->set_peer(2, "127.0.0.1", port);
    a->start();
    b1->start();
    a->send(2, "before");
    BOOST_REQUIRE(sb1.wait([&] { return sb1.frames.size() == 1; }));
    b1.reset();  // the peer goes away
    a->send(2, "during-1");
    a->send(2, "during-2");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let a notice and back off
    auto b2 = make(sb2, port, "test", peer_protocol_version, 2);  // and comes back on the same port
    b2->start();
    a->send(2, "after");
    BOOST_REQUIRE(
        sb2.wait([&] { return std::find(sb2.frames.begin(), sb2.frames.end(), "after") != sb2.frames.end(); }));
    BOOST_TEST(a->stats().connects >= 2u);
}

BOOST_AUTO_TEST_CASE(garbage_on_the_peer_port_closes_that_connection_only) {
    Sink sa, sb;
    auto a = make(sa, 0, "test", peer_protocol_version, 1), b = make(sb, 0, "test", peer_protocol_version, 2);
    b->set_peer(1, "127.0.0.1", a->bound_port());
    a->start();
    b->start();
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket s(io);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), a->bound_port()});
        const std::string junk(16, '\xff');
        boost::asio::write(s, boost::asio::buffer(junk));
        BOOST_REQUIRE(sa.wait([&] { return !sa.logs.empty(); }));
    }
    BOOST_TEST(sa.logs[0].find("closing peer connection from 127.0.0.1:") == 0u);
    // Before a hello, only a small frame is allowed (the handshake's).
    BOOST_TEST(sa.logs[0].find("exceeds the limit of 4096") != std::string::npos);
    BOOST_TEST(a->stats().rejected_connections == 1u);
    b->send(1, "real frame");  // the honest peer is unaffected
    BOOST_REQUIRE(sa.wait([&] { return sa.frames.size() == 1; }));
    BOOST_TEST(sa.frames[0] == "real frame");
}

// An operator's `curl http://host:peer-port/ping` gets pong (and any other GET a 400
// naming the port), then the connection closes: no frame reaches the node.
BOOST_AUTO_TEST_CASE(a_get_ping_on_the_peer_port_is_answered_pong) {
    Sink sa;
    auto a = make(sa, 0, "test", peer_protocol_version, 1);
    a->start();
    auto ask = [&](const std::string& request) {
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket s(io);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), a->bound_port()});
        boost::asio::write(s, boost::asio::buffer(request));
        std::string answer;
        boost::system::error_code ec;
        boost::asio::read(s, boost::asio::dynamic_buffer(answer), ec);  // to the close
        BOOST_TEST(ec == boost::asio::error::eof);
        return answer;
    };
    const std::string pong = ask("GET /ping HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
    BOOST_TEST(pong.find("HTTP/1.1 200 OK\r\n") == 0u, pong);
    BOOST_TEST(pong.substr(pong.size() - 5) == "pong\n");
    const std::string other = ask("GET /raft/state HTTP/1.1\r\n\r\n");
    BOOST_TEST(other.find("HTTP/1.1 400 Bad Request\r\n") == 0u, other);
    BOOST_TEST(other.find("raftor peer port") != std::string::npos);
    BOOST_TEST(sa.frames.empty());
    BOOST_TEST(a->stats().rejected_connections == 0u);
}

BOOST_AUTO_TEST_CASE(a_busy_port_is_a_clear_error) {
    Sink s1, s2;
    auto a = make(s1);
    TcpOptions o;
    o.listen_port = a->bound_port();
    TcpTransport b(o, s2.on_frame(), s2.on_log());
    const std::string err = b.bind();
    BOOST_TEST(err.find("listen on 127.0.0.1:" + std::to_string(a->bound_port())) == 0u);
    BOOST_TEST(err.find("in use") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(peers_of_another_cluster_or_protocol_are_refused) {
    Sink sa, sb, sc;
    auto a = make(sa, 0, "alpha", 1, 1);
    auto b = make(sb, 0, "beta", 1, 2);
    auto c = make(sc, 0, "alpha", 2, 3, 2);
    b->set_peer(1, "127.0.0.1", a->bound_port());
    c->set_peer(1, "127.0.0.1", a->bound_port());
    a->start();
    b->start();
    c->start();
    b->send(1, "from another cluster");
    c->send(1, "from a newer protocol");
    BOOST_REQUIRE(sa.wait([&] { return sa.logs.size() >= 2; }));
    std::string all;
    for (auto& l : sa.logs) all += l + "\n";
    BOOST_TEST(all.find("node 2 belongs to cluster 'beta', this node to 'alpha'") != std::string::npos, all);
    BOOST_TEST(all.find("node 3 speaks peer protocol 2, this node speaks 1") != std::string::npos, all);
    BOOST_TEST(all.find("refusing peer connection from 127.0.0.1:") != std::string::npos, all);
    BOOST_TEST(sa.frames.empty());
}

// A rolling upgrade: a release that speaks protocols 1..2 talks with one that speaks 1,
// both ways; one that speaks only 3 is refused by both, with a line that says why.
BOOST_AUTO_TEST_CASE(peers_whose_protocol_ranges_meet_talk_during_a_rolling_upgrade) {
    Sink s_old, s_new, s_far;
    auto old_node = make(s_old, 0, "alpha", 1, 1);
    auto new_node = make(s_new, 0, "alpha", 2, 2, 1);
    auto far_node = make(s_far, 0, "alpha", 3, 3, 3);
    old_node->set_peer(2, "127.0.0.1", new_node->bound_port());
    new_node->set_peer(1, "127.0.0.1", old_node->bound_port());
    far_node->set_peer(1, "127.0.0.1", old_node->bound_port());
    far_node->set_peer(2, "127.0.0.1", new_node->bound_port());
    old_node->start();
    new_node->start();
    far_node->start();
    old_node->send(2, "old to new");
    new_node->send(1, "new to old");
    far_node->send(1, "far to old");
    far_node->send(2, "far to new");
    BOOST_REQUIRE(s_new.wait([&] { return !s_new.frames.empty(); }));
    BOOST_REQUIRE(s_old.wait([&] { return !s_old.frames.empty(); }));
    BOOST_REQUIRE(s_old.wait([&] { return !s_old.logs.empty(); }));
    BOOST_REQUIRE(s_new.wait([&] { return !s_new.logs.empty(); }));
    for (auto* t : {old_node.get(), new_node.get(), far_node.get()}) t->stop();
    BOOST_TEST(s_new.frames.front() == "old to new");
    BOOST_TEST(s_old.frames.front() == "new to old");
    BOOST_TEST(s_old.frames.size() == 1u);
    BOOST_TEST(s_new.frames.size() == 1u);
    BOOST_TEST(s_old.logs.front().find("node 3 speaks peer protocol 3, this node speaks 1: no version in common") !=
                   std::string::npos,
               s_old.logs.front());
    BOOST_TEST(s_new.logs.front().find("this node speaks 1..2: no version in common") != std::string::npos,
               s_new.logs.front());
}

BOOST_AUTO_TEST_CASE(a_well_framed_stranger_is_refused_at_the_handshake) {
    Sink sa;
    auto a = make(sa);
    a->start();
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), a->bound_port()});
    const std::string frame = std::string("\0\0\0\x08", 4) + "GET / HT";
    boost::asio::write(s, boost::asio::buffer(frame));
    BOOST_REQUIRE(sa.wait([&] { return !sa.logs.empty(); }));
    BOOST_TEST(sa.logs[0].find("refusing peer connection from 127.0.0.1:") == 0u);
    BOOST_TEST(sa.logs[0].find("handshake") != std::string::npos, sa.logs[0]);
    BOOST_TEST(sa.frames.empty());
}

namespace {
// Waits until `a`'s link to `peer` speaks `protocol` (not a timing test: the deadline is far).
bool link_speaks(TcpTransport& a, std::uint64_t peer, std::uint32_t protocol) {
    for (int i = 0; i < 2000; ++i) {
        if (a.peer_stats()[peer].protocol == protocol) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}
}  // namespace

// From protocol 2 the dialler packs its frames once the listener welcomed it: what
// arrives is what was sent, and zero bytes cost next to nothing. Protocol 1 stays flat.
BOOST_AUTO_TEST_CASE(links_of_protocol_2_pack_their_frames_and_links_of_1_do_not) {
    for (std::uint32_t version : {1u, 2u}) {
        Sink sa, sb;
        auto a = make(sa, 0, "test", version, 1), b = make(sb, 0, "test", version, 2);
        a->set_peer(2, "127.0.0.1", b->bound_port());
        a->start();
        b->start();
        a->send(2, "first");
        BOOST_REQUIRE(sb.wait([&] { return sb.frames.size() == 1; }));
        BOOST_REQUIRE(link_speaks(*a, 2, version));
        const auto before = a->stats().bytes_out;
        std::vector<std::string> sent;
        for (int i = 0; i < 200; ++i) {
            sent.push_back(std::string(4096, '\0'));
            sent.back().replace(static_cast<std::size_t>(i) % 4000, 6, "frame" + std::to_string(i % 10));
            a->send(2, sent.back());
        }
        BOOST_REQUIRE(sb.wait([&] { return sb.frames.size() == 201; }));
        BOOST_TEST((std::vector<std::string>(sb.frames.begin() + 1, sb.frames.end()) == sent));
        const auto wire = a->stats().bytes_out - before;
        if (version == 1)
            BOOST_TEST(wire >= 200u * 4096u);
        else
            BOOST_TEST(wire < 200u * 4096u / 20, wire << " bytes for 800 KiB of mostly zeros");
        BOOST_TEST(sb.logs.empty());
    }
}

namespace {
std::string hello_frame(std::uint32_t version, std::uint64_t node, std::uint64_t to) {
    return encode_frame(encode_hello(Hello{version, version, "test", node, "", to, "", ""}));
}
}  // namespace

// A dialler that switches to packed frames without our welcome, or sends a frame that
// is not a packing, loses its connection with a line that says why.
BOOST_AUTO_TEST_CASE(a_peer_that_packs_wrongly_is_cut_off) {
    Sink sa;
    auto a = make(sa, 0, "test", peer_protocol_version, 1);
    a->start();
    boost::asio::io_context io;
    {
        boost::asio::ip::tcp::socket s(io);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), a->bound_port()});
        boost::asio::write(s, boost::asio::buffer(hello_frame(1, 5, 1) + encode_frame(packed_marker)));
        BOOST_REQUIRE(sa.wait([&] { return sa.logged("without our welcome"); }));
    }
    {
        boost::asio::ip::tcp::socket s(io);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), a->bound_port()});
        boost::asio::write(s, boost::asio::buffer(hello_frame(2, 6, 1)));
        // The welcome: a hello from node 1, to node 6.
        FrameDecoder d;
        std::optional<std::string> welcome;
        std::array<char, 512> buf{};
        while (!welcome) {
            const std::size_t n = s.read_some(boost::asio::buffer(buf));
            BOOST_REQUIRE(d.feed(buf.data(), n));
            welcome = d.next();
        }
        Hello theirs;
        BOOST_REQUIRE(!check_hello(*welcome, Hello{2, 1, "test", 6}, theirs));
        BOOST_TEST(theirs.node_id == 1u);
        BOOST_TEST(theirs.to_node_id == 6u);
        BOOST_TEST(theirs.protocol_version == peer_protocol_version);
        boost::asio::write(s, boost::asio::buffer(encode_frame("flat") + encode_frame(packed_marker) +
                                                  encode_frame(pack_frame("packed")) + encode_frame("\x09")));
        BOOST_REQUIRE(sa.wait([&] { return sa.logged("packed frame: pad byte 9"); }));
    }
    BOOST_TEST((sa.frames == std::vector<std::string>{"flat", "packed"}));
}
