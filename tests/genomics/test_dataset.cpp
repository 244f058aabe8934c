// Tests of attrprior/genomics/dataset.hpp: BinaryDataset's windows, skips, splits, given
// negatives, encoding, and its use of the sampled negatives, on small simulated genomes
// written to disk (tests/support/binary_world.hpp). Negative sampling itself is tested in
// test_negatives.cpp, the batchers in test_batching.cpp.
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

#include "../support/binary_world.hpp"
#include "../support/expect_error.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;
using attrprior::Index;
using ::testing::HasSubstr;

namespace {

using namespace attrprior::testing::binary_world;
using attrprior::testing::error_message;

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

// Sampled negatives are sample_negatives' draws (with the data set's options and the GC of
// the kept positives), each in the split of its chromosome, in the order drawn.
TEST(BinaryDataset, SampledNegativesAreSampleNegativesSplitByChromosome) {
    const World& w = gc_world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 400;
    o.valid_chroms = {"chr2"};
    o.test_chroms = {"chr4"};
    o.negatives_per_positive = 2.5;
    o.gc_matched = true;
    o.min_distance = 100;
    o.seed = 9;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    std::vector<double> positive_gc;
    for (const ag::Example& e : all_examples(ds)) {
        if (e.label == 1) positive_gc.push_back(ag::gc_fraction(ds.sequence(e)));
    }
    ag::NegativeSamplingOptions n;
    n.length = o.length;
    n.negatives_per_positive = o.negatives_per_positive;
    n.gc_matched = o.gc_matched;
    n.min_distance = o.min_distance;
    n.max_n_fraction = o.max_n_fraction;
    n.seed = o.seed;
    n.max_attempts_per_negative = o.max_attempts_per_negative;
    // The positives' order differs from the data set's (split by split), but the quotas
    // only depend on their GC counts.
    const ag::SampledNegatives s = ag::sample_negatives(fasta, w.peaks, positive_gc, n);
    const std::map<std::string, ag::Split> split_of{{"chr2", ag::Split::valid}, {"chr4", ag::Split::test}};
    std::map<ag::Split, std::vector<ag::Example>> expected;
    for (const ag::Example& e : s.examples) {
        const auto it = split_of.find(e.chrom);
        expected[it == split_of.end() ? ag::Split::train : it->second].push_back(e);
    }
    for (ag::Split split : {ag::Split::train, ag::Split::valid, ag::Split::test}) {
        std::vector<ag::Example> negatives;
        for (const ag::Example& e : ds.examples(split)) {
            if (e.label == 0) negatives.push_back(e);
        }
        EXPECT_EQ(negatives, expected[split]) << ag::split_name(split);
        EXPECT_EQ(ds.report().negatives[static_cast<std::size_t>(split)], static_cast<Index>(negatives.size()));
    }
    const ag::DatasetReport& r = ds.report();
    EXPECT_EQ(r.negatives_sampled, static_cast<Index>(s.examples.size()));
    EXPECT_EQ(r.negatives_rejected_overlap, s.rejected_overlap);
    EXPECT_EQ(r.negatives_rejected_n, s.rejected_n);
    EXPECT_EQ(r.negatives_shortfall, s.shortfall);
    EXPECT_GT(r.negatives_rejected_overlap, 0);
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
    EXPECT_THAT(all, HasSubstr("chromosome 'chrZ' is not in '" + w.fasta + "'"));
    EXPECT_THAT(all, HasSubstr("window chr1:-400-600 passes an end of the chromosome (length 50000)"));
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
        error_message<attrprior::invalid_argument>([&] { ag::BinaryDataset(fasta, peaks, {}, ag::DatasetOptions{}); });
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
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { ag::BinaryDataset(fasta, w.peaks, {}, o); }),
                HasSubstr("'chr9'"));
    o.valid_chroms = {"chr2"};
    o.test_chroms = {"chrX", "chr7"};
    const std::string unknown_test =
        error_message<attrprior::invalid_argument>([&] { ag::BinaryDataset(fasta, w.peaks, {}, o); });
    EXPECT_THAT(unknown_test, HasSubstr("test_chroms"));
    EXPECT_THAT(unknown_test, HasSubstr("'chrX', 'chr7'"));
    o.test_chroms = {"chr3", "chr2"};
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { ag::BinaryDataset(fasta, w.peaks, {}, o); }),
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

// Training fractions of a stability study (docs/stability.md): ceil(f n) of each class of
// the train split, chosen by the subsample seed alone, nested across fractions, the other
// splits untouched.
TEST(BinaryDataset, WithTrainFractionKeepsNestedSubsetsOfEachClass) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.valid_chroms = {"chr3"};
    o.test_chroms = {"chr4"};
    o.negatives_per_positive = 2;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    auto count = [](const ag::BinaryDataset& d, int label) {
        Index n = 0;
        for (const auto& e : d.examples(ag::Split::train)) n += e.label == label;
        return n;
    };
    const Index P = count(ds, 1), N = count(ds, 0);
    ASSERT_GT(P, 10);
    auto as_set = [](const ag::BinaryDataset& d) {
        std::set<std::pair<std::string, Index>> s;
        for (const auto& e : d.examples(ag::Split::train)) s.insert({e.chrom, e.start * 2 + e.label});
        return s;
    };
    std::set<std::pair<std::string, Index>> previous;
    for (double f : {0.1, 0.3, 0.7, 1.0}) {
        const ag::BinaryDataset sub = ds.with_train_fraction(f, 7);
        EXPECT_EQ(count(sub, 1), static_cast<Index>(std::ceil(f * double(P) - 1e-9))) << f;
        EXPECT_EQ(count(sub, 0), static_cast<Index>(std::ceil(f * double(N) - 1e-9))) << f;
        EXPECT_EQ(sub.report().positives[0], count(sub, 1));
        EXPECT_EQ(sub.report().negatives[0], count(sub, 0));
        EXPECT_THAT(sub.report().summary(), HasSubstr("subsampled to fraction"));
        EXPECT_EQ(sub.examples(ag::Split::valid), ds.examples(ag::Split::valid));
        EXPECT_EQ(sub.examples(ag::Split::test), ds.examples(ag::Split::test));
        const auto now = as_set(sub);
        for (const auto& e : previous) EXPECT_EQ(now.count(e), 1u) << "fraction " << f << " lost an example";
        previous = now;
        // Kept examples stay in the original relative order.
        const auto& all = ds.examples(ag::Split::train);
        std::size_t cursor = 0;
        for (const auto& e : sub.examples(ag::Split::train)) {
            while (cursor < all.size() && all[cursor] != e) ++cursor;
            ASSERT_LT(cursor, all.size()) << "an example out of order at fraction " << f;
        }
    }
    EXPECT_EQ(ds.with_train_fraction(1.0, 7).examples(ag::Split::train).size(),
              ds.examples(ag::Split::train).size());
    // The subset depends on the subsample seed only.
    EXPECT_EQ(as_set(ds.with_train_fraction(0.3, 7)), as_set(ds.with_train_fraction(0.3, 7)));
    EXPECT_NE(as_set(ds.with_train_fraction(0.3, 7)), as_set(ds.with_train_fraction(0.3, 8)));
    for (double bad : {0.0, -0.5, 1.5, std::nan("")})
        EXPECT_THAT(error_message([&] { (void)ds.with_train_fraction(bad, 1); }), HasSubstr("fraction"));
}
