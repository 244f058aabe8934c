// Tests of attrprior/attribution/seqlets.hpp: recursive seqlet calling (docs/attribution.md,
// "Seqlets"). Small cases worked out by hand with two bins (the null is then a binomial),
// the reference's quirks, both signs, flanks, threading, validation, and fixtures from the
// independent NumPy implementation tests/reference/recursive_seqlets_reference.py.
#include "attrprior/attribution/seqlets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "attrprior/io/npy.hpp"
#include "../support/expect_error.hpp"

namespace {

using attrprior::Index;
using attrprior::attribution::recursive_seqlets;
using attrprior::attribution::recursive_seqlets_both_signs;
using attrprior::attribution::Seqlet;
using attrprior::attribution::SeqletOptions;
using attrprior::testing::expect_invalid;

// Two bins, spans of exactly min_length = max_length = 2 unless a test says otherwise.
SeqletOptions two_bin_options(double threshold, Index min_length = 2, Index max_length = 2) {
    SeqletOptions o;
    o.threshold = threshold;
    o.min_length = min_length;
    o.max_length = max_length;
    o.bins = 2;
    return o;
}

// With bins = 2, x_min = 0 and x_max = 1 the bin width is 1: a 0 is bin 0, a 1 is bin 1,
// and a span of L values sums to its bin. With a = P(bin 0), c = P(bin 1) the null of a
// two-position span is binomial: pdf_2 = (a^2, 2ac, c^2), so S_2[1] = 1 - 2ac and
// S_2[2] = 1 - 2ac - c^2 = a^2; for three positions S_3[1] = 1 - 3a^2c and
// S_3[2] = a^3 + c^3, S_3[3] = a^3.
std::vector<double> binary_track(Index l, std::vector<Index> ones) {
    std::vector<double> x(static_cast<std::size_t>(l), 0.0);
    for (Index i : ones) x[static_cast<std::size_t>(i)] = 1.0;
    return x;
}

TEST(RecursiveSeqlets, SingleBumpByHand) {
    // l = 12, ones at 4, 5: a = 10/12, c = 2/12. Span [4, 6) sums to 2: p = a^2 = 0.694;
    // [3, 5) and [5, 7) sum to 1: p = 1 - 2ac = 0.722; spans of zeros: p = 1. With tau =
    // 0.7 only [4, 6) passes; its one sub-span check, p[1, 5], reads a row below
    // min_length (0, no constraint).
    const auto x = binary_track(12, {4, 5});
    const auto seqlets = recursive_seqlets(x.data(), 1, 12, two_bin_options(0.7));
    ASSERT_EQ(seqlets.size(), 1u);
    const double a = 10.0 / 12;
    EXPECT_EQ(seqlets[0].example, 0);
    EXPECT_EQ(seqlets[0].start, 4);
    EXPECT_EQ(seqlets[0].end, 6);
    EXPECT_DOUBLE_EQ(seqlets[0].attribution, 2.0);
    EXPECT_NEAR(seqlets[0].p_value, a * a, 1e-15);
    EXPECT_EQ(seqlets[0].sign, 1);
}

TEST(RecursiveSeqlets, ReportedPValueIsTheLargestOverPrefixes) {
    // l = 14, ones at 0, 1, 2: a = 11/14, c = 3/14; min 2, max 3, tau = 0.65.
    // [0, 3) sums to 3: S_3[3] = a^3 = 0.485, but its prefix [0, 2) has S_2[2] = a^2 =
    // 0.617, so p[3, 0] = 0.617 < tau. Checks: p[2, 1] = a^2 (span [1, 3) sums to 2) and
    // p[1, 2] = 0. Accepted with p = a^2, not a^3. [1, 4) ties at a^2 (prefix [1, 3)) but
    // the first argmin is k = 0, and [1, 4) then overlaps it.
    const auto x = binary_track(14, {0, 1, 2});
    const auto seqlets = recursive_seqlets(x.data(), 1, 14, two_bin_options(0.65, 2, 3));
    ASSERT_EQ(seqlets.size(), 1u);
    const double a = 11.0 / 14;
    EXPECT_EQ(seqlets[0].start, 0);
    EXPECT_EQ(seqlets[0].end, 3);
    EXPECT_DOUBLE_EQ(seqlets[0].attribution, 3.0);
    EXPECT_NEAR(seqlets[0].p_value, a * a, 1e-15);
}

TEST(RecursiveSeqlets, LongSpanNeedsEverySubSpanSignificant) {
    // l = 14, ones at 0, 1: a = 12/14, c = 2/14; min 2, max 3, tau = 0.745.
    // [0, 3) = (1, 1, 0): p[3, 0] = max(S_3[2] = a^3 + c^3 = 0.633, p[2, 0] = a^2 = 0.735)
    // = 0.735 < tau, but its sub-span [1, 3) sums to 1: p[2, 1] = 1 - 2ac = 0.755 >= tau,
    // so it is rejected. [1, 4): p = max(S_3[1], 0.755) >= tau ends length 3. Length 2:
    // [0, 2) has p = a^2 and is called.
    const auto x = binary_track(14, {0, 1});
    const auto seqlets = recursive_seqlets(x.data(), 1, 14, two_bin_options(0.745, 2, 3));
    ASSERT_EQ(seqlets.size(), 1u);
    const double a = 12.0 / 14;
    EXPECT_EQ(seqlets[0].start, 0);
    EXPECT_EQ(seqlets[0].end, 2);
    EXPECT_NEAR(seqlets[0].p_value, a * a, 1e-15);
}

TEST(RecursiveSeqlets, NoSeqletCoversPositionLMinusMinLength) {
    // l = 10, min = max = 2, a = 8/10, c = 2/10: a bump of two ones has p = a^2 = 0.64,
    // the spans half on it 1 - 2ac = 0.68; tau = 0.66. Column l - min_length = 8 is 1 in
    // every row (the reference's quirk): a bump at [8, 10) starts there (p = 1), and a bump
    // at [7, 9) fails its check p[1, 8] = 1. Only [6, 8), which stops short of 8, is called.
    const SeqletOptions o = two_bin_options(0.66);
    for (const Index first : {7, 8}) {
        const auto x = binary_track(10, {first, first + 1});
        EXPECT_TRUE(recursive_seqlets(x.data(), 1, 10, o).empty()) << "bump at " << first;
    }
    const auto x = binary_track(10, {6, 7});
    const auto seqlets = recursive_seqlets(x.data(), 1, 10, o);
    ASSERT_EQ(seqlets.size(), 1u);
    EXPECT_EQ(seqlets[0].start, 6);
    EXPECT_EQ(seqlets[0].end, 8);
    EXPECT_NEAR(seqlets[0].p_value, 0.64, 1e-15);
}

TEST(RecursiveSeqlets, NegativeSeqletsAndTieOrder) {
    // l = 16, +1 at 3, 4 and -1 at 9, 10. On X: x_min = -1, x_max = 1, width 2, so the
    // entries' bins are (0, 0, 1) for (-1, 0, 1): a = 14/16, c = 2/16 (dyadic, exact). A
    // span's bin is floor((sum + 2) / 2): [3, 5) reads bin 2, p = a^2 = 0.765625; spans
    // summing to 0 or 1 read bin 1, p = 1 - 2ac = 0.78125; tau = 0.77. -X is the mirror
    // image: the same null, and [9, 11) called with the same p. Both signs tie: positive
    // first; the negative seqlet reports the true sum of X, -2.
    std::vector<double> x(16, 0.0);
    x[3] = x[4] = 1.0;
    x[9] = x[10] = -1.0;
    const SeqletOptions o = two_bin_options(0.77);
    const auto positive = recursive_seqlets(x.data(), 1, 16, o);
    ASSERT_EQ(positive.size(), 1u);
    EXPECT_EQ(positive[0].start, 3);
    EXPECT_EQ(positive[0].p_value, 0.765625);

    const auto both = recursive_seqlets_both_signs(x.data(), 1, 16, o);
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both[0].sign, 1);
    EXPECT_EQ(both[0].start, 3);
    EXPECT_EQ(both[0].end, 5);
    EXPECT_EQ(both[0].attribution, 2.0);
    EXPECT_EQ(both[1].sign, -1);
    EXPECT_EQ(both[1].start, 9);
    EXPECT_EQ(both[1].end, 11);
    EXPECT_EQ(both[1].attribution, -2.0);
    EXPECT_EQ(both[1].p_value, 0.765625);

    // Negating the input swaps the roles exactly.
    std::vector<double> minus_x(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) minus_x[i] = -x[i];
    const auto mirrored = recursive_seqlets_both_signs(minus_x.data(), 1, 16, o);
    ASSERT_EQ(mirrored.size(), 2u);
    EXPECT_EQ(mirrored[0].sign, 1);
    EXPECT_EQ(mirrored[0].start, 9);
    EXPECT_EQ(mirrored[0].attribution, 2.0);
    EXPECT_EQ(mirrored[1].sign, -1);
    EXPECT_EQ(mirrored[1].start, 3);
    EXPECT_EQ(mirrored[1].attribution, -2.0);
}

TEST(RecursiveSeqlets, FlanksAreClippedAtZeroAndAtLMinusOne) {
    // Two bumps in l = 20 (a = 16/20: p = a^2 = 0.64 for a bump, 1 - 2ac = 0.68 half on
    // it; tau = 0.66): [1, 3) and [12, 14). With flanks = 3 the first becomes [0, 6)
    // (start clipped at 0) and the second [9, 17). With flanks = 6 the second reaches
    // [6, 19): the end is clipped at l - 1 = 19, not l (the reference's quirk), so the
    // last position is never inside a seqlet. Attributions sum X over the flanked span,
    // and flanks may make seqlets overlap (calling blocks only the unflanked spans).
    std::vector<double> x = binary_track(20, {1, 2, 12, 13});
    x[19] = 0.0;
    SeqletOptions o = two_bin_options(0.66);
    o.flanks = 3;
    auto seqlets = recursive_seqlets(x.data(), 1, 20, o);
    ASSERT_EQ(seqlets.size(), 2u);  // equal p: acceptance order, [12, 14) came second
    EXPECT_EQ(seqlets[0].start, 0);
    EXPECT_EQ(seqlets[0].end, 6);
    EXPECT_EQ(seqlets[0].attribution, 2.0);
    EXPECT_EQ(seqlets[1].start, 9);
    EXPECT_EQ(seqlets[1].end, 17);
    o.flanks = 6;
    seqlets = recursive_seqlets(x.data(), 1, 20, o);
    ASSERT_EQ(seqlets.size(), 2u);
    EXPECT_EQ(seqlets[0].start, 0);
    EXPECT_EQ(seqlets[0].end, 9);
    EXPECT_EQ(seqlets[1].start, 6);
    EXPECT_EQ(seqlets[1].end, 19);
    EXPECT_EQ(seqlets[1].attribution, 2.0);  // flanked spans may overlap: [0, 9) and [6, 19)
}

TEST(RecursiveSeqlets, DegenerateInputsCallNothing) {
    const SeqletOptions o;
    EXPECT_TRUE(recursive_seqlets<double>(nullptr, 0, 100, o).empty());
    EXPECT_TRUE(recursive_seqlets<double>(nullptr, 5, 0, o).empty());
    const std::vector<double> equal(3 * 50, 0.25);  // bin width 0
    EXPECT_TRUE(recursive_seqlets(equal.data(), 3, 50, o).empty());
    EXPECT_TRUE(recursive_seqlets_both_signs(equal.data(), 3, 50, o).empty());
    const std::vector<double> short_rows = {0, 5, 0, 0, 3, 0};  // l = 3 < min_length = 4
    EXPECT_TRUE(recursive_seqlets(short_rows.data(), 2, 3, o).empty());
    // l = min_length: the one span starts at column l - min_length = 0, set to p = 1.
    const std::vector<double> exact = {9, 9, 9, 9, 0, 0, 0, 0};
    EXPECT_TRUE(recursive_seqlets(exact.data(), 2, 4, o).empty());
}

TEST(RecursiveSeqlets, RejectsBadOptionsAndInputs) {
    const std::vector<double> x(40, 0.0);
    const auto with = [&](auto change) {
        SeqletOptions o;
        change(o);
        return [o, &x] { recursive_seqlets(x.data(), 2, 20, o); };
    };
    expect_invalid(with([](SeqletOptions& o) { o.min_length = 1; }), "min_length = 1 must be >= 2");
    expect_invalid(with([](SeqletOptions& o) { o.max_length = 3; }), "max_length = 3 must be >= min_length = 4");
    expect_invalid(with([](SeqletOptions& o) { o.bins = 1; }), "bins = 1 must be >= 2");
    expect_invalid(with([](SeqletOptions& o) { o.threshold = 0; }), "threshold = 0 must be in (0, 1]");
    expect_invalid(with([](SeqletOptions& o) { o.threshold = 1.5; }), "threshold = 1.5");
    expect_invalid(with([](SeqletOptions& o) { o.threshold = std::nan(""); }), "threshold = nan");
    expect_invalid(with([](SeqletOptions& o) { o.flanks = -1; }), "flanks = -1 must be >= 0");
    expect_invalid([&] { recursive_seqlets(x.data(), -1, 20, SeqletOptions{}); }, "n = -1");
    expect_invalid([&] { recursive_seqlets_both_signs<double>(nullptr, 2, 20, SeqletOptions{}); }, "X = null");
    std::vector<float> bad(40, 0.0f);
    bad[23] = std::numeric_limits<float>::infinity();
    EXPECT_THAT(attrprior::testing::error_message<attrprior::numeric_error>(
                    [&] { recursive_seqlets(bad.data(), 2, 20, SeqletOptions{}); }),
                ::testing::HasSubstr("X[1, 3] = inf is not finite"));
    SeqletOptions threshold_one;
    threshold_one.threshold = 1.0;  // allowed
    EXPECT_NO_THROW(threshold_one.validate());
}

std::vector<double> random_track(Index n, Index l, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.05);
    std::uniform_int_distribution<Index> where(0, l - 12);
    std::vector<double> x(static_cast<std::size_t>(n * l));
    for (double& v : x) v = noise(rng);
    for (Index b = 0; b < n; ++b) {
        for (int bump = 0; bump < 4; ++bump) {
            const Index s = where(rng);
            const double height = bump % 2 ? -0.6 : 0.8;
            for (Index i = 0; i < 10; ++i) x[static_cast<std::size_t>(b * l + s + i)] += height;
        }
    }
    return x;
}

void expect_same(const std::vector<Seqlet>& a, const std::vector<Seqlet>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].example, b[i].example) << i;
        EXPECT_EQ(a[i].start, b[i].start) << i;
        EXPECT_EQ(a[i].end, b[i].end) << i;
        EXPECT_EQ(a[i].attribution, b[i].attribution) << i;
        EXPECT_EQ(a[i].p_value, b[i].p_value) << i;
        EXPECT_EQ(a[i].sign, b[i].sign) << i;
    }
}

TEST(RecursiveSeqlets, SameResultOnAnyNumberOfThreads) {
    const Index n = 48, l = 400;  // n * l * max_length well above kParallelWork
    const auto x = random_track(n, l, 7);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = recursive_seqlets_both_signs(x.data(), n, l, SeqletOptions{});
    omp_set_num_threads(3);
    const auto three = recursive_seqlets_both_signs(x.data(), n, l, SeqletOptions{});
    omp_set_num_threads(saved);
    EXPECT_GT(one.size(), static_cast<std::size_t>(n));
    expect_same(one, three);
    // Sorted by p-value; every span respects the quirk and the length limits.
    for (std::size_t i = 0; i < one.size(); ++i) {
        if (i > 0) {
            EXPECT_LE(one[i - 1].p_value, one[i].p_value);
        }
        EXPECT_LT(one[i].p_value, 0.01);
        EXPECT_LE(one[i].end, l - 4);
        EXPECT_GE(one[i].end - one[i].start, 4);
        EXPECT_LE(one[i].end - one[i].start, 25);
        EXPECT_EQ(one[i].sign > 0, one[i].attribution > 0);
    }
}

TEST(RecursiveSeqlets, FloatInputComputesInDouble) {
    const Index n = 4, l = 150;
    const auto x = random_track(n, l, 11);
    std::vector<float> xf(x.begin(), x.end());
    const std::vector<double> widened(xf.begin(), xf.end());
    expect_same(recursive_seqlets(xf.data(), n, l, SeqletOptions{}),
                recursive_seqlets(widened.data(), n, l, SeqletOptions{}));
}

// Fixtures of tests/reference/recursive_seqlets_reference.py (see its docstring).
class SeqletReference : public ::testing::TestWithParam<std::string> {};

template <class Scalar>
void check_against_reference(const std::string& dir) {
    using attrprior::io::read_npy;
    const auto X = read_npy<Scalar>(dir + "/X.npy");
    const auto opts = read_npy<double>(dir + "/options.npy").data;
    ASSERT_EQ(X.shape.size(), 2u);
    ASSERT_EQ(opts.size(), 5u);
    SeqletOptions o;
    o.threshold = opts[0];
    o.min_length = static_cast<Index>(opts[1]);
    o.max_length = static_cast<Index>(opts[2]);
    o.flanks = static_cast<Index>(opts[3]);
    o.bins = static_cast<Index>(opts[4]);
    const Index n = X.shape[0], l = X.shape[1];
    for (const bool both : {false, true}) {
        SCOPED_TRACE(both ? "both signs" : "positive");
        const auto expected = read_npy<double>(dir + (both ? "/expected_both.npy" : "/expected.npy"));
        const Index columns = both ? 6 : 5;
        const auto got = both ? recursive_seqlets_both_signs(X.data.data(), n, l, o)
                              : recursive_seqlets(X.data.data(), n, l, o);
        ASSERT_EQ(static_cast<Index>(got.size()), expected.shape[0]);
        for (std::size_t i = 0; i < got.size(); ++i) {
            const double* row = expected.data.data() + static_cast<Index>(i) * columns;
            EXPECT_EQ(got[i].example, static_cast<Index>(row[0])) << "seqlet " << i;
            EXPECT_EQ(got[i].start, static_cast<Index>(row[1])) << "seqlet " << i;
            EXPECT_EQ(got[i].end, static_cast<Index>(row[2])) << "seqlet " << i;
            // Both sides add in the same order, so these agree bitwise today; the
            // tolerance leaves room for a different summation order.
            EXPECT_NEAR(got[i].attribution, row[3], 1e-12) << "seqlet " << i;
            EXPECT_NEAR(got[i].p_value, row[4], 1e-12) << "seqlet " << i;
            if (both) {
                EXPECT_EQ(got[i].sign, static_cast<int>(row[5])) << "seqlet " << i;
            }
        }
    }
}

TEST_P(SeqletReference, MatchesNumPyReference) {
    const std::string dir = std::string(ATTRPRIOR_TEST_DATA_DIR) + "/seqlets/" + GetParam();
    if (GetParam() == "float32") {
        check_against_reference<float>(dir);
    } else {
        check_against_reference<double>(dir);
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SeqletReference,
                         ::testing::Values("planted", "ties", "options", "float32"),
                         [](const auto& info) { return info.param; });

}  // namespace
