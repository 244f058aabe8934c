// The usage snippet of docs/attribution.md, compiled and run (ctest
// docs.attribution_snippet_matches_test keeps the two identical).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attrprior/attrprior.hpp"
#include "../support/attribution_models.hpp"

TEST(AttributionDocs, UsageSnippetRuns) {
    auto model = attrprior::testing::binary_model_double(201);
    const std::vector<double> seq = attrprior::testing::one_hot_with_n(2, 201, 4);
    const attrprior::ConstTensor3<double> x(seq.data(), 2, 201, 4);
    // snippet: begin
namespace at = attrprior::attribution;  // with #include <attrprior/attrprior.hpp>
// x: B x L x 4 one-hot (a profile model's inputs also hold its control tracks)
at::DeepShapOptions options;  // 20 dinucleotide shuffles, seed 0
const auto shap = at::deep_shap(model, {x}, at::Target::logits(), options);
const auto H = shap.H();         // hypothetical scores, what TF-MoDISco reads
const auto P = shap.P();         // projected scores: H at the observed base, 0 elsewhere
const auto& delta = shap.delta;  // convergence delta of each (example, reference) pair
// snippet: end
    EXPECT_EQ(H.dim0, 2);
    EXPECT_EQ(P.dim1, 201);
    ASSERT_EQ(delta.size(), 40u);
    for (double d : delta) EXPECT_LT(std::abs(d), 1e-9);
}
