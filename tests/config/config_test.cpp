#define BOOST_TEST_MODULE config
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>

#include "config/node_config.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor::config;

namespace {
Getenv env(std::map<std::string, std::string> vars) {
    auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
    return [shared](const char* k) -> const char* {
        auto it = shared->find(k);
        return it == shared->end() ? nullptr : it->second.c_str();
    };
}

std::string error_of(const std::string& json) {
    NodeConfig c;
    auto e = apply_json(c, json, "daemon-config.json");
    return e ? e->line() : "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_example_and_the_documented_shape_load) {
    NodeConfig c;
    auto e = load_file(c, RAFTOR_EXAMPLE_CONFIG);
    BOOST_REQUIRE_MESSAGE(!e, (e ? e->line() : std::string()));
    BOOST_TEST(c.raft.min_cluster_size == 3u);
    BOOST_TEST(c.raft.heartbeat_interval_ms == 150u);
    BOOST_TEST(c.raft.election_timeout_ms == 1500u);
    BOOST_TEST(c.raft.snapshot_interval_ops == 100'000u);
    BOOST_TEST(c.max_concurrent == 10u);
    BOOST_TEST(c.listen.peer == "127.0.0.1:8081");
}

BOOST_AUTO_TEST_CASE(defaults_are_the_documented_ones) {
    NodeConfig c;
    BOOST_TEST(c.raft.heartbeat_interval_ms == 150u);
    BOOST_TEST(c.raft.election_timeout_ms == 1500u);
    BOOST_TEST(c.raft.snapshot_interval_ops == 100'000u);
    BOOST_TEST(c.listen.http == "0.0.0.0:8080");
    BOOST_TEST(c.listen.peer == "0.0.0.0:8081");
}

BOOST_AUTO_TEST_CASE(a_typo_names_the_key_and_suggests_the_right_one) {
    BOOST_TEST(error_of(R"({"raft": {"electionTimoutMs": 1500}})") ==
               "daemon-config.json: raft.electionTimoutMs: unknown key (did you mean 'raft.electionTimeoutMs'?)");
    BOOST_TEST(error_of(R"({"maxConcurent": 5})") ==
               "daemon-config.json: maxConcurent: unknown key (did you mean 'maxConcurrent'?)");
    BOOST_TEST(error_of(R"({"completelyUnrelated": 5})") == "daemon-config.json: completelyUnrelated: unknown key");
}

BOOST_AUTO_TEST_CASE(a_number_beyond_a_double_is_an_error_not_a_crash) {
    // Found by fuzzing: the parser throws out_of_range for it, not parse_error.
    BOOST_TEST(error_of(R"({"maxConcurrent": 4427.0e4445444})").find("(document): not valid JSON") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_empty_key_is_named) {
    BOOST_TEST(error_of(R"({"": 1})") == "daemon-config.json: \"\": an empty key");
    BOOST_TEST(error_of(R"({"raft": {"": 1}})") == "daemon-config.json: raft.\"\": an empty key");
}

BOOST_AUTO_TEST_CASE(a_key_given_twice_is_refused) {
    BOOST_TEST(error_of(R"({"listen": {"http": "127.0.0.1:1"}, "maxConcurrent": 2, "listen": {"peer": "x"}})") ==
               "daemon-config.json: listen: given twice (one value would be lost)");
    BOOST_TEST(error_of(R"({"rateLimit": {"writeBurst": 1, "writeBurst": 2}})") ==
               "daemon-config.json: rateLimit.writeBurst: given twice (one value would be lost)");
    // The same name in two sections is two keys.
    BOOST_TEST(error_of(R"({"listen": {"http": "127.0.0.1:1"}, "raft": {"enabled": true}, "tls": {}})") == "");
}

BOOST_AUTO_TEST_CASE(rate_limits_and_connection_caps_are_keys) {
    NodeConfig c;
    BOOST_REQUIRE(!apply_json(c,
                              R"({"rateLimit": {"writePerSecond": 50, "writeBurst": 100, "exemptLoopback": false},
                                  "listen": {"httpConnectionsMax": 100, "httpConnectionsPerClientMax": 10}})",
                              "f.json"));
    BOOST_TEST(c.rate_limit.write_per_second == 50u);
    BOOST_TEST(c.rate_limit.write_burst == 100u);
    BOOST_TEST(!c.rate_limit.exempt_loopback);
    BOOST_TEST(c.rate_limit.read_per_second == 5000u);
    BOOST_TEST(c.listen.http_connections_max == 100u);
    BOOST_TEST(c.listen.http_connections_per_client_max == 10u);
    c.rate_limit.read_burst = 0;
    auto e = validate(c);
    BOOST_REQUIRE(e);
    BOOST_TEST(e->key == "rateLimit.readBurst");
    c.rate_limit.read_per_second = 0;  // unlimited: no burst needed
    e = validate(c);
    BOOST_TEST((!e || e->key != "rateLimit.readBurst"));
}

BOOST_AUTO_TEST_CASE(wrong_types_and_ranges_are_named) {
    BOOST_TEST(error_of(R"({"raft": {"enabled": "yes"}})") ==
               "daemon-config.json: raft.enabled: must be true or false, not \"yes\"");
    BOOST_TEST(error_of(R"({"maxConcurrent": 0})") ==
               "daemon-config.json: maxConcurrent: must be between 1 and 10000, got 0");
    BOOST_TEST(error_of(R"({"storageWalSegmentBytes": 4096})") ==
               "daemon-config.json: storageWalSegmentBytes: must be between 1048576 and 1073741824, got 4096");
    {
        NodeConfig c;
        BOOST_TEST(c.storage_wal_segment_bytes == 32u << 20);
        BOOST_REQUIRE(!apply_json(c, R"({"storageWalSegmentBytes": 2097152})", "f.json"));
        BOOST_TEST(c.storage_wal_segment_bytes == 2u << 20);
    }
    BOOST_TEST(error_of(R"({"maxConcurrent": -3})") ==
               "daemon-config.json: maxConcurrent: must not be negative, got -3");
    BOOST_TEST(error_of(R"({"raft": {"heartbeatIntervalMs": 1.5}})") ==
               "daemon-config.json: raft.heartbeatIntervalMs: must be a whole number, not 1.5");
    BOOST_TEST(error_of(R"({"raft": 3})") == "daemon-config.json: raft: must be an object, not 3");
    BOOST_TEST(error_of(R"([1, 2])") == "daemon-config.json: (document): must be a JSON object");
    BOOST_TEST(error_of("{\"raft\": {").find("daemon-config.json: (document): not valid JSON") == 0u);
}

BOOST_AUTO_TEST_CASE(an_impossible_combination_is_refused) {
    NodeConfig c;
    BOOST_REQUIRE(!apply_json(c, R"({"raft": {"heartbeatIntervalMs": 500, "electionTimeoutMs": 400}})", "f.json"));
    BOOST_REQUIRE(!apply_env(c, env({{"NODE_ID", "a"}, {"CLUSTER_NODES", "a=127.0.0.1:9001"}})));
    auto e = validate(c);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->line() ==
               "configuration: raft.electionTimeoutMs: must be at least 3 x raft.heartbeatIntervalMs (1500), got 400");
}

BOOST_AUTO_TEST_CASE(retention_and_tls_keys_are_read_and_bad_combinations_named) {
    NodeConfig c;
    BOOST_TEST(c.history_retention_ms == 30ULL * 86'400'000);
    BOOST_TEST(c.receipts_retention_ms == 30ULL * 86'400'000);
    BOOST_REQUIRE(
        !apply_json(c, R"({"history": {"retentionMs": 3600000}, "receipts": {"retentionMs": 7776000000}})", "f.json"));
    BOOST_TEST(c.history_retention_ms == 3'600'000u);
    BOOST_TEST(c.receipts_retention_ms == 7'776'000'000u);
    BOOST_TEST(error_of(R"({"receipts": {"retentionMs": 10}})").find("receipts.retentionMs") != std::string::npos);

    auto refused = [&](const std::string& json, const std::string& key) {
        NodeConfig t;
        BOOST_REQUIRE(!apply_json(t, json, "f.json"));
        BOOST_REQUIRE(!apply_env(t, env({{"NODE_ID", "a"}, {"CLUSTER_NODES", "a=127.0.0.1:9001"}})));
        auto e = validate(t);
        BOOST_REQUIRE_MESSAGE(e.has_value(), json);
        BOOST_TEST(e->line().find(key) != std::string::npos, e->line());
    };
    refused(R"({"tls": {"enabled": true}})", "tls.cert: is required with tls.enabled");
    refused(R"({"tls": {"requestCert": true}})", "tls.requestCert: asks HTTPS clients for certificates");
    refused(R"({"tls": {"requestCert": true, "cert": "/c.crt", "key": "/c.key"}})", "tls.requestCert: needs tls.ca");
    NodeConfig off;
    BOOST_REQUIRE(!apply_json(off, R"({"tls": {"enabled": false, "cert": "/c.crt", "key": "/c.key"}})", "f.json"));
    BOOST_TEST(!off.tls.enabled());
    NodeConfig on;
    BOOST_REQUIRE(
        !apply_json(on, R"({"tls": {"cert": "/c.crt", "key": "/c.key", "rejectUnauthorized": false}})", "f.json"));
    BOOST_TEST(on.tls.enabled());
    BOOST_TEST(!on.tls.reject_unauthorized);
    BOOST_TEST(!on.tls.request_cert);
}

BOOST_AUTO_TEST_CASE(listen_addresses_must_be_host_and_port) {
    auto check = [](const std::string& json) {
        NodeConfig c;
        BOOST_REQUIRE(!apply_json(c, json, "f.json"));
        BOOST_REQUIRE(!apply_env(c, env({{"NODE_ID", "a"}, {"CLUSTER_NODES", "a=127.0.0.1:9001"}})));
        auto e = validate(c);
        return e ? e->line() : std::string("ok");
    };
    BOOST_TEST(check(R"({"listen": {"http": "nonsense"}})") ==
               "configuration: listen.http: 'nonsense' is not host:port (port 1-65535)");
    BOOST_TEST(check(R"({"listen": {"peer": "0.0.0.0:70000"}})") ==
               "configuration: listen.peer: '0.0.0.0:70000' is not host:port (port 1-65535)");
    BOOST_TEST(check(R"({"listen": {"https": ":8443"}})") ==
               "configuration: listen.https: ':8443' is not host:port (port 1-65535)");
    BOOST_TEST(check(R"({"listen": {"http": "[::1]:8080", "peer": "127.0.0.1:8081", "https": "0.0.0.0:8443"}})") ==
               "ok");
}

BOOST_AUTO_TEST_CASE(peers_beyond_loopback_must_prove_who_they_are) {
    auto check = [](const std::string& json, std::map<std::string, std::string> vars = {}) {
        NodeConfig c;
        BOOST_REQUIRE(!apply_json(c, json, "f.json"));
        vars.emplace("NODE_ID", "a");
        vars.emplace("CLUSTER_NODES", "a=10.0.0.1:8081");
        BOOST_REQUIRE(!apply_env(c, env(vars)));
        auto e = validate(c);
        return e ? e->line() : std::string("ok");
    };
    // The default peer listener is 0.0.0.0: without a secret or TLS, the node will not start.
    BOOST_TEST(check("{}").find("configuration: listen.peer: '0.0.0.0:8081' reaches beyond loopback but peers prove "
                                "nothing: set peer.secretFile") == 0u,
               check("{}"));
    BOOST_TEST(check(R"({"listen": {"peer": "10.0.0.1:8081"}})").find("reaches beyond loopback") != std::string::npos);
    BOOST_TEST(check(R"({"listen": {"peer": "127.0.0.1:8081"}})") == "ok");
    BOOST_TEST(check(R"({"listen": {"peer": "[::1]:8081"}})") == "ok");
    BOOST_TEST(check(R"({"peer": {"secretFile": "/etc/raftor/cluster.secret"}})") == "ok");
    BOOST_TEST(check("{}", {{"CLUSTER_SECRET_FILE", "/run/secrets/cluster"}}) == "ok");
    BOOST_TEST(check("{}", {{"CLUSTER_SECRET", std::string(64, 'k')}}) == "ok");
    NodeConfig c;
    auto e = apply_env(c, env({{"CLUSTER_SECRET", "too-short"}}));
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->line() ==
               "environment: CLUSTER_SECRET: is 9 bytes, fewer than 32 (make one with: openssl rand -hex 32)");
    BOOST_TEST(check(R"({"tls": {"ca": "ca.crt", "cert": "n.crt", "key": "n.key"}})") == "ok");
    // A node without Raft has no peers.
    BOOST_TEST(check(R"({"raft": {"enabled": false}})") == "ok");
}

BOOST_AUTO_TEST_CASE(environment_then_flags_override_the_file) {
    NodeConfig c;
    BOOST_REQUIRE(!apply_json(c, R"({"logLevel": "warn", "dataDir": "/var/lib/x"})", "f.json"));
    BOOST_REQUIRE(!apply_env(c, env({{"NODE_ID", "node-0"},
                                     {"CLUSTER_NODES", "node-0:8081,node-1:8081,node-2:8081"},
                                     {"CLUSTER_ID", "production-cluster-1"},
                                     {"LOG_LEVEL", "debug"}})));
    BOOST_TEST(c.log_level == "debug");
    BOOST_TEST(c.cluster_id == "production-cluster-1");
    BOOST_REQUIRE(c.cluster_nodes.size() == 3u);
    BOOST_TEST(c.cluster_nodes[1].host == "node-1");
    BOOST_TEST(c.cluster_nodes[1].port == 8081);
    BOOST_TEST(c.cache_max_size == 1000u);
    BOOST_REQUIRE(
        !apply_json(c, R"({"cacheMaxSize": 2000, "handlers": {"httpHosts": "hooks.internal, 10.0.0.5"}})", "f.json"));
    BOOST_TEST(c.cache_max_size == 2000u);
    BOOST_TEST((c.handlers.http_hosts == std::vector<std::string>{"hooks.internal", "10.0.0.5"}));
    {
        NodeConfig bad = c;
        bad.handlers.http_hosts = {"http://hooks.internal/x"};
        BOOST_TEST(validate(bad)->line() ==
                   "configuration: handlers.httpHosts: 'http://hooks.internal/x' is not a "
                   "host name or address (no scheme, port or path)");
    }
    BOOST_REQUIRE(!apply_env(c, env({{"CACHE_MAX_SIZE", "500"}})));  // the runbook's tuning knob
    c.listen.peer = "127.0.0.1:8081";                                // peers on loopback need no secret
    BOOST_TEST(c.cache_max_size == 500u);
    BOOST_TEST(!validate(c).has_value());  // NODE_ID may name a member's host, as in a StatefulSet's member list
    Flags f;
    f.node_id = "b";
    f.cluster_nodes = "a=127.0.0.1:9001, b=127.0.0.1:9002,c=127.0.0.1:9003";
    f.data_dir = "/tmp/b";
    BOOST_REQUIRE(!apply_flags(c, f));
    BOOST_TEST(c.node_id == "b");
    BOOST_TEST(c.data_dir == "/tmp/b");
    BOOST_TEST(c.cluster_nodes[1].name == "b");
    BOOST_TEST(c.cluster_nodes[1].raft_id == raft_id_of("b"));
    BOOST_TEST(!validate(c).has_value());
    // A joining member and a token from a secret.
    BOOST_TEST(!c.raft.join);
    BOOST_REQUIRE(
        !apply_env(c, env({{"RAFT_JOIN", "true"}, {"AUTH_TOKEN", "s3cret-0123456789abcdef0123456789abcdef"}})));
    BOOST_TEST(c.raft.join);
    BOOST_TEST(c.auth_token == "s3cret-0123456789abcdef0123456789abcdef");
    BOOST_TEST(apply_env(c, env({{"RAFT_JOIN", "yes"}}))->line() ==
               "environment: RAFT_JOIN: 'yes' is not true, false, 1 or 0");
    BOOST_REQUIRE(!apply_json(c, R"({"raft": {"join": false}})", "f.json"));
    BOOST_TEST(!c.raft.join);
    f = Flags{};
    f.join = true;
    BOOST_REQUIRE(!apply_flags(c, f));
    BOOST_TEST(c.raft.join);
}

BOOST_AUTO_TEST_CASE(bad_member_lists_and_identities_are_named) {
    NodeConfig c;
    auto e = apply_env(c, env({{"CLUSTER_NODES", "a:8081,b"}}));
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->line() == "environment: CLUSTER_NODES: 'b' is not host:port or name=host:port");
    e = apply_env(c, env({{"CLUSTER_NODES", "a:8081,b:99999"}}));
    BOOST_TEST(e->line() == "environment: CLUSTER_NODES: 'b:99999' has no valid port (1-65535)");
    e = apply_env(c, env({{"CLUSTER_NODES", "a:1,a:1"}}));
    BOOST_TEST(e->line() == "environment: CLUSTER_NODES: 'a:1' is listed twice");
    Flags f;
    f.cluster_nodes = "";
    e = apply_flags(c, f);
    BOOST_TEST(e->line() == "flag --cluster-nodes: --cluster-nodes: no members listed");
    for (const char* bad : {"-1", "lots", "10000001", "99999999999999999999"}) {
        e = apply_env(c, env({{"CACHE_MAX_SIZE", bad}}));
        BOOST_REQUIRE(e.has_value());
        BOOST_TEST(e->line() ==
                   "environment: CACHE_MAX_SIZE: '" + std::string(bad) + "' is not a whole number from 0 to 10000000");
    }
    e = apply_env(c, env({{"LOG_LEVEL", "loud"}}));
    BOOST_TEST(e->line() ==
               "environment: LOG_LEVEL: 'loud' is not one of trace, debug, info, warn, error, critical, off");

    NodeConfig d;
    BOOST_REQUIRE(!apply_env(d, env({{"NODE_ID", "z"}, {"CLUSTER_NODES", "a:1,b:2"}})));
    BOOST_TEST(validate(d)->line() == "configuration: nodeId: 'z' is not one of the cluster members");
    NodeConfig amb;
    BOOST_REQUIRE(!apply_env(amb, env({{"NODE_ID", "127.0.0.1"}, {"CLUSTER_NODES", "127.0.0.1:1,127.0.0.1:2"}})));
    BOOST_TEST(validate(amb)->key == "nodeId");
    NodeConfig none;
    BOOST_TEST(validate(none)->line() ==
               "configuration: clusterNodes: no members (set CLUSTER_NODES or --cluster-nodes)");
}

BOOST_AUTO_TEST_CASE(a_file_holding_a_token_must_be_private) {
    raftor::testing::TempDir dir;
    const std::string path = (dir.path / "config.json").string();
    auto load = [&](const std::string& text, mode_t mode) {
        std::ofstream(path, std::ios::trunc) << text;
        ::chmod(path.c_str(), mode);
        NodeConfig c;
        auto e = load_file(c, path);
        return e ? e->line() : std::string();
    };
    const std::string with_token = R"({"auth": {"token": "0123456789abcdef0123456789abcdef-x"}})";
    BOOST_TEST(load(with_token, 0600) == "");
    const auto refused = load(with_token, 0644);
    BOOST_TEST(refused.find(path + ": auth.token: this file holds a token, but '" + path +
                            "' may be read by group or others (mode 644): chmod 600 it") == 0u,
               refused);
    BOOST_TEST(load(R"({"auth": {"readToken": "x"}})", 0604).find("auth.readToken: this file holds a token") !=
               std::string::npos);
    BOOST_TEST(load(R"({"maxConcurrent": 3})", 0644) == "");  // no secret in it
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_named) {
    NodeConfig c;
    auto e = load_file(c, "/nonexistent/daemon-config.json");
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->line() == "/nonexistent/daemon-config.json: (file): cannot be read");
}

BOOST_AUTO_TEST_CASE(handler_user_and_environment_are_read_and_bad_ones_named) {
    NodeConfig c;
    BOOST_REQUIRE(!apply_json(
        c,
        R"({"handlers": {"user": "nobody", "env": {"PATH": "/usr/bin:/bin", "HOME": "/var/lib/raftor", "_X1": ""}}})",
        "f.json"));
    BOOST_TEST(c.handlers.user == "nobody");
    BOOST_TEST(c.handlers.env.size() == 3u);
    BOOST_TEST(c.handlers.env.at("HOME") == "/var/lib/raftor");
    auto e = apply_json(c, R"({"handlers": {"env": {"1BAD": "x"}}})", "f.json");
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->line() == "f.json: handlers.env.1BAD: is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
    e = apply_json(c, R"({"handlers": {"env": {"A=B": "x"}}})", "f.json");
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->key == "handlers.env.A=B");
    e = apply_json(c, R"({"handlers": {"env": {"N": 5}}})", "f.json");
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->line() == "f.json: handlers.env.N: must be a string, not 5");
    e = apply_json(c, R"({"handlers": {"env": ["PATH=/bin"]}})", "f.json");
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->line() == "f.json: handlers.env: must be an object of strings, not [\"PATH=/bin\"]");
    e = apply_json(c, R"({"handlers": {"user": 0}})", "f.json");
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->key == "handlers.user");
    // The environment is unchanged by the refused documents.
    BOOST_TEST(c.handlers.env.size() == 3u);
}
