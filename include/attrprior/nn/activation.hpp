// Element-wise activations.
//
// ReLU: h_out = max(h_in, 0). Its Jacobian is the diagonal mask (h_in > 0), so
//   backward  g_in  = g_out * (h_in > 0)
//   tangent   u_out = u_in  * (h_in > 0)
// and both second-order terms of the double backprop (docs/double_backprop.md §3) vanish (the
// mask is locally constant in h_in and there are no parameters): accumulate_second_order keeps
// the default no-op.
//
// The layer is stateless: the mask is recomputed from the input each pass, so nothing is
// cached and nothing is allocated. `in` and `out` may alias exactly (in-place forward).
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// Rectified linear unit, kind "ReLU". Any shape B x L x C; output has the same shape.
template <class Scalar>
class ReLU : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    std::string kind() const override { return "ReLU"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::own; }
    Reach reach() const override { return Reach::pointwise(); }

    Shape output_shape(const Shape& in) const override {
        require(in.length >= 1, "ReLU", "input length", in.length, "must be >= 1");
        require(in.channels >= 1, "ReLU", "input channels", in.channels, "must be >= 1");
        return in;
    }

    /// out = max(in, 0); a NaN input stays NaN (as PyTorch), tested.
    void forward(ConstTensor in, Tensor out, Mode /*mode*/) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(out, in.dim0, s, "ReLU::forward", "output");
        const Index B = in.dim0, n = s.length * s.channels;
#pragma omp parallel for schedule(static) if (B > 1 && B * n >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            flat(out, b, n) = flat(in, b, n).cwiseMax(Scalar(0));
        }
    }

    /// g_in = g_out where in > 0, else 0.
    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(g_out, in.dim0, s, "ReLU::backward", "g_out");
        require_shape(g_in, in.dim0, s, "ReLU::backward", "g_in");
        const Index B = in.dim0, n = s.length * s.channels;
#pragma omp parallel for schedule(static) if (B > 1 && B * n >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            flat(g_in, b, n) = (flat(in, b, n) > Scalar(0)).select(flat(g_out, b, n), Scalar(0));
        }
    }

    /// DeepLIFT's Rescale rule (docs/attribution.md, "DeepLIFT rules"): for a reference row
    /// the multiplier is Δout/Δin between the example and the reference, or the gradient at
    /// the example, 1[in > 0], where |Δin| < relu_epsilon (the ratio is then unreliable
    /// and a unit whose input did not change carries no credit either way).
    void deeplift_backward(ConstTensor in, ConstTensor out, ConstTensor g_out, Tensor g_in,
                           const std::vector<Index>& partner) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(g_out, in.dim0, s, "ReLU::deeplift_backward", "g_out");
        require_shape(g_in, in.dim0, s, "ReLU::deeplift_backward", "g_in");
        require(static_cast<Index>(partner.size()) == in.dim0, "ReLU::deeplift_backward", "partner rows",
                partner.size(), "must equal the batch size ", in.dim0);
        const Index B = in.dim0, n = s.length * s.channels;
        const Scalar eps = static_cast<Scalar>(relu_epsilon);
#pragma omp parallel for schedule(static) if (B > 1 && B * n >= kParallelWork)
        for (Index r = 0; r < B; ++r) {
            const Index q = partner[static_cast<std::size_t>(r)];
            const Scalar* hx = in.slice(q);
            const Scalar* yx = out.slice(q);
            const Scalar* hr = in.slice(r);
            const Scalar* yr = out.slice(r);
            const Scalar* go = g_out.slice(r);
            Scalar* gi = g_in.slice(r);
            for (Index e = 0; e < n; ++e) {
                const Scalar dh = hx[e] - hr[e];
                const Scalar m = (q != r && std::abs(dh) >= eps) ? (yx[e] - yr[e]) / dh
                                                                 : (hx[e] > Scalar(0) ? Scalar(1) : Scalar(0));
                gi[e] = go[e] * m;
            }
        }
    }

    /// |Δin| below which the ReLU rule takes the gradient at the example (shap and
    /// tangermeme use 1e-6; docs/attribution.md).
    static constexpr double relu_epsilon = 1e-6;

    /// u_out = u_in where in > 0, else 0, on the listed rows only.
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Shape s = output_shape(Shape{in.dim1, in.dim2});
        require_shape(u_in, in.dim0, s, "ReLU::tangent", "u_in");
        require_shape(u_out, in.dim0, s, "ReLU::tangent", "u_out");
        check_rows(rows, in.dim0);
        const Index R = static_cast<Index>(rows.size()), n = s.length * s.channels;
#pragma omp parallel for schedule(static) if (R > 1 && R * n >= kParallelWork)
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            flat(u_out, b, n) = (flat(in, b, n) > Scalar(0)).select(flat(u_in, b, n), Scalar(0));
        }
    }

private:
    /// Below this many elements the passes run on one thread.

    using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
    static Eigen::Map<const Array> flat(ConstTensor t, Index b, Index n) {
        return Eigen::Map<const Array>(t.slice(b), n);
    }
    static Eigen::Map<Array> flat(Tensor t, Index b, Index n) {
        return Eigen::Map<Array>(t.slice(b), n);
    }

    static void check_rows(const Rows& rows, Index batch) {
        for (const Index r : rows) {
            require(r >= 0 && r < batch, "ReLU::tangent", "row", r, "must be in [0, ", batch,
                    ")");
        }
    }

public:
    /// Fast ISM (docs/attribution.md, "ISM"): pointwise, so a window is the eval forward.
    bool forward_window(ConstTensor in, Tensor out) override {
        forward(in, out, Mode::eval);
        return true;
    }
};

/// `model.add(nn::relu())`.
template <class Scalar = float>
std::unique_ptr<ReLU<Scalar>> relu() {
    return std::make_unique<ReLU<Scalar>>();
}

}  // namespace attrprior::nn
