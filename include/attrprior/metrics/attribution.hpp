// Attribution metrics of docs/math.md §5.2-5.3: Fourier score, entropy, motif AUPRC, motif
// share and stability across models (cosine and continuous Jaccard similarity).
//
// Attributions are N x L x C views (C = 4 for one-hot DNA; any C >= 1 is accepted),
// examples outermost. Every entry point validates shapes (invalid_argument naming the
// argument and the value) and rejects NaN or +-Inf attributions (numeric_error naming the
// element and its value). The per-position track of an example is
//     a_i = sum_c |A[i, c]|            (docs/math.md §3.1 step 1).
// All sums are accumulated in double whatever the Scalar.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/finite.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/metrics/classification.hpp"
#include "attrprior/priors/fourier.hpp"

namespace attrprior::metrics {

namespace detail {

/// Shape and finiteness of an attribution tensor: dims >= 0, L >= min_length, C >= 1,
/// data non-null when non-empty, every element finite (numeric_error otherwise).
template <class Scalar>
void validate_attribution(const char* where, const char* name, ConstTensor3<Scalar> attr,
                          Index min_length = 1) {
    require(attr.dim0 >= 0, where, name, attr.shape_string(), "must have N >= 0 examples");
    require(attr.dim1 >= min_length, where, name, attr.shape_string(),
            "must have length L >= ", min_length);
    require(attr.dim2 >= 1, where, name, attr.shape_string(), "must have C >= 1 channels");
    require(attr.size() == 0 || attr.data != nullptr, where, name, attr.shape_string(),
            "has a null data pointer");
    require_all_finite(where, name, attr);
}

/// A raw array argument: n >= 0, non-null when n > 0, every element finite.
template <class Scalar>
void validate_array(const char* where, const char* name, const Scalar* p, Index n) {
    require(n == 0 || p != nullptr, where, name, "nullptr", "must point to ", n, " values");
    require_all_finite(where, name, p, n);
}

/// a_i = sum_c |A[i, c]| of one example, in double.
template <class Scalar>
std::vector<double> abs_track(const Scalar* row, Index length, Index channels) {
    std::vector<double> a(static_cast<std::size_t>(length), 0.0);
    for (Index i = 0; i < length; ++i) {
        double s = 0;
        for (Index c = 0; c < channels; ++c) s += std::abs(static_cast<double>(row[i * channels + c]));
        a[static_cast<std::size_t>(i)] = s;
    }
    return a;
}

/// Checks site_mask against attr and the example list; returns the listed examples that
/// have at least one site (in the order given).
template <class Scalar>
std::vector<Index> examples_with_sites(const char* where, ConstTensor3<Scalar> attr,
                                       const std::vector<std::vector<char>>& site_mask,
                                       const std::vector<Index>& examples) {
    require(static_cast<Index>(site_mask.size()) == attr.dim0, where, "site_mask.size()",
            site_mask.size(), "must equal the number of examples N = ", attr.dim0,
            " of attr ", attr.shape_string());
    for (std::size_t b = 0; b < site_mask.size(); ++b) {
        if (static_cast<Index>(site_mask[b].size()) != attr.dim1) {
            throw invalid_argument(attrprior::detail::concat(
                where, ": site_mask[", b, "].size() = ", site_mask[b].size(),
                " must equal the length L = ", attr.dim1, " of attr ", attr.shape_string()));
        }
    }
    require(!examples.empty(), where, "examples.size()", examples.size(), "must be >= 1");
    std::vector<char> seen(static_cast<std::size_t>(attr.dim0), 0);
    std::vector<Index> kept;
    for (std::size_t k = 0; k < examples.size(); ++k) {
        const Index b = examples[k];
        if (b < 0 || b >= attr.dim0) {
            throw invalid_argument(attrprior::detail::concat(
                where, ": examples[", k, "] = ", b, " is out of range [0, ", attr.dim0, ")"));
        }
        if (seen[static_cast<std::size_t>(b)]) {
            throw invalid_argument(attrprior::detail::concat(
                where, ": examples[", k, "] = ", b, " is listed twice"));
        }
        seen[static_cast<std::size_t>(b)] = 1;
        const std::vector<char>& m = site_mask[static_cast<std::size_t>(b)];
        if (std::any_of(m.begin(), m.end(), [](char f) { return f != 0; })) kept.push_back(b);
    }
    if (kept.empty()) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": none of the ", examples.size(),
            " listed examples has a site in site_mask (the metric needs at least one)"));
    }
    return kept;
}

/// Cosine similarity without validation. Each vector is scaled by its largest |value|
/// first (the cosine is scale-invariant), so squares cannot overflow.
template <class Scalar>
double cosine_unchecked(const Scalar* p, const Scalar* q, Index n) {
    double mp = 0, mq = 0;
    for (Index i = 0; i < n; ++i) {
        mp = std::max(mp, std::abs(static_cast<double>(p[i])));
        mq = std::max(mq, std::abs(static_cast<double>(q[i])));
    }
    if (mp == 0 || mq == 0) return 0.0;
    double dot = 0, pp = 0, qq = 0;
    for (Index i = 0; i < n; ++i) {
        const double x = static_cast<double>(p[i]) / mp, y = static_cast<double>(q[i]) / mq;
        dot += x * y;
        pp += x * x;
        qq += y * y;
    }
    const double c = dot / (std::sqrt(pp) * std::sqrt(qq));
    return std::clamp(c, -1.0, 1.0);
}

/// Sign as -1, 0, +1.
inline double sign_of(double v) { return double(v > 0) - double(v < 0); }

/// Continuous Jaccard similarity without validation (see continuous_jaccard).
template <class Scalar>
double jaccard_unchecked(const Scalar* p, const Scalar* q, Index length, Index channels) {
    double total = 0;
    for (Index i = 0; i < length; ++i) {
        const Scalar* pi = p + i * channels;
        const Scalar* qi = q + i * channels;
        // L1 norms, computed after dividing by the largest |value| so they cannot overflow.
        double mp = 0, mq = 0;
        for (Index c = 0; c < channels; ++c) {
            mp = std::max(mp, std::abs(static_cast<double>(pi[c])));
            mq = std::max(mq, std::abs(static_cast<double>(qi[c])));
        }
        if (mp == 0 && mq == 0) continue;  // zero union: the position counts 0
        double sp = 0, sq = 0;
        for (Index c = 0; c < channels; ++c) {
            if (mp > 0) sp += std::abs(static_cast<double>(pi[c])) / mp;
            if (mq > 0) sq += std::abs(static_cast<double>(qi[c])) / mq;
        }
        double intersection = 0, union_ = 0;
        for (Index c = 0; c < channels; ++c) {
            const double x = static_cast<double>(pi[c]), y = static_cast<double>(qi[c]);
            const double ax = mp > 0 ? std::abs(x) / mp / sp : 0.0;  // |p_ic| / sum_c |p_ic|
            const double ay = mq > 0 ? std::abs(y) / mq / sq : 0.0;
            intersection += std::min(ax, ay) * sign_of(x) * sign_of(y);
            union_ += std::max(ax, ay);
        }
        // union_ >= 1 here: one of the two normalised positions sums to 1.
        total += intersection / union_;
    }
    return total;
}

/// Median of a non-empty vector (mean of the two middle values for an even count).
inline double median(std::vector<double> v) {
    const std::size_t n = v.size();
    const std::size_t mid = n / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    const double upper = v[mid];
    if (n % 2 == 1) return upper;
    const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
    return 0.5 * (lower + upper);
}

}  // namespace detail

/// The Fourier score S (docs/math.md §3.1 step 7) of every example, status ignored: the share of
/// the spectrum magnitude of the (smoothed) |a| track in the low, weighted frequencies.
/// Higher is cleaner. Uses priors::FourierPrior<Scalar>::scores with the given options.
/// Needs L >= 2 and options valid for L (freq_limit <= L/2). Returns N values.
template <class Scalar>
std::vector<double> fourier_scores(ConstTensor3<Scalar> attr,
                                   const priors::FourierPriorOptions& options = {}) {
    const char* where = "attrprior::metrics::fourier_scores";
    detail::validate_attribution(where, "attr", attr, 2);
    priors::validate(options, attr.dim1, where);
    priors::FourierPrior<Scalar> prior(options);
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> s(attr.dim0);
    prior.scores(attr, s);
    std::vector<double> out(static_cast<std::size_t>(attr.dim0));
    for (Index b = 0; b < attr.dim0; ++b) out[static_cast<std::size_t>(b)] = static_cast<double>(s[b]);
    return out;
}

/// The mean over the listed examples of the normalised magnitude spectrum |F_k| / M of
/// their (smoothed) |a| tracks, k = 0 .. L/2 (docs/math.md §3.1 steps 1-5): the curve a
/// report plots to show where the attribution's power lies. Computed in double by the
/// prior itself (priors::FourierPrior::spectra), so it is exactly what the prior weighs.
/// Empty rows list: an empty vector.
template <class Scalar>
std::vector<double> mean_spectrum(ConstTensor3<Scalar> attr, const std::vector<Index>& examples,
                                  const priors::FourierPriorOptions& options = priors::FourierPriorOptions()) {
    const char* where = "mean_spectrum";
    detail::validate_attribution(where, "attr", attr, 2);
    if (examples.empty()) return {};
    const Index L = attr.dim1, C = attr.dim2, bins = L / 2 + 1;
    std::vector<double> rows(static_cast<std::size_t>(Index(examples.size()) * L * C));
    for (std::size_t e = 0; e < examples.size(); ++e) {
        const Index b = examples[e];
        require(b >= 0 && b < attr.dim0, where, "example", b, "must be in [0, ", attr.dim0, ")");
        std::copy_n(attr.slice(b), L * C, rows.data() + Index(e) * L * C);
    }
    std::vector<double> spectra(examples.size() * static_cast<std::size_t>(bins)), mean(static_cast<std::size_t>(bins));
    priors::FourierPrior<double> prior(options);
    prior.spectra(ConstTensor3<double>(rows.data(), Index(examples.size()), L, C), spectra.data());
    for (std::size_t e = 0; e < examples.size(); ++e)
        for (Index k = 0; k < bins; ++k)
            mean[static_cast<std::size_t>(k)] += spectra[e * static_cast<std::size_t>(bins) + static_cast<std::size_t>(k)];
    for (double& v : mean) v /= double(examples.size());
    return mean;
}

/// Per example, the Shannon entropy in NATURAL LOG (nats) of the normalised |a| track:
///     a_i = sum_c |A[i, c]|,  p_i = a_i / sum_j a_j,  H = -sum_{i: p_i > 0} p_i ln p_i.
/// H lies in [0, ln L]: 0 when all attribution sits on one position (and, by convention,
/// for an all-zero track), ln L for a uniform track. Lower is more concentrated.
template <class Scalar>
std::vector<double> attribution_entropy(ConstTensor3<Scalar> attr) {
    const char* where = "attrprior::metrics::attribution_entropy";
    detail::validate_attribution(where, "attr", attr);
    std::vector<double> out(static_cast<std::size_t>(attr.dim0), 0.0);
    for (Index b = 0; b < attr.dim0; ++b) {
        const std::vector<double> a = detail::abs_track(attr.slice(b), attr.dim1, attr.dim2);
        double total = 0;
        for (double v : a) total += v;
        if (total == 0) continue;  // all-zero track: entropy 0
        double h = 0;
        for (double v : a) {
            if (v > 0) {
                const double p = v / total;
                h -= p * std::log(p);
            }
        }
        out[static_cast<std::size_t>(b)] = std::max(h, 0.0);
    }
    return out;
}

/// Per-base motif recovery: the |a| tracks (a_i = sum_c |A[i, c]|) of the listed examples
/// are pooled into one list of scores, labelled 1 inside planted sites (site_mask[b][i]
/// != 0) and 0 outside, and scored with auprc (average precision, ties grouped).
/// site_mask has one entry of L flags per example of attr (all N rows, even unlisted
/// ones); examples lists distinct rows in [0, N). Listed rows without any site are
/// skipped (they carry no motif); at least one must have a site, and the pooled positions
/// must include some outside sites. Throws invalid_argument naming the argument at fault.
template <class Scalar>
double motif_auprc(ConstTensor3<Scalar> attr, const std::vector<std::vector<char>>& site_mask,
                   const std::vector<Index>& examples) {
    const char* where = "attrprior::metrics::motif_auprc";
    detail::validate_attribution(where, "attr", attr);
    const std::vector<Index> rows = detail::examples_with_sites(where, attr, site_mask, examples);
    std::vector<double> scores;
    std::vector<int> labels;
    scores.reserve(rows.size() * static_cast<std::size_t>(attr.dim1));
    labels.reserve(scores.capacity());
    for (Index b : rows) {
        const std::vector<double> a = detail::abs_track(attr.slice(b), attr.dim1, attr.dim2);
        const std::vector<char>& m = site_mask[static_cast<std::size_t>(b)];
        for (Index i = 0; i < attr.dim1; ++i) {
            scores.push_back(a[static_cast<std::size_t>(i)]);
            labels.push_back(m[static_cast<std::size_t>(i)] != 0 ? 1 : 0);
        }
    }
    if (std::all_of(labels.begin(), labels.end(), [](int y) { return y == 1; })) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": every one of the ", labels.size(),
            " pooled positions lies in a site; AUPRC needs positions outside sites"));
    }
    return auprc(scores, labels);
}

/// Motif share: for each listed example with at least one site and a non-zero track,
///     share_b = sum_{i in sites} a_i / sum_i a_i      (a_i = sum_c |A[i, c]|),
/// averaged over those examples. In [0, 1]; higher means attribution concentrates on the
/// planted motifs. site_mask and examples as for motif_auprc. Throws invalid_argument when
/// no listed example has a site, or every one that has a site has an all-zero track.
template <class Scalar>
double motif_share(ConstTensor3<Scalar> attr, const std::vector<std::vector<char>>& site_mask,
                   const std::vector<Index>& examples) {
    const char* where = "attrprior::metrics::motif_share";
    detail::validate_attribution(where, "attr", attr);
    const std::vector<Index> rows = detail::examples_with_sites(where, attr, site_mask, examples);
    double sum = 0;
    std::size_t counted = 0;
    for (Index b : rows) {
        const std::vector<double> a = detail::abs_track(attr.slice(b), attr.dim1, attr.dim2);
        const std::vector<char>& m = site_mask[static_cast<std::size_t>(b)];
        double inside = 0, total = 0;
        for (Index i = 0; i < attr.dim1; ++i) {
            total += a[static_cast<std::size_t>(i)];
            if (m[static_cast<std::size_t>(i)] != 0) inside += a[static_cast<std::size_t>(i)];
        }
        if (total == 0) continue;
        sum += inside / total;
        ++counted;
    }
    if (counted == 0) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": all ", rows.size(),
            " listed examples with a site have an all-zero attribution track; the motif "
            "share is undefined"));
    }
    return sum / static_cast<double>(counted);
}

/// Cosine similarity of two flattened attributions of n values:
///     <p, q> / (|p| |q|),  0 when either vector is all zero.
/// In [-1, 1] (clamped against rounding): 1 for identical or positively scaled
/// attributions, -1 for negated ones.
template <class Scalar>
double cosine_similarity(const Scalar* p, const Scalar* q, Index n) {
    const char* where = "attrprior::metrics::cosine_similarity";
    require(n >= 0, where, "n", n, "must be >= 0");
    detail::validate_array(where, "p", p, n);
    detail::validate_array(where, "q", q, n);
    return detail::cosine_unchecked(p, q, n);
}

/// Continuous Jaccard similarity of two L x C attributions (row-major, position outermost),
/// exactly as docs/math.md §5.3 defines it:
///   1. L1-normalise each position's C values: p'_ic = p_ic / sum_c |p_ic| (an all-zero
///      position stays zero); the same for q.
///   2. For each position i with a non-zero union,
///          J_i = [sum_c min(|p'_ic|, |q'_ic|) sign(p_ic) sign(q_ic)] / [sum_c max(|p'_ic|, |q'_ic|)],
///      and J_i = 0 for a position where both p and q are all zero (zero union).
///   3. The similarity is the SUM over positions: J = sum_i J_i.
/// The per-position ratio is summed as the definition writes it, not averaged and not a ratio
/// of totals: each J_i lies in [-1, 1], so J lies in [-L, L]; identical (or per-position
/// positively rescaled) attributions give J = number of non-zero positions, negated ones
/// minus that number. Divide by L for a per-position mean.
template <class Scalar>
double continuous_jaccard(const Scalar* p, const Scalar* q, Index L, Index C = 4) {
    const char* where = "attrprior::metrics::continuous_jaccard";
    require(L >= 0, where, "L", L, "must be >= 0");
    require(C >= 1, where, "C", C, "must be >= 1");
    detail::validate_array(where, "p", p, L * C);
    detail::validate_array(where, "q", q, L * C);
    return detail::jaccard_unchecked(p, q, L, C);
}

/// Stability of attributions across models (docs/math.md §5.3, the paper's consistency analysis).
struct StabilityReport {
    /// Per example: the mean over all model pairs of the cosine similarity of the two
    /// flattened L x C attributions.
    std::vector<double> cosine;
    /// Per example: the mean over all model pairs of continuous_jaccard (a sum over
    /// positions, in [-L, L]).
    std::vector<double> jaccard;
    /// Medians over examples of the two vectors above (mean of the two middle values when
    /// the number of examples is even).
    double cosine_median = 0;
    double jaccard_median = 0;
};

/// models_attributions[m] is model m's N x L x C attribution of the same N examples. Needs
/// at least 2 models, all of the same shape, N >= 1. For each example, averages
/// cosine_similarity and continuous_jaccard over the M (M - 1) / 2 unordered model pairs.
template <class Scalar>
StabilityReport stability(const std::vector<ConstTensor3<Scalar>>& models_attributions) {
    const char* where = "attrprior::metrics::stability";
    const std::size_t M = models_attributions.size();
    require(M >= 2, where, "models_attributions.size()", M, "must be >= 2 (pairs of models)");
    const ConstTensor3<Scalar>& first = models_attributions.front();
    for (std::size_t m = 0; m < M; ++m) {
        const ConstTensor3<Scalar>& a = models_attributions[m];
        if (a.dim0 != first.dim0 || a.dim1 != first.dim1 || a.dim2 != first.dim2) {
            throw invalid_argument(attrprior::detail::concat(
                where, ": models_attributions[", m, "] has shape ", a.shape_string(),
                " but models_attributions[0] has shape ", first.shape_string()));
        }
        const std::string name = attrprior::detail::concat("models_attributions[", m, "]");
        detail::validate_attribution(where, name.c_str(), a);
    }
    require(first.dim0 >= 1, where, "number of examples N", first.dim0, "must be >= 1");
    const Index N = first.dim0, L = first.dim1, C = first.dim2;
    StabilityReport report;
    report.cosine.assign(static_cast<std::size_t>(N), 0.0);
    report.jaccard.assign(static_cast<std::size_t>(N), 0.0);
    const double pairs = 0.5 * static_cast<double>(M) * static_cast<double>(M - 1);
#pragma omp parallel for schedule(dynamic)
    for (Index b = 0; b < N; ++b) {
        double cos_sum = 0, jac_sum = 0;
        for (std::size_t m1 = 0; m1 < M; ++m1) {
            const Scalar* p = models_attributions[m1].slice(b);
            for (std::size_t m2 = m1 + 1; m2 < M; ++m2) {
                const Scalar* q = models_attributions[m2].slice(b);
                cos_sum += detail::cosine_unchecked(p, q, L * C);
                jac_sum += detail::jaccard_unchecked(p, q, L, C);
            }
        }
        report.cosine[static_cast<std::size_t>(b)] = cos_sum / pairs;
        report.jaccard[static_cast<std::size_t>(b)] = jac_sum / pairs;
    }
    report.cosine_median = detail::median(report.cosine);
    report.jaccard_median = detail::median(report.jaccard);
    return report;
}

/// The attribution-quality metrics of a set of examples (docs/math.md §5.2), as the
/// training programs report them: "fourier_score" and "entropy" (means over `examples`)
/// and, when site masks are given (one per row of attr), "motif_auprc" and "motif_share"
/// over the listed examples that have at least one site (absent when none has).
template <class Scalar>
std::map<std::string, double> attribution_summary(ConstTensor3<Scalar> attr, const std::vector<Index>& examples,
                                                  const priors::FourierPriorOptions& fourier,
                                                  const std::vector<std::vector<char>>* site_masks = nullptr) {
    std::map<std::string, double> out;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (examples.empty()) {
        out["fourier_score"] = out["entropy"] = nan;
        return out;
    }
    const auto scores = fourier_scores(attr, fourier);
    const auto entropy = attribution_entropy(attr);
    double fsum = 0, esum = 0;
    for (Index i : examples) {
        require(i >= 0 && i < attr.dim0, "attribution_summary", "example", i, "must be in [0, ", attr.dim0, ")");
        fsum += scores[static_cast<std::size_t>(i)];
        esum += entropy[static_cast<std::size_t>(i)];
    }
    out["fourier_score"] = fsum / double(examples.size());
    out["entropy"] = esum / double(examples.size());
    if (site_masks == nullptr) return out;
    std::vector<Index> with_site;
    for (Index i : examples) {
        const auto& m = site_masks->at(static_cast<std::size_t>(i));
        if (std::find(m.begin(), m.end(), 1) != m.end()) with_site.push_back(i);
    }
    if (with_site.empty()) return out;
    out["motif_auprc"] = motif_auprc(attr, *site_masks, with_site);
    out["motif_share"] = motif_share(attr, *site_masks, with_site);
    return out;
}

}  // namespace attrprior::metrics
