// Whole-objective gradient check over a model's flat parameter vector: central finite
// differences of an objective re-evaluated at perturbed parameters (docs/double_backprop.md §5).
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

#include "attrprior/core/tensor.hpp"

namespace attrprior::testing {

/// max_p |(f(theta + h e_p) - f(theta - h e_p)) / 2h - analytic_p| / max_p |analytic_p|
/// over every stride-th parameter p; objective() evaluates f at the current theta, which
/// is restored after each probe.
template <class Objective>
double parameter_fd_error(Eigen::VectorXd& theta, const Eigen::VectorXd& analytic, Objective&& objective,
                          Index stride = 1, double h = 1e-6) {
    double err = 0, scale = 0;
    for (Index p = 0; p < theta.size(); p += stride) {
        const double saved = theta[p];
        theta[p] = saved + h;
        const double fp = objective();
        theta[p] = saved - h;
        const double fm = objective();
        theta[p] = saved;
        err = std::max(err, std::fabs((fp - fm) / (2 * h) - analytic[p]));
        scale = std::max(scale, std::fabs(analytic[p]));
    }
    return err / scale;
}

}  // namespace attrprior::testing
