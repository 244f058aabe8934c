// A trained model as a directory that rebuilds it with no other input:
//   <dir>/model.json   the ModelSpec: format, preset, options, shapes, extra (models/spec.hpp)
//   <dir>/weights/     one .npy per tensor in PyTorch's names + manifest.json (io/weights.hpp)
// save_model removes an old model.json first, writes the weights, then model.json
// atomically: a directory that has a model.json has the weights that go with it, even
// after a crash or a full disk mid-save (it then has no model.json, and load_model says so).
#pragma once

#include <algorithm>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/io/json.hpp"
#include "attrprior/io/weights.hpp"
#include "attrprior/models/spec.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::io {

/// A model read back by load_model, with the spec it was built from (extra included).
template <class Scalar>
struct SavedModel {
    nn::Model<Scalar> model;
    models::ModelSpec spec;
};

namespace detail {

inline std::string describe_tensor(const std::vector<ModelTensor>& tensors, std::size_t k) {
    if (k >= tensors.size()) return "no tensor";
    std::string shape;
    for (Index d : tensors[k].shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    return concat("'", tensors[k].name, "' [", shape, "]");
}

}  // namespace detail

/// Writes <dir>/model.json (the spec, in the current format) and <dir>/weights/ (see
/// save_weights); creates dir. Before writing anything, checks that the spec describes
/// this model: its shapes are the model's and its preset, registered for Scalar, rebuilds
/// the same tensors (invalid_argument otherwise, naming what differs), so the directory
/// loads back. Write failures are io_error naming the file and the system's reason.
template <class Scalar>
void save_model(const nn::Model<Scalar>& model, const models::ModelSpec& spec, const std::string& dir) {
    using detail::concat;
    const char* where = "save_model";
    const auto check_shapes = [&](const char* what, const std::vector<nn::Shape>& actual,
                                  const std::vector<nn::Shape>& listed) {
        if (actual == listed) return;
        throw invalid_argument(concat(where, ": the model's ", what, " ", models::shapes_to_string(actual),
                                      " differ from the spec's ", models::shapes_to_string(listed),
                                      " (make the spec with models::spec_of from the options that built the model)"));
    };
    check_shapes("input_shapes", models::input_shapes_of(model), spec.input_shapes);
    check_shapes("output_shapes", models::output_shapes_of(model), spec.output_shapes);
    const nn::Model<Scalar> rebuilt = [&] {
        try {
            return models::make_model<Scalar>(spec);
        } catch (const std::exception& e) {
            throw invalid_argument(concat(where, ": the spec would not load back: ", e.what()));
        }
    }();
    const std::vector<ModelTensor> saved = model_tensors(model), built = model_tensors(rebuilt);
    for (std::size_t k = 0; k < std::max(saved.size(), built.size()); ++k) {
        if (k < saved.size() && k < built.size() && saved[k].name == built[k].name && saved[k].shape == built[k].shape)
            continue;
        throw invalid_argument(concat(where, ": the model has ", detail::describe_tensor(saved, k), " where preset '",
                                      spec.preset, "' with the spec's options builds ",
                                      detail::describe_tensor(built, k)));
    }
    models::ModelSpec current = spec;  // the spec in memory is in this version's terms
    current.format = models::model_format_version;
    const std::string text = models::to_json(current).dump() + "\n";  // fails on NaN in extra: before any write

    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw io_error(concat(where, ": cannot create directory '", dir, "': ", ec.message()));
    const std::string spec_path = dir + "/model.json";
    std::filesystem::remove(spec_path, ec);
    if (ec) throw io_error(concat(where, ": cannot remove the previous '", spec_path, "': ", ec.message()));
    save_weights(model, dir + "/weights");
    detail::write_text_file_atomically(spec_path, text, where);
}

/// Rebuilds the model saved in dir by save_model: reads <dir>/model.json, builds its
/// preset (registered for Scalar) from its options, checks the built shapes against the
/// file's, then loads <dir>/weights/ (float32 or float64 files). Every error is an
/// io_error naming the file: a missing model.json, malformed JSON (line:column), a newer
/// format, an unknown preset or option, shapes that differ, a missing or misshapen .npy.
template <class Scalar>
SavedModel<Scalar> load_model(const std::string& dir) {
    using detail::concat;
    const std::string path = dir + "/model.json";
    if (!std::filesystem::exists(path)) {
        throw io_error(concat("load_model: missing file '", path,
                              "' (save_model writes model.json and weights/ into the model's directory)"));
    }
    models::ModelSpec spec = models::spec_from_json(read_json_file(path), path);
    if (!models::has_preset<Scalar>(spec.preset)) {
        throw io_error(concat("load_model: '", path, "': unknown preset '", spec.preset, "' (known presets for ",
                              models::detail::scalar_name<Scalar>(), ": ",
                              models::detail::join(models::preset_names<Scalar>()),
                              "; register it with models::register_preset before loading)"));
    }
    nn::Model<Scalar> model = [&] {
        try {
            return models::make_model<Scalar>(spec.preset, spec.options);
        } catch (const std::exception& e) {
            throw io_error(concat("load_model: '", path, "': ", e.what()));
        }
    }();
    const auto check_shapes = [&](const char* what, const std::vector<nn::Shape>& listed,
                                  const std::vector<nn::Shape>& built) {
        if (listed == built) return;
        throw io_error(concat("load_model: '", path, "': ", what, " ", models::shapes_to_string(listed),
                              " differ from ", models::shapes_to_string(built), " that preset '", spec.preset,
                              "' builds from the file's options"));
    };
    check_shapes("input_shapes", spec.input_shapes, models::input_shapes_of(model));
    check_shapes("output_shapes", spec.output_shapes, models::output_shapes_of(model));
    load_weights(model, dir + "/weights");
    return {std::move(model), std::move(spec)};
}

}  // namespace attrprior::io
