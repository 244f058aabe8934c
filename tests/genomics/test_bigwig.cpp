// Tests of attrprior/genomics/bigwig.hpp: write-then-read round trips (zero stretches, runs,
// fractional values, skipped chromosomes, many blocks), strided reads into double, windows at
// chromosome ends, concurrent reads, check_chromosomes, and every error path.
#include "attrprior/genomics/bigwig.hpp"

#include <bigWig.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_files.hpp"

namespace {

using attrprior::Index;
using attrprior::genomics::BigWigReader;
using attrprior::genomics::BigWigWriter;
using attrprior::genomics::check_chromosomes;
using attrprior::testing::error_message;
using attrprior::testing::write_text;
using ::testing::HasSubstr;
using ::testing::Not;

using ChromList = std::vector<std::pair<std::string, Index>>;

std::string temp_path(const std::string& name) {
    return attrprior::testing::temp_path("attrprior_bigwig_", name);
}

/// Per-base values of a few chromosomes, written with BigWigWriter and compared on reading.
struct Track {
    ChromList chromosomes;
    std::vector<std::vector<float>> values;  // empty: never written (reads as zeros)

    const std::vector<float>& of(const std::string& chrom) const {
        for (std::size_t i = 0; i < chromosomes.size(); ++i) {
            if (chromosomes[i].first == chrom) return values[i];
        }
        throw std::out_of_range(chrom);
    }

    /// The values that must be read back: zeros for an unwritten chromosome.
    std::vector<float> expected(std::size_t i) const {
        return values[i].empty() ? std::vector<float>(static_cast<std::size_t>(chromosomes[i].second), 0.0f)
                                 : values[i];
    }

    void write(const std::string& path) const {
        BigWigWriter writer(path, chromosomes);
        for (std::size_t i = 0; i < chromosomes.size(); ++i) {
            if (!values[i].empty() || chromosomes[i].second == 0) {
                writer.write_chromosome(chromosomes[i].first, values[i].data(), chromosomes[i].second);
            }
        }
        writer.close();
    }
};

/// Zero stretches (leading, inner, trailing), runs of equal values, fractional and negative
/// values, single-base runs; a chromosome written all zeros and one never written.
Track small_track() {
    Track t;
    t.chromosomes = {{"chr2", 60}, {"chr1", 25}, {"chrM", 17}, {"chrUn_1", 40}};
    std::vector<float> chr2(60, 0.0f);
    for (int i = 5; i < 12; ++i) chr2[static_cast<std::size_t>(i)] = 1.0f;   // run of 7
    for (int i = 12; i < 15; ++i) chr2[static_cast<std::size_t>(i)] = 0.25f;  // adjacent run
    chr2[20] = -3.5f;                                                          // single base
    chr2[21] = 0.1f;
    chr2[22] = 0.1f;
    for (int i = 40; i < 59; ++i) chr2[static_cast<std::size_t>(i)] = 1e-3f * float(i);  // all distinct
    std::vector<float> chr1(25, 2.75f);                                        // one run, whole chromosome
    chr1[24] = 0.0f;
    t.values = {chr2, chr1, std::vector<float>(17, 0.0f), {}};
    return t;
}

/// Values whose runs need several libBigWig blocks (about 2700 intervals each) and more
/// than one BigWigWriter chunk (65536 runs).
Track large_track(std::uint32_t seed) {
    std::mt19937 rng(seed);
    Track t;
    t.chromosomes = {{"big", 400001}, {"gap", 5000}, {"tail", 30011}};
    std::vector<float> big(400001, 0.0f);
    std::uniform_real_distribution<float> value(-2.0f, 5.0f);
    std::uniform_int_distribution<int> run(1, 3);
    for (std::size_t i = 0; i < big.size();) {
        const int len = run(rng);
        const float v = (rng() % 4 == 0) ? 0.0f : value(rng);
        for (int k = 0; k < len && i < big.size(); ++k, ++i) big[i] = v;
    }
    std::vector<float> tail(30011);
    for (std::size_t i = 0; i < tail.size(); ++i) tail[i] = float(i % 7) * 0.5f;
    t.values = {big, {}, tail};
    return t;
}

/// (start, end, value) of the non-zero runs of `values`, as BigWigWriter should store them.
std::vector<std::tuple<std::uint32_t, std::uint32_t, float>> runs_of(const std::vector<float>& values) {
    std::vector<std::tuple<std::uint32_t, std::uint32_t, float>> runs;
    for (std::size_t i = 0; i < values.size();) {
        std::size_t j = i + 1;
        while (j < values.size() && values[j] == values[i]) ++j;
        if (values[i] != 0.0f) {
            runs.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), values[i]);
        }
        i = j;
    }
    return runs;
}

/// The intervals libBigWig holds for chrom, read without attrprior.
std::vector<std::tuple<std::uint32_t, std::uint32_t, float>> stored_intervals(
    const std::string& path, const std::string& chrom, std::uint32_t length) {
    std::vector<std::tuple<std::uint32_t, std::uint32_t, float>> out;
    bigWigFile_t* bw = bwOpen(path.c_str(), nullptr, "r");
    if (bw == nullptr) {
        ADD_FAILURE() << "libBigWig cannot open " << path;
        return out;
    }
    bwOverlappingIntervals_t* iv = bwGetOverlappingIntervals(bw, chrom.c_str(), 0, length);
    if (iv == nullptr) {
        ADD_FAILURE() << "libBigWig cannot read " << chrom << " of " << path;
    } else {
        for (std::uint32_t k = 0; k < iv->l; ++k) out.emplace_back(iv->start[k], iv->end[k], iv->value[k]);
        bwDestroyOverlappingIntervals(iv);
    }
    bwClose(bw);
    return out;
}

std::vector<float> slice(const std::vector<float>& v, Index a, Index b) {
    return std::vector<float>(v.begin() + a, v.begin() + b);
}

void expect_matches(const BigWigReader& bw, const Track& t) {
    ASSERT_EQ(bw.chromosomes(), t.chromosomes);
    for (std::size_t i = 0; i < t.chromosomes.size(); ++i) {
        const auto& [name, len] = t.chromosomes[i];
        EXPECT_TRUE(bw.has_chromosome(name));
        EXPECT_EQ(bw.length(name), len) << name;
        EXPECT_EQ(bw.read(name, 0, len), t.expected(i)) << name;  // exact: floats round-trip
    }
}

// ---------------------------------------------------------------- round trips

TEST(BigWig, RoundTripSeveralChromosomes) {
    const std::string path = temp_path("small.bw");
    const Track t = small_track();
    t.write(path);
    const BigWigReader bw(path);
    EXPECT_EQ(bw.path(), path);
    expect_matches(bw, t);
    EXPECT_EQ(bw.read("chrUn_1", 0, 40), std::vector<float>(40, 0.0f));  // never written
    EXPECT_FALSE(bw.has_chromosome("chr3"));
    EXPECT_FALSE(bw.has_chromosome("chr"));
}

TEST(BigWig, EveryWindowMatches) {
    const std::string path = temp_path("small.bw");
    const Track t = small_track();
    t.write(path);
    const BigWigReader bw(path);
    for (std::size_t c = 0; c < t.chromosomes.size(); ++c) {
        const auto& [name, len] = t.chromosomes[c];
        const std::vector<float> expected = t.expected(c);
        for (Index a = 0; a <= len; ++a) {
            for (Index b = a; b <= len; ++b) {
                ASSERT_EQ(bw.read(name, a, b), slice(expected, a, b)) << name << ":" << a << "-" << b;
            }
        }
    }
}

TEST(BigWig, ZeroStretchesAreNotStoredAndRunsAreOneInterval) {
    const std::string path = temp_path("small.bw");
    const Track t = small_track();
    t.write(path);
    EXPECT_EQ(stored_intervals(path, "chr2", 60), runs_of(t.of("chr2")));
    EXPECT_EQ(stored_intervals(path, "chr1", 25), runs_of(t.of("chr1")));
    EXPECT_EQ(stored_intervals(path, "chr1", 25).size(), 1u);
    EXPECT_TRUE(stored_intervals(path, "chrM", 17).empty());
    EXPECT_TRUE(stored_intervals(path, "chrUn_1", 40).empty());
}

TEST(BigWig, ManyBlocksAndChunksMatch) {
    const std::string path = temp_path("large.bw");
    const Track t = large_track(21);
    ASSERT_GT(runs_of(t.values[0]).size(), 65536u);  // more than one writer chunk
    t.write(path);
    const BigWigReader bw(path);
    expect_matches(bw, t);
    EXPECT_EQ(stored_intervals(path, "big", 400001), runs_of(t.values[0]));
    std::mt19937 rng(5);
    for (std::size_t c : {std::size_t{0}, std::size_t{2}}) {
        const auto& [name, len] = t.chromosomes[c];
        std::uniform_int_distribution<Index> pos(0, len);
        for (int trial = 0; trial < 300; ++trial) {
            Index a = pos(rng), b = pos(rng);
            if (a > b) std::swap(a, b);
            ASSERT_EQ(bw.read(name, a, b), slice(t.values[c], a, b)) << name << ":" << a << "-" << b;
        }
    }
}

TEST(BigWig, ReadWithStrideIntoDouble) {
    const std::string path = temp_path("small.bw");
    const Track t = small_track();
    t.write(path);
    const BigWigReader bw(path);
    const std::vector<float>& chr2 = t.of("chr2");
    const double sentinel = -777.0;
    std::vector<double> out(3 * 30, sentinel);
    bw.read("chr2", 3, 33, out.data() + 1, 3);  // column 1 of a 30 x 3 row-major array
    for (std::size_t i = 0; i < 30; ++i) {
        EXPECT_EQ(out[3 * i], sentinel) << i;
        EXPECT_EQ(out[3 * i + 1], static_cast<double>(chr2[3 + i])) << i;
        EXPECT_EQ(out[3 * i + 2], sentinel) << i;
    }
    std::vector<float> floats(40, 9.0f);  // previous content is overwritten, zeros included
    bw.read("chr2", 20, 60, floats.data());
    EXPECT_EQ(floats, slice(chr2, 20, 60));
    // An empty window touches nothing, even through a null pointer.
    EXPECT_NO_THROW(bw.read<double>("chr2", 7, 7, nullptr, 5));
}

TEST(BigWig, WindowsAtChromosomeEnds) {
    const std::string path = temp_path("small.bw");
    const Track t = small_track();
    t.write(path);
    const BigWigReader bw(path);
    const std::vector<float>& chr2 = t.of("chr2");
    EXPECT_EQ(bw.read("chr2", 0, 1), slice(chr2, 0, 1));
    EXPECT_EQ(bw.read("chr2", 0, 6), slice(chr2, 0, 6));
    EXPECT_EQ(bw.read("chr2", 55, 60), slice(chr2, 55, 60));
    EXPECT_EQ(bw.read("chr2", 59, 60), slice(chr2, 59, 60));
    EXPECT_EQ(bw.read("chr2", 60, 60), std::vector<float>{});
    EXPECT_EQ(bw.read("chr2", 0, 0), std::vector<float>{});
    EXPECT_EQ(bw.read("chr1", 24, 25), std::vector<float>{0.0f});
    EXPECT_EQ(bw.read("chr1", 0, 1), std::vector<float>{2.75f});
    EXPECT_EQ(bw.read("chrM", 0, 17), std::vector<float>(17, 0.0f));
}

TEST(BigWig, FileWithoutDataReadsAsZeros) {
    const ChromList chroms = {{"chrA", 100}, {"chrB", 7}};
    const std::string nothing = temp_path("nothing.bw");
    {
        BigWigWriter writer(nothing, chroms);
        writer.close();
    }
    const std::string zeros = temp_path("zeros.bw");
    {
        BigWigWriter writer(zeros, chroms);
        const std::vector<float> b(7, 0.0f);
        writer.write_chromosome("chrB", b.data(), 7);
        writer.close();
    }
    for (const std::string& path : {nothing, zeros}) {
        const BigWigReader bw(path);
        EXPECT_EQ(bw.chromosomes(), chroms);
        EXPECT_EQ(bw.read("chrA", 0, 100), std::vector<float>(100, 0.0f)) << path;
        EXPECT_EQ(bw.read("chrB", 0, 7), std::vector<float>(7, 0.0f)) << path;
    }
}

TEST(BigWig, ZeroLengthChromosome) {
    const std::string path = temp_path("empty_chrom.bw");
    const ChromList chroms = {{"empty", 0}, {"chr1", 4}};
    {
        BigWigWriter writer(path, chroms);
        writer.write_chromosome("empty", nullptr, 0);
        const std::vector<float> v = {0.0f, 1.5f, 1.5f, 0.0f};
        writer.write_chromosome("chr1", v.data(), 4);
        writer.close();
    }
    const BigWigReader bw(path);
    EXPECT_EQ(bw.chromosomes(), chroms);
    EXPECT_EQ(bw.length("empty"), 0);
    EXPECT_EQ(bw.read("empty", 0, 0), std::vector<float>{});
    EXPECT_EQ(bw.read("chr1", 0, 4), (std::vector<float>{0.0f, 1.5f, 1.5f, 0.0f}));
}

/// Opens `path` for writing with libBigWig directly (for files BigWigWriter does not write):
/// one chromosome, no zoom levels.
bigWigFile_t* libbigwig_create(const std::string& path, const char* chrom, std::uint32_t length) {
    EXPECT_EQ(bwInit(1 << 17), 0);  // libBigWig allows repeated calls
    bigWigFile_t* out = bwOpen(path.c_str(), nullptr, "w");
    if (out == nullptr) return nullptr;
    const char* names[] = {chrom};
    const std::uint32_t lengths[] = {length};
    EXPECT_EQ(bwCreateHdr(out, 0), 0);
    out->cl = bwCreateChromList(names, lengths, 1);
    EXPECT_NE(out->cl, nullptr);
    EXPECT_EQ(bwWriteHdr(out), 0);
    return out;
}

TEST(BigWig, FileWithoutDataIndexReadsAsZeros) {
    // libBigWig (as pyBigWig) writes no data index when no interval was added; BigWigWriter
    // never does this, but other tools' files may look like it.
    const std::string path = temp_path("no_index.bw");
    bigWigFile_t* out = libbigwig_create(path, "chr1", 30);
    ASSERT_NE(out, nullptr);
    bwClose(out);
    const BigWigReader bw(path);
    EXPECT_EQ(bw.chromosomes(), (ChromList{{"chr1", 30}}));
    EXPECT_EQ(bw.read("chr1", 0, 30), std::vector<float>(30, 0.0f));
    std::vector<double> d(4, 3.0);
    bw.read("chr1", 26, 30, d.data());
    EXPECT_EQ(d, std::vector<double>(4, 0.0));
}

// docs/reliability.md, "Signal tracks": NaN is an error, not 0.
TEST(BigWig, NaNValuesInTheFileAreAnError) {
    // BigWigWriter refuses NaN, so write such a file with libBigWig directly (other tools do
    // store NaN).
    const std::string path = temp_path("nan.bw");
    bigWigFile_t* out = libbigwig_create(path, "chr1", 20);
    ASSERT_NE(out, nullptr);
    const char* names[] = {"chr1"};
    const std::uint32_t starts[] = {2, 5, 10}, ends[] = {4, 8, 20};
    const float values[] = {1.0f, std::numeric_limits<float>::quiet_NaN(), -2.0f};
    ASSERT_EQ(bwAddIntervals(out, names, starts, ends, values, 1), 0);
    ASSERT_EQ(bwAppendIntervals(out, starts + 1, ends + 1, values + 1, 2), 0);
    bwClose(out);

    const BigWigReader bw(path);
    std::string msg = error_message<attrprior::numeric_error>([&] { (void)bw.read("chr1", 0, 20); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("NaN at chr1:5 (chromosome 'chr1', position 5"));
    std::vector<double> d(3, 5.0);
    msg = error_message<attrprior::numeric_error>([&] { bw.read("chr1", 6, 9, d.data()); });
    EXPECT_THAT(msg, HasSubstr("NaN at chr1:6"));
    // Windows without the NaN interval read as before.
    std::vector<float> expected(5, 0.0f);
    expected[2] = expected[3] = 1.0f;
    EXPECT_EQ(bw.read("chr1", 0, 5), expected);
    EXPECT_EQ(bw.read("chr1", 8, 12), (std::vector<float>{0.0f, 0.0f, -2.0f, -2.0f}));
}

TEST(BigWig, DestructorFinishesTheFile) {
    const std::string path = temp_path("unclosed.bw");
    const Track t = small_track();
    {
        BigWigWriter writer(path, t.chromosomes);
        writer.write_chromosome("chr2", t.of("chr2").data(), 60);
        writer.write_chromosome("chrM", t.of("chrM").data(), 17);
    }
    const BigWigReader bw(path);
    EXPECT_EQ(bw.read("chr2", 0, 60), t.of("chr2"));
    EXPECT_EQ(bw.read("chr1", 0, 25), std::vector<float>(25, 0.0f));  // skipped
}

TEST(BigWig, CloseIsIdempotent) {
    const std::string path = temp_path("twice.bw");
    BigWigWriter writer(path, {{"chr1", 3}});
    const std::vector<float> v = {1.0f, 2.0f, 3.0f};
    writer.write_chromosome("chr1", v.data(), 3);
    writer.close();
    EXPECT_NO_THROW(writer.close());
    EXPECT_EQ(BigWigReader(path).read("chr1", 0, 3), v);
}

TEST(BigWig, OverwritesAnExistingFile) {
    const std::string path = temp_path("again.bw");
    small_track().write(path);
    BigWigWriter writer(path, {{"other", 2}});
    const std::vector<float> v = {4.0f, 0.5f};
    writer.write_chromosome("other", v.data(), 2);
    writer.close();
    const BigWigReader bw(path);
    EXPECT_EQ(bw.chromosomes(), (ChromList{{"other", 2}}));
    EXPECT_EQ(bw.read("other", 0, 2), v);
}

TEST(BigWig, MoveOnly) {
    static_assert(!std::is_copy_constructible_v<BigWigReader>);
    static_assert(!std::is_copy_assignable_v<BigWigReader>);
    static_assert(std::is_nothrow_move_constructible_v<BigWigReader>);
    static_assert(!std::is_copy_constructible_v<BigWigWriter>);
    static_assert(!std::is_copy_assignable_v<BigWigWriter>);
    static_assert(std::is_nothrow_move_constructible_v<BigWigWriter>);
    const Track t = small_track();
    const std::string first = temp_path("first.bw");
    const std::string second = temp_path("second.bw");
    {
        BigWigWriter a(first, t.chromosomes);
        a.write_chromosome("chr2", t.of("chr2").data(), 60);
        BigWigWriter b(std::move(a));
        b.write_chromosome("chr1", t.of("chr1").data(), 25);
        EXPECT_THROW(a.close(), attrprior::invalid_argument);  // NOLINT(bugprone-use-after-move)
        BigWigWriter c(second, {{"x", 1}});
        c = std::move(b);  // finishes `second` (nothing written) and takes over `first`
        c.close();
    }
    BigWigReader r(first);
    BigWigReader moved(std::move(r));
    EXPECT_EQ(moved.read("chr2", 0, 60), t.of("chr2"));
    EXPECT_EQ(moved.read("chr1", 0, 25), t.of("chr1"));
    EXPECT_THROW((void)r.chromosomes(), attrprior::invalid_argument);  // NOLINT(bugprone-use-after-move)
    BigWigReader other(second);
    EXPECT_EQ(other.read("x", 0, 1), std::vector<float>{0.0f});
    other = std::move(moved);
    EXPECT_EQ(other.path(), first);
}

TEST(BigWig, ConcurrentReadsAreSafe) {
    const std::string path = temp_path("large.bw");
    const Track t = large_track(33);
    t.write(path);
    const BigWigReader bw(path);
    constexpr int threads_n = 4, reads_per_thread = 150;
    // Each thread reads its own random windows; every result must match the single-thread
    // read of the same window.
    std::vector<std::vector<std::tuple<std::size_t, Index, Index>>> windows(threads_n);
    std::mt19937 rng(8);
    for (auto& list : windows) {
        for (int k = 0; k < reads_per_thread; ++k) {
            const std::size_t c = (k % 2 == 0) ? 0 : 2;
            std::uniform_int_distribution<Index> pos(0, t.chromosomes[c].second);
            Index a = pos(rng), b = pos(rng);
            if (a > b) std::swap(a, b);
            list.emplace_back(c, a, std::min(b, a + 5000));
        }
    }
    std::vector<std::vector<std::vector<float>>> results(threads_n);
    std::vector<std::thread> threads;
    for (int th = 0; th < threads_n; ++th) {
        threads.emplace_back([&, th] {
            for (const auto& [c, a, b] : windows[static_cast<std::size_t>(th)]) {
                results[static_cast<std::size_t>(th)].push_back(bw.read(t.chromosomes[c].first, a, b));
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int th = 0; th < threads_n; ++th) {
        const auto& list = windows[static_cast<std::size_t>(th)];
        ASSERT_EQ(results[static_cast<std::size_t>(th)].size(), list.size());
        for (std::size_t k = 0; k < list.size(); ++k) {
            const auto& [c, a, b] = list[k];
            ASSERT_EQ(results[static_cast<std::size_t>(th)][k], bw.read(t.chromosomes[c].first, a, b));
            ASSERT_EQ(results[static_cast<std::size_t>(th)][k], slice(t.values[c], a, b));
        }
    }
}

// ---------------------------------------------------------------- check_chromosomes

TEST(BigWigCheckChromosomes, AcceptsPartialOverlap) {
    const std::string path = temp_path("small.bw");
    small_track().write(path);
    const BigWigReader bw(path);
    // Same lengths for the shared names; names only in one of the two are fine.
    EXPECT_NO_THROW(check_chromosomes(bw, {{"chr1", 25}, {"chr2", 60}, {"chrX", 500}}, "--bigwig"));
    EXPECT_NO_THROW(check_chromosomes(bw, {{"chrM", 17}}, "--bigwig"));
    EXPECT_NO_THROW(check_chromosomes(bw, bw.chromosomes(), "--bigwig"));
}

TEST(BigWigCheckChromosomes, LengthMismatch) {
    const std::string path = temp_path("small.bw");
    small_track().write(path);
    const BigWigReader bw(path);
    const std::string msg = error_message<attrprior::io_error>(
        [&] { check_chromosomes(bw, {{"chr1", 25}, {"chr2", 61}, {"chrX", 5}}, "--bigwig-plus"); });
    EXPECT_THAT(msg, HasSubstr("--bigwig-plus"));
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("'chr2' has length 60 in the bigWig but 61 in the reference"));
    EXPECT_THAT(msg, Not(HasSubstr("'chr1'")));
}

TEST(BigWigCheckChromosomes, NoSharedNamesExplainsChrPrefix) {
    const std::string path = temp_path("ucsc.bw");
    small_track().write(path);
    const BigWigReader bw(path);
    const std::string msg = error_message<attrprior::io_error>(
        [&] { check_chromosomes(bw, {{"1", 25}, {"2", 60}, {"MT", 16569}}, "--bigwig-minus"); });
    EXPECT_THAT(msg, HasSubstr("--bigwig-minus"));
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("shares no chromosome"));
    EXPECT_THAT(msg, HasSubstr("bigWig: chr2, chr1, chrM, chrUn_1"));
    EXPECT_THAT(msg, HasSubstr("reference: 1, 2, MT"));
    EXPECT_THAT(msg, HasSubstr("the bigWig names chromosomes with a 'chr' prefix"));

    // The other way round: an Ensembl-style bigWig against a UCSC-style reference.
    const std::string ensembl = temp_path("ensembl.bw");
    {
        BigWigWriter writer(ensembl, {{"1", 3}, {"2", 3}});
        writer.close();
    }
    const std::string msg2 = error_message<attrprior::io_error>(
        [&] { check_chromosomes(BigWigReader(ensembl), {{"chr1", 3}}, "--bigwig"); });
    EXPECT_THAT(msg2, HasSubstr(ensembl));
    EXPECT_THAT(msg2, HasSubstr("the reference names chromosomes with a 'chr' prefix"));
}

TEST(BigWigCheckChromosomes, NoSharedNamesUnrelated) {
    const std::string path = temp_path("small.bw");
    small_track().write(path);
    const BigWigReader bw(path);
    const std::string msg = error_message<attrprior::io_error>(
        [&] { check_chromosomes(bw, {{"scaffold_1", 10}}, "--bigwig"); });
    EXPECT_THAT(msg, HasSubstr("shares no chromosome"));
    EXPECT_THAT(msg, HasSubstr("scaffold_1"));
    EXPECT_THAT(msg, Not(HasSubstr("prefix")));
    EXPECT_THAT(error_message<attrprior::io_error>([&] { check_chromosomes(bw, {}, "--bigwig"); }),
                HasSubstr("reference: (none)"));
}

// ---------------------------------------------------------------- reader errors

TEST(BigWigReaderErrors, MissingFile) {
    const std::string path = temp_path("does_not_exist.bw");
    const std::string msg = error_message<attrprior::io_error>([&] { BigWigReader bw(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("does not exist"));
}

TEST(BigWigReaderErrors, TextFileIsNotABigWig) {
    const std::string path = temp_path("signal.bedGraph");
    write_text(path, "chr1\t0\t100\t1.5\n");
    const std::string msg = error_message<attrprior::io_error>([&] { BigWigReader bw(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("not a bigWig"));
    EXPECT_THAT(msg, HasSubstr("bedGraphToBigWig"));
}

TEST(BigWigReaderErrors, EmptyAndTinyFiles) {
    const std::string empty = temp_path("empty.bw");
    write_text(empty, "");
    std::string msg = error_message<attrprior::io_error>([&] { BigWigReader bw(empty); });
    EXPECT_THAT(msg, HasSubstr(empty));
    EXPECT_THAT(msg, HasSubstr("empty"));
    const std::string tiny = temp_path("tiny.bw");
    write_text(tiny, "\x26\xFC");
    msg = error_message<attrprior::io_error>([&] { BigWigReader bw(tiny); });
    EXPECT_THAT(msg, HasSubstr(tiny));
    EXPECT_THAT(msg, HasSubstr("not a bigWig"));
}

TEST(BigWigReaderErrors, BigBedAndBigEndian) {
    const std::string bigbed = temp_path("peaks.bb");
    write_text(bigbed, std::string("\xEB\xF2\x89\x87", 4) + std::string(200, '\0'));
    std::string msg = error_message<attrprior::io_error>([&] { BigWigReader bw(bigbed); });
    EXPECT_THAT(msg, HasSubstr(bigbed));
    EXPECT_THAT(msg, HasSubstr("bigBed"));
    const std::string swapped = temp_path("big_endian.bw");
    write_text(swapped, std::string("\x88\x8F\xFC\x26", 4) + std::string(200, '\0'));
    msg = error_message<attrprior::io_error>([&] { BigWigReader bw(swapped); });
    EXPECT_THAT(msg, HasSubstr(swapped));
    EXPECT_THAT(msg, HasSubstr("big-endian"));
}

TEST(BigWigReaderErrors, Directory) {
    const std::string dir = temp_path("a_directory.bw");
    std::filesystem::create_directories(dir);
    const std::string msg = error_message<attrprior::io_error>([&] { BigWigReader bw(dir); });
    EXPECT_THAT(msg, HasSubstr(dir));
    EXPECT_THAT(msg, HasSubstr("directory"));
    std::filesystem::remove(dir);
}

TEST(BigWigReaderErrors, TruncatedFile) {
    const std::string full = temp_path("full.bw");
    large_track(4).write(full);
    std::ifstream in(full, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::size_t keep : {std::size_t{8}, std::size_t{100}, bytes.size() / 2}) {
        const std::string cut = temp_path("cut_" + std::to_string(keep) + ".bw");
        write_text(cut, bytes.substr(0, keep));
        // Either the header/chromosome list (small cuts) or the data index (cut in the data
        // or index) is missing: both must be reported on opening.
        const std::string msg = error_message<attrprior::io_error>([&] { BigWigReader bw(cut); });
        EXPECT_THAT(msg, HasSubstr(cut)) << keep;
    }
}

TEST(BigWigReaderErrors, UnknownChromosome) {
    const std::string path = temp_path("small.bw");
    small_track().write(path);
    const BigWigReader bw(path);
    std::string msg = error_message<attrprior::invalid_argument>([&] { (void)bw.length("chrX"); });
    EXPECT_THAT(msg, HasSubstr("'chrX'"));
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("chr2, chr1, chrM"));  // lists the known names
    msg = error_message<attrprior::invalid_argument>([&] { (void)bw.read("chrX", 0, 1); });
    EXPECT_THAT(msg, HasSubstr("'chrX'"));
    EXPECT_THAT(msg, HasSubstr(path));
    float out = 0.0f;
    msg = error_message<attrprior::invalid_argument>([&] { bw.read("1", 0, 1, &out); });
    EXPECT_THAT(msg, HasSubstr("'1'"));
}

TEST(BigWigReaderErrors, OutOfRangeWindows) {
    const std::string path = temp_path("small.bw");
    small_track().write(path);
    const BigWigReader bw(path);  // chrM has length 17
    struct Case {
        Index start, end;
    };
    for (const Case c : {Case{-1, 3}, Case{0, 18}, Case{5, 4}, Case{17, 18}, Case{18, 18},
                         Case{-5, -2}, Case{10, 0}}) {
        for (int overload = 0; overload < 2; ++overload) {
            std::vector<double> out(32);
            const std::string msg = error_message<attrprior::invalid_argument>([&] {
                if (overload == 0) {
                    (void)bw.read("chrM", c.start, c.end);
                } else {
                    bw.read("chrM", c.start, c.end, out.data());
                }
            });
            EXPECT_THAT(msg, HasSubstr("chrM"));
            EXPECT_THAT(msg, HasSubstr("start = " + std::to_string(c.start)));
            EXPECT_THAT(msg, HasSubstr("end = " + std::to_string(c.end)));
            EXPECT_THAT(msg, HasSubstr("length 17"));
            EXPECT_THAT(msg, HasSubstr(path));
        }
    }
}

TEST(BigWigReaderErrors, BadStrideOrNullOutput) {
    const std::string path = temp_path("small.bw");
    small_track().write(path);
    const BigWigReader bw(path);
    std::vector<float> out(10);
    std::string msg = error_message<attrprior::invalid_argument>([&] { bw.read("chr2", 0, 5, out.data(), 0); });
    EXPECT_THAT(msg, HasSubstr("stride = 0"));
    EXPECT_THAT(msg, HasSubstr(path));
    msg = error_message<attrprior::invalid_argument>([&] { bw.read<float>("chr2", 0, 5, nullptr); });
    EXPECT_THAT(msg, HasSubstr("null"));
    EXPECT_THAT(msg, HasSubstr("chr2:0-5"));
}

TEST(BigWig, SpansWriteOnlyTheirBases) {
    // Spans of chr2 (60 bases) cut from small_track()'s values, with gaps between them, two
    // adjacent spans continuing one run (stored as one interval), and an empty span.
    const std::string path = temp_path("spans.bw");
    const Track t = small_track();
    const std::vector<float>& chr2 = t.of("chr2");
    using Span = BigWigWriter::Span;
    {
        BigWigWriter writer(path, t.chromosomes);
        writer.write_spans("chr2", {Span{3, 6, chr2.data() + 3}, Span{9, 4, chr2.data() + 9}, Span{30, 0, nullptr},
                                    Span{20, 2, chr2.data() + 20}, Span{45, 15, chr2.data() + 45}});
        writer.write_spans("chrM", {});
        writer.write_spans("chrUn_1", {Span{39, 1, chr2.data() + 20}});
        writer.close();
    }
    std::vector<float> expected(60, 0.0f);
    for (const auto& [a, b] : std::vector<std::pair<Index, Index>>{{3, 13}, {20, 22}, {45, 60}}) {
        for (Index i = a; i < b; ++i) expected[static_cast<std::size_t>(i)] = chr2[static_cast<std::size_t>(i)];
    }
    const BigWigReader bw(path);
    EXPECT_EQ(bw.read("chr2", 0, 60), expected);
    EXPECT_EQ(stored_intervals(path, "chr2", 60), runs_of(expected));  // [5, 12) of 1.0 is one interval
    EXPECT_EQ(bw.read("chr1", 0, 25), std::vector<float>(25, 0.0f));
    EXPECT_EQ(bw.read("chrM", 0, 17), std::vector<float>(17, 0.0f));
    EXPECT_EQ(bw.read("chrUn_1", 38, 40), (std::vector<float>{0.0f, -3.5f}));
}

// ---------------------------------------------------------------- writer errors

TEST(BigWigWriterErrors, OutOfOrderAndRepeatedChromosomes) {
    const std::string path = temp_path("order.bw");
    const Track t = small_track();  // order: chr2, chr1, chrM, chrUn_1
    BigWigWriter writer(path, t.chromosomes);
    writer.write_chromosome("chr1", t.of("chr1").data(), 25);  // skipping chr2 is fine
    std::string msg = error_message<attrprior::invalid_argument>(
        [&] { writer.write_chromosome("chr2", t.of("chr2").data(), 60); });
    EXPECT_THAT(msg, HasSubstr("'chr2'"));
    EXPECT_THAT(msg, HasSubstr("comes before 'chr1'"));
    EXPECT_THAT(msg, HasSubstr("order"));
    EXPECT_THAT(msg, HasSubstr(path));
    msg = error_message<attrprior::invalid_argument>(
        [&] { writer.write_chromosome("chr1", t.of("chr1").data(), 25); });
    EXPECT_THAT(msg, HasSubstr("'chr1'"));
    EXPECT_THAT(msg, HasSubstr("already written"));
    writer.write_chromosome("chrM", t.of("chrM").data(), 17);  // still usable
    writer.close();
    const BigWigReader bw(path);
    EXPECT_EQ(bw.read("chr1", 0, 25), t.of("chr1"));
    EXPECT_EQ(bw.read("chr2", 0, 60), std::vector<float>(60, 0.0f));
}

TEST(BigWigWriterErrors, UnknownChromosomeWrongLengthNullValues) {
    const std::string path = temp_path("args.bw");
    BigWigWriter writer(path, {{"chr1", 7}, {"chr2", 3}});
    const std::vector<float> v(7, 1.0f);
    std::string msg = error_message<attrprior::invalid_argument>([&] { writer.write_chromosome("chr9", v.data(), 7); });
    EXPECT_THAT(msg, HasSubstr("'chr9'"));
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("chr1, chr2"));
    msg = error_message<attrprior::invalid_argument>([&] { writer.write_chromosome("chr1", v.data(), 5); });
    EXPECT_THAT(msg, HasSubstr("n = 5"));
    EXPECT_THAT(msg, HasSubstr("'chr1' has length 7"));
    EXPECT_THAT(msg, HasSubstr(path));
    msg = error_message<attrprior::invalid_argument>([&] { writer.write_chromosome("chr1", nullptr, 7); });
    EXPECT_THAT(msg, HasSubstr("null"));
    EXPECT_THAT(msg, HasSubstr("'chr1'"));
    writer.write_chromosome("chr1", v.data(), 7);  // the failed calls wrote nothing
    writer.close();
    msg = error_message<attrprior::invalid_argument>([&] { writer.write_chromosome("chr2", v.data(), 3); });
    EXPECT_THAT(msg, HasSubstr("closed"));
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_EQ(BigWigReader(path).read("chr1", 0, 7), v);
}

TEST(BigWigWriterErrors, NonFiniteValues) {
    const std::string path = temp_path("nan.bw");
    BigWigWriter writer(path, {{"chr1", 20}});
    std::vector<float> v(20, 1.0f);
    v[12] = std::numeric_limits<float>::quiet_NaN();
    std::string msg = error_message<attrprior::numeric_error>([&] { writer.write_chromosome("chr1", v.data(), 20); });
    EXPECT_THAT(msg, HasSubstr("chr1:12"));
    EXPECT_THAT(msg, HasSubstr("position 12"));
    EXPECT_THAT(msg, HasSubstr("nan"));
    EXPECT_THAT(msg, HasSubstr(path));
    v[12] = 1.0f;
    v[19] = -std::numeric_limits<float>::infinity();
    msg = error_message<attrprior::numeric_error>([&] { writer.write_chromosome("chr1", v.data(), 20); });
    EXPECT_THAT(msg, HasSubstr("position 19"));
    EXPECT_THAT(msg, HasSubstr("inf"));
    // Nothing of the chromosome was written: it can still be written once fixed.
    v[19] = 2.0f;
    writer.write_chromosome("chr1", v.data(), 20);
    writer.close();
    EXPECT_EQ(BigWigReader(path).read("chr1", 0, 20), v);
}

TEST(BigWigWriterErrors, BadSpans) {
    const std::string path = temp_path("spans.bw");
    BigWigWriter writer(path, {{"chr1", 20}, {"chr2", 5}});
    using Span = BigWigWriter::Span;
    std::vector<float> v(20, 1.0f);
    const auto message = [&](const std::vector<Span>& spans) {
        return error_message<attrprior::invalid_argument>([&] { writer.write_spans("chr1", spans); });
    };
    std::string msg = message({Span{0, 5, v.data()}, Span{4, 2, v.data()}});
    EXPECT_THAT(msg, HasSubstr("BigWigWriter::write_spans: spans[1] (chr1:4-6) of '" + path + "'"));
    EXPECT_THAT(msg, HasSubstr("starts before the end 5 of the previous span"));
    msg = message({Span{10, 5, v.data()}, Span{2, 2, v.data()}});
    EXPECT_THAT(msg, HasSubstr("spans[1] (chr1:2-4)"));
    EXPECT_THAT(msg, HasSubstr("sorted by start"));
    EXPECT_THAT(message({Span{15, 6, v.data()}}), HasSubstr("spans[0] (chr1:15-21) of '" + path +
                                                            "' passes the end of the chromosome (length 20)"));
    EXPECT_THAT(message({Span{1, 2, nullptr}}), HasSubstr("spans[0] (chr1:1-3) of '" + path + "' has null values"));
    EXPECT_THAT(message({Span{1, -2, v.data()}}), HasSubstr("negative length -2"));
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { writer.write_spans("chrX", {}); }),
                HasSubstr("write_spans: unknown chromosome 'chrX'"));
    v[7] = std::numeric_limits<float>::infinity();
    msg = error_message<attrprior::numeric_error>([&] { writer.write_spans("chr1", {Span{10, 10, v.data()}}); });
    EXPECT_THAT(msg, HasSubstr("value at chr1:17 (chromosome 'chr1', position 17) is inf"));
    // The failed calls wrote nothing: chr1 can still be written, then not again.
    v[7] = 1.0f;
    writer.write_spans("chr1", {Span{10, 10, v.data()}});
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { writer.write_spans("chr1", {}); }),
                HasSubstr("'chr1' of '" + path + "' was already written"));
    writer.close();
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { writer.write_spans("chr2", {}); }),
                HasSubstr("already closed"));
    std::vector<float> expected(20, 0.0f);
    std::fill(expected.begin() + 10, expected.end(), 1.0f);
    EXPECT_EQ(BigWigReader(path).read("chr1", 0, 20), expected);
}

TEST(BigWigWriterErrors, BadChromosomeLists) {
    const std::string path = temp_path("bad_list.bw");
    using attrprior::testing::expect_invalid;
    expect_invalid([&] { BigWigWriter w(path, {}); }, "empty");
    expect_invalid([&] { BigWigWriter w(path, {{"chr1", 5}, {"", 3}}); }, "empty name");
    expect_invalid([&] { BigWigWriter w(path, {{"chr1", 5}, {"chr1", 3}}); }, "'chr1' is listed twice");
    expect_invalid([&] { BigWigWriter w(path, {{"chr1", -1}}); }, "length = -1");
    expect_invalid([&] { BigWigWriter w(path, {{"chr1", Index{1} << 32}}); }, "length = 4294967296");
    expect_invalid([&] { BigWigWriter w(path, {{"a", 0}, {"b", 0}}); }, "length 0");
    const std::string msg = error_message<attrprior::invalid_argument>([&] { BigWigWriter w(path, {{"chr1", -1}}); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("'chr1'"));
    EXPECT_FALSE(std::filesystem::exists(path));  // argument errors create no file
}

TEST(BigWigWriterErrors, CannotCreate) {
    const std::string path = temp_path("no_such_dir") + "/out.bw";
    std::string msg = error_message<attrprior::io_error>([&] { BigWigWriter w(path, {{"chr1", 5}}); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("does not exist"));
    const std::string dir = temp_path("dir_target.bw");
    std::filesystem::create_directories(dir);
    msg = error_message<attrprior::io_error>([&] { BigWigWriter w(dir, {{"chr1", 5}}); });
    EXPECT_THAT(msg, HasSubstr(dir));
    EXPECT_THAT(msg, HasSubstr("directory"));  // "Is a directory" from fopen
    std::filesystem::remove(dir);
}

/// Runs f in a child process (a death test) with the file size limit at `bytes`, so that
/// writes past it fail with EFBIG (SIGXFSZ is ignored). Exits 0 if f throws an io_error
/// whose message contains every needle, 1 otherwise (printing the message). The message is
/// checked here because the limit also truncates the child's stderr, which gtest captures in
/// a file.
template <class F>
[[noreturn]] void with_file_size_limit(rlim_t bytes, const std::vector<std::string>& needles, F&& f) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    getrlimit(RLIMIT_FSIZE, &limit);
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
    try {
        f();
    } catch (const attrprior::io_error& e) {
        const std::string msg = e.what();
        for (const std::string& needle : needles) {
            if (msg.find(needle) == std::string::npos) {
                std::cerr << msg << std::endl;
                std::_Exit(1);
            }
        }
        std::_Exit(0);
    }
    std::_Exit(1);
}

TEST(BigWigWriterDeathTest, WriteFailuresAreReported) {
    ::testing::FLAGS_gtest_death_test_style = "threadsafe";
    const std::string path = temp_path("too_big.bw");
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> value(0.5f, 1.0f);
    std::vector<float> small(2000);  // one block of distinct values: kept in memory until close
    for (float& x : small) x = value(rng);
    const Track large = large_track(9);  // many blocks: written during write_chromosome

    // The header does not fit: the constructor reports it.
    EXPECT_EXIT(with_file_size_limit(16, {path, "cannot write the header"},
                                     [&] { BigWigWriter writer(path, {{"c", 2000}}); }),
                ::testing::ExitedWithCode(0), "");
    // The header fits, the data block does not: close() reports it.
    EXPECT_EXIT(with_file_size_limit(4096, {path, "BigWigWriter::close", "incomplete"}, [&] {
                    BigWigWriter writer(path, {{"c", 2000}});
                    writer.write_chromosome("c", small.data(), 2000);
                    writer.close();
                }),
                ::testing::ExitedWithCode(0), "");
    // Full blocks are written while the chromosome is: write_chromosome reports it, and
    // libBigWig's buffer is not overrun (AddressSanitizer would abort the child).
    EXPECT_EXIT(with_file_size_limit(40000, {path, "'big'", "libBigWig failed"}, [&] {
                    BigWigWriter writer(path, large.chromosomes);
                    writer.write_chromosome("big", large.values[0].data(), 400001);
                }),
                ::testing::ExitedWithCode(0), "");
}

}  // namespace
