// The Fourier attribution prior of Tseng, Shrikumar & Kundaje (NeurIPS 2020), docs/math.md §3.
//
// P(A) = mean over rows with status 1 of (1 - S), where S is the share of the spectrum
// magnitude of the (smoothed) per-position attribution track that lies in the low,
// weighted frequencies. The gradient is exact: rfft adjoint through FFTW's c2r transform,
// smoothing adjoint, and the |.| subgradient (docs/math.md derives it).
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <cmath>
#include <complex>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/fftw.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/priors/prior.hpp"

namespace attrprior::priors {

/// Options of the Fourier prior; defaults are the paper's binary-model settings.
struct FourierPriorOptions {
    /// Bins j' = 0 .. freq_limit-1 (j' = j - 1 counts from the first non-DC bin) get weight 1.
    int freq_limit = 150;
    /// Beyond the limit, w = 1 / (1 + x^softness) with x = j' - freq_limit + 1.
    double softness = 0.2;
    /// Weight 0 beyond the limit instead of the soft decay (softness is then ignored).
    bool hard_cutoff = false;
    /// Gaussian smoothing of the track before the FFT: 2*sigma+1 taps; 0 = none.
    int smoothing_sigma = 3;
    /// FFTW planning effort (estimate is deterministic from run to run).
    fft::PlanRigor plan_rigor = fft::PlanRigor::estimate;
};

/// Checks the options on their own; throws invalid_argument naming the field.
inline void validate(const FourierPriorOptions& o, const char* where) {
    require(o.freq_limit >= 0, where, "freq_limit", o.freq_limit, "must be >= 0");
    require(std::isfinite(o.softness) && o.softness >= 0, where, "softness", o.softness,
            "must be finite and >= 0");
    require(o.smoothing_sigma >= 0, where, "smoothing_sigma", o.smoothing_sigma, "must be >= 0");
}

/// Checks options against a track length L; throws invalid_argument naming the field.
inline void validate(const FourierPriorOptions& o, Index length, const char* where) {
    validate(o, where);
    require(o.freq_limit <= length / 2, where, "freq_limit", o.freq_limit,
            "must be <= L/2 = ", length / 2, " (L = ", length, ")");
}

/// Normalised Gaussian kernel with 2*sigma+1 taps at offsets -sigma..sigma (docs/math.md §3.1
/// step 2).
template <class Scalar>
std::vector<Scalar> gaussian_kernel(int sigma) {
    require(sigma >= 0, "attrprior::priors::gaussian_kernel", "sigma", sigma, "must be >= 0");
    std::vector<double> k(static_cast<std::size_t>(2 * sigma + 1), 1.0);
    double total = 0;
    for (int t = -sigma; t <= sigma; ++t) {
        const double v = sigma == 0 ? 1.0 : std::exp(-0.5 * double(t) * t / (double(sigma) * sigma));
        k[static_cast<std::size_t>(t + sigma)] = v;
        total += v;
    }
    std::vector<Scalar> out(k.size());
    for (std::size_t i = 0; i < k.size(); ++i) out[i] = static_cast<Scalar>(k[i] / total);
    return out;
}

namespace detail {

/// Interior positions r .. L-r-1 of smooth_same for a compile-time radius R.
template <int R, class Scalar>
void smooth_interior(const Scalar* __restrict in, Index length, const Scalar* k,
                     Scalar* __restrict out) {
    Scalar taps[2 * R + 1];
    for (int t = 0; t <= 2 * R; ++t) taps[t] = k[t - R];
    for (Index i = R; i < length - R; ++i) {
        Scalar s = 0;
        for (int t = 0; t <= 2 * R; ++t) s += taps[t] * in[i + t - R];
        out[i] = s;
    }
}

/// The same for any radius (tap-outer, position-inner, so the inner loop vectorises).
template <class Scalar>
void smooth_interior_any(const Scalar* __restrict in, Index length, Index r, const Scalar* k,
                         Scalar* __restrict out) {
    std::fill(out + r, out + length - r, Scalar(0));
    for (Index t = -r; t <= r; ++t) {
        const Scalar kt = k[t];
        for (Index i = r; i < length - r; ++i) out[i] += kt * in[i + t];
    }
}

}  // namespace detail

/// "Same"-length correlation with a symmetric kernel and zero padding. Because the kernel
/// is symmetric the operator is self-adjoint, so the same routine is the smoothing's adjoint.
template <class Scalar>
void smooth_same(const Scalar* in, Index length, const std::vector<Scalar>& kernel, Scalar* out) {
    const Index r = static_cast<Index>(kernel.size() / 2);
    const Scalar* k = kernel.data() + r;  // k[t] for t in [-r, r]
    auto edge = [&](Index i) {
        const Index lo = std::max<Index>(-r, -i), hi = std::min<Index>(r, length - 1 - i);
        Scalar s = 0;
        for (Index t = lo; t <= hi; ++t) s += k[t] * in[i + t];
        out[i] = s;
    };
    const Index head = std::min(r, length);
    for (Index i = 0; i < head; ++i) edge(i);
    if (length > 2 * r) {
        switch (r) {  // compile-time radius: taps unrolled, the loop vectorises over i
            case 1: detail::smooth_interior<1>(in, length, k, out); break;
            case 2: detail::smooth_interior<2>(in, length, k, out); break;
            case 3: detail::smooth_interior<3>(in, length, k, out); break;
            case 4: detail::smooth_interior<4>(in, length, k, out); break;
            case 5: detail::smooth_interior<5>(in, length, k, out); break;
            default: detail::smooth_interior_any(in, length, r, k, out); break;
        }
    }
    for (Index i = std::max(head, length - r); i < length; ++i) edge(i);
}

/// Frequency weights w_j for bins j = 0 .. L/2 (w_0 = 0: the DC bin is dropped), docs/math.md
/// §3.1 step 6.
template <class Scalar>
std::vector<Scalar> fourier_weights(Index length, const FourierPriorOptions& o) {
    const Index bins = length / 2 + 1;
    std::vector<Scalar> w(static_cast<std::size_t>(bins), Scalar(0));
    for (Index j = 1; j < bins; ++j) {
        const Index jp = j - 1;
        double v = 1.0;
        if (jp >= o.freq_limit) {
            v = o.hard_cutoff ? 0.0
                              : 1.0 / (1.0 + std::pow(double(jp - o.freq_limit + 1), o.softness));
        }
        w[static_cast<std::size_t>(j)] = static_cast<Scalar>(v);
    }
    return w;
}

/// The Fourier prior for one scalar type. Holds its workspace: construct once, call many
/// times; after the first call with a given (L, thread count) it allocates nothing.
/// One instance must not be used from two threads at once (it parallelises internally).
template <class Scalar>
class FourierPrior {
public:
    using Options = FourierPriorOptions;

    explicit FourierPrior(const Options& options = Options()) : options_(options) {
        validate(options, "FourierPrior");
        kernel_ = gaussian_kernel<Scalar>(options.smoothing_sigma);
    }

    const Options& options() const { return options_; }

    /// P(A) and dP/dA (docs/math.md §3). attribution and gradient are B x L x C; rows with
    /// status != 1 get zero gradient. No kept row: returns 0 with a zero gradient.
    Scalar value_and_gradient(ConstTensor3<Scalar> attribution,
                              const Eigen::Ref<const Eigen::VectorXi>& status,
                              Tensor3<Scalar> gradient) {
        const char* where = "FourierPrior::value_and_gradient";
        const Index kept = detail::validate_prior_arguments(where, attribution, status, gradient);
        validate(options_, attribution.dim1, where);
        prepare(attribution.dim1, attribution.dim0);
        const Index B = attribution.dim0, L = attribution.dim1, C = attribution.dim2;
        const Scalar inv_rows = kept > 0 ? Scalar(1) / Scalar(kept) : Scalar(0);
        row_scale_ = inv_rows;

#pragma omp parallel for schedule(static)
        for (Index b = 0; b < B; ++b) {
            Scalar* grad = gradient.slice(b);
            const bool ok = all_finite(attribution.slice(b), L * C);
            row_ok_[static_cast<std::size_t>(b)] = ok;
            if (status[b] != 1 || !ok) {
                std::fill(grad, grad + L * C, Scalar(0));
                row_value_[static_cast<std::size_t>(b)] = 0;
                continue;
            }
            RowWorkspace& ws = workspace_[static_cast<std::size_t>(omp_get_thread_num())];
            const Scalar score = row_score(attribution.slice(b), C, ws);
            row_value_[static_cast<std::size_t>(b)] = Scalar(1) - score;
            row_gradient(attribution.slice(b), C, ws, grad);
        }
        throw_first_non_finite(where, "attribution", attribution, &row_ok_);
        // Serial sum in row order: the result does not depend on the thread count.
        Scalar total = 0;
        for (Index b = 0; b < B; ++b) total += row_value_[static_cast<std::size_t>(b)];
        return total * inv_rows;
    }

    /// Per-row Fourier score S (docs/math.md §3.1 step 7) for every row, ignoring status: the
    /// metric "fourier_score" of the examples. scores must have size B.
    void scores(ConstTensor3<Scalar> attribution, Eigen::Ref<Eigen::Matrix<Scalar, -1, 1>> scores) {
        const char* where = "FourierPrior::scores";
        require(scores.size() == attribution.dim0, where, "scores.size()", scores.size(),
                "must equal the batch size ", attribution.dim0);
        require(attribution.dim1 >= 2, where, "attribution length L", attribution.dim1,
                "must be >= 2");
        require(attribution.rows().allFinite(), where, "attribution", "(contains NaN or Inf)",
                "must be finite");
        validate(options_, attribution.dim1, where);
        prepare(attribution.dim1, attribution.dim0);
#pragma omp parallel for schedule(static)
        for (Index b = 0; b < attribution.dim0; ++b) {
            RowWorkspace& ws = workspace_[static_cast<std::size_t>(omp_get_thread_num())];
            scores[b] = row_score(attribution.slice(b), attribution.dim2, ws);
        }
    }

    /// The normalised magnitude spectrum |F_k| / M (k = 0 .. L/2) of every row's (smoothed)
    /// |a| track, ignoring status: what the score weighs (docs/math.md §3.1 steps 1-5).
    /// spectra is B x (L/2 + 1), row-major. The same computation as the prior's, so
    /// figures show exactly what the prior penalises.
    void spectra(ConstTensor3<Scalar> attribution, Scalar* spectra) {
        const char* where = "FourierPrior::spectra";
        require(attribution.dim1 >= 2, where, "attribution length L", attribution.dim1, "must be >= 2");
        require(spectra != nullptr || attribution.dim0 == 0, where, "spectra", "null", "must not be null");
        require(attribution.rows().allFinite(), where, "attribution", "(contains NaN or Inf)", "must be finite");
        validate(options_, attribution.dim1, where);
        prepare(attribution.dim1, attribution.dim0);
        const Index bins = attribution.dim1 / 2 + 1;
#pragma omp parallel for schedule(static)
        for (Index b = 0; b < attribution.dim0; ++b) {
            RowWorkspace& ws = workspace_[static_cast<std::size_t>(omp_get_thread_num())];
            row_score(attribution.slice(b), attribution.dim2, ws);
            for (Index k = 0; k < bins; ++k) spectra[b * bins + k] = ws.magnitude[static_cast<std::size_t>(k)] / ws.norm;
        }
    }

private:
    using Complex = typename fft::Traits<Scalar>::Complex;

    struct RowWorkspace {
        fft::AlignedBuffer<Scalar> track;     // a, then the smoothed track, then abar
        fft::AlignedBuffer<Scalar> scratch;   // smoothing output / c2r output
        fft::AlignedBuffer<Complex> spectrum; // F, then Y (the c2r input)
        fft::AlignedBuffer<Scalar> magnitude; // |F_k|
        Scalar norm = 1;                      // M
        Scalar score = 0;                     // S
    };

    void prepare(Index length, Index batch) {
        const int threads = omp_get_max_threads();
        if (length != length_) {
            plans_ = &fft::real_plans<Scalar>(static_cast<int>(length), options_.plan_rigor);
            weights_ = fourier_weights<Scalar>(length, options_);
            c2r_weight_.assign(static_cast<std::size_t>(length / 2 + 1), Scalar(0.5));
            c2r_weight_.front() = 1;
            if (length % 2 == 0) c2r_weight_.back() = 1;
            workspace_.clear();
        }
        if (length != length_ || static_cast<int>(workspace_.size()) < threads) {
            workspace_.resize(static_cast<std::size_t>(threads));
            for (RowWorkspace& ws : workspace_) {
                ws.track.resize(static_cast<std::size_t>(length));
                ws.scratch.resize(static_cast<std::size_t>(length));
                ws.spectrum.resize(static_cast<std::size_t>(length / 2 + 1));
                ws.magnitude.resize(static_cast<std::size_t>(length / 2 + 1));
            }
        }
        length_ = length;
        if (static_cast<Index>(row_value_.size()) < batch) {
            row_value_.resize(static_cast<std::size_t>(batch));
            row_ok_.resize(static_cast<std::size_t>(batch));
        }
    }

    /// Steps 1-7 of docs/math.md §3.1 for one row; leaves F in ws.spectrum, M and S in ws.
    Scalar row_score(const Scalar* attr, Index channels, RowWorkspace& ws) {
        const Index L = length_, bins = L / 2 + 1;
        Scalar* track = ws.track.data();
        detail::channel_abs_sum(attr, L, channels, track);
        if (options_.smoothing_sigma > 0) {
            smooth_same(track, L, kernel_, ws.scratch.data());
            track = ws.scratch.data();
        }
        fft::Traits<Scalar>::r2c(plans_->r2c, track, ws.spectrum.data());
        const Scalar* F = reinterpret_cast<const Scalar*>(ws.spectrum.data());  // re, im pairs
        Scalar* mag = ws.magnitude.data();
        // |F_k| = sqrt(re^2 + im^2) through Eigen's vectorised sqrt (std::hypot's overflow
        // care costs ~10x and std::sqrt's errno path blocks vectorisation).
        for (Index k = 0; k < bins; ++k) mag[k] = F[2 * k] * F[2 * k] + F[2 * k + 1] * F[2 * k + 1];
        ArrayMap m(mag, bins);
        m = m.sqrt();
        Scalar norm = m.sum();
        const Scalar weighted = (m * ConstArrayMap(weights_.data(), bins)).sum();
        if (norm == 0) norm = 1;  // docs/math.md §3.1 step 5
        ws.norm = norm;
        ws.score = weighted / norm;
        return ws.score;
    }

    /// dP/dA for one kept row, from the state row_score left in ws (docs/math.md §3.3).
    void row_gradient(const Scalar* attr, Index channels, RowWorkspace& ws, Scalar* grad) {
        const Index L = length_, bins = L / 2 + 1;
        // dP/dm_k = -(w_k - S) / (M R); dP/dF_k = dP/dm_k * F_k / |F_k| (0 where |F_k| = 0);
        // then the c2r weights of the rfft adjoint (c2r_weight_: 1 for the DC and even-L
        // Nyquist bins, 1/2 for the others). The factor overwrites the magnitudes.
        const Scalar scale = -row_scale_ / ws.norm;
        ArrayMap m(ws.magnitude.data(), bins);
        m = (m > Scalar(0))
                .select(scale * (ConstArrayMap(weights_.data(), bins) - ws.score) *
                            ConstArrayMap(c2r_weight_.data(), bins) / m,
                        Scalar(0));
        Scalar* F = reinterpret_cast<Scalar*>(ws.spectrum.data());
        const Scalar* factor = ws.magnitude.data();
        for (Index k = 0; k < bins; ++k) {
            F[2 * k] *= factor[k];
            F[2 * k + 1] *= factor[k];
        }
        // c2r ignores the imaginary part of self-conjugate bins; zero it to be explicit.
        F[1] = 0;
        if (L % 2 == 0) F[2 * (bins - 1) + 1] = 0;
        Scalar* abar = ws.scratch.data();
        fft::Traits<Scalar>::c2r(plans_->c2r, ws.spectrum.data(), abar);
        if (options_.smoothing_sigma > 0) {
            smooth_same(abar, L, kernel_, ws.track.data());
            abar = ws.track.data();
        }
        detail::scatter_sign(attr, abar, L, channels, grad);
    }

    using ArrayMap = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
    using ConstArrayMap = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;

    Options options_;
    std::vector<Scalar> kernel_;
    std::vector<Scalar> weights_;
    std::vector<Scalar> c2r_weight_;
    const fft::RealPlans<Scalar>* plans_ = nullptr;
    Index length_ = -1;
    std::vector<RowWorkspace> workspace_;
    std::vector<Scalar> row_value_;
    std::vector<char> row_ok_;
    Scalar row_scale_ = 0;  // 1 / R, the mean over kept rows
};

}  // namespace attrprior::priors
