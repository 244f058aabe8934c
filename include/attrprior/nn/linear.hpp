// Fully connected layer, torch.nn.Linear on dense features.
//
// Input B x 1 x F, output B x 1 x O: out = X W^T + b (one GEMM over the batch).
// Parameters live in the model's flat buffer in PyTorch's layout and order: weight [O, F]
// row-major at offset 0, then bias [O] at offset O*F (absent with bias = false).
//
// Derivatives (docs/double_backprop.md §2-3), with B(g, h, W) = W^T g the backward:
//   backward                 g_in  = g_out W
//   parameter gradients      dW += g_out^T X,   db += sum over rows of g_out
//   tangent                  u_out = W u_in     (no bias; listed rows only)
//   second order             dW += sum over listed rows of g_out[b]^T u_in[b]
//                            (the weight-gradient contraction with input = u_in and
//                            output-gradient = g_out); bias gets nothing; hbar = 0.
//
// tangent works row by row (one GEMV per listed row), so a row's result does not depend
// on which other rows are listed. The second-order term gathers the listed rows into a
// workspace (grown on first use, then reused) and runs one GEMM.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <random>
#include <memory>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// Dense layer F -> O, kind "Linear".
template <class Scalar>
class Linear : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    Linear(Index in_features, Index out_features, bool bias = true)
        : in_(in_features), out_(out_features), bias_(bias) {
        require(in_features >= 0, "Linear", "in_features", in_features,
                "must be >= 1 (or 0: taken from the model input when added to a Model)");
        require(out_features >= 1, "Linear", "out_features", out_features, "must be >= 1");
    }

    Index in_features() const { return in_; }
    Index out_features() const { return out_; }
    bool has_bias() const { return bias_; }

    std::string kind() const override { return "Linear"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::all_positions(); }

    void infer_input_shape(const Shape& in) override {
        if (in_ == 0) in_ = in.channels;
    }

    Shape output_shape(const Shape& in) const override {
        if (in.length != 1 || in.channels != in_) {
            throw invalid_argument(detail::concat("Linear: input shape ", to_string(in),
                                                  " does not match the expected [1 x ", in_,
                                                  "] (in_features = ", in_, ")"));
        }
        return Shape{1, out_};
    }

    Index parameter_count() const override { return out_ * in_ + (bias_ ? out_ : 0); }

    void bind(Scalar* params, Scalar* grads, Scalar* /*state*/) override {
        params_ = params;
        grads_ = grads;
    }

    /// PyTorch's default: weight and bias ~ U(-1/sqrt(F), 1/sqrt(F)) (kaiming_uniform with
    /// a = sqrt(5) has exactly this bound). Draws std::uniform_real_distribution<double>
    /// from `rng`, weight first (row-major [O, F]) then bias, so a seed fixes the values.
    void reset_parameters(std::mt19937_64& rng) override {
        require_bound(params_, "Linear::reset_parameters", "parameters");
        const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
        std::uniform_real_distribution<double> dist(-bound, bound);
        for (Index i = 0; i < parameter_count(); ++i) params_[i] = static_cast<Scalar>(dist(rng));
    }

    std::vector<TensorInfo> tensors() const override {
        std::vector<TensorInfo> t{{"weight", {out_, in_}, true, 0}};
        if (bias_) t.push_back({"bias", {out_}, true, out_ * in_});
        return t;
    }

    void forward(ConstTensor in, Tensor out, Mode /*mode*/) override {
        require_bound(params_, "Linear::forward", "parameters");
        const Index B = in.dim0;
        require_shape(in, B, Shape{1, in_}, "Linear::forward", "input");
        require_shape(out, B, Shape{1, out_}, "Linear::forward", "output");
        Map Y(out.data, B, out_);
        Y.noalias() = ConstMap(in.data, B, in_) * weight().transpose();
        if (bias_) Y.rowwise() += bias();
    }

    /// g_in = g_out W.
    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        require_bound(params_, "Linear::backward", "parameters");
        const Index B = in.dim0;
        require_shape(in, B, Shape{1, in_}, "Linear::backward", "input");
        require_shape(g_out, B, Shape{1, out_}, "Linear::backward", "g_out");
        require_shape(g_in, B, Shape{1, in_}, "Linear::backward", "g_in");
        Map(g_in.data, B, in_).noalias() = ConstMap(g_out.data, B, out_) * weight();
    }

    /// dW += g_out^T X; db += column sums of g_out.
    void accumulate_parameter_gradients(ConstTensor in, ConstTensor g_out) override {
        require_bound(grads_, "Linear::accumulate_parameter_gradients", "gradients");
        const Index B = in.dim0;
        require_shape(in, B, Shape{1, in_}, "Linear::accumulate_parameter_gradients", "input");
        require_shape(g_out, B, Shape{1, out_}, "Linear::accumulate_parameter_gradients",
                      "g_out");
        const ConstMap G(g_out.data, B, out_);
        weight_grad().noalias() += G.transpose() * ConstMap(in.data, B, in_);
        if (bias_) bias_grad() += G.colwise().sum();
    }

    /// u_out[b] = W u_in[b] for the listed rows (one GEMV each).
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        require_bound(params_, "Linear::tangent", "parameters");
        const Index B = in.dim0;
        require_shape(in, B, Shape{1, in_}, "Linear::tangent", "input");
        require_shape(u_in, B, Shape{1, in_}, "Linear::tangent", "u_in");
        require_shape(u_out, B, Shape{1, out_}, "Linear::tangent", "u_out");
        check_rows(rows, B, "Linear::tangent");
        const Index R = static_cast<Index>(rows.size());
        const ConstMap W = weight();
#pragma omp parallel for schedule(static) if (R > 1 && R * in_ * out_ >= kParallelMultiplyAdds)
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            ColMap(u_out.slice(b), out_).noalias() = W * ConstColMap(u_in.slice(b), in_);
        }
    }

    /// dW += sum over listed rows of g_out[b]^T u_in[b]; bias and hbar untouched (zero).
    void accumulate_second_order(ConstTensor in, ConstTensor g_out, ConstTensor u_in,
                                 Tensor /*hbar_in*/, const Rows& rows) override {
        require_bound(grads_, "Linear::accumulate_second_order", "gradients");
        const Index B = in.dim0;
        require_shape(in, B, Shape{1, in_}, "Linear::accumulate_second_order", "input");
        require_shape(g_out, B, Shape{1, out_}, "Linear::accumulate_second_order", "g_out");
        require_shape(u_in, B, Shape{1, in_}, "Linear::accumulate_second_order", "u_in");
        check_rows(rows, B, "Linear::accumulate_second_order");
        const Index R = static_cast<Index>(rows.size());
        if (R == 0) return;
        // A contiguous ascending run (e.g. all rows) needs no gather.
        bool contiguous = true;
        for (Index i = 1; i < R && contiguous; ++i) {
            contiguous = rows[static_cast<std::size_t>(i)] == rows[0] + i;
        }
        if (contiguous) {
            const Index r0 = rows[0];
            weight_grad().noalias() += ConstMap(g_out.slice(r0), R, out_).transpose() *
                                       ConstMap(u_in.slice(r0), R, in_);
            return;
        }
        const std::size_t need_g = static_cast<std::size_t>(R * out_);
        const std::size_t need_u = static_cast<std::size_t>(R * in_);
        if (gather_g_.size() < need_g) gather_g_.resize(need_g);
        if (gather_u_.size() < need_u) gather_u_.resize(need_u);
        for (Index i = 0; i < R; ++i) {
            const Index b = rows[static_cast<std::size_t>(i)];
            std::copy(g_out.slice(b), g_out.slice(b) + out_, gather_g_.data() + i * out_);
            std::copy(u_in.slice(b), u_in.slice(b) + in_, gather_u_.data() + i * in_);
        }
        weight_grad().noalias() +=
            ConstMap(gather_g_.data(), R, out_).transpose() * ConstMap(gather_u_.data(), R, in_);
    }

private:
    /// The tangent's work is counted in multiply-adds of vectorised GEMVs, each cheaper than
    /// an element of an elementwise pass, so it takes twice kParallelWork to pay for the fork.
    static constexpr Index kParallelMultiplyAdds = 2 * kParallelWork;

    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Map = Eigen::Map<Matrix>;
    using ConstMap = Eigen::Map<const Matrix>;
    using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
    using Column = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
    using ColMap = Eigen::Map<Column>;
    using ConstColMap = Eigen::Map<const Column>;

    ConstMap weight() const { return ConstMap(params_, out_, in_); }
    Eigen::Map<const RowVector> bias() const {
        return Eigen::Map<const RowVector>(params_ + out_ * in_, out_);
    }
    Map weight_grad() const { return Map(grads_, out_, in_); }
    Eigen::Map<RowVector> bias_grad() const {
        return Eigen::Map<RowVector>(grads_ + out_ * in_, out_);
    }

    static void require_bound(const Scalar* p, const char* where, const char* what) {
        if (p == nullptr) {
            throw error(detail::concat(where, ": ", what, " are not bound (call bind first)"));
        }
    }

    static void check_rows(const Rows& rows, Index batch, const char* where) {
        for (const Index r : rows) {
            require(r >= 0 && r < batch, where, "row", r, "must be in [0, ", batch, ")");
        }
    }

    Index in_, out_;
    bool bias_;
    Scalar* params_ = nullptr;
    Scalar* grads_ = nullptr;
    std::vector<Scalar> gather_g_, gather_u_;  // second-order workspace, grown on first use
};

/// A Linear layer whose in_features comes from the model: `model.add("fc", nn::linear(50))`.
template <class Scalar = float>
std::unique_ptr<Linear<Scalar>> linear(Index out_features, bool bias = true) {
    return std::make_unique<Linear<Scalar>>(0, out_features, bias);
}

}  // namespace attrprior::nn
