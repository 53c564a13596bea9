// Mutual TLS between peers: frames flow between members of one CA; a peer with a
// certificate of another CA, with none at all, or naming another host is refused and
// logged; bad TLS files are start-up errors that name the key.
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "runtime/net/tcp_transport.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/common/test_certs.hpp"
#include "tests/net/sink.hpp"

using namespace raftor::net;
using raftor::testing::Sink;
using raftor::testing::TempDir;
using raftor::testing::TestCa;

namespace {

TcpOptions options(std::uint64_t node, const std::string& ca, const TestCa::Leaf& leaf) {
    TcpOptions o;
    o.cluster_id = "tls";
    o.node_id = node;
    o.backoff_min_ms = 10;
    o.backoff_max_ms = 100;
    o.tls_ca_file = ca;
    o.tls_cert_file = leaf.cert;
    o.tls_key_file = leaf.key;
    return o;
}

std::unique_ptr<TcpTransport> make(Sink& s, TcpOptions o) {
    auto t = std::make_unique<TcpTransport>(std::move(o), s.on_frame(), s.on_log());
    const std::string err = t->bind();
    BOOST_REQUIRE_MESSAGE(err.empty(), err);
    return t;
}

struct Pki {
    TempDir dir;
    TestCa ca{dir.path, "cluster-ca"};
    TestCa other{dir.path, "other-ca"};
};

}  // namespace

BOOST_AUTO_TEST_CASE(members_of_one_ca_exchange_frames_over_mutual_tls) {
    Pki pki;
    Sink sa, sb;
    auto a = make(sa, options(1, pki.ca.cert_path(), pki.ca.issue("node-1")));
    auto b = make(sb, options(2, pki.ca.cert_path(), pki.ca.issue("node-2")));
    a->set_peer(2, "127.0.0.1", b->bound_port(), "node-2");
    b->set_peer(1, "127.0.0.1", a->bound_port(), "node-1");
    a->start();
    b->start();
    for (int i = 0; i < 500; ++i) a->send(2, "frame-" + std::to_string(i) + std::string(i * 37 % 5000, 'y'));
    b->send(1, "back");
    BOOST_REQUIRE(sb.wait([&] { return sb.frames.size() == 500; }));
    for (int i = 0; i < 500; ++i)
        BOOST_REQUIRE(sb.frames[static_cast<std::size_t>(i)] ==
                      "frame-" + std::to_string(i) + std::string(i * 37 % 5000, 'y'));
    BOOST_REQUIRE(sa.wait([&] { return sa.frames.size() == 1; }));
    BOOST_TEST(sa.frames[0] == "back");
}

BOOST_AUTO_TEST_CASE(a_peer_with_a_certificate_of_another_ca_is_refused_and_logged) {
    Pki pki;
    Sink sa, sm;
    auto a = make(sa, options(1, pki.ca.cert_path(), pki.ca.issue("node-1")));
    // The intruder trusts our CA (so it would accept us) but its own certificate is foreign.
    auto m = make(sm, options(3, pki.ca.cert_path(), pki.other.issue("mallory")));
    m->set_peer(1, "127.0.0.1", a->bound_port(), "node-1");
    a->start();
    m->start();
    for (int i = 0; i < 20; ++i) m->send(1, "let me in");
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("TLS handshake"); }));
    BOOST_TEST(sa.wait([&] { return sa.logged("refusing peer connection from 127.0.0.1:"); }));
    BOOST_TEST(sa.wait([&] { return sa.logged("certificate verify failed"); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::lock_guard<std::mutex> l(sa.mu);
    BOOST_TEST(sa.frames.empty());
    BOOST_TEST(a->stats().rejected_connections >= 1u);
}

BOOST_AUTO_TEST_CASE(a_plain_tcp_peer_is_refused_by_a_tls_listener) {
    Pki pki;
    Sink sa, sp;
    auto a = make(sa, options(1, pki.ca.cert_path(), pki.ca.issue("node-1")));
    TcpOptions plain;
    plain.cluster_id = "tls";
    plain.node_id = 4;
    plain.backoff_min_ms = 10;
    plain.backoff_max_ms = 100;
    auto p = make(sp, plain);
    p->set_peer(1, "127.0.0.1", a->bound_port(), "node-1");
    a->start();
    p->start();
    p->send(1, "plain frame");
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("TLS handshake"); }));
    BOOST_TEST(sa.wait([&] { return sa.logged("refusing peer connection"); }));
    std::lock_guard<std::mutex> l(sa.mu);
    BOOST_TEST(sa.frames.empty());
}

BOOST_AUTO_TEST_CASE(a_dialled_peer_whose_certificate_names_another_host_is_refused) {
    Pki pki;
    Sink sa, sb;
    auto a = make(sa, options(1, pki.ca.cert_path(), pki.ca.issue("node-1")));
    // Signed by our CA, but for 10.9.9.9 only: it is not who we dialled at 127.0.0.1.
    auto b = make(sb, options(2, pki.ca.cert_path(), pki.ca.issue("node-2", "IP:10.9.9.9")));
    a->set_peer(2, "127.0.0.1", b->bound_port(), "node-2");
    a->start();
    b->start();
    a->send(2, "for node-2");
    BOOST_REQUIRE(sa.wait([&] { return sa.logged("TLS handshake with 127.0.0.1"); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::lock_guard<std::mutex> l(sb.mu);
    BOOST_TEST(sb.frames.empty());
}

// node-3 holds a good certificate of the cluster's CA, for node-3, and claims to be
// node-2: refused when it calls (its hello names node-2), and when it is called as
// node-2 (its certificate does not name the member dialled).
BOOST_AUTO_TEST_CASE(a_member_s_certificate_that_claims_another_member_is_refused) {
    Pki pki;
    Sink sa, sm;
    auto a = make(sa, options(1, pki.ca.cert_path(), pki.ca.issue("node-1")));
    auto m = make(sm, options(2, pki.ca.cert_path(), pki.ca.issue("node-3")));
    a->set_peer(2, "127.0.0.1", m->bound_port(), "node-2");
    a->set_peer(3, "127.0.0.1", 1, "node-3");
    m->set_peer(1, "127.0.0.1", a->bound_port(), "node-1");
    a->start();
    m->start();
    m->send(1, "I am node-2");
    a->send(2, "for node-2");
    BOOST_REQUIRE(sa.wait([&] {
        return sa.logged("its hello speaks for member 'node-2' but its certificate names 'node-3'") &&
               sa.logged("does not name member 'node-2'");
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::lock_guard<std::mutex> l(sa.mu), l2(sm.mu);
    BOOST_TEST(sa.frames.empty());
    BOOST_TEST(sm.frames.empty());
}

BOOST_AUTO_TEST_CASE(unreadable_or_wrong_tls_files_are_errors_naming_the_key) {
    Pki pki;
    const auto leaf = pki.ca.issue("node-1");
    auto bind_error = [](TcpOptions o) {
        TcpTransport t(
            std::move(o), [](std::uint64_t, std::string) {}, [](const std::string&) {});
        return t.bind();
    };
    auto o = options(1, pki.ca.cert_path(), leaf);
    o.tls_cert_file = (pki.dir.path / "absent.crt").string();
    BOOST_TEST(bind_error(o).find("tls.cert: cannot read") == 0u, bind_error(o));
    o = options(1, pki.ca.cert_path(), leaf);
    o.tls_ca_file = "";
    BOOST_TEST(bind_error(o).find("tls.ca: not set") == 0u, bind_error(o));
    o = options(1, pki.ca.cert_path(), leaf);
    o.tls_key_file = pki.ca.key_path();  // a key, but not the certificate's
    BOOST_TEST(bind_error(o).find("tls.key:") == 0u, bind_error(o));
    o = options(1, leaf.key, leaf);  // not a certificate at all
    BOOST_TEST(bind_error(o).find("tls.ca:") == 0u, bind_error(o));
    // A private key others may read is refused, naming the file and the fix.
    ::chmod(leaf.key.c_str(), 0644);
    o = options(1, pki.ca.cert_path(), leaf);
    BOOST_TEST(bind_error(o).find("tls.key: '" + leaf.key + "' may be read by group or others (mode 644)") == 0u,
               bind_error(o));
    ::chmod(leaf.key.c_str(), 0600);
    BOOST_TEST(bind_error(options(1, pki.ca.cert_path(), leaf)) == "");
}
