#include "attrprior/metrics/profile.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace ap = attrprior;
namespace m = attrprior::metrics;

TEST(ProfileMetrics, PearsonAndSpearmanByHand) {
    EXPECT_NEAR(m::pearson({1, 2, 3}, {2, 4, 6}), 1.0, 1e-15);
    EXPECT_NEAR(m::pearson({1, 2, 3}, {3, 2, 1}), -1.0, 1e-15);
    // x = {1,2,3,4}, y = {1,3,2,4}: cov 1.0 (sum 4), var 1.25 each (sum 5) -> 0.8.
    EXPECT_NEAR(m::pearson({1, 2, 3, 4}, {1, 3, 2, 4}), 0.8, 1e-15);
    // Monotone but non-linear: Spearman 1.
    EXPECT_NEAR(m::spearman({1, 2, 3, 4}, {1, 8, 27, 64}), 1.0, 1e-15);
    // Ties get average ranks: {1,1,2} -> {1.5,1.5,3}.
    EXPECT_EQ(m::average_ranks({5, 5, 7}), (std::vector<double>{1.5, 1.5, 3}));
    EXPECT_TRUE(std::isnan(m::pearson({1, 1, 1}, {1, 2, 3})));
}

TEST(ProfileMetrics, JensenShannonByHand) {
    EXPECT_NEAR(m::jensen_shannon({1, 0}, {0, 1}), 1.0, 1e-15);  // disjoint: 1 bit
    EXPECT_NEAR(m::jensen_shannon({2, 2}, {5, 5}), 0.0, 1e-15);  // same after normalising
    // p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4); 0.5 log2(4/3) + 0.25 log2(2/3) + 0.25 log2(2).
    const double want = 0.5 * std::log2(4.0 / 3.0) + 0.25 * std::log2(2.0 / 3.0) + 0.25;
    EXPECT_NEAR(m::jensen_shannon({1, 0}, {1, 1}), want, 1e-15);
    EXPECT_TRUE(std::isnan(m::jensen_shannon({0, 0}, {1, 1})));
}

TEST(ProfileMetrics, PerfectPredictionAndSkippedEmptyProfiles) {
    // B = 2, O = 3, K = 1; the second example has no reads and is skipped for profiles.
    std::vector<double> obs{1, 2, 5, 0, 0, 0};
    std::vector<double> logits(6), lc{std::log1p(8.0), 0.3};
    for (int o = 0; o < 3; ++o) logits[o] = std::log(obs[o]);
    const auto r = m::profile_metrics<double>({obs.data(), 2, 3, 1}, {logits.data(), 2, 3, 1}, {lc.data(), 2, 1, 1});
    EXPECT_EQ(r.profiles_used, 1);
    EXPECT_NEAR(r.profile_jsd, 0.0, 1e-12);
    EXPECT_NEAR(r.profile_pearson, 1.0, 1e-12);
    EXPECT_NEAR(r.profile_spearman, 1.0, 1e-12);
    EXPECT_NEAR(r.counts_pearson, 1.0, 1e-12);  // two points: (log 9, log 9) and (0, 0.3)
}

TEST(ProfileMetrics, BadShapesAndCounts) {
    std::vector<double> a(6, 1.0), lc(2, 0.0), neg{1, -1, 0, 0, 0, 0};
    EXPECT_THROW(m::profile_metrics<double>({a.data(), 2, 3, 1}, {a.data(), 2, 3, 1}, {lc.data(), 1, 1, 2}),
                 ap::invalid_argument);
    EXPECT_THROW(m::profile_metrics<double>({neg.data(), 2, 3, 1}, {a.data(), 2, 3, 1}, {lc.data(), 2, 1, 1}),
                 ap::invalid_argument);
}
