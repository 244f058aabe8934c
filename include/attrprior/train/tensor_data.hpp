// Example sets and batchers over arrays the caller already holds (train/batch.hpp):
// TensorExamples for prediction and evaluation in order, TensorBatcher for training in
// shuffled batches. Both keep views: the data must outlive them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/train/batch.hpp"

namespace attrprior::train {

/// Which rows of an example set the prior sees (their status, train/batch.hpp).
enum class StatusRule {
    labels,  ///< rows whose targets hold a 1 (binary labels: the positives)
    all,     ///< every row (profile models: every example is a peak)
};

/// An example set over tensors the caller owns: the model inputs (the sequence first, all
/// with the same number of rows) and, optionally, targets (0 rows = none). Keeps views:
/// the data must outlive it.
template <class Scalar>
class TensorExamples {
public:
    explicit TensorExamples(std::vector<ConstTensor3<Scalar>> inputs, ConstTensor3<Scalar> targets = {},
                            StatusRule status = StatusRule::labels)
        : inputs_(std::move(inputs)), targets_(targets), status_rule_(status) {
        const char* where = "TensorExamples";
        require(!inputs_.empty(), where, "inputs", 0, "must hold at least the sequence");
        for (std::size_t k = 0; k < inputs_.size(); ++k)
            require(inputs_[k].dim0 == inputs_[0].dim0, where, "rows of input", k, "must equal the sequence's ",
                    inputs_[0].dim0, " (got ", inputs_[k].dim0, ")");
        require(targets_.data == nullptr || targets_.dim0 == inputs_[0].dim0, where, "target rows", targets_.dim0,
                "must equal the input rows ", inputs_[0].dim0);
        for (const auto& t : inputs_) shapes_.inputs.push_back(nn::Shape{t.dim1, t.dim2});
        if (targets_.data != nullptr) shapes_.targets = nn::Shape{targets_.dim1, targets_.dim2};
    }
    explicit TensorExamples(ConstTensor3<Scalar> x, ConstTensor3<Scalar> targets = {},
                            StatusRule status = StatusRule::labels)
        : TensorExamples(std::vector<ConstTensor3<Scalar>>{x}, targets, status) {}

    Index size() const { return inputs_[0].dim0; }
    const BatchShapes& shapes() const { return shapes_; }
    /// Copies rows [first, first + count) into rows [0, count) of `batch` (which must have
    /// these shapes and at least count rows); status follows the StatusRule (labels: rows
    /// whose targets hold a 1; all: every row; every row when there are no targets).
    void encode(Index first, Index count, Batch<Scalar>& batch) const {
        require(first >= 0 && count >= 0 && first + count <= size(), "TensorExamples::encode", "range",
                attrprior::detail::concat("[", first, ", ", first + count, ")"), "must lie in [0, ", size(), ")");
        require(batch.shapes() == shapes_, "TensorExamples::encode", "batch shapes", "(different)",
                "must be the example set's shapes()");
        require(count <= batch.size(), "TensorExamples::encode", "count", count, "must not exceed the batch's rows ",
                batch.size(), " (resize the batch first)");
        for (std::size_t k = 0; k < inputs_.size(); ++k) copy_rows(inputs_[k], first, count, batch.input(k));
        if (targets_.data != nullptr) copy_rows(targets_, first, count, batch.targets());
        for (Index r = 0; r < count; ++r) batch.status()[r] = row_status(batch, r);
    }

    /// The status of row r of a batch this set (or its batcher) filled.
    int row_status(const Batch<Scalar>& batch, Index r) const {
        if (status_rule_ == StatusRule::all || targets_.data == nullptr) return 1;
        return row_is_positive<Scalar>(batch.targets(), r);
    }

private:
    static void copy_rows(const ConstTensor3<Scalar>& from, Index first, Index count, Tensor3<Scalar> to) {
        if (count > 0) {
            std::memcpy(to.data, from.slice(first), sizeof(Scalar) * std::size_t(count * from.dim1 * from.dim2));
        }
    }

    template <class>
    friend class TensorBatcher;
    std::vector<ConstTensor3<Scalar>> inputs_;
    ConstTensor3<Scalar> targets_;
    StatusRule status_rule_;
    BatchShapes shapes_;  // kept: encode compares without building one (no allocation)
};

/// Training batches drawn from a TensorExamples: every epoch visits the examples in a new
/// random order (std::mt19937_64 from `seed`, a Fisher-Yates shuffle), `batch` rows at a
/// time, so each example appears at least once per epoch; the last batch of an epoch is
/// topped up from the start of the same order (those examples then appear twice).
/// Keeps a pointer to the examples, which must outlive it.
template <class Scalar>
class TensorBatcher {
public:
    TensorBatcher(const TensorExamples<Scalar>& examples, Index batch, std::uint64_t seed = 1)
        : examples_(&examples), batch_(batch), rng_(seed), order_(static_cast<std::size_t>(examples.size())) {
        require(batch >= 1, "TensorBatcher", "batch", batch, "must be >= 1");
        require(examples.size() >= 1, "TensorBatcher", "examples", examples.size(), "must be >= 1");
        std::iota(order_.begin(), order_.end(), Index(0));
    }
    /// A temporary example set would dangle.
    TensorBatcher(const TensorExamples<Scalar>&& examples, Index batch, std::uint64_t seed = 1) = delete;

    Index batch_size() const { return batch_; }
    Index batches_per_epoch() const { return (examples_->size() + batch_ - 1) / batch_; }
    const BatchShapes& shapes() const { return examples_->shapes(); }

    /// Fills `batch` (resized to batch_size(); a default-constructed batch takes the shapes).
    void next(Batch<Scalar>& batch) {
        if (batch.input_count() == 0) batch = Batch<Scalar>(shapes(), batch_);
        require(batch.shapes() == shapes(), "TensorBatcher::next", "batch shapes", "(different)",
                "must be the batcher's shapes()");
        batch.resize(batch_);
        if (batch_in_epoch_ == 0) {
            for (std::size_t i = order_.size(); i > 1; --i) {
                const std::size_t j = static_cast<std::size_t>(rng_() % i);
                std::swap(order_[i - 1], order_[j]);
            }
        }
        const std::size_t N = order_.size();
        for (Index r = 0; r < batch_; ++r) {
            const Index e = order_[static_cast<std::size_t>(batch_in_epoch_ * batch_ + r) % N];
            for (std::size_t k = 0; k < examples_->inputs_.size(); ++k) copy_row(examples_->inputs_[k], e, batch.input(k), r);
            if (examples_->targets_.data != nullptr) copy_row(examples_->targets_, e, batch.targets(), r);
            batch.status()[r] = examples_->row_status(batch, r);
        }
        if (++batch_in_epoch_ == batches_per_epoch()) batch_in_epoch_ = 0;
    }

private:
    static void copy_row(const ConstTensor3<Scalar>& from, Index row, const Tensor3<Scalar>& to, Index at) {
        std::memcpy(to.slice(at), from.slice(row), sizeof(Scalar) * std::size_t(from.dim1 * from.dim2));
    }

    const TensorExamples<Scalar>* examples_;
    Index batch_;
    std::mt19937_64 rng_;
    std::vector<Index> order_;
    Index batch_in_epoch_ = 0;
};

}  // namespace attrprior::train
