// A model's architecture as data: ModelSpec names the preset that builds the model, the
// preset's options (JSON) and the shapes the built model has, so a saved model
// (io/saved_model.hpp) rebuilds from its directory alone. Also here: the built-in
// presets' options as JSON, and the registry of presets by name ("binary", "profile"
// and any the caller registers) that turns a spec back into a model.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/io/json.hpp"
#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::models {

/// The version of model.json this library writes and the newest it reads. Bump it when a
/// field is added, removed or changes meaning, and keep reading the older versions.
inline constexpr int model_format_version = 1;

/// Everything needed to rebuild a model, short of its weights.
struct ModelSpec {
    /// The model.json version the spec was read from; save_model writes the current one.
    int format = model_format_version;
    /// "binary", "profile" or a name given to register_preset.
    std::string preset;
    /// The preset's options (for the built-in presets: to_json of their options struct).
    io::Json options = io::Json::object();
    /// Per-example [length, channels] of each input (the sequence first) and each output,
    /// as the built model has them: a check that the options rebuild the same model.
    std::vector<nn::Shape> input_shapes, output_shapes;
    /// Free-form data callers keep with the model (the prior and its options, training
    /// settings, ...); saved and loaded unchanged.
    io::Json extra = io::Json::object();
};

inline bool operator==(const ModelSpec& a, const ModelSpec& b) {
    return a.format == b.format && a.preset == b.preset && a.options == b.options &&
           a.input_shapes == b.input_shapes && a.output_shapes == b.output_shapes && a.extra == b.extra;
}
inline bool operator!=(const ModelSpec& a, const ModelSpec& b) { return !(a == b); }

/// Per-example shapes of the model's inputs (the sequence first, then auxiliary inputs).
template <class Scalar>
std::vector<nn::Shape> input_shapes_of(const nn::Model<Scalar>& model) {
    std::vector<nn::Shape> shapes;
    for (std::size_t k = 0; k < model.input_count(); ++k) shapes.push_back(model.input_shape(k));
    return shapes;
}

/// Per-example shapes of the model's outputs, in output order.
template <class Scalar>
std::vector<nn::Shape> output_shapes_of(const nn::Model<Scalar>& model) {
    std::vector<nn::Shape> shapes;
    for (int node : model.outputs()) shapes.push_back(model.output_shape(node));
    return shapes;
}

/// Shapes as model.json writes them, "[[200, 4], [60, 4]]", for messages.
inline std::string shapes_to_string(const std::vector<nn::Shape>& shapes) {
    std::string text = "[";
    for (std::size_t k = 0; k < shapes.size(); ++k)
        text += detail::concat(k > 0 ? ", " : "", "[", shapes[k].length, ", ", shapes[k].channels, "]");
    return text + "]";
}

namespace detail {

using attrprior::detail::concat;

inline std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
    return text;
}

/// The JSON names of the options' enums, shared by the writer and the reader.
template <class Enum>
using EnumNames = std::vector<std::pair<const char*, Enum>>;

inline const EnumNames<nn::AttributionStatistics>& bn_attribution_names() {
    static const EnumNames<nn::AttributionStatistics> names{{"per_example", nn::AttributionStatistics::per_example},
                                                            {"batch", nn::AttributionStatistics::batch}};
    return names;
}
inline const EnumNames<Controls>& controls_names() {
    static const EnumNames<Controls> names{
        {"none", Controls::none}, {"matched", Controls::matched}, {"shared", Controls::shared}};
    return names;
}

template <class Enum>
const char* name_of(Enum value, const EnumNames<Enum>& names) {
    for (const auto& [name, v] : names)
        if (v == value) return name;
    throw invalid_argument(concat("name_of: enum value ", static_cast<int>(value), " has no JSON name"));
}

inline io::Json indices_to_json(const std::vector<Index>& values) {
    io::Json json = io::Json::array();
    for (Index v : values) json.push_back(v);
    return json;
}

/// Reads one preset's options object into its struct. Each read() marks its key as known
/// and leaves the field at its default when the key is absent; finish() rejects any other
/// key, so a misspelt option is an error, never a silently ignored setting.
/// Errors: invalid_argument "<preset> options: <key> = <value> <problem>".
class OptionsReader {
public:
    OptionsReader(const io::Json& options, const char* preset) : options_(options), preset_(preset) {
        if (!options.is_object())
            throw invalid_argument(concat(preset_, " options: must be an object, found ", options.dump()));
    }

    void read(const char* key, Index& field) {
        if (const io::Json* value = member(key)) field = integer(*value, key);
    }
    void read(const char* key, bool& field) {
        const io::Json* value = member(key);
        if (value == nullptr) return;
        if (!value->is_bool()) fail(key, *value, "must be true or false");
        field = value->as_bool();
    }
    void read(const char* key, std::vector<Index>& field) {
        const io::Json* value = member(key);
        if (value == nullptr) return;
        if (!value->is_array()) fail(key, *value, "must be an array of integers");
        std::vector<Index> values;
        for (const io::Json& item : value->as_array())
            values.push_back(integer(item, concat(key, "[", values.size(), "]")));
        field = std::move(values);
    }
    template <class Enum>
    void read(const char* key, Enum& field, const EnumNames<Enum>& names) {
        const io::Json* value = member(key);
        if (value == nullptr) return;
        std::vector<std::string> choices;
        for (const auto& [name, v] : names) {
            if (value->is_string() && value->as_string() == name) {
                field = v;
                return;
            }
            choices.push_back(concat("\"", name, "\""));
        }
        fail(key, *value, concat("must be one of ", join(choices)));
    }

    void finish() const {
        for (const auto& member : options_.as_object()) {
            if (std::find(known_.begin(), known_.end(), member.first) == known_.end())
                throw invalid_argument(concat(preset_, " options: unknown key '", member.first,
                                              "' (known keys: ", join(known_), ")"));
        }
    }

private:
    const io::Json* member(const char* key) {
        known_.emplace_back(key);
        return options_.find(key);
    }
    [[noreturn]] void fail(const std::string& key, const io::Json& value, const std::string& problem) const {
        throw invalid_argument(concat(preset_, " options: ", key, " = ", value.dump(), " ", problem));
    }
    Index integer(const io::Json& value, const std::string& key) const {
        try {
            return static_cast<Index>(value.as_int64());
        } catch (const invalid_argument&) {
            fail(key, value, "must be an integer");
        }
    }

    const io::Json& options_;
    const char* preset_;
    std::vector<std::string> known_;
};

}  // namespace detail

// ---- the built-in presets' options as JSON -------------------------------------------

/// Every field of the options, so model.json records the architecture even if a later
/// version changes a default.
inline io::Json to_json(const BinaryModelOptions& o) {
    io::Json json = io::Json::object();
    json["length"] = o.length;
    json["tasks"] = o.tasks;
    json["batchnorm"] = o.batchnorm;
    json["filters"] = o.filters;
    json["kernels"] = detail::indices_to_json(o.kernels);
    json["pool"] = o.pool;
    json["dense"] = detail::indices_to_json(o.dense);
    json["bn_attribution"] = detail::name_of(o.bn_attribution, detail::bn_attribution_names());
    return json;
}

/// The options written by to_json; a missing key keeps its default, an unknown key or a
/// value of the wrong type throws invalid_argument naming the key.
inline BinaryModelOptions binary_options_from_json(const io::Json& json) {
    BinaryModelOptions o;
    detail::OptionsReader reader(json, "binary");
    reader.read("length", o.length);
    reader.read("tasks", o.tasks);
    reader.read("batchnorm", o.batchnorm);
    reader.read("filters", o.filters);
    reader.read("kernels", o.kernels);
    reader.read("pool", o.pool);
    reader.read("dense", o.dense);
    reader.read("bn_attribution", o.bn_attribution, detail::bn_attribution_names());
    reader.finish();
    return o;
}

/// Every field of the options (see to_json(const BinaryModelOptions&)).
inline io::Json to_json(const ProfileModelOptions& o) {
    io::Json json = io::Json::object();
    json["input_length"] = o.input_length;
    json["output_length"] = o.output_length;
    json["tasks"] = o.tasks;
    json["strands"] = o.strands;
    json["controls"] = detail::name_of(o.controls, detail::controls_names());
    json["filters"] = o.filters;
    json["first_kernel"] = o.first_kernel;
    json["dilated_kernel"] = o.dilated_kernel;
    json["dilations"] = detail::indices_to_json(o.dilations);
    json["profile_kernel"] = o.profile_kernel;
    return json;
}

/// The options written by to_json (see binary_options_from_json).
inline ProfileModelOptions profile_options_from_json(const io::Json& json) {
    ProfileModelOptions o;
    detail::OptionsReader reader(json, "profile");
    reader.read("input_length", o.input_length);
    reader.read("output_length", o.output_length);
    reader.read("tasks", o.tasks);
    reader.read("strands", o.strands);
    reader.read("controls", o.controls, detail::controls_names());
    reader.read("filters", o.filters);
    reader.read("first_kernel", o.first_kernel);
    reader.read("dilated_kernel", o.dilated_kernel);
    reader.read("dilations", o.dilations);
    reader.read("profile_kernel", o.profile_kernel);
    reader.finish();
    return o;
}

// ---- ModelSpec as JSON (the content of model.json) -----------------------------------

inline io::Json to_json(const ModelSpec& spec) {
    const auto shapes = [](const std::vector<nn::Shape>& list) {
        io::Json json = io::Json::array();
        for (const nn::Shape& s : list) json.push_back(io::Json::array({s.length, s.channels}));
        return json;
    };
    io::Json json = io::Json::object();
    json["format"] = spec.format;
    json["preset"] = spec.preset;
    json["options"] = spec.options;
    json["input_shapes"] = shapes(spec.input_shapes);
    json["output_shapes"] = shapes(spec.output_shapes);
    json["extra"] = spec.extra;
    return json;
}

/// The spec in `json`, read from `source` (a file path, named by every error, which is an
/// io_error). The format is checked first: a newer file is rejected before its fields are
/// read. "options" and "extra" may be absent (then {}); unknown keys are errors.
inline ModelSpec spec_from_json(const io::Json& json, const std::string& source) {
    using detail::concat;
    const auto error = [&](const std::string& problem) { return io_error(concat(source, ": ", problem)); };
    if (!json.is_object()) throw error(concat("expected an object at the top level, found ", json.type_name()));
    const auto required = [&](const char* key) -> const io::Json& {
        if (const io::Json* value = json.find(key)) return *value;
        throw error(concat("missing key '", key, "'"));
    };
    const auto integer = [&](const io::Json& value, const std::string& field) -> Index {
        try {
            return static_cast<Index>(value.as_int64());
        } catch (const invalid_argument&) {
            throw error(concat(field, " = ", value.dump(), " must be an integer"));
        }
    };

    ModelSpec spec;
    const Index format = integer(required("format"), "format");
    if (format > model_format_version)
        throw io_error(concat(source, " has format ", format, "; this attrprior reads up to ", model_format_version,
                              " (written by a newer version?)"));
    if (format < 1) throw error(concat("format = ", format, " must be >= 1"));
    spec.format = static_cast<int>(format);

    const std::vector<std::string> known{"format", "preset", "options", "input_shapes", "output_shapes", "extra"};
    for (const auto& member : json.as_object()) {
        if (std::find(known.begin(), known.end(), member.first) == known.end())
            throw error(concat("unknown key '", member.first, "' (known keys: ", detail::join(known), ")"));
    }
    const io::Json& preset = required("preset");
    if (!preset.is_string() || preset.as_string().empty())
        throw error(concat("preset = ", preset.dump(), " must be a non-empty string"));
    spec.preset = preset.as_string();
    if (const io::Json* options = json.find("options")) {
        if (!options->is_object()) throw error(concat("options must be an object, found ", options->type_name()));
        spec.options = *options;
    }
    for (auto [key, shapes] : {std::pair{"input_shapes", &spec.input_shapes}, std::pair{"output_shapes", &spec.output_shapes}}) {
        const io::Json& list = required(key);
        if (!list.is_array() || list.as_array().empty())
            throw error(concat(key, " = ", list.dump(), " must be a non-empty array of [length, channels]"));
        for (std::size_t k = 0; k < list.as_array().size(); ++k) {
            const io::Json& pair = list.as_array()[k];
            const std::string field = concat(key, "[", k, "]");
            if (!pair.is_array() || pair.as_array().size() != 2)
                throw error(concat(field, " = ", pair.dump(), " must be [length, channels]"));
            const Index length = integer(pair.as_array()[0], field + "[0]");
            const Index channels = integer(pair.as_array()[1], field + "[1]");
            if (length < 1 || channels < 1) throw error(concat(field, " = ", pair.dump(), " must be positive"));
            shapes->push_back(nn::Shape{length, channels});
        }
    }
    if (const io::Json* extra = json.find("extra")) spec.extra = *extra;
    return spec;
}

// ---- the preset registry --------------------------------------------------------------

/// Builds a compiled model from a preset's options, its parameters drawn with `seed`.
/// Throw attrprior::invalid_argument (naming the option) for options it cannot build.
template <class Scalar>
using PresetBuilder = std::function<nn::Model<Scalar>(const io::Json& options, std::uint64_t seed)>;

namespace detail {

template <class Scalar>
const char* scalar_name() {
    return std::is_same_v<Scalar, float> ? "float" : std::is_same_v<Scalar, double> ? "double" : "another scalar";
}

/// The presets known for one Scalar type, "binary" and "profile" first. Guarded by a
/// mutex: registration usually happens at start-up, but loading may run on any thread.
template <class Scalar>
class PresetRegistry {
public:
    static PresetRegistry& instance() {
        static PresetRegistry registry;
        return registry;
    }
    void add(const std::string& name, PresetBuilder<Scalar> builder) {
        require(!name.empty(), "register_preset", "name", "\"\"", "must not be empty");
        require(static_cast<bool>(builder), "register_preset", "builder", "(empty)", "must be a function");
        const std::lock_guard<std::mutex> lock(mutex_);
        require(find_locked(name) == nullptr, "register_preset", "name", name, "is already registered for ",
                scalar_name<Scalar>());
        builders_.emplace_back(name, std::move(builder));
    }
    /// A copy, so the builder runs outside the lock (it may itself call make_model).
    PresetBuilder<Scalar> find(const std::string& name) const {
        const std::lock_guard<std::mutex> lock(mutex_);
        const PresetBuilder<Scalar>* builder = find_locked(name);
        return builder != nullptr ? *builder : PresetBuilder<Scalar>();
    }
    std::vector<std::string> names() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::string> names;
        for (const auto& entry : builders_) names.push_back(entry.first);
        return names;
    }

private:
    PresetRegistry() {
        builders_.emplace_back("binary", [](const io::Json& options, std::uint64_t seed) {
            return make_binary_model<Scalar>(binary_options_from_json(options), seed);
        });
        builders_.emplace_back("profile", [](const io::Json& options, std::uint64_t seed) {
            return make_profile_model<Scalar>(profile_options_from_json(options), seed);
        });
    }
    const PresetBuilder<Scalar>* find_locked(const std::string& name) const {
        for (const auto& entry : builders_)
            if (entry.first == name) return &entry.second;
        return nullptr;
    }

    mutable std::mutex mutex_;
    std::vector<std::pair<std::string, PresetBuilder<Scalar>>> builders_;
};

}  // namespace detail

/// Makes `name` buildable by make_model and loadable by io::load_model<Scalar>. Presets
/// are per Scalar type: register for float and double if you load both. A name can be
/// registered once (the built-in "binary" and "profile" included).
template <class Scalar>
void register_preset(const std::string& name, PresetBuilder<Scalar> builder) {
    detail::PresetRegistry<Scalar>::instance().add(name, std::move(builder));
}

/// The registered presets for Scalar, in registration order ("binary", "profile" first).
template <class Scalar>
std::vector<std::string> preset_names() {
    return detail::PresetRegistry<Scalar>::instance().names();
}

template <class Scalar>
bool has_preset(const std::string& name) {
    return static_cast<bool>(detail::PresetRegistry<Scalar>::instance().find(name));
}

/// Builds the preset's model from its options. An unknown preset throws invalid_argument
/// listing the known ones.
template <class Scalar>
nn::Model<Scalar> make_model(const std::string& preset, const io::Json& options, std::uint64_t seed = 0) {
    const PresetBuilder<Scalar> build = detail::PresetRegistry<Scalar>::instance().find(preset);
    if (!build) {
        throw invalid_argument(detail::concat("make_model: unknown preset '", preset, "' (known presets for ",
                                              detail::scalar_name<Scalar>(), ": ", detail::join(preset_names<Scalar>()),
                                              "; add one with models::register_preset)"));
    }
    return build(options, seed);
}

/// Builds the spec's model. When the spec lists shapes, the built model must have them:
/// invalid_argument otherwise, naming both.
template <class Scalar>
nn::Model<Scalar> make_model(const ModelSpec& spec, std::uint64_t seed = 0) {
    nn::Model<Scalar> model = make_model<Scalar>(spec.preset, spec.options, seed);
    const auto check = [&](const char* what, const std::vector<nn::Shape>& listed, const std::vector<nn::Shape>& built) {
        if (listed.empty() || listed == built) return;
        throw invalid_argument(detail::concat("make_model: preset '", spec.preset, "' builds ", what, " ",
                                              shapes_to_string(built), " from these options, but the spec lists ",
                                              shapes_to_string(listed)));
    };
    check("input_shapes", spec.input_shapes, input_shapes_of(model));
    check("output_shapes", spec.output_shapes, output_shapes_of(model));
    return model;
}

/// The spec of the preset with these options, its shapes taken from the model it builds.
template <class Scalar = float>
ModelSpec spec_of(const std::string& preset, io::Json options) {
    const nn::Model<Scalar> model = make_model<Scalar>(preset, options);
    ModelSpec spec;
    spec.preset = preset;
    spec.options = std::move(options);
    spec.input_shapes = input_shapes_of(model);
    spec.output_shapes = output_shapes_of(model);
    return spec;
}

inline ModelSpec spec_of(const BinaryModelOptions& options) { return spec_of("binary", to_json(options)); }
inline ModelSpec spec_of(const ProfileModelOptions& options) { return spec_of("profile", to_json(options)); }

}  // namespace attrprior::models
