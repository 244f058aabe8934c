#include "attrprior/core/math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <type_traits>
#include <vector>

namespace ap = attrprior;
using ap::Index;

static_assert(std::is_same_v<ap::Accumulator<float>, double>);
static_assert(std::is_same_v<ap::Accumulator<double>, double>);
static_assert(std::is_same_v<ap::Accumulator<long double>, long double>);

TEST(SoftmaxNormalizer, ReadsOneChannelOfAPositionsByChannelsBlock) {
    // 4 positions x 3 channels; channel 1 holds {0.5, -1, 2, 0.25}.
    const std::vector<double> block = {9, 0.5, -9, 9, -1.0, -9, 9, 2.0, -9, 9, 0.25, -9};
    const auto r = ap::softmax_normalizer<double>(block.data() + 1, 4, 3);
    EXPECT_EQ(r.max, 2.0);
    const double expected = std::exp(0.5 - 2) + std::exp(-1.0 - 2) + 1.0 + std::exp(0.25 - 2);
    EXPECT_NEAR(r.sum_exp, expected, 1e-15);
    EXPECT_NEAR(r.log_sum_exp(), std::log(std::exp(0.5) + std::exp(-1.0) + std::exp(2.0) + std::exp(0.25)), 1e-14);
}

TEST(SoftmaxNormalizer, WritesShiftedExponentialsAtTheStridedPlacesOnly) {
    const std::vector<float> z = {1.0f, 7.0f, 3.0f, 7.0f};  // channel 0 of 2 x 2: {1, 3}
    std::vector<float> out(4, -5.0f);
    const auto r = ap::softmax_normalizer<double>(z.data(), 2, 2, out.data());
    EXPECT_EQ(r.max, 3.0);
    EXPECT_FLOAT_EQ(out[0], std::exp(-2.0f));
    EXPECT_EQ(out[2], 1.0f);
    EXPECT_EQ(out[1], -5.0f);
    EXPECT_EQ(out[3], -5.0f);
    EXPECT_DOUBLE_EQ(r.sum_exp, double(std::exp(-2.0f)) + 1.0);
}

TEST(SoftmaxNormalizer, LargeLogitsDoNotOverflow) {
    const std::vector<float> z = {1000.0f, 999.0f, -1000.0f};
    const auto r = ap::softmax_normalizer<double>(z.data(), 3, 1);
    EXPECT_TRUE(std::isfinite(r.sum_exp));
    EXPECT_NEAR(r.log_sum_exp(), 1000.0 + std::log1p(std::exp(-1.0)), 1e-6);  // exp in float
}

TEST(SoftmaxNormalizer, NoPositionsReadsNothing) {
    const auto r = ap::softmax_normalizer<double>(static_cast<const float*>(nullptr), 0, 1);
    EXPECT_EQ(r.sum_exp, 0.0);
}
