// Tutorial part 1 (docs/tutorial.md): your own training loop from the pieces — model,
// prior, double-backprop step, optimizer. Trains the paper's binary model on a small
// synthetic problem (positives carry a GATA motif) with the Fourier prior.
#include <attrprior/attrprior.hpp>

#include <cstdio>
#include <random>
#include <vector>

namespace ap = attrprior;

// Random one-hot sequences; even rows are positives with "AGATAA" planted near the centre.
void make_batch(ap::Index B, ap::Index L, std::mt19937& gen, std::vector<float>& x, std::vector<float>& y) {
    std::uniform_int_distribution<int> base(0, 3), shift(-50, 50);
    x.assign(B * L * 4, 0.0f);
    y.assign(B, 0.0f);
    const int motif[6] = {0, 2, 0, 3, 0, 0};  // A G A T A A
    for (ap::Index b = 0; b < B; ++b) {
        for (ap::Index i = 0; i < L; ++i) x[(b * L + i) * 4 + base(gen)] = 1.0f;
        if (b % 2 != 0) continue;
        y[b] = 1.0f;
        const ap::Index at = L / 2 + shift(gen);
        for (int k = 0; k < 6; ++k) {
            for (int c = 0; c < 4; ++c) x[(b * L + at + k) * 4 + c] = 0.0f;
            x[(b * L + at + k) * 4 + motif[k]] = 1.0f;
        }
    }
}

int main() {
    const ap::Index B = 64, L = 300;
    ap::models::BinaryModelOptions options;  // the paper's architecture
    options.length = L;
    auto model = ap::models::make_binary_model<float>(options, /*seed=*/1);

    ap::priors::FourierPrior<float> prior;            // freq_limit 150, softness 0.2, sigma 3
    ap::train::ClassBalancedBCE<float> loss;           // docs/models.md §2, label -1 ignored
    ap::train::DoubleBackprop<float> step(/*lambda=*/1.0f);
    ap::train::Adam<float> adam;                       // lr 1e-3, PyTorch semantics

    std::mt19937 gen(7);
    std::vector<float> x, y;
    for (int it = 1; it <= 40; ++it) {
        make_batch(B, L, gen, x, y);
        const ap::ConstTensor3<float> xv(x.data(), B, L, 4), yv(y.data(), B, 1, 1);
        const auto r = step.step(model, prior, loss, xv, yv, ap::train::status_from_labels(yv));
        ap::train::clip_grad_norm(model.gradients(), 10.0f);
        adam.step(model.parameters(), model.gradients());
        if (it % 10 == 0) std::printf("step %2d  task %.4f  prior %.4f\n", it, r.task_loss, r.prior);
    }

    // Attributions (grad x input) of fresh examples in eval mode, and their Fourier score.
    make_batch(B, L, gen, x, y);
    std::vector<float> attr(x.size());
    step.attribution(model, {x.data(), B, L, 4}, {attr.data(), B, L, 4});
    Eigen::VectorXf scores(B);
    prior.scores({attr.data(), B, L, 4}, scores);
    std::printf("mean Fourier score of the attributions: %.3f\n", scores.mean());
    ap::io::save_weights(model, "custom_loop_weights");
    std::printf("weights saved to custom_loop_weights/\n");
}
