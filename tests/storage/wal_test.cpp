#include "runtime/storage/wal.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "tests/common/temp_dir.hpp"
#include "tests/storage/wal_files.hpp"

using namespace raftor;
using namespace raftor::storage;
using raft::Entry;

namespace {

std::vector<Entry> entries(raft::Index from, raft::Index to, raft::Term t, std::size_t bytes = 16) {
    std::vector<Entry> out;
    for (raft::Index i = from; i <= to; ++i)
        out.push_back(Entry{t, i, raft::EntryType::normal, std::string(bytes, static_cast<char>('a' + i % 26))});
    return out;
}

std::vector<const Entry*> ptrs(const std::vector<Entry>& es) {
    std::vector<const Entry*> out;
    for (const auto& e : es) out.push_back(&e);
    return out;
}

std::unique_ptr<Wal> open_wal(const std::string& dir, std::uint64_t segment = std::uint64_t{1} << 20) {
    Status st;
    auto w = Wal::open(WalOptions{dir, segment, true}, st);
    BOOST_REQUIRE_MESSAGE(w != nullptr, st.message);
    return w;
}

void write(Wal& w, const std::vector<Entry>& es) {
    const auto st = w.write(es.front().index, ptrs(es));
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
}

std::vector<Entry> read_all(const Wal& w) {
    std::vector<Entry> out;
    const auto st = w.read(0, out);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.message);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wal)

BOOST_AUTO_TEST_CASE(a_write_cut_short_at_the_end_is_dropped_and_written_again) {
    testing::TempDir d;
    {
        auto w = open_wal(d.str());
        write(*w, entries(1, 10, 1));
        write(*w, entries(11, 12, 1));
    }
    // Entry 12's payload never reached the disk (preallocated zeros are what a lost write leaves).
    const auto seg = testing::only_segment(d.path);
    testing::write_at(seg, testing::find_once(seg, std::string(16, 'm')), std::string(16, '\0'));
    {
        auto w = open_wal(d.str());
        BOOST_TEST(w->last_index() == 11u);
        BOOST_TEST(w->repaired().find("from log entry 12 (checksum mismatch)") != std::string::npos, w->repaired());
        write(*w, entries(12, 13, 1));
    }
    auto w = open_wal(d.str());
    BOOST_TEST(w->repaired().empty());
    BOOST_TEST((read_all(*w) == entries(1, 13, 1)));
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_inside_the_last_write_is_corruption_not_a_torn_write) {
    testing::TempDir d;
    {
        auto w = open_wal(d.str());
        write(*w, entries(1, 12, 1));
    }
    // Entry 12 after it still verifies: the write was whole, then a bit rotted.
    testing::flip_in_file(testing::only_segment(d.path), std::string(16, 'l'));
    Status st;
    BOOST_TEST(Wal::open(WalOptions{d.str(), std::uint64_t{1} << 20, true}, st) == nullptr);
    BOOST_TEST((st.code == Errc::corrupt));
    BOOST_TEST(st.message == "log entry 11: checksum mismatch");
}

BOOST_AUTO_TEST_CASE(sectors_persisted_out_of_order_are_a_torn_write) {
    testing::TempDir d;
    {
        auto w = open_wal(d.str());
        write(*w, entries(1, 3, 1));
        auto last = entries(4, 5, 1, 2000);  // entry 4 spans whole sectors
        last[0].payload = std::string(2000, 'Q');
        write(*w, last);
    }
    // The write of 4..5 lost one sector in the middle of entry 4; entry 5 landed.
    const auto seg = testing::only_segment(d.path);
    const std::size_t at = testing::find_once(seg, std::string(2000, 'Q'));
    const std::size_t sector = (at + 511) / 512 * 512;
    testing::write_at(seg, sector, std::string(512, '\0'));
    auto w = open_wal(d.str());
    BOOST_TEST(w->last_index() == 3u);
    BOOST_TEST(!w->repaired().empty());
}

BOOST_AUTO_TEST_CASE(segments_roll_over_truncate_across_and_are_released) {
    testing::TempDir d;
    constexpr std::uint64_t small = 4096;
    {
        auto w = open_wal(d.str(), small);
        for (raft::Index i = 1; i <= 100; i += 7) write(*w, entries(i, std::min<raft::Index>(i + 6, 100), 1, 100));
        BOOST_TEST(w->segment_count() >= 4u);
        BOOST_TEST(w->stats().segments_created == w->segment_count());
    }
    {
        auto w = open_wal(d.str(), small);
        BOOST_TEST((read_all(*w) == entries(1, 100, 1, 100)));
        // A new leader's entries from 20 on: every later segment goes.
        const auto before = w->segment_count();
        write(*w, entries(20, 25, 2, 100));
        BOOST_TEST(w->segment_count() < before);
        BOOST_TEST(w->last_index() == 25u);
    }
    {
        auto w = open_wal(d.str(), small);
        auto expect = entries(1, 19, 1, 100);
        for (auto& e : entries(20, 25, 2, 100)) expect.push_back(e);
        BOOST_TEST((read_all(*w) == expect));
        for (raft::Index i = 26; i <= 80; i += 5) write(*w, entries(i, i + 4, 2, 100));
        // A snapshot at 60 covers whole segments before the one holding 61.
        const auto before = w->segment_count();
        BOOST_REQUIRE(w->release_to(60).ok());
        BOOST_TEST(w->segment_count() < before);
        BOOST_TEST(w->first_index() > 1u);
        BOOST_TEST(w->first_index() <= 61u);
        BOOST_TEST(w->term_at(61).value_or(0) == 2u);
    }
    auto w = open_wal(d.str(), small);
    BOOST_TEST(w->last_index() == 80u);
    BOOST_TEST(w->first_index() > 1u);
    BOOST_TEST(w->first_index() <= 61u);
}

BOOST_AUTO_TEST_CASE(an_entry_larger_than_a_segment_gets_a_segment_of_its_own) {
    testing::TempDir d;
    {
        auto w = open_wal(d.str(), 4096);
        write(*w, entries(1, 2, 1));
        write(*w, entries(3, 3, 1, 100000));
        write(*w, entries(4, 5, 1));
    }
    auto w = open_wal(d.str(), 4096);
    auto expect = entries(1, 2, 1);
    expect.push_back(entries(3, 3, 1, 100000)[0]);
    for (auto& e : entries(4, 5, 1)) expect.push_back(e);
    BOOST_TEST((read_all(*w) == expect));
}

BOOST_AUTO_TEST_CASE(a_full_disk_refuses_the_write_and_the_wal_recovers_without_reopening) {
    testing::TempDir d;
    auto w = open_wal(d.str(), std::uint64_t{1} << 20);
    // A file-size limit below one segment stands in for a full disk: preallocation fails.
    rlimit old{};
    BOOST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit low = old;
    low.rlim_cur = 64 << 10;
    BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &low) == 0);
    const auto es = entries(1, 5, 1);
    const Status st = w->write(1, ptrs(es));
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
    BOOST_TEST((st.code == Errc::map_full), st.message);
    BOOST_TEST(st.message.find("preallocate 1048576 bytes") != std::string::npos, st.message);
    BOOST_TEST(w->empty());
    BOOST_TEST(testing::segments(d.path).empty());  // no half-made segment left behind
    write(*w, es);
    BOOST_TEST(w->last_index() == 5u);
}

BOOST_AUTO_TEST_CASE(leftovers_and_damage_in_the_directory_are_handled_by_name) {
    testing::TempDir d;
    {
        auto w = open_wal(d.str(), 4096);
        for (raft::Index i = 1; i <= 60; i += 10) write(*w, entries(i, i + 9, 1, 100));
    }
    std::ofstream(d.path / "00000000000000000099.seg.tmp") << "half made";
    std::ofstream(d.path / "notes.txt") << "an operator's file";
    {
        auto w = open_wal(d.str(), 4096);
        BOOST_TEST(!std::filesystem::exists(d.path / "00000000000000000099.seg.tmp"));
        BOOST_TEST(std::filesystem::exists(d.path / "notes.txt"));
        BOOST_TEST(w->last_index() == 60u);
    }
    auto segs = testing::segments(d.path);
    BOOST_REQUIRE(segs.size() >= 3u);
    Status st;
    // A missing segment in the middle.
    std::filesystem::rename(segs[1], d.path / "moved.away");
    BOOST_TEST(Wal::open(WalOptions{d.str(), 4096, true}, st) == nullptr);
    BOOST_TEST(st.message.find("do not join") != std::string::npos, st.message);
    std::filesystem::rename(d.path / "moved.away", segs[1]);
    // A header that is not ours.
    testing::write_at(segs[0], 0, "NOTAWAL!");
    BOOST_TEST(Wal::open(WalOptions{d.str(), 4096, true}, st) == nullptr);
    BOOST_TEST(st.message.find(segs[0].string() + ": not a raftor WAL segment") != std::string::npos, st.message);
}

BOOST_AUTO_TEST_CASE(gaps_and_terms_going_back_are_refused) {
    testing::TempDir d;
    auto w = open_wal(d.str());
    write(*w, entries(1, 5, 2));
    const auto gap = entries(7, 8, 2);
    auto st = w->write(7, ptrs(gap));
    BOOST_TEST((st.code == Errc::invalid));
    BOOST_TEST(st.message == "log entry 7 leaves a gap after log entry 5");
    const auto back = entries(4, 5, 1);
    st = w->write(4, ptrs(back));
    BOOST_TEST((st.code == Errc::invalid));
    BOOST_TEST(w->last_index() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
