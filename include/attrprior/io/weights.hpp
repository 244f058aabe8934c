// Save and load a model's parameters and state (BatchNorm running statistics) as a
// directory of .npy files in PyTorch's names and layouts (docs/math.md §2), plus manifest.json
// listing them, so weights move between attrprior and the PyTorch reference.
#pragma once

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

/// Reads every tensor of the model from <dir>/<name>.npy (float32 or float64 files).
/// A missing file or a shape mismatch throws io_error naming the file and both shapes;
/// nothing is changed unless every file loads.
template <class Scalar>
void load_weights(nn::Model<Scalar>& model, const std::string& dir) {
    const auto tensors = model_tensors(model);
    auto params = model.parameters();
    auto state = model.state();
    for (const ModelTensor& t : tensors) {
        const std::string path = dir + "/" + t.name + ".npy";
        if (!std::filesystem::exists(path)) {
            throw io_error(detail::concat("load_weights: missing file '", path, "' for tensor ", t.name));
        }
        const NpyArray<Scalar> a = read_npy<Scalar>(path, t.shape);
        auto& target = t.is_parameter ? params : state;
        std::copy(a.data.begin(), a.data.end(), target.data() + t.offset);
    }
    model.parameters() = params;
    model.state() = state;
}

}  // namespace attrprior::io
