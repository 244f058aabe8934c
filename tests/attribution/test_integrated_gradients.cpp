// Integrated and expected gradients: quadrature rules, linear-model identities,
// completeness on a ReLU model as the rule refines, seeded draws and batch independence.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attrprior/attribution/gradient.hpp"
#include "attrprior/attribution/integrated_gradients.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

TEST(Quadrature, GaussLegendreIsExactForPolynomialsOfDegree2nMinus1) {
    for (Index n : {1, 2, 5, 50}) {
        std::vector<double> a, w;
        at::quadrature(at::Quadrature::gauss_legendre, n, a, w);
        for (Index d = 0; d <= 2 * n - 1; ++d) {
            double integral = 0;
            for (std::size_t k = 0; k < a.size(); ++k) integral += w[k] * std::pow(a[k], double(d));
            EXPECT_NEAR(integral, 1.0 / double(d + 1), 1e-13) << "n " << n << " degree " << d;
        }
        for (std::size_t k = 1; k < a.size(); ++k) EXPECT_LT(a[k - 1], a[k]);
    }
}

TEST(Quadrature, RiemannRulesAsCaptumDefinesThem) {
    std::vector<double> a, w;
    at::quadrature(at::Quadrature::riemann_trapezoid, 5, a, w);
    EXPECT_DOUBLE_EQ(a[0], 0.0);
    EXPECT_DOUBLE_EQ(a[4], 1.0);
    EXPECT_DOUBLE_EQ(w[0], 0.1);
    EXPECT_DOUBLE_EQ(w[2], 0.2);
    at::quadrature(at::Quadrature::riemann_middle, 4, a, w);
    EXPECT_DOUBLE_EQ(a[0], 0.125);
    at::quadrature(at::Quadrature::riemann_right, 4, a, w);
    EXPECT_DOUBLE_EQ(a[3], 1.0);
    EXPECT_THROW(at::quadrature(at::Quadrature::riemann_left, 1, a, w), ap::invalid_argument);
}

TEST(IntegratedGradients, LinearModelEqualsGradientTimesDifference) {
    const Index B = 3, L = 30;
    auto model = ap::testing::linear_model(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 1, {{0, 2}});
    const auto base = ap::testing::one_hot_with_n(B, L, 3);
    at::GradientOptions go;
    go.centred = false;
    const auto g = at::gradient_times_input(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), go);
    for (const auto rule : {at::Quadrature::gauss_legendre, at::Quadrature::riemann_middle}) {
        at::IntegratedGradientsOptions o;
        o.rule = rule;
        o.steps = 7;
        const auto ig = at::integrated_gradients(model, {T3(x.data(), B, L, 4)}, T3(base.data(), B, L, 4), 1,
                                                 at::Target::logits(), o);
        for (std::size_t e = 0; e < ig.attribution.size(); ++e)
            EXPECT_NEAR(ig.attribution[e], g.hypothetical[e] * (x[e] - base[e]), 1e-12);
        for (double d : ig.delta) EXPECT_LT(std::abs(d), 1e-12);
    }
    // Zero baseline: IG = g * x = plain gradient x input.
    const auto zero = at::integrated_gradients(model, {T3(x.data(), B, L, 4)}, at::Target::logits());
    for (std::size_t e = 0; e < zero.attribution.size(); ++e) EXPECT_NEAR(zero.attribution[e], g.projected[e], 1e-12);
}

TEST(IntegratedGradients, CompletenessImprovesWithManyPointsAndBatchDoesNotMatter) {
    const Index B = 2, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 11, {{1, 30}});
    at::IntegratedGradientsOptions few, many;
    few.steps = 4;
    many.steps = 400;
    many.batch = 37;
    const auto a = at::integrated_gradients(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), few);
    const auto b = at::integrated_gradients(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), many);
    for (Index e = 0; e < B; ++e) {
        const double df = std::abs(b.value[static_cast<std::size_t>(e)] - b.baseline_value[static_cast<std::size_t>(e)]);
        EXPECT_LT(std::abs(b.delta[static_cast<std::size_t>(e)]), 0.02 * std::max(1.0, df));
        // sum of IG + delta is f(x) - f(x') by construction
        double sum = 0;
        for (Index i = 0; i < L * 4; ++i) sum += b.attribution[static_cast<std::size_t>(e * L * 4 + i)];
        EXPECT_NEAR(sum - b.delta[static_cast<std::size_t>(e)], b.value[static_cast<std::size_t>(e)] - b.baseline_value[static_cast<std::size_t>(e)], 1e-10);
    }
    many.batch = 400 * 2 + 2;
    const auto c = at::integrated_gradients(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), many);
    for (std::size_t e = 0; e < b.attribution.size(); ++e) EXPECT_NEAR(b.attribution[e], c.attribution[e], 1e-12);
    (void)a;
}

TEST(ExpectedGradients, DrawsAreSeededAndLinearModelIsExact) {
    const Index B = 3, K = 4, L = 30, S = 6;
    auto model = ap::testing::linear_model(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 1);
    const auto bg = ap::testing::one_hot_with_n(B * K, L, 2);
    at::ExpectedGradientsOptions o;
    o.samples = S;
    o.seed = 5;
    o.batch = 4;
    const auto e1 = at::expected_gradients(model, {T3(x.data(), B, L, 4)}, T3(bg.data(), B * K, L, 4), K,
                                           at::Target::logits(), o);
    o.batch = 100;
    const auto e2 = at::expected_gradients(model, {T3(x.data(), B, L, 4)}, T3(bg.data(), B * K, L, 4), K,
                                           at::Target::logits(), o);
    EXPECT_EQ(e1.reference_index, e2.reference_index);
    EXPECT_EQ(e1.alpha, e2.alpha);
    // The batch size does not matter.
    for (std::size_t e = 0; e < e1.attribution.size(); ++e) EXPECT_NEAR(e1.attribution[e], e2.attribution[e], 1e-12);
    at::GradientOptions go;
    go.centred = false;
    const auto g = at::gradient_times_input(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), go);
    for (Index b = 0; b < B; ++b)
        for (Index i = 0; i < L * 4; ++i) {
            double expected = 0;
            for (Index s = 0; s < S; ++s) {
                const Index k = e1.reference_index[static_cast<std::size_t>(b * S + s)];
                expected += g.hypothetical[static_cast<std::size_t>(b * L * 4 + i)] *
                            (x[static_cast<std::size_t>(b * L * 4 + i)] - bg[static_cast<std::size_t>((b * K + k) * L * 4 + i)]) / double(S);
            }
            EXPECT_NEAR(e1.attribution[static_cast<std::size_t>(b * L * 4 + i)], expected, 1e-12);
        }
    // Example 1 explained alone, with its global index, draws what it drew in the batch.
    o.first_example = 1;
    const auto alone = at::expected_gradients(model, {T3(x.data() + L * 4, 1, L, 4)}, T3(bg.data() + K * L * 4, K, L, 4),
                                              K, at::Target::logits(), o);
    for (Index s = 0; s < S; ++s) {
        EXPECT_EQ(alone.alpha[static_cast<std::size_t>(s)], e1.alpha[static_cast<std::size_t>(S + s)]);
        EXPECT_EQ(alone.reference_index[static_cast<std::size_t>(s)], e1.reference_index[static_cast<std::size_t>(S + s)]);
    }
    o.first_example = 0;
    o.seed = 6;
    const auto e3 = at::expected_gradients(model, {T3(x.data(), B, L, 4)}, T3(bg.data(), B * K, L, 4), K,
                                           at::Target::logits(), o);
    EXPECT_NE(e1.alpha, e3.alpha);
}
