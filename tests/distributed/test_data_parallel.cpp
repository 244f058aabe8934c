// Data-parallel training (distributed/data_parallel.hpp, docs/distributed.md §2-3), run by
// ctest under mpiexec with 1, 2 and 3 ranks. Every rank computes the single-process
// reference itself (same seed, whole global batch), so each rank compares its
// data-parallel result with it. Only EXPECTs: every rank reaches every collective call.
#include "attrprior/distributed/data_parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "attrprior/models/binary.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/evaluate.hpp"
#include "attrprior/train/fit.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/tensor_data.hpp"

#include "../support/small_models.hpp"

namespace ap = attrprior;
namespace dist = attrprior::distributed;
namespace train = attrprior::train;
using ap::Index;

namespace {

const dist::Communicator& world() {
    static const dist::Communicator comm;
    return comm;
}

constexpr Index kLength = 120, kTasks = 2, kExamples = 40, kBatch = 10;

ap::nn::Model<float> model_without_bn(std::uint64_t seed = 3) {
    ap::models::BinaryModelOptions o;
    o.length = kLength;
    o.tasks = kTasks;
    o.filters = 8;
    o.pool = 10;
    o.batchnorm = false;
    return ap::models::make_binary_model<float>(o, seed);
}

ap::priors::FourierPrior<float> small_prior() {
    ap::priors::FourierPriorOptions o;
    o.freq_limit = 20;
    return ap::priors::FourierPrior<float>(o);
}

/// Random sequences; labels 1, 0 or (rarely) -1 per task.
struct Data {
    std::vector<float> x = ap::testing::random_one_hot(kExamples, kLength, 11);
    std::vector<float> y;
    Data() {
        std::mt19937_64 gen(5);
        std::uniform_int_distribution<int> label(0, 9);
        for (Index i = 0; i < kExamples * kTasks; ++i) {
            const int u = label(gen);
            y.push_back(u < 4 ? 1.f : (u < 9 ? 0.f : -1.f));
        }
    }
    train::TensorExamples<float> examples(train::StatusRule rule = train::StatusRule::labels) const {
        return train::TensorExamples<float>(ap::ConstTensor3<float>(x.data(), kExamples, kLength, 4),
                                            ap::ConstTensor3<float>(y.data(), kExamples, 1, kTasks), rule);
    }
};

double max_abs_diff(const Eigen::VectorXf& a, const Eigen::VectorXf& b) {
    return double((a - b).cwiseAbs().maxCoeff());
}

/// Largest value of v over ranks (for the report printed by rank 0).
double max_over_ranks(double v) {
    world().allreduce_max(&v, 1);
    return v;
}

void report(const char* what, double value) {
    if (world().root()) std::printf("[ measure  ] %d ranks: %s = %.3g\n", world().size(), what, value);
}

/// The gradient and losses of one global batch: single process vs data parallel.
template <class Loss>
void expect_same_gradient(const train::Batch<float>& global, Loss& loss, const char* what) {
    auto prior = small_prior();
    auto reference = model_without_bn();
    train::DoubleBackprop<float> backprop(0.5f);
    const auto r1 = backprop.step(reference, prior, loss, global);

    auto replica = model_without_bn();
    const dist::Share s = dist::share_of(global.size(), world().rank(), world().size());
    train::Batch<float> share(global.shapes(), s.count);
    for (std::size_t k = 0; k < global.input_count(); ++k)
        std::copy_n(global.input(k).slice(s.first), share.input(k).size(), share.input(k).data);
    std::copy_n(global.targets().slice(s.first), share.targets().size(), share.targets().data);
    for (Index r = 0; r < s.count; ++r) share.status()[r] = global.status()[s.first + r];
    dist::DataParallel<float> step(world(), backprop);
    const auto r2 = step.step(replica, prior, loss, share);

    const double largest = double(reference.gradients().cwiseAbs().maxCoeff());
    const double scale = std::max(1.0, largest);
    const double diff = max_over_ranks(max_abs_diff(reference.gradients(), replica.gradients()));
    EXPECT_LE(diff, 2e-6 * scale) << what;
    EXPECT_NEAR(r2.task_loss, r1.task_loss, 1e-5f * std::max(1.f, std::abs(r1.task_loss))) << what;
    EXPECT_NEAR(r2.prior, r1.prior, 1e-5f) << what;
    EXPECT_EQ(r2.prior_rows, r1.prior_rows) << what;
    EXPECT_TRUE(dist::replicas_identical(world(), replica)) << what;
    report((std::string("max |gradient difference| vs 1 process, ") + what).c_str(), diff);
    report((std::string("max |gradient|, ") + what).c_str(), largest);
}

TEST(DataParallel, ShareOfRowsIsContiguousAndCoversTheBatch) {
    for (int size : {1, 2, 3, 4, 7}) {
        Index next = 0;
        for (int r = 0; r < size; ++r) {
            const dist::Share s = dist::share_of(10, r, size);
            EXPECT_EQ(s.first, next);
            EXPECT_GE(s.count, 10 / size);
            EXPECT_LE(s.count, 10 / size + 1);
            next = s.first + s.count;
        }
        EXPECT_EQ(next, 10);
    }
    EXPECT_THROW(dist::share_of(10, 3, 3), ap::invalid_argument);
}

TEST(DataParallel, ClassBalancedGradientEqualsOneProcessWithTheGlobalBatch) {
    const Data data;
    const auto examples = data.examples();
    train::TensorBatcher<float> batcher(examples, kBatch, 7);
    train::ClassBalancedBCE<float> loss;
    train::Batch<float> global(examples.shapes(), kBatch);
    for (int b = 0; b < 3; ++b) {
        batcher.next(global);
        expect_same_gradient(global, loss, "class-balanced BCE + Fourier prior");
    }
}

TEST(DataParallel, SharesWithOneClassOnlyStillGiveTheGlobalMeans) {
    // The first half of the batch positive, the second half negative: with 2 ranks one
    // share holds only positives and the other only negatives. Per-rank means would weigh
    // them differently from the global batch's class means.
    const Data data;
    const auto examples = data.examples();
    train::Batch<float> global(examples.shapes(), kBatch);
    examples.encode(0, kBatch, global);
    auto y = global.targets();
    for (Index r = 0; r < kBatch; ++r)
        for (Index t = 0; t < kTasks; ++t) y(r, 0, t) = r < 4 ? 1.f : (r < 7 ? 0.f : (t == 0 ? 0.f : -1.f));
    train::status_from_targets(global);
    train::ClassBalancedBCE<float> loss;
    expect_same_gradient(global, loss, "one class per share");

    // The naive combination (mean of the per-rank losses) differs, so the test above can
    // fail: logits that differ from row to row, so the class means matter.
    if (world().size() > 1) {
        const dist::Share s = dist::share_of(kBatch, world().rank(), world().size());
        std::vector<float> z, g(static_cast<std::size_t>(kBatch * kTasks));
        for (Index i = 0; i < kBatch * kTasks; ++i) z.push_back(0.3f * float(i % 7) - 0.8f);
        const float whole = loss.value_and_gradient({z.data(), kBatch, 1, kTasks}, global.targets(),
                                                    {g.data(), kBatch, 1, kTasks});
        const float part = loss.value_and_gradient({z.data() + s.first * kTasks, s.count, 1, kTasks},
                                                   {global.targets().slice(s.first), s.count, 1, kTasks},
                                                   {g.data(), s.count, 1, kTasks});
        double naive = double(part) / world().size();
        world().allreduce_sum(&naive, 1);
        EXPECT_GT(std::abs(naive - double(whole)), 1e-3);
    }
}

TEST(DataParallel, RowMeanLossGradientEqualsOneProcess) {
    const Data data;
    const auto examples = data.examples(train::StatusRule::all);
    train::TensorBatcher<float> batcher(examples, kBatch, 9);
    train::MeanSquaredError<float> loss;
    train::Batch<float> global(examples.shapes(), kBatch);
    batcher.next(global);
    expect_same_gradient(global, loss, "mean squared error, every row in the prior");
}

/// 20 Adam steps through train::fit: single process vs data parallel.
void twenty_steps(dist::GradientSync sync, const char* what) {
    const Data data;
    const auto examples = data.examples();
    train::ClassBalancedBCE<float> loss;
    auto prior = small_prior();
    train::FitOptions fo;
    fo.epochs = 5;  // 4 batches of 10 per epoch: 20 steps

    auto reference = model_without_bn();
    {
        train::DoubleBackprop<float> backprop(0.5f);
        train::Adam<float> adam(train::AdamOptions{1e-2});
        train::TensorBatcher<float> batches(examples, kBatch, 21);
        train::fit(reference, backprop, prior, loss, adam, batches, train::NoValidation(), fo);
    }
    auto replica = model_without_bn(world().rank() == 0 ? 3 : 100 + std::uint64_t(world().rank()));
    dist::broadcast_model(world(), replica);
    train::DoubleBackprop<float> backprop(0.5f);
    dist::DataParallelOptions o;
    o.sync = sync;
    dist::DataParallel<float> step(world(), backprop, o);
    train::Adam<float> adam(train::AdamOptions{1e-2});
    dist::ShardedBatcher<train::TensorBatcher<float>> batches(world(), train::TensorBatcher<float>(examples, kBatch, 21));
    const auto h = train::fit(replica, step, prior, loss, adam, batches, train::NoValidation(), fo);
    EXPECT_EQ(h.size(), 5u);

    const double diff = max_over_ranks(max_abs_diff(reference.parameters(), replica.parameters()));
    const double moved = double((reference.parameters() - model_without_bn().parameters()).cwiseAbs().maxCoeff());
    EXPECT_GT(moved, 1e-2);  // the weights did move
    EXPECT_LE(diff, 1e-3 * moved) << what;
    report((std::string("max |weight difference| vs 1 process after 20 Adam steps, ") + what).c_str(), diff);
    report("max |weight change| in those 20 steps", moved);

    // Bitwise identical replicas: every rank's hash equals rank 0's.
    std::vector<std::uint64_t> mine{dist::model_hash(replica)}, all;
    world().gather(mine, all);
    for (std::size_t r = 0; r < all.size(); ++r) EXPECT_EQ(all[r], all[0]) << what << ": rank " << r;
    EXPECT_TRUE(dist::replicas_identical(world(), replica)) << what;
}

TEST(DataParallel, TwentyStepsMatchOneProcessAndReplicasAreBitwiseIdentical) {
    twenty_steps(dist::GradientSync::reduce_broadcast, "reduce + broadcast");
}

TEST(DataParallel, TwentyStepsWithAllreduceToo) { twenty_steps(dist::GradientSync::allreduce, "allreduce"); }

TEST(DataParallel, BatchNormReplicasStayIdentical) {
    // Per-rank BatchNorm statistics: not the single-process gradient, but the replicas (and
    // their running statistics, broadcast from rank 0) stay bitwise identical.
    const Data data;
    const auto examples = data.examples();
    ap::models::BinaryModelOptions o;
    o.length = kLength;
    o.tasks = kTasks;
    o.filters = 8;
    o.pool = 10;
    auto model = ap::models::make_binary_model<float>(o, 3 + std::uint64_t(world().rank()));
    dist::broadcast_model(world(), model);
    const Eigen::VectorXf initial_state = model.state();
    train::DoubleBackprop<float> backprop(0.5f);
    dist::DataParallel<float> step(world(), backprop);
    train::ClassBalancedBCE<float> loss;
    auto prior = small_prior();
    train::Adam<float> adam;
    dist::ShardedBatcher<train::TensorBatcher<float>> batches(world(), train::TensorBatcher<float>(examples, kBatch, 4));
    train::FitOptions fo;
    fo.epochs = 2;
    train::fit(model, step, prior, loss, adam, batches, train::NoValidation(), fo);
    EXPECT_GT(double((model.state() - initial_state).cwiseAbs().maxCoeff()), 0.0);
    EXPECT_TRUE(dist::replicas_identical(world(), model));
}

TEST(DataParallel, RefusesReplicasThatWereNotBroadcast) {
    const Data data;
    const auto examples = data.examples();
    auto model = model_without_bn(3 + std::uint64_t(world().rank()));
    train::DoubleBackprop<float> backprop(0.5f);
    dist::DataParallel<float> step(world(), backprop);
    train::ClassBalancedBCE<float> loss;
    auto prior = small_prior();
    dist::ShardedBatcher<train::TensorBatcher<float>> batches(world(), train::TensorBatcher<float>(examples, kBatch, 4));
    train::Batch<float> share;
    batches.next(share);
    if (world().size() > 1) {
        EXPECT_THROW(step.step(model, prior, loss, share), ap::invalid_argument);
    }
    dist::broadcast_model(world(), model);
    EXPECT_NO_THROW(step.step(model, prior, loss, share));
}

TEST(DataParallel, ShardedBatcherRefusesFewerRowsThanRanks) {
    const Data data;
    const auto examples = data.examples();
    if (world().size() > 1) {
        EXPECT_THROW(dist::ShardedBatcher<train::TensorBatcher<float>>(
                         world(), train::TensorBatcher<float>(examples, world().size() - 1, 4)),
                     ap::invalid_argument);
    }
}

TEST(DataParallel, ValidationLossSplitAcrossRanksEqualsOneProcess) {
    const Data data;
    const auto examples = data.examples();
    auto model = model_without_bn();
    train::ClassBalancedBCE<float> loss;
    train::ValidationLoss<float, train::TensorExamples<float>, decltype(loss)> one(examples, loss, 7);
    dist::ValidationLoss<float, train::TensorExamples<float>, decltype(loss)> split(world(), examples, loss, 7);
    const double a = one(model), b = split(model);
    EXPECT_NEAR(b, a, 1e-6 * std::max(1.0, std::abs(a)));
    train::MeanSquaredError<float> mse;
    train::ValidationLoss<float, train::TensorExamples<float>, decltype(mse)> one_mse(examples, mse, 7);
    dist::ValidationLoss<float, train::TensorExamples<float>, decltype(mse)> split_mse(world(), examples, mse, 7);
    const double c = one_mse(model), d = split_mse(model);
    EXPECT_NEAR(d, c, 1e-6 * std::max(1.0, std::abs(c)));
}


TEST(DataParallel, EvaluationSplitAcrossRanksEqualsOneProcess) {
    const Data data;
    const auto examples = data.examples();
    auto model = model_without_bn();
    train::EvaluationOptions eo;
    eo.chunk = 6;
    eo.fourier.freq_limit = 20;
    const auto one = train::evaluate_binary(model, examples, eo);
    const auto split = dist::evaluate_binary(world(), model, examples, eo);
    if (world().root()) {
        ASSERT_EQ(split.examples, kExamples);
        ASSERT_EQ(split.attributions.size(), one.attributions.size());
        EXPECT_EQ(split.labels, one.labels);  // gathered in example order
        double attr = 0, logit = 0;
        for (std::size_t i = 0; i < one.attributions.size(); ++i)
            attr = std::max(attr, double(std::abs(split.attributions[i] - one.attributions[i])));
        for (std::size_t i = 0; i < one.logits.size(); ++i) logit = std::max(logit, std::abs(split.logits[i] - one.logits[i]));
        EXPECT_LE(attr, 1e-6);
        EXPECT_LE(logit, 1e-5);
        for (const auto& [k, v] : one.metrics) EXPECT_NEAR(split.metrics.at(k), v, 1e-5) << k;
        EXPECT_EQ(split.best_positive, one.best_positive);
    } else {
        EXPECT_TRUE(split.attributions.empty());
    }
}
}  // namespace

int main(int argc, char** argv) {
    dist::Environment env(&argc, &argv);
    ::testing::InitGoogleTest(&argc, argv);
    int failed = RUN_ALL_TESTS();
    world().allreduce_max(&failed, 1);
    return failed;
}
