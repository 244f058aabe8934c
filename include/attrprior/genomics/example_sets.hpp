// Example sets of the genomics data sets: fixed lists of examples for prediction and
// evaluation, in the form train/batch.hpp describes (size(), shapes() and
// encode(first, count, batch)). Unlike a batcher, an example set draws nothing: no
// shuffling, no jitter, no reverse complement, and no padding. encode writes examples
// [first, first + count) to rows [0, count) of a batch the caller sized, so a split can be
// walked in chunks whose last one is smaller than the batch.
//  - BinaryExamples: windows of a BinaryDataset (one split, or any list of Examples on
//    its FASTA). Input: the one-hot sequence; target: the label; status: 1 for a positive.
//  - ProfileExamples: examples of a ProfileDataset (one split, or any of its examples by
//    index). Inputs: the one-hot sequence and, when the data set has control tracks, the
//    controls; targets: the observed profiles; status: 1 (every example is a peak).
//
// Allocation: encode writes into the batch's storage and allocates nothing itself, so a
// batch sized once serves every chunk. ProfileExamples copies from the data set's memory
// (no allocation at all); BinaryExamples reads each window from the FASTA, which hands it
// over as a std::string (htslib's buffer, then the string: allocations per example inside
// Fasta::fetch).
//
// Lifetimes: an example set keeps a pointer to its data set, and BinaryExamples one to
// the list of examples it views; both must outlive the set.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/batching.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/windows.hpp"
#include "attrprior/nn/layer.hpp"
#include "attrprior/train/batch.hpp"

namespace attrprior::genomics {

namespace detail {

/// Checks the arguments of an example set's encode: [first, first + count) within the
/// `size` examples, a batch of exactly `shapes` with at least `count` rows. Allocates
/// nothing unless it throws.
template <class Scalar>
void require_encode_arguments(Index first, Index count, Index size, const train::Batch<Scalar>& batch,
                              const train::BatchShapes& shapes, const char* who) {
    require(first >= 0 && first <= size, who, "first", first, "must be in [0, ", size, "] (the number of examples)");
    require(count >= 0 && count <= size - first, who, "count", count, "must be in [0, ", size - first,
            "] (the examples from first = ", first, " on)");
    require_batch_shapes(batch, shapes, who);
    require(count <= batch.size(), who, "count", count, "must not exceed the batch's rows (", batch.size(),
            "): resize the batch first");
}

}  // namespace detail

/// Windows of a BinaryDataset as an example set (see the top of this file).
class BinaryExamples {
public:
    /// The examples of one split of `dataset`, in its order (positives, then negatives).
    BinaryExamples(const BinaryDataset& dataset, Split split) : BinaryExamples(dataset, dataset.examples(split)) {}

    /// Any windows of the data set's FASTA, of its window length (a chosen subset, windows
    /// of another data set on the same genome, ...). Keeps a pointer to `examples`, which
    /// must outlive the set. Throws invalid_argument naming the first example whose label
    /// is not 0 or 1, whose chromosome is absent from the FASTA, or whose window passes an
    /// end of its chromosome.
    BinaryExamples(const BinaryDataset& dataset, const std::vector<Example>& examples)
        : dataset_(&dataset),
          examples_(&examples),
          shapes_{{nn::Shape{dataset.length(), 4}}, nn::Shape{1, 1}} {
        constexpr const char* who = "BinaryExamples";
        const Fasta& fasta = dataset.fasta();
        const Index L = dataset.length();
        for (std::size_t i = 0; i < examples.size(); ++i) {
            const Example& e = examples[i];
            // Messages are built only on failure: the loop runs over whole splits.
            const auto where = [&] { return attrprior::detail::concat("examples[", i, "] (", e.chrom, ":", e.start, ")"); };
            if (e.label != 0 && e.label != 1) {
                throw invalid_argument(
                    attrprior::detail::concat(who, ": the label of ", where(), " is ", e.label, "; it must be 0 or 1"));
            }
            if (!fasta.has(e.chrom)) {
                throw invalid_argument(attrprior::detail::concat(who, ": ", where(), " is on chromosome '", e.chrom,
                                                                 "', which is not in '", fasta.path(), "'"));
            }
            if (e.start < 0 || e.start + L > fasta.length(e.chrom)) {
                throw invalid_argument(attrprior::detail::concat(
                    who, ": the window ", e.chrom, ":", e.start, "-", e.start + L, " of ", where(),
                    " passes an end of the chromosome (length ", fasta.length(e.chrom), ")"));
            }
        }
    }

    /// A temporary list would dangle: keep the list alive and pass it by name.
    BinaryExamples(const BinaryDataset& dataset, std::vector<Example>&& examples) = delete;

    /// Number of examples.
    Index size() const { return static_cast<Index>(examples_->size()); }

    /// Per-example shapes: input {length x 4} (one-hot), targets {1 x 1} (the label).
    const train::BatchShapes& shapes() const { return shapes_; }

    /// Example i (its chromosome, window start and label). Throws invalid_argument for i
    /// out of range.
    const Example& example(Index i) const {
        require(i >= 0 && i < size(), "BinaryExamples::example", "i", i, "must be in [0, ", size(), ")");
        return (*examples_)[static_cast<std::size_t>(i)];
    }

    const BinaryDataset& dataset() const { return *dataset_; }

    /// Writes examples [first, first + count) to rows [0, count) of `batch`: one-hot rows
    /// to input 0, labels to the targets, status 1 for a positive and 0 for a negative.
    /// Other rows are left as they are. Throws invalid_argument for a range outside
    /// [0, size()], a batch whose shapes are not shapes(), or a batch of fewer than count
    /// rows.
    template <class Scalar>
    void encode(Index first, Index count, train::Batch<Scalar>& batch) const {
        detail::require_encode_arguments(first, count, size(), batch, shapes_, "BinaryExamples::encode");
        const Index L = dataset_->length();
        Scalar* x = batch.input(0).data;
        Scalar* y = batch.targets().data;
        auto status = batch.status();
        for (Index r = 0; r < count; ++r) {
            const Example& e = (*examples_)[static_cast<std::size_t>(first + r)];
            one_hot(dataset_->sequence(e), x + r * L * 4);
            y[r] = static_cast<Scalar>(e.label);
            status[r] = e.label == 1 ? 1 : 0;
        }
    }

private:
    const BinaryDataset* dataset_;
    const std::vector<Example>* examples_;
    train::BatchShapes shapes_;  // kept, so encode compares shapes without building them
};

/// Examples of a ProfileDataset as an example set (see the top of this file).
class ProfileExamples {
public:
    /// The examples of one split of `data`, in peak order.
    ProfileExamples(const ProfileDataset& data, Split split) : ProfileExamples(data, data.indices(split)) {}

    /// Any examples of `data`, by index into data.examples() (copied), in this order.
    /// Throws invalid_argument naming the first index out of range.
    ProfileExamples(const ProfileDataset& data, std::vector<Index> indices)
        : data_(&data), indices_(std::move(indices)) {
        const Index n = static_cast<Index>(data.examples().size());
        for (std::size_t k = 0; k < indices_.size(); ++k) {
            require(indices_[k] >= 0 && indices_[k] < n, "ProfileExamples", "index", indices_[k], "(indices[", k,
                    "]) must be in [0, ", n, ") (the data set's examples)");
        }
        const Index O = data.output_length(), C = data.control_channels();
        shapes_ = train::BatchShapes{{nn::Shape{data.input_length(), 4}}, nn::Shape{O, data.profile_channels()}};
        if (C > 0) shapes_.inputs.push_back(nn::Shape{O, C});
    }

    /// Number of examples.
    Index size() const { return static_cast<Index>(indices_.size()); }

    /// Per-example shapes: inputs {input_length x 4} (one-hot) and, when the data set has
    /// control tracks, {output_length x control channels}; targets {output_length x
    /// profile channels} (the observed counts).
    const train::BatchShapes& shapes() const { return shapes_; }

    /// Index into data().examples() of example i. Throws invalid_argument for i out of
    /// range.
    Index index(Index i) const {
        require(i >= 0 && i < size(), "ProfileExamples::index", "i", i, "must be in [0, ", size(), ")");
        return indices_[static_cast<std::size_t>(i)];
    }

    /// Example i: its chromosome, summit, split and peak name.
    const ProfileExample& example(Index i) const { return data_->examples()[static_cast<std::size_t>(index(i))]; }
    /// Start of example i's input window on its chromosome.
    Index input_start(Index i) const { return data_->input_start(index(i)); }
    /// Start of example i's profile window on its chromosome.
    Index output_start(Index i) const { return data_->output_start(index(i)); }

    const ProfileDataset& data() const { return *data_; }

    /// Writes examples [first, first + count) to rows [0, count) of `batch`, unshifted and
    /// forward: one-hot rows to input 0, controls (when the data set has any) to input 1,
    /// observed profiles to the targets, status 1. Other rows are left as they are.
    /// Allocates nothing. Throws invalid_argument for a range outside [0, size()], a batch
    /// whose shapes are not shapes(), or a batch of fewer than count rows.
    template <class Scalar>
    void encode(Index first, Index count, train::Batch<Scalar>& batch) const {
        detail::require_encode_arguments(first, count, size(), batch, shapes_, "ProfileExamples::encode");
        const Index L = data_->input_length(), O = data_->output_length();
        const Index P = data_->profile_channels(), C = data_->control_channels();
        Scalar* x = batch.input(0).data;
        Scalar* profile = batch.targets().data;
        Scalar* control = C > 0 ? batch.input(1).data : nullptr;
        auto status = batch.status();
        for (Index r = 0; r < count; ++r) {
            data_->encode(indices_[static_cast<std::size_t>(first + r)], 0, false, x + r * L * 4, profile + r * O * P,
                          control != nullptr ? control + r * O * C : nullptr);
            status[r] = 1;
        }
    }

private:
    const ProfileDataset* data_;
    std::vector<Index> indices_;
    train::BatchShapes shapes_;  // kept, so encode compares shapes without building them
};

}  // namespace attrprior::genomics
