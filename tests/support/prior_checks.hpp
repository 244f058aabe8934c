// Shared checks for the prior tests: run a prior on std::vector data and compare its
// gradient with central finite differences in double.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "attrprior/core/tensor.hpp"

namespace attrprior::testing {

inline std::vector<double> random_normal(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> nd;
    std::vector<double> v(n);
    for (double& x : v) x = nd(gen);
    return v;
}

template <class Prior, class Scalar>
Scalar run_prior(Prior& prior, const std::vector<Scalar>& attr, Index B, Index L, Index C,
                 const Eigen::VectorXi& status, std::vector<Scalar>& grad) {
    grad.assign(attr.size(), Scalar(-7));  // poison: every element must be written
    return prior.value_and_gradient(ConstTensor3<Scalar>(attr.data(), B, L, C), status,
                                    Tensor3<Scalar>(grad.data(), B, L, C));
}

/// Max relative error of the analytic gradient against central differences, over every
/// `stride`-th element. Fails the test if the gradient is identically zero.
template <class Prior>
double gradient_error(Prior& prior, const std::vector<double>& attr, Index B, Index L, Index C,
                      const Eigen::VectorXi& status, Index stride = 1, double h = 1e-6) {
    std::vector<double> grad, tmp;
    run_prior(prior, attr, B, L, C, status, grad);
    double max_err = 0, max_g = 0;
    for (Index idx = 0; idx < B * L * C; idx += stride) {
        auto plus = attr, minus = attr;
        plus[idx] += h;
        minus[idx] -= h;
        const double fd = (run_prior(prior, plus, B, L, C, status, tmp) -
                           run_prior(prior, minus, B, L, C, status, tmp)) / (2 * h);
        max_err = std::max(max_err, std::fabs(fd - grad[idx]));
        max_g = std::max(max_g, std::fabs(grad[idx]));
    }
    EXPECT_GT(max_g, 0.0);
    return max_g > 0 ? max_err / max_g : 1.0;
}

}  // namespace attrprior::testing
