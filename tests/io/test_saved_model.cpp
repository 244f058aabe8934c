// Tests of attrprior/io/saved_model.hpp: trained binary and profile models (and a
// user-registered preset) reload from their directory alone, bit for bit; every way a
// directory can be wrong is an error naming the file; save_model refuses a spec that
// does not describe the model.
#include "attrprior/io/saved_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/pooling.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"
#include "../support/expect_error.hpp"

namespace ap = attrprior;
namespace fs = std::filesystem;
using ap::Index;
using ap::io::Json;
using ap::models::ModelSpec;
using ap::testing::error_message;
using ::testing::HasSubstr;

namespace {

/// A fresh directory path under the GoogleTest temp dir, unique per test and process
/// (not created: save_model creates it).
std::string temp_dir(const std::string& name = "model") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string dir = ::testing::TempDir() + "attrprior_saved_" + info->test_suite_name() + "_" + info->name() +
                            "_" + std::to_string(static_cast<long>(::getpid())) + "_" + name;
    fs::remove_all(dir);
    return dir;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A copy of the saved directory `from` whose model.json has `before` replaced by `after`.
std::string edited_copy(const std::string& from, const std::string& before, const std::string& after) {
    const std::string to = temp_dir("edited");
    fs::copy(from, to, fs::copy_options::recursive);
    std::string text = read_text(to + "/model.json");
    const std::size_t at = text.find(before);
    EXPECT_NE(at, std::string::npos) << "'" << before << "' is not in model.json:\n" << text;
    if (at != std::string::npos) text.replace(at, before.size(), after);
    std::ofstream(to + "/model.json", std::ios::binary | std::ios::trunc) << text;
    return to;
}

std::vector<float> one_hot(Index B, Index L, std::mt19937& gen) {
    std::uniform_int_distribution<int> base(0, 3);
    std::vector<float> x(static_cast<std::size_t>(B * L * 4), 0.0f);
    for (Index i = 0; i < B * L; ++i) x[static_cast<std::size_t>(i * 4 + base(gen))] = 1.0f;
    return x;
}

template <class Vector>
void expect_same_bits(const Vector& a, const Vector& b, const char* what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    if (a.size() == 0) return;  // memcmp must not see the null data of an empty vector
    EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(a[0]) * static_cast<std::size_t>(a.size())), 0) << what;
}

/// Parameters, state and every output of an eval-mode forward are bitwise equal.
template <class Scalar>
void expect_same_model(ap::nn::Model<Scalar>& a, ap::nn::Model<Scalar>& b,
                       const std::vector<ap::ConstTensor3<Scalar>>& inputs) {
    expect_same_bits(a.parameters(), b.parameters(), "parameters");
    expect_same_bits(a.state(), b.state(), "state");
    a.forward(inputs, ap::nn::Mode::eval);
    b.forward(inputs, ap::nn::Mode::eval);
    ASSERT_EQ(a.outputs().size(), b.outputs().size());
    for (std::size_t k = 0; k < a.outputs().size(); ++k) {
        const auto out_a = a.output(k), out_b = b.output(k);
        ASSERT_EQ(out_a.size(), out_b.size());
        ASSERT_GT(out_a.size(), 0);
        EXPECT_EQ(std::memcmp(out_a.data, out_b.data, sizeof(Scalar) * static_cast<std::size_t>(out_a.size())), 0)
            << "output " << k;
        EXPECT_EQ(out_a(0, 0, 0), out_b(0, 0, 0));
    }
}

ap::models::BinaryModelOptions small_binary() {
    ap::models::BinaryModelOptions o;
    o.length = 200;
    o.filters = 8;
    o.dense = {10, 5};
    return o;
}

/// The binary preset (seed 3) after a few Adam steps with the Fourier prior, so its
/// BatchNorm running statistics are no longer the initial 0 and 1.
ap::nn::Model<float> trained_binary() {
    auto model = ap::models::make_binary_model<float>(small_binary(), 3);
    ap::priors::FourierPriorOptions po;
    po.freq_limit = 20;
    ap::priors::FourierPrior<float> prior(po);
    ap::train::ClassBalancedBCE<float> loss;
    ap::train::DoubleBackprop<float> step(1.0f);
    ap::train::Adam<float> adam(ap::train::AdamOptions{1e-2});
    std::mt19937 gen(11);
    const Index B = 8, L = 200;
    std::vector<float> y(B);
    for (Index b = 0; b < B; ++b) y[static_cast<std::size_t>(b)] = b % 2 == 0 ? 1.0f : 0.0f;
    const ap::ConstTensor3<float> yv(y.data(), B, 1, 1);
    for (int it = 0; it < 3; ++it) {
        const std::vector<float> x = one_hot(B, L, gen);
        step.step(model, prior, loss, {x.data(), B, L, 4}, yv, ap::train::status_from_labels(yv));
        adam.step(model.parameters(), model.gradients());
    }
    return model;
}

/// A trained binary model saved in a fresh directory (returned).
std::string saved_binary() {
    const std::string dir = temp_dir("binary");
    ap::io::save_model(trained_binary(), ap::models::spec_of(small_binary()), dir);
    return dir;
}

/// A user preset: Conv1d(4 -> width, k 3) -> global average -> Linear(width -> 1).
template <class Scalar>
ap::nn::Model<Scalar> make_pooled_conv(const Json& options, std::uint64_t seed) {
    const Index length = options.find("length")->as_int64(), width = options.find("width")->as_int64();
    ap::nn::Model<Scalar> model(ap::nn::Shape{length, 4});
    model.add("conv", std::make_unique<ap::nn::Conv1d<Scalar>>(4, width, 3));
    model.add("pool", std::make_unique<ap::nn::GlobalAveragePool1d<Scalar>>());
    model.add("out", std::make_unique<ap::nn::Linear<Scalar>>(width, 1));
    model.compile(seed);
    return model;
}

}  // namespace

TEST(SavedModel, TrainedBinaryModelReloadsBitForBit) {
    auto model = trained_binary();
    const auto initial = ap::models::make_binary_model<float>(small_binary(), 3);
    ASSERT_NE(model.state(), initial.state()) << "training should move the BatchNorm running statistics";

    ModelSpec spec = ap::models::spec_of(small_binary());
    spec.extra["prior"] = ap::io::parse_json(R"({"name": "fourier", "freq_limit": 20, "softness": 0.2})");
    spec.extra["lambda"] = 1.0;
    spec.extra["adam_lr"] = 1e-2;
    const std::string dir = temp_dir();
    ap::io::save_model(model, spec, dir);
    EXPECT_TRUE(fs::exists(dir + "/model.json"));
    EXPECT_TRUE(fs::exists(dir + "/weights/manifest.json"));
    EXPECT_TRUE(fs::exists(dir + "/weights/conv.0.weight.npy"));
    EXPECT_TRUE(fs::exists(dir + "/weights/conv.2.running_mean.npy"));
    for (const auto& entry : fs::directory_iterator(dir))
        EXPECT_THAT(entry.path().filename().string(), ::testing::AnyOf("model.json", "weights"));

    auto loaded = ap::io::load_model<float>(dir);  // from the directory alone
    EXPECT_EQ(loaded.spec, spec);
    EXPECT_EQ(loaded.spec.extra.find("adam_lr")->as_double(), 1e-2);
    std::mt19937 gen(5);
    const std::vector<float> x = one_hot(6, 200, gen);
    expect_same_model(model, loaded.model, {{x.data(), 6, 200, 4}});
}

TEST(SavedModel, ModelJsonLooksAsDocumented) {
    const std::string dir = temp_dir();
    ap::io::save_model(ap::models::make_binary_model<float>(small_binary(), 3), ap::models::spec_of(small_binary()), dir);
    EXPECT_EQ(read_text(dir + "/model.json"),
              "{\n"
              "  \"format\": 1,\n"
              "  \"preset\": \"binary\",\n"
              "  \"options\": {\n"
              "    \"length\": 200,\n"
              "    \"tasks\": 1,\n"
              "    \"batchnorm\": true,\n"
              "    \"filters\": 8,\n"
              "    \"kernels\": [15, 15, 13],\n"
              "    \"pool\": 40,\n"
              "    \"dense\": [10, 5],\n"
              "    \"bn_attribution\": \"per_example\"\n"
              "  },\n"
              "  \"input_shapes\": [\n"
              "    [200, 4]\n"
              "  ],\n"
              "  \"output_shapes\": [\n"
              "    [1, 1]\n"
              "  ],\n"
              "  \"extra\": {}\n"
              "}\n");
}

TEST(SavedModel, TrainedProfileModelWithControlsReloadsBitForBit) {
    ap::models::ProfileModelOptions options;  // the paper's dilations trim 346 positions
    options.input_length = 346 + 60;
    options.output_length = 60;
    options.tasks = 2;
    options.strands = 2;
    options.controls = ap::models::Controls::matched;
    options.filters = 8;
    auto model = ap::models::make_profile_model<float>(options, 3);

    const Index B = 4, L = options.input_length, O = options.output_length, K = 2 * 2;
    std::mt19937 gen(7);
    std::uniform_int_distribution<int> reads(0, 5);
    std::vector<float> control(static_cast<std::size_t>(B * O * K)), counts(control.size());
    for (float& v : control) v = static_cast<float>(reads(gen));
    for (float& v : counts) v = static_cast<float>(reads(gen));
    ap::priors::FourierPriorOptions po;
    po.freq_limit = 20;
    ap::priors::FourierPrior<float> prior(po);
    ap::train::ProfileLoss<float> loss;
    ap::train::DoubleBackprop<float, ap::train::ProfileTarget> step(1.0f);
    ap::train::Adam<float> adam(ap::train::AdamOptions{1e-2});
    const Eigen::VectorXi status = Eigen::VectorXi::Ones(B);
    for (int it = 0; it < 2; ++it) {
        const std::vector<float> x = one_hot(B, L, gen);
        step.step(model, prior, loss, {{x.data(), B, L, 4}, {control.data(), B, O, K}}, {counts.data(), B, O, K},
                  status);
        adam.step(model.parameters(), model.gradients());
    }

    const ModelSpec spec = ap::models::spec_of(options);
    const std::string dir = temp_dir();
    ap::io::save_model(model, spec, dir);
    auto loaded = ap::io::load_model<float>(dir);
    EXPECT_EQ(loaded.spec, spec);
    EXPECT_EQ(loaded.model.input_count(), 2u);  // the sequence and the control tracks
    const std::vector<float> x = one_hot(B, L, gen);
    expect_same_model(model, loaded.model, {{x.data(), B, L, 4}, {control.data(), B, O, K}});
}

TEST(SavedModel, UserRegisteredPresetRoundTrips) {
    ap::models::register_preset<double>("pooled_conv", &make_pooled_conv<double>);
    const Json options = ap::io::parse_json(R"({"length": 50, "width": 6})");
    auto model = ap::models::make_model<double>("pooled_conv", options, 5);
    std::mt19937_64 gen(9);
    std::normal_distribution<double> noise(0.0, 0.1);
    for (Index i = 0; i < model.parameter_count(); ++i) model.parameters()[i] += noise(gen);  // "trained"

    const std::string dir = temp_dir();
    ap::io::save_model(model, ap::models::spec_of<double>("pooled_conv", options), dir);
    auto loaded = ap::io::load_model<double>(dir);
    EXPECT_EQ(loaded.spec.preset, "pooled_conv");
    EXPECT_EQ(loaded.spec.options, options);
    std::vector<double> x(3 * 50 * 4);
    for (double& v : x) v = noise(gen);
    expect_same_model(model, loaded.model, {{x.data(), 3, 50, 4}});

    // The registry is per Scalar: loading as float needs a float registration.
    EXPECT_THAT(error_message<ap::io_error>([&] { ap::io::load_model<float>(dir); }),
                HasSubstr("unknown preset 'pooled_conv' (known presets for float: binary, profile; register it"));
}

TEST(SavedModel, LoadsAFloatSaveAsDouble) {
    const std::string dir = saved_binary();
    const auto as_float = ap::io::load_model<float>(dir);
    const auto as_double = ap::io::load_model<double>(dir);
    EXPECT_EQ(Eigen::VectorXf(as_double.model.parameters().cast<float>()), as_float.model.parameters());
    EXPECT_EQ(Eigen::VectorXf(as_double.model.state().cast<float>()), as_float.model.state());
}

TEST(SavedModelErrors, EveryErrorNamesTheFile) {
    const std::string dir = saved_binary();
    const std::string json = "/model.json";
    const auto load_error = [](const std::string& from) {
        return error_message<ap::io_error>([&] { ap::io::load_model<float>(from); });
    };

    const std::string empty = temp_dir("empty");
    fs::create_directories(empty);
    EXPECT_THAT(load_error(empty), HasSubstr("load_model: missing file '" + empty + "/model.json'"));

    std::string edited = edited_copy(dir, "\"preset\": \"binary\"", "\"preset\": \"resnet\"");
    EXPECT_THAT(load_error(edited), HasSubstr("load_model: '" + edited + json +
                                              "': unknown preset 'resnet' (known presets for float: binary, profile"));

    edited = edited_copy(dir, "\"format\": 1", "\"format\": 2");
    EXPECT_THAT(load_error(edited), HasSubstr(edited + json + " has format 2; this attrprior reads up to 1"));

    // Options that no longer match the weights: load_weights names the .npy.
    edited = edited_copy(dir, "\"filters\": 8", "\"filters\": 9");
    std::string message = load_error(edited);
    EXPECT_THAT(message, HasSubstr(edited + "/weights/conv.0.weight.npy"));
    EXPECT_THAT(message, HasSubstr("expected shape (9, 4, 15) but the file has shape (8, 4, 15)"));

    edited = edited_copy(dir, "\"preset\": \"binary\",", "\"preset\": \"binary\"");  // a comma lost
    EXPECT_THAT(load_error(edited),
                HasSubstr(edited + json + ":4:3: expected ',' or '}' after an object member, found '\"'"));

    edited = edited_copy(dir, "\"filters\": 8", "\"filterz\": 8");
    EXPECT_THAT(load_error(edited),
                HasSubstr("load_model: '" + edited + json + "': binary options: unknown key 'filterz' (known keys:"));

    edited = edited_copy(dir, "\"filters\": 8", "\"filters\": 0");  // the preset's own check, with the file named
    EXPECT_THAT(load_error(edited), HasSubstr("load_model: '" + edited + json + "': Conv1d: out_channels = 0"));

    edited = edited_copy(dir, "\"length\": 200", "\"length\": 240");
    EXPECT_THAT(load_error(edited), HasSubstr("load_model: '" + edited + json +
                                              "': input_shapes [[200, 4]] differ from [[240, 4]] that preset "
                                              "'binary' builds from the file's options"));

    edited = edited_copy(dir, "\"extra\": {}", "\"extra\": {}, \"note\": 1");
    EXPECT_THAT(load_error(edited), HasSubstr(edited + json + ": unknown key 'note'"));

    edited = edited_copy(dir, "", "");
    fs::remove(edited + "/weights/out.bias.npy");
    EXPECT_THAT(load_error(edited), HasSubstr("load_weights: missing file '" + edited + "/weights/out.bias.npy'"));
}

TEST(SavedModelErrors, SaveRefusesASpecThatDoesNotDescribeTheModel) {
    const auto model = ap::models::make_binary_model<float>(small_binary(), 3);
    const std::string dir = temp_dir();
    const auto save_error = [&](const ModelSpec& spec) {
        return error_message<ap::invalid_argument>([&] { ap::io::save_model(model, spec, dir); });
    };

    auto other = small_binary();
    other.length = 240;
    EXPECT_THAT(save_error(ap::models::spec_of(other)),
                HasSubstr("save_model: the model's input_shapes [[200, 4]] differ from the spec's [[240, 4]]"));

    other = small_binary();
    other.filters = 9;  // same shapes, other tensors
    EXPECT_THAT(save_error(ap::models::spec_of(other)),
                HasSubstr("save_model: the model has 'conv.0.weight' [8, 4, 15] where preset 'binary' with the "
                          "spec's options builds 'conv.0.weight' [9, 4, 15]"));

    ModelSpec spec = ap::models::spec_of(small_binary());
    spec.options["length"] = 240;  // the listed shapes are the model's, but the options build others
    EXPECT_THAT(save_error(spec), HasSubstr("save_model: the spec would not load back: make_model: preset 'binary' "
                                            "builds input_shapes [[240, 4]]"));

    spec = ap::models::spec_of(small_binary());
    spec.preset = "resnet";
    EXPECT_THAT(save_error(spec), HasSubstr("save_model: the spec would not load back: make_model: unknown preset"));

    spec = ap::models::spec_of(small_binary());
    spec.extra["loss"] = std::nan("");
    EXPECT_THAT(save_error(spec), HasSubstr("JSON has no NaN or infinity"));
    EXPECT_FALSE(fs::exists(dir)) << "nothing is written when the spec is refused";
}

TEST(SavedModelErrors, WriteFailuresNameThePath) {
    const std::string file = temp_dir("a_file");
    std::ofstream(file) << "not a directory";
    const auto model = ap::models::make_binary_model<float>(small_binary(), 3);
    EXPECT_THAT(error_message<ap::io_error>(
                    [&] { ap::io::save_model(model, ap::models::spec_of(small_binary()), file + "/model"); }),
                HasSubstr("save_model: cannot create directory '" + file + "/model'"));
}

TEST(SavedModel, SavingAgainReplacesTheModel) {
    const std::string dir = saved_binary();
    auto other = small_binary();
    other.filters = 5;
    const auto model = ap::models::make_binary_model<float>(other, 4);
    ap::io::save_model(model, ap::models::spec_of(other), dir);
    const auto loaded = ap::io::load_model<float>(dir);
    EXPECT_EQ(loaded.spec.options.find("filters")->as_int64(), 5);
    EXPECT_EQ(loaded.model.parameters(), model.parameters());
    for (const auto& entry : fs::directory_iterator(dir))  // no temporary file left behind
        EXPECT_THAT(entry.path().filename().string(), ::testing::AnyOf("model.json", "weights"));
}
