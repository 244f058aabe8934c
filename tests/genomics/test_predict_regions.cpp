// Tests of attrprior/genomics/predict_regions.hpp: layout_of for binary and profile models
// (strands from the spec's options) and its error for other outputs; predict_regions equals
// the model's forward pass on the encoded regions; probability = sigmoid(logit) and
// predicted_counts = expm1(log counts); predictions.tsv header and rows read back; the
// predicted profile bigWigs (one per task and strand, softmax(logits) x predicted total)
// over each region's OUTPUT window, for profile models with and without control tracks.
#include "attrprior/genomics/predict_regions.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/region_files.hpp"
#include "../support/temp_files.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"
#include "attrprior/models/spec.hpp"
#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/pooling.hpp"

namespace ag = attrprior::genomics;
namespace am = attrprior::models;
namespace nn = attrprior::nn;
namespace ts = attrprior::testing;
using attrprior::Index;
using ts::error_message;
using ts::expect_invalid;
using ts::read_tsv;
using ::testing::HasSubstr;

namespace {

constexpr Index L = 60;

std::string temp_path(const std::string& name) { return ts::temp_path("attrprior_predict_regions_", name); }

const std::vector<std::pair<std::string, Index>> kChromosomes{{"chr1", 400}, {"chr2", 200}};

struct Genome {
    std::string path;
    Genome() {
        path = temp_path("genome.fa");
        ts::write_fasta(path, {{"chr1", ts::random_bases(400, 21)}, {"chr2", ts::random_bases(200, 22)}});
    }
};

/// Five non-overlapping windows (one unnamed).
std::vector<ag::Interval> test_windows() {
    return {ts::region_window("chr1", 10, L, "a"), ts::region_window("chr1", 100, L, "b"),
            ts::region_window("chr1", 300, L), ts::region_window("chr2", 50, L, "d"),
            ts::region_window("chr2", 120, L, "e")};
}

am::BinaryModelOptions binary_options() {
    am::BinaryModelOptions o;
    o.length = L;
    o.tasks = 2;
    o.filters = 4;
    o.kernels = {5, 5};
    o.pool = 4;
    o.dense = {6};
    return o;
}

/// 60 bases in, 48 out (trims 12: 6 from each end).
am::ProfileModelOptions profile_options(Index tasks, Index strands, am::Controls controls) {
    am::ProfileModelOptions o;
    o.input_length = L;
    o.tasks = tasks;
    o.strands = strands;
    o.controls = controls;
    o.filters = 3;
    o.first_kernel = 5;
    o.dilated_kernel = 3;
    o.dilations = {2};
    o.profile_kernel = 5;
    o.output_length = L - am::profile_trimmed_positions(o);
    return o;
}

/// Non-trivial running statistics and biases, so outputs differ between regions.
template <class Model>
void perturb(Model& m, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    for (Index i = 0; i < m.state().size(); ++i) m.state()[i] = 0.4f + 0.5f * float(gen() % 1000) / 1000.f;
}

/// Model outputs of every example in one forward pass (eval), output k as a vector.
std::vector<std::vector<float>> forward_all(nn::Model<float>& model, const ag::RegionExamples& examples) {
    attrprior::train::Batch<float> batch(examples.shapes(), examples.size());
    examples.encode(0, examples.size(), batch);
    model.forward(batch.inputs(), nn::Mode::eval);
    std::vector<std::vector<float>> out;
    for (std::size_t k = 0; k < model.outputs().size(); ++k) {
        const auto y = model.output(k);
        out.emplace_back(y.data, y.data + y.size());
    }
    return out;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i]))) << what << " element " << i;
}

/// The predicted profile of (region r, channel k): softmax over the O positions of the
/// logits times expm1(log counts), computed here in double.
std::vector<double> expected_profile(const ag::RegionPredictions& p, Index r, Index k) {
    const Index O = p.layout.output_length, P = p.layout.tasks * p.layout.strands;
    const float* z = p.logits.data() + r * O * P;
    double mx = -INFINITY;
    for (Index o = 0; o < O; ++o) mx = std::max(mx, double(z[o * P + k]));
    double sum = 0;
    for (Index o = 0; o < O; ++o) sum += std::exp(double(z[o * P + k]) - mx);
    const double total = std::expm1(double(p.log_counts[static_cast<std::size_t>(r * P + k)]));
    std::vector<double> v(static_cast<std::size_t>(O));
    for (Index o = 0; o < O; ++o) v[static_cast<std::size_t>(o)] = std::exp(double(z[o * P + k]) - mx) / sum * total;
    return v;
}

/// Reads back every predicted bigWig and compares it with expected_profile over each
/// region's output window [start + (L - O) / 2, + O); the rest of the input window is empty.
void expect_profile_bigwigs(const std::string& prefix, const std::vector<std::string>& paths,
                            const std::vector<std::string>& names, const std::vector<ag::Interval>& windows,
                            const ag::RegionPredictions& p) {
    ASSERT_EQ(paths.size(), names.size());
    const Index O = p.layout.output_length, offset = (L - O) / 2;
    for (std::size_t k = 0; k < names.size(); ++k) {
        EXPECT_EQ(paths[k], prefix + "." + names[k] + ".bw");
        ASSERT_TRUE(std::filesystem::exists(paths[k])) << paths[k];
        const ag::BigWigReader bw(paths[k]);
        EXPECT_EQ(bw.chromosomes(), kChromosomes);
        for (std::size_t r = 0; r < windows.size(); ++r) {
            const ag::Interval& w = windows[r];
            const std::vector<float> got = bw.read(w.chrom, w.start, w.end);
            const std::vector<double> want = expected_profile(p, static_cast<Index>(r), static_cast<Index>(k));
            double sum = 0;
            for (Index i = 0; i < L; ++i) {
                const double g = got[static_cast<std::size_t>(i)];
                if (i < offset || i >= offset + O) {
                    EXPECT_EQ(g, 0.0) << paths[k] << " region " << r << " input position " << i
                                      << " lies outside the output window";
                } else {
                    const double e = want[static_cast<std::size_t>(i - offset)];
                    EXPECT_NEAR(g, e, 1e-5 * (1e-3 + std::fabs(e))) << paths[k] << " region " << r << " position " << i;
                    sum += g;
                }
            }
            // The profile sums to the predicted total.
            const double total = p.predicted_counts(static_cast<Index>(r), static_cast<Index>(k));
            EXPECT_NEAR(sum, total, 1e-5 * (1 + std::fabs(total)));
        }
    }
}

}  // namespace

TEST(LayoutOf, BinaryModel) {
    const am::BinaryModelOptions o = binary_options();
    const auto model = am::make_binary_model<float>(o, 1);
    const ag::ModelLayout l = ag::layout_of(model, am::spec_of(o));
    EXPECT_FALSE(l.profile);
    EXPECT_EQ(l.tasks, 2);
    EXPECT_EQ(l.strands, 1);
    EXPECT_EQ(l.output_length, 1);
    EXPECT_EQ(l.controls, 0);
    EXPECT_EQ(l.channel_name(0), "task0");
    EXPECT_EQ(l.channel_name(1), "task1");
}

TEST(LayoutOf, ProfileModelsTakeTheirStrandsFromTheSpec) {
    {
        const am::ProfileModelOptions o = profile_options(2, 2, am::Controls::matched);
        const auto model = am::make_profile_model<float>(o, 1);
        am::ModelSpec spec = am::spec_of(o);
        const ag::ModelLayout l = ag::layout_of(model, spec);
        EXPECT_TRUE(l.profile);
        EXPECT_EQ(l.tasks, 2);
        EXPECT_EQ(l.strands, 2);
        EXPECT_EQ(l.output_length, 48);
        EXPECT_EQ(l.controls, 4);  // matched: one control track per task and strand
        EXPECT_EQ(l.channel_name(0), "task0.plus");
        EXPECT_EQ(l.channel_name(1), "task0.minus");
        EXPECT_EQ(l.channel_name(2), "task1.plus");
        EXPECT_EQ(l.channel_name(3), "task1.minus");
        // Without "strands" in the options every channel is a task.
        spec.options = attrprior::io::Json::object();
        const ag::ModelLayout no_strands = ag::layout_of(model, spec);
        EXPECT_EQ(no_strands.strands, 1);
        EXPECT_EQ(no_strands.tasks, 4);
        EXPECT_EQ(no_strands.channel_name(3), "task3");
        // A strand count that does not divide the 4 channels.
        spec.options["strands"] = 3;
        expect_invalid([&] { ag::layout_of(model, spec); }, "strands");
    }
    {
        const am::ProfileModelOptions o = profile_options(2, 1, am::Controls::none);
        const auto model = am::make_profile_model<float>(o, 1);
        const ag::ModelLayout l = ag::layout_of(model, am::spec_of(o));
        EXPECT_TRUE(l.profile);
        EXPECT_EQ(l.tasks, 2);
        EXPECT_EQ(l.strands, 1);
        EXPECT_EQ(l.controls, 0);
        EXPECT_EQ(l.channel_name(1), "task1");
    }
}

TEST(LayoutOf, OtherOutputsAreInvalidArgumentsNamingTheShapes) {
    nn::Model<float> per_position(nn::Shape{40, 4});
    per_position.add("conv", nn::conv1d<float>(3, 5, nn::Padding::same));
    per_position.compile(1);
    std::string m = error_message<attrprior::invalid_argument>([&] { ag::layout_of(per_position, am::ModelSpec()); });
    EXPECT_THAT(m, HasSubstr("[[40, 3]]"));

    // Two outputs whose channels differ: neither layout.
    nn::Model<float> two(nn::Shape{40, 4});
    const nn::NodeId conv = two.add("conv", nn::conv1d<float>(3, 5, nn::Padding::same));
    two.add(nn::global_average_pool1d<float>(), conv);
    const nn::NodeId fc = two.add("fc", nn::linear<float>(2));
    two.set_outputs({conv, fc});
    two.compile(1);
    m = error_message<attrprior::invalid_argument>([&] { ag::layout_of(two, am::ModelSpec()); });
    EXPECT_THAT(m, HasSubstr("[[40, 3], [1, 2]]"));
}

TEST(PredictRegions, BinaryEqualsTheForwardPassAndTheSigmoid) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const am::BinaryModelOptions o = binary_options();
    auto model = am::make_binary_model<float>(o, 4);
    perturb(model, 5);
    const ag::ModelLayout layout = ag::layout_of(model, am::spec_of(o));
    const std::vector<ag::Interval> windows = test_windows();
    const ag::RegionExamples examples(fasta, windows, L);
    std::vector<Index> progress;
    const ag::RegionPredictions p =
        ag::predict_regions(model, layout, examples, 2, [&](Index, Index done, Index) { progress.push_back(done); });
    EXPECT_EQ(progress, (std::vector<Index>{2, 4, 5}));
    EXPECT_EQ(p.regions, 5);
    EXPECT_FALSE(p.layout.profile);
    EXPECT_TRUE(p.log_counts.empty());
    const auto forward = forward_all(model, examples);
    expect_close(p.logits, forward[0], "logits");
    // The logits differ between regions (the test would not see swapped rows otherwise).
    EXPECT_NE(p.logits[0], p.logits[2]);
    for (Index r = 0; r < 5; ++r)
        for (Index t = 0; t < 2; ++t) {
            const double z = p.logits[static_cast<std::size_t>(r * 2 + t)];
            EXPECT_NEAR(p.probability(r, t), 1.0 / (1.0 + std::exp(-z)), 1e-15);
        }
    // Far from 0 the sigmoid is neither NaN (exp overflow) nor cancelled: small
    // probabilities keep their relative precision.
    ag::RegionPredictions far = p;
    far.logits = {-800.f, 800.f, -60.f, 60.f};
    EXPECT_EQ(far.probability(0, 0), 0.0);
    EXPECT_EQ(far.probability(0, 1), 1.0);
    EXPECT_NEAR(far.probability(1, 0) / std::exp(-60.0), 1.0, 1e-12);
    EXPECT_EQ(far.probability(1, 1), 1.0 / (1.0 + std::exp(-60.0)));
}

TEST(PredictRegions, BinaryPredictionsTsvReadsBack) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const am::BinaryModelOptions o = binary_options();
    auto model = am::make_binary_model<float>(o, 4);
    perturb(model, 5);
    const std::vector<ag::Interval> windows = test_windows();
    const ag::RegionExamples examples(fasta, windows, L);
    const ag::RegionPredictions p = ag::predict_regions(model, ag::layout_of(model, am::spec_of(o)), examples);
    const std::string path = temp_path("predictions.tsv");
    ag::write_predictions_tsv(path, windows, p);
    const auto rows = read_tsv(path);
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"chrom", "start", "end", "name", "logit_task0", "probability_task0",
                                                 "logit_task1", "probability_task1"}));
    for (std::size_t r = 0; r < 5; ++r) {
        const auto& f = rows[r + 1];
        ASSERT_EQ(f.size(), 8u);
        EXPECT_EQ(f[0], windows[r].chrom);
        EXPECT_EQ(std::stoll(f[1]), windows[r].start);
        EXPECT_EQ(std::stoll(f[2]), windows[r].end);
        EXPECT_EQ(f[3], windows[r].name.empty() ? "." : windows[r].name);
        for (Index t = 0; t < 2; ++t) {
            EXPECT_EQ(static_cast<float>(std::stod(f[static_cast<std::size_t>(4 + 2 * t)])), p.logits[r * 2 + static_cast<std::size_t>(t)]);
            EXPECT_EQ(std::stod(f[static_cast<std::size_t>(5 + 2 * t)]), p.probability(static_cast<Index>(r), t));
        }
    }
    std::vector<ag::Interval> fewer = windows;
    fewer.pop_back();
    expect_invalid([&] { ag::write_predictions_tsv(path, fewer, p); }, "windows");
    // The predicted profiles need a profile model.
    expect_invalid([&] { ag::write_predicted_profile_bigwigs(temp_path("pred"), examples, p, kChromosomes); },
                   "binary");
}

TEST(PredictRegions, ProfileWithControlsEqualsTheForwardPassAndWritesProfilesOverTheOutputWindow) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const std::string plus = temp_path("control_plus.bw"), minus = temp_path("control_minus.bw");
    ts::write_track(plus, kChromosomes, [](const std::string& c, Index p) { return float((p * 7 + c.size()) % 5); });
    ts::write_track(minus, kChromosomes, [](const std::string&, Index p) { return float(p % 3); });
    const ag::BigWigReader cp(plus), cm(minus);
    const am::ProfileModelOptions o = profile_options(1, 2, am::Controls::matched);
    auto model = am::make_profile_model<float>(o, 7);
    am::initialize_counts_head(model, o, {3.0, 2.0});  // totals of about 20 and 7
    const ag::ModelLayout layout = ag::layout_of(model, am::spec_of(o));
    const std::vector<ag::Interval> windows = test_windows();
    const ag::RegionExamples examples(fasta, windows, L, {&cp, &cm}, layout.output_length);
    const ag::RegionPredictions p = ag::predict_regions(model, layout, examples, 3);
    const auto forward = forward_all(model, examples);
    expect_close(p.logits, forward[0], "profile logits");
    expect_close(p.log_counts, forward[1], "log counts");
    ASSERT_EQ(p.log_counts.size(), 10u);
    for (Index r = 0; r < 5; ++r)
        for (Index k = 0; k < 2; ++k) {
            EXPECT_EQ(p.predicted_counts(r, k), std::expm1(double(p.log_counts[static_cast<std::size_t>(r * 2 + k)])));
            EXPECT_GT(p.predicted_counts(r, k), 1.0);
        }
    EXPECT_NE(p.predicted_counts(0, 0), p.predicted_counts(0, 1));

    const std::string tsv = temp_path("predictions.tsv");
    ag::write_predictions_tsv(tsv, windows, p);
    const auto rows = read_tsv(tsv);
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"chrom", "start", "end", "name", "predicted_counts_task0.plus",
                                                 "predicted_counts_task0.minus"}));
    for (std::size_t r = 0; r < 5; ++r) {
        ASSERT_EQ(rows[r + 1].size(), 6u);
        EXPECT_EQ(rows[r + 1][3], windows[r].name.empty() ? "." : windows[r].name);
        for (Index k = 0; k < 2; ++k)
            EXPECT_EQ(std::stod(rows[r + 1][static_cast<std::size_t>(4 + k)]), p.predicted_counts(static_cast<Index>(r), k));
    }

    const std::string prefix = temp_path("predicted");
    const auto paths = ag::write_predicted_profile_bigwigs(prefix, examples, p, kChromosomes);
    expect_profile_bigwigs(prefix, paths, {"task0.plus", "task0.minus"}, windows, p);
}

TEST(PredictRegions, ProfileWithoutControlsWritesProfilesOverTheOutputWindow) {
    // A profile model without control tracks still predicts its centred O positions: the
    // bigWigs must place the profile (L - O) / 2 bases in, and examples that were not given
    // the output length are refused.
    const Genome g;
    const ag::Fasta fasta(g.path);
    const am::ProfileModelOptions o = profile_options(2, 1, am::Controls::none);
    auto model = am::make_profile_model<float>(o, 8);
    am::initialize_counts_head(model, o, {2.5, 3.5});
    const ag::ModelLayout layout = ag::layout_of(model, am::spec_of(o));
    const std::vector<ag::Interval> windows = test_windows();
    // As the predict program builds it: the output length given, no controls.
    const ag::RegionExamples examples(fasta, windows, L, {}, layout.output_length);
    const ag::RegionPredictions p = ag::predict_regions(model, layout, examples);
    const auto forward = forward_all(model, examples);
    expect_close(p.logits, forward[0], "profile logits");
    expect_close(p.log_counts, forward[1], "log counts");
    const std::string prefix = temp_path("predicted");
    const auto paths = ag::write_predicted_profile_bigwigs(prefix, examples, p, kChromosomes);
    expect_profile_bigwigs(prefix, paths, {"task0", "task1"}, windows, p);
    const ag::RegionExamples no_output_length(fasta, windows, L);
    expect_invalid([&] { ag::write_predicted_profile_bigwigs(prefix, no_output_length, p, kChromosomes); },
                   "output_length");
    // Predictions of another number of regions than the examples'.
    ag::RegionPredictions fewer = p;
    fewer.regions = 4;
    expect_invalid([&] { ag::write_predicted_profile_bigwigs(prefix, examples, fewer, kChromosomes); }, "predictions");
}
