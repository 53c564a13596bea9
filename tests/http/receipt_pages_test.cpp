#include "runtime/http/receipt_pages.hpp"

#include <boost/test/unit_test.hpp>

using raftor::http::ReceiptPages;
using json = nlohmann::json;

namespace {

// A page of GET /receipts: receipts [from, to] of a chain kept after `base`, up to `head`.
std::string page(std::uint64_t from, std::uint64_t to, std::uint64_t base = 0, std::uint64_t head = 5000) {
    json list = json::array();
    for (std::uint64_t s = from; s <= to; ++s)
        list.push_back({{"sequence", s}, {"prevHash", "h" + std::to_string(s - 1)}, {"hash", "h" + std::to_string(s)}});
    return json{{"base", {{"sequence", base}, {"hash", "h" + std::to_string(base)}}},
                {"head", {{"sequence", head}, {"hash", "h" + std::to_string(head)}}},
                {"sealedThrough", head},
                {"keys", json::object()},
                {"receipts", list}}
        .dump();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(receipt_pages)

BOOST_AUTO_TEST_CASE(the_whole_chain_joins_page_by_page) {
    ReceiptPages p;
    std::string error;
    BOOST_TEST(p.next_target() == "/receipts?from=0&limit=1000");
    BOOST_REQUIRE(p.add(page(1, 1000, 0, 1500), error));
    BOOST_TEST(p.next_target(true) == "/receipts?from=1001&limit=1000&stale=true");
    BOOST_REQUIRE(p.add(page(1001, 1500, 0, 1500), error));
    BOOST_TEST(p.done());
    const json d = json::parse(p.dump(error));
    BOOST_TEST(d["receipts"].size() == 1500u);
    BOOST_TEST(d["base"]["sequence"] == 0);
    BOOST_TEST(d["head"]["sequence"] == 1500);
}

BOOST_AUTO_TEST_CASE(a_range_asks_only_for_its_receipts_and_stands_on_its_own) {
    ReceiptPages p(990, 2005);
    std::string error;
    BOOST_TEST(p.next_target() == "/receipts?from=990&limit=1000");
    BOOST_REQUIRE(p.add(page(990, 1989), error));
    BOOST_TEST(!p.done());
    BOOST_TEST(p.next_target() == "/receipts?from=1990&limit=16");
    BOOST_REQUIRE(p.add(page(1990, 2005), error));
    BOOST_TEST(p.done());
    const json d = json::parse(p.dump(error));
    BOOST_TEST(d["receipts"].size() == 1016u);
    BOOST_TEST(d["base"]["sequence"] == 989);
    BOOST_TEST(d["base"]["hash"] == "h989");  // where receipt 990 links to
    BOOST_TEST(d["head"]["sequence"] == 2005);
    BOOST_TEST(d["head"]["hash"] == "h2005");
}

BOOST_AUTO_TEST_CASE(a_range_past_the_head_ends_at_the_last_receipt) {
    ReceiptPages p(10, 100);
    std::string error;
    BOOST_REQUIRE(p.add(page(10, 40, 0, 40), error));
    BOOST_TEST(p.done());
    const json d = json::parse(p.dump(error));
    BOOST_TEST(d["receipts"].size() == 31u);
    BOOST_TEST(d["head"]["sequence"] == 40);
}

BOOST_AUTO_TEST_CASE(a_range_that_is_not_kept_is_named) {
    ReceiptPages p(10, 20);
    std::string error;
    // Retention pruned through receipt 50: the cluster answers from 51.
    BOOST_REQUIRE(p.add(page(51, 61, 50, 80), error));
    BOOST_TEST(p.dump(error).empty());
    BOOST_TEST(error == "receipt 10 is not kept: the chain kept starts after receipt 50 and ends at 80");
    ReceiptPages beyond(90, 95);
    BOOST_REQUIRE(beyond.add(page(1, 0, 0, 80), error));
    BOOST_TEST(beyond.dump(error).empty());
    BOOST_TEST(error == "receipt 90 is not kept: the chain kept starts after receipt 0 and ends at 80");
}

BOOST_AUTO_TEST_SUITE_END()
