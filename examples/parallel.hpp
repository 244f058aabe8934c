// The training programs under mpirun (docs/distributed.md §6). Built with MPI
// (attrprior::distributed), `mpirun -np R train_binary ...` trains data-parallel: every
// rank holds a replica, takes its share of every global batch (--batch means the same
// global batch as one process) and evaluates its share of the validation and test sets;
// rank 0 alone simulates data, writes outputs, logs and draws progress bars, and computes
// the metrics, DeepSHAP and the report. An error on any rank ends the whole job with a message naming the rank.
// Built without MPI, Parallel is one process and the programs behave as before.
#pragma once

#include <attrprior/train/evaluate.hpp>
#include <attrprior/train/fit.hpp>
#include <attrprior/train/optimizers.hpp>

#if defined(ATTRPRIOR_HAS_MPI)
#include <attrprior/distributed/data_parallel.hpp>
#endif

#include <exception>
#include <iostream>
#include <memory>
#include <ostream>
#include <utility>

namespace examples {

class Parallel {
public:
    /// One process, whatever the build: no MPI (a program whose parallelism is elsewhere,
    /// such as the stability study's --jobs).
    Parallel() = default;
    /// Under mpirun (built with MPI): starts MPI; the ranks share the work.
    Parallel(int* argc, char*** argv) {
#if defined(ATTRPRIOR_HAS_MPI)
        env_ = std::make_unique<attrprior::distributed::Environment>(argc, argv);
        comm_ = std::make_unique<attrprior::distributed::Communicator>();
#else
        (void)argc;
        (void)argv;
#endif
    }
    int rank() const {
#if defined(ATTRPRIOR_HAS_MPI)
        return comm_ ? comm_->rank() : 0;
#else
        return 0;
#endif
    }
    int size() const {
#if defined(ATTRPRIOR_HAS_MPI)
        return comm_ ? comm_->size() : 1;
#else
        return 1;
#endif
    }
    /// Rank 0 writes the outputs and the logs.
    bool root() const { return rank() == 0; }
    /// std::cerr on rank 0, a sink on the others.
    std::ostream& log() { return root() ? std::cerr : sink_; }
    /// Waits for every rank (e.g. until rank 0 has written the files the others read).
    void barrier() const {
#if defined(ATTRPRIOR_HAS_MPI)
        if (comm_) comm_->barrier();
#endif
    }

    /// Runs the program body; an exception prints "<program>: error: <what>" and returns 1,
    /// or, with more than one rank, ends the whole job naming the rank.
    template <class Fn>
    int run(const char* program, Fn&& fn) {
        try {
            return std::forward<Fn>(fn)();
        } catch (const std::exception& e) {
#if defined(ATTRPRIOR_HAS_MPI)
            if (size() > 1) comm_->abort(std::string(program) + ": error: " + e.what());
#endif
            std::cerr << program << ": error: " << e.what() << "\n";
            return 1;
        }
    }

    /// train::fit with a prefetching batcher and a validation loss; data parallel across
    /// the ranks when there are several (rank 0's initial weights are broadcast).
    template <class Scalar, class Target, class Prior, class Loss, class Batcher, class Examples, class... Callbacks>
    attrprior::train::History fit(attrprior::nn::Model<Scalar>& model,
                                  attrprior::train::DoubleBackprop<Scalar, Target>& backprop, Prior& prior, Loss& loss,
                                  attrprior::train::Adam<Scalar>& adam, Batcher batcher, const Examples& valid,
                                  attrprior::Index chunk, const attrprior::train::FitOptions& options,
                                  Callbacks&&... callbacks) {
        namespace train = attrprior::train;
#if defined(ATTRPRIOR_HAS_MPI)
        if (size() > 1) {
            namespace dist = attrprior::distributed;
            dist::broadcast_model(*comm_, model);
            dist::DataParallel<Scalar, Target> step(*comm_, backprop);
            train::Prefetching<dist::ShardedBatcher<Batcher, Scalar>, Scalar> batches(
                dist::ShardedBatcher<Batcher, Scalar>(*comm_, std::move(batcher)));
            dist::ValidationLoss<Scalar, Examples, Loss> validation(*comm_, valid, loss, chunk);
            return train::fit(model, step, prior, loss, adam, batches, validation, options,
                              std::forward<Callbacks>(callbacks)...);
        }
#endif
        train::Prefetching<Batcher, Scalar> batches(std::move(batcher));
        train::ValidationLoss<Scalar, Examples, Loss> validation(valid, loss, chunk);
        return train::fit(model, backprop, prior, loss, adam, batches, validation, options,
                          std::forward<Callbacks>(callbacks)...);
    }

    /// train::evaluate_binary / evaluate_profile, the passes split across the ranks when
    /// there are several; complete on rank 0 (empty on the others). Every rank calls it.
    template <class Examples>
    attrprior::train::BinaryEvaluation evaluate_binary(attrprior::nn::Model<float>& model, const Examples& examples,
                                                       const attrprior::train::EvaluationOptions& options) {
#if defined(ATTRPRIOR_HAS_MPI)
        if (size() > 1) return attrprior::distributed::evaluate_binary(*comm_, model, examples, options);
#endif
        return attrprior::train::evaluate_binary(model, examples, options);
    }
    template <class Examples>
    attrprior::train::ProfileEvaluation evaluate_profile(attrprior::nn::Model<float>& model, const Examples& examples,
                                                         const attrprior::train::ProfileTarget& target,
                                                         const attrprior::train::EvaluationOptions& options) {
#if defined(ATTRPRIOR_HAS_MPI)
        if (size() > 1) return attrprior::distributed::evaluate_profile(*comm_, model, examples, target, options);
#endif
        return attrprior::train::evaluate_profile(model, examples, target, options);
    }

private:
#if defined(ATTRPRIOR_HAS_MPI)
    std::unique_ptr<attrprior::distributed::Environment> env_;
    std::unique_ptr<attrprior::distributed::Communicator> comm_;
#endif
    std::ostream sink_{nullptr};
};

}  // namespace examples
