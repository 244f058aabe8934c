// Binary classification metrics of docs/math.md §5.1: accuracy, auROC and auPRC.
//
// Every function takes the model's scores (logits, or any monotone transform of them for
// the ranking metrics) and labels with the same length:
//     label  1  positive
//     label  0  negative
//     label -1  ignored (the example is left out of the metric)
// Any other label is an invalid_argument naming its index. A NaN score is a
// numeric_error naming its index; +-Inf scores are accepted (they rank fine and
// compare fine against a threshold). Ties are handled exactly, never broken by order.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "attrprior/core/error.hpp"

namespace attrprior::metrics {

namespace detail {

/// Counts of the labelled examples.
struct LabelCounts {
    std::size_t positives = 0;
    std::size_t negatives = 0;
};

/// Checks sizes, labels and scores; returns the class counts (ignored labels excluded).
inline LabelCounts validate_scores_labels(const char* where, const std::vector<double>& scores,
                                          const std::vector<int>& labels) {
    if (scores.size() != labels.size()) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": scores.size() = ", scores.size(), " but labels.size() = ", labels.size(),
            " (they must be equal)"));
    }
    LabelCounts counts;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const int y = labels[i];
        if (y != 1 && y != 0 && y != -1) {
            throw invalid_argument(attrprior::detail::concat(
                where, ": labels[", i, "] = ", y,
                " must be 1 (positive), 0 (negative) or -1 (ignored)"));
        }
        if (std::isnan(scores[i])) {
            throw numeric_error(attrprior::detail::concat(where, ": scores[", i, "] = ",
                                                          scores[i], " is NaN"));
        }
        if (y == 1) ++counts.positives;
        if (y == 0) ++counts.negatives;
    }
    return counts;
}

/// Ranking metrics need both classes; throws invalid_argument naming the missing one.
inline void require_both_classes(const char* where, const LabelCounts& counts) {
    if (counts.positives == 0) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": labels contain no positive (label 1) among the ",
            counts.positives + counts.negatives,
            " labelled examples; the metric is undefined without positives"));
    }
    if (counts.negatives == 0) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": labels contain no negative (label 0) among the ",
            counts.positives + counts.negatives,
            " labelled examples; the metric is undefined without negatives"));
    }
}

/// A group of examples sharing one score value: how many positives and negatives.
struct TieGroup {
    double score;
    std::size_t positives;
    std::size_t negatives;
};

/// The labelled examples grouped by distinct score, in descending score order.
inline std::vector<TieGroup> tie_groups_descending(const std::vector<double>& scores,
                                                   const std::vector<int>& labels) {
    std::vector<std::size_t> order;
    order.reserve(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] != -1) order.push_back(i);
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    std::vector<TieGroup> groups;
    for (std::size_t k = 0; k < order.size();) {
        const double s = scores[order[k]];
        TieGroup g{s, 0, 0};
        for (; k < order.size() && scores[order[k]] == s; ++k) {
            if (labels[order[k]] == 1) {
                ++g.positives;
            } else {
                ++g.negatives;
            }
        }
        groups.push_back(g);
    }
    return groups;
}

}  // namespace detail

/// Fraction of the labelled examples (label 0 or 1) classified correctly, where an example
/// is predicted positive iff score > threshold (scores are logits, so the default 0 is
/// probability 1/2). Needs at least one labelled example; a single class is fine.
/// Throws invalid_argument (sizes, labels, NaN threshold, nothing labelled) and
/// numeric_error (NaN score).
inline double accuracy(const std::vector<double>& scores, const std::vector<int>& labels,
                       double threshold = 0.0) {
    const char* where = "attrprior::metrics::accuracy";
    require(!std::isnan(threshold), where, "threshold", threshold, "must not be NaN");
    const detail::LabelCounts counts = detail::validate_scores_labels(where, scores, labels);
    const std::size_t labelled = counts.positives + counts.negatives;
    if (labelled == 0) {
        throw invalid_argument(attrprior::detail::concat(
            where, ": no labelled example (all ", labels.size(),
            " labels are -1 or the input is empty); accuracy is undefined"));
    }
    std::size_t correct = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (labels[i] == -1) continue;
        const bool predicted_positive = scores[i] > threshold;
        if (predicted_positive == (labels[i] == 1)) ++correct;
    }
    return static_cast<double>(correct) / static_cast<double>(labelled);
}

/// Area under the ROC curve, exact with ties: the probability that a random positive
/// scores above a random negative, a tie counting 1/2. Equals the trapezoidal area under
/// the ROC curve and the Mann-Whitney U statistic (ties given their average rank) divided
/// by P*N:
///     auROC = (1 / (P N)) * sum over positives p, negatives n of [s_p > s_n] + [s_p = s_n]/2.
/// Computed in O(n log n) by grouping equal scores. Labels -1 are ignored. Throws
/// invalid_argument when there are no positives or no negatives (naming which), on
/// mismatched sizes or bad labels, and numeric_error on a NaN score.
inline double auroc(const std::vector<double>& scores, const std::vector<int>& labels) {
    const char* where = "attrprior::metrics::auroc";
    const detail::LabelCounts counts = detail::validate_scores_labels(where, scores, labels);
    detail::require_both_classes(where, counts);
    const std::vector<detail::TieGroup> groups = detail::tie_groups_descending(scores, labels);
    // Walking from the lowest score up: each positive beats every negative below its group
    // and ties with the negatives of its own group. Integer counts keep this exact.
    long double wins = 0;            // sum of [s_p > s_n] + [s_p = s_n] / 2
    std::size_t negatives_below = 0;
    for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
        wins += static_cast<long double>(g->positives) *
                (static_cast<long double>(negatives_below) +
                 0.5L * static_cast<long double>(g->negatives));
        negatives_below += g->negatives;
    }
    return static_cast<double>(wins / (static_cast<long double>(counts.positives) *
                                       static_cast<long double>(counts.negatives)));
}

/// Area under the precision-recall curve as average precision, the definition of
/// scikit-learn's average_precision_score (no interpolation):
///     AP = sum over distinct score thresholds t_n, taken in descending order, of
///          (R_n - R_{n-1}) * P_n,
/// with P_n = TP(t_n) / (TP(t_n) + FP(t_n)) and R_n = TP(t_n) / P the precision and recall
/// when every example scoring >= t_n is called positive, and R_0 = 0. Examples with equal
/// scores are one threshold (ties grouped, never broken by order). Labels -1 are ignored.
/// Throws invalid_argument when there are no positives or no negatives (naming which), on
/// mismatched sizes or bad labels, and numeric_error on a NaN score.
inline double auprc(const std::vector<double>& scores, const std::vector<int>& labels) {
    const char* where = "attrprior::metrics::auprc";
    const detail::LabelCounts counts = detail::validate_scores_labels(where, scores, labels);
    detail::require_both_classes(where, counts);
    const std::vector<detail::TieGroup> groups = detail::tie_groups_descending(scores, labels);
    // R_n - R_{n-1} = (positives in group n) / P, so AP = sum_n pos_n / P * TP_n / (TP_n + FP_n).
    double ap = 0;
    std::size_t tp = 0, fp = 0;
    for (const detail::TieGroup& g : groups) {
        tp += g.positives;
        fp += g.negatives;
        if (g.positives == 0) continue;  // recall unchanged: no contribution
        ap += static_cast<double>(g.positives) * static_cast<double>(tp) /
              static_cast<double>(tp + fp);
    }
    return ap / static_cast<double>(counts.positives);
}

}  // namespace attrprior::metrics
