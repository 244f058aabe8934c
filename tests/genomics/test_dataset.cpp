// Tests of attrprior/genomics/dataset.hpp: windows, splits, negatives, balanced batches and
// the prefetching batcher, on a small simulated genome written to disk.
#include "attrprior/genomics/dataset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;
using attrprior::Index;
using ::testing::HasSubstr;

namespace {

fs::path scratch_root() {
    return fs::path(::testing::TempDir()) /
           ("attrprior_dataset_" + std::to_string(static_cast<long>(::getpid())));
}

struct CleanScratch {
    ~CleanScratch() {
        std::error_code ec;
        fs::remove_all(scratch_root(), ec);
    }
} clean_scratch;

/// A simulated genome written to disk: FASTA + narrowPeak, read back with the readers.
struct World {
    std::string fasta;
    std::vector<ag::Interval> peaks;
    std::map<std::string, Index> lengths;
};

World write_world(const ag::SimulatedGenome& g, const std::string& name,
                  const std::vector<ag::Interval>& peaks) {
    const fs::path dir = scratch_root() / name;
    fs::remove_all(dir);
    ag::write_simulation(g, dir.string());
    World w;
    w.fasta = (dir / "genome.fa").string();
    const std::string np = (dir / "chosen.narrowPeak").string();
    ag::write_narrowpeak(np, peaks);
    w.peaks = ag::read_narrowpeak(np);
    for (std::size_t c = 0; c < g.names.size(); ++c) {
        w.lengths[g.names[c]] = static_cast<Index>(g.sequences[c].size());
    }
    return w;
}

ag::SimulationOptions sim_options() {
    ag::SimulationOptions o;
    o.chromosomes = 4;
    o.chromosome_length = 50000;
    o.positives = 60;
    o.window = 1000;
    o.seed = 11;
    return o;
}

/// 4 chromosomes x 50 kb, 60 peaks (15 per chromosome), no N.
const World& world() {
    static const World w = [] {
        const ag::SimulatedGenome g = ag::simulate_genome(sim_options());
        return write_world(g, "plain", g.peaks);
    }();
    return w;
}

/// As world(), but the second half of every chromosome is GC-rich (65%) and only the
/// peaks inside those halves are kept, so positives are GC-richer than the genome.
const World& gc_world() {
    static const World w = [] {
        ag::SimulationOptions o = sim_options();
        o.chromosome_length = 60000;
        o.positives = 80;
        ag::SimulatedGenome g = ag::simulate_genome(o);
        std::mt19937_64 rng(5);
        std::uniform_real_distribution<double> u(0, 1);
        for (std::string& s : g.sequences) {
            for (std::size_t i = s.size() / 2; i < s.size(); ++i) {
                const double r = u(rng);
                s[i] = r < 0.325 ? 'G' : r < 0.65 ? 'C' : r < 0.825 ? 'A' : 'T';
            }
        }
        std::vector<ag::Interval> rich;
        for (const ag::Interval& p : g.peaks) {
            if (p.start >= o.chromosome_length / 2) rich.push_back(p);
        }
        return write_world(g, "gc", rich);
    }();
    return w;
}

/// As world(), plus an N block at the start of peak 0 (25% of its window) and a fifth
/// chromosome "chrN" made only of N.
const World& n_world() {
    static const World w = [] {
        ag::SimulatedGenome g = ag::simulate_genome(sim_options());
        const ag::Interval& p0 = g.peaks[0];
        g.sequences[0].replace(static_cast<std::size_t>(p0.start), 250, std::string(250, 'N'));
        g.names.push_back("chrN");
        g.sequences.push_back(std::string(20000, 'N'));
        return write_world(g, "with_n", g.peaks);
    }();
    return w;
}

/// A one-hot row block (L x 4) decoded to bases; an all-zero row gives 'N'.
std::string decode(const float* x, Index L) {
    std::string s(static_cast<std::size_t>(L), 'N');
    for (Index i = 0; i < L; ++i) {
        int ones = 0;
        for (int c = 0; c < 4; ++c) {
            if (x[4 * i + c] == 1.0f) {
                s[static_cast<std::size_t>(i)] = "ACGT"[c];
                ++ones;
            } else {
                EXPECT_EQ(x[4 * i + c], 0.0f);
            }
        }
        EXPECT_LE(ones, 1);
    }
    return s;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::vector<ag::Example> all_examples(const ag::BinaryDataset& ds) {
    std::vector<ag::Example> out;
    for (ag::Split s : {ag::Split::train, ag::Split::valid, ag::Split::test}) {
        out.insert(out.end(), ds.examples(s).begin(), ds.examples(s).end());
    }
    return out;
}

template <class F>
std::string thrown_message(F f) {
    try {
        f();
    } catch (const attrprior::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "no attrprior::invalid_argument was thrown";
    return {};
}

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
}

}  // namespace

TEST(BinaryDataset, PositivesAreSummitCentredWindowsOfTheRequestedLength) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 500;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    EXPECT_EQ(ds.length(), 500);
    const auto& train = ds.examples(ag::Split::train);
    std::vector<ag::Example> positives;
    for (const auto& e : train) {
        if (e.label == 1) positives.push_back(e);
    }
    ASSERT_EQ(positives.size(), w.peaks.size());
    EXPECT_EQ(ds.report().peaks_read, static_cast<Index>(w.peaks.size()));
    EXPECT_EQ(ds.report().positives[0], static_cast<Index>(w.peaks.size()));
    for (std::size_t i = 0; i < positives.size(); ++i) {
        EXPECT_EQ(positives[i].chrom, w.peaks[i].chrom);
        EXPECT_EQ(positives[i].start, w.peaks[i].summit - 250);
    }
    // Encoding a window gives the one-hot of its bases and its label.
    std::vector<ag::Example> two{positives[0], positives[1]};
    std::vector<float> x(2 * 500 * 4), y(2);
    ds.encode(two, x.data(), y.data());
    for (int k = 0; k < 2; ++k) {
        EXPECT_EQ(decode(x.data() + k * 2000, 500),
                  upper(fasta.fetch(two[k].chrom, two[k].start, two[k].start + 500)));
        EXPECT_EQ(y[k], 1.0f);
    }
    std::vector<float> xr(x.size()), back(x.size());
    ds.encode(two, xr.data(), y.data(), 0, 0, true);
    ag::reverse_complement_one_hot(xr.data(), 500, back.data());
    EXPECT_EQ(std::vector<float>(back.begin(), back.begin() + 2000),
              std::vector<float>(x.begin(), x.begin() + 2000));
}

TEST(BinaryDataset, SplitsAreDisjointByChromosomeAndRespectHoldouts) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.valid_chroms = {"chr3"};
    o.test_chroms = {"chr4"};
    o.negatives_per_positive = 2;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const std::map<ag::Split, std::set<std::string>> allowed{{ag::Split::train, {"chr1", "chr2"}},
                                                             {ag::Split::valid, {"chr3"}},
                                                             {ag::Split::test, {"chr4"}}};
    for (const auto& [split, chroms] : allowed) {
        std::array<Index, 2> by_label{};
        for (const ag::Example& e : ds.examples(split)) {
            EXPECT_EQ(chroms.count(e.chrom), 1u) << e.chrom;
            ++by_label[static_cast<std::size_t>(e.label)];
        }
        EXPECT_GT(by_label[0], 0);  // negatives are sampled on held-out chromosomes too
        EXPECT_GT(by_label[1], 0);
        EXPECT_EQ(by_label[1], ds.report().positives[static_cast<std::size_t>(split)]);
        EXPECT_EQ(by_label[0], ds.report().negatives[static_cast<std::size_t>(split)]);
    }
    EXPECT_EQ(ds.report().positives[1], 15);
    EXPECT_EQ(ds.report().positives[2], 15);
    EXPECT_EQ(ds.report().negatives_sampled, 2 * static_cast<Index>(w.peaks.size()));
}

TEST(BinaryDataset, SampledNegativesAvoidPeakWindows) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 600;
    o.min_distance = 300;
    o.negatives_per_positive = 3;
    o.seed = 4;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const ag::DatasetReport& r = ds.report();
    EXPECT_EQ(r.negatives_sampled, 3 * static_cast<Index>(w.peaks.size()));
    EXPECT_EQ(r.negatives_shortfall, 0);
    EXPECT_GT(r.negatives_rejected_overlap, 0);
    std::set<std::pair<std::string, Index>> seen;
    Index negatives = 0;
    for (const ag::Example& e : all_examples(ds)) {
        if (e.label != 0) continue;
        ++negatives;
        EXPECT_TRUE(seen.emplace(e.chrom, e.start).second) << "duplicate negative";
        EXPECT_GE(e.start, 0);
        EXPECT_LE(e.start + 600, w.lengths.at(e.chrom));
        for (const ag::Interval& p : w.peaks) {
            if (p.chrom != e.chrom) continue;
            const Index lo = std::min(p.start, p.summit - 300) - 300;
            const Index hi = std::max(p.end, p.summit - 300 + 600) + 300;
            EXPECT_FALSE(e.start < hi && lo < e.start + 600)
                << e.chrom << ":" << e.start << " overlaps peak " << p.name;
        }
    }
    EXPECT_EQ(negatives, r.negatives_sampled);
}

TEST(BinaryDataset, SkipsAndCountsUnknownChromosomesEdgesAndDuplicates) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    std::vector<ag::Interval> peaks = w.peaks;
    ag::Interval ghost{"chrZ", 100, 900, "ghost", 1, 500};
    ag::Interval near_start{"chr1", 0, 300, "near_start", 1, 100};
    ag::Interval near_end{"chr2", 49700, 50000, "near_end", 1, 49800};
    ag::Interval dup = w.peaks[3];
    dup.name = "dup";
    peaks.insert(peaks.begin() + 2, ghost);
    peaks.push_back(near_start);
    peaks.push_back(near_end);
    peaks.push_back(dup);
    const ag::BinaryDataset ds(fasta, peaks, {}, ag::DatasetOptions{});
    const ag::DatasetReport& r = ds.report();
    EXPECT_EQ(r.peaks_read, static_cast<Index>(peaks.size()));
    EXPECT_EQ(r.skipped_unknown_chrom, 1);
    EXPECT_EQ(r.skipped_edge, 2);
    EXPECT_EQ(r.skipped_n, 0);
    EXPECT_EQ(r.duplicates_removed, 1);
    EXPECT_EQ(r.positives[0], static_cast<Index>(w.peaks.size()));
    std::string all;
    for (const std::string& m : r.messages) all += m + "\n";
    EXPECT_THAT(all, HasSubstr("'ghost'"));
    EXPECT_THAT(all, HasSubstr("chrZ"));
    EXPECT_THAT(all, HasSubstr("'near_start'"));
    EXPECT_THAT(all, HasSubstr("'near_end'"));
    EXPECT_THAT(all, HasSubstr("'dup'"));
    EXPECT_THAT(r.summary(), HasSubstr("1 unknown chromosome"));
    EXPECT_THAT(r.summary(), HasSubstr("2 window past a chromosome end"));
}

TEST(BinaryDataset, WindowsWithTooManyNAreSkipped) {
    const World& w = n_world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.negatives_per_positive = 2;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    EXPECT_EQ(ds.report().skipped_n, 1);
    EXPECT_EQ(ds.report().positives[0], static_cast<Index>(w.peaks.size()) - 1);
    EXPECT_GT(ds.report().negatives_rejected_n, 0);  // draws landing on chrN
    for (const ag::Example& e : all_examples(ds)) EXPECT_NE(e.chrom, "chrN");
    // A looser limit keeps the peak; its N bases encode as zero rows.
    o.max_n_fraction = 0.3;
    const ag::BinaryDataset loose(fasta, w.peaks, {}, o);
    EXPECT_EQ(loose.report().skipped_n, 0);
    const ag::Example& first = loose.examples(ag::Split::train).front();
    std::vector<float> x(1000 * 4), y(1);
    loose.encode({first}, x.data(), y.data());
    const std::string bases = decode(x.data(), 1000);
    EXPECT_EQ(std::count(bases.begin(), bases.end(), 'N'), 250);
}

TEST(BinaryDataset, EveryPeakSkippedThrows) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    std::vector<ag::Interval> peaks = w.peaks;
    for (ag::Interval& p : peaks) p.chrom = "chrUn_" + p.chrom;
    const std::string msg =
        thrown_message([&] { ag::BinaryDataset(fasta, peaks, {}, ag::DatasetOptions{}); });
    EXPECT_THAT(msg, HasSubstr("all 60 peaks were skipped"));
    EXPECT_THAT(msg, HasSubstr("chrUn_chr1"));
    // Windows longer than every chromosome: all skipped at the edges.
    ag::DatasetOptions huge;
    huge.length = 100000;
    EXPECT_THROW(ag::BinaryDataset(fasta, w.peaks, {}, huge), attrprior::invalid_argument);
    EXPECT_THROW(ag::BinaryDataset(fasta, {}, {}, ag::DatasetOptions{}),
                 attrprior::invalid_argument);
}

TEST(BinaryDataset, RejectsBadHoldoutsAndOptions) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.valid_chroms = {"chr2", "chr9"};
    EXPECT_THAT(thrown_message([&] { ag::BinaryDataset(fasta, w.peaks, {}, o); }),
                HasSubstr("'chr9'"));
    o.valid_chroms = {"chr2"};
    o.test_chroms = {"chrX", "chr7"};
    const std::string unknown_test =
        thrown_message([&] { ag::BinaryDataset(fasta, w.peaks, {}, o); });
    EXPECT_THAT(unknown_test, HasSubstr("test_chroms"));
    EXPECT_THAT(unknown_test, HasSubstr("'chrX', 'chr7'"));
    o.test_chroms = {"chr3", "chr2"};
    EXPECT_THAT(thrown_message([&] { ag::BinaryDataset(fasta, w.peaks, {}, o); }),
                HasSubstr("'chr2'"));
    const auto bad = [&](auto change) {
        ag::DatasetOptions b;
        change(b);
        EXPECT_THROW(ag::BinaryDataset(fasta, w.peaks, {}, b), attrprior::invalid_argument);
    };
    bad([](ag::DatasetOptions& b) { b.length = 0; });
    bad([](ag::DatasetOptions& b) { b.negatives_per_positive = -1; });
    bad([](ag::DatasetOptions& b) { b.negatives_per_positive = NAN; });
    bad([](ag::DatasetOptions& b) { b.min_distance = -1; });
    bad([](ag::DatasetOptions& b) { b.max_n_fraction = 1.5; });
    bad([](ag::DatasetOptions& b) { b.max_attempts_per_negative = 0; });
}

TEST(BinaryDataset, DeterministicForASeed) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.valid_chroms = {"chr1"};
    const ag::BinaryDataset a(fasta, w.peaks, {}, o), b(fasta, w.peaks, {}, o);
    EXPECT_EQ(all_examples(a), all_examples(b));
    o.seed = 2;
    const ag::BinaryDataset c(fasta, w.peaks, {}, o);
    EXPECT_NE(all_examples(a), all_examples(c));
}

TEST(BinaryDataset, GcMatchedNegativesFollowThePositives) {
    const World& w = gc_world();
    ag::Fasta fasta(w.fasta);
    ASSERT_GE(w.peaks.size(), 25u);
    ag::DatasetOptions o;
    o.negatives_per_positive = 2;
    const auto gc_means = [&](const ag::BinaryDataset& ds) {
        std::vector<double> pos, neg;
        for (const ag::Example& e : all_examples(ds)) {
            (e.label == 1 ? pos : neg).push_back(ag::gc_fraction(ds.sequence(e)));
        }
        return std::make_pair(mean(pos), mean(neg));
    };
    const ag::BinaryDataset plain(fasta, w.peaks, {}, o);
    const auto [pos_plain, neg_plain] = gc_means(plain);
    EXPECT_GT(pos_plain - neg_plain, 0.05) << "the test genome must separate the two";
    o.gc_matched = true;
    const ag::BinaryDataset matched(fasta, w.peaks, {}, o);
    EXPECT_EQ(matched.report().negatives_shortfall, 0);
    EXPECT_EQ(matched.report().negatives_sampled, 2 * static_cast<Index>(w.peaks.size()));
    const auto [pos, neg] = gc_means(matched);
    EXPECT_NEAR(neg, pos, 0.02);
    // A cap too small to fill the quotas is a reported shortfall, not an error.
    o.max_attempts_per_negative = 1;
    const ag::BinaryDataset capped(fasta, w.peaks, {}, o);
    EXPECT_GT(capped.report().negatives_shortfall, 0);
    EXPECT_EQ(capped.report().negatives_sampled + capped.report().negatives_shortfall,
              2 * static_cast<Index>(w.peaks.size()));
    EXPECT_THAT(capped.report().summary(), HasSubstr("shortfall"));
    EXPECT_THAT(capped.report().summary(), HasSubstr("GC bin"));
}

TEST(BinaryDataset, GivenNegativesAreUsedVerbatim) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    const std::vector<ag::Interval> given{
        {"chr2", 20000, 21000, "a", 0, 0},
        {"chr1", 5000, 5201, "b", 0, 0},
        {"chrZ", 0, 100, "ghost", 0, 0},
        {"chr3", 10001, 10002, "c", 0, 0},
        {"chr4", 49900, 50000, "edge", 0, 0},
        {"chr1", 5000, 5201, "b_again", 0, 0},
        {"chr1", w.peaks[0].start, w.peaks[0].end, "on_a_peak", 0, 0}};
    const std::string bed = (scratch_root() / "given.bed").string();
    ag::write_bed(bed, given);
    const std::vector<ag::Interval> read = ag::read_bed(bed);
    ag::DatasetOptions o;
    o.length = 400;
    o.valid_chroms = {"chr3"};
    o.gc_matched = true;  // ignored, with a note
    const ag::BinaryDataset ds(fasta, w.peaks, read, o);
    const auto negatives = [&](ag::Split s) {
        std::vector<ag::Example> out;
        for (const ag::Example& e : ds.examples(s)) {
            if (e.label == 0) out.push_back(e);
        }
        return out;
    };
    const std::vector<ag::Example> train{{"chr2", 20300, 0},
                                         {"chr1", 4900, 0},
                                         {"chr1", 4900, 0},
                                         {"chr1", w.peaks[0].summit - 200, 0}};
    EXPECT_EQ(negatives(ag::Split::train), train);
    EXPECT_EQ(negatives(ag::Split::valid), (std::vector<ag::Example>{{"chr3", 9801, 0}}));
    EXPECT_TRUE(negatives(ag::Split::test).empty());
    const ag::DatasetReport& r = ds.report();
    EXPECT_EQ(r.negatives_read, 7);
    EXPECT_EQ(r.negatives_skipped, 2);
    EXPECT_EQ(r.negatives_sampled, 0);
    EXPECT_EQ(r.negatives[0], 4);
    EXPECT_EQ(r.negatives[1], 1);
    std::string all;
    for (const std::string& m : r.messages) all += m + "\n";
    EXPECT_THAT(all, HasSubstr("'ghost'"));
    EXPECT_THAT(all, HasSubstr("'edge'"));
    EXPECT_THAT(all, HasSubstr("gc_matched"));
}

TEST(BinaryDataset, EncodeJitterIsBoundedClampedAndDeterministic) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 200;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const std::vector<ag::Example> ex{ds.examples(ag::Split::train)[0],
                                      {"chr1", 0, 0},
                                      {"chr2", 50000 - 200, 0},
                                      ds.examples(ag::Split::train)[5]};
    std::vector<float> x(ex.size() * 800), y(ex.size()), x2(x.size()), y2(y.size());
    ds.encode(ex, x.data(), y.data(), 30, 77);
    ds.encode(ex, x2.data(), y2.data(), 30, 77);
    EXPECT_EQ(x, x2);
    EXPECT_EQ(y, (std::vector<float>{1, 0, 0, 1}));
    Index moved = 0;
    for (std::size_t k = 0; k < ex.size(); ++k) {
        const std::string got = decode(x.data() + k * 800, 200);
        const Index len = w.lengths.at(ex[k].chrom);
        bool found = false;
        for (Index s = -30; s <= 30 && !found; ++s) {
            const Index start = ex[k].start + s;
            if (start < 0 || start + 200 > len) continue;
            if (upper(fasta.fetch(ex[k].chrom, start, start + 200)) == got) {
                found = true;
                moved += s != 0;
            }
        }
        EXPECT_TRUE(found) << "example " << k << " not within the jitter range";
    }
    EXPECT_GT(moved, 0);
    ds.encode(ex, x2.data(), y2.data(), 30, 78);
    EXPECT_NE(x, x2);
    EXPECT_THROW(ds.encode(ex, x.data(), y.data(), -1), attrprior::invalid_argument);
}

TEST(BalancedBatcher, BatchesAreBalancedAndReverseComplementPaired) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 300;
    o.valid_chroms = {"chr4"};
    o.negatives_per_positive = 1.5;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const Index P = ds.report().positives[0];
    ASSERT_EQ(P, 45);
    ag::BalancedBatcher batcher(ds, 8, 6, true, 0, 3);
    EXPECT_EQ(batcher.batch_size(), 28);
    EXPECT_EQ(batcher.batches_per_epoch(), 6);  // ceil(45 / 8)

    std::set<std::string> train_pos, train_neg;
    for (const ag::Example& e : ds.examples(ag::Split::train)) {
        (e.label == 1 ? train_pos : train_neg).insert(upper(ds.sequence(e)));
    }
    const Index L = 300, B = batcher.batch_size();
    std::vector<float> x(static_cast<std::size_t>(B * L * 4)), y(static_cast<std::size_t>(B));
    std::vector<float> rc(static_cast<std::size_t>(L * 4));
    for (int epoch = 0; epoch < 2; ++epoch) {
        EXPECT_EQ(batcher.epoch(), epoch);
        std::set<std::string> seen;
        for (Index b = 0; b < batcher.batches_per_epoch(); ++b) {
            batcher.next(x.data(), y.data());
            Index ones = 0;
            for (Index k = 0; k < B / 2; ++k) {
                const float* even = x.data() + 2 * k * L * 4;
                const float* odd = even + L * 4;
                ag::reverse_complement_one_hot(even, L, rc.data());
                EXPECT_TRUE(std::equal(rc.begin(), rc.end(), odd)) << "row " << 2 * k + 1;
                EXPECT_EQ(y[2 * k], y[2 * k + 1]);
                const std::string bases = decode(even, L);
                if (y[2 * k] == 1.0f) {
                    ++ones;
                    EXPECT_LT(k, 8) << "positives come first";
                    EXPECT_EQ(train_pos.count(bases), 1u);
                    seen.insert(bases);
                } else {
                    EXPECT_EQ(y[2 * k], 0.0f);
                    EXPECT_EQ(train_neg.count(bases), 1u);
                }
            }
            EXPECT_EQ(ones, 8);
        }
        EXPECT_EQ(seen, train_pos) << "every train positive appears in each epoch";
    }

    ag::BalancedBatcher single(ds, 5, 3, false, 0, 3);
    EXPECT_EQ(single.batch_size(), 8);
    EXPECT_EQ(single.batches_per_epoch(), 9);
    std::vector<float> xs(8 * L * 4), ys(8);
    single.next(xs.data(), ys.data());
    EXPECT_EQ(ys, (std::vector<float>{1, 1, 1, 1, 1, 0, 0, 0}));
}

TEST(BalancedBatcher, JitteredBatchesStayPaired) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 200;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    ag::BalancedBatcher batcher(ds, 4, 4, true, 25, 9);
    const Index L = 200, B = batcher.batch_size();
    std::vector<float> x(static_cast<std::size_t>(B * L * 4)), y(static_cast<std::size_t>(B));
    std::vector<float> rc(static_cast<std::size_t>(L * 4));
    batcher.next(x.data(), y.data());
    Index shifted = 0;
    for (Index k = 0; k < B / 2; ++k) {
        const float* even = x.data() + 2 * k * L * 4;
        ag::reverse_complement_one_hot(even, L, rc.data());
        EXPECT_TRUE(std::equal(rc.begin(), rc.end(), even + L * 4));
        if (y[2 * k] != 1.0f) continue;
        const std::string bases = decode(even, L);
        bool found = false;
        for (const ag::Example& e : ds.examples(ag::Split::train)) {
            if (e.label != 1) continue;
            for (Index s = -25; s <= 25 && !found; ++s) {
                if (upper(ds.sequence(e, s)) == bases) {
                    found = true;
                    shifted += s != 0;
                }
            }
            if (found) break;
        }
        EXPECT_TRUE(found) << "positive row " << 2 * k;
    }
    EXPECT_GT(shifted, 0);
}

TEST(BalancedBatcher, DeterministicForASeed) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    ag::BalancedBatcher a(ds, 16, 16, true, 5, 42), b(ds, 16, 16, true, 5, 42),
        c(ds, 16, 16, true, 5, 43);
    const std::size_t n = static_cast<std::size_t>(a.batch_size() * 100 * 4);
    std::vector<float> xa(n), xb(n), xc(n), ya(64), yb(64), yc(64);
    bool differs = false;
    for (int i = 0; i < 10; ++i) {
        a.next(xa.data(), ya.data());
        b.next(xb.data(), yb.data());
        c.next(xc.data(), yc.data());
        EXPECT_EQ(xa, xb) << "batch " << i;
        EXPECT_EQ(ya, yb);
        differs = differs || xa != xc;
    }
    EXPECT_TRUE(differs);
}

TEST(BalancedBatcher, RejectsBadArguments) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    EXPECT_THROW(ag::BalancedBatcher(ds, 0), attrprior::invalid_argument);
    EXPECT_THROW(ag::BalancedBatcher(ds, 4, -1), attrprior::invalid_argument);
    EXPECT_THROW(ag::BalancedBatcher(ds, 4, 4, true, -2), attrprior::invalid_argument);
    o.valid_chroms = {"chr1", "chr2"};
    o.test_chroms = {"chr3", "chr4"};
    const ag::BinaryDataset held(fasta, w.peaks, {}, o);
    EXPECT_THAT(thrown_message([&] { ag::BalancedBatcher(held, 4, 4); }),
                HasSubstr("no positives"));
    o.valid_chroms.clear();
    o.test_chroms.clear();
    o.negatives_per_positive = 0;
    const ag::BinaryDataset no_neg(fasta, w.peaks, {}, o);
    EXPECT_THROW(ag::BalancedBatcher(no_neg, 4, 4), attrprior::invalid_argument);
    ag::BalancedBatcher only_pos(no_neg, 4, 0);
    EXPECT_EQ(only_pos.batch_size(), 8);
}

TEST(PrefetchingBatcher, YieldsTheSameBatchesAsTheBalancedBatcher) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 250;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    ag::BalancedBatcher plain(ds, 8, 8, true, 10, 5);
    ag::PrefetchingBatcher<double> pre(ag::BalancedBatcher(ds, 8, 8, true, 10, 5));
    EXPECT_EQ(pre.x(), nullptr);
    EXPECT_EQ(pre.batch_size(), 32);
    EXPECT_EQ(pre.batches_per_epoch(), plain.batches_per_epoch());
    const std::size_t n = static_cast<std::size_t>(plain.batch_size() * 250 * 4);
    std::vector<double> x(n), y(32);
    for (int i = 0; i < 20; ++i) {
        plain.next(x.data(), y.data());
        pre.next();
        ASSERT_NE(pre.x(), nullptr);
        EXPECT_TRUE(std::equal(x.begin(), x.end(), pre.x())) << "batch " << i;
        EXPECT_TRUE(std::equal(y.begin(), y.end(), pre.y())) << "batch " << i;
    }
    // Destroying with a batch prefetched and never taken must not hang.
    ag::PrefetchingBatcher<float> unused(ag::BalancedBatcher(ds, 4, 4));
}

TEST(PrefetchingBatcher, RethrowsWorkerExceptionsInTheCaller) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    // Moving the Fasta away leaves the data set pointing at a moved-from Fasta, whose
    // fetch throws: the worker's exception must surface in next().
    ag::Fasta moved = std::move(fasta);
    ag::PrefetchingBatcher<float> pre(ag::BalancedBatcher(ds, 4, 4));
    EXPECT_THAT(thrown_message([&] { pre.next(); }), HasSubstr("moved-from"));
    EXPECT_THROW(pre.next(), attrprior::invalid_argument);
}
