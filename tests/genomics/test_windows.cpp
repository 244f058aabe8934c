// Tests of attrprior/genomics/windows.hpp: split names, hold-out chromosome splits, the
// window checks BinaryDataset and ProfileDataset share (unknown chromosome, ends with a
// jitter margin, N counted in the unwidened window only) and their reasons, interval
// descriptions, and merged region lists.
#include "attrprior/genomics/windows.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_files.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace ag = attrprior::genomics;
namespace agd = attrprior::genomics::detail;
using attrprior::Index;
using attrprior::testing::expect_invalid;
using ::testing::HasSubstr;

namespace {

/// chrA: 100 bases, "ACGT" repeated, soft-masked at [10, 20), N at [40, 45).
/// chrB: 30 bases of "ACGT" repeated. chrC: 8 bases.
std::string write_small_fasta() {
    ag::SimulatedGenome g;
    g.names = {"chrA", "chrB", "chrC"};
    std::string a;
    for (int i = 0; i < 25; ++i) a += "ACGT";
    for (std::size_t i = 10; i < 20; ++i) a[i] = static_cast<char>(a[i] - 'A' + 'a');
    a.replace(40, 5, "NNNNN");
    std::string b;
    for (int i = 0; i < 8; ++i) b += "ACGT";
    b.resize(30);
    g.sequences = {a, b, "ACGTACGT"};
    const std::string path = attrprior::testing::temp_path("windows_", "small.fa");
    ag::write_fasta(path, g);
    return path;
}

}  // namespace

TEST(Windows, SplitNames) {
    EXPECT_STREQ(ag::split_name(ag::Split::train), "train");
    EXPECT_STREQ(ag::split_name(ag::Split::valid), "valid");
    EXPECT_STREQ(ag::split_name(ag::Split::test), "test");
}

TEST(Windows, ChromosomeSplitsMapHoldOutsAndNameBadOnes) {
    const ag::Fasta fasta(write_small_fasta());
    const auto split = agd::chromosome_splits(fasta, {"chrB"}, {"chrC", "chrC"}, "caller");
    EXPECT_EQ(split.size(), 2u);
    EXPECT_EQ(split.at("chrB"), 1);
    EXPECT_EQ(split.at("chrC"), 2);
    EXPECT_EQ(split.count("chrA"), 0u);  // training
    EXPECT_TRUE(agd::chromosome_splits(fasta, {}, {}, "caller").empty());

    const std::string unknown = attrprior::testing::error_message<attrprior::invalid_argument>(
        [&] { agd::chromosome_splits(fasta, {"chrB", "chrQ"}, {}, "caller"); });
    EXPECT_THAT(unknown, HasSubstr("caller: options.valid_chroms"));
    EXPECT_THAT(unknown, HasSubstr("'chrQ'"));
    EXPECT_THAT(unknown, HasSubstr("3 sequences: chrA, chrB, chrC"));
    expect_invalid([&] { agd::chromosome_splits(fasta, {}, {"chrZ"}, "caller"); }, "options.test_chroms");
    expect_invalid([&] { agd::chromosome_splits(fasta, {"chrA", "chrB"}, {"chrB"}, "caller"); },
                   "chromosomes 'chrB' are in both");
}

TEST(Windows, CheckWindowFindsUnknownChromosomesAndEnds) {
    const ag::Fasta fasta(write_small_fasta());
    std::string seq = "untouched";
    EXPECT_EQ(agd::check_window(fasta, "chrQ", 0, 10, 0, 0.1, seq), agd::WindowProblem::unknown_chrom);
    EXPECT_EQ(seq, "untouched");
    EXPECT_EQ(agd::check_window(fasta, "chrB", -1, 10, 0, 0.1, seq), agd::WindowProblem::past_end);
    EXPECT_EQ(agd::check_window(fasta, "chrB", 21, 10, 0, 0.1, seq), agd::WindowProblem::past_end);
    EXPECT_EQ(seq, "untouched");
    EXPECT_EQ(agd::check_window(fasta, "chrB", 20, 10, 0, 0.1, seq), agd::WindowProblem::none);
    EXPECT_EQ(seq, "ACGTACGTAC");
    EXPECT_EQ(agd::check_window(fasta, "chrB", 0, 30, 0, 0.1, seq), agd::WindowProblem::none);
    // The margin widens the window on both sides: it must fit too, and seq holds it all.
    EXPECT_EQ(agd::check_window(fasta, "chrB", 3, 10, 4, 0.1, seq), agd::WindowProblem::past_end);
    EXPECT_EQ(agd::check_window(fasta, "chrB", 4, 22, 5, 0.1, seq), agd::WindowProblem::past_end);
    EXPECT_EQ(agd::check_window(fasta, "chrB", 3, 10, 3, 0.1, seq), agd::WindowProblem::none);
    EXPECT_EQ(seq, fasta.fetch("chrB", 0, 16));
    // Soft-masked bases are bases.
    EXPECT_EQ(agd::check_window(fasta, "chrA", 10, 10, 0, 0.0, seq), agd::WindowProblem::none);
    EXPECT_EQ(seq, "gtacgtacgt");
}

TEST(Windows, CheckWindowCountsNInTheUnwidenedWindowOnly) {
    const ag::Fasta fasta(write_small_fasta());
    std::string seq;
    // [38, 48) holds the 5 N of [40, 45): half of 10.
    EXPECT_EQ(agd::check_window(fasta, "chrA", 38, 10, 0, 0.5, seq), agd::WindowProblem::none);
    EXPECT_EQ(agd::check_window(fasta, "chrA", 38, 10, 0, 0.4, seq), agd::WindowProblem::too_many_n);
    EXPECT_EQ(seq, fasta.fetch("chrA", 38, 48)) << "seq is read even when there are too many N";
    // [45, 55) with a margin of 5: the N sit in the margin only.
    EXPECT_EQ(agd::check_window(fasta, "chrA", 45, 10, 5, 0.0, seq), agd::WindowProblem::none);
    EXPECT_EQ(seq, fasta.fetch("chrA", 40, 60));
    EXPECT_EQ(agd::check_window(fasta, "chrA", 44, 10, 5, 0.0, seq), agd::WindowProblem::too_many_n);
}

TEST(Windows, ReasonsNameTheWindowAndTheLimit) {
    const std::string path = write_small_fasta();
    const ag::Fasta fasta(path);
    std::string seq;
    const auto reason = [&](const std::string& chrom, Index start, Index length, Index margin, double max_n) {
        const agd::WindowProblem p = agd::check_window(fasta, chrom, start, length, margin, max_n, seq);
        return agd::window_problem_reason(p, fasta, chrom, start, length, margin, max_n, seq);
    };
    const std::string unknown = reason("chrQ", 0, 10, 0, 0.1);
    EXPECT_THAT(unknown, HasSubstr("'chrQ'"));
    EXPECT_THAT(unknown, HasSubstr(path));
    const std::string end = reason("chrB", 25, 10, 0, 0.1);
    EXPECT_THAT(end, HasSubstr("window chrB:25-35 passes an end of the chromosome (length 30)"));
    const std::string widened = reason("chrB", 2, 10, 3, 0.1);
    EXPECT_THAT(widened, HasSubstr("window chrB:-1-15 (10 bases + a jitter margin of 3 on each side)"));
    const std::string n = reason("chrA", 38, 10, 0, 0.4);
    EXPECT_THAT(n, HasSubstr("5 of the 10 bases of window chrA:38-48 are N"));
    EXPECT_THAT(n, HasSubstr("max_n_fraction = 0.4"));
    EXPECT_EQ(reason("chrA", 0, 10, 0, 0.1), "ok");
}

TEST(Windows, DescribeIntervalNamesTheInput) {
    const ag::Interval named{"chr1", 10, 20, "p", 1, 15}, unnamed{"chr2", 5, 9, "", 0, 7};
    EXPECT_EQ(agd::describe_interval(named, "peaks", 3), "peaks[3] 'p' (chr1:10-20)");
    EXPECT_EQ(agd::describe_interval(unnamed, "negatives", 0), "negatives[0] '.' (chr2:5-9)");
}

TEST(Windows, NonAcgtCounts) {
    const std::string s = "ACGTacgtNnRY-";
    EXPECT_EQ(agd::count_non_acgt(s.data(), s.size()), 5);
    EXPECT_EQ(agd::count_non_acgt(s.data(), 8), 0);
    EXPECT_FALSE(agd::too_many_n(s.data(), 10, 0.2));  // 2 of 10: not more than 0.2
    EXPECT_TRUE(agd::too_many_n(s.data(), 10, 0.1));
}

TEST(Windows, MergedRegionsAndOverlaps) {
    agd::Regions r{{30, 40}, {0, 10}, {5, 12}, {12, 15}, {50, 51}, {35, 38}};
    agd::merge_regions(r);
    EXPECT_EQ(r, (agd::Regions{{0, 15}, {30, 40}, {50, 51}}));
    // Half-open: touching is not overlapping.
    EXPECT_TRUE(agd::overlaps_region(r, 14, 20));
    EXPECT_FALSE(agd::overlaps_region(r, 15, 30));
    EXPECT_TRUE(agd::overlaps_region(r, 20, 31));
    EXPECT_TRUE(agd::overlaps_region(r, 31, 32));
    EXPECT_FALSE(agd::overlaps_region(r, 40, 50));
    EXPECT_TRUE(agd::overlaps_region(r, 45, 60));
    EXPECT_FALSE(agd::overlaps_region(r, 51, 100));
    EXPECT_FALSE(agd::overlaps_region(agd::Regions{}, 0, 100));
    agd::Regions empty;
    agd::merge_regions(empty);
    EXPECT_TRUE(empty.empty());
}

TEST(Windows, EncodeWindowsOneHotsEachWindowInOrder) {
    const ag::Fasta fasta(write_small_fasta());
    // chrA [8, 12) = "ACgt" (soft-masked bases are bases), [38, 42) = "GTNN", chrB [0, 4).
    const std::vector<ag::Interval> windows{{"chrA", 8, 12, "1", 0, 10}, {"chrA", 38, 42, "0", 0, 40},
                                            {"chrB", 0, 4, "", 0, 2}};
    const std::vector<float> x = ag::encode_windows<float>(fasta, windows, 4);
    ASSERT_EQ(x.size(), 3u * 4u * 4u);
    const std::vector<float> acgt{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    const std::vector<float> gtnn{0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(std::vector<float>(x.begin(), x.begin() + 16), acgt);
    EXPECT_EQ(std::vector<float>(x.begin() + 16, x.begin() + 32), gtnn);
    EXPECT_EQ(std::vector<float>(x.begin() + 32, x.end()), acgt);
    EXPECT_TRUE(ag::encode_windows<double>(fasta, {}, 4).empty());
}

TEST(Windows, EncodeWindowsNamesABadWindow) {
    const ag::Fasta fasta(write_small_fasta());
    const ag::Interval good{"chrB", 0, 4, "", 0, 2};
    const auto message = [&](const ag::Interval& bad) {
        try {
            ag::encode_windows<float>(fasta, {good, bad}, 4);
        } catch (const attrprior::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_THAT(message({"chrB", 0, 5, "w", 0, 2}), HasSubstr("windows[1] 'w' (chrB:0-5) spans 5 bases, not L = 4"));
    EXPECT_THAT(message({"chrZ", 0, 4, "", 0, 2}), HasSubstr("windows[1] '.' (chrZ:0-4) is on a chromosome not in"));
    EXPECT_THAT(message({"chrB", 28, 32, "", 0, 30}), HasSubstr("passes an end of the chromosome (length 30)"));
    EXPECT_THAT(message({"chrB", -1, 3, "", 0, 0}), HasSubstr("passes an end"));
    EXPECT_THROW(ag::encode_windows<float>(fasta, {good}, 0), attrprior::invalid_argument);
}

TEST(Windows, SiteMasksOfIntervalWindowsMatchThoseOfStarts) {
    const std::vector<ag::Interval> windows{{"chr1", 100, 110, "1", 0, 105}, {"chr2", 0, 10, "0", 0, 5}};
    std::vector<ag::Interval> sites(2);
    sites[0].chrom = "chr1", sites[0].start = 108, sites[0].end = 115;
    sites[1].chrom = "chr2", sites[1].start = 0, sites[1].end = 1;
    const std::vector<std::pair<std::string, Index>> starts{{"chr1", 100}, {"chr2", 0}};
    const auto m = ag::site_masks(windows, 10, sites);
    EXPECT_EQ(m, ag::site_masks(starts, 10, sites));
    EXPECT_EQ(m[0], (std::vector<char>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}));
    EXPECT_EQ(m[1], (std::vector<char>{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}
