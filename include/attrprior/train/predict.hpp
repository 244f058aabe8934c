// Prediction, attribution and loss over any number of examples, in chunks of any size.
//
// The examples come from an example set (train/batch.hpp: size(), shapes(),
// encode(first, count, batch)); TensorExamples (train/tensor_data.hpp) wraps arrays the
// caller already has, and
// the genomics data sets provide their own. Chunks hold `chunk` examples, the last one
// fewer: nothing is padded, and because the model's and the step's workspaces only grow,
// a smaller last chunk allocates nothing. Results are written straight into the caller's
// N-row tensors (row i = example i), so one chunk's work is one forward (and, for
// attributions, one input-gradient pass) on `count` rows.
//
// Everything runs in eval mode by default (running BatchNorm statistics, no dropout), so a
// row's result does not depend on the chunk it falls in: predicting 100 examples in chunks
// of 32 gives what predicting each alone gives (up to the order of floating-point sums in
// the GEMMs, which can differ with the number of rows).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/train/batch.hpp"
#include "attrprior/train/step.hpp"
#include "attrprior/train/tensor_data.hpp"

namespace attrprior::train {

namespace detail {
template <class E, class Scalar, class = void>
struct is_example_set : std::false_type {};
template <class E, class Scalar>
struct is_example_set<E, Scalar,
                      std::void_t<decltype(Index(std::declval<const E&>().size())),
                                  decltype(BatchShapes(std::declval<const E&>().shapes())),
                                  decltype(std::declval<const E&>().encode(Index(), Index(),
                                                                           std::declval<Batch<Scalar>&>()))>>
    : std::true_type {};
}  // namespace detail

/// True when E has the members of an example set (train/batch.hpp) for Scalar.
template <class E, class Scalar>
inline constexpr bool is_example_set_v = detail::is_example_set<E, Scalar>::value;

/// Called after each chunk with (first example, examples done so far, total): progress
/// bars, or a test's allocation probe.
using ChunkCallback = std::function<void(Index first, Index done, Index total)>;

/// Runs a model over example sets in chunks; owns the chunk buffer and the attribution
/// step, so repeated calls (one per epoch, say) reuse them. Not thread-safe.
template <class Scalar, class Target = SumOfOutputs>
class Predictor {
public:
    /// chunk: examples per forward pass (>= 1); larger chunks use more memory and make
    /// fuller GEMMs. The target defines what attributions explain (train/step.hpp).
    explicit Predictor(Index chunk = 64, Target target = Target()) : chunk_(chunk), step_(Scalar(1), target) {
        require(chunk >= 1, "Predictor", "chunk", chunk, "must be >= 1");
    }
    Index chunk() const { return chunk_; }
    Target& target() { return step_.target(); }
    /// The chunk just processed (rows [0, count) are examples [first, first + count)):
    /// what a ChunkCallback reads to keep the targets without encoding the examples again.
    const Batch<Scalar>& current_chunk() const { return batch_; }

    /// Model outputs of every example: outputs[k] is N x (shape of output k), row i =
    /// example i. Allocates nothing once the chunk buffer and the model have seen a full
    /// chunk.
    template <class Examples>
    void outputs(nn::Model<Scalar>& model, const Examples& examples, const std::vector<Tensor3<Scalar>>& outputs,
                 const ChunkCallback& on_chunk = {}, nn::Mode mode = nn::Mode::eval) {
        check_examples<Examples>();
        const Index N = examples.size();
        require(outputs.size() <= model.outputs().size(), "Predictor::outputs", "outputs", outputs.size(),
                "must be at most the model's ", model.outputs().size());
        for (std::size_t k = 0; k < outputs.size(); ++k) {
            const nn::Shape s = model.output_shape_of(k);
            nn::require_shape(outputs[k], N, s, "Predictor::outputs", "outputs[k]");
        }
        run_chunks(examples, on_chunk, [&](Index first, Index count) {
            model.forward(batch_.inputs(), mode);
            for (std::size_t k = 0; k < outputs.size(); ++k) copy_output(model, k, first, count, outputs[k]);
        });
    }

    /// Attributions (gradient x input of the target, eval mode) of every example:
    /// attributions is N x L x 4 (the sequence's shape). Optional `outputs` as above, from
    /// the same forward pass.
    template <class Examples>
    void attributions(nn::Model<Scalar>& model, const Examples& examples, Tensor3<Scalar> attributions,
                      const std::vector<Tensor3<Scalar>>& outputs = {}, const ChunkCallback& on_chunk = {},
                      nn::Mode mode = nn::Mode::eval) {
        check_examples<Examples>();
        const Index N = examples.size();
        nn::require_shape(attributions, N, model.input_shape(0), "Predictor::attributions", "attributions");
        for (std::size_t k = 0; k < outputs.size(); ++k)
            nn::require_shape(outputs[k], N, model.output_shape_of(k), "Predictor::attributions", "outputs[k]");
        run_chunks(examples, on_chunk, [&](Index first, Index count) {
            const nn::Shape s = model.input_shape(0);
            Tensor3<Scalar> rows(attributions.slice(first), count, s.length, s.channels);
            step_.attribution(model, batch_.inputs(), rows, mode);
            for (std::size_t k = 0; k < outputs.size(); ++k) copy_output(model, k, first, count, outputs[k]);
        });
    }

    /// The task loss over all examples (eval mode; NaN for an empty set). A loss on output
    /// 0 (value_and_gradient(outputs, targets, gradient)) is evaluated once on all N rows,
    /// so losses that pool over the batch (the class-balanced BCE) see the whole set. A
    /// model-level loss (value_and_gradient(model, targets)) is evaluated per chunk and
    /// averaged with weights count / N: exact for losses that are means over examples
    /// (ProfileLoss).
    template <class Examples, class Loss>
    double loss(nn::Model<Scalar>& model, const Examples& examples, Loss& task_loss,
                const ChunkCallback& on_chunk = {}) {
        check_examples<Examples>();
        const Index N = examples.size();
        if (N == 0) return std::numeric_limits<double>::quiet_NaN();
        if constexpr (detail::is_model_loss<Loss, Scalar>::value) {
            double total = 0;
            run_chunks(examples, on_chunk, [&](Index, Index count) {
                model.forward(batch_.inputs(), nn::Mode::eval);
                total += double(task_loss.value_and_gradient(model, batch_.targets())) * double(count);
            });
            return total / double(N);
        } else {
            const nn::Shape os = model.output_shape_of(0), ts = examples.shapes().targets;
            grow(all_outputs_, N * os.length * os.channels);
            grow(all_targets_, N * ts.length * ts.channels);
            grow(all_gradients_, N * os.length * os.channels);
            const Tensor3<Scalar> out(all_outputs_.data(), N, os.length, os.channels);
            run_chunks(examples, on_chunk, [&](Index first, Index count) {
                model.forward(batch_.inputs(), nn::Mode::eval);
                copy_output(model, 0, first, count, out);
                std::copy_n(batch_.targets().data, count * ts.length * ts.channels,
                            all_targets_.data() + first * ts.length * ts.channels);
            });
            return double(task_loss.value_and_gradient(ConstTensor3<Scalar>(out),
                                                  ConstTensor3<Scalar>(all_targets_.data(), N, ts.length, ts.channels),
                                                  Tensor3<Scalar>(all_gradients_.data(), N, os.length, os.channels)));
        }
    }

private:
    template <class Examples>
    static constexpr void check_examples() {
        static_assert(is_example_set_v<Examples, Scalar>,
                      "attrprior: an example set needs `Index size() const`, `BatchShapes shapes() const` and "
                      "`void encode(Index first, Index count, Batch<Scalar>& batch) const`");
    }

    template <class Examples, class Fn>
    void run_chunks(const Examples& examples, const ChunkCallback& on_chunk, Fn&& fn) {
        const Index N = examples.size();
        const BatchShapes& shapes = examples.shapes();  // no copy when the set keeps its shapes
        if (batch_.input_count() == 0 || batch_.shapes() != shapes) batch_ = Batch<Scalar>(shapes, chunk_);
        for (Index first = 0; first < N; first += chunk_) {
            const Index count = std::min(chunk_, N - first);
            batch_.resize(count);  // within capacity: no allocation
            examples.encode(first, count, batch_);
            fn(first, count);
            if (on_chunk) on_chunk(first, first + count, N);
        }
    }

    static void copy_output(const nn::Model<Scalar>& model, std::size_t k, Index first, Index count,
                            const Tensor3<Scalar>& out) {
        const ConstTensor3<Scalar> o = model.output(k);
        std::copy_n(o.data, count * o.dim1 * o.dim2, out.slice(first));
    }

    static void grow(std::vector<Scalar>& v, Index n) {
        if (v.size() < static_cast<std::size_t>(n)) v.resize(static_cast<std::size_t>(n));
    }

    Index chunk_;
    DoubleBackprop<Scalar, Target> step_;
    Batch<Scalar> batch_;
    std::vector<Scalar> all_outputs_, all_targets_, all_gradients_;
};

}  // namespace attrprior::train
