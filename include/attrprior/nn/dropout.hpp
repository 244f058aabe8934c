// Inverted dropout with counter-based, reproducible masks.
//
// Train mode: out = in * m / (1 - p), where m in {0, 1} keeps an element with probability
// 1 - p. Eval mode: identity. The layer is linear in its input for a fixed mask, so
//   backward  g_in  = g_out * m / (1 - p)
//   tangent   u_out = u_in  * m / (1 - p)
// and both second-order terms are zero.
//
// The mask is a pure function of (seed, step, row, element) — no generator state:
//   key_row  = mix(mix(mix(seed) ^ step) ^ row)
//   h        = mix(key_row + element * gamma)          (element = t * C + c in the row)
//   keep    <=> (h >> 11) >= floor(p * 2^53)
// with mix the splitmix64 step (add the golden-ratio gamma, then the splitmix64
// finaliser): attrprior::splitmix64 and attrprior::counter_key of core/random.hpp.
// Hence repeated forwards within a step, backward and tangent all see the same mask
// without caching it, and the result does not depend on the thread count or on how many
// passes ran. The model calls set_random_state(seed, step) before each step; backward and
// tangent use the mode of the latest forward and the current random state.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// Dropout with drop probability p, kind "Dropout".
template <class Scalar>
class Dropout : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    /// Requires 0 <= p < 1.
    explicit Dropout(double p) : p_(p) {
        require(p >= 0.0 && p < 1.0, "Dropout", "p", p, "must satisfy 0 <= p < 1");
        threshold_ = static_cast<std::uint64_t>(p * 9007199254740992.0);  // p * 2^53
        scale_ = static_cast<Scalar>(1.0 / (1.0 - p));
    }

    double p() const { return p_; }

    std::string kind() const override { return "Dropout"; }
    /// The identity in eval mode, the only mode attribution methods use.
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::pointwise(); }

    Shape output_shape(const Shape& in) const override {
        require(in.length >= 1, "Dropout", "input length", in.length, "must be >= 1");
        require(in.channels >= 1, "Dropout", "input channels", in.channels, "must be >= 1");
        return in;
    }

    void set_random_state(std::uint64_t seed, std::uint64_t step) override {
        seed_ = seed;
        step_ = step;
    }

    /// True when element `element` (= t * C + c) of batch row `row` is kept in train mode
    /// under the current random state.
    bool keeps(Index row, Index element) const {
        return keep_bit(row_key(row), element);
    }

    void forward(ConstTensor in, Tensor out, Mode mode) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(out, in.dim0, s, "Dropout::forward", "output");
        mode_ = mode;
        forwarded_ = true;
        apply_all(in, out);
    }

    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(g_out, in.dim0, s, "Dropout::backward", "g_out");
        require_shape(g_in, in.dim0, s, "Dropout::backward", "g_in");
        require_forwarded("Dropout::backward");
        apply_all(g_out, g_in);
    }

    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(u_in, in.dim0, s, "Dropout::tangent", "u_in");
        require_shape(u_out, in.dim0, s, "Dropout::tangent", "u_out");
        require_forwarded("Dropout::tangent");
        const Index B = in.dim0, n = s.length * s.channels;
        for (const Index r : rows) {
            require(r >= 0 && r < B, "Dropout::tangent", "row", r, "must be in [0, ", B, ")");
        }
        const Index R = static_cast<Index>(rows.size());
#pragma omp parallel for schedule(static) if (R > 1 && R * n >= kParallelWork)
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            apply_row(u_in.slice(b), u_out.slice(b), b, n);
        }
    }

private:
    static constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ULL;

    std::uint64_t row_key(Index row) const {
        return counter_key(seed_, step_, static_cast<std::uint64_t>(row));
    }

    bool keep_bit(std::uint64_t key, Index element) const {
        const std::uint64_t h = splitmix64(key + static_cast<std::uint64_t>(element) * kGamma);
        return (h >> 11) >= threshold_;
    }

    void require_forwarded(const char* where) const {
        if (!forwarded_) throw error(detail::concat(where, ": no forward pass has run"));
    }

    /// y = x * mask * scale on one row of n elements (identity in eval mode).
    void apply_row(const Scalar* x, Scalar* y, Index row, Index n) const {
        if (mode_ == Mode::eval) {
            if (x != y) std::copy(x, x + n, y);
            return;
        }
        const std::uint64_t key = row_key(row);
        const Scalar scale = scale_;
        for (Index e = 0; e < n; ++e) {
            // Branch-free (a kept/dropped branch would mispredict at rate ~p).
            y[e] = x[e] * (static_cast<Scalar>(keep_bit(key, e)) * scale);
        }
    }

    void apply_all(ConstTensor x, Tensor y) const {
        const Index B = x.dim0, n = x.dim1 * x.dim2;
#pragma omp parallel for schedule(static) if (B > 1 && B * n >= kParallelWork)
        for (Index b = 0; b < B; ++b) apply_row(x.slice(b), y.slice(b), b, n);
    }

    double p_;
    std::uint64_t threshold_ = 0;
    Scalar scale_ = Scalar(1);
    std::uint64_t seed_ = 0, step_ = 0;
    Mode mode_ = Mode::train;
    bool forwarded_ = false;

public:
    /// Fast ISM (docs/attribution.md, "ISM"): the identity in eval mode (the layer's mode
    /// is left as it is).
    bool forward_window(ConstTensor in, Tensor out) override {
        require(in.size() == out.size(), "Dropout::forward_window", "output", out.shape_string(),
                "must have the input's shape ", in.shape_string());
        std::copy(in.data, in.data + in.size(), out.data);
        return true;
    }
};

/// `model.add(nn::dropout(0.2))`.
template <class Scalar = float>
std::unique_ptr<Dropout<Scalar>> dropout(double p) {
    return std::make_unique<Dropout<Scalar>>(p);
}

}  // namespace attrprior::nn
