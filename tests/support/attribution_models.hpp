// Small double-precision models and inputs for the attribution tests.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "attrprior/core/tensor.hpp"
#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"
#include "attrprior/nn/activation.hpp"
#include "attrprior/nn/channels.hpp"
#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/flatten.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/nn/pooling.hpp"
#include "small_models.hpp"

namespace attrprior::testing {

/// N one-hot sequences of length L (N x L x 4); rows listed in `n_rows` (example, position)
/// are N (all zero).
inline std::vector<double> one_hot_with_n(Index N, Index L, std::uint64_t seed,
                                          const std::vector<std::pair<Index, Index>>& n_rows = {}) {
    std::vector<double> x(static_cast<std::size_t>(N * L * 4), 0.0);
    std::mt19937_64 gen(seed);
    for (Index i = 0; i < N * L; ++i) x[static_cast<std::size_t>(i * 4 + Index(gen() % 4))] = 1.0;
    for (const auto& [b, i] : n_rows)
        for (Index c = 0; c < 4; ++c) x[static_cast<std::size_t>((b * L + i) * 4 + c)] = 0.0;
    return x;
}

/// A model linear in x: Conv1d(4 -> 3, k 5, same padding) -> Flatten -> Linear(-> 2).
inline nn::Model<double> linear_model(Index L, std::uint64_t seed = 1) {
    nn::Model<double> m(nn::Shape{L, 4});
    m.add("conv", nn::conv1d<double>(3, 5, nn::Padding::same));
    m.add(nn::flatten<double>());
    m.add("fc", nn::linear<double>(2));
    m.compile(seed);
    return m;
}

/// Overlapping and stacked max-pools: Conv1d(6, k 5) -> ReLU -> MaxPool1d(4, 2) ->
/// Conv1d(5, k 3, dilation 2, same) -> ReLU -> MaxPool1d(5, 3) -> Flatten -> Linear(3) ->
/// ReLU -> Linear(2). Input length 40.
inline nn::Model<double> maxpool_model(std::uint64_t seed = 2) {
    nn::Model<double> m(nn::Shape{40, 4});
    m.add("conv1", nn::conv1d<double>(6, 5));
    m.add(nn::relu<double>());
    m.add(nn::max_pool1d<double>(4, 2));
    m.add("conv2", nn::conv1d<double>(5, 3, nn::Padding::same, 2));
    m.add(nn::relu<double>());
    m.add(nn::max_pool1d<double>(5, 3));
    m.add(nn::flatten<double>());
    m.add("fc1", nn::linear<double>(3));
    m.add(nn::relu<double>());
    m.add("fc2", nn::linear<double>(2));
    m.compile(seed);
    return m;
}

/// Global pools followed by a nonlinearity (so fast ISM updates them by their windowed
/// difference instead of folding them into an affine tail): Conv1d(6, k 7, same) -> ReLU
/// -> Conv1d(5, k 3, dilation 3, same) -> ReLU, then concat(GlobalAveragePool1d,
/// PositionSum) -> ReLU -> Linear(2). Input length 50.
inline nn::Model<double> pooled_model(std::uint64_t seed = 6) {
    nn::Model<double> m(nn::Shape{50, 4});
    m.add("conv1", nn::conv1d<double>(6, 7, nn::Padding::same));
    m.add(nn::relu<double>());
    m.add("conv2", nn::conv1d<double>(5, 3, nn::Padding::same, 3));
    const nn::NodeId h = m.add(nn::relu<double>());
    const nn::NodeId mean = m.add(nn::global_average_pool1d<double>(), h);
    const nn::NodeId total = m.add(nn::position_sum<double>(), h);
    m.add(nn::relu<double>(), nn::concat({mean, total}));
    m.add("fc", nn::linear<double>(2));
    m.compile(seed);
    return m;
}

/// The binary preset (k 15, 15, 13; pool 40) at length L with 2 tasks, 8 filters and
/// non-trivial running statistics (eval BatchNorm is then a real affine map).
inline nn::Model<double> binary_model_double(Index L = 201, std::uint64_t seed = 3) {
    models::BinaryModelOptions o;
    o.length = L;
    o.tasks = 2;
    o.filters = 8;
    auto m = models::make_binary_model<double>(o, seed);
    std::mt19937_64 gen(seed + 100);
    for (Index i = 0; i < m.state().size(); ++i) m.state()[i] = 0.3 + 0.5 * double(gen() % 1000) / 1000.0;
    return m;
}

}  // namespace attrprior::testing
