#include <boost/test/unit_test.hpp>
#include <map>
#include <random>

#include "runtime/storage/state_store_lmdb.hpp"
#include "runtime/storage/state_store_memory.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor::storage;

namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::optional<std::string>> {
    void operator()(std::ostream& os, const std::optional<std::string>& v) { os << (v ? "'" + *v + "'" : "(none)"); }
};
}  // namespace boost::test_tools::tt_detail

namespace {

// Each case runs on both backends: they must not differ in anything the state reads.
struct Backend {
    const char* name;
    std::unique_ptr<raftor::testing::TempDir> dir;
    std::unique_ptr<StateStore> store;
};

std::vector<Backend> backends() {
    std::vector<Backend> out;
    out.push_back({"memory", nullptr, std::make_unique<MemoryStateStore>()});
    auto dir = std::make_unique<raftor::testing::TempDir>();
    Status st;
    auto lmdb = LmdbStateStore::open(dir->str(), 64 << 20, false, st);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
    out.push_back({"lmdb", std::move(dir), std::move(lmdb)});
    return out;
}

std::unique_ptr<StateWrite> begin(StateStore& s) {
    Status st;
    auto w = s.write(st);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
    return w;
}

std::unique_ptr<StateRead> view(StateStore& s) {
    Status st;
    auto v = s.read(st);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
    return v;
}

void commit(StateStore& s, std::unique_ptr<StateWrite> w, std::uint64_t applied) {
    const Status st = s.commit(std::move(w), applied);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
}

std::optional<std::string> get(const StateRead& r, TableId t, std::string_view key) {
    std::optional<std::string_view> v;
    const Status st = r.get(t, key, v);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

std::vector<std::pair<std::string, std::string>> scan(const StateRead& r, TableId t, std::string_view from = {},
                                                      std::string_view to = {}, std::size_t max = SIZE_MAX) {
    std::vector<std::pair<std::string, std::string>> out;
    const Status st = r.scan(t, from, to, [&](std::string_view k, std::string_view v) {
        out.emplace_back(std::string(k), std::string(v));
        return out.size() < max;
    });
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
    return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace

BOOST_AUTO_TEST_SUITE(state_store)

BOOST_AUTO_TEST_CASE(keys_are_put_read_and_deleted_per_table) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            auto w = begin(s);
            BOOST_TEST(w->put(1, "a", "1").ok());
            BOOST_TEST(w->put(1, "b", "").ok());  // empty, not absent
            BOOST_TEST(w->put(2, "a", "other table").ok());
            BOOST_TEST(w->del(1, "never there").ok());
            commit(s, std::move(w), 5);
            auto v = view(s);
            BOOST_TEST(get(*v, 1, "a") == std::optional<std::string>("1"));
            BOOST_TEST(get(*v, 1, "b") == std::optional<std::string>(""));
            BOOST_TEST(!get(*v, 1, "c"));
            BOOST_TEST(get(*v, 2, "a") == std::optional<std::string>("other table"));
            BOOST_TEST(v->applied_index() == 5u);
            v.reset();
            w = begin(s);
            BOOST_TEST(w->del(1, "a").ok());
            commit(s, std::move(w), 6);
            v = view(s);
            BOOST_TEST(!get(*v, 1, "a"));
            BOOST_TEST((scan(*v, 1) == Pairs{{"b", ""}}));
            BOOST_TEST((scan(*v, 2) == Pairs{{"a", "other table"}}));
        }
    }
}

BOOST_AUTO_TEST_CASE(scans_keep_key_order_within_their_range_and_stop_when_told) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            auto w = begin(s);
            for (const char* k : {"d", "a", "c", "b", "e"}) BOOST_TEST(w->put(3, k, std::string("v") + k).ok());
            BOOST_TEST(w->put(4, "a", "next table").ok());
            BOOST_TEST(w->put(2, "z", "table before").ok());
            commit(s, std::move(w), 1);
            auto v = view(s);
            BOOST_TEST((scan(*v, 3) == Pairs{{"a", "va"}, {"b", "vb"}, {"c", "vc"}, {"d", "vd"}, {"e", "ve"}}));
            BOOST_TEST((scan(*v, 3, "b", "d") == Pairs{{"b", "vb"}, {"c", "vc"}}));
            BOOST_TEST((scan(*v, 3, "bb") == Pairs{{"c", "vc"}, {"d", "vd"}, {"e", "ve"}}));
            BOOST_TEST((scan(*v, 3, {}, {}, 2) == Pairs{{"a", "va"}, {"b", "vb"}}));
            BOOST_TEST(scan(*v, 5).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_write_reads_its_own_changes_over_the_last_commit) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            auto w = begin(s);
            for (const char* k : {"a", "c", "e", "g"}) BOOST_TEST(w->put(1, k, "old").ok());
            commit(s, std::move(w), 1);
            w = begin(s);
            BOOST_TEST(w->put(1, "b", "new").ok());
            BOOST_TEST(w->put(1, "c", "changed").ok());
            BOOST_TEST(w->del(1, "e").ok());
            BOOST_TEST(w->put(1, "h", "new").ok());
            BOOST_TEST(get(*w, 1, "c") == std::optional<std::string>("changed"));
            BOOST_TEST(!get(*w, 1, "e"));
            BOOST_TEST(get(*w, 1, "a") == std::optional<std::string>("old"));
            BOOST_TEST(
                (scan(*w, 1) == Pairs{{"a", "old"}, {"b", "new"}, {"c", "changed"}, {"g", "old"}, {"h", "new"}}));
            BOOST_TEST((scan(*w, 1, "b", "g") == Pairs{{"b", "new"}, {"c", "changed"}}));
            BOOST_TEST(w->applied_index() == 1u);
            // Not committed: the changes are gone, and the next write may begin.
            w.reset();
            auto v = view(s);
            BOOST_TEST((scan(*v, 1) == Pairs{{"a", "old"}, {"c", "old"}, {"e", "old"}, {"g", "old"}}));
            w = begin(s);
            commit(s, std::move(w), 2);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_view_keeps_seeing_its_commit_while_writes_go_on) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            auto w = begin(s);
            for (int i = 0; i < 600; ++i) BOOST_TEST(w->put(1, "k" + std::to_string(1000 + i), "first").ok());
            commit(s, std::move(w), 10);
            auto before = view(s);
            std::optional<std::string_view> held;
            BOOST_TEST(before->get(1, "k1000", held).ok());
            w = begin(s);
            for (int i = 0; i < 600; i += 2) BOOST_TEST(w->put(1, "k" + std::to_string(1000 + i), "second").ok());
            for (int i = 1; i < 600; i += 2) BOOST_TEST(w->del(1, "k" + std::to_string(1000 + i)).ok());
            commit(s, std::move(w), 11);
            // Over several of the memory store's chunks, and a value read before the commit.
            const auto old = scan(*before, 1);
            BOOST_TEST(old.size() == 600u);
            BOOST_TEST(std::all_of(old.begin(), old.end(), [](const auto& p) { return p.second == "first"; }));
            BOOST_TEST(before->applied_index() == 10u);
            BOOST_TEST(*held == "first");
            auto after = view(s);
            const auto now = scan(*after, 1);
            BOOST_TEST(now.size() == 300u);
            BOOST_TEST(std::all_of(now.begin(), now.end(), [](const auto& p) { return p.second == "second"; }));
            BOOST_TEST(after->applied_index() == 11u);
        }
    }
}

BOOST_AUTO_TEST_CASE(one_write_at_a_time_and_the_applied_index_never_goes_back) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            BOOST_TEST(view(s)->applied_index() == 0u);
            auto w = begin(s);
            Status st;
            BOOST_TEST(!s.write(st));
            BOOST_TEST(st.message == "a state write is already open");
            BOOST_TEST(w->put(1, "a", "1").ok());
            commit(s, std::move(w), 7);
            w = begin(s);
            BOOST_TEST(w->put(1, "a", "2").ok());
            st = s.commit(std::move(w), 6);
            BOOST_TEST((st.code == Errc::invalid));
            BOOST_TEST(st.message == "the applied index would go back from 7 to 6");
            auto v = view(s);
            BOOST_TEST(get(*v, 1, "a") == std::optional<std::string>("1"));
            BOOST_TEST(v->applied_index() == 7u);
            w = begin(s);  // the refused write ended
            commit(s, std::move(w), 7);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_clear_empties_every_table_and_frees_the_applied_index) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            auto w = begin(s);
            for (TableId t : {TableId{1}, TableId{2}, TableId{200}}) BOOST_TEST(w->put(t, "k", "v").ok());
            commit(s, std::move(w), 50);
            auto before = view(s);
            w = begin(s);
            BOOST_TEST(w->clear().ok());
            BOOST_TEST(get(*w, 1, "k") == std::optional<std::string>());  // the write sees its clear at once
            BOOST_TEST(w->applied_index() == 0u);
            BOOST_TEST(w->put(2, "after", "x").ok());
            commit(s, std::move(w), 20);  // a rebuild may start from an earlier index
            auto v = view(s);
            BOOST_TEST(v->applied_index() == 20u);
            for (TableId t : {TableId{1}, TableId{2}, TableId{200}})
                BOOST_TEST(get(*v, t, "k") == std::optional<std::string>());
            BOOST_TEST(get(*v, 2, "after") == std::optional<std::string>("x"));
            // A view opened before still reads its own commit.
            BOOST_TEST(get(*before, 200, "k") == std::optional<std::string>("v"));
            BOOST_TEST(before->applied_index() == 50u);
            // And after the rebuild the index never goes back again.
            w = begin(s);
            BOOST_TEST((s.commit(std::move(w), 19).code == Errc::invalid));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_key_over_the_limit_is_refused_alike) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            auto w = begin(s);
            BOOST_TEST(w->put(1, std::string(state_key_max, 'k'), "fits").ok());
            const Status st = w->put(1, std::string(state_key_max + 1, 'k'), "does not");
            BOOST_TEST((st.code == Errc::invalid));
            BOOST_TEST(st.message == "a state key of 511 bytes is over the limit of 510");
            commit(s, std::move(w), 1);
            BOOST_TEST(get(*view(s), 1, std::string(state_key_max, 'k')) == std::optional<std::string>("fits"));
        }
    }
}

// Random writes, deletes and views against a plain map: every view's scans and reads
// must be the map as it was at that view's commit.
BOOST_AUTO_TEST_CASE(random_writes_and_views_match_a_model) {
    for (auto& b : backends()) {
        BOOST_TEST_CONTEXT(b.name) {
            auto& s = *b.store;
            std::mt19937_64 rng(11);
            std::map<std::string, std::string> model;
            std::vector<std::pair<std::unique_ptr<StateRead>, std::map<std::string, std::string>>> views;
            for (std::uint64_t round = 1; round <= 60; ++round) {
                auto w = begin(s);
                auto next = model;
                const int n = 1 + static_cast<int>(rng() % 40);
                for (int i = 0; i < n; ++i) {
                    const std::string key = "key" + std::to_string(rng() % 120);
                    if (rng() % 3 == 0) {
                        BOOST_TEST(w->del(1, key).ok());
                        next.erase(key);
                    } else {
                        const std::string value = std::to_string(round) + "/" + std::to_string(i);
                        BOOST_TEST(w->put(1, key, value).ok());
                        next[key] = value;
                    }
                }
                const Pairs expect_write(next.begin(), next.end());
                BOOST_TEST_REQUIRE((scan(*w, 1) == expect_write), "round " << round);
                commit(s, std::move(w), round);
                model = std::move(next);
                if (rng() % 3 == 0) views.emplace_back(view(s), model);
                if (!views.empty() && rng() % 4 == 0)
                    views.erase(views.begin() + static_cast<long>(rng() % views.size()));
                for (const auto& [v, seen] : views) {
                    const Pairs expect(seen.begin(), seen.end());
                    BOOST_TEST_REQUIRE((scan(*v, 1) == expect), "round " << round);
                    const std::string probe = "key" + std::to_string(rng() % 120);
                    auto it = seen.find(probe);
                    BOOST_TEST_REQUIRE((get(*v, 1, probe) ==
                                        (it == seen.end() ? std::nullopt : std::optional<std::string>(it->second))));
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(memory_versions_go_once_no_view_can_read_them) {
    MemoryStateStore s;
    auto w = begin(s);
    for (int i = 0; i < 10; ++i) BOOST_TEST(w->put(1, "k" + std::to_string(i), "1").ok());
    commit(s, std::move(w), 1);
    auto v = view(s);
    w = begin(s);
    for (int i = 0; i < 10; ++i) BOOST_TEST(w->put(1, "k" + std::to_string(i), "2").ok());
    BOOST_TEST(w->del(1, "k0").ok());
    commit(s, std::move(w), 2);
    BOOST_TEST(s.versions_held() == 20u);  // the view still reads the first ten
    v.reset();
    w = begin(s);
    for (int i = 0; i < 10; ++i) BOOST_TEST(w->put(1, "k" + std::to_string(i), "3").ok());
    BOOST_TEST(w->del(1, "k0").ok());
    commit(s, std::move(w), 3);
    BOOST_TEST(s.versions_held() == 9u);  // one each; k0's deletion leaves nothing
}

BOOST_AUTO_TEST_CASE(lmdb_keeps_the_state_and_its_applied_index_across_a_reopen) {
    raftor::testing::TempDir dir;
    {
        Status st;
        auto s = LmdbStateStore::open(dir.str(), 64 << 20, true, st);
        BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
        auto w = begin(*s);
        BOOST_TEST(w->put(1, "a", "kept").ok());
        commit(*s, std::move(w), 42);
        w = begin(*s);
        BOOST_TEST(w->put(1, "b", "never committed").ok());
    }
    Status st;
    auto s = LmdbStateStore::open(dir.str(), 64 << 20, true, st);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
    auto v = view(*s);
    BOOST_TEST(v->applied_index() == 42u);
    BOOST_TEST((scan(*v, 1) == Pairs{{"a", "kept"}}));
}

BOOST_AUTO_TEST_SUITE_END()
