#include "attrprior/nn/pooling.hpp"

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

TEST(MaxPool1d, OutputLengthFollowsPyTorchFloorMode) {
    nn::MaxPool1d<double> pool(3, 2);
    EXPECT_EQ(pool.kind(), "MaxPool1d");
    EXPECT_EQ(pool.output_shape(nn::Shape{7, 4}), (nn::Shape{3, 4}));
    EXPECT_EQ(pool.output_shape(nn::Shape{8, 4}), (nn::Shape{3, 4}));  // last position dropped
    EXPECT_EQ(pool.output_shape(nn::Shape{3, 1}), (nn::Shape{1, 1}));
    nn::MaxPool1d<double> paper(40, 40);
    EXPECT_EQ(paper.output_shape(nn::Shape{1000 - 14 - 14 - 12, 64}), (nn::Shape{24, 64}));
}

TEST(MaxPool1d, HandComputedForwardBackwardTangent) {
    // L = 5, C = 2, kernel 3, stride 2: windows {0,1,2} and {2,3,4} overlap at position 2.
    // Channel 0 = [3, 3, 1, 3, 3]: ties pick the first maximum -> argmax 0 and 3.
    // Channel 1 = [0, -1, 5, 0, 2]: both windows pick position 2 -> gradients add there.
    std::vector<double> x = {3, 0, 3, -1, 1, 5, 3, 0, 3, 2}, y(4);
    nn::MaxPool1d<double> pool(3, 2);
    pool.forward(CT(x.data(), 1, 5, 2), T(y.data(), 1, 2, 2), nn::Mode::train);
    EXPECT_EQ(y, (std::vector<double>{3, 5, 3, 5}));
    std::vector<double> g = {10, 20, 30, 40}, gi(10, -1);
    pool.backward(CT(x.data(), 1, 5, 2), CT(y.data(), 1, 2, 2), CT(g.data(), 1, 2, 2),
                  T(gi.data(), 1, 5, 2));
    EXPECT_EQ(gi, (std::vector<double>{10, 0, 0, 0, 0, 60, 30, 0, 0, 0}));
    std::vector<double> u = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, uo(4, -1);
    pool.tangent(CT(x.data(), 1, 5, 2), CT(u.data(), 1, 5, 2), T(uo.data(), 1, 2, 2), {0});
    EXPECT_EQ(uo, (std::vector<double>{1, 6, 7, 6}));
}

TEST(MaxPool1d, TiesPickTheFirstMaximum) {
    // All-equal window: PyTorch CPU returns index 0 of the window.
    std::vector<double> x(8, 1.5), y(2);
    nn::MaxPool1d<double> pool(4, 4);
    pool.forward(CT(x.data(), 1, 8, 1), T(y.data(), 1, 2, 1), nn::Mode::eval);
    std::vector<double> g = {1, 2}, gi(8);
    pool.backward(CT(x.data(), 1, 8, 1), CT(y.data(), 1, 2, 1), CT(g.data(), 1, 2, 1),
                  T(gi.data(), 1, 8, 1));
    EXPECT_EQ(gi, (std::vector<double>{1, 0, 0, 0, 2, 0, 0, 0}));
    // Maximum repeated later in the window: still the first occurrence.
    std::vector<double> x2 = {0, 2, 1, 2}, y2(1), g2 = {1}, gi2(4);
    nn::MaxPool1d<double> p2(4, 1);
    p2.forward(CT(x2.data(), 1, 4, 1), T(y2.data(), 1, 1, 1), nn::Mode::eval);
    p2.backward(CT(x2.data(), 1, 4, 1), CT(y2.data(), 1, 1, 1), CT(g2.data(), 1, 1, 1),
                T(gi2.data(), 1, 4, 1));
    EXPECT_EQ(gi2, (std::vector<double>{0, 1, 0, 0}));
}

TEST(MaxPool1d, DerivativesMatchFiniteDifferences) {
    ap::testing::LayerCheckOptions opts;
    opts.tolerance = 1e-6;
    nn::MaxPool1d<double> overlapping(3, 2);
    ap::testing::check_layer_derivatives(overlapping, nn::Shape{12, 3}, opts);
    nn::MaxPool1d<double> tiled(4, 4);
    ap::testing::check_layer_derivatives(tiled, nn::Shape{13, 5}, opts);
    nn::MaxPool1d<double> gaps(2, 3);  // stride > kernel: some positions never pooled
    opts.batch = 4;
    opts.rows_subset_skip = 0;
    ap::testing::check_layer_derivatives(gaps, nn::Shape{11, 2}, opts);
}

TEST(MaxPool1d, LargeBatchMatchesReference) {
    const Index B = 8, L = 400, C = 32, k = 40;
    std::mt19937_64 gen(5);
    auto x = ap::testing::normal_vector(static_cast<std::size_t>(B * L * C), gen);
    nn::MaxPool1d<double> pool(k, k);
    const Index Lo = pool.output_shape(nn::Shape{L, C}).length;
    std::vector<double> y(static_cast<std::size_t>(B * Lo * C));
    pool.forward(CT(x.data(), B, L, C), T(y.data(), B, Lo, C), nn::Mode::train);
    for (Index b = 0; b < B; ++b)
        for (Index t = 0; t < Lo; ++t)
            for (Index c = 0; c < C; ++c) {
                double m = x[static_cast<std::size_t>((b * L + t * k) * C + c)];
                for (Index j = 1; j < k; ++j)
                    m = std::max(m, x[static_cast<std::size_t>((b * L + t * k + j) * C + c)]);
                ASSERT_EQ(y[static_cast<std::size_t>((b * Lo + t) * C + c)], m);
            }
}

TEST(MaxPool1d, RejectsBadOptionsAndShapes) {
    expect_invalid([] { nn::MaxPool1d<double>(0, 1); }, "kernel = 0");
    expect_invalid([] { nn::MaxPool1d<double>(2, -1); }, "stride = -1");
    nn::MaxPool1d<double> pool(4, 2);
    expect_invalid([&] { pool.output_shape(nn::Shape{3, 2}); }, "input length = 3");
    expect_invalid([&] { pool.output_shape(nn::Shape{3, 2}); }, "kernel = 4");
    expect_invalid([&] { pool.output_shape(nn::Shape{8, 0}); }, "input channels = 0");
    std::vector<double> x(16), y(16);
    expect_invalid(
        [&] { pool.forward(CT(x.data(), 2, 8, 1), T(y.data(), 2, 4, 1), nn::Mode::train); },
        "output has shape [2, 4, 1], expected [2, 3, 1]");
    // backward before any forward, and with a shape the cache does not belong to.
    nn::MaxPool1d<double> fresh(2, 2);
    EXPECT_THROW(fresh.backward(CT(x.data(), 2, 8, 1), CT(y.data(), 2, 4, 1),
                                CT(y.data(), 2, 4, 1), T(x.data(), 2, 8, 1)),
                 ap::error);
    fresh.forward(CT(x.data(), 2, 8, 1), T(y.data(), 2, 4, 1), nn::Mode::train);
    expect_invalid(
        [&] {
            fresh.tangent(CT(x.data(), 1, 8, 1), CT(x.data(), 1, 8, 1), T(y.data(), 1, 4, 1), {0});
        },
        "last forward saw [2, 8, 1]");
    expect_invalid(
        [&] {
            fresh.tangent(CT(x.data(), 2, 8, 1), CT(x.data(), 2, 8, 1), T(y.data(), 2, 4, 1), {3});
        },
        "row = 3");
}

TEST(GlobalAveragePool1d, HandComputedForwardBackwardTangent) {
    nn::GlobalAveragePool1d<double> gap;
    EXPECT_EQ(gap.kind(), "GlobalAveragePool1d");
    EXPECT_EQ(gap.output_shape(nn::Shape{4, 3}), (nn::Shape{1, 3}));
    // Two rows, L = 4, C = 2.
    std::vector<double> x = {1, 10, 2, 20, 3, 30, 6, 40,  //
                             -1, 0, -1, 0, -1, 0, -1, 4};
    std::vector<double> y(4);
    gap.forward(CT(x.data(), 2, 4, 2), T(y.data(), 2, 1, 2), nn::Mode::train);
    EXPECT_EQ(y, (std::vector<double>{3, 25, -1, 1}));
    std::vector<double> g = {4, 8, -2, 1}, gi(16);
    gap.backward(CT(x.data(), 2, 4, 2), CT(y.data(), 2, 1, 2), CT(g.data(), 2, 1, 2),
                 T(gi.data(), 2, 4, 2));
    for (Index t = 0; t < 4; ++t) {
        EXPECT_EQ(gi[static_cast<std::size_t>(t * 2)], 1.0);
        EXPECT_EQ(gi[static_cast<std::size_t>(t * 2 + 1)], 2.0);
        EXPECT_EQ(gi[static_cast<std::size_t>(8 + t * 2)], -0.5);
        EXPECT_EQ(gi[static_cast<std::size_t>(8 + t * 2 + 1)], 0.25);
    }
    std::vector<double> uo(4, -7);
    gap.tangent(CT(x.data(), 2, 4, 2), CT(x.data(), 2, 4, 2), T(uo.data(), 2, 1, 2), {1});
    EXPECT_EQ(uo, (std::vector<double>{-7, -7, -1, 1}));
}

TEST(GlobalAveragePool1d, DerivativesMatchFiniteDifferences) {
    nn::GlobalAveragePool1d<double> gap;
    ap::testing::LayerCheckOptions opts;
    opts.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(gap, nn::Shape{9, 4}, opts);
    ap::testing::check_layer_derivatives(gap, nn::Shape{1, 3}, opts);
}

TEST(GlobalAveragePool1d, RejectsBadShapes) {
    nn::GlobalAveragePool1d<double> gap;
    expect_invalid([&] { gap.output_shape(nn::Shape{0, 2}); }, "input length = 0");
    expect_invalid([&] { gap.output_shape(nn::Shape{5, 0}); }, "input channels = 0");
    std::vector<double> x(12), y(12);
    expect_invalid(
        [&] { gap.forward(CT(x.data(), 2, 3, 2), T(y.data(), 2, 3, 2), nn::Mode::train); },
        "output has shape [2, 3, 2], expected [2, 1, 2]");
}
