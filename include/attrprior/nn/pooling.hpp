// Pooling over positions.
//
// MaxPool1d(kernel, stride) follows torch.nn.MaxPool1d with padding 0, dilation 1 and
// floor mode: L_out = (L - kernel) / stride + 1 (integer division); each channel is pooled
// on its own. The forward pass caches, per output element, the position of the window's
// maximum (int32); the first maximum wins on ties, as PyTorch's CPU kernel (a NaN is taken
// as the maximum, also as PyTorch). Given that cache the layer is linear in its input:
//   backward  g_in[b, argmax[b,t,c], c] += g_out[b, t, c]   (zero elsewhere; overlapping
//             windows accumulate)
//   tangent   u_out[b, t, c] = u_in[b, argmax[b,t,c], c]
// and both second-order terms of the double backprop (docs/double_backprop.md §3) are zero
// almost everywhere. backward and tangent use the cache of the latest forward, which must have
// run on the same input. Input and output buffers must not overlap (both layers).
//
// GlobalAveragePool1d: B x L x C -> B x 1 x C, the mean over positions (the counts head of
// docs/models.md §4). Linear, so backward spreads g / L over the positions and tangent is the
// mean of u; no second-order terms.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// 1-d max pooling over positions, kind "MaxPool1d".
template <class Scalar>
class MaxPool1d : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    /// Window of `kernel` positions every `stride` positions (PyTorch: stride defaults to
    /// the kernel size; here it is explicit).
    MaxPool1d(Index kernel, Index stride) : kernel_(kernel), stride_(stride) {
        require(kernel >= 1, "MaxPool1d", "kernel", kernel, "must be >= 1");
        require(stride >= 1, "MaxPool1d", "stride", stride, "must be >= 1");
    }

    Index kernel() const { return kernel_; }
    Index stride() const { return stride_; }

    std::string kind() const override { return "MaxPool1d"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::own; }
    Reach reach() const override { return Reach::window(kernel_, stride_, 1, 0); }

    Shape output_shape(const Shape& in) const override {
        require(in.length >= kernel_, "MaxPool1d", "input length", in.length,
                "must be >= kernel = ", kernel_);
        require(in.length <= Index(std::numeric_limits<std::int32_t>::max()), "MaxPool1d",
                "input length", in.length, "must fit in int32");
        require(in.channels >= 1, "MaxPool1d", "input channels", in.channels, "must be >= 1");
        return Shape{(in.length - kernel_) / stride_ + 1, in.channels};
    }

    /// Max over each window; caches the argmax for backward and tangent.
    void forward(ConstTensor in, Tensor out, Mode /*mode*/) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(out, in.dim0, s, "MaxPool1d::forward", "output");
        const Index B = in.dim0, L = in.dim1, C = in.dim2, Lo = s.length;
        const std::size_t need = static_cast<std::size_t>(B * Lo * C);
        if (argmax_.size() < need) argmax_.resize(need);  // grows once, then reused
        cached_batch_ = B;
        cached_length_ = L;
        cached_channels_ = C;
        const Index k = kernel_, st = stride_;
        std::int32_t* const amax = argmax_.data();
#pragma omp parallel for schedule(static) if (B * Lo > 1 && B * Lo * k * C >= kParallelWork)
        for (Index bt = 0; bt < B * Lo; ++bt) {
            const Index b = bt / Lo, t = bt % Lo, t0 = t * st;
            const Scalar* __restrict x = in.slice(b) + t0 * C;
            Scalar* __restrict y = out.slice(b) + t * C;
            std::int32_t* __restrict a = amax + bt * C;
            const std::int32_t p0 = static_cast<std::int32_t>(t0);
            for (Index c = 0; c < C; ++c) {
                y[c] = x[c];
                a[c] = p0;
            }
            for (Index j = 1; j < k; ++j) {
                const Scalar* __restrict xj = x + j * C;
                const std::int32_t pj = static_cast<std::int32_t>(t0 + j);
                for (Index c = 0; c < C; ++c) {
                    const Scalar v = xj[c];
                    // Strictly greater keeps the first maximum; v != v takes a NaN.
                    const bool take = (v > y[c]) || (v != v);
                    y[c] = take ? v : y[c];
                    a[c] = take ? pj : a[c];
                }
            }
        }
    }

    /// Scatters g_out to the cached argmax positions (accumulating), zero elsewhere.
    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const Shape s = check_cache(in, "MaxPool1d::backward");
        require_shape(g_out, in.dim0, s, "MaxPool1d::backward", "g_out");
        require_shape(g_in, in.dim0, Shape{in.dim1, in.dim2}, "MaxPool1d::backward", "g_in");
        const Index B = in.dim0, L = in.dim1, C = in.dim2, Lo = s.length;
        const std::int32_t* const amax = argmax_.data();
        // One row per thread: overlapping windows of a row add into the same positions.
#pragma omp parallel for schedule(static) if (B > 1 && B * L * C >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            Scalar* gi = g_in.slice(b);
            std::fill(gi, gi + L * C, Scalar(0));
            const Scalar* go = g_out.slice(b);
            const std::int32_t* a = amax + b * Lo * C;
            for (Index t = 0; t < Lo; ++t) {
                for (Index c = 0; c < C; ++c) {
                    gi[Index(a[t * C + c]) * C + c] += go[t * C + c];
                }
            }
        }
    }

    /// DeepLIFT for max pooling (docs/attribution.md, "DeepLIFT rules"): per window, with y
    /// and y' the maxima of the example and of the reference at their first argmax a and
    /// a', and M = max(y, y'), the credit g*(M - y') goes to a and g*(y - M) to a' (together
    /// g*(y - y')). Credits ACCUMULATE over overlapping windows (a position that wins k
    /// windows keeps all k credits). The multiplier is credit / Δin where |Δin| >=
    /// pool_epsilon, else the ordinary backward at the example. Example rows (partner[r] ==
    /// r) get the ordinary backward. Uses the argmax of the latest forward of both rows.
    void deeplift_backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in,
                           const std::vector<Index>& partner) override {
        const Shape s = check_cache(in, "MaxPool1d::deeplift_backward");
        require_shape(g_out, in.dim0, s, "MaxPool1d::deeplift_backward", "g_out");
        require_shape(g_in, in.dim0, Shape{in.dim1, in.dim2}, "MaxPool1d::deeplift_backward", "g_in");
        require(static_cast<Index>(partner.size()) == in.dim0, "MaxPool1d::deeplift_backward", "partner rows",
                partner.size(), "must equal the batch size ", in.dim0);
        const Index B = in.dim0, L = in.dim1, C = in.dim2, Lo = s.length;
        const std::int32_t* const amax = argmax_.data();
        const Scalar eps = static_cast<Scalar>(pool_epsilon);
#pragma omp parallel for schedule(static) if (B > 1 && B * L * C >= kParallelWork)
        for (Index r = 0; r < B; ++r) {
            const Index q = partner[static_cast<std::size_t>(r)];
            Scalar* gi = g_in.slice(r);
            std::fill(gi, gi + L * C, Scalar(0));
            const Scalar* go = g_out.slice(r);
            const std::int32_t* ax = amax + q * Lo * C;  // the example's argmax
            if (q == r) {  // an example row: the ordinary backward
                for (Index t = 0; t < Lo * C; ++t) gi[Index(ax[t]) * C + t % C] += go[t];
                continue;
            }
            const std::int32_t* ar = amax + r * Lo * C;  // the reference's argmax
            const Scalar* xq = in.slice(q);
            const Scalar* xr = in.slice(r);
            // 1. credits, accumulated over every window a position wins
            for (Index t = 0; t < Lo; ++t) {
                for (Index c = 0; c < C; ++c) {
                    const Index j = Index(ax[t * C + c]) * C + c, jr = Index(ar[t * C + c]) * C + c;
                    const Scalar y = xq[j], yr = xr[jr], M = std::max(y, yr);
                    gi[j] += go[t * C + c] * (M - yr);
                    gi[jr] += go[t * C + c] * (y - M);
                }
            }
            // 2. multiplier = credit / Δin; 0 where Δin is (near) zero, filled in step 3
            for (Index e = 0; e < L * C; ++e) {
                const Scalar dx = xq[e] - xr[e];
                gi[e] = std::abs(dx) >= eps ? gi[e] / dx : Scalar(0);
            }
            // 3. the ordinary backward at the example where Δin is (near) zero
            for (Index t = 0; t < Lo * C; ++t) {
                const Index j = Index(ax[t]) * C + t % C;
                if (std::abs(xq[j] - xr[j]) < eps) gi[j] += go[t];
            }
        }
    }

    /// |Δin| below which the max-pool rule takes the ordinary backward at the example
    /// (tangermeme and captum use 1e-7; docs/attribution.md).
    static constexpr double pool_epsilon = 1e-7;

    /// Gathers u_in at the cached argmax positions, on the listed rows only.
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Shape s = check_cache(in, "MaxPool1d::tangent");
        require_shape(u_in, in.dim0, Shape{in.dim1, in.dim2}, "MaxPool1d::tangent", "u_in");
        require_shape(u_out, in.dim0, s, "MaxPool1d::tangent", "u_out");
        const Index B = in.dim0, C = in.dim2, Lo = s.length;
        for (const Index r : rows) {
            require(r >= 0 && r < B, "MaxPool1d::tangent", "row", r, "must be in [0, ", B, ")");
        }
        const Index R = static_cast<Index>(rows.size());
        const std::int32_t* const amax = argmax_.data();
#pragma omp parallel for schedule(static) if (R > 1 && R * Lo * C >= kParallelWork)
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            const Scalar* u = u_in.slice(b);
            Scalar* v = u_out.slice(b);
            const std::int32_t* a = amax + b * Lo * C;
            for (Index t = 0; t < Lo; ++t) {
                for (Index c = 0; c < C; ++c) {
                    v[t * C + c] = u[Index(a[t * C + c]) * C + c];
                }
            }
        }
    }

private:

    /// Output shape of `in`, after checking that the cached argmax belongs to its shape.
    Shape check_cache(ConstTensor in, const char* where) const {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        if (cached_batch_ < 0) {
            throw error(detail::concat(where, ": no forward pass has run (argmax not cached)"));
        }
        if (cached_batch_ != in.dim0 || cached_length_ != in.dim1 || cached_channels_ != in.dim2) {
            throw invalid_argument(detail::concat(
                where, ": input has shape ", in.shape_string(), " but the last forward saw [",
                cached_batch_, ", ", cached_length_, ", ", cached_channels_, "]"));
        }
        return s;
    }

    Index kernel_, stride_;
    std::vector<std::int32_t> argmax_;  // B x L_out x C input positions, from the last forward
    Index cached_batch_ = -1, cached_length_ = 0, cached_channels_ = 0;

public:
    /// Fast ISM (docs/attribution.md, "ISM"): the max of every window of the rows of `in`
    /// (no padding, as forward; NaN and ties as forward). Leaves the argmax cache alone.
    bool forward_window(ConstTensor in, Tensor out) override {
        const Index R = in.dim0, C = in.dim2, m = out.dim1, k = kernel_, st = stride_;
        require(out.dim0 == R && out.dim2 == C && in.dim1 == (m - 1) * st + k, "MaxPool1d::forward_window",
                "input", in.shape_string(), "does not hold the windows of output ", out.shape_string());
#pragma omp parallel for schedule(static) if (R > 1 && R * m * k * C >= kParallelWork)
        for (Index r = 0; r < R; ++r) {
            for (Index t = 0; t < m; ++t) {
                const Scalar* x = in.slice(r) + t * st * C;
                Scalar* y = out.slice(r) + t * C;
                for (Index c = 0; c < C; ++c) y[c] = x[c];
                for (Index j = 1; j < k; ++j)
                    for (Index c = 0; c < C; ++c) {
                        const Scalar v = x[j * C + c];
                        y[c] = (v > y[c]) || (v != v) ? v : y[c];
                    }
            }
        }
        return true;
    }
};

/// Mean over positions, B x L x C -> B x 1 x C, kind "GlobalAveragePool1d".
template <class Scalar>
class GlobalAveragePool1d : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    std::string kind() const override { return "GlobalAveragePool1d"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::all_positions(); }

    Shape output_shape(const Shape& in) const override {
        require(in.length >= 1, "GlobalAveragePool1d", "input length", in.length, "must be >= 1");
        require(in.channels >= 1, "GlobalAveragePool1d", "input channels", in.channels,
                "must be >= 1");
        return Shape{1, in.channels};
    }

    void forward(ConstTensor in, Tensor out, Mode /*mode*/) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(out, in.dim0, s, "GlobalAveragePool1d::forward", "output");
        const Index B = in.dim0;
#pragma omp parallel for schedule(static) if (B > 1 && in.size() >= kParallelWork)
        for (Index b = 0; b < B; ++b) mean_row(in.slice(b), in.dim1, in.dim2, out.slice(b));
    }

    /// g_in[b, t, c] = g_out[b, 0, c] / L.
    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(g_out, in.dim0, s, "GlobalAveragePool1d::backward", "g_out");
        require_shape(g_in, in.dim0, Shape{in.dim1, in.dim2}, "GlobalAveragePool1d::backward",
                      "g_in");
        const Index B = in.dim0, L = in.dim1, C = in.dim2;
#pragma omp parallel for schedule(static) if (B > 1 && in.size() >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            const Scalar* go = g_out.slice(b);
            Scalar* gi = g_in.slice(b);
            for (Index t = 0; t < L; ++t) {
                for (Index c = 0; c < C; ++c) gi[t * C + c] = go[c] / Scalar(L);
            }
        }
    }

    /// u_out[b] = mean over positions of u_in[b], on the listed rows only.
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(u_in, in.dim0, Shape{in.dim1, in.dim2}, "GlobalAveragePool1d::tangent",
                      "u_in");
        require_shape(u_out, in.dim0, s, "GlobalAveragePool1d::tangent", "u_out");
        const Index B = in.dim0;
        for (const Index r : rows) {
            require(r >= 0 && r < B, "GlobalAveragePool1d::tangent", "row", r, "must be in [0, ",
                    B, ")");
        }
        const Index R = static_cast<Index>(rows.size());
#pragma omp parallel for schedule(static) if (R > 1 && R * in.dim1 * in.dim2 >= kParallelWork)
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            mean_row(u_in.slice(b), in.dim1, in.dim2, u_out.slice(b));
        }
    }

private:

    /// y[c] = sum_t x[t, c] / L (the channel loop is innermost and contiguous).
    static void mean_row(const Scalar* __restrict x, Index L, Index C, Scalar* __restrict y) {
        for (Index c = 0; c < C; ++c) y[c] = x[c];
        for (Index t = 1; t < L; ++t) {
            for (Index c = 0; c < C; ++c) y[c] += x[t * C + c];
        }
        for (Index c = 0; c < C; ++c) y[c] /= Scalar(L);
    }
};

/// `model.add(nn::max_pool1d(40))` (stride = kernel unless given).
template <class Scalar = float>
std::unique_ptr<MaxPool1d<Scalar>> max_pool1d(Index kernel, Index stride = 0) {
    return std::make_unique<MaxPool1d<Scalar>>(kernel, stride == 0 ? kernel : stride);
}
/// `model.add(nn::global_average_pool1d())`.
template <class Scalar = float>
std::unique_ptr<GlobalAveragePool1d<Scalar>> global_average_pool1d() {
    return std::make_unique<GlobalAveragePool1d<Scalar>>();
}

}  // namespace attrprior::nn
