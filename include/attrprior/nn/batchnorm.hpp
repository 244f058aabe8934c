// Batch normalisation over channels (PyTorch's BatchNorm1d) on channels-last tensors,
// with the second-order terms of the double backprop (docs/double_backprop.md §4 derives
// them).
//
// Input B x L x C: after a Conv1d L is the length, after a Linear L = 1. Statistics are
// per channel over the N = B * L values. Train mode normalises with the biased batch
// statistics and updates the running ones (unbiased variance, as PyTorch); eval mode is
// the affine map y = gamma (x - running_mean) / sqrt(running_var + eps) + beta.
//
// Layout and threading: every pass walks the B * L rows of C contiguous channels and
// vectorises over channels (Eigen array maps). OpenMP runs over examples; per-channel
// sums are accumulated per example into a preallocated workspace and then reduced
// serially in example order, so results are bitwise identical for any thread count.
// The batch mean and variance are combined across examples with Chan's pairwise update
// (each example's own mean and centred sum of squares first), which stays accurate in
// float when the mean is large compared with the spread.
//
// Attributions in train mode. With s = sum of the logits over the batch and the batch
// statistics differentiated (PyTorch autograd, AttributionStatistics::batch), a model that
// ends in BatchNorm -> Linear (the paper's binary model) has an attribution that is zero
// up to round-off: the batch mean of a normalised feature is 0 whatever the input. The
// default, AttributionStatistics::per_example, treats mu and sigma as constants in the
// attribution pass (as eval mode does with the running statistics), so
// attribution_backward is g_in = (gamma / sigma) g_out and rows do not couple; the
// second-order terms below are the exact derivatives of that map, sigma still being a
// function of the batch (docs/double_backprop.md).
//
// Workspaces (the normalised input x-hat and the per-example sums) grow on first use and
// are reused: later calls with the same or a smaller shape do not allocate.
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <memory>
#include <string>
#include <vector>

#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// How the attribution pass treats train-mode batch statistics (see the file comment).
enum class AttributionStatistics { per_example, batch };

template <class Scalar>
class BatchNorm1d : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;
    using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
    using ArrayMap = Eigen::Map<Array>;
    using ConstArrayMap = Eigen::Map<const Array>;

    explicit BatchNorm1d(Index channels, double momentum = 0.1, double eps = 1e-5,
                         AttributionStatistics attribution = AttributionStatistics::per_example)
        : channels_(channels), momentum_(momentum), eps_(eps), attribution_(attribution) {
        const char* where = "BatchNorm1d";
        require(channels >= 0, where, "channels", channels,
                "must be >= 1 (or 0: taken from the model input when added to a Model)");
        require(momentum >= 0.0 && momentum <= 1.0, where, "momentum", momentum,
                "must be in [0, 1]");
        require(eps > 0.0 && std::isfinite(eps), where, "eps", eps, "must be finite and > 0");
        for (Array* a : {&mean_, &inv_sigma_, &c0_, &c1_, &c2_, &c3_, &c4_}) a->setZero(channels);
    }

    Index channels() const { return channels_; }
    double momentum() const { return momentum_; }
    double eps() const { return eps_; }
    /// Mode of the last forward (train before the first one).
    Mode mode() const { return mode_; }
    AttributionStatistics attribution_statistics() const { return attribution_; }
    void set_attribution_statistics(AttributionStatistics a) { attribution_ = a; }

    std::string kind() const override { return "BatchNorm1d"; }
    /// Affine in eval mode (running statistics), the only mode attribution methods use.
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::pointwise(); }

    void infer_input_shape(const Shape& in) override {
        if (channels_ != 0) return;
        channels_ = in.channels;
        for (Array* a : {&mean_, &inv_sigma_, &c0_, &c1_, &c2_, &c3_, &c4_}) a->setZero(channels_);
    }

    Shape output_shape(const Shape& in) const override {
        require(in.channels == channels_, "BatchNorm1d", "input channels", in.channels,
                "must equal channels = ", channels_);
        require(in.length >= 1, "BatchNorm1d", "input length", in.length, "must be >= 1");
        return in;
    }

    Index parameter_count() const override { return 2 * channels_; }
    Index state_count() const override { return 2 * channels_; }
    void bind(Scalar* params, Scalar* grads, Scalar* state) override {
        params_ = params;
        grads_ = grads;
        state_ = state;
    }
    /// PyTorch: gamma = 1, beta = 0, running_mean = 0, running_var = 1 (no randomness).
    void reset_parameters(std::mt19937_64& /*rng*/) override {
        require_bound("BatchNorm1d::reset_parameters");
        std::fill(params_, params_ + channels_, Scalar(1));
        std::fill(params_ + channels_, params_ + 2 * channels_, Scalar(0));
        std::fill(state_, state_ + channels_, Scalar(0));
        std::fill(state_ + channels_, state_ + 2 * channels_, Scalar(1));
    }
    std::vector<TensorInfo> tensors() const override {
        return {{"weight", {channels_}, true, 0},
                {"bias", {channels_}, true, channels_},
                {"running_mean", {channels_}, false, 0},
                {"running_var", {channels_}, false, channels_}};
    }

    void forward(ConstTensor in, Tensor out, Mode mode) override {
        const char* where = "BatchNorm1d::forward";
        require_bound(where);
        check_input(in, where);
        require_shape(out, in.dim0, Shape{in.dim1, in.dim2}, where, "output");
        const Index B = in.dim0, L = in.dim1, C = channels_, N = B * L;
        if (mode == Mode::eval) {
            running_affine();  // c0_ = gamma / sigma_run, c1_ = beta - running_mean * c0_
            const Scalar* x = in.data;
            Scalar* y = out.data;
#pragma omp parallel for schedule(static) if (parallel(N))
            for (Index b = 0; b < B; ++b) {
                for (Index r = b * L; r < (b + 1) * L; ++r) {
                    ArrayMap(y + r * C, C) = ConstArrayMap(x + r * C, C) * c0_ + c1_;
                }
            }
            mode_ = Mode::eval;
            return;
        }
        require(N > 1, where, "values per channel (batch x length)", N,
                "must be > 1 in train mode (PyTorch: expected more than 1 value per channel "
                "when training)");

        // Per example: its mean and centred sum of squares (the slice is still in cache
        // for the second sweep).
        reserve(partial_, 2 * B * C);
        reserve(xhat_, N * C);
        Scalar* p = partial_.data();
        const Scalar* x = in.data;
#pragma omp parallel for schedule(static) if (parallel(N))
        for (Index b = 0; b < B; ++b) {
            ArrayMap mean_b(p + 2 * b * C, C), m2_b(p + (2 * b + 1) * C, C);
            const Scalar* xb = x + b * L * C;
            mean_b.setZero();
            for (Index l = 0; l < L; ++l) mean_b += ConstArrayMap(xb + l * C, C);
            mean_b *= Scalar(1) / Scalar(L);
            m2_b.setZero();
            for (Index l = 0; l < L; ++l) m2_b += (ConstArrayMap(xb + l * C, C) - mean_b).square();
        }
        // Chan et al.: merge the examples in order (every example holds L values).
        mean_ = ConstArrayMap(p, C);
        Array& m2 = c0_;
        m2 = ConstArrayMap(p + C, C);
        for (Index b = 1; b < B; ++b) {
            const double n_old = double(b * L), n_new = double((b + 1) * L);
            c1_ = ConstArrayMap(p + 2 * b * C, C) - mean_;  // delta
            mean_ += c1_ * Scalar(double(L) / n_new);
            m2 += ConstArrayMap(p + (2 * b + 1) * C, C) + c1_.square() * Scalar(n_old * L / n_new);
        }
        Array& var = m2;
        var *= Scalar(1) / Scalar(N);
        inv_sigma_ = (var + Scalar(eps_)).sqrt().inverse();

        ArrayMap rm(state_, C), rv(state_ + C, C);
        rm = rm * Scalar(1.0 - momentum_) + mean_ * Scalar(momentum_);
        rv = rv * Scalar(1.0 - momentum_) + var * Scalar(momentum_ * double(N) / double(N - 1));

        ConstArrayMap gamma(params_, C), beta(params_ + C, C);
        Scalar* xh = xhat_.data();
        Scalar* y = out.data;
#pragma omp parallel for schedule(static) if (parallel(N))
        for (Index b = 0; b < B; ++b) {
            for (Index r = b * L; r < (b + 1) * L; ++r) {
                ArrayMap xr(xh + r * C, C);
                xr = (ConstArrayMap(x + r * C, C) - mean_) * inv_sigma_;
                ArrayMap(y + r * C, C) = xr * gamma + beta;
            }
        }
        mode_ = Mode::train;
        cached_batch_ = B;
        cached_length_ = L;
    }

    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const char* where = "BatchNorm1d::backward";
        require_bound(where);
        check_input(in, where);
        require_same_shape(g_out, in, where, "g_out", "input");
        require_same_shape(g_in, in, where, "g_in", "input");
        if (mode_ == Mode::train) {
            check_cache(in, where);
            apply_train_jacobian(g_out.data, g_in.data);
        } else {
            running_affine();
            scale_rows(g_out.data, g_in.data, in.dim0 * in.dim1);
        }
    }

    /// Per-example statistics (train mode): g_in = (gamma / sigma_batch) g_out.
    void attribution_backward(ConstTensor in, ConstTensor out, ConstTensor g_out, Tensor g_in) override {
        if (!per_example_train()) {
            backward(in, out, g_out, g_in);
            return;
        }
        const char* where = "BatchNorm1d::attribution_backward";
        require_bound(where);
        check_input(in, where);
        require_same_shape(g_out, in, where, "g_out", "input");
        require_same_shape(g_in, in, where, "g_in", "input");
        check_cache(in, where);
        batch_affine();
        scale_rows(g_out.data, g_in.data, in.dim0 * in.dim1);
    }

    void accumulate_parameter_gradients(ConstTensor in, ConstTensor g_out) override {
        const char* where = "BatchNorm1d::accumulate_parameter_gradients";
        require_bound(where);
        check_input(in, where);
        require_same_shape(g_out, in, where, "g_out", "input");
        const Index C = channels_, B = in.dim0, L = in.dim1;
        ArrayMap dgamma(grads_, C), dbeta(grads_ + C, C);
        const Scalar* g = g_out.data;
        if (mode_ == Mode::train) {
            check_cache(in, where);
            const Scalar* xh = xhat_.data();
            // sums: [g x-hat | g]
            sum_per_example(B, L, 2, [&](Index b, Scalar* acc) {
                ArrayMap s_gx(acc, C), s_g(acc + C, C);
                for (Index r = b * L; r < (b + 1) * L; ++r) {
                    const ConstArrayMap gr(g + r * C, C);
                    s_gx += gr * ConstArrayMap(xh + r * C, C);
                    s_g += gr;
                }
            });
            dgamma += ConstArrayMap(totals_.data(), C);
            dbeta += ConstArrayMap(totals_.data() + C, C);
        } else {
            const ConstArrayMap rm(state_, C), rv(state_ + C, C);
            const Scalar* x = in.data;
            // sums: [g (x - running_mean) | g]
            sum_per_example(B, L, 2, [&](Index b, Scalar* acc) {
                ArrayMap s_gx(acc, C), s_g(acc + C, C);
                for (Index r = b * L; r < (b + 1) * L; ++r) {
                    const ConstArrayMap gr(g + r * C, C);
                    s_gx += gr * (ConstArrayMap(x + r * C, C) - rm);
                    s_g += gr;
                }
            });
            dgamma += ConstArrayMap(totals_.data(), C) * (rv + Scalar(eps_)).rsqrt();
            dbeta += ConstArrayMap(totals_.data() + C, C);
        }
    }

    /// Train mode: J u on every row (the batch statistics couple the rows; `rows` is
    /// ignored). Eval mode: (gamma / sigma_run) u on the listed rows only.
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const char* where = "BatchNorm1d::tangent";
        require_bound(where);
        check_input(in, where);
        require_same_shape(u_in, in, where, "u_in", "input");
        require_same_shape(u_out, in, where, "u_out", "input");
        if (mode_ == Mode::train && !per_example_train()) {
            check_cache(in, where);
            apply_train_jacobian(u_in.data, u_out.data);
            return;
        }
        check_rows(rows, in.dim0, where);
        if (per_example_train()) {
            check_cache(in, where);
            batch_affine();
        } else {
            running_affine();
        }
        const Index L = in.dim1, C = channels_;
        const Index count = static_cast<Index>(rows.size());
        const Scalar* u = u_in.data;
        Scalar* v = u_out.data;
#pragma omp parallel for schedule(static) if (parallel(count * L))
        for (Index i = 0; i < count; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            for (Index r = b * L; r < (b + 1) * L; ++r) {
                ArrayMap(v + r * C, C) = ConstArrayMap(u + r * C, C) * c0_;
            }
        }
    }

    /// Train mode (all rows; `rows` is ignored): gamma-bar += (1/sigma) sum u (g - mean g
    /// - x-hat mean(g x-hat)), beta-bar += 0, and hbar_in is assigned on every row.
    /// Eval mode: gamma-bar += sum over the listed rows of u g / sigma_run; hbar_in is not
    /// touched (has_input_second_order() is false).
    void accumulate_second_order(ConstTensor in, ConstTensor g_out, ConstTensor u_in,
                                 Tensor hbar_in, const Rows& rows) override {
        const char* where = "BatchNorm1d::accumulate_second_order";
        require_bound(where);
        check_input(in, where);
        require_same_shape(g_out, in, where, "g_out", "input");
        require_same_shape(u_in, in, where, "u_in", "input");
        const Index C = channels_, B = in.dim0, L = in.dim1;
        ArrayMap gamma_bar(grads_, C);
        const Scalar* g = g_out.data;
        const Scalar* u = u_in.data;
        if (mode_ == Mode::eval || per_example_train()) {
            check_rows(rows, B, where);
            const Index count = static_cast<Index>(rows.size());
            if (count == 0) {
                if (per_example_train()) ArrayMap(hbar_in.data, hbar_in.size()).setZero();
                return;
            }
            reserve(partial_, count * C);
            Scalar* p = partial_.data();
#pragma omp parallel for schedule(static) if (parallel(count * L))
            for (Index i = 0; i < count; ++i) {
                const Index b = rows[static_cast<std::size_t>(i)];
                ArrayMap acc(p + i * C, C);
                acc.setZero();
                for (Index r = b * L; r < (b + 1) * L; ++r) {
                    acc += ConstArrayMap(u + r * C, C) * ConstArrayMap(g + r * C, C);
                }
            }
            c1_ = ConstArrayMap(p, C);
            for (Index i = 1; i < count; ++i) c1_ += ConstArrayMap(p + i * C, C);
            if (mode_ == Mode::eval) {
                const ConstArrayMap rv(state_ + C, C);
                gamma_bar += c1_ * (rv + Scalar(eps_)).rsqrt();
                return;
            }
            // Per-example train mode: B(g, h, gamma) = gamma g / sigma(h), so
            // gamma-bar = S / sigma and hbar_k = -gamma S x-hat_k / (N sigma^2), with
            // S = sum over the channel of u g (rows outside `rows` have u = 0).
            gamma_bar += c1_ * inv_sigma_;
            require_same_shape(hbar_in, in, where, "hbar_in", "input");
            check_cache(in, where);
            const ConstArrayMap gamma(params_, C);
            c2_ = -gamma * c1_ * inv_sigma_.square() / Scalar(B * L);
            const Scalar* xh = xhat_.data();
            Scalar* hb = hbar_in.data;
#pragma omp parallel for schedule(static) if (parallel(B * L))
            for (Index b = 0; b < B; ++b) {
                for (Index r = b * L; r < (b + 1) * L; ++r) {
                    ArrayMap(hb + r * C, C) = c2_ * ConstArrayMap(xh + r * C, C);
                }
            }
            return;
        }
        require_same_shape(hbar_in, in, where, "hbar_in", "input");
        check_cache(in, where);
        const Scalar* xh = xhat_.data();
        // sums: [g | u | u x-hat (a) | g x-hat (b) | u g]
        sum_per_example(B, L, 5, [&](Index b, Scalar* acc) {
            ArrayMap s_g(acc, C), s_u(acc + C, C), s_a(acc + 2 * C, C), s_b(acc + 3 * C, C),
                s_ug(acc + 4 * C, C);
            for (Index r = b * L; r < (b + 1) * L; ++r) {
                const ConstArrayMap gr(g + r * C, C), ur(u + r * C, C), xr(xh + r * C, C);
                s_g += gr;
                s_u += ur;
                s_a += ur * xr;
                s_b += gr * xr;
                s_ug += ur * gr;
            }
        });
        const Scalar inv_n = Scalar(1) / Scalar(B * L);
        const Scalar* t = totals_.data();
        const ConstArrayMap s_g(t, C), s_u(t + C, C), a(t + 2 * C, C), bsum(t + 3 * C, C),
            s_ug(t + 4 * C, C);
        const ConstArrayMap gamma(params_, C);
        // Ccoef = sum u (g - mean g) = sum u g - mean(g) sum u.
        c2_ = s_ug - s_g * inv_n * s_u;
        c1_ = a * bsum * inv_n;  // a b / N
        gamma_bar += inv_sigma_ * (c2_ - c1_);
        // hbar = k [Ccoef x-hat + b (u - mean u) + a (g - mean g) - 3 a b x-hat / N] with
        // k = -gamma / (N sigma^2), evaluated as hbar = cx x-hat + cu u + cg g + cc.
        c0_ = -gamma * inv_sigma_.square() * inv_n;  // k
        c3_ = c0_ * (c2_ - Scalar(3) * c1_);         // cx
        c4_ = c0_ * bsum;                            // cu
        c1_ = c0_ * a;                               // cg
        c2_ = -(c4_ * s_u + c1_ * s_g) * inv_n;      // cc
        const Array &cx = c3_, &cu = c4_, &cg = c1_, &cc = c2_;
        Scalar* hb = hbar_in.data;
#pragma omp parallel for schedule(static) if (parallel(B * L))
        for (Index b = 0; b < B; ++b) {
            for (Index r = b * L; r < (b + 1) * L; ++r) {
                ArrayMap(hb + r * C, C) = cx * ConstArrayMap(xh + r * C, C) +
                                          cu * ConstArrayMap(u + r * C, C) +
                                          cg * ConstArrayMap(g + r * C, C) + cc;
            }
        }
    }

    bool has_input_second_order() const override { return mode_ == Mode::train; }
    bool couples_rows() const override {
        return mode_ == Mode::train && attribution_ == AttributionStatistics::batch;
    }

private:
    /// Each element costs several passes (statistics, normalisation, their derivatives), so
    /// half kParallelWork elements already pay for the fork.
    static constexpr Index kParallelElements = kParallelWork / 2;
    bool parallel(Index rows) const { return rows * channels_ >= kParallelElements; }

    static void reserve(std::vector<Scalar>& v, Index n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
    }

    void require_bound(const char* where) const {
        if (params_ == nullptr || grads_ == nullptr || state_ == nullptr) {
            throw invalid_argument(detail::concat(
                where, ": parameter, gradient and state buffers are not bound (call bind)"));
        }
    }

    void check_input(const ConstTensor& in, const char* where) const {
        require(in.dim2 == channels_, where, "input channels", in.dim2,
                "must equal channels = ", channels_);
        require(in.dim0 >= 1, where, "batch", in.dim0, "must be >= 1");
        require(in.dim1 >= 1, where, "input length", in.dim1, "must be >= 1");
    }

    void check_cache(const ConstTensor& in, const char* where) const {
        if (in.dim0 != cached_batch_ || in.dim1 != cached_length_) {
            throw invalid_argument(detail::concat(
                where, ": input has shape ", in.shape_string(),
                " but the last train-mode forward saw [", cached_batch_, ", ", cached_length_,
                ", ", channels_, "] (run forward on this batch first)"));
        }
    }

    static void check_rows(const Rows& rows, Index batch, const char* where) {
        for (Index b : rows) {
            require(b >= 0 && b < batch, where, "row", b, "is outside the batch [0, ", batch, ")");
        }
    }

    bool per_example_train() const {
        return mode_ == Mode::train && attribution_ == AttributionStatistics::per_example;
    }

    /// c0_ = gamma / sigma_batch (train mode, per-example attribution Jacobian).
    void batch_affine() { c0_ = ConstArrayMap(params_, channels_) * inv_sigma_; }

    /// c0_ = gamma / sqrt(running_var + eps), c1_ = beta - running_mean * c0_.
    void running_affine() {
        const Index C = channels_;
        const ConstArrayMap gamma(params_, C), beta(params_ + C, C), rm(state_, C),
            rv(state_ + C, C);
        c0_ = gamma * (rv + Scalar(eps_)).rsqrt();
        c1_ = beta - rm * c0_;
    }

    /// out = c0_ * in on all rows (eval-mode Jacobian).
    void scale_rows(const Scalar* in, Scalar* out, Index rows) const {
        const Index C = channels_;
#pragma omp parallel for schedule(static) if (parallel(rows))
        for (Index r = 0; r < rows; ++r) {
            ArrayMap(out + r * C, C) = ConstArrayMap(in + r * C, C) * c0_;
        }
    }

    /// Accumulates k per-channel sums per example (f(b, acc) adds example b's sums to the
    /// zeroed k x C block acc) and reduces them in example order into totals_.
    template <class F>
    void sum_per_example(Index B, Index L, Index k, F&& f) {
        const Index C = channels_, block = k * C;
        reserve(partial_, B * block);
        reserve(totals_, block);
        Scalar* p = partial_.data();
#pragma omp parallel for schedule(static) if (parallel(B * L))
        for (Index b = 0; b < B; ++b) {
            Scalar* acc = p + b * block;
            std::fill(acc, acc + block, Scalar(0));
            f(b, acc);
        }
        ArrayMap t(totals_.data(), block);
        t = ConstArrayMap(p, block);
        for (Index b = 1; b < B; ++b) t += ConstArrayMap(p + b * block, block);
    }

    /// out = (gamma/sigma) (v - mean(v) - x-hat mean(v x-hat)) on every row (train-mode
    /// Jacobian, symmetric: serves backward and tangent).
    void apply_train_jacobian(const Scalar* v, Scalar* out) {
        const Index B = cached_batch_, L = cached_length_, C = channels_;
        const Scalar* xh = xhat_.data();
        sum_per_example(B, L, 2, [&](Index b, Scalar* acc) {
            ArrayMap s_v(acc, C), s_vx(acc + C, C);
            for (Index r = b * L; r < (b + 1) * L; ++r) {
                const ConstArrayMap vr(v + r * C, C);
                s_v += vr;
                s_vx += vr * ConstArrayMap(xh + r * C, C);
            }
        });
        const Scalar inv_n = Scalar(1) / Scalar(B * L);
        const ConstArrayMap gamma(params_, C);
        c0_ = gamma * inv_sigma_;
        c1_ = c0_ * ConstArrayMap(totals_.data() + C, C) * inv_n;  // x-hat coefficient
        c2_ = c0_ * ConstArrayMap(totals_.data(), C) * inv_n;      // constant
#pragma omp parallel for schedule(static) if (parallel(B * L))
        for (Index b = 0; b < B; ++b) {
            for (Index r = b * L; r < (b + 1) * L; ++r) {
                ArrayMap(out + r * C, C) =
                    ConstArrayMap(v + r * C, C) * c0_ - ConstArrayMap(xh + r * C, C) * c1_ - c2_;
            }
        }
    }

    Index channels_;
    double momentum_;
    double eps_;
    AttributionStatistics attribution_;
    Scalar* params_ = nullptr;  // gamma [C], beta [C]
    Scalar* grads_ = nullptr;
    Scalar* state_ = nullptr;   // running_mean [C], running_var [C]
    Mode mode_ = Mode::train;

    // Cache of the last train-mode forward.
    Index cached_batch_ = 0, cached_length_ = 0;
    std::vector<Scalar> xhat_;  // B * L * C
    Array mean_, inv_sigma_;    // batch mean and 1 / sqrt(var + eps)

    // Workspaces.
    std::vector<Scalar> partial_;  // per-example (or per-row-index) sums
    std::vector<Scalar> totals_;   // reduced sums
    Array c0_, c1_, c2_, c3_, c4_; // per-channel coefficients, C each

public:
    /// Fast ISM (docs/attribution.md, "ISM"): pointwise, so a window is the eval forward.
    bool forward_window(ConstTensor in, Tensor out) override {
        forward(in, out, Mode::eval);
        return true;
    }
};

/// A BatchNorm1d whose channel count comes from the model: `model.add("bn", nn::batchnorm1d())`.
template <class Scalar = float>
std::unique_ptr<BatchNorm1d<Scalar>> batchnorm1d(
    double momentum = 0.1, double eps = 1e-5,
    AttributionStatistics attribution = AttributionStatistics::per_example) {
    return std::make_unique<BatchNorm1d<Scalar>>(0, momentum, eps, attribution);
}

}  // namespace attrprior::nn
