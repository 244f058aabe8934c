// Tests of attrprior/genomics/sequence.hpp: one-hot encoding, reverse complement, GC.
#include "attrprior/genomics/sequence.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

using attrprior::Index;
using attrprior::genomics::gc_fraction;
using attrprior::genomics::one_hot;
using attrprior::genomics::one_hot_reverse_complement;
using attrprior::genomics::reverse_complement;
using attrprior::genomics::reverse_complement_one_hot;

template <class Scalar>
std::vector<Scalar> encode(const std::string& s) {
    std::vector<Scalar> out(4 * s.size(), Scalar(-7));  // poison: every entry must be set
    one_hot(s, out.data());
    return out;
}

std::string random_sequence(std::mt19937& rng, std::size_t n, const std::string& alphabet) {
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string s(n, 'A');
    for (char& c : s) c = alphabet[pick(rng)];
    return s;
}

TEST(OneHot, ChannelOrderIsACGT) {
    const auto x = encode<double>("ACGT");
    const std::vector<double> expected = {1, 0, 0, 0,  //
                                          0, 1, 0, 0,  //
                                          0, 0, 1, 0,  //
                                          0, 0, 0, 1};
    EXPECT_EQ(x, expected);
}

TEST(OneHot, LowerCaseIsTheSameBase) {
    EXPECT_EQ(encode<float>("acgt"), encode<float>("ACGT"));
    EXPECT_EQ(encode<float>("aCgT"), encode<float>("ACGT"));
}

TEST(OneHot, NAndOtherCodesAreZeroRows) {
    const std::string s = "NnRYKMSWBDHV-.*0 X";
    const auto x = encode<double>(s);
    ASSERT_EQ(x.size(), 4 * s.size());
    for (double v : x) EXPECT_EQ(v, 0.0);

    const auto y = encode<float>("ANt");
    const std::vector<float> expected = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(y, expected);
}

TEST(OneHot, EmptySequenceWritesNothing) {
    float sentinel = 5.0f;
    one_hot(std::string(), &sentinel);
    EXPECT_EQ(sentinel, 5.0f);
    one_hot_reverse_complement(std::string(), &sentinel);
    EXPECT_EQ(sentinel, 5.0f);
    reverse_complement_one_hot(&sentinel, Index(0), &sentinel);
    EXPECT_EQ(sentinel, 5.0f);
    EXPECT_EQ(reverse_complement(""), "");
}

TEST(OneHot, RowsSumToOneForACGTAndZeroOtherwise) {
    std::mt19937 rng(1);
    const std::string s = random_sequence(rng, 500, "ACGTacgtNnRY");
    const auto x = encode<double>(s);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const double sum = x[4 * i] + x[4 * i + 1] + x[4 * i + 2] + x[4 * i + 3];
        const bool base = std::string("ACGTacgt").find(s[i]) != std::string::npos;
        EXPECT_EQ(sum, base ? 1.0 : 0.0) << "position " << i << " '" << s[i] << "'";
    }
}

TEST(ReverseComplement, String) {
    EXPECT_EQ(reverse_complement("ACGT"), "ACGT");
    EXPECT_EQ(reverse_complement("AAACC"), "GGTTT");
    EXPECT_EQ(reverse_complement("acgTN"), "NAcgt");
    EXPECT_EQ(reverse_complement("AnG"), "CnT");
    // Other IUPAC codes (and anything else) become N, keeping case.
    EXPECT_EQ(reverse_complement("ARY"), "NNT");
    EXPECT_EQ(reverse_complement("ary"), "nnt");
    EXPECT_EQ(reverse_complement("A-"), "NT");
}

TEST(ReverseComplement, StringIsAnInvolutionOnACGTN) {
    std::mt19937 rng(2);
    for (int trial = 0; trial < 50; ++trial) {
        const std::string s = random_sequence(rng, 1 + trial * 7, "ACGTNacgtn");
        EXPECT_EQ(reverse_complement(reverse_complement(s)), s);
    }
}

TEST(ReverseComplement, OneHotMatchesStringReverseComplement) {
    std::mt19937 rng(3);
    for (int trial = 0; trial < 30; ++trial) {
        const std::string s = random_sequence(rng, 1 + trial * 5, "ACGTNacgtnRY");
        std::vector<double> direct(4 * s.size(), -1.0);
        one_hot_reverse_complement(s, direct.data());
        EXPECT_EQ(direct, encode<double>(reverse_complement(s))) << s;

        const auto x = encode<double>(s);
        std::vector<double> via(4 * s.size(), -1.0);
        reverse_complement_one_hot(x.data(), static_cast<Index>(s.size()), via.data());
        EXPECT_EQ(direct, via) << s;
    }
}

TEST(ReverseComplement, OneHotReversesPositionsAndChannels) {
    // Arbitrary real-valued track (e.g. an attribution), odd length.
    const Index L = 3;
    const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    std::vector<float> out(12, 0.0f);
    reverse_complement_one_hot(in.data(), L, out.data());
    const std::vector<float> expected = {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    EXPECT_EQ(out, expected);
}

TEST(ReverseComplement, OneHotIsAnInvolutionAndWorksInPlace) {
    std::mt19937 rng(4);
    std::normal_distribution<double> normal;
    for (Index L : {1, 2, 3, 10, 11}) {
        std::vector<double> x(4 * static_cast<std::size_t>(L));
        for (double& v : x) v = normal(rng);
        std::vector<double> once(x.size()), twice(x.size());
        reverse_complement_one_hot(x.data(), L, once.data());
        reverse_complement_one_hot(once.data(), L, twice.data());
        EXPECT_EQ(twice, x) << "L = " << L;

        std::vector<double> in_place = x;
        reverse_complement_one_hot(in_place.data(), L, in_place.data());
        EXPECT_EQ(in_place, once) << "L = " << L;
    }
}

TEST(GcFraction, CountsOnlyACGT) {
    EXPECT_DOUBLE_EQ(gc_fraction("GGCC"), 1.0);
    EXPECT_DOUBLE_EQ(gc_fraction("AATT"), 0.0);
    EXPECT_DOUBLE_EQ(gc_fraction("ACGT"), 0.5);
    EXPECT_DOUBLE_EQ(gc_fraction("acgT"), 0.5);
    EXPECT_DOUBLE_EQ(gc_fraction("GNNNNA"), 0.5);
    EXPECT_DOUBLE_EQ(gc_fraction("GCARYSNN"), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(gc_fraction("NNNN"), 0.0);
    EXPECT_DOUBLE_EQ(gc_fraction(""), 0.0);
}

TEST(GcFraction, InvariantUnderReverseComplement) {
    std::mt19937 rng(5);
    const std::string s = random_sequence(rng, 301, "ACGTNacgt");
    EXPECT_DOUBLE_EQ(gc_fraction(s), gc_fraction(reverse_complement(s)));
}

}  // namespace
