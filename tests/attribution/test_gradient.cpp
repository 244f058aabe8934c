// Gradient x input: equal to the training step's attribution (with the library's and the
// attribution Target), centring, and finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attrprior/attribution/gradient.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

TEST(GradientTimesInput, PlainEqualsTheTrainingStepsAttribution) {
    const Index B = 3, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 4, {{0, 10}});
    at::GradientOptions o;
    o.centred = false;
    o.batch = 2;
    const auto s = at::gradient_times_input(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), o);
    std::vector<double> a(x.size());
    ap::train::DoubleBackprop<double> step;
    step.attribution(model, T3(x.data(), B, L, 4), {a.data(), B, L, 4});
    for (std::size_t e = 0; e < a.size(); ++e) EXPECT_NEAR(s.projected[e], a[e], 1e-12);
    // The same target drives the training step.
    ap::train::DoubleBackprop<double, at::Target> step2(1.0, at::Target::logits());
    std::vector<double> a2(x.size());
    step2.attribution(model, T3(x.data(), B, L, 4), {a2.data(), B, L, 4});
    for (std::size_t e = 0; e < a.size(); ++e) EXPECT_EQ(a[e], a2[e]);
}

TEST(GradientTimesInput, CentredScoresSumToZeroPerPositionAndMatchFiniteDifferences) {
    const Index B = 2, L = 201;
    auto model = ap::testing::binary_model_double(L);
    auto x = ap::testing::one_hot_with_n(B, L, 4);
    const auto s = at::gradient_times_input(model, {T3(x.data(), B, L, 4)}, at::Target::logits(1));
    for (Index p = 0; p < B * L; ++p) {
        double sum = 0;
        for (Index c = 0; c < 4; ++c) sum += s.hypothetical[static_cast<std::size_t>(p * 4 + c)];
        EXPECT_NEAR(sum, 0.0, 1e-12);
    }
    // Differences of centred scores are differences of the gradient: check g[i,c] - g[i,c']
    // at a few positions by central differences of f (task 1's logit).
    at::GradientOptions plain;
    plain.centred = false;
    const auto g = at::gradient_times_input(model, {T3(x.data(), B, L, 4)}, at::Target::logits(1), plain);
    const double h = 1e-5;
    for (Index i : {0, 57, 200}) {
        for (Index c = 0; c < 4; ++c) {
            const std::size_t e = static_cast<std::size_t>(i * 4 + c);
            const double keep = x[e];
            x[e] = keep + h;
            const auto up = at::gradient_times_input(model, {T3(x.data(), 1, L, 4)}, at::Target::logits(1));
            x[e] = keep - h;
            const auto down = at::gradient_times_input(model, {T3(x.data(), 1, L, 4)}, at::Target::logits(1));
            x[e] = keep;
            EXPECT_NEAR((up.value[0] - down.value[0]) / (2 * h), g.hypothetical[e], 1e-6);
        }
    }
}
