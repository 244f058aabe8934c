// MPI plumbing of attrprior::distributed (docs/distributed.md §1): an RAII environment, a
// communicator wrapper whose every call is checked (an MPI error becomes
// distributed::mpi_error naming the rank and the call), and run_or_abort, which turns an
// exception on any one rank into a clear message and the end of the whole job (MPI_Abort),
// never a hang of the other ranks in their next collective call.
//
// Only this folder includes <mpi.h>; it needs the target attrprior::distributed (CMake:
// ATTRPRIOR_WITH_MPI, find_package(attrprior COMPONENTS distributed)).
#pragma once

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::distributed {

/// An MPI call failed; the message names the rank, the call and MPI's error string.
class mpi_error : public error {
public:
    using error::error;
};

namespace detail {
template <class T>
MPI_Datatype mpi_type() {
    if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
    else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
    else if constexpr (std::is_same_v<T, int>) return MPI_INT;
    else if constexpr (std::is_same_v<T, std::int64_t>) return MPI_INT64_T;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return MPI_UINT64_T;
    else if constexpr (std::is_same_v<T, char>) return MPI_CHAR;
    else static_assert(sizeof(T) == 0, "attrprior::distributed: no MPI datatype for this type");
}

inline int world_rank() {
    int initialized = 0, finalized = 0, rank = -1;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

/// Throws mpi_error "rank R: <call> failed: <MPI's message>" when rc is not MPI_SUCCESS.
inline void check(int rc, const char* call) {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, text, &length);
    throw mpi_error(attrprior::detail::concat("rank ", world_rank(), ": ", call, " failed: ",
                                              std::string(text, static_cast<std::size_t>(length))));
}
}  // namespace detail

/// MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread calls MPI; OpenMP threads and
/// the Prefetching worker never do) on construction, MPI_Finalize on destruction, unless
/// MPI was already initialised by someone else (then neither). One per process.
class Environment {
public:
    Environment(int* argc, char*** argv) {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (initialized) return;
        int provided = 0;
        detail::check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
        owner_ = true;
    }
    Environment() : Environment(nullptr, nullptr) {}
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;
    ~Environment() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (owner_ && !finalized) MPI_Finalize();
    }

private:
    bool owner_ = false;
};

/// A communicator (MPI_COMM_WORLD by default) with checked collective calls. Errors on it
/// are returned (MPI_ERRORS_RETURN) and thrown as mpi_error naming the rank. Copies share
/// the communicator (it is not duplicated or freed).
class Communicator {
public:
    explicit Communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
        detail::check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
        detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    }

    int rank() const { return rank_; }
    int size() const { return size_; }
    /// True on rank 0, the rank that writes outputs and logs (docs/distributed.md §4).
    bool root() const { return rank_ == 0; }
    MPI_Comm get() const { return comm_; }

    void barrier() const { detail::check(MPI_Barrier(comm_), "MPI_Barrier"); }

    /// data[0, n) = the element-wise sum over ranks, on every rank.
    template <class T>
    void allreduce_sum(T* data, Index n) const {
        detail::check(MPI_Allreduce(MPI_IN_PLACE, data, count(n), detail::mpi_type<T>(), MPI_SUM, comm_),
                      "MPI_Allreduce(SUM)");
    }
    /// The same sum, reduced on rank 0 and then broadcast from it: every rank holds rank
    /// 0's bits, whatever the reduction order of the MPI library (docs/distributed.md §2).
    template <class T>
    void reduce_broadcast_sum(T* data, Index n) const {
        if (rank_ == 0)
            detail::check(MPI_Reduce(MPI_IN_PLACE, data, count(n), detail::mpi_type<T>(), MPI_SUM, 0, comm_),
                          "MPI_Reduce(SUM)");
        else
            detail::check(MPI_Reduce(data, nullptr, count(n), detail::mpi_type<T>(), MPI_SUM, 0, comm_),
                          "MPI_Reduce(SUM)");
        broadcast(data, n);
    }
    /// data[0, n) = the element-wise minimum / maximum over ranks, on every rank.
    template <class T>
    void allreduce_min(T* data, Index n) const {
        detail::check(MPI_Allreduce(MPI_IN_PLACE, data, count(n), detail::mpi_type<T>(), MPI_MIN, comm_),
                      "MPI_Allreduce(MIN)");
    }
    template <class T>
    void allreduce_max(T* data, Index n) const {
        detail::check(MPI_Allreduce(MPI_IN_PLACE, data, count(n), detail::mpi_type<T>(), MPI_MAX, comm_),
                      "MPI_Allreduce(MAX)");
    }
    /// data[0, n) = root's, on every rank.
    template <class T>
    void broadcast(T* data, Index n, int root = 0) const {
        detail::check(MPI_Bcast(data, count(n), detail::mpi_type<T>(), root, comm_), "MPI_Bcast");
    }
    /// A string of root's, on every rank.
    void broadcast(std::string& text, int root = 0) const {
        std::int64_t n = static_cast<std::int64_t>(text.size());
        broadcast(&n, 1, root);
        text.resize(static_cast<std::size_t>(n));
        if (n > 0) broadcast(&text[0], Index(n), root);
    }

    /// Concatenates every rank's `local` (any length per rank) in rank order into `all` on
    /// `root` (other ranks' `all` is left empty).
    template <class T>
    void gather(const std::vector<T>& local, std::vector<T>& all, int root = 0) const {
        int mine = count(Index(local.size()));
        std::vector<int> counts(rank_ == root ? static_cast<std::size_t>(size_) : 0);
        detail::check(MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm_), "MPI_Gather");
        std::vector<int> offsets(counts.size());
        std::int64_t total = 0;
        for (std::size_t r = 0; r < counts.size(); ++r) {
            offsets[r] = static_cast<int>(total);
            total += counts[r];
        }
        require(total <= INT32_MAX, "Communicator::gather", "elements", total, "must fit MPI's int counts");
        all.assign(rank_ == root ? static_cast<std::size_t>(total) : 0, T());
        detail::check(MPI_Gatherv(local.data(), mine, detail::mpi_type<T>(), all.data(), counts.data(),
                                  offsets.data(), detail::mpi_type<T>(), root, comm_),
                      "MPI_Gatherv");
    }

    /// Ends the whole job: "attrprior: rank R of N: <message>" on stderr, then MPI_Abort.
    [[noreturn]] void abort(const std::string& message, int code = 1) const {
        std::fprintf(stderr, "attrprior: rank %d of %d: %s\n", rank_, size_, message.c_str());
        std::fflush(stderr);
        MPI_Abort(comm_, code);
        std::terminate();  // MPI_Abort does not return
    }

private:
    static int count(Index n) {
        require(n >= 0 && n <= INT32_MAX, "Communicator", "count", n, "must be in [0, 2^31) (MPI's int counts)");
        return static_cast<int>(n);
    }

    MPI_Comm comm_;
    int rank_ = 0, size_ = 1;
};

/// Runs fn() and returns its result (an int exit code); an exception escaping fn on any
/// rank ends the whole job through Communicator::abort with the rank and the exception's
/// message (docs/distributed.md §5): the other ranks, blocked in a collective call, are
/// killed instead of hanging.
template <class Fn>
int run_or_abort(const Communicator& comm, Fn&& fn) {
    try {
        return std::forward<Fn>(fn)();
    } catch (const std::exception& e) {
        comm.abort(e.what());
    } catch (...) {
        comm.abort("unknown exception");
    }
}

}  // namespace attrprior::distributed
