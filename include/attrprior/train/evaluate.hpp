// Evaluation of a trained model over an example set (docs/math.md §5): predictions,
// attributions (gradient x input, eval mode, chunked through train::Predictor) and the
// task and attribution metrics the training programs report.
//
//   evaluate_binary:  logits, labels, accuracy / auroc / auprc, and the attribution
//                     metrics over the positives;
//   evaluate_profile: profile logits and log counts, observed profiles, profile JSD /
//                     Pearson / Spearman and counts correlations, and the attribution
//                     metrics over every example.
// Site masks (genomics::site_masks: one L-flag mask per example), when given, add
// motif_auprc and motif_share. The result keeps the arrays (N x L x 4 attributions, ...)
// for the caller to write or plot.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/math.hpp"
#include "attrprior/metrics/attribution.hpp"
#include "attrprior/metrics/classification.hpp"
#include "attrprior/metrics/profile.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/predict.hpp"
#include "attrprior/train/profile.hpp"

namespace attrprior::train {

/// Options of an evaluation.
struct EvaluationOptions {
    Index chunk = 128;                    ///< examples per forward pass
    priors::FourierPriorOptions fourier;  ///< for fourier_score and the mean spectrum
    /// One mask of L flags per example (1 inside a known site), or null: no motif metrics.
    const std::vector<std::vector<char>>* site_masks = nullptr;
};

/// What evaluate_binary computed.
struct BinaryEvaluation {
    std::map<std::string, double> metrics;  ///< accuracy, auroc, auprc, fourier_score, entropy, motif_*
    Index examples = 0, length = 0;
    std::vector<float> attributions;  ///< N x L x 4
    std::vector<double> logits;       ///< N (task 0)
    std::vector<int> labels;          ///< N (task 0: 1, 0 or -1)
    Index best_positive = -1;         ///< the positive with the largest logit (-1: none)
    std::vector<double> mean_spectrum;  ///< over the positives (docs/math.md §3.1)
};

/// What evaluate_profile computed.
struct ProfileEvaluation {
    std::map<std::string, double> metrics;  ///< profile_*, counts_*, fourier_score, entropy, motif_*
    Index examples = 0, length = 0, output_length = 0, channels = 0;
    std::vector<float> attributions;  ///< N x L x 4
    std::vector<float> observed;      ///< N x O x P observed reads
    std::vector<float> logits;        ///< N x O x P profile logits
    std::vector<float> log_counts;    ///< N x 1 x P predicted log(1 + total)
    Index best = -1;  ///< the example whose predicted profiles correlate best with the reads
    std::vector<double> mean_spectrum;  ///< over every example
};

namespace detail {
inline std::vector<Index> all_rows(Index n) {
    std::vector<Index> rows(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = i;
    return rows;
}
inline void require_masks(const EvaluationOptions& o, Index n, Index L, const char* where) {
    if (o.site_masks == nullptr) return;
    require(Index(o.site_masks->size()) == n, where, "site_masks", o.site_masks->size(),
            "must hold one mask per example (", n, ")");
    for (const auto& m : *o.site_masks)
        require(Index(m.size()) == L, where, "site mask length", m.size(), "must equal the input length ", L);
}
}  // namespace detail

/// The passes of evaluate_binary without the metrics: attributions, task-0 logits and
/// labels of every example (examples, length, attributions, logits, labels). An empty set
/// gives empty arrays. Split from the metrics so that a data-parallel run computes the
/// passes on shares of the examples (docs/distributed.md §3).
template <class Examples>
BinaryEvaluation binary_passes(nn::Model<float>& model, const Examples& examples, Index chunk) {
    const char* where = "evaluate_binary";
    BinaryEvaluation ev;
    const Index N = examples.size(), L = model.input_shape(0).length, T = model.output_shape_of(0).channels;
    require(examples.shapes().targets.length == 1 && examples.shapes().targets.channels == T, where, "target shape",
            nn::to_string(examples.shapes().targets), "must be [1 x ", T, "] (the labels of the model's ", T, " tasks)");
    ev.examples = N;
    ev.length = L;
    ev.attributions.assign(static_cast<std::size_t>(N * L * 4), 0.f);
    std::vector<float> logits(static_cast<std::size_t>(N * T));
    ev.labels.resize(static_cast<std::size_t>(N));
    ev.logits.resize(static_cast<std::size_t>(N));
    Predictor<float> predictor(chunk);
    // Labels: task 0 of each chunk's targets, read while the chunk is at hand.
    predictor.attributions(model, examples, {ev.attributions.data(), N, L, 4}, {{logits.data(), N, 1, T}},
                           [&](Index first, Index done, Index) {
                               const ConstTensor3<float> y = predictor.current_chunk().targets();
                               for (Index b = 0; b < done - first; ++b)
                                   ev.labels[static_cast<std::size_t>(first + b)] = int(y(b, 0, 0));
                           });
    for (Index i = 0; i < N; ++i) ev.logits[static_cast<std::size_t>(i)] = logits[static_cast<std::size_t>(i * T)];
    return ev;
}

/// The metrics of evaluate_binary from the arrays binary_passes filled.
inline void score_binary(BinaryEvaluation& ev, const EvaluationOptions& options) {
    const Index N = ev.examples, L = ev.length;
    require(N >= 1, "evaluate_binary", "examples", N, "must be >= 1 (is the split empty?)");
    detail::require_masks(options, N, L, "evaluate_binary");
    std::vector<Index> positives;
    for (Index i = 0; i < N; ++i)
        if (ev.labels[static_cast<std::size_t>(i)] == 1) positives.push_back(i);
    ev.metrics["accuracy"] = metrics::accuracy(ev.logits, ev.labels);
    ev.metrics["auroc"] = metrics::auroc(ev.logits, ev.labels);
    ev.metrics["auprc"] = metrics::auprc(ev.logits, ev.labels);
    const ConstTensor3<float> attr(ev.attributions.data(), N, L, 4);
    for (const auto& [k, v] : metrics::attribution_summary(attr, positives, options.fourier, options.site_masks))
        ev.metrics[k] = v;
    double best = -std::numeric_limits<double>::infinity();
    for (Index i : positives)
        if (ev.logits[static_cast<std::size_t>(i)] > best) best = ev.logits[static_cast<std::size_t>(i)], ev.best_positive = i;
    ev.mean_spectrum = metrics::mean_spectrum(attr, positives, options.fourier);
}

/// Evaluates a binary model (output 0: B x 1 x T logits; task 0 is scored) on an example
/// set whose targets are the labels. Throws invalid_argument for an empty set.
template <class Examples>
BinaryEvaluation evaluate_binary(nn::Model<float>& model, const Examples& examples,
                                 const EvaluationOptions& options = EvaluationOptions()) {
    require(examples.size() >= 1, "evaluate_binary", "examples", examples.size(), "must be >= 1 (is the split empty?)");
    detail::require_masks(options, examples.size(), model.input_shape(0).length, "evaluate_binary");
    BinaryEvaluation ev = binary_passes(model, examples, options.chunk);
    score_binary(ev, options);
    return ev;
}

/// The passes of evaluate_profile without the metrics: attributions, profile logits, log
/// counts and observed reads of every example (see binary_passes).
template <class Examples>
ProfileEvaluation profile_passes(nn::Model<float>& model, const Examples& examples, const ProfileTarget& target,
                                 Index chunk) {
    const char* where = "evaluate_profile";
    require(model.outputs().size() == 2, where, "model outputs", model.outputs().size(),
            "must be 2 (profile logits, log counts)");
    ProfileEvaluation ev;
    const Index N = examples.size(), L = model.input_shape(0).length;
    const nn::Shape ps = model.output_shape_of(0);
    const Index O = ps.length, P = ps.channels;
    require(examples.shapes().targets == ps, where, "target shape", nn::to_string(examples.shapes().targets),
            "must equal the profile output's ", nn::to_string(ps));
    ev.examples = N, ev.length = L, ev.output_length = O, ev.channels = P;
    ev.attributions.assign(static_cast<std::size_t>(N * L * 4), 0.f);
    ev.logits.assign(static_cast<std::size_t>(N * O * P), 0.f);
    ev.observed.assign(ev.logits.size(), 0.f);
    ev.log_counts.assign(static_cast<std::size_t>(N * P), 0.f);
    Predictor<float, ProfileTarget> predictor(chunk, target);
    // Observed reads: each chunk's targets, copied while the chunk is at hand.
    predictor.attributions(model, examples, {ev.attributions.data(), N, L, 4},
                           {{ev.logits.data(), N, O, P}, {ev.log_counts.data(), N, 1, P}},
                           [&](Index first, Index done, Index) {
                               std::copy_n(predictor.current_chunk().targets().data, (done - first) * O * P,
                                           ev.observed.data() + first * O * P);
                           });
    return ev;
}

/// The metrics of evaluate_profile from the arrays profile_passes filled.
inline void score_profile(ProfileEvaluation& ev, const EvaluationOptions& options) {
    const Index N = ev.examples, L = ev.length, O = ev.output_length, P = ev.channels;
    require(N >= 1, "evaluate_profile", "examples", N, "must be >= 1 (is the split empty?)");
    detail::require_masks(options, N, L, "evaluate_profile");
    const ConstTensor3<float> observed(ev.observed.data(), N, O, P), logits(ev.logits.data(), N, O, P),
        log_counts(ev.log_counts.data(), N, 1, P);
    const auto pm = metrics::profile_metrics(observed, logits, log_counts);
    ev.metrics["profile_jsd"] = pm.profile_jsd;
    ev.metrics["profile_pearson"] = pm.profile_pearson;
    ev.metrics["profile_spearman"] = pm.profile_spearman;
    ev.metrics["counts_pearson"] = pm.counts_pearson;
    ev.metrics["counts_spearman"] = pm.counts_spearman;
    const std::vector<Index> all = detail::all_rows(N);
    const ConstTensor3<float> attr(ev.attributions.data(), N, L, 4);
    for (const auto& [k, v] : metrics::attribution_summary(attr, all, options.fourier, options.site_masks))
        ev.metrics[k] = v;
    ev.mean_spectrum = metrics::mean_spectrum(attr, all, options.fourier);

    // The example a report shows: the best mean Pearson, over its profiles with reads,
    // between the observed reads and the predicted probabilities.
    double best = -std::numeric_limits<double>::infinity();
    std::vector<double> obs(static_cast<std::size_t>(O)), prob(obs.size());
    for (Index i = 0; i < N; ++i) {
        double sum = 0;
        int used = 0;
        for (Index k = 0; k < P; ++k) {
            const auto norm = softmax_normalizer<double>(&logits(i, 0, k), O, P);
            for (Index o = 0; o < O; ++o) {
                obs[static_cast<std::size_t>(o)] = observed(i, o, k);
                prob[static_cast<std::size_t>(o)] = std::exp(double(logits(i, o, k)) - norm.max) / norm.sum_exp;
            }
            const double r = metrics::pearson(obs, prob);
            if (std::isfinite(r)) sum += r, ++used;
        }
        if (used > 0 && sum / used > best) best = sum / used, ev.best = i;
    }
}

/// Evaluates a profile model (output 0: profile logits B x O x P, output 1: log counts
/// B x 1 x P) on an example set whose targets are the observed reads. `target` defines
/// the attributions (ProfileTarget: probabilities or log-probabilities weighting).
template <class Examples>
ProfileEvaluation evaluate_profile(nn::Model<float>& model, const Examples& examples, const ProfileTarget& target,
                                   const EvaluationOptions& options = EvaluationOptions()) {
    require(model.outputs().size() == 2, "evaluate_profile", "model outputs", model.outputs().size(),
            "must be 2 (profile logits, log counts)");
    require(examples.size() >= 1, "evaluate_profile", "examples", examples.size(), "must be >= 1 (is the split empty?)");
    detail::require_masks(options, examples.size(), model.input_shape(0).length, "evaluate_profile");
    ProfileEvaluation ev = profile_passes(model, examples, target, options.chunk);
    score_profile(ev, options);
    return ev;
}

}  // namespace attrprior::train
