#include "attrprior/nn/conv1d.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include "../support/layer_checks.hpp"

namespace ap = attrprior;
using ap::Index;
using ap::nn::Conv1d;
using ap::nn::Conv1dOptions;
using ap::nn::Padding;
using ap::nn::Shape;

TEST(Conv1d, ForwardMatchesDirectSum) {
    // PyTorch semantics: y[t, o] = b[o] + sum_{c, j} W[o, c, j] x[t*s + j*d - pad, c].
    for (auto [stride, dilation, pad] : {std::tuple{1, 1, Padding::valid}, std::tuple{2, 1, Padding::valid},
                                         std::tuple{1, 3, Padding::valid}, std::tuple{1, 2, Padding::same},
                                         std::tuple{1, 1, Padding::same}, std::tuple{2, 2, Padding::valid},
                                         std::tuple{1, 4, Padding::same}}) {
        Conv1dOptions o{3, 2, 4, stride, dilation, pad, true};
        Conv1d<double> conv(o);
        std::vector<double> p(conv.parameter_count()), g(p.size());
        conv.bind(p.data(), g.data(), nullptr);
        std::mt19937_64 rng(3);
        conv.reset_parameters(rng);
        const Index B = 2, L = 17;
        auto x = ap::testing::normal_vector(B * L * 3, rng);
        const Shape os = conv.output_shape({L, 3});
        std::vector<double> y(B * os.length * 2);
        conv.forward({x.data(), B, L, 3}, {y.data(), B, os.length, 2}, ap::nn::Mode::train);
        const Index total = dilation * 3, pl = pad == Padding::same ? total / 2 : 0;
        if (pad == Padding::same) {
            EXPECT_EQ(os.length, L);
        }
        for (Index b = 0; b < B; ++b)
            for (Index t = 0; t < os.length; ++t)
                for (Index oc = 0; oc < 2; ++oc) {
                    double s = p[2 * 3 * 4 + oc];
                    for (Index c = 0; c < 3; ++c)
                        for (Index j = 0; j < 4; ++j) {
                            const Index pos = t * stride + j * dilation - pl;
                            if (pos >= 0 && pos < L) s += p[(oc * 3 + c) * 4 + j] * x[(b * L + pos) * 3 + c];
                        }
                    EXPECT_NEAR(y[(b * os.length + t) * 2 + oc], s, 1e-12);
                }
    }
}

struct ConvCase {
    Conv1dOptions o;
    Index L;
};

class Conv1dDerivatives : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv1dDerivatives, AllTermsMatchFiniteDifferences) {
    Conv1d<double> conv(GetParam().o);
    ap::testing::check_layer_derivatives(conv, Shape{GetParam().L, GetParam().o.in_channels});
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Conv1dDerivatives,
    ::testing::Values(ConvCase{{4, 3, 5, 1, 1, Padding::valid, true}, 12},
                      ConvCase{{3, 2, 3, 2, 1, Padding::valid, true}, 11},
                      ConvCase{{2, 3, 3, 1, 2, Padding::same, true}, 9},
                      ConvCase{{3, 4, 4, 1, 1, Padding::same, false}, 8},
                      ConvCase{{2, 2, 3, 1, 3, Padding::valid, true}, 10},
                      // dilated, stride 1: the explicit-im2col path; even kernel = asymmetric padding
                      ConvCase{{2, 3, 4, 1, 2, Padding::same, true}, 11},
                      // dilated with stride 2: the per-tap path
                      ConvCase{{2, 2, 3, 2, 2, Padding::valid, true}, 13}));

TEST(Conv1d, ThreadCountDoesNotChangeResults) {
    Conv1d<float> conv(Conv1dOptions{4, 8, 7, 1, 1, Padding::valid, true});
    std::vector<float> p(conv.parameter_count()), g1(p.size()), g2(p.size());
    std::mt19937_64 rng(5);
    conv.bind(p.data(), g1.data(), nullptr);
    conv.reset_parameters(rng);
    const Index B = 9, L = 50;
    std::normal_distribution<float> nd;
    std::vector<float> x(B * L * 4), go(B * 44 * 8), y1(go.size()), y2(go.size()), gi1(x.size()), gi2(x.size());
    for (float& v : x) v = nd(rng);
    for (float& v : go) v = nd(rng);
    const int saved = omp_get_max_threads();
    auto run = [&](int threads, std::vector<float>& y, std::vector<float>& gi, std::vector<float>& gp) {
        omp_set_num_threads(threads);
        conv.bind(p.data(), gp.data(), nullptr);
        conv.forward({x.data(), B, L, 4}, {y.data(), B, 44, 8}, ap::nn::Mode::train);
        conv.backward({x.data(), B, L, 4}, {y.data(), B, 44, 8}, {go.data(), B, 44, 8}, {gi.data(), B, L, 4});
        conv.accumulate_parameter_gradients({x.data(), B, L, 4}, {go.data(), B, 44, 8});
    };
    run(1, y1, gi1, g1);
    run(2, y2, gi2, g2);
    omp_set_num_threads(saved);
    EXPECT_EQ(y1, y2);    // per-example work: identical
    EXPECT_EQ(gi1, gi2);
    for (std::size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], g2[i], 1e-4f * (1 + std::fabs(g1[i])));
}

TEST(Conv1d, BadOptionsAndShapes) {
    EXPECT_THROW(Conv1d<double>(Conv1dOptions{-1, 2, 3}), ap::invalid_argument);
    EXPECT_THROW(Conv1d<double>(Conv1dOptions{2, 2, 3, 2, 1, Padding::same, true}), ap::invalid_argument);
    Conv1d<double> conv(Conv1dOptions{4, 2, 15});
    try {
        conv.output_shape({10, 4});
        FAIL() << "no exception";
    } catch (const ap::invalid_argument& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("input length = 10"));
    }
    EXPECT_THROW(conv.output_shape({100, 3}), ap::invalid_argument);
}
