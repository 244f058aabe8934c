// Recursive seqlet calling on a per-position attribution track (docs/attribution.md,
// "Seqlets"): spans of high attribution whose every sub-span of at least min_length
// positions is itself significant under a null built from the track's own histogram.
// Compatible with tangermeme's recursive_seqlets, including its quirks (listed in the
// docs).
//
// Input: X, n examples x l positions, row-major; X[b, i] is the projected score of
// position i summed over the bases (Scores::track). Output: BED-like spans, end
// exclusive, sorted by p-value.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/parallel.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::attribution {

/// Options of recursive_seqlets; the defaults are tangermeme's.
struct SeqletOptions {
    double threshold = 0.01;  ///< p-value threshold tau: spans need p < tau
    Index min_length = 4;     ///< shortest seqlet, and shortest sub-span that must be significant
    Index max_length = 25;    ///< longest seqlet
    Index flanks = 0;         ///< positions added on each side after calling (clipped)
    Index bins = 1000;        ///< histogram bins of the null

    /// Throws invalid_argument naming the option and its value.
    void validate() const {
        constexpr const char* where = "attribution::SeqletOptions";
        // min_length = 1 would read the never-filled survival of length 1 (p = 0 for every
        // span above the lowest bin): docs/attribution.md, "Seqlets".
        require(min_length >= 2, where, "min_length", min_length, "must be >= 2");
        require(max_length >= min_length, where, "max_length", max_length,
                "must be >= min_length = ", min_length);
        require(bins >= 2, where, "bins", bins, "must be >= 2");
        require(threshold > 0 && threshold <= 1, where, "threshold", threshold, "must be in (0, 1]");
        require(flanks >= 0, where, "flanks", flanks, "must be >= 0");
    }
};

/// One called span [start, end) of example `example`.
struct Seqlet {
    Index example = 0;
    Index start = 0;
    Index end = 0;            ///< exclusive
    double attribution = 0;   ///< sum of X over [start, end), with its true sign
    double p_value = 1;       ///< p-value of the called span (flanks excluded)
    int sign = +1;            ///< +1: called on X; -1: called on -X
};

namespace detail {

/// The null of docs/attribution.md, "Seqlets": survival functions of the binned sum of
/// L positions drawn independently from the track's histogram, for L = min..max length.
struct SeqletNull {
    double x_min = 0;
    double bin_width = 0;
    Index min_length = 0;
    std::vector<double> span_offset;             ///< [L]: x_min * L, see survival_of_sum
    std::vector<std::vector<double>> survival;   ///< [L - min_length]: bins * L entries

    /// S_L at the bin of a span sum. A bin below 0 (rounding of a sum at L * x_min) reads
    /// bin 0, p = 1; a bin past the table (not reachable by rounding) reads 0, as the
    /// reference's zero padding does.
    double survival_of_sum(Index L, double span_sum) const {
        const std::vector<double>& S = survival[static_cast<std::size_t>(L - min_length)];
        // span_offset is read from memory so the subtraction cannot be contracted with the
        // product into an FMA: the bin must round exactly as the reference's does.
        const double bin = std::floor((span_sum - span_offset[static_cast<std::size_t>(L)]) / bin_width);
        if (!(bin >= 0)) return S[0];
        if (bin >= static_cast<double>(S.size())) return 0.0;
        return S[static_cast<std::size_t>(bin)];
    }
};

template <class Scalar>
SeqletNull seqlet_null(const Scalar* X, Index count, double sign, double x_min, double x_max,
                       const SeqletOptions& options) {
    SeqletNull null;
    const Index bins = options.bins;
    null.x_min = x_min;
    null.bin_width = (x_max - x_min) / static_cast<double>(bins - 1);
    null.min_length = options.min_length;
    null.span_offset.resize(static_cast<std::size_t>(options.max_length + 1));
    for (Index L = 0; L <= options.max_length; ++L) {
        null.span_offset[static_cast<std::size_t>(L)] = x_min * static_cast<double>(L);
    }

    // Histogram f: fraction of all n * l entries per bin, one null for every example.
    std::vector<double> f(static_cast<std::size_t>(bins), 0.0);
    for (Index e = 0; e < count; ++e) {
        const double bin = std::floor((sign * static_cast<double>(X[e]) - x_min) / null.bin_width);
        // x_max lands in bin bins - 1 (or bins - 2 when the division rounds down); the
        // clamp only guards against rounding past the ends.
        const Index b = bin <= 0 ? 0 : (bin >= static_cast<double>(bins - 1) ? bins - 1 : static_cast<Index>(bin));
        f[static_cast<std::size_t>(b)] += 1.0;
    }
    for (double& v : f) v /= static_cast<double>(count);
    std::vector<Index> nonzero;  // bins with f > 0, descending (see the convolution)
    for (Index j = bins - 1; j >= 0; --j) {
        if (f[static_cast<std::size_t>(j)] != 0.0) nonzero.push_back(j);
    }

    // pdf_L = pdf_{L-1} * f. Each output bin t sums pdf_{L-1}[i] f[t - i] in ascending i,
    // the reference's order (zero terms skipped: adding +0 changes nothing), so the bins
    // are bitwise the reference's and independent of the thread count.
    std::vector<double> pdf = f, next;
    null.survival.resize(static_cast<std::size_t>(options.max_length - options.min_length + 1));
    const Index n_nonzero = static_cast<Index>(nonzero.size());
    for (Index L = 2; L <= options.max_length; ++L) {
        const Index prev_last = (L - 1) * (bins - 1);  // support of pdf_{L-1}: 0..prev_last
        const Index last = L * (bins - 1);
        next.assign(static_cast<std::size_t>(last + 1), 0.0);
        const double* prev = pdf.data();
        const Index* js = nonzero.data();
#pragma omp parallel for schedule(static) if ((last + 1) * n_nonzero >= kParallelWork)
        for (Index t = 0; t <= last; ++t) {
            double acc = 0.0;
            for (Index q = 0; q < n_nonzero; ++q) {
                const Index i = t - js[q];
                if (i < 0) continue;
                if (i > prev_last) break;  // js descending: i only grows from here
                acc += prev[i] * f[static_cast<std::size_t>(js[q])];
            }
            next[static_cast<std::size_t>(t)] = acc;
        }
        pdf.swap(next);
        if (L < options.min_length) continue;
        // Survival by running subtraction from S[0] = 1 (bin 0 never subtracted), over
        // bins * L entries as the reference's table; past the support it stays constant.
        std::vector<double>& S = null.survival[static_cast<std::size_t>(L - options.min_length)];
        S.assign(static_cast<std::size_t>(bins * L), 0.0);
        S[0] = 1.0;
        for (Index b = 1; b < bins * L; ++b) {
            const double mass = b <= last ? pdf[static_cast<std::size_t>(b)] : 0.0;
            S[static_cast<std::size_t>(b)] = std::max(S[static_cast<std::size_t>(b - 1)] - mass, 0.0);
        }
    }
    return null;
}

/// Calls the seqlets of one example (docs/attribution.md, "Seqlets", steps 3-4), appending
/// them in acceptance order. `prefix` (l + 1) and `p` ((max_length + 1) x l) are scratch.
template <class Scalar>
void seqlets_of_example(const Scalar* x, Index example, Index l, double sign, const SeqletNull& null,
                        const SeqletOptions& options, std::vector<double>& prefix, std::vector<double>& p,
                        std::vector<std::pair<double, Index>>& candidates, std::vector<Seqlet>& out) {
    const Index lmin = options.min_length, lmax = options.max_length;
    const double tau = options.threshold;
    prefix.assign(static_cast<std::size_t>(l + 1), 0.0);
    for (Index i = 0; i < l; ++i) {
        prefix[static_cast<std::size_t>(i + 1)] = prefix[static_cast<std::size_t>(i)] + sign * static_cast<double>(x[i]);
    }
    const auto Q = [&](Index i) { return prefix[static_cast<std::size_t>(i)]; };

    // p[L, k]: row-major (lmax + 1) x l. Rows below lmin are 0 (no constraint), spans that
    // do not fit are 1; column l - lmin is 1 in every row (the reference's quirk: no seqlet
    // covers position l - lmin).
    p.assign(static_cast<std::size_t>((lmax + 1) * l), 1.0);
    const auto P = [&](Index L, Index k) -> double& { return p[static_cast<std::size_t>(L * l + k)]; };
    std::fill(p.begin(), p.begin() + lmin * l, 0.0);
    for (Index L = 0; L <= lmax; ++L) P(L, l - lmin) = 1.0;
    for (Index L = lmin; L <= lmax; ++L) {
        for (Index k = 0; k + L <= l; ++k) {
            P(L, k) = std::max(null.survival_of_sum(L, Q(k + L) - Q(k)), P(L - 1, k));
        }
    }

    // Longest first. The reference repeatedly pops the first argmin of row L until it
    // reads >= tau; entries only ever rise to 1 (popped or blocked), so that is the same as
    // visiting the entries below tau in (p, k) order and skipping the ones raised since.
    for (Index L = lmax; L >= lmin; --L) {
        candidates.clear();
        for (Index k = 0; k < l; ++k) {
            if (P(L, k) < tau) candidates.emplace_back(P(L, k), k);
        }
        std::sort(candidates.begin(), candidates.end());
        for (const auto& [q, k] : candidates) {
            if (!(P(L, k) < tau)) continue;  // blocked by an accepted seqlet
            P(L, k) = 1.0;
            bool accepted = true;
            for (Index j = 1; j < L && accepted; ++j) accepted = P(L - j, k + j) < tau;
            if (!accepted) continue;
            for (Index c = k; c < std::min(k + L, l - 1); ++c) {
                for (Index r = 0; r <= lmax; ++r) P(r, c) = 1.0;
            }
            Seqlet s;
            s.example = example;
            s.start = std::max<Index>(k - options.flanks, 0);
            s.end = std::min<Index>(k + L + options.flanks, l - 1);  // l - 1, as the reference
            s.attribution = sign * (Q(s.end) - Q(s.start));         // negation is exact
            s.p_value = q;
            s.sign = sign > 0 ? +1 : -1;
            out.push_back(s);
        }
    }
}

template <class Scalar>
std::vector<Seqlet> recursive_seqlets_signed(const Scalar* X, Index n, Index l, double sign,
                                             const SeqletOptions& options, const char* where) {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "recursive_seqlets takes float or double attributions");
    options.validate();
    require(n >= 0, where, "n", n, "must be >= 0");
    require(l >= 0, where, "l", l, "must be >= 0");
    const Index count = n * l;
    require(count == 0 || X != nullptr, where, "X", "null", "with n * l = ", count, " entries");
    for (Index e = 0; e < count; ++e) {
        if (!std::isfinite(X[e])) {
            throw numeric_error(attrprior::detail::concat(where, ": X[", e / l, ", ", e % l, "] = ", X[e], " is not finite"));
        }
    }
    // Degenerate inputs (docs/attribution.md, "Seqlets"): nothing to call.
    if (count == 0 || l < options.min_length) return {};
    double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
    for (Index e = 0; e < count; ++e) {
        const double v = sign * static_cast<double>(X[e]);
        x_min = std::min(x_min, v);
        x_max = std::max(x_max, v);
    }
    if (!(x_max > x_min)) return {};  // all equal: every span has p = 1
    if (!std::isfinite(x_max - x_min)) {
        throw numeric_error(attrprior::detail::concat(where, ": the range of X, [", x_min, ", ", x_max,
                                           "], overflows double"));
    }

    const SeqletNull null = seqlet_null(X, count, sign, x_min, x_max, options);

    std::vector<std::vector<Seqlet>> per_example(static_cast<std::size_t>(n));
    const Index lmax = options.max_length;
#pragma omp parallel if (n > 1 && count * lmax >= kParallelWork)
    {
        std::vector<double> prefix, p;
        std::vector<std::pair<double, Index>> candidates;
#pragma omp for schedule(dynamic, 1)
        for (Index b = 0; b < n; ++b) {
            seqlets_of_example(X + b * l, b, l, sign, null, options, prefix, p, candidates,
                               per_example[static_cast<std::size_t>(b)]);
        }
    }
    std::vector<Seqlet> seqlets;
    for (const auto& s : per_example) seqlets.insert(seqlets.end(), s.begin(), s.end());
    return seqlets;
}

inline void sort_by_p_value(std::vector<Seqlet>& seqlets) {
    std::stable_sort(seqlets.begin(), seqlets.end(),
                     [](const Seqlet& a, const Seqlet& b) { return a.p_value < b.p_value; });
}

}  // namespace detail

/// Positive seqlets of the n x l track X (row-major), sorted by p-value ascending; ties
/// keep the order (example, acceptance order) (docs/attribution.md, "Seqlets"). Computes
/// in double. Returns nothing when n * l = 0, l < min_length or all values are equal.
/// Throws invalid_argument for bad options or shapes, numeric_error for NaN/Inf in X.
template <class Scalar>
std::vector<Seqlet> recursive_seqlets(const Scalar* X, Index n, Index l, const SeqletOptions& options = {}) {
    auto seqlets = detail::recursive_seqlets_signed(X, n, l, +1.0, options, "attribution::recursive_seqlets");
    detail::sort_by_p_value(seqlets);
    return seqlets;
}

/// Positive seqlets (on X, sign +1) and negative ones (on -X, sign -1, attribution the true
/// negative sum of X), merged and sorted by p-value; ties put positive before negative,
/// then (example, acceptance order). Each sign has its own null.
template <class Scalar>
std::vector<Seqlet> recursive_seqlets_both_signs(const Scalar* X, Index n, Index l,
                                                 const SeqletOptions& options = {}) {
    constexpr const char* where = "attribution::recursive_seqlets_both_signs";
    auto seqlets = detail::recursive_seqlets_signed(X, n, l, +1.0, options, where);
    auto negative = detail::recursive_seqlets_signed(X, n, l, -1.0, options, where);
    seqlets.insert(seqlets.end(), negative.begin(), negative.end());
    detail::sort_by_p_value(seqlets);
    return seqlets;
}

}  // namespace attrprior::attribution
