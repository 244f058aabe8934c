// The layer interface: first-order passes and the second-order (tangent) terms of the
// double backprop of docs/double_backprop.md.
//
// Tensors are B x L x C (batch outermost, channels innermost). Dense features are
// B x 1 x F. A layer owns no parameters: the model binds views into its flat parameter,
// gradient and state buffers (mlpack-style), so optimizers, clipping and save/load see
// one vector. Parameters are stored in PyTorch's layout and order (docs/math.md §2).
//
// Notation of docs/double_backprop.md §2-3 for one layer h_out = F(h_in; theta) with backward
// g_in = B(g_out, h_in, theta) = J^T g_out:
//   backward                      g_in  = J^T g_out
//   accumulate_parameter_gradients grads += (dF/dtheta)^T g_out
//   tangent                       u_out = J u_in          (forward-mode, no bias)
//   accumulate_second_order       grads += (dB/dtheta)^T u_in ; hbar_in = (dB/dh_in)^T u_in
// where u_in is the cotangent of g_in (the "g-bar" of docs/double_backprop.md §2). A layer
// without special second-order handling just does not override accumulate_second_order.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/parallel.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::nn {

/// Elementwise passes below this many elements run on one thread (core/parallel.hpp).
/// Named here too so the layers' code and nn::kParallelWork keep working.
using attrprior::kParallelWork;

/// Train mode uses batch statistics (BatchNorm) and random masks (Dropout).
enum class Mode { train, eval };

/// Per-example shape: positions x channels (dense features: 1 x features).
struct Shape {
    Index length = 0;
    Index channels = 0;
    bool operator==(const Shape& o) const { return length == o.length && channels == o.channels; }
    bool operator!=(const Shape& o) const { return !(*this == o); }
};

inline std::string to_string(const Shape& s) {
    return detail::concat("[", s.length, " x ", s.channels, "]");
}

/// Rows of the batch a tangent pass computes (all rows, or the rows the prior sees):
/// distinct, in [0, B), increasing. A layer must give a listed row exactly the values a
/// pass over all rows gives it (the rows are independent computations).
using Rows = std::vector<Index>;

/// A tensor of a layer as PyTorch names and shapes it (for save/load, docs/math.md §2).
struct TensorInfo {
    std::string name;          // e.g. "weight", "running_mean"
    std::vector<Index> shape;  // PyTorch shape
    bool is_parameter = true;  // false: state buffer (BatchNorm running statistics)
    Index offset = 0;          // into the layer's parameter (or state) block
};

/// How a layer's DeepLIFT backward maps the multipliers of its output to its input
/// (docs/attribution.md, "DeepLIFT rules").
///   none:    no rule; attribution methods that need one reject a model containing it
///   affine:  the layer is affine in its input (in eval mode), so Δout = J Δin exactly and
///            the ordinary backward is the rule
///   own:     the layer implements deeplift_backward (ReLU, MaxPool1d)
enum class DeepLiftRule { none, affine, own };

/// Which input positions an output position reads (fast ISM, docs/attribution.md "ISM"):
///   local:   output t reads inputs t * stride - left_pad + j * dilation, j = 0 .. kernel-1
///            (positions outside the input are zero pads); a pointwise layer is local with
///            kernel 1, stride 1, a crop by `o` positions is local with left_pad = -o
///   global:  every output reads every input position (Flatten, pooling over all positions,
///            dense layers)
///   unknown: not declared (fast ISM falls back to full forwards)
struct Reach {
    enum class Kind { unknown, local, global };
    Kind kind = Kind::unknown;
    Index kernel = 1, stride = 1, dilation = 1, left_pad = 0;
    static Reach pointwise() { return Reach{Kind::local, 1, 1, 1, 0}; }
    static Reach window(Index kernel, Index stride, Index dilation, Index left_pad) {
        return Reach{Kind::local, kernel, stride, dilation, left_pad};
    }
    static Reach all_positions() { return Reach{Kind::global, 1, 1, 1, 0}; }
};

template <class Scalar>
class Layer {
public:
    using Tensor = Tensor3<Scalar>;
    using ConstTensor = ConstTensor3<Scalar>;

    virtual ~Layer() = default;

    /// Short type name, e.g. "Conv1d".
    virtual std::string kind() const = 0;
    /// Output shape for an input shape; throws invalid_argument if the input does not fit.
    virtual Shape output_shape(const Shape& in) const = 0;
    /// Called by Model::add with the node's input shape before anything else: a layer whose
    /// size options were left at 0 ("take it from the model") sets them here. Layers with
    /// nothing to infer keep the default (a no-op); output_shape still checks the fit.
    virtual void infer_input_shape(const Shape& /*in*/) {}

    virtual Index parameter_count() const { return 0; }
    virtual Index state_count() const { return 0; }
    /// Views into the model's flat buffers (parameter_count() / state_count() elements).
    virtual void bind(Scalar* /*params*/, Scalar* /*grads*/, Scalar* /*state*/) {}
    /// PyTorch's default initialisation, from the model's seeded generator.
    virtual void reset_parameters(std::mt19937_64& /*rng*/) {}
    /// Named tensors in PyTorch order (parameters first, then state).
    virtual std::vector<TensorInfo> tensors() const { return {}; }
    /// Seeds random layers (Dropout): their masks are a pure function of (seed, step, row,
    /// element), so repeated forwards within a step agree and results do not depend on
    /// the thread count. The model calls this before every training step.
    virtual void set_random_state(std::uint64_t /*seed*/, std::uint64_t /*step*/) {}

    /// h_out = F(h_in). Caches what later passes need; remembers the mode.
    virtual void forward(ConstTensor in, Tensor out, Mode mode) = 0;
    /// g_in = J^T g_out, for all rows (input gradient only). Uses what the latest forward
    /// cached (argmax, masks, batch statistics): call it after a forward on the same input.
    virtual void backward(ConstTensor in, ConstTensor out, ConstTensor g_out, Tensor g_in) = 0;
    /// The backward of the attribution pass (docs/double_backprop.md §2 step 2). tangent() and
    /// accumulate_second_order() are the derivatives of THIS map. Equal to backward()
    /// except for layers that define attributions per example (BatchNorm in train mode
    /// treats the batch statistics as constants here by default, see batchnorm.hpp).
    virtual void attribution_backward(ConstTensor in, ConstTensor out, ConstTensor g_out, Tensor g_in) {
        backward(in, out, g_out, g_in);
    }
    /// grads += (dF/dtheta)^T g_out, for all rows.
    virtual void accumulate_parameter_gradients(ConstTensor /*in*/, ConstTensor /*g_out*/) {}
    /// u_out = J u_in on `rows` only (other rows are neither read nor written), J being the
    /// Jacobian of attribution_backward's transpose map. Valid after a forward.
    virtual void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) = 0;
    /// grads += (dB/dtheta)^T u_in and, if has_input_second_order(), hbar_in =
    /// (dB/dh_in)^T u_in (assigned, every row). g_out is the attribution gradient at the
    /// output. Default: both terms are zero (ReLU, pooling, reshapes).
    virtual void accumulate_second_order(ConstTensor /*in*/, ConstTensor /*g_out*/,
                                         ConstTensor /*u_in*/, Tensor /*hbar_in*/,
                                         const Rows& /*rows*/) {}
    /// True when the layer writes a nonzero hbar_in (BatchNorm in train mode).
    virtual bool has_input_second_order() const { return false; }
    /// True when the attribution pass couples rows (BatchNorm in train mode with batch-
    /// coupled attribution statistics): the tangent pass must then run on every row.
    /// Reflects the mode of the latest forward.
    virtual bool couples_rows() const { return false; }

    // ---- attribution (docs/attribution.md) ----------------------------------------------
    /// The layer's DeepLIFT rule (see DeepLiftRule). Default: none, so a user's layer is
    /// rejected by DeepLIFT/DeepSHAP instead of silently falling back to its gradient.
    virtual DeepLiftRule deeplift_rule() const { return DeepLiftRule::none; }
    /// DeepLIFT backward of a layer whose rule is `own`, after an eval forward over a batch
    /// that holds examples and references: row r is a reference of the example in row
    /// partner[r]; partner[r] == r marks an example row, which gets the ordinary backward.
    /// g_in of a reference row is its DeepLIFT cotangent from g_out (one multiplier per
    /// (example, reference) pair).
    virtual void deeplift_backward(ConstTensor /*in*/, ConstTensor /*out*/, ConstTensor /*g_out*/,
                                   Tensor /*g_in*/, const std::vector<Index>& /*partner*/) {
        throw error(detail::concat(kind(), ": no DeepLIFT rule (deeplift_rule() is not 'own')"));
    }
    /// Which input positions each output position reads (see Reach). Default: unknown.
    virtual Reach reach() const { return Reach{}; }

    // ---- fast ISM (docs/attribution.md, "ISM") -------------------------------------------
    /// The layer's local map (reach() local) on a window of positions, eval mode: per row,
    /// `in` holds the n = (m - 1) * stride + dilation * (kernel - 1) + 1 consecutive input
    /// positions that the m = out.dim1 consecutive output positions read (the caller has
    /// written zeros where they fall outside the input: the layer adds no padding), and
    /// `out` receives those m positions. Returns false, writing nothing, when the layer has
    /// no such pass (fast ISM then runs full forwards). May overwrite the caches of the
    /// latest forward, as a forward would.
    virtual bool forward_window(ConstTensor /*in*/, Tensor /*out*/) { return false; }
};

/// Checks a tensor's per-example shape against the expected one.
template <class T>
void require_shape(const Tensor3<T>& t, Index batch, const Shape& s, const char* where,
                   const char* name) {
    if (t.dim0 != batch || t.dim1 != s.length || t.dim2 != s.channels) {
        throw invalid_argument(detail::concat(where, ": ", name, " has shape ", t.shape_string(),
                                              ", expected [", batch, ", ", s.length, ", ",
                                              s.channels, "]"));
    }
}

}  // namespace attrprior::nn
