#include "attrprior/nn/crop.hpp"

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

TEST(Crop1d, HandComputedCentredWindow) {
    nn::Crop1d<double> crop(3);
    EXPECT_EQ(crop.kind(), "Crop1d");
    EXPECT_EQ(crop.output_shape(nn::Shape{8, 2}), (nn::Shape{3, 2}));
    EXPECT_EQ(crop.offset(8), 2);  // (8 - 3) / 2 = 2: the odd surplus drops on the right
    EXPECT_EQ(crop.offset(7), 2);
    EXPECT_EQ(crop.offset(3), 0);
    // L = 8, C = 2, x[t, c] = 10 t + c -> keeps positions 2, 3, 4.
    std::vector<double> x(16), y(6);
    for (Index t = 0; t < 8; ++t)
        for (Index c = 0; c < 2; ++c) x[static_cast<std::size_t>(t * 2 + c)] = double(10 * t + c);
    crop.forward(CT(x.data(), 1, 8, 2), T(y.data(), 1, 3, 2), nn::Mode::train);
    EXPECT_EQ(y, (std::vector<double>{20, 21, 30, 31, 40, 41}));
    std::vector<double> g = {1, 2, 3, 4, 5, 6}, gi(16, -1);
    crop.backward(CT(x.data(), 1, 8, 2), CT(y.data(), 1, 3, 2), CT(g.data(), 1, 3, 2),
                  T(gi.data(), 1, 8, 2));
    EXPECT_EQ(gi, (std::vector<double>{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0}));
}

TEST(Crop1d, PaperProfileCrop) {
    // docs/models.md §3: the last dilated layer (length 1346) is cropped to its valid 1074 centre.
    nn::Crop1d<double> crop(1346 - 20 - 2 * 126);
    EXPECT_EQ(crop.output_shape(nn::Shape{1346, 64}), (nn::Shape{1074, 64}));
    EXPECT_EQ(crop.offset(1346), 136);
}

TEST(Crop1d, DerivativesMatchFiniteDifferences) {
    ap::testing::LayerCheckOptions opts;
    opts.tolerance = 1e-6;
    nn::Crop1d<double> odd(6);
    ap::testing::check_layer_derivatives(odd, nn::Shape{11, 3}, opts);
    nn::Crop1d<double> same(4);
    ap::testing::check_layer_derivatives(same, nn::Shape{4, 2}, opts);
}

TEST(Crop1d, RejectsBadOptionsAndShapes) {
    expect_invalid([] { nn::Crop1d<double>(0); }, "output_length = 0");
    nn::Crop1d<double> crop(5);
    expect_invalid([&] { crop.output_shape(nn::Shape{4, 2}); }, "input length = 4");
    expect_invalid([&] { crop.output_shape(nn::Shape{4, 2}); }, "output_length = 5");
    expect_invalid([&] { crop.output_shape(nn::Shape{6, 0}); }, "input channels = 0");
    std::vector<double> x(24), y(24);
    expect_invalid(
        [&] { crop.forward(CT(x.data(), 2, 6, 2), T(y.data(), 2, 6, 2), nn::Mode::train); },
        "output has shape [2, 6, 2], expected [2, 5, 2]");
    expect_invalid(
        [&] { crop.tangent(CT(x.data(), 2, 6, 2), CT(x.data(), 2, 6, 2), T(y.data(), 2, 5, 2), {2}); },
        "row = 2");
}
