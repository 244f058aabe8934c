// Numerical helpers shared by the losses, the training targets and the metrics.
#pragma once

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "attrprior/core/tensor.hpp"

namespace attrprior {

/// Type in which sums of Scalar values are accumulated: at least double, so the sum of a
/// large float batch does not drift with the element order.
template <class Scalar>
using Accumulator = std::conditional_t<(sizeof(Scalar) < sizeof(double)), double, Scalar>;

/// The normaliser of a softmax over positions: p_o = exp(z_o - max) / sum_exp.
template <class Accum>
struct SoftmaxNormalizer {
    Accum max = 0;      // max_o z_o
    Accum sum_exp = 0;  // sum_o exp(z_o - max), in [1, n]
    /// log sum_o exp(z_o), so log p_o = z_o - log_sum_exp().
    Accum log_sum_exp() const { return std::log(sum_exp) + max; }
};

/// Softmax over the n positions of one channel of a positions x channels block (the
/// layout of a B x L x C tensor's example): the values z[0], z[stride], ...,
/// z[(n - 1) * stride]. Shifting by the max keeps every exp in (0, 1], so large logits do
/// not overflow. exp(z - max) is computed in Out (the caller's precision) and summed in
/// Accum; when `exp_shifted` is not null it is also written there, at the same strided
/// places, for callers that need the probabilities and would otherwise pay each exp twice.
/// n = 0 gives sum_exp = 0 (and reads nothing).
template <class Accum, class Scalar, class Out = Scalar>
SoftmaxNormalizer<Accum> softmax_normalizer(const Scalar* z, Index n, Index stride, Out* exp_shifted = nullptr) {
    SoftmaxNormalizer<Accum> r;
    if (n <= 0) return r;
    r.max = Accum(z[0]);
    for (Index o = 1; o < n; ++o) r.max = std::max(r.max, Accum(z[o * stride]));
    for (Index o = 0; o < n; ++o) {
        const Out e = std::exp(Out(Accum(z[o * stride]) - r.max));
        r.sum_exp += Accum(e);
        if (exp_shifted != nullptr) exp_shifted[o * stride] = e;
    }
    return r;
}

}  // namespace attrprior
