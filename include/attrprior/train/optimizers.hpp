// First-order optimizers and gradient clipping on flat parameter vectors, with the
// semantics of torch.optim (docs/models.md §6: Adam, lr 1e-3).
//
// The optimizers see one contiguous vector of all parameters and one of their gradients
// (Eigen::Ref, so a VectorX, a Map over a parameter arena or a segment all work). State is
// sized at the first step; a later step with a different size is invalid_argument. A
// non-finite gradient is numeric_error, raised before any parameter or state changes.
// Arithmetic is done in Scalar, as PyTorch does in the parameter dtype; scalar
// coefficients (bias corrections, step sizes) are computed in double, as Python does.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "attrprior/core/error.hpp"
#include "attrprior/core/finite.hpp"
#include "attrprior/core/math.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::train {

namespace detail {

template <class T>
struct type_identity {
    using type = T;
};
/// Blocks template argument deduction, so `Scalar` is deduced from the other arguments.
template <class T>
using non_deduced_t = typename type_identity<T>::type;

/// Throws invalid_argument when params and grads differ in size, or when `expected` (the
/// size fixed at the first step, -1 before it) differs.
inline void require_step_sizes(const char* where, Index params, Index grads, Index expected) {
    if (params != grads) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": params has size ", params, " but grads has size ", grads));
    }
    if (expected >= 0 && params != expected) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": params has size ", params, " but the optimizer state has size ",
            expected, " (fixed at the first step; call reset() to start over)"));
    }
}

}  // namespace detail

/// Options of Adam (torch.optim.Adam defaults; amsgrad is not offered).
struct AdamOptions {
    double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};

/// Throws invalid_argument naming the field and its value unless lr > 0, 0 <= beta1,
/// beta2 < 1, eps >= 0 and weight_decay >= 0 (all finite).
inline void validate(const AdamOptions& o) {
    constexpr const char* where = "AdamOptions";
    require(std::isfinite(o.lr) && o.lr > 0, where, "lr", o.lr, "must be finite and > 0");
    require(o.beta1 >= 0 && o.beta1 < 1, where, "beta1", o.beta1, "must be in [0, 1)");
    require(o.beta2 >= 0 && o.beta2 < 1, where, "beta2", o.beta2, "must be in [0, 1)");
    require(std::isfinite(o.eps) && o.eps >= 0, where, "eps", o.eps, "must be finite and >= 0");
    require(std::isfinite(o.weight_decay) && o.weight_decay >= 0, where, "weight_decay",
            o.weight_decay, "must be finite and >= 0");
}

/// Adam with the exact update of torch.optim.Adam (amsgrad=False, L2 weight decay added to
/// the gradient, not decoupled as in AdamW). Per step, element-wise:
///     t += 1;  g = grad + weight_decay·param
///     m = beta1·m + (1 - beta1)·g;   v = beta2·v + (1 - beta2)·g²
///     denom = sqrt(v) / sqrt(1 - beta2^t) + eps
///     param -= (lr / (1 - beta1^t)) · m / denom
template <class Scalar>
class Adam {
public:
    using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

    explicit Adam(const AdamOptions& options = AdamOptions{}) : options_(options) {
        validate(options_);
    }

    const AdamOptions& options() const { return options_; }
    /// Replaces the options (e.g. a learning-rate schedule); the state is kept.
    void set_options(const AdamOptions& options) {
        validate(options);
        options_ = options;
    }

    void step(Eigen::Ref<Vector> params, Eigen::Ref<const Vector> grads) {
        constexpr const char* where = "Adam::step";
        detail::require_step_sizes(where, params.size(), grads.size(),
                                   steps_ > 0 ? m_.size() : Index(-1));
        require_all_finite(where, "grads", grads.data(), grads.size());
        if (steps_ == 0) {
            m_.setZero(params.size());
            v_.setZero(params.size());
        }
        ++steps_;
        const double t = static_cast<double>(steps_);
        const double bias1 = 1.0 - std::pow(options_.beta1, t);
        const double bias2 = 1.0 - std::pow(options_.beta2, t);
        const Scalar b1 = Scalar(options_.beta1), b2 = Scalar(options_.beta2);
        const Scalar one_b1 = Scalar(1.0 - options_.beta1), one_b2 = Scalar(1.0 - options_.beta2);
        const Scalar wd = Scalar(options_.weight_decay), eps = Scalar(options_.eps);
        const Scalar step_size = Scalar(options_.lr / bias1);
        const Scalar bias2_sqrt = Scalar(std::sqrt(bias2));
        const bool decay = options_.weight_decay != 0;
        Scalar* p = params.data();
        const Scalar* gr = grads.data();
        Scalar* m = m_.data();
        Scalar* v = v_.data();
        const Index n = params.size();
        for (Index i = 0; i < n; ++i) {
            const Scalar g = decay ? gr[i] + wd * p[i] : gr[i];
            m[i] = b1 * m[i] + one_b1 * g;
            v[i] = b2 * v[i] + one_b2 * (g * g);
            const Scalar denom = std::sqrt(v[i]) / bias2_sqrt + eps;
            p[i] -= step_size * (m[i] / denom);
        }
    }

    /// Forgets the state: the next step is step 1 and may have any size.
    void reset() {
        steps_ = 0;
        m_.resize(0);
        v_.resize(0);
    }

    /// Number of steps taken since construction / reset / load_state.
    std::int64_t steps() const { return steps_; }
    /// Exponential averages of the gradient (m, PyTorch's exp_avg) and of its square
    /// (v, exp_avg_sq); empty before the first step.
    const Vector& first_moment() const { return m_; }
    const Vector& second_moment() const { return v_; }

    /// Restores a saved state (steps(), first_moment(), second_moment()). steps = 0 with
    /// empty moments is the fresh state. Throws invalid_argument on inconsistent sizes,
    /// negative steps or a negative second moment; numeric_error on NaN/Inf.
    void load_state(std::int64_t steps, Eigen::Ref<const Vector> first_moment,
                    Eigen::Ref<const Vector> second_moment) {
        constexpr const char* where = "Adam::load_state";
        require(steps >= 0, where, "steps", steps, "must be >= 0");
        require(first_moment.size() == second_moment.size(), where, "first_moment.size()",
                first_moment.size(), "must equal second_moment.size() = ", second_moment.size());
        require(steps > 0 || first_moment.size() == 0, where, "first_moment.size()",
                first_moment.size(), "must be 0 when steps = 0");
        require(steps == 0 || first_moment.size() > 0, where, "first_moment.size()",
                first_moment.size(), "must be > 0 when steps = ", steps);
        require_all_finite(where, "first_moment", first_moment.data(), first_moment.size());
        require_all_finite(where, "second_moment", second_moment.data(), second_moment.size());
        for (Index i = 0; i < second_moment.size(); ++i) {
            if (second_moment[i] < Scalar(0)) {
                throw invalid_argument(attrprior::detail::concat(
                    where, ": second_moment[", i, "] = ", second_moment[i], " is negative"));
            }
        }
        steps_ = steps;
        m_ = first_moment;
        v_ = second_moment;
    }

private:
    AdamOptions options_;
    std::int64_t steps_ = 0;
    Vector m_, v_;
};

/// Options of SGD (torch.optim.SGD; lr has no PyTorch default, 1e-2 here).
struct SgdOptions {
    double lr = 1e-2, momentum = 0, dampening = 0, weight_decay = 0;
    bool nesterov = false;
};

/// Throws invalid_argument naming the field and its value unless lr > 0, momentum >= 0,
/// 0 <= dampening <= 1, weight_decay >= 0 (all finite), and, with nesterov, momentum > 0
/// and dampening = 0 (PyTorch's rule).
inline void validate(const SgdOptions& o) {
    constexpr const char* where = "SgdOptions";
    require(std::isfinite(o.lr) && o.lr > 0, where, "lr", o.lr, "must be finite and > 0");
    require(std::isfinite(o.momentum) && o.momentum >= 0, where, "momentum", o.momentum,
            "must be finite and >= 0");
    require(o.dampening >= 0 && o.dampening <= 1, where, "dampening", o.dampening,
            "must be in [0, 1]");
    require(std::isfinite(o.weight_decay) && o.weight_decay >= 0, where, "weight_decay",
            o.weight_decay, "must be finite and >= 0");
    if (o.nesterov) {
        require(o.momentum > 0, where, "momentum", o.momentum, "must be > 0 with nesterov");
        require(o.dampening == 0, where, "dampening", o.dampening, "must be 0 with nesterov");
    }
}

/// SGD with the update of torch.optim.SGD (maximize=False):
///     g = grad + weight_decay·param
///     with momentum: buf = g at the first step, else buf = momentum·buf + (1 - dampening)·g;
///                    g = nesterov ? g + momentum·buf : buf
///     param -= lr·g
template <class Scalar>
class Sgd {
public:
    using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

    explicit Sgd(const SgdOptions& options = SgdOptions{}) : options_(options) {
        validate(options_);
    }

    const SgdOptions& options() const { return options_; }
    /// Replaces the options (e.g. a learning-rate schedule); the state is kept.
    void set_options(const SgdOptions& options) {
        validate(options);
        options_ = options;
    }

    void step(Eigen::Ref<Vector> params, Eigen::Ref<const Vector> grads) {
        constexpr const char* where = "Sgd::step";
        detail::require_step_sizes(where, params.size(), grads.size(), size_);
        require_all_finite(where, "grads", grads.data(), grads.size());
        const Scalar lr = Scalar(options_.lr), wd = Scalar(options_.weight_decay);
        const Scalar mu = Scalar(options_.momentum), keep = Scalar(1.0 - options_.dampening);
        const bool decay = options_.weight_decay != 0, momentum = options_.momentum != 0;
        const bool first = momentum && buffer_.size() != params.size();
        if (first) buffer_.resize(params.size());
        Scalar* p = params.data();
        const Scalar* gr = grads.data();
        Scalar* buf = buffer_.data();
        const Index n = params.size();
        for (Index i = 0; i < n; ++i) {
            Scalar g = decay ? gr[i] + wd * p[i] : gr[i];
            if (momentum) {
                buf[i] = first ? g : mu * buf[i] + keep * g;
                g = options_.nesterov ? g + mu * buf[i] : buf[i];
            }
            p[i] -= lr * g;
        }
        size_ = n;
        ++steps_;
    }

    /// Forgets the state: the next step is a first step and may have any size.
    void reset() {
        steps_ = 0;
        size_ = -1;
        buffer_.resize(0);
    }

    std::int64_t steps() const { return steps_; }
    /// PyTorch's momentum_buffer; empty before the first step and without momentum.
    const Vector& momentum_buffer() const { return buffer_; }

    /// Restores a saved state (steps(), momentum_buffer()). An empty buffer means "none
    /// yet" (the next momentum step initialises it with g, as PyTorch does).
    void load_state(std::int64_t steps, Eigen::Ref<const Vector> momentum_buffer) {
        constexpr const char* where = "Sgd::load_state";
        require(steps >= 0, where, "steps", steps, "must be >= 0");
        require(steps > 0 || momentum_buffer.size() == 0, where, "momentum_buffer.size()",
                momentum_buffer.size(), "must be 0 when steps = 0");
        require_all_finite(where, "momentum_buffer", momentum_buffer.data(), momentum_buffer.size());
        steps_ = steps;
        buffer_ = momentum_buffer;
        // Without a buffer the size is free until the next step fixes it.
        size_ = momentum_buffer.size() > 0 ? momentum_buffer.size() : Index(-1);
    }

private:
    SgdOptions options_;
    std::int64_t steps_ = 0;
    Index size_ = -1;  // parameter count fixed by the first step; -1 = not yet
    Vector buffer_;
};

/// torch.nn.utils.clip_grad_norm_ (L2 norm, error_if_nonfinite=True): computes the L2 norm
/// of all gradients and multiplies them by min(1, max_norm / (norm + 1e-6)). As in PyTorch,
/// the scaling happens whenever that coefficient is < 1, i.e. when norm > max_norm - 1e-6.
/// Returns the norm before clipping. max_norm must be > 0 (+Inf disables clipping);
/// non-finite gradients are numeric_error. The norm is accumulated without overflow.
template <class Scalar>
Scalar clip_grad_norm(Eigen::Ref<Eigen::Matrix<detail::non_deduced_t<Scalar>, Eigen::Dynamic, 1>> grads,
                      Scalar max_norm) {
    constexpr const char* where = "clip_grad_norm";
    require(max_norm > Scalar(0), where, "max_norm", max_norm, "must be > 0");
    require_all_finite(where, "grads", grads.data(), grads.size());
    // Plain loops rather than Eigen reductions (gcc 12 + Eigen's AVX-512 reductions trip
    // -Wmaybe-uninitialized under -march=native). Squares are summed in at least double;
    // if they overflow (double gradients beyond ~1e154), the sum is redone scaled by max|g|.
    using A = Accumulator<Scalar>;
    const Scalar* g = grads.data();
    const Index n = grads.size();
    A sum = 0;
    for (Index i = 0; i < n; ++i) sum += A(g[i]) * A(g[i]);
    A norm_a = std::sqrt(sum);
    if (!std::isfinite(norm_a)) {
        A largest = 0;
        for (Index i = 0; i < n; ++i) largest = std::max(largest, A(std::abs(g[i])));
        A scaled = 0;
        for (Index i = 0; i < n; ++i) {
            const A r = A(g[i]) / largest;
            scaled += r * r;
        }
        norm_a = largest * std::sqrt(scaled);
    }
    const Scalar norm = Scalar(norm_a);
    const double coef = static_cast<double>(max_norm) / (static_cast<double>(norm) + 1e-6);
    if (coef < 1.0) grads *= Scalar(coef);
    return norm;
}

/// torch.nn.utils.clip_grad_value_: clamps every gradient to [-clip, clip]. clip must be
/// > 0 (+Inf is a no-op); non-finite gradients are numeric_error.
template <class Scalar>
void clip_grad_value(Eigen::Ref<Eigen::Matrix<detail::non_deduced_t<Scalar>, Eigen::Dynamic, 1>> grads,
                     Scalar clip) {
    constexpr const char* where = "clip_grad_value";
    require(clip > Scalar(0), where, "clip", clip, "must be > 0");
    require_all_finite(where, "grads", grads.data(), grads.size());
    Scalar* g = grads.data();
    for (Index i = 0; i < grads.size(); ++i) g[i] = std::min(std::max(g[i], -clip), clip);
}

}  // namespace attrprior::train
