// Small models and random inputs for the model-level tests (prediction, evaluation):
// the paper's presets shrunk so a test runs in milliseconds.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "attrprior/core/tensor.hpp"
#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"

namespace attrprior::testing {

/// N random one-hot sequences of length L (N x L x 4, one base per position).
inline std::vector<float> random_one_hot(Index N, Index L, std::uint64_t seed) {
    std::vector<float> x(static_cast<std::size_t>(N * L * 4), 0.f);
    std::mt19937_64 gen(seed);
    std::uniform_int_distribution<int> base(0, 3);
    for (Index i = 0; i < N * L; ++i) x[static_cast<std::size_t>(i * 4 + base(gen))] = 1.f;
    return x;
}

/// The binary preset at input length 120 (8 filters, pool 10), with non-trivial running
/// statistics so that eval-mode BatchNorm is not the identity.
inline nn::Model<float> small_binary_model(std::uint64_t seed = 3) {
    models::BinaryModelOptions o;
    o.length = 120;
    o.filters = 8;
    o.pool = 10;
    auto m = models::make_binary_model<float>(o, seed);
    for (Index i = 0; i < m.state().size(); ++i) m.state()[i] = 0.5f + 0.001f * float(i % 17);
    return m;
}

/// The profile preset at input length 200 (4 filters, dilations 2 and 4, kernels 5 and
/// 11), 1 task x 2 strands with matched controls.
inline models::ProfileModelOptions small_profile_options() {
    models::ProfileModelOptions o;
    o.input_length = 200;
    o.filters = 4;
    o.dilations = {2, 4};
    o.first_kernel = 5;
    o.profile_kernel = 11;
    o.output_length = o.input_length - models::profile_trimmed_positions(o);
    return o;
}

}  // namespace attrprior::testing
