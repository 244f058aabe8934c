// Attribution over an example set in chunks equals attribution of all examples at once.
#include <gtest/gtest.h>

#include <vector>

#include "attrprior/attribution/deeplift.hpp"
#include "attrprior/attribution/examples.hpp"
#include "attrprior/train/tensor_data.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

TEST(ForEachChunkOf, ChunkedDeepShapEqualsOnePass) {
    const Index N = 7, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(N, L, 21, {{3, 5}});
    at::DeepShapOptions o;
    o.shuffles.count = 3;
    const auto whole = at::deep_shap(model, {T3(x.data(), N, L, 4)}, at::Target::logits(), o);
    const ap::train::TensorExamples<double> examples(T3(x.data(), N, L, 4));
    std::vector<double> H(whole.hypothetical.size(), -1.0);
    Index chunks = 0, last_done = 0;
    at::for_each_chunk_of<double>(
        examples, 3,
        [&](const at::Inputs<double>& inputs, Index first) {
            at::DeepShapOptions c = o;
            c.first_example = first;
            return at::deep_shap(model, inputs, at::Target::logits(), c);
        },
        [&](Index first, const at::DeepLiftScores<double>& s) {
            std::copy(s.hypothetical.begin(), s.hypothetical.end(), H.begin() + first * L * 4);
            ++chunks;
        },
        [&](Index, Index done, Index total) {
            EXPECT_EQ(total, N);
            last_done = done;
        });
    EXPECT_EQ(chunks, 3);
    EXPECT_EQ(last_done, N);
    for (std::size_t e = 0; e < H.size(); ++e) EXPECT_NEAR(H[e], whole.hypothetical[e], 1e-12);
}
