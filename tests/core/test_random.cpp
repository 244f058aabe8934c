// Tests of attrprior/core/random.hpp: the portable draws every seeded part of the library
// (simulation, negative sampling, batches) is built from. The exact values matter: a seed
// must give the same draws with every standard library, so the tests pin the formulas to
// the engine's raw output and count the draws each helper consumes.
#include "attrprior/core/random.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "attrprior/core/error.hpp"

using attrprior::Index;

TEST(Random, Uniform01IsTheTop53BitsOfOneDraw) {
    std::mt19937_64 rng(7), raw(7);
    for (int i = 0; i < 1000; ++i) {
        const double u = attrprior::uniform01(rng);
        EXPECT_EQ(u, std::ldexp(static_cast<double>(raw() >> 11), -53));
        EXPECT_GE(u, 0.0);
        EXPECT_LT(u, 1.0);
    }
    EXPECT_EQ(rng, raw) << "one engine draw per number";
}

TEST(Random, UniformOpen01IsShiftedByHalfAStepAndNeverZero) {
    std::mt19937_64 rng(8), raw(8);
    for (int i = 0; i < 1000; ++i) {
        const double u = attrprior::uniform_open01(rng);
        EXPECT_EQ(u, std::ldexp(static_cast<double>(raw() >> 11) + 0.5, -53));
        EXPECT_GT(u, 0.0);
        EXPECT_LT(u, 1.0);
    }
    EXPECT_EQ(rng, raw);
}

TEST(Random, UniformBelowCoversItsRangeWithOneDrawEach) {
    std::mt19937_64 rng(9), raw(9);
    std::set<Index> seen;
    for (int i = 0; i < 2000; ++i) {
        const Index k = attrprior::uniform_below(rng, 7);
        EXPECT_EQ(k, static_cast<Index>(std::ldexp(static_cast<double>(raw() >> 11), -53) * 7.0));
        seen.insert(k);
    }
    EXPECT_EQ(seen, (std::set<Index>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(rng, raw);
    EXPECT_EQ(attrprior::uniform_below(rng, 1), 0);
    EXPECT_THROW(attrprior::uniform_below(rng, 0), attrprior::invalid_argument);
    EXPECT_THROW(attrprior::uniform_below(rng, -3), attrprior::invalid_argument);
}

TEST(Random, ShuffleIsFisherYatesWithUniformBelow) {
    std::vector<int> v(50);
    for (int i = 0; i < 50; ++i) v[static_cast<std::size_t>(i)] = i;
    std::vector<int> expected = v;
    std::mt19937_64 rng(10), reference(10);
    attrprior::shuffle(v, rng);
    for (std::size_t i = expected.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(attrprior::uniform_below(reference, static_cast<Index>(i)));
        std::swap(expected[i - 1], expected[j]);
    }
    EXPECT_EQ(v, expected);
    EXPECT_EQ(rng, reference) << "size - 1 draws";
    std::vector<int> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
    // Fewer than two elements: nothing to swap, no draw.
    std::vector<int> one{4}, none;
    std::mt19937_64 untouched(11), fresh(11);
    attrprior::shuffle(one, untouched);
    attrprior::shuffle(none, untouched);
    EXPECT_EQ(one, std::vector<int>{4});
    EXPECT_EQ(untouched, fresh);
}

TEST(Random, Splitmix64IsTheReferenceGenerator) {
    // Outputs of the reference splitmix64 generator seeded with 0: each step adds the
    // gamma to the state and returns the finaliser of the new state.
    EXPECT_EQ(attrprior::splitmix64(0), 0xe220a8397b1dcdafULL);
    EXPECT_EQ(attrprior::splitmix64(0x9e3779b97f4a7c15ULL), 0x6e789e6aa1b965f4ULL);
    EXPECT_EQ(attrprior::splitmix64(2 * 0x9e3779b97f4a7c15ULL), 0x06c45d188009454fULL);
}

TEST(Random, CounterKeyChainsThreeSteps) {
    using attrprior::splitmix64;
    EXPECT_EQ(attrprior::counter_key(5, 6, 7), splitmix64(splitmix64(splitmix64(5) ^ 6) ^ 7));
    EXPECT_NE(attrprior::counter_key(5, 6, 7), attrprior::counter_key(5, 7, 6));
    EXPECT_NE(attrprior::counter_key(5, 6, 7), attrprior::counter_key(6, 6, 7));
}

// nested_subsample: ceil(f n) of n items, the first of one shuffled order, so smaller
// fractions drawn from the same generator state are subsets of larger ones.
TEST(Random, NestedSubsampleKeepsTheFirstOfOneShuffledOrder) {
    std::vector<char> previous(25, 0);
    for (double f : {0.04, 0.2, 0.5, 0.96, 1.0}) {
        std::mt19937_64 rng(11);
        const auto chosen = attrprior::nested_subsample(25, f, rng);
        ASSERT_EQ(chosen.size(), 25u);
        EXPECT_EQ(std::count(chosen.begin(), chosen.end(), 1), static_cast<long>(std::ceil(f * 25 - 1e-9))) << f;
        for (std::size_t i = 0; i < 25; ++i) {
            if (previous[i]) {
                EXPECT_TRUE(chosen[i]) << "item " << i << " lost at fraction " << f;
            }
        }
        previous = chosen;
    }
    std::mt19937_64 rng(1);
    EXPECT_TRUE(attrprior::nested_subsample(0, 0.5, rng).empty());
    EXPECT_THROW(attrprior::nested_subsample(5, 1.5, rng), attrprior::invalid_argument);
    EXPECT_THROW(attrprior::nested_subsample(5, 0.0, rng), attrprior::invalid_argument);
}
