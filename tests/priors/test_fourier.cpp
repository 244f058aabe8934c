// Tests of the Fourier prior (docs/math.md §3): forward values against a naive long-double
// DFT and hand-computed cases, the gradient against central finite differences, the
// PyTorch fixtures, thread and precision agreement, and every bad-input case.
#include "attrprior/priors/fourier.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "attrprior/io/npy.hpp"
#include "../support/expect_error.hpp"

using attrprior::testing::error_message;

namespace ap = attrprior;
using ap::Index;
using ap::priors::FourierPrior;
using ap::priors::FourierPriorOptions;

namespace {

constexpr double kPi = 3.14159265358979323846;

/// Independent reference of docs/math.md §3.1 for one row: naive DFT in long double.
long double reference_row_score(const std::vector<double>& attr, Index L, Index C,
                                const FourierPriorOptions& o) {
    std::vector<long double> a(static_cast<std::size_t>(L), 0.0L), s(a);
    for (Index i = 0; i < L; ++i)
        for (Index c = 0; c < C; ++c) a[i] += std::fabs(static_cast<long double>(attr[i * C + c]));
    const int sg = o.smoothing_sigma;
    if (sg > 0) {
        std::vector<long double> k(2 * sg + 1);
        long double tot = 0;
        for (int t = -sg; t <= sg; ++t) tot += k[t + sg] = std::exp(-0.5L * t * t / (long double)(sg * sg));
        for (Index i = 0; i < L; ++i) {
            long double v = 0;
            for (int t = -sg; t <= sg; ++t)
                if (i + t >= 0 && i + t < L) v += k[t + sg] / tot * a[i + t];
            s[i] = v;
        }
    } else {
        s = a;
    }
    const Index bins = L / 2 + 1;
    long double M = 0, W = 0;
    for (Index k = 0; k < bins; ++k) {
        long double re = 0, im = 0;
        for (Index n = 0; n < L; ++n) {
            const long double th = -2.0L * kPi * (long double)k * (long double)n / (long double)L;
            re += s[n] * std::cos(th);
            im += s[n] * std::sin(th);
        }
        const long double m = std::sqrt(re * re + im * im);
        M += m;
        if (k >= 1) {
            const Index jp = k - 1;
            long double w = 1;
            if (jp >= o.freq_limit)
                w = o.hard_cutoff ? 0.0L
                                  : 1.0L / (1.0L + std::pow((long double)(jp - o.freq_limit + 1),
                                                            (long double)o.softness));
            W += w * m;
        }
    }
    if (M == 0) M = 1;
    return W / M;
}

std::vector<double> random_attr(Index B, Index L, Index C, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> nd;
    std::vector<double> v(static_cast<std::size_t>(B * L * C));
    for (double& x : v) x = nd(gen);
    return v;
}

template <class Scalar>
Scalar run(FourierPrior<Scalar>& prior, const std::vector<Scalar>& attr, Index B, Index L, Index C,
           const Eigen::VectorXi& status, std::vector<Scalar>& grad) {
    grad.assign(attr.size(), Scalar(-7));  // poison: every element must be written
    return prior.value_and_gradient(ap::ConstTensor3<Scalar>(attr.data(), B, L, C), status,
                                    ap::Tensor3<Scalar>(grad.data(), B, L, C));
}

}  // namespace

TEST(FourierPrior, WeightsFollowSpec) {
    FourierPriorOptions o;
    o.freq_limit = 3;
    o.softness = 0.5;
    const auto w = ap::priors::fourier_weights<double>(12, o);  // bins 0..6
    ASSERT_EQ(w.size(), 7u);
    EXPECT_EQ(w[0], 0.0);
    EXPECT_EQ(w[1], 1.0);
    EXPECT_EQ(w[3], 1.0);                               // j' = 2 < 3
    EXPECT_NEAR(w[4], 1.0 / (1.0 + 1.0), 1e-15);        // j' = 3, x = 1
    EXPECT_NEAR(w[6], 1.0 / (1.0 + std::sqrt(3.0)), 1e-15);  // x = 3
    o.hard_cutoff = true;
    const auto h = ap::priors::fourier_weights<double>(12, o);
    EXPECT_EQ(h[3], 1.0);
    EXPECT_EQ(h[4], 0.0);
    EXPECT_EQ(h[6], 0.0);
}

TEST(FourierPrior, GaussianKernelIsNormalisedAndSymmetric) {
    const auto k = ap::priors::gaussian_kernel<double>(3);
    ASSERT_EQ(k.size(), 7u);
    double total = 0;
    for (double v : k) total += v;
    EXPECT_NEAR(total, 1.0, 1e-15);
    EXPECT_DOUBLE_EQ(k[0], k[6]);
    EXPECT_NEAR(k[2] / k[3], std::exp(-1.0 / 18.0), 1e-15);
    EXPECT_EQ(ap::priors::gaussian_kernel<double>(0), std::vector<double>{1.0});
}

TEST(FourierPrior, ConstantTrackHasScoreZeroAndPriorOne) {
    // A constant track has all its magnitude in the DC bin: S = 0, P = 1 (no smoothing,
    // which would taper the ends).
    const Index B = 2, L = 64, C = 4;
    std::vector<double> attr(B * L * C, 0.25);
    FourierPriorOptions o;
    o.freq_limit = 10;
    o.smoothing_sigma = 0;
    FourierPrior<double> prior(o);
    std::vector<double> grad;
    const double p = run(prior, attr, B, L, C, Eigen::VectorXi::Ones(B), grad);
    EXPECT_NEAR(p, 1.0, 1e-14);
}

TEST(FourierPrior, PureSinusoidHandComputed) {
    // a[n] = 2 + cos(2 pi 5 n / L) in one channel: |F_0| = 2L, |F_5| = L/2, others 0.
    // S = w_5 * (L/2) / (2L + L/2) = w_5 / 5. With freq_limit 2, j' = 4, x = 3.
    const Index L = 40, C = 4;
    std::vector<double> attr(L * C, 0.0);
    for (Index n = 0; n < L; ++n) attr[n * C + 2] = 2.0 + std::cos(2 * kPi * 5 * n / double(L));
    FourierPriorOptions o;
    o.freq_limit = 2;
    o.softness = 0.2;
    o.smoothing_sigma = 0;
    FourierPrior<double> prior(o);
    Eigen::VectorXd s(1);
    prior.scores(ap::ConstTensor3<double>(attr.data(), 1, L, C), s);
    const double w5 = 1.0 / (1.0 + std::pow(3.0, 0.2));
    EXPECT_NEAR(s[0], w5 / 5.0, 1e-13);
    std::vector<double> grad;
    const double p = run(prior, attr, 1, L, C, Eigen::VectorXi::Ones(1), grad);
    EXPECT_NEAR(p, 1.0 - w5 / 5.0, 1e-13);
}

struct RefCase {
    Index L;
    int sigma;
    bool hard;
};

class FourierReference : public ::testing::TestWithParam<RefCase> {};

TEST_P(FourierReference, ValueMatchesNaiveDft) {
    const RefCase rc = GetParam();
    const Index B = 3, C = 4;
    auto attr = random_attr(B, rc.L, C, 11);
    FourierPriorOptions o;
    o.freq_limit = static_cast<int>(rc.L / 5);
    o.smoothing_sigma = rc.sigma;
    o.hard_cutoff = rc.hard;
    FourierPrior<double> prior(o);
    Eigen::VectorXi status(B);
    status << 1, 0, 1;
    std::vector<double> grad;
    const double p = run(prior, attr, B, rc.L, C, status, grad);
    long double ref = 0;
    for (Index b : {0, 2}) {
        std::vector<double> row(attr.begin() + b * rc.L * C, attr.begin() + (b + 1) * rc.L * C);
        ref += 1.0L - reference_row_score(row, rc.L, C, o);
    }
    EXPECT_NEAR(p, static_cast<double>(ref / 2), 1e-13);
    // The masked row has an exactly zero gradient.
    for (Index i = rc.L * C; i < 2 * rc.L * C; ++i) ASSERT_EQ(grad[i], 0.0);
}

TEST_P(FourierReference, GradientMatchesCentralDifferences) {
    const RefCase rc = GetParam();
    const Index B = 3, C = 4;
    auto attr = random_attr(B, rc.L, C, 5);
    // Make one kept row all zero (|F| = 0 everywhere: zero subgradient, M = 1 rule).
    std::fill(attr.begin() + 2 * rc.L * C, attr.end(), 0.0);
    FourierPriorOptions o;
    o.freq_limit = static_cast<int>(rc.L / 4);
    o.smoothing_sigma = rc.sigma;
    o.hard_cutoff = rc.hard;
    FourierPrior<double> prior(o);
    Eigen::VectorXi status(B);
    status << 1, 0, 1;
    std::vector<double> grad, tmp;
    run(prior, attr, B, rc.L, C, status, grad);
    const double h = 1e-6;
    double max_err = 0, max_g = 0;
    for (Index idx = 0; idx < 2 * rc.L * C; idx += 3) {  // rows 0 and 1 (1 is masked)
        auto plus = attr, minus = attr;
        plus[idx] += h;
        minus[idx] -= h;
        const double fd = (run(prior, plus, B, rc.L, C, status, tmp) -
                           run(prior, minus, B, rc.L, C, status, tmp)) / (2 * h);
        max_err = std::max(max_err, std::fabs(fd - grad[idx]));
        max_g = std::max(max_g, std::fabs(grad[idx]));
    }
    ASSERT_GT(max_g, 0.0);
    EXPECT_LT(max_err / max_g, 1e-6) << "max abs error " << max_err << ", max |grad| " << max_g;
    // The all-zero kept row: prior contribution 1, gradient exactly zero.
    for (Index i = 2 * rc.L * C; i < 3 * rc.L * C; ++i) ASSERT_EQ(grad[i], 0.0);
}

INSTANTIATE_TEST_SUITE_P(EvenOddSigmaCutoff, FourierReference,
                         ::testing::Values(RefCase{64, 0, false}, RefCase{65, 0, true},
                                           RefCase{64, 2, true}, RefCase{63, 2, false},
                                           RefCase{100, 3, false}, RefCase{101, 3, true}));

TEST(FourierPrior, NoKeptRowGivesZeroAndZeroGradient) {
    const Index B = 2, L = 32, C = 4;
    auto attr = random_attr(B, L, C, 3);
    FourierPriorOptions o;
    o.freq_limit = 8;
    FourierPrior<double> prior(o);
    std::vector<double> grad;
    EXPECT_EQ(run(prior, attr, B, L, C, Eigen::VectorXi::Zero(B), grad), 0.0);
    for (double g : grad) ASSERT_EQ(g, 0.0);
}

class FourierTorchFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(FourierTorchFixture, MatchesPyTorch) {
    const std::string dir = std::string(ATTRPRIOR_TEST_DATA_DIR) + "/" + GetParam() + "/";
    const auto attr = ap::io::read_npy<double>(dir + "prior_attr.npy");
    const auto status_in = ap::io::read_npy<int>(dir + "prior_status.npy");
    const auto value = ap::io::read_npy<double>(dir + "prior_value.npy");
    const auto grad_ref = ap::io::read_npy<double>(dir + "prior_grad.npy");
    ASSERT_EQ(attr.shape.size(), 3u);
    const Index B = attr.shape[0], L = attr.shape[1], C = attr.shape[2];
    // Settings recorded by torch_binary.py dump (see the fixture's manifest.json).
    FourierPriorOptions o;
    if (GetParam() == "prior_even_soft") {
        o.freq_limit = 100; o.softness = 0.2; o.smoothing_sigma = 3;
    } else if (GetParam() == "prior_odd_hard") {
        o.freq_limit = 40; o.hard_cutoff = true; o.smoothing_sigma = 2;
    } else {
        o.freq_limit = 60; o.softness = 0.5; o.smoothing_sigma = 0;
    }
    Eigen::VectorXi status(B);
    for (Index b = 0; b < B; ++b) status[b] = status_in.data[b];
    FourierPrior<double> prior(o);
    std::vector<double> grad;
    const double p = run(prior, attr.data, B, L, C, status, grad);
    EXPECT_NEAR(p, value.data[0], 1e-10 * std::fabs(value.data[0]));
    double max_err = 0, max_g = 0;
    for (std::size_t i = 0; i < grad.size(); ++i) {
        max_err = std::max(max_err, std::fabs(grad[i] - grad_ref.data[i]));
        max_g = std::max(max_g, std::fabs(grad_ref.data[i]));
    }
    EXPECT_LT(max_err, 1e-10 * max_g);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FourierTorchFixture,
                         ::testing::Values("prior_even_soft", "prior_odd_hard",
                                           "prior_even_nosmooth"));

TEST(FourierPrior, FloatAgreesWithDouble) {
    const Index B = 8, L = 1000, C = 4;
    auto attr = random_attr(B, L, C, 9);
    std::vector<float> attr_f(attr.begin(), attr.end());
    Eigen::VectorXi status = Eigen::VectorXi::Ones(B);
    status[3] = 0;
    FourierPrior<double> pd;
    FourierPrior<float> pf;
    std::vector<double> gd;
    std::vector<float> gf;
    const double vd = run(pd, attr, B, L, C, status, gd);
    const float vf = run(pf, attr_f, B, L, C, status, gf);
    EXPECT_NEAR(vf, vd, 1e-5);
    double max_g = 0, max_err = 0;
    for (std::size_t i = 0; i < gd.size(); ++i) {
        max_g = std::max(max_g, std::fabs(gd[i]));
        max_err = std::max(max_err, std::fabs(gd[i] - double(gf[i])));
    }
    EXPECT_LT(max_err, 1e-4 * max_g);
}

TEST(FourierPrior, ThreadCountDoesNotChangeResult) {
    const Index B = 17, L = 500, C = 4;
    auto attr = random_attr(B, L, C, 21);
    std::vector<float> a(attr.begin(), attr.end());
    Eigen::VectorXi status = Eigen::VectorXi::Ones(B);
    status[4] = status[11] = 0;
    const int saved = omp_get_max_threads();
    FourierPrior<float> prior;
    std::vector<float> g1, g2;
    omp_set_num_threads(1);
    const float v1 = run(prior, a, B, L, C, status, g1);
    omp_set_num_threads(2);
    const float v2 = run(prior, a, B, L, C, status, g2);
    omp_set_num_threads(saved);
    // Rows are independent and the mean is summed serially: bitwise identical.
    EXPECT_EQ(v1, v2);
    EXPECT_EQ(g1, g2);
}

TEST(FourierPrior, RepeatedCallsReuseWorkspaceAndAgree) {
    const Index B = 4, L = 400, C = 4;
    auto attr = random_attr(B, L, C, 2);
    FourierPrior<double> prior;  // default freq_limit 150 <= 333 / 2
    std::vector<double> g1, g2;
    const double v1 = run(prior, attr, B, L, C, Eigen::VectorXi::Ones(B), g1);
    const double v2 = run(prior, attr, B, L, C, Eigen::VectorXi::Ones(B), g2);
    EXPECT_EQ(v1, v2);
    EXPECT_EQ(g1, g2);
    // A different length in between re-plans, then the original length still agrees.
    auto other = random_attr(2, 333, C, 4);
    std::vector<double> g3;
    run(prior, other, 2, 333, C, Eigen::VectorXi::Ones(2), g3);
    EXPECT_EQ(run(prior, attr, B, L, C, Eigen::VectorXi::Ones(B), g2), v1);
    EXPECT_EQ(g1, g2);
}

// ---- bad input ---------------------------------------------------------------------

TEST(FourierPriorErrors, ShapeMismatch) {
    std::vector<double> a(2 * 50 * 4, 1.0), g(2 * 49 * 4);
    FourierPriorOptions o;
    o.freq_limit = 10;
    FourierPrior<double> prior(o);
    const auto msg = error_message([&] {
        prior.value_and_gradient(ap::ConstTensor3<double>(a.data(), 2, 50, 4),
                                 Eigen::VectorXi::Ones(2), ap::Tensor3<double>(g.data(), 2, 49, 4));
    });
    EXPECT_THAT(msg, ::testing::HasSubstr("gradient has shape [2, 49, 4]"));
    const auto msg2 = error_message([&] {
        std::vector<double> g2(a.size());
        prior.value_and_gradient(ap::ConstTensor3<double>(a.data(), 2, 50, 4),
                                 Eigen::VectorXi::Ones(3), ap::Tensor3<double>(g2.data(), 2, 50, 4));
    });
    EXPECT_THAT(msg2, ::testing::HasSubstr("status.size() = 3"));
}

TEST(FourierPriorErrors, LengthBelowTwo) {
    std::vector<double> a(4, 1.0), g(4);
    FourierPriorOptions o;
    o.freq_limit = 0;
    FourierPrior<double> prior(o);
    EXPECT_THAT(error_message([&] {
                    prior.value_and_gradient(ap::ConstTensor3<double>(a.data(), 1, 1, 4),
                                             Eigen::VectorXi::Ones(1),
                                             ap::Tensor3<double>(g.data(), 1, 1, 4));
                }),
                ::testing::HasSubstr("attribution length L = 1"));
}

TEST(FourierPriorErrors, NonFiniteAttribution) {
    for (double bad : {std::nan(""), double(INFINITY), -double(INFINITY)}) {
        std::vector<double> a(2 * 20 * 4, 1.0), g(a.size());
        a[(1 * 20 + 7) * 4 + 2] = bad;
        FourierPriorOptions o;
        o.freq_limit = 5;
        FourierPrior<double> prior(o);
        EXPECT_THROW(prior.value_and_gradient(ap::ConstTensor3<double>(a.data(), 2, 20, 4),
                                              Eigen::VectorXi::Ones(2),
                                              ap::Tensor3<double>(g.data(), 2, 20, 4)),
                     ap::numeric_error);
        EXPECT_THAT(error_message([&] {
                        prior.value_and_gradient(ap::ConstTensor3<double>(a.data(), 2, 20, 4),
                                                 Eigen::VectorXi::Ones(2),
                                                 ap::Tensor3<double>(g.data(), 2, 20, 4));
                    }),
                    ::testing::HasSubstr("attribution[1, 7, 2]"));
    }
}

TEST(FourierPriorErrors, FreqLimitBeyondHalfLength) {
    std::vector<double> a(1 * 100 * 4, 1.0), g(a.size());
    FourierPrior<double> prior;  // default freq_limit 150 > 100 / 2
    EXPECT_THAT(error_message([&] {
                    prior.value_and_gradient(ap::ConstTensor3<double>(a.data(), 1, 100, 4),
                                             Eigen::VectorXi::Ones(1),
                                             ap::Tensor3<double>(g.data(), 1, 100, 4));
                }),
                ::testing::AllOf(::testing::HasSubstr("freq_limit = 150"),
                                 ::testing::HasSubstr("L/2 = 50")));
}

TEST(FourierPriorErrors, NegativeOptions) {
    FourierPriorOptions o;
    o.smoothing_sigma = -1;
    EXPECT_THAT(error_message([&] { FourierPrior<double> p(o); }),
                ::testing::HasSubstr("smoothing_sigma = -1"));
    o = FourierPriorOptions();
    o.softness = -0.5;
    EXPECT_THAT(error_message([&] { FourierPrior<double> p(o); }),
                ::testing::HasSubstr("softness = -0.5"));
    o = FourierPriorOptions();
    o.freq_limit = -3;
    EXPECT_THAT(error_message([&] { FourierPrior<double> p(o); }),
                ::testing::HasSubstr("freq_limit = -3"));
}
