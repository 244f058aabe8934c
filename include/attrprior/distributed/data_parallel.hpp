// Data-parallel training across MPI processes (docs/distributed.md §2-4).
//
// Every rank holds a replica of the model. broadcast_model copies rank 0's parameters and
// state to the others. ShardedBatcher draws the same global batch on every rank (the
// wrapped batcher, same seed) and keeps one contiguous share of its rows: rank r of R
// takes rows [floor(r B / R), floor((r + 1) B / R)). DataParallel::step runs the double
// backprop of train/step.hpp on the share with the loss and the prior normalised by the
// counts of the whole global batch (an allreduce of integer counts before the step), then
// sums the gradient over ranks: R ranks with a global batch of B give the gradient of one
// process with batch B (up to float rounding; BatchNorm in train mode normalises each
// share with its own statistics, as PyTorch's DistributedDataParallel without
// SyncBatchNorm). The optimizer then steps identically everywhere.
//
//   distributed::Environment env(&argc, &argv);
//   distributed::Communicator comm;
//   distributed::broadcast_model(comm, model);
//   distributed::ShardedBatcher<train::TensorBatcher<float>> batches(comm, train::TensorBatcher<float>(examples, 64, seed));
//   train::DoubleBackprop<float> backprop(lambda);
//   distributed::DataParallel<float> step(comm, backprop);
//   train::fit(model, step, prior, loss, adam, batches, distributed::ValidationLoss<...>(comm, valid, loss), options);
#pragma once

#include <Eigen/Core>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/distributed/mpi.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/priors/prior.hpp"
#include "attrprior/priors/smoothness.hpp"
#include "attrprior/priors/sparsity.hpp"
#include "attrprior/train/batch.hpp"
#include "attrprior/train/concepts.hpp"
#include "attrprior/train/evaluate.hpp"
#include "attrprior/train/fit.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/predict.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"

namespace attrprior::distributed {

/// Rows [first, first + count) of `rows` that rank `rank` of `size` takes: contiguous shares
/// in rank order, sizes differing by at most one (docs/distributed.md §2).
struct Share {
    Index first = 0, count = 0;
};
inline Share share_of(Index rows, int rank, int size) {
    require(size >= 1 && rank >= 0 && rank < size, "share_of", "rank", rank,
            attrprior::detail::concat("must be in [0, ", size, ")"));
    const Index first = rows * rank / size, last = rows * (rank + 1) / size;
    return {first, last - first};
}

// ---- how a loss and a prior combine over shares (docs/distributed.md §2) --------------

/// How a loss is normalised over a batch: by its rows (a mean over examples: the values
/// and gradients of the shares are scaled by share rows / global rows) or by the element
/// counts of its two classes (ClassBalancedBCE: evaluated with the global counts).
enum class Normalisation { rows, classes };

/// Specialise for a loss of your own (value: Normalisation::rows when the loss is a mean
/// over the batch's rows). Data-parallel training refuses a loss without it.
template <class Loss>
struct loss_normalisation;
template <class S>
struct loss_normalisation<train::ClassBalancedBCE<S>> : std::integral_constant<Normalisation, Normalisation::classes> {};
template <class S>
struct loss_normalisation<train::MultinomialNLL<S>> : std::integral_constant<Normalisation, Normalisation::rows> {};
template <class S>
struct loss_normalisation<train::MeanSquaredError<S>> : std::integral_constant<Normalisation, Normalisation::rows> {};
template <class S>
struct loss_normalisation<train::ProfileLoss<S>> : std::integral_constant<Normalisation, Normalisation::rows> {};

/// Specialise as std::true_type for a prior of your own that is a mean over the rows with
/// status 1 (the shipped priors are): the shares' values and gradients are then scaled by
/// share positives / global positives.
template <class Prior>
struct prior_is_mean_over_positives : std::false_type {};
template <class S>
struct prior_is_mean_over_positives<priors::FourierPrior<S>> : std::true_type {};
template <class S>
struct prior_is_mean_over_positives<priors::SmoothnessPrior<S>> : std::true_type {};
template <class S>
struct prior_is_mean_over_positives<priors::SparsityPrior<S>> : std::true_type {};
template <class S>
struct prior_is_mean_over_positives<priors::NoPrior<S>> : std::true_type {};

namespace detail {
template <class Loss, class = void>
struct has_normalisation : std::false_type {};
template <class Loss>
struct has_normalisation<Loss, std::void_t<decltype(loss_normalisation<Loss>::value)>> : std::true_type {};

template <class Loss>
constexpr void check_shareable_loss() {
    static_assert(has_normalisation<Loss>::value,
                  "attrprior::distributed: specialise distributed::loss_normalisation<YourLoss> (rows or classes) "
                  "so that data-parallel training can combine its shares exactly (docs/distributed.md §2)");
}

/// Counts of one share (or, after the allreduce, of the global batch): rows, prior rows
/// (status 1) and the loss's two counts (class elements; unused for row means).
using Counts = std::array<std::int64_t, 4>;

template <class Scalar, class Loss>
Counts share_counts(const train::Batch<Scalar>& batch) {
    Counts c{batch.size(), 0, 0, 0};
    for (Index b = 0; b < batch.size(); ++b) c[1] += batch.status()[b] == 1;
    if constexpr (loss_normalisation<Loss>::value == Normalisation::classes) {
        const auto k = Loss::class_counts(batch.targets());
        c[2] = k.positives;
        c[3] = k.negatives;
    }
    return c;
}

inline double ratio(std::int64_t part, std::int64_t whole) { return whole > 0 ? double(part) / double(whole) : 0.0; }

/// One share of a loss normalised by the global batch (see loss_normalisation).
template <class Scalar, class Loss, bool model_loss = train::is_model_loss_v<Loss, Scalar>>
class ShareOfLoss {
public:
    ShareOfLoss(Loss& loss, const Counts& local, const Counts& global) : loss_(&loss), local_(local), global_(global) {}
    Scalar value_and_gradient(ConstTensor3<Scalar> outputs, ConstTensor3<Scalar> targets, Tensor3<Scalar> gradient) {
        if constexpr (loss_normalisation<Loss>::value == Normalisation::classes) {
            typename Loss::ClassCounts whole;
            whole.positives = Index(global_[2]);
            whole.negatives = Index(global_[3]);
            return loss_->value_and_gradient(outputs, targets, gradient, whole);
        } else {
            const Scalar s = Scalar(ratio(local_[0], global_[0]));
            const Scalar v = loss_->value_and_gradient(outputs, targets, gradient);
            gradient.rows() *= s;
            return v * s;
        }
    }

private:
    Loss* loss_;
    Counts local_, global_;
};
template <class Scalar, class Loss>
class ShareOfLoss<Scalar, Loss, true> {
public:
    static_assert(loss_normalisation<Loss>::value == Normalisation::rows,
                  "attrprior::distributed: a model-level loss must be a mean over rows");
    ShareOfLoss(Loss& loss, const Counts& local, const Counts& global) : loss_(&loss), local_(local), global_(global) {}
    Scalar value_and_gradient(nn::Model<Scalar>& model, ConstTensor3<Scalar> targets) {
        const Scalar s = Scalar(ratio(local_[0], global_[0]));
        const Scalar v = loss_->value_and_gradient(model, targets);
        for (std::size_t k = 0; k < model.outputs().size(); ++k) model.output_gradient(k).rows() *= s;
        return v * s;
    }

private:
    Loss* loss_;
    Counts local_, global_;
};

/// One share of a prior that is a mean over positives, scaled to the global batch.
template <class Scalar, class Prior>
class ShareOfPrior {
public:
    ShareOfPrior(Prior& prior, Scalar scale) : prior_(&prior), scale_(scale) {}
    Scalar value_and_gradient(ConstTensor3<Scalar> attribution, const Eigen::Ref<const Eigen::VectorXi>& status,
                              Tensor3<Scalar> gradient) {
        const Scalar v = prior_->value_and_gradient(attribution, status, gradient);
        gradient.rows() *= scale_;
        return v * scale_;
    }

private:
    Prior* prior_;
    Scalar scale_;
};
}  // namespace detail

// ---- replicas -------------------------------------------------------------------------

/// Copies rank 0's parameters and state (BatchNorm running statistics) to every rank.
/// Every rank must have built the same architecture (checked: the sizes must agree).
template <class Scalar>
void broadcast_model(const Communicator& comm, nn::Model<Scalar>& model) {
    std::array<std::int64_t, 2> sizes{model.parameters().size(), model.state().size()};
    std::array<std::int64_t, 2> lo = sizes, hi = sizes;
    comm.allreduce_min(lo.data(), 2);
    comm.allreduce_max(hi.data(), 2);
    if (lo != hi)
        throw invalid_argument(attrprior::detail::concat(
            "broadcast_model: rank ", comm.rank(), " has ", sizes[0], " parameters and ", sizes[1],
            " state values; the ranks disagree (between ", lo[0], " and ", hi[0],
            " parameters): build the same architecture on every rank"));
    comm.broadcast(model.parameters().data(), model.parameters().size());
    comm.broadcast(model.state().data(), model.state().size());
}

/// FNV-1a (64 bits) of the bytes of the parameters and the state: equal on two ranks iff
/// (but for a collision) their replicas are bitwise identical.
template <class Scalar>
std::uint64_t model_hash(const nn::Model<Scalar>& model) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto add = [&h](const Scalar* data, Index n) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < static_cast<std::size_t>(n) * sizeof(Scalar); ++i) {
            h ^= bytes[i];
            h *= 0x100000001b3ULL;
        }
    };
    add(model.parameters().data(), model.parameters().size());
    add(model.state().data(), model.state().size());
    return h;
}

/// True on every rank when every rank's model_hash is the same (a collective call).
template <class Scalar>
bool replicas_identical(const Communicator& comm, const nn::Model<Scalar>& model) {
    std::uint64_t lo = model_hash(model), hi = lo;
    comm.allreduce_min(&lo, 1);
    comm.allreduce_max(&hi, 1);
    return lo == hi;
}

// ---- sharded batches ------------------------------------------------------------------

/// A batcher whose batches are this rank's share of the wrapped batcher's batches. Every
/// rank must wrap an identical batcher (same data, batch size and seed): each draws the
/// whole global batch (the data work is repeated on every rank; the step's work is not)
/// and keeps rows share_of(B, rank, R). The global batch order is therefore the
/// single-process order for the same seed, whatever R (docs/distributed.md §2).
template <class Batcher, class Scalar = float>
class ShardedBatcher {
public:
    ShardedBatcher(const Communicator& comm, Batcher batcher) : batcher_(std::move(batcher)) {
        train::check_batcher<Batcher, Scalar>();
        const Index B = batcher_.batch_size();
        require(B >= comm.size(), "ShardedBatcher", "global batch", B,
                attrprior::detail::concat("must have at least one row per rank (", comm.size(), " ranks)"));
        share_ = share_of(B, comm.rank(), comm.size());
        shapes_ = batcher_.shapes();
        global_ = train::Batch<Scalar>(shapes_, B);
    }
    /// This rank's rows per batch (shares differ by at most one row between ranks).
    Index batch_size() const { return share_.count; }
    Index global_batch_size() const { return batcher_.batch_size(); }
    Index batches_per_epoch() const { return batcher_.batches_per_epoch(); }
    const train::BatchShapes& shapes() const { return shapes_; }
    Share share() const { return share_; }
    const Batcher& batcher() const { return batcher_; }

    void next(train::Batch<Scalar>& batch) {
        batcher_.next(global_);
        if (batch.input_count() == 0) batch = train::Batch<Scalar>(shapes_, share_.count);
        require(batch.shapes() == shapes_, "ShardedBatcher::next", "batch shapes", "(different)",
                "must be the batcher's shapes()");
        batch.resize(share_.count);
        for (std::size_t k = 0; k < batch.input_count(); ++k) copy_rows(global_.input(k), batch.input(k));
        copy_rows(global_.targets(), batch.targets());
        for (Index r = 0; r < share_.count; ++r) batch.status()[r] = global_.status()[share_.first + r];
    }

private:
    void copy_rows(ConstTensor3<Scalar> from, Tensor3<Scalar> to) const {
        const std::size_t row = static_cast<std::size_t>(from.dim1 * from.dim2);
        if (row > 0 && share_.count > 0)
            std::memcpy(to.data, from.slice(share_.first), sizeof(Scalar) * row * std::size_t(share_.count));
    }

    Batcher batcher_;
    Share share_;
    train::BatchShapes shapes_;
    train::Batch<Scalar> global_;
};

/// An example set that is one rank's contiguous share of another (for evaluation and
/// prediction split across ranks: concatenating the ranks' results in rank order gives
/// the examples' order). Keeps a pointer: `examples` must outlive it.
template <class Examples>
class ShardOfExamples {
public:
    ShardOfExamples(const Examples& examples, int rank, int size)
        : examples_(&examples), share_(share_of(examples.size(), rank, size)) {}
    ShardOfExamples(const Communicator& comm, const Examples& examples)
        : ShardOfExamples(examples, comm.rank(), comm.size()) {}
    Index size() const { return share_.count; }
    decltype(auto) shapes() const { return examples_->shapes(); }
    template <class Scalar>
    void encode(Index first, Index count, train::Batch<Scalar>& batch) const {
        require(first >= 0 && count >= 0 && first + count <= share_.count, "ShardOfExamples::encode", "range",
                attrprior::detail::concat("[", first, ", ", first + count, ")"), "must lie in [0, ", share_.count, ")");
        examples_->encode(share_.first + first, count, batch);
    }
    Share share() const { return share_; }

private:
    const Examples* examples_;
    Share share_;
};

// ---- the data-parallel step -----------------------------------------------------------

/// How the per-rank gradients are summed (docs/distributed.md §2).
enum class GradientSync {
    reduce_broadcast,  ///< MPI_Reduce to rank 0, then MPI_Bcast: every rank gets rank 0's bits (default)
    allreduce,         ///< MPI_Allreduce: one call; identical on every rank in OpenMPI in practice
};

/// Options of DataParallel.
struct DataParallelOptions {
    GradientSync sync = GradientSync::reduce_broadcast;
    /// After every step, copy rank 0's state (BatchNorm running statistics, which each rank
    /// updates from its own share) to every rank, as DistributedDataParallel's
    /// broadcast_buffers: the replicas stay bitwise identical, and evaluation on any rank
    /// uses rank 0's statistics.
    bool broadcast_state = true;
    /// Check once, at the first step, that every rank starts from the same parameters
    /// (a hash compared across ranks; an error names the rank that differs).
    bool check_replicas = true;
    /// Throws invalid_argument naming a field that is out of range.
    void validate() const {
        require(sync == GradientSync::reduce_broadcast || sync == GradientSync::allreduce, "DataParallelOptions",
                "sync", int(sync), "must be GradientSync::reduce_broadcast or GradientSync::allreduce");
    }
};

/// A training step over the ranks of `comm` (see the top of this file): a drop-in for
/// DoubleBackprop in train::fit. Keeps references to the communicator and the step.
template <class Scalar, class Target = train::SumOfOutputs>
class DataParallel {
public:
    DataParallel(const Communicator& comm, train::DoubleBackprop<Scalar, Target>& step,
                 DataParallelOptions options = {})
        : comm_(&comm), step_(&step), options_(options) {
        options_.validate();
    }
    const Communicator& communicator() const { return *comm_; }
    const DataParallelOptions& options() const { return options_; }
    /// Seconds spent in MPI calls by step() so far (counts, gradient, values, state).
    double communication_seconds() const { return comm_seconds_; }
    double step_seconds() const { return step_seconds_; }

    /// One step on this rank's share `batch`: fills model.gradients() with the gradient of
    /// the whole global batch (identical on every rank) and returns the global batch's
    /// losses (prior_rows: positives of the global batch).
    template <class Prior, class Loss>
    train::StepResult<Scalar> step(nn::Model<Scalar>& model, Prior& prior, Loss& loss,
                                   const train::Batch<Scalar>& batch, nn::Mode mode = nn::Mode::train) {
        detail::check_shareable_loss<Loss>();
        static_assert(prior_is_mean_over_positives<Prior>::value,
                      "attrprior::distributed: specialise distributed::prior_is_mean_over_positives<YourPrior> "
                      "(std::true_type) when your prior is a mean over the rows with status 1 "
                      "(docs/distributed.md §2)");
        const auto t0 = std::chrono::steady_clock::now();
        double comm = 0;
        auto timed = [&comm](auto&& fn) {
            const auto c0 = std::chrono::steady_clock::now();
            fn();
            comm += std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
        };
        if (options_.check_replicas && !checked_) {
            bool same = true;
            timed([&] { same = replicas_identical(*comm_, model); });
            if (!same)
                throw invalid_argument(attrprior::detail::concat(
                    "DataParallel::step: rank ", comm_->rank(),
                    ": the replicas' parameters differ across ranks; call distributed::broadcast_model before "
                    "training (docs/distributed.md §2)"));
            checked_ = true;
        }
        require(batch.size() >= 1, "DataParallel::step", "share rows", batch.size(),
                attrprior::detail::concat("must be >= 1 on rank ", comm_->rank()));
        rekey_dropout(model);
        const detail::Counts local = detail::share_counts<Scalar, Loss>(batch);
        detail::Counts global = local;
        timed([&] { comm_->allreduce_sum(global.data(), Index(global.size())); });

        detail::ShareOfLoss<Scalar, Loss> share_loss(loss, local, global);
        train::StepResult<Scalar> r;
        if constexpr (std::is_same_v<Prior, priors::NoPrior<Scalar>>) {
            r = step_->step(model, prior, share_loss, batch, mode);
        } else {
            detail::ShareOfPrior<Scalar, Prior> share_prior(prior, Scalar(detail::ratio(local[1], global[1])));
            r = step_->step(model, share_prior, share_loss, batch, mode);
        }
        std::array<double, 2> values{double(r.task_loss), double(r.prior)};
        timed([&] {
            sum(model.gradients().data(), model.gradients().size());
            sum(values.data(), Index(values.size()));
            if (options_.broadcast_state && model.state().size() > 0)
                comm_->broadcast(model.state().data(), model.state().size());
        });
        r.task_loss = Scalar(values[0]);
        r.prior = Scalar(values[1]);
        r.total = r.task_loss + step_->lambda() * r.prior;
        r.prior_rows = Index(global[1]);
        comm_seconds_ += comm;
        step_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return r;
    }

private:
    template <class T>
    void sum(T* data, Index n) const {
        if (options_.sync == GradientSync::allreduce)
            comm_->allreduce_sum(data, n);
        else
            comm_->reduce_broadcast_sum(data, n);
    }

    /// Dropout masks are a function of (seed, step, row) with the row counted within the
    /// batch (nn/dropout.hpp): ranks other than 0 draw theirs from a seed mixed with the
    /// rank, so that the shares' rows do not repeat rank 0's masks (docs/distributed.md §2).
    void rekey_dropout(nn::Model<Scalar>& model) {
        if (comm_->rank() == 0) return;
        if (keyed_ && model.random_seed() == keyed_seed_ && model.random_step() == keyed_step_) return;
        keyed_seed_ = counter_key(model.random_seed(), 0x6d7069ULL, std::uint64_t(comm_->rank()));
        keyed_step_ = model.random_step();
        model.set_random_state(keyed_seed_, keyed_step_);
        keyed_ = true;
    }

    const Communicator* comm_;
    train::DoubleBackprop<Scalar, Target>* step_;
    DataParallelOptions options_;
    bool checked_ = false, keyed_ = false;
    std::uint64_t keyed_seed_ = 0, keyed_step_ = 0;
    double comm_seconds_ = 0, step_seconds_ = 0;
};

// ---- evaluation split across ranks ----------------------------------------------------

/// The validation loss of fit (train::ValidationLoss) with the examples split across
/// ranks: each rank evaluates its share, the shares are combined exactly as in training
/// (loss_normalisation), and every rank gets the same value (docs/distributed.md §3).
/// Keeps references to the communicator, the examples and the loss.
template <class Scalar, class Examples, class Loss>
class ValidationLoss {
public:
    ValidationLoss(const Communicator& comm, const Examples& examples, Loss& loss, Index chunk = 64)
        : comm_(&comm), examples_(&examples), loss_(&loss), predictor_(chunk) {
        detail::check_shareable_loss<Loss>();
    }
    double operator()(nn::Model<Scalar>& model) {
        const Index N = examples_->size();
        if (N == 0) return std::numeric_limits<double>::quiet_NaN();
        const ShardOfExamples<Examples> share(*comm_, *examples_);
        const Index n = share.size();
        double value = 0;
        if constexpr (train::is_model_loss_v<Loss, Scalar>) {
            // A mean over rows: the share's mean weighted by its rows.
            if (n > 0) value = predictor_.loss(model, share, *loss_) * double(n) / double(N);
        } else {
            // The share's outputs and targets, then the loss with the whole set's counts.
            const nn::Shape os = model.output_shape_of(0), ts = examples_->shapes().targets;
            outputs_.resize(static_cast<std::size_t>(n * os.length * os.channels));
            gradient_.resize(outputs_.size());
            targets_.resize(static_cast<std::size_t>(n * ts.length * ts.channels));
            const Tensor3<Scalar> out(outputs_.data(), n, os.length, os.channels);
            const Tensor3<Scalar> y(targets_.data(), n, ts.length, ts.channels);
            detail::Counts local{n, 0, 0, 0};
            if (n > 0) {
                predictor_.outputs(model, share, {out}, [&](Index first, Index, Index) {
                    const auto t = predictor_.current_chunk().targets();
                    std::copy_n(t.data, t.size(), y.slice(first));
                });
                if constexpr (loss_normalisation<Loss>::value == Normalisation::classes) {
                    const auto k = Loss::class_counts(y);
                    local[2] = k.positives;
                    local[3] = k.negatives;
                }
            }
            detail::Counts global = local;
            comm_->allreduce_sum(global.data(), Index(global.size()));
            if (n > 0) {
                detail::ShareOfLoss<Scalar, Loss> part(*loss_, local, global);
                value = double(part.value_and_gradient(out, y, {gradient_.data(), n, os.length, os.channels}));
            }
        }
        comm_->reduce_broadcast_sum(&value, 1);
        return value;
    }

private:
    const Communicator* comm_;
    const Examples* examples_;
    Loss* loss_;
    train::Predictor<Scalar> predictor_;
    std::vector<Scalar> outputs_, targets_, gradient_;
};


/// train::evaluate_binary with the passes (forward and attributions, the costly part)
/// split across ranks: each rank runs its share of the examples, the arrays are gathered
/// in example order on rank 0, which computes the metrics (docs/distributed.md §3). The
/// result is complete on rank 0; the other ranks get an empty evaluation. A collective
/// call: every rank must make it.
template <class Examples>
train::BinaryEvaluation evaluate_binary(const Communicator& comm, nn::Model<float>& model, const Examples& examples,
                                        const train::EvaluationOptions& options = train::EvaluationOptions()) {
    require(examples.size() >= 1, "evaluate_binary", "examples", examples.size(), "must be >= 1 (is the split empty?)");
    train::detail::require_masks(options, examples.size(), model.input_shape(0).length, "evaluate_binary");
    const ShardOfExamples<Examples> share(comm, examples);
    const train::BinaryEvaluation part = train::binary_passes(model, share, options.chunk);
    train::BinaryEvaluation ev;
    comm.gather(part.attributions, ev.attributions);
    comm.gather(part.logits, ev.logits);
    comm.gather(part.labels, ev.labels);
    if (!comm.root()) return ev;
    ev.examples = examples.size();
    ev.length = part.length;
    train::score_binary(ev, options);
    return ev;
}

/// train::evaluate_profile split across ranks in the same way (complete on rank 0).
template <class Examples>
train::ProfileEvaluation evaluate_profile(const Communicator& comm, nn::Model<float>& model, const Examples& examples,
                                          const train::ProfileTarget& target,
                                          const train::EvaluationOptions& options = train::EvaluationOptions()) {
    require(examples.size() >= 1, "evaluate_profile", "examples", examples.size(), "must be >= 1 (is the split empty?)");
    train::detail::require_masks(options, examples.size(), model.input_shape(0).length, "evaluate_profile");
    const ShardOfExamples<Examples> share(comm, examples);
    const train::ProfileEvaluation part = train::profile_passes(model, share, target, options.chunk);
    train::ProfileEvaluation ev;
    comm.gather(part.attributions, ev.attributions);
    comm.gather(part.logits, ev.logits);
    comm.gather(part.observed, ev.observed);
    comm.gather(part.log_counts, ev.log_counts);
    if (!comm.root()) return ev;
    ev.examples = examples.size();
    ev.length = part.length;
    ev.output_length = part.output_length;
    ev.channels = part.channels;
    train::score_profile(ev, options);
    return ev;
}

// ---- checkpoints (docs/distributed.md §4) ----------------------------------------------

/// train::Checkpoint written by rank 0 alone (atomically: a temporary directory renamed
/// into place; a write error is thrown on rank 0 only, so run the job in run_or_abort). The replicas are identical, so rank 0's weights and optimizer state are
/// every rank's. A checkpoint does not depend on the number of ranks: a job restarted
/// from it with another number (restore_checkpoint below) continues the same training.
template <class Scalar, class Optimizer>
class Checkpoint {
public:
    Checkpoint(const Communicator& comm, std::string dir, int every, Optimizer& optimizer,
               train::History previous = {})
        : comm_(&comm), inner_(std::move(dir), every, optimizer, std::move(previous)) {}
    bool on_epoch_end(const train::EpochEvent& e, nn::Model<Scalar>& model) {
        if (comm_->root()) inner_.on_epoch_end(e, model);
        return false;
    }
    const train::History& history() const { return inner_.history(); }

private:
    const Communicator* comm_;
    train::Checkpoint<Scalar, Optimizer> inner_;
};

/// train::restore_checkpoint on rank 0, then its weights, state, Adam state and history
/// are broadcast to every rank (the other ranks need not see the files). An error reading
/// the checkpoint is thrown on every rank, with rank 0's message. Resume with
/// FitOptions::first_epoch = history.epoch.back() + 1 and the batcher brought past the
/// finished epochs' batches (ShardedBatcher: draw and discard them).
template <class Scalar, class Optimizer>
train::History restore_checkpoint(const Communicator& comm, const std::string& dir, nn::Model<Scalar>& model,
                                  Optimizer& optimizer) {
    train::History h;
    std::string failure;
    if (comm.root()) {
        try {
            h = train::restore_checkpoint(dir, model, optimizer);
        } catch (const std::exception& e) {
            failure = e.what();
            if (failure.empty()) failure = "unknown error";
        }
    }
    comm.broadcast(failure);
    if (!failure.empty())
        throw io_error(attrprior::detail::concat("restore_checkpoint: rank 0 could not read '", dir, "': ", failure));
    broadcast_model(comm, model);
    if constexpr (std::is_same_v<Optimizer, train::Adam<Scalar>>) {
        std::int64_t steps = optimizer.steps(), size = optimizer.first_moment().size();
        comm.broadcast(&steps, 1);
        comm.broadcast(&size, 1);
        Eigen::Matrix<Scalar, Eigen::Dynamic, 1> m(static_cast<Index>(size)), v(static_cast<Index>(size));
        if (comm.root()) {
            m = optimizer.first_moment();
            v = optimizer.second_moment();
        }
        comm.broadcast(m.data(), m.size());
        comm.broadcast(v.data(), v.size());
        if (!comm.root()) {
            if (steps > 0)
                optimizer.load_state(steps, m, v);
            else
                optimizer.reset();
        }
    }
    std::int64_t epochs = static_cast<std::int64_t>(h.size());
    comm.broadcast(&epochs, 1);
    auto share = [&](auto& values) {
        values.resize(static_cast<std::size_t>(epochs));
        comm.broadcast(values.data(), Index(epochs));
    };
    share(h.epoch);
    share(h.train_loss);
    share(h.prior);
    share(h.valid_loss);
    share(h.seconds);
    return h;
}

}  // namespace attrprior::distributed
