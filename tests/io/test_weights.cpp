// Tests of attrprior/io/weights.hpp: save/load round trip, and what load_weights refuses
// (docs/reliability.md, "Weights"): a missing or mismatched manifest.json, integer files and
// non-finite values, each named in the message, with the model left unchanged.
#include "attrprior/io/weights.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "attrprior/models/binary.hpp"

namespace {

namespace ap = attrprior;
using ap::Index;
using ap::testing::error_message;
using ::testing::HasSubstr;

ap::models::BinaryModelOptions tiny() {
    ap::models::BinaryModelOptions o;
    o.length = 60;
    o.filters = 4;
    o.kernels = {5, 5};
    o.pool = 10;
    o.dense = {6};
    return o;
}

/// A fresh directory holding the weights of a tiny binary model (seed 1).
std::string saved_weights(const std::string& name) {
    const std::string dir = ::testing::TempDir() + "attrprior_weights_" + name + "_" +
                            std::to_string(static_cast<long>(::getpid()));
    std::filesystem::remove_all(dir);
    const auto model = ap::models::make_binary_model<float>(tiny(), 1);
    ap::io::save_weights(model, dir);
    return dir;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_all(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good());
}

/// load_weights into a seed-2 model must throw E; returns its message and checks that the
/// model was left unchanged.
template <class E = ap::io_error>
std::string load_error(const std::string& dir) {
    auto model = ap::models::make_binary_model<float>(tiny(), 2);
    const auto before = model.parameters();
    const std::string msg = error_message<E>([&] { ap::io::load_weights(model, dir); });
    EXPECT_EQ(model.parameters(), before) << "the model changed although loading failed";
    return msg;
}

TEST(Weights, RoundTrip) {
    const std::string dir = saved_weights("roundtrip");
    auto a = ap::models::make_binary_model<float>(tiny(), 1);
    auto b = ap::models::make_binary_model<float>(tiny(), 2);
    ASSERT_NE(a.parameters(), b.parameters());
    ap::io::load_weights(b, dir);
    EXPECT_EQ(a.parameters(), b.parameters());
    EXPECT_EQ(a.state(), b.state());
}

TEST(WeightsErrors, MissingManifest) {
    const std::string dir = saved_weights("nomanifest");
    std::filesystem::remove(dir + "/manifest.json");
    const std::string msg = load_error(dir);
    EXPECT_THAT(msg, HasSubstr("missing file '" + dir + "/manifest.json'"));
    EXPECT_THAT(msg, HasSubstr("interrupted"));
}

TEST(WeightsErrors, ManifestListsAnotherModel) {
    const std::string dir = saved_weights("othermanifest");
    const std::string manifest = read_all(dir + "/manifest.json");
    ASSERT_NE(manifest.find("\"out.bias\""), std::string::npos);

    std::string edited = manifest;
    edited.replace(edited.find("\"out.bias\""), 10, "\"out.bias\",\n  \"extra.weight\"");
    write_all(dir + "/manifest.json", edited);
    std::string msg = load_error(dir);
    EXPECT_THAT(msg, HasSubstr(dir + "/manifest.json"));
    EXPECT_THAT(msg, HasSubstr("parameter tensor 'extra.weight', which the model does not have"));

    edited = manifest;
    const std::string drop = ",\n  \"out.bias\"";
    ASSERT_NE(edited.find(drop), std::string::npos);
    edited.replace(edited.find(drop), drop.size(), "");
    write_all(dir + "/manifest.json", edited);
    msg = load_error(dir);
    EXPECT_THAT(msg, HasSubstr("does not list the model's parameter tensor 'out.bias'"));

    write_all(dir + "/manifest.json", "{\"parameters\": []}");
    EXPECT_THAT(load_error(dir), HasSubstr("does not list the model's parameter tensor"));
    write_all(dir + "/manifest.json", "{\"format\": \"attrprior weights 1\"}");
    EXPECT_THAT(load_error(dir), HasSubstr("has no \"parameters\" list"));
    write_all(dir + "/manifest.json", "{\"format\": \"attrprior weights 9\"}");
    EXPECT_THAT(load_error(dir), HasSubstr("unknown \"format\""));
}

TEST(WeightsErrors, IntegerTensorIsRefused) {
    const std::string dir = saved_weights("integer");
    const auto model = ap::models::make_binary_model<float>(tiny(), 1);
    const auto tensors = ap::io::model_tensors(model);
    const ap::io::ModelTensor& t = tensors.front();
    std::vector<std::int32_t> ints(static_cast<std::size_t>(t.size), 0);
    ap::io::write_npy(dir + "/" + t.name + ".npy", ints.data(), t.shape);
    const std::string msg = load_error(dir);
    EXPECT_THAT(msg, HasSubstr(dir + "/" + t.name + ".npy"));
    EXPECT_THAT(msg, HasSubstr("stores dtype '<i4'; weights must be float32 or float64"));
}

TEST(WeightsErrors, NonFiniteValueNamesTheTensor) {
    const auto model = ap::models::make_binary_model<float>(tiny(), 1);
    const auto tensors = ap::io::model_tensors(model);
    const ap::io::ModelTensor& t = tensors.back();  // a BatchNorm buffer or the last bias
    for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        const std::string dir = saved_weights("nonfinite");
        std::vector<float> values(static_cast<std::size_t>(t.size), 0.5f);
        values.back() = bad;
        ap::io::write_npy(dir + "/" + t.name + ".npy", values.data(), t.shape);
        const std::string msg = load_error<ap::numeric_error>(dir);
        EXPECT_THAT(msg, HasSubstr(dir + "/" + t.name + ".npy"));
        EXPECT_THAT(msg, HasSubstr("(tensor " + t.name + ")"));
        EXPECT_THAT(msg, HasSubstr("at flat index " + std::to_string(t.size - 1)));
    }
}

}  // namespace
