// Profile-model metrics (docs/math.md §5.1): Jensen-Shannon divergence between observed and
// predicted profiles, Pearson and Spearman correlations of profiles and of log counts.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/math.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::metrics {

/// Pearson correlation; NaN when either side has zero variance (callers skip those).
inline double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    require(x.size() == y.size(), "pearson", "sizes", x.size(), "differ: ", y.size());
    const double n = double(x.size());
    if (x.size() < 2) return std::nan("");
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx == 0 || syy == 0) return std::nan("");
    return sxy / std::sqrt(sxx * syy);
}

/// Ranks 1..n with ties given their average rank.
inline std::vector<double> average_ranks(const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> rank(v.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        const double r = 0.5 * double(i + j) + 1.0;
        for (std::size_t k = i; k <= j; ++k) rank[order[k]] = r;
        i = j + 1;
    }
    return rank;
}

/// Spearman correlation: Pearson of the average ranks (exact with ties).
inline double spearman(const std::vector<double>& x, const std::vector<double>& y) {
    return pearson(average_ranks(x), average_ranks(y));
}

/// Jensen-Shannon divergence in bits (base 2, in [0, 1]) between two non-negative
/// vectors, each normalised to sum 1. NaN when either sums to 0.
inline double jensen_shannon(const std::vector<double>& p, const std::vector<double>& q) {
    require(p.size() == q.size(), "jensen_shannon", "sizes", p.size(), "differ: ", q.size());
    const double sp = std::accumulate(p.begin(), p.end(), 0.0), sq = std::accumulate(q.begin(), q.end(), 0.0);
    if (!(sp > 0) || !(sq > 0)) return std::nan("");
    double js = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const double a = p[i] / sp, b = q[i] / sq, m = 0.5 * (a + b);
        if (a > 0) js += 0.5 * a * std::log2(a / m);
        if (b > 0) js += 0.5 * b * std::log2(b / m);
    }
    return std::max(0.0, js);
}

struct ProfileMetrics {
    double profile_jsd = 0, profile_pearson = 0, profile_spearman = 0;  // means over profiles
    double counts_pearson = 0, counts_spearman = 0;                     // over all profiles' log counts
    Index profiles_used = 0;  // profiles with observed reads (the others are skipped)
};

/// observed: B x O x K read counts; logits: B x O x K profile logits (softmax over O);
/// log_counts: B x 1 x K predicted log counts (compared with log(1 + observed total)).
template <class Scalar>
ProfileMetrics profile_metrics(ConstTensor3<Scalar> observed, ConstTensor3<Scalar> logits,
                               ConstTensor3<Scalar> log_counts) {
    require_same_shape(observed, logits, "profile_metrics", "observed", "logits");
    require(log_counts.dim0 == observed.dim0 && log_counts.dim1 == 1 && log_counts.dim2 == observed.dim2,
            "profile_metrics", "log_counts shape", log_counts.shape_string(), "must be [B, 1, K]");
    const Index B = observed.dim0, O = observed.dim1, K = observed.dim2;
    ProfileMetrics r;
    std::vector<double> obs(static_cast<std::size_t>(O)), pred(obs.size()), true_counts, pred_counts;
    double jsd = 0, pe = 0, sp = 0;
    Index n_pe = 0;
    for (Index b = 0; b < B; ++b) {
        for (Index k = 0; k < K; ++k) {
            const SoftmaxNormalizer<double> normalizer = softmax_normalizer<double>(logits.slice(b) + k, O, K);
            double total = 0;
            for (Index o = 0; o < O; ++o) {
                obs[static_cast<std::size_t>(o)] = double(observed(b, o, k));
                pred[static_cast<std::size_t>(o)] =
                    std::exp(double(logits(b, o, k)) - normalizer.max) / normalizer.sum_exp;
                require(obs[static_cast<std::size_t>(o)] >= 0, "profile_metrics", "observed count",
                        obs[static_cast<std::size_t>(o)], "must be >= 0");
                total += obs[static_cast<std::size_t>(o)];
            }
            true_counts.push_back(std::log1p(total));
            pred_counts.push_back(double(log_counts(b, 0, k)));
            if (total <= 0) continue;
            ++r.profiles_used;
            jsd += jensen_shannon(obs, pred);
            const double p = pearson(obs, pred), s = spearman(obs, pred);
            if (std::isfinite(p) && std::isfinite(s)) {
                pe += p;
                sp += s;
                ++n_pe;
            }
        }
    }
    r.profile_jsd = r.profiles_used ? jsd / double(r.profiles_used) : std::nan("");
    r.profile_pearson = n_pe ? pe / double(n_pe) : std::nan("");
    r.profile_spearman = n_pe ? sp / double(n_pe) : std::nan("");
    r.counts_pearson = pearson(true_counts, pred_counts);
    r.counts_spearman = spearman(true_counts, pred_counts);
    return r;
}

}  // namespace attrprior::metrics
