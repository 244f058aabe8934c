// Portable random draws built from the raw output of std::mt19937_64.
//
// The <random> distributions are allowed to differ between standard libraries, so a seed
// would not give the same genome, negatives or batches everywhere. The engine itself is
// fully specified, so these helpers use only its raw 64-bit output: a uniform double takes
// the top 53 bits of one draw, and everything else is built from such doubles. The number
// of engine draws each helper consumes is part of its contract (one per uniform number,
// one per swap of a shuffle), because callers depend on the exact sequence for a seed.
#pragma once

#include <cstddef>
#include <random>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior {

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

}  // namespace attrprior
