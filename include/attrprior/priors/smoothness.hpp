// Smoothness prior of Erion et al. 2019, a baseline (docs/math.md §4):
// P(A) = mean over rows with status 1 of sum_i |a[i+1] - a[i]|, a[i] = sum_c |A[i, c]|.
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "attrprior/core/tensor.hpp"
#include "attrprior/priors/prior.hpp"

namespace attrprior::priors {

/// Total-variation smoothness prior; exact subgradient (sign(0) = 0).
template <class Scalar>
class SmoothnessPrior {
public:
    Scalar value_and_gradient(ConstTensor3<Scalar> attribution,
                              const Eigen::Ref<const Eigen::VectorXi>& status,
                              Tensor3<Scalar> gradient) {
        const Index kept = detail::validate_prior_arguments(
            "SmoothnessPrior::value_and_gradient", attribution, status, gradient);
        const Index B = attribution.dim0, L = attribution.dim1, C = attribution.dim2;
        const Scalar scale = kept > 0 ? Scalar(1) / Scalar(kept) : Scalar(0);
        tracks_.prepare(L, B);
#pragma omp parallel for schedule(static)
        for (Index b = 0; b < B; ++b) {
            Scalar* grad = gradient.slice(b);
            Scalar& value = tracks_.row_value[static_cast<std::size_t>(b)];
            value = 0;
            const bool ok = all_finite(attribution.slice(b), L * C);
            tracks_.row_ok[static_cast<std::size_t>(b)] = ok;
            if (status[b] != 1 || !ok) {
                std::fill(grad, grad + L * C, Scalar(0));
                continue;
            }
            auto [a, abar] = tracks_.thread_buffers(omp_get_thread_num());
            detail::channel_abs_sum(attribution.slice(b), L, C, a);
            std::fill(abar, abar + L, Scalar(0));
            for (Index i = 0; i + 1 < L; ++i) {
                const Scalar d = a[i + 1] - a[i];
                value += std::abs(d);
                const Scalar s = (Scalar(d > 0) - Scalar(d < 0)) * scale;
                abar[i + 1] += s;
                abar[i] -= s;
            }
            detail::scatter_sign(attribution.slice(b), abar, L, C, grad);
        }
        throw_first_non_finite("SmoothnessPrior::value_and_gradient", "attribution", attribution,
                               &tracks_.row_ok);
        return tracks_.mean(B, scale);
    }

private:
    detail::TrackWorkspace<Scalar> tracks_;
};

}  // namespace attrprior::priors
