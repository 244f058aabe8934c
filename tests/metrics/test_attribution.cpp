// Tests of the attribution metrics (docs/math.md §5.2-5.3): Fourier score, entropy, motif
// AUPRC and motif share, cosine and continuous Jaccard similarity, stability across models —
// all against hand-computed values — and every bad-input case.
#include "attrprior/metrics/attribution.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"

namespace ap = attrprior;
using ap::ConstTensor3;
using ap::Index;
using ::testing::HasSubstr;
namespace metrics = ap::metrics;

namespace {

using attrprior::testing::expect_throw_with;

/// An owning N x L x C array with a view.
template <class Scalar = double>
struct Batch {
    Index N, L, C;
    std::vector<Scalar> v;
    Batch(Index n, Index l, Index c) : N(n), L(l), C(c), v(static_cast<std::size_t>(n * l * c), 0) {}
    Scalar& at(Index b, Index i, Index c) { return v[static_cast<std::size_t>((b * L + i) * C + c)]; }
    ConstTensor3<Scalar> view() const { return ConstTensor3<Scalar>(v.data(), N, L, C); }
    /// Puts the per-position track a_i of example b on channel (i % C) with alternating sign.
    void set_track(Index b, const std::vector<double>& a) {
        for (Index i = 0; i < L; ++i) {
            at(b, i, i % C) = static_cast<Scalar>((i % 2 ? -1 : 1) * a[static_cast<std::size_t>(i)]);
        }
    }
};

Batch<double> random_batch(Index n, Index l, Index c, unsigned seed) {
    Batch<double> x(n, l, c);
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal;
    for (double& e : x.v) e = normal(rng);
    return x;
}

}  // namespace

// ---------------------------------------------------------------- Fourier score

TEST(FourierScores, HandComputedDeltaAndConstantTracks) {
    // L = 8, no smoothing, hard cut-off after 2 bins. A delta track has |F_k| = 1 for all
    // 5 bins: M = 5, weighted bins j = 1, 2 -> S = 2/5. A constant track is pure DC: S = 0.
    Batch<double> x(2, 8, 4);
    x.at(0, 3, 2) = -1.5;  // a = 1.5 * delta: the scale cancels in S
    for (Index i = 0; i < 8; ++i) x.at(1, i, i % 4) = 0.25;
    ap::priors::FourierPriorOptions o;
    o.freq_limit = 2;
    o.hard_cutoff = true;
    o.smoothing_sigma = 0;
    const std::vector<double> s = metrics::fourier_scores(x.view(), o);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_NEAR(s[0], 0.4, 1e-12);
    EXPECT_NEAR(s[1], 0.0, 1e-12);
}

TEST(FourierScores, EqualFourierPriorScoresForDefaultsAndFloat) {
    const Batch<double> x = random_batch(3, 400, 4, 1);
    const std::vector<double> s = metrics::fourier_scores(x.view());
    ap::priors::FourierPrior<double> prior;
    Eigen::VectorXd ref(3);
    prior.scores(x.view(), ref);
    for (Index b = 0; b < 3; ++b) EXPECT_DOUBLE_EQ(s[static_cast<std::size_t>(b)], ref[b]);

    Batch<float> xf(3, 400, 4);
    for (std::size_t k = 0; k < x.v.size(); ++k) xf.v[k] = static_cast<float>(x.v[k]);
    const std::vector<double> sf = metrics::fourier_scores(xf.view());
    for (std::size_t b = 0; b < 3; ++b) EXPECT_NEAR(sf[b], s[b], 1e-5);
}

TEST(FourierScores, Errors) {
    Batch<double> x(1, 1, 4);
    expect_throw_with<ap::invalid_argument>([&] { metrics::fourier_scores(x.view()); },
                                            "length L >= 2");
    Batch<double> y(2, 16, 4);
    y.at(1, 5, 3) = std::numeric_limits<double>::quiet_NaN();
    expect_throw_with<ap::numeric_error>([&] { metrics::fourier_scores(y.view()); },
                                         "attr[1, 5, 3] = nan");
    Batch<double> z(1, 16, 4);
    ap::priors::FourierPriorOptions o;  // freq_limit 150 > L/2 = 8
    expect_throw_with<ap::invalid_argument>([&] { metrics::fourier_scores(z.view(), o); },
                                            "freq_limit");
}

// ---------------------------------------------------------------- entropy

TEST(AttributionEntropy, HandComputedNaturalLog) {
    Batch<double> x(5, 8, 4);
    for (Index i = 0; i < 8; ++i) x.at(0, i, (3 * i) % 4) = (i % 2 ? -0.5 : 0.5);  // uniform
    x.at(1, 6, 1) = -2.0;                                                          // one-hot
    // example 2: all zero
    x.at(3, 0, 0) = 1.0;  // a = {2, 2, 0, ...}: channels summed in |.|
    x.at(3, 0, 1) = -1.0;
    x.at(3, 1, 2) = 2.0;
    x.at(4, 2, 0) = 1.0;  // a = {.., 1, 3, ..}: p = 1/4, 3/4
    x.at(4, 5, 3) = -3.0;
    const std::vector<double> h = metrics::attribution_entropy(x.view());
    ASSERT_EQ(h.size(), 5u);
    EXPECT_NEAR(h[0], std::log(8.0), 1e-14);
    EXPECT_EQ(h[1], 0.0);
    EXPECT_EQ(h[2], 0.0);
    EXPECT_NEAR(h[3], std::log(2.0), 1e-14);
    EXPECT_NEAR(h[4], -(0.25 * std::log(0.25) + 0.75 * std::log(0.75)), 1e-14);
}

TEST(AttributionEntropy, Errors) {
    Batch<double> x(1, 4, 4);
    x.at(0, 2, 1) = std::numeric_limits<double>::infinity();
    expect_throw_with<ap::numeric_error>([&] { metrics::attribution_entropy(x.view()); },
                                         "attr[0, 2, 1] = inf");
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::attribution_entropy(ConstTensor3<double>(nullptr, 2, 4, 4)); },
        "null data pointer");
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::attribution_entropy(ConstTensor3<double>(x.v.data(), 1, 4, 0)); },
        "C >= 1");
}

// ---------------------------------------------------------------- motif metrics

namespace {

/// Example 0: a = {1, 3, 0, 4}, sites {0, 1, 1, 0}; example 1: a = {2, 2, 2, 2}, sites
/// {1, 0, 0, 0}; example 2: a = {5, 5, 5, 5}, no site; example 3: a = 0, site at 3.
struct MotifCase {
    Batch<double> x{4, 4, 4};
    std::vector<std::vector<char>> mask = {{0, 1, 1, 0}, {1, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 1}};
    MotifCase() {
        x.set_track(0, {1, 3, 0, 4});
        x.set_track(1, {2, 2, 2, 2});
        x.set_track(2, {5, 5, 5, 5});
        x.at(0, 1, 0) = 1.0;  // a_1 = 3 split over two channels: |1| + |-2|
        x.at(0, 1, 1) = -2.0;
    }
};

}  // namespace

TEST(MotifShare, HandComputed) {
    MotifCase m;
    // Example 0: (3 + 0) / 8 = 0.375; example 1: 2 / 8 = 0.25; example 2 has no site and
    // example 3 an all-zero track: both skipped. Mean = 0.3125.
    EXPECT_DOUBLE_EQ(metrics::motif_share(m.x.view(), m.mask, {0, 1, 2, 3}), 0.3125);
    EXPECT_DOUBLE_EQ(metrics::motif_share(m.x.view(), m.mask, {0}), 0.375);
    EXPECT_DOUBLE_EQ(metrics::motif_share(m.x.view(), m.mask, {3, 1}), 0.25);
}

TEST(MotifAuprc, HandComputed) {
    MotifCase m;
    // Pooled (example 2 skipped: no site; example 3 not listed):
    //   scores 1 3 0 4 | 2 2 2 2, labels 0 1 1 0 | 1 0 0 0  (P = 3).
    // Descending: 4 (-); 3 (+): P 1/2; the tied 2s {+,-,-,-}: TP 2, FP 4, P 1/3; 1 (-);
    // 0 (+): TP 3, FP 5, P 3/8. AP = (1/2 + 1/3 + 3/8) / 3 = 29/72.
    EXPECT_NEAR(metrics::motif_auprc(m.x.view(), m.mask, {0, 1, 2}), 29.0 / 72.0, 1e-15);
    EXPECT_NEAR(metrics::motif_auprc(m.x.view(), m.mask, {0, 1, 2}),
                metrics::auprc({1, 3, 0, 4, 2, 2, 2, 2}, {0, 1, 1, 0, 1, 0, 0, 0}), 1e-15);
    // Attribution only on the sites: perfect recovery.
    Batch<double> y(2, 5, 4);
    std::vector<std::vector<char>> mask = {{0, 1, 1, 0, 0}, {0, 0, 0, 0, 1}};
    y.at(0, 1, 2) = 0.5;
    y.at(0, 2, 0) = -4.0;
    y.at(1, 4, 3) = 1.0;
    EXPECT_DOUBLE_EQ(metrics::motif_auprc(y.view(), mask, {0, 1}), 1.0);
    EXPECT_DOUBLE_EQ(metrics::motif_share(y.view(), mask, {0, 1}), 1.0);
}

TEST(MotifMetrics, Errors) {
    MotifCase m;
    const auto x = m.x.view();
    for (auto metric : {&metrics::motif_auprc<double>, &metrics::motif_share<double>}) {
        expect_throw_with<ap::invalid_argument>(
            [&] { metric(x, {{0, 1, 0, 0}}, {0}); }, "site_mask.size() = 1");
        auto bad = m.mask;
        bad[2].pop_back();
        expect_throw_with<ap::invalid_argument>([&] { metric(x, bad, {0}); },
                                                "site_mask[2].size() = 3");
        expect_throw_with<ap::invalid_argument>([&] { metric(x, m.mask, {0, 4}); },
                                                "examples[1] = 4 is out of range");
        expect_throw_with<ap::invalid_argument>([&] { metric(x, m.mask, {-1}); },
                                                "examples[0] = -1");
        expect_throw_with<ap::invalid_argument>([&] { metric(x, m.mask, {1, 1}); },
                                                "listed twice");
        expect_throw_with<ap::invalid_argument>([&] { metric(x, m.mask, {}); },
                                                "examples.size() = 0");
        expect_throw_with<ap::invalid_argument>([&] { metric(x, m.mask, {2}); },
                                                "has a site");
    }
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::motif_share(x, m.mask, {3}); }, "all-zero attribution track");
    std::vector<std::vector<char>> all_sites(4, std::vector<char>(4, 1));
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::motif_auprc(x, all_sites, {0}); }, "positions outside sites");
    Batch<double> nan = m.x;
    nan.at(1, 0, 0) = std::numeric_limits<double>::quiet_NaN();
    expect_throw_with<ap::numeric_error>(
        [&] { metrics::motif_share(nan.view(), m.mask, {0}); }, "attr[1, 0, 0] = nan");
}

// ---------------------------------------------------------------- cosine

TEST(CosineSimilarity, HandComputedAndLimits) {
    const std::vector<double> p = {1, 2, 2}, q = {2, 0, 1};
    // <p, q> = 4, |p| = 3, |q| = sqrt(5).
    EXPECT_NEAR(metrics::cosine_similarity(p.data(), q.data(), 3), 4.0 / (3.0 * std::sqrt(5.0)),
                1e-15);
    EXPECT_DOUBLE_EQ(metrics::cosine_similarity(p.data(), p.data(), 3), 1.0);
    const std::vector<double> neg = {-1, -2, -2}, scaled = {3, 6, 6}, orth = {2, -1, 0};
    EXPECT_DOUBLE_EQ(metrics::cosine_similarity(p.data(), neg.data(), 3), -1.0);
    EXPECT_NEAR(metrics::cosine_similarity(p.data(), scaled.data(), 3), 1.0, 1e-15);
    EXPECT_DOUBLE_EQ(metrics::cosine_similarity(p.data(), orth.data(), 3), 0.0);
    const std::vector<double> zero = {0, 0, 0};
    EXPECT_EQ(metrics::cosine_similarity(p.data(), zero.data(), 3), 0.0);
    EXPECT_EQ(metrics::cosine_similarity(zero.data(), zero.data(), 3), 0.0);
    EXPECT_EQ(metrics::cosine_similarity<double>(nullptr, nullptr, 0), 0.0);
    // Squares of 1e200 overflow double; the scaling keeps the result exact.
    const std::vector<double> huge = {1e200, -2e200, 2e200};
    EXPECT_NEAR(metrics::cosine_similarity(huge.data(), p.data(), 3), 1.0 / 9.0, 1e-15);
    const std::vector<float> pf = {1, 2, 2}, qf = {2, 0, 1};
    EXPECT_NEAR(metrics::cosine_similarity(pf.data(), qf.data(), 3), 4.0 / (3.0 * std::sqrt(5.0)),
                1e-7);
}

TEST(CosineSimilarity, Errors) {
    const std::vector<double> p = {1, 2, 2}, q = {2, std::numeric_limits<double>::quiet_NaN(), 1};
    expect_throw_with<ap::numeric_error>(
        [&] { metrics::cosine_similarity(p.data(), q.data(), 3); }, "q[1] = nan");
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::cosine_similarity(p.data(), p.data(), -1); }, "n = -1");
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::cosine_similarity<double>(p.data(), nullptr, 3); }, "q = nullptr");
}

// ---------------------------------------------------------------- continuous Jaccard

TEST(ContinuousJaccard, HandComputed) {
    // L = 4, C = 4, rows are positions.
    const std::vector<double> p = {1, -1, 0, 2,   // L1 4 -> .25 -.25 0 .5
                                   0, 0, 0, 0,    // zero
                                   0, 0, 0, 0,    // zero
                                   1, 1, 0, 0};   // -> .5 .5 0 0
    const std::vector<double> q = {2, 0, 0, -2,   // -> .5 0 0 -.5
                                   0, 3, 0, 0,    // -> 0 1 0 0
                                   0, 0, 0, 0,    // zero: union 0, counts 0
                                   0, 2, 2, 0};   // -> 0 .5 .5 0
    // Position 0: intersection .25 (c0) - .5 (c3, opposite signs) = -.25, union
    //   .5 + .25 + 0 + .5 = 1.25 -> -0.2.
    // Position 1: intersection 0, union 1 -> 0. Position 2: zero union -> 0.
    // Position 3: intersection .5 (c1), union .5 + .5 + .5 = 1.5 -> 1/3.
    // Sum over positions: -0.2 + 1/3 = 2/15.
    EXPECT_NEAR(metrics::continuous_jaccard(p.data(), q.data(), 4), 2.0 / 15.0, 1e-15);
    EXPECT_NEAR(metrics::continuous_jaccard(q.data(), p.data(), 4, 4), 2.0 / 15.0, 1e-15);
    // Identical: 1 per non-zero position (3 here), negated: -1 per non-zero position.
    EXPECT_NEAR(metrics::continuous_jaccard(q.data(), q.data(), 4), 3.0, 1e-15);
    std::vector<double> minus_q(q);
    for (double& v : minus_q) v = -v;
    EXPECT_NEAR(metrics::continuous_jaccard(q.data(), minus_q.data(), 4), -3.0, 1e-15);
    // Per-position L1 normalisation: rescaling each position changes nothing.
    std::vector<double> rescaled(q);
    for (int c = 0; c < 4; ++c) {
        rescaled[c] *= 10.0;
        rescaled[4 + c] *= 0.01;
    }
    EXPECT_NEAR(metrics::continuous_jaccard(p.data(), rescaled.data(), 4), 2.0 / 15.0, 1e-15);
}

TEST(ContinuousJaccard, OtherChannelCountsAndEdgeCases) {
    // C = 2: position 0: p' = (.5, .5), q' = (1, 0): intersection .5, union 1.5 -> 1/3;
    // position 1 zero in both -> 0.
    const std::vector<double> p = {1, 1, 0, 0}, q = {1, 0, 0, 0};
    EXPECT_NEAR(metrics::continuous_jaccard(p.data(), q.data(), 2, 2), 1.0 / 3.0, 1e-15);
    EXPECT_EQ(metrics::continuous_jaccard<double>(nullptr, nullptr, 0), 0.0);
    const std::vector<double> huge = {1e308, 1e308, 1e308, 1e308}, ones = {1, 1, 1, 1};
    EXPECT_NEAR(metrics::continuous_jaccard(huge.data(), ones.data(), 1), 1.0, 1e-15);
}

TEST(ContinuousJaccard, Errors) {
    const std::vector<double> p(8, 1.0);
    std::vector<double> q(8, 1.0);
    q[6] = -std::numeric_limits<double>::infinity();
    expect_throw_with<ap::numeric_error>(
        [&] { metrics::continuous_jaccard(p.data(), q.data(), 2); }, "q[6] = -inf");
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::continuous_jaccard(p.data(), p.data(), 2, 0); }, "C = 0");
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::continuous_jaccard(p.data(), p.data(), -2); }, "L = -2");
}

// ---------------------------------------------------------------- stability

TEST(Stability, ThreeModelsHandComputed) {
    // Model 1 = 2 x model 0, model 2 = -model 0. Pairs: (0,1) cosine 1, Jaccard +k;
    // (0,2) and (1,2) cosine -1, Jaccard -k, with k the number of non-zero positions.
    // Per example: cosine -1/3, Jaccard -k/3. Example 0 has k = 3, example 1 k = 1.
    Batch<double> m0 = random_batch(2, 3, 4, 3);
    for (Index c = 0; c < 4; ++c) {
        m0.at(1, 0, c) = 0;
        m0.at(1, 2, c) = 0;
    }
    Batch<double> m1 = m0, m2 = m0;
    for (double& v : m1.v) v *= 2;
    for (double& v : m2.v) v = -v;
    const metrics::StabilityReport r = metrics::stability<double>({m0.view(), m1.view(), m2.view()});
    ASSERT_EQ(r.cosine.size(), 2u);
    ASSERT_EQ(r.jaccard.size(), 2u);
    EXPECT_NEAR(r.cosine[0], -1.0 / 3.0, 1e-14);
    EXPECT_NEAR(r.cosine[1], -1.0 / 3.0, 1e-14);
    EXPECT_NEAR(r.jaccard[0], -1.0, 1e-14);
    EXPECT_NEAR(r.jaccard[1], -1.0 / 3.0, 1e-14);
    EXPECT_NEAR(r.cosine_median, -1.0 / 3.0, 1e-14);
    EXPECT_NEAR(r.jaccard_median, -2.0 / 3.0, 1e-14);  // even count: mean of the middle two
}

TEST(Stability, EqualsMeanOfPairwiseSimilaritiesOnRandomModels) {
    const Index N = 5, L = 30, C = 4;
    std::vector<Batch<double>> models;
    for (unsigned s = 0; s < 4; ++s) models.push_back(random_batch(N, L, C, 100 + s));
    std::vector<ConstTensor3<double>> views;
    for (const auto& m : models) views.push_back(m.view());
    const metrics::StabilityReport r = metrics::stability(views);
    std::vector<double> cos(N), jac(N);
    for (Index b = 0; b < N; ++b) {
        double cs = 0, js = 0;
        for (std::size_t i = 0; i < 4; ++i) {
            for (std::size_t j = i + 1; j < 4; ++j) {
                cs += metrics::cosine_similarity(views[i].slice(b), views[j].slice(b), L * C);
                js += metrics::continuous_jaccard(views[i].slice(b), views[j].slice(b), L, C);
            }
        }
        cos[b] = cs / 6;
        jac[b] = js / 6;
        EXPECT_NEAR(r.cosine[b], cos[b], 1e-14);
        EXPECT_NEAR(r.jaccard[b], jac[b], 1e-13);
    }
    std::sort(cos.begin(), cos.end());
    std::sort(jac.begin(), jac.end());
    EXPECT_DOUBLE_EQ(r.cosine_median, cos[2]);  // odd count: the middle value
    EXPECT_DOUBLE_EQ(r.jaccard_median, jac[2]);

    // float attributions work too.
    std::vector<Batch<float>> mf;
    for (const auto& m : models) {
        Batch<float> f(N, L, C);
        for (std::size_t k = 0; k < m.v.size(); ++k) f.v[k] = static_cast<float>(m.v[k]);
        mf.push_back(f);
    }
    std::vector<ConstTensor3<float>> vf;
    for (const auto& m : mf) vf.push_back(m.view());
    const metrics::StabilityReport rf = metrics::stability(vf);
    EXPECT_NEAR(rf.cosine_median, r.cosine_median, 1e-6);
    EXPECT_NEAR(rf.jaccard_median, r.jaccard_median, 1e-5);
}

TEST(Stability, Errors) {
    const Batch<double> a = random_batch(2, 6, 4, 1), b = random_batch(2, 6, 4, 2);
    const Batch<double> other = random_batch(2, 7, 4, 3);
    expect_throw_with<ap::invalid_argument>([&] { metrics::stability<double>({a.view()}); },
                                            "models_attributions.size() = 1");
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::stability<double>({a.view(), b.view(), other.view()}); },
        "models_attributions[2] has shape [2, 7, 4]");
    Batch<double> nan = b;
    nan.at(1, 2, 3) = std::numeric_limits<double>::quiet_NaN();
    expect_throw_with<ap::numeric_error>(
        [&] { metrics::stability<double>({a.view(), nan.view()}); },
        "models_attributions[1][1, 2, 3] = nan");
    const Batch<double> empty(0, 6, 4);
    expect_throw_with<ap::invalid_argument>(
        [&] { metrics::stability<double>({empty.view(), empty.view()}); }, "N = 0");
}

TEST(MeanSpectrum, MatchesTheHandComputedSpectrum) {
    // Row 0: track 1 + 0.5 cos(2 pi 3 i / L): |F_0| = L, |F_3| = L / 4, so the normalised
    // spectrum is 0.8 at bin 0 and 0.2 at bin 3. Row 1: a constant track, all at bin 0.
    const Index L = 64, C = 4;
    std::vector<double> a(static_cast<std::size_t>(2 * L * C), 0.0);
    for (Index i = 0; i < L; ++i) {
        a[static_cast<std::size_t>(i * C + 1)] = 1 + 0.5 * std::cos(2 * M_PI * 3 * double(i) / double(L));
        a[static_cast<std::size_t>((L + i) * C + 2)] = -2.0;  // |.| enters the track
    }
    ap::priors::FourierPriorOptions o;
    o.smoothing_sigma = 0;
    o.freq_limit = 10;
    const ConstTensor3<double> attr(a.data(), 2, L, C);
    const auto one = metrics::mean_spectrum(attr, {0}, o);
    ASSERT_EQ(one.size(), static_cast<std::size_t>(L / 2 + 1));
    EXPECT_NEAR(one[0], 0.8, 1e-12);
    EXPECT_NEAR(one[3], 0.2, 1e-12);
    EXPECT_NEAR(one[5], 0.0, 1e-12);
    const auto both = metrics::mean_spectrum(attr, {0, 1}, o);
    EXPECT_NEAR(both[0], 0.9, 1e-12);
    EXPECT_NEAR(both[3], 0.1, 1e-12);
    EXPECT_TRUE(metrics::mean_spectrum(attr, {}, o).empty());
    EXPECT_THROW(metrics::mean_spectrum(attr, {2}, o), ap::invalid_argument);
}

TEST(AttributionSummary, MeansOverTheListedExamplesAndMotifMetricsWhereSitesAre) {
    const Index L = 40, C = 4;
    std::vector<float> a(static_cast<std::size_t>(3 * L * C), 0.01f);
    for (Index b = 0; b < 3; ++b) a[static_cast<std::size_t>((b * L + 10) * C)] = 1.0f;  // a spike at 10
    const ConstTensor3<float> attr(a.data(), 3, L, C);
    ap::priors::FourierPriorOptions o;
    o.freq_limit = 5;
    std::vector<std::vector<char>> masks(3, std::vector<char>(static_cast<std::size_t>(L), 0));
    masks[1][10] = 1;  // only example 1 has a site, on the spike
    const auto with = metrics::attribution_summary(attr, {0, 1}, o, &masks);
    const auto scores = metrics::fourier_scores(attr, o);
    EXPECT_NEAR(with.at("fourier_score"), (scores[0] + scores[1]) / 2, 1e-12);
    EXPECT_NEAR(with.at("entropy"), metrics::attribution_entropy(attr)[0], 1e-12);
    EXPECT_NEAR(with.at("motif_share"), metrics::motif_share(attr, masks, {1}), 1e-12);
    EXPECT_EQ(with.count("motif_auprc"), 1u);
    const auto without = metrics::attribution_summary(attr, {0, 2}, o, &masks);  // no listed site
    EXPECT_EQ(without.count("motif_share"), 0u);
    EXPECT_TRUE(std::isnan(metrics::attribution_summary(attr, {}, o).at("fourier_score")));
}
