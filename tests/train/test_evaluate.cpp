// Evaluation over an example set (train/evaluate.hpp): the same numbers as computing each
// metric by hand from chunked predictions.
#include "attrprior/train/evaluate.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"

#include "../support/small_models.hpp"

namespace ap = attrprior;
namespace train = attrprior::train;
using ap::Index;

TEST(EvaluateBinary, MatchesTheMetricsOfChunkedPredictions) {
    const Index N = 37, L = 120;
    auto model = ap::testing::small_binary_model(4);
    const auto x = ap::testing::random_one_hot(N, L, 2);
    std::vector<float> y(static_cast<std::size_t>(N));
    for (Index i = 0; i < N; ++i) y[static_cast<std::size_t>(i)] = i % 3 == 0 ? 1.f : 0.f;
    const train::TensorExamples<float> ex({x.data(), N, L, 4}, {y.data(), N, 1, 1});
    std::vector<std::vector<char>> masks(static_cast<std::size_t>(N), std::vector<char>(static_cast<std::size_t>(L), 0));
    for (auto& m : masks) std::fill(m.begin() + 50, m.begin() + 60, 1);
    train::EvaluationOptions eo;
    eo.chunk = 16;
    eo.fourier.freq_limit = 30;
    eo.site_masks = &masks;
    const auto ev = train::evaluate_binary(model, ex, eo);

    std::vector<float> logits(static_cast<std::size_t>(N)), attr(x.size());
    train::Predictor<float> p(7);
    p.attributions(model, ex, {attr.data(), N, L, 4}, {{logits.data(), N, 1, 1}});
    std::vector<double> scores(logits.begin(), logits.end());
    std::vector<int> labels(y.begin(), y.end());
    EXPECT_EQ(ev.labels, labels);
    EXPECT_DOUBLE_EQ(ev.metrics.at("auroc"), ap::metrics::auroc(scores, labels));
    EXPECT_DOUBLE_EQ(ev.metrics.at("accuracy"), ap::metrics::accuracy(scores, labels));
    std::vector<Index> positives;
    for (Index i = 0; i < N; i += 3) positives.push_back(i);
    const ap::ConstTensor3<float> a(attr.data(), N, L, 4);
    const auto summary = ap::metrics::attribution_summary(a, positives, eo.fourier, &masks);
    EXPECT_NEAR(ev.metrics.at("fourier_score"), summary.at("fourier_score"), 1e-6);
    EXPECT_NEAR(ev.metrics.at("motif_share"), summary.at("motif_share"), 1e-6);
    Index best = -1;
    for (Index i : positives)
        if (best < 0 || logits[static_cast<std::size_t>(i)] > logits[static_cast<std::size_t>(best)]) best = i;
    EXPECT_EQ(ev.best_positive, best);
    EXPECT_EQ(ev.mean_spectrum.size(), static_cast<std::size_t>(L / 2 + 1));
    masks.pop_back();
    EXPECT_THROW(train::evaluate_binary(model, ex, eo), ap::invalid_argument);  // one mask per example
}

TEST(EvaluateProfile, MatchesProfileMetricsOfThePredictions) {
    const ap::models::ProfileModelOptions o = ap::testing::small_profile_options();
    auto model = ap::models::make_profile_model<float>(o, 2);
    const Index N = 9, L = o.input_length, O = o.output_length, P = 2;
    const auto x = ap::testing::random_one_hot(N, L, 3);
    std::vector<float> control(static_cast<std::size_t>(N * O * P)), counts(control.size());
    std::mt19937_64 gen(5);
    std::poisson_distribution<int> reads(3.0);
    for (auto& v : control) v = float(reads(gen));
    for (auto& v : counts) v = float(reads(gen));
    const train::TensorExamples<float> ex({{x.data(), N, L, 4}, {control.data(), N, O, P}}, {counts.data(), N, O, P});
    train::EvaluationOptions eo;
    eo.chunk = 4;
    eo.fourier.freq_limit = 30;
    const auto ev = train::evaluate_profile(model, ex, train::ProfileTarget(), eo);
    EXPECT_EQ(ev.observed, counts);
    std::vector<float> logits(counts.size()), log_counts(static_cast<std::size_t>(N * P));
    train::Predictor<float> p(N);
    p.outputs(model, ex, {{logits.data(), N, O, P}, {log_counts.data(), N, 1, P}});
    const auto pm = ap::metrics::profile_metrics(ap::ConstTensor3<float>(counts.data(), N, O, P),
                                                 ap::ConstTensor3<float>(logits.data(), N, O, P),
                                                 ap::ConstTensor3<float>(log_counts.data(), N, 1, P));
    EXPECT_NEAR(ev.metrics.at("profile_jsd"), pm.profile_jsd, 1e-6);
    EXPECT_NEAR(ev.metrics.at("counts_pearson"), pm.counts_pearson, 1e-6);
    EXPECT_GE(ev.best, 0);
    EXPECT_LT(ev.best, N);
    EXPECT_EQ(ev.metrics.count("motif_share"), 0u);
}
