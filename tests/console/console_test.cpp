// The console's pure parts: commands, the prompt's line editing, and the views
// rendered from what nodes answer (including nodes that do not, stuck actors and two
// nodes that both say they lead).
#define BOOST_TEST_MODULE console
#include <boost/test/unit_test.hpp>
#include <functional>

#include "runtime/common/host_port.hpp"
#include "runtime/console/command.hpp"
#include "runtime/console/line_editor.hpp"
#include "runtime/console/views.hpp"

using namespace raftor::console;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

json actor(const std::string& name, std::uint64_t handled, json state = json::object(), bool responsive = true) {
    return json{{"name", name},
                {"kind", name == "raft_peer" ? "consensus" : "test"},
                {"mailboxDepth", handled % 3},
                {"messagesHandled", handled},
                {"ratePerSec", 12.5},
                {"lastMessage", "tick"},
                {"lastMessageAgeMs", 1500},
                {"responsive", responsive},
                {"state", std::move(state)}};
}

NodeAnswer node(const std::string& name, const std::string& endpoint, const std::string& role, std::uint64_t term,
                const std::string& id) {
    NodeAnswer a;
    a.endpoint = endpoint;
    json peer_state{{"id", id}, {"role", role}, {"lastIndex", "42"}};
    if (role == "leader") {
        peer_state["follower.22"] = "match=40 next=43 state=replicate inflight=1";
        peer_state["follower.33"] = "match=42 next=43 state=replicate inflight=0";
    }
    a.actors = json{
        {"node", name},
        {"actors",
         json::array({actor("raft_peer", 100, peer_state), actor("storage", 7),
                      actor("scheduler", 3, {{"nextFires", "backup at 2026-11-24T10:00:00Z"}}, name != "node-3")})}};
    a.cluster =
        json{{"node", name},
             {"role", role},
             {"term", term},
             {"leader", "node-1"},
             {"commitIndex", 42},
             {"appliedIndex", 41},
             {"replicationLag", 0},
             {"members", json::array({json{{"name", "node-1"}, {"httpAddress", "127.0.0.1:1"}, {"leader", true}},
                                      json{{"name", "node-2"},
                                           {"httpAddress", "127.0.0.1:2"},
                                           {"voter", true},
                                           {"matchIndex", 40},
                                           {"lagEntries", 2},
                                           {"lagMs", 15}},
                                      json{{"name", "node-3"},
                                           {"httpAddress", "127.0.0.1:3"},
                                           {"voter", true},
                                           {"matchIndex", 42},
                                           {"lagEntries", 0},
                                           {"lagMs", 0}}})}};
    return a;
}

Snapshot three_nodes() {
    Snapshot s;
    s.at_ms = 1'795'000'000'123;
    s.nodes = {node("node-1", "127.0.0.1:1", "leader", 5, "11"), node("node-2", "127.0.0.1:2", "follower", 5, "22"),
               node("node-3", "127.0.0.1:3", "follower", 5, "33")};
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(commands_parse_with_their_arguments_and_bad_ones_say_why) {
    BOOST_TEST((parse_command("").kind == Command::Kind::none));
    BOOST_TEST((parse_command("  actors ").kind == Command::Kind::actors));
    BOOST_TEST((parse_command("raft").kind == Command::Kind::raft));
    BOOST_TEST((parse_command("q").kind == Command::Kind::quit));
    BOOST_TEST((parse_command("help").kind == Command::Kind::help));
    auto w = parse_command("watch storage");
    BOOST_TEST((w.kind == Command::Kind::watch));
    BOOST_TEST(w.actor == "storage");
    BOOST_TEST(parse_command("watch").actor.empty());
    auto i = parse_command("inspect node-2/raft_peer");
    BOOST_TEST((i.kind == Command::Kind::inspect));
    BOOST_TEST(i.node == "node-2");
    BOOST_TEST(i.actor == "raft_peer");
    auto t = parse_command("trace raft_peer 2.5");
    BOOST_TEST((t.kind == Command::Kind::trace));
    BOOST_TEST(t.follow_s == 2.5);

    for (const auto& [line, why] :
         std::vector<std::pair<std::string, std::string>>{{"inspect", "usage: inspect"},
                                                          {"inspect a b", "usage: inspect"},
                                                          {"trace", "usage: trace"},
                                                          {"trace x soon", "SECONDS must be a number"},
                                                          {"trace x -1", "SECONDS must be a number"},
                                                          {"raft now", "usage: raft"},
                                                          {"inspect node-1/", "the actor's name is missing"},
                                                          {"frobnicate", "unknown command 'frobnicate'"}}) {
        const auto c = parse_command(line);
        BOOST_TEST((c.kind == Command::Kind::bad), line);
        BOOST_TEST(has(c.error, why), line << ": " << c.error);
    }
    for (const char* cmd : {"actors", "watch", "inspect", "raft", "trace", "help", "quit"})
        BOOST_TEST(has(help_text(), std::string("  ") + cmd), cmd);
}

BOOST_AUTO_TEST_CASE(the_prompt_edits_a_line_and_swallows_escape_sequences) {
    LineEditor e;
    auto type = [&](const std::string& bytes) {
        LineEditor::Event last = LineEditor::Event::none;
        for (unsigned char c : bytes) last = e.feed(c);
        return last;
    };
    BOOST_TEST((type("rafx") == LineEditor::Event::changed));
    BOOST_TEST((type("\x7f") == LineEditor::Event::changed));
    type("t\x1b[A\x1b[1;5C\x1bOB");  // arrow keys in both encodings
    BOOST_TEST(e.line() == "raft");
    BOOST_TEST((e.feed('\r') == LineEditor::Event::submit));
    BOOST_TEST(e.take() == "raft");
    BOOST_TEST(e.line().empty());
    type("insp\xc3\xa9");  // a two-byte character: one backspace removes it whole
    type("\x7f");
    BOOST_TEST(e.line() == "insp");
    BOOST_TEST((e.feed(0x04) == LineEditor::Event::none));  // Ctrl-D with text: nothing
    type("\x15");                                           // Ctrl-U
    BOOST_TEST(e.line().empty());
    BOOST_TEST((e.feed(0x04) == LineEditor::Event::quit));
    BOOST_TEST((e.feed(0x03) == LineEditor::Event::quit));
    type(std::string(600, 'x'));
    BOOST_TEST(e.line().size() == 512u);  // bounded
}

BOOST_AUTO_TEST_CASE(the_table_has_a_row_per_actor_per_node_and_names_the_stuck_and_the_silent) {
    Snapshot s = three_nodes();
    s.nodes[2].error = "connecting to 127.0.0.1:3: Connection refused";
    s.nodes[2].actors = nullptr;
    const std::string t = actors_table(s);
    BOOST_TEST(has(t, "NODE    ACTOR"), t);
    BOOST_TEST(has(t, "node-1  raft_peer  consensus  1        100      12.5    tick          1.5s  ok"), t);
    BOOST_TEST(has(t, "node-2  scheduler"), t);
    BOOST_TEST(!has(t, "node-3  raft_peer"), t);
    BOOST_TEST(has(t, "not answering:\n127.0.0.1:3: connecting to 127.0.0.1:3: Connection refused"), t);

    Snapshot all = three_nodes();
    const std::string stuck = actors_table(all, "scheduler");
    BOOST_TEST(has(stuck, "STUCK (no answer)"), stuck);
    BOOST_TEST(!has(stuck, "raft_peer"), stuck);
    BOOST_TEST(has(stuck, "node-1/scheduler\n  nextFires  backup at 2026-11-24T10:00:00Z"), stuck);
    BOOST_TEST(has(actors_table(all, "nope"), "(no actor 'nope')"));
    BOOST_TEST(has(actors_table(all, "storage", "node-2"), "node-2  storage"));
    BOOST_TEST(!has(actors_table(all, "storage", "node-2"), "node-1  storage"));

    const std::string i = inspect_text(all, "raft_peer", "node-1");
    BOOST_TEST(has(i, "node-1/raft_peer\n"), i);
    BOOST_TEST(has(i, "  rate              12.5 /s"), i);
    BOOST_TEST(has(i, "  follower.22       match=40"), i);
    BOOST_TEST(!has(i, "node-2/"), i);
    BOOST_TEST(inspect_text(all, "nope", "").empty());

    const json j = actors_json(s);
    BOOST_TEST(j["nodes"].size() == 3u);
    BOOST_TEST(j["nodes"][0]["actors"].size() == 3u);
    BOOST_TEST(j["nodes"][2]["error"] == "connecting to 127.0.0.1:3: Connection refused");
    BOOST_TEST(j["raft"]["leader"] == "node-1");
    BOOST_TEST(has(summary_line(s), "2/3 nodes answering, leader node-1 (term 5), at "), summary_line(s));
}

BOOST_AUTO_TEST_CASE(the_raft_view_shows_who_leads_and_each_followers_lag) {
    Snapshot s = three_nodes();
    const std::string r = raft_text(s);
    BOOST_TEST(has(r, "leader: node-1\n"), r);
    BOOST_TEST(has(r, "node-2  follower  5     node-1  42      41       42    127.0.0.1:2"), r);
    BOOST_TEST(has(r, "node-2  yes    40     2              15"), r);
    // Progress is named, not numbered: each node's own peer says which raft id it is.
    BOOST_TEST(has(r, "  node-2  match=40 next=43 state=replicate inflight=1"), r);
    BOOST_TEST(!has(r, "WARNING"), r);

    // An old leader that has not heard of the new term: both say they lead.
    s.nodes[2].cluster["role"] = "leader";
    s.nodes[2].cluster["term"] = 6;
    const json j = raft_json(s);
    BOOST_TEST(j["leader"] == "node-3");  // the higher term
    BOOST_TEST(j["leadersSeen"] == 2);
    BOOST_TEST(has(raft_text(s), "WARNING: 2 nodes say they lead"));

    for (auto& n : s.nodes) n.cluster["role"] = "candidate";
    BOOST_TEST(has(raft_text(s), "no leader"));
    s.nodes[1].error = "timed out";
    BOOST_TEST(has(raft_text(s), "unreachable"));
}

BOOST_AUTO_TEST_CASE(trace_pages_become_lines_and_new_members_are_discovered) {
    const json page{{"node", "node-1"},
                    {"actor", "storage"},
                    {"missed", 4},
                    {"entries", json::array({json{{"seq", 9}, {"type", "persist"}, {"atMs", 1'795'000'000'123}},
                                             json{{"seq", 10}, {"type", "flush"}, {"atMs", 1'795'000'000'456}}})}};
    const auto lines = trace_lines("node-1", page);
    BOOST_REQUIRE(lines.size() == 3u);
    BOOST_TEST(has(lines[0], "... 4 earlier messages not shown"), lines[0]);
    BOOST_TEST(has(lines[1], ".123Z  node-1/storage  #9  persist"), lines[1]);
    BOOST_TEST(has(lines[2], "#10  flush"), lines[2]);
    BOOST_TEST(trace_lines("node-1", json{{"entries", "x"}}).empty());  // a bad page is not a crash
    BOOST_TEST(trace_lines("node-1", nullptr).empty());

    Snapshot s = three_nodes();
    const auto more = undiscovered(s, {"127.0.0.1:1"});
    BOOST_TEST(more == (std::vector<std::string>{"127.0.0.1:2", "127.0.0.1:3"}));
    BOOST_TEST(undiscovered(s, {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}).empty());
}

BOOST_AUTO_TEST_CASE(an_answer_of_the_wrong_shape_is_named_and_never_reaches_the_views) {
    auto with = [](auto change) {
        NodeAnswer a = node("node-1", "127.0.0.1:1", "leader", 5, "11");
        change(a);
        check_answer(a);
        return a;
    };
    BOOST_TEST(with([](NodeAnswer&) {}).error.empty());
    const std::vector<std::pair<std::function<void(NodeAnswer&)>, std::string>> cases{
        {[](NodeAnswer& a) { a.actors = json::array(); }, "bad answer to /debug/actors: not {"},
        {[](NodeAnswer& a) { a.actors["actors"] = 5; }, "bad answer to /debug/actors"},
        {[](NodeAnswer& a) { a.actors["actors"][0]["name"] = 1; }, "an actor without a name"},
        {[](NodeAnswer& a) { a.actors["actors"][0]["mailboxDepth"] = "x"; }, "mailboxDepth is not a number"},
        {[](NodeAnswer& a) { a.actors["actors"][0]["lastMessageAgeMs"] = -5; }, "lastMessageAgeMs is negative"},
        {[](NodeAnswer& a) { a.actors["actors"][0]["responsive"] = "yes"; }, "responsive is not true or false"},
        {[](NodeAnswer& a) { a.actors["actors"][0]["state"]["role"] = 3; }, "state.role is not a string"},
        {[](NodeAnswer& a) { a.actors["actors"][1].erase("state"); }, "actor 'storage': state is not an object"},
        {[](NodeAnswer& a) { a.cluster["members"] = "all"; }, "bad answer to /health/cluster: no members list"},
        {[](NodeAnswer& a) { a.cluster["term"] = -1; }, "term is not a number"},
        {[](NodeAnswer& a) { a.cluster["members"][1]["httpAddress"] = 8; }, "httpAddress is not a string"},
    };
    for (const auto& [change, why] : cases) {
        const NodeAnswer a = with(change);
        BOOST_TEST(has(a.error, why), a.error);
        BOOST_TEST(a.actors.is_null());
    }
    // The views take it as a node that did not answer.
    Snapshot s = three_nodes();
    s.nodes[1] = with([](NodeAnswer& a) { a.actors["actors"][0]["state"] = 1; });
    s.nodes[1].endpoint = "127.0.0.1:2";
    BOOST_TEST(has(actors_table(s), "not answering:\n127.0.0.1:2: bad answer"), actors_table(s));
    BOOST_TEST(has(raft_text(s), "unreachable"));

    BOOST_TEST(check_trace_page(json{{"entries", json::array()}}).empty());
    BOOST_TEST(
        !check_trace_page(json{{"entries", json::array({json{{"seq", -1}, {"type", "x"}, {"atMs", 1}}})}}).empty());
    BOOST_TEST(!check_trace_page(json{{"entries", json::array({json{{"seq", 1}, {"atMs", 1}}})}}).empty());
    BOOST_TEST(!check_trace_page(json{{"missed", "many"}, {"entries", json::array()}}).empty());
}

BOOST_AUTO_TEST_CASE(a_node_may_be_given_as_a_url_or_host_port) {
    using raftor::common::endpoint_of;
    BOOST_TEST(endpoint_of("http://127.0.0.1:8080/") == "127.0.0.1:8080");
    BOOST_TEST(endpoint_of("https://[::1]:8443//") == "[::1]:8443");
    BOOST_TEST(endpoint_of("127.0.0.1:8090") == "127.0.0.1:8090");
    BOOST_TEST(endpoint_of("ftp://x:1") == "ftp://x:1");  // left for split_host_port to refuse
}
