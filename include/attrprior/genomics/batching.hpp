// Training batches of the genomics data sets. BalancedBatcher draws batches of p positives
// and n negatives from a BinaryDataset, each optionally followed by its reverse complement
// (the paper's 64 + 64, doubled); PrefetchingBatcher encodes its next batch on a background
// thread. ProfileBatcher draws shuffled examples of one ProfileDataset split with jitter
// and random reverse complement.
//
// Lifetimes and threads: a BalancedBatcher keeps a pointer to its BinaryDataset, a
// ProfileBatcher to its ProfileDataset; the data sets must outlive them. Several batchers
// may share one data set across threads, but one batcher must not be used from two
// threads at once.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/windows.hpp"

namespace attrprior::genomics {

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
          rng_(seed) {
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
    std::vector<const Example*> positives_, negatives_;
    std::size_t negative_cursor_ = 0;
    Index batch_in_epoch_ = 0, epoch_ = 0;
};

/// Double-buffered BalancedBatcher: a background thread encodes the next batch while the
/// caller trains on the current one. After next(), x() and y() point to the current
/// batch (batch_size() x length x 4 and batch_size()), valid until the following next().
/// The batches are exactly those of the wrapped BalancedBatcher, in order. An exception
/// thrown while encoding is rethrown by the next call to next() (and by every later one;
/// the worker stops). The destructor stops and joins the worker (waiting at most for the
/// batch in progress). Not copyable or movable; use from one thread.
template <class Scalar>
class PrefetchingBatcher {
public:
    explicit PrefetchingBatcher(BalancedBatcher batcher) : batcher_(std::move(batcher)) {
        const std::size_t rows = static_cast<std::size_t>(batcher_.batch_size());
        const std::size_t values = rows * static_cast<std::size_t>(batcher_.length()) * 4;
        for (int b = 0; b < 2; ++b) {
            x_[b].assign(values, Scalar(0));
            y_[b].assign(rows, Scalar(0));
        }
        worker_ = std::thread([this] { work(); });
    }

    PrefetchingBatcher(const PrefetchingBatcher&) = delete;
    PrefetchingBatcher& operator=(const PrefetchingBatcher&) = delete;

    ~PrefetchingBatcher() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        if (worker_.joinable()) worker_.join();
    }

    /// Waits for the prefetched batch and makes it current; the worker then starts on the
    /// following one. Rethrows an exception of the worker.
    void next() {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return ready_ || error_ != nullptr; });
            if (error_ != nullptr) std::rethrow_exception(error_);
            front_ = 1 - front_;
            ready_ = false;
            started_ = true;
        }
        cv_.notify_all();
    }

    /// Current batch inputs (null before the first next()).
    const Scalar* x() const { return started_ ? x_[front_].data() : nullptr; }
    /// Current batch labels (null before the first next()).
    const Scalar* y() const { return started_ ? y_[front_].data() : nullptr; }

    Index batch_size() const { return batcher_.batch_size(); }
    Index batches_per_epoch() const { return batcher_.batches_per_epoch(); }
    Index length() const { return batcher_.length(); }

private:
    void work() {
        for (;;) {
            int target = 0;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return stop_ || !ready_; });
                if (stop_) return;
                target = 1 - front_;
            }
            try {
                batcher_.next(x_[target].data(), y_[target].data());
            } catch (...) {
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    error_ = std::current_exception();
                }
                cv_.notify_all();
                return;
            }
            {
                std::lock_guard<std::mutex> lock(mutex_);
                ready_ = true;
            }
            cv_.notify_all();
        }
    }

    BalancedBatcher batcher_;  // used by the worker thread only, after construction
    std::array<std::vector<Scalar>, 2> x_, y_;
    std::mutex mutex_;
    std::condition_variable cv_;
    int front_ = 0;       // buffer the caller reads; the worker fills 1 - front_
    bool ready_ = false;  // the back buffer holds a finished batch
    bool stop_ = false;
    bool started_ = false;
    std::exception_ptr error_;
    std::thread worker_;  // last: started after every other member is initialised
};

/// Draws batches of one split: shuffled each epoch (with a seed), every example once per
/// epoch; the last batch of an epoch is topped up from the next epoch's order so every
/// batch is full. Jitter and reverse complement (probability 1/2 each example) as at the
/// top of this file. Keeps a pointer to the data set, which must outlive it.
class ProfileBatcher {
public:
    ProfileBatcher(const ProfileDataset& data, Split split, Index batch, Index jitter, bool reverse_complement,
                   std::uint64_t seed)
        : data_(&data), order_(data.indices(split)), batch_(batch), jitter_(jitter), rc_(reverse_complement),
          rng_(seed) {
        constexpr const char* who = "ProfileBatcher";
        require(batch >= 1, who, "batch", batch, "must be >= 1");
        require(jitter >= 0 && jitter <= data.options().max_jitter, who, "jitter", jitter,
                "must be in [0, max_jitter = ", data.options().max_jitter, "] of the data set");
        require(!order_.empty(), who, "split", split_name(split), "has no examples");
        cursor_ = order_.size();  // shuffled on first use
    }

    Index batch_size() const { return batch_; }
    /// ceil(examples / batch).
    Index batches_per_epoch() const { return (static_cast<Index>(order_.size()) + batch_ - 1) / batch_; }

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
};

}  // namespace attrprior::genomics
