#include <boost/test/unit_test.hpp>

#include "tests/raft/manual.hpp"

using namespace raftor::raft;
using namespace raftor::raft::testing;

BOOST_AUTO_TEST_SUITE(replication)

BOOST_AUTO_TEST_CASE(proposals_between_readies_share_one_append_per_follower) {
    Group g({1, 2, 3});
    g.elect(1);
    for (int i = 0; i < 100; ++i) BOOST_REQUIRE(g[1].propose("p" + std::to_string(i)).ok());
    auto ms = of_type(drain(g[1]), MessageType::append);
    BOOST_REQUIRE(ms.size() == 2u);
    BOOST_TEST(ms[0].entries.size() == 100u);
    for (auto& m : ms) g[m.to].step(m);
    g.settle();
    BOOST_TEST(g[1].commit() == 101u);
    // No empty append per commit: the followers learn it at the leader's next tick.
    BOOST_TEST(g[2].commit() == 1u);
    g.tick_all();
    for (auto& [id, r] : g.nodes) BOOST_TEST(r->commit() == 101u);
    BOOST_TEST(g.applied[2].size() == 101u);
}

BOOST_AUTO_TEST_CASE(an_entry_is_one_copy_from_the_proposal_to_every_follower_and_the_apply) {
    Group g({1, 2, 3});
    g.elect(1);
    BOOST_REQUIRE(g[1].propose(std::string(1000, 'x')).ok());
    Ready rd = g[1].ready();
    BOOST_REQUIRE(rd.entries.size() == 1u);
    const Payload& logged = rd.entries[0].payload;
    auto ms = of_type(rd.messages, MessageType::append);
    BOOST_REQUIRE(ms.size() == 2u);
    for (const auto& m : ms) {
        BOOST_REQUIRE(m.entries.size() == 1u);
        BOOST_TEST(m.entries[0].payload.shares_with(logged), "append to " << m.to << " holds its own copy");
    }
    g[1].on_persisted(rd.persist_id);
    for (auto& m : ms) g[m.to].step(m);
    for (auto id : {2, 3})
        for (auto& m : drain(g[id])) g[1].step(m);
    Ready applied = g[1].ready();
    BOOST_REQUIRE(applied.committed.size() == 1u);
    BOOST_TEST(applied.committed[0].payload.shares_with(logged));
    BOOST_TEST(!Payload(std::string(1000, 'x')).shares_with(logged));  // equal bytes, another copy
}

// A restart loads the payloads of the newest entries only (PayloadWindow); the
// committed entries before them are read back from storage to be applied, in order,
// and a failed read is asked again at the next tick, not in a loop.
BOOST_AUTO_TEST_CASE(a_restart_applies_entries_loaded_without_payloads_by_reading_them_back) {
    StoredLog stored;
    std::vector<Entry> loaded;
    for (Index i = 1; i <= 50; ++i) {
        Entry e{.term = 1, .index = i, .payload = Payload("entry-" + std::to_string(i) + std::string(100, 'x'))};
        stored[i] = e;
        loaded.push_back(e);
    }
    PayloadWindow window(1'000);
    window.take(loaded);
    const Index cached_from = window.cached_from(loaded);
    BOOST_REQUIRE(cached_from > 40u);
    BOOST_REQUIRE(cached_from <= 50u);
    for (Index i = 1; i < cached_from; ++i) BOOST_REQUIRE(loaded[i - 1].payload.size() == 0u);

    Config c = config(1);
    c.append_bytes_max = 1'000;  // several reads back
    Restore r;
    r.initial_conf = voters({1});
    r.hard_state = HardState{.term = 1, .vote = 1, .commit = 48};
    r.entries = loaded;
    r.cached_from = cached_from;
    Raft node(c, std::move(r));
    BOOST_TEST(node.log().cached_from() == cached_from);

    // The first read fails: nothing is handed out, and nothing is asked again until a tick.
    BOOST_REQUIRE(node.has_ready());
    Ready first = node.ready();
    BOOST_REQUIRE(first.fetches.size() == 1u);
    BOOST_TEST(first.fetches[0].to == 1u);
    BOOST_TEST(first.fetches[0].from == 1u);
    BOOST_TEST(first.committed.empty());
    node.on_fetched(1, 1, {});
    BOOST_TEST(!node.has_ready());
    node.tick();

    std::vector<Entry> applied;
    int reads = 0;
    while (node.has_ready()) {
        Ready rd = node.ready();
        for (const auto& f : rd.fetches) {
            ++reads;
            std::vector<Entry> read;
            std::size_t bytes = 0;
            for (auto it = stored.find(f.from); it != stored.end() && read.size() < f.count; ++it) {
                if (!read.empty() && bytes + it->second.size_bytes() > f.bytes) break;
                bytes += it->second.size_bytes();
                read.push_back(it->second);
            }
            node.on_fetched(f.to, f.from, std::move(read));
        }
        for (auto& e : rd.committed) applied.push_back(std::move(e));
        if (rd.persist_id != 0) node.on_persisted(rd.persist_id);
    }
    BOOST_TEST(reads > 1);
    BOOST_REQUIRE(applied.size() == 48u);  // up to the commit index, not beyond
    for (Index i = 1; i <= 48; ++i) BOOST_TEST((applied[i - 1] == stored[i]), "entry " << i);
    BOOST_TEST(node.applied() == 48u);
}

BOOST_AUTO_TEST_CASE(a_payload_window_keeps_configuration_changes_and_the_newest_within_its_bytes) {
    std::vector<Entry> log;
    PayloadWindow window(500);
    for (Index i = 1; i <= 30; ++i) {
        log.push_back(Entry{.term = 1,
                            .index = i,
                            .type = i == 3 ? EntryType::conf_change : EntryType::normal,
                            .payload = Payload(std::string(76, 'p'))});  // 100 bytes each
        if (i % 7 == 0) window.take(log);                                // as chunks come in
    }
    window.take(log);
    BOOST_TEST(window.cached_from(log) == 26u);  // 5 x 100 bytes
    for (const auto& e : log)
        BOOST_TEST(e.payload.size() == (e.index >= 26 || e.index == 3 ? 76u : 0u), "entry " << e.index);
    PayloadWindow none(10);
    std::vector<Entry> one{Entry{.term = 1, .index = 7, .payload = Payload("big enough")}};
    none.take(one);
    BOOST_TEST(none.cached_from(one) == 8u);
}

BOOST_AUTO_TEST_CASE(the_log_caches_payloads_up_to_its_bytes_and_a_follower_behind_gets_them_from_storage) {
    Config c = config(1);
    c.log_cache_bytes_max = 10'000;
    c.append_entries_max = 16;
    Group g({1, 2, 3}, c);
    g.elect(1);
    g.down = {3};
    for (int i = 0; i < 200; ++i) BOOST_REQUIRE(g[1].propose(std::to_string(i) + std::string(500, 'x')).ok());
    g.settle();
    g.tick_all();  // the follower learns the commit index
    BOOST_REQUIRE_EQUAL(g[2].commit(), 201u);
    // Applied everywhere up: only the newest 10,000 bytes of payloads stay in memory.
    for (NodeId id : {1, 2}) {
        BOOST_TEST(g[id].log().cached_bytes() <= 10'000u);
        BOOST_TEST(g[id].log().cached_from() > 180u);
        BOOST_TEST(g[id].log().term_at(5).has_value());  // terms stay
    }
    g.down = {};
    g.tick_all(3);
    BOOST_REQUIRE(g[3].commit() == 201u);
    BOOST_REQUIRE(g.applied[3].size() == 201u);
    for (std::size_t k = 1; k < 201; ++k)
        BOOST_TEST(g.applied[3][k].payload == std::to_string(k - 1) + std::string(500, 'x'), "entry " << k + 1);
    // Read back in batches of at most 16, as appends carry them: nothing sent twice.
    std::size_t sent = 0;
    for (const auto& m : g.delivered)
        if (m.type == MessageType::append && m.to == 3) {
            BOOST_TEST(m.entries.size() <= 16u);
            sent += m.entries.size();
        }
    BOOST_TEST(sent == 201u);
}

BOOST_AUTO_TEST_CASE(a_fetch_answer_that_does_not_fit_the_log_or_the_follower_is_not_sent) {
    Config c = config(1);
    c.log_cache_bytes_max = 1'000;
    Group g({1, 2, 3}, c);
    g.elect(1);
    g.down = {3};
    for (int i = 0; i < 20; ++i) g[1].propose(std::string(200, 'y'));
    g.settle();
    g.down = {};
    // Node 3 answers the leader's heartbeat and rejects its probe: the leader finds it
    // behind the cache and asks storage, once.
    g[1].tick();
    auto next_fetch = [&] {
        std::vector<Fetch> fetches;
        for (int round = 0; round < 6 && fetches.empty(); ++round) {
            Ready rd = g[1].ready();
            fetches = rd.fetches;
            if (rd.persist_id) g[1].on_persisted(rd.persist_id);
            for (auto& m : rd.messages)
                if (m.to == 3) {
                    g[3].step(m);
                    for (auto& r : drain(g[3])) g[1].step(r);
                }
        }
        return fetches;
    };
    auto fetches = next_fetch();
    BOOST_REQUIRE(fetches.size() == 1u);
    BOOST_TEST(fetches[0].to == 3u);
    const Index from = fetches[0].from;
    BOOST_TEST(from < g[1].log().cached_from());
    BOOST_TEST(g[1].progress(3)->fetching);
    BOOST_TEST(g[1].ready().fetches.empty());  // not asked twice while one is out

    // An answer for another start sends nothing; the leader asks again.
    const Term t = g[1].log().term_at(from).value();
    g[1].on_fetched(3, from + 1, {Entry{.term = t, .index = from + 1, .payload = "z"}});
    BOOST_TEST(!g[1].progress(3)->fetching);
    Ready rd = g[1].ready();
    BOOST_TEST(of_type(rd.messages, MessageType::append).empty());
    BOOST_REQUIRE(rd.fetches.size() == 1u);
    // Entries of another term than the log's at that index (storage read a stale
    // suffix): nothing sent.
    g[1].on_fetched(3, from, {Entry{.term = t + 1, .index = from, .payload = "stale"}});
    rd = g[1].ready();
    BOOST_TEST(of_type(rd.messages, MessageType::append).empty());
    BOOST_REQUIRE(rd.fetches.size() == 1u);
    // Storage could read nothing: asked again at the next heartbeat interval, not at once.
    g[1].on_fetched(3, from, {});
    BOOST_TEST(g[1].ready().fetches.empty());
    g[1].tick();
    rd = g[1].ready();
    BOOST_TEST(of_type(rd.messages, MessageType::append).empty());
    BOOST_REQUIRE(rd.fetches.size() == 1u);
    // The right entries go out as an append, only the ones that match.
    g[1].on_fetched(
        3, from,
        {Entry{.term = t, .index = from, .payload = "a"}, Entry{.term = t, .index = from + 2, .payload = "gap"}});
    auto apps = of_type(g[1].ready().messages, MessageType::append);
    BOOST_REQUIRE(apps.size() == 1u);
    BOOST_TEST(apps[0].index == from - 1);
    BOOST_TEST(apps[0].entries.size() == 1u);
}

BOOST_AUTO_TEST_CASE(append_batches_are_bounded_by_bytes_and_count) {
    Config c = config(1);
    c.append_bytes_max = 1000;
    Group g({1, 2}, c);
    g.elect(1);
    for (int i = 0; i < 20; ++i) g[1].propose(std::string(200, 'x'));
    auto ms = of_type(drain(g[1]), MessageType::append);
    BOOST_REQUIRE(!ms.empty());
    for (auto& m : ms) BOOST_TEST(size_bytes(m.entries) <= 1000u);
    BOOST_TEST(ms.size() >= 5u);  // pipelined: several appends out at once
}

BOOST_AUTO_TEST_CASE(pipelining_stops_at_the_inflight_window) {
    Config c = config(1);
    c.append_entries_max = 1;
    c.inflight_appends_max = 4;
    Group g({1, 2}, c);
    g.elect(1);
    BOOST_TEST((g[1].progress(2)->state == ProgressState::replicate));
    for (int i = 0; i < 10; ++i) g[1].propose("e");
    auto ms = of_type(drain(g[1]), MessageType::append);
    BOOST_TEST(ms.size() == 4u);  // window full, the rest waits
    BOOST_TEST(g[1].progress(2)->inflights.count() == 4u);
    // Acknowledging frees the window and the next appends go out.
    for (auto& m : ms) g[2].step(m);
    for (auto& m : drain(g[2])) g[1].step(m);
    BOOST_TEST(of_type(drain(g[1]), MessageType::append).size() == 4u);
}

BOOST_AUTO_TEST_CASE(the_window_is_bounded_in_bytes_too) {
    Config c = config(1);
    c.append_bytes_max = 1000;
    c.inflight_bytes_max = 3000;
    Group g({1, 2}, c);
    g.elect(1);
    for (int i = 0; i < 50; ++i) g[1].propose(std::string(400, 'x'));
    auto ms = of_type(drain(g[1]), MessageType::append);
    std::size_t bytes = 0;
    for (auto& m : ms) bytes += size_bytes(m.entries);
    BOOST_TEST(ms.size() == 4u);  // 2-entry appends (848 bytes): the fourth crosses 3000, and the window is full
    BOOST_TEST(g[1].progress(2)->inflights.bytes() == bytes);
    BOOST_TEST(bytes < 3000u + 1000u);
}

BOOST_AUTO_TEST_CASE(answers_to_read_rounds_do_not_resend_a_probe) {
    Group g({1, 2, 3});
    g.elect(1);
    g.down = {3};
    for (int i = 0; i < 20; ++i) g[1].propose(std::string(100, 'e'));
    g.settle();
    g.down = {};
    // Node 3 rejects an append past its log: the leader probes it, one append at a time.
    g[1].propose("more");
    auto app = of_type(drain(g[1]), MessageType::append);
    for (auto& m : app) g[m.to].step(m);
    for (NodeId f : {2, 3})
        for (auto& m : drain(g[f])) g[1].step(m);
    auto to3 = [](const std::vector<Message>& ms) {
        std::vector<Message> r;
        for (auto& m : of_type(ms, MessageType::append))
            if (m.to == 3) r.push_back(m);
        return r;
    };
    auto out = drain(g[1]);
    BOOST_REQUIRE(to3(out).size() == 1u);
    for (auto& m : out)
        if (m.to == 2) g[2].step(m);
    for (auto& m : drain(g[2])) g[1].step(m);
    BOOST_TEST((g[1].progress(3)->state == ProgressState::probe));
    BOOST_TEST(g[1].progress(3)->probe_sent);
    // The probe is slow to be answered; meanwhile read rounds come and go. Their answers
    // must not send the probe again (once per read was the resend storm).
    for (int i = 0; i < 10; ++i) {
        g[1].read_index("r" + std::to_string(i));
        for (auto& hb : of_type(drain(g[1]), MessageType::heartbeat)) {
            g[hb.to].step(hb);
            for (auto& m : drain(g[hb.to])) g[1].step(m);
        }
        BOOST_TEST(to3(drain(g[1])).empty());
    }
    // The heartbeat interval's round may resend it once: it may have been lost.
    g[1].tick();
    auto hbs = of_type(drain(g[1]), MessageType::heartbeat);
    std::size_t resent = 0;
    for (auto& hb : hbs) {
        g[hb.to].step(hb);
        for (auto& m : drain(g[hb.to])) g[1].step(m);
        resent += to3(drain(g[1])).size();
    }
    BOOST_TEST(resent == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_window_is_checked_with_an_empty_append) {
    Config c = config(1);
    c.append_entries_max = 1;
    c.inflight_appends_max = 4;
    Group g({1, 2}, c);
    g.elect(1);
    for (int i = 0; i < 10; ++i) g[1].propose("e");
    auto lost = of_type(drain(g[1]), MessageType::append);  // all four lost
    BOOST_REQUIRE(lost.size() == 4u);
    g[1].tick();
    auto hbs = of_type(drain(g[1]), MessageType::heartbeat);
    BOOST_REQUIRE(hbs.size() == 1u);
    g[2].step(hbs[0]);
    for (auto& m : drain(g[2])) g[1].step(m);
    auto check = of_type(drain(g[1]), MessageType::append);
    BOOST_REQUIRE(check.size() == 1u);
    BOOST_TEST(check[0].entries.empty());  // no more entries into the gap
    BOOST_TEST(check[0].index == lost.back().entries.back().index);
    g.settle();
    // It is rejected, the follower is probed from where it is, and catches up.
    g[2].step(check[0]);
    for (auto& m : drain(g[2])) g[1].step(m);
    g.settle();
    g.tick_all();
    BOOST_TEST(g[2].log().last_index() == g[1].log().last_index());
    BOOST_TEST(g[2].commit() == g[1].commit());
}

BOOST_AUTO_TEST_CASE(a_leader_refuses_proposals_beyond_its_uncommitted_bytes) {
    Config c = config(1);
    c.uncommitted_bytes_max = 10'000;
    Group g({1, 2, 3}, c);
    g.elect(1);
    g.down = {2, 3};  // no quorum: nothing commits
    int taken = 0;
    for (int i = 0; i < 100; ++i) {
        auto p = g[1].propose(std::string(1000, 'x'));
        if (!p.ok()) {
            BOOST_TEST((p.error == Error::backlogged));
            break;
        }
        ++taken;
    }
    BOOST_TEST(taken == 9);  // 1,024 bytes each: a tenth would pass 10,000
    BOOST_TEST(g[1].uncommitted_bytes() == 9u * 1024);
    g.down = {};
    g.tick_all(3);  // heartbeats find the followers, the entries commit
    BOOST_TEST(g[1].commit() == g[1].log().last_index());
    BOOST_TEST(g[1].uncommitted_bytes() == 0u);
    // One proposal larger than the limit is taken when nothing is pending.
    BOOST_TEST(g[1].propose(std::string(20'000, 'y')).ok());
    BOOST_TEST((g[1].propose("z").error == Error::backlogged));
    g.settle();
    BOOST_TEST(g[1].propose("z").ok());
}

BOOST_AUTO_TEST_CASE(a_follower_acknowledges_only_durable_entries) {
    Group g({1, 2, 3});
    g.elect(1);
    g[1].propose("x");
    auto app = of_type(drain(g[1]), MessageType::append);
    g[2].step(app[0]);
    Ready rd = g[2].ready();
    BOOST_TEST(rd.entries.size() == 1u);
    BOOST_TEST(of_type(rd.messages, MessageType::append_resp).empty());
    g[2].on_persisted(rd.persist_id);
    auto ms = of_type(drain(g[2]), MessageType::append_resp);
    BOOST_REQUIRE(ms.size() == 1u);
    BOOST_TEST(ms[0].index == 2u);
}

BOOST_AUTO_TEST_CASE(a_leader_applies_only_what_its_own_disk_holds) {
    Group g({1, 2, 3});
    g.elect(1);
    g[1].propose("x");
    Ready rd = g[1].ready();  // written but not yet durable on the leader
    for (auto& m : rd.messages) g[m.to].step(m);
    for (NodeId f : {2, 3})
        for (auto& m : drain(g[f])) g[1].step(m);
    BOOST_TEST(g[1].commit() == 2u);  // the followers form a quorum
    Ready rd2 = g[1].ready();
    BOOST_TEST(rd2.committed.empty());  // but the leader's own copy is not durable yet
    g[1].on_persisted(rd.persist_id);
    if (rd2.persist_id) g[1].on_persisted(rd2.persist_id);
    std::vector<Entry> committed;
    drain(g[1], &committed);
    BOOST_REQUIRE(committed.size() == 1u);
    BOOST_TEST(committed[0].payload == "x");
}

// Followers alone can commit; what the leader's own disk has not stored still counts
// against its limit, or a leader with a slow disk would queue writes for it unbounded.
BOOST_AUTO_TEST_CASE(uncommitted_bytes_count_what_the_leaders_own_disk_has_not_stored) {
    Config c = config(1);
    c.uncommitted_bytes_max = 10'000;
    Group g({1, 2, 3}, c);
    g.elect(1);
    for (int i = 0; i < 5; ++i) BOOST_TEST(g[1].propose(std::string(1000, 'x')).ok());
    Ready rd = g[1].ready();  // written, not yet durable on the leader
    for (auto& m : rd.messages) g[m.to].step(m);
    for (NodeId f : {2, 3})
        for (auto& m : drain(g[f])) g[1].step(m);
    BOOST_TEST(g[1].commit() == g[1].log().last_index());  // the followers committed them
    BOOST_TEST(g[1].uncommitted_bytes() == 5u * 1024);     // the leader's disk has not
    int taken = 0;
    while (g[1].propose(std::string(1000, 'x')).ok()) ++taken;
    BOOST_TEST(taken == 4);  // nine in all, as if nothing had committed
    g[1].on_persisted(rd.persist_id);
    BOOST_TEST(g[1].uncommitted_bytes() == 4u * 1024);  // the first five leave; the four are not committed
    g.settle();
    BOOST_TEST(g[1].uncommitted_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(conflict_hints_skip_a_whole_term_per_round_trip) {
    // Follower 2 holds 50 entries of term 1 that leader 1 (term 2) never had.
    Config c = config(1);
    c.check_quorum = false;  // no lease: node 1 may campaign right away
    Group g({1, 2, 3}, c);
    g.elect(2);
    g.down = {1, 3};
    for (int i = 0; i < 50; ++i) g[2].propose("stale");
    g.settle();
    g.down = {2};
    g.elect(1);
    for (int i = 0; i < 20; ++i) g[1].propose("new");
    g.settle();
    g.down = {};
    g.delivered.clear();
    g.tick_all();
    std::size_t rejects = 0;
    for (auto& m : g.delivered)
        if (m.type == MessageType::append_resp && m.reject && m.from == 2) ++rejects;
    BOOST_TEST(rejects <= 2u);
    BOOST_TEST(g[2].log().last_index() == g[1].log().last_index());
    BOOST_TEST(g[2].log().at(10).payload == "new");
}

BOOST_AUTO_TEST_CASE(a_lost_append_is_recovered_through_probe) {
    Group g({1, 2});
    g.elect(1);
    g[1].propose("a");
    drain(g[1]);  // lost on the way
    g[1].propose("b");
    auto ms = of_type(drain(g[1]), MessageType::append);
    BOOST_REQUIRE(ms.size() == 1u);
    g[2].step(ms[0]);  // prev index 2 is missing on the follower: rejected
    auto resp = drain(g[2]);
    BOOST_REQUIRE(resp.size() == 1u);
    BOOST_TEST(resp[0].reject);
    BOOST_TEST(resp[0].reject_hint == 2u);
    g[1].step(resp[0]);
    BOOST_TEST((g[1].progress(2)->state == ProgressState::probe));
    g.settle();
    g.tick_all();
    BOOST_TEST(g[2].commit() == 3u);
    BOOST_TEST((g[1].progress(2)->state == ProgressState::replicate));
}

BOOST_AUTO_TEST_CASE(proposals_are_refused_off_the_leader) {
    Group g({1, 2, 3});
    g.elect(1);
    BOOST_TEST((g[2].propose("x").error == Error::not_leader));
}

BOOST_AUTO_TEST_SUITE_END()
