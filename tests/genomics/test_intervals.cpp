// Tests of attrprior/genomics/intervals.hpp: BED and narrowPeak reading (plain, gzip and
// bgzip), writing and round trips, and the malformed-line errors with "file:line".
#include "attrprior/genomics/intervals.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <htslib/bgzf.h>

#include "../support/temp_files.hpp"

#include <cstdio>
#include <unistd.h>
#include <fstream>
#include <limits>
#include <string>
#include <vector>
#include "../support/expect_error.hpp"

using attrprior::testing::error_message;

namespace {

using attrprior::Index;
using attrprior::genomics::Interval;
using attrprior::genomics::read_bed;
using attrprior::genomics::read_narrowpeak;
using attrprior::genomics::ReadReport;
using attrprior::genomics::write_bed;
using attrprior::genomics::write_narrowpeak;
using ::testing::HasSubstr;

std::string temp_path(const std::string& name) { return attrprior::testing::temp_path("attrprior_intervals_", name); }
using attrprior::testing::write_compressed;
using attrprior::testing::write_text;

/// bgzf_compression() of a file: 0 plain, 1 gzip, 2 bgzip; -1 if it cannot be opened.
int compression_of(const std::string& path) {
    BGZF* fp = bgzf_open(path.c_str(), "r");
    if (fp == nullptr) return -1;
    const int c = bgzf_compression(fp);
    bgzf_close(fp);
    return c;
}

void expect_interval(const Interval& iv, const std::string& chrom, Index start, Index end,
                     const std::string& name, double score, Index summit) {
    EXPECT_EQ(iv.chrom, chrom);
    EXPECT_EQ(iv.start, start);
    EXPECT_EQ(iv.end, end);
    EXPECT_EQ(iv.name, name);
    EXPECT_DOUBLE_EQ(iv.score, score);
    EXPECT_EQ(iv.summit, summit);
}

// ---------------------------------------------------------------- BED

const char* const kBed3 =
    "browser position chr1:1-1000\n"
    "track name=peaks description=\"test\"\n"
    "# a comment\n"
    "\n"
    "chr1\t100\t200\n"
    "chr1\t0\t1\n"
    "   \n"
    "chr2\t5\t10\r\n"
    "chrX\t1000\t1003\n";

void expect_bed3(const std::vector<Interval>& v) {
    ASSERT_EQ(v.size(), 4u);
    expect_interval(v[0], "chr1", 100, 200, "", 0.0, 150);
    expect_interval(v[1], "chr1", 0, 1, "", 0.0, 0);
    expect_interval(v[2], "chr2", 5, 10, "", 0.0, 7);
    expect_interval(v[3], "chrX", 1000, 1003, "", 0.0, 1001);
}

TEST(ReadBed, Bed3WithHeadersCommentsAndBlankLines) {
    const std::string path = temp_path("a.bed");
    write_text(path, kBed3);
    ReadReport report;
    expect_bed3(read_bed(path, &report));
    EXPECT_EQ(report.records, 4);
    EXPECT_EQ(report.skipped, 0);
    EXPECT_TRUE(report.messages.empty());
}

TEST(ReadBed, Bed6) {
    const std::string path = temp_path("a.bed");
    write_text(path,
               "chr1\t10\t20\tpeak1\t500\t+\n"
               "chr1\t30\t41\t.\t0.25\t-\n"
               "chr3\t0\t2\tp3\t.\t.\n"
               "chr4\t7\t9\tonly_name\n"
               "chr5\t7\t9\tname_score\t-3.5\n");
    const auto v = read_bed(path);
    ASSERT_EQ(v.size(), 5u);
    expect_interval(v[0], "chr1", 10, 20, "peak1", 500.0, 15);
    expect_interval(v[1], "chr1", 30, 41, "", 0.25, 35);
    expect_interval(v[2], "chr3", 0, 2, "p3", 0.0, 1);
    expect_interval(v[3], "chr4", 7, 9, "only_name", 0.0, 8);
    expect_interval(v[4], "chr5", 7, 9, "name_score", -3.5, 8);
}

TEST(ReadBed, Bed12ExtraColumnsIgnored) {
    const std::string path = temp_path("a.bed");
    write_text(path, "chr1\t100\t300\tgene\t0\t+\t120\t280\t255,0,0\t2\t50,50,\t0,150,\n");
    const auto v = read_bed(path);
    ASSERT_EQ(v.size(), 1u);
    expect_interval(v[0], "chr1", 100, 300, "gene", 0.0, 200);
}

TEST(ReadBed, SpaceSeparated) {
    const std::string path = temp_path("a.bed");
    write_text(path, "chr1 100  200 x\nchr2 0 4\n");
    const auto v = read_bed(path);
    ASSERT_EQ(v.size(), 2u);
    expect_interval(v[0], "chr1", 100, 200, "x", 0.0, 150);
    expect_interval(v[1], "chr2", 0, 4, "", 0.0, 2);
}

TEST(ReadBed, NoTrailingNewline) {
    const std::string path = temp_path("a.bed");
    write_text(path, "chr1\t1\t3");
    const auto v = read_bed(path);
    ASSERT_EQ(v.size(), 1u);
    expect_interval(v[0], "chr1", 1, 3, "", 0.0, 2);
}

TEST(ReadBed, GzipAndBgzip) {
    const std::string gz = temp_path("a.bed.gz");
    const std::string bgz = temp_path("b.bed.gz");
    write_compressed(gz, kBed3, "wg");
    write_compressed(bgz, kBed3, "w");
    ASSERT_EQ(compression_of(gz), 1);
    ASSERT_EQ(compression_of(bgz), 2);
    expect_bed3(read_bed(gz));
    expect_bed3(read_bed(bgz));
}

TEST(ReadBed, ReportAccumulatesOverFiles) {
    const std::string a = temp_path("a.bed");
    const std::string b = temp_path("b.bed");
    write_text(a, kBed3);
    write_text(b, "chr1\t0\t10\n");
    ReadReport report;
    read_bed(a, &report);
    read_bed(b, &report);
    EXPECT_EQ(report.records, 5);
}

TEST(ReadReport, SkipKeepsTheFirstFewMessages) {
    ReadReport report;
    for (int i = 0; i < 25; ++i) report.skip("f.bed:" + std::to_string(i + 1) + ": unknown chromosome");
    EXPECT_EQ(report.skipped, 25);
    ASSERT_EQ(report.messages.size(), ReadReport::max_messages);
    EXPECT_EQ(report.messages.front(), "f.bed:1: unknown chromosome");
}

TEST(ReadBed, MissingFile) {
    const std::string path = temp_path("missing.bed");
    const std::string msg = error_message<attrprior::io_error>([&] { read_bed(path); });
    EXPECT_THAT(msg, HasSubstr(path));
}

TEST(ReadBed, EmptyFileHasNoRecords) {
    const std::string empty = temp_path("empty.bed");
    write_text(empty, "");
    std::string msg = error_message<attrprior::io_error>([&] { read_bed(empty); });
    EXPECT_THAT(msg, HasSubstr(empty));
    EXPECT_THAT(msg, HasSubstr("no records"));

    const std::string headers = temp_path("headers.bed");
    write_text(headers, "track name=x\n# only comments\n\n");
    msg = error_message<attrprior::io_error>([&] { read_bed(headers); });
    EXPECT_THAT(msg, HasSubstr("no records"));

    const std::string gz = temp_path("empty.bed.gz");
    write_compressed(gz, "", "w");
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_bed(gz); }), HasSubstr("no records"));
}

struct MalformedCase {
    const char* line;
    const char* problem;  // expected substring of the message
};

// Each bad line is preceded by a comment and a good record, so it is line 3.
void expect_malformed(const std::string& path, const std::string& header,
                      const MalformedCase& c, bool narrowpeak, bool compressed) {
    const std::string good = narrowpeak ? "chr1\t0\t100\tp\t1\t.\t1\t1\t1\t50\n"
                                        : "chr1\t0\t100\n";
    const std::string text = header + good + c.line + "\n" + good;
    if (compressed) {
        write_compressed(path, text, "w");
    } else {
        write_text(path, text);
    }
    const std::string msg = error_message<attrprior::io_error>([&] {
        if (narrowpeak) {
            read_narrowpeak(path);
        } else {
            read_bed(path);
        }
    });
    EXPECT_THAT(msg, HasSubstr(path + ":3:")) << "line: " << c.line;
    EXPECT_THAT(msg, HasSubstr(c.problem)) << "line: " << c.line;
}

TEST(ReadBed, MalformedLinesThrowWithFileAndLine) {
    const MalformedCase cases[] = {
        {"chr1\t100", "expected at least 3 columns"},
        {"chr1", "expected at least 3 columns"},
        {"chr1\tabc\t200", "start 'abc'"},
        {"chr1\t1.5\t200", "start '1.5'"},
        {"chr1\t+5\t200", "start '+5'"},
        {"chr1\t100\t2x0", "end '2x0'"},
        {"chr1\t100\t1e3", "end '1e3'"},
        {"chr1\t99999999999999999999999\t200", "is not an integer"},
        {"chr1\t-5\t200", "start -5 is negative"},
        {"chr1\t200\t200", "end 200 is not greater than start 200"},
        {"chr1\t300\t200", "end 200 is not greater than start 300"},
        {"chr1\t\t200", "column 2 is empty"},
        {"chr1\t0\t10\tname\tabc", "score 'abc'"},
        {"chr1\t0\t10\tname\tnan", "score 'nan'"},
        {"chr1\t0\t10\tname\tinf", "score 'inf'"},
        {"chr1\t0\t10\tname\t5\tx", "strand 'x'"},
        {"chr 1\t0\t10", "contains a space"},
    };
    const std::string path = temp_path("bad.bed");
    for (const auto& c : cases) expect_malformed(path, "# header\n", c, false, false);
    // Also through the BGZF decompression path.
    const std::string gz = temp_path("bad.bed.gz");
    for (const auto& c : cases) expect_malformed(gz, "track name=x\n", c, false, true);
}

// ---------------------------------------------------------------- narrowPeak

const char* const kNarrowPeak =
    "track type=narrowPeak\n"
    "chr1\t9356548\t9356648\t.\t0\t.\t182\t5.0945\t-1\t50\n"
    "chr1\t100\t200\tpeak_2\t1000\t+\t3.5\t-1\t-1\t-1\n"
    "chr2\t0\t10\tpeak_3\t12.75\t-\t0\t1e-5\t2.5E3\t0\n"
    "chr2\t10\t20\tpeak_4\t7\t.\t1\t2\t3\t9\n"
    "chrM\t0\t1\t.\t-1\t.\t-1\t-1\t-1\t-1\n";

void expect_narrowpeak(const std::vector<Interval>& v) {
    ASSERT_EQ(v.size(), 5u);
    expect_interval(v[0], "chr1", 9356548, 9356648, "", 0.0, 9356598);
    expect_interval(v[1], "chr1", 100, 200, "peak_2", 1000.0, 150);  // summit -1 → centre
    expect_interval(v[2], "chr2", 0, 10, "peak_3", 12.75, 0);
    expect_interval(v[3], "chr2", 10, 20, "peak_4", 7.0, 19);
    expect_interval(v[4], "chrM", 0, 1, "", -1.0, 0);
}

TEST(ReadNarrowPeak, SummitsAndOptionalColumns) {
    const std::string path = temp_path("a.narrowPeak");
    write_text(path, kNarrowPeak);
    ReadReport report;
    expect_narrowpeak(read_narrowpeak(path, &report));
    EXPECT_EQ(report.records, 5);
}

TEST(ReadNarrowPeak, GzipAndBgzip) {
    const std::string gz = temp_path("a.narrowPeak.gz");
    const std::string bgz = temp_path("b.narrowPeak.gz");
    write_compressed(gz, kNarrowPeak, "wg");
    write_compressed(bgz, kNarrowPeak, "w");
    expect_narrowpeak(read_narrowpeak(gz));
    expect_narrowpeak(read_narrowpeak(bgz));
}

// docs/reliability.md, "Compressed files": a bgzip file cut at a block boundary is an
// error, not a shorter file.
TEST(ReadNarrowPeak, TruncatedBgzipIsAnError) {
    std::string text;
    for (int i = 0; i < 6000; ++i) {
        text += "chr1\t" + std::to_string(100 * i) + "\t" + std::to_string(100 * i + 50) +
                "\tpeak" + std::to_string(i) + "\t0\t.\t-1\t-1\t-1\t25\n";
    }
    const std::string whole = temp_path("whole.narrowPeak.gz");
    write_compressed(whole, text, "w");
    ASSERT_EQ(read_narrowpeak(whole).size(), 6000u);
    const auto ends = attrprior::testing::bgzf_block_ends(whole);
    ASSERT_GE(ends.size(), 3u);  // two data blocks or more, then the end-of-file block
    ASSERT_EQ(ends.back(), std::filesystem::file_size(whole));
    ASSERT_EQ(ends.back() - ends[ends.size() - 2], 28u);
    // Without the end-of-file block, and cut after the first data block.
    for (const std::uint64_t size : {ends[ends.size() - 2], ends[0]}) {
        const std::string cut = temp_path("cut.narrowPeak.gz");
        std::filesystem::copy_file(whole, cut, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(cut, size);
        const std::string msg = error_message<attrprior::io_error>([&] { (void)read_narrowpeak(cut); });
        EXPECT_THAT(msg, HasSubstr(cut));
        EXPECT_THAT(msg, HasSubstr("truncated: no BGZF end-of-file block"));
        EXPECT_THAT(error_message<attrprior::io_error>([&] { (void)read_bed(cut); }),
                    HasSubstr("truncated: no BGZF end-of-file block"));
    }
}

TEST(ReadNarrowPeak, EmptyFileHasNoRecords) {
    const std::string path = temp_path("empty.narrowPeak");
    write_text(path, "# nothing\n");
    const std::string msg = error_message<attrprior::io_error>([&] { read_narrowpeak(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("no records"));
}

TEST(ReadNarrowPeak, MalformedLinesThrowWithFileAndLine) {
    const MalformedCase cases[] = {
        {"chr1\t0\t100\tp\t1\t.\t1\t1\t1", "expected 10 narrowPeak columns"},
        {"chr1\t0\t100\tp\t1\t.\t1\t1\t1\t50\textra", "expected 10 narrowPeak columns"},
        {"chr1\t0\t100", "but found 3"},
        {"chr1\tx\t100\tp\t1\t.\t1\t1\t1\t50", "start 'x'"},
        {"chr1\t0\t1.0e2\tp\t1\t.\t1\t1\t1\t50", "end '1.0e2'"},
        {"chr1\t-1\t100\tp\t1\t.\t1\t1\t1\t50", "start -1 is negative"},
        {"chr1\t100\t100\tp\t1\t.\t1\t1\t1\t0", "end 100 is not greater than start 100"},
        {"chr1\t0\t100\tp\t.\t.\t1\t1\t1\t50", "score '.'"},
        {"chr1\t0\t100\tp\thigh\t.\t1\t1\t1\t50", "score 'high'"},
        {"chr1\t0\t100\tp\t1\tplus\t1\t1\t1\t50", "strand 'plus'"},
        {"chr1\t0\t100\tp\t1\t.\tx\t1\t1\t50", "signalValue 'x'"},
        {"chr1\t0\t100\tp\t1\t.\t1\t.\t1\t50", "pValue '.'"},
        {"chr1\t0\t100\tp\t1\t.\t1\t1\tnan\t50", "qValue 'nan'"},
        {"chr1\t0\t100\tp\t1\t.\t1\t1\t1\t5.5", "summit offset '5.5'"},
        {"chr1\t0\t100\tp\t1\t.\t1\t1\t1\t100", "summit offset 100 (column 10) is outside [0, 100)"},
        {"chr1\t0\t100\tp\t1\t.\t1\t1\t1\t250", "summit offset 250"},
        {"chr1\t0\t100\tp\t1\t.\t1\t1\t1\t-2", "summit offset -2"},
        {"chr1\t0\t100\tp\t1\t.\t1\t\t1\t50", "column 8 is empty"},
    };
    const std::string path = temp_path("bad.narrowPeak");
    for (const auto& c : cases) expect_malformed(path, "# header\n", c, true, false);
    const std::string gz = temp_path("bad.narrowPeak.gz");
    for (const auto& c : cases) expect_malformed(gz, "browser x\n", c, true, true);
}

TEST(ReadNarrowPeak, BedLineIsNotANarrowPeak) {
    const std::string path = temp_path("a.bed");
    write_text(path, "chr1\t0\t100\tname\t5\t+\n");
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_narrowpeak(path); }),
                HasSubstr(path + ":1: expected 10 narrowPeak columns"));
}

// ---------------------------------------------------------------- writing

std::vector<Interval> sample_intervals() {
    return {
        Interval{"chr1", 100, 200, "peak_1", 12.5, 170},
        Interval{"chr1", 0, 1, "", 0.0, 0},
        Interval{"chr2", 5, 11, "x", 0.1, 5},
        Interval{"chrUn_KI270742v1", 1000000, 1000500, "big", 1e-7, 1000499},
        Interval{"chr3", 7, 8, "neg", -3.25, 7},
    };
}

TEST(WriteBed, RoundTripKeepsAllButTheSummit) {
    const auto in = sample_intervals();
    for (const std::string name : {"out.bed", "out.bed.gz"}) {
        const std::string path = temp_path(name);
        write_bed(path, in);
        EXPECT_EQ(compression_of(path), name == "out.bed" ? 0 : 2);
        const auto out = read_bed(path);
        ASSERT_EQ(out.size(), in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            expect_interval(out[i], in[i].chrom, in[i].start, in[i].end, in[i].name,
                            in[i].score, in[i].start + (in[i].end - in[i].start) / 2);
            EXPECT_EQ(out[i].score, in[i].score);  // exact, not just close
        }
    }
}

TEST(WriteBed, WritesBed6) {
    const std::string path = temp_path("out.bed");
    write_bed(path, {Interval{"chr1", 100, 200, "p", 5, 150}, Interval{"chr2", 1, 2, "", 0.5, 1}});
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "chr1\t100\t200\tp\t5\t.\nchr2\t1\t2\t.\t0.5\t.\n");
}

TEST(WriteNarrowPeak, RoundTripKeepsSummit) {
    const auto in = sample_intervals();
    for (const std::string name : {"out.narrowPeak", "out.narrowPeak.gz"}) {
        const std::string path = temp_path(name);
        write_narrowpeak(path, in);
        const auto out = read_narrowpeak(path);
        ASSERT_EQ(out.size(), in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            expect_interval(out[i], in[i].chrom, in[i].start, in[i].end, in[i].name,
                            in[i].score, in[i].summit);
            EXPECT_EQ(out[i].score, in[i].score);
        }
    }
}

TEST(WriteNarrowPeak, WritesTenColumnsWithSummitOffset) {
    const std::string path = temp_path("out.narrowPeak");
    write_narrowpeak(path, {Interval{"chr1", 100, 200, "p", 5, 170}});
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "chr1\t100\t200\tp\t5\t.\t-1\t-1\t-1\t70\n");
}

TEST(WriteIntervals, InvalidIntervalsAreRejectedBeforeWriting) {
    const std::string path = temp_path("out.bed");
    const Interval good{"chr1", 0, 10, "a", 1, 5};
    const std::vector<Interval> bad = {
        Interval{"", 0, 10, "a", 1, 5},
        Interval{"chr 1", 0, 10, "a", 1, 5},
        Interval{"#chr1", 0, 10, "a", 1, 5},
        Interval{"chr1", -1, 10, "a", 1, 5},
        Interval{"chr1", 10, 10, "a", 1, 10},
        Interval{"chr1", 0, 10, "a\tb", 1, 5},
        Interval{"chr1", 0, 10, "a", std::numeric_limits<double>::quiet_NaN(), 5},
    };
    for (const Interval& b : bad) {
        try {
            write_bed(path, {good, b});
            ADD_FAILURE() << "no exception for chrom '" << b.chrom << "'";
        } catch (const attrprior::invalid_argument& e) {
            EXPECT_THAT(std::string(e.what()), HasSubstr("intervals[1]"));
        }
        EXPECT_THROW(write_narrowpeak(path, {good, b}), attrprior::invalid_argument);
    }
    // The summit matters only for narrowPeak.
    const Interval outside{"chr1", 0, 10, "a", 1, 10};
    EXPECT_NO_THROW(write_bed(path, {outside}));
    EXPECT_THROW(write_narrowpeak(path, {outside}), attrprior::invalid_argument);
}

TEST(WriteIntervals, UnwritablePath) {
    const std::string path = temp_path("no_such_dir") + "/out.bed";
    const std::string msg = error_message<attrprior::io_error>([&] { write_bed(path, sample_intervals()); });
    EXPECT_THAT(msg, HasSubstr(path));
}

}  // namespace

namespace ap = attrprior;
namespace ag = attrprior::genomics;

TEST(SiteMasks, MarksCoveredPositionsOfEachWindow) {
    const std::vector<std::pair<std::string, ap::Index>> windows{{"chr1", 100}, {"chr1", 110}, {"chr2", 0}};
    std::vector<ag::Interval> sites(3);
    sites[0].chrom = "chr1", sites[0].start = 98, sites[0].end = 102;   // overlaps window 0's start
    sites[1].chrom = "chr1", sites[1].start = 115, sites[1].end = 125;  // past both ends of window 0
    sites[2].chrom = "chrX", sites[2].start = 0, sites[2].end = 5;      // no window there
    const auto m = ag::site_masks(windows, 10, sites);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0], (std::vector<char>{1, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(m[1], (std::vector<char>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
    EXPECT_EQ(m[2], std::vector<char>(10, 0));
    sites[0].end = 90;
    EXPECT_THROW(ag::site_masks(windows, 10, sites), ap::invalid_argument);
}

// docs/reliability.md, "Motif sites": sites off the genome are counted, not dropped silently.
TEST(SitesOnGenome, CountsAndReportsSitesOffTheGenome) {
    const std::vector<std::pair<std::string, Index>> genome = {{"chr1", 100}, {"chr2", 50}};
    const std::vector<Interval> sites = {{"chr1", 10, 20, "a", 0.0, 15},
                                         {"chrUn", 0, 5, "b", 0.0, 2},
                                         {"chr2", 40, 60, "c", 0.0, 50},
                                         {"chr2", 0, 10, "d", 0.0, 5}};
    ReadReport report;
    const auto kept = ag::sites_on_genome(sites, genome, &report, "sites.bed");
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[0].name, "a");
    EXPECT_EQ(kept[1].name, "d");
    EXPECT_EQ(report.skipped, 2);
    ASSERT_EQ(report.messages.size(), 2u);
    EXPECT_EQ(report.messages[0], "sites.bed: site 1 (chrUn:0-5): chromosome 'chrUn' is not in the genome");
    EXPECT_EQ(report.messages[1], "sites.bed: site 2 (chr2:40-60): ends past the chromosome end 50");
    EXPECT_TRUE(ag::sites_on_genome({}, genome).empty());
}

TEST(SitesOnGenome, NoSiteOnTheGenomeIsAnError) {
    const std::vector<std::pair<std::string, Index>> genome = {{"chr1", 100}};
    const std::vector<Interval> sites = {{"1", 10, 20, "", 0.0, 15}, {"2", 0, 5, "", 0.0, 2}};
    const std::string msg =
        error_message<ap::io_error>([&] { (void)ag::sites_on_genome(sites, genome, nullptr, "sites.bed"); });
    EXPECT_THAT(msg, HasSubstr("sites.bed: none of the 2 sites lies on the genome (2 on chromosomes it does not "
                               "have, e.g. '1'"));
}
