#include "attrprior/priors/smoothness.hpp"

#include <gtest/gtest.h>

#include "../support/prior_checks.hpp"

namespace ap = attrprior;
using ap::Index;

TEST(SmoothnessPrior, HandComputedValue) {
    // Row 0: a = [1, 3, 2, 2] -> |2| + |-1| + |0| = 3. Row 1 (masked) ignored.
    std::vector<double> attr = {1, 0, 0, 0, -2, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, -2,
                                9, 9, 9, 9, 0, 0, 0, 0, 9, 9, 9, 9, 0, 0, 0, 0};
    Eigen::VectorXi status(2);
    status << 1, 0;
    ap::priors::SmoothnessPrior<double> prior;
    std::vector<double> grad;
    EXPECT_DOUBLE_EQ(ap::testing::run_prior(prior, attr, 2, 4, 4, status, grad), 3.0);
    // d/da = [-1, 2, -1, 0] (sign(0) = 0 at the flat step), times sign(A).
    EXPECT_DOUBLE_EQ(grad[0], -1.0);
    EXPECT_DOUBLE_EQ(grad[4], -2.0);
    EXPECT_DOUBLE_EQ(grad[5], 2.0);
    EXPECT_DOUBLE_EQ(grad[10], -1.0);
    EXPECT_DOUBLE_EQ(grad[15], 0.0);
    for (int i = 16; i < 32; ++i) EXPECT_EQ(grad[i], 0.0);
}

TEST(SmoothnessPrior, GradientMatchesCentralDifferences) {
    const Index B = 3, L = 40, C = 4;
    auto attr = ap::testing::random_normal(B * L * C, 4);
    Eigen::VectorXi status(B);
    status << 1, 0, 1;
    ap::priors::SmoothnessPrior<double> prior;
    EXPECT_LT(ap::testing::gradient_error(prior, attr, B, L, C, status), 1e-6);
}

TEST(SmoothnessPrior, NoKeptRowIsZero) {
    auto attr = ap::testing::random_normal(2 * 10 * 4, 1);
    ap::priors::SmoothnessPrior<double> prior;
    std::vector<double> grad;
    EXPECT_EQ(ap::testing::run_prior(prior, attr, 2, 10, 4, Eigen::VectorXi::Zero(2), grad), 0.0);
    for (double g : grad) EXPECT_EQ(g, 0.0);
}

TEST(SmoothnessPrior, RejectsNaN) {
    auto attr = ap::testing::random_normal(2 * 10 * 4, 1);
    attr[5] = std::nan("");
    ap::priors::SmoothnessPrior<double> prior;
    std::vector<double> grad;
    EXPECT_THROW(ap::testing::run_prior(prior, attr, 2, 10, 4, Eigen::VectorXi::Ones(2), grad),
                 ap::numeric_error);
}
