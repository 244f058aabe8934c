// Task losses of the paper's models (docs/models.md §2 and §5).
//
// A loss is any class with
//     Scalar value_and_gradient(ConstTensor3<Scalar> outputs,   // what the network produced
//                               ConstTensor3<Scalar> targets,   // same shape
//                               Tensor3<Scalar> gradient);      // same shape, written
// that returns T(outputs, targets) and writes dT/doutputs into `gradient` (every element;
// zero where T does not depend on an output). `gradient` must not overlap `targets`.
//
// Every loss checks that the three shapes agree (invalid_argument naming both shapes) and
// that outputs and targets are finite (numeric_error naming the first bad element, its
// index [b, i, k] and its value). Target domain errors (a label that is not 1/0/-1, a
// negative count) are invalid_argument with the same detail. A failed call may have
// written part of `gradient`; the loss object itself keeps no result state.
//
// Sums are accumulated in double when Scalar is float, so the value of a large batch does
// not drift with the element order. Workspaces are members, sized at the first call with a
// given shape: steady-state calls allocate nothing.
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/finite.hpp"
#include "attrprior/core/math.hpp"
#include "attrprior/core/parallel.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::train {

namespace detail {

/// Shape and finiteness checks shared by every loss.
template <class Scalar>
void validate_loss_arguments(const char* where, ConstTensor3<Scalar> outputs,
                             ConstTensor3<Scalar> targets, const Tensor3<Scalar>& gradient) {
    require_same_shape(outputs, targets, where, "outputs", "targets");
    require_same_shape(outputs, gradient, where, "outputs", "gradient");
    require_all_finite(where, "outputs", outputs);
    require_all_finite(where, "targets", targets);
}

/// log Γ(x) for x > 0. std::lgamma may write the global `signgam` (glibc does), which is a
/// data race inside a parallel loop; glibc's reentrant lgamma_r does not.
#if defined(__GLIBC__) && (defined(__USE_MISC) || defined(__USE_XOPEN))
#define ATTRPRIOR_REENTRANT_LGAMMA 1
inline double log_gamma(double x) {
    int sign = 0;
    return ::lgamma_r(x, &sign);
}
inline float log_gamma(float x) {
    int sign = 0;
    return ::lgammaf_r(x, &sign);
}
inline long double log_gamma(long double x) {
    int sign = 0;
    return ::lgammal_r(x, &sign);
}
#else
#define ATTRPRIOR_REENTRANT_LGAMMA 0
template <class T>
T log_gamma(T x) {
    return std::lgamma(x);
}
#endif

}  // namespace detail

/// Class-balanced binary cross-entropy on logits (docs/models.md §2, binary models).
///
/// outputs: logits, conventionally B x 1 x T (T tasks); targets: labels 1 (positive),
/// 0 (negative) or -1 (ambiguous, ignored), same shape. Elements are pooled over the whole
/// tensor (all examples and all tasks, as PyTorch's `bce(p[pos], y[pos])` on the flattened
/// labels), so any layout gives the same value. With P and N the sets of positive and
/// negative elements,
///     loss = ( mean_{i in P} BCE(z_i, 1) + mean_{i in N} BCE(z_i, 0) ) / 2.
/// A class with no element is left out instead of producing NaN (PyTorch's reference gives
/// NaN there: the mean of an empty tensor): the loss is the average over the classes that
/// are present, i.e. the mean BCE of the one present class, and 0 with an all-zero
/// gradient when no element is labelled. dloss/dz_i = (sigmoid(z_i) - y_i) / (|class(i)| ·
/// classes present); 0 for ambiguous elements.
///
/// BCE is computed from the logits in the stable softplus form
///     BCE(z, y) = max(z, 0) - z·y + log1p(exp(-|z|)),
/// which is accurate for every finite z. PyTorch's reference applies F.binary_cross_entropy
/// to sigmoid probabilities p, clamping its logs at -100 and dividing its backward by
/// max(p(1-p), 1e-12). Values agree (up to rounding) until p saturates: sigmoid(z) rounds to
/// exactly 1 for z > ~16.6 in float32 (z > ~36.7 in float64), where PyTorch's log(1 - p)
/// becomes log(0), clamped to -100, so a confidently wrong negative costs 100 there (here:
/// ~z); symmetrically log(p) is clamped for z < -100. Gradients agree until p(1-p) < 1e-12
/// (|z| > ~27.6); beyond that PyTorch's shrinks towards 0 (and is exactly 0 once p
/// saturates) while ours stays sigmoid(z) - y, of magnitude ~1 for a confident mistake.
/// Only such extreme logits are affected.
///
/// Labels must be exactly 1, 0 or -1 (invalid_argument naming the value and its index);
/// NaN/Inf in logits or labels is numeric_error.
///
/// Data-parallel training (docs/distributed.md §2) evaluates one share of a batch per
/// process with the class sizes of the whole batch (`normaliser`): the shares' values and
/// gradients then add up to the whole batch's.
template <class Scalar>
class ClassBalancedBCE {
public:
    /// Elements of each class in a target tensor (ambiguous -1 elements are in neither).
    struct ClassCounts {
        Index positives = 0, negatives = 0;
    };
    static ClassCounts class_counts(ConstTensor3<Scalar> targets) {
        ClassCounts c;
        for (Index i = 0; i < targets.size(); ++i) {
            c.positives += targets.data[i] == Scalar(1);
            c.negatives += targets.data[i] == Scalar(0);
        }
        return c;
    }

    Scalar value_and_gradient(ConstTensor3<Scalar> outputs, ConstTensor3<Scalar> targets,
                              Tensor3<Scalar> gradient) const {
        return compute(outputs, targets, gradient, nullptr);
    }
    /// The same with the class sizes (and so the classes present) taken from `normaliser`,
    /// which must count at least this tensor's elements of each class.
    Scalar value_and_gradient(ConstTensor3<Scalar> outputs, ConstTensor3<Scalar> targets,
                              Tensor3<Scalar> gradient, const ClassCounts& normaliser) const {
        return compute(outputs, targets, gradient, &normaliser);
    }

private:
    Scalar compute(ConstTensor3<Scalar> outputs, ConstTensor3<Scalar> targets, Tensor3<Scalar> gradient,
                   const ClassCounts* normaliser) const {
        constexpr const char* where = "ClassBalancedBCE::value_and_gradient";
        detail::validate_loss_arguments(where, outputs, targets, gradient);
        using A = Accumulator<Scalar>;
        const Index n = outputs.size();
        const Scalar* z = outputs.data;
        const Scalar* y = targets.data;
        Scalar* g = gradient.data;

        // Pass 1: per-element BCE summed per class; gradient holds sigmoid(z) - y.
        A sum_pos = 0, sum_neg = 0;
        Index n_pos = 0, n_neg = 0;
        for (Index i = 0; i < n; ++i) {
            const Scalar label = y[i];
            const Scalar zi = z[i];
            if (label == Scalar(-1)) {
                g[i] = Scalar(0);
                continue;
            }
            const Scalar e = std::exp(-std::abs(zi));  // in (0, 1]
            const Scalar log_term = std::log1p(e);
            const Scalar inv = Scalar(1) / (Scalar(1) + e);
            // sigmoid(z) = 1/(1+e) for z >= 0, e/(1+e) for z < 0; sigmoid(-z) the other one.
            const Scalar sig_pos = zi >= 0 ? inv : e * inv;
            const Scalar sig_neg = zi >= 0 ? e * inv : inv;
            if (label == Scalar(1)) {
                sum_pos += A(std::max(-zi, Scalar(0)) + log_term);
                g[i] = -sig_neg;  // sigmoid(z) - 1, without cancellation
                ++n_pos;
            } else if (label == Scalar(0)) {
                sum_neg += A(std::max(zi, Scalar(0)) + log_term);
                g[i] = sig_pos;
                ++n_neg;
            } else {
                const Index t = i % outputs.dim2, j = (i / outputs.dim2) % outputs.dim1,
                            b = i / (outputs.dim2 * outputs.dim1);
                throw invalid_argument(attrprior::detail::concat(
                    where, ": targets[", b, ", ", j, ", ", t, "] = ", label,
                    " is not a valid label (expected 1 = positive, 0 = negative or "
                    "-1 = ambiguous)"));
            }
        }

        if (normaliser != nullptr) {
            require(normaliser->positives >= n_pos, where, "normaliser positives", normaliser->positives,
                    "must be >= this tensor's ", n_pos);
            require(normaliser->negatives >= n_neg, where, "normaliser negatives", normaliser->negatives,
                    "must be >= this tensor's ", n_neg);
            n_pos = normaliser->positives;
            n_neg = normaliser->negatives;
        }
        const int classes = (n_pos > 0 ? 1 : 0) + (n_neg > 0 ? 1 : 0);
        if (classes == 0) {  // nothing labelled: ambiguous elements already have g = 0
            return Scalar(0);
        }
        const A scale_pos = n_pos > 0 ? A(1) / (A(n_pos) * A(classes)) : A(0);
        const A scale_neg = n_neg > 0 ? A(1) / (A(n_neg) * A(classes)) : A(0);
        // Pass 2: scale each element's gradient by its class weight.
        const Scalar sp = Scalar(scale_pos), sn = Scalar(scale_neg);
        for (Index i = 0; i < n; ++i) {
            g[i] *= y[i] == Scalar(1) ? sp : (y[i] == Scalar(0) ? sn : Scalar(0));
        }
        return Scalar(sum_pos * scale_pos + sum_neg * scale_neg);
    }
};

/// Multinomial negative log-likelihood of profiles (docs/models.md §5, profile models).
///
/// outputs: logits B x O x K (O output positions, K = tasks·strands channels); targets:
/// observed counts (non-negative, need not be integers), same shape. For each example b
/// and channel k, with p = softmax over the O positions of z[b, :, k], y = y[b, :, k] and
/// n = Σ_o y_o,
///     NLL = -[ log Γ(n+1) - Σ_o log Γ(y_o+1) + Σ_o y_o log p_o ],
/// and the loss is the mean over the K channels, then over the B examples:
///     loss = Σ_{b,k} NLL / (B·K),   dloss/dz[b,o,k] = (n·p_o - y_o) / (B·K).
/// The log-Gamma terms do not depend on the logits; `include_constant = false` drops them
/// (the value is then -Σ y log p / (B·K); the gradient is the same). A channel with no
/// counts contributes 0 with zero gradient.
///
/// Negative counts are invalid_argument; NaN/Inf is numeric_error; B, O and K must be >= 1.
/// Examples are processed in parallel (OpenMP) for large batches; the value is summed in
/// example order, so it does not depend on the thread count.
template <class Scalar>
class MultinomialNLL {
public:
    explicit MultinomialNLL(bool include_constant = true) : include_constant_(include_constant) {}

    bool include_constant() const { return include_constant_; }

    Scalar value_and_gradient(ConstTensor3<Scalar> outputs, ConstTensor3<Scalar> targets,
                              Tensor3<Scalar> gradient) {
        constexpr const char* where = "MultinomialNLL::value_and_gradient";
        if (outputs.dim0 < 1 || outputs.dim1 < 1 || outputs.dim2 < 1) {  // message built only here
            throw invalid_argument(attrprior::detail::concat(
                where, ": outputs shape = ", outputs.shape_string(),
                " must have at least one example, position and channel"));
        }
        detail::validate_loss_arguments(where, outputs, targets, gradient);
        const Index B = outputs.dim0, O = outputs.dim1, K = outputs.dim2;
        bool negative = false;  // a plain loop: vectorised, branch-free
        for (Index i = 0; i < targets.size(); ++i) negative |= targets.data[i] < Scalar(0);
        if (negative) throw_first_negative(where, targets);

        const int threads = omp_get_max_threads();
        const std::size_t need = static_cast<std::size_t>(kArrays * K * threads);
        if (work_.size() != need) work_.assign(need, A(0));
        if (static_cast<Index>(row_value_.size()) < B) row_value_.resize(static_cast<std::size_t>(B));
        const A scale = A(1) / (A(B) * A(K));
        const bool constant = include_constant_;
        // Parallel only when the work pays for the fork, and lgamma is reentrant. Every element
        // costs an exp (and an lgamma with the constant), so half kParallelWork elements pay.
        const bool parallel = ATTRPRIOR_REENTRANT_LGAMMA && threads > 1 && B > 1 && B * O * K >= kParallelWork / 2;

#pragma omp parallel for schedule(static) if (parallel)
        for (Index b = 0; b < B; ++b) {
            A* w = work_.data() + static_cast<std::size_t>(kArrays * K * omp_get_thread_num());
            row_value_[static_cast<std::size_t>(b)] = row_nll(
                outputs.slice(b), targets.slice(b), gradient.slice(b), O, K, Scalar(scale),
                constant, w);
        }
        A total = 0;
        for (Index b = 0; b < B; ++b) total += row_value_[static_cast<std::size_t>(b)];
        return Scalar(total * scale);
    }

private:
    using A = Accumulator<Scalar>;
    static constexpr Index kArrays = 5;  // max, Σexp, n, Σ y(z - max), Σ logΓ(y+1)

    /// One example (O x K, channel innermost): returns Σ_k NLL_k and writes the scaled
    /// gradient. w holds kArrays·K accumulators.
    static A row_nll(const Scalar* z, const Scalar* y, Scalar* g, Index O, Index K,
                     Scalar scale, bool constant, A* w) {
        A* mx = w;
        A* sum_exp = w + K;
        A* count = w + 2 * K;
        A* yz = w + 3 * K;
        A* lg = w + 4 * K;
        // g temporarily holds exp(z - max).
        for (Index k = 0; k < K; ++k) {
            const SoftmaxNormalizer<A> normalizer = softmax_normalizer<A>(z + k, O, K, g + k);
            mx[k] = normalizer.max;
            sum_exp[k] = normalizer.sum_exp;
            count[k] = yz[k] = lg[k] = A(0);
        }
        for (Index o = 0; o < O; ++o) {
            const Scalar* zo = z + o * K;
            const Scalar* yo = y + o * K;
            for (Index k = 0; k < K; ++k) {
                const Scalar shifted = Scalar(A(zo[k]) - mx[k]);
                const A yk = A(yo[k]);
                count[k] += yk;
                yz[k] += yk * A(shifted);
                if (constant && yo[k] != Scalar(0)) lg[k] += A(detail::log_gamma(yo[k] + Scalar(1)));
            }
        }
        A value = 0;
        for (Index k = 0; k < K; ++k) {
            const A log_sum = std::log(sum_exp[k]);  // >= 0: the max term contributes 1
            A nll = -(yz[k] - count[k] * log_sum);
            if (constant && count[k] != A(0)) nll -= A(detail::log_gamma(count[k] + A(1))) - lg[k];
            value += nll;
            mx[k] = count[k] / sum_exp[k];  // reuse: n / Σexp, so n·p = mx·exp(z - max)
        }
        for (Index o = 0; o < O; ++o) {
            const Scalar* yo = y + o * K;
            Scalar* go = g + o * K;
            for (Index k = 0; k < K; ++k) go[k] = scale * (Scalar(mx[k]) * go[k] - yo[k]);
        }
        return value;
    }

    static void throw_first_negative(const char* where, ConstTensor3<Scalar> t) {
        for (Index i = 0; i < t.dim0; ++i) {
            for (Index j = 0; j < t.dim1; ++j) {
                for (Index k = 0; k < t.dim2; ++k) {
                    if (t(i, j, k) < Scalar(0)) {
                        throw invalid_argument(attrprior::detail::concat(
                            where, ": targets[", i, ", ", j, ", ", k, "] = ", t(i, j, k),
                            " is negative; counts must be >= 0"));
                    }
                }
            }
        }
    }

    bool include_constant_;
    std::vector<A> work_;       // threads x kArrays x K
    std::vector<A> row_value_;  // B
};

/// Mean squared error over all elements: loss = Σ (out - target)² / N,
/// dloss/dout = 2 (out - target) / N. Used for the log-count head of profile models
/// (targets log(1 + counts), docs/models.md §5; the caller applies the log and the weight 20).
/// NaN/Inf is numeric_error; an empty tensor is invalid_argument.
template <class Scalar>
class MeanSquaredError {
public:
    Scalar value_and_gradient(ConstTensor3<Scalar> outputs, ConstTensor3<Scalar> targets,
                              Tensor3<Scalar> gradient) const {
        constexpr const char* where = "MeanSquaredError::value_and_gradient";
        if (outputs.size() == 0) {  // message built only here
            throw invalid_argument(attrprior::detail::concat(
                where, ": outputs shape = ", outputs.shape_string(),
                " is empty; the mean needs at least one element"));
        }
        detail::validate_loss_arguments(where, outputs, targets, gradient);
        using A = Accumulator<Scalar>;
        const Index n = outputs.size();
        const Scalar two_over_n = Scalar(A(2) / A(n));
        A sum = 0;
        for (Index i = 0; i < n; ++i) {
            const Scalar d = outputs.data[i] - targets.data[i];
            sum += A(d) * A(d);
            gradient.data[i] = two_over_n * d;
        }
        return Scalar(sum / A(n));
    }
};

}  // namespace attrprior::train
