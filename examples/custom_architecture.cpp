// docs/custom_models.md: a residual architecture of your own in a few lines — layers take
// their input shapes from the model, sums are explicit — trained with the Fourier prior
// through train::fit, like the presets.
#include <attrprior/attrprior.hpp>

#include <cstdio>
#include <vector>

#include "synthetic_motifs.hpp"

namespace ap = attrprior;
namespace nn = attrprior::nn;

int main() {
    const ap::Index L = 300, N = 512;
    nn::Model<float> m(nn::Shape{L, 4});
    const nn::NodeId stem = m.add("stem", nn::conv1d(32, 11, nn::Padding::same));
    const nn::NodeId h0 = m.add(nn::relu(), stem);
    const nn::NodeId c1 = m.add("block1", nn::conv1d(32, 3, nn::Padding::same, /*dilation=*/2), h0);
    const nn::NodeId h1 = m.add(nn::relu(), c1);
    const nn::NodeId c2 = m.add("block2", nn::conv1d(32, 3, nn::Padding::same, 4), nn::sum({h0, h1}));
    const nn::NodeId h2 = m.add(nn::relu(), c2);
    m.add(nn::max_pool1d(L), nn::sum({h0, h1, h2}));  // residual sum, then a global max
    m.add("out", nn::linear(1));                                 // in_features = 32, inferred
    m.compile(/*seed=*/1);

    std::vector<float> x, y;
    examples::synthetic_motifs(N, L, 11, x, y);
    const ap::train::TensorExamples<float> data({x.data(), N, L, 4}, {y.data(), N, 1, 1});
    ap::train::TensorBatcher<float> batches(data, 64, 2);
    ap::priors::FourierPrior<float> prior;
    ap::train::ClassBalancedBCE<float> loss;
    ap::train::DoubleBackprop<float> step(1.0f);
    ap::train::Adam<float> adam(ap::train::AdamOptions{/*lr=*/1e-2});
    ap::train::FitOptions options;
    options.epochs = 4;
    const auto h = ap::train::fit(m, step, prior, loss, adam, batches, ap::train::NoValidation(), options,
                                  ap::train::ProgressBars("residual"));
    std::printf("%zu parameters; train loss %.4f -> %.4f over %zu epochs\n", static_cast<std::size_t>(m.parameter_count()),
                h.train_loss.front(), h.train_loss.back(), h.size());
}
