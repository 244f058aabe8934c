// The paper's binary model (docs/models.md §1), built only from nn/ layers, with PyTorch's module
// names so weights load from and save to the reference implementation:
//   conv: 3 x [Conv1d(64, k = 15, 15, 13, valid) -> ReLU -> BatchNorm1d]
//   pool: MaxPool1d(40, 40); flatten (channel-major, as PyTorch)
//   fc:   Linear(64 * L', 50) -> ReLU -> BatchNorm1d -> Linear(50, 15) -> ReLU -> BatchNorm1d
//   out:  Linear(15, tasks) -> logits
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attrprior/nn/activation.hpp"
#include "attrprior/nn/batchnorm.hpp"
#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/flatten.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/nn/pooling.hpp"

namespace attrprior::models {

/// Options of the binary model; defaults are the paper's (docs/models.md §1).
struct BinaryModelOptions {
    Index length = 1000;        // input length
    Index tasks = 1;            // output logits
    bool batchnorm = true;      // BatchNorm1d after every ReLU
    Index filters = 64;
    std::vector<Index> kernels{15, 15, 13};
    Index pool = 40;            // MaxPool1d kernel = stride
    std::vector<Index> dense{50, 15};
    /// How train-mode BatchNorm enters the attribution (nn/batchnorm.hpp). per_example
    /// (default) keeps the attribution of this model meaningful in train mode; batch
    /// reproduces PyTorch autograd, for which sum-over-batch attributions vanish here.
    nn::AttributionStatistics bn_attribution = nn::AttributionStatistics::per_example;
};

/// Builds and compiles the binary model; parameters drawn from PyTorch's default
/// distributions with `seed`.
template <class Scalar>
nn::Model<Scalar> make_binary_model(const BinaryModelOptions& o = BinaryModelOptions(),
                                    std::uint64_t seed = 0) {
    const char* where = "make_binary_model";
    require(o.tasks >= 1, where, "tasks", o.tasks, "must be >= 1");
    require(!o.kernels.empty(), where, "kernels", "(empty)", "must list at least one layer");
    Index after_convs = o.length;
    for (Index k : o.kernels) after_convs -= k - 1;
    require(after_convs >= o.pool, where, "length", o.length, "is too short for the model: ",
            "the convolutions leave ", after_convs, " positions, fewer than the pool size ", o.pool,
            " (minimum length ", o.length - after_convs + o.pool, ")");

    nn::Model<Scalar> model(nn::Shape{o.length, 4});
    // PyTorch's nn.Sequential numbers every module, so "conv.<i>" / "fc.<i>".
    auto block = [&](const std::string& prefix, int& index, auto&& make_linear_layer, Index width) {
        model.add(prefix + std::to_string(index++), make_linear_layer());
        model.add(prefix + std::to_string(index++), std::make_unique<nn::ReLU<Scalar>>());
        if (o.batchnorm) model.add(prefix + std::to_string(index++), std::make_unique<nn::BatchNorm1d<Scalar>>(width, 0.1, 1e-5, o.bn_attribution));
    };
    int index = 0;
    Index channels = 4;
    for (std::size_t i = 0; i < o.kernels.size(); ++i) {
        const Index in = channels;
        block("conv.", index, [&] {
            return std::make_unique<nn::Conv1d<Scalar>>(nn::Conv1dOptions{in, o.filters, o.kernels[i]});
        }, o.filters);
        channels = o.filters;
    }
    model.add("pool", std::make_unique<nn::MaxPool1d<Scalar>>(o.pool, o.pool));
    model.add("flatten", std::make_unique<nn::Flatten<Scalar>>());
    index = 0;
    Index features = model.output_shape(static_cast<int>(model.node_count()) - 1).channels;
    for (Index width : o.dense) {
        const Index in = features;
        block("fc.", index, [&] { return std::make_unique<nn::Linear<Scalar>>(in, width); }, width);
        features = width;
    }
    model.add("out", std::make_unique<nn::Linear<Scalar>>(features, o.tasks));
    model.compile(seed);
    return model;
}

}  // namespace attrprior::models
