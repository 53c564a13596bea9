// A node's configuration file: every key, its type and range, the member list, and the
// checks across keys. Whatever the file, the answer is a configuration or one error
// that names a key.
#include <cstdlib>

#include "config/node_config.hpp"
#include "tests/fuzz/fuzz.hpp"

using namespace raftor::config;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    NodeConfig c;
    if (auto e = apply_json(c, text, "fuzz.json")) {
        if (e->key.empty() || e->what.empty()) raftor::fuzz::fail(("an error that names no key: " + e->line()).c_str());
        return 0;
    }
    if (auto e = validate(c); e && (e->key.empty() || e->what.empty()))
        raftor::fuzz::fail(("a check that names no key: " + e->line()).c_str());
    std::vector<Member> members;
    (void)parse_members(text, members);
    return 0;
}

std::vector<std::string> raftor::fuzz::starting_inputs() {
    return {
        R"({"nodeId":"node-1","clusterNodes":"node-1=127.0.0.1:8081,node-2=127.0.0.1:8091","maxConcurrent":10,
            "raft":{"heartbeatIntervalMs":150,"electionTimeoutMs":1500,"snapshotIntervalOps":1000},
            "listen":{"http":"127.0.0.1:8080","peer":"127.0.0.1:8081","httpConnectionsMax":100},
            "auth":{"token":"0123456789abcdef0123456789abcdef-x"},
            "rateLimit":{"writePerSecond":10,"writeBurst":20,"exemptLoopback":false},
            "handlers":{"env":{"A":"b"},"allowedPrograms":"/usr/bin/*, /bin/true","user":"nobody"}})",
        R"({"tls":{"ca":"/x/ca.crt","cert":"/x/n.crt","key":"/x/n.key"},"peer":{"secretFile":"/x/s"},"logLevel":"debug"})",
        "node-1=10.0.0.1:8081,10.0.0.2:8081,[::1]:9",
    };
}
