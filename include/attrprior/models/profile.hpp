// The paper's BPNet-style profile model (docs/models.md §3-4, as in the authors' final
// code), built only from nn/ layers:
//   dil_conv.0: Conv1d(4 -> F, k 21, same) -> ReLU
//   dil_conv.i (i = 1..6): Conv1d(F -> F, k 3, dilation 2^i, same) on the SUM of the
//       outputs of layers 0..i-1 -> ReLU
//   crop: only the last layer's output, to its valid centre (1346 - 20 - 2*126 = 1074)
//   profile head: prof_conv Conv1d(F -> T*S, k 75, valid) -> per task, its S strands
//       concatenated with the task's S control strands -> prof_mix.t Conv1d(2S -> S, k 1)
//       (the grouped 1x1 convolution, one group per task)      => B x O x (T*S) logits
//   counts head: global average pool of the cropped map -> count_dense Linear(F -> T*S)
//       -> per task concatenated with the control counts (raw sum of the control profile
//       over the output window) -> count_mix.t Conv1d(2S -> S, k 1)  => B x 1 x (T*S)
// Inputs: the sequence (B x 1346 x 4) and, with controls, the control profiles
// (B x O x (T*S) matched, or B x O x S shared) as the model's auxiliary input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attrprior/io/weights.hpp"
#include "attrprior/nn/activation.hpp"
#include "attrprior/nn/channels.hpp"
#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/crop.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/nn/pooling.hpp"

namespace attrprior::models {

enum class Controls { none, matched, shared };

struct ProfileModelOptions {
    Index input_length = 1346;
    Index output_length = 1000;
    Index tasks = 1;
    Index strands = 2;
    Controls controls = Controls::matched;
    Index filters = 64;
    Index first_kernel = 21;
    Index dilated_kernel = 3;
    std::vector<Index> dilations{2, 4, 8, 16, 32, 64};
    Index profile_kernel = 75;
};

/// Positions the convolutions trim from the input: (first_kernel - 1) + the dilated
/// layers' (kernel - 1) * dilation + (profile_kernel - 1); 346 for the paper's model.
inline Index profile_trimmed_positions(const ProfileModelOptions& o) {
    Index trimmed = (o.first_kernel - 1) + (o.profile_kernel - 1);
    for (Index d : o.dilations) trimmed += d * (o.dilated_kernel - 1);
    return trimmed;
}

/// Output 0: profile logits B x O x (T*S); output 1: log counts B x 1 x (T*S).
template <class Scalar>
nn::Model<Scalar> make_profile_model(const ProfileModelOptions& o = ProfileModelOptions(), std::uint64_t seed = 0) {
    const char* where = "make_profile_model";
    require(o.tasks >= 1, where, "tasks", o.tasks, "must be >= 1");
    require(o.strands == 1 || o.strands == 2, where, "strands", o.strands, "must be 1 or 2");
    const Index crop = o.input_length - profile_trimmed_positions(o) + (o.profile_kernel - 1);
    require(crop - o.profile_kernel + 1 == o.output_length, where, "output_length", o.output_length,
            "does not match the architecture: input ", o.input_length, " gives a valid centre of ", crop,
            " and a profile of ", crop - o.profile_kernel + 1, " after the k = ", o.profile_kernel, " head");
    using M = nn::Model<Scalar>;
    const Index T = o.tasks, S = o.strands, F = o.filters;
    M m(nn::Shape{o.input_length, 4});
    const Index control_tracks = o.controls == Controls::matched ? T : 1;
    const nn::NodeId control =
        o.controls == Controls::none ? nn::NodeId() : m.add_input(nn::Shape{o.output_length, control_tracks * S});

    // Layer i > 0 reads the sum of the outputs of layers 0..i-1 (docs/models.md §3).
    std::vector<nn::NodeId> outputs;
    nn::NodeId c = m.add("dil_conv.0", nn::conv1d<Scalar>(F, o.first_kernel, nn::Padding::same), M::input());
    outputs.push_back(m.add(nn::relu<Scalar>(), c));
    for (std::size_t i = 0; i < o.dilations.size(); ++i) {
        c = m.add("dil_conv." + std::to_string(i + 1),
                  nn::conv1d<Scalar>(F, o.dilated_kernel, nn::Padding::same, o.dilations[i]), nn::sum(outputs));
        outputs.push_back(m.add(nn::relu<Scalar>(), c));
    }
    const nn::NodeId cropped = m.add(nn::crop1d<Scalar>(crop), outputs.back());

    // Per task t: its S channels of `head`, mixed with its control channels of `ctrl`.
    auto per_task = [&](nn::NodeId head, nn::NodeId ctrl, const std::string& name) {
        std::vector<nn::NodeId> parts;
        for (Index t = 0; t < T; ++t) {
            nn::NodeId part = m.add(nn::channel_slice<Scalar>(t * S, S), head);
            if (o.controls != Controls::none) {
                const Index tc = o.controls == Controls::matched ? t : 0;
                const nn::NodeId cs = m.add(nn::channel_slice<Scalar>(tc * S, S), ctrl);
                part = m.add(name + "." + std::to_string(t), nn::conv1d<Scalar>(S, 1), nn::concat({part, cs}));
            }
            parts.push_back(part);
        }
        if (parts.size() == 1) return parts[0];
        return m.add(nn::channel_slice<Scalar>(0, T * S), nn::concat(parts));
    };
    const nn::NodeId prof = m.add("prof_conv", nn::conv1d<Scalar>(T * S, o.profile_kernel), cropped);
    const nn::NodeId profile = o.controls == Controls::none && T == 1 ? prof : per_task(prof, control, "prof_mix");
    const nn::NodeId pooled = m.add(nn::global_average_pool1d<Scalar>(), cropped);
    const nn::NodeId dense = m.add("count_dense", nn::linear<Scalar>(T * S), pooled);
    const nn::NodeId control_counts =
        o.controls == Controls::none ? nn::NodeId() : m.add(nn::position_sum<Scalar>(), control);
    const nn::NodeId counts =
        o.controls == Controls::none && T == 1 ? dense : per_task(dense, control_counts, "count_mix");
    m.set_outputs({profile, counts});
    m.compile(seed);
    return m;
}

/// Starts the counts head at the data: the bias of the layer that outputs the log counts
/// (count_mix.t with controls, count_dense without) is set to mean_log_counts (one value
/// per task x strand channel, e.g. the training set's mean log(1 + total)), and the
/// count_mix weights that read the control totals are set to 0.
/// Why: the control totals enter raw (docs/models.md §4), so a random initial weight on them adds
/// weight x total (tens of log units for typical controls) to the prediction, and Adam,
/// which moves a weight by about lr per step, needs thousands of steps to undo that and to
/// carry the bias to log(1 + typical count) (5-10). The profile head is untouched.
template <class Scalar>
void initialize_counts_head(nn::Model<Scalar>& model, const ProfileModelOptions& o,
                            const std::vector<double>& mean_log_counts) {
    const Index T = o.tasks, S = o.strands;
    require(static_cast<Index>(mean_log_counts.size()) == T * S, "initialize_counts_head", "mean_log_counts.size()",
            mean_log_counts.size(), "must equal tasks x strands = ", T * S);
    for (double v : mean_log_counts)
        require(std::isfinite(v), "initialize_counts_head", "mean_log_counts", v, "must be finite");
    auto params = model.parameters();
    const auto tensors = io::model_tensors(model);
    const auto find = [&](const std::string& name) -> const io::ModelTensor& {
        for (const auto& t : tensors)
            if (t.name == name) return t;
        throw invalid_argument("initialize_counts_head: the model has no tensor '" + name +
                               "' (was it built by make_profile_model with these options?)");
    };
    if (o.controls == Controls::none) {
        const auto& bias = find("count_dense.bias");
        for (Index k = 0; k < T * S; ++k) params[bias.offset + k] = Scalar(mean_log_counts[static_cast<std::size_t>(k)]);
    } else {
        for (Index t = 0; t < T; ++t) {
            const std::string name = "count_mix." + std::to_string(t);
            const auto& weight = find(name + ".weight");  // [S, 2S, 1]: inputs = task strands, then control strands
            const auto& bias = find(name + ".bias");
            for (Index out = 0; out < S; ++out) {
                for (Index in = S; in < 2 * S; ++in) params[weight.offset + out * 2 * S + in] = Scalar(0);
                params[bias.offset + out] = Scalar(mean_log_counts[static_cast<std::size_t>(t * S + out)]);
            }
        }
    }
    model.parameters() = params;
}

}  // namespace attrprior::models
