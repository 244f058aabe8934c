// Tests of attrprior/io/json.hpp: values, the writer's round trips (doubles bit for bit),
// escapes, strict parsing with line:column errors, nesting limits and the file helpers.
#include "attrprior/io/json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"

namespace {

using attrprior::io::Json;
using attrprior::io::parse_json;
using attrprior::testing::error_message;
using ::testing::HasSubstr;

/// The message of the io_error that parsing `text` (source "doc.json") throws.
std::string parse_error(const std::string& text) {
    return error_message<attrprior::io_error>([&] { parse_json(text, "doc.json"); });
}

/// Bitwise equality of doubles (tells -0 from 0).
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// A fresh directory under the GoogleTest temp dir, unique per test.
std::string temp_dir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string dir = ::testing::TempDir() + "attrprior_json_" + info->test_suite_name() + "_" + info->name();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(Json, BuildsAndReadsValues) {
    Json doc;
    doc["name"] = "binary";
    doc["filters"] = 64;
    doc["rate"] = 0.5;
    doc["batchnorm"] = true;
    doc["nothing"] = nullptr;
    doc["kernels"] = Json::array({15, 15, 13});
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc.find("name")->as_string(), "binary");
    EXPECT_TRUE(doc.find("filters")->is_integer());
    EXPECT_EQ(doc.find("filters")->as_int64(), 64);
    EXPECT_EQ(doc.find("rate")->as_double(), 0.5);
    EXPECT_TRUE(doc.find("batchnorm")->as_bool());
    EXPECT_TRUE(doc.find("nothing")->is_null());
    EXPECT_EQ(doc.find("kernels")->as_array().size(), 3u);
    EXPECT_EQ(doc.find("absent"), nullptr);
    EXPECT_EQ(Json(8.0).as_int64(), 8);  // JSON does not tell 8 from 8.0

    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { doc.find("name")->as_int64(); }),
                HasSubstr("expected an integer, found a string"));
    EXPECT_THAT(error_message<attrprior::invalid_argument>([] { Json(8.5).as_int64(); }),
                HasSubstr("is not a 64-bit integer"));
    EXPECT_THAT(error_message<attrprior::invalid_argument>([] { Json(std::uint64_t(1) << 63); }),
                HasSubstr("exceeds the 64-bit signed range"));
}

TEST(Json, EqualityComparesNumbersByValueAndObjectsRegardlessOfOrder) {
    EXPECT_EQ(Json(2), Json(2.0));
    EXPECT_NE(Json(2), Json("2"));
    EXPECT_EQ(parse_json(R"({"a": 1, "b": [true, null]})"), parse_json(R"({"b": [true, null], "a": 1})"));
    EXPECT_NE(parse_json(R"({"a": 1})"), parse_json(R"({"a": 1, "b": 2})"));
    EXPECT_NE(parse_json("[1, 2]"), parse_json("[2, 1]"));
}

TEST(Json, WritesIndentedTextInInsertionOrder) {
    Json doc;
    doc["z"] = 1;
    doc["a"] = Json::array({Json::array({200, 4}), Json::array({60, 4})});
    doc["m"] = Json::object();
    doc["e"] = Json::array();
    doc["s"] = Json::array({"x", 1.5, false, nullptr});
    EXPECT_EQ(doc.dump(),
              "{\n"
              "  \"z\": 1,\n"
              "  \"a\": [\n"
              "    [200, 4],\n"
              "    [60, 4]\n"
              "  ],\n"
              "  \"m\": {},\n"
              "  \"e\": [],\n"
              "  \"s\": [\"x\", 1.5, false, null]\n"
              "}");
}

TEST(Json, RoundTripsADocument) {
    const std::string text = R"({
  "format": 1,
  "preset": "profile",
  "options": {"filters": 8, "dilations": [2, 4, 8], "controls": "matched", "ratio": 0.1},
  "nested": [[1, [2, [3, {}]]], {"k": [null, true, false, -7, 1e-3, "\u00e9"]}]
})";
    const Json doc = parse_json(text);
    const std::string written = doc.dump();
    const Json again = parse_json(written);
    EXPECT_EQ(again, doc);
    EXPECT_EQ(again.dump(), written);  // stable: writing is a fixed point
    std::vector<std::string> keys;
    for (const auto& member : doc.as_object()) keys.push_back(member.first);
    EXPECT_THAT(keys, ::testing::ElementsAre("format", "preset", "options", "nested"));
}

TEST(Json, DoublesRoundTripBitForBit) {
    const double values[] = {0.1,
                             1.0 / 3.0,
                             1e-3,
                             -2.5,
                             1e300,
                             123456789.125,
                             std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::denorm_min(),
                             std::nextafter(1.0, 2.0),
                             -0.0,
                             3.0};
    for (double v : values) {
        const Json back = parse_json(Json(v).dump());
        ASSERT_FALSE(back.is_integer()) << Json(v).dump() << " read back as an integer";
        EXPECT_TRUE(same_bits(back.as_double(), v)) << Json(v).dump();
    }
    EXPECT_EQ(Json(0.1).dump(), "0.1");
    EXPECT_EQ(Json(1e-3).dump(), "0.001");
    EXPECT_EQ(Json(3.0).dump(), "3.0");
    EXPECT_EQ(Json(-0.0).dump(), "-0.0");
}

TEST(Json, ParsesNumbers) {
    EXPECT_TRUE(same_bits(parse_json("1e-3").as_double(), 1e-3));
    EXPECT_TRUE(same_bits(parse_json("1E+2").as_double(), 100.0));
    EXPECT_TRUE(same_bits(parse_json("-0").as_double(), -0.0));  // keeps its sign: a double
    EXPECT_FALSE(parse_json("-0").is_integer());
    EXPECT_TRUE(same_bits(parse_json("-0.0").as_double(), -0.0));
    EXPECT_TRUE(parse_json("0").is_integer());
    EXPECT_FALSE(parse_json("1.0").is_integer());
    EXPECT_EQ(parse_json("1e-400").as_double(), 0.0);  // underflow: 0, as strtod
}

TEST(Json, LargeIntegersAreExact) {
    const std::int64_t values[] = {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
                                   (std::int64_t(1) << 53) + 1, -1234567890123456789};
    for (std::int64_t v : values) {
        const std::string text = Json(v).dump();
        EXPECT_EQ(text, std::to_string(v));
        const Json back = parse_json(text);
        ASSERT_TRUE(back.is_integer()) << text;
        EXPECT_EQ(back.as_int64(), v);
    }
    // Beyond 64 bits: the nearest double.
    const Json huge = parse_json("18446744073709551616");
    EXPECT_FALSE(huge.is_integer());
    EXPECT_EQ(huge.as_double(), 18446744073709551616.0);
}

TEST(Json, StringEscapes) {
    EXPECT_EQ(parse_json(R"("q\" b\\ s\/ \b\f\n\r\t")").as_string(), "q\" b\\ s/ \b\f\n\r\t");
    EXPECT_EQ(parse_json(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");   // A é €
    EXPECT_EQ(parse_json(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");              // U+1F600
    EXPECT_EQ(parse_json("\"caf\xC3\xA9\"").as_string(), "caf\xC3\xA9");                    // raw UTF-8
    const std::string nasty = std::string("a\"b\\c\n\t\x01\x1f") + "\xC3\xA9/";
    const std::string written = Json(nasty).dump();
    EXPECT_EQ(written, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\xC3\xA9/\"");
    EXPECT_EQ(parse_json(written).as_string(), nasty);
}

TEST(Json, ErrorsNameTheSourceLineAndColumn) {
    EXPECT_THAT(parse_error("{\n  \"a\": 1,\n  \"b\": tru\n}"), HasSubstr("doc.json:3:8: invalid literal"));
    EXPECT_THAT(parse_error("{\n  \"a\": 1\n  \"b\": 2\n}"),
                HasSubstr("doc.json:3:3: expected ',' or '}' after an object member, found '\"'"));
    EXPECT_THAT(parse_error("[1, 2,]"), HasSubstr("doc.json:1:7: expected a value, found ']'"));
    EXPECT_THAT(parse_error("{\"a\" 1}"), HasSubstr("doc.json:1:6: expected ':' after an object key"));
    EXPECT_THAT(parse_error("{\"a\": 1, \"a\": 2}"), HasSubstr("doc.json:1:10: duplicate key \"a\""));
    EXPECT_THAT(parse_error("{a: 1}"), HasSubstr("doc.json:1:2: expected a string key, found 'a'"));
    EXPECT_THAT(parse_error("[1] x"), HasSubstr("doc.json:1:5: unexpected 'x' after the JSON value"));
    EXPECT_THAT(parse_error(""), HasSubstr("doc.json:1:1: expected a value, found end of input"));
    EXPECT_THAT(parse_error("  \n  "), HasSubstr("doc.json:2:3: expected a value, found end of input"));
    EXPECT_THAT(parse_error("[\"abc"), HasSubstr("doc.json:1:2: unterminated string"));
    EXPECT_THAT(parse_error("\"a\nb\""), HasSubstr("doc.json:1:3: control character byte 0x0a in a string"));
    EXPECT_THAT(parse_error(R"("\x")"), HasSubstr("doc.json:1:2: invalid escape '\\x'"));
    EXPECT_THAT(parse_error(R"("\u12g4")"), HasSubstr("doc.json:1:6: expected 4 hex digits after \\u"));
    EXPECT_THAT(parse_error(R"("\ud83d")"), HasSubstr("doc.json:1:2: unpaired high surrogate"));
    EXPECT_THAT(parse_error(R"("\ude00")"), HasSubstr("doc.json:1:2: unpaired low surrogate"));
    EXPECT_THAT(parse_error("01"), HasSubstr("doc.json:1:2: leading zero"));
    EXPECT_THAT(parse_error("1."), HasSubstr("doc.json:1:3: expected a digit after '.'"));
    EXPECT_THAT(parse_error(".5"), HasSubstr("doc.json:1:1: expected a value, found '.'"));
    EXPECT_THAT(parse_error("+1"), HasSubstr("doc.json:1:1: expected a value, found '+'"));
    EXPECT_THAT(parse_error("-"), HasSubstr("doc.json:1:2: expected a digit, found end of input"));
    EXPECT_THAT(parse_error("1e"), HasSubstr("doc.json:1:3: expected a digit in the exponent"));
    EXPECT_THAT(parse_error("[1e400]"), HasSubstr("doc.json:1:2: number 1e400 is out of the range of a double"));
    EXPECT_THAT(parse_error("NaN"), HasSubstr("doc.json:1:1: expected a value, found 'N'"));
    EXPECT_THAT(parse_error("// comment\n1"), HasSubstr("doc.json:1:1: expected a value, found '/'"));
    EXPECT_THAT(parse_error("\xEF\xBB\xBF{}"), HasSubstr("doc.json:1:1: expected a value, found byte 0xef"));
}

TEST(Json, DeepNesting) {
    const int limit = attrprior::io::detail::JsonParser::max_depth;
    const std::string deepest = std::string(limit, '[') + std::string(limit, ']');
    Json doc = parse_json(deepest);
    int depth = 0;
    for (const Json* v = &doc; v != nullptr; ++depth) v = v->as_array().empty() ? nullptr : &v->as_array()[0];
    EXPECT_EQ(depth, limit);
    EXPECT_EQ(parse_json(doc.dump()), doc);

    EXPECT_THAT(parse_error(std::string(limit + 1, '[') + std::string(limit + 1, ']')),
                HasSubstr(":1:" + std::to_string(limit + 1) + ": nesting deeper than 512"));
    // Far deeper input fails cleanly instead of overflowing the stack.
    EXPECT_THAT(parse_error(std::string(1000000, '[')), HasSubstr("nesting deeper than 512"));
}

TEST(Json, WritingNonFiniteNumbersIsAnError) {
    EXPECT_THAT(error_message<attrprior::invalid_argument>([] { Json(std::nan("")).dump(); }),
                HasSubstr("JSON has no NaN or infinity"));
    EXPECT_THAT(error_message<attrprior::invalid_argument>(
                    [] { Json::array({1, std::numeric_limits<double>::infinity()}).dump(); }),
                HasSubstr("inf"));
}

TEST(JsonFile, WritesAtomicallyAndReadsBack) {
    const std::string dir = temp_dir();
    const std::string path = dir + "/doc.json";
    Json doc;
    doc["x"] = 0.1;
    attrprior::io::write_json_file(path, doc);
    doc["x"] = 0.2;
    attrprior::io::write_json_file(path, doc);  // replaces the file
    EXPECT_EQ(read_text(path), "{\n  \"x\": 0.2\n}\n");
    EXPECT_EQ(attrprior::io::read_json_file(path), doc);
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path().filename());
    EXPECT_THAT(files, ::testing::ElementsAre("doc.json"));  // no temporary left behind
}

TEST(JsonFile, ErrorsNameThePath) {
    const std::string dir = temp_dir();
    EXPECT_THAT(error_message<attrprior::io_error>([&] { attrprior::io::read_json_file(dir + "/absent.json"); }),
                HasSubstr("cannot open '" + dir + "/absent.json': No such file or directory"));
    std::ofstream(dir + "/bad.json") << "{\n  \"a\": [1, 2\n}\n";
    EXPECT_THAT(error_message<attrprior::io_error>([&] { attrprior::io::read_json_file(dir + "/bad.json"); }),
                HasSubstr(dir + "/bad.json:3:1: expected ',' or ']' after an array element, found '}'"));
    EXPECT_THAT(
        error_message<attrprior::io_error>([&] { attrprior::io::write_json_file(dir + "/no/such/dir/x.json", Json()); }),
        HasSubstr(dir + "/no/such/dir/x.json.tmp-"));
}

// A full disk is reported at the flush or the close, with the system's reason.
TEST(JsonFile, FullDiskIsAnErrorWithTheReason) {
    if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
    const std::string text(100, 'x');  // small: fwrite only buffers it, the flush fails
    EXPECT_THAT(error_message<attrprior::io_error>(
                    [&] { attrprior::io::detail::write_text_file("/dev/full", text, "test"); }),
                HasSubstr("test: cannot write '/dev/full': " + std::string(std::strerror(ENOSPC))));
}
