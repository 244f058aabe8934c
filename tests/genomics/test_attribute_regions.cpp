// Tests of attrprior/genomics/attribute_regions.hpp on a small float binary model and seven
// regions of a small genome (two overlapping, one with N, one whose dinucleotide shuffles
// all equal it):
//  - the files: ohe / attr npz (N x 4 x L, the one-hot and explain()'s hypothetical scores
//    transposed), regions.bed, the contribution bigWig (the track at non-overlapping windows,
//    the nearest-summit split at overlapping ones), seqlets.bed (recursive_seqlets_both_signs
//    of the track in genomic coordinates), convergence.tsv (N x K rows of the result);
//  - results and files do not depend on the chunk size;
//  - top / top_projected rank ALL regions by the strongest-window sum of |P| (ties: the
//    earlier region), also when the candidates are pruned;
//  - given references (R x K x 4 x L, rows through record_of): DeepLIFT against them, and
//    DeepSHAP's result when they are its shuffles; bad shapes and rows;
//  - ism / grad write no convergence.tsv; degenerate regions are counted;
//  - attribution_report_data: labels, relative deltas, sizes a well-formed report accepts.
#include "attrprior/genomics/attribute_regions.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/region_files.hpp"
#include "../support/svg_checks.hpp"
#include "../support/temp_files.hpp"
#include "attrprior/attribution/deeplift.hpp"
#include "attrprior/attribution/shuffle.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/io/npz.hpp"
#include "attrprior/models/binary.hpp"

namespace ag = attrprior::genomics;
namespace at = attrprior::attribution;
namespace am = attrprior::models;
namespace nn = attrprior::nn;
namespace ts = attrprior::testing;
using attrprior::Index;
using ts::error_message;
using ts::read_file;
using ts::read_tsv;
using ts::expect_invalid;
using ::testing::HasSubstr;

namespace {

constexpr Index L = 60;
constexpr Index kShuffles = 4;

std::string temp_path(const std::string& name) { return ts::temp_path("attrprior_attribute_regions_", name); }

/// A fresh, empty directory.
std::string temp_dir(const std::string& name) {
    const std::string path = temp_path(name);
    std::filesystem::remove_all(path);
    return path;
}

/// The genome, the model and the windows the tests share.
struct World {
    std::string fasta_path;
    std::vector<std::pair<std::string, Index>> chromosomes{{"chr1", 400}, {"chr2", 200}, {"chr3", 60}};
    std::vector<ag::Interval> windows;
    nn::Model<float> model;

    World() : model(make_model()) {
        std::string chr1 = ts::random_bases(400, 31);
        chr1.replace(320, 3, "NNN");
        std::string chr3;
        for (int i = 0; i < 30; ++i) chr3 += "AC";  // every dinucleotide shuffle equals it
        fasta_path = temp_path("genome.fa");
        ts::write_fasta(fasta_path, {{"chr1", chr1}, {"chr2", ts::random_bases(200, 32)}, {"chr3", chr3}});
        // Regions 1 and 2 overlap (summits 130 and 160); region 4 is degenerate; region 5
        // holds the N run; region 3 has no name.
        windows = {ts::region_window("chr1", 10, L, "a"),   ts::region_window("chr1", 100, L, "b"),
                   ts::region_window("chr1", 130, L, "c"),  ts::region_window("chr2", 20, L),
                   ts::region_window("chr3", 0, L, "deg"),  ts::region_window("chr1", 300, L, "n"),
                   ts::region_window("chr2", 120, L, "g")};
    }

    static nn::Model<float> make_model() {
        am::BinaryModelOptions o;
        o.length = L;
        o.filters = 4;
        o.kernels = {5, 5};
        o.pool = 4;
        o.dense = {6};
        auto m = am::make_binary_model<float>(o, 9);
        std::mt19937_64 gen(10);
        for (Index i = 0; i < m.state().size(); ++i) m.state()[i] = 0.4f + 0.5f * float(gen() % 1000) / 1000.f;
        return m;
    }
};

ag::AttributeOptions deepshap_options() {
    ag::AttributeOptions o;
    o.explain.shuffles.count = kShuffles;
    o.explain.shuffles.seed = 3;
    o.explain.batch = 10;  // several passes per chunk
    o.seqlets.threshold = 0.2;  // a few seqlets on 7 x 60 positions
    o.seqlets.bins = 100;       // a cheaper null (tangermeme's 1000 costs ~0.3 s per call)
    o.report_window = 10;
    return o;
}

/// Every region encoded at once.
attrprior::train::Batch<float> encode_all(const ag::RegionExamples& examples) {
    attrprior::train::Batch<float> batch(examples.shapes(), examples.size());
    examples.encode(0, examples.size(), batch);
    return batch;
}

/// rows (count x L x 4) -> count x 4 x L, written out here independently of the header.
std::vector<float> transposed(const std::vector<float>& rows, Index count) {
    std::vector<float> out(rows.size());
    for (Index b = 0; b < count; ++b)
        for (Index c = 0; c < 4; ++c)
            for (Index i = 0; i < L; ++i)
                out[static_cast<std::size_t>((b * 4 + c) * L + i)] = rows[static_cast<std::size_t>((b * L + i) * 4 + c)];
    return out;
}

void expect_npz(const std::string& path, Index N, const std::vector<float>& want) {
    const attrprior::io::NpyArray<float> a = attrprior::io::read_npz<float>(path);
    EXPECT_EQ(a.shape, (std::vector<Index>{N, 4, L})) << path;
    EXPECT_EQ(a.data, want) << path;
}

/// The strongest-window sum of |P| of one region, by brute force over every window.
double strongest_sum(const float* P, Index width) {
    const Index w = std::min(width, L);
    double best = -1;
    for (Index s = 0; s + w <= L; ++s) {
        double sum = 0;
        for (Index i = s; i < s + w; ++i)
            for (Index c = 0; c < 4; ++c) sum += std::fabs(double(P[i * 4 + c]));
        best = std::max(best, sum);
    }
    return best;
}

/// The regions ranked by strongest_sum of `projected` (N x L x 4), best first, ties by
/// region order, cut to `top`.
std::vector<Index> expected_top(const std::vector<float>& projected, Index N, Index width, Index top) {
    std::vector<double> score(static_cast<std::size_t>(N));
    for (Index r = 0; r < N; ++r) score[static_cast<std::size_t>(r)] = strongest_sum(projected.data() + r * L * 4, width);
    std::vector<Index> order(static_cast<std::size_t>(N));
    std::iota(order.begin(), order.end(), Index(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](Index a, Index b) { return score[static_cast<std::size_t>(a)] > score[static_cast<std::size_t>(b)]; });
    order.resize(static_cast<std::size_t>(std::min(top, N)));
    return order;
}

std::vector<float> rows_of(const std::vector<float>& all, const std::vector<Index>& regions) {
    std::vector<float> out;
    for (Index r : regions) out.insert(out.end(), all.begin() + r * L * 4, all.begin() + (r + 1) * L * 4);
    return out;
}

/// a and b within `tolerance` element by element.
void expect_near(const std::vector<float>& a, const std::vector<float>& b, double tolerance, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tolerance) << what << " element " << i;
}

/// The results of two runs that differ in the chunk size. The scores are identical; f(r)
/// (and so delta) is computed in forward passes over (region, reference) pairs, whose
/// float rounding depends on the pass's row count and the pair's row in it (batched GEMM),
/// so it may differ in the last bit: compared to 1e-6 (|f| ~ 1 here).
void expect_same_results(const ag::AttributeResult& a, const ag::AttributeResult& b, const std::string& what) {
    EXPECT_EQ(a.value, b.value) << what;
    EXPECT_EQ(a.track, b.track) << what;
    EXPECT_EQ(a.references, b.references) << what;
    expect_near(a.delta, b.delta, 1e-6, what + " delta");
    expect_near(a.reference_value, b.reference_value, 1e-6, what + " f(r)");
    EXPECT_EQ(a.warnings, b.warnings) << what;
    EXPECT_NEAR(a.max_relative_delta, b.max_relative_delta, 1e-6) << what;
    EXPECT_EQ(a.degenerate, b.degenerate) << what;
    EXPECT_EQ(a.top, b.top) << what;
    EXPECT_EQ(a.top_projected, b.top_projected) << what;
    EXPECT_EQ(a.seqlets.size(), b.seqlets.size()) << what;
    EXPECT_EQ(a.seqlets_per_region[0], b.seqlets_per_region[0]) << what;
    EXPECT_EQ(a.seqlets_per_region[1], b.seqlets_per_region[1]) << what;
}

}  // namespace

TEST(AttributeRegions, FilesHoldTheExplanationOfEveryRegion) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const Index N = examples.size();
    const ag::AttributeOptions o = deepshap_options();
    const at::Target target = at::Target::logits(0);
    const std::string dir = temp_dir("out");
    std::vector<std::pair<Index, Index>> progress;
    const ag::AttributeResult r = ag::attribute_regions(w.model, examples, target, o, dir, w.chromosomes, nullptr, {},
                                                        [&](Index first, Index done, Index total) {
                                                            EXPECT_EQ(total, N);
                                                            progress.emplace_back(first, done);
                                                        });
    EXPECT_EQ(progress, (std::vector<std::pair<Index, Index>>{{0, N}}));
    EXPECT_EQ(r.regions, N);
    EXPECT_EQ(r.length, L);
    EXPECT_EQ(r.method, "deepshap");
    EXPECT_EQ(r.prefix, "deepshap");
    EXPECT_EQ(r.files, (std::vector<std::string>{dir + "/deepshap.ohe.npz", dir + "/deepshap.attr.npz", dir + "/regions.bed",
                                                 dir + "/deepshap.bw", dir + "/seqlets.bed", dir + "/convergence.tsv"}));
    for (const std::string& f : r.files) EXPECT_TRUE(std::filesystem::exists(f)) << f;

    // What explain() gives on all the regions at once.
    const auto batch = encode_all(examples);
    const at::Explanation<float> e = at::explain(w.model, batch.inputs(), target, o.explain, 0);
    const std::vector<float> x(batch.input(0).data, batch.input(0).data + batch.input(0).size());

    // TF-MoDISco's pair: the one-hot and the hypothetical scores, N x 4 x L.
    expect_npz(dir + "/deepshap.ohe.npz", N, transposed(x, N));
    expect_npz(dir + "/deepshap.attr.npz", N, transposed(e.hypothetical, N));
    EXPECT_EQ(r.value, e.value);
    ASSERT_EQ(r.track.size(), static_cast<std::size_t>(N * L));
    for (Index b = 0; b < N; ++b)
        for (Index i = 0; i < L; ++i) {
            float sum = 0;  // the projected scores summed over the bases
            for (Index c = 0; c < 4; ++c) sum += e.projected[static_cast<std::size_t>((b * L + i) * 4 + c)];
            EXPECT_FLOAT_EQ(r.track[static_cast<std::size_t>(b * L + i)], sum) << b << " " << i;
        }
    // The N rows of region 5 contribute nothing; the degenerate region 4 has zero scores.
    for (Index i = 20; i < 23; ++i) EXPECT_EQ(r.track[static_cast<std::size_t>(5 * L + i)], 0.f);
    for (Index i = 0; i < L; ++i) EXPECT_EQ(r.track[static_cast<std::size_t>(4 * L + i)], 0.f);
    EXPECT_EQ(r.degenerate, 1);
    EXPECT_GT(std::count_if(r.track.begin(), r.track.end(), [](float v) { return v != 0.f; }), 4 * L);

    // regions.bed: the windows in row order.
    const std::vector<ag::Interval> bed = ag::read_bed(dir + "/regions.bed");
    ASSERT_EQ(bed.size(), w.windows.size());
    for (std::size_t k = 0; k < bed.size(); ++k) {
        EXPECT_EQ(bed[k].chrom, w.windows[k].chrom);
        EXPECT_EQ(bed[k].start, w.windows[k].start);
        EXPECT_EQ(bed[k].end, w.windows[k].end);
        EXPECT_EQ(bed[k].name, w.windows[k].name);
    }

    // The bigWig: the track; regions 1 ([100, 160), summit 130) and 2 ([130, 190), summit
    // 160) split at floor((130 + 160) / 2) = 145.
    {
        const ag::BigWigReader bw(dir + "/deepshap.bw");
        EXPECT_EQ(bw.chromosomes(), w.chromosomes);
        const auto row = [&](Index k, Index from, Index to) {
            return std::vector<float>(r.track.begin() + k * L + from, r.track.begin() + k * L + to);
        };
        for (Index k : {0, 3, 4, 5, 6}) {
            const ag::Interval& win = w.windows[static_cast<std::size_t>(k)];
            EXPECT_EQ(bw.read(win.chrom, win.start, win.end), row(k, 0, L)) << "region " << k;
        }
        EXPECT_EQ(bw.read("chr1", 100, 145), row(1, 0, 45));
        EXPECT_EQ(bw.read("chr1", 145, 190), row(2, 15, 60));
        // Nothing outside the windows.
        const std::vector<float> gap = bw.read("chr1", 70, 100);
        EXPECT_EQ(gap, std::vector<float>(30, 0.f));
    }

    // seqlets.bed: the seqlets of the track, in genomic coordinates.
    const std::vector<at::Seqlet> seqlets = at::recursive_seqlets_both_signs(r.track.data(), N, L, o.seqlets);
    ASSERT_FALSE(seqlets.empty());
    ASSERT_EQ(r.seqlets.size(), seqlets.size());
    const auto lines = read_tsv(dir + "/seqlets.bed");
    ASSERT_EQ(lines.size(), seqlets.size());
    std::vector<Index> per_region[2] = {std::vector<Index>(static_cast<std::size_t>(N), 0),
                                        std::vector<Index>(static_cast<std::size_t>(N), 0)};
    for (std::size_t k = 0; k < seqlets.size(); ++k) {
        const at::Seqlet& s = seqlets[k];
        const ag::Interval& win = w.windows[static_cast<std::size_t>(s.example)];
        const auto& f = lines[k];
        ASSERT_EQ(f.size(), 9u) << k;
        EXPECT_EQ(f[0], win.chrom);
        EXPECT_EQ(std::stoll(f[1]), win.start + s.start);
        EXPECT_EQ(std::stoll(f[2]), win.start + s.end);
        EXPECT_EQ(f[3], win.name.empty() ? "region_" + std::to_string(s.example) : win.name);
        EXPECT_EQ(std::stod(f[4]), s.attribution);
        EXPECT_EQ(f[5], ".");
        EXPECT_EQ(std::stod(f[6]), s.p_value);
        EXPECT_EQ(std::stoi(f[7]), s.sign);
        EXPECT_EQ(std::stoll(f[8]), s.example);
        ++per_region[s.sign > 0 ? 0 : 1][static_cast<std::size_t>(s.example)];
    }
    EXPECT_EQ(r.seqlets_per_region[0], per_region[0]);
    EXPECT_EQ(r.seqlets_per_region[1], per_region[1]);

    // Convergence: N x K deltas as explain() computed them, and convergence.tsv.
    EXPECT_EQ(r.references, kShuffles);
    EXPECT_EQ(r.delta, e.delta);
    EXPECT_EQ(r.reference_value, e.reference_value);
    EXPECT_EQ(r.warnings, e.warnings);
    double max_relative = 0;
    const auto conv = read_tsv(dir + "/convergence.tsv");
    ASSERT_EQ(conv.size(), static_cast<std::size_t>(1 + N * kShuffles));
    EXPECT_EQ(conv[0], (std::vector<std::string>{"region", "chrom", "start", "end", "reference", "f_x", "f_reference",
                                                 "delta", "relative_delta"}));
    for (Index b = 0; b < N; ++b)
        for (Index k = 0; k < kShuffles; ++k) {
            const auto& f = conv[static_cast<std::size_t>(1 + b * kShuffles + k)];
            const std::size_t i = static_cast<std::size_t>(b * kShuffles + k);
            ASSERT_EQ(f.size(), 9u);
            EXPECT_EQ(std::stoll(f[0]), b);
            EXPECT_EQ(f[1], w.windows[static_cast<std::size_t>(b)].chrom);
            EXPECT_EQ(std::stoll(f[2]), w.windows[static_cast<std::size_t>(b)].start);
            EXPECT_EQ(std::stoll(f[3]), w.windows[static_cast<std::size_t>(b)].end);
            EXPECT_EQ(std::stoll(f[4]), k);
            const double fx = r.value[static_cast<std::size_t>(b)], fr = r.reference_value[i], d = r.delta[i];
            EXPECT_EQ(std::stod(f[5]), fx);
            EXPECT_EQ(std::stod(f[6]), fr);
            EXPECT_EQ(std::stod(f[7]), d);
            const double relative = std::fabs(d) / std::max({1.0, std::fabs(fx), std::fabs(fr)});
            EXPECT_DOUBLE_EQ(std::stod(f[8]), relative);
            max_relative = std::max(max_relative, relative);
        }
    EXPECT_DOUBLE_EQ(r.max_relative_delta, max_relative);
    EXPECT_GT(r.seconds, 0.0);
}

TEST(AttributeRegions, ResultsAndFilesDoNotDependOnTheChunkSize) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const at::Target target = at::Target::logits(0);
    ag::AttributeOptions o = deepshap_options();
    o.report_regions = 3;
    std::vector<ag::AttributeResult> results;
    std::vector<std::string> dirs;
    for (Index chunk : {100, 1, 3}) {
        o.chunk = chunk;
        dirs.push_back(temp_dir("chunk" + std::to_string(chunk)));
        std::vector<Index> firsts;
        results.push_back(ag::attribute_regions(w.model, examples, target, o, dirs.back(), w.chromosomes, nullptr, {},
                                                [&](Index first, Index, Index) { firsts.push_back(first); }));
        EXPECT_EQ(static_cast<Index>(firsts.size()), (7 + chunk - 1) / chunk);
    }
    for (std::size_t k = 1; k < results.size(); ++k) {
        const std::string what = "chunk " + dirs[k];
        expect_same_results(results[0], results[k], what);
        for (const char* npz : {"/deepshap.ohe.npz", "/deepshap.attr.npz"}) {
            const auto a = attrprior::io::read_npz<float>(dirs[0] + npz), b = attrprior::io::read_npz<float>(dirs[k] + npz);
            EXPECT_EQ(a.shape, b.shape) << what << npz;
            EXPECT_EQ(a.data, b.data) << what << npz;
        }
        for (const char* text : {"/regions.bed", "/seqlets.bed"})
            EXPECT_EQ(read_file(dirs[0] + text), read_file(dirs[k] + text)) << what << text;
        // convergence.tsv: the same rows; the numbers as the results above.
        const auto ca = read_tsv(dirs[0] + "/convergence.tsv"), cb = read_tsv(dirs[k] + "/convergence.tsv");
        ASSERT_EQ(ca.size(), cb.size()) << what;
        for (std::size_t row = 0; row < ca.size(); ++row) {
            ASSERT_EQ(ca[row].size(), cb[row].size());
            for (std::size_t c = 0; c < ca[row].size(); ++c) {
                if (row == 0 || c < 6)
                    EXPECT_EQ(ca[row][c], cb[row][c]) << what << " row " << row;
                else
                    EXPECT_NEAR(std::stod(ca[row][c]), std::stod(cb[row][c]), 1e-6) << what << " row " << row;
            }
        }
        const ag::BigWigReader a(dirs[0] + "/deepshap.bw"), b(dirs[k] + "/deepshap.bw");
        for (const auto& [chrom, length] : w.chromosomes) EXPECT_EQ(a.read(chrom, 0, length), b.read(chrom, 0, length));
    }
}

TEST(AttributeRegions, TopRegionsRankEveryRegionByItsStrongestWindow) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const Index N = examples.size();
    const at::Target target = at::Target::logits(0);
    ag::AttributeOptions o = deepshap_options();
    const auto batch = encode_all(examples);
    const at::Explanation<float> e = at::explain(w.model, batch.inputs(), target, o.explain, 0);
    // The ranking is not the region order (or its reverse), so the test sees a wrong one.
    const std::vector<Index> all = expected_top(e.projected, N, o.report_window, N);
    std::vector<Index> ascending(static_cast<std::size_t>(N));
    std::iota(ascending.begin(), ascending.end(), Index(0));
    ASSERT_NE(all, ascending);
    ASSERT_NE(all, std::vector<Index>(ascending.rbegin(), ascending.rend()));
    // report_regions below N with chunks of 1 and 2 (the candidates are pruned to
    // report_regions whenever they pass 2 x report_regions), and at or above N.
    for (Index top : {1, 2, 3, 7, 9})
        for (Index chunk : {1, 2, 100}) {
            o.report_regions = top;
            o.chunk = chunk;
            const ag::AttributeResult r =
                ag::attribute_regions(w.model, examples, target, o, temp_dir("top"), w.chromosomes);
            const std::vector<Index> want = expected_top(e.projected, N, o.report_window, top);
            EXPECT_EQ(r.top, want) << "top " << top << " chunk " << chunk;
            EXPECT_EQ(r.top_projected, rows_of(e.projected, want)) << "top " << top << " chunk " << chunk;
        }
    o.report_regions = 0;
    const ag::AttributeResult none = ag::attribute_regions(w.model, examples, target, o, temp_dir("none"), w.chromosomes);
    EXPECT_TRUE(none.top.empty());
    EXPECT_TRUE(none.top_projected.empty());
    // The window width matters: over the whole region the ranking is by the sum of |P|.
    o.report_regions = 3;
    o.report_window = 1000;
    const ag::AttributeResult whole = ag::attribute_regions(w.model, examples, target, o, temp_dir("whole"), w.chromosomes);
    EXPECT_EQ(whole.top, expected_top(e.projected, N, L, 3));
}

TEST(AttributeRegions, TiesGoToTheEarlierRegionAlsoAfterPruning) {
    // Gradient x input of identical windows is identical: region k and its copies tie.
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const at::Target target = at::Target::logits(0);
    ag::AttributeOptions o = deepshap_options();
    o.explain.method = at::Method::gradient;
    const ag::RegionExamples base(fasta, w.windows, L);
    const auto batch = encode_all(base);
    const at::Explanation<float> e = at::explain(w.model, batch.inputs(), target, o.explain, 0);
    const Index best = expected_top(e.projected, base.size(), o.report_window, 1)[0];
    const Index second = expected_top(e.projected, base.size(), o.report_window, 2)[1];
    // Rows: the 7 windows, then copies of `second` and `best` (twice).
    std::vector<ag::Interval> windows = w.windows;
    windows.push_back(w.windows[static_cast<std::size_t>(second)]);
    windows.push_back(w.windows[static_cast<std::size_t>(best)]);
    windows.push_back(w.windows[static_cast<std::size_t>(best)]);
    const ag::RegionExamples examples(fasta, windows, L);
    for (Index chunk : {1, 4, 100}) {
        o.chunk = chunk;
        o.report_regions = 4;
        const ag::AttributeResult r = ag::attribute_regions(w.model, examples, target, o, temp_dir("ties"), w.chromosomes);
        EXPECT_EQ(r.top, (std::vector<Index>{best, 8, 9, second})) << "chunk " << chunk;
        o.report_regions = 2;
        const ag::AttributeResult two = ag::attribute_regions(w.model, examples, target, o, temp_dir("ties2"), w.chromosomes);
        EXPECT_EQ(two.top, (std::vector<Index>{best, 8})) << "chunk " << chunk;
        ASSERT_EQ(two.top_projected.size(), static_cast<std::size_t>(2 * L * 4));
        EXPECT_TRUE(std::equal(two.top_projected.begin(), two.top_projected.begin() + L * 4,
                               two.top_projected.begin() + L * 4));
    }
}

TEST(AttributeRegions, GivenReferencesAreDeepLiftAgainstThemThroughRecordOf) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const Index N = examples.size(), K = 3, R = 10;
    const at::Target target = at::Target::logits(0);
    // Records 1, 4 and 7 were skipped: region r is record record_of[r].
    const std::vector<std::size_t> record_of{0, 2, 3, 5, 6, 8, 9};
    attrprior::io::NpyArray<float> refs;
    refs.shape = {R, K, 4, L};
    refs.data.assign(static_cast<std::size_t>(R * K * 4 * L), 0.f);
    std::mt19937_64 gen(44);
    for (Index q = 0; q < R * K; ++q)
        for (Index i = 0; i < L; ++i) refs.data[static_cast<std::size_t>((q * 4 + Index(gen() % 4)) * L + i)] = 1.f;
    // The same references as rows of L x 4, K per region, for deeplift().
    std::vector<float> rows(static_cast<std::size_t>(N * K * L * 4));
    for (Index b = 0; b < N; ++b)
        for (Index k = 0; k < K; ++k)
            for (Index i = 0; i < L; ++i)
                for (Index c = 0; c < 4; ++c)
                    rows[static_cast<std::size_t>(((b * K + k) * L + i) * 4 + c)] =
                        refs.data[static_cast<std::size_t>(((static_cast<Index>(record_of[static_cast<std::size_t>(b)]) * K + k) * 4 + c) * L + i)];

    ag::AttributeOptions o = deepshap_options();
    const std::string dir = temp_dir("refs");
    const ag::AttributeResult r = ag::attribute_regions(w.model, examples, target, o, dir, w.chromosomes, &refs, record_of);
    const auto batch = encode_all(examples);
    const at::DeepLiftScores<float> d =
        at::deeplift(w.model, batch.inputs(), attrprior::ConstTensor3<float>(rows.data(), N * K, L, 4), K, target,
                     at::DeepLiftOptions{o.explain.batch, false, o.explain.warn_factor});
    EXPECT_EQ(r.references, K);
    EXPECT_EQ(r.degenerate, 0);  // no shuffles
    EXPECT_EQ(r.value, d.value);
    EXPECT_EQ(r.delta, d.delta);
    EXPECT_EQ(r.reference_value, d.reference_value);
    const auto attr = attrprior::io::read_npz<float>(dir + "/deepshap.attr.npz");
    EXPECT_EQ(attr.shape, (std::vector<Index>{N, 4, L}));
    EXPECT_EQ(attr.data, transposed(d.hypothetical, N));
    EXPECT_EQ(read_tsv(dir + "/convergence.tsv").size(), static_cast<std::size_t>(1 + N * K));
    // The references differ between records: a wrong row would change f(r).
    EXPECT_NE(r.reference_value[0], r.reference_value[static_cast<std::size_t>(K)]);

    // In chunks of 3 each chunk reads its own regions' rows (f(r) to rounding, as in
    // ResultsAndFilesDoNotDependOnTheChunkSize).
    o.chunk = 3;
    const ag::AttributeResult chunked =
        ag::attribute_regions(w.model, examples, target, o, temp_dir("refs3"), w.chromosomes, &refs, record_of);
    EXPECT_EQ(chunked.value, d.value);
    EXPECT_EQ(chunked.track, r.track);
    expect_near(chunked.reference_value, d.reference_value, 1e-6, "f(r)");
    expect_near(chunked.delta, d.delta, 1e-6, "delta");
}

TEST(AttributeRegions, GivenReferencesEqualToTheShufflesGiveDeepShap) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    // Without the degenerate region (explain() marks it degenerate only for its own shuffles).
    std::vector<ag::Interval> windows = w.windows;
    windows.erase(windows.begin() + 4);
    const ag::RegionExamples examples(fasta, windows, L);
    const Index N = examples.size(), K = kShuffles;
    const at::Target target = at::Target::logits(0);
    ag::AttributeOptions o = deepshap_options();
    o.chunk = 2;
    const std::string shap_dir = temp_dir("shap");
    const ag::AttributeResult shap = ag::attribute_regions(w.model, examples, target, o, shap_dir, w.chromosomes);

    // The shuffles DeepSHAP draws for region b (global index b), into records b + 1 (record
    // 0 skipped).
    const auto batch = encode_all(examples);
    std::vector<float> shuffles(static_cast<std::size_t>(N * K * L * 4));
    at::dinucleotide_shuffles(batch.input(0), attrprior::Tensor3<float>(shuffles.data(), N * K, L, 4), o.explain.shuffles, 0);
    attrprior::io::NpyArray<float> refs;
    refs.shape = {N + 1, K, 4, L};
    refs.data.assign(static_cast<std::size_t>((N + 1) * K * 4 * L), 0.f);
    std::vector<std::size_t> record_of;
    for (Index b = 0; b < N; ++b) {
        record_of.push_back(static_cast<std::size_t>(b + 1));
        for (Index k = 0; k < K; ++k)
            for (Index i = 0; i < L; ++i)
                for (Index c = 0; c < 4; ++c)
                    refs.data[static_cast<std::size_t>((((b + 1) * K + k) * 4 + c) * L + i)] =
                        shuffles[static_cast<std::size_t>(((b * K + k) * L + i) * 4 + c)];
    }
    const std::string dir = temp_dir("given");
    const ag::AttributeResult given =
        ag::attribute_regions(w.model, examples, target, o, dir, w.chromosomes, &refs, record_of);
    EXPECT_EQ(given.value, shap.value);
    EXPECT_EQ(given.track, shap.track);
    EXPECT_EQ(given.delta, shap.delta);
    EXPECT_EQ(given.reference_value, shap.reference_value);
    EXPECT_EQ(given.top, shap.top);
    EXPECT_EQ(attrprior::io::read_npz<float>(dir + "/deepshap.attr.npz").data,
              attrprior::io::read_npz<float>(shap_dir + "/deepshap.attr.npz").data);
}

TEST(AttributeRegions, BadReferencesAndOptionsAreInvalidArguments) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const at::Target target = at::Target::logits(0);
    const ag::AttributeOptions o = deepshap_options();
    const std::vector<std::size_t> record_of{0, 1, 2, 3, 4, 5, 6};
    const auto run = [&](const std::vector<Index>& shape, const std::vector<std::size_t>& rows) {
        attrprior::io::NpyArray<float> refs;
        refs.shape = shape;
        Index n = 1;
        for (Index s : shape) n *= s;
        refs.data.assign(static_cast<std::size_t>(n), 0.f);
        ag::attribute_regions(w.model, examples, target, o, temp_dir("bad"), w.chromosomes, &refs, rows);
    };
    expect_invalid([&] { run({7, 2, 4, L - 1}, record_of); }, "(7, 2, 4, 59)");
    expect_invalid([&] { run({7, 2, L, 4}, record_of); }, "(7, 2, 60, 4)");
    expect_invalid([&] { run({7, 4, L}, record_of); }, "(7, 4, 60)");
    expect_invalid([&] { run({7, 0, 4, L}, record_of); }, "(7, 0, 4, 60)");
    expect_invalid([&] { run({7, 2, 4, L}, {0, 1, 2}); }, "record_of");
    std::string m = error_message<attrprior::invalid_argument>([&] { run({7, 2, 4, L}, {0, 1, 2, 7, 4, 5, 6}); });
    EXPECT_THAT(m, HasSubstr("(7, 2, 4, 60)"));
    EXPECT_THAT(m, HasSubstr("no row 7 for region 3"));
    // Methods without references.
    ag::AttributeOptions ism = o;
    ism.explain.method = at::Method::ism;
    attrprior::io::NpyArray<float> refs;
    refs.shape = {7, 1, 4, L};
    refs.data.assign(static_cast<std::size_t>(7 * 4 * L), 0.f);
    expect_invalid([&] { ag::attribute_regions(w.model, examples, target, ism, temp_dir("bad"), w.chromosomes, &refs, record_of); },
                   "references");
    // Options, regions and model.
    ag::AttributeOptions bad = o;
    bad.chunk = 0;
    expect_invalid([&] { ag::attribute_regions(w.model, examples, target, bad, temp_dir("bad"), w.chromosomes); }, "chunk");
    bad = o;
    bad.report_window = 0;
    expect_invalid([&] { ag::attribute_regions(w.model, examples, target, bad, temp_dir("bad"), w.chromosomes); },
                   "report_window");
    const ag::RegionExamples none(fasta, {}, L);
    expect_invalid([&] { ag::attribute_regions(w.model, none, target, o, temp_dir("bad"), w.chromosomes); }, "regions");
    const ag::RegionExamples shorter(fasta, {ts::region_window("chr1", 0, 50)}, 50);
    expect_invalid([&] { ag::attribute_regions(w.model, shorter, target, o, temp_dir("bad"), w.chromosomes); },
                   "spans 50 bases, not the model's input length 60");
    expect_invalid([&] { ag::attribute_regions(w.model, examples, at::Target::logits(3), o, temp_dir("bad"), w.chromosomes); },
                   "task");
}

TEST(AttributeRegions, IsmAndGradientWriteNoConvergence) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const Index N = examples.size();
    const at::Target target = at::Target::logits(0);
    const auto batch = encode_all(examples);
    for (at::Method method : {at::Method::ism, at::Method::gradient}) {
        ag::AttributeOptions o = deepshap_options();
        o.explain.method = method;
        o.chunk = 3;
        const std::string name = at::to_string(method);
        const std::string dir = temp_dir(name);
        const ag::AttributeResult r = ag::attribute_regions(w.model, examples, target, o, dir, w.chromosomes);
        EXPECT_EQ(r.method, name);
        EXPECT_EQ(r.references, 0);
        EXPECT_TRUE(r.delta.empty());
        EXPECT_EQ(r.max_relative_delta, 0.0);
        EXPECT_EQ(r.degenerate, 0);
        EXPECT_FALSE(std::filesystem::exists(dir + "/convergence.tsv")) << name;
        EXPECT_EQ(r.files, (std::vector<std::string>{dir + "/" + name + ".ohe.npz", dir + "/" + name + ".attr.npz",
                                                     dir + "/regions.bed", dir + "/" + name + ".bw", dir + "/seqlets.bed"}));
        const at::Explanation<float> e = at::explain(w.model, batch.inputs(), target, o.explain, 0);
        const auto attr = attrprior::io::read_npz<float>(dir + "/" + name + ".attr.npz");
        ASSERT_EQ(attr.data.size(), e.hypothetical.size());
        const std::vector<float> want = transposed(e.hypothetical, N);
        for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(attr.data[i], want[i], 1e-5f * (1 + std::fabs(want[i]))) << name << " " << i;
    }
    // A prefix of one's own, and no bigWig.
    ag::AttributeOptions o = deepshap_options();
    o.explain.method = at::Method::gradient;
    o.prefix = "mine";
    o.bigwig = false;
    const std::string dir = temp_dir("prefix");
    const ag::AttributeResult r = ag::attribute_regions(w.model, examples, target, o, dir, w.chromosomes);
    EXPECT_EQ(r.prefix, "mine");
    EXPECT_EQ(r.files, (std::vector<std::string>{dir + "/mine.ohe.npz", dir + "/mine.attr.npz", dir + "/regions.bed",
                                                 dir + "/seqlets.bed"}));
    EXPECT_FALSE(std::filesystem::exists(dir + "/mine.bw"));
}

TEST(AttributeRegions, DegenerateRegionsAreCounted) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    // Regions 4 and its copy are "ACAC...": every shuffle equals the sequence.
    std::vector<ag::Interval> windows = w.windows;
    windows.push_back(w.windows[4]);
    const ag::RegionExamples examples(fasta, windows, L);
    ag::AttributeOptions o = deepshap_options();
    o.chunk = 2;
    const ag::AttributeResult r =
        ag::attribute_regions(w.model, examples, at::Target::logits(0), o, temp_dir("deg"), w.chromosomes);
    EXPECT_EQ(r.degenerate, 2);
    for (Index k : {4, 7})
        for (Index i = 0; i < L; ++i) EXPECT_EQ(r.track[static_cast<std::size_t>(k * L + i)], 0.f);
    // IG from shuffled baselines reports them too.
    o.explain.method = at::Method::integrated_gradients;
    o.explain.ig_baseline = at::Baseline::shuffles;
    o.explain.ig_steps = 4;
    const ag::AttributeResult ig =
        ag::attribute_regions(w.model, examples, at::Target::logits(0), o, temp_dir("deg_ig"), w.chromosomes);
    EXPECT_EQ(ig.degenerate, 2);
    EXPECT_EQ(ig.references, kShuffles);
}

TEST(AttributionReportData, LabelsRelativeDeltasAndAWellFormedReport) {
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const Index N = examples.size();
    ag::AttributeOptions o = deepshap_options();
    o.report_regions = 7;  // every region, so the unnamed one is among them
    const ag::AttributeResult r =
        ag::attribute_regions(w.model, examples, at::Target::logits(0), o, temp_dir("report"), w.chromosomes);
    const attrprior::report::AttributionReportData d = ag::attribution_report_data(r, w.windows, "logits", 5, 2e-3);
    EXPECT_EQ(d.method, "deepshap");
    EXPECT_EQ(d.target, "logits");
    EXPECT_EQ(d.skipped, 5);
    EXPECT_EQ(d.regions, N);
    EXPECT_EQ(d.length, L);
    EXPECT_EQ(d.top, N);
    ASSERT_EQ(d.labels.size(), static_cast<std::size_t>(N));
    for (std::size_t k = 0; k < d.labels.size(); ++k) {
        const ag::Interval& win = w.windows[static_cast<std::size_t>(r.top[k])];
        const std::string coords = win.chrom + ":" + std::to_string(win.start) + "-" + std::to_string(win.end);
        EXPECT_EQ(d.labels[k], win.name.empty() ? coords : coords + " " + win.name);
        EXPECT_EQ(d.chroms[k], win.chrom);
        EXPECT_EQ(d.starts[k], win.start);
    }
    EXPECT_EQ(d.projected, r.top_projected);
    ASSERT_TRUE(d.deltas.has_value());
    ASSERT_EQ(d.deltas->size(), static_cast<std::size_t>(N * kShuffles));
    for (Index b = 0; b < N; ++b)
        for (Index k = 0; k < kShuffles; ++k) {
            const std::size_t i = static_cast<std::size_t>(b * kShuffles + k);
            const double fx = r.value[static_cast<std::size_t>(b)], fr = r.reference_value[i];
            EXPECT_DOUBLE_EQ((*d.deltas)[i], double(r.delta[i]) / std::max({1.0, std::fabs(fx), std::fabs(fr)}));
        }
    EXPECT_EQ(d.references, kShuffles);
    ASSERT_TRUE(d.delta_threshold.has_value());
    EXPECT_EQ(*d.delta_threshold, 2e-3);
    EXPECT_EQ(d.positive_seqlets, r.seqlets_per_region[0]);
    EXPECT_EQ(d.negative_seqlets, r.seqlets_per_region[1]);

    const std::string path = temp_path("report.svg");
    attrprior::report::attribution_report(path, d);
    const std::string svg = read_file(path);
    ts::expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr("deepshap of logits: 7 regions, 5 skipped"));
    EXPECT_THAT(svg, HasSubstr("chr2:20-80"));

    // Windows of another count; a method without deltas.
    std::vector<ag::Interval> fewer = w.windows;
    fewer.pop_back();
    expect_invalid([&] { ag::attribution_report_data(r, fewer, "logits", 0); }, "windows");
    o.explain.method = at::Method::gradient;
    const ag::AttributeResult g =
        ag::attribute_regions(w.model, examples, at::Target::logits(0), o, temp_dir("report_grad"), w.chromosomes);
    const auto dg = ag::attribution_report_data(g, w.windows, "logits", 0);
    EXPECT_FALSE(dg.deltas.has_value());
    EXPECT_EQ(dg.references, 0);
    const std::string grad_path = temp_path("report_grad.svg");
    attrprior::report::attribution_report(grad_path, dg);
    ts::expect_well_formed(read_file(grad_path));
}

TEST(AttributeRegions, WindowsTheBigWigCannotHoldFailBeforeAnyRegionIsExplained) {
    // The contribution bigWig is written last; a window it cannot place (chromosome not in
    // the list, summit outside the window) must fail before hours of explaining, with no
    // file written.
    World w;
    const ag::Fasta fasta(w.fasta_path);
    const ag::RegionExamples examples(fasta, w.windows, L);
    const ag::AttributeOptions o = deepshap_options();
    Index chunks = 0;
    const auto count = [&](Index, Index, Index) { ++chunks; };
    std::string dir = temp_dir("no_chr3");
    std::vector<std::pair<std::string, Index>> without_chr3(w.chromosomes.begin(), w.chromosomes.end() - 1);
    std::string m = error_message<attrprior::invalid_argument>([&] {
        ag::attribute_regions(w.model, examples, at::Target::logits(0), o, dir, without_chr3, nullptr, {}, count);
    });
    EXPECT_THAT(m, HasSubstr("windows[4] 'deg' (chr3:0-60)"));
    EXPECT_EQ(chunks, 0);
    EXPECT_FALSE(std::filesystem::exists(dir + "/deepshap.ohe.npz"));
    EXPECT_FALSE(std::filesystem::exists(dir + "/deepshap.attr.npz"));

    std::vector<ag::Interval> windows = w.windows;
    windows[2].summit = 0;  // e.g. a window built by hand
    const ag::RegionExamples off(fasta, windows, L);
    dir = temp_dir("summit");
    m = error_message<attrprior::invalid_argument>([&] {
        ag::attribute_regions(w.model, off, at::Target::logits(0), o, dir, w.chromosomes, nullptr, {}, count);
    });
    EXPECT_THAT(m, HasSubstr("windows[2] 'c' (chr1:130-190)"));
    EXPECT_EQ(chunks, 0);
    EXPECT_FALSE(std::filesystem::exists(dir + "/deepshap.ohe.npz"));
    // Without the bigWig neither matters.
    ag::AttributeOptions no_bigwig = o;
    no_bigwig.bigwig = false;
    const ag::AttributeResult r =
        ag::attribute_regions(w.model, off, at::Target::logits(0), no_bigwig, temp_dir("nobw"), without_chr3);
    EXPECT_EQ(r.regions, 7);
}
