#pragma once
// `raftor ctl`: the operator's client over the HTTP API. Tries each endpoint in turn
// until one answers; prints what came back; exit code 0 only on success.
#include <optional>
#include <string>
#include <vector>

#include "runtime/state/member_registry.hpp"

namespace raftor::http {

struct CtlArgs {
    std::vector<std::string> endpoints;  // "host:port", "http://host:port" or "https://host:port"
    std::string token;
    std::string ca_file;              // https: the CA of the nodes' certificates (the system's when empty)
    bool insecure = false;            // https: verify nothing
    std::string cert_file, key_file;  // https: a client certificate, for nodes that ask for one
    std::string command;              // status | leader | kv-get | kv-put | kv-del | receipts-verify | receipts-dump
    std::string key, value;
    std::optional<std::uint64_t> prev_revision;
    bool stale = false;
    int timeout_ms = 5000;
    std::string file;    // receipts verify --file: a dump to check instead of the cluster
    std::string backup;  // receipts verify --backup: a backup whose receipts to check instead
    std::uint64_t receipts_from = 0, receipts_to = 0;  // receipts dump --from/--to (0: the whole chain)
    std::string out;                                   // receipts dump --out, backup --out
    // member, transfer-leader, drain, backup:
    std::string name, peer_address;  // member add/add-voter/promote/remove
    std::string to;                  // transfer-leader --to
    bool learner_only = false;       // member add: leave it a learner
    std::uint64_t wait_ms = 60'000;  // member add: for the learner to catch up; drain: for handlers
    std::string data_dir;            // backup --data-dir: a stopped node's, offline
    std::string cluster_id;          // backup --data-dir: said in the manifest
    // ops:
    std::string id;         // get, delete, execute, history: the operation
    std::string input;      // execute: the execution's input
    bool wait = false;      // execute: answer when it ends (exit 0 only on success)
    bool replace = false;   // define: PUT over an existing definition
    std::size_t limit = 0;  // history: the newest this many (the server's default when 0)
    std::string since;      // replay: RFC 3339 or Unix ms
};

int run_ctl(const CtlArgs& args);

// Internals shared by the ctl commands' files.
struct ClientResult;
// One request to the first endpoint that answers (whatever its status); `used` names it.
// A body is sent as JSON when it starts with '{', else as bytes, unless `content_type` says.
ClientResult ctl_ask(const CtlArgs& a, const std::string& method, const std::string& target, const std::string& body,
                     std::string& used, const std::string& content_type = {});
// Prints why a request failed; returns the exit code for it.
int ctl_report_error(const ClientResult& r);
// `raftor ctl receipts verify|dump`: exit 0 when the chain verifies (or was written), 1
// when it does not verify, 2 when it could not be read.
int run_ctl_receipts(const CtlArgs& args);
// `raftor ctl member|transfer-leader|snapshot|drain|undrain|shutdown`: the operator's
// admin requests. Those about one node (snapshot, drain, undrain, shutdown) go to the
// first endpoint only: falling back to another would act on the wrong node.
int run_ctl_admin(const CtlArgs& args);
// `raftor ctl backup --out FILE [--data-dir D]`, `--verify FILE`: 0 when the archive
// was written and reads back (or verifies), 1 otherwise.
int run_ctl_backup(const CtlArgs& args);
// `raftor ctl ops list|get|define|delete|execute|history|queue|replay`: one request
// each, the answer printed as JSON; exit 0 on success.
int run_ctl_ops(const CtlArgs& args);

// `raftor restore`: seeds an empty data dir for one member of a new cluster.
struct RestoreArgs {
    std::string from, data_dir, node_id;
    std::vector<state::MemberInfo> members;  // the new cluster, this node among them
};
int run_restore(const RestoreArgs& args);

}  // namespace raftor::http
