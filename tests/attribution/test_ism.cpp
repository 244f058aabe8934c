// ISM: fast (windowed) ISM equals naive ISM on the binary preset, overlapping max-pools and
// the profile model (every target); N rows and windows; the linear-model identity
// delta[i,c] = g[i,c] - g[i,obs]; batch independence; fallback to naive for layers without
// a declared reach or without a windowed forward; a float run on the paper-size binary model.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "attrprior/attribution/gradient.hpp"
#include "attrprior/attribution/ism.hpp"
#include "attrprior/nn/dropout.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

namespace {

template <class S>
double max_abs(const std::vector<S>& v) {
    double m = 0;
    for (S e : v) m = std::max(m, std::abs(double(e)));
    return m;
}

/// max |a - b| / max |b|.
template <class S>
double relative_difference(const std::vector<S>& a, const std::vector<S>& b) {
    EXPECT_EQ(a.size(), b.size());
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i]) - double(b[i])));
    const double scale = max_abs(b);
    return scale > 0 ? d / scale : d;
}

template <class S>
at::IsmScores<S> run(ap::nn::Model<S>& model, const at::Inputs<S>& inputs, const at::Target& target,
                     at::IsmAlgorithm algorithm, Index batch = 64, Index start = 0, Index end = -1) {
    at::IsmOptions o;
    o.algorithm = algorithm;
    o.batch = batch;
    o.start = start;
    o.end = end;
    return at::ism(model, inputs, target, o);
}

/// Fast equals naive (deltas, scores, values) to `tol` relative to the largest |delta|;
/// returns the relative difference of the deltas.
template <class S>
double expect_fast_equals_naive(ap::nn::Model<S>& model, const at::Inputs<S>& inputs, const at::Target& target,
                                double tol, Index batch = 64, Index start = 0, Index end = -1) {
    const auto fast = run(model, inputs, target, at::IsmAlgorithm::fast, batch, start, end);
    const auto naive = run(model, inputs, target, at::IsmAlgorithm::naive, batch, start, end);
    EXPECT_EQ(fast.algorithm, at::IsmAlgorithm::fast) << fast.fallback_reason;
    EXPECT_EQ(naive.algorithm, at::IsmAlgorithm::naive);
    EXPECT_GT(max_abs(naive.delta), 1e-6) << "the mutants must change f";
    const double rel = relative_difference(fast.delta, naive.delta);
    EXPECT_LE(rel, tol) << target.describe();
    EXPECT_LE(relative_difference(fast.hypothetical, naive.hypothetical), 4 * tol);
    EXPECT_LE(relative_difference(fast.projected, naive.projected), 4 * tol);
    for (std::size_t b = 0; b < fast.value.size(); ++b)
        EXPECT_NEAR(double(fast.value[b]), double(naive.value[b]), tol * (1 + std::abs(double(naive.value[b]))));
    std::cout << "[ info ] " << target.describe() << ": max relative difference fast vs naive " << rel << "\n";
    return rel;
}

/// Pointwise y = 2x that declares no reach (and no windowed forward).
class Doubling : public ap::nn::Layer<double> {
public:
    std::string kind() const override { return "Doubling"; }
    ap::nn::Shape output_shape(const ap::nn::Shape& in) const override { return in; }
    void forward(ConstTensor in, Tensor out, ap::nn::Mode) override {
        for (Index e = 0; e < in.size(); ++e) out.data[e] = 2 * in.data[e];
    }
    void backward(ConstTensor, ConstTensor, ConstTensor g_out, Tensor g_in) override {
        for (Index e = 0; e < g_out.size(); ++e) g_in.data[e] = 2 * g_out.data[e];
    }
    void tangent(ConstTensor, ConstTensor u_in, Tensor u_out, const ap::nn::Rows& rows) override {
        for (Index b : rows)
            for (Index e = 0; e < u_in.dim1 * u_in.dim2; ++e) u_out.slice(b)[e] = 2 * u_in.slice(b)[e];
    }
};

/// The same layer declaring a pointwise reach but no windowed forward.
class DoublingWithReach : public Doubling {
public:
    ap::nn::Reach reach() const override { return ap::nn::Reach::pointwise(); }
};

/// Conv1d(3, k 5, same) -> `middle` -> ReLU -> Flatten -> Linear(2), length 30.
ap::nn::Model<double> model_with(std::unique_ptr<ap::nn::Layer<double>> middle, bool middle_in_tail = false) {
    ap::nn::Model<double> m(ap::nn::Shape{30, 4});
    m.add("conv", ap::nn::conv1d<double>(3, 5, ap::nn::Padding::same));
    if (!middle_in_tail) m.add(std::move(middle));
    m.add(ap::nn::relu<double>());
    m.add(ap::nn::flatten<double>());
    m.add("fc", ap::nn::linear<double>(2));
    if (middle_in_tail) m.add(std::move(middle));
    m.compile(4);
    return m;
}

}  // namespace

TEST(Ism, FastEqualsNaiveOnBinaryPreset) {
    const Index B = 2, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 11, {{1, 0}, {1, 77}, {0, 200}});
    const at::Inputs<double> in{T3(x.data(), B, L, 4)};
    for (const auto& target : {at::Target::logits(), at::Target::logits(1)})
        expect_fast_equals_naive(model, in, target, 1e-12);
}

TEST(Ism, FastEqualsNaiveOnOverlappingMaxPools) {
    const Index B = 3, L = 40;
    auto model = ap::testing::maxpool_model();
    const auto x = ap::testing::one_hot_with_n(B, L, 12, {{2, 39}, {2, 3}});
    expect_fast_equals_naive(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), 1e-12);
    expect_fast_equals_naive(model, {T3(x.data(), B, L, 4)}, at::Target::logits(0), 1e-12);
}

TEST(Ism, FastEqualsNaiveWithStridesDilationsAndDropout) {
    // Conv1d(16, k 4, stride 3) -> ReLU -> Dropout (eval: identity) -> Conv1d(16, k 3,
    // dilation 2, stride 2) -> ReLU -> Conv1d(4, k 2, stride 2, dilation 3) -> ReLU ->
    // MaxPool1d(3, 2) -> Flatten -> Linear(3) -> ReLU -> Linear(2), all valid: windows
    // through strides that do not divide the intervals, and both of Conv1d's window paths
    // (stacked im2col for >= 16 output channels, per-window GEMMs below).
    ap::nn::Model<double> m(ap::nn::Shape{121, 4});
    m.add("conv1", std::make_unique<ap::nn::Conv1d<double>>(ap::nn::Conv1dOptions{0, 16, 4, 3, 1, ap::nn::Padding::valid, true}));
    m.add(ap::nn::relu<double>());
    m.add(ap::nn::dropout<double>(0.3));
    m.add("conv2", std::make_unique<ap::nn::Conv1d<double>>(ap::nn::Conv1dOptions{0, 16, 3, 2, 2, ap::nn::Padding::valid, true}));
    m.add(ap::nn::relu<double>());
    m.add("conv3", std::make_unique<ap::nn::Conv1d<double>>(ap::nn::Conv1dOptions{0, 4, 2, 2, 3, ap::nn::Padding::valid, true}));
    m.add(ap::nn::relu<double>());
    m.add(ap::nn::max_pool1d<double>(3, 2));
    m.add(ap::nn::flatten<double>());
    m.add("fc1", ap::nn::linear<double>(3));
    m.add(ap::nn::relu<double>());
    m.add("fc2", ap::nn::linear<double>(2));
    m.compile(9);
    const Index B = 2, L = 121;
    const auto x = ap::testing::one_hot_with_n(B, L, 20, {{1, 120}});
    expect_fast_equals_naive(m, {T3(x.data(), B, L, 4)}, at::Target::logits(), 1e-12);
}

TEST(Ism, FastEqualsNaiveThroughGlobalPoolsAndConcat) {
    const Index B = 2, L = 50;
    auto model = ap::testing::pooled_model();
    const auto x = ap::testing::one_hot_with_n(B, L, 19, {{0, 0}, {1, 49}});
    expect_fast_equals_naive(model, {T3(x.data(), B, L, 4)}, at::Target::logits(), 1e-12);
    expect_fast_equals_naive(model, {T3(x.data(), B, L, 4)}, at::Target::logits(1), 1e-12);
}

TEST(Ism, FastEqualsNaiveOnProfileModelEveryTarget) {
    ap::models::ProfileModelOptions o;
    o.input_length = 200;
    o.filters = 6;
    o.first_kernel = 5;
    o.profile_kernel = 11;
    o.dilations = {2, 4, 8};
    o.tasks = 2;
    o.output_length = o.input_length - ap::models::profile_trimmed_positions(o);
    o.controls = ap::models::Controls::matched;
    auto model = ap::models::make_profile_model<double>(o, 5);
    // Naive ISM's f(x') - f(x) carries a round-off of about eps |f|: larger weights and
    // small control counts keep |f| comparable to the deltas, so a 1e-12 comparison
    // measures fast ISM and not the cancellation in the naive reference.
    model.parameters() *= 2.5;
    const Index B = 2, L = o.input_length, O = o.output_length, K = o.tasks * o.strands;
    const auto x = ap::testing::one_hot_with_n(B, L, 13, {{0, 100}, {1, 0}});
    std::vector<double> control(static_cast<std::size_t>(B * O * K));
    for (std::size_t i = 0; i < control.size(); ++i) control[i] = double((i * 7919) % 13) / 400.0;
    const at::Inputs<double> in{T3(x.data(), B, L, 4), T3(control.data(), B, O, K)};
    for (const auto& target : {at::Target::profile(), at::Target::counts(), at::Target::profile(2, 1),
                               at::Target::counts(2, 0)})
        expect_fast_equals_naive(model, in, target, 1e-12);
}

TEST(Ism, FastEqualsNaiveInAWindowWithNRows) {
    const Index B = 2, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 14, {{0, 60}, {0, 61}, {1, 90}});
    const at::Inputs<double> in{T3(x.data(), B, L, 4)};
    expect_fast_equals_naive(model, in, at::Target::logits(), 1e-12, 64, 55, 95);
    const auto fast = run(model, in, at::Target::logits(), at::IsmAlgorithm::fast, 64, 55, 95);
    for (Index b = 0; b < B; ++b)
        for (Index i = 0; i < L; ++i)
            for (Index c = 0; c < 4; ++c) {
                const double d = fast.deltas()(b, i, c);
                if (i < 55 || i >= 95 || x[static_cast<std::size_t>((b * L + i) * 4 + c)] == 1.0) {
                    EXPECT_EQ(d, 0.0) << b << " " << i << " " << c;
                } else {
                    EXPECT_NE(d, 0.0) << b << " " << i << " " << c;  // all four bases at N rows
                }
            }
}

TEST(Ism, LinearModelDeltaIsGradientDifference) {
    const Index B = 2, L = 30;
    auto model = ap::testing::linear_model(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 15, {{1, 3}, {1, 29}});
    const at::Inputs<double> in{T3(x.data(), B, L, 4)};
    at::GradientOptions go;
    go.centred = false;
    const auto g = at::gradient_times_input(model, in, at::Target::logits(), go);
    const auto s = run(model, in, at::Target::logits(), at::IsmAlgorithm::fast);
    ASSERT_EQ(s.algorithm, at::IsmAlgorithm::fast);
    const double scale = max_abs(s.delta);
    for (Index b = 0; b < B; ++b)
        for (Index i = 0; i < L; ++i) {
            double g_obs = 0;  // <g_i, x_i>: 0 at an N row
            for (Index c = 0; c < 4; ++c) g_obs += g.H()(b, i, c) * x[static_cast<std::size_t>((b * L + i) * 4 + c)];
            for (Index c = 0; c < 4; ++c) EXPECT_NEAR(s.deltas()(b, i, c), g.H()(b, i, c) - g_obs, 1e-12 * scale);
        }
}

TEST(Ism, FastResultsDoNotDependOnBatch) {
    const Index B = 3, L = 201;
    auto model = ap::testing::binary_model_double(L);
    const auto x = ap::testing::one_hot_with_n(B, L, 16, {{2, 5}});
    const at::Inputs<double> in{T3(x.data(), B, L, 4)};
    const auto ref = run(model, in, at::Target::logits(), at::IsmAlgorithm::fast, 64);
    const double scale = max_abs(ref.delta);
    ASSERT_GT(scale, 1e-6);
    for (Index batch : {1, 7, 1000}) {
        // Windows depend only on the model and the position, not on the pass; stacking
        // the windows of a pass into one GEMM may change the last bit (as the project's
        // other methods, equal to 1e-12 of the largest effect).
        const auto s = run(model, in, at::Target::logits(), at::IsmAlgorithm::fast, batch);
        EXPECT_LE(relative_difference(s.delta, ref.delta), 1e-12) << "batch " << batch;
        EXPECT_LE(relative_difference(s.hypothetical, ref.hypothetical), 1e-12) << "batch " << batch;
        EXPECT_EQ(s.value, ref.value) << "batch " << batch;
    }
}

TEST(Ism, FallsBackToNaiveForLayersWithoutReachOrWindow) {
    const Index B = 2, L = 30;
    const auto x = ap::testing::one_hot_with_n(B, L, 17, {{0, 4}});
    const at::Inputs<double> in{T3(x.data(), B, L, 4)};
    {
        auto model = model_with(std::make_unique<Doubling>());
        const auto fast = run(model, in, at::Target::logits(), at::IsmAlgorithm::fast);
        const auto naive = run(model, in, at::Target::logits(), at::IsmAlgorithm::naive);
        EXPECT_EQ(fast.algorithm, at::IsmAlgorithm::naive);
        EXPECT_NE(fast.fallback_reason.find("Doubling"), std::string::npos) << fast.fallback_reason;
        EXPECT_NE(fast.fallback_reason.find("reach"), std::string::npos) << fast.fallback_reason;
        EXPECT_EQ(fast.delta, naive.delta);
        EXPECT_TRUE(naive.fallback_reason.empty());
    }
    {
        auto model = model_with(std::make_unique<DoublingWithReach>());
        const auto fast = run(model, in, at::Target::logits(), at::IsmAlgorithm::fast);
        EXPECT_EQ(fast.algorithm, at::IsmAlgorithm::naive);
        EXPECT_NE(fast.fallback_reason.find("forward_window"), std::string::npos) << fast.fallback_reason;
    }
    {  // after the global layer the tail runs ordinary forwards: no reach needed there
        auto model = model_with(std::make_unique<Doubling>(), true);
        expect_fast_equals_naive(model, in, at::Target::logits(), 1e-12);
    }
}

TEST(Ism, FloatPaperBinaryModelFastMatchesNaive) {
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
    // 360 full forwards of the paper-size model: seconds in a Release build, most of CI's
    // time unoptimised under the sanitizers, where the small models above cover the code.
    GTEST_SKIP() << "paper-size model: run in an optimised build without sanitizers";
#endif
    auto model = ap::models::make_binary_model<float>(ap::models::BinaryModelOptions(), 7);
    std::mt19937_64 gen(8);
    for (Index i = 0; i < model.state().size(); ++i) model.state()[i] = 0.3f + 0.5f * float(gen() % 1000) / 1000.0f;
    const Index B = 2, L = 1000;
    const auto xd = ap::testing::one_hot_with_n(B, L, 18, {{1, 500}});
    const std::vector<float> x(xd.begin(), xd.end());
    const at::Inputs<float> in{ap::ConstTensor3<float>(x.data(), B, L, 4)};
    // Positions 470 .. 529 straddle a pool boundary (480, 520) and hold an N row.
    expect_fast_equals_naive(model, in, at::Target::logits(), 1e-3, 64, 470, 530);
}
