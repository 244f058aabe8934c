// The Model graph: residual sums and several outputs (the structure of the BPNet-style
// profile model) through the whole double-backprop step, against finite differences.
#include "attrprior/nn/model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "attrprior/nn/activation.hpp"
#include "attrprior/nn/batchnorm.hpp"
#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/crop.hpp"
#include "attrprior/nn/flatten.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/pooling.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/step.hpp"
#include "../support/count_allocations.hpp"
#include "../support/expect_error.hpp"
#include "../support/parameter_checks.hpp"

namespace ap = attrprior;
namespace nn = attrprior::nn;
using ap::Index;

namespace {

/// conv0 -> relu0; conv1 reads relu0; conv2 reads relu0 + relu1 (a residual sum);
/// head A: crop -> conv (B x 20 x 1), concatenated with an auxiliary control track
/// (B x 20 x 1, data) -> 1x1 conv (profile-like); head B: global average pool -> linear.
nn::Model<double> residual_two_heads(std::uint64_t seed, bool bn) {
    nn::Model<double> m(nn::Shape{30, 4});
    const nn::NodeId control = m.add_input(nn::Shape{20, 1});
    // Sizes restated (explicit layers) and inferred (factories) are both exercised.
    const nn::NodeId c0 = m.add("c0", std::make_unique<nn::Conv1d<double>>(4, 3, 5, nn::Padding::same));
    const nn::NodeId r0 = m.add(nn::relu<double>(), c0);
    const nn::NodeId c1 = m.add("c1", nn::conv1d<double>(3, 3, nn::Padding::same, 2), r0);
    nn::NodeId r1 = m.add(nn::relu<double>(), c1);
    if (bn) r1 = m.add("b1", nn::batchnorm1d<double>(), r1);
    const nn::NodeId c2 = m.add("c2", nn::conv1d<double>(3, 3, nn::Padding::same, 4), nn::sum({r0, r1}));
    const nn::NodeId r2 = m.add("r2", nn::relu<double>(), c2);
    const nn::NodeId crop = m.add("crop", nn::crop1d<double>(24), r2);
    const nn::NodeId pre = m.add("profile", nn::conv1d<double>(1, 5), crop);
    const nn::NodeId head_a = m.add("mix", nn::conv1d<double>(1, 1), nn::concat({pre, control}));
    const nn::NodeId pool = m.add("gap", nn::global_average_pool1d<double>(), crop);
    const nn::NodeId head_b = m.add("counts", std::make_unique<nn::Linear<double>>(3, 1), pool);
    m.set_outputs({head_a, head_b});
    m.compile(seed);
    return m;
}

/// MSE on output 0 (the profile head) and on output 1, with the attribution target the
/// sum of both outputs. Returns task + lambda * prior; fills model.gradients().
struct TwoHeadObjective {
    std::vector<double> target0, target1, grad1;
    ap::train::MeanSquaredError<double> mse;
    ap::priors::FourierPrior<double> prior;
    ap::train::DoubleBackprop<double> step{0.7};

    explicit TwoHeadObjective(Index B) : prior(make_options()) {
        std::mt19937_64 gen(4);
        std::normal_distribution<double> nd;
        target0.resize(B * 20);
        target1.resize(B);
        grad1.resize(B);
        for (double& v : target0) v = nd(gen);
        for (double& v : target1) v = nd(gen);
    }
    static ap::priors::FourierPriorOptions make_options() {
        ap::priors::FourierPriorOptions o;
        o.freq_limit = 5;
        o.smoothing_sigma = 1;
        return o;
    }
    /// A loss over both heads through the model-level loss interface:
    /// MSE(head 0) + MSE(head 1).
    std::vector<double> control;
    double run(nn::Model<double>& m, const std::vector<double>& x, const Eigen::VectorXi& status) {
        const Index B = status.size();
        if (control.empty()) {
            control.resize(B * 20);
            for (Index i = 0; i < B * 20; ++i) control[i] = 0.1 * double(i % 7);
        }
        struct Loss {
            TwoHeadObjective* self;
            double value_and_gradient(nn::Model<double>& model, ap::ConstTensor3<double> t) {
                const Index B = t.dim0;
                double v = self->mse.value_and_gradient(model.output(0), t, model.output_gradient(0));
                v += self->mse.value_and_gradient(model.output(1), {self->target1.data(), B, 1, 1},
                                                  model.output_gradient(1));
                return v;
            }
        } loss{this};
        return step.step(m, prior, loss, {{x.data(), B, 30, 4}, {control.data(), B, 20, 1}},
                         {target0.data(), B, 20, 1}, status).total;
    }
};

}  // namespace

class ModelGraph : public ::testing::TestWithParam<bool> {};

TEST_P(ModelGraph, ResidualSumsAndTwoHeadsMatchFiniteDifferences) {
    const Index B = 4;
    auto m = residual_two_heads(3, GetParam());
    EXPECT_EQ(m.outputs().size(), 2u);
    EXPECT_EQ(m.output_shape(m.outputs()[0]), (nn::Shape{20, 1}));
    std::mt19937_64 gen(8);
    std::uniform_int_distribution<int> base(0, 3);
    std::vector<double> x(B * 30 * 4, 0.0);
    for (Index i = 0; i < B * 30; ++i) x[i * 4 + base(gen)] = 1.0;
    Eigen::VectorXi status(B);
    status << 1, 0, 1, 1;
    TwoHeadObjective f(B);
    f.run(m, x, status);
    const Eigen::VectorXd analytic = m.gradients();
    EXPECT_LT(ap::testing::parameter_fd_error(m.parameters(), analytic, [&] { return f.run(m, x, status); }), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutBatchNorm, ModelGraph, ::testing::Values(false, true));

TEST(ModelGraph, ErrorsNameTheProblem) {
    nn::Model<double> m(nn::Shape{10, 4});
    const nn::NodeId a = m.add("a", std::make_unique<nn::Conv1d<double>>(4, 3, 3));
    EXPECT_THROW(m.add("bad", nn::relu<double>(), nn::sum({a, nn::Model<double>::input()})),
                 ap::invalid_argument);  // shapes [8 x 3] and [10 x 4] cannot be summed
    nn::Model<double> other(nn::Shape{10, 4});
    const nn::NodeId foreign = other.add(nn::relu<double>());  // node 0 of another model
    EXPECT_THAT(ap::testing::error_message<ap::invalid_argument>([&] { m.add("bad", nn::relu<double>(), foreign); }),
                ::testing::HasSubstr("another model"));
    EXPECT_THROW(m.set_outputs({foreign}), ap::invalid_argument);
    std::vector<double> x(2 * 10 * 4);
    EXPECT_THROW(m.forward({x.data(), 2, 10, 4}, nn::Mode::train), ap::invalid_argument);  // not compiled
    m.compile(1);
    std::vector<double> wrong(2 * 9 * 4);
    try {
        m.forward({wrong.data(), 2, 9, 4}, nn::Mode::train);
        FAIL() << "no exception";
    } catch (const ap::invalid_argument& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("expected [2, 10, 4]"));
    }
}

TEST(ModelGraph, NamesAreUniqueAndParameterLayersNamed) {
    nn::Model<double> m(nn::Shape{10, 4});
    m.add("conv", nn::conv1d<double>(3, 3));
    const std::string duplicate = ap::testing::error_message<ap::invalid_argument>(
        [&] { m.add("conv", nn::conv1d<double>(3, 3)); });
    EXPECT_THAT(duplicate, ::testing::HasSubstr("conv"));
    EXPECT_THAT(duplicate, ::testing::HasSubstr("unique"));
    const std::string unnamed =
        ap::testing::error_message<ap::invalid_argument>([&] { m.add(nn::conv1d<double>(3, 3)); });
    EXPECT_THAT(unnamed, ::testing::HasSubstr("Conv1d"));
    EXPECT_THAT(unnamed, ::testing::HasSubstr("need a name"));
    EXPECT_THROW(m.add(nn::batchnorm1d<double>()), ap::invalid_argument);  // state needs a name too
    m.add(nn::relu<double>());  // no parameters: no name needed
    m.add(nn::relu<double>());  // and several unnamed nodes are fine
    EXPECT_EQ(m.node_count(), 3u);
    EXPECT_EQ(m.find("conv").index(), 0);
    EXPECT_THROW(m.find("nope"), ap::invalid_argument);
}

TEST(ModelGraph, LayersTakeTheirInputShapeFromTheModel) {
    nn::Model<double> m(nn::Shape{20, 4});
    const nn::NodeId c = m.add("conv", nn::conv1d<double>(6, 5));
    m.add("bn", nn::batchnorm1d<double>());
    m.add(nn::flatten<double>());
    const nn::NodeId fc = m.add("fc", nn::linear<double>(2));
    m.compile(3);
    EXPECT_EQ(m.shape(c), (nn::Shape{16, 6}));
    EXPECT_EQ(m.shape(fc), (nn::Shape{1, 2}));
    EXPECT_EQ(m.shape(nn::Model<double>::input()), (nn::Shape{20, 4}));
    // The inferred sizes are the ones a restated layer would have: same parameter count
    // and PyTorch shapes as Conv1d(4, 6, 5), BatchNorm1d(6), Linear(96, 2).
    EXPECT_EQ(m.parameter_count(), 6 * 4 * 5 + 6 + 2 * 6 + 2 * 96 + 2);
    const auto conv_tensors = m.layer(0).tensors();
    EXPECT_EQ(conv_tensors[0].shape, (std::vector<Index>{6, 4, 5}));
    // A restated size that does not fit is still an error.
    nn::Model<double> bad(nn::Shape{20, 4});
    EXPECT_THROW(bad.add("conv", std::make_unique<nn::Conv1d<double>>(5, 6, 5)), ap::invalid_argument);
}

TEST(ModelGraph, SmallerBatchesReuseTheBuffers) {
    auto m = residual_two_heads(5, true);
    std::vector<double> x(8 * 30 * 4, 0.25), control(8 * 20, 1.0);
    const std::vector<ap::ConstTensor3<double>> eight{{x.data(), 8, 30, 4}, {control.data(), 8, 20, 1}},
        three{{x.data(), 3, 30, 4}, {control.data(), 3, 20, 1}};
    m.forward(eight, nn::Mode::eval);
    const std::vector<double> first(m.output(1).data, m.output(1).data + 8);
    const long before = ap::testing::allocation_count();
    m.forward(three, nn::Mode::eval);
    EXPECT_EQ(ap::testing::allocation_count() - before, 0);
    EXPECT_EQ(m.batch_size(), 3);
    for (Index b = 0; b < 3; ++b) EXPECT_EQ(m.output(1)(b, 0, 0), first[static_cast<std::size_t>(b)]);
}
