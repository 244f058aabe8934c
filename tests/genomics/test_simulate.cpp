// Tests of attrprior/genomics/simulate.hpp: the simulator's invariants and its files.
#include "attrprior/genomics/simulate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "../support/temp_files.hpp"

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;
using attrprior::Index;
using attrprior::testing::read_tsv;

namespace {

ag::SimulationOptions small_options() {
    ag::SimulationOptions o;
    o.chromosomes = 2;
    o.chromosome_length = 60000;
    o.positives = 50;
    o.window = 1000;
    o.seed = 7;
    return o;
}

int base_index(char b) {
    switch (b) {
        case 'A': return 0;
        case 'C': return 1;
        case 'G': return 2;
        case 'T': return 3;
        default: return -1;
    }
}

std::string revcomp(const std::string& s) {
    std::string out(s.rbegin(), s.rend());
    for (char& c : out) c = "TGCA"[base_index(c)];
    return out;
}

/// Log-odds of `seq` (read on the motif's strand) under the PWM vs the i.i.d. background.
double log_odds(const ag::Motif& m, const std::string& seq, const std::array<double, 4>& bg) {
    double s = 0;
    for (Index i = 0; i < m.length(); ++i) {
        const int b = base_index(seq[static_cast<std::size_t>(i)]);
        s += std::log(std::max(m.probabilities[i][b], 1e-300) / bg[b]);
    }
    return s;
}

std::size_t chrom_index(const ag::SimulatedGenome& g, const std::string& chrom) {
    return static_cast<std::size_t>(std::find(g.names.begin(), g.names.end(), chrom) -
                                    g.names.begin());
}

bool same_intervals(const std::vector<ag::Interval>& a, const std::vector<ag::Interval>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].chrom != b[i].chrom || a[i].start != b[i].start || a[i].end != b[i].end ||
            a[i].name != b[i].name || a[i].score != b[i].score || a[i].summit != b[i].summit) {
            return false;
        }
    }
    return true;
}

/// The peak windows containing [start, end) entirely.
std::vector<const ag::Interval*> containing_peaks(const ag::SimulatedGenome& g,
                                                  const ag::Interval& site) {
    std::vector<const ag::Interval*> out;
    for (const ag::Interval& p : g.peaks) {
        if (p.chrom == site.chrom && p.start <= site.start && site.end <= p.end) {
            out.push_back(&p);
        }
    }
    return out;
}

fs::path scratch_dir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() /
                         ("attrprior_sim_" + std::to_string(::getpid())) / name;
    fs::remove_all(dir);
    return dir;
}

struct CleanScratch {
    ~CleanScratch() {
        std::error_code ec;
        fs::remove_all(fs::temp_directory_path() /
                           ("attrprior_sim_" + std::to_string(::getpid())),
                       ec);
    }
} clean_scratch;

}  // namespace

TEST(Simulate, DeterministicForASeed) {
    const ag::SimulationOptions o = small_options();
    const ag::SimulatedGenome a = ag::simulate_genome(o);
    const ag::SimulatedGenome b = ag::simulate_genome(o);
    EXPECT_EQ(a.names, b.names);
    EXPECT_EQ(a.sequences, b.sequences);
    EXPECT_TRUE(same_intervals(a.peaks, b.peaks));
    EXPECT_TRUE(same_intervals(a.sites, b.sites));
}

TEST(Simulate, DifferentSeedsDiffer) {
    ag::SimulationOptions o = small_options();
    const ag::SimulatedGenome a = ag::simulate_genome(o);
    o.seed = 8;
    const ag::SimulatedGenome b = ag::simulate_genome(o);
    EXPECT_NE(a.sequences, b.sequences);
    EXPECT_FALSE(same_intervals(a.peaks, b.peaks));
    // The sequences are unrelated: about a quarter to a third of bases agree by chance.
    Index same = 0;
    for (std::size_t i = 0; i < a.sequences[0].size(); ++i) {
        same += a.sequences[0][i] == b.sequences[0][i];
    }
    EXPECT_LT(static_cast<double>(same) / a.sequences[0].size(), 0.4);
}

TEST(Simulate, ChromosomesHaveTheRequestedShape) {
    const ag::SimulationOptions o = small_options();
    const ag::SimulatedGenome g = ag::simulate_genome(o);
    ASSERT_EQ(g.names.size(), 2u);
    EXPECT_EQ(g.names[0], "chr1");
    EXPECT_EQ(g.names[1], "chr2");
    for (const std::string& s : g.sequences) {
        ASSERT_EQ(static_cast<Index>(s.size()), o.chromosome_length);
        EXPECT_EQ(s.find_first_not_of("ACGT"), std::string::npos);
    }
}

TEST(Simulate, PeaksAreNonOverlappingWindowsAwayFromEnds) {
    const ag::SimulationOptions o = small_options();
    const ag::SimulatedGenome g = ag::simulate_genome(o);
    ASSERT_EQ(static_cast<Index>(g.peaks.size()), o.positives);
    std::map<std::string, Index> per_chrom;
    for (std::size_t i = 0; i < g.peaks.size(); ++i) {
        const ag::Interval& p = g.peaks[i];
        EXPECT_EQ(p.name, "peak_" + std::to_string(i + 1));
        EXPECT_EQ(p.end - p.start, o.window);
        EXPECT_GE(p.start, o.window);
        EXPECT_LE(p.end, o.chromosome_length - o.window);
        EXPECT_EQ(p.summit, p.start + o.window / 2);
        EXPECT_GE(p.score, o.sites_per_positive_min);
        EXPECT_LE(p.score, o.sites_per_positive_max);
        ++per_chrom[p.chrom];
        if (i > 0 && g.peaks[i - 1].chrom == p.chrom) {
            EXPECT_LE(g.peaks[i - 1].end, p.start) << "peaks overlap or are unsorted at " << i;
        }
    }
    EXPECT_EQ(per_chrom["chr1"], 25);
    EXPECT_EQ(per_chrom["chr2"], 25);
}

TEST(Simulate, SitesLieInTheCentreOfTheirPeakWithoutOverlap) {
    ag::SimulationOptions o = small_options();
    o.motifs = {"SPI1", "GATA1", "CTCF"};
    o.sites_per_positive_min = 2;
    o.sites_per_positive_max = 4;
    const ag::SimulatedGenome g = ag::simulate_genome(o);
    std::map<std::string, Index> sites_in_peak, per_motif;
    Index plus = 0;
    for (std::size_t i = 0; i < g.sites.size(); ++i) {
        const ag::Interval& s = g.sites[i];
        const ag::Motif& m = ag::builtin_motif(s.name);
        EXPECT_EQ(s.end - s.start, m.length());
        EXPECT_TRUE(s.score == 1.0 || s.score == -1.0);
        EXPECT_EQ(s.summit, s.start + m.length() / 2);
        plus += s.score > 0;
        ++per_motif[s.name];
        const auto peaks = containing_peaks(g, s);
        ASSERT_EQ(peaks.size(), 1u) << "site " << i << " is not inside exactly one peak";
        const ag::Interval& p = *peaks[0];
        EXPECT_GE(s.start, p.start + o.window / 5);
        EXPECT_LE(s.end, p.end - o.window / 5);
        ++sites_in_peak[p.name];
        if (i > 0 && g.sites[i - 1].chrom == s.chrom) {
            EXPECT_LE(g.sites[i - 1].end, s.start) << "sites overlap or are unsorted at " << i;
        }
    }
    for (const ag::Interval& p : g.peaks) {
        EXPECT_EQ(sites_in_peak[p.name], static_cast<Index>(p.score)) << p.name;
        EXPECT_GE(sites_in_peak[p.name], 2);
        EXPECT_LE(sites_in_peak[p.name], 4);
    }
    // Every motif and both strands are used.
    EXPECT_EQ(per_motif.size(), 3u);
    const double n = static_cast<double>(g.sites.size());
    EXPECT_GT(plus, 0.3 * n);
    EXPECT_LT(plus, 0.7 * n);
}

TEST(Simulate, SiteSequencesAreDrawsFromThePwm) {
    ag::SimulationOptions o = small_options();
    o.motifs = {"SPI1", "GATA1", "CTCF"};
    const ag::SimulatedGenome g = ag::simulate_genome(o);
    const double gc = o.background_gc;
    const std::array<double, 4> bg{(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2};
    std::map<std::string, double> sum;
    std::map<std::string, Index> count;
    for (const ag::Interval& s : g.sites) {
        const ag::Motif& m = ag::builtin_motif(s.name);
        std::string seq = g.sequences[chrom_index(g, s.chrom)].substr(
            static_cast<std::size_t>(s.start), static_cast<std::size_t>(s.end - s.start));
        if (s.score < 0) seq = revcomp(seq);  // read the site on the motif's strand
        const double lo = log_odds(m, seq, bg);
        EXPECT_GT(lo, -100) << "a planted base has probability 0 under its PWM";
        sum[s.name] += lo;
        ++count[s.name];
    }
    for (const ag::Motif& m : ag::builtin_motifs()) {
        ASSERT_GT(count[m.name], 5) << m.name;
        // Expected log-odds of a PWM draw: the relative entropy of the PWM vs background.
        double kl = 0;
        for (const auto& row : m.probabilities) {
            for (int c = 0; c < 4; ++c) {
                if (row[c] > 0) kl += row[c] * std::log(row[c] / bg[c]);
            }
        }
        const double mean = sum[m.name] / static_cast<double>(count[m.name]);
        EXPECT_GT(mean, 5.0) << m.name;
        EXPECT_NEAR(mean, kl, 0.25 * kl) << m.name;
    }
    // Random background windows score far lower on average (negative expected log-odds).
    const ag::Motif& spi1 = ag::builtin_motif("SPI1");
    double background = 0;
    Index n = 0;
    for (Index start = 0; start + spi1.length() <= 20000; start += 37) {
        const std::string seq =
            g.sequences[0].substr(static_cast<std::size_t>(start),
                                  static_cast<std::size_t>(spi1.length()));
        background += log_odds(spi1, seq, bg);
        ++n;
    }
    EXPECT_LT(background / static_cast<double>(n), 0.0);
}

TEST(Simulate, GcFractionFollowsTheOption) {
    for (int order : {0, 1}) {
        for (double gc : {0.42, 0.6}) {
            ag::SimulationOptions o;
            o.chromosomes = 2;
            o.chromosome_length = 200000;
            o.positives = 0;
            o.background_gc = gc;
            o.markov_order = order;
            const ag::SimulatedGenome g = ag::simulate_genome(o);
            Index gc_count = 0, total = 0, c_count = 0, g_count = 0, cpg = 0;
            for (const std::string& s : g.sequences) {
                for (std::size_t i = 0; i < s.size(); ++i) {
                    gc_count += s[i] == 'C' || s[i] == 'G';
                    c_count += s[i] == 'C';
                    g_count += s[i] == 'G';
                    if (i + 1 < s.size()) cpg += s[i] == 'C' && s[i + 1] == 'G';
                }
                total += static_cast<Index>(s.size());
            }
            const double frac = static_cast<double>(gc_count) / static_cast<double>(total);
            EXPECT_NEAR(frac, gc, 0.01) << "order " << order << " gc " << gc;
            // CpG observed / expected: ~1 for i.i.d., well below 1 for the depleted chain.
            const double expected = static_cast<double>(c_count) * static_cast<double>(g_count) /
                                    static_cast<double>(total);
            const double ratio = static_cast<double>(cpg) / expected;
            if (order == 0) {
                EXPECT_NEAR(ratio, 1.0, 0.05) << gc;
            } else {
                EXPECT_LT(ratio, 0.5) << gc;
                EXPECT_GT(ratio, 0.2) << gc;
            }
        }
    }
}

TEST(Simulate, DefaultOptionsWork) {
    const ag::SimulationOptions o;
    const ag::SimulatedGenome g = ag::simulate_genome(o);
    EXPECT_EQ(static_cast<Index>(g.peaks.size()), 400);
    EXPECT_EQ(g.sequences.size(), 4u);
    EXPECT_GE(static_cast<Index>(g.sites.size()), 400);
    EXPECT_LE(static_cast<Index>(g.sites.size()), 1200);
    for (const ag::Interval& s : g.sites) EXPECT_EQ(s.name, "SPI1");
}

TEST(Simulate, DecoySitesFallOutsidePeaks) {
    ag::SimulationOptions o = small_options();
    o.negative_site_rate = 0.5;
    const ag::SimulatedGenome g = ag::simulate_genome(o);
    Index in_peaks = 0, decoys = 0;
    for (const ag::Interval& s : g.sites) {
        bool overlaps = false;
        for (const ag::Interval& p : g.peaks) {
            overlaps |= p.chrom == s.chrom && p.start < s.end && s.start < p.end;
        }
        if (containing_peaks(g, s).size() == 1) {
            ++in_peaks;
        } else {
            EXPECT_FALSE(overlaps) << "a decoy overlaps a peak";
            ++decoys;
        }
    }
    Index planted = 0;
    for (const ag::Interval& p : g.peaks) planted += static_cast<Index>(p.score);
    EXPECT_EQ(in_peaks, planted);
    // 120 tiles minus those touched by the 50 peaks (at most 100): ~20..70 free tiles.
    Index free_tiles = 0;
    for (std::size_t c = 0; c < g.names.size(); ++c) {
        for (Index lo = 0; lo + o.window <= o.chromosome_length; lo += o.window) {
            bool touched = false;
            for (const ag::Interval& p : g.peaks) {
                touched |= p.chrom == g.names[c] && p.start < lo + o.window && lo < p.end;
            }
            free_tiles += !touched;
        }
    }
    ASSERT_GT(free_tiles, 10);
    const double expected = 0.5 * static_cast<double>(free_tiles);
    EXPECT_NEAR(static_cast<double>(decoys), expected, 4 * std::sqrt(expected * 0.5) + 1);
    // Without decoys, every site lies in a peak.
    const ag::SimulatedGenome none = ag::simulate_genome(small_options());
    for (const ag::Interval& s : none.sites) EXPECT_EQ(containing_peaks(none, s).size(), 1u);
}

TEST(Simulate, InvalidOptionsThrow) {
    using attrprior::invalid_argument;
    auto with = [](auto change) {
        ag::SimulationOptions o = small_options();
        change(o);
        return o;
    };
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.chromosomes = 0; })), invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.window = 0; })), invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.positives = -1; })), invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.positives = 117; })), invalid_argument);
    EXPECT_NO_THROW(ag::simulate_genome(with([](auto& o) { o.positives = 116; })));
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.motifs = {"NOPE"}; })),
                 invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.motifs.clear(); })), invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.sites_per_positive_min = 0; })),
                 invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.sites_per_positive_min = 4; })),
                 invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.sites_per_positive_max = 31; })),
                 invalid_argument);  // 31 x 20 bases > 600
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.background_gc = 1.0; })),
                 invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.markov_order = 2; })),
                 invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.negative_site_rate = -0.1; })),
                 invalid_argument);
    EXPECT_THROW(ag::simulate_genome(with([](auto& o) { o.negative_site_rate = 51; })),
                 invalid_argument);  // 51 x 20 bases > 1000
    try {
        ag::simulate_genome(with([](auto& o) { o.positives = 117; }));
    } catch (const invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("positives = 117"), std::string::npos) << e.what();
    }
}

TEST(Simulate, WrittenFilesReadBack) {
    ag::SimulationOptions o = small_options();
    o.motifs = {"GATA1", "CTCF"};
    o.negative_site_rate = 0.2;
    const ag::SimulatedGenome g = ag::simulate_genome(o);
    const fs::path dir = scratch_dir("written") / "nested";
    ag::write_simulation(g, dir.string());

    // FASTA: headers, 60-base lines, same sequences.
    {
        std::ifstream in(dir / "genome.fa");
        ASSERT_TRUE(in.good());
        std::vector<std::string> names, seqs;
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line[0] == '>') {
                names.push_back(line.substr(1));
                seqs.emplace_back();
            } else {
                ASSERT_FALSE(seqs.empty());
                EXPECT_LE(line.size(), 60u);
                seqs.back() += line;
            }
        }
        EXPECT_EQ(names, g.names);
        EXPECT_EQ(seqs, g.sequences);
    }
    // narrowPeak: 10 columns, column 10 = summit offset.
    {
        const auto rows = read_tsv((dir / "peaks.narrowPeak").string());
        ASSERT_EQ(rows.size(), g.peaks.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            const ag::Interval& p = g.peaks[i];
            ASSERT_EQ(r.size(), 10u);
            EXPECT_EQ(r[0], p.chrom);
            EXPECT_EQ(std::stoll(r[1]), p.start);
            EXPECT_EQ(std::stoll(r[2]), p.end);
            EXPECT_EQ(r[3], p.name);
            EXPECT_EQ(std::stod(r[4]), p.score);
            EXPECT_EQ(r[5], ".");
            EXPECT_EQ(std::stod(r[6]), p.score);
            EXPECT_EQ(r[7], "-1");
            EXPECT_EQ(r[8], "-1");
            EXPECT_EQ(std::stoll(r[9]), p.summit - p.start);
        }
    }
    // BED6 sites: chrom start end motif score strand.
    {
        const auto rows = read_tsv((dir / "motif_sites.bed").string());
        ASSERT_EQ(rows.size(), g.sites.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            const ag::Interval& s = g.sites[i];
            ASSERT_EQ(r.size(), 6u);
            EXPECT_EQ(r[0], s.chrom);
            EXPECT_EQ(std::stoll(r[1]), s.start);
            EXPECT_EQ(std::stoll(r[2]), s.end);
            EXPECT_EQ(r[3], s.name);
            EXPECT_EQ(std::stod(r[4]), s.score);
            EXPECT_EQ(r[5], s.score > 0 ? "+" : "-");
        }
    }
}

TEST(Simulate, WriteFastaLineWidthAndErrors) {
    ag::SimulatedGenome g;
    g.names = {"a", "b"};
    g.sequences = {"ACGTACG", ""};
    const fs::path dir = scratch_dir("fasta");
    fs::create_directories(dir);
    const std::string path = (dir / "x.fa").string();
    ag::write_fasta(path, g, 3);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), ">a\nACG\nTAC\nG\n>b\n");

    EXPECT_THROW(ag::write_fasta(path, g, 0), attrprior::invalid_argument);
    ag::SimulatedGenome bad = g;
    bad.names[0] = "has space";
    EXPECT_THROW(ag::write_fasta(path, bad, 60), attrprior::invalid_argument);
    bad = g;
    bad.names.pop_back();
    EXPECT_THROW(ag::write_fasta(path, bad, 60), attrprior::invalid_argument);
    EXPECT_THROW(ag::write_fasta((dir / "missing" / "x.fa").string(), g), attrprior::io_error);

    // A directory that cannot be created: a regular file is in the way.
    const std::string blocker = (dir / "blocker").string();
    std::ofstream(blocker) << "x";
    try {
        ag::write_simulation(g, blocker);
        FAIL() << "no io_error";
    } catch (const attrprior::io_error& e) {
        EXPECT_NE(std::string(e.what()).find(blocker), std::string::npos) << e.what();
    }
    EXPECT_THROW(ag::write_simulation(g, blocker + "/sub"), attrprior::io_error);
}
