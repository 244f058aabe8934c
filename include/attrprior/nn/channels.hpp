// Small linear maps used to wire multi-task heads (the profile model of docs/models.md §3-4):
//   ChannelSlice(begin, count): B x L x C -> B x L x count, channels [begin, begin + count)
//   PositionSum:                B x L x C -> B x 1 x C, the raw sum over positions (the
//                               control counts of the counts head)
// Both are linear: the tangent is the forward map, the second-order terms are zero.
#pragma once

#include <Eigen/Core>

#include <memory>
#include <string>

#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

template <class Scalar>
class ChannelSlice : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    ChannelSlice(Index begin, Index count) : begin_(begin), count_(count) {
        require(begin >= 0, "ChannelSlice", "begin", begin, "must be >= 0");
        require(count >= 1, "ChannelSlice", "count", count, "must be >= 1");
    }
    std::string kind() const override { return "ChannelSlice"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::pointwise(); }
    Shape output_shape(const Shape& in) const override {
        require(begin_ + count_ <= in.channels, "ChannelSlice", "channels [begin, begin + count)",
                detail::concat("[", begin_, ", ", begin_ + count_, ")"), "exceed the input's ", in.channels);
        return Shape{in.length, count_};
    }
    void forward(ConstTensor in, Tensor out, Mode) override {
        require_shape(out, in.dim0, output_shape(Shape{in.dim1, in.dim2}), "ChannelSlice::forward", "output");
        out.rows() = in.rows().middleCols(begin_, count_);
    }
    void backward(ConstTensor in, ConstTensor, ConstTensor g_out, Tensor g_in) override {
        require_shape(g_in, in.dim0, Shape{in.dim1, in.dim2}, "ChannelSlice::backward", "g_in");
        g_in.rows().setZero();
        g_in.rows().middleCols(begin_, count_) = g_out.rows();
    }
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        for (Index b : rows) u_out.matrix(b) = u_in.matrix(b).middleCols(begin_, count_);
        (void)in;
    }

private:
    Index begin_, count_;

public:
    /// Fast ISM (docs/attribution.md, "ISM"): pointwise, so a window is the eval forward.
    bool forward_window(ConstTensor in, Tensor out) override {
        forward(in, out, Mode::eval);
        return true;
    }
};

template <class Scalar>
class PositionSum : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;

    std::string kind() const override { return "PositionSum"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::all_positions(); }
    Shape output_shape(const Shape& in) const override {
        require(in.length >= 1, "PositionSum", "input length", in.length, "must be >= 1");
        return Shape{1, in.channels};
    }
    void forward(ConstTensor in, Tensor out, Mode) override {
        require_shape(out, in.dim0, output_shape(Shape{in.dim1, in.dim2}), "PositionSum::forward", "output");
        for (Index b = 0; b < in.dim0; ++b) out.matrix(b) = in.matrix(b).colwise().sum();
    }
    void backward(ConstTensor in, ConstTensor, ConstTensor g_out, Tensor g_in) override {
        for (Index b = 0; b < in.dim0; ++b) g_in.matrix(b).rowwise() = g_out.matrix(b).row(0);
    }
    void tangent(ConstTensor, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        for (Index b : rows) u_out.matrix(b) = u_in.matrix(b).colwise().sum();
    }
};

/// `model.add(nn::channel_slice(begin, count), node)`.
template <class Scalar = float>
std::unique_ptr<ChannelSlice<Scalar>> channel_slice(Index begin, Index count) {
    return std::make_unique<ChannelSlice<Scalar>>(begin, count);
}
/// `model.add(nn::position_sum(), node)`: the sum over positions (B x 1 x C).
template <class Scalar = float>
std::unique_ptr<PositionSum<Scalar>> position_sum() {
    return std::make_unique<PositionSum<Scalar>>();
}

}  // namespace attrprior::nn
