#include "attrprior/priors/sparsity.hpp"

#include <gtest/gtest.h>

#include "../support/prior_checks.hpp"

namespace ap = attrprior;
using ap::Index;

TEST(SparsityPrior, HandComputedGini) {
    // a = [0, 0, 0, 4]: sorted weights (2r - n - 1) = -3, -1, 1, 3 -> 3*4 / (4*4) = 0.75.
    // a = [1, 1, 1, 1]: Gini 0. Mean of -Gini over both rows = -0.375.
    std::vector<double> attr(2 * 4 * 1);
    attr = {0, 0, 0, -4, 1, 1, -1, 1};
    ap::priors::SparsityPrior<double> prior;
    std::vector<double> grad;
    EXPECT_NEAR(ap::testing::run_prior(prior, attr, 2, 4, 1, Eigen::VectorXi::Ones(2), grad),
                -0.375, 1e-15);
}

TEST(SparsityPrior, GradientMatchesCentralDifferences) {
    const Index B = 3, L = 30, C = 4;
    auto attr = ap::testing::random_normal(B * L * C, 8);
    Eigen::VectorXi status(B);
    status << 0, 1, 1;
    ap::priors::SparsityPrior<double> prior;
    EXPECT_LT(ap::testing::gradient_error(prior, attr, B, L, C, status), 1e-6);
}

TEST(SparsityPrior, ZeroRowHasZeroGradient) {
    std::vector<double> attr(1 * 8 * 4, 0.0);
    ap::priors::SparsityPrior<double> prior;
    std::vector<double> grad;
    EXPECT_EQ(ap::testing::run_prior(prior, attr, 1, 8, 4, Eigen::VectorXi::Ones(1), grad), 0.0);
    for (double g : grad) EXPECT_EQ(g, 0.0);
}

TEST(SparsityPrior, RejectsWrongStatusSize) {
    std::vector<double> attr(2 * 8 * 4, 1.0);
    ap::priors::SparsityPrior<double> prior;
    std::vector<double> grad;
    EXPECT_THROW(ap::testing::run_prior(prior, attr, 2, 8, 4, Eigen::VectorXi::Ones(5), grad),
                 ap::invalid_argument);
}
