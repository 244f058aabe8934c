// Chunked prediction (train/predict.hpp): any number of examples in chunks of any size,
// equal to one-at-a-time prediction, with no allocation after the first chunk.
#include "attrprior/train/predict.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/profile.hpp"

#include "../support/count_allocations.hpp"

#include "../support/small_models.hpp"

namespace ap = attrprior;
namespace train = attrprior::train;
using ap::Index;

class ChunkedPrediction : public ::testing::TestWithParam<Index> {};

TEST_P(ChunkedPrediction, EqualsOneAtATimeAndAllocatesNothingAfterTheFirstChunk) {
    const Index N = GetParam(), L = 120, chunk = 32;
    auto model = ap::testing::small_binary_model();
    const std::vector<float> x = ap::testing::random_one_hot(N, L, 7);
    const train::TensorExamples<float> examples(ap::ConstTensor3<float>(x.data(), N, L, 4));

    std::vector<float> logits(static_cast<std::size_t>(N)), attr(x.size());
    train::Predictor<float> predictor(chunk);
    long after_first_chunk = -1;
    Index chunks = 0;
    const std::vector<ap::Tensor3<float>> outs{{logits.data(), N, 1, 1}};
    predictor.attributions(model, examples, {attr.data(), N, L, 4}, outs, [&](Index, Index, Index) {
        if (chunks++ == 0) after_first_chunk = ap::testing::allocation_count();
    });
    const long at_end = ap::testing::allocation_count();
    EXPECT_EQ(chunks, (N + chunk - 1) / chunk);
    EXPECT_EQ(at_end - after_first_chunk, 0) << "allocations after the first chunk";

    // One example at a time, through a fresh predictor and the same model.
    train::Predictor<float> single(1);
    std::vector<float> logit1(1), attr1(static_cast<std::size_t>(L * 4));
    for (Index i = 0; i < N; ++i) {
        const train::TensorExamples<float> one(ap::ConstTensor3<float>(x.data() + i * L * 4, 1, L, 4));
        single.attributions(model, one, {attr1.data(), 1, L, 4}, {{logit1.data(), 1, 1, 1}});
        EXPECT_NEAR(logits[static_cast<std::size_t>(i)], logit1[0], 1e-5f * (1 + std::abs(logit1[0]))) << i;
        for (Index j = 0; j < L * 4; ++j)
            ASSERT_NEAR(attr[static_cast<std::size_t>(i * L * 4 + j)], attr1[static_cast<std::size_t>(j)], 1e-5f)
                << "example " << i << " element " << j;
    }

    // outputs() gives the same logits without attributions.
    std::vector<float> logits2(static_cast<std::size_t>(N));
    predictor.outputs(model, examples, {{logits2.data(), N, 1, 1}});
    for (Index i = 0; i < N; ++i) EXPECT_EQ(logits2[static_cast<std::size_t>(i)], logits[static_cast<std::size_t>(i)]);
}

INSTANTIATE_TEST_SUITE_P(OneSevenHundred, ChunkedPrediction, ::testing::Values(Index(1), Index(7), Index(100)));

TEST(ChunkedLoss, PooledLossSeesTheWholeSet) {
    const Index N = 45, L = 120;
    auto model = ap::testing::small_binary_model();
    const std::vector<float> x = ap::testing::random_one_hot(N, L, 9);
    std::vector<float> y(static_cast<std::size_t>(N));
    for (Index i = 0; i < N; ++i) y[static_cast<std::size_t>(i)] = i % 3 == 0 ? 1.f : (i % 7 == 0 ? -1.f : 0.f);
    const train::TensorExamples<float> examples(ap::ConstTensor3<float>(x.data(), N, L, 4),
                                                ap::ConstTensor3<float>(y.data(), N, 1, 1));
    train::ClassBalancedBCE<float> loss;
    train::Predictor<float> predictor(16);
    const double chunked = predictor.loss(model, examples, loss);
    // Reference: the loss on all N logits at once.
    std::vector<float> logits(static_cast<std::size_t>(N)), grad(logits.size());
    predictor.outputs(model, examples, {{logits.data(), N, 1, 1}});
    const double whole = loss.value_and_gradient(ap::ConstTensor3<float>(logits.data(), N, 1, 1),
                                                 ap::ConstTensor3<float>(y.data(), N, 1, 1),
                                                 ap::Tensor3<float>(grad.data(), N, 1, 1));
    EXPECT_DOUBLE_EQ(chunked, whole);
    const train::TensorExamples<float> none(ap::ConstTensor3<float>(x.data(), 0, L, 4),
                                            ap::ConstTensor3<float>(y.data(), 0, 1, 1));
    EXPECT_TRUE(std::isnan(predictor.loss(model, none, loss)));
}

TEST(ChunkedLoss, ModelLossIsTheMeanOverExamples) {
    // Profile preset with matched controls: two inputs, two outputs, a model-level loss.
    const ap::models::ProfileModelOptions o = ap::testing::small_profile_options();
    auto model = ap::models::make_profile_model<float>(o, 2);
    const Index N = 11, L = o.input_length, O = o.output_length, P = 2;
    const std::vector<float> x = ap::testing::random_one_hot(N, L, 5);
    std::vector<float> control(static_cast<std::size_t>(N * O * P)), counts(control.size());
    std::mt19937_64 gen(1);
    std::poisson_distribution<int> reads(2.0);
    for (auto& v : control) v = float(reads(gen));
    for (auto& v : counts) v = float(reads(gen));
    const train::TensorExamples<float> examples(
        {ap::ConstTensor3<float>(x.data(), N, L, 4), ap::ConstTensor3<float>(control.data(), N, O, P)},
        ap::ConstTensor3<float>(counts.data(), N, O, P));
    train::ProfileLoss<float> loss;
    train::Predictor<float> chunked(4), whole(N);
    EXPECT_NEAR(chunked.loss(model, examples, loss), whole.loss(model, examples, loss), 1e-4);
}

TEST(ChunkedPrediction, RejectsWrongShapes) {
    auto model = ap::testing::small_binary_model();
    const std::vector<float> x = ap::testing::random_one_hot(3, 120, 1);
    const train::TensorExamples<float> examples(ap::ConstTensor3<float>(x.data(), 3, 120, 4));
    std::vector<float> out(2);
    train::Predictor<float> p(2);
    EXPECT_THROW(p.outputs(model, examples, {{out.data(), 2, 1, 1}}), ap::invalid_argument);
    EXPECT_THROW(train::Predictor<float>(0), ap::invalid_argument);
}
