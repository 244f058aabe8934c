// Tests of the binary classification metrics (docs/math.md §5.1): hand-computed accuracy, auROC
// and auPRC (with and without ties), O(n^2) brute-force references on random tied data,
// ignored labels, and every bad-input case.
#include "attrprior/metrics/classification.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"

namespace ap = attrprior;
using ap::metrics::accuracy;
using ap::metrics::auprc;
using ap::metrics::auroc;
using ::testing::HasSubstr;

namespace {

using attrprior::testing::expect_throw_with;

/// Probability that a positive outscores a negative, ties 1/2, by enumerating all pairs.
double brute_auroc(const std::vector<double>& s, const std::vector<int>& y) {
    double wins = 0, pairs = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (y[i] != 1) continue;
        for (std::size_t j = 0; j < s.size(); ++j) {
            if (y[j] != 0) continue;
            pairs += 1;
            wins += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
        }
    }
    return wins / pairs;
}

/// sum_n (R_n - R_{n-1}) P_n over distinct thresholds, each computed from scratch.
double brute_average_precision(const std::vector<double>& s, const std::vector<int>& y) {
    std::vector<double> thresholds;
    double positives = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (y[i] == -1) continue;
        thresholds.push_back(s[i]);
        if (y[i] == 1) positives += 1;
    }
    std::sort(thresholds.begin(), thresholds.end(), std::greater<double>());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    double ap = 0, previous_recall = 0;
    for (double t : thresholds) {
        double tp = 0, fp = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (y[i] == -1 || s[i] < t) continue;
            (y[i] == 1 ? tp : fp) += 1;
        }
        const double recall = tp / positives, precision = tp / (tp + fp);
        ap += (recall - previous_recall) * precision;
        previous_recall = recall;
    }
    return ap;
}

}  // namespace

TEST(Accuracy, HandComputedWithThresholdsAndIgnoredLabels) {
    const std::vector<double> s = {-1.0, 0.0, 0.5, 2.0, -3.0};
    const std::vector<int> y = {0, 1, 1, 0, -1};  // the last example is ignored
    // threshold 0: predictions (score > 0) = 0, 0, 1, 1 -> correct: #0, #2 -> 2/4.
    EXPECT_DOUBLE_EQ(accuracy(s, y), 0.5);
    // threshold -0.5: predictions 0, 1, 1, 1 -> correct: #0, #1, #2 -> 3/4.
    EXPECT_DOUBLE_EQ(accuracy(s, y, -0.5), 0.75);
    // threshold 0.7: predictions 0, 0, 0, 1 -> correct: #0 -> 1/4.
    EXPECT_DOUBLE_EQ(accuracy(s, y, 0.7), 0.25);
}

TEST(Accuracy, ScoreEqualToThresholdIsNegativeAndOneClassIsFine) {
    EXPECT_DOUBLE_EQ(accuracy({0.0, 0.0}, {0, 0}), 1.0);
    EXPECT_DOUBLE_EQ(accuracy({0.0, 1e-300}, {1, 1}), 0.5);
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_DOUBLE_EQ(accuracy({-inf, inf}, {0, 1}), 1.0);
}

TEST(Auroc, HandComputedWithoutTies) {
    // Ranks 1..4: 0.1, 0.35, 0.4, 0.8; positives at ranks 2 and 4: U = 6 - 3 = 3 -> 3/4.
    EXPECT_DOUBLE_EQ(auroc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
    EXPECT_DOUBLE_EQ(auroc({0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}), 1.0);
    EXPECT_DOUBLE_EQ(auroc({0.4, 0.3, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
}

TEST(Auroc, HandComputedWithTies) {
    // Positives 0.3, 0.7; negatives 0.3, 0.3, 0.1.
    // 0.3 vs (0.3, 0.3, 0.1) = 0.5 + 0.5 + 1 = 2; 0.7 beats all three = 3 -> 5 / 6.
    // Average ranks: 0.1 -> 1, the three 0.3 -> 3, 0.7 -> 5: U = 3 + 5 - 3 = 5, same.
    EXPECT_NEAR(auroc({0.3, 0.3, 0.3, 0.7, 0.1}, {1, 0, 0, 1, 0}), 5.0 / 6.0, 1e-15);
    // Positives 0.5, 0.2; negatives 0.5, 0.9: only the tie 0.5 / 0.5 counts, 1/2 of 4 pairs.
    EXPECT_DOUBLE_EQ(auroc({0.5, 0.5, 0.2, 0.9}, {1, 0, 1, 0}), 0.125);
    // Everything tied: 1/2.
    EXPECT_DOUBLE_EQ(auroc({1, 1, 1, 1, 1}, {1, 0, 0, 1, 0}), 0.5);
}

TEST(Auroc, IgnoresLabelMinusOne) {
    const double base = auroc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
    EXPECT_DOUBLE_EQ(auroc({0.1, 100.0, 0.4, -5.0, 0.35, 0.8}, {0, -1, 0, -1, 1, 1}), base);
}

TEST(Auroc, MatchesPairwiseReferenceOnRandomTiedData) {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> value(0, 6), label(-1, 1);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<double> s(40);
        std::vector<int> y(40);
        for (std::size_t i = 0; i < s.size(); ++i) {
            s[i] = 0.25 * value(rng);
            y[i] = label(rng);
        }
        y[0] = 1;
        y[1] = 0;
        EXPECT_NEAR(auroc(s, y), brute_auroc(s, y), 1e-14) << "trial " << trial;
    }
}

TEST(Auprc, HandComputed) {
    // Descending: 0.8 (+) P=1, R=1/2; 0.4 (-); 0.35 (+) P=2/3, R=1 -> 1/2 + 1/3 = 5/6
    // (scikit-learn's documented example of average_precision_score: 0.83).
    EXPECT_NEAR(auprc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 5.0 / 6.0, 1e-15);
    // 0.9 (+) 1 * 1/3; 0.8 (-); 0.7 (+) 2/3 * 1/3; 0.6 (+) 3/4 * 1/3; 0.5 (-) -> 29/36.
    EXPECT_NEAR(auprc({0.9, 0.8, 0.7, 0.6, 0.5}, {1, 0, 1, 1, 0}), 29.0 / 36.0, 1e-15);
    EXPECT_DOUBLE_EQ(auprc({0.9, 0.8, 0.1}, {1, 1, 0}), 1.0);
}

TEST(Auprc, HandComputedWithTies) {
    // Descending thresholds: 0.9 {-}: TP 0, FP 1; 0.5 {+, -}: TP 1, FP 2, P 1/3, dR 1/2;
    // 0.2 {+}: TP 2, FP 2, P 1/2, dR 1/2 -> 1/6 + 1/4 = 5/12. (Breaking the 0.5 tie with
    // the positive first would give 1/4 + 1/4 instead: ties must be grouped.)
    EXPECT_NEAR(auprc({0.5, 0.5, 0.2, 0.9}, {1, 0, 1, 0}), 5.0 / 12.0, 1e-15);
    EXPECT_NEAR(auprc({0.5, 0.5, 0.2, 0.9}, {0, 1, 1, 0}), 5.0 / 12.0, 1e-15);
    // All tied: one threshold, precision = prevalence 2/5.
    EXPECT_NEAR(auprc({3, 3, 3, 3, 3}, {1, 0, 0, 1, 0}), 0.4, 1e-15);
}

TEST(Auprc, IgnoresLabelMinusOne) {
    EXPECT_NEAR(auprc({0.1, 7.0, 0.4, 0.35, 0.8, -2.0}, {0, -1, 0, 1, 1, -1}), 5.0 / 6.0,
                1e-15);
}

TEST(Auprc, MatchesThresholdEnumerationOnRandomTiedData) {
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> value(0, 5), label(-1, 1);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<double> s(30);
        std::vector<int> y(30);
        for (std::size_t i = 0; i < s.size(); ++i) {
            s[i] = value(rng) - 2.5;
            y[i] = label(rng);
        }
        y[3] = 1;
        y[4] = 0;
        EXPECT_NEAR(auprc(s, y), brute_average_precision(s, y), 1e-14) << "trial " << trial;
    }
}

TEST(RankingMetrics, AcceptInfiniteScores) {
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_DOUBLE_EQ(auroc({-inf, inf, inf}, {0, 1, 0}), 0.75);
    EXPECT_DOUBLE_EQ(auprc({-inf, inf, 0.0}, {0, 1, 0}), 1.0);
}

TEST(ClassificationErrors, NoPositivesOrNoNegativesNamed) {
    for (auto metric : {&auroc, &auprc}) {
        expect_throw_with<ap::invalid_argument>([&] { metric({0.1, 0.2}, {0, 0}); },
                                                "no positive");
        expect_throw_with<ap::invalid_argument>([&] { metric({0.1, 0.2}, {1, 1}); },
                                                "no negative");
        // Ignored labels do not count as either class.
        expect_throw_with<ap::invalid_argument>([&] { metric({0.1, 0.2, 0.3}, {1, -1, -1}); },
                                                "no negative");
        expect_throw_with<ap::invalid_argument>([&] { metric({}, {}); }, "no positive");
    }
    expect_throw_with<ap::invalid_argument>([] { accuracy({0.1, 0.2}, {-1, -1}); },
                                            "no labelled example");
    expect_throw_with<ap::invalid_argument>([] { accuracy({}, {}); }, "no labelled example");
}

TEST(ClassificationErrors, SizesLabelsAndNaN) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    expect_throw_with<ap::invalid_argument>([] { auroc({0.1, 0.2, 0.3}, {0, 1}); },
                                            "scores.size() = 3 but labels.size() = 2");
    expect_throw_with<ap::invalid_argument>([] { auprc({0.1, 0.2}, {0, 2}); },
                                            "labels[1] = 2");
    expect_throw_with<ap::invalid_argument>([] { accuracy({0.1}, {1, 0}); }, "labels.size()");
    expect_throw_with<ap::numeric_error>([&] { auroc({0.1, 0.2, nan}, {0, 1, 1}); },
                                         "scores[2] = nan");
    expect_throw_with<ap::numeric_error>([&] { auprc({nan, 0.2, 0.1}, {-1, 1, 0}); },
                                         "scores[0] = nan");
    expect_throw_with<ap::numeric_error>([&] { accuracy({0.2, nan}, {1, 0}); },
                                         "scores[1] = nan");
    expect_throw_with<ap::invalid_argument>([&] { accuracy({0.2}, {1}, nan); }, "threshold");
}
