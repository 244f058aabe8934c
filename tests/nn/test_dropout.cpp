#include "attrprior/nn/dropout.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/layer_checks.hpp"

namespace ap = attrprior;
namespace nn = attrprior::nn;
using ap::Index;
using ::testing::HasSubstr;

namespace {

using T = ap::Tensor3<double>;
using CT = ap::ConstTensor3<double>;

using ap::testing::expect_invalid;

/// Forward of an all-ones tensor: the mask times 1/(1-p).
std::vector<double> ones_forward(nn::Dropout<double>& d, Index B, Index L, Index C,
                                 nn::Mode mode = nn::Mode::train) {
    std::vector<double> x(static_cast<std::size_t>(B * L * C), 1.0), y(x.size());
    d.forward(CT(x.data(), B, L, C), T(y.data(), B, L, C), mode);
    return y;
}

}  // namespace

TEST(Dropout, HandComputedScalingAndMask) {
    nn::Dropout<double> d(0.5);
    EXPECT_EQ(d.kind(), "Dropout");
    EXPECT_EQ(d.output_shape(nn::Shape{4, 3}), (nn::Shape{4, 3}));
    d.set_random_state(11, 4);
    const Index B = 2, L = 4, C = 3;
    std::vector<double> x(static_cast<std::size_t>(B * L * C)), y(x.size()), g(x.size()),
        gi(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = double(i) - 7.5;
        g[i] = 0.25 * double(i);
    }
    d.forward(CT(x.data(), B, L, C), T(y.data(), B, L, C), nn::Mode::train);
    d.backward(CT(x.data(), B, L, C), CT(y.data(), B, L, C), CT(g.data(), B, L, C),
               T(gi.data(), B, L, C));
    Index kept = 0;
    for (Index b = 0; b < B; ++b)
        for (Index e = 0; e < L * C; ++e) {
            const std::size_t i = static_cast<std::size_t>(b * L * C + e);
            const bool keep = d.keeps(b, e);
            kept += keep;
            EXPECT_EQ(y[i], keep ? 2.0 * x[i] : 0.0);   // kept values scaled by 1/(1-p)
            EXPECT_EQ(gi[i], keep ? 2.0 * g[i] : 0.0);  // backward uses the same mask
        }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, B * L * C);
}

TEST(Dropout, MaskIsAPureFunctionOfSeedAndStep) {
    const Index B = 4, L = 50, C = 8;
    nn::Dropout<double> a(0.3), b(0.3);
    a.set_random_state(42, 7);
    b.set_random_state(42, 7);
    const auto ya = ones_forward(a, B, L, C);
    EXPECT_EQ(ya, ones_forward(a, B, L, C));  // a second forward in the step agrees
    EXPECT_EQ(ya, ones_forward(b, B, L, C));  // another instance with the same state agrees
    a.set_random_state(42, 8);
    const auto next_step = ones_forward(a, B, L, C);
    EXPECT_NE(ya, next_step);
    a.set_random_state(43, 7);
    EXPECT_NE(ya, ones_forward(a, B, L, C));
    a.set_random_state(42, 7);
    EXPECT_EQ(ya, ones_forward(a, B, L, C));  // back to the same state: same mask
    // Rows get different masks.
    const std::size_t row = static_cast<std::size_t>(L * C);
    EXPECT_NE(std::vector<double>(ya.begin(), ya.begin() + long(row)),
              std::vector<double>(ya.begin() + long(row), ya.begin() + long(2 * row)));
}

TEST(Dropout, KeepFractionIsOneMinusP) {
    for (const double p : {0.1, 0.3, 0.5, 0.9}) {
        nn::Dropout<float> d(p);
        d.set_random_state(2024, 1);
        const Index B = 16, L = 1000, C = 64;  // about 1e6 elements: sd of the fraction < 5e-4
        std::vector<float> x(static_cast<std::size_t>(B * L * C), 1.0f), y(x.size());
        d.forward(ap::ConstTensor3<float>(x.data(), B, L, C), ap::Tensor3<float>(y.data(), B, L, C),
                  nn::Mode::train);
        std::size_t kept = 0;
        const float scale = static_cast<float>(1.0 / (1.0 - p));
        for (const float v : y) {
            if (v != 0.0f) {
                ++kept;
                ASSERT_EQ(v, scale);
            }
        }
        EXPECT_NEAR(double(kept) / double(y.size()), 1.0 - p, 3e-3) << "p = " << p;
    }
}

TEST(Dropout, ZeroProbabilityKeepsEverything) {
    nn::Dropout<double> d(0.0);
    d.set_random_state(1, 1);
    const auto y = ones_forward(d, 3, 20, 4);
    for (const double v : y) EXPECT_EQ(v, 1.0);
}

TEST(Dropout, EvalIsIdentity) {
    nn::Dropout<double> d(0.7);
    d.set_random_state(3, 3);
    const Index B = 3, L = 5, C = 2;
    std::mt19937_64 gen(9);
    auto x = ap::testing::normal_vector(static_cast<std::size_t>(B * L * C), gen);
    std::vector<double> y(x.size()), gi(x.size()), u(x.size(), -1);
    d.forward(CT(x.data(), B, L, C), T(y.data(), B, L, C), nn::Mode::eval);
    EXPECT_EQ(y, x);
    d.backward(CT(x.data(), B, L, C), CT(y.data(), B, L, C), CT(x.data(), B, L, C),
               T(gi.data(), B, L, C));
    EXPECT_EQ(gi, x);
    d.tangent(CT(x.data(), B, L, C), CT(x.data(), B, L, C), T(u.data(), B, L, C), {0, 2});
    for (std::size_t i = 0; i < u.size(); ++i) {
        EXPECT_EQ(u[i], i / 10 == 1 ? -1.0 : x[i]);
    }
}

TEST(Dropout, IndependentOfThreadCount) {
    const Index B = 64, L = 100, C = 32;  // large enough for the parallel loops to engage
    std::mt19937_64 gen(4);
    auto x = ap::testing::normal_vector(static_cast<std::size_t>(B * L * C), gen);
    std::vector<double> y1(x.size()), y2(x.size()), t1(x.size(), 0), t2(x.size(), 0);
    nn::Rows rows;
    for (Index b = 0; b < B; b += 2) rows.push_back(b);
    const int saved = omp_get_max_threads();
    nn::Dropout<double> d(0.4);
    d.set_random_state(77, 5);
    omp_set_num_threads(1);
    d.forward(CT(x.data(), B, L, C), T(y1.data(), B, L, C), nn::Mode::train);
    d.tangent(CT(x.data(), B, L, C), CT(x.data(), B, L, C), T(t1.data(), B, L, C), rows);
    omp_set_num_threads(2);
    d.forward(CT(x.data(), B, L, C), T(y2.data(), B, L, C), nn::Mode::train);
    d.tangent(CT(x.data(), B, L, C), CT(x.data(), B, L, C), T(t2.data(), B, L, C), rows);
    omp_set_num_threads(saved);
    EXPECT_EQ(y1, y2);
    EXPECT_EQ(t1, t2);
    // The tangent is the forward map on the listed rows (the layer is linear).
    for (Index b = 0; b < B; ++b)
        for (Index e = 0; e < L * C; ++e) {
            const std::size_t i = static_cast<std::size_t>(b * L * C + e);
            ASSERT_EQ(t1[i], b % 2 == 0 ? y1[i] : 0.0);
        }
}

TEST(Dropout, DerivativesMatchFiniteDifferences) {
    nn::Dropout<double> d(0.4);
    ap::testing::LayerCheckOptions opts;
    opts.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(d, nn::Shape{6, 4}, opts);
    opts.mode = nn::Mode::eval;
    ap::testing::check_layer_derivatives(d, nn::Shape{1, 7}, opts);
}

TEST(Dropout, RejectsBadOptionsAndShapes) {
    expect_invalid([] { nn::Dropout<double>(1.0); }, "p = 1");
    expect_invalid([] { nn::Dropout<double>(-0.1); }, "p = -0.1");
    expect_invalid([] { nn::Dropout<double>(std::numeric_limits<double>::quiet_NaN()); }, "p = nan");
    nn::Dropout<double> d(0.2);
    expect_invalid([&] { d.output_shape(nn::Shape{0, 2}); }, "input length = 0");
    std::vector<double> x(12), y(12);
    EXPECT_THROW(d.backward(CT(x.data(), 2, 3, 2), CT(y.data(), 2, 3, 2), CT(y.data(), 2, 3, 2),
                            T(x.data(), 2, 3, 2)),
                 ap::error);  // no forward yet: the mode is unknown
    expect_invalid(
        [&] { d.forward(CT(x.data(), 2, 3, 2), T(y.data(), 3, 2, 2), nn::Mode::train); },
        "output has shape [3, 2, 2], expected [2, 3, 2]");
    d.forward(CT(x.data(), 2, 3, 2), T(y.data(), 2, 3, 2), nn::Mode::train);
    expect_invalid(
        [&] { d.tangent(CT(x.data(), 2, 3, 2), CT(x.data(), 2, 3, 2), T(y.data(), 2, 3, 2), {5}); },
        "row = 5");
}
