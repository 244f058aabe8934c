// Tests of attrprior/genomics/regions.hpp: windows of narrowPeak and BED records for even and
// odd lengths (summit vs midpoint centring), input indices, the counts and reasons of the
// report (unknown chromosome, both chromosome ends, too many N, kept windows with N,
// duplicates), option checks, encoding, and file:line parse errors of the region files.
#include "attrprior/genomics/regions.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_files.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/sequence.hpp"

namespace ag = attrprior::genomics;
using attrprior::Index;
using attrprior::testing::error_message;
using attrprior::testing::expect_invalid;
using attrprior::testing::write_text;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string temp_path(const std::string& name) { return attrprior::testing::temp_path("attrprior_regions_", name); }

/// chrA: 100 bases "ACGT" repeated with N at [40, 45); chrB: 30 bases "ACGT" repeated.
std::string write_genome() {
    std::string a, b;
    for (int i = 0; i < 100; ++i) a += "ACGT"[i % 4];
    a.replace(40, 5, "NNNNN");
    for (int i = 0; i < 30; ++i) b += "ACGT"[i % 4];
    const std::string path = temp_path("genome.fa");
    write_text(path, ">chrA\n" + a + "\n>chrB\n" + b + "\n");
    return path;
}

/// Records 0, 3, 4 and 6 are usable with L = 10; 1 is on chrUn, 2 and 5 pass a chromosome
/// end; 3's window holds the 5 N of chrA; 4 repeats 0's window; 6 has no summit (-1).
std::string write_peaks() {
    const std::string path = temp_path("peaks.narrowPeak");
    write_text(path,
               "chrA\t10\t30\tp0\t5\t.\t1\t-1\t-1\t5\n"
               "chrUn\t0\t50\tp1\t6\t.\t1\t-1\t-1\t10\n"
               "chrA\t0\t20\tp2\t1\t.\t1\t-1\t-1\t3\n"
               "chrA\t30\t60\tp3\t7.5\t+\t1\t-1\t-1\t12\n"
               "chrA\t10\t30\tp4\t2\t.\t1\t-1\t-1\t5\n"
               "chrB\t20\t30\tp5\t3\t.\t1\t-1\t-1\t7\n"
               "chrB\t0\t30\tp6\t4\t.\t1\t-1\t-1\t-1\n");
    return path;
}

std::vector<Index> starts_of(const ag::RegionWindows& r) {
    std::vector<Index> s;
    for (const ag::Interval& w : r.windows) s.push_back(w.start);
    return s;
}

}  // namespace

TEST(Regions, NarrowPeakWindowsEvenLength) {
    const ag::Fasta fasta(write_genome());
    const std::string peaks = write_peaks();
    const ag::RegionWindows r = ag::load_regions(ag::read_narrowpeak(peaks), fasta, 10, {peaks});
    EXPECT_EQ(r.length, 10);
    ASSERT_EQ(r.windows.size(), 4u);
    EXPECT_EQ(r.input_index, (std::vector<std::size_t>{0, 3, 4, 6}));
    // Centre = summit; even L: [summit - 5, summit + 5).
    EXPECT_EQ(starts_of(r), (std::vector<Index>{10, 37, 10, 10}));
    for (const ag::Interval& w : r.windows) EXPECT_EQ(w.end - w.start, 10);
    EXPECT_EQ(r.windows[1].chrom, "chrA");
    EXPECT_EQ(r.windows[1].name, "p3");
    EXPECT_EQ(r.windows[1].score, 7.5);
    EXPECT_EQ(r.windows[1].summit, 42);
    EXPECT_EQ(r.windows[3].chrom, "chrB");
    EXPECT_EQ(r.windows[3].summit, 15);  // -1: the centre of [0, 30)

    const ag::RegionReport& rep = r.report;
    EXPECT_EQ(rep.records, 7);
    EXPECT_EQ(rep.kept, 4);
    EXPECT_EQ(rep.skipped_unknown_chrom, 1);
    EXPECT_EQ(rep.skipped_past_end, 2);
    EXPECT_EQ(rep.skipped_n, 0);
    EXPECT_EQ(rep.skipped(), 3);
    EXPECT_EQ(rep.kept_with_n, 1);
    EXPECT_EQ(rep.duplicates, 1);
    ASSERT_EQ(rep.messages.size(), 3u);
    EXPECT_EQ(rep.messages[0], peaks + "[1] 'p1' (chrUn:0-50): chromosome 'chrUn' is not in '" + fasta.path() + "'");
    EXPECT_THAT(rep.messages[1], HasSubstr(peaks + "[2] 'p2' (chrA:0-20): window chrA:-2-8 passes an end"));
    EXPECT_THAT(rep.messages[2], HasSubstr(peaks + "[5] 'p5' (chrB:20-30): window chrB:22-32 passes an end"));
    EXPECT_THAT(rep.messages[2], HasSubstr("(length 30)"));

    const std::string summary = rep.summary();
    EXPECT_EQ(summary.find('\n'), std::string::npos);  // one paragraph
    EXPECT_THAT(summary, HasSubstr(peaks + ": 7 records, 4 kept as windows of 10 bases"));
    EXPECT_THAT(summary, HasSubstr("1 of them contain N"));
    EXPECT_THAT(summary, HasSubstr("1 repeat the window of an earlier record"));
    EXPECT_THAT(summary, HasSubstr("3 skipped: 1 on a chromosome not in '" + fasta.path() + "', 2 with a window past"));
    EXPECT_THAT(summary, HasSubstr(rep.messages[0]));
    EXPECT_THAT(summary, HasSubstr(rep.messages[2]));
}

TEST(Regions, OddLengthCentresOnTheMiddleBase) {
    const ag::Fasta fasta(write_genome());
    const std::string peaks = write_peaks();
    const ag::RegionWindows r = ag::load_regions(ag::read_narrowpeak(peaks), fasta, 11, {peaks});
    // Odd L: [summit - 5, summit + 6), the summit is the middle base (offset 5 of 11).
    EXPECT_EQ(r.input_index, (std::vector<std::size_t>{0, 3, 4, 6}));
    EXPECT_EQ(starts_of(r), (std::vector<Index>{10, 37, 10, 10}));
    for (const ag::Interval& w : r.windows) {
        EXPECT_EQ(w.end - w.start, 11);
        EXPECT_EQ(w.summit - w.start, 5);
    }
}

TEST(Regions, BedRecordsCentreOnTheMidpoint) {
    const ag::Fasta fasta(write_genome());
    const std::string bed = temp_path("regions.bed");
    write_text(bed, "chrA\t20\t31\tb0\nchrA\t20\t30\nchrB\t3\t4\tb2\t9\t-\n");
    const ag::RegionWindows r = ag::load_regions(ag::read_bed(bed), fasta, 6, {bed});
    ASSERT_EQ(r.windows.size(), 3u);
    // floor((20 + 31) / 2) = 25, floor((20 + 30) / 2) = 25, floor((3 + 4) / 2) = 3.
    EXPECT_EQ(starts_of(r), (std::vector<Index>{22, 22, 0}));
    EXPECT_EQ(r.windows[2].summit, 3);
    EXPECT_EQ(r.windows[2].name, "b2");
    EXPECT_EQ(r.windows[2].score, 9.0);
    EXPECT_EQ(r.report.duplicates, 1);
    EXPECT_EQ(r.report.kept_with_n, 0);
    EXPECT_TRUE(r.report.messages.empty());
    EXPECT_THAT(r.report.summary(), HasSubstr("0 skipped: 0 on a chromosome"));
    EXPECT_THAT(r.report.summary(), Not(HasSubstr("First skipped")));
}

TEST(Regions, MaxNFractionSkipsAndCountsWindowsWithN) {
    const ag::Fasta fasta(write_genome());
    const std::string peaks = write_peaks();
    const std::vector<ag::Interval> records = ag::read_narrowpeak(peaks);
    // Record 3's window [37, 47) holds 5 N of 10: skipped above 0.5, kept at 0.5.
    ag::RegionOptions strict{peaks, 0.4};
    const ag::RegionWindows r = ag::load_regions(records, fasta, 10, strict);
    EXPECT_EQ(r.input_index, (std::vector<std::size_t>{0, 4, 6}));
    EXPECT_EQ(r.report.skipped_n, 1);
    EXPECT_EQ(r.report.kept_with_n, 0);
    ASSERT_EQ(r.report.messages.size(), 4u);
    EXPECT_THAT(r.report.messages[2], HasSubstr(peaks + "[3] 'p3' (chrA:30-60): 5 of the 10 bases of window chrA:37-47 are N"));
    EXPECT_THAT(r.report.summary(), HasSubstr("1 with more than max_n_fraction = 0.4 of N"));
    const ag::RegionWindows half = ag::load_regions(records, fasta, 10, {peaks, 0.5});
    EXPECT_EQ(half.report.skipped_n, 0);
    EXPECT_EQ(half.report.kept_with_n, 1);
}

TEST(Regions, MessagesAreCappedButEverySkipIsCounted) {
    const ag::Fasta fasta(write_genome());
    std::vector<ag::Interval> records(25);
    for (std::size_t i = 0; i < records.size(); ++i) {
        records[i].chrom = "chrZ";
        records[i].start = 0;
        records[i].end = 10;
        records[i].summit = 5;
    }
    const ag::RegionWindows r = ag::load_regions(records, fasta, 4);
    EXPECT_TRUE(r.windows.empty());  // not an error: the caller decides
    EXPECT_EQ(r.report.skipped_unknown_chrom, 25);
    EXPECT_EQ(r.report.messages.size(), ag::RegionReport::max_messages);
    EXPECT_EQ(r.report.messages[0], "regions[0] '.' (chrZ:0-10): chromosome 'chrZ' is not in '" + fasta.path() + "'");
    EXPECT_THAT(r.report.summary(), HasSubstr("First skipped: regions[0]"));
    EXPECT_TRUE(ag::load_regions({}, fasta, 4).windows.empty());
}

TEST(Regions, EncodesTheKeptWindows) {
    const ag::Fasta fasta(write_genome());
    const std::string peaks = write_peaks();
    const ag::RegionWindows r = ag::load_regions(ag::read_narrowpeak(peaks), fasta, 10, {peaks});
    const std::vector<float> x = ag::encode_regions<float>(fasta, r);
    ASSERT_EQ(x.size(), r.windows.size() * 10 * 4);
    for (std::size_t b = 0; b < r.windows.size(); ++b) {
        const std::string seq = fasta.fetch(r.windows[b].chrom, r.windows[b].start, r.windows[b].end);
        std::vector<float> expected(40);
        ag::one_hot(seq, expected.data());
        EXPECT_EQ(std::vector<float>(x.begin() + static_cast<std::ptrdiff_t>(b * 40),
                                     x.begin() + static_cast<std::ptrdiff_t>((b + 1) * 40)),
                  expected)
            << b;
    }
    // Window 1 ([37, 47)) has N at offsets 3..7: all-zero rows.
    for (std::size_t i = 3; i < 8; ++i) {
        for (std::size_t c = 0; c < 4; ++c) EXPECT_EQ(x[40 + i * 4 + c], 0.0f);
    }
}

TEST(Regions, OptionAndRecordErrors) {
    const ag::Fasta fasta(write_genome());
    ag::Interval iv;
    iv.chrom = "chrA";
    iv.start = 10;
    iv.end = 20;
    iv.summit = 15;
    expect_invalid([&] { ag::load_regions({iv}, fasta, 0); }, "load_regions: length = 0 must be >= 1");
    expect_invalid([&] { ag::load_regions({iv}, fasta, 4, {"r", 1.5}); }, "max_n_fraction = 1.5 must be in [0, 1]");
    expect_invalid([&] { ag::load_regions({iv}, fasta, 4, {"r", -0.1}); }, "max_n_fraction = -0.1");
    iv.name = "hand_made";
    iv.summit = 0;  // a hand-made Interval without a summit
    expect_invalid([&] { ag::load_regions({iv, iv}, fasta, 4, {"mine"}); },
                   "load_regions: mine[0] 'hand_made' (chrA:10-20) has summit 0 outside [start, end)");
}

TEST(Regions, ParseErrorsOfRegionFilesNameFileAndLine) {
    const std::string peaks = temp_path("bad.narrowPeak");
    write_text(peaks,
               "chrA\t10\t30\tp0\t5\t.\t1\t-1\t-1\t5\n"
               "# a comment\n"
               "chrA\t10\t30\tp1\t5\t.\t1\t-1\t-1\n");
    EXPECT_THAT(error_message<attrprior::io_error>([&] { ag::read_narrowpeak(peaks); }),
                HasSubstr(peaks + ":3: expected 10 narrowPeak columns"));
    const std::string bed = temp_path("bad.bed");
    write_text(bed, "chrA\t10\t30\nchrA\tten\t30\n");
    EXPECT_THAT(error_message<attrprior::io_error>([&] { ag::read_bed(bed); }),
                HasSubstr(bed + ":2: start 'ten' (column 2) is not an integer"));
}
