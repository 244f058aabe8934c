// Flatten a B x L x C map (channels last) to B x 1 x (C*L) dense features in PyTorch's
// channel-major order (docs/math.md §2): feature c*L + t holds position t of channel c, exactly
// what torch.flatten gives for the [B, C, L] map. A Linear layer imported from PyTorch
// after nn.Flatten therefore needs no permutation.
//
// Per row the map is transposed: out_row viewed as a C x L row-major matrix equals the
// transpose of the L x C input matrix. backward and tangent apply the inverse and the
// same permutation; a permutation has no second-order terms. in and out must not overlap.
#pragma once

#include <Eigen/Core>

#include <memory>
#include <string>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// Channel-major flatten, kind "Flatten".
template <class Scalar>
class Flatten : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    std::string kind() const override { return "Flatten"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::all_positions(); }

    Shape output_shape(const Shape& in) const override {
        require(in.length >= 1, "Flatten", "input length", in.length, "must be >= 1");
        require(in.channels >= 1, "Flatten", "input channels", in.channels, "must be >= 1");
        return Shape{1, in.length * in.channels};
    }

    /// out[b, 0, c*L + t] = in[b, t, c].
    void forward(ConstTensor in, Tensor out, Mode /*mode*/) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(out, in.dim0, s, "Flatten::forward", "output");
        const Index B = in.dim0, L = in.dim1, C = in.dim2;
#pragma omp parallel for schedule(static) if (B > 1 && in.size() >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            Map(out.slice(b), C, L) = ConstMap(in.slice(b), L, C).transpose();
        }
    }

    /// g_in[b, t, c] = g_out[b, 0, c*L + t].
    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(g_out, in.dim0, s, "Flatten::backward", "g_out");
        require_shape(g_in, in.dim0, Shape{in.dim1, in.dim2}, "Flatten::backward", "g_in");
        const Index B = in.dim0, L = in.dim1, C = in.dim2;
#pragma omp parallel for schedule(static) if (B > 1 && in.size() >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            Map(g_in.slice(b), L, C) = ConstMap(g_out.slice(b), C, L).transpose();
        }
    }

    /// u_out[b, 0, c*L + t] = u_in[b, t, c], on the listed rows only.
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(u_in, in.dim0, Shape{in.dim1, in.dim2}, "Flatten::tangent", "u_in");
        require_shape(u_out, in.dim0, s, "Flatten::tangent", "u_out");
        const Index B = in.dim0, L = in.dim1, C = in.dim2;
        for (const Index r : rows) {
            require(r >= 0 && r < B, "Flatten::tangent", "row", r, "must be in [0, ", B, ")");
        }
        const Index R = static_cast<Index>(rows.size());
#pragma omp parallel for schedule(static) if (R > 1 && R * L * C >= kParallelWork)
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            Map(u_out.slice(b), C, L) = ConstMap(u_in.slice(b), L, C).transpose();
        }
    }

private:

    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Map = Eigen::Map<Matrix>;
    using ConstMap = Eigen::Map<const Matrix>;
};

/// `model.add(nn::flatten())`.
template <class Scalar = float>
std::unique_ptr<Flatten<Scalar>> flatten() {
    return std::make_unique<Flatten<Scalar>>();
}

}  // namespace attrprior::nn
