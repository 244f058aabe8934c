// io/npz.hpp with zlib: deflated members (np.savez_compressed). Built against
// attrprior::genomics, the target that brings zlib and defines ATTRPRIOR_HAS_ZLIB; the
// rest of npz.hpp, and the zlib-free configuration, are tested in tests/io/test_npz.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "attrprior/io/npz.hpp"

#if !defined(ATTRPRIOR_HAS_ZLIB)
#error "attrprior::genomics must define ATTRPRIOR_HAS_ZLIB"
#endif

namespace {

using attrprior::Index;
using attrprior::io::list_npz;
using attrprior::io::read_npz;
using attrprior::testing::error_message;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string fixtures = std::string(ATTRPRIOR_TEST_DATA_DIR) + "/npz/";

TEST(NpzDeflated, SavezCompressedArr0) {
    // np.savez_compressed(f, np.arange(40, dtype=float32).reshape(2, 4, 5))
    const auto a = read_npz<float>(fixtures + "savez_compressed_arr0.npz", "arr_0", {2, 4, 5});
    std::vector<float> expected(40);
    std::iota(expected.begin(), expected.end(), 0.0f);
    EXPECT_EQ(a.data, expected);
}

TEST(NpzDeflated, SameValuesAsTheStoredArchive) {
    const std::string stored = fixtures + "savez_named.npz";
    const std::string deflated = fixtures + "savez_compressed_named.npz";
    EXPECT_EQ(list_npz(deflated), list_npz(stored));
    for (const char* member : {"ohe", "refs", "counts", "weights"}) {
        const auto s = read_npz<double>(stored, member);
        const auto d = read_npz<double>(deflated, member);
        EXPECT_EQ(d.shape, s.shape) << member;
        EXPECT_EQ(d.data, s.data) << member;
        EXPECT_EQ(d.stored_type, s.stored_type) << member;
    }
    EXPECT_EQ(read_npz<float>(deflated, "refs", {2, 3, 4, 5}).data[9], 9.0f / 8.0f);
}

TEST(NpzDeflated, CorruptCompressedDataIsReported) {
    const std::string path = fixtures + "savez_compressed_named.npz";
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Damage the middle of the first member's deflate stream (after its 30-byte header,
    // the name "ohe.npy" and numpy's 20-byte ZIP64 extra field).
    const std::size_t data = 30 + 7 + 20;
    for (std::size_t i = data + 20; i < data + 40; ++i) bytes[i] = static_cast<char>(~bytes[i]);
    const std::string damaged = ::testing::TempDir() + "attrprior_npz_damaged_deflate.npz";
    std::ofstream(damaged, std::ios::binary).write(bytes.data(),
                                                   static_cast<std::streamsize>(bytes.size()));
    const std::string message =
        error_message<attrprior::io_error>([&] { read_npz<float>(damaged, "ohe"); });
    EXPECT_THAT(message, HasSubstr("read_npz: '" + damaged));
    EXPECT_THAT(message, AnyOf(HasSubstr("member 'ohe.npy': corrupt deflate data"),
                               HasSubstr("CRC-32 mismatch in member 'ohe.npy'"),
                               HasSubstr("member 'ohe.npy': the deflate stream")));
    // The other members are intact.
    EXPECT_EQ(read_npz<std::int64_t>(damaged, "counts").data,
              (std::vector<std::int64_t>{-3, -2, -1, 0, 1, 2}));
}

}  // namespace
