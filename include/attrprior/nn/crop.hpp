// Centre crop over positions (docs/models.md §3: the profile model crops its last dilated
// layer to the valid centre). Crop1d(L_out) keeps positions offset .. offset + L_out - 1 with
// offset = (L - L_out) / 2 (floor, so an odd surplus drops one more position on the
// right). backward pads g_out with zeros back to L; tangent crops u like the forward.
// A selection has no second-order terms. in and out must not overlap.
#pragma once

#include <algorithm>
#include <memory>
#include <string>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// Keeps the centred window of `output_length` positions, kind "Crop1d".
template <class Scalar>
class Crop1d : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    explicit Crop1d(Index output_length) : output_length_(output_length) {
        require(output_length >= 1, "Crop1d", "output_length", output_length, "must be >= 1");
    }

    Index output_length() const { return output_length_; }
    /// First kept input position for an input of `length` positions.
    Index offset(Index length) const { return (length - output_length_) / 2; }

    std::string kind() const override { return "Crop1d"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    /// Output t reads input t + offset: a pointwise window shifted by the offset of the
    /// input length the model gave (infer_input_shape).
    Reach reach() const override { return Reach::window(1, 1, 1, -offset(input_length_)); }
    void infer_input_shape(const Shape& in) override { input_length_ = in.length; }

    Shape output_shape(const Shape& in) const override {
        require(in.length >= output_length_, "Crop1d", "input length", in.length,
                "must be >= output_length = ", output_length_);
        require(in.channels >= 1, "Crop1d", "input channels", in.channels, "must be >= 1");
        return Shape{output_length_, in.channels};
    }

    void forward(ConstTensor in, Tensor out, Mode /*mode*/) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(out, in.dim0, s, "Crop1d::forward", "output");
        const Index B = in.dim0, C = in.dim2, n = output_length_ * C, off = offset(in.dim1) * C;
#pragma omp parallel for schedule(static) if (B > 1 && B * n >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            const Scalar* x = in.slice(b) + off;
            std::copy(x, x + n, out.slice(b));
        }
    }

    /// g_in = g_out inside the window, 0 outside.
    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(g_out, in.dim0, s, "Crop1d::backward", "g_out");
        require_shape(g_in, in.dim0, Shape{in.dim1, in.dim2}, "Crop1d::backward", "g_in");
        const Index B = in.dim0, C = in.dim2, n = output_length_ * C, off = offset(in.dim1) * C;
        const Index full = in.dim1 * C;
#pragma omp parallel for schedule(static) if (B > 1 && B * full >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            Scalar* gi = g_in.slice(b);
            std::fill(gi, gi + off, Scalar(0));
            std::copy(g_out.slice(b), g_out.slice(b) + n, gi + off);
            std::fill(gi + off + n, gi + full, Scalar(0));
        }
    }

    /// u_out = window of u_in, on the listed rows only.
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(u_in, in.dim0, Shape{in.dim1, in.dim2}, "Crop1d::tangent", "u_in");
        require_shape(u_out, in.dim0, s, "Crop1d::tangent", "u_out");
        const Index B = in.dim0, C = in.dim2, n = output_length_ * C, off = offset(in.dim1) * C;
        for (const Index r : rows) {
            require(r >= 0 && r < B, "Crop1d::tangent", "row", r, "must be in [0, ", B, ")");
        }
        const Index R = static_cast<Index>(rows.size());
#pragma omp parallel for schedule(static) if (R > 1 && R * n >= kParallelWork)
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            const Scalar* x = u_in.slice(b) + off;
            std::copy(x, x + n, u_out.slice(b));
        }
    }

private:

    Index output_length_;
    Index input_length_ = 0;  // from infer_input_shape (the model's input length of this node)

public:
    /// Fast ISM (docs/attribution.md, "ISM"): output t is input t + offset, and the caller
    /// already shifted the window by the offset (reach().left_pad), so this is a copy.
    bool forward_window(ConstTensor in, Tensor out) override {
        require(in.size() == out.size(), "Crop1d::forward_window", "output", out.shape_string(),
                "must have the input's shape ", in.shape_string());
        std::copy(in.data, in.data + in.size(), out.data);
        return true;
    }
};

/// `model.add(nn::crop1d(1000))`: the central output_length positions.
template <class Scalar = float>
std::unique_ptr<Crop1d<Scalar>> crop1d(Index output_length) {
    return std::make_unique<Crop1d<Scalar>>(output_length);
}

}  // namespace attrprior::nn
