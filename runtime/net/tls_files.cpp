#include "runtime/net/tls_files.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/common/secret_file.hpp"

namespace raftor::net {

namespace ssl = boost::asio::ssl;

namespace {
std::string readable(const char* key, const std::string& path) {
    if (path.empty()) return std::string(key) + ": not set";
    if (::access(path.c_str(), R_OK) != 0)
        return std::string(key) + ": cannot read '" + path + "': " + std::strerror(errno);
    return {};
}
}  // namespace

std::string tls_error(const boost::system::error_code& ec) {
    std::string what = ec.message();
    if (ec.category() == boost::asio::error::get_ssl_category()) {
        char buf[256];
        ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
        what = buf;
    }
    return what;
}

std::vector<std::string> peer_certificate_names(SSL* ssl) {
    std::vector<std::string> out;
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return out;
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) out.emplace_back(cn);
    auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
        if (g->type == GEN_DNS) {
            const ASN1_STRING* s = g->d.dNSName;
            out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                             static_cast<std::size_t>(ASN1_STRING_length(s)));
        } else if (g->type == GEN_IPADD) {
            const ASN1_STRING* s = g->d.iPAddress;
            const unsigned char* p = ASN1_STRING_get0_data(s);
            char buf[64] = {};
            if (ASN1_STRING_length(s) == 4)
                inet_ntop(AF_INET, p, buf, sizeof buf);
            else if (ASN1_STRING_length(s) == 16)
                inet_ntop(AF_INET6, p, buf, sizeof buf);
            if (buf[0]) out.emplace_back(buf);
        }
    }
    GENERAL_NAMES_free(sans);
    X509_free(cert);
    return out;
}

bool certificate_names_member(const std::vector<std::string>& names, const std::string& member) {
    std::string host;
    if (auto colon = member.rfind(':'); colon != std::string::npos && colon > 0) {
        host = member.substr(0, colon);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    }
    for (const auto& n : names)
        if (n == member || (!host.empty() && n == host)) return true;
    return false;
}

std::string load_certificate(ssl::context& ctx, const std::string& cert_file, const std::string& key_file) {
    for (const auto& [key, path] : {std::pair{"tls.cert", &cert_file}, std::pair{"tls.key", &key_file}})
        if (auto e = readable(key, *path); !e.empty()) return e;
    if (auto exposed = common::secret_file_exposed(key_file)) return "tls.key: " + *exposed;
    boost::system::error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                    ec);
    ctx.use_certificate_chain_file(cert_file, ec);
    if (ec) return "tls.cert: '" + cert_file + "' is not a PEM certificate chain: " + tls_error(ec);
    ctx.use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec) return "tls.key: '" + key_file + "' is not a PEM private key for tls.cert: " + tls_error(ec);
    return {};
}

std::string load_mutual(ssl::context& ctx, const std::string& ca_file, const std::string& cert_file,
                        const std::string& key_file) {
    if (auto e = readable("tls.ca", ca_file); !e.empty())
        return e + (ca_file.empty() ? " (mutual TLS needs tls.ca, tls.cert and tls.key)" : "");
    if (auto e = load_certificate(ctx, cert_file, key_file); !e.empty()) return e;
    boost::system::error_code ec;
    ctx.load_verify_file(ca_file, ec);
    if (ec) return "tls.ca: '" + ca_file + "' is not a PEM CA certificate: " + tls_error(ec);
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    return {};
}

}  // namespace raftor::net
