#include "attrprior/train/losses.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

// Count every operator new of this program, so a test can prove that a steady-state call
// allocates nothing (the losses keep their workspaces in std::vector members).
#include "../support/count_allocations.hpp"
#include "../support/expect_error.hpp"

using attrprior::testing::error_message;
namespace {
auto& g_allocations = attrprior::testing::g_allocations;
}  // namespace

namespace ap = attrprior;
using ap::Index;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

std::vector<double> random_normal(std::size_t n, unsigned seed, double sd = 1.0) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> nd(0.0, sd);
    std::vector<double> v(n);
    for (double& x : v) x = nd(gen);
    return v;
}

template <class Loss, class Scalar>
Scalar run_loss(Loss& loss, const std::vector<Scalar>& out, const std::vector<Scalar>& tgt,
                Index B, Index L, Index C, std::vector<Scalar>& grad) {
    grad.assign(out.size(), Scalar(-7));  // poison: every element must be written
    return loss.value_and_gradient(ap::ConstTensor3<Scalar>(out.data(), B, L, C),
                                   ap::ConstTensor3<Scalar>(tgt.data(), B, L, C),
                                   ap::Tensor3<Scalar>(grad.data(), B, L, C));
}

/// max |fd - g| / max |g| over all elements (central differences, double).
template <class Loss>
double gradient_error(Loss& loss, const std::vector<double>& out, const std::vector<double>& tgt,
                      Index B, Index L, Index C, double h = 1e-6) {
    std::vector<double> grad, tmp;
    run_loss(loss, out, tgt, B, L, C, grad);
    double max_err = 0, max_g = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto plus = out, minus = out;
        plus[i] += h;
        minus[i] -= h;
        const double fd = (run_loss(loss, plus, tgt, B, L, C, tmp) -
                           run_loss(loss, minus, tgt, B, L, C, tmp)) / (2 * h);
        max_err = std::max(max_err, std::fabs(fd - grad[i]));
        max_g = std::max(max_g, std::fabs(grad[i]));
    }
    EXPECT_GT(max_g, 0.0);
    return max_g > 0 ? max_err / max_g : 1.0;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

// ---------------------------------------------------------------- ClassBalancedBCE

TEST(ClassBalancedBCE, HandComputedValueAndGradient) {
    // logits {0, 2, -1, 3}, labels {1, 0, 1, -1}: positives z = 0, -1; negative z = 2.
    const std::vector<double> z = {0, 2, -1, 3}, y = {1, 0, 1, -1};
    const double pos = (std::log(2.0) + std::log(1 + std::exp(1.0))) / 2;  // BCE(0,1), BCE(-1,1)
    const double neg = std::log(1 + std::exp(2.0));                        // BCE(2,0)
    ap::train::ClassBalancedBCE<double> loss;
    std::vector<double> g;
    EXPECT_NEAR(run_loss(loss, z, y, 1, 1, 4, g), (pos + neg) / 2, 1e-15);
    // d/dz = (sigmoid(z) - y) / (class count * 2 classes); ambiguous -> 0.
    EXPECT_NEAR(g[0], (0.5 - 1) / 4, 1e-16);
    EXPECT_NEAR(g[1], sigmoid(2) / 2, 1e-16);
    EXPECT_NEAR(g[2], (sigmoid(-1) - 1) / 4, 1e-16);
    EXPECT_EQ(g[3], 0.0);
}

TEST(ClassBalancedBCE, PoolsElementsAcrossTasksAndExamples) {
    // Two examples x 2 tasks: positives are pooled over both tasks, not averaged per task.
    const std::vector<double> z = {0.5, -1.5, 2.0, 0.25}, y = {1, 0, 1, 1};
    auto bce = [](double zz, double yy) { return std::log(1 + std::exp(zz)) - zz * yy; };
    const double pos = (bce(0.5, 1) + bce(2.0, 1) + bce(0.25, 1)) / 3, neg = bce(-1.5, 0);
    ap::train::ClassBalancedBCE<double> loss;
    std::vector<double> g;
    EXPECT_NEAR(run_loss(loss, z, y, 2, 1, 2, g), (pos + neg) / 2, 1e-15);
}

TEST(ClassBalancedBCE, NoPositivesAveragesThePresentClass) {
    // PyTorch's reference would give NaN (mean of an empty tensor); we use the negatives only.
    const std::vector<double> z = {1, -2, 5}, y = {0, 0, -1};
    ap::train::ClassBalancedBCE<double> loss;
    std::vector<double> g;
    const double value = run_loss(loss, z, y, 3, 1, 1, g);
    EXPECT_TRUE(std::isfinite(value));
    EXPECT_NEAR(value, (std::log(1 + std::exp(1.0)) + std::log(1 + std::exp(-2.0))) / 2, 1e-15);
    EXPECT_NEAR(g[0], sigmoid(1) / 2, 1e-16);
    EXPECT_NEAR(g[1], sigmoid(-2) / 2, 1e-16);
    EXPECT_EQ(g[2], 0.0);
    // No negatives: the mean over the positives.
    const std::vector<double> y_pos = {1, -1, 1};
    EXPECT_NEAR(run_loss(loss, z, y_pos, 3, 1, 1, g),
                (std::log(1 + std::exp(-1.0)) + std::log(1 + std::exp(-5.0))) / 2, 1e-15);
}

TEST(ClassBalancedBCE, NothingLabelledIsZeroWithZeroGradient) {
    const std::vector<double> z = {1, -2, 5}, y = {-1, -1, -1};
    ap::train::ClassBalancedBCE<double> loss;
    std::vector<double> g;
    EXPECT_EQ(run_loss(loss, z, y, 1, 1, 3, g), 0.0);
    for (double gi : g) EXPECT_EQ(gi, 0.0);
    const std::vector<double> none;
    EXPECT_EQ(run_loss(loss, none, none, 0, 1, 3, g), 0.0);
}

TEST(ClassBalancedBCE, GradientMatchesCentralDifferences) {
    const Index B = 6, T = 3;
    const auto z = random_normal(B * T, 11, 2.0);
    std::vector<double> y(B * T);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = double(int(i % 3) - 1);  // -1, 0, 1
    ap::train::ClassBalancedBCE<double> loss;
    EXPECT_LT(gradient_error(loss, z, y, B, 1, T), 1e-6);
}

TEST(ClassBalancedBCE, ExtremeLogitsAreStable) {
    // Softplus form: BCE(1000, 0) = 1000 and BCE(-1000, 1) = 1000 exactly, gradients +-1/2.
    const std::vector<double> z = {1000, -1000}, y = {0, 1};
    ap::train::ClassBalancedBCE<double> loss;
    std::vector<double> g;
    EXPECT_DOUBLE_EQ(run_loss(loss, z, y, 2, 1, 1, g), 1000.0);
    EXPECT_DOUBLE_EQ(g[0], 0.5);
    EXPECT_DOUBLE_EQ(g[1], -0.5);
    // Tiny gradients keep their relative accuracy: sigmoid(-40) - 0 for a negative.
    const std::vector<double> z2 = {-40}, y2 = {0};
    run_loss(loss, z2, y2, 1, 1, 1, g);
    EXPECT_NEAR(g[0] / std::exp(-40.0), 1.0, 1e-12);
}

TEST(ClassBalancedBCE, RejectsInvalidLabelNamingValueAndPosition) {
    std::vector<double> z(2 * 1 * 3, 0.0), y = {1, 0, 1, -1, 0, 0.5};
    ap::train::ClassBalancedBCE<double> loss;
    std::vector<double> g;
    EXPECT_THROW(run_loss(loss, z, y, 2, 1, 3, g), ap::invalid_argument);
    EXPECT_THAT(error_message([&] { run_loss(loss, z, y, 2, 1, 3, g); }),
                AllOf(HasSubstr("ClassBalancedBCE"), HasSubstr("targets[1, 0, 2] = 0.5")));
    y[5] = 2;
    EXPECT_THAT(error_message([&] { run_loss(loss, z, y, 2, 1, 3, g); }),
                HasSubstr("targets[1, 0, 2] = 2"));
}

TEST(ClassBalancedBCE, RejectsNonFiniteValues) {
    std::vector<double> z = {0, NAN, 1}, y = {1, 0, 1};
    ap::train::ClassBalancedBCE<double> loss;
    std::vector<double> g;
    EXPECT_THROW(run_loss(loss, z, y, 1, 1, 3, g), ap::numeric_error);
    EXPECT_THAT(error_message([&] { run_loss(loss, z, y, 1, 1, 3, g); }),
                HasSubstr("outputs[0, 0, 1] = nan"));
    z[1] = INFINITY;
    EXPECT_THROW(run_loss(loss, z, y, 1, 1, 3, g), ap::numeric_error);
    z[1] = 0;
    y[2] = NAN;
    EXPECT_THAT(error_message([&] { run_loss(loss, z, y, 1, 1, 3, g); }),
                HasSubstr("targets[0, 0, 2] = nan"));
}

TEST(ClassBalancedBCE, RejectsMismatchedShapesNamingBoth) {
    std::vector<double> z(6, 0.0), y(8, 1.0), g(6);
    ap::train::ClassBalancedBCE<double> loss;
    auto call = [&] {
        loss.value_and_gradient(ap::ConstTensor3<double>(z.data(), 2, 1, 3),
                                ap::ConstTensor3<double>(y.data(), 2, 1, 4),
                                ap::Tensor3<double>(g.data(), 2, 1, 3));
    };
    EXPECT_THROW(call(), ap::invalid_argument);
    EXPECT_THAT(error_message(call), AllOf(HasSubstr("[2, 1, 3]"), HasSubstr("[2, 1, 4]")));
}

TEST(ClassBalancedBCE, FloatInstantiation) {
    const std::vector<float> z = {0, 2, -1, 3}, y = {1, 0, 1, -1};
    const double expected =
        ((std::log(2.0) + std::log(1 + std::exp(1.0))) / 2 + std::log(1 + std::exp(2.0))) / 2;
    ap::train::ClassBalancedBCE<float> loss;
    std::vector<float> g;
    EXPECT_NEAR(run_loss(loss, z, y, 1, 1, 4, g), expected, 1e-6);
    EXPECT_NEAR(g[0], -0.125f, 1e-7);
}

// ---------------------------------------------------------------- MultinomialNLL

TEST(MultinomialNLL, HandComputedSmallCase) {
    // One example, O = 3 positions, one channel: logits {0, 1, 2}, counts {1, 0, 2}, n = 3.
    // Multinomial coefficient 3! / (1! 0! 2!) = 3; log p_o = z_o - log(1 + e + e^2).
    const std::vector<double> z = {0, 1, 2}, y = {1, 0, 2};
    const double log_norm = std::log(1 + std::exp(1.0) + std::exp(2.0));
    const double nll = -(std::log(3.0) + 1 * (0 - log_norm) + 2 * (2 - log_norm));
    ap::train::MultinomialNLL<double> loss;
    EXPECT_TRUE(loss.include_constant());
    std::vector<double> g;
    EXPECT_NEAR(run_loss(loss, z, y, 1, 3, 1, g), nll, 1e-14);
    for (int o = 0; o < 3; ++o) {
        EXPECT_NEAR(g[o], 3 * std::exp(z[o] - log_norm) - y[o], 1e-15) << o;
    }
    // Without the constant: + log 3, same gradient.
    ap::train::MultinomialNLL<double> no_constant(false);
    EXPECT_FALSE(no_constant.include_constant());
    std::vector<double> g2;
    EXPECT_NEAR(run_loss(no_constant, z, y, 1, 3, 1, g2), nll + std::log(3.0), 1e-14);
    for (int o = 0; o < 3; ++o) EXPECT_EQ(g[o], g2[o]);
}

TEST(MultinomialNLL, AveragesOverChannelsThenBatch) {
    // B = 2, O = 3, K = 2, computed independently: probabilities directly, factorials by tgamma.
    const Index B = 2, O = 3, K = 2;
    const std::vector<double> z = {0.1, -0.3, 1.2, 0.4, -0.5, 2.0,   // b = 0 (o major, k minor)
                                   0.0, 0.0, 0.7, -1.0, 0.2, 0.3};   // b = 1
    const std::vector<double> y = {2, 0, 1, 3, 0, 1,  //
                                   0, 0, 0, 0, 0, 0};  // b = 1, k = 0 and 1: no counts at all
    double total = 0;
    std::vector<double> expected_grad(z.size());
    for (Index b = 0; b < B; ++b) {
        for (Index k = 0; k < K; ++k) {
            double norm = 0, n = 0;
            for (Index o = 0; o < O; ++o) norm += std::exp(z[(b * O + o) * K + k]);
            for (Index o = 0; o < O; ++o) n += y[(b * O + o) * K + k];
            double prob_of_counts = std::tgamma(n + 1);
            for (Index o = 0; o < O; ++o) {
                const double p = std::exp(z[(b * O + o) * K + k]) / norm;
                const double yo = y[(b * O + o) * K + k];
                prob_of_counts *= std::pow(p, yo) / std::tgamma(yo + 1);
                expected_grad[(b * O + o) * K + k] = (n * p - yo) / double(B * K);
            }
            total += -std::log(prob_of_counts);
        }
    }
    ap::train::MultinomialNLL<double> loss;
    std::vector<double> g;
    EXPECT_NEAR(run_loss(loss, z, y, B, O, K, g), total / double(B * K), 1e-14);
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], expected_grad[i], 1e-15) << i;
    for (std::size_t i = 6; i < g.size(); ++i) EXPECT_EQ(g[i], 0.0);  // empty channels
}

TEST(MultinomialNLL, GradientMatchesCentralDifferences) {
    const Index B = 3, O = 7, K = 4;
    const auto z = random_normal(B * O * K, 5);
    std::mt19937 gen(9);
    std::uniform_int_distribution<int> counts(0, 5);
    std::vector<double> y(z.size());
    for (double& v : y) v = counts(gen);
    for (Index o = 0; o < O; ++o) y[(1 * O + o) * K + 2] = 0;  // one channel without counts
    y[3] = 2.5;                                                  // non-integer counts are fine
    for (bool constant : {true, false}) {
        ap::train::MultinomialNLL<double> loss(constant);
        EXPECT_LT(gradient_error(loss, z, y, B, O, K), 1e-6) << constant;
    }
}

TEST(MultinomialNLL, StableForLargeLogitsAndShiftInvariant) {
    const std::vector<double> z = {1000, 1001, 999}, y = {1, 2, 0};
    std::vector<double> shifted = z;
    for (double& v : shifted) v -= 1000;
    ap::train::MultinomialNLL<double> loss;
    std::vector<double> g, g2;
    const double a = run_loss(loss, z, y, 1, 3, 1, g);
    EXPECT_TRUE(std::isfinite(a));
    EXPECT_NEAR(a, run_loss(loss, shifted, y, 1, 3, 1, g2), 1e-12);
    for (int o = 0; o < 3; ++o) EXPECT_NEAR(g[o], g2[o], 1e-14);
}

TEST(MultinomialNLL, ParallelBatchMatchesSerialExactly) {
    // Large enough for the OpenMP path (B·O·K >= 16384); the value is summed in example order.
    const Index B = 16, O = 1000, K = 2;
    const auto z = random_normal(B * O * K, 21);
    std::mt19937 gen(4);
    std::poisson_distribution<int> counts(0.3);
    std::vector<double> y(z.size());
    for (double& v : y) v = counts(gen);
    ap::train::MultinomialNLL<double> loss;
    std::vector<double> g_par, g_ser;
    const int threads = omp_get_max_threads();
    omp_set_num_threads(std::max(2, threads));
    const double par = run_loss(loss, z, y, B, O, K, g_par);
    omp_set_num_threads(1);
    const double ser = run_loss(loss, z, y, B, O, K, g_ser);
    omp_set_num_threads(threads);
    EXPECT_EQ(par, ser);
    EXPECT_EQ(g_par, g_ser);
}

TEST(MultinomialNLL, RejectsNegativeCountsNaNAndBadShapes) {
    ap::train::MultinomialNLL<double> loss;
    std::vector<double> z(1 * 3 * 2, 0.0), y = {1, 0, 2, 3, 0, 1}, g;
    y[5] = -1;  // [0, 2, 1]
    EXPECT_THROW(run_loss(loss, z, y, 1, 3, 2, g), ap::invalid_argument);
    EXPECT_THAT(error_message([&] { run_loss(loss, z, y, 1, 3, 2, g); }),
                AllOf(HasSubstr("MultinomialNLL"), HasSubstr("targets[0, 2, 1] = -1")));
    y[5] = 1;
    z[2] = NAN;  // [0, 1, 0]
    EXPECT_THROW(run_loss(loss, z, y, 1, 3, 2, g), ap::numeric_error);
    EXPECT_THAT(error_message([&] { run_loss(loss, z, y, 1, 3, 2, g); }),
                HasSubstr("outputs[0, 1, 0] = nan"));
    z[2] = 0;
    y[0] = INFINITY;
    EXPECT_THAT(error_message([&] { run_loss(loss, z, y, 1, 3, 2, g); }),
                HasSubstr("targets[0, 0, 0] = inf"));
    std::vector<double> g_small(4);
    auto call = [&] {
        loss.value_and_gradient(ap::ConstTensor3<double>(z.data(), 1, 3, 2),
                                ap::ConstTensor3<double>(y.data(), 1, 3, 2),
                                ap::Tensor3<double>(g_small.data(), 1, 2, 2));
    };
    EXPECT_THROW(call(), ap::invalid_argument);
    EXPECT_THAT(error_message(call), AllOf(HasSubstr("[1, 3, 2]"), HasSubstr("[1, 2, 2]")));
    std::vector<double> none;
    EXPECT_THROW(run_loss(loss, none, none, 0, 3, 2, g), ap::invalid_argument);
}

TEST(MultinomialNLL, FloatInstantiation) {
    const std::vector<float> z = {0, 1, 2}, y = {1, 0, 2};
    const double log_norm = std::log(1 + std::exp(1.0) + std::exp(2.0));
    const double nll = -(std::log(3.0) + (0 - log_norm) + 2 * (2 - log_norm));
    ap::train::MultinomialNLL<float> loss;
    std::vector<float> g;
    EXPECT_NEAR(run_loss(loss, z, y, 1, 3, 1, g), nll, 1e-5);
    EXPECT_NEAR(g[0], 3 * std::exp(-log_norm) - 1, 1e-6);
}

// ---------------------------------------------------------------- MeanSquaredError

TEST(MeanSquaredError, HandComputed) {
    const std::vector<double> out = {1, 2, 3}, tgt = {0, 2, 5};
    ap::train::MeanSquaredError<double> loss;
    std::vector<double> g;
    EXPECT_NEAR(run_loss(loss, out, tgt, 1, 3, 1, g), 5.0 / 3, 1e-15);
    EXPECT_NEAR(g[0], 2.0 / 3, 1e-16);
    EXPECT_EQ(g[1], 0.0);
    EXPECT_NEAR(g[2], -4.0 / 3, 1e-15);
}

TEST(MeanSquaredError, GradientMatchesCentralDifferences) {
    const Index B = 4, T = 2, S = 2;
    const auto out = random_normal(B * T * S, 3), tgt = random_normal(B * T * S, 4);
    ap::train::MeanSquaredError<double> loss;
    EXPECT_LT(gradient_error(loss, out, tgt, B, T, S), 1e-6);
}

TEST(MeanSquaredError, RejectsNonFiniteEmptyAndBadShapes) {
    ap::train::MeanSquaredError<double> loss;
    std::vector<double> out = {1, 2, 3}, tgt = {0, NAN, 5}, g;
    EXPECT_THROW(run_loss(loss, out, tgt, 1, 3, 1, g), ap::numeric_error);
    EXPECT_THAT(error_message([&] { run_loss(loss, out, tgt, 1, 3, 1, g); }),
                HasSubstr("targets[0, 1, 0] = nan"));
    std::vector<double> none;
    EXPECT_THROW(run_loss(loss, none, none, 0, 3, 1, g), ap::invalid_argument);
    tgt[1] = 0;
    auto call = [&] {
        loss.value_and_gradient(ap::ConstTensor3<double>(out.data(), 1, 3, 1),
                                ap::ConstTensor3<double>(tgt.data(), 3, 1, 1),
                                ap::Tensor3<double>(g.data(), 1, 3, 1));
    };
    g.resize(3);
    EXPECT_THAT(error_message(call), AllOf(HasSubstr("[1, 3, 1]"), HasSubstr("[3, 1, 1]")));
}

TEST(MeanSquaredError, FloatInstantiation) {
    const std::vector<float> out = {1, 2, 3}, tgt = {0, 2, 5};
    ap::train::MeanSquaredError<float> loss;
    std::vector<float> g;
    EXPECT_NEAR(run_loss(loss, out, tgt, 1, 3, 1, g), 5.0f / 3, 1e-6);
}

// ---------------------------------------------------------------- all

TEST(Losses, SteadyStateCallsDoNotAllocate) {
    const Index B = 8, O = 50, K = 4;
    const auto z = random_normal(B * O * K, 2);
    std::vector<double> counts(z.size()), labels(z.size()), g(z.size());
    for (std::size_t i = 0; i < z.size(); ++i) {
        counts[i] = double(i % 4);
        labels[i] = double(int(i % 3) - 1);
    }
    ap::ConstTensor3<double> zt(z.data(), B, O, K), ct(counts.data(), B, O, K),
        lt(labels.data(), B, O, K);
    ap::Tensor3<double> gt(g.data(), B, O, K);
    ap::train::ClassBalancedBCE<double> bce;
    ap::train::MultinomialNLL<double> nll;
    ap::train::MeanSquaredError<double> mse;
    long before = g_allocations.load();
    nll.value_and_gradient(zt, ct, gt);  // sizes the workspace
    EXPECT_GT(g_allocations.load() - before, 0);  // the counter does see the first call
    before = g_allocations.load();
    double sum = 0;
    for (int rep = 0; rep < 3; ++rep) {
        sum += bce.value_and_gradient(zt, lt, gt);
        sum += nll.value_and_gradient(zt, ct, gt);
        sum += mse.value_and_gradient(zt, ct, gt);
    }
    EXPECT_EQ(g_allocations.load() - before, 0);
    EXPECT_TRUE(std::isfinite(sum));
}

// Data-parallel training (docs/distributed.md §2): shares of a batch evaluated with the
// class sizes of the whole batch add up to the whole batch's value and gradient, even when
// a share holds one class only; a normaliser smaller than the share's counts is refused.
TEST(ClassBalancedBCE, SharesWithTheWholeBatchCountsAddUpToTheWholeBatch) {
    const Index B = 9, T = 2;
    std::vector<float> z, y, g_whole(B * T), g_share(B * T);
    for (Index i = 0; i < B * T; ++i) {
        z.push_back(0.4f * float(i % 5) - 0.9f);
        y.push_back(i < 8 ? 1.f : (i == 11 ? -1.f : 0.f));  // the first share (3 rows): positives only
    }
    ap::train::ClassBalancedBCE<float> loss;
    const float whole = loss.value_and_gradient({z.data(), B, 1, T}, {y.data(), B, 1, T}, {g_whole.data(), B, 1, T});
    const auto counts = ap::train::ClassBalancedBCE<float>::class_counts({y.data(), B, 1, T});
    EXPECT_EQ(counts.positives, 8);
    EXPECT_EQ(counts.negatives, 9);
    double sum = 0, naive = 0;
    for (Index first : {Index(0), Index(3)}) {
        const Index rows = first == 0 ? 3 : B - 3;
        sum += loss.value_and_gradient({z.data() + first * T, rows, 1, T}, {y.data() + first * T, rows, 1, T},
                                       {g_share.data() + first * T, rows, 1, T}, counts);
        std::vector<float> scratch(rows * T);
        naive += 0.5 * loss.value_and_gradient({z.data() + first * T, rows, 1, T}, {y.data() + first * T, rows, 1, T},
                                               {scratch.data(), rows, 1, T});
    }
    EXPECT_NEAR(sum, whole, 1e-6);
    EXPECT_GT(std::abs(naive - whole), 1e-2);  // per-share means would not do
    for (Index i = 0; i < B * T; ++i) EXPECT_NEAR(g_share[i], g_whole[i], 1e-7) << i;
    ap::train::ClassBalancedBCE<float>::ClassCounts too_few;
    too_few.positives = 1;
    too_few.negatives = 9;
    EXPECT_THROW(loss.value_and_gradient({z.data(), 4, 1, T}, {y.data(), 4, 1, T}, {g_share.data(), 4, 1, T}, too_few),
                 ap::invalid_argument);
}
