// Tests of attrprior/genomics/negatives.hpp: negatives sampled away from the peak regions,
// without duplicates, rejecting N-rich windows, GC-matched to the positives through
// per-bin quotas, a capped number of draws giving a reported shortfall, determinism for a
// seed, and option errors. The genomes are tests/support/binary_world.hpp's.
#include "attrprior/genomics/negatives.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../support/binary_world.hpp"
#include "../support/expect_error.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/sequence.hpp"

namespace ag = attrprior::genomics;
namespace agd = attrprior::genomics::detail;
using attrprior::Index;
using ::testing::HasSubstr;

namespace {

using namespace attrprior::testing::binary_world;
using attrprior::testing::expect_invalid;

/// GC fraction of every peak's summit window of the given length.
std::vector<double> peak_gc(const ag::Fasta& fasta, const std::vector<ag::Interval>& peaks, Index length) {
    std::vector<double> gc;
    for (const ag::Interval& p : peaks) {
        const Index start = p.summit - length / 2;
        gc.push_back(ag::gc_fraction(fasta.fetch(p.chrom, start, start + length)));
    }
    return gc;
}

double mean(const std::vector<double>& v) {
    return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

TEST(SampleNegatives, AvoidPeakRegionsAndDuplicates) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::NegativeSamplingOptions o;
    o.length = 600;
    o.min_distance = 300;
    o.negatives_per_positive = 3;
    o.seed = 4;
    const ag::SampledNegatives s = ag::sample_negatives(fasta, w.peaks, peak_gc(fasta, w.peaks, 600), o);
    const Index asked = 3 * static_cast<Index>(w.peaks.size());
    EXPECT_EQ(s.asked, asked);
    EXPECT_EQ(static_cast<Index>(s.examples.size()), asked);
    EXPECT_EQ(s.shortfall, 0);
    EXPECT_TRUE(s.shortfall_message.empty());
    EXPECT_GT(s.rejected_overlap, 0);
    EXPECT_GE(s.draws, asked + s.rejected_overlap + s.rejected_n);
    std::set<std::pair<std::string, Index>> seen;
    for (const ag::Example& e : s.examples) {
        EXPECT_EQ(e.label, 0);
        EXPECT_TRUE(seen.emplace(e.chrom, e.start).second) << "duplicate negative";
        EXPECT_GE(e.start, 0);
        EXPECT_LE(e.start + 600, w.lengths.at(e.chrom));
        for (const ag::Interval& p : w.peaks) {
            if (p.chrom != e.chrom) continue;
            const Index lo = std::min(p.start, p.summit - 300) - 300;
            const Index hi = std::max(p.end, p.summit - 300 + 600) + 300;
            EXPECT_FALSE(e.start < hi && lo < e.start + 600) << e.chrom << ":" << e.start << " overlaps peak " << p.name;
        }
    }
    // Every chromosome is sampled (held-out ones too: the sampler knows no splits).
    std::set<std::string> chroms;
    for (const ag::Example& e : s.examples) chroms.insert(e.chrom);
    EXPECT_EQ(chroms.size(), 4u);
}

TEST(SampleNegatives, RejectsWindowsWithTooManyN) {
    const World& w = n_world();
    ag::Fasta fasta(w.fasta);
    ag::NegativeSamplingOptions o;
    o.negatives_per_positive = 2;
    const ag::SampledNegatives s = ag::sample_negatives(fasta, w.peaks, peak_gc(fasta, w.peaks, o.length), o);
    EXPECT_EQ(s.shortfall, 0);
    EXPECT_GT(s.rejected_n, 0);  // draws landing on chrN
    for (const ag::Example& e : s.examples) EXPECT_NE(e.chrom, "chrN");
}

TEST(SampleNegatives, GcMatchedNegativesFollowThePositives) {
    const World& w = gc_world();
    ag::Fasta fasta(w.fasta);
    ASSERT_GE(w.peaks.size(), 25u);
    ag::NegativeSamplingOptions o;
    o.negatives_per_positive = 2;
    const std::vector<double> positive_gc = peak_gc(fasta, w.peaks, o.length);
    const auto negative_gc_mean = [&](const ag::SampledNegatives& s) {
        std::vector<double> gc;
        for (const ag::Example& e : s.examples) gc.push_back(ag::gc_fraction(fasta.fetch(e.chrom, e.start, e.start + o.length)));
        return mean(gc);
    };
    const ag::SampledNegatives plain = ag::sample_negatives(fasta, w.peaks, positive_gc, o);
    EXPECT_GT(mean(positive_gc) - negative_gc_mean(plain), 0.05) << "the test genome must separate the two";
    o.gc_matched = true;
    const ag::SampledNegatives matched = ag::sample_negatives(fasta, w.peaks, positive_gc, o);
    EXPECT_EQ(matched.shortfall, 0);
    EXPECT_EQ(static_cast<Index>(matched.examples.size()), 2 * static_cast<Index>(w.peaks.size()));
    EXPECT_NEAR(negative_gc_mean(matched), mean(positive_gc), 0.02);
    // Each GC bin holds exactly its quota.
    const std::vector<Index> quota = agd::negative_quotas(positive_gc, matched.asked, true);
    std::vector<Index> filled(quota.size(), 0);
    for (const ag::Example& e : matched.examples) {
        ++filled[static_cast<std::size_t>(agd::gc_bin(ag::gc_fraction(fasta.fetch(e.chrom, e.start, e.start + o.length))))];
    }
    EXPECT_EQ(filled, quota);
    // A cap too small to fill the quotas is a reported shortfall, not an error.
    o.max_attempts_per_negative = 1;
    const ag::SampledNegatives capped = ag::sample_negatives(fasta, w.peaks, positive_gc, o);
    EXPECT_GT(capped.shortfall, 0);
    EXPECT_EQ(static_cast<Index>(capped.examples.size()) + capped.shortfall, capped.asked);
    EXPECT_EQ(capped.draws, capped.asked);
    EXPECT_THAT(capped.shortfall_message, HasSubstr("shortfall"));
    EXPECT_THAT(capped.shortfall_message, HasSubstr("GC bin"));
}

TEST(SampleNegatives, DeterministicForASeed) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::NegativeSamplingOptions o;
    o.length = 300;
    const std::vector<double> gc = peak_gc(fasta, w.peaks, o.length);
    const ag::SampledNegatives a = ag::sample_negatives(fasta, w.peaks, gc, o), b = ag::sample_negatives(fasta, w.peaks, gc, o);
    EXPECT_EQ(a.examples, b.examples);
    EXPECT_EQ(a.draws, b.draws);
    o.seed = 2;
    EXPECT_NE(ag::sample_negatives(fasta, w.peaks, gc, o).examples, a.examples);
}

TEST(SampleNegatives, AsksForTheRoundedShareOfThePositives) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::NegativeSamplingOptions o;
    o.length = 200;
    o.negatives_per_positive = 1.5;
    const std::vector<double> three{0.4, 0.5, 0.6};
    const ag::SampledNegatives s = ag::sample_negatives(fasta, w.peaks, three, o);
    EXPECT_EQ(s.asked, 5);  // round(4.5), half away from zero
    EXPECT_EQ(s.examples.size(), 5u);
    // No positives, or no negatives per positive: nothing asked, no draw.
    const ag::SampledNegatives none = ag::sample_negatives(fasta, w.peaks, {}, o);
    EXPECT_EQ(none.asked, 0);
    EXPECT_EQ(none.draws, 0);
    EXPECT_TRUE(none.examples.empty());
    o.negatives_per_positive = 0;
    EXPECT_TRUE(ag::sample_negatives(fasta, w.peaks, three, o).examples.empty());
}

TEST(SampleNegatives, QuotasSumToTheNumberAskedFor) {
    EXPECT_EQ(agd::negative_quotas({0.1, 0.9}, 7, false), std::vector<Index>{7});
    // Bins 5 (x2) and 25 (x1), 7 asked: exact shares 4.67 and 2.33 -> 5 and 2.
    const std::vector<Index> q = agd::negative_quotas({0.1, 0.11, 0.5}, 7, true);
    ASSERT_EQ(q.size(), static_cast<std::size_t>(agd::kGcBins));
    EXPECT_EQ(q[5], 5);
    EXPECT_EQ(q[25], 2);
    EXPECT_EQ(std::accumulate(q.begin(), q.end(), Index{0}), 7);
    EXPECT_EQ(agd::gc_bin(0.0), 0);
    EXPECT_EQ(agd::gc_bin(0.0199), 0);
    EXPECT_EQ(agd::gc_bin(0.02), 1);
    EXPECT_EQ(agd::gc_bin(0.999), 49);
    EXPECT_EQ(agd::gc_bin(1.0), 49);
}

TEST(SampleNegatives, RejectsOptionsOutOfRangeNamingThem) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    const std::vector<double> gc{0.5};
    const auto bad = [&](const std::string& needle, auto change) {
        ag::NegativeSamplingOptions o;
        change(o);
        expect_invalid([&] { ag::sample_negatives(fasta, w.peaks, gc, o); }, needle);
    };
    using O = ag::NegativeSamplingOptions;
    bad("sample_negatives: options.length = 0", [](O& o) { o.length = 0; });
    bad("options.negatives_per_positive = -1", [](O& o) { o.negatives_per_positive = -1; });
    bad("options.negatives_per_positive = nan", [](O& o) { o.negatives_per_positive = NAN; });
    bad("options.min_distance = -1", [](O& o) { o.min_distance = -1; });
    bad("options.max_n_fraction = 1.5", [](O& o) { o.max_n_fraction = 1.5; });
    bad("options.max_attempts_per_negative = 0", [](O& o) { o.max_attempts_per_negative = 0; });
}
