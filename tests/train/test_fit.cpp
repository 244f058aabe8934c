// The training loop (train/fit.hpp): equal to a hand-written loop, callbacks, early
// stopping with best-weights restore, learning-rate schedule, checkpoints and resume.
#include "attrprior/train/fit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>
#include <vector>

#include "attrprior/models/binary.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/losses.hpp"

#include <unistd.h>

namespace ap = attrprior;
namespace train = attrprior::train;
using ap::Index;

namespace {

constexpr Index kLength = 60;

/// Random one-hot rows; even rows are positives carrying "GATA" near the centre. The
/// batches are a pure function of (seed, batch number), so a batcher can be rewound.
class ToyBatcher {
public:
    explicit ToyBatcher(std::uint64_t seed, Index batch = 8) : seed_(seed), batch_(batch) {}
    Index batch_size() const { return batch_; }
    Index batches_per_epoch() const { return 3; }
    train::BatchShapes shapes() const { return {{{kLength, 4}}, {1, 1}}; }
    void next(train::Batch<float>& b) {
        std::mt19937_64 gen(seed_ * 1000003 + served_++);
        std::uniform_int_distribution<int> base(0, 3);
        b.resize(batch_);
        auto x = b.input(0);
        auto y = b.targets();
        std::fill(x.data, x.data + x.size(), 0.f);
        for (Index r = 0; r < batch_; ++r) {
            for (Index i = 0; i < kLength; ++i) x(r, i, base(gen)) = 1.f;
            y(r, 0, 0) = r % 2 == 0 ? 1.f : 0.f;
            if (r % 2 != 0) continue;
            const int motif[4] = {2, 0, 3, 0};
            for (int k = 0; k < 4; ++k) {
                for (int c = 0; c < 4; ++c) x(r, 28 + k, c) = 0.f;
                x(r, 28 + k, motif[k]) = 1.f;
            }
        }
        train::status_from_targets(b);
    }
    std::uint64_t served() const { return served_; }
    void rewind(std::uint64_t served) { served_ = served; }

private:
    std::uint64_t seed_, served_ = 0;
    Index batch_;
};

ap::nn::Model<float> toy_model() {
    ap::models::BinaryModelOptions o;
    o.length = kLength;
    o.filters = 4;
    o.kernels = {5, 5};
    o.pool = 8;
    o.dense = {6};
    return ap::models::make_binary_model<float>(o, 11);
}

ap::priors::FourierPrior<float> toy_prior() {
    ap::priors::FourierPriorOptions o;
    o.freq_limit = 10;
    return ap::priors::FourierPrior<float>(o);
}

/// Counts calls and records the events.
struct Recorder {
    int fit_begin = 0, fit_end = 0;
    std::vector<int> epochs_begun;
    std::vector<train::StepEvent> steps;
    std::vector<train::EpochEvent> epochs;
    void on_fit_begin(ap::nn::Model<float>&) { ++fit_begin; }
    void on_epoch_begin(int epoch) { epochs_begun.push_back(epoch); }
    void on_step(const train::StepEvent& e) { steps.push_back(e); }
    bool on_epoch_end(const train::EpochEvent& e, ap::nn::Model<float>&) {
        epochs.push_back(e);
        return false;
    }
    void on_fit_end(ap::nn::Model<float>&, train::History&) { ++fit_end; }
};

}  // namespace

TEST(Fit, EqualsAHandWrittenLoopAndCallsEveryCallback) {
    auto model = toy_model(), reference = toy_model();
    auto prior = toy_prior();
    train::ClassBalancedBCE<float> loss;
    train::DoubleBackprop<float> step(1.f);
    train::Adam<float> adam, reference_adam;
    ToyBatcher batches(5), reference_batches(5);
    Recorder rec;
    train::FitOptions options;
    options.epochs = 2;
    const train::History h =
        train::fit(model, step, prior, loss, adam, batches, train::NoValidation(), options, rec);

    train::Batch<float> b(reference_batches.shapes(), 8);
    std::vector<double> epoch_loss;
    for (int epoch = 0; epoch < 2; ++epoch) {
        double total = 0;
        for (int it = 0; it < 3; ++it) {
            reference_batches.next(b);
            total += step.step(reference, prior, loss, b).task_loss;
            reference_adam.step(reference.parameters(), reference.gradients());
        }
        epoch_loss.push_back(total / 3);
    }
    ASSERT_EQ(model.parameters().size(), reference.parameters().size());
    for (Index i = 0; i < model.parameters().size(); ++i)
        ASSERT_EQ(model.parameters()[i], reference.parameters()[i]) << "parameter " << i;
    for (Index i = 0; i < model.state().size(); ++i) ASSERT_EQ(model.state()[i], reference.state()[i]);
    ASSERT_EQ(h.size(), 2u);
    EXPECT_DOUBLE_EQ(h.train_loss[0], epoch_loss[0]);
    EXPECT_DOUBLE_EQ(h.train_loss[1], epoch_loss[1]);
    EXPECT_TRUE(std::isnan(h.valid_loss[0]));
    EXPECT_EQ(rec.fit_begin, 1);
    EXPECT_EQ(rec.fit_end, 1);
    EXPECT_EQ(rec.epochs_begun, (std::vector<int>{1, 2}));
    ASSERT_EQ(rec.steps.size(), 6u);
    EXPECT_EQ(rec.steps[4].epoch, 2);
    EXPECT_EQ(rec.steps[4].step, 2);
    EXPECT_EQ(rec.steps[4].steps, 3);
    ASSERT_EQ(rec.epochs.size(), 2u);
    EXPECT_EQ(rec.epochs[1].last_epoch, 2);
    EXPECT_GT(h.prior[0], 0.0);
    EXPECT_FALSE(h.stopped_early);
}

TEST(Fit, EarlyStoppingRestoresTheBestEpoch) {
    auto model = toy_model();
    auto prior = toy_prior();
    train::ClassBalancedBCE<float> loss;
    train::DoubleBackprop<float> step(1.f);
    train::Adam<float> adam;
    ToyBatcher batches(2);
    // Scripted validation losses: best at epoch 2, then two epochs without improvement.
    const std::vector<double> script{1.0, 0.5, 0.6, 0.7, 0.1, 0.1};
    int calls = 0;
    auto validation = [&](ap::nn::Model<float>&) { return script[static_cast<std::size_t>(calls++)]; };
    std::vector<Eigen::VectorXf> params_after;
    struct Snapshot {
        std::vector<Eigen::VectorXf>* out;
        bool on_epoch_end(const train::EpochEvent&, ap::nn::Model<float>& m) {
            out->push_back(m.parameters());
            return false;
        }
    } snapshot{&params_after};
    train::EarlyStopping<float> stopping(2);
    train::FitOptions options;
    options.epochs = 6;
    const auto h = train::fit(model, step, prior, loss, adam, batches, validation, options, snapshot, stopping);
    EXPECT_EQ(h.size(), 4u);  // epochs 3 and 4 did not improve on 0.5
    EXPECT_TRUE(h.stopped_early);
    EXPECT_EQ(h.best_epoch, 2);
    EXPECT_EQ(stopping.best_epoch(), 2);
    EXPECT_DOUBLE_EQ(stopping.best(), 0.5);
    ASSERT_EQ(params_after.size(), 4u);
    EXPECT_TRUE(model.parameters() == params_after[1]);
    EXPECT_FALSE(model.parameters() == params_after[3]);
    EXPECT_THROW(train::EarlyStopping<float>(0), ap::invalid_argument);
}

TEST(Fit, LearningRateScheduleAndProgressBars) {
    auto model = toy_model();
    auto prior = toy_prior();
    train::ClassBalancedBCE<float> loss;
    train::DoubleBackprop<float> step(1.f);
    train::Adam<float> adam;
    ToyBatcher batches(3);
    std::vector<double> seen;
    train::LearningRateSchedule<train::Adam<float>> schedule(adam, [](int epoch) { return 1e-3 / epoch; });
    struct LrProbe {
        train::Adam<float>* adam;
        std::vector<double>* seen;
        void on_step(const train::StepEvent& e) {
            if (e.step == 1) seen->push_back(adam->options().lr);
        }
    } probe{&adam, &seen};
    std::ostringstream log;
    train::ProgressBars bars("toy", log);
    train::FitOptions options;
    options.epochs = 3;
    train::fit(model, step, prior, loss, adam, batches, train::NoValidation(), options, schedule, probe, bars);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_DOUBLE_EQ(seen[0], 1e-3);
    EXPECT_DOUBLE_EQ(seen[2], 1e-3 / 3);
    EXPECT_THAT(log.str(), ::testing::HasSubstr("toy epoch 3"));
    EXPECT_THAT(log.str(), ::testing::HasSubstr("train "));
    train::LearningRateSchedule<train::Adam<float>> bad(adam, [](int) { return -1.0; });
    EXPECT_THROW(bad.on_epoch_begin(1), ap::invalid_argument);
}

TEST(Fit, CheckpointResumeEqualsAnUninterruptedRun) {
    const std::filesystem::path root =
        std::filesystem::temp_directory_path() / ("attrprior_fit_" + std::to_string(long(::getpid())));
    std::filesystem::remove_all(root);
    const std::string dir = (root / "checkpoint").string();
    auto prior = toy_prior();
    train::ClassBalancedBCE<float> loss;
    train::DoubleBackprop<float> step(1.f);
    train::FitOptions options;

    // Uninterrupted: 4 epochs.
    auto straight = toy_model();
    train::Adam<float> adam_straight;
    ToyBatcher batches_straight(9);
    options.epochs = 4;
    train::fit(straight, step, prior, loss, adam_straight, batches_straight, train::NoValidation(), options);

    // Interrupted after epoch 2 (checkpoint every epoch), then resumed in a new model.
    {
        auto first = toy_model();
        train::Adam<float> adam;
        ToyBatcher batches(9);
        train::Checkpoint<float, train::Adam<float>> checkpoint(dir, 1, adam);
        options.epochs = 2;
        train::fit(first, step, prior, loss, adam, batches, train::NoValidation(), options, checkpoint);
    }
    EXPECT_TRUE(std::filesystem::exists(dir + "/weights/manifest.json"));
    EXPECT_FALSE(std::filesystem::exists(dir + ".tmp"));
    auto resumed = toy_model();
    resumed.reset_parameters(999);  // whatever it held is overwritten by the checkpoint
    train::Adam<float> adam;
    const train::History before = train::restore_checkpoint(dir, resumed, adam);
    ASSERT_EQ(before.size(), 2u);
    EXPECT_EQ(before.epoch.back(), 2);
    EXPECT_EQ(adam.steps(), 6);
    ToyBatcher batches(9);
    batches.rewind(6);  // the batches the first run consumed
    train::Checkpoint<float, train::Adam<float>> checkpoint(dir, 1, adam, before);
    options.epochs = 2;
    options.first_epoch = 3;
    const auto h = train::fit(resumed, step, prior, loss, adam, batches, train::NoValidation(), options, checkpoint);
    EXPECT_EQ(h.epoch, (std::vector<int>{3, 4}));
    EXPECT_EQ(checkpoint.history().size(), 4u);
    for (Index i = 0; i < straight.parameters().size(); ++i)
        ASSERT_EQ(resumed.parameters()[i], straight.parameters()[i]) << "parameter " << i;
    for (Index i = 0; i < straight.state().size(); ++i) ASSERT_EQ(resumed.state()[i], straight.state()[i]);
    const train::History all = train::restore_checkpoint(dir, resumed, adam);
    EXPECT_EQ(all.epoch, (std::vector<int>{1, 2, 3, 4}));
    EXPECT_THROW(train::restore_checkpoint((root / "missing").string(), resumed, adam), ap::io_error);
    std::filesystem::remove_all(root);
}

TEST(Fit, RejectsBadOptionsAndShapes) {
    auto model = toy_model();
    auto prior = toy_prior();
    train::ClassBalancedBCE<float> loss;
    train::DoubleBackprop<float> step(1.f);
    train::Adam<float> adam;
    ToyBatcher batches(1);
    train::FitOptions options;
    options.epochs = -1;
    EXPECT_THROW(train::fit(model, step, prior, loss, adam, batches, train::NoValidation(), options),
                 ap::invalid_argument);
    options.epochs = 1;
    ap::models::BinaryModelOptions o;
    o.length = 80;
    o.filters = 4;
    o.kernels = {5, 5};
    o.pool = 8;
    auto longer = ap::models::make_binary_model<float>(o, 1);
    EXPECT_THROW(train::fit(longer, step, prior, loss, adam, batches, train::NoValidation(), options),
                 ap::invalid_argument);
}
