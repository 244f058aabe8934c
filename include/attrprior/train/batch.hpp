// One batch type for training, evaluation and prediction, the batcher concept that
// produces training batches, and a generic prefetching wrapper.
//
// A Batch owns its rows: the model's inputs (the one-hot sequence first, then any
// auxiliary inputs such as control tracks), the targets the loss compares the outputs with
// (labels for binary models, observed read counts for profile models) and the status of
// each row (1: the prior sees the row, docs/math.md §3). Its storage only grows: resize() to
// fewer rows keeps the buffers, so a smaller last chunk never allocates.
//
// A batcher is any class with
//     Index batch_size() const;          // rows of every batch
//     Index batches_per_epoch() const;   // batches that make one epoch
//     BatchShapes shapes() const;        // per-example input and target shapes (or a
//                                        // const reference to kept ones: no allocation)
//     void next(Batch<Scalar>& batch);   // fills the next batch (resizes it to batch_size())
// (genomics::BalancedBatcher and genomics::ProfileBatcher are two). An example set, for
// prediction and evaluation over a fixed list of examples (train/predict.hpp), is any class
// with
//     Index size() const;                // examples
//     BatchShapes shapes() const;
//     void encode(Index first, Index count, Batch<Scalar>& batch) const;
//                                        // examples [first, first + count) into rows
//                                        // [0, count) of batch (batch.size() >= count)
// Prefetching<B> wraps
// any batcher so that a background thread fills the next batch while the caller trains on
// the current one; it is itself a batcher, and yields exactly the wrapped batches in order.
#pragma once

#include <Eigen/Core>

#include <array>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::train {

/// Per-example shapes of a batch: every model input (the sequence first) and the targets.
struct BatchShapes {
    std::vector<nn::Shape> inputs;
    nn::Shape targets;
    bool operator==(const BatchShapes& o) const { return inputs == o.inputs && targets == o.targets; }
    bool operator!=(const BatchShapes& o) const { return !(*this == o); }
};

/// Rows of model inputs, targets and prior status, in grow-only storage.
template <class Scalar>
class Batch {
public:
    using ConstTensor = ConstTensor3<Scalar>;
    using Tensor = Tensor3<Scalar>;

    Batch() = default;
    /// A batch of `rows` rows of the given shapes (at least one input, every shape >= 1 x 1;
    /// a target shape of 0 x 0 means the batch has no targets).
    explicit Batch(BatchShapes shapes, Index rows = 0) : shapes_(std::move(shapes)) {
        const char* where = "Batch";
        require(!shapes_.inputs.empty(), where, "inputs", 0, "must hold at least the sequence");
        for (const nn::Shape& s : shapes_.inputs)
            require(s.length >= 1 && s.channels >= 1, where, "input shape", nn::to_string(s), "must be >= [1 x 1]");
        require(shapes_.targets.length >= 0 && shapes_.targets.channels >= 0, where, "target shape",
                nn::to_string(shapes_.targets), "must not be negative");
        inputs_.resize(shapes_.inputs.size());
        views_.resize(shapes_.inputs.size());
        resize(rows);
    }
    // The views point into the storage: a copy rebuilds them over its own storage (a
    // memberwise copy would keep pointing into the source), and a move leaves the source
    // empty (capacity 0), so resizing it later allocates instead of writing through null.
    Batch(const Batch& other)
        : shapes_(other.shapes_),
          inputs_(other.inputs_),
          views_(other.inputs_.size()),
          targets_(other.targets_),
          status_(other.status_),
          capacity_(other.capacity_) {
        resize(other.rows_);
    }
    Batch(Batch&& other) noexcept { swap(other); }
    Batch& operator=(const Batch& other) {
        if (this != &other) {
            Batch copy(other);
            swap(copy);
        }
        return *this;
    }
    Batch& operator=(Batch&& other) noexcept {
        Batch moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~Batch() = default;

    const BatchShapes& shapes() const { return shapes_; }
    /// Rows in the batch.
    Index size() const { return rows_; }
    /// Rows the storage holds without allocating.
    Index capacity() const { return capacity_; }
    std::size_t input_count() const { return shapes_.inputs.size(); }

    /// Sets the number of rows. Allocates only when rows exceeds capacity(). The contents of
    /// rows are whatever was last written there (zero and status 1 when first allocated):
    /// fill every row you use.
    void resize(Index rows) {
        require(rows >= 0, "Batch::resize", "rows", rows, "must be >= 0");
        if (rows > capacity_) {
            for (std::size_t k = 0; k < inputs_.size(); ++k) inputs_[k].resize(element_count(shapes_.inputs[k], rows));
            targets_.resize(element_count(shapes_.targets, rows));
            status_.resize(static_cast<std::size_t>(rows), 1);
            capacity_ = rows;
        }
        rows_ = rows;
        for (std::size_t k = 0; k < inputs_.size(); ++k) {
            const nn::Shape& s = shapes_.inputs[k];
            views_[k] = ConstTensor(inputs_[k].data(), rows_, s.length, s.channels);
        }
    }

    /// Writable input k (k = 0: the sequence), size() x length x channels.
    Tensor input(std::size_t k = 0) {
        const nn::Shape& s = shapes_.inputs.at(k);
        return Tensor(inputs_[k].data(), rows_, s.length, s.channels);
    }
    ConstTensor input(std::size_t k = 0) const { return views_.at(k); }
    /// Every input, the sequence first (what Model::forward and DoubleBackprop::step take).
    const std::vector<ConstTensor>& inputs() const { return views_; }

    /// Writable targets, size() x target length x target channels.
    Tensor targets() { return Tensor(targets_.data(), rows_, shapes_.targets.length, shapes_.targets.channels); }
    ConstTensor targets() const {
        return ConstTensor(targets_.data(), rows_, shapes_.targets.length, shapes_.targets.channels);
    }

    /// Status of each row: 1 = the prior sees the row (a positive), 0 = it does not.
    Eigen::Map<Eigen::VectorXi> status() { return Eigen::Map<Eigen::VectorXi>(status_.data(), rows_); }
    Eigen::Map<const Eigen::VectorXi> status() const {
        return Eigen::Map<const Eigen::VectorXi>(status_.data(), rows_);
    }

    /// Exchanges the contents of two batches (no allocation, no copy).
    void swap(Batch& other) noexcept {
        std::swap(shapes_, other.shapes_);
        std::swap(inputs_, other.inputs_);
        std::swap(views_, other.views_);
        std::swap(targets_, other.targets_);
        std::swap(status_, other.status_);
        std::swap(rows_, other.rows_);
        std::swap(capacity_, other.capacity_);
    }

private:
    static std::size_t element_count(const nn::Shape& s, Index rows) {
        return static_cast<std::size_t>(rows * s.length * s.channels);
    }

    BatchShapes shapes_;
    std::vector<std::vector<Scalar>> inputs_;
    std::vector<ConstTensor> views_;
    std::vector<Scalar> targets_;
    std::vector<int> status_;
    Index rows_ = 0, capacity_ = 0;
};

/// 1 when row `row` of the targets holds a 1 for some task (a positive), else 0: the prior
/// only looks at positives (docs/math.md §3).
template <class Scalar>
int row_is_positive(ConstTensor3<Scalar> targets, Index row) {
    const Scalar* y = targets.slice(row);
    int positive = 0;
    for (Index k = 0; k < targets.dim1 * targets.dim2; ++k) positive |= y[k] == Scalar(1);
    return positive;
}

/// Fills batch.status() from the targets of every row (see row_is_positive).
template <class Scalar>
void status_from_targets(Batch<Scalar>& batch) {
    const ConstTensor3<Scalar> y = batch.targets();
    auto status = batch.status();
    for (Index b = 0; b < y.dim0; ++b) status[b] = row_is_positive(y, b);
}

namespace detail {
template <class B, class Scalar, class = void>
struct is_batcher : std::false_type {};
template <class B, class Scalar>
struct is_batcher<B, Scalar,
                  std::void_t<decltype(Index(std::declval<const B&>().batch_size())),
                              decltype(Index(std::declval<const B&>().batches_per_epoch())),
                              decltype(BatchShapes(std::declval<const B&>().shapes())),
                              decltype(std::declval<B&>().next(std::declval<Batch<Scalar>&>()))>>
    : std::true_type {};
}  // namespace detail

/// True when B has the members of a batcher (see the top of this file) for Scalar.
template <class B, class Scalar>
inline constexpr bool is_batcher_v = detail::is_batcher<B, Scalar>::value;

/// Fails compilation with a message naming the members a batcher needs.
template <class B, class Scalar>
constexpr void check_batcher() {
    static_assert(is_batcher_v<B, Scalar>,
                  "attrprior: a batcher needs `Index batch_size() const`, `Index batches_per_epoch() const`, "
                  "`BatchShapes shapes() const` and `void next(Batch<Scalar>& batch)`");
}

/// A batcher whose epoch is `steps` batches of the wrapped one, whatever its own epoch
/// length: the wrapped batcher simply continues (and reshuffles at its own epoch ends). A
/// small-data run then gets as many steps per epoch, and so as many chances between
/// validations, as a run on the whole set (docs/stability.md, "Training fractions").
template <class Batcher>
class StepsPerEpoch {
public:
    /// Throws invalid_argument for steps < 1.
    StepsPerEpoch(Batcher batcher, Index steps) : batcher_(std::move(batcher)), steps_(steps) {
        require(steps >= 1, "StepsPerEpoch", "steps", steps, "must be >= 1");
    }
    Index batch_size() const { return batcher_.batch_size(); }
    Index batches_per_epoch() const { return steps_; }
    decltype(auto) shapes() const { return batcher_.shapes(); }
    template <class Scalar>
    void next(Batch<Scalar>& batch) {
        batcher_.next(batch);
    }
    const Batcher& batcher() const { return batcher_; }

private:
    Batcher batcher_;
    Index steps_;
};

/// A batcher whose batches are filled by a background thread one batch ahead (double
/// buffering). After next(batch), `batch` holds the wrapped batcher's next batch; the
/// buffers are exchanged, not copied. An exception thrown while filling is rethrown by the
/// next call to next() (and every later one: the worker stops). The destructor stops and
/// joins the worker, waiting at most for the batch in progress. Not copyable or movable;
/// call next() from one thread.
template <class Batcher, class Scalar = float>
class Prefetching {
public:
    explicit Prefetching(Batcher batcher) : batcher_(std::move(batcher)) {
        check_batcher<Batcher, Scalar>();
        back_ = Batch<Scalar>(batcher_.shapes(), batcher_.batch_size());
        worker_ = std::thread([this] { work(); });
    }
    Prefetching(const Prefetching&) = delete;
    Prefetching& operator=(const Prefetching&) = delete;
    ~Prefetching() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        if (worker_.joinable()) worker_.join();
    }

    Index batch_size() const { return batch_size_; }
    Index batches_per_epoch() const { return batches_per_epoch_; }
    const BatchShapes& shapes() const { return shapes_; }
    /// The wrapped batcher (used by the worker thread: read only what does not change).
    const Batcher& batcher() const { return batcher_; }

    /// Waits for the prefetched batch and exchanges it with `batch` (which must have this
    /// batcher's shapes); the worker then fills the following one into the old buffer.
    void next(Batch<Scalar>& batch) {
        require(batch.shapes() == shapes_ || batch.input_count() == 0, "Prefetching::next", "batch shapes",
                "(different)", "must be the batcher's shapes()");
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return ready_ || error_ != nullptr; });
            if (error_ != nullptr) std::rethrow_exception(error_);
            if (batch.input_count() == 0) batch = Batch<Scalar>(shapes_, batch_size_);
            batch.resize(batch_size_);
            back_.swap(batch);
            ready_ = false;
        }
        cv_.notify_all();
    }

private:
    void work() {
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return stop_ || !ready_; });
                if (stop_) return;
            }
            try {
                batcher_.next(back_);  // the caller does not touch back_ while ready_ is false
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

    Batcher batcher_;
    // Read by the caller without locking: fixed at construction.
    const Index batch_size_ = batcher_.batch_size();
    const Index batches_per_epoch_ = batcher_.batches_per_epoch();
    const BatchShapes shapes_ = batcher_.shapes();
    Batch<Scalar> back_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool ready_ = false;  // back_ holds a finished batch
    bool stop_ = false;
    std::exception_ptr error_;
    std::thread worker_;  // last: started after every other member is initialised
};

}  // namespace attrprior::train
