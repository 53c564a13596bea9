#pragma once
// Loading TLS material into an Asio SSL context, for the peer transport (mutual TLS)
// and the HTTPS server: the one place that checks the files, with errors that name
// the configuration key ("tls.cert: cannot read '...': No such file or directory").
// Includes Asio: only for Asio translation units.
// Boost 1.74 Asio uses std::exchange without including <utility> under C++20.
#include <utility>
// clang-format off
#include <boost/asio/ssl.hpp>
// clang-format on
#include <string>
#include <vector>

namespace raftor::net {

// TLS 1.2 or later, the certificate chain and its private key. An empty string on
// success, else what is wrong.
std::string load_certificate(boost::asio::ssl::context& ctx, const std::string& cert_file, const std::string& key_file);
// Also trust `ca_file` and require (and verify) the other side's certificate.
std::string load_mutual(boost::asio::ssl::context& ctx, const std::string& ca_file, const std::string& cert_file,
                        const std::string& key_file);

// The names a connection's peer certificate carries: its subject CN and its
// subjectAltName DNS names and IP addresses. Empty without a certificate.
std::vector<std::string> peer_certificate_names(SSL* ssl);
// Whether a certificate with `names` speaks for member `member` (its name; a member
// named by its address, host:port, is spoken for by a certificate naming the host).
bool certificate_names_member(const std::vector<std::string>& names, const std::string& member);

// "certificate verify failed (unable to get local issuer certificate)" rather than a bare code.
std::string tls_error(const boost::system::error_code& ec);

}  // namespace raftor::net
