// The cluster secret: members that hold it exchange frames, tagged; a peer with another
// secret, with none, or that never finishes its handshake is refused and logged; a
// forged, altered or replayed frame fails its tag; the secret file is checked.
#include "runtime/net/peer_auth.hpp"

#include <sys/stat.h>

// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>

#include "runtime/net/frame_codec.hpp"
#include "runtime/net/hello.hpp"
#include "runtime/net/tcp_transport.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/net/sink.hpp"

using namespace raftor::net;
using raftor::testing::Sink;
using raftor::testing::TempDir;

namespace {

const std::string secret_a(64, 'a');
const std::string secret_b(64, 'b');

std::unique_ptr<TcpTransport> make(Sink& s, std::uint64_t node, const std::string& secret,
                                   std::uint32_t handshake_ms = 5000) {
    TcpOptions o;
    o.cluster_id = "secret";
    o.node_id = node;
    if (!secret.empty()) o.cluster_secrets = {secret};
    o.backoff_min_ms = 10;
    o.backoff_max_ms = 100;
    o.handshake_timeout_ms = handshake_ms;
    o.inbound_connections_max = 8;
    auto t = std::make_unique<TcpTransport>(o, s.on_frame(), s.on_log());
    const std::string err = t->bind();
    BOOST_REQUIRE_MESSAGE(err.empty(), err);
    return t;
}

using tcp = boost::asio::ip::tcp;

tcp::socket dial(boost::asio::io_context& io, std::uint16_t port) {
    tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peer_auth)

BOOST_AUTO_TEST_CASE(members_with_the_secret_exchange_frames_with_their_proven_ids) {
    Sink sa, sb;
    auto a = make(sa, 1, secret_a), b = make(sb, 2, secret_a);
    a->set_peer(2, "127.0.0.1", b->bound_port());
    b->set_peer(1, "127.0.0.1", a->bound_port());
    a->start();
    b->start();
    for (int i = 0; i < 300; ++i) a->send(2, "frame-" + std::to_string(i) + std::string(i * 53 % 9000, 'z'));
    b->send(1, "back");
    BOOST_REQUIRE(sb.wait([&] { return sb.frames.size() == 300; }));
    for (int i = 0; i < 300; ++i) {
        BOOST_REQUIRE(sb.frames[static_cast<std::size_t>(i)] ==
                      "frame-" + std::to_string(i) + std::string(i * 53 % 9000, 'z'));
        BOOST_REQUIRE(sb.senders[static_cast<std::size_t>(i)] == 1u);
    }
    BOOST_REQUIRE(sa.wait([&] { return sa.frames.size() == 1; }));
    BOOST_TEST(sa.frames[0] == "back");
    BOOST_TEST(sa.senders[0] == 2u);
}

BOOST_AUTO_TEST_CASE(a_peer_with_another_secret_is_refused_both_ways) {
    Sink sa, sm;
    auto a = make(sa, 1, secret_a), m = make(sm, 3, secret_b);
    a->set_peer(3, "127.0.0.1", m->bound_port());
    m->set_peer(1, "127.0.0.1", a->bound_port());
    a->start();
    m->start();
    m->send(1, "let me in");
    a->send(3, "for 3");
    // Each refuses the other's proof when it dials (the dialler checks the listener's first).
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("failed the cluster-secret proof"); }));
    BOOST_REQUIRE(sm.wait([&] { return sm.logged("failed the cluster-secret proof"); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::lock_guard<std::mutex> l(sa.mu), l2(sm.mu);
    BOOST_TEST(sa.frames.empty());
    BOOST_TEST(sm.frames.empty());
    BOOST_TEST(a->stats().rejected_connections >= 1u);
}

// A rotation: old only, old+new, new+old, new only. Each step a rolling restart; at
// every step every pair shares a secret, so frames flow throughout.
BOOST_AUTO_TEST_CASE(a_secret_rotates_by_rolling_restarts) {
    const std::string old_s(64, 'o'), new_s(64, 'n');
    auto pair_talks = [&](std::vector<std::string> sa_secrets, std::vector<std::string> sb_secrets) {
        Sink sa, sb;
        auto mk = [](Sink& s, std::uint64_t node, std::vector<std::string> secrets) {
            TcpOptions o;
            o.cluster_id = "secret";
            o.node_id = node;
            o.cluster_secrets = std::move(secrets);
            o.backoff_min_ms = 10;
            o.backoff_max_ms = 100;
            auto t = std::make_unique<TcpTransport>(o, s.on_frame(), s.on_log());
            BOOST_REQUIRE(t->bind().empty());
            return t;
        };
        auto a = mk(sa, 1, sa_secrets), b = mk(sb, 2, sb_secrets);
        a->set_peer(2, "127.0.0.1", b->bound_port());
        b->set_peer(1, "127.0.0.1", a->bound_port());
        a->start();
        b->start();
        a->send(2, "a->b");
        b->send(1, "b->a");
        return sb.wait([&] { return sb.frames.size() == 1; }) && sa.wait([&] { return sa.frames.size() == 1; });
    };
    BOOST_TEST(pair_talks({old_s}, {old_s, new_s}));
    BOOST_TEST(pair_talks({old_s, new_s}, {new_s, old_s}));
    BOOST_TEST(pair_talks({new_s, old_s}, {new_s}));
}

BOOST_AUTO_TEST_CASE(a_peer_without_a_secret_is_refused) {
    Sink sa, sp;
    auto a = make(sa, 1, secret_a), p = make(sp, 4, "");
    p->set_peer(1, "127.0.0.1", a->bound_port());
    a->start();
    p->start();
    p->send(1, "plain frame");
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("no cluster-secret handshake"); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard<std::mutex> l(sa.mu);
    BOOST_TEST(sa.frames.empty());
}

// A hello that names the cluster and a member, then silence; and a hello addressed to
// another node: neither gets further.
BOOST_AUTO_TEST_CASE(a_handshake_left_unfinished_or_misaddressed_is_refused) {
    Sink sa;
    auto a = make(sa, 1, secret_a, 300);
    a->start();
    boost::asio::io_context io;
    auto s = dial(io, a->bound_port());
    const std::string hello = encode_frame(encode_hello(Hello{1, 1, "secret", 2, "", 1, std::string(32, 'n')}));
    boost::asio::write(s, boost::asio::buffer(hello));
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("no handshake within 300 ms"); }));
    auto s2 = dial(io, a->bound_port());
    const std::string other = encode_frame(encode_hello(Hello{1, 1, "secret", 2, "", 7, std::string(32, 'n')}));
    boost::asio::write(s2, boost::asio::buffer(other));
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("it dialled node 7, this is node 1"); }));
    std::lock_guard<std::mutex> l(sa.mu);
    BOOST_TEST(sa.frames.empty());
}

BOOST_AUTO_TEST_CASE(inbound_connections_are_capped) {
    Sink sa;
    auto a = make(sa, 1, secret_a);
    a->start();
    boost::asio::io_context io;
    std::vector<tcp::socket> held;
    for (int i = 0; i < 12; ++i) held.push_back(dial(io, a->bound_port()));
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("inbound connections (the limit)"); }));
}

BOOST_AUTO_TEST_CASE(a_forged_altered_or_replayed_frame_fails_its_tag) {
    const HandshakeIds ids{"c", 1, 2, std::string(32, 'x'), std::string(32, 'y')};
    const std::string key = session_key(secret_a, ids);
    FrameMac sender(key), receiver(key);
    std::string f1 = "first";
    f1 += sender.seal(f1);
    std::string f2 = "second";
    f2 += sender.seal(f2);
    std::string replay = f1;
    BOOST_TEST(receiver.open(f1));
    BOOST_TEST(f1 == "first");
    BOOST_TEST(!receiver.open(replay));  // the receiver expects frame 2 now
    FrameMac fresh(key);
    std::string altered = f2;
    altered[0] = 'S';
    BOOST_TEST(!fresh.open(altered));
    std::string forged = "heartbeat" + std::string(frame_tag_bytes, '\0');
    FrameMac other(key);
    BOOST_TEST(!other.open(forged));
    std::string cut = "x";
    BOOST_TEST(!other.open(cut));
    // Proofs differ by side, by ids and by secret: none can stand in for another.
    const auto d = handshake_proof(secret_a, ids, ProofSide::dialler);
    BOOST_TEST(d != handshake_proof(secret_a, ids, ProofSide::listener));
    BOOST_TEST(d != handshake_proof(secret_b, ids, ProofSide::dialler));
    HandshakeIds swapped = ids;
    std::swap(swapped.dialler, swapped.listener);
    BOOST_TEST(d != handshake_proof(secret_a, swapped, ProofSide::dialler));
}

BOOST_AUTO_TEST_CASE(the_secret_file_must_be_private_and_long_enough) {
    TempDir dir;
    const std::string path = (dir.path / "cluster.secret").string();
    auto write = [&](const std::string& text, mode_t mode) {
        std::ofstream(path, std::ios::trunc) << text;
        ::chmod(path.c_str(), mode);
    };
    std::string error;
    write(std::string(64, 'f') + "\n", 0600);
    auto s = load_cluster_secret(path, error);
    BOOST_REQUIRE_MESSAGE(s.has_value(), error);
    BOOST_TEST((*s == std::vector<std::string>{std::string(64, 'f')}));
    write(std::string(64, 'n') + "\n\n  " + std::string(64, 'o') + " \n", 0600);
    s = load_cluster_secret(path, error);
    BOOST_REQUIRE_MESSAGE(s.has_value(), error);
    BOOST_TEST((*s == std::vector<std::string>{std::string(64, 'n'), std::string(64, 'o')}));
    write(std::string(64, 'f'), 0644);
    BOOST_TEST(!load_cluster_secret(path, error));
    BOOST_TEST(error.find("may be read by group or others (mode 644): chmod 600 it") != std::string::npos, error);
    write("short\n", 0600);
    BOOST_TEST(!load_cluster_secret(path, error));
    BOOST_TEST(error.find("line 1 holds 5 bytes, fewer than 32") != std::string::npos, error);
    BOOST_TEST(!load_cluster_secret((dir.path / "absent").string(), error));
    BOOST_TEST(error.find("cannot read") != std::string::npos, error);
}

BOOST_AUTO_TEST_SUITE_END()
