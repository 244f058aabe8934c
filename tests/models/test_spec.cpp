// Tests of attrprior/models/spec.hpp: the presets' options as JSON (every field, defaults,
// unknown keys, wrong types), ModelSpec as JSON (model.json's content and its errors), the
// preset registry and spec_of's shapes.
#include "attrprior/models/spec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/pooling.hpp"
#include "../support/expect_error.hpp"

namespace ap = attrprior;
using ap::Index;
using ap::io::Json;
using ap::io::parse_json;
using ap::models::Controls;
using ap::models::ModelSpec;
using ap::nn::Shape;
using ap::testing::error_message;
using ap::testing::expect_invalid;
using ::testing::HasSubstr;

namespace {

ap::models::BinaryModelOptions small_binary() {
    ap::models::BinaryModelOptions o;
    o.length = 200;
    o.filters = 8;
    o.dense = {10, 5};
    return o;
}

/// Matched controls, 2 tasks x 2 strands; the default dilations trim 346 positions.
ap::models::ProfileModelOptions small_profile() {
    ap::models::ProfileModelOptions o;
    o.input_length = 346 + 60;
    o.output_length = 60;
    o.tasks = 2;
    o.strands = 2;
    o.controls = Controls::matched;
    o.filters = 8;
    return o;
}

/// The message of the io_error that reading `text` as model.json (source "m.json") throws.
std::string spec_error(const std::string& text) {
    return error_message<ap::io_error>([&] { ap::models::spec_from_json(parse_json(text), "m.json"); });
}

/// A user preset: Conv1d(4 -> width, k 3) -> global average -> Linear(width -> 1).
template <class Scalar>
ap::nn::Model<Scalar> make_pooled_conv(const Json& options, std::uint64_t seed) {
    const Index length = options.find("length")->as_int64(), width = options.find("width")->as_int64();
    ap::nn::Model<Scalar> model(Shape{length, 4});
    model.add("conv", std::make_unique<ap::nn::Conv1d<Scalar>>(4, width, 3));
    model.add("pool", std::make_unique<ap::nn::GlobalAveragePool1d<Scalar>>());
    model.add("out", std::make_unique<ap::nn::Linear<Scalar>>(width, 1));
    model.compile(seed);
    return model;
}

}  // namespace

TEST(BinaryOptionsJson, WritesEveryFieldWithEnumsAsStrings) {
    EXPECT_EQ(ap::models::to_json(ap::models::BinaryModelOptions()).dump(),
              "{\n"
              "  \"length\": 1000,\n"
              "  \"tasks\": 1,\n"
              "  \"batchnorm\": true,\n"
              "  \"filters\": 64,\n"
              "  \"kernels\": [15, 15, 13],\n"
              "  \"pool\": 40,\n"
              "  \"dense\": [50, 15],\n"
              "  \"bn_attribution\": \"per_example\"\n"
              "}");
}

TEST(BinaryOptionsJson, RoundTripsEveryField) {
    ap::models::BinaryModelOptions o;
    o.length = 321;
    o.tasks = 3;
    o.batchnorm = false;
    o.filters = 7;
    o.kernels = {5, 9};
    o.pool = 11;
    o.dense = {};
    o.bn_attribution = ap::nn::AttributionStatistics::batch;
    const auto back = ap::models::binary_options_from_json(parse_json(ap::models::to_json(o).dump()));
    EXPECT_EQ(back.length, 321);
    EXPECT_EQ(back.tasks, 3);
    EXPECT_FALSE(back.batchnorm);
    EXPECT_EQ(back.filters, 7);
    EXPECT_EQ(back.kernels, (std::vector<Index>{5, 9}));
    EXPECT_EQ(back.pool, 11);
    EXPECT_TRUE(back.dense.empty());
    EXPECT_EQ(back.bn_attribution, ap::nn::AttributionStatistics::batch);
}

TEST(BinaryOptionsJson, MissingKeysTakeTheDefaults) {
    const auto o = ap::models::binary_options_from_json(parse_json(R"({"filters": 8, "kernels": [3]})"));
    const ap::models::BinaryModelOptions defaults;
    EXPECT_EQ(o.filters, 8);
    EXPECT_EQ(o.kernels, (std::vector<Index>{3}));
    EXPECT_EQ(o.length, defaults.length);
    EXPECT_EQ(o.dense, defaults.dense);
    EXPECT_EQ(o.bn_attribution, defaults.bn_attribution);
    EXPECT_EQ(ap::models::binary_options_from_json(Json::object()).pool, defaults.pool);
}

TEST(BinaryOptionsJson, UnknownKeysAndWrongTypesAreErrorsNamingTheKey) {
    const auto from = [](const char* text) { return [=] { ap::models::binary_options_from_json(parse_json(text)); }; };
    expect_invalid(from(R"({"filters": 8, "filterz": 9})"),
                   "binary options: unknown key 'filterz' (known keys: length, tasks, batchnorm, filters, kernels, "
                   "pool, dense, bn_attribution)");
    expect_invalid(from(R"({"filters": "8"})"), "binary options: filters = \"8\" must be an integer");
    expect_invalid(from(R"({"filters": 8.5})"), "binary options: filters = 8.5 must be an integer");
    expect_invalid(from(R"({"kernels": 15})"), "binary options: kernels = 15 must be an array of integers");
    expect_invalid(from(R"({"kernels": [15, "x"]})"), "binary options: kernels[1] = \"x\" must be an integer");
    expect_invalid(from(R"({"batchnorm": 1})"), "binary options: batchnorm = 1 must be true or false");
    expect_invalid(from(R"({"bn_attribution": "median"})"),
                   "binary options: bn_attribution = \"median\" must be one of \"per_example\", \"batch\"");
    expect_invalid(from("[1]"), "binary options: must be an object");
    EXPECT_EQ(ap::models::binary_options_from_json(parse_json(R"({"filters": 8.0})")).filters, 8);
}

TEST(ProfileOptionsJson, WritesAndRoundTripsEveryField) {
    EXPECT_EQ(ap::models::to_json(ap::models::ProfileModelOptions()).dump(),
              "{\n"
              "  \"input_length\": 1346,\n"
              "  \"output_length\": 1000,\n"
              "  \"tasks\": 1,\n"
              "  \"strands\": 2,\n"
              "  \"controls\": \"matched\",\n"
              "  \"filters\": 64,\n"
              "  \"first_kernel\": 21,\n"
              "  \"dilated_kernel\": 3,\n"
              "  \"dilations\": [2, 4, 8, 16, 32, 64],\n"
              "  \"profile_kernel\": 75\n"
              "}");
    ap::models::ProfileModelOptions o;
    o.input_length = 60;
    o.output_length = 40;
    o.tasks = 3;
    o.strands = 1;
    o.filters = 5;
    o.first_kernel = 5;
    o.dilated_kernel = 5;
    o.dilations = {2, 4};
    o.profile_kernel = 7;
    for (Controls controls : {Controls::none, Controls::matched, Controls::shared}) {
        o.controls = controls;
        const auto back = ap::models::profile_options_from_json(parse_json(ap::models::to_json(o).dump()));
        EXPECT_EQ(back.input_length, 60);
        EXPECT_EQ(back.output_length, 40);
        EXPECT_EQ(back.tasks, 3);
        EXPECT_EQ(back.strands, 1);
        EXPECT_EQ(back.controls, controls);
        EXPECT_EQ(back.filters, 5);
        EXPECT_EQ(back.first_kernel, 5);
        EXPECT_EQ(back.dilated_kernel, 5);
        EXPECT_EQ(back.dilations, (std::vector<Index>{2, 4}));
        EXPECT_EQ(back.profile_kernel, 7);
    }
    EXPECT_EQ(ap::models::to_json(o).find("controls")->as_string(), "shared");
}

TEST(ProfileOptionsJson, ErrorsNameTheKey) {
    const auto from = [](const char* text) { return [=] { ap::models::profile_options_from_json(parse_json(text)); }; };
    expect_invalid(from(R"({"control": "none"})"), "profile options: unknown key 'control'");
    expect_invalid(from(R"({"controls": "both"})"),
                   "profile options: controls = \"both\" must be one of \"none\", \"matched\", \"shared\"");
    expect_invalid(from(R"({"dilations": [2, 4.5]})"), "profile options: dilations[1] = 4.5 must be an integer");
}

TEST(SpecOf, FillsTheShapesOfTheBuiltModel) {
    const ModelSpec binary = ap::models::spec_of(small_binary());
    EXPECT_EQ(binary.format, 1);
    EXPECT_EQ(binary.preset, "binary");
    EXPECT_EQ(binary.options, ap::models::to_json(small_binary()));
    EXPECT_EQ(binary.input_shapes, (std::vector<Shape>{{200, 4}}));
    EXPECT_EQ(binary.output_shapes, (std::vector<Shape>{{1, 1}}));
    EXPECT_EQ(binary.extra, Json::object());

    const ModelSpec profile = ap::models::spec_of(small_profile());
    EXPECT_EQ(profile.preset, "profile");
    EXPECT_EQ(profile.input_shapes, (std::vector<Shape>{{406, 4}, {60, 4}}));  // sequence, matched controls
    EXPECT_EQ(profile.output_shapes, (std::vector<Shape>{{60, 4}, {1, 4}}));   // profile logits, log counts
    EXPECT_EQ(ap::models::shapes_to_string(profile.input_shapes), "[[406, 4], [60, 4]]");
}

TEST(ModelSpecJson, RoundTrips) {
    ModelSpec spec = ap::models::spec_of(small_profile());
    spec.extra["prior"] = parse_json(R"({"name": "fourier", "freq_limit": 150, "softness": 0.2})");
    spec.extra["lambda"] = 1e-3;
    const Json json = ap::models::to_json(spec);
    std::vector<std::string> keys;
    for (const auto& member : json.as_object()) keys.push_back(member.first);
    EXPECT_THAT(keys, ::testing::ElementsAre("format", "preset", "options", "input_shapes", "output_shapes", "extra"));
    EXPECT_EQ(ap::models::spec_from_json(parse_json(json.dump()), "m.json"), spec);

    // "options" and "extra" may be left out.
    const ModelSpec bare = ap::models::spec_from_json(
        parse_json(R"({"format": 1, "preset": "binary", "input_shapes": [[1000, 4]], "output_shapes": [[1, 1]]})"),
        "m.json");
    EXPECT_EQ(bare.options, Json::object());
    EXPECT_EQ(bare.extra, Json::object());
    EXPECT_EQ(ap::models::make_model<float>(bare).parameter_count(),
              ap::models::make_binary_model<float>().parameter_count());
}

TEST(ModelSpecJson, ErrorsNameTheSourceAndTheField) {
    const std::string shapes = R"("input_shapes": [[200, 4]], "output_shapes": [[1, 1]])";
    EXPECT_THAT(spec_error(R"({"format": 2, "preset": "binary", "future": true})"),
                HasSubstr("m.json has format 2; this attrprior reads up to 1"));
    EXPECT_THAT(spec_error(R"({"format": 0, "preset": "binary", )" + shapes + "}"),
                HasSubstr("m.json: format = 0 must be >= 1"));
    EXPECT_THAT(spec_error(R"({"format": "1", "preset": "binary", )" + shapes + "}"),
                HasSubstr("m.json: format = \"1\" must be an integer"));
    EXPECT_THAT(spec_error(R"({"preset": "binary", )" + shapes + "}"), HasSubstr("m.json: missing key 'format'"));
    EXPECT_THAT(spec_error(R"({"format": 1, )" + shapes + "}"), HasSubstr("m.json: missing key 'preset'"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": 3, )" + shapes + "}"),
                HasSubstr("m.json: preset = 3 must be a non-empty string"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": "binary", "option": {}, )" + shapes + "}"),
                HasSubstr("m.json: unknown key 'option' (known keys: format, preset, options, input_shapes, "
                          "output_shapes, extra)"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": "binary", "options": [], )" + shapes + "}"),
                HasSubstr("m.json: options must be an object, found an array"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": "binary", "input_shapes": [[200, 4]]})"),
                HasSubstr("m.json: missing key 'output_shapes'"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": "binary", "input_shapes": [[200, 4, 1]], "output_shapes": [[1, 1]]})"),
                HasSubstr("m.json: input_shapes[0] = [200, 4, 1] must be [length, channels]"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": "binary", "input_shapes": [[200, 4]], "output_shapes": [[1, 0]]})"),
                HasSubstr("m.json: output_shapes[0] = [1, 0] must be positive"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": "binary", "input_shapes": [[200, "4"]], "output_shapes": [[1, 1]]})"),
                HasSubstr("m.json: input_shapes[0][1] = \"4\" must be an integer"));
    EXPECT_THAT(spec_error(R"({"format": 1, "preset": "binary", "input_shapes": [], "output_shapes": [[1, 1]]})"),
                HasSubstr("m.json: input_shapes = [] must be a non-empty array"));
    EXPECT_THAT(spec_error("[]"), HasSubstr("m.json: expected an object at the top level, found an array"));
}

TEST(PresetRegistry, KnowsTheBuiltInPresets) {
    const auto names = ap::models::preset_names<float>();
    ASSERT_GE(names.size(), 2u);
    EXPECT_EQ(names[0], "binary");
    EXPECT_EQ(names[1], "profile");
    EXPECT_TRUE(ap::models::has_preset<double>("profile"));
    EXPECT_FALSE(ap::models::has_preset<double>("resnet"));

    const auto model = ap::models::make_model<double>("binary", ap::models::to_json(small_binary()), 3);
    const auto direct = ap::models::make_binary_model<double>(small_binary(), 3);
    EXPECT_EQ(model.parameters(), direct.parameters());  // same builder, same seed

    expect_invalid([] { ap::models::make_model<float>("resnet", Json::object()); },
                   "make_model: unknown preset 'resnet' (known presets for float: binary, profile");
    expect_invalid([] { ap::models::make_model<float>("binary", parse_json(R"({"lenght": 200})")); },
                   "binary options: unknown key 'lenght'");
    expect_invalid([] { ap::models::register_preset<float>("binary", &make_pooled_conv<float>); },
                   "register_preset: name = binary is already registered for float");
    expect_invalid([] { ap::models::register_preset<float>("", &make_pooled_conv<float>); },
                   "register_preset: name = \"\" must not be empty");
    expect_invalid([] { ap::models::register_preset<float>("empty", ap::models::PresetBuilder<float>()); },
                   "register_preset: builder = (empty) must be a function");
}

TEST(PresetRegistry, BuildsARegisteredPresetForItsScalarType) {
    ap::models::register_preset<double>("pooled_conv", &make_pooled_conv<double>);
    EXPECT_TRUE(ap::models::has_preset<double>("pooled_conv"));
    EXPECT_FALSE(ap::models::has_preset<float>("pooled_conv"));  // registries are per Scalar
    EXPECT_EQ(ap::models::preset_names<double>().back(), "pooled_conv");

    const ModelSpec spec = ap::models::spec_of<double>("pooled_conv", parse_json(R"({"length": 50, "width": 6})"));
    EXPECT_EQ(spec.input_shapes, (std::vector<Shape>{{50, 4}}));
    EXPECT_EQ(spec.output_shapes, (std::vector<Shape>{{1, 1}}));
    const auto model = ap::models::make_model<double>(spec, 1);
    EXPECT_EQ(model.parameter_count(), 6 * 4 * 3 + 6 + 6 + 1);
    expect_invalid([&] { ap::models::make_model<float>(spec); }, "unknown preset 'pooled_conv' (known presets for float");
}

TEST(MakeModel, ShapesListedInTheSpecMustMatchTheBuiltModel) {
    ModelSpec spec = ap::models::spec_of(small_binary());
    spec.output_shapes = {{1, 2}};
    expect_invalid([&] { ap::models::make_model<float>(spec); },
                   "make_model: preset 'binary' builds output_shapes [[1, 1]] from these options, but the spec "
                   "lists [[1, 2]]");
    spec.output_shapes.clear();  // no shapes listed: nothing to check
    EXPECT_NO_THROW(ap::models::make_model<float>(spec));
}
