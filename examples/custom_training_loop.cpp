// Tutorial part 1 (docs/tutorial.md): training from the pieces — model, prior, double-
// backprop step, optimizer — with train::fit, early stopping on a validation set, and
// chunked attributions afterwards. The paper's binary model learns a synthetic problem
// (positives carry a GATA motif) with the Fourier prior.
#include <attrprior/attrprior.hpp>

#include <cstdio>
#include <vector>

#include "synthetic_motifs.hpp"

namespace ap = attrprior;

int main() {
    const ap::Index L = 300, N_train = 512, N_valid = 128;
    std::vector<float> x, y, vx, vy;
    examples::synthetic_motifs(N_train, L, 7, x, y);
    examples::synthetic_motifs(N_valid, L, 8, vx, vy);
    const ap::train::TensorExamples<float> train_set({x.data(), N_train, L, 4}, {y.data(), N_train, 1, 1});
    const ap::train::TensorExamples<float> valid_set({vx.data(), N_valid, L, 4}, {vy.data(), N_valid, 1, 1});

    ap::models::BinaryModelOptions options;  // the paper's architecture
    options.length = L;
    auto model = ap::models::make_binary_model<float>(options, /*seed=*/1);

    ap::priors::FourierPrior<float> prior;             // freq_limit 150, softness 0.2, sigma 3
    ap::train::ClassBalancedBCE<float> loss;            // docs/models.md §2, label -1 ignored
    ap::train::DoubleBackprop<float> step(/*lambda=*/1.0f);
    ap::train::Adam<float> adam;                        // lr 1e-3, PyTorch semantics
    ap::train::TensorBatcher<float> batches(train_set, /*batch=*/64, /*seed=*/3);
    ap::train::ValidationLoss<float, decltype(valid_set), decltype(loss)> validation(valid_set, loss);

    ap::train::FitOptions fit_options;
    fit_options.epochs = 5;
    ap::train::EarlyStopping<float> stopping(/*patience=*/2);
    ap::train::ProgressBars progress("gata");
    const ap::train::History h =
        ap::train::fit(model, step, prior, loss, adam, batches, validation, fit_options, stopping, progress);
    for (std::size_t e = 0; e < h.size(); ++e)
        std::printf("epoch %d  task %.4f  prior %.4f  valid %.4f\n", h.epoch[e], h.train_loss[e], h.prior[e],
                    h.valid_loss[e]);
    std::printf("kept the weights of epoch %d\n", h.best_epoch);

    // Attributions (grad x input, eval mode) of the validation set in chunks of 100, and
    // their Fourier scores.
    std::vector<float> attr(vx.size());
    ap::train::Predictor<float> predictor(/*chunk=*/100);
    predictor.attributions(model, valid_set, {attr.data(), N_valid, L, 4});
    Eigen::VectorXf scores(N_valid);
    prior.scores({attr.data(), N_valid, L, 4}, scores);
    std::printf("mean Fourier score of the attributions: %.3f\n", scores.mean());
    ap::io::save_weights(model, "custom_loop_weights");
    std::printf("weights saved to custom_loop_weights/\n");
}
