// What every attribution method returns (docs/attribution.md, "Hypothetical and projected
// scores"), and the formulas the methods share.
//
// For B examples of L positions and C = 4 bases:
//   hypothetical H[b,i,c]: what position i would contribute if it held base c;
//   projected    P = H * x: zero except at the observed base (zero at N);
//   track        p[b,i] = sum_c P[b,i,c], the per-position contribution.
// Method-specific results (DeepLIFT's convergence deltas, ISM's raw effects, ...) live in
// the method's own result type, which derives from Scores.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::attribution {

template <class Scalar>
struct Scores {
    Index examples = 0, length = 0, channels = 0;
    std::vector<Scalar> hypothetical;  // B x L x C
    std::vector<Scalar> projected;     // B x L x C
    std::vector<Scalar> value;         // f(x) per example

    Tensor3<Scalar> H() { return {hypothetical.data(), examples, length, channels}; }
    ConstTensor3<Scalar> H() const { return {hypothetical.data(), examples, length, channels}; }
    Tensor3<Scalar> P() { return {projected.data(), examples, length, channels}; }
    ConstTensor3<Scalar> P() const { return {projected.data(), examples, length, channels}; }
    /// p[b,i] = sum_c P[b,i,c].
    Scalar track(Index b, Index i) const {
        Scalar s = 0;
        for (Index c = 0; c < channels; ++c) s += projected[static_cast<std::size_t>((b * length + i) * channels + c)];
        return s;
    }

    /// Sizes the arrays for B x L x C (zero-filled).
    void resize(Index B, Index L, Index C) {
        examples = B;
        length = L;
        channels = C;
        const std::size_t n = static_cast<std::size_t>(B * L * C);
        hypothetical.assign(n, Scalar(0));
        projected.assign(n, Scalar(0));
        value.assign(static_cast<std::size_t>(B), Scalar(0));
    }

    /// P = H * x.
    void project(ConstTensor3<Scalar> x) {
        require(x.dim0 == examples && x.dim1 == length && x.dim2 == channels, "attribution::Scores::project", "x",
                x.shape_string(), "does not match the scores' shape");
        for (Index e = 0; e < x.size(); ++e) projected[static_cast<std::size_t>(e)] = hypothetical[static_cast<std::size_t>(e)] * x.data[e];
    }
};

/// delta / max(1, |f(x)|, |f(r)|): a convergence delta relative to the outputs it compares
/// (docs/attribution.md, "Choosing the method at run time"); a pair whose |relative delta|
/// passes warn_factor counts as a convergence warning.
inline double relative_delta(double delta, double fx, double fr) {
    return delta / std::max({1.0, std::fabs(fx), std::fabs(fr)});
}

namespace detail {

/// H[i,c] += weight * (m[i,c] - <m[i,:], r[i,:]>) over L positions of C channels: the
/// hypothetical contribution of base c at position i relative to the reference row r_i
/// (docs/attribution.md, "Hypothetical and projected scores"). Returns nothing; also
/// adds -weight * <m_i, r_i> to n_contrib[i] where x_i is an N row (all zero), when given.
template <class Scalar>
void add_hypothetical(const Scalar* m, const Scalar* r, const Scalar* x, Index L, Index C, Scalar weight, Scalar* H,
                      Scalar* n_contrib = nullptr) {
    for (Index i = 0; i < L; ++i) {
        Scalar dot = 0;
        bool n_row = true;
        for (Index c = 0; c < C; ++c) {
            dot += m[i * C + c] * r[i * C + c];
            n_row = n_row && x[i * C + c] == Scalar(0);
        }
        for (Index c = 0; c < C; ++c) H[i * C + c] += weight * (m[i * C + c] - dot);
        if (n_contrib && n_row) n_contrib[i] -= weight * dot;
    }
}

/// H[i,c] = g[i,c] - mean_c g[i,c]: the centring that removes the per-position shift the
/// one-hot encoding leaves undetermined (docs/attribution.md, "Gradient x input").
template <class Scalar>
void centre(const Scalar* g, Index L, Index C, Scalar* H) {
    for (Index i = 0; i < L; ++i) {
        Scalar mean = 0;
        for (Index c = 0; c < C; ++c) mean += g[i * C + c];
        mean /= Scalar(C);
        for (Index c = 0; c < C; ++c) H[i * C + c] = g[i * C + c] - mean;
    }
}

}  // namespace detail

}  // namespace attrprior::attribution
