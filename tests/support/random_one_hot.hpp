// Random one-hot sequences for the model-level tests (N x L x 4, one base per position).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "attrprior/core/tensor.hpp"

namespace attrprior::testing {

inline std::vector<float> random_one_hot(Index N, Index L, std::uint64_t seed) {
    std::vector<float> x(static_cast<std::size_t>(N * L * 4), 0.f);
    std::mt19937_64 gen(seed);
    std::uniform_int_distribution<int> base(0, 3);
    for (Index i = 0; i < N * L; ++i) x[static_cast<std::size_t>(i * 4 + base(gen))] = 1.f;
    return x;
}

}  // namespace attrprior::testing
