// Thin, typed wrapper over FFTW's real-to-complex and complex-to-real 1-d transforms.
//
// FFTW's planner is not thread safe, while executing an existing plan on new arrays is
// (fftw_execute_dft_r2c / _c2r). attrprior therefore plans each (length, precision,
// direction) once, behind a mutex, and every thread executes the shared plan on its own
// buffers. Buffers come from fftw_malloc so they have the alignment the plan assumes.
#pragma once

#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <map>
#include <mutex>
#include <new>
#include <tuple>

#include "attrprior/core/error.hpp"

namespace attrprior::fft {

/// How much effort FFTW spends on planning. `estimate` is deterministic across runs;
/// `measure` times candidate algorithms (faster transforms, run-to-run plan choice may vary).
enum class PlanRigor { estimate, measure };

template <class Scalar>
struct Traits;

template <>
struct Traits<double> {
    using Plan = fftw_plan;
    using Complex = fftw_complex;
    static Plan plan_r2c(int n, double* in, Complex* out, unsigned flags) {
        return fftw_plan_dft_r2c_1d(n, in, out, flags);
    }
    static Plan plan_c2r(int n, Complex* in, double* out, unsigned flags) {
        return fftw_plan_dft_c2r_1d(n, in, out, flags);
    }
    static void r2c(Plan p, double* in, Complex* out) { fftw_execute_dft_r2c(p, in, out); }
    static void c2r(Plan p, Complex* in, double* out) { fftw_execute_dft_c2r(p, in, out); }
    static void destroy(Plan p) { fftw_destroy_plan(p); }
};

template <>
struct Traits<float> {
    using Plan = fftwf_plan;
    using Complex = fftwf_complex;
    static Plan plan_r2c(int n, float* in, Complex* out, unsigned flags) {
        return fftwf_plan_dft_r2c_1d(n, in, out, flags);
    }
    static Plan plan_c2r(int n, Complex* in, float* out, unsigned flags) {
        return fftwf_plan_dft_c2r_1d(n, in, out, flags);
    }
    static void r2c(Plan p, float* in, Complex* out) { fftwf_execute_dft_r2c(p, in, out); }
    static void c2r(Plan p, Complex* in, float* out) { fftwf_execute_dft_c2r(p, in, out); }
    static void destroy(Plan p) { fftwf_destroy_plan(p); }
};

/// Owning, FFTW-aligned array of T (move-only). Used for all FFT input/output buffers.
template <class T>
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(std::size_t n) { resize(n); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
        o.data_ = nullptr;
        o.size_ = 0;
    }
    AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
        if (this != &o) {
            release();
            data_ = o.data_;
            size_ = o.size_;
            o.data_ = nullptr;
            o.size_ = 0;
        }
        return *this;
    }
    ~AlignedBuffer() { release(); }

    /// Reallocates (contents lost) only when the size changes.
    void resize(std::size_t n) {
        if (n == size_) return;
        release();
        if (n > 0) {
            data_ = static_cast<T*>(fftw_malloc(n * sizeof(T)));
            if (data_ == nullptr) throw std::bad_alloc();
        }
        size_ = n;
    }
    T* data() { return data_; }
    const T* data() const { return data_; }
    std::size_t size() const { return size_; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }

private:
    void release() {
        if (data_ != nullptr) fftw_free(data_);
        data_ = nullptr;
        size_ = 0;
    }
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

/// The pair of plans (forward r2c, inverse c2r, both unnormalised) for one length.
template <class Scalar>
struct RealPlans {
    typename Traits<Scalar>::Plan r2c;
    typename Traits<Scalar>::Plan c2r;
    int length;
};

/// Returns the cached plans for `length`, creating them on first use. Thread safe.
/// Plans live until program exit; the returned reference stays valid.
template <class Scalar>
const RealPlans<Scalar>& real_plans(int length, PlanRigor rigor = PlanRigor::estimate) {
    using T = Traits<Scalar>;
    require(length >= 1, "attrprior::fft::real_plans", "length", length, "must be >= 1");
    // One mutex for both precisions: fftw and fftwf share no state, but the cost of a
    // single lock is nothing next to planning, and it keeps the rule simple.
    // The cache destroys its plans at exit (so leak checkers see no lost plans).
    struct Cache {
        std::map<std::tuple<int, int>, RealPlans<Scalar>> plans;
        ~Cache() {
            for (auto& kv : plans) {
                T::destroy(kv.second.r2c);
                T::destroy(kv.second.c2r);
            }
        }
    };
    static std::mutex planner_mutex;
    static Cache cache_holder;
    auto& cache = cache_holder.plans;
    std::lock_guard<std::mutex> lock(planner_mutex);
    auto key = std::make_tuple(length, static_cast<int>(rigor));
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    // Plan on scratch arrays from fftw_malloc: measuring overwrites them, and every
    // buffer later passed to the new-array execute functions has the same alignment.
    const std::size_t bins = static_cast<std::size_t>(length / 2 + 1);
    AlignedBuffer<Scalar> real(static_cast<std::size_t>(length));
    AlignedBuffer<typename T::Complex> spectrum(bins);
    const unsigned flags = (rigor == PlanRigor::measure ? FFTW_MEASURE : FFTW_ESTIMATE);
    RealPlans<Scalar> plans{T::plan_r2c(length, real.data(), spectrum.data(), flags),
                            T::plan_c2r(length, spectrum.data(), real.data(), flags), length};
    if (plans.r2c == nullptr || plans.c2r == nullptr) {
        throw error(detail::concat("attrprior::fft::real_plans: FFTW could not plan length ",
                                   length));
    }
    return cache.emplace(key, plans).first->second;
}

}  // namespace attrprior::fft
