// Tests of attrprior/attribution/shuffle.hpp: dinucleotide shuffles of one-hot sequences
// (docs/attribution.md, "Dinucleotide shuffles"). Shuffles cannot be compared with other
// implementations draw for draw, so the tests check what a shuffle preserves, which
// sequences it reaches and how often (against an enumeration by brute force), and that
// shuffle k of example b is the same however the work is batched or threaded.
#include "attrprior/attribution/shuffle.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "attrprior/genomics/sequence.hpp"
#include "../support/expect_error.hpp"

namespace {

using attrprior::ConstTensor3;
using attrprior::Index;
using attrprior::Tensor3;
using attrprior::attribution::dinucleotide_shuffles;
using attrprior::attribution::ShuffleAlgorithm;
using attrprior::attribution::ShuffleOptions;
using attrprior::attribution::Token;
using attrprior::testing::expect_invalid;

constexpr char kSymbols[] = "ACGTN";
constexpr std::array<ShuffleAlgorithm, 2> kAlgorithms = {ShuffleAlgorithm::uniform,
                                                         ShuffleAlgorithm::deeplift};

const char* name(ShuffleAlgorithm a) {
    return a == ShuffleAlgorithm::uniform ? "uniform" : "deeplift";
}

/// Index of a base in "ACGTN".
int symbol(char c) { return static_cast<int>(std::string(kSymbols).find(c)); }

/// The B x L x 4 one-hot batch of equal-length sequences (N -> zero row).
template <class Scalar>
std::vector<Scalar> encode(const std::vector<std::string>& seqs) {
    std::vector<Scalar> x;
    for (const auto& s : seqs) {
        std::vector<Scalar> one(4 * s.size());
        attrprior::genomics::one_hot(s, one.data());
        x.insert(x.end(), one.begin(), one.end());
    }
    return x;
}

/// The sequence of one L x 4 block; '?' for a row that is neither one-hot nor zero.
template <class Scalar>
std::string decode(const Scalar* x, Index L) {
    std::string s(static_cast<std::size_t>(L), '?');
    for (Index i = 0; i < L; ++i) {
        const int t = attrprior::attribution::row_token(x + 4 * i);
        if (t >= 0) s[static_cast<std::size_t>(i)] = kSymbols[t];
    }
    return s;
}

/// Counts of the 25 ordered pairs of adjacent symbols.
std::array<int, 25> pair_counts(const std::string& s) {
    std::array<int, 25> n{};
    for (std::size_t j = 0; j + 1 < s.size(); ++j) ++n[5 * symbol(s[j]) + symbol(s[j + 1])];
    return n;
}

/// Random sequence of length n over ACGT with runs of N (about one run per 20 bases).
std::string random_sequence_with_n(std::mt19937_64& rng, std::size_t n) {
    std::string s;
    while (s.size() < n) {
        if (rng() % 20 == 0) {
            s.append(1 + rng() % 6, 'N');
        } else {
            s.push_back(kSymbols[rng() % 4]);
        }
    }
    s.resize(n);
    return s;
}

/// All sequences with the first symbol and the pair counts of s, by exhaustive extension
/// (every prefix whose pair counts stay within those of s is extended by every symbol).
std::set<std::string> valid_sequences(const std::string& s) {
    std::set<std::string> out;
    if (s.empty()) return {s};
    const std::array<int, 25> target = pair_counts(s);
    std::array<int, 25> used{};
    std::string cur(1, s[0]);
    auto extend = [&](auto&& self) -> void {
        if (cur.size() == s.size()) {
            out.insert(cur);
            return;
        }
        const int a = symbol(cur.back());
        for (int b = 0; b < 5; ++b) {
            if (used[5 * a + b] == target[5 * a + b]) continue;
            ++used[5 * a + b];
            cur.push_back(kSymbols[b]);
            self(self);
            cur.pop_back();
            --used[5 * a + b];
        }
    };
    extend(extend);
    return out;
}

/// For each symbol, its successor at its last occurrence before the end ('-' if none).
std::string last_successors(const std::string& s) {
    std::string last(5, '-');
    for (std::size_t j = 0; j + 1 < s.size(); ++j) last[symbol(s[j])] = s[j + 1];
    return last;
}

/// The K shuffles of one sequence as strings.
std::vector<std::string> shuffles_of(const std::string& s, const ShuffleOptions& o,
                                     Index example = 0, bool* degenerate = nullptr) {
    const Index L = static_cast<Index>(s.size());
    const auto x = encode<double>({s});
    std::vector<double> out(static_cast<std::size_t>(o.count * L * 4), -1.0);
    dinucleotide_shuffles(ConstTensor3<double>(x.data(), 1, L, 4),
                          Tensor3<double>(out.data(), o.count, L, 4), o, example, degenerate);
    std::vector<std::string> r;
    for (Index k = 0; k < o.count; ++k) r.push_back(decode(out.data() + k * L * 4, L));
    return r;
}

/// Upper tail of the chi-squared distribution with an even number of degrees of freedom:
/// exp(-x/2) * sum_{i < df/2} (x/2)^i / i!.
double chi_squared_upper_tail(double x, int df) {
    double term = 1.0, sum = 0.0;
    for (int i = 0; i < df / 2; ++i) {
        sum += term;
        term *= x / 2.0 / (i + 1);
    }
    return std::exp(-x / 2.0) * sum;
}

template <class Scalar>
class ShuffleInvariants : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(ShuffleInvariants, Scalars);

TYPED_TEST(ShuffleInvariants, PairCountsEndsAndNRowsArePreserved) {
    using Scalar = TypeParam;
    std::mt19937_64 rng(11);
    const Index B = 6, K = 9;
    for (const ShuffleAlgorithm algorithm : kAlgorithms) {
        for (const Index L : {0, 1, 2, 3, 4, 5, 8, 31, 100, 257}) {
            std::vector<std::string> seqs;
            for (Index b = 0; b < B; ++b) {
                seqs.push_back(random_sequence_with_n(rng, static_cast<std::size_t>(L)));
            }
            if (L >= 12) seqs[0].replace(2, 7, "NNNNNNN");  // a long N run in every batch
            const auto x = encode<Scalar>(seqs);
            std::vector<Scalar> out(static_cast<std::size_t>(B * K * L * 4), Scalar(-1));
            ShuffleOptions o;
            o.count = K;
            o.seed = 5;
            o.algorithm = algorithm;
            dinucleotide_shuffles(ConstTensor3<Scalar>(x.data(), B, L, 4),
                                  Tensor3<Scalar>(out.data(), B * K, L, 4), o);
            Index changed = 0;
            for (Index b = 0; b < B; ++b) {
                const std::string& s = seqs[static_cast<std::size_t>(b)];
                for (Index k = 0; k < K; ++k) {
                    const Scalar* r = out.data() + (b * K + k) * L * 4;
                    const std::string t = decode(r, L);
                    SCOPED_TRACE(::testing::Message() << name(algorithm) << " L " << L << " b "
                                                      << b << " k " << k << ": " << s << " -> "
                                                      << t);
                    ASSERT_EQ(t.find('?'), std::string::npos) << "every row one-hot or zero";
                    ASSERT_EQ(t.size(), s.size());
                    if (L > 0) {
                        EXPECT_EQ(t.front(), s.front());
                        EXPECT_EQ(t.back(), s.back());
                    }
                    EXPECT_EQ(pair_counts(t), pair_counts(s));
                    for (Index i = 0; i < L; ++i) {
                        if (t[static_cast<std::size_t>(i)] != 'N') continue;
                        for (int c = 0; c < 4; ++c) EXPECT_EQ(r[4 * i + c], Scalar(0));
                    }
                    if (L < 3) {
                        EXPECT_EQ(t, s) << "shorter than 3: unchanged";
                    }
                    if (t != s) ++changed;
                }
            }
            if (L >= 31) {
                EXPECT_GT(changed, B * K / 2) << name(algorithm) << " L " << L;
            }
        }
    }
}

TEST(Shuffle, EnumerationOfTheIssueSequence) {
    // The brute-force enumeration the uniformity test relies on: ACCCACGATGATG has 27
    // valid sequences, 9 of them with every symbol's last successor as in the input.
    const std::string s = "ACCCACGATGATG";
    const auto valid = valid_sequences(s);
    EXPECT_EQ(valid.size(), 27u);
    EXPECT_EQ(valid.count(s), 1u);
    int same_last = 0;
    for (const auto& v : valid) same_last += last_successors(v) == last_successors(s);
    EXPECT_EQ(same_last, 9);
    EXPECT_EQ(valid_sequences("ACTGACTGACTG").size(), 1u);
}

TEST(Shuffle, UniformAlgorithmIsUniformOverAllValidSequences) {
    const std::string s = "ACCCACGATGATG";
    const auto valid = valid_sequences(s);
    ASSERT_EQ(valid.size(), 27u);
    ShuffleOptions o;
    o.count = 20000;
    o.seed = 2024;
    std::map<std::string, int> hits;
    for (const auto& t : shuffles_of(s, o)) ++hits[t];
    ASSERT_EQ(hits.size(), 27u) << "every valid sequence is reached";
    double chi2 = 0.0;
    const double expected = static_cast<double>(o.count) / 27.0;
    for (const auto& [t, n] : hits) {
        EXPECT_EQ(valid.count(t), 1u) << t;
        chi2 += (n - expected) * (n - expected) / expected;
    }
    const int df = 26;
    const double p = chi_squared_upper_tail(chi2, df);
    std::cout << "uniform on " << s << ": 27 of 27 sequences, chi2 = " << chi2 << " (chi2/df = "
              << chi2 / df << ", p = " << p << ")\n";
    // 54.052 is the 0.999 quantile of chi-squared with 26 df (tabulated; the closed form
    // above gives 0.0010 there).
    EXPECT_NEAR(chi_squared_upper_tail(54.052, df), 0.001, 1e-6);
    EXPECT_LT(chi2, 54.052);
    EXPECT_GT(p, 0.001);
}

TEST(Shuffle, DeepliftAlgorithmKeepsLastSuccessorsAndReachesOnlyNine) {
    const std::string s = "ACCCACGATGATG";
    ShuffleOptions o;
    o.count = 20000;
    o.seed = 2024;
    o.algorithm = ShuffleAlgorithm::deeplift;
    std::map<std::string, int> hits;
    for (const auto& t : shuffles_of(s, o)) ++hits[t];
    EXPECT_EQ(hits.size(), 9u);
    const auto valid = valid_sequences(s);
    for (const auto& [t, n] : hits) {
        EXPECT_EQ(valid.count(t), 1u) << t;
        EXPECT_EQ(last_successors(t), last_successors(s)) << t;
    }
    std::cout << "deeplift on " << s << ": " << hits.size() << " of " << valid.size()
              << " sequences\n";
}

/// B random sequences of length L, K shuffles each, first_example as given.
std::vector<double> batch_shuffles(const std::vector<std::string>& seqs, Index K,
                                   Index first_example, ShuffleAlgorithm algorithm,
                                   std::uint64_t seed = 99) {
    const Index B = static_cast<Index>(seqs.size());
    const Index L = static_cast<Index>(seqs[0].size());
    const auto x = encode<double>(seqs);
    std::vector<double> out(static_cast<std::size_t>(B * K * L * 4), -1.0);
    ShuffleOptions o;
    o.count = K;
    o.seed = seed;
    o.algorithm = algorithm;
    dinucleotide_shuffles(ConstTensor3<double>(x.data(), B, L, 4),
                          Tensor3<double>(out.data(), B * K, L, 4), o, first_example);
    return out;
}

TEST(Shuffle, ShuffleKOfExampleBIsIndependentOfBatchCountAndThreads) {
    std::mt19937_64 rng(3);
    const Index B = 16, L = 60, K = 20, first = 1000;  // large enough to go parallel
    std::vector<std::string> seqs;
    for (Index b = 0; b < B; ++b) {
        seqs.push_back(random_sequence_with_n(rng, static_cast<std::size_t>(L)));
    }
    const std::size_t row = static_cast<std::size_t>(L * 4);
    const int saved = omp_get_max_threads();
    for (const ShuffleAlgorithm algorithm : kAlgorithms) {
        SCOPED_TRACE(name(algorithm));
        omp_set_num_threads(1);
        const auto one_thread = batch_shuffles(seqs, K, first, algorithm);
        omp_set_num_threads(2);
        const auto two_threads = batch_shuffles(seqs, K, first, algorithm);
        omp_set_num_threads(saved);
        EXPECT_EQ(one_thread, two_threads);
        for (Index b = 0; b < B; ++b) {
            // The same example alone (its global index passed), with K = 5 and K = 20.
            const std::vector<std::string> alone = {seqs[static_cast<std::size_t>(b)]};
            for (const Index k_alone : {Index(5), K}) {
                const auto single = batch_shuffles(alone, k_alone, first + b, algorithm);
                for (Index k = 0; k < k_alone; ++k) {
                    const auto* batch_row = one_thread.data() + (b * K + k) * L * 4;
                    const auto* single_row = single.data() + k * L * 4;
                    EXPECT_TRUE(std::equal(batch_row, batch_row + row, single_row))
                        << "example " << b << " shuffle " << k << " of " << k_alone;
                }
            }
        }
        // The batch's shuffles of example b are those of shuffle_generator(seed, b, k).
        attrprior::attribution::ShuffleWorkspace workspace;
        std::vector<Token> tokens(static_cast<std::size_t>(L)), shuffled(tokens.size());
        const auto x = encode<double>({seqs[3]});
        attrprior::attribution::one_hot_to_tokens(x.data(), L, tokens.data());
        for (Index k = 0; k < K; ++k) {
            auto gen = attrprior::attribution::shuffle_generator(99, first + 3, k);
            attrprior::attribution::shuffle_tokens(tokens.data(), L, shuffled.data(), gen,
                                                   algorithm, workspace);
            std::vector<double> expected(row);
            attrprior::attribution::tokens_to_one_hot(shuffled.data(), L, expected.data());
            const auto* batch_row = one_thread.data() + (3 * K + k) * L * 4;
            EXPECT_TRUE(std::equal(expected.begin(), expected.end(), batch_row)) << k;
        }
    }
    // Another seed or another example index gives other shuffles.
    const auto base = batch_shuffles(seqs, K, first, ShuffleAlgorithm::uniform);
    EXPECT_NE(batch_shuffles(seqs, K, first, ShuffleAlgorithm::uniform, 100), base);
    EXPECT_NE(batch_shuffles(seqs, K, first + 1, ShuffleAlgorithm::uniform), base);
}

TEST(Shuffle, DegenerateInputsAreFlaggedNotRejected) {
    ShuffleOptions o;
    for (const ShuffleAlgorithm algorithm : kAlgorithms) {
        SCOPED_TRACE(name(algorithm));
        o.algorithm = algorithm;
        bool degenerate = false;
        for (const auto& t : shuffles_of("ACTGACTGACTG", o, 0, &degenerate)) {
            EXPECT_EQ(t, "ACTGACTGACTG");
        }
        EXPECT_TRUE(degenerate);
        degenerate = true;
        shuffles_of("ACCCACGATGATG", o, 0, &degenerate);
        EXPECT_FALSE(degenerate);

        // Per example in a batch; the count of degenerate examples is returned.
        const std::vector<std::string> seqs = {"ACGTTGCAAGCT", "ACTGACTGACTG", "AAAAAAAAAAAA",
                                               "ACGTNACGTNAC", "GATTACAGATTA"};
        const Index B = 5, L = 12, K = o.count;
        const auto x = encode<float>(seqs);
        std::vector<float> out(static_cast<std::size_t>(B * K * L * 4));
        bool flags[5] = {true, false, false, false, true};
        const Index n = dinucleotide_shuffles(ConstTensor3<float>(x.data(), B, L, 4),
                                              Tensor3<float>(out.data(), B * K, L, 4), o, 0,
                                              flags);
        EXPECT_EQ(n, 3);
        EXPECT_FALSE(flags[0]);
        EXPECT_TRUE(flags[1]);
        EXPECT_TRUE(flags[2]) << "a single symbol has a single arrangement";
        EXPECT_TRUE(flags[3]) << "ACGTNACGTNAC: a cycle through N, as ACTGACTGACTG";
        EXPECT_FALSE(flags[4]);
        EXPECT_EQ(valid_sequences("ACGTNACGTNAC").size(), 1u);
        EXPECT_GT(valid_sequences("NNNNACGTNNNN").size(), 1u) << "N runs move";
    }
}

TEST(Shuffle, ShortSequencesAreReturnedUnchangedAndFlagged) {
    ShuffleOptions o;
    o.count = 4;
    for (const std::string s : {"", "A", "N", "GT", "NC"}) {
        bool degenerate = false;
        for (const auto& t : shuffles_of(s, o, 7, &degenerate)) EXPECT_EQ(t, s);
        EXPECT_TRUE(degenerate) << s;
    }
    // shuffle_tokens on its own makes no draws then.
    std::mt19937_64 gen(1), untouched(1);
    const std::array<Token, 2> in = {2, 4};
    std::array<Token, 2> out{};
    attrprior::attribution::shuffle_tokens(in.data(), 2, out.data(), gen);
    EXPECT_EQ(out, in);
    EXPECT_EQ(gen, untouched);
}

TEST(Shuffle, InvalidRowsNameExampleAndPosition) {
    const Index B = 3, L = 10, K = 2;
    auto x = encode<double>({"ACGTACGTAC", "NNACGTACGT", "TTTTGGGGCC"});
    std::vector<double> out(static_cast<std::size_t>(B * K * L * 4), -7.0);
    ShuffleOptions o;
    o.count = K;
    const auto run = [&] {
        dinucleotide_shuffles(ConstTensor3<double>(x.data(), B, L, 4),
                              Tensor3<double>(out.data(), B * K, L, 4), o, 40);
    };
    x[(1 * L + 7) * 4 + 1] = 0.5;  // example 41 (global), position 7: a half C
    expect_invalid(run, "example 41 at position 7");
    expect_invalid(run, "(0, 0.5, 0, 0)");
    x[(1 * L + 7) * 4 + 1] = 1.0;
    x[(2 * L + 4) * 4 + 0] = 1.0;  // position 4 of example 42 is G: now A and G
    expect_invalid(run, "dinucleotide_shuffles: x row (1, 0, 1, 0) of example 42 at position 4");
    x[(2 * L + 4) * 4 + 0] = std::numeric_limits<double>::quiet_NaN();
    expect_invalid(run, "example 42 at position 4");
    for (double v : out) EXPECT_EQ(v, -7.0) << "nothing written on error";
    x[(2 * L + 4) * 4 + 0] = 0.0;
    EXPECT_NO_THROW(run());

    const std::array<float, 8> two = {0, 1, 0, 0, 0, 0, -1, 0};
    std::array<Token, 2> tokens{};
    expect_invalid(
        [&] { attrprior::attribution::one_hot_to_tokens(two.data(), 2, tokens.data(), 5); },
        "one_hot_to_tokens: x row (0, 0, -1, 0) of example 5 at position 1");
}

TEST(Shuffle, OptionsAndShapesAreChecked) {
    ShuffleOptions o;
    o.count = 0;
    expect_invalid([&] { o.validate(); }, "ShuffleOptions: count = 0 must be >= 1");
    o.count = 2;
    std::vector<double> x(3 * 5 * 4, 0.0), out(6 * 5 * 4, 0.0);
    expect_invalid(
        [&] {
            dinucleotide_shuffles(ConstTensor3<double>(x.data(), 3, 5, 4),
                                  Tensor3<double>(out.data(), 5, 5, 4), o);
        },
        "out has shape [5, 5, 4] but x [3, 5, 4] with count 2 needs [6, 5, 4]");
    expect_invalid(
        [&] {
            dinucleotide_shuffles(ConstTensor3<double>(x.data(), 3, 4, 5),
                                  Tensor3<double>(out.data(), 6, 4, 5), o);
        },
        "x channels = 5 must be 4");
    expect_invalid(
        [&] {
            dinucleotide_shuffles(ConstTensor3<double>(x.data(), 3, 5, 4),
                                  Tensor3<double>(out.data(), 6, 5, 4), o, -1);
        },
        "first_example = -1 must be >= 0");
    const std::array<Token, 3> bad = {0, 5, 1};
    std::array<Token, 3> res{};
    std::mt19937_64 gen(0);
    expect_invalid(
        [&] { attrprior::attribution::shuffle_tokens(bad.data(), 3, res.data(), gen); },
        "shuffle_tokens: token = 5 at position 1 must be in 0..4");
}

}  // namespace
