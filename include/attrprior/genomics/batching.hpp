// Training batches of the genomics data sets, as batchers (train/batch.hpp): each has
// batch_size(), batches_per_epoch(), shapes() and next(train::Batch&), so a training loop
// takes either, and train::Prefetching wraps either to fill the next batch on a background
// thread while the caller trains on the current one.
//  - BalancedBatcher draws batches of p positives and n negatives from the train split of
//    a BinaryDataset, each optionally followed by its reverse complement (the paper's
//    64 + 64, doubled). Input: the one-hot sequence; targets: the label; status: 1 for a
//    positive (the prior sees positives only).
//  - ProfileBatcher draws shuffled examples of one ProfileDataset split with jitter and
//    random reverse complement. Inputs: the one-hot sequence, then the control tracks
//    when the data set has any; targets: the observed profiles; status: 1 for every row
//    (every example is a peak).
// Both keep their older pointer overloads of next(), which fill caller-owned arrays with
// the same rows.
//
// Lifetimes and threads: a BalancedBatcher keeps a pointer to its BinaryDataset, a
// ProfileBatcher to its ProfileDataset; the data sets must outlive them. Several batchers
// may share one data set across threads, but one batcher must not be used from two
// threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/windows.hpp"
#include "attrprior/nn/layer.hpp"
#include "attrprior/train/batch.hpp"

namespace attrprior::genomics {

namespace detail {

/// "inputs [L x 4], [O x C]; targets [O x P]", for messages.
inline std::string describe_shapes(const train::BatchShapes& shapes) {
    std::string s = "inputs ";
    for (std::size_t k = 0; k < shapes.inputs.size(); ++k) s += (k ? ", " : "") + nn::to_string(shapes.inputs[k]);
    return s + "; targets " + nn::to_string(shapes.targets);
}

/// Throws invalid_argument "<who>: batch has <its shapes>, must have <shapes>" unless the
/// batch has exactly these shapes.
template <class Scalar>
void require_batch_shapes(const train::Batch<Scalar>& batch, const train::BatchShapes& shapes, const char* who) {
    if (batch.shapes() != shapes) {
        throw invalid_argument(attrprior::detail::concat(who, ": the batch has ", describe_shapes(batch.shapes()),
                                                         ", but must have ", describe_shapes(shapes),
                                                         " (the shapes() of the batcher or example set)"));
    }
}

/// Readies `batch` for `rows` rows of these shapes: a default-constructed batch (no
/// inputs) is given the shapes, any other must already have them; then resized (which
/// allocates only beyond its capacity).
template <class Scalar>
void prepare_batch(train::Batch<Scalar>& batch, const train::BatchShapes& shapes, Index rows, const char* who) {
    if (batch.input_count() == 0) {
        batch = train::Batch<Scalar>(shapes, rows);
        return;
    }
    require_batch_shapes(batch, shapes, who);
    batch.resize(rows);
}

}  // namespace detail

/// Balanced training batches from the train split of a BinaryDataset.
///
/// A batch holds p positives then n negatives; with reverse_complement_double each is
/// followed by its reverse complement, so rows 2k and 2k+1 are one window and its reverse
/// complement (same label, same jitter). Rows are length x 4 one-hot, y holds the labels.
///
/// Epochs: an epoch is batches_per_epoch() = ceil(P / p) batches (P = train positives).
/// At the start of each epoch the positives are reshuffled; the epoch's batches take them
/// in that order, so each positive appears once per epoch, and the last batch is topped
/// up from the start of the same order (a positive then appears twice). Negatives come
/// from their own shuffled order, consumed across batches and reshuffled whenever it is
/// used up (they cycle independently of the positive epochs). With jitter > 0 each window
/// is shifted by an offset uniform in [-jitter, jitter], clamped to the chromosome.
/// All draws come from one mt19937_64 seeded with `seed`: the sequence of batches is
/// deterministic for the seed.
class BalancedBatcher {
public:
    /// Throws invalid_argument for positives_per_batch < 1, negatives_per_batch < 0,
    /// jitter < 0, a train split without positives, or negatives_per_batch > 0 with a
    /// train split without negatives. Keeps a pointer to `dataset`.
    explicit BalancedBatcher(const BinaryDataset& dataset, Index positives_per_batch = 64,
                             Index negatives_per_batch = 64, bool reverse_complement_double = true,
                             Index jitter = 0, std::uint64_t seed = 1)
        : dataset_(&dataset),
          p_(positives_per_batch),
          n_(negatives_per_batch),
          rc_(reverse_complement_double),
          jitter_(jitter),
          rng_(seed),
          shapes_{{nn::Shape{dataset.length(), 4}}, nn::Shape{1, 1}} {
        constexpr const char* who = "BalancedBatcher";
        require(p_ >= 1, who, "positives_per_batch", p_, "must be >= 1");
        require(n_ >= 0, who, "negatives_per_batch", n_, "must be >= 0");
        require(jitter_ >= 0, who, "jitter", jitter_, "must be >= 0");
        for (const Example& e : dataset.examples(Split::train)) {
            (e.label == 1 ? positives_ : negatives_).push_back(&e);
        }
        if (positives_.empty()) {
            throw invalid_argument(
                "BalancedBatcher: the train split has no positives (are all peak "
                "chromosomes held out?)");
        }
        if (n_ > 0 && negatives_.empty()) {
            throw invalid_argument(
                attrprior::detail::concat("BalancedBatcher: negatives_per_batch = ", n_,
                                          " but the train split has no negatives"));
        }
        negative_cursor_ = negatives_.size();  // shuffled on first use
    }

    /// Rows per batch: (p + n) * (reverse_complement_double ? 2 : 1).
    Index batch_size() const { return (p_ + n_) * (rc_ ? 2 : 1); }

    /// ceil(train positives / p).
    Index batches_per_epoch() const {
        const Index P = static_cast<Index>(positives_.size());
        return (P + p_ - 1) / p_;
    }

    /// Epoch of the next batch (0-based).
    Index epoch() const { return epoch_; }

    Index length() const { return dataset_->length(); }

    const BinaryDataset& dataset() const { return *dataset_; }

    /// Per-example shapes: input {length x 4} (one-hot), targets {1 x 1} (the label).
    const train::BatchShapes& shapes() const { return shapes_; }

    /// Fills `batch` with the next batch, the rows next(x, y) would give: resizes it to
    /// batch_size(), writes the one-hot rows to input 0, the labels to the targets, and
    /// status 1 for positive rows (train::status_from_targets). A default-constructed batch
    /// is given shapes() first; a batch of other shapes is an invalid_argument.
    template <class Scalar>
    void next(train::Batch<Scalar>& batch) {
        detail::prepare_batch(batch, shapes_, batch_size(), "BalancedBatcher::next");
        next(batch.input(0).data, batch.targets().data);
        train::status_from_targets(batch);
    }

    /// Fills one batch: x (batch_size() x length x 4) and y (batch_size()).
    template <class Scalar>
    void next(Scalar* x, Scalar* y) {
        if (x == nullptr || y == nullptr) {
            throw invalid_argument("BalancedBatcher::next: x and y must not be null");
        }
        if (batch_in_epoch_ == 0) attrprior::shuffle(positives_, rng_);
        const std::size_t P = positives_.size();
        Index row = 0;
        for (Index i = 0; i < p_; ++i) {
            const std::size_t slot = static_cast<std::size_t>(batch_in_epoch_ * p_ + i) % P;
            put(*positives_[slot], x, y, row);
        }
        for (Index i = 0; i < n_; ++i) {
            if (negative_cursor_ == negatives_.size()) {
                attrprior::shuffle(negatives_, rng_);
                negative_cursor_ = 0;
            }
            put(*negatives_[negative_cursor_++], x, y, row);
        }
        if (++batch_in_epoch_ == batches_per_epoch()) {
            batch_in_epoch_ = 0;
            ++epoch_;
        }
    }

private:
    template <class Scalar>
    void put(const Example& e, Scalar* x, Scalar* y, Index& row) {
        const Index L = dataset_->length();
        const Index shift =
            jitter_ > 0 ? attrprior::uniform_below(rng_, 2 * jitter_ + 1) - jitter_ : 0;
        const std::string seq = dataset_->sequence(e, shift);
        const Scalar label = static_cast<Scalar>(e.label);
        one_hot(seq, x + row * L * 4);
        y[row++] = label;
        if (rc_) {
            one_hot_reverse_complement(seq, x + row * L * 4);
            y[row++] = label;
        }
    }

    const BinaryDataset* dataset_;
    Index p_, n_;
    bool rc_;
    Index jitter_;
    std::mt19937_64 rng_;
    train::BatchShapes shapes_;  // kept, so next(batch) compares shapes without building them
    std::vector<const Example*> positives_, negatives_;
    std::size_t negative_cursor_ = 0;
    Index batch_in_epoch_ = 0, epoch_ = 0;
};

/// Draws batches of one split: shuffled each epoch (with a seed), every example once per
/// epoch; the last batch of an epoch is topped up from the next epoch's order so every
/// batch is full. Jitter and reverse complement (probability 1/2 each example) as at the
/// top of profile_dataset.hpp. Keeps a pointer to the data set, which must outlive it.
class ProfileBatcher {
public:
    ProfileBatcher(const ProfileDataset& data, Split split, Index batch, Index jitter, bool reverse_complement,
                   std::uint64_t seed)
        : ProfileBatcher(data, data.indices(split), batch, jitter, reverse_complement, seed,
                         std::string("split ") + split_name(split)) {}

    /// Batches of the examples `rows` of the data set (indices into data.examples(), e.g. a
    /// subsample of a split: genomics::train_fraction_rows). Throws invalid_argument for an
    /// empty list or a row out of range.
    ProfileBatcher(const ProfileDataset& data, std::vector<Index> rows, Index batch, Index jitter,
                   bool reverse_complement, std::uint64_t seed, const std::string& what = "the row list")
        : data_(&data), order_(std::move(rows)), batch_(batch), jitter_(jitter), rc_(reverse_complement),
          rng_(seed) {
        constexpr const char* who = "ProfileBatcher";
        require(batch >= 1, who, "batch", batch, "must be >= 1");
        require(jitter >= 0 && jitter <= data.options().max_jitter, who, "jitter", jitter,
                "must be in [0, max_jitter = ", data.options().max_jitter, "] of the data set");
        if (order_.empty()) throw invalid_argument(std::string(who) + ": " + what + " has no examples");
        for (Index r : order_)
            require(r >= 0 && r < static_cast<Index>(data.examples().size()), who, "row", r, "must be in [0, ",
                    data.examples().size(), ")");
        cursor_ = order_.size();  // shuffled on first use
        const Index O = data.output_length(), C = data.control_channels();
        shapes_ = train::BatchShapes{{nn::Shape{data.input_length(), 4}}, nn::Shape{O, data.profile_channels()}};
        if (C > 0) shapes_.inputs.push_back(nn::Shape{O, C});
    }

    Index batch_size() const { return batch_; }
    /// ceil(examples / batch).
    Index batches_per_epoch() const { return (static_cast<Index>(order_.size()) + batch_ - 1) / batch_; }

    /// Per-example shapes: inputs {input_length x 4} (one-hot) and, when the data set has
    /// control tracks, {output_length x control channels}; targets {output_length x
    /// profile channels} (the observed counts).
    const train::BatchShapes& shapes() const { return shapes_; }

    /// Fills `batch` with the next batch, the rows next(x, profile, control) would give:
    /// resizes it to batch_size(), writes the one-hot rows to input 0, the controls (if
    /// any) to input 1, the profiles to the targets, and status 1 for every row (every
    /// example is a peak, which the prior sees). A default-constructed batch is given
    /// shapes() first; a batch of other shapes is an invalid_argument. Allocates nothing
    /// once the batch has batch_size() rows of capacity.
    template <class Scalar>
    void next(train::Batch<Scalar>& batch) {
        detail::prepare_batch(batch, shapes_, batch_size(), "ProfileBatcher::next");
        next(batch.input(0).data, batch.targets().data,
             data_->control_channels() > 0 ? batch.input(1).data : static_cast<Scalar*>(nullptr));
        batch.status().setOnes();
    }

    /// Fills x (B x L x 4), profile (B x O x T*S), control (B x O x C; may be null).
    template <class Scalar>
    void next(Scalar* x, Scalar* profile, Scalar* control) {
        const Index L = data_->input_length(), O = data_->output_length();
        const Index P = data_->profile_channels(), C = data_->control_channels();
        for (Index b = 0; b < batch_; ++b) {
            if (cursor_ == order_.size()) {
                attrprior::shuffle(order_, rng_);
                cursor_ = 0;
            }
            const Index i = order_[cursor_++];
            const Index shift = jitter_ > 0 ? attrprior::uniform_below(rng_, 2 * jitter_ + 1) - jitter_ : 0;
            const bool rc = rc_ && (rng_() >> 63) != 0;
            data_->encode(i, shift, rc, x + b * L * 4, profile + b * O * P, control ? control + b * O * C : nullptr);
        }
    }

private:
    const ProfileDataset* data_;
    std::vector<Index> order_;
    Index batch_, jitter_;
    bool rc_;
    std::mt19937_64 rng_;
    std::size_t cursor_ = 0;
    train::BatchShapes shapes_;  // kept, so next(batch) compares shapes without building them
};

}  // namespace attrprior::genomics
