#include "attrprior/nn/activation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace

TEST(ReLU, HandComputedForwardBackwardTangent) {
    nn::ReLU<double> relu;
    EXPECT_EQ(relu.kind(), "ReLU");
    // One row, 3 positions x 2 channels.
    std::vector<double> x = {-1, 0, 2, -3.5, 4, 0.5}, y(6), g = {1, 2, 3, 4, 5, 6}, gi(6);
    relu.forward(CT(x.data(), 1, 3, 2), T(y.data(), 1, 3, 2), nn::Mode::train);
    EXPECT_EQ(y, (std::vector<double>{0, 0, 2, 0, 4, 0.5}));
    relu.backward(CT(x.data(), 1, 3, 2), CT(y.data(), 1, 3, 2), CT(g.data(), 1, 3, 2),
                  T(gi.data(), 1, 3, 2));
    EXPECT_EQ(gi, (std::vector<double>{0, 0, 3, 0, 5, 6}));  // mask in > 0: 0 maps to 0
    std::vector<double> uo(6, -1);
    relu.tangent(CT(x.data(), 1, 3, 2), CT(g.data(), 1, 3, 2), T(uo.data(), 1, 3, 2), {0});
    EXPECT_EQ(uo, (std::vector<double>{0, 0, 3, 0, 5, 6}));
}

TEST(ReLU, PropagatesNaN) {
    // 37 elements: both Eigen's packet path and the scalar tail see a NaN.
    nn::ReLU<float> relu;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> x(37), y(37);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 2 == 0) ? float(i) : -float(i);
    x[0] = x[5] = x[36] = nan;
    relu.forward(ap::ConstTensor3<float>(x.data(), 1, 37, 1),
                 ap::Tensor3<float>(y.data(), 1, 37, 1), nn::Mode::eval);
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i])) {
            EXPECT_TRUE(std::isnan(y[i])) << i;
        } else {
            EXPECT_EQ(y[i], x[i] > 0 ? x[i] : 0.0f) << i;
        }
    }
}

TEST(ReLU, InPlaceForward) {
    nn::ReLU<double> relu;
    std::vector<double> x = {-1, 2, -3, 4};
    relu.forward(CT(x.data(), 2, 2, 1), T(x.data(), 2, 2, 1), nn::Mode::train);
    EXPECT_EQ(x, (std::vector<double>{0, 2, 0, 4}));
}

TEST(ReLU, DerivativesMatchFiniteDifferences) {
    nn::ReLU<double> relu;
    ap::testing::LayerCheckOptions opts;
    opts.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(relu, nn::Shape{7, 5}, opts);
    opts.batch = 4;
    opts.rows_subset_skip = 2;
    opts.mode = nn::Mode::eval;
    ap::testing::check_layer_derivatives(relu, nn::Shape{1, 9}, opts);
}

TEST(ReLU, LargeBatchRunsInParallelAndMatchesSerial) {
    const Index B = 16, L = 100, C = 64;
    std::mt19937_64 gen(3);
    auto x = ap::testing::normal_vector(static_cast<std::size_t>(B * L * C), gen);
    std::vector<double> y(x.size());
    nn::ReLU<double> relu;
    relu.forward(CT(x.data(), B, L, C), T(y.data(), B, L, C), nn::Mode::train);
    for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], x[i] > 0 ? x[i] : 0.0);
}

TEST(ReLU, RejectsBadShapesAndRows) {
    nn::ReLU<double> relu;
    expect_invalid([&] { relu.output_shape(nn::Shape{0, 3}); }, "input length = 0");
    expect_invalid([&] { relu.output_shape(nn::Shape{4, 0}); }, "input channels = 0");
    std::vector<double> x(12), y(12);
    expect_invalid(
        [&] { relu.forward(CT(x.data(), 2, 3, 2), T(y.data(), 2, 2, 3), nn::Mode::train); },
        "output has shape [2, 2, 3], expected [2, 3, 2]");
    expect_invalid(
        [&] {
            relu.backward(CT(x.data(), 2, 3, 2), CT(y.data(), 2, 3, 2), CT(y.data(), 1, 3, 2),
                          T(y.data(), 2, 3, 2));
        },
        "g_out has shape [1, 3, 2]");
    expect_invalid(
        [&] { relu.tangent(CT(x.data(), 2, 3, 2), CT(x.data(), 2, 3, 2), T(y.data(), 2, 3, 2), {0, 2}); },
        "row = 2");
    expect_invalid(
        [&] { relu.tangent(CT(x.data(), 2, 3, 2), CT(x.data(), 2, 3, 2), T(y.data(), 2, 3, 2), {-1}); },
        "row = -1");
}
