// The raftor binary: `raftor node` runs a cluster member, `raftor ctl` talks to one,
// `raftor console` shows the actors of every node live, `raftor sim` runs the whole
// cluster in the deterministic simulator.
// CLI11 lives only in this file (it is slow to compile).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "actors/node.hpp"
#include "config/node_config.hpp"
#include "runtime/console/console.hpp"
#include "runtime/http/ctl.hpp"
#include "sim/sim_command.hpp"

using namespace raftor;

namespace {

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const std::size_t c = s.find(',', pos);
        std::string part = s.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
        if (!part.empty()) out.push_back(part);
        if (c == std::string::npos) break;
        pos = c + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"raftor: a Raft-replicated operations daemon"};
    app.require_subcommand(1);

    // ---- node
    auto* node = app.add_subcommand("node", "run a cluster member");
    std::string config_path;
    config::Flags flags;
    std::string node_id, cluster_nodes, data_dir;
    bool raft_enabled = false;
    node->add_option("--config", config_path, "JSON configuration file (daemon-config.json shape)");
    auto* o_id = node->add_option("--node-id", node_id, "this member's name (overrides NODE_ID)");
    auto* o_nodes = node->add_option("--cluster-nodes", cluster_nodes,
                                     "members: name=host:port,... or host:port,... (overrides CLUSTER_NODES)");
    auto* o_dir = node->add_option("--data-dir", data_dir, "where LMDB keeps this node's log and state");
    auto* o_raft = node->add_flag("--raft-enabled,!--no-raft", raft_enabled, "run as a cluster member (default)");
    bool check_config = false;
    node->add_flag("--check-config", check_config,
                   "load and check the configuration (file, environment, flags), say so, and exit");
    bool join = false;
    auto* o_join = node->add_flag("--join", join,
                                  "start outside the configuration and wait to be added with 'ctl member add' "
                                  "(an empty data dir only; env RAFT_JOIN)");

    // ---- ctl
    auto* ctl = app.add_subcommand("ctl", "talk to a running cluster over HTTP");
    ctl->require_subcommand(1);
    http::CtlArgs args;
    std::string endpoints = std::getenv("RAFTOR_ENDPOINTS") ? std::getenv("RAFTOR_ENDPOINTS") : "127.0.0.1:8080";
    if (const char* t = std::getenv("RAFTOR_TOKEN")) args.token = t;
    ctl->add_option("--endpoints", endpoints, "comma-separated host:port of nodes to try (env RAFTOR_ENDPOINTS)");
    ctl->add_option("--token", args.token,
                    "the admin token (or the read token, for reads) when the nodes have tokens (env RAFTOR_TOKEN)");
    if (const char* ca = std::getenv("RAFTOR_CA")) args.ca_file = ca;
    ctl->add_option("--ca", args.ca_file,
                    "https:// endpoints: the CA certificate that signed the nodes' (tls.ca; env RAFTOR_CA; default: "
                    "the system's CAs)");
    ctl->add_flag("--insecure", args.insecure, "https:// endpoints: do not verify the nodes' certificates");
    ctl->add_option("--cert", args.cert_file, "https:// endpoints: a client certificate (nodes with tls.requestCert)");
    ctl->add_option("--key", args.key_file, "the key of --cert");
    ctl->add_option("--timeout-ms", args.timeout_ms, "per-request timeout")->check(CLI::Range(1, 600'000));
    ctl->add_subcommand("status", "the cluster as one node sees it (/health/cluster)");
    ctl->add_subcommand("leader", "the leader's name");
    auto* kv = ctl->add_subcommand("kv", "the key-value namespace");
    kv->require_subcommand(1);
    auto* kv_get = kv->add_subcommand("get", "read a key (linearizable unless --stale)");
    kv_get->add_option("key", args.key)->required();
    kv_get->add_flag("--stale", args.stale, "read the answering node's copy");
    auto* kv_put = kv->add_subcommand("put", "write a key");
    kv_put->add_option("key", args.key)->required();
    kv_put->add_option("value", args.value)->required();
    std::uint64_t prev = 0;
    auto* o_prev_put =
        kv_put->add_option("--prev-revision", prev, "compare-and-set: the revision expected (0: absent)");
    auto* kv_del = kv->add_subcommand("del", "delete a key");
    kv_del->add_option("key", args.key)->required();
    auto* o_prev_del = kv_del->add_option("--prev-revision", prev, "compare-and-set: the revision expected");

    auto* receipts = ctl->add_subcommand("receipts", "the signed receipt chain of every execution");
    receipts->require_subcommand(1);
    auto* r_verify = receipts->add_subcommand(
        "verify", "check the whole chain offline (links, batches, signatures, head); names the first bad link");
    auto* r_file =
        r_verify->add_option("--file", args.file, "a dump (raftor ctl receipts dump) to check instead of the cluster");
    r_verify
        ->add_option("--backup", args.backup,
                     "a backup (raftor ctl backup --out) whose receipts to check instead of the cluster")
        ->excludes(r_file);
    r_verify->add_flag("--stale", args.stale, "read the answering node's copy");
    auto* r_dump = receipts->add_subcommand("dump", "write the whole chain, with the members' keys, to a file");
    r_dump->add_option("--out", args.out, "the file to write")->required();
    r_dump->add_option("--from", args.receipts_from, "the first receipt's sequence number (an archive of a range)")
        ->check(CLI::PositiveNumber);
    r_dump->add_option("--to", args.receipts_to, "the last receipt's sequence number (default: the last sealed)")
        ->check(CLI::PositiveNumber);
    r_dump->add_flag("--stale", args.stale, "read the answering node's copy");

    auto* ops = ctl->add_subcommand("ops", "operations: list, get, define, delete, execute, history, queue, replay");
    ops->require_subcommand(1);
    ops->add_subcommand("list", "every operation registered");
    ops->add_subcommand("get", "one operation's definition")->add_option("id", args.id)->required();
    auto* ops_define = ops->add_subcommand("define", "register an operation from a JSON file ('-': stdin)");
    ops_define->add_option("file", args.file, "the definition (POST /operations' body)")->required();
    ops_define->add_flag("--replace", args.replace, "replace the definition with the same id (PUT)");
    ops->add_subcommand("delete", "delete an operation")->add_option("id", args.id)->required();
    auto* ops_exec = ops->add_subcommand("execute", "run an operation now");
    ops_exec->add_option("id", args.id)->required();
    ops_exec->add_option("--input", args.input, "the execution's input (JSON)");
    ops_exec->add_flag("--wait", args.wait, "answer when it ends; exit 0 only if it succeeded");
    auto* ops_hist = ops->add_subcommand("history", "an operation's executions, newest last");
    ops_hist->add_option("id", args.id)->required();
    ops_hist->add_option("--limit", args.limit, "the newest this many")->check(CLI::Range(1, 100'000));
    ops->add_subcommand("queue", "executions queued, running or retrying");
    ops->add_subcommand("replay", "run again what was lost since a time (after a restore)")
        ->add_option("--since", args.since, "RFC 3339 or Unix ms")
        ->required();

    auto* member = ctl->add_subcommand("member", "the cluster's members: list, add, promote, remove");
    member->require_subcommand(1);
    member->add_subcommand("list", "every member: name, role, addresses, lag (on the leader)");
    auto* m_add = member->add_subcommand(
        "add", "add NAME (listening for peers at PEER) as a learner, wait for it to catch up, promote it");
    m_add->add_option("name", args.name, "the new member's name (its --node-id)")->required();
    m_add->add_option("peer", args.peer_address, "host:port of its peer transport")->required();
    m_add->add_flag("--learner", args.learner_only, "leave it a learner (no vote)");
    m_add->add_option("--wait-ms", args.wait_ms, "how long to wait for it to catch up before promoting")
        ->check(CLI::Range(0, 3'600'000));
    auto* m_voter = member->add_subcommand("add-voter",
                                           "add NAME as a voter at once (it counts in the quorum "
                                           "before it has caught up: prefer add)");
    m_voter->add_option("name", args.name)->required();
    m_voter->add_option("peer", args.peer_address)->required();
    auto* m_promote = member->add_subcommand("promote", "make learner NAME a voter (refused until it caught up)");
    m_promote->add_option("name", args.name)->required();
    auto* m_remove =
        member->add_subcommand("remove", "remove NAME (the leader hands leadership over first when it is NAME)");
    m_remove->add_option("name", args.name)->required();
    auto* transfer =
        ctl->add_subcommand("transfer-leader", "hand leadership to a voter (the most caught up by default)");
    transfer->add_option("--to", args.to, "the member to lead");
    ctl->add_subcommand("snapshot", "snapshot the first endpoint's state now and compact its log");
    auto* drainc = ctl->add_subcommand(
        "drain", "drain the first endpoint: start no new handlers, wait for running ones, hand leadership away");
    drainc->add_option("--wait-ms", args.wait_ms, "how long to wait for running handlers and the handover")
        ->check(CLI::Range(0, 3'600'000));
    ctl->add_subcommand("undrain", "return a drained node (the first endpoint) to service");
    ctl->add_subcommand("shutdown", "stop the first endpoint gracefully (as SIGTERM)");

    auto* backupc = ctl->add_subcommand(
        "backup", "write a backup (a compacted LMDB copy and its manifest, one tar) and read it back");
    backupc->add_option("--out", args.out, "the archive to write");
    backupc->add_option("--data-dir", args.data_dir, "back up this stopped node's data dir instead of asking a node");
    backupc->add_option("--cluster-id", args.cluster_id, "with --data-dir: the cluster id the manifest names");
    backupc->add_option("--verify", args.file, "check an archive (checksums, the state against its manifest)");

    // ---- restore
    auto* restorec =
        app.add_subcommand("restore", "seed an empty data dir from a backup, for one member of a new cluster");
    http::RestoreArgs rargs;
    std::string restore_nodes;
    restorec->add_option("--from", rargs.from, "the backup (raftor ctl backup --out)")->required();
    restorec->add_option("--data-dir", rargs.data_dir, "the new node's data dir (absent or empty)")->required();
    restorec->add_option("--node-id", rargs.node_id, "the new node's name")->required();
    restorec->add_option("--cluster-nodes", restore_nodes, "the new cluster's members: name=host:port,...")->required();

    // ---- console
    auto* consolec = app.add_subcommand("console", "the actors of every node, live (a terminal), or once (scripts)");
    console::ConsoleArgs cargs;
    std::string console_nodes = endpoints;
    consolec->add_option("--nodes", console_nodes,
                         "comma-separated host:port or http://host:port of nodes; the members they name are asked "
                         "too (env RAFTOR_ENDPOINTS)");
    consolec->add_option("--interval-ms", cargs.interval_ms, "refresh period of the live views")
        ->check(CLI::Range(100, 60'000));
    consolec->add_option("--timeout-ms", cargs.timeout_ms, "per-request timeout")->check(CLI::Range(50, 60'000));
    consolec->add_flag("--once", cargs.once, "print one answer (COMMAND, actors by default) and exit");
    consolec->add_flag("--json", cargs.json, "answers as JSON, one per line (implies no live screen)");
    consolec->add_flag("!--no-discover", cargs.discover, "ask only the nodes given, not the members they name");
    cargs.token = args.token;
    cargs.ca_file = args.ca_file;
    consolec->add_option("--token", cargs.token,
                         "a read or admin token, when the nodes have tokens (env RAFTOR_TOKEN)");
    consolec->add_option("--ca", cargs.ca_file,
                         "https:// nodes: the CA certificate that signed theirs (env RAFTOR_CA)");
    consolec->add_flag("--insecure", cargs.insecure, "https:// nodes: do not verify their certificates");
    std::vector<std::string> console_command;
    consolec->add_option("command", console_command, "with --once: actors | watch A | inspect A | raft | trace A [S]");

    // ---- sim
    auto* simc = app.add_subcommand("sim", "run the cluster in the deterministic simulator, from a seed");
    sim::SimCommand sc;
    simc->add_option("--seed", sc.seed, "the run to make (same seed, same binary: same run)");
    simc->add_option("--seeds", sc.seeds, "a range of seeds, A..B");
    simc->add_option("--nodes", sc.nodes, "cluster size, 3 to 7");
    simc->add_option("--duration", sc.duration, "simulated time of the faulty phase (120s, 500ms, 2m)");
    simc->add_option(
        "--faults", sc.faults,
        "all | none | kind[=weight],... of drop, delay, dup, reorder, partition, crash, kill-leader, power, "
        "skew, slow-disk, fsync, disk-full");
    simc->add_option("--trace", sc.trace_file, "write every event of the run, with simulated time, to this file");
    simc->add_option("--jobs", sc.jobs, "run seeds in this many processes side by side");
    simc->add_option("--clients", sc.clients, "client actors issuing the KV workload");
    simc->add_option("--keys", sc.keys, "keys the workload uses");
    simc->add_option("--operations", sc.operations,
                     "on (the default): every node's scheduler, executor and receipt signer, an operator's "
                     "operations and events, and their checkers; off: Raft and the key-value workload only");
    simc->add_flag("--forever", sc.forever, "run seeds until stopped, reporting seeds/min");
    simc->add_flag("--quiet", sc.quiet, "print failing seeds and the totals only");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    if (node->parsed()) {
        config::NodeConfig cfg;
        std::optional<config::Error> err;
        if (!config_path.empty()) err = config::load_file(cfg, config_path);
        if (!err) err = config::apply_env(cfg, [](const char* n) { return std::getenv(n); });
        if (*o_id) flags.node_id = node_id;
        if (*o_nodes) flags.cluster_nodes = cluster_nodes;
        if (*o_dir) flags.data_dir = data_dir;
        if (*o_raft) flags.raft_enabled = raft_enabled;
        if (*o_join) flags.join = join;
        if (!err) err = config::apply_flags(cfg, flags);
        if (!err) err = config::validate(cfg);
        if (err) {
            std::cerr << "raftor node: " << err->line() << "\n";
            return 1;
        }
        if (check_config) {
            std::cout << "raftor node: configuration OK: node " << (cfg.node_id.empty() ? "(single)" : cfg.node_id)
                      << ", " << cfg.cluster_nodes.size() << " member(s) listed, data dir " << cfg.data_dir
                      << (cfg.raft.join ? ", joining" : "") << "\n";
            return 0;
        }
        return actors::run_node(cfg);
    }

    if (simc->parsed()) return sim::run_sim_command(sc);

    if (restorec->parsed()) {
        std::vector<config::Member> listed;
        if (auto e = config::parse_members(restore_nodes, listed)) {
            std::cerr << "raftor restore: --cluster-nodes: " << *e << "\n";
            return 2;
        }
        bool self = false;
        for (const auto& m : listed) {
            rargs.members.push_back({m.raft_id, m.name, m.host + ":" + std::to_string(m.port)});
            self = self || m.name == rargs.node_id;
        }
        if (!self) {
            std::cerr << "raftor restore: --node-id '" << rargs.node_id << "' is not one of --cluster-nodes\n";
            return 2;
        }
        return http::run_restore(rargs);
    }

    if (consolec->parsed()) {
        cargs.nodes = split_commas(console_nodes);
        if (!console_command.empty()) {
            if (!cargs.once) {
                std::cerr << "raftor console: a command on the command line needs --once (or pipe commands to stdin)\n";
                return 1;
            }
            cargs.command.clear();
            for (const auto& w : console_command) cargs.command += (cargs.command.empty() ? "" : " ") + w;
        }
        return console::run_console(cargs);
    }

    args.endpoints = split_commas(endpoints);
    for (auto* sub : ctl->get_subcommands()) {
        if (sub->get_name() == "kv" || sub->get_name() == "receipts" || sub->get_name() == "member" ||
            sub->get_name() == "ops") {
            auto* which = sub->get_subcommands().front();
            args.command = sub->get_name() + "-" + which->get_name();
            if (*o_prev_put || *o_prev_del) args.prev_revision = prev;
        } else {
            args.command = sub->get_name();
        }
    }
    return http::run_ctl(args);
}
