// 1-d convolution (PyTorch's Conv1d: cross-correlation), channels-last tensors.
//
// Per example, a valid, stride-1, dilation-1 convolution is one GEMM: with channels
// innermost, the im2col matrix of an L x C input is the input itself read with a row
// stride of C (rows overlap), so no copy is made. The input gradient is recast as a
// correlation of the zero-padded output gradient with the flipped kernel (K = k * C_out)
// instead of k small GEMMs (that shape runs at half the rate: docs/performance.md, "Earlier
// measurements behind two design choices"). Other strides, dilations and paddings take a
// per-tap path. OpenMP runs over examples; each thread calls Eigen's single-threaded GEMM
// and owns its scratch, sized at first use.
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

enum class Padding { valid, same };

struct Conv1dOptions {
    Index in_channels = 0;  // 0: taken from the input when the layer is added to a Model
    Index out_channels = 0;
    Index kernel_size = 1;
    Index stride = 1;
    Index dilation = 1;
    Padding padding = Padding::valid;  // "same" (PyTorch's padding='same') needs stride 1
    bool bias = true;
};

template <class Scalar>
class Conv1d : public Layer<Scalar> {
public:
    using typename Layer<Scalar>::Tensor;
    using typename Layer<Scalar>::ConstTensor;
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using MatrixMap = Eigen::Map<Matrix>;
    using StridedMap = Eigen::Map<const Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    using StridedMutableMap = Eigen::Map<Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

    explicit Conv1d(const Conv1dOptions& o) : o_(o) {
        const char* where = "Conv1d";
        require(o.in_channels >= 0, where, "in_channels", o.in_channels,
                "must be >= 1 (or 0: taken from the model input when added to a Model)");
        require(o.out_channels >= 1, where, "out_channels", o.out_channels, "must be >= 1");
        require(o.kernel_size >= 1, where, "kernel_size", o.kernel_size, "must be >= 1");
        require(o.stride >= 1, where, "stride", o.stride, "must be >= 1");
        require(o.dilation >= 1, where, "dilation", o.dilation, "must be >= 1");
        require(o.padding == Padding::valid || o.stride == 1, where, "stride", o.stride,
                "must be 1 with padding 'same' (as in PyTorch)");
        const Index total = o.dilation * (o.kernel_size - 1);
        pad_left_ = o.padding == Padding::same ? total / 2 : 0;
        pad_right_ = o.padding == Padding::same ? total - pad_left_ : 0;
    }
    Conv1d(Index in_channels, Index out_channels, Index kernel_size, Padding padding = Padding::valid,
           Index dilation = 1)
        : Conv1d(Conv1dOptions{in_channels, out_channels, kernel_size, 1, dilation, padding, true}) {}

    const Conv1dOptions& options() const { return o_; }
    std::string kind() const override { return "Conv1d"; }
    DeepLiftRule deeplift_rule() const override { return DeepLiftRule::affine; }
    Reach reach() const override { return Reach::window(o_.kernel_size, o_.stride, o_.dilation, pad_left_); }

    void infer_input_shape(const Shape& in) override {
        if (o_.in_channels == 0) o_.in_channels = in.channels;
    }

    Shape output_shape(const Shape& in) const override {
        require(in.channels == o_.in_channels, "Conv1d", "input channels", in.channels,
                "must equal in_channels = ", o_.in_channels);
        const Index span = o_.dilation * (o_.kernel_size - 1) + 1;
        const Index padded = in.length + pad_left_ + pad_right_;
        require(padded >= span, "Conv1d", "input length", in.length,
                "is shorter than the kernel span ", span, " (kernel_size ", o_.kernel_size,
                ", dilation ", o_.dilation, ")");
        return Shape{(padded - span) / o_.stride + 1, o_.out_channels};
    }

    Index parameter_count() const override {
        return weight_size() + (o_.bias ? o_.out_channels : 0);
    }
    void bind(Scalar* params, Scalar* grads, Scalar*) override {
        params_ = params;
        grads_ = grads;
    }
    void reset_parameters(std::mt19937_64& rng) override {
        // PyTorch: kaiming_uniform_(a = sqrt(5)) gives bound 1/sqrt(fan_in); bias the same.
        const double bound = 1.0 / std::sqrt(double(o_.in_channels * o_.kernel_size));
        std::uniform_real_distribution<double> u(-bound, bound);
        for (Index i = 0; i < parameter_count(); ++i) params_[i] = static_cast<Scalar>(u(rng));
    }
    std::vector<TensorInfo> tensors() const override {
        std::vector<TensorInfo> t{{"weight", {o_.out_channels, o_.in_channels, o_.kernel_size}, true, 0}};
        if (o_.bias) t.push_back({"bias", {o_.out_channels}, true, weight_size()});
        return t;
    }

    void forward(ConstTensor in, Tensor out, Mode) override {
        const Shape os = check(in);
        require_shape(out, in.dim0, os, "Conv1d::forward", "output");
        pack_weights();
        apply(in, out, nullptr, in.dim0, true);
    }

    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        const Shape os = check(in);
        require_shape(g_out, in.dim0, os, "Conv1d::backward", "g_out");
        require_shape(g_in, in.dim0, Shape{in.dim1, in.dim2}, "Conv1d::backward", "g_in");
        pack_weights();
        const Index B = in.dim0, L = in.dim1, Lout = os.length;
        const Index Cin = o_.in_channels, Cout = o_.out_channels, k = o_.kernel_size;
        prepare(L);
        if (o_.stride == 1 && o_.dilation == 1) {
            // g_in[t] = sum_j' gpad[t + pad_left + j'] * Wflip[j'], gpad = g_out with k-1
            // zero rows on each side: one GEMM with K = k * Cout.
            const Index lead = k - 1;
#pragma omp parallel for schedule(static)
            for (Index b = 0; b < B; ++b) {
                Scalar* gpad = scratch_[static_cast<std::size_t>(omp_get_thread_num())].data();
                std::fill(gpad, gpad + lead * Cout, Scalar(0));
                std::copy(g_out.slice(b), g_out.slice(b) + Lout * Cout, gpad + lead * Cout);
                std::fill(gpad + (lead + Lout) * Cout, gpad + (2 * lead + Lout) * Cout, Scalar(0));
                MatrixMap(g_in.slice(b), L, Cin).noalias() =
                    StridedMap(gpad + pad_left_ * Cout, L, k * Cout, Eigen::OuterStride<>(Cout)) *
                    flipped_;
            }
            return;
        }
        // General path: scatter each tap into a padded input gradient.
        const Index Lp = L + pad_left_ + pad_right_;
#pragma omp parallel for schedule(static)
        for (Index b = 0; b < B; ++b) {
            Scalar* gx = scratch_[static_cast<std::size_t>(omp_get_thread_num())].data();
            std::fill(gx, gx + Lp * Cin, Scalar(0));
            const Eigen::Map<const Matrix> g(g_out.slice(b), Lout, Cout);
            for (Index j = 0; j < k; ++j) {
                StridedMutableMap(gx + j * o_.dilation * Cin, Lout, Cin,
                                  Eigen::OuterStride<>(o_.stride * Cin)).noalias() +=
                    g * packed_.block(j * Cin, 0, Cin, Cout).transpose();
            }
            std::copy(gx + pad_left_ * Cin, gx + (pad_left_ + L) * Cin, g_in.slice(b));
        }
    }

    void accumulate_parameter_gradients(ConstTensor in, ConstTensor g_out) override {
        const Shape os = check(in);
        require_shape(g_out, in.dim0, os, "Conv1d::accumulate_parameter_gradients", "g_out");
        weight_gradient(in, g_out, nullptr, in.dim0, o_.bias);
    }

    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Shape os = check(in);
        require_shape(u_in, in.dim0, Shape{in.dim1, in.dim2}, "Conv1d::tangent", "u_in");
        require_shape(u_out, in.dim0, os, "Conv1d::tangent", "u_out");
        pack_weights();
        apply(u_in, u_out, rows.data(), static_cast<Index>(rows.size()), false);
    }

    /// B = W^T g: theta-bar is the weight-gradient contraction of (input = u_in,
    /// output gradient = g_out); the bias and hbar get nothing (docs/double_backprop.md §2
    /// step 4, §3).
    void accumulate_second_order(ConstTensor in, ConstTensor g_out, ConstTensor u_in, Tensor,
                                 const Rows& rows) override {
        const Shape os = check(in);
        require_shape(g_out, in.dim0, os, "Conv1d::accumulate_second_order", "g_out");
        weight_gradient(u_in, g_out, rows.data(), static_cast<Index>(rows.size()), false);
    }

private:
    Index weight_size() const { return o_.out_channels * o_.in_channels * o_.kernel_size; }

    Shape check(const ConstTensor& in) const {
        require(in.dim0 >= 1, "Conv1d", "batch size", in.dim0, "must be >= 1");
        return output_shape(Shape{in.dim1, in.dim2});
    }

    /// packed_[(j * Cin + c), o] = W[o, c, j]; flipped_[(j' * Cout + o), c] = W[o, c, k-1-j'].
    void pack_weights() {
        const Index Cin = o_.in_channels, Cout = o_.out_channels, k = o_.kernel_size;
        packed_.resize(k * Cin, Cout);
        flipped_.resize(k * Cout, Cin);
        for (Index o = 0; o < Cout; ++o)
            for (Index c = 0; c < Cin; ++c)
                for (Index j = 0; j < k; ++j) {
                    const Scalar w = params_[(o * Cin + c) * k + j];
                    packed_(j * Cin + c, o) = w;
                    flipped_((k - 1 - j) * Cout + o, c) = w;
                }
    }

    /// Per-thread scratch: a padded input (forward/tangent), a padded output gradient
    /// (backward), and a weight-gradient accumulator.
    void prepare(Index L) {
        const Index Cin = o_.in_channels, Cout = o_.out_channels, k = o_.kernel_size;
        const Index Lp = L + pad_left_ + pad_right_;
        const Index Lout = output_shape(Shape{L, Cin}).length;
        const std::size_t need = static_cast<std::size_t>(std::max(
            {Lp * Cin, (Lout + 2 * (k - 1)) * Cout}));
        const std::size_t threads = static_cast<std::size_t>(omp_get_max_threads());
        if (scratch_.size() < threads) scratch_.resize(threads);
        if (accum_.size() < threads) accum_.resize(threads);
        for (std::size_t t = 0; t < threads; ++t) {
            if (scratch_[t].size() < need) scratch_[t].resize(need);
            accum_[t].resize(k * Cin, Cout);  // no-op when the size is unchanged
        }
        bias_accum_.resize(static_cast<Eigen::Index>(threads), Cout);
    }

    /// The input of example b as the padded matrix the kernels read (a copy only when padded).
    const Scalar* padded_input(const ConstTensor& in, Index b, Scalar* scratch) const {
        if (pad_left_ == 0 && pad_right_ == 0) return in.slice(b);
        const Index L = in.dim1, C = in.dim2;
        std::fill(scratch, scratch + pad_left_ * C, Scalar(0));
        std::copy(in.slice(b), in.slice(b) + L * C, scratch + pad_left_ * C);
        std::fill(scratch + (pad_left_ + L) * C, scratch + (pad_left_ + L + pad_right_) * C, Scalar(0));
        return scratch;
    }

    /// out = conv(in) (+ bias) on the given rows (all rows when rows == nullptr).
    void apply(const ConstTensor& in, const Tensor& out, const Index* rows, Index count, bool bias) {
        const Index L = in.dim1, Lout = out.dim1;
        const Index Cin = o_.in_channels, Cout = o_.out_channels, k = o_.kernel_size;
        prepare(L);
        const Eigen::Map<const RowVector> bias_row(params_ + weight_size(), Cout);
#pragma omp parallel for schedule(static)
        for (Index r = 0; r < count; ++r) {
            const Index b = rows ? rows[r] : r;
            const Scalar* x = padded_input(in, b, scratch_[static_cast<std::size_t>(omp_get_thread_num())].data());
            MatrixMap y(out.slice(b), Lout, Cout);
            if (o_.dilation == 1) {
                y.noalias() = StridedMap(x, Lout, k * Cin, Eigen::OuterStride<>(o_.stride * Cin)) * packed_;
            } else {
                y.setZero();
                for (Index j = 0; j < k; ++j) {
                    y.noalias() += StridedMap(x + j * o_.dilation * Cin, Lout, Cin,
                                              Eigen::OuterStride<>(o_.stride * Cin)) *
                                   packed_.block(j * Cin, 0, Cin, Cout);
                }
            }
            if (bias && o_.bias) y.rowwise() += bias_row;
        }
    }

    /// grads(weight) += sum_b im2col(in_b)^T g_b (+ bias: sum of g) over the given rows.
    /// Per-thread accumulators, reduced in thread order (deterministic for a thread count).
    void weight_gradient(const ConstTensor& in, const ConstTensor& g_out, const Index* rows,
                         Index count, bool bias) {
        const Index L = in.dim1, Lout = g_out.dim1;
        const Index Cin = o_.in_channels, Cout = o_.out_channels, k = o_.kernel_size;
        prepare(L);
        const int threads = omp_get_max_threads();
        for (int t = 0; t < threads; ++t) accum_[static_cast<std::size_t>(t)].setZero();
        bias_accum_.setZero();
#pragma omp parallel for schedule(static)
        for (Index r = 0; r < count; ++r) {
            const Index b = rows ? rows[r] : r;
            const int t = omp_get_thread_num();
            Matrix& acc = accum_[static_cast<std::size_t>(t)];
            const Scalar* x = padded_input(in, b, scratch_[static_cast<std::size_t>(t)].data());
            const Eigen::Map<const Matrix> g(g_out.slice(b), Lout, Cout);
            if (o_.dilation == 1) {
                acc.noalias() += StridedMap(x, Lout, k * Cin, Eigen::OuterStride<>(o_.stride * Cin)).transpose() * g;
            } else {
                for (Index j = 0; j < k; ++j) {
                    acc.block(j * Cin, 0, Cin, Cout).noalias() +=
                        StridedMap(x + j * o_.dilation * Cin, Lout, Cin,
                                   Eigen::OuterStride<>(o_.stride * Cin)).transpose() * g;
                }
            }
            if (bias) bias_accum_.row(t) += g.colwise().sum();
        }
        for (int t = 1; t < threads; ++t) accum_[0] += accum_[static_cast<std::size_t>(t)];
        for (Index o = 0; o < Cout; ++o)
            for (Index c = 0; c < Cin; ++c)
                for (Index j = 0; j < k; ++j) grads_[(o * Cin + c) * k + j] += accum_[0](j * Cin + c, o);
        if (bias) {
            for (Index o = 0; o < Cout; ++o) {
                Scalar s = 0;
                for (int t = 0; t < threads; ++t) s += bias_accum_(t, o);
                grads_[weight_size() + o] += s;
            }
        }
    }

    Conv1dOptions o_;
    Index pad_left_ = 0, pad_right_ = 0;
    Scalar* params_ = nullptr;
    Scalar* grads_ = nullptr;
    Matrix packed_, flipped_;
    std::vector<std::vector<Scalar>> scratch_;
    std::vector<Matrix> accum_;
    Matrix bias_accum_;

public:
    /// Fast ISM (docs/attribution.md, "ISM"): the valid convolution (the layer's stride and
    /// dilation, no padding: the caller wrote the zero pads into the window) of every row
    /// of `in`. Windows are short (tens to hundreds of positions), so with many output
    /// channels the im2col rows of all windows are stacked and multiplied by the packed
    /// weights in blocks of kWindowBlock rows (per-thread scratch); with few output
    /// channels (a profile head), where copying im2col rows would cost as much as the
    /// product, each window is one GEMM on its strided view (per tap when dilated).
    bool forward_window(ConstTensor in, Tensor out) override {
        const Index R = in.dim0, m = out.dim1, Cin = o_.in_channels, Cout = o_.out_channels, k = o_.kernel_size;
        const Index K = k * Cin, rows = R * m, st = o_.stride * Cin;
        require(out.dim0 == R && in.dim2 == Cin && out.dim2 == Cout &&
                    in.dim1 == (m - 1) * o_.stride + o_.dilation * (k - 1) + 1,
                "Conv1d::forward_window", "input", in.shape_string(), "does not hold the windows of output ",
                out.shape_string());
        pack_weights();
        const Eigen::Map<const RowVector> bias_row(params_ + weight_size(), Cout);
        if (Cout < 16) {
#pragma omp parallel for schedule(static) if (R > 1)
            for (Index r = 0; r < R; ++r) {
                const Scalar* x = in.slice(r);
                MatrixMap y(out.slice(r), m, Cout);
                if (o_.dilation == 1) {
                    y.noalias() = StridedMap(x, m, K, Eigen::OuterStride<>(st)) * packed_;
                } else {
                    y.setZero();
                    for (Index j = 0; j < k; ++j)
                        y.noalias() += StridedMap(x + j * o_.dilation * Cin, m, Cin, Eigen::OuterStride<>(st)) *
                                       packed_.block(j * Cin, 0, Cin, Cout);
                }
                if (o_.bias) y.rowwise() += bias_row;
            }
            return true;
        }
        const std::size_t threads = static_cast<std::size_t>(omp_get_max_threads());
        if (window_cols_.size() < threads) window_cols_.resize(threads);
        for (auto& w : window_cols_)
            if (static_cast<Index>(w.size()) < kWindowBlock * K) w.resize(static_cast<std::size_t>(kWindowBlock * K));
#pragma omp parallel
        {
            const Index T = omp_get_num_threads(), id = omp_get_thread_num();
            Scalar* cols = window_cols_[static_cast<std::size_t>(id)].data();
            const Index first = rows * id / T, last = rows * (id + 1) / T;
            for (Index b0 = first; b0 < last; b0 += kWindowBlock) {
                const Index nb = std::min(kWindowBlock, last - b0);
                for (Index e = 0; e < nb; ++e) {  // im2col row of (window r, position t)
                    const Scalar* x = in.slice((b0 + e) / m) + ((b0 + e) % m) * st;
                    Scalar* c = cols + e * K;
                    if (o_.dilation == 1) {
                        std::copy(x, x + K, c);
                    } else {
                        for (Index j = 0; j < k; ++j)
                            std::copy(x + j * o_.dilation * Cin, x + (j * o_.dilation + 1) * Cin, c + j * Cin);
                    }
                }
                MatrixMap y(out.data + b0 * Cout, nb, Cout);
                y.noalias() = MatrixMap(cols, nb, K) * packed_;
                if (o_.bias) y.rowwise() += bias_row;
            }
        }
        return true;
    }

private:
    static constexpr Index kWindowBlock = 256;           // im2col rows per GEMM in forward_window
    std::vector<std::vector<Scalar>> window_cols_;  // per-thread im2col scratch of forward_window
};

/// A Conv1d whose in_channels comes from the model it is added to, e.g.
/// `model.add("conv.0", nn::conv1d(64, 15))` (float) or `nn::conv1d<double>(...)`.
template <class Scalar = float>
std::unique_ptr<Conv1d<Scalar>> conv1d(Index out_channels, Index kernel_size, Padding padding = Padding::valid,
                                       Index dilation = 1, Index stride = 1, bool bias = true) {
    return std::make_unique<Conv1d<Scalar>>(
        Conv1dOptions{0, out_channels, kernel_size, stride, dilation, padding, bias});
}

}  // namespace attrprior::nn
