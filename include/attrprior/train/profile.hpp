// Profile-model training pieces: the attribution target (docs/double_backprop.md §1) and the
// two-head loss (docs/models.md §5).
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/math.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/train/losses.hpp"

namespace attrprior::train {

/// How the profile attribution target weights the mean-centred logits.
/// probabilities (default): softmax over positions, as the authors' explanation code;
/// log_probabilities: the detached log-softmax, as their training script.
enum class ProfileWeighting { probabilities, log_probabilities };

/// The seed of the profile attribution target for one example and one channel k (task x
/// strand) of the profile logits z (O positions x K channels, row-major): ds/dz[o, k] =
/// w_o - mean_o w with w the softmax (or log-softmax) over positions of z[., k]
/// (docs/double_backprop.md §1). Writes g[o * K + k] for o < O.
template <class Scalar>
void profile_target_seed(const Scalar* z, Index O, Index K, Index k, ProfileWeighting weighting, Scalar* g) {
    const Scalar* zk = z + k;  // channel k: O values, stride K
    Scalar* gk = g + k;
    const Scalar log_total = softmax_normalizer<Scalar>(zk, O, K).log_sum_exp();
    Scalar mean = 0;
    for (Index o = 0; o < O; ++o) {
        const Scalar log_p = zk[o * K] - log_total;
        gk[o * K] = weighting == ProfileWeighting::probabilities ? std::exp(log_p) : log_p;
        mean += gk[o * K];
    }
    mean /= Scalar(O);
    for (Index o = 0; o < O; ++o) gk[o * K] -= mean;
}

/// s = sum over tasks, strands and positions of (z - mean_o z) * stop_grad(w), w the
/// softmax (or log-softmax) over positions of the profile logits z (output 0). Then
/// ds/dz = w - mean_o w; the counts head (output 1) gets no seed.
///
/// Stop-gradient means w is a constant of the objective: the step's gradient does not
/// include w's dependence on the parameters. To check that gradient against finite
/// differences, the weights of one evaluation can be recorded (record = true) and then
/// replayed (replay = true) while the parameters are perturbed.
struct ProfileTarget {
    ProfileWeighting weighting = ProfileWeighting::probabilities;
    bool record = false;
    bool replay = false;
    std::vector<double> recorded;  // the seeds ds/dz of the recorded evaluation

    template <class Scalar>
    void seed(nn::Model<Scalar>& model) {
        const auto z = model.output(0);
        auto g = model.output_gradient(0);
        const Index O = z.dim1, K = z.dim2;
        for (std::size_t k = 1; k < model.outputs().size(); ++k) model.output_gradient(k).rows().setZero();
        if (replay) {
            require(static_cast<Index>(recorded.size()) == g.size(), "ProfileTarget", "recorded seeds",
                    recorded.size(), "do not match the output size ", g.size());
            for (Index i = 0; i < g.size(); ++i) g.data[i] = static_cast<Scalar>(recorded[static_cast<std::size_t>(i)]);
            return;
        }
        for (Index b = 0; b < z.dim0; ++b)
            for (Index k = 0; k < K; ++k) profile_target_seed(z.slice(b), O, K, k, weighting, g.slice(b));
        if (record) recorded.assign(g.data, g.data + g.size());
    }
};

/// Multinomial NLL of each profile (softmax over positions, trials = observed total) +
/// counts_weight * MSE between the predicted log counts (output 1) and log(1 + observed
/// total), both averaged over tasks x strands and then the batch (docs/models.md §5).
template <class Scalar>
class ProfileLoss {
public:
    explicit ProfileLoss(double counts_weight = 20.0) : counts_weight_(counts_weight) {
        require(std::isfinite(counts_weight) && counts_weight >= 0, "ProfileLoss", "counts_weight", counts_weight,
                "must be finite and >= 0");
    }
    /// observed: B x O x (T*S) read counts over the output window.
    Scalar value_and_gradient(nn::Model<Scalar>& model, ConstTensor3<Scalar> observed) {
        require(model.outputs().size() == 2, "ProfileLoss", "model outputs", model.outputs().size(),
                "must be 2 (profile logits, log counts)");
        const Scalar nll = nll_.value_and_gradient(model.output(0), observed, model.output_gradient(0));
        const Index B = observed.dim0, O = observed.dim1, K = observed.dim2;
        target_.resize(static_cast<std::size_t>(B * K));
        for (Index b = 0; b < B; ++b)
            for (Index k = 0; k < K; ++k) {
                Scalar total = 0;
                for (Index o = 0; o < O; ++o) total += observed(b, o, k);
                target_[static_cast<std::size_t>(b * K + k)] = std::log1p(total);
            }
        auto g1 = model.output_gradient(1);
        const Scalar mse = mse_.value_and_gradient(model.output(1), {target_.data(), B, 1, K}, g1);
        g1.rows() *= Scalar(counts_weight_);
        return nll + Scalar(counts_weight_) * mse;
    }

private:
    double counts_weight_;
    MultinomialNLL<Scalar> nll_;
    MeanSquaredError<Scalar> mse_;
    std::vector<Scalar> target_;
};

}  // namespace attrprior::train
