// explain(): each method name runs that method with the options it maps to, and gives
// exactly what calling the method directly gives.
#include <gtest/gtest.h>

#include <vector>

#include "attrprior/attribution/explain.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

namespace {

constexpr Index kN = 3, kL = 201;

void expect_same(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << what << " at " << i;
}

}  // namespace

TEST(Explain, MethodNamesRoundTripAndUnknownNamesNameTheFlag) {
    for (at::Method m : {at::Method::deep_shap, at::Method::ism, at::Method::integrated_gradients,
                         at::Method::gradient})
        EXPECT_EQ(at::parse_method(at::to_string(m)), m);
    try {
        at::parse_method("shap", "--method");
        FAIL() << "expected invalid_argument";
    } catch (const ap::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("--method = 'shap'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("deepshap, ism, ig, grad"), std::string::npos) << e.what();
    }
    EXPECT_EQ(at::parse_baseline("shuffle"), at::Baseline::shuffles);
    EXPECT_EQ(at::parse_target("counts", 1, 2).describe(), "counts of task 1");
    EXPECT_EQ(at::parse_target("profile", -1, 2).strands, 2);
    EXPECT_THROW(at::parse_target("shap", -1, 1, "--target"), ap::invalid_argument);
    EXPECT_THROW(at::parse_baseline("mean", "--ig-baseline"), ap::invalid_argument);
}

TEST(Explain, EachMethodEqualsTheMethodCalledDirectly) {
    auto model = ap::testing::binary_model_double(kL);
    const auto x = ap::testing::one_hot_with_n(kN, kL, 5, {{1, 7}});
    const at::Inputs<double> in{T3(x.data(), kN, kL, 4)};
    const at::Target t = at::Target::logits();
    at::ExplainOptions o;
    o.shuffles.count = 4;
    o.shuffles.seed = 9;
    o.batch = 16;

    at::DeepShapOptions so;
    so.shuffles = o.shuffles;
    so.deeplift.batch = 16;
    so.first_example = 5;
    const auto shap = at::deep_shap(model, in, t, so);
    const auto e_shap = at::explain(model, in, t, o, 5);
    expect_same(e_shap.hypothetical, shap.hypothetical, "deepshap H");
    expect_same(e_shap.projected, shap.projected, "deepshap P");
    expect_same(e_shap.delta, shap.delta, "deepshap delta");
    EXPECT_EQ(e_shap.references, 4);
    EXPECT_EQ(e_shap.degenerate.size(), std::size_t(kN));
    EXPECT_EQ(e_shap.warnings, shap.warnings);

    o.method = at::Method::ism;
    const auto e_ism = at::explain(model, in, t, o);
    expect_same(e_ism.hypothetical, at::ism(model, in, t).hypothetical, "ism H");
    EXPECT_EQ(e_ism.references, 0);
    EXPECT_TRUE(e_ism.delta.empty());

    o.method = at::Method::gradient;
    expect_same(at::explain(model, in, t, o).hypothetical, at::gradient_times_input(model, in, t).hypothetical,
                "grad H");

    o.method = at::Method::integrated_gradients;
    o.ig_steps = 8;
    at::IntegratedGradientsOptions io;
    io.steps = 8;
    io.batch = 16;
    const auto ig = at::integrated_gradients(model, in, t, io);
    const auto e_ig = at::explain(model, in, t, o);
    expect_same(e_ig.hypothetical, ig.hypothetical, "ig H");
    expect_same(e_ig.delta, ig.delta, "ig delta");
    EXPECT_EQ(e_ig.references, 1);
}

TEST(Explain, ShuffleBaselinesAndGivenReferencesAreTheSameReferences) {
    auto model = ap::testing::binary_model_double(kL);
    const auto x = ap::testing::one_hot_with_n(kN, kL, 6);
    const at::Inputs<double> in{T3(x.data(), kN, kL, 4)};
    const at::Target t = at::Target::logits();
    at::ExplainOptions o;
    o.shuffles.count = 3;
    o.ig_steps = 6;
    // The shuffles explain() draws for examples 2.. of a data set.
    std::vector<double> refs(x.size() * 3);
    at::dinucleotide_shuffles(T3(x.data(), kN, kL, 4), ap::Tensor3<double>(refs.data(), kN * 3, kL, 4), o.shuffles, 2);
    const T3 r(refs.data(), kN * 3, kL, 4);

    const auto shap = at::explain(model, in, t, o, 2);
    const auto given = at::explain(model, in, t, o, 0, r);
    expect_same(given.hypothetical, shap.hypothetical, "deepshap: given = drawn shuffles");
    expect_same(given.delta, shap.delta, "deepshap delta");
    for (double d : given.delta) EXPECT_LT(std::fabs(d), 1e-10);

    o.method = at::Method::integrated_gradients;
    o.ig_baseline = at::Baseline::shuffles;
    const auto ig_shuffled = at::explain(model, in, t, o, 2);
    const auto ig_given = at::explain(model, in, t, o, 0, r);
    expect_same(ig_given.hypothetical, ig_shuffled.hypothetical, "ig: given = drawn shuffles");
    EXPECT_EQ(ig_shuffled.references, 3);
    EXPECT_EQ(ig_shuffled.degenerate.size(), std::size_t(kN));
    // IG's delta is a quadrature remainder: counted against the threshold, and a tiny
    // threshold counts every pair.
    o.warn_factor = 1e-300;
    EXPECT_EQ(at::explain(model, in, t, o, 0, r).warnings, kN * 3);
}

TEST(Explain, ReferencesAreRejectedWhereTheMethodTakesNone) {
    auto model = ap::testing::binary_model_double(kL);
    const auto x = ap::testing::one_hot_with_n(kN, kL, 7);
    const at::Inputs<double> in{T3(x.data(), kN, kL, 4)};
    std::vector<double> refs(x.size() * 2, 0.0);
    at::ExplainOptions o;
    o.method = at::Method::ism;
    EXPECT_THROW(at::explain(model, in, at::Target::logits(), o, 0, T3(refs.data(), kN * 2, kL, 4)),
                 ap::invalid_argument);
    o.method = at::Method::deep_shap;
    // 7 rows for 3 examples: not the same K for each.
    EXPECT_THROW(at::explain(model, in, at::Target::logits(), o, 0, T3(refs.data(), 7, kL, 4)),
                 ap::invalid_argument);
    o.batch = 0;
    EXPECT_THROW(at::explain(model, in, at::Target::logits(), o), ap::invalid_argument);
}
