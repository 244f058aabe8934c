#include "attrprior/nn/flatten.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(Flatten, HandComputedChannelMajorOrder) {
    nn::Flatten<double> flat;
    EXPECT_EQ(flat.kind(), "Flatten");
    EXPECT_EQ(flat.output_shape(nn::Shape{3, 2}), (nn::Shape{1, 6}));
    // x[t, c] = 10 t + c; PyTorch's [C, L] map flattened: feature c*L + t.
    std::vector<double> x = {0, 1, 10, 11, 20, 21}, y(6);
    flat.forward(CT(x.data(), 1, 3, 2), T(y.data(), 1, 1, 6), nn::Mode::train);
    EXPECT_EQ(y, (std::vector<double>{0, 10, 20, 1, 11, 21}));
    std::vector<double> gi(6);
    flat.backward(CT(x.data(), 1, 3, 2), CT(y.data(), 1, 1, 6), CT(y.data(), 1, 1, 6),
                  T(gi.data(), 1, 3, 2));
    EXPECT_EQ(gi, x);  // backward is the inverse permutation
}

TEST(Flatten, FeatureIndexIsChannelTimesLengthPlusPosition) {
    const Index B = 3, L = 7, C = 5;
    std::vector<double> x(static_cast<std::size_t>(B * L * C)), y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(i);
    nn::Flatten<double> flat;
    flat.forward(CT(x.data(), B, L, C), T(y.data(), B, 1, L * C), nn::Mode::eval);
    for (Index b = 0; b < B; ++b)
        for (Index t = 0; t < L; ++t)
            for (Index c = 0; c < C; ++c)
                ASSERT_EQ(y[static_cast<std::size_t>(b * L * C + c * L + t)],
                          x[static_cast<std::size_t>((b * L + t) * C + c)]);
    // Tangent is the same permutation, on the listed rows only.
    std::vector<double> u(y.size(), -3);
    flat.tangent(CT(x.data(), B, L, C), CT(x.data(), B, L, C), T(u.data(), B, 1, L * C), {2, 0});
    for (std::size_t i = 0; i < u.size(); ++i) {
        if (i / static_cast<std::size_t>(L * C) == 1) {
            ASSERT_EQ(u[i], -3.0);
        } else {
            ASSERT_EQ(u[i], y[i]);
        }
    }
}

TEST(Flatten, DerivativesMatchFiniteDifferences) {
    nn::Flatten<double> flat;
    ap::testing::LayerCheckOptions opts;
    opts.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(flat, nn::Shape{5, 3}, opts);
    ap::testing::check_layer_derivatives(flat, nn::Shape{1, 4}, opts);
}

TEST(Flatten, RejectsBadShapes) {
    nn::Flatten<double> flat;
    expect_invalid([&] { flat.output_shape(nn::Shape{0, 2}); }, "input length = 0");
    expect_invalid([&] { flat.output_shape(nn::Shape{5, 0}); }, "input channels = 0");
    std::vector<double> x(12), y(12);
    expect_invalid(
        [&] { flat.forward(CT(x.data(), 2, 3, 2), T(y.data(), 2, 6, 1), nn::Mode::train); },
        "output has shape [2, 6, 1], expected [2, 1, 6]");
    expect_invalid(
        [&] {
            flat.backward(CT(x.data(), 2, 3, 2), CT(y.data(), 2, 1, 6), CT(y.data(), 2, 1, 6),
                          T(y.data(), 2, 2, 3));
        },
        "g_in has shape [2, 2, 3]");
}
