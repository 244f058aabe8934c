// Sparsity prior of Erion et al. 2019, a baseline (docs/math.md §4):
// P(A) = -mean over rows with status 1 of Gini(a), a[i] = sum_c |A[i, c]|.
//
// With a sorted ascending (x_(1) <= ... <= x_(n)) and T = sum x,
//   Gini = sum_r (2r - n - 1) x_(r) / (n T),   dGini/dx_(r) = ((2r - n - 1)/n - Gini) / T.
// Gini is 0 for a zero row (T = 0), with zero gradient. Ties are broken by position, which
// yields a valid subgradient (Gini is continuous and piecewise linear-fractional).
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "attrprior/core/tensor.hpp"
#include "attrprior/priors/prior.hpp"

namespace attrprior::priors {

/// Negative-Gini sparsity prior; exact (sub)gradient.
template <class Scalar>
class SparsityPrior {
public:
    Scalar value_and_gradient(ConstTensor3<Scalar> attribution,
                              const Eigen::Ref<const Eigen::VectorXi>& status,
                              Tensor3<Scalar> gradient) {
        const Index kept = detail::validate_prior_arguments(
            "SparsityPrior::value_and_gradient", attribution, status, gradient);
        const Index B = attribution.dim0, L = attribution.dim1, C = attribution.dim2;
        const Scalar scale = kept > 0 ? Scalar(1) / Scalar(kept) : Scalar(0);
        tracks_.prepare(L, B);
        const int threads = omp_get_max_threads();
        if (static_cast<Index>(order_.size()) != L * threads) {
            order_.assign(static_cast<std::size_t>(L * threads), 0);
        }
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
            const int t = omp_get_thread_num();
            auto [a, abar] = tracks_.thread_buffers(t);
            Index* order = order_.data() + static_cast<std::size_t>(t) * L;
            detail::channel_abs_sum(attribution.slice(b), L, C, a);
            std::iota(order, order + L, Index(0));
            std::stable_sort(order, order + L, [track = a](Index i, Index j) { return track[i] < track[j]; });
            Scalar total = 0, weighted = 0;
            for (Index r = 0; r < L; ++r) {
                total += a[order[r]];
                weighted += Scalar(2 * (r + 1) - L - 1) * a[order[r]];
            }
            if (total <= 0) {  // all-zero row: Gini 0, zero gradient
                std::fill(grad, grad + L * C, Scalar(0));
                continue;
            }
            const Scalar gini = weighted / (Scalar(L) * total);
            value = -gini;
            for (Index r = 0; r < L; ++r) {
                abar[order[r]] = -scale * (Scalar(2 * (r + 1) - L - 1) / Scalar(L) - gini) / total;
            }
            detail::scatter_sign(attribution.slice(b), abar, L, C, grad);
        }
        throw_first_non_finite("SparsityPrior::value_and_gradient", "attribution", attribution,
                               &tracks_.row_ok);
        return tracks_.mean(B, scale);
    }

private:
    detail::TrackWorkspace<Scalar> tracks_;
    std::vector<Index> order_;
};

}  // namespace attrprior::priors
