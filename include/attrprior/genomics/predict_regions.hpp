// A saved model's predictions on regions (docs/interpret.md, "predict"): what the
// `predict` program writes, as functions a user's own program calls.
//
//   const auto layout = genomics::layout_of(saved.model, saved.spec);
//   const auto p = genomics::predict_regions(saved.model, layout, examples);   // RegionExamples
//   genomics::write_predictions_tsv("predictions.tsv", examples.windows(), p);
//   genomics::write_predicted_profile_bigwigs("out/predicted", examples, p, chromosome_sizes(fasta));
//
// Binary models: one logit per task, and its probability sigmoid(logit). Profile models
// (output 0: profile logits O x (T*S), output 1: predicted log(1 + total counts) per task
// and strand): the predicted total counts expm1(log counts), and per task and strand the
// predicted profile = softmax over the O positions of the logits x the predicted total
// (chrombpnet's prediction bigWigs, with our counts head's log(1 + n) undone exactly).
#pragma once

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/genomics/window_bigwig.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/region_examples.hpp"
#include "attrprior/io/json.hpp"
#include "attrprior/models/spec.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/predict.hpp"

namespace attrprior::genomics {

/// What a model predicts, read off its outputs and spec.
struct ModelLayout {
    bool profile = false;    ///< two outputs (profile logits, log counts); else one output of logits
    Index tasks = 1;         ///< binary: logits per region; profile: tasks
    Index strands = 1;       ///< profile: strands per task (channels are task-major)
    Index output_length = 1; ///< profile: O
    Index controls = 0;      ///< channels of the control input (0: the model takes none)

    /// "task<t>" (binary) or "task<t>.<plus|minus>" (profile; "task<t>" with one strand).
    std::string channel_name(Index k) const {
        if (!profile || strands == 1) return attrprior::detail::concat("task", k);
        return attrprior::detail::concat("task", k / strands, k % strands == 0 ? ".plus" : ".minus");
    }
};

/// The layout of `model` as built from `spec`: a model with one output of length 1 is
/// binary (its channels are the tasks); one with two outputs [O x P] and [1 x P] is a
/// profile model, whose strands per task come from the spec's options ("strands", 1 when
/// absent). Anything else: invalid_argument naming the shapes.
template <class Scalar>
ModelLayout layout_of(const nn::Model<Scalar>& model, const models::ModelSpec& spec) {
    constexpr const char* who = "layout_of";
    ModelLayout l;
    const std::size_t outputs = model.outputs().size();
    const nn::Shape s0 = model.output_shape_of(0);
    if (model.input_count() > 1) l.controls = model.input_shape(1).channels;
    if (outputs == 1 && s0.length == 1) {
        l.tasks = s0.channels;
        return l;
    }
    const nn::Shape s1 = outputs == 2 ? model.output_shape_of(1) : nn::Shape{};
    require(outputs == 2 && s1.length == 1 && s1.channels == s0.channels, who, "model outputs",
            models::shapes_to_string(models::output_shapes_of(model)),
            "are neither a binary model's [1 x T] nor a profile model's [O x P], [1 x P]");
    l.profile = true;
    l.output_length = s0.length;
    if (const io::Json* strands = spec.options.is_object() ? spec.options.find("strands") : nullptr)
        l.strands = static_cast<Index>(strands->as_int64());
    require(l.strands >= 1 && s0.channels % l.strands == 0, who, "strands", l.strands, "must divide the ",
            s0.channels, " profile channels");
    l.tasks = s0.channels / l.strands;
    return l;
}

/// Model outputs on every region, row r = region r.
struct RegionPredictions {
    ModelLayout layout;
    Index regions = 0;
    std::vector<float> logits;      ///< binary: N x T; profile: N x O x P
    std::vector<float> log_counts;  ///< profile: N x P (predicted log(1 + total))

    /// Binary: sigmoid of logit (region r, task t).
    double probability(Index r, Index t) const {
        const double z = logits[static_cast<std::size_t>(r * layout.tasks + t)];
        return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
    }
    /// Profile: predicted total counts of (region r, channel k).
    double predicted_counts(Index r, Index k) const {
        return std::expm1(double(log_counts[static_cast<std::size_t>(r * layout.tasks * layout.strands + k)]));
    }
};

/// Runs the model (eval mode) over every region in chunks of `chunk`.
template <class Examples>
RegionPredictions predict_regions(nn::Model<float>& model, const ModelLayout& layout, const Examples& examples,
                                  Index chunk = 128, const train::ChunkCallback& on_chunk = {}) {
    RegionPredictions p;
    p.layout = layout;
    p.regions = examples.size();
    const Index N = p.regions;
    train::Predictor<float> predictor(chunk);
    if (!layout.profile) {
        p.logits.assign(static_cast<std::size_t>(N * layout.tasks), 0.f);
        predictor.outputs(model, examples, {{p.logits.data(), N, 1, layout.tasks}}, on_chunk);
        return p;
    }
    const Index O = layout.output_length, P = layout.tasks * layout.strands;
    p.logits.assign(static_cast<std::size_t>(N * O * P), 0.f);
    p.log_counts.assign(static_cast<std::size_t>(N * P), 0.f);
    predictor.outputs(model, examples, {{p.logits.data(), N, O, P}, {p.log_counts.data(), N, 1, P}}, on_chunk);
    return p;
}

/// predictions.tsv: one row per region in row order, columns chrom, start, end, name, then
/// per task logit_<task>, probability_<task> (binary) or per task and strand
/// predicted_counts_<task>[.<strand>] (profile). io_error naming the file on failure.
inline void write_predictions_tsv(const std::string& path, const std::vector<Interval>& windows,
                                  const RegionPredictions& p) {
    require(static_cast<Index>(windows.size()) == p.regions, "write_predictions_tsv", "windows", windows.size(),
            "must equal the ", p.regions, " predicted regions");
    const ModelLayout& l = p.layout;
    const Index channels = l.profile ? l.tasks * l.strands : l.tasks;
    std::string text = "chrom\tstart\tend\tname";
    for (Index k = 0; k < channels; ++k) {
        if (l.profile) {
            text += "\tpredicted_counts_" + l.channel_name(k);
        } else {
            text += "\tlogit_" + l.channel_name(k) + "\tprobability_" + l.channel_name(k);
        }
    }
    text += '\n';
    for (Index r = 0; r < p.regions; ++r) {
        const Interval& w = windows[static_cast<std::size_t>(r)];
        text += attrprior::detail::concat(w.chrom, '\t', w.start, '\t', w.end, '\t', w.name.empty() ? "." : w.name);
        for (Index k = 0; k < channels; ++k) {
            if (l.profile) {
                text += '\t' + detail::format_interval_number(p.predicted_counts(r, k));
            } else {
                text += '\t' + detail::format_interval_number(p.logits[static_cast<std::size_t>(r * l.tasks + k)]);
                text += '\t' + detail::format_interval_number(p.probability(r, k));
            }
        }
        text += '\n';
    }
    io::detail::write_text_file_atomically(path, text, "write_predictions_tsv");
}

/// Profile models: one bigWig per task and strand, `<prefix>.<channel name>.bw`, holding
/// the predicted profile (softmax of the logits over the output window x the predicted
/// total) over each region's output window, overlaps resolved by the nearer summit
/// (window_bigwig.hpp, docs/data.md §10). Returns the paths written.
inline std::vector<std::string> write_predicted_profile_bigwigs(
    const std::string& prefix, const RegionExamples& examples, const RegionPredictions& p,
    const std::vector<std::pair<std::string, Index>>& chromosomes) {
    const ModelLayout& l = p.layout;
    require(l.profile, "write_predicted_profile_bigwigs", "model", "binary", "has no predicted profiles");
    const Index N = p.regions, O = l.output_length, P = l.tasks * l.strands;
    require(N == examples.size(), "write_predicted_profile_bigwigs", "predictions", N, "must cover the ",
            examples.size(), " regions");
    require(examples.output_length() == O, "write_predicted_profile_bigwigs", "examples' output_length",
            examples.output_length(), "must be the model's ", O, " (give it to RegionExamples)");
    // The model's centred output window of each region.
    std::vector<Interval> windows = examples.windows();
    for (Index r = 0; r < N; ++r) {
        Interval& w = windows[static_cast<std::size_t>(r)];
        w.start = examples.output_start(r);
        w.end = w.start + O;
    }
    std::vector<std::string> paths;
    std::vector<float> track(static_cast<std::size_t>(N * O));
    for (Index k = 0; k < P; ++k) {
        for (Index r = 0; r < N; ++r) {
            const float* z = p.logits.data() + r * O * P;
            const auto norm = attrprior::softmax_normalizer<double>(z + k, O, P);
            const double total = p.predicted_counts(r, k);
            for (Index o = 0; o < O; ++o)
                track[static_cast<std::size_t>(r * O + o)] =
                    static_cast<float>(std::exp(double(z[o * P + k]) - norm.max) / norm.sum_exp * total);
        }
        paths.push_back(prefix + "." + l.channel_name(k) + ".bw");
        write_window_bigwig(paths.back(), chromosomes, windows, track.data(), O);
    }
    return paths;
}

}  // namespace attrprior::genomics
