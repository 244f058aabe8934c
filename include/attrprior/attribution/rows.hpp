// The batches every attribution method runs: rows that are examples, and rows derived
// from an example (a reference, an interpolation point, a mutant), evaluated together in
// one eval-mode forward (docs/attribution.md, "DeepLIFT rules" / "How it runs").
//
// Each derived row is tied to its example's row in the same batch (its partner). The
// target's seed is computed at the example row and copied to its derived rows, so every
// evaluation made for an example reads the outputs through the weights frozen at that
// example. Derived rows take the auxiliary inputs (e.g. control tracks) of their example.
// A chunk holds at most `batch` derived rows plus the rows of their examples, whatever the
// number of derived rows per example, and because every row's result depends only on that
// row and its example row, results do not depend on the chunk size.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "attrprior/attribution/shuffle.hpp"
#include "attrprior/attribution/target.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/core/finite.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::attribution {

/// The examples to explain: inputs[0] the one-hot sequences (B x L x 4; N = zero row),
/// then the model's auxiliary inputs (B rows each, e.g. control tracks).
template <class Scalar>
using Inputs = std::vector<ConstTensor3<Scalar>>;

namespace detail {

/// Checks the inputs against the model (count, shapes, finite sequences; one-hot rows when
/// asked) and the target.
template <class Scalar>
void check_inputs(const nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, const Target& target,
                  const char* where, bool one_hot = false) {
    require(inputs.size() == model.input_count(), where, "inputs", inputs.size(), "must be the model's ",
            model.input_count(), " (the sequence first, then the auxiliary inputs)");
    const Index B = inputs[0].dim0;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const nn::Shape s = model.input_shape(k);
        require(inputs[k].dim0 == B && inputs[k].dim1 == s.length && inputs[k].dim2 == s.channels, where,
                k == 0 ? "x" : "auxiliary input", inputs[k].shape_string(), "must be [", B, ", ", s.length, ", ",
                s.channels, "]");
    }
    require_all_finite(where, "x", inputs[0]);
    // one_hot: the method reads x as a sequence (ISM mutates its bases): each row one-hot
    // (A, C, G, T) or all zero (N). Gradient methods also accept other inputs (finite
    // differences, interpolation points).
    if (one_hot && inputs[0].dim2 == 4)
        for (Index b = 0; b < B; ++b)
            for (Index i = 0; i < inputs[0].dim1; ++i) {
                const Scalar* row = inputs[0].slice(b) + i * 4;
                if (row_token(row) < 0) attrprior::detail::throw_invalid_one_hot_row(where, row, b, i);
            }
    target.validate(model);
}

/// Checks K rows per example (references, baselines, background: row b * K + k) against
/// x's shape, and that they are finite.
template <class Scalar>
void check_rows_per_example(const char* where, const char* name, ConstTensor3<Scalar> rows, ConstTensor3<Scalar> x,
                            Index K) {
    require(K >= 1, where, name, K, "per example must be >= 1");
    require(rows.dim0 == x.dim0 * K && rows.dim1 == x.dim1 && rows.dim2 == x.dim2, where, name, rows.shape_string(),
            "must be [", x.dim0 * K, ", ", x.dim1, ", ", x.dim2, "] (", K, " per example, row b * K + k)");
    require_all_finite(where, name, rows);
}

template <class Scalar>
class RowBatch {
public:
    /// Starts a chunk of at most `rows` rows over the caller's example inputs.
    void begin(const Inputs<Scalar>& inputs, Index rows) {
        inputs_ = &inputs;
        if (buffers_.size() != inputs.size()) buffers_.assign(inputs.size(), std::vector<Scalar>());
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            const std::size_t need = static_cast<std::size_t>(rows * inputs[k].dim1 * inputs[k].dim2);
            if (buffers_[k].size() < need) buffers_[k].resize(need);  // grow-only
        }
        rows_ = 0;
        partner_.clear();
        example_.clear();
    }

    /// Appends the row of example b; returns its row.
    Index add_example(Index b) {
        copy_inputs(b, 0);
        partner_.push_back(rows_);
        example_.push_back(b);
        return rows_++;
    }

    /// Appends a row derived from example b, whose example row is `example_row`; returns a
    /// pointer to the row's sequence (L x 4) for the caller to fill.
    Scalar* add_derived(Index b, Index example_row) {
        copy_inputs(b, 1);
        partner_.push_back(example_row);
        example_.push_back(b);
        ++rows_;
        return sequence_row(rows_ - 1);
    }

    Scalar* sequence_row(Index row) {
        const auto& x = (*inputs_)[0];
        return buffers_[0].data() + row * x.dim1 * x.dim2;
    }
    const Scalar* example_sequence(Index b) const { return (*inputs_)[0].slice(b); }

    Index rows() const { return rows_; }
    const std::vector<Index>& partner() const { return partner_; }
    Index partner(Index row) const { return partner_[static_cast<std::size_t>(row)]; }
    Index example(Index row) const { return example_[static_cast<std::size_t>(row)]; }

    /// Eval-mode forward of the chunk; then the seeds: every row gets its example row's
    /// seed (weights frozen at the example) and values_[row] = f of the row read through it.
    /// zero_example_seeds: the example rows' seeds are zeroed afterwards (their backward is
    /// then zero and costs nothing downstream of what the methods read). A target that is
    /// not linear (bpnet_lite) keeps every row's own gradient as its seed, or, for
    /// deeplift = true, gets the target's DeepLIFT seed of each (example, reference) pair.
    void forward_and_seed(nn::Model<Scalar>& model, const Target& target, bool zero_example_seeds,
                          bool deeplift = false) {
        views_.clear();
        for (std::size_t k = 0; k < buffers_.size(); ++k)
            views_.emplace_back(buffers_[k].data(), rows_, (*inputs_)[k].dim1, (*inputs_)[k].dim2);
        model.forward(views_, nn::Mode::eval);
        target.seed(model);
        const std::size_t o = target.output();
        const auto out = model.output(o);
        auto seed = model.output_gradient(o);
        const Index n = out.dim1 * out.dim2;
        values_.assign(static_cast<std::size_t>(rows_), Scalar(0));
        if (!target.linear()) {
            for (Index r = 0; r < rows_; ++r) {
                values_[static_cast<std::size_t>(r)] = target.bpnet_lite_value(out.slice(r), out.dim1, out.dim2);
                const Index q = partner(r);
                if (deeplift && q != r)
                    target.bpnet_lite_deeplift_seed(out.slice(q), out.slice(r), out.dim1, out.dim2, seed.slice(r));
            }
            if (zero_example_seeds)
                for (Index r = 0; r < rows_; ++r)
                    if (partner(r) == r) std::fill(seed.slice(r), seed.slice(r) + n, Scalar(0));
            return;
        }
        for (Index r = 0; r < rows_; ++r) {  // example rows first in every chunk: seeds are set
            const Index q = partner(r);
            if (q != r) std::memcpy(seed.slice(r), seed.slice(q), static_cast<std::size_t>(n) * sizeof(Scalar));
            Scalar f = 0;
            for (Index e = 0; e < n; ++e) f += seed.slice(r)[e] * out.slice(r)[e];
            values_[static_cast<std::size_t>(r)] = f;
        }
        if (zero_example_seeds)
            for (Index r = 0; r < rows_; ++r)
                if (partner(r) == r) std::fill(seed.slice(r), seed.slice(r) + n, Scalar(0));
    }

    /// Scratch for the chunk driver: the example row of each item (grow-only).
    std::vector<Index>& item_rows() { return item_rows_; }

    /// f of row r through its example's frozen seed (after forward_and_seed).
    Scalar value(Index row) const { return values_[static_cast<std::size_t>(row)]; }

    /// A rows x L x 4 tensor for input gradients / multipliers (grow-only).
    Tensor3<Scalar> gradient_buffer() {
        const auto& x = (*inputs_)[0];
        const std::size_t need = static_cast<std::size_t>(rows_ * x.dim1 * x.dim2);
        if (grad_.size() < need) grad_.resize(need);
        return {grad_.data(), rows_, x.dim1, x.dim2};
    }

private:
    // Copies example b's auxiliary inputs (and, from `first` = 0, its sequence) into the
    // next row.
    void copy_inputs(Index b, std::size_t first) {
        const auto& in = *inputs_;
        require(b >= 0 && b < in[0].dim0, "attribution::RowBatch", "example", b, "must be in [0, ", in[0].dim0, ")");
        for (std::size_t k = first; k < in.size(); ++k) {
            const Index n = in[k].dim1 * in[k].dim2;
            require(static_cast<std::size_t>((rows_ + 1) * n) <= buffers_[k].size(), "attribution::RowBatch", "rows",
                    rows_ + 1, "exceed the chunk's capacity");
            std::memcpy(buffers_[k].data() + rows_ * n, in[k].slice(b), static_cast<std::size_t>(n) * sizeof(Scalar));
        }
    }

    const Inputs<Scalar>* inputs_ = nullptr;
    std::vector<std::vector<Scalar>> buffers_;
    std::vector<ConstTensor3<Scalar>> views_;
    std::vector<Index> partner_, example_, item_rows_;
    std::vector<Scalar> values_, grad_;
    Index rows_ = 0;
};

/// Runs `items` derived rows in chunks of at most `batch` derived rows. example_of(i) is
/// the example of item i (items of one example must be consecutive); fill(i, row) writes
/// item i's sequence into `row`; finish(first_item, rb) reads the chunk's results, with the
/// derived row of item first_item + j being row rb.rows() - count + j. Each chunk starts
/// with the rows of its examples (in order).
template <class Scalar, class ExampleOf, class Fill, class Finish>
void for_each_chunk(RowBatch<Scalar>& rb, const Inputs<Scalar>& inputs, Index items, Index batch,
                    ExampleOf&& example_of, Fill&& fill, Finish&& finish) {
    for (Index first = 0; first < items;) {
        const Index count = std::min(batch, items - first);
        Index examples = 0;
        for (Index i = first; i < first + count; ++i)
            if (i == first || example_of(i) != example_of(i - 1)) ++examples;
        rb.begin(inputs, examples + count);
        std::vector<Index>& rows = rb.item_rows();  // example row of each item of the chunk
        rows.clear();
        for (Index i = first; i < first + count; ++i) {
            if (i == first || example_of(i) != example_of(i - 1)) rows.push_back(rb.add_example(example_of(i)));
            else rows.push_back(rows.back());
        }
        for (Index i = first; i < first + count; ++i) {
            const Index b = example_of(i);
            fill(i, rb.add_derived(b, rows[static_cast<std::size_t>(i - first)]));
        }
        finish(first, count, rb);
        first += count;
    }
}

}  // namespace detail

}  // namespace attrprior::attribution
