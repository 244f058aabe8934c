// One training step with an attribution prior: the double backprop of docs/double_backprop.md.
//
//   1. forward (caching), 2. attribution backward g_0 = ds/dx (input gradients only),
//   3. A = g_0 * x, P(A) and u_0 = lambda * dP/dA * x, 4. tangent pass (J g-bar, theta-bar,
//   h-bar) on the rows the prior sees (every row when a layer couples rows),
//   5. task backward with h-bar injected.
// The prior and the loss are template parameters: any class with the value_and_gradient
// member of priors/prior.hpp or train/losses.hpp works.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/priors/prior.hpp"
#include "attrprior/train/batch.hpp"
#include "attrprior/train/concepts.hpp"

namespace attrprior::train {

/// What one step computed. total = task_loss + lambda * prior.
template <class Scalar>
struct StepResult {
    Scalar task_loss = 0;
    Scalar prior = 0;
    Scalar total = 0;
    Index prior_rows = 0;  // rows with status 1 (the rows the prior sees)
};

/// status[b] = 1 when example b has label 1 for some task (a positive), else 0. The prior
/// only looks at positives (docs/math.md §3).
template <class Scalar>
Eigen::VectorXi status_from_labels(ConstTensor3<Scalar> labels) {
    Eigen::VectorXi status = Eigen::VectorXi::Zero(labels.dim0);
    for (Index b = 0; b < labels.dim0; ++b) {
        const Scalar* y = labels.slice(b);
        for (Index k = 0; k < labels.dim1 * labels.dim2; ++k)
            if (y[k] == Scalar(1)) status[b] = 1;
    }
    return status;
}

/// Throws numeric_error naming the first non-finite element of x.
template <class Scalar>
void require_finite(ConstTensor3<Scalar> x, const char* where, const char* name) {
    require_all_finite(where, name, x);
}

/// The attribution target s = sum of all outputs (binary models): ds/dlogits = 1.
struct SumOfOutputs {
    template <class Scalar>
    void seed(nn::Model<Scalar>& model) const {
        for (std::size_t k = 0; k < model.outputs().size(); ++k) model.output_gradient(k).rows().setOnes();
    }
};

namespace detail {
/// True when Target says whether its seed is a constant of the objective (linear()).
template <class Target, class = void>
struct has_linear : std::false_type {};
template <class Target>
struct has_linear<Target, std::void_t<decltype(bool(std::declval<const Target&>().linear()))>> : std::true_type {};
}  // namespace detail

/// Runs steps of a model with a prior; owns the step's workspaces (sized at first use,
/// reused: no allocation in steady state).
template <class Scalar, class Target = SumOfOutputs>
class DoubleBackprop {
public:
    static_assert(check_attribution_target<Target, Scalar>());

    using Tensor = Tensor3<Scalar>;
    using ConstTensor = ConstTensor3<Scalar>;

    explicit DoubleBackprop(Scalar lambda = 1, Target target = Target()) : lambda_(lambda), target_(target) {
        require(std::isfinite(double(lambda)) && lambda >= 0, "DoubleBackprop", "lambda", lambda,
                "must be finite and >= 0");
        // The step treats the target's seed as a constant (a stop-gradient); a target whose
        // seed depends on the outputs (attribution::Target::bpnet_lite) would silently lose
        // second-order terms.
        if constexpr (detail::has_linear<Target>::value)
            require(target_.linear(), "DoubleBackprop", "target", "not linear",
                    "cannot drive training: its seed depends on the outputs (use a frozen-weight target)");
    }
    Scalar lambda() const { return lambda_; }
    Target& target() { return target_; }

    /// Attribution A = (ds/dx) * x (grad x input, docs/math.md §1), B x L x C, in `mode` (eval by
    /// default: running statistics, no dropout). Runs a forward and an input-gradient pass.
    void attribution(nn::Model<Scalar>& model, ConstTensor x, Tensor out, nn::Mode mode = nn::Mode::eval) {
        require_same_shape(x, out, "DoubleBackprop::attribution", "x", "out");
        require_finite(x, "DoubleBackprop::attribution", "x");
        model.forward(x, mode);
        input_gradient_attribution(model, x, out);
    }

    /// The same for a model with auxiliary inputs (inputs[0] is the sequence).
    void attribution(nn::Model<Scalar>& model, const std::vector<ConstTensor>& inputs, Tensor out,
                     nn::Mode mode = nn::Mode::eval) {
        require(!inputs.empty(), "DoubleBackprop::attribution", "inputs", 0, "must hold at least the sequence");
        require_same_shape(inputs[0], out, "DoubleBackprop::attribution", "x", "out");
        require_finite(inputs[0], "DoubleBackprop::attribution", "x");
        model.forward(inputs, mode);
        input_gradient_attribution(model, inputs[0], out);
    }

    /// One step: fills model.gradients() with d(task + lambda * prior)/dtheta and returns
    /// the losses. `labels` is what the loss compares the outputs with; `status` selects
    /// the prior's rows (see status_from_labels).
    template <class Prior, class Loss>
    StepResult<Scalar> step(nn::Model<Scalar>& model, Prior& prior, Loss& loss, ConstTensor x,
                            ConstTensor labels, const Eigen::Ref<const Eigen::VectorXi>& status,
                            nn::Mode mode = nn::Mode::train) {
        inputs_.resize(1);  // no allocation after the first call
        inputs_[0] = x;
        return run_step(model, prior, loss, labels, status, mode);
    }

    /// The same for a model with auxiliary inputs (inputs[0] is the sequence x; the others,
    /// e.g. control tracks, are data and are not differentiated).
    template <class Prior, class Loss>
    StepResult<Scalar> step(nn::Model<Scalar>& model, Prior& prior, Loss& loss,
                            const std::vector<ConstTensor>& inputs, ConstTensor labels,
                            const Eigen::Ref<const Eigen::VectorXi>& status,
                            nn::Mode mode = nn::Mode::train) {
        require(!inputs.empty(), "DoubleBackprop::step", "inputs", 0, "must hold at least the sequence");
        inputs_.assign(inputs.begin(), inputs.end());
        return run_step(model, prior, loss, labels, status, mode);
    }

    /// The same on a Batch (train/batch.hpp): its inputs, targets and status.
    template <class Prior, class Loss>
    StepResult<Scalar> step(nn::Model<Scalar>& model, Prior& prior, Loss& loss, const Batch<Scalar>& batch,
                            nn::Mode mode = nn::Mode::train) {
        return step(model, prior, loss, batch.inputs(), batch.targets(), batch.status(), mode);
    }

private:
    template <class Prior, class Loss>
    StepResult<Scalar> run_step(nn::Model<Scalar>& model, Prior& prior, Loss& loss, ConstTensor labels,
                                const Eigen::Ref<const Eigen::VectorXi>& status, nn::Mode mode) {
        // A clear message naming the expected member instead of a page of template errors.
        static_assert(check_prior<Prior, Scalar>() && check_loss<Loss, Scalar>());
        const char* where = "DoubleBackprop::step";
        const ConstTensor x = inputs_[0];
        require(x.dim0 >= 1, where, "batch size", x.dim0, "must be >= 1");
        require(status.size() == x.dim0, where, "status.size()", status.size(),
                "must equal the batch size ", x.dim0);
        require_finite(x, where, "x");
        StepResult<Scalar> r;
        for (Index b = 0; b < status.size(); ++b) r.prior_rows += status[b] == 1;
        model.zero_gradients();
        model.forward(inputs_, mode);  // also forgets the h-bar of any earlier tangent pass
        const bool with_prior = !std::is_same_v<Prior, priors::NoPrior<Scalar>> && lambda_ > 0;
        if (with_prior) {
            prepare(x);
            const Tensor attr(attr_.data(), x.dim0, x.dim1, x.dim2);
            input_gradient_attribution(model, x, attr);
            const Tensor dpda(dpda_.data(), x.dim0, x.dim1, x.dim2);
            r.prior = prior.value_and_gradient(attr, status, dpda);
            // u_0 = lambda * dP/dA * x (A = g_0 * x, x is data)
            dpda.rows().array() *= lambda_ * x.rows().array();
            rows_.clear();
            const bool all = model.couples_rows();
            for (Index b = 0; b < x.dim0; ++b)
                if (all || status[b] == 1) rows_.push_back(b);
            if (r.prior_rows > 0 && !rows_.empty()) {
                model.tangent_pass(dpda, rows_);
            }
        }
        if constexpr (detail::is_model_loss<Loss, Scalar>::value) {
            r.task_loss = loss.value_and_gradient(model, labels);  // writes every output's gradient
        } else {
            r.task_loss = loss.value_and_gradient(model.output(0), labels, model.output_gradient(0));
            for (std::size_t k = 1; k < model.outputs().size(); ++k) model.output_gradient(k).rows().setZero();
        }
        model.backward(nn::Model<Scalar>::Pass::task);
        r.total = r.task_loss + lambda_ * r.prior;
        return r;
    }

    void prepare(const ConstTensor& x) {
        const std::size_t n = static_cast<std::size_t>(x.size());
        if (attr_.size() < n || dpda_.size() < n) {  // grow-only: a smaller batch reuses the workspace
            attr_.assign(n, Scalar(0));
            dpda_.assign(n, Scalar(0));
        }
        if (rows_.capacity() < static_cast<std::size_t>(x.dim0)) rows_.reserve(static_cast<std::size_t>(x.dim0));
    }

    /// After a forward: out = g_0 * x with g_0 from the attribution target's seed.
    void input_gradient_attribution(nn::Model<Scalar>& model, ConstTensor x, Tensor out) {
        target_.seed(model);
        model.backward(nn::Model<Scalar>::Pass::attribution, &out);
        out.rows().array() *= x.rows().array();
    }

    Scalar lambda_;
    Target target_;
    std::vector<Scalar> attr_, dpda_;
    std::vector<ConstTensor> inputs_;
    nn::Rows rows_;
};

}  // namespace attrprior::train
