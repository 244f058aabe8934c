// Portable random draws built from the raw output of std::mt19937_64.
//
// The <random> distributions are allowed to differ between standard libraries, so a seed
// would not give the same genome, negatives or batches everywhere. The engine itself is
// fully specified, so these helpers use only its raw 64-bit output: a uniform double takes
// the top 53 bits of one draw, and everything else is built from such doubles. The number
// of engine draws each helper consumes is part of its contract (one per uniform number,
// one per swap of a shuffle), because callers depend on the exact sequence for a seed.
//
// Counter-based keys: where a draw must not depend on how work is split (batches, threads,
// how many items are asked for), the library derives a key from the seed and the item's
// indices with splitmix64 and never carries generator state from one item to the next
// (Dropout masks, nn/dropout.hpp; shuffled references, docs/attribution.md).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior {

/// One splitmix64 step as a pure function: x plus the golden-ratio gamma
/// 0x9e3779b97f4a7c15 through the splitmix64 finaliser. splitmix64(0) is the first output
/// of a splitmix64 generator seeded with 0 (0xe220a8397b1dcdaf).
constexpr std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// The key of item (i, j) of the stream `seed`:
/// splitmix64(splitmix64(splitmix64(seed) ^ i) ^ j). A pure function of its arguments,
/// so a result keyed by it does not depend on the order or grouping of the items.
constexpr std::uint64_t counter_key(std::uint64_t seed, std::uint64_t i, std::uint64_t j) {
    return splitmix64(splitmix64(splitmix64(seed) ^ i) ^ j);
}

/// Uniform double in [0, 1): the top 53 bits of one draw, times 2^-53.
inline double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// Uniform double in the open interval (0, 1): the top 53 bits of one draw plus one half,
/// times 2^-53. Never 0, so log() of it is finite (what Box-Muller and Poisson inversion
/// need).
inline double uniform_open01(std::mt19937_64& rng) {
    return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

/// Uniform integer in [0, n) from one uniform01 draw: floor(u * n), kept below n should
/// the product round up. Throws invalid_argument for n < 1.
inline Index uniform_below(std::mt19937_64& rng, Index n) {
    require(n >= 1, "uniform_below", "n", n, "must be >= 1");
    const Index k = static_cast<Index>(uniform01(rng) * static_cast<double>(n));
    return k < n ? k : n - 1;
}

/// Fisher-Yates shuffle with uniform_below: for i = v.size() down to 2, swaps v[i - 1]
/// with v[uniform_below(rng, i)] (v.size() - 1 draws; none for fewer than 2 elements).
template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
    for (std::size_t i = v.size(); i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(uniform_below(rng, static_cast<Index>(i)));
        std::swap(v[i - 1], v[j]);
    }
}

/// Which of n items a training fraction keeps (docs/stability.md, "Training fractions"):
/// the first ceil(fraction * n) of one random order drawn from `rng` (shuffle), returned as
/// n flags. Drawn from the same generator state, smaller fractions keep subsets of larger
/// ones. Throws invalid_argument unless 0 < fraction <= 1.
inline std::vector<char> nested_subsample(std::size_t n, double fraction, std::mt19937_64& rng) {
    require(fraction > 0.0 && fraction <= 1.0, "nested_subsample", "fraction", fraction, "must be in (0, 1]");
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    shuffle(order, rng);
    const auto keep = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(n) - 1e-9));
    std::vector<char> chosen(n, 0);
    for (std::size_t i = 0; i < keep && i < n; ++i) chosen[order[i]] = 1;
    return chosen;
}

}  // namespace attrprior
