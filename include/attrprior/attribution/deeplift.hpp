// DeepLIFT with the Rescale rule, and DeepSHAP (DeepLIFT averaged over references)
// (docs/attribution.md, "DeepLIFT rules" and "DeepSHAP").
//
// For an example x and a reference r, one eval forward of both and one backward from
// m_f = 1 through every layer's DeepLIFT rule (nn/layer.hpp: affine layers pass their
// ordinary backward, ReLU and MaxPool1d their own rule) give one multiplier tensor m per
// (example, reference) pair. Contributions C = m * (x - r) sum to f(x) - f(r) (the
// convergence delta delta = sum C - (f(x) - f(r)) is returned per pair). With K
// references the hypothetical scores are averaged:
//   H_k[i,c] = m_k[i,c] - <m_k[i,:], r_k[i,:]>,   H = mean_k H_k,   P = H * x,
// and at an N row of x (P = 0 there) the contribution -mean_k <m_k[i,:], r_k[i,:]> is
// reported as n_contrib, so completeness stays checkable. A model with a layer that has
// no rule is rejected before any work.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/attribution/rows.hpp"
#include "attrprior/attribution/scores.hpp"
#include "attrprior/attribution/shuffle.hpp"
#include "attrprior/attribution/target.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::attribution {

struct DeepLiftOptions {
    Index batch = 64;               // (example, reference) pairs per pass, whatever K is
    bool keep_multipliers = false;  // also return m (B x K x L x 4)
    /// A pair is counted as a convergence warning when |delta| > warn_factor *
    /// max(1, |f(x)|, |f(r)|).
    double warn_factor = 1e-3;
    void validate() const {
        require(batch >= 1, "DeepLiftOptions", "batch", batch, "must be >= 1");
        require(warn_factor > 0, "DeepLiftOptions", "warn_factor", warn_factor, "must be > 0");
    }
};

template <class Scalar>
struct DeepLiftScores : Scores<Scalar> {
    Index references = 0;                // K
    std::vector<Scalar> reference_value;  // B x K: f(r_k) (weights frozen at x)
    std::vector<Scalar> delta;            // B x K: sum C - (f(x) - f(r_k))
    std::vector<Scalar> n_contrib;        // B x L: contribution of N rows of x (0 elsewhere)
    std::vector<Scalar> multipliers;      // B x K x L x 4 when kept
    std::vector<char> degenerate;         // B (DeepSHAP): every shuffle equalled the example
    Index warnings = 0;                   // pairs above the convergence threshold
    double max_relative_delta = 0;        // max |delta| / max(1, |f(x)|, |f(r)|)
};

namespace detail {

/// Sizes `out` for B examples with K references each (zero-filled).
template <class Scalar>
void size_deeplift_scores(DeepLiftScores<Scalar>& out, Index B, Index K, Index L, Index C, bool multipliers) {
    out.resize(B, L, C);
    out.references = K;
    out.reference_value.assign(static_cast<std::size_t>(B * K), Scalar(0));
    out.delta.assign(static_cast<std::size_t>(B * K), Scalar(0));
    out.n_contrib.assign(static_cast<std::size_t>(B * L), Scalar(0));
    if (multipliers) out.multipliers.assign(static_cast<std::size_t>(B * K * L * C), Scalar(0));
}

/// DeepLIFT of the examples of `inputs` (already checked), written into rows offset ..
/// offset + B - 1 of `out` (sized for all examples); H is accumulated, P left to the caller.
template <class Scalar>
void deeplift_into(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, ConstTensor3<Scalar> references, Index K,
                   const Target& target, const DeepLiftOptions& options, DeepLiftScores<Scalar>& out, Index offset) {
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2;
    const Scalar weight = Scalar(1) / Scalar(K);
    RowBatch<Scalar> rb;
    for_each_chunk(
        rb, inputs, B * K, options.batch, [&](Index i) { return i / K; },
        [&](Index i, Scalar* row) { std::copy(references.slice(i), references.slice(i) + L * C, row); },
        [&](Index first, Index count, RowBatch<Scalar>& batch) {
            batch.forward_and_seed(model, target, true, true);
            Tensor3<Scalar> m = batch.gradient_buffer();
            model.deeplift_backward(batch.partner(), &m);
            for (Index j = 0; j < count; ++j) {
                const Index pair = first + j, b = pair / K, r = batch.rows() - count + j, q = batch.partner(r);
                const std::size_t ob = static_cast<std::size_t>(offset + b), op = static_cast<std::size_t>(offset * K + pair);
                const Scalar* mr = m.slice(r);
                const Scalar* ref = references.slice(pair);
                const Scalar* xb = x.slice(b);
                Scalar sum = 0;
                for (Index e = 0; e < L * C; ++e) sum += mr[e] * (xb[e] - ref[e]);
                const Scalar fx = batch.value(q), fr = batch.value(r);
                const Scalar d = sum - (fx - fr);
                out.value[ob] = fx;
                out.reference_value[op] = fr;
                out.delta[op] = d;
                const double rel = std::fabs(relative_delta(double(d), double(fx), double(fr)));
                out.max_relative_delta = std::max(out.max_relative_delta, rel);
                if (rel > options.warn_factor) ++out.warnings;
                add_hypothetical(mr, ref, xb, L, C, weight, out.H().slice(offset + b),
                                 out.n_contrib.data() + (offset + b) * L);
                if (options.keep_multipliers)
                    std::copy(mr, mr + L * C, out.multipliers.data() + static_cast<Index>(op) * L * C);
            }
        });
}

/// Rejects a model with a layer that has no DeepLIFT rule, naming it.
template <class Scalar>
void require_deeplift_rules(const nn::Model<Scalar>& model, const char* where) {
    const std::string unsupported = model.deeplift_unsupported();
    require(unsupported.empty(), where, "model", unsupported,
            "; DeepLIFT needs a rule for every layer (docs/attribution.md), use ism or integrated_gradients");
}

}  // namespace detail

/// DeepLIFT of every example against its K references: `references` has B * K rows, row
/// b * K + k the k-th reference of example b (same length and alphabet as x).
template <class Scalar>
DeepLiftScores<Scalar> deeplift(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs,
                                ConstTensor3<Scalar> references, Index K, const Target& target,
                                const DeepLiftOptions& options = DeepLiftOptions()) {
    const char* where = "attribution::deeplift";
    options.validate();
    detail::check_inputs(model, inputs, target, where);
    detail::require_deeplift_rules(model, where);
    const ConstTensor3<Scalar> x = inputs[0];
    detail::check_rows_per_example(where, "references", references, x, K);
    DeepLiftScores<Scalar> out;
    detail::size_deeplift_scores(out, x.dim0, K, x.dim1, x.dim2, options.keep_multipliers);
    detail::deeplift_into(model, inputs, references, K, target, options, out, 0);
    out.project(x);
    return out;
}

struct DeepShapOptions {
    ShuffleOptions shuffles;  // K = 20 dinucleotide shuffles, seed 0, uniform algorithm
    DeepLiftOptions deeplift;
    /// Global index of inputs' first example: shuffle k of example b is drawn from (seed,
    /// first_example + b, k), so explaining a data set in pieces gives the same references.
    Index first_example = 0;
    void validate() const {
        shuffles.validate();
        deeplift.validate();
        require(first_example >= 0, "DeepShapOptions", "first_example", first_example, "must be >= 0");
    }
};

/// DeepSHAP: DeepLIFT of every example against K dinucleotide shuffles of itself (shuffle.hpp),
/// averaged. Examples whose shuffles all equal the example (a unique Eulerian path) are
/// flagged in `degenerate`; their scores are 0, not an error. Memory for the references
/// is bounded (a group of examples at a time), so a large B needs no chunking by the caller.
template <class Scalar>
DeepLiftScores<Scalar> deep_shap(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, const Target& target,
                                 const DeepShapOptions& options = DeepShapOptions()) {
    const char* where = "attribution::deep_shap";
    options.validate();
    detail::check_inputs(model, inputs, target, where);
    detail::require_deeplift_rules(model, where);
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2, K = options.shuffles.count;
    DeepLiftScores<Scalar> out;
    detail::size_deeplift_scores(out, B, K, L, C, options.deeplift.keep_multipliers);
    out.degenerate.assign(static_cast<std::size_t>(B), 0);
    // The references are drawn a group of examples at a time (about 4 chunks of pairs), so
    // memory stays bounded whatever B and K are; each example's shuffles depend only on
    // its global index, and its scores only on it and its references.
    const Index group = std::max<Index>(1, 4 * options.deeplift.batch / K);
    std::vector<Scalar> refs(static_cast<std::size_t>(std::min(group, B) * K * L * C));
    std::unique_ptr<bool[]> flags(new bool[static_cast<std::size_t>(std::min(group, B))]());
    Inputs<Scalar> part(inputs.size());
    for (Index g0 = 0; g0 < B; g0 += group) {
        const Index n = std::min(group, B - g0);
        for (std::size_t k = 0; k < inputs.size(); ++k)
            part[k] = ConstTensor3<Scalar>(inputs[k].slice(g0), n, inputs[k].dim1, inputs[k].dim2);
        const Tensor3<Scalar> r(refs.data(), n * K, L, C);
        dinucleotide_shuffles(part[0], r, options.shuffles, options.first_example + g0, flags.get());
        detail::deeplift_into(model, part, ConstTensor3<Scalar>(r), K, target, options.deeplift, out, g0);
        for (Index b = 0; b < n; ++b) out.degenerate[static_cast<std::size_t>(g0 + b)] = flags[static_cast<std::size_t>(b)];
    }
    out.project(x);
    // Every reference of a flagged example is the example itself: all contributions are
    // 0, and so are its scores (H would otherwise hold the gradient fallback's g - g_obs).
    for (Index b = 0; b < B; ++b) {
        if (!out.degenerate[static_cast<std::size_t>(b)]) continue;
        std::fill(out.H().slice(b), out.H().slice(b) + L * C, Scalar(0));
        std::fill(out.P().slice(b), out.P().slice(b) + L * C, Scalar(0));
        std::fill(out.n_contrib.begin() + b * L, out.n_contrib.begin() + (b + 1) * L, Scalar(0));
    }
    return out;
}

}  // namespace attrprior::attribution
