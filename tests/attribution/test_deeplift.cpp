// DeepLIFT: exact identities (linear model, summation to delta), batch independence, the
// max-pool rule on overlapping windows, N rows, and rejection of layers without a rule.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attrprior/attribution/deeplift.hpp"
#include "attrprior/attribution/gradient.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

namespace {

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double e : v) m = std::max(m, std::abs(e));
    return m;
}

// Sum of contributions sum_{i,c} m (x - r) per pair recomputed from kept multipliers.
double contribution_sum(const at::DeepLiftScores<double>& s, const std::vector<double>& x,
                        const std::vector<double>& refs, Index b, Index k) {
    const Index L = s.length, C = s.channels, K = s.references;
    double sum = 0;
    for (Index e = 0; e < L * C; ++e)
        sum += s.multipliers[static_cast<std::size_t>((b * K + k) * L * C + e)] *
               (x[static_cast<std::size_t>(b * L * C + e)] - refs[static_cast<std::size_t>((b * K + k) * L * C + e)]);
    return sum;
}

}  // namespace

TEST(DeepLift, LinearModelEqualsGradientTimesDifference) {
    const Index B = 3, K = 2, L = 30;
    auto model = ap::testing::linear_model(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 1, {{1, 4}, {1, 5}});
    const auto refs = ap::testing::one_hot_with_n(B * K, L, 2, {{3, 7}});
    at::DeepLiftOptions o;
    o.keep_multipliers = true;
    const auto s = at::deeplift(model, {T3(x.data(), B, L, 4)}, T3(refs.data(), B * K, L, 4), K, at::Target::logits(), o);
    // Gradient of a linear model is the same everywhere: m = g for every pair.
    at::GradientOptions go;
    go.centred = false;
    const auto g = at::gradient_times_input(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), go);
    for (Index b = 0; b < B; ++b)
        for (Index k = 0; k < K; ++k)
            for (Index e = 0; e < L * 4; ++e)
                EXPECT_NEAR(s.multipliers[static_cast<std::size_t>((b * K + k) * L * 4 + e)],
                            g.hypothetical[static_cast<std::size_t>(b * L * 4 + e)], 1e-12);
    EXPECT_LT(max_abs(s.delta), 1e-12);
}

TEST(DeepLift, SumsToDeltaOnBinaryModelWithEvalBatchNorm) {
    const Index B = 3, K = 3, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 5, {{1, 50}, {1, 51}, {1, 52}, {2, 100}});
    const auto refs = ap::testing::one_hot_with_n(B * K, L, 6, {{4, 10}});
    at::DeepLiftOptions o;
    o.keep_multipliers = true;
    for (const auto& target : {at::Target::logits(), at::Target::logits(1)}) {
        const auto s = at::deeplift(model, {T3(x.data(), B, L, 4)}, T3(refs.data(), B * K, L, 4), K, target, o);
        for (Index b = 0; b < B; ++b) {
            for (Index k = 0; k < K; ++k) {
                const std::size_t p = static_cast<std::size_t>(b * K + k);
                const double df = s.value[static_cast<std::size_t>(b)] - s.reference_value[p];
                const double scale = std::max({1.0, std::abs(s.value[static_cast<std::size_t>(b)]), std::abs(s.reference_value[p])});
                EXPECT_LE(std::abs(s.delta[p]), 1e-10 * scale) << "pair " << p;
                EXPECT_NEAR(contribution_sum(s, x, refs, b, k) - df, s.delta[p], 1e-12 * scale);
                EXPECT_GT(std::abs(df), 1e-6) << "references must differ from x in f";
            }
            // Mean over references: sum P + sum n_contrib = mean_k (f(x) - f(r_k)).
            double total = 0, expected = 0;
            for (Index i = 0; i < L; ++i) total += s.track(b, i) + s.n_contrib[static_cast<std::size_t>(b * L + i)];
            for (Index k = 0; k < K; ++k)
                expected += (s.value[static_cast<std::size_t>(b)] - s.reference_value[static_cast<std::size_t>(b * K + k)]) / double(K);
            EXPECT_NEAR(total, expected, 1e-10 * std::max(1.0, std::abs(expected)));
        }
        EXPECT_EQ(s.warnings, 0);
        // N rows: P is zero there, n_contrib is generally not.
        for (Index c = 0; c < 4; ++c) EXPECT_EQ(s.projected[static_cast<std::size_t>((1 * L + 50) * 4 + c)], 0.0);
        EXPECT_NE(s.n_contrib[static_cast<std::size_t>(1 * L + 50)], 0.0);
        EXPECT_EQ(s.n_contrib[static_cast<std::size_t>(0 * L + 50)], 0.0);
    }
}

TEST(DeepLift, OverlappingMaxPoolsAccumulateCredit) {
    const Index B = 4, K = 3, L = 40;
    auto model = ap::testing::maxpool_model();
    const auto x = ap::testing::one_hot_with_n(B, L, 7, {{0, 3}});
    const auto refs = ap::testing::one_hot_with_n(B * K, L, 8);
    const auto s = at::deeplift(model, {T3(x.data(), B, L, 4)}, T3(refs.data(), B * K, L, 4), K, at::Target::logits());
    for (Index p = 0; p < B * K; ++p) {
        const double scale = std::max({1.0, std::abs(s.value[static_cast<std::size_t>(p / K)]),
                                       std::abs(s.reference_value[static_cast<std::size_t>(p)])});
        EXPECT_LE(std::abs(s.delta[static_cast<std::size_t>(p)]), 1e-10 * scale);
    }
}

TEST(DeepLift, MaxPoolRuleRoutesCreditToBothArgmaxes) {
    // One MaxPool1d(4, 2) over 8 positions and 1 channel, example and reference in one batch.
    ap::nn::MaxPool1d<double> pool(4, 2);
    // x row then r row; windows [0,4), [2,6), [4,8).
    std::vector<double> in = {0, 0, 9, 0, 0, 0, 1, 0,   // x
                              0, 3, 0, 0, 5, 0, 0, 0};  // r
    std::vector<double> out(6), g_out = {1, 1, 1, 1, 1, 1}, g_in(16);
    pool.forward({in.data(), 2, 8, 1}, {out.data(), 2, 3, 1}, ap::nn::Mode::eval);
    pool.deeplift_backward({in.data(), 2, 8, 1}, {out.data(), 2, 3, 1}, {g_out.data(), 2, 3, 1}, {g_in.data(), 2, 8, 1},
                           {0, 0});
    // Credits per window: y = 9, 9, 1 and y' = 3, 5, 5: sum (y - y') = 6 + 4 - 4 = 6.
    double total = 0;
    for (Index j = 0; j < 8; ++j) total += g_in[static_cast<std::size_t>(8 + j)] * (in[static_cast<std::size_t>(j)] - in[static_cast<std::size_t>(8 + j)]);
    EXPECT_NEAR(total, 6.0, 1e-12);
    // Position 2 wins two windows for x: credit 6 + 4 = 10, divided by Δ = 9.
    EXPECT_NEAR(g_in[8 + 2], 10.0 / 9.0, 1e-12);
    // Example rows keep the ordinary backward (position 2 wins windows 0 and 1).
    EXPECT_EQ(g_in[2], 2.0);
    EXPECT_EQ(g_in[6], 1.0);
}

TEST(DeepLift, ResultsDoNotDependOnBatchSize) {
    const Index B = 5, K = 4, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 9, {{2, 0}});
    const auto refs = ap::testing::one_hot_with_n(B * K, L, 10);
    at::DeepLiftOptions a, b;
    a.batch = 1;
    b.batch = 7;  // chunks split examples' references across passes
    const auto s1 = at::deeplift(model, {T3(x.data(), B, L, 4)}, T3(refs.data(), B * K, L, 4), K, at::Target::logits(), a);
    const auto s2 = at::deeplift(model, {T3(x.data(), B, L, 4)}, T3(refs.data(), B * K, L, 4), K, at::Target::logits(), b);
    const double scale = max_abs(s1.hypothetical);
    for (std::size_t e = 0; e < s1.hypothetical.size(); ++e) EXPECT_NEAR(s1.hypothetical[e], s2.hypothetical[e], 1e-12 * scale);
    for (std::size_t p = 0; p < s1.delta.size(); ++p) EXPECT_NEAR(s1.reference_value[p], s2.reference_value[p], 1e-12);
    // The first example alone gives the same as within the batch.
    const auto one = at::deeplift(model, {T3(x.data(), 1, L, 4)}, T3(refs.data(), K, L, 4), K, at::Target::logits(), b);
    for (Index e = 0; e < L * 4; ++e) EXPECT_NEAR(one.hypothetical[static_cast<std::size_t>(e)], s1.hypothetical[static_cast<std::size_t>(e)], 1e-12 * scale);
}

namespace {
// A layer without a DeepLIFT rule (a user's own elementwise square).
class Square : public ap::nn::Layer<double> {
public:
    std::string kind() const override { return "Square"; }
    ap::nn::Shape output_shape(const ap::nn::Shape& in) const override { return in; }
    void forward(ConstTensor in, Tensor out, ap::nn::Mode) override {
        for (Index e = 0; e < in.size(); ++e) out.data[e] = in.data[e] * in.data[e];
    }
    void backward(ConstTensor in, ConstTensor, ConstTensor g_out, Tensor g_in) override {
        for (Index e = 0; e < in.size(); ++e) g_in.data[e] = 2 * in.data[e] * g_out.data[e];
    }
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const ap::nn::Rows&) override {
        for (Index e = 0; e < in.size(); ++e) u_out.data[e] = 2 * in.data[e] * u_in.data[e];
    }
};
}  // namespace

TEST(DeepLift, RejectsALayerWithoutARule) {
    const Index L = 20;
    ap::nn::Model<double> model(ap::nn::Shape{L, 4});
    model.add("conv", ap::nn::conv1d<double>(3, 5));
    model.add("square", std::make_unique<Square>());
    model.add(ap::nn::flatten<double>());
    model.add("fc", ap::nn::linear<double>(1));
    model.compile(1);
    const auto x = ap::testing::one_hot_with_n(1, L, 1);
    const auto refs = ap::testing::one_hot_with_n(1, L, 2);
    try {
        at::deeplift(model, {T3(x.data(), 1, L, 4)}, T3(refs.data(), 1, L, 4), 1, at::Target::logits());
        FAIL() << "expected a rejection";
    } catch (const ap::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("'square' (Square) has no DeepLIFT rule"), std::string::npos) << e.what();
    }
}

TEST(DeepLift, RejectsReferencesOfTheWrongShape) {
    const Index L = 30;
    auto model = ap::testing::linear_model(L);
    const auto x = ap::testing::one_hot_with_n(2, L, 1);
    const auto refs = ap::testing::one_hot_with_n(3, L, 2);
    EXPECT_THROW(at::deeplift(model, {T3(x.data(), 2, L, 4)}, T3(refs.data(), 3, L, 4), 2, at::Target::logits()),
                 ap::invalid_argument);
}

TEST(DeepShap, AveragesDeepLiftOverSeededShufflesAndFlagsDegenerateExamples) {
    const Index B = 3, L = 201;
    auto model = ap::testing::binary_model_double(L);
    auto x = ap::testing::one_hot_with_n(B, L, 12, {{0, 40}});
    // Example 2: ACTG repeated, a unique Eulerian path: every shuffle is the example.
    for (Index i = 0; i < L; ++i) {
        for (Index c = 0; c < 4; ++c) x[static_cast<std::size_t>((2 * L + i) * 4 + c)] = 0.0;
        x[static_cast<std::size_t>((2 * L + i) * 4 + i % 4)] = 1.0;
    }
    at::DeepShapOptions o;
    o.shuffles.count = 5;
    o.shuffles.seed = 3;
    const auto s = at::deep_shap(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), o);
    EXPECT_EQ(s.references, 5);
    EXPECT_EQ(s.degenerate, (std::vector<char>{0, 0, 1}));
    EXPECT_EQ(s.warnings, 0);
    for (Index e = 0; e < L * 4; ++e) {
        EXPECT_EQ(s.projected[static_cast<std::size_t>(2 * L * 4 + e)], 0.0);
        EXPECT_EQ(s.hypothetical[static_cast<std::size_t>(2 * L * 4 + e)], 0.0);  // not the gradient fallback
    }
    // The same references passed explicitly give the same scores.
    std::vector<double> refs(static_cast<std::size_t>(B * 5 * L * 4));
    at::dinucleotide_shuffles(T3(x.data(), B, L, 4), ap::Tensor3<double>(refs.data(), B * 5, L, 4), o.shuffles);
    const auto d = at::deeplift(model, {T3(x.data(), B, L, 4)}, T3(refs.data(), B * 5, L, 4), 5, at::Target::logits());
    for (Index e = 0; e < 2 * L * 4; ++e)  // the non-degenerate examples
        EXPECT_EQ(s.hypothetical[static_cast<std::size_t>(e)], d.hypothetical[static_cast<std::size_t>(e)]);
    // Explaining example 1 alone with first_example = 1 draws the same shuffles.
    o.first_example = 1;
    const auto one = at::deep_shap(model, {T3(x.data() + L * 4, 1, L, 4)}, at::Target::logits(), o);
    for (Index e = 0; e < L * 4; ++e)
        EXPECT_NEAR(one.hypothetical[static_cast<std::size_t>(e)], s.hypothetical[static_cast<std::size_t>(L * 4 + e)], 1e-12);
}

TEST(DeepShap, ReferencesDrawnInGroupsGiveTheSameScores) {
    const Index B = 5, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 31, {{4, 9}});
    at::DeepShapOptions whole, grouped;
    whole.shuffles.count = grouped.shuffles.count = 5;
    grouped.deeplift.batch = 2;  // groups of 4 * 2 / 5 = 1 example, chunks of 2 pairs
    const auto a = at::deep_shap(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), whole);
    const auto b = at::deep_shap(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), grouped);
    const double scale = max_abs(a.hypothetical);
    for (std::size_t e = 0; e < a.hypothetical.size(); ++e) EXPECT_NEAR(a.hypothetical[e], b.hypothetical[e], 1e-12 * scale);
    for (std::size_t p = 0; p < a.reference_value.size(); ++p) EXPECT_NEAR(a.reference_value[p], b.reference_value[p], 1e-12);
    for (std::size_t e = 0; e < a.n_contrib.size(); ++e) EXPECT_NEAR(a.n_contrib[e], b.n_contrib[e], 1e-12);
    EXPECT_EQ(a.degenerate, b.degenerate);
    for (std::size_t e = 0; e < a.value.size(); ++e) EXPECT_NEAR(a.value[e], b.value[e], 1e-12);
}
