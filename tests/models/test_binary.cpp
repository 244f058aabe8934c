// The binary preset: structure and names, save/load round trip and its errors, training
// behaviour (loss decreases, bitwise determinism for a seed).
#include "attrprior/models/binary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "attrprior/io/weights.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/step.hpp"

namespace ap = attrprior;
using ap::Index;

namespace {

ap::models::BinaryModelOptions tiny() {
    ap::models::BinaryModelOptions o;
    o.length = 60;
    o.filters = 4;
    o.kernels = {5, 5};
    o.pool = 10;
    o.dense = {6};
    return o;
}

/// Separable toy task: positives carry "GATA" at a random place, negatives do not.
void toy_batch(Index B, Index L, std::mt19937& gen, std::vector<float>& x, std::vector<float>& y) {
    std::uniform_int_distribution<int> base(0, 3), pos(5, int(L) - 10);
    x.assign(B * L * 4, 0.0f);
    y.assign(B, 0.0f);
    const int motif[4] = {2, 0, 3, 0};
    for (Index b = 0; b < B; ++b) {
        for (Index i = 0; i < L; ++i) x[(b * L + i) * 4 + base(gen)] = 1.0f;
        if (b % 2 == 0) {
            y[b] = 1.0f;
            const int p = pos(gen);
            for (int k = 0; k < 4; ++k) {
                for (int c = 0; c < 4; ++c) x[((b * L) + p + k) * 4 + c] = 0.0f;
                x[((b * L) + p + k) * 4 + motif[k]] = 1.0f;
            }
        }
    }
}

Eigen::VectorXf train(std::uint64_t seed, int steps, float* first_loss, float* last_loss) {
    auto model = ap::models::make_binary_model<float>(tiny(), seed);
    ap::priors::FourierPriorOptions po;
    po.freq_limit = 10;
    ap::priors::FourierPrior<float> prior(po);
    ap::train::ClassBalancedBCE<float> loss;
    ap::train::DoubleBackprop<float> step(0.1f);  // the toy model is small: a gentle prior
    ap::train::Adam<float> adam(ap::train::AdamOptions{1e-2});
    std::mt19937 gen(static_cast<unsigned>(seed));
    std::vector<float> x, y;
    for (int s = 0; s < steps; ++s) {
        toy_batch(32, 60, gen, x, y);
        const ap::ConstTensor3<float> xv(x.data(), 32, 60, 4), yv(y.data(), 32, 1, 1);
        const auto r = step.step(model, prior, loss, xv, yv, ap::train::status_from_labels(yv));
        adam.step(model.parameters(), model.gradients());
        if (s == 0 && first_loss) *first_loss = r.task_loss;
        if (last_loss) *last_loss = r.task_loss;
    }
    return model.parameters();
}

}  // namespace

TEST(BinaryModel, PaperStructureAndPyTorchNames) {
    auto model = ap::models::make_binary_model<float>();  // the paper's defaults
    std::vector<std::string> names;
    for (const auto& t : ap::io::model_tensors(model)) names.push_back(t.name);
    EXPECT_THAT(names, ::testing::ElementsAre(
                           "conv.0.weight", "conv.0.bias", "conv.2.weight", "conv.2.bias", "conv.3.weight",
                           "conv.3.bias", "conv.5.weight", "conv.5.bias", "conv.6.weight", "conv.6.bias",
                           "conv.8.weight", "conv.8.bias", "fc.0.weight", "fc.0.bias", "fc.2.weight",
                           "fc.2.bias", "fc.3.weight", "fc.3.bias", "fc.5.weight", "fc.5.bias", "out.weight",
                           "out.bias", "conv.2.running_mean", "conv.2.running_var", "conv.5.running_mean",
                           "conv.5.running_var", "conv.8.running_mean", "conv.8.running_var",
                           "fc.2.running_mean", "fc.2.running_var", "fc.5.running_mean", "fc.5.running_var"));
    // 1000 - 14 - 14 - 12 = 960 positions, pooled by 40 -> 24, x 64 channels.
    EXPECT_EQ(model.output_shape(10).channels, 24 * 64);
    EXPECT_EQ(model.parameter_count(),
              (64 * 4 * 15 + 64) + 2 * 64 + (64 * 64 * 15 + 64) + 2 * 64 + (64 * 64 * 13 + 64) + 2 * 64 +
                  (1536 * 50 + 50) + 2 * 50 + (50 * 15 + 15) + 2 * 15 + (15 + 1));
}

TEST(BinaryModel, TooShortInputIsAClearError) {
    ap::models::BinaryModelOptions o;
    o.length = 70;
    try {
        ap::models::make_binary_model<float>(o);
        FAIL() << "no exception";
    } catch (const ap::invalid_argument& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("length = 70"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("minimum length 80"));
    }
}

TEST(BinaryModel, SaveLoadRoundTripAndErrors) {
    const std::string dir = ::testing::TempDir() + "/attrprior_binary_weights";
    std::filesystem::remove_all(dir);
    auto a = ap::models::make_binary_model<float>(tiny(), 1);
    a.state().setLinSpaced(a.state().size(), 0.5f, 2.0f);
    ap::io::save_weights(a, dir);
    EXPECT_TRUE(std::filesystem::exists(dir + "/manifest.json"));
    auto b = ap::models::make_binary_model<float>(tiny(), 2);
    ASSERT_NE(a.parameters(), b.parameters());
    ap::io::load_weights(b, dir);
    EXPECT_EQ(a.parameters(), b.parameters());
    EXPECT_EQ(a.state(), b.state());
    // A model of another shape: the error names the file and both shapes.
    auto o = tiny();
    o.filters = 5;
    auto c = ap::models::make_binary_model<float>(o, 1);
    try {
        ap::io::load_weights(c, dir);
        FAIL() << "no exception";
    } catch (const ap::io_error& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("conv.0.weight.npy"));
    }
    std::filesystem::remove(dir + "/out.bias.npy");
    try {
        ap::io::load_weights(b, dir);
        FAIL() << "no exception";
    } catch (const ap::io_error& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("missing file"));
        EXPECT_THAT(e.what(), ::testing::HasSubstr("out.bias"));
    }
}

TEST(BinaryModel, LossDecreasesOnASeparableProblem) {
    float first = 0, last = 0;
    train(3, 300, &first, &last);
    EXPECT_LT(last, 0.5f * first) << "first " << first << " last " << last;
}

TEST(BinaryModel, SameSeedGivesBitwiseIdenticalWeights) {
    const Eigen::VectorXf a = train(7, 5, nullptr, nullptr);
    const Eigen::VectorXf b = train(7, 5, nullptr, nullptr);
    const Eigen::VectorXf c = train(8, 5, nullptr, nullptr);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}
