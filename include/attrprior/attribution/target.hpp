// What an attribution explains: one scalar f per example, read out of the model's outputs
// (docs/attribution.md, "Targets").
//
// Every target here is a LINEAR readout of the outputs once its weights are fixed:
//   logits   f = sum of the logits of the chosen task(s)                (binary models)
//   counts   f = sum of the predicted log counts of the chosen task(s)  (output 1)
//   profile  f = sum_{o,k} W[o,k] (z[o,k] - mean_o z[.,k]) = sum (W - mean_o W) z, with
//            W = softmax (or log-softmax) over positions of the profile logits (output 0)
//            at the EXPLAINED example, held fixed (a stop-gradient)
// so f(x') = <S, outputs(x')> with a seed S computed once at the explained example x and
// reused for every evaluation made on its behalf (references, interpolation points,
// mutants). That makes DeepLIFT sum exactly to f(x) - f(r), and ISM, integrated gradients
// and DeepLIFT explain the same function. seed(model) writes S of every row of the latest
// forward into the output gradients, which is also the interface of the training step's
// attribution target (train/concepts.hpp), so the same Target drives training.
//
// One option is not linear: bpnet_lite, bpnet-lite's profile wrapper. With u the selected
// profile logits flattened over (task, strand, position) and centred by their single mean,
// f = sum_j u_j softmax(u)_j, nothing frozen. Gradient methods use its true gradient at
// every evaluated point; DeepLIFT treats u -> u * softmax(u) as elementwise (rescale per
// coordinate, the true Jacobian where |Δu| < 1e-9), which is additive only approximately
// (docs/attribution.md, "Targets").
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/train/profile.hpp"

namespace attrprior::attribution {

using train::ProfileWeighting;

struct Target {
    enum class Kind { logits, profile, counts, bpnet_lite };
    Kind kind = Kind::logits;
    /// The task to explain, or -1 for the sum over all tasks.
    Index task = -1;
    /// Output channels per task: 1 for binary logits; the strands (1 or 2) for profile
    /// models, whose channels are task-major (task t owns t * strands .. t * strands +
    /// strands - 1).
    Index strands = 1;
    /// profile only: the frozen weights are probabilities (default, chrombpnet's
    /// convention) or log-probabilities (what the paper's authors' explanation code uses).
    ProfileWeighting weighting = ProfileWeighting::probabilities;

    /// f = the sum of the logits (task -1) or the logit of one task (output 0).
    static Target logits(Index task = -1) { return Target{Kind::logits, task, 1, ProfileWeighting::probabilities}; }
    /// The profile head (output 0) with weights frozen at the explained example.
    static Target profile(Index strands = 2, Index task = -1,
                          ProfileWeighting weighting = ProfileWeighting::probabilities) {
        return Target{Kind::profile, task, strands, weighting};
    }
    /// The counts head (output 1): the sum of the predicted log counts.
    static Target counts(Index strands = 2, Index task = -1) {
        return Target{Kind::counts, task, strands, ProfileWeighting::probabilities};
    }

    /// bpnet-lite's profile target (not frozen; see the header comment): output 0.
    static Target bpnet_lite(Index strands = 2, Index task = -1) {
        return Target{Kind::bpnet_lite, task, strands, ProfileWeighting::probabilities};
    }

    /// True for the targets that are linear readouts once their seed is fixed at x.
    bool linear() const { return kind != Kind::bpnet_lite; }

    /// The model output the target reads.
    std::size_t output() const { return kind == Kind::counts ? 1 : 0; }

    std::string describe() const {
        const char* k = kind == Kind::logits    ? "logits"
                        : kind == Kind::profile   ? "profile"
                        : kind == Kind::counts    ? "counts"
                                                  : "bpnet_lite";
        return task < 0 ? std::string(k) : detail::concat(k, " of task ", task);
    }

    /// Checks the target against a model's outputs (names the option and the value).
    template <class Scalar>
    void validate(const nn::Model<Scalar>& model) const {
        const char* where = "attribution::Target";
        require(strands >= 1, where, "strands", strands, "must be >= 1");
        require(model.outputs().size() > output(), where, "target", describe(), "reads output ", output(),
                " but the model has ", model.outputs().size(), " output(s)");
        const nn::Shape s = model.output_shape_of(output());
        require(s.channels % strands == 0, where, "strands", strands, "does not divide the ", s.channels,
                " channels of output ", output());
        const Index tasks = s.channels / strands;
        require(task >= -1 && task < tasks, where, "task", task, "must be -1 (all) or in [0, ", tasks, ")");
        const bool over_positions = kind == Kind::profile || kind == Kind::bpnet_lite;
        require(over_positions || s.length == 1, where, "target", describe(),
                "needs an output of length 1; output ", output(), " has ", nn::to_string(s));
        // A softmax over one position is 1 whatever the logits: the target would be 0.
        require(!over_positions || s.length >= 2, where, "target", describe(),
                "needs a profile output (length >= 2); output ", output(), " has ", nn::to_string(s),
                " (a binary model's logits: use Target::logits)");
    }

    /// Writes the seed S = df/d(outputs) of every row of the latest forward into the model's
    /// output gradients (other outputs: zero). The training step calls this too.
    template <class Scalar>
    void seed(nn::Model<Scalar>& model) const {
        validate(model);
        for (std::size_t k = 0; k < model.outputs().size(); ++k) model.output_gradient(k).rows().setZero();
        const auto z = model.output(output());
        auto g = model.output_gradient(output());
        const Index K = z.dim2, O = z.dim1;
        const Index first = task < 0 ? 0 : task * strands, last = task < 0 ? K : first + strands;
        for (Index b = 0; b < z.dim0; ++b) {
            if (kind == Kind::bpnet_lite) {
                bpnet_lite_gradient(z.slice(b), O, K, g.slice(b));
                continue;
            }
            for (Index k = first; k < last; ++k) {
                if (kind == Kind::profile) {
                    train::profile_target_seed(z.slice(b), O, K, k, weighting, g.slice(b));
                } else {
                    g(b, 0, k) = Scalar(1);
                }
            }
        }
    }

    // ---- the bpnet_lite target (O positions x K channels of output 0, one example) ----
    /// Selected channels [first, last).
    std::pair<Index, Index> channel_range(Index K) const {
        return task < 0 ? std::pair<Index, Index>(0, K) : std::pair<Index, Index>(task * strands, (task + 1) * strands);
    }
    /// f(z) = sum_j u_j softmax(u)_j, u = selected z minus their mean.
    template <class Scalar>
    Scalar bpnet_lite_value(const Scalar* z, Index O, Index K) const {
        Scalar mean, max, total;
        bpnet_lite_moments(z, O, K, mean, max, total);
        const auto [first, last] = channel_range(K);
        Scalar f = 0;
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) {
                const Scalar u = z[o * K + k] - mean;
                f += u * std::exp(u - max) / total;
            }
        return f;
    }
    /// g = df/dz: df/du_j = p_j + p_j (u_j - sum_i u_i p_i), then the centring's transpose.
    template <class Scalar>
    void bpnet_lite_gradient(const Scalar* z, Index O, Index K, Scalar* g) const {
        Scalar mean, max, total;
        bpnet_lite_moments(z, O, K, mean, max, total);
        const auto [first, last] = channel_range(K);
        const Scalar expected_u = bpnet_lite_value(z, O, K);  // sum_i u_i p_i = f
        Scalar gmean = 0;
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) {
                const Scalar u = z[o * K + k] - mean, p = std::exp(u - max) / total;
                g[o * K + k] = p + p * (u - expected_u);
                gmean += g[o * K + k];
            }
        gmean /= Scalar(O * (last - first));
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) g[o * K + k] -= gmean;
    }
    /// DeepLIFT seed of a reference with outputs zr for the example with outputs zx: per
    /// coordinate m_j = Δy_j / Δu_j (y = u * softmax(u)) where |Δu_j| >= epsilon, else the
    /// true gradient at x; then the centring's transpose.
    template <class Scalar>
    void bpnet_lite_deeplift_seed(const Scalar* zx, const Scalar* zr, Index O, Index K, Scalar* g) const {
        Scalar mx, maxx, tx, mr, maxr, tr;
        bpnet_lite_moments(zx, O, K, mx, maxx, tx);
        bpnet_lite_moments(zr, O, K, mr, maxr, tr);
        const auto [first, last] = channel_range(K);
        const Scalar expected_u = bpnet_lite_value(zx, O, K);  // for the fallback df/du at x
        Scalar mmean = 0;
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) {
                const Scalar ux = zx[o * K + k] - mx, ur = zr[o * K + k] - mr;
                const Scalar px = std::exp(ux - maxx) / tx, pr = std::exp(ur - maxr) / tr;
                const Scalar du = ux - ur;
                const Scalar m = std::abs(du) >= Scalar(bpnet_lite_epsilon) ? (ux * px - ur * pr) / du
                                                                           : px + px * (ux - expected_u);
                g[o * K + k] = m;
                mmean += m;
            }
        mmean /= Scalar(O * (last - first));
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) g[o * K + k] -= mmean;
    }
    /// |Δu| below which the bpnet_lite rule takes the true gradient (1e-9: at bpnet-lite's
    /// 1e-6 the rule's error is about 4e-7 of f, at 1e-9 rounding level).
    static constexpr double bpnet_lite_epsilon = 1e-9;

private:
    template <class Scalar>
    void bpnet_lite_moments(const Scalar* z, Index O, Index K, Scalar& mean, Scalar& max, Scalar& total) const {
        const auto [first, last] = channel_range(K);
        mean = 0;
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) mean += z[o * K + k];
        mean /= Scalar(O * (last - first));
        max = -std::numeric_limits<Scalar>::infinity();
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) max = std::max(max, z[o * K + k] - mean);
        total = 0;
        for (Index o = 0; o < O; ++o)
            for (Index k = first; k < last; ++k) total += std::exp(z[o * K + k] - mean - max);
    }
};

}  // namespace attrprior::attribution
