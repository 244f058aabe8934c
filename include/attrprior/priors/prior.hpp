// The prior concept and the shared plumbing of the attribution priors.
//
// A prior is any class with
//     Scalar value_and_gradient(ConstTensor3<Scalar> attribution,   // B x L x C
//                               const Eigen::Ref<const Eigen::VectorXi>& status,  // B
//                               Tensor3<Scalar> gradient);           // B x L x C, written
// that returns P(A) and writes dP/dA into `gradient` (every element, zeros where P does
// not depend on A). Only rows whose status is 1 (the positives, docs/math.md §3) enter P. A
// user's own prior just needs that member function; the training step takes it as a template
// parameter.
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <cmath>
#include <type_traits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/finite.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::priors {

/// The empty prior: P = 0, dP/dA = 0. Training with it is plain training.
template <class Scalar>
struct NoPrior {
    Scalar value_and_gradient(ConstTensor3<Scalar> attribution,
                              const Eigen::Ref<const Eigen::VectorXi>& /*status*/,
                              Tensor3<Scalar> gradient) {
        require_same_shape(attribution, gradient, "NoPrior::value_and_gradient",
                           "attribution", "gradient");
        gradient.rows().setZero();
        return Scalar(0);
    }
};

namespace detail {

/// Checks the shapes of the arguments every prior takes; returns the number of rows with
/// status 1. Throws invalid_argument. (Finiteness is checked per row inside the priors'
/// parallel loops, see all_finite / throw_first_non_finite in core/finite.hpp.)
template <class Scalar>
Index validate_prior_arguments(const char* where, ConstTensor3<Scalar> attribution,
                               const Eigen::Ref<const Eigen::VectorXi>& status,
                               const Tensor3<Scalar>& gradient) {
    require_same_shape(attribution, gradient, where, "attribution", "gradient");
    require(status.size() == attribution.dim0, where, "status.size()", status.size(),
            "must equal the batch size ", attribution.dim0);
    require(attribution.dim1 >= 2, where, "attribution length L", attribution.dim1,
            "must be >= 2");
    require(attribution.dim2 >= 1, where, "attribution channels", attribution.dim2,
            "must be >= 1");
    Index kept = 0;
    for (Index b = 0; b < attribution.dim0; ++b) {
        if (status[b] == 1) ++kept;
    }
    return kept;
}

/// a[i] = sum_c |A[i, c]| for one row (docs/math.md §3.1 step 1).
template <class Scalar>
void channel_abs_sum(const Scalar* attr, Index length, Index channels, Scalar* out) {
    if (channels == 4) {  // the one-hot DNA case, unrolled so the compiler vectorises it
        for (Index i = 0; i < length; ++i) {
            const Scalar* a = attr + 4 * i;
            out[i] = (std::abs(a[0]) + std::abs(a[1])) + (std::abs(a[2]) + std::abs(a[3]));
        }
        return;
    }
    for (Index i = 0; i < length; ++i) {
        Scalar s = 0;
        for (Index c = 0; c < channels; ++c) s += std::abs(attr[i * channels + c]);
        out[i] = s;
    }
}

/// gradient[i, c] = sign(A[i, c]) * abar[i], sign(0) = 0 (|.| subgradient, docs/math.md §3.3).
/// Written as copysign(1, x) * g + select so the compiler emits vector masks, not branches: random
/// signs make a branchy loop mispredict half the time (3x slower in a probe: docs/performance.md,
/// "Earlier measurements behind two design choices").
template <class Scalar>
inline Scalar signed_copy(Scalar g, Scalar x) {
    const Scalar s = std::copysign(Scalar(1), x) * g;
    return x != Scalar(0) ? s : Scalar(0);
}

#if defined(__SSE2__)
// SSE2 (every x86-64) versions for the one-hot case C = 4: gcc does not vectorise the
// generic loop once it is inlined, and falls back to two branches per element.
inline void scatter_sign4(const float* attr, const float* abar, Index length, float* grad) {
    const __m128 zero = _mm_setzero_ps(), sign_bit = _mm_set1_ps(-0.0f);
    for (Index i = 0; i < length; ++i) {
        const __m128 x = _mm_loadu_ps(attr + 4 * i);
        const __m128 signed_g = _mm_xor_ps(_mm_set1_ps(abar[i]), _mm_and_ps(x, sign_bit));
        _mm_storeu_ps(grad + 4 * i, _mm_andnot_ps(_mm_cmpeq_ps(x, zero), signed_g));
    }
}
inline void scatter_sign4(const double* attr, const double* abar, Index length, double* grad) {
    const __m128d zero = _mm_setzero_pd(), sign_bit = _mm_set1_pd(-0.0);
    for (Index i = 0; i < length; ++i) {
        const __m128d g = _mm_set1_pd(abar[i]);
        for (int h = 0; h < 4; h += 2) {
            const __m128d x = _mm_loadu_pd(attr + 4 * i + h);
            const __m128d signed_g = _mm_xor_pd(g, _mm_and_pd(x, sign_bit));
            _mm_storeu_pd(grad + 4 * i + h, _mm_andnot_pd(_mm_cmpeq_pd(x, zero), signed_g));
        }
    }
}
#endif

template <class Scalar>
void scatter_sign(const Scalar* __restrict attr, const Scalar* __restrict abar, Index length,
                  Index channels, Scalar* __restrict grad) {
    if (channels == 4) {
#if defined(__SSE2__)
        if constexpr (std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>) {
            scatter_sign4(attr, abar, length, grad);
            return;
        }
#endif
        for (Index i = 0; i < length; ++i) {
            const Scalar g = abar[i];
            for (int c = 0; c < 4; ++c) grad[4 * i + c] = signed_copy(g, attr[4 * i + c]);
        }
        return;
    }
    for (Index i = 0; i < length; ++i) {
        const Scalar g = abar[i];
        for (Index c = 0; c < channels; ++c) {
            grad[i * channels + c] = signed_copy(g, attr[i * channels + c]);
        }
    }
}

/// Per-thread track buffers (a and its adjoint abar, L each) and per-row values, sized at
/// the first call with a shape and reused afterwards (no allocation in steady state).
template <class Scalar>
struct TrackWorkspace {
    std::vector<Scalar> buffers;    // threads x 2 x L
    std::vector<Scalar> row_value;  // B
    std::vector<char> row_ok;       // B: all_finite of each row
    Index length = 0;

    void prepare(Index L, Index B) {
        const std::size_t need = static_cast<std::size_t>(2 * L * omp_get_max_threads());
        if (buffers.size() != need) buffers.assign(need, Scalar(0));
        if (static_cast<Index>(row_value.size()) < B) {
            row_value.resize(static_cast<std::size_t>(B));
            row_ok.resize(static_cast<std::size_t>(B));
        }
        length = L;
    }
    std::pair<Scalar*, Scalar*> thread_buffers(int thread) {
        Scalar* base = buffers.data() + static_cast<std::size_t>(2 * length * thread);
        return {base, base + length};
    }
    /// Serial sum in row order, so the value does not depend on the thread count.
    Scalar mean(Index B, Scalar scale) const {
        Scalar total = 0;
        for (Index b = 0; b < B; ++b) total += row_value[static_cast<std::size_t>(b)];
        return total * scale;
    }
};

}  // namespace detail
}  // namespace attrprior::priors
