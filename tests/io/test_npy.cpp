// Tests of attrprior/io/npy.hpp: round trips, hand-built headers and every error path.
#include "attrprior/io/npy.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>
#include "../support/expect_error.hpp"

using attrprior::testing::error_message;

namespace {

using attrprior::Index;
using attrprior::io::NpyArray;
using attrprior::io::NpyType;
using attrprior::io::read_npy;
using attrprior::io::write_npy;
using ::testing::HasSubstr;

/// A file name under the GoogleTest temp dir, unique per test.
std::string temp_path(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : test) {
        if (c == '/') c = '_';
    }
    return ::testing::TempDir() + "attrprior_npy_" + test + "_" + name;
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out) << "cannot create " << path;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out);
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << path;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Builds a .npy file by hand: magic, version, header length (2 bytes for 1.x, else 4),
/// the header text as given (no padding added) and the data bytes.
std::string build_npy(int major, int minor, const std::string& header,
                      const std::string& data) {
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += static_cast<char>(minor);
    const int len_bytes = major == 1 ? 2 : 4;
    const auto len = static_cast<std::uint32_t>(header.size());
    for (int i = 0; i < len_bytes; ++i) out += static_cast<char>((len >> (8 * i)) & 0xFFu);
    return out + header + data;
}

template <class S>
std::string le_bytes(const std::vector<S>& values) {
    std::string out(values.size() * sizeof(S), '\0');
    if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
    return out;
}

/// Writes `bytes` to a temp file, reads it as double and checks the io_error message
/// names the file and contains `problem`.
void expect_read_error(const std::string& name, const std::string& bytes,
                       const std::string& problem) {
    const std::string path = temp_path(name);
    write_bytes(path, bytes);
    const std::string msg = error_message<attrprior::io_error>([&] { read_npy<double>(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr(problem));
}

const std::string kF8Header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n";
const std::string kTwoDoubles = le_bytes(std::vector<double>{1.5, -2.0});

// ---------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------

template <class T>
class NpyRoundTrip : public ::testing::Test {};

using RoundTripTypes = ::testing::Types<float, double, std::int64_t, std::int32_t,
                                        std::uint8_t, std::int8_t>;
struct TypeNames {
    template <class T>
    static std::string GetName(int) {
        return attrprior::io::detail::type_name<T>();
    }
};
TYPED_TEST_SUITE(NpyRoundTrip, RoundTripTypes, TypeNames);

template <class T>
NpyType expected_type() {
    if (std::is_same_v<T, float>) return NpyType::float32;
    if (std::is_same_v<T, double>) return NpyType::float64;
    if (std::is_same_v<T, std::int64_t>) return NpyType::int64;
    if (std::is_same_v<T, std::int32_t>) return NpyType::int32;
    if (std::is_same_v<T, std::uint8_t>) return NpyType::uint8;
    return NpyType::int8;
}

template <class T>
std::vector<T> sample_values(std::size_t n) {
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        if constexpr (std::is_floating_point_v<T>) {
            v[i] = static_cast<T>(0.25 * static_cast<double>(i) - 3.125);
        } else if constexpr (std::is_signed_v<T>) {
            v[i] = static_cast<T>(static_cast<int>(i % 100) - 50);
        } else {
            v[i] = static_cast<T>(i % 250);
        }
    }
    return v;
}

/// Checks version 1.0, 64-byte alignment of the data and a newline-terminated header.
void expect_numpy_layout(const std::string& path, std::size_t data_bytes) {
    const std::string bytes = read_bytes(path);
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes.substr(0, 6), std::string("\x93NUMPY"));
    EXPECT_EQ(bytes[6], '\x01');
    EXPECT_EQ(bytes[7], '\x00');
    const std::size_t header_len = static_cast<unsigned char>(bytes[8]) +
                                   256u * static_cast<unsigned char>(bytes[9]);
    const std::size_t data_offset = 10 + header_len;
    EXPECT_EQ(data_offset % 64, 0u);
    ASSERT_LE(data_offset, bytes.size());
    EXPECT_EQ(bytes[data_offset - 1], '\n');
    EXPECT_EQ(bytes.size() - data_offset, data_bytes);
}

TYPED_TEST(NpyRoundTrip, ZeroDimensional) {
    using T = TypeParam;
    const std::string path = temp_path("scalar.npy");
    const std::vector<T> values = {static_cast<T>(7)};
    write_npy(path, values, {});
    expect_numpy_layout(path, sizeof(T));

    const NpyArray<T> a = read_npy<T>(path);
    EXPECT_TRUE(a.shape.empty());
    EXPECT_EQ(a.size(), 1);
    EXPECT_EQ(a.stored_type, expected_type<T>());
    ASSERT_EQ(a.data.size(), 1u);
    EXPECT_EQ(a.data[0], static_cast<T>(7));
}

TYPED_TEST(NpyRoundTrip, OneDimensional) {
    using T = TypeParam;
    const std::string path = temp_path("vec.npy");
    const std::vector<T> values = sample_values<T>(5);
    write_npy(path, values, {5});
    expect_numpy_layout(path, 5 * sizeof(T));

    const NpyArray<T> a = read_npy<T>(path, {5});
    EXPECT_EQ(a.shape, (std::vector<Index>{5}));
    EXPECT_EQ(a.size(), 5);
    EXPECT_EQ(a.stored_type, expected_type<T>());
    EXPECT_EQ(a.data, values);
}

TYPED_TEST(NpyRoundTrip, ThreeDimensionalFromPointer) {
    using T = TypeParam;
    const std::string path = temp_path("cube.npy");
    const std::vector<T> values = sample_values<T>(2 * 3 * 4);
    write_npy(path, values.data(), {2, 3, 4});
    expect_numpy_layout(path, values.size() * sizeof(T));

    const NpyArray<T> a = read_npy<T>(path);
    EXPECT_EQ(a.shape, (std::vector<Index>{2, 3, 4}));
    EXPECT_EQ(a.size(), 24);
    EXPECT_EQ(a.data, values);
}

TYPED_TEST(NpyRoundTrip, ThreeDimensionalFromTensor3) {
    using T = TypeParam;
    const std::string path = temp_path("tensor.npy");
    std::vector<T> values = sample_values<T>(3 * 1 * 5);
    const attrprior::Tensor3<const T> view(values.data(), 3, 1, 5);
    write_npy(path, view);

    NpyArray<T> a = read_npy<T>(path, {3, 1, 5});
    EXPECT_EQ(a.data, values);

    // A view of mutable data works too and overwrites the file.
    values[0] = static_cast<T>(42);
    const attrprior::Tensor3<T> mutable_view(values.data(), 3, 5, 1);
    write_npy(path, mutable_view);
    a = read_npy<T>(path);
    EXPECT_EQ(a.shape, (std::vector<Index>{3, 5, 1}));
    EXPECT_EQ(a.data, values);
}

TYPED_TEST(NpyRoundTrip, EmptyArray) {
    using T = TypeParam;
    const std::string path = temp_path("empty.npy");
    write_npy(path, std::vector<T>{}, {0, 3});
    expect_numpy_layout(path, 0);
    const NpyArray<T> a = read_npy<T>(path);
    EXPECT_EQ(a.shape, (std::vector<Index>{0, 3}));
    EXPECT_EQ(a.size(), 0);
    EXPECT_TRUE(a.data.empty());
}

TEST(NpyWrite, ExactBytesMatchNumpyFormat) {
    // np.save of np.array([1, 2], dtype=np.float32) in numpy < 1.23 (no growth padding).
    const std::string path = temp_path("exact.npy");
    write_npy(path, std::vector<float>{1.0f, 2.0f}, {2});
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    const std::string header = dict + std::string(128 - 10 - dict.size() - 1, ' ') + "\n";
    const std::string expected =
        std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' +
        header + std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
    EXPECT_EQ(read_bytes(path), expected);
}

TEST(NpyWrite, MultiDimShapeRepr) {
    const std::string path = temp_path("shape.npy");
    write_npy(path, std::vector<std::int64_t>(6, 1), {2, 3});
    const std::string bytes = read_bytes(path);
    EXPECT_THAT(bytes, HasSubstr("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }"));
}

TEST(NpyWrite, BoolRoundTrip) {
    const std::string path = temp_path("bool.npy");
    write_npy(path, std::vector<bool>{true, false, true}, {3});
    EXPECT_THAT(read_bytes(path), HasSubstr("'descr': '|b1'"));
    const NpyArray<bool> a = read_npy<bool>(path);
    EXPECT_EQ(a.stored_type, NpyType::boolean);
    EXPECT_EQ(a.data, (std::vector<bool>{true, false, true}));
    const NpyArray<int> b = read_npy<int>(path);
    EXPECT_EQ(b.data, (std::vector<int>{1, 0, 1}));
}

TEST(NpyWrite, SizeMismatchIsInvalidArgument) {
    const std::string path = temp_path("mismatch.npy");
    EXPECT_THROW(write_npy(path, std::vector<double>(5), {2, 3}), attrprior::invalid_argument);
    EXPECT_THROW(write_npy(path, std::vector<double>(6), {-2, -3}),
                 attrprior::invalid_argument);
    try {
        write_npy(path, std::vector<double>(5), {2, 3});
    } catch (const attrprior::invalid_argument& e) {
        EXPECT_THAT(e.what(), HasSubstr(path));
        EXPECT_THAT(e.what(), HasSubstr("(2, 3)"));
    }
}

TEST(NpyWrite, CannotOpenNamesFile) {
    const std::string path = temp_path("no_such_dir") + "/sub/out.npy";
    std::string msg;
    try {
        write_npy(path, std::vector<double>{1.0}, {1});
        ADD_FAILURE() << "expected io_error";
    } catch (const attrprior::io_error& e) {
        msg = e.what();
    }
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("cannot open"));
}

// ---------------------------------------------------------------------------------------
// Reading hand-built files
// ---------------------------------------------------------------------------------------

TEST(NpyRead, Version2Header) {
    const std::string path = temp_path("v2.npy");
    // 12-byte prefix + header; pad so data start at 128 like numpy, though not required.
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
    header += std::string(128 - 12 - header.size() - 1, ' ') + "\n";
    const std::vector<double> values = {1.0, 2.5, -3.0, 1e300};
    write_bytes(path, build_npy(2, 0, header, le_bytes(values)));
    const NpyArray<double> a = read_npy<double>(path, {2, 2});
    EXPECT_EQ(a.stored_type, NpyType::float64);
    EXPECT_EQ(a.data, values);
}

TEST(NpyRead, Version3HeaderUnpadded) {
    const std::string path = temp_path("v3.npy");
    const std::vector<std::int32_t> values = {-1, 2, 3};
    write_bytes(path, build_npy(3, 0, "{'descr':'<i4','fortran_order':False,'shape':(3,)}",
                                le_bytes(values)));
    const NpyArray<std::int32_t> a = read_npy<std::int32_t>(path);
    EXPECT_EQ(a.stored_type, NpyType::int32);
    EXPECT_EQ(a.data, values);
}

TEST(NpyRead, KeyOrderWhitespaceAndQuotes) {
    const std::string path = temp_path("order.npy");
    const std::string header =
        "  {\n \"shape\" :( 1 ,\t3 , ) ,'fortran_order'  :False,\r\n"
        " 'descr': \"=f4\"   }   \n";
    const std::vector<float> values = {0.5f, -1.0f, 8.0f};
    write_bytes(path, build_npy(1, 0, header, le_bytes(values)));
    const NpyArray<float> a = read_npy<float>(path);
    EXPECT_EQ(a.shape, (std::vector<Index>{1, 3}));
    EXPECT_EQ(a.data, values);
}

TEST(NpyRead, Python2LongSuffix) {
    const std::string path = temp_path("py2.npy");
    const std::vector<double> values = {1, 2, 3, 4, 5, 6};
    write_bytes(path, build_npy(1, 0,
                                "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }\n",
                                le_bytes(values)));
    EXPECT_EQ(read_npy<double>(path).shape, (std::vector<Index>{2, 3}));
}

TEST(NpyRead, Int64IntoDouble) {
    const std::string path = temp_path("i8.npy");
    const std::vector<std::int64_t> values = {-5, 0, 1234567890123, 7};
    write_bytes(path, build_npy(1, 0,
                                "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }\n",
                                le_bytes(values)));
    const NpyArray<double> a = read_npy<double>(path);
    EXPECT_EQ(a.stored_type, NpyType::int64);
    EXPECT_EQ(a.data, (std::vector<double>{-5.0, 0.0, 1234567890123.0, 7.0}));
}

TEST(NpyRead, OneByteTypesIntoFloat) {
    const std::string path_i1 = temp_path("i1.npy");
    write_bytes(path_i1, build_npy(1, 0,
                                   "{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }\n",
                                   std::string("\xff\x00\x7f", 3)));
    EXPECT_EQ(read_npy<float>(path_i1).data, (std::vector<float>{-1.0f, 0.0f, 127.0f}));

    const std::string path_u1 = temp_path("u1.npy");
    write_bytes(path_u1, build_npy(1, 0,
                                   "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n",
                                   std::string("\xff\x00\x7f", 3)));
    const NpyArray<float> u = read_npy<float>(path_u1);
    EXPECT_EQ(u.stored_type, NpyType::uint8);
    EXPECT_EQ(u.data, (std::vector<float>{255.0f, 0.0f, 127.0f}));

    const std::string path_b1 = temp_path("b1.npy");
    write_bytes(path_b1, build_npy(1, 0,
                                   "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }\n",
                                   std::string("\x01\x00\x01", 3)));
    EXPECT_EQ(read_npy<double>(path_b1).data, (std::vector<double>{1.0, 0.0, 1.0}));
}

TEST(NpyRead, FloatIntoIntegerRequiresExactValues) {
    const std::string ok_path = temp_path("whole.npy");
    write_bytes(ok_path, build_npy(1, 0,
                                   "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n",
                                   le_bytes(std::vector<double>{3.0, -4.0, 0.0})));
    EXPECT_EQ(read_npy<int>(ok_path).data, (std::vector<int>{3, -4, 0}));

    const std::string bad_path = temp_path("fraction.npy");
    write_bytes(bad_path, build_npy(1, 0, kF8Header, kTwoDoubles));  // 1.5 is not integral
    const std::string msg = error_message<attrprior::io_error>([&] { read_npy<int>(bad_path); });
    EXPECT_THAT(msg, HasSubstr(bad_path));
    EXPECT_THAT(msg, HasSubstr("cannot be represented as int32"));

    const std::string range_path = temp_path("range.npy");
    write_bytes(range_path,
                build_npy(1, 0, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n",
                          le_bytes(std::vector<std::int64_t>{int64_t{1} << 40})));
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npy<std::int32_t>(range_path); }),
                HasSubstr(range_path));
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npy<std::uint64_t>(temp_path("fraction.npy")); }),
                HasSubstr("uint64"));
}

TEST(NpyRead, ExpectedShapeMismatch) {
    const std::string path = temp_path("shape_mismatch.npy");
    write_npy(path, std::vector<double>(6, 0.0), {2, 3});
    EXPECT_NO_THROW(read_npy<double>(path, {2, 3}));
    const std::string msg = error_message<attrprior::io_error>([&] { read_npy<double>(path, {3, 2}); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("expected shape (3, 2)"));
    EXPECT_THAT(msg, HasSubstr("(2, 3)"));
    const std::string msg0 = error_message<attrprior::io_error>([&] { read_npy<double>(path, {}); });
    EXPECT_THAT(msg0, HasSubstr("expected shape ()"));
}

// ---------------------------------------------------------------------------------------
// Read errors: each names the file and the problem
// ---------------------------------------------------------------------------------------

TEST(NpyReadError, CannotOpen) {
    const std::string path = temp_path("does_not_exist.npy");
    std::remove(path.c_str());
    const std::string msg = error_message<attrprior::io_error>([&] { read_npy<float>(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_THAT(msg, HasSubstr("cannot open"));
}

TEST(NpyReadError, BadMagic) {
    expect_read_error("magic.npy", "PK\x03\x04 this is a zip file, not npy", "bad magic");
    expect_read_error("empty.npy", "", "bad magic");
    std::string wrong = build_npy(1, 0, kF8Header, kTwoDoubles);
    wrong[1] = 'n';
    expect_read_error("numpy_lower.npy", wrong, "bad magic");
}

TEST(NpyReadError, UnsupportedVersion) {
    expect_read_error("v4.npy", build_npy(4, 0, kF8Header, kTwoDoubles),
                      "unsupported .npy format version 4.0");
    expect_read_error("v11.npy", build_npy(1, 1, kF8Header, kTwoDoubles),
                      "unsupported .npy format version 1.1");
}

TEST(NpyReadError, TruncatedPrefixAndHeader) {
    expect_read_error("short_version.npy", std::string("\x93NUMPY\x01", 7), "truncated header");
    expect_read_error("short_len.npy", std::string("\x93NUMPY\x01\x00\x10", 9),
                      "truncated header");
    const std::string full = build_npy(1, 0, kF8Header, "");
    expect_read_error("short_header.npy", full.substr(0, full.size() - 5), "truncated header");
}

TEST(NpyReadError, MissingKey) {
    expect_read_error("no_shape.npy",
                      build_npy(1, 0, "{'descr': '<f8', 'fortran_order': False, }\n", kTwoDoubles),
                      "missing key 'shape'");
    expect_read_error("no_descr.npy",
                      build_npy(1, 0, "{'fortran_order': False, 'shape': (2,)}\n", kTwoDoubles),
                      "missing key 'descr'");
    expect_read_error("no_order.npy",
                      build_npy(1, 0, "{'descr': '<f8', 'shape': (2,)}\n", kTwoDoubles),
                      "missing key 'fortran_order'");
}

TEST(NpyReadError, MalformedHeader) {
    expect_read_error("unknown_key.npy",
                      build_npy(1, 0,
                                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), "
                                "'extra': 1}\n",
                                kTwoDoubles),
                      "unexpected key 'extra'");
    expect_read_error("duplicate.npy",
                      build_npy(1, 0,
                                "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
                                "'shape': (2,)}\n",
                                kTwoDoubles),
                      "duplicate key 'descr'");
    expect_read_error("not_dict.npy", build_npy(1, 0, "['descr']\n", kTwoDoubles),
                      "malformed header");
    expect_read_error("bad_bool.npy",
                      build_npy(1, 0, "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}\n",
                                kTwoDoubles),
                      "True or False");
    expect_read_error("trailing_text.npy",
                      build_npy(1, 0,
                                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x\n",
                                kTwoDoubles),
                      "after the closing brace");
}

TEST(NpyReadError, UnparsableShape) {
    const auto with_shape = [](const std::string& shape) {
        return build_npy(1, 0,
                         "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + "}\n",
                         kTwoDoubles);
    };
    expect_read_error("shape_list.npy", with_shape("[2]"), "unparsable shape");
    expect_read_error("shape_word.npy", with_shape("(two,)"), "unparsable shape");
    expect_read_error("shape_open.npy", with_shape("(2,"), "unparsable shape");
    expect_read_error("shape_nocomma.npy", with_shape("(2)"), "unparsable shape");
    expect_read_error("shape_huge.npy", with_shape("(99999999999999999999999,)"),
                      "unparsable shape");
    expect_read_error("shape_overflow.npy", with_shape("(4294967296, 4294967296, 4294967296)"),
                      "too large");
}

TEST(NpyReadError, NoClosingBrace) {
    expect_read_error("no_brace.npy",
                      build_npy(1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), ",
                                kTwoDoubles),
                      "no closing brace");
    expect_read_error("no_brace2.npy",
                      build_npy(1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)   ",
                                kTwoDoubles),
                      "no closing brace");
}

TEST(NpyReadError, FortranOrder) {
    expect_read_error(
        "fortran.npy",
        build_npy(1, 0, "{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }\n", kTwoDoubles),
        "Fortran order not supported; save with np.ascontiguousarray");
}

TEST(NpyReadError, BigEndian) {
    expect_read_error(
        "big.npy",
        build_npy(1, 0, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }\n", kTwoDoubles),
        "big-endian dtype '>f8'");
}

TEST(NpyReadError, UnsupportedDtype) {
    for (const std::string descr : {"<c16", "<U5", "|O", "<f2", "<u4", "|f8", "f8"}) {
        SCOPED_TRACE(descr);
        expect_read_error(
            "dtype.npy",
            build_npy(1, 0,
                      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }\n",
                      kTwoDoubles),
            "unsupported dtype '" + descr + "'");
    }
    expect_read_error("structured.npy",
                      build_npy(1, 0,
                                "{'descr': [('a', '<f8')], 'fortran_order': False, "
                                "'shape': (2,), }\n",
                                kTwoDoubles),
                      "unsupported dtype");
}

TEST(NpyReadError, TruncatedData) {
    expect_read_error("truncated.npy", build_npy(1, 0, kF8Header, kTwoDoubles.substr(0, 15)),
                      "truncated data");
    expect_read_error("no_data.npy", build_npy(1, 0, kF8Header, ""), "truncated data");
}

TEST(NpyReadError, TrailingBytes) {
    expect_read_error("trailing.npy", build_npy(1, 0, kF8Header, kTwoDoubles + "x"),
                      "trailing data");
}

TEST(NpyReadError, NegativeDimension) {
    expect_read_error(
        "negative.npy",
        build_npy(1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }\n", ""),
        "negative dimension -2");
}

#ifdef ATTRPRIOR_TEST_DATA_DIR
// Files written by numpy (through torch_binary.py dump) and committed as fixtures.
TEST(NpyRead, CommittedNumpyFiles) {
    const std::string dir = std::string(ATTRPRIOR_TEST_DATA_DIR) + "/prior_odd_hard/";
    const auto attr = read_npy<double>(dir + "prior_attr.npy");
    EXPECT_EQ(attr.stored_type, NpyType::float64);
    EXPECT_EQ(attr.shape, (std::vector<Index>{12, 301, 4}));
    const auto status = read_npy<int>(dir + "prior_status.npy", {12});
    EXPECT_EQ(status.stored_type, NpyType::int64);
    for (Index b = 0; b < 12; ++b) EXPECT_EQ(status.data[b], b % 2 == 0 ? 1 : 0);
    const auto value = read_npy<double>(dir + "prior_value.npy", {});
    EXPECT_EQ(value.size(), 1);
    EXPECT_GT(value.data[0], 0.0);
    EXPECT_LT(value.data[0], 1.0);
}
#endif

}  // namespace
