// Save and load a model's parameters and state (BatchNorm running statistics) as a
// directory of .npy files in PyTorch's names and layouts (docs/math.md §2), plus manifest.json
// listing them, so weights move between attrprior and the PyTorch reference.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/io/json.hpp"
#include "attrprior/io/npy.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::io {

/// One tensor of a model: its PyTorch name, shape and where it lives in the flat buffers.
struct ModelTensor {
    std::string name;          // "<module path>.<tensor>", e.g. "conv.0.weight"
    std::vector<Index> shape;  // PyTorch shape
    bool is_parameter;         // false: state buffer
    Index offset;              // into parameters() or state()
    Index size;
};

/// Every named tensor of the model, parameters in PyTorch's named_parameters() order,
/// then state in named_buffers() order.
template <class Scalar>
std::vector<ModelTensor> model_tensors(const nn::Model<Scalar>& model) {
    std::vector<ModelTensor> params, state;
    for (int i = 0; i < static_cast<int>(model.node_count()); ++i) {
        for (const nn::TensorInfo& t : model.layer(i).tensors()) {
            Index size = 1;
            for (Index d : t.shape) size *= d;
            const std::string name = model.node_name(i) + "." + t.name;
            if (t.is_parameter) {
                params.push_back({name, t.shape, true, model.parameter_offset(i) + t.offset, size});
            } else {
                state.push_back({name, t.shape, false, model.state_offset(i) + t.offset, size});
            }
        }
    }
    params.insert(params.end(), state.begin(), state.end());
    return params;
}

/// Writes <dir>/<name>.npy for every tensor and <dir>/manifest.json. Creates dir.
template <class Scalar>
void save_weights(const nn::Model<Scalar>& model, const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw io_error(detail::concat("save_weights: cannot create directory '", dir, "': ", ec.message()));
    std::string params_json, buffers_json;
    for (const ModelTensor& t : model_tensors(model)) {
        const Scalar* data = (t.is_parameter ? model.parameters().data() : model.state().data()) + t.offset;
        write_npy(dir + "/" + t.name + ".npy", data, t.shape);
        std::string& list = t.is_parameter ? params_json : buffers_json;
        list += (list.empty() ? "\n  \"" : ",\n  \"") + t.name + "\"";
    }
    // Checked after the close (a full disk fails at the flush), with the system's reason.
    detail::write_text_file(dir + "/manifest.json",
                            detail::concat("{\n \"format\": \"attrprior weights 1\",\n \"parameters\": [", params_json,
                                           "\n ],\n \"buffers\": [", buffers_json, "\n ]\n}\n"),
                            "save_weights");
}

namespace detail {

/// The names listed under `key` ("parameters" or "buffers") of a weights manifest; throws
/// io_error naming the manifest when the key is missing or not an array of strings.
inline std::vector<std::string> manifest_names(const Json& manifest, const char* key, const std::string& path) {
    const Json* list = manifest.is_object() ? manifest.find(key) : nullptr;
    if (list == nullptr || !list->is_array()) {
        throw io_error(concat("load_weights: '", path, "' has no \"", key,
                              "\" list of tensor names (is it a weights directory written by save_weights?)"));
    }
    std::vector<std::string> names;
    for (const Json& item : list->as_array()) {
        if (!item.is_string()) {
            throw io_error(concat("load_weights: '", path, "': \"", key, "\" holds ", item.type_name(),
                                  " where a tensor name is expected"));
        }
        names.push_back(item.as_string());
    }
    return names;
}

/// Throws io_error unless the manifest's `key` list holds exactly the model's tensors of that
/// kind (`expected`), naming the first one listed but not in the model and the first one of
/// the model not listed. docs/reliability.md, "Weights".
inline void check_manifest_names(const std::vector<std::string>& listed, const std::vector<std::string>& expected,
                                 const char* key, const std::string& path) {
    for (const std::string& name : listed) {
        if (std::find(expected.begin(), expected.end(), name) == expected.end()) {
            throw io_error(concat("load_weights: '", path, "' lists ", key, " tensor '", name,
                                  "', which the model does not have (weights of another model?)"));
        }
        if (std::count(listed.begin(), listed.end(), name) > 1) {
            throw io_error(concat("load_weights: '", path, "' lists ", key, " tensor '", name, "' twice"));
        }
    }
    for (const std::string& name : expected) {
        if (std::find(listed.begin(), listed.end(), name) == listed.end()) {
            throw io_error(concat("load_weights: '", path, "' does not list the model's ", key, " tensor '", name,
                                  "' (weights of another model, or an incomplete save?)"));
        }
    }
}

}  // namespace detail

/// Reads every tensor of the model from <dir>/<name>.npy (float32 or float64 files), after
/// checking <dir>/manifest.json (docs/reliability.md, "Weights"): it must exist (save_weights
/// writes it last, so a missing one means an interrupted save) and its "parameters" and
/// "buffers" lists must name exactly the model's tensors. Then every file must exist, have
/// the model's shape, a float dtype (an integer or bool file is refused: weights are never
/// integers, such a file is not what was saved) and only finite values. Every failure is an
/// io_error naming the file and tensor (numeric_error for a NaN or infinite value, with its
/// index); nothing is changed unless every file loads.
template <class Scalar>
void load_weights(nn::Model<Scalar>& model, const std::string& dir) {
    const auto tensors = model_tensors(model);
    const std::string manifest_path = dir + "/manifest.json";
    if (!std::filesystem::exists(manifest_path)) {
        throw io_error(detail::concat("load_weights: missing file '", manifest_path,
                                      "' (save_weights writes it last: the save was interrupted, or '", dir,
                                      "' is not a weights directory)"));
    }
    const Json manifest = read_json_file(manifest_path);
    if (const Json* format = manifest.is_object() ? manifest.find("format") : nullptr) {
        if (!format->is_string() || format->as_string() != "attrprior weights 1") {
            throw io_error(detail::concat("load_weights: '", manifest_path,
                                          "' has an unknown \"format\" (this attrprior reads \"attrprior weights 1\")"));
        }
    }
    std::vector<std::string> param_names, buffer_names;
    for (const ModelTensor& t : tensors) (t.is_parameter ? param_names : buffer_names).push_back(t.name);
    detail::check_manifest_names(detail::manifest_names(manifest, "parameters", manifest_path), param_names,
                                 "parameter", manifest_path);
    detail::check_manifest_names(detail::manifest_names(manifest, "buffers", manifest_path), buffer_names, "buffer",
                                 manifest_path);

    auto params = model.parameters();
    auto state = model.state();
    for (const ModelTensor& t : tensors) {
        const std::string path = dir + "/" + t.name + ".npy";
        if (!std::filesystem::exists(path)) {
            throw io_error(detail::concat("load_weights: missing file '", path, "' for tensor ", t.name));
        }
        const NpyArray<Scalar> a = read_npy<Scalar>(path, t.shape);
        if (a.stored_type != NpyType::float32 && a.stored_type != NpyType::float64) {
            throw io_error(detail::concat("load_weights: '", path, "' (tensor ", t.name, ") stores dtype '",
                                          detail::npy_descr(a.stored_type),
                                          "'; weights must be float32 or float64"));
        }
        for (std::size_t i = 0; i < a.data.size(); ++i) {
            if (!std::isfinite(a.data[i])) {
                throw numeric_error(detail::concat("load_weights: '", path, "' (tensor ", t.name, ") holds ",
                                                   a.data[i], " at flat index ", i,
                                                   "; weights must be finite (was the model saved after "
                                                   "training diverged?)"));
            }
        }
        auto& target = t.is_parameter ? params : state;
        std::copy(a.data.begin(), a.data.end(), target.data() + t.offset);
    }
    model.parameters() = params;
    model.state() = state;
}

}  // namespace attrprior::io
