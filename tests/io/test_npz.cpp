// Tests of attrprior/io/npz.hpp: round trips (chunked, multi-member, empty, ZIP64),
// numpy-made fixtures (tests/reference/make_npz_fixtures.py), every error path, and the
// writer's crash safety (no file under the target path unless close() succeeded).
//
// This test links only attrprior::attrprior, i.e. the configuration without zlib: it
// checks that deflated members give the clear error. Inflating them is tested in
// tests/genomics/test_npz_zlib.cpp, built against attrprior::genomics (which brings zlib).
#include "attrprior/io/npz.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "attrprior/io/npy.hpp"

using attrprior::testing::error_message;
using attrprior::testing::expect_invalid;

namespace {

namespace fs = std::filesystem;
using attrprior::Index;
using attrprior::io::list_npz;
using attrprior::io::NpyArray;
using attrprior::io::NpyType;
using attrprior::io::NpzWriter;
using attrprior::io::read_npz;
using attrprior::io::write_npz;
using attrprior::io::detail::ZipLimits;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string fixtures = std::string(ATTRPRIOR_TEST_DATA_DIR) + "/npz/";

/// A fresh directory under the GoogleTest temp dir, unique per test.
std::string temp_dir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : test) {
        if (c == '/') c = '_';
    }
    const fs::path dir = fs::path(::testing::TempDir()) / ("attrprior_npz_" + test);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string() + "/";
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << path;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out) << "cannot create " << path;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out);
}

/// Names of the files in dir (the writer's temporary files show up here).
std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

template <class T>
std::vector<T> iota_values(std::size_t n, T start = T(0)) {
    std::vector<T> v(n);
    std::iota(v.begin(), v.end(), start);
    return v;
}

/// Offset of the first central directory header ("PK\1\2") in an archive's bytes.
std::size_t central_directory(const std::string& bytes) {
    const std::size_t pos = bytes.find(std::string("PK\x01\x02", 4));
    EXPECT_NE(pos, std::string::npos);
    return pos;
}

// --- round trips ------------------------------------------------------------------------

TEST(NpzRoundTrip, Float32OneHotShape) {
    const std::string path = temp_dir() + "m.ohe.npz";
    const std::vector<Index> shape{3, 4, 7};
    const auto values = iota_values<float>(3 * 4 * 7, -5.5f);
    write_npz(path, values.data(), shape);
    EXPECT_THAT(list_npz(path), ElementsAre("arr_0"));
    const NpyArray<float> back = read_npz<float>(path);
    EXPECT_EQ(back.shape, shape);
    EXPECT_EQ(back.stored_type, NpyType::float32);
    EXPECT_EQ(back.data, values);
    EXPECT_EQ(read_npz<float>(path, "arr_0", shape).data, values);
}

TEST(NpzRoundTrip, OtherDtypesAndConversion) {
    const std::string dir = temp_dir();
    const auto doubles = iota_values<double>(10, 0.25);
    write_npz(dir + "d.npz", doubles.data(), {2, 5});
    EXPECT_EQ(read_npz<double>(dir + "d.npz").data, doubles);
    EXPECT_EQ(read_npz<double>(dir + "d.npz").stored_type, NpyType::float64);

    const auto ints = iota_values<std::int32_t>(6, -3);
    write_npz(dir + "i.npz", ints.data(), {6}, "counts");
    EXPECT_EQ(read_npz<std::int32_t>(dir + "i.npz", "counts").data, ints);
    // read_npy's conversion rules: int32 -> double exactly, -> uint8 only in range.
    const std::vector<double> as_double(ints.begin(), ints.end());
    EXPECT_EQ(read_npz<double>(dir + "i.npz", "counts").data, as_double);
    EXPECT_THAT(error_message<attrprior::io_error>([&] {
                    read_npz<std::uint8_t>(dir + "i.npz", "counts");
                }),
                HasSubstr("read_npz: '" + dir + "i.npz:counts.npy': element 0 (value -3)"));

    const auto longs = iota_values<std::int64_t>(4, std::int64_t(1) << 40);
    write_npz(dir + "l.npz", longs.data(), {2, 2});
    EXPECT_EQ(read_npz<std::int64_t>(dir + "l.npz").data, longs);

    const bool flags[] = {true, false, true};
    write_npz(dir + "b.npz", flags, {3});
    EXPECT_EQ(read_npz<bool>(dir + "b.npz").data, (std::vector<bool>{true, false, true}));
    EXPECT_EQ(read_npz<bool>(dir + "b.npz").stored_type, NpyType::boolean);
}

TEST(NpzRoundTrip, MultipleMembersInOrder) {
    const std::string path = temp_dir() + "multi.npz";
    const auto a = iota_values<float>(8);
    const auto b = iota_values<double>(3, 1.5);
    const auto c = iota_values<std::int8_t>(5, std::int8_t(-2));
    {
        NpzWriter out(path);
        out.begin<float>("ohe", {2, 4});
        out.append(a.data(), 8);
        out.end();
        out.begin<double>("attr", {3});
        out.append(b.data(), 3);
        out.end();
        out.begin<std::int8_t>("labels", {5});
        out.append(c.data(), 5);
        out.end();
        out.close();
    }
    EXPECT_THAT(list_npz(path), ElementsAre("ohe", "attr", "labels"));
    EXPECT_EQ(read_npz<float>(path, "ohe").data, a);
    EXPECT_EQ(read_npz<double>(path, "attr").data, b);
    EXPECT_EQ(read_npz<std::int8_t>(path, "labels").data, c);
    EXPECT_EQ(read_npz<float>(path, "ohe.npy").data, a);  // the stored name works too
}

TEST(NpzRoundTrip, EmptyAndZeroDimensionalArrays) {
    const std::string dir = temp_dir();
    const std::string path = dir + "empty.npz";
    const float scalar = 3.5f;
    {
        NpzWriter out(path);
        out.begin<float>("none", {0, 4, 10});
        out.append<float>(nullptr, 0);
        out.end();
        out.begin<float>("scalar", {});
        out.append(&scalar, 1);
        out.end();
        out.close();
    }
    const auto none = read_npz<float>(path, "none");
    EXPECT_EQ(none.shape, (std::vector<Index>{0, 4, 10}));
    EXPECT_TRUE(none.data.empty());
    const auto s = read_npz<float>(path, "scalar");
    EXPECT_TRUE(s.shape.empty());
    EXPECT_THAT(s.data, ElementsAre(3.5f));

    // An archive with no members at all.
    const std::string nothing = dir + "nothing.npz";
    NpzWriter(nothing).close();
    EXPECT_TRUE(list_npz(nothing).empty());
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<float>(nothing); }),
                HasSubstr("no member 'arr_0' (members: none)"));
}

TEST(NpzRoundTrip, ChunkedAppendsGiveTheSameBytesAsOneAppend) {
    const std::string dir = temp_dir();
    const Index n = 5, length = 33;
    const auto values = iota_values<float>(static_cast<std::size_t>(n * 4 * length));
    write_npz(dir + "one.npz", values.data(), {n, 4, length});
    {
        NpzWriter out(dir + "chunks.npz");
        out.begin<float>("arr_0", {n, 4, length});
        // Rows of uneven chunk sizes, as the attribute program produces them.
        std::size_t done = 0;
        for (std::size_t chunk : {1u, 131u, 0u, 200u, 7u}) {
            out.append(values.data() + done, static_cast<Index>(chunk));
            done += chunk;
        }
        out.append(values.data() + done, static_cast<Index>(values.size() - done));
        out.end();
        out.close();
    }
    EXPECT_EQ(read_bytes(dir + "chunks.npz"), read_bytes(dir + "one.npz"));
    EXPECT_EQ(read_npz<float>(dir + "chunks.npz").data, values);
}

TEST(NpzRoundTrip, MemberBytesAreExactlyWhatWriteNpyWrites) {
    const std::string dir = temp_dir();
    const auto values = iota_values<double>(24, -1.0);
    write_npz(dir + "a.npz", values.data(), {2, 3, 4});
    attrprior::io::write_npy(dir + "a.npy", values.data(), {2, 3, 4});
    const std::string zip = read_bytes(dir + "a.npz");
    const std::string npy = read_bytes(dir + "a.npy");
    // Local header (30 bytes) + "arr_0.npy", then the member's bytes.
    ASSERT_GE(zip.size(), 39 + npy.size());
    EXPECT_EQ(zip.substr(30, 9), "arr_0.npy");
    EXPECT_EQ(zip.substr(39, npy.size()), npy);
}

TEST(NpzRoundTrip, Crc32OfTheCheckString) {
    // The standard check value of CRC-32 (zip, PNG, ...).
    EXPECT_EQ(attrprior::io::detail::crc32_update(0, "123456789", 9), 0xCBF43926u);
    const std::uint32_t part = attrprior::io::detail::crc32_update(0, "1234", 4);
    EXPECT_EQ(attrprior::io::detail::crc32_update(part, "56789", 5), 0xCBF43926u);
}

// --- ZIP64 ------------------------------------------------------------------------------

TEST(NpzZip64, ForcedOnSmallDataRoundTrips) {
    const std::string path = temp_dir() + "zip64.npz";
    const auto a = iota_values<float>(40);
    const auto b = iota_values<std::int64_t>(3, 7);
    {
        NpzWriter out(path, ZipLimits{0});  // every size, offset and count through ZIP64
        out.begin<float>("ohe", {2, 4, 5});
        out.append(a.data(), 40);
        out.end();
        out.begin<std::int64_t>("ids", {3});
        out.append(b.data(), 3);
        out.end();
        out.close();
    }
    const std::string bytes = read_bytes(path);
    EXPECT_NE(bytes.find(std::string("PK\x06\x06", 4)), std::string::npos);  // ZIP64 end record
    EXPECT_NE(bytes.find(std::string("PK\x06\x07", 4)), std::string::npos);  // its locator
    // The local header's sizes say "see the ZIP64 extra field".
    EXPECT_EQ(bytes.substr(18, 8), std::string(8, '\xFF'));
    EXPECT_THAT(list_npz(path), ElementsAre("ohe", "ids"));
    EXPECT_EQ(read_npz<float>(path, "ohe").data, a);
    EXPECT_EQ(read_npz<std::int64_t>(path, "ids").data, b);
}

TEST(NpzZip64, OnlyTheFieldsPastTheThreshold) {
    // Threshold 170: the first member (144 bytes at offset 0) is plain; the second starts
    // at offset 183 (ZIP64 offset) and has 928 bytes (ZIP64 sizes); the directory offset
    // needs the ZIP64 end record.
    const std::string path = temp_dir() + "mixed.npz";
    const auto small = iota_values<float>(4);
    const auto large = iota_values<double>(100);
    {
        NpzWriter out(path, ZipLimits{170});
        out.begin<float>("small", {4});
        out.append(small.data(), 4);
        out.end();
        out.begin<double>("large", {100});
        out.append(large.data(), 100);
        out.end();
        out.close();
    }
    const std::string bytes = read_bytes(path);
    EXPECT_NE(bytes.find(std::string("PK\x06\x06", 4)), std::string::npos);
    EXPECT_EQ(read_npz<float>(path, "small").data, small);
    EXPECT_EQ(read_npz<double>(path, "large").data, large);
}

// --- numpy fixtures ---------------------------------------------------------------------

TEST(NpzNumpyFixtures, SavezArr0) {
    // np.savez(f, np.arange(40, dtype=float32).reshape(2, 4, 5))
    const auto a = read_npz<float>(fixtures + "savez_arr0.npz");
    EXPECT_EQ(a.shape, (std::vector<Index>{2, 4, 5}));
    EXPECT_EQ(a.stored_type, NpyType::float32);
    EXPECT_EQ(a.data, iota_values<float>(40));
}

TEST(NpzNumpyFixtures, SavezNamedMembers) {
    const std::string path = fixtures + "savez_named.npz";
    EXPECT_THAT(list_npz(path), ElementsAre("ohe", "refs", "counts", "weights"));
    EXPECT_EQ(read_npz<float>(path, "ohe").data, iota_values<float>(40));
    // refs: np.arange(120, dtype=float32) / 8 as N x K x 4 x L = 2 x 3 x 4 x 5.
    const auto refs = read_npz<float>(path, "refs", {2, 3, 4, 5});
    ASSERT_EQ(refs.data.size(), 120u);
    for (std::size_t i = 0; i < refs.data.size(); ++i)
        EXPECT_EQ(refs.data[i], static_cast<float>(i) / 8.0f) << i;
    const auto as_double = read_npz<double>(path, "refs");
    EXPECT_EQ(as_double.data[9], 9.0 / 8.0);
    EXPECT_EQ(read_npz<std::int64_t>(path, "counts").data, iota_values<std::int64_t>(6, -3));
    EXPECT_EQ(read_npz<std::int32_t>(path, "counts").data, iota_values<std::int32_t>(6, -3));
    const auto w = read_npz<double>(path, "weights");  // np.linspace(0, 1, 7)
    ASSERT_EQ(w.data.size(), 7u);
    for (std::size_t i = 0; i < 7; ++i) EXPECT_DOUBLE_EQ(w.data[i], static_cast<double>(i) / 6.0);
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<int>(path, "weights"); }),
                HasSubstr("read_npz: '" + path + ":weights.npy': element 1"));
}

TEST(NpzNumpyFixtures, SavezCompressedWithoutZlibSaysWhatToDo) {
#if defined(ATTRPRIOR_HAS_ZLIB)
    GTEST_SKIP() << "built with zlib; tests/genomics/test_npz_zlib.cpp reads these";
#else
    for (const char* name : {"savez_compressed_arr0.npz", "savez_compressed_named.npz"}) {
        const std::string path = fixtures + name;
        const std::string member = std::string(name) == "savez_compressed_arr0.npz" ? "arr_0"
                                                                                     : "refs";
        const std::string message =
            error_message<attrprior::io_error>([&] { read_npz<float>(path, member); });
        EXPECT_THAT(message, HasSubstr("read_npz: '" + path + "'"));
        EXPECT_THAT(message, HasSubstr("deflate-compressed"));
        EXPECT_THAT(message, HasSubstr("numpy.savez (not savez_compressed)"));
        EXPECT_THAT(message, HasSubstr("build with zlib"));
    }
    // Listing does not need to inflate anything.
    EXPECT_THAT(list_npz(fixtures + "savez_compressed_named.npz"),
                ElementsAre("ohe", "refs", "counts", "weights"));
#endif
}

TEST(NpzNumpyFixtures, MalformedInnerNpyIsPrefixedWithPathAndMember) {
    const std::string path = fixtures + "bad_npy_member.npz";
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<std::int64_t>(path); }),
                HasSubstr("read_npz: '" + path +
                          ":arr_0.npy': malformed header: unexpected key 'descx'"));
}

TEST(NpzNumpyFixtures, Bzip2MemberIsAnUnsupportedMethod) {
    const std::string path = fixtures + "bzip2_member.npz";
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<std::int64_t>(path); }),
                HasSubstr("member 'arr_0.npy' uses unsupported compression method 12"));
}

// --- reader errors ----------------------------------------------------------------------

TEST(NpzReadErrors, MissingFileNotZipAndNpy) {
    const std::string dir = temp_dir();
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<float>(dir + "absent.npz"); }),
                HasSubstr("'" + dir + "absent.npz': cannot open file for reading (No such file"));
    write_bytes(dir + "text.npz", "chr1\t100\t200\n");
    EXPECT_THAT(error_message<attrprior::io_error>([&] { list_npz(dir + "text.npz"); }),
                HasSubstr("'" + dir + "text.npz': not a zip file"));
    write_bytes(dir + "empty.npz", "");
    EXPECT_THAT(error_message<attrprior::io_error>([&] { list_npz(dir + "empty.npz"); }),
                HasSubstr("not a zip file"));
    const float v = 1.0f;
    attrprior::io::write_npy(dir + "a.npy", &v, {1});
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<float>(dir + "a.npy"); }),
                HasSubstr("this is a .npy file (read it with read_npy)"));
}

TEST(NpzReadErrors, TruncatedArchive) {
    const std::string dir = temp_dir();
    const auto values = iota_values<float>(200);
    write_npz(dir + "full.npz", values.data(), {200});
    const std::string bytes = read_bytes(dir + "full.npz");
    for (std::size_t keep : {bytes.size() / 2, bytes.size() - 1, std::size_t(40)}) {
        write_bytes(dir + "cut.npz", bytes.substr(0, keep));
        EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<float>(dir + "cut.npz"); }),
                    HasSubstr("'" + dir + "cut.npz': truncated archive"))
            << "kept " << keep << " bytes";
    }
}

TEST(NpzReadErrors, CrcMismatch) {
    const std::string dir = temp_dir();
    const auto values = iota_values<float>(50);
    write_npz(dir + "a.npz", values.data(), {50});
    std::string bytes = read_bytes(dir + "a.npz");
    // Flip a bit in the last data byte (just before the central directory).
    bytes[central_directory(bytes) - 1] ^= 0x01;
    write_bytes(dir + "a.npz", bytes);
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<float>(dir + "a.npz"); }),
                HasSubstr("'" + dir + "a.npz': CRC-32 mismatch in member 'arr_0.npy'"));

    // Damage in the .npy header: the CRC is reported first, with the parser's message.
    bytes = read_bytes(dir + "a.npz");
    bytes[central_directory(bytes) - 1] ^= 0x01;  // undo
    bytes[39 + 12] = '?';                          // inside the header dict
    write_bytes(dir + "b.npz", bytes);
    const std::string message =
        error_message<attrprior::io_error>([&] { read_npz<float>(dir + "b.npz"); });
    EXPECT_THAT(message, HasSubstr("CRC-32 mismatch in member 'arr_0.npy'"));
    EXPECT_THAT(message, HasSubstr("malformed header"));
}

TEST(NpzReadErrors, EncryptedMember) {
    const std::string dir = temp_dir();
    const auto values = iota_values<float>(4);
    write_npz(dir + "a.npz", values.data(), {4});
    std::string bytes = read_bytes(dir + "a.npz");
    bytes[central_directory(bytes) + 8] |= 0x01;  // general purpose flag bit 0
    write_bytes(dir + "a.npz", bytes);
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<float>(dir + "a.npz"); }),
                HasSubstr("member 'arr_0.npy' is encrypted"));
}

TEST(NpzReadErrors, MissingMemberListsThePresentOnes) {
    const std::string path = fixtures + "savez_named.npz";
    EXPECT_THAT(error_message<attrprior::io_error>([&] { read_npz<float>(path, "arr_0"); }),
                HasSubstr("'" + path + "': no member 'arr_0' (members: 'ohe', 'refs', "
                          "'counts', 'weights')"));
}

TEST(NpzReadErrors, WrongShape) {
    const std::string path = fixtures + "savez_arr0.npz";
    EXPECT_THAT(
        error_message<attrprior::io_error>([&] { read_npz<float>(path, "arr_0", {2, 3, 4, 5}); }),
        HasSubstr("read_npz: '" + path +
                  ":arr_0.npy': expected shape (2, 3, 4, 5) but the member has shape (2, 4, 5)"));
}

// --- writer -----------------------------------------------------------------------------

TEST(NpzWriter, AbandonedWriterLeavesNothingAndKeepsAnOldFile) {
    const std::string dir = temp_dir();
    const auto values = iota_values<float>(16);
    {
        NpzWriter out(dir + "a.npz");
        out.begin<float>("arr_0", {16});
        out.append(values.data(), 8);
        EXPECT_EQ(files_in(dir).size(), 1u);  // only the temporary file
        EXPECT_EQ(out.temp_path().rfind(dir + "a.npz.tmp-", 0), 0u) << out.temp_path();
    }  // destroyed without close(), as on an exception
    EXPECT_TRUE(files_in(dir).empty());

    // An existing archive stays as it was until a new one is complete.
    write_npz(dir + "a.npz", values.data(), {16});
    const std::string before = read_bytes(dir + "a.npz");
    {
        NpzWriter out(dir + "a.npz");
        out.begin<float>("arr_0", {4});
        out.append(values.data(), 4);
        out.end();
        EXPECT_EQ(read_bytes(dir + "a.npz"), before);
    }
    EXPECT_EQ(read_bytes(dir + "a.npz"), before);
    EXPECT_THAT(files_in(dir), ElementsAre("a.npz"));
}

TEST(NpzWriter, UsageErrors) {
    const std::string dir = temp_dir();
    const std::string path = dir + "u.npz";
    const auto values = iota_values<float>(10);
    const auto doubles = iota_values<double>(10);
    NpzWriter out(path);
    expect_invalid([&] { out.append(values.data(), 1); }, "append() without begin()");
    expect_invalid([&] { out.end(); }, "end() without begin()");
    expect_invalid([&] { out.begin<float>("", {1}); }, "member name is empty");
    expect_invalid([&] { out.begin<float>("x", {2, -1}); },
                   "NpzWriter: '" + path + "': shape (2, -1) has a negative dimension");
    out.begin<float>("arr_0", {2, 3});
    expect_invalid([&] { out.begin<float>("b", {1}); }, "begin('b') while member 'arr_0'");
    expect_invalid([&] { out.append(doubles.data(), 1); },
                   "append() of double values to member 'arr_0' of dtype '<f4'");
    expect_invalid([&] { out.append(values.data(), 7); },
                   "member 'arr_0' of shape (2, 3) takes 6 more values, append() got 7");
    out.append(values.data(), 4);
    expect_invalid([&] { out.end(); }, "member 'arr_0' of shape (2, 3) needs 6 values but 4");
    expect_invalid([&] { out.close(); }, "close() while member 'arr_0' is not ended");
    out.append(values.data() + 4, 2);  // the member is still open after the failed end()
    out.end();
    expect_invalid([&] { out.begin<double>("arr_0", {1}); }, "duplicate member 'arr_0'");
    out.close();
    expect_invalid([&] { out.begin<float>("c", {1}); }, "begin() after close()");
    EXPECT_EQ(read_npz<float>(path).data, std::vector<float>(values.begin(), values.begin() + 6));
    EXPECT_THAT(files_in(dir), ElementsAre("u.npz"));
    expect_invalid([&] { write_npz<float>(dir + "n.npz", nullptr, {3}); }, "data is null");
}

TEST(NpzWriter, CannotCreateTheTemporaryFile) {
    const std::string path = temp_dir() + "no_such_dir/a.npz";
    EXPECT_THAT(error_message<attrprior::io_error>([&] { NpzWriter out(path); }),
                HasSubstr("NpzWriter: '" + path + "': cannot create the temporary file '" + path +
                          ".tmp-"));
    EXPECT_THAT(error_message<attrprior::io_error>([&] { NpzWriter out(path); }),
                HasSubstr("(No such file or directory)"));
}

TEST(NpzWriter, FailedWriteIsAnIoErrorWithStrerrorAndLeavesNothing) {
    // A file-size limit makes write() fail with EFBIG as a full disk fails with ENOSPC.
    const std::string dir = temp_dir();
    const auto values = iota_values<float>(1 << 16);  // 256 KiB
    rlimit old{};
    ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    if (old.rlim_max != RLIM_INFINITY && old.rlim_max < (1u << 20))
        GTEST_SKIP() << "hard file-size limit too low to restore";
    auto* previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 64 * 1024;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
    std::string message;
    {
        NpzWriter out(dir + "big.npz");
        out.begin<float>("arr_0", {1 << 16});
        message = error_message<attrprior::io_error>([&] {
            out.append(values.data(), 1 << 16);
            out.end();
            out.close();
        });
        expect_invalid([&] { out.close(); }, "close() after a failed write");
    }
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
    std::signal(SIGXFSZ, previous);
    EXPECT_THAT(message, HasSubstr("NpzWriter: '" + dir + "big.npz': cannot write '" + dir +
                                   "big.npz.tmp-"));
    EXPECT_THAT(message, HasSubstr("(File too large)"));
    EXPECT_TRUE(files_in(dir).empty());
}

}  // namespace
