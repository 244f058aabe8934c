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
#pragma once

#include <string>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/train/profile.hpp"

namespace attrprior::attribution {

using train::ProfileWeighting;

struct Target {
    enum class Kind { logits, profile, counts };
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

    /// The model output the target reads.
    std::size_t output() const { return kind == Kind::counts ? 1 : 0; }

    std::string describe() const {
        const char* k = kind == Kind::logits ? "logits" : kind == Kind::profile ? "profile" : "counts";
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
        require(kind == Kind::profile || s.length == 1, where, "target", describe(),
                "needs an output of length 1; output ", output(), " has ", nn::to_string(s));
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
            for (Index k = first; k < last; ++k) {
                if (kind == Kind::profile) {
                    train::profile_target_seed(z.slice(b), O, K, k, weighting, g.slice(b));
                } else {
                    g(b, 0, k) = Scalar(1);
                }
            }
        }
    }
};

}  // namespace attrprior::attribution
