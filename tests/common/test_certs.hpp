#pragma once
// Certificates for mutual-TLS tests, made with the openssl command line: one CA and
// leaf certificates it signs, each naming 127.0.0.1 and localhost (subjectAltName).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace raftor::testing {

class TestCa {
public:
    // Creates the CA's key and certificate in `dir` under the prefix `name`.
    TestCa(std::filesystem::path dir, std::string name) : dir_(std::move(dir)), name_(std::move(name)) {
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=" + name_ +
            " -keyout " + q(key_path()) + " -out " + q(cert_path()));
    }
    std::string cert_path() const { return (dir_ / (name_ + ".crt")).string(); }
    std::string key_path() const { return (dir_ / (name_ + ".key")).string(); }

    struct Leaf {
        std::string cert, key;
    };
    // A certificate for `cn`, valid for 127.0.0.1 and localhost, signed by this CA.
    Leaf issue(const std::string& cn, const std::string& san = "IP:127.0.0.1,DNS:localhost") const {
        const auto base = dir_ / (name_ + "-" + cn);
        const std::string ext = base.string() + ".ext";
        std::ofstream(ext) << "subjectAltName=" << san << "\nextendedKeyUsage=serverAuth,clientAuth\n";
        run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + cn + " -keyout " +
            q(base.string() + ".key") + " -out " + q(base.string() + ".csr"));
        run("openssl x509 -req -days 30 -in " + q(base.string() + ".csr") + " -CA " + q(cert_path()) + " -CAkey " +
            q(key_path()) + " -CAcreateserial -extfile " + q(ext) + " -out " + q(base.string() + ".crt"));
        return {base.string() + ".crt", base.string() + ".key"};
    }

private:
    static std::string q(const std::string& s) { return "'" + s + "'"; }
    static void run(const std::string& cmd) {
        if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    }
    std::filesystem::path dir_;
    std::string name_;
};

}  // namespace raftor::testing
