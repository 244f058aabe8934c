// Tests of attrprior/genomics/coverage.hpp: the in-memory CoverageTrack (zeros, strided
// reads, errors), simulate_coverage (determinism, footprint geometry and read counts,
// background and control rates, the shared block bias, one-strand tracks, option errors)
// and the bigWig output (file names, write + BigWigReader round trip).
#include "attrprior/genomics/coverage.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_files.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace {

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;
using attrprior::Index;
using attrprior::testing::error_message;
using attrprior::testing::expect_invalid;
using ::testing::HasSubstr;

using ChromList = std::vector<std::pair<std::string, Index>>;

/// A genome for simulate_coverage, which only uses the names, the sequence lengths and
/// the sites: chromosomes of 'A' with hand-placed sites.
ag::SimulatedGenome genome_with(const ChromList& chromosomes, std::vector<ag::Interval> sites = {}) {
    ag::SimulatedGenome g;
    for (const auto& [name, length] : chromosomes) {
        g.names.push_back(name);
        g.sequences.push_back(std::string(static_cast<std::size_t>(length), 'A'));
    }
    g.sites = std::move(sites);
    return g;
}

ag::Interval site(const std::string& chrom, Index start, Index length) {
    ag::Interval s;
    s.chrom = chrom;
    s.start = start;
    s.end = start + length;
    s.name = "SITE";
    s.score = 1;
    s.summit = start + length / 2;
    return s;
}

/// Sites of lengths 6..20 (cycling) every `spacing` bases from spacing / 2 on.
std::vector<ag::Interval> spaced_sites(const ChromList& chromosomes, Index spacing) {
    std::vector<ag::Interval> sites;
    Index k = 0;
    for (const auto& [name, length] : chromosomes) {
        for (Index start = spacing / 2; start + spacing / 2 <= length; start += spacing) {
            sites.push_back(site(name, start, 6 + (k++ % 15)));
        }
    }
    return sites;
}

double total(const ag::CoverageTrack& t) {
    double s = 0;
    for (const auto& [name, length] : t.chromosomes()) {
        for (float v : t.values(name)) s += v;
    }
    return s;
}

Index total_length(const ag::CoverageTrack& t) {
    Index n = 0;
    for (const auto& c : t.chromosomes()) n += c.second;
    return n;
}

/// Every value is a non-negative whole number (each read adds 1).
void expect_counts(const ag::CoverageTrack& t) {
    for (const auto& [name, length] : t.chromosomes()) {
        const std::vector<float>& v = t.values(name);
        ASSERT_EQ(static_cast<Index>(v.size()), length);
        for (float x : v) {
            ASSERT_GE(x, 0.0f) << name;
            ASSERT_EQ(x, std::floor(x)) << name;
        }
    }
}

double sample_mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

double variance(const std::vector<double>& v) {
    const double m = sample_mean(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return s / static_cast<double>(v.size() - 1);
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
    const double ma = sample_mean(a), mb = sample_mean(b);
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

/// Sums of the track over consecutive blocks of `block` bases (per chromosome; a final
/// partial block is left out).
std::vector<double> block_totals(const ag::CoverageTrack& t, Index block) {
    std::vector<double> out;
    for (const auto& [name, length] : t.chromosomes()) {
        const std::vector<float>& v = t.values(name);
        for (Index lo = 0; lo + block <= length; lo += block) {
            double s = 0;
            for (Index i = lo; i < lo + block; ++i) s += v[static_cast<std::size_t>(i)];
            out.push_back(s);
        }
    }
    return out;
}

/// A fresh directory under the GoogleTest temp dir, unique per test and process.
std::string temp_dir(const std::string& name) {
    const std::string dir = attrprior::testing::temp_path("attrprior_coverage_", name);
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir);
    return dir;
}

ag::CoverageSimulationOptions quiet_options() {  // footprints only
    ag::CoverageSimulationOptions o;
    o.background_rate = 0;
    o.control_rate = 0;
    o.seed = 3;
    return o;
}

}  // namespace

// ---------------------------------------------------------------- CoverageTrack

TEST(CoverageTrack, StartsAtZeroAndKeepsTheChromosomeList) {
    const ChromList chroms{{"chr2", 10}, {"chr1", 5}, {"chrE", 0}};
    const ag::CoverageTrack t(chroms);
    EXPECT_EQ(t.chromosomes(), chroms);
    for (const auto& [name, length] : chroms) {
        EXPECT_TRUE(t.has_chromosome(name));
        EXPECT_EQ(t.length(name), length);
        EXPECT_EQ(t.values(name), std::vector<float>(static_cast<std::size_t>(length), 0.0f)) << name;
    }
    EXPECT_FALSE(t.has_chromosome("chr3"));
    EXPECT_FALSE(t.has_chromosome("CHR1"));

    const ag::CoverageTrack empty;
    EXPECT_TRUE(empty.chromosomes().empty());
    EXPECT_FALSE(empty.has_chromosome("chr1"));
}

TEST(CoverageTrack, ReadsWindowsWithAStrideIntoAnyScalar) {
    ag::CoverageTrack t({{"chr1", 10}, {"chr2", 4}, {"chrE", 0}});
    for (Index i = 0; i < 10; ++i) t.values("chr1")[static_cast<std::size_t>(i)] = 0.5f + static_cast<float>(i);
    t.values("chr2")[1] = -2.25f;

    std::vector<float> out(4, -7.0f);
    t.read("chr1", 2, 6, out.data());
    EXPECT_EQ(out, (std::vector<float>{2.5f, 3.5f, 4.5f, 5.5f}));

    // Stride 3 into double: only every third slot is written.
    std::vector<double> strided(10, -1.0);
    t.read("chr1", 6, 10, strided.data(), 3);
    EXPECT_EQ(strided, (std::vector<double>{6.5, -1, -1, 7.5, -1, -1, 8.5, -1, -1, 9.5}));

    // The chromosomes are independent; the whole chromosome and empty windows can be read.
    std::vector<float> chr2(4, 9.0f);
    t.read("chr2", 0, 4, chr2.data());
    EXPECT_EQ(chr2, (std::vector<float>{0.0f, -2.25f, 0.0f, 0.0f}));
    float untouched = 42.0f;
    t.read("chr1", 10, 10, &untouched);
    t.read("chrE", 0, 0, &untouched);
    EXPECT_EQ(untouched, 42.0f);
}

TEST(CoverageTrack, RejectsUnknownChromosomesAndWindowsOutOfRange) {
    ag::CoverageTrack t({{"chr1", 10}});
    std::vector<float> out(20);
    expect_invalid([&] { t.read("chrX", 0, 1, out.data()); }, "unknown chromosome 'chrX'");
    expect_invalid([&] { (void)t.length("chrX"); }, "'chrX'");
    expect_invalid([&] { (void)t.values("chrX"); }, "'chrX'");
    const ag::CoverageTrack& ct = t;
    expect_invalid([&] { (void)ct.values("chrX"); }, "'chrX'");

    expect_invalid([&] { t.read("chr1", -1, 3, out.data()); }, "chr1:-1-3");
    expect_invalid([&] { t.read("chr1", 5, 11, out.data()); }, "chr1:5-11");
    expect_invalid([&] { t.read("chr1", 6, 5, out.data()); }, "chr1:6-5");
    // The boundary itself is fine.
    EXPECT_NO_THROW(t.read("chr1", 0, 10, out.data()));
}

TEST(CoverageTrack, RejectsRepeatedNamesAndNegativeLengths) {
    const std::string twice = error_message<attrprior::invalid_argument>(
        [] { ag::CoverageTrack({{"chr1", 5}, {"chr2", 3}, {"chr1", 5}}); });
    EXPECT_THAT(twice, HasSubstr("chr1"));
    EXPECT_THAT(twice, HasSubstr("twice"));
    const std::string negative =
        error_message<attrprior::invalid_argument>([] { ag::CoverageTrack({{"chr1", 5}, {"chrNeg", -1}}); });
    EXPECT_THAT(negative, HasSubstr("'chrNeg'"));
    EXPECT_THAT(negative, HasSubstr("-1"));
}

// ---------------------------------------------------------------- simulate_coverage

TEST(SimulateCoverage, TracksCoverTheGenomePerStrand) {
    const ChromList chroms{{"chr1", 3000}, {"chr2", 2000}};
    const ag::SimulatedGenome g = genome_with(chroms, spaced_sites(chroms, 500));
    ag::CoverageSimulationOptions o;
    for (Index strands : {1, 2}) {
        o.strands = strands;
        const ag::SimulatedCoverage sim = ag::simulate_coverage(g, o);
        ASSERT_EQ(static_cast<Index>(sim.signal.size()), strands);
        ASSERT_EQ(static_cast<Index>(sim.control.size()), strands);
        for (const auto* tracks : {&sim.signal, &sim.control}) {
            for (const ag::CoverageTrack& t : *tracks) {
                EXPECT_EQ(t.chromosomes(), chroms);
                expect_counts(t);
                EXPECT_GT(total(t), 0.0);
            }
        }
    }
}

TEST(SimulateCoverage, DeterministicForASeedAndDifferentAcrossSeeds) {
    const ChromList chroms{{"chr1", 4000}, {"chr2", 2500}};
    const ag::SimulatedGenome g = genome_with(chroms, spaced_sites(chroms, 400));
    ag::CoverageSimulationOptions o;
    o.seed = 17;
    const ag::SimulatedCoverage a = ag::simulate_coverage(g, o), b = ag::simulate_coverage(g, o);
    o.seed = 18;
    const ag::SimulatedCoverage c = ag::simulate_coverage(g, o);
    for (std::size_t s = 0; s < 2; ++s) {
        for (const auto& [name, length] : chroms) {
            EXPECT_EQ(a.signal[s].values(name), b.signal[s].values(name));
            EXPECT_EQ(a.control[s].values(name), b.control[s].values(name));
            EXPECT_NE(a.signal[s].values(name), c.signal[s].values(name));
            EXPECT_NE(a.control[s].values(name), c.control[s].values(name));
        }
    }
}

// With footprint_sd = 0 every read of a site falls exactly on its strand's mode: the plus
// strand footprint_offset bases before the site, the minus strand as far after its end.
TEST(SimulateCoverage, FootprintModesAreExactWithoutSpread) {
    const ChromList chroms{{"chr1", 6000}, {"chr2", 5000}};
    const std::vector<ag::Interval> sites = spaced_sites(chroms, 500);
    ag::CoverageSimulationOptions o = quiet_options();
    o.footprint_sd = 0;
    o.footprint_offset = 5;
    const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with(chroms, sites), o);
    for (const auto& [name, length] : chroms) {
        std::vector<float> plus(static_cast<std::size_t>(length), 0.0f), minus = plus;
        for (const ag::Interval& s : sites) {
            if (s.chrom != name) continue;
            const std::size_t p = static_cast<std::size_t>(s.start - 5), m = static_cast<std::size_t>(s.end - 1 + 5);
            // Poisson(100) is never 0 in practice; the value is the site's read count.
            EXPECT_GT(sim.signal[0].values(name)[p], 0.0f) << name << ":" << p;
            EXPECT_GT(sim.signal[1].values(name)[m], 0.0f) << name << ":" << m;
            plus[p] = sim.signal[0].values(name)[p];
            minus[m] = sim.signal[1].values(name)[m];
        }
        // Nothing anywhere else, and no control reads at all.
        EXPECT_EQ(sim.signal[0].values(name), plus) << name;
        EXPECT_EQ(sim.signal[1].values(name), minus) << name;
        EXPECT_EQ(sim.control[0].values(name), std::vector<float>(static_cast<std::size_t>(length), 0.0f));
        EXPECT_EQ(sim.control[1].values(name), std::vector<float>(static_cast<std::size_t>(length), 0.0f));
    }
}

// Reads pooled over many sites: centred on the modes, spread footprint_sd, every read near
// a site, reads per site and strand ~ Poisson(reads_per_site).
TEST(SimulateCoverage, FootprintReadsClusterAroundTheStrandModes) {
    const ChromList chroms{{"chr1", 40000}, {"chr2", 30000}};
    const std::vector<ag::Interval> sites = spaced_sites(chroms, 500);  // 140 sites
    ag::CoverageSimulationOptions o = quiet_options();
    o.footprint_offset = 12;
    o.footprint_sd = 4;
    o.reads_per_site = 100;
    const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with(chroms, sites), o);
    const Index reach = 40;  // 10 sd: windows of neighbouring sites (500 apart) never meet
    for (std::size_t strand = 0; strand < 2; ++strand) {
        const ag::CoverageTrack& t = sim.signal[strand];
        double n = 0, sum = 0, sum2 = 0, in_windows = 0;
        std::vector<double> per_site;
        for (const ag::Interval& s : sites) {
            const Index mode = strand == 0 ? s.start - 12 : s.end - 1 + 12;
            double count = 0;
            for (Index pos = mode - reach; pos <= mode + reach; ++pos) {
                const double c = t.values(s.chrom)[static_cast<std::size_t>(pos)];
                const double d = static_cast<double>(pos - mode);
                count += c;
                n += c;
                sum += c * d;
                sum2 += c * d * d;
            }
            per_site.push_back(count);
            in_windows += count;
        }
        SCOPED_TRACE(strand == 0 ? "plus" : "minus");
        EXPECT_EQ(in_windows, total(t));  // every read lies near its site's mode
        const double m = sum / n, sd = std::sqrt(sum2 / n - m * m);
        // Mean offset 0 within 5 standard errors (sd / sqrt(n), n ~ 14000).
        EXPECT_NEAR(m, 0.0, 5 * 4 / std::sqrt(n));
        // Rounding to whole bases adds 1/12 to the variance.
        EXPECT_NEAR(sd, std::sqrt(16.0 + 1.0 / 12), 0.05 * 4);
        // Reads per site: mean 100 (standard error 10 / sqrt(140)), variance ~100.
        EXPECT_NEAR(sample_mean(per_site), 100.0, 5 * 10 / std::sqrt(static_cast<double>(sites.size())));
        EXPECT_GT(variance(per_site), 50.0);
        EXPECT_LT(variance(per_site), 200.0);
    }
    EXPECT_EQ(total(sim.control[0]) + total(sim.control[1]), 0.0);
}

// Read counts per site follow Poisson(reads_per_site) for a small mean (exact sampler) and
// a large one (normal approximation): mean, variance and P(0).
TEST(SimulateCoverage, ReadsPerSiteArePoisson) {
    const ChromList chroms{{"chr1", 200000}};
    const std::vector<ag::Interval> sites = spaced_sites(chroms, 100);  // 2000 sites
    const double n = static_cast<double>(sites.size());
    for (double lambda : {2.5, 100.0}) {
        SCOPED_TRACE(lambda);
        ag::CoverageSimulationOptions o = quiet_options();
        o.footprint_sd = 0;
        o.footprint_offset = 0;
        o.reads_per_site = lambda;
        const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with(chroms, sites), o);
        std::vector<double> counts;
        double zeros = 0;
        for (const ag::Interval& s : sites) {
            const double c = sim.signal[0].values("chr1")[static_cast<std::size_t>(s.start)];
            counts.push_back(c);
            zeros += c == 0 ? 1 : 0;
            counts.push_back(sim.signal[1].values("chr1")[static_cast<std::size_t>(s.end - 1)]);
        }
        const double k = static_cast<double>(counts.size());
        EXPECT_NEAR(sample_mean(counts), lambda, 5 * std::sqrt(lambda / k));
        // Standard error of a sample variance: sqrt((2 lambda^2 + lambda) / k).
        EXPECT_NEAR(variance(counts), lambda, 5 * std::sqrt((2 * lambda * lambda + lambda) / k));
        const double p0 = std::exp(-lambda);
        EXPECT_NEAR(zeros / n, p0, 5 * std::sqrt(p0 * (1 - p0) / n) + 1e-9);
    }
}

TEST(SimulateCoverage, ReadsPastAChromosomeEndAreDropped) {
    const ChromList chroms{{"chr1", 40}};
    // Plus mode at 2 - 5 < 0, minus mode at 36 + 5 >= 40: every read falls off.
    const std::vector<ag::Interval> sites{site("chr1", 2, 35)};
    ag::CoverageSimulationOptions o = quiet_options();
    o.footprint_sd = 0;
    o.footprint_offset = 5;
    const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with(chroms, sites), o);
    EXPECT_EQ(total(sim.signal[0]), 0.0);
    EXPECT_EQ(total(sim.signal[1]), 0.0);
    // Offset 2 keeps them on the chromosome (at 0 and 38).
    o.footprint_offset = 2;
    const ag::SimulatedCoverage kept = ag::simulate_coverage(genome_with(chroms, sites), o);
    EXPECT_GT(kept.signal[0].values("chr1")[0], 0.0f);
    EXPECT_GT(kept.signal[1].values("chr1")[38], 0.0f);
    EXPECT_EQ(total(kept.signal[0]), kept.signal[0].values("chr1")[0]);
    EXPECT_EQ(total(kept.signal[1]), kept.signal[1].values("chr1")[38]);
}

TEST(SimulateCoverage, OneStrandKeepsOnlyThePlusFootprint) {
    const ChromList chroms{{"chr1", 5000}};
    const std::vector<ag::Interval> sites = spaced_sites(chroms, 500);
    ag::CoverageSimulationOptions o = quiet_options();
    o.strands = 1;
    o.footprint_sd = 0;
    o.footprint_offset = 7;
    const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with(chroms, sites), o);
    ASSERT_EQ(sim.signal.size(), 1u);
    ASSERT_EQ(sim.control.size(), 1u);
    const std::vector<float>& v = sim.signal[0].values("chr1");
    double at_modes = 0;
    for (const ag::Interval& s : sites) {
        EXPECT_GT(v[static_cast<std::size_t>(s.start - 7)], 0.0f);
        EXPECT_EQ(v[static_cast<std::size_t>(s.end - 1 + 7)], 0.0f);  // no minus footprint
        at_modes += v[static_cast<std::size_t>(s.start - 7)];
    }
    EXPECT_EQ(at_modes, total(sim.signal[0]));
    EXPECT_EQ(total(sim.control[0]), 0.0);
}

// Without sites, signal and control carry background reads only: per base and strand,
// background_rate and control_rate on average.
TEST(SimulateCoverage, BackgroundAndControlRatesPerBase) {
    const ChromList chroms{{"chr1", 100000}, {"chr2", 100000}};
    ag::CoverageSimulationOptions o;
    o.background_rate = 0.05;
    o.control_rate = 0.2;
    o.bias_block = 200;
    o.seed = 5;
    const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with(chroms), o);
    // Per block of w bases, reads ~ Poisson(r w b) with b ~ Gamma(2, mean 1): variance
    // r w + (r w)^2 / 2. The standard deviation of the mean per base over B blocks follows.
    const double w = 200, blocks = 1000, bases = w * blocks;
    const auto tolerance = [&](double r) {
        return 5 * std::sqrt(blocks * (r * w + 0.5 * r * w * r * w)) / bases;
    };
    for (std::size_t s = 0; s < 2; ++s) {
        ASSERT_EQ(total_length(sim.signal[s]), 200000);
        expect_counts(sim.signal[s]);
        expect_counts(sim.control[s]);
        EXPECT_NEAR(total(sim.signal[s]) / bases, 0.05, tolerance(0.05)) << "signal strand " << s;
        EXPECT_NEAR(total(sim.control[s]) / bases, 0.2, tolerance(0.2)) << "control strand " << s;
    }
    // Rate 0 gives nothing.
    o.background_rate = 0;
    const ag::SimulatedCoverage none = ag::simulate_coverage(genome_with(chroms), o);
    EXPECT_EQ(total(none.signal[0]) + total(none.signal[1]), 0.0);
    EXPECT_GT(total(none.control[0]), 0.0);
}

// One bias factor per block, shared by signal and control and by both strands: block totals
// are strongly correlated across the four tracks, and independent between neighbouring
// blocks; reads are spread uniformly over their block.
TEST(SimulateCoverage, BackgroundBiasIsSharedPerBlock) {
    const ChromList chroms{{"chr1", 120000}, {"chr2", 80000}};
    ag::CoverageSimulationOptions o;
    o.background_rate = 0.5;
    o.control_rate = 0.5;
    o.bias_block = 200;
    o.seed = 9;
    const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with(chroms), o);
    const std::vector<double> sp = block_totals(sim.signal[0], 200), sm = block_totals(sim.signal[1], 200),
                              cp = block_totals(sim.control[0], 200), cm = block_totals(sim.control[1], 200);
    ASSERT_EQ(sp.size(), 1000u);
    // Expected correlation (r w)^2 / 2 / (r w + (r w)^2 / 2) = 0.98 for r w = 100; 0 if the
    // tracks drew their own biases.
    EXPECT_GT(correlation(sp, cp), 0.9);
    EXPECT_GT(correlation(sp, sm), 0.9);
    EXPECT_GT(correlation(sm, cm), 0.9);
    const std::vector<double> head(sp.begin(), sp.end() - 1), next(sp.begin() + 1, sp.end());
    EXPECT_LT(std::abs(correlation(head, next)), 0.15);  // standard error ~0.03
    // The variance of block totals shows the bias: r w + (r w)^2 / 2 = 5100, not the
    // Poisson 100.
    EXPECT_GT(variance(sp), 2500.0);

    // Positions within a block: uniform over all 200 bases (mean 99.5, sd 57.7).
    double n = 0, sum = 0, first = 0, last = 0;
    for (const auto& [name, length] : chroms) {
        const std::vector<float>& v = sim.signal[0].values(name);
        for (Index i = 0; i < length; ++i) {
            const double c = v[static_cast<std::size_t>(i)];
            const Index offset = i % 200;
            n += c;
            sum += c * static_cast<double>(offset);
            first += offset == 0 ? c : 0;
            last += offset == 199 ? c : 0;
        }
    }
    EXPECT_NEAR(sum / n, 99.5, 5 * 57.7 / std::sqrt(n));
    EXPECT_NEAR(first, n / 200, 5 * std::sqrt(n / 200) + 0.1 * n / 200);
    EXPECT_NEAR(last, n / 200, 5 * std::sqrt(n / 200) + 0.1 * n / 200);
}

TEST(SimulateCoverage, ZeroReadsPerSiteAndShortLastBlock) {
    const ChromList chroms{{"chr1", 1050}};
    ag::CoverageSimulationOptions o;
    o.reads_per_site = 0;
    o.background_rate = 0;
    o.control_rate = 2;  // dense: every block has reads
    o.bias_block = 200;  // the last block has 50 bases
    const ag::SimulatedCoverage sim =
        ag::simulate_coverage(genome_with(chroms, {site("chr1", 500, 10)}), o);
    EXPECT_EQ(total(sim.signal[0]) + total(sim.signal[1]), 0.0);
    const std::vector<float>& c = sim.control[0].values("chr1");
    EXPECT_GT(std::accumulate(c.begin() + 1000, c.end(), 0.0), 0.0);
}

TEST(SimulateCoverage, OptionErrorsNameTheOption) {
    const ag::SimulatedGenome g = genome_with({{"chr1", 1000}});
    const auto expect_bad = [&](const char* option, auto change) {
        ag::CoverageSimulationOptions o;
        change(o);
        expect_invalid([&] { ag::simulate_coverage(g, o); }, std::string("simulate_coverage: ") + option);
    };
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    expect_bad("strands", [](auto& o) { o.strands = 0; });
    expect_bad("strands", [](auto& o) { o.strands = 3; });
    expect_bad("reads_per_site", [](auto& o) { o.reads_per_site = -1; });
    expect_bad("reads_per_site", [&](auto& o) { o.reads_per_site = nan; });
    expect_bad("reads_per_site", [&](auto& o) { o.reads_per_site = inf; });
    expect_bad("footprint_offset", [](auto& o) { o.footprint_offset = -0.5; });
    expect_bad("footprint_offset", [&](auto& o) { o.footprint_offset = nan; });
    expect_bad("footprint_sd", [](auto& o) { o.footprint_sd = -1; });
    expect_bad("footprint_sd", [&](auto& o) { o.footprint_sd = inf; });
    expect_bad("background_rate", [](auto& o) { o.background_rate = -0.1; });
    expect_bad("background_rate", [&](auto& o) { o.background_rate = nan; });
    expect_bad("control_rate", [](auto& o) { o.control_rate = -0.1; });
    expect_bad("control_rate", [&](auto& o) { o.control_rate = inf; });
    expect_bad("bias_block", [](auto& o) { o.bias_block = 0; });
    // The boundaries are accepted.
    ag::CoverageSimulationOptions zero;
    zero.reads_per_site = zero.footprint_offset = zero.footprint_sd = zero.background_rate = zero.control_rate = 0;
    zero.bias_block = 1;
    EXPECT_NO_THROW(ag::simulate_coverage(g, zero));
}

// ---------------------------------------------------------------- bigWig output

TEST(CoverageFiles, FileNames) {
    EXPECT_EQ(ag::coverage_file_names("signal", 2),
              (std::vector<std::string>{"signal_plus.bw", "signal_minus.bw"}));
    EXPECT_EQ(ag::coverage_file_names("control", 2),
              (std::vector<std::string>{"control_plus.bw", "control_minus.bw"}));
    EXPECT_EQ(ag::coverage_file_names("signal", 1), (std::vector<std::string>{"signal.bw"}));
    EXPECT_EQ(ag::coverage_file_names("control", 1), (std::vector<std::string>{"control.bw"}));
}

TEST(CoverageFiles, WriteCoverageRoundTripsThroughBigWigReader) {
    const ChromList chroms{{"chr2", 6000}, {"chr1", 4000}};  // not in name order
    const ag::SimulatedGenome g = genome_with(chroms, spaced_sites(chroms, 500));
    for (Index strands : {2, 1}) {
        SCOPED_TRACE(strands);
        ag::CoverageSimulationOptions o;
        o.strands = strands;
        o.seed = 21;
        const ag::SimulatedCoverage sim = ag::simulate_coverage(g, o);
        const std::string dir = temp_dir("strands" + std::to_string(strands));
        ag::write_coverage(sim, dir);
        Index files = 0;
        for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file() ? 1 : 0;
        EXPECT_EQ(files, 2 * strands);  // nothing else is written
        for (const auto& [kind, tracks] : {std::pair{"signal", &sim.signal}, std::pair{"control", &sim.control}}) {
            const std::vector<std::string> names = ag::coverage_file_names(kind, strands);
            for (Index s = 0; s < strands; ++s) {
                const ag::CoverageTrack& t = (*tracks)[static_cast<std::size_t>(s)];
                const ag::BigWigReader bw((fs::path(dir) / names[static_cast<std::size_t>(s)]).string());
                EXPECT_EQ(bw.chromosomes(), chroms);
                for (const auto& [name, length] : chroms) {
                    EXPECT_EQ(bw.read(name, 0, length), t.values(name)) << kind << " " << s << " " << name;
                }
            }
        }
        fs::remove_all(dir);
    }
}

TEST(CoverageFiles, WriteBigWigKeepsArbitraryValues) {
    ag::CoverageTrack t({{"chrB", 30}, {"chrA", 12}});
    for (Index i = 0; i < 30; ++i) t.values("chrB")[static_cast<std::size_t>(i)] = 0.125f * static_cast<float>(i % 5);
    t.values("chrA")[11] = 3.75f;
    const std::string dir = temp_dir("arbitrary");
    const std::string path = (fs::path(dir) / "t.bw").string();
    ag::write_bigwig(t, path);
    const ag::BigWigReader bw(path);
    EXPECT_EQ(bw.chromosomes(), t.chromosomes());
    EXPECT_EQ(bw.read("chrB", 0, 30), t.values("chrB"));
    EXPECT_EQ(bw.read("chrA", 0, 12), t.values("chrA"));
    // A BigWigReader and the CoverageTrack answer reads alike.
    std::vector<float> a(8), b(8);
    bw.read("chrB", 3, 11, a.data());
    t.read("chrB", 3, 11, b.data());
    EXPECT_EQ(a, b);
    fs::remove_all(dir);
}

TEST(CoverageFiles, MissingDirectoryIsAnIoError) {
    const ag::SimulatedCoverage sim = ag::simulate_coverage(genome_with({{"chr1", 500}}), {});
    const std::string missing = temp_dir("parent") + "/does/not/exist";
    EXPECT_THAT(error_message<attrprior::io_error>([&] { ag::write_coverage(sim, missing); }),
                HasSubstr("does/not/exist"));
    fs::remove_all(fs::path(missing).parent_path().parent_path().parent_path());
}
