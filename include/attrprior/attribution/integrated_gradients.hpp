// Integrated gradients and expected gradients (docs/attribution.md, "Integrated and
// expected gradients").
//
// IG with baseline x': IG = (x - x') * gbar, gbar = sum_k w_k grad f(x' + a_k (x - x')),
// with the weights of the target frozen at x. Default: the 50-point Gauss-Legendre rule on
// [0, 1] (a_k = (1 + xi_k) / 2, w_k = omega_k / 2), the default of captum; the Riemann
// rules are offered as captum defines them. Completeness, sum IG = f(x) - f(x'), holds
// only in the limit of many points (ReLU kinks make the integrand piecewise smooth); the
// remainder delta is returned. Hypothetical scores: H = gbar - <gbar, x'> per position,
// P = H * x. With K baselines per example, IG, H and gbar are averaged over them.
//
// EG (Erion et al. 2019): (1/S) sum_s (x - r_s) * grad f(r_s + a_s (x - r_s)), with r_s drawn
// from the example's background set and a_s ~ U(0, 1), both from a generator seeded by
// (seed, example, sample), so the draws do not depend on batching; they are returned.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "attrprior/attribution/rows.hpp"
#include "attrprior/attribution/scores.hpp"
#include "attrprior/attribution/target.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::attribution {

enum class Quadrature { gauss_legendre, riemann_left, riemann_right, riemann_middle, riemann_trapezoid };

/// Points a_k in [0, 1] and weights w_k of an n-point rule (captum's definitions).
inline void quadrature(Quadrature rule, Index n, std::vector<double>& alpha, std::vector<double>& weight) {
    require(n >= 1, "attribution::quadrature", "steps", n, "must be >= 1");
    // As captum: the Riemann rules need n > 1, and the trapezoid rule's weights (1/n halved
    // at both ends) sum to 1 - 1/n, not 1.
    require(rule == Quadrature::gauss_legendre || n > 1, "attribution::quadrature", "steps", n,
            "must be > 1 for a Riemann rule");
    alpha.assign(static_cast<std::size_t>(n), 0.0);
    weight.assign(static_cast<std::size_t>(n), 1.0 / double(n));
    const double pi = 3.14159265358979323846;
    for (Index k = 0; k < n; ++k) {
        const std::size_t i = static_cast<std::size_t>(k);
        switch (rule) {
            case Quadrature::riemann_left: alpha[i] = double(k) / double(n); break;
            case Quadrature::riemann_right: alpha[i] = double(k + 1) / double(n); break;
            case Quadrature::riemann_middle: alpha[i] = (double(k) + 0.5) / double(n); break;
            case Quadrature::riemann_trapezoid:
                alpha[i] = double(k) / double(n - 1);
                if (k == 0 || k == n - 1) weight[i] = 0.5 / double(n);
                break;
            case Quadrature::gauss_legendre: {
                // Newton's method on the Legendre polynomial P_n from the classic cosine
                // guess; P_n and P_n' by the three-term recurrence.
                double z = std::cos(pi * (double(k) + 0.75) / (double(n) + 0.5)), dp = 1;
                for (int it = 0; it < 100; ++it) {
                    double p1 = 1, p2 = 0;
                    for (Index j = 1; j <= n; ++j) {
                        const double p3 = p2;
                        p2 = p1;
                        p1 = ((2.0 * double(j) - 1) * z * p2 - (double(j) - 1) * p3) / double(j);
                    }
                    dp = double(n) * (z * p1 - p2) / (z * z - 1);
                    const double previous = z;
                    z = previous - p1 / dp;
                    if (std::abs(z - previous) < 1e-15) break;
                }
                // The n nodes come in decreasing z; a = (1 + xi) / 2 with xi = -z lists them
                // in increasing a (the nodes are symmetric). Weight omega / 2.
                alpha[i] = (1 - z) / 2;
                weight[i] = 1.0 / ((1 - z * z) * dp * dp);
                break;
            }
        }
    }
}

struct IntegratedGradientsOptions {
    Index steps = 50;
    Quadrature rule = Quadrature::gauss_legendre;
    Index batch = 64;  // interpolation points per pass
    void validate() const {
        require(steps >= 1, "IntegratedGradientsOptions", "steps", steps, "must be >= 1");
        require(batch >= 1, "IntegratedGradientsOptions", "batch", batch, "must be >= 1");
    }
};

template <class Scalar>
struct IntegratedGradientsScores : Scores<Scalar> {
    Index baselines = 0;                  // K
    std::vector<Scalar> attribution;      // B x L x 4: (x - x') * gbar, averaged over baselines
    std::vector<Scalar> mean_gradient;    // B x L x 4: gbar, averaged over baselines
    std::vector<Scalar> baseline_value;   // B x K: f(x')
    std::vector<Scalar> delta;            // B x K: sum IG - (f(x) - f(x'))
    ConstTensor3<Scalar> IG() const { return {attribution.data(), this->examples, this->length, this->channels}; }
};

/// IG against K baselines per example (row b * K + k of `baselines`).
template <class Scalar>
IntegratedGradientsScores<Scalar> integrated_gradients(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs,
                                                       ConstTensor3<Scalar> baselines, Index K, const Target& target,
                                                       const IntegratedGradientsOptions& options =
                                                           IntegratedGradientsOptions()) {
    const char* where = "attribution::integrated_gradients";
    options.validate();
    detail::check_inputs(model, inputs, target, where);
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2, n = options.steps;
    detail::check_rows_per_example(where, "baselines", baselines, x, K);
    std::vector<double> alpha, weight;
    quadrature(options.rule, n, alpha, weight);

    IntegratedGradientsScores<Scalar> out;
    out.resize(B, L, C);
    out.baselines = K;
    out.attribution.assign(static_cast<std::size_t>(B * L * C), Scalar(0));
    out.mean_gradient.assign(static_cast<std::size_t>(B * L * C), Scalar(0));
    out.baseline_value.assign(static_cast<std::size_t>(B * K), Scalar(0));
    out.delta.assign(static_cast<std::size_t>(B * K), Scalar(0));
    std::vector<Scalar> ig_sum(static_cast<std::size_t>(B * K), Scalar(0));
    const Index per_pair = n + 1;  // point 0: the baseline itself (for f(x')), then the n nodes
    const Scalar inv_k = Scalar(1) / Scalar(K);
    detail::RowBatch<Scalar> rb;
    detail::for_each_chunk(
        rb, inputs, B * K * per_pair, options.batch, [&](Index i) { return i / (K * per_pair); },
        [&](Index i, Scalar* row) {
            const Index pair = i / per_pair, s = i % per_pair, b = pair / K;
            const Scalar a = s == 0 ? Scalar(0) : Scalar(alpha[static_cast<std::size_t>(s - 1)]);
            const Scalar* base = baselines.slice(pair);
            const Scalar* xb = x.slice(b);
            for (Index e = 0; e < L * C; ++e) row[e] = base[e] + a * (xb[e] - base[e]);
        },
        [&](Index first, Index count, detail::RowBatch<Scalar>& batch) {
            batch.forward_and_seed(model, target, true);
            Tensor3<Scalar> g = batch.gradient_buffer();
            model.backward(nn::Model<Scalar>::Pass::attribution, &g);
            for (Index j = 0; j < count; ++j) {
                const Index i = first + j, pair = i / per_pair, s = i % per_pair, b = pair / K;
                const Index r = batch.rows() - count + j;
                out.value[static_cast<std::size_t>(b)] = batch.value(batch.partner(r));
                if (s == 0) {
                    out.baseline_value[static_cast<std::size_t>(pair)] = batch.value(r);
                    continue;
                }
                const Scalar w = Scalar(weight[static_cast<std::size_t>(s - 1)]);
                const Scalar* gr = g.slice(r);
                const Scalar* base = baselines.slice(pair);
                const Scalar* xb = x.slice(b);
                Scalar* ig = out.attribution.data() + b * L * C;
                Scalar* gbar = out.mean_gradient.data() + b * L * C;
                Scalar sum = 0;
                for (Index e = 0; e < L * C; ++e) {
                    const Scalar term = w * gr[e] * (xb[e] - base[e]);
                    ig[e] += inv_k * term;
                    gbar[e] += inv_k * w * gr[e];
                    sum += term;
                }
                ig_sum[static_cast<std::size_t>(pair)] += sum;
                detail::add_hypothetical(gr, base, xb, L, C, inv_k * w, out.H().slice(b));
            }
        });
    for (Index p = 0; p < B * K; ++p) {
        const std::size_t i = static_cast<std::size_t>(p);
        out.delta[i] = ig_sum[i] - (out.value[static_cast<std::size_t>(p / K)] - out.baseline_value[i]);
    }
    out.project(x);
    return out;
}

/// IG against the all-zero baseline (the default).
template <class Scalar>
IntegratedGradientsScores<Scalar> integrated_gradients(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs,
                                                       const Target& target,
                                                       const IntegratedGradientsOptions& options =
                                                           IntegratedGradientsOptions()) {
    require(!inputs.empty(), "attribution::integrated_gradients", "inputs", 0, "must hold the sequence");
    std::vector<Scalar> zeros(static_cast<std::size_t>(inputs[0].size()), Scalar(0));
    return integrated_gradients(model, inputs, ConstTensor3<Scalar>(zeros.data(), inputs[0].dim0, inputs[0].dim1,
                                                                    inputs[0].dim2),
                                1, target, options);
}

struct ExpectedGradientsOptions {
    Index samples = 32;  // S per example (1 is what training with EG as the prior uses)
    std::uint64_t seed = 0;
    Index batch = 64;
    /// Global index of inputs' first example: sample s of example b is drawn from (seed,
    /// first_example + b, s), so explaining a data set in pieces gives the same draws.
    Index first_example = 0;
    /// Optional given draws (B x S each, both or neither), e.g. to reproduce another
    /// implementation's samples; empty: drawn from (seed, example, sample).
    std::vector<Index> given_reference_index;
    std::vector<double> given_alpha;
    void validate() const {
        require(samples >= 1, "ExpectedGradientsOptions", "samples", samples, "must be >= 1");
        require(given_reference_index.size() == given_alpha.size(), "ExpectedGradientsOptions",
                "given_reference_index size", given_reference_index.size(), "must equal given_alpha's ",
                given_alpha.size());
        require(batch >= 1, "ExpectedGradientsOptions", "batch", batch, "must be >= 1");
        require(first_example >= 0, "ExpectedGradientsOptions", "first_example", first_example, "must be >= 0");
    }
};

template <class Scalar>
struct ExpectedGradientsScores : Scores<Scalar> {
    Index samples = 0;
    std::vector<Scalar> attribution;     // B x L x 4: (1/S) sum_s (x - r_s) * g_s
    std::vector<Index> reference_index;  // B x S: which background row (0 .. K-1) sample s used
    std::vector<double> alpha;           // B x S
    ConstTensor3<Scalar> EG() const { return {attribution.data(), this->examples, this->length, this->channels}; }
};

namespace detail {
/// The (reference, alpha) draw of sample s of example b: a generator seeded by (seed, b, s).
inline void expected_gradients_draw(std::uint64_t seed, Index b, Index s, Index K, Index& index, double& alpha) {
    std::mt19937_64 rng(counter_key(seed, static_cast<std::uint64_t>(b), static_cast<std::uint64_t>(s)));
    index = uniform_below(rng, K);
    alpha = uniform01(rng);
}
}  // namespace detail

/// EG against a background of K rows per example (row b * K + k of `background`, e.g.
/// dinucleotide shuffles of example b). Hypothetical scores as IG's: mean over samples of
/// g_s - <g_s, r_s> per position.
template <class Scalar>
ExpectedGradientsScores<Scalar> expected_gradients(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs,
                                                   ConstTensor3<Scalar> background, Index K, const Target& target,
                                                   const ExpectedGradientsOptions& options =
                                                       ExpectedGradientsOptions()) {
    const char* where = "attribution::expected_gradients";
    options.validate();
    detail::check_inputs(model, inputs, target, where);
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2, S = options.samples;
    detail::check_rows_per_example(where, "background", background, x, K);
    ExpectedGradientsScores<Scalar> out;
    out.resize(B, L, C);
    out.samples = S;
    out.attribution.assign(static_cast<std::size_t>(B * L * C), Scalar(0));
    out.reference_index.assign(static_cast<std::size_t>(B * S), 0);
    out.alpha.assign(static_cast<std::size_t>(B * S), 0.0);
    if (!options.given_alpha.empty()) {
        require(static_cast<Index>(options.given_alpha.size()) == B * S, where, "given draws",
                options.given_alpha.size(), "must be B x S = ", B * S);
        for (std::size_t i = 0; i < options.given_alpha.size(); ++i) {
            require(options.given_reference_index[i] >= 0 && options.given_reference_index[i] < K, where,
                    "given_reference_index", options.given_reference_index[i], "must be in [0, ", K, ")");
            require(options.given_alpha[i] >= 0 && options.given_alpha[i] <= 1, where, "given_alpha",
                    options.given_alpha[i], "must be in [0, 1]");
        }
        out.reference_index = options.given_reference_index;
        out.alpha = options.given_alpha;
    } else {
        for (Index b = 0; b < B; ++b)
            for (Index s = 0; s < S; ++s) {
                const std::size_t i = static_cast<std::size_t>(b * S + s);
                detail::expected_gradients_draw(options.seed, options.first_example + b, s, K,
                                                out.reference_index[i], out.alpha[i]);
            }
    }
    const Scalar inv_s = Scalar(1) / Scalar(S);
    detail::RowBatch<Scalar> rb;
    detail::for_each_chunk(
        rb, inputs, B * S, options.batch, [&](Index i) { return i / S; },
        [&](Index i, Scalar* row) {
            const Index b = i / S;
            const Scalar a = Scalar(out.alpha[static_cast<std::size_t>(i)]);
            const Scalar* r = background.slice(b * K + out.reference_index[static_cast<std::size_t>(i)]);
            const Scalar* xb = x.slice(b);
            for (Index e = 0; e < L * C; ++e) row[e] = r[e] + a * (xb[e] - r[e]);
        },
        [&](Index first, Index count, detail::RowBatch<Scalar>& batch) {
            batch.forward_and_seed(model, target, true);
            Tensor3<Scalar> g = batch.gradient_buffer();
            model.backward(nn::Model<Scalar>::Pass::attribution, &g);
            for (Index j = 0; j < count; ++j) {
                const Index i = first + j, b = i / S, row = batch.rows() - count + j;
                out.value[static_cast<std::size_t>(b)] = batch.value(batch.partner(row));
                const Scalar* gr = g.slice(row);
                const Scalar* r = background.slice(b * K + out.reference_index[static_cast<std::size_t>(i)]);
                const Scalar* xb = x.slice(b);
                Scalar* eg = out.attribution.data() + b * L * C;
                for (Index e = 0; e < L * C; ++e) eg[e] += inv_s * gr[e] * (xb[e] - r[e]);
                detail::add_hypothetical(gr, r, xb, L, C, inv_s, out.H().slice(b));
            }
        });
    out.project(x);
    return out;
}

}  // namespace attrprior::attribution
