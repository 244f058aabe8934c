// Tests of attrprior/genomics/fasta.hpp: plain and bgzipped FASTA, on-demand indexing,
// fetches at chromosome edges and across line breaks, and every error path.
#include "attrprior/genomics/fasta.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <htslib/bgzf.h>

#include "../support/temp_files.hpp"

#include <chrono>
#include <cstdio>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>
#include "../support/expect_error.hpp"

using attrprior::testing::error_message;

namespace {

using attrprior::Index;
using attrprior::genomics::Fasta;
using ::testing::HasSubstr;

std::string temp_path(const std::string& name) { return attrprior::testing::temp_path("attrprior_fasta_", name); }
using attrprior::testing::write_compressed;
using attrprior::testing::write_text;

bool exists(const std::string& path) { return std::filesystem::exists(path); }

/// FASTA text with the sequence wrapped at `width` characters per line.
std::string fasta_record(const std::string& header, const std::string& seq, std::size_t width) {
    std::string out = ">" + header + "\n";
    for (std::size_t i = 0; i < seq.size(); i += width) {
        out += seq.substr(i, width) + "\n";
    }
    return out;
}

std::string random_sequence(std::mt19937& rng, std::size_t n) {
    static const char bases[] = "ACGTacgtN";
    std::uniform_int_distribution<int> pick(0, 8);
    std::string s(n, 'A');
    for (char& c : s) c = bases[pick(rng)];
    return s;
}

struct Genome {
    std::vector<std::string> names;
    std::vector<std::string> seqs;
    std::string text(std::size_t width) const {
        std::string out;
        for (std::size_t i = 0; i < names.size(); ++i) {
            out += fasta_record(names[i] + " some description", seqs[i], width);
        }
        return out;
    }
};

Genome small_genome() {
    Genome g;
    g.names = {"chr2", "chr1", "chrM", "scaffold_7"};
    g.seqs = {"ACGTACGTACGTACGTACGTACGTA",  // 25: two full lines + a partial one
              "acgtNNNNnnAC",               // 12: lower case and N, one full line + 2
              "GATTACA",                    // 7: shorter than one line
              "CCCCCCCCCCGGGGGGGGGG"};      // 20: exactly two lines
    return g;
}

void expect_matches(const Fasta& fa, const Genome& g) {
    ASSERT_EQ(fa.chromosomes(), g.names);
    for (std::size_t i = 0; i < g.names.size(); ++i) {
        const std::string& name = g.names[i];
        const std::string& seq = g.seqs[i];
        const Index len = static_cast<Index>(seq.size());
        EXPECT_TRUE(fa.has(name));
        EXPECT_EQ(fa.length(name), len) << name;
        EXPECT_EQ(fa.fetch(name, 0, len), seq) << name;
        // Every sub-interval, including the edges and those crossing line breaks.
        for (Index a = 0; a <= len; ++a) {
            for (Index b = a; b <= len; ++b) {
                ASSERT_EQ(fa.fetch(name, a, b),
                          seq.substr(static_cast<std::size_t>(a), static_cast<std::size_t>(b - a)))
                    << name << ":" << a << "-" << b;
            }
        }
    }
}

TEST(Fasta, PlainFileIndexBuiltOnDemand) {
    const std::string path = temp_path("genome.fa");
    const Genome g = small_genome();
    write_text(path, g.text(10));
    ASSERT_FALSE(exists(path + ".fai"));
    const Fasta fa(path);
    EXPECT_TRUE(exists(path + ".fai"));
    EXPECT_FALSE(exists(path + ".gzi"));
    EXPECT_EQ(fa.path(), path);
    expect_matches(fa, g);
    EXPECT_FALSE(fa.has("chr3"));
    EXPECT_FALSE(fa.has("chr1 some description"));
}

TEST(Fasta, ReopensWithExistingIndex) {
    const std::string path = temp_path("genome.fa");
    const Genome g = small_genome();
    write_text(path, g.text(10));
    { const Fasta first(path); }
    ASSERT_TRUE(exists(path + ".fai"));
    const Fasta second(path);
    expect_matches(second, g);
}

TEST(Fasta, EdgesAndCase) {
    const std::string path = temp_path("case.fa");
    write_text(path, ">a\nacGT\nNnTa\ng\n>b\nT\n");
    const Fasta fa(path);
    EXPECT_EQ(fa.length("a"), 9);
    EXPECT_EQ(fa.length("b"), 1);
    EXPECT_EQ(fa.fetch("a", 0, 1), "a");
    EXPECT_EQ(fa.fetch("a", 8, 9), "g");
    EXPECT_EQ(fa.fetch("a", 3, 5), "TN");
    EXPECT_EQ(fa.fetch("a", 0, 9), "acGTNnTag");
    EXPECT_EQ(fa.fetch("a", 9, 9), "");
    EXPECT_EQ(fa.fetch("a", 0, 0), "");
    EXPECT_EQ(fa.fetch("b", 0, 1), "T");
}

TEST(Fasta, ChromosomeSizesInFileOrder) {
    const std::string path = temp_path("genome.fa");
    write_text(path, small_genome().text(10));
    const Fasta fa(path);
    const std::vector<std::pair<std::string, Index>> expected = {
        {"chr2", 25}, {"chr1", 12}, {"chrM", 7}, {"scaffold_7", 20}};
    EXPECT_EQ(attrprior::genomics::chromosome_sizes(fa), expected);
}

TEST(Fasta, WindowsLineEndings) {
    const std::string path = temp_path("crlf.fa");
    write_text(path, ">x\r\nACGT\r\nGG\r\n>y\r\nTTT\r\n");
    const Fasta fa(path);
    EXPECT_EQ(fa.fetch("x", 0, 6), "ACGTGG");
    EXPECT_EQ(fa.fetch("y", 0, 3), "TTT");
}

TEST(Fasta, BgzippedIndexBuiltOnDemand) {
    const std::string path = temp_path("genome.fa.gz");
    const Genome g = small_genome();
    write_compressed(path, g.text(10), "w");
    const Fasta fa(path);
    EXPECT_TRUE(exists(path + ".fai"));
    EXPECT_TRUE(exists(path + ".gzi"));
    expect_matches(fa, g);
}

TEST(Fasta, BgzippedSpanningManyBlocksMatchesPlain) {
    std::mt19937 rng(11);
    Genome g;
    g.names = {"big", "small", "medium"};
    g.seqs = {random_sequence(rng, 300001), random_sequence(rng, 3), random_sequence(rng, 70000)};
    const std::string plain = temp_path("big.fa");
    const std::string packed = temp_path("big.fa.gz");
    write_text(plain, g.text(60));
    write_compressed(packed, g.text(60), "w");
    const Fasta a(plain);
    const Fasta b(packed);
    ASSERT_EQ(a.chromosomes(), g.names);
    ASSERT_EQ(b.chromosomes(), g.names);
    std::uniform_int_distribution<Index> pos(0, 300001);
    for (int trial = 0; trial < 200; ++trial) {
        Index s = pos(rng), e = pos(rng);
        if (s > e) std::swap(s, e);
        const std::string expected = g.seqs[0].substr(static_cast<std::size_t>(s),
                                                      static_cast<std::size_t>(e - s));
        ASSERT_EQ(a.fetch("big", s, e), expected) << s << "-" << e;
        ASSERT_EQ(b.fetch("big", s, e), expected) << s << "-" << e;
    }
    EXPECT_EQ(b.fetch("big", 300000, 300001), g.seqs[0].substr(300000));
    EXPECT_EQ(b.fetch("medium", 0, 70000), g.seqs[2]);
    EXPECT_EQ(b.fetch("small", 0, 3), g.seqs[1]);
}

TEST(Fasta, BgzippedWithFaiButMissingGziRebuilds) {
    const std::string path = temp_path("genome.fa.gz");
    const Genome g = small_genome();
    write_compressed(path, g.text(10), "w");
    { const Fasta first(path); }
    ASSERT_TRUE(std::filesystem::remove(path + ".gzi"));
    const Fasta second(path);
    EXPECT_TRUE(exists(path + ".gzi"));
    expect_matches(second, g);
}

TEST(Fasta, OutdatedIndexIsRebuilt) {
    const std::string path = temp_path("genome.fa");
    write_text(path, ">old\nAAAA\n");
    { const Fasta first(path); }
    write_text(path, ">new\nCCCCCCCC\n>other\nG\n");
    // Make sure the FASTA is strictly newer than its index whatever the clock resolution.
    std::filesystem::last_write_time(
        path, std::filesystem::last_write_time(path + ".fai") + std::chrono::seconds(5));
    const Fasta second(path);
    EXPECT_EQ(second.chromosomes(), (std::vector<std::string>{"new", "other"}));
    EXPECT_EQ(second.fetch("new", 2, 8), "CCCCCC");
}

// docs/reliability.md, "Indexes": an index newer than the FASTA is still checked.
TEST(Fasta, ReplacedFastaWithNewerOldIndexIsRebuilt) {
    const std::string path = temp_path("genome.fa");
    write_text(path, ">chr1\nAAAAAAAAAA\nAAAAAAAAAA\n>chr2\nCCCC\n");
    { const Fasta first(path); }
    const std::string old_fai = attrprior::testing::read_file(path + ".fai");
    // Same names, other layout: with the old index chr2 would read from the wrong bytes.
    write_text(path, ">chr1\nGGGG\n>chr2\nTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT\n");
    write_text(path + ".fai", old_fai);
    std::filesystem::last_write_time(
        path + ".fai", std::filesystem::last_write_time(path) + std::chrono::seconds(5));
    const Fasta second(path);
    EXPECT_EQ(second.length("chr1"), 4);
    EXPECT_EQ(second.fetch("chr1", 0, 4), "GGGG");
    EXPECT_EQ(second.length("chr2"), 32);
    EXPECT_EQ(second.fetch("chr2", 0, 32), std::string(32, 'T'));
    EXPECT_NE(attrprior::testing::read_file(path + ".fai"), old_fai);
}

TEST(Fasta, ReplacedFastaOfTheSameSizeIsRebuilt) {
    // Same total size and same last-record end: only the record layout differs.
    const std::string path = temp_path("genome.fa");
    write_text(path, ">a\nACGTACGT\n>b\nTTTT\n");
    { const Fasta first(path); }
    const std::string old_fai = attrprior::testing::read_file(path + ".fai");
    write_text(path, ">a\nACGTAC\n>bb\nTTTTT\n");
    write_text(path + ".fai", old_fai);
    std::filesystem::last_write_time(
        path + ".fai", std::filesystem::last_write_time(path) + std::chrono::seconds(5));
    const Fasta second(path);
    EXPECT_EQ(second.chromosomes(), (std::vector<std::string>{"a", "bb"}));
    EXPECT_EQ(second.fetch("bb", 0, 5), "TTTTT");
}

TEST(Fasta, TruncatedFaiIsRebuilt) {
    const std::string path = temp_path("genome.fa");
    const Genome g = small_genome();
    write_text(path, g.text(10));
    { const Fasta first(path); }
    const std::string fai = attrprior::testing::read_file(path + ".fai");
    for (const std::size_t cut : {fai.size() - 1, fai.size() - 4, fai.find('\n') + 3}) {
        write_text(path + ".fai", fai.substr(0, cut));
        std::filesystem::last_write_time(
            path + ".fai", std::filesystem::last_write_time(path) + std::chrono::seconds(5));
        const Fasta again(path);
        expect_matches(again, g);
        EXPECT_EQ(attrprior::testing::read_file(path + ".fai"), fai) << "cut at " << cut;
    }
}

TEST(Fasta, BgzippedReplacedWithNewerOldIndexesIsRebuilt) {
    const std::string path = temp_path("genome.fa.gz");
    write_compressed(path, ">x\nAAAAAAAA\nAAAA\n", "w");
    { const Fasta first(path); }
    const std::string old_fai = attrprior::testing::read_file(path + ".fai");
    const std::string old_gzi = attrprior::testing::read_file(path + ".gzi");
    write_compressed(path, ">x\nCC\n>y\nGGGGGGGGGGGGGGGG\n", "w");
    write_text(path + ".fai", old_fai);
    write_text(path + ".gzi", old_gzi);
    for (const char* suffix : {".fai", ".gzi"}) {
        std::filesystem::last_write_time(
            path + suffix, std::filesystem::last_write_time(path) + std::chrono::seconds(5));
    }
    const Fasta second(path);
    EXPECT_EQ(second.chromosomes(), (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(second.fetch("x", 0, 2), "CC");
    EXPECT_EQ(second.fetch("y", 0, 16), std::string(16, 'G'));
}

TEST(Fasta, MoveOnly) {
    static_assert(!std::is_copy_constructible_v<Fasta>);
    static_assert(!std::is_copy_assignable_v<Fasta>);
    static_assert(std::is_nothrow_move_constructible_v<Fasta>);
    const std::string path = temp_path("genome.fa");
    const Genome g = small_genome();
    write_text(path, g.text(10));
    Fasta a(path);
    Fasta b(std::move(a));
    expect_matches(b, g);
    EXPECT_THROW(a.chromosomes(), attrprior::invalid_argument);  // NOLINT(bugprone-use-after-move)
    Fasta c(path);
    c = std::move(b);
    expect_matches(c, g);
}

TEST(Fasta, ConcurrentFetchesAreSafe) {
    std::mt19937 rng(12);
    Genome g;
    g.names = {"a", "b"};
    g.seqs = {random_sequence(rng, 50000), random_sequence(rng, 20000)};
    const std::string path = temp_path("genome.fa.gz");
    write_compressed(path, g.text(70), "w");
    const Fasta fa(path);
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            std::mt19937 local(100 + static_cast<unsigned>(t));
            for (int k = 0; k < 300; ++k) {
                const std::size_t c = static_cast<std::size_t>(k % 2);
                const Index len = static_cast<Index>(g.seqs[c].size());
                std::uniform_int_distribution<Index> pos(0, len);
                Index s = pos(local), e = pos(local);
                if (s > e) std::swap(s, e);
                if (fa.fetch(g.names[c], s, e) !=
                    g.seqs[c].substr(static_cast<std::size_t>(s), static_cast<std::size_t>(e - s))) {
                    ++failures[static_cast<std::size_t>(t)];
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures, std::vector<int>(4, 0));
}

// ---------------------------------------------------------------- errors

TEST(FastaErrors, MissingFile) {
    const std::string path = temp_path("does_not_exist.fa");
    const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("does not exist"));
}

TEST(FastaErrors, NotAFasta) {
    const std::string path = temp_path("notes.txt");
    write_text(path, "chr1\t0\t100\n");
    const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("not a FASTA"));
    EXPECT_FALSE(exists(path + ".fai"));
}

TEST(FastaErrors, FastqIsNotAFasta) {
    const std::string path = temp_path("reads.fq");
    write_text(path, "@r1\nACGT\n+\nIIII\n");
    EXPECT_THAT(error_message<attrprior::io_error>([&] { Fasta fa(path); }), HasSubstr("not a FASTA"));
}

TEST(FastaErrors, EmptyFile) {
    const std::string path = temp_path("empty.fa");
    write_text(path, "");
    const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("empty"));
}

TEST(FastaErrors, PlainGzipExplainsBgzip) {
    const std::string path = temp_path("genome.fa.gz");
    write_compressed(path, small_genome().text(10), "wg");
    const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("compress with bgzip"));
}

// docs/reliability.md, "Compressed files".
TEST(FastaErrors, TruncatedBgzipIsAnError) {
    std::mt19937 rng(5);
    Genome g;
    g.names = {"a", "b"};
    g.seqs = {random_sequence(rng, 150000), random_sequence(rng, 1000)};
    const std::string whole = temp_path("whole.fa.gz");
    write_compressed(whole, g.text(60), "w");
    const auto ends = attrprior::testing::bgzf_block_ends(whole);
    ASSERT_GE(ends.size(), 3u);
    ASSERT_EQ(ends.back() - ends[ends.size() - 2], 28u);
    for (const std::uint64_t size : {ends[ends.size() - 2], ends[1]}) {
        const std::string cut = temp_path("cut.fa.gz");
        std::filesystem::copy_file(whole, cut, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(cut, size);
        const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(cut); });
        EXPECT_THAT(msg, HasSubstr(cut));
        EXPECT_THAT(msg, HasSubstr("truncated: no BGZF end-of-file block"));
        EXPECT_FALSE(exists(cut + ".fai"));
    }
}

TEST(FastaErrors, UnequalLineLengthsCannotBeIndexed) {
    const std::string path = temp_path("ragged.fa");
    write_text(path, ">chr1\nACGT\nAC\nACGT\n");
    const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("index"));
    EXPECT_FALSE(exists(path + ".fai"));  // no partial index left behind
    // A second attempt fails the same way (it does not pick up a broken index).
    EXPECT_THAT(error_message<attrprior::io_error>([&] { Fasta fa(path); }), HasSubstr("index"));
}

// docs/reliability.md, "FASTA records": htslib keeps one of two records of the same name,
// drops empty records and skips stray bytes (reading the bases after them shifted).
TEST(FastaErrors, DuplicateRecordName) {
    const std::string path = temp_path("dup.fa");
    write_text(path, ">a\nACGT\n>b\nTT\n>a first copy\nGGGG\n>c\nC\n");
    const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path + "':5: duplicate record name 'a' (first at line 1)"));
    EXPECT_FALSE(exists(path + ".fai"));
}

TEST(FastaErrors, EmptyRecord) {
    const std::string path = temp_path("empty_record.fa");
    write_text(path, ">a\n>b\nACGT\n");
    const std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path + "':1: record 'a' is empty"));
    EXPECT_FALSE(exists(path + ".fai"));
}

TEST(FastaErrors, StrayByteInASequenceLine) {
    const std::string path = temp_path("stray.fa");
    // Line 5 has as many bytes as the others but one base fewer: htslib indexes it.
    write_text(path, ">b\nTTTT\n>a\nACGT\nAC\xC3G\nACGT\nAC\n>c\nGGGG\n");
    std::string msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path + "':5: byte 0xC3 in a sequence line of record 'a' near base 6"));
    EXPECT_FALSE(exists(path + ".fai"));
    write_text(path, ">a\nACGT\nACGT\nA G\n>b\nTTTT\n");
    msg = error_message<attrprior::io_error>([&] { Fasta fa(path); });
    EXPECT_THAT(msg, HasSubstr(path + "':4: byte 0x20 in a sequence line of record 'a' near base 9"));
}

TEST(Fasta, IupacCodesAreCountedByTheScan) {
    const std::string path = temp_path("iupac.fa");
    write_text(path, ">a\nACRYGT\nNNnk\n>b\nAC-G*\n");
    const Fasta fa(path);
    ASSERT_NE(fa.scan(), nullptr);
    EXPECT_EQ(fa.scan()->records, 2);
    EXPECT_EQ(fa.scan()->bases, 15);
    EXPECT_EQ(fa.scan()->n_bases, 3);
    EXPECT_EQ(fa.scan()->other_codes, 5);  // R, Y, k, -, *
    EXPECT_EQ(fa.fetch("a", 0, 6), "ACRYGT");  // stored as is; one_hot encodes R and Y as N
    const Fasta again(path);                    // existing index: no scan
    EXPECT_EQ(again.scan(), nullptr);
    EXPECT_EQ(attrprior::genomics::scan_fasta(path).other_codes, 5);
}

TEST(FastaErrors, UnknownChromosome) {
    const std::string path = temp_path("genome.fa");
    write_text(path, small_genome().text(10));
    const Fasta fa(path);
    std::string msg = error_message<attrprior::invalid_argument>([&] { (void)fa.length("chrX"); });
    EXPECT_THAT(msg, HasSubstr("'chrX'"));
    EXPECT_THAT(msg, HasSubstr("chr2"));  // lists known names
    msg = error_message<attrprior::invalid_argument>([&] { (void)fa.fetch("chrX", 0, 1); });
    EXPECT_THAT(msg, HasSubstr("'chrX'"));
}

TEST(FastaErrors, OutOfRangeFetch) {
    const std::string path = temp_path("genome.fa");
    write_text(path, small_genome().text(10));
    const Fasta fa(path);  // chrM has length 7
    struct Case {
        Index start, end;
    };
    for (const Case c : {Case{-1, 3}, Case{0, 8}, Case{5, 4}, Case{7, 8}, Case{8, 8},
                         Case{-5, -2}}) {
        const std::string msg =
            error_message<attrprior::invalid_argument>([&] { (void)fa.fetch("chrM", c.start, c.end); });
        EXPECT_THAT(msg, HasSubstr("chrM"));
        EXPECT_THAT(msg, HasSubstr("start = " + std::to_string(c.start)));
        EXPECT_THAT(msg, HasSubstr("end = " + std::to_string(c.end)));
        EXPECT_THAT(msg, HasSubstr("length 7"));
    }
    EXPECT_EQ(fa.fetch("chrM", 7, 7), "");  // the empty interval at the end is in range
}

}  // namespace
