#include "attrprior/nn/linear.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
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

}  // namespace

TEST(Linear, HandComputedForwardBackwardAndGradients) {
    // F = 3, O = 2: W = [[1, 2, 3], [4, 5, 6]], b = [0.5, -1].
    nn::Linear<double> lin(3, 2);
    EXPECT_EQ(lin.kind(), "Linear");
    ASSERT_EQ(lin.parameter_count(), 8);
    std::vector<double> params = {1, 2, 3, 4, 5, 6, 0.5, -1}, grads(8, 0.0);
    lin.bind(params.data(), grads.data(), nullptr);
    std::vector<double> x = {1, 0, -1, 2, 1, 0}, y(4);
    lin.forward(CT(x.data(), 2, 1, 3), T(y.data(), 2, 1, 2), nn::Mode::train);
    EXPECT_EQ(y, (std::vector<double>{-1.5, -3, 4.5, 12}));
    std::vector<double> g = {1, 0, -1, 2}, gi(6);
    lin.backward(CT(x.data(), 2, 1, 3), CT(y.data(), 2, 1, 2), CT(g.data(), 2, 1, 2),
                 T(gi.data(), 2, 1, 3));
    EXPECT_EQ(gi, (std::vector<double>{1, 2, 3, 7, 8, 9}));  // g W
    lin.accumulate_parameter_gradients(CT(x.data(), 2, 1, 3), CT(g.data(), 2, 1, 2));
    // dW = g^T X = [1*x0 - 1*x1; 0*x0 + 2*x1] = [[-1, -1, -1], [4, 2, 0]]; db = [0, 2].
    EXPECT_EQ(grads, (std::vector<double>{-1, -1, -1, 4, 2, 0, 0, 2}));
    // Gradients accumulate.
    lin.accumulate_parameter_gradients(CT(x.data(), 2, 1, 3), CT(g.data(), 2, 1, 2));
    EXPECT_EQ(grads, (std::vector<double>{-2, -2, -2, 8, 4, 0, 0, 4}));
    // Tangent: W u, no bias; row 0 untouched.
    std::vector<double> uo(4, -9);
    lin.tangent(CT(x.data(), 2, 1, 3), CT(x.data(), 2, 1, 3), T(uo.data(), 2, 1, 2), {1});
    EXPECT_EQ(uo, (std::vector<double>{-9, -9, 4, 13}));
}

TEST(Linear, SecondOrderOnRowsOnlyTouchesTheWeight) {
    const Index B = 5, F = 4, O = 3;
    nn::Linear<double> lin(F, O);
    std::vector<double> params(static_cast<std::size_t>(lin.parameter_count())),
        grads(params.size(), 0.0);
    lin.bind(params.data(), grads.data(), nullptr);
    std::mt19937_64 gen(8);
    lin.reset_parameters(gen);
    const auto x = ap::testing::normal_vector(static_cast<std::size_t>(B * F), gen);
    const auto g = ap::testing::normal_vector(static_cast<std::size_t>(B * O), gen);
    const auto u = ap::testing::normal_vector(static_cast<std::size_t>(B * F), gen);
    std::vector<double> hbar(static_cast<std::size_t>(B * F), 123.0);
    for (const nn::Rows& rows : {nn::Rows{0, 2, 3}, nn::Rows{1, 2, 3}, nn::Rows{4, 0}, nn::Rows{}}) {
        std::fill(grads.begin(), grads.end(), 0.0);
        lin.accumulate_second_order(CT(x.data(), B, 1, F), CT(g.data(), B, 1, O),
                                    CT(u.data(), B, 1, F), T(hbar.data(), B, 1, F), rows);
        for (Index o = 0; o < O; ++o)
            for (Index f = 0; f < F; ++f) {
                double expect = 0;
                for (const Index b : rows)
                    expect += g[static_cast<std::size_t>(b * O + o)] * u[static_cast<std::size_t>(b * F + f)];
                EXPECT_NEAR(grads[static_cast<std::size_t>(o * F + f)], expect, 1e-14);
            }
        for (Index o = 0; o < O; ++o) EXPECT_EQ(grads[static_cast<std::size_t>(O * F + o)], 0.0);
    }
    for (const double h : hbar) EXPECT_EQ(h, 123.0);  // hbar is zero: never written
    EXPECT_FALSE(lin.has_input_second_order());
    EXPECT_FALSE(lin.couples_rows());
}

TEST(Linear, DerivativesMatchFiniteDifferences) {
    ap::testing::LayerCheckOptions opts;
    opts.tolerance = 1e-6;
    nn::Linear<double> with_bias(5, 4);
    ap::testing::check_layer_derivatives(with_bias, nn::Shape{1, 5}, opts);
    nn::Linear<double> no_bias(6, 3, false);
    opts.batch = 4;
    opts.rows_subset_skip = 2;
    ap::testing::check_layer_derivatives(no_bias, nn::Shape{1, 6}, opts);
    nn::Linear<double> wide(40, 7);  // sizes where Eigen takes its blocked GEMM path
    opts.batch = 9;
    opts.rows_subset_skip = 4;
    ap::testing::check_layer_derivatives(wide, nn::Shape{1, 40}, opts);
}

TEST(Linear, TensorsInPyTorchLayoutAndOrder) {
    nn::Linear<float> lin(5, 3);
    EXPECT_EQ(lin.parameter_count(), 18);
    EXPECT_EQ(lin.state_count(), 0);
    const auto t = lin.tensors();
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].name, "weight");
    EXPECT_EQ(t[0].shape, (std::vector<Index>{3, 5}));
    EXPECT_TRUE(t[0].is_parameter);
    EXPECT_EQ(t[0].offset, 0);
    EXPECT_EQ(t[1].name, "bias");
    EXPECT_EQ(t[1].shape, (std::vector<Index>{3}));
    EXPECT_TRUE(t[1].is_parameter);
    EXPECT_EQ(t[1].offset, 15);
    nn::Linear<float> nob(5, 3, false);
    EXPECT_EQ(nob.parameter_count(), 15);
    ASSERT_EQ(nob.tensors().size(), 1u);
    EXPECT_EQ(nob.tensors()[0].name, "weight");
}

TEST(Linear, ResetParametersIsPyTorchDefaultAndDeterministic) {
    const Index F = 50, O = 20;
    nn::Linear<double> lin(F, O);
    std::vector<double> p1(static_cast<std::size_t>(lin.parameter_count())), p2(p1.size()),
        grads(p1.size());
    const double bound = 1.0 / std::sqrt(double(F));
    lin.bind(p1.data(), grads.data(), nullptr);
    std::mt19937_64 g1(123);
    lin.reset_parameters(g1);
    double max_abs = 0;
    for (const double v : p1) {
        EXPECT_LE(std::fabs(v), bound);
        max_abs = std::max(max_abs, std::fabs(v));
    }
    EXPECT_GT(max_abs, 0.9 * bound);  // spans the interval
    // The documented draw: uniform_real_distribution<double>(-bound, bound), weight then bias.
    std::mt19937_64 ref_gen(123);
    std::uniform_real_distribution<double> dist(-bound, bound);
    for (const double v : p1) EXPECT_EQ(v, dist(ref_gen));
    // Same seed, same values; another seed, other values.
    lin.bind(p2.data(), grads.data(), nullptr);
    std::mt19937_64 g2(123);
    lin.reset_parameters(g2);
    EXPECT_EQ(p1, p2);
    std::mt19937_64 g3(124);
    lin.reset_parameters(g3);
    EXPECT_NE(p1, p2);
}

TEST(Linear, RejectsBadOptionsAndShapes) {
    expect_invalid([] { nn::Linear<double>(-1, 3); }, "in_features = -1");
    expect_invalid([] { nn::Linear<double>(3, -2); }, "out_features = -2");
    nn::Linear<double> lin(6, 2);
    expect_invalid([&] { lin.output_shape(nn::Shape{2, 3}); }, "input shape [2 x 3]");
    expect_invalid([&] { lin.output_shape(nn::Shape{2, 3}); }, "expected [1 x 6]");
    expect_invalid([&] { lin.output_shape(nn::Shape{1, 5}); }, "input shape [1 x 5]");
    std::vector<double> params(14, 0.1), grads(14), x(12), y(12);
    std::mt19937_64 gen(1);
    EXPECT_THROW(lin.reset_parameters(gen), ap::error);  // not bound yet
    EXPECT_THROW(lin.forward(CT(x.data(), 2, 1, 6), T(y.data(), 2, 1, 2), nn::Mode::train),
                 ap::error);
    lin.bind(params.data(), grads.data(), nullptr);
    expect_invalid(
        [&] { lin.forward(CT(x.data(), 2, 2, 3), T(y.data(), 2, 1, 2), nn::Mode::train); },
        "input has shape [2, 2, 3], expected [2, 1, 6]");
    expect_invalid(
        [&] { lin.forward(CT(x.data(), 2, 1, 6), T(y.data(), 2, 1, 3), nn::Mode::train); },
        "output has shape [2, 1, 3], expected [2, 1, 2]");
    expect_invalid(
        [&] { lin.tangent(CT(x.data(), 2, 1, 6), CT(x.data(), 2, 1, 6), T(y.data(), 2, 1, 2), {2}); },
        "row = 2");
}

TEST(Linear, FloatBatchMatchesDoubleReference) {
    const Index B = 64, F = 1600, O = 50;  // the paper's first dense layer (64 x 25 -> 50)
    nn::Linear<float> lin(F, O);
    std::vector<float> params(static_cast<std::size_t>(lin.parameter_count())), grads(params.size());
    lin.bind(params.data(), grads.data(), nullptr);
    std::mt19937_64 gen(6);
    lin.reset_parameters(gen);
    std::vector<float> x(static_cast<std::size_t>(B * F)), y(static_cast<std::size_t>(B * O));
    std::normal_distribution<float> nd;
    for (float& v : x) v = nd(gen);
    lin.forward(ap::ConstTensor3<float>(x.data(), B, 1, F), ap::Tensor3<float>(y.data(), B, 1, O),
                nn::Mode::train);
    for (Index b = 0; b < B; b += 7)
        for (Index o = 0; o < O; ++o) {
            double ref = params[static_cast<std::size_t>(O * F + o)];
            for (Index f = 0; f < F; ++f)
                ref += double(params[static_cast<std::size_t>(o * F + f)]) * x[static_cast<std::size_t>(b * F + f)];
            EXPECT_NEAR(y[static_cast<std::size_t>(b * O + o)], ref, 1e-4);
        }
}
