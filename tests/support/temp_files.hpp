// Shared helpers of the genomics file tests: unique temporary paths, writers of plain,
// bgzipped and gzipped text, and readers of text and tab-separated files.
#pragma once

#include <gtest/gtest.h>
#include <htslib/bgzf.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace attrprior::testing {

/// A file name under the GoogleTest temp dir, unique per test and process (concurrent runs
/// of two build trees do not share files); the file and any stale index next to it are
/// removed.
inline std::string temp_path(const std::string& prefix, const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : test) {
        if (c == '/') c = '_';
    }
    test += "_" + std::to_string(static_cast<long>(::getpid()));
    const std::string path = ::testing::TempDir() + prefix + test + "_" + name;
    for (const char* suffix : {"", ".fai", ".gzi"}) std::remove((path + suffix).c_str());
    return path;
}

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    ASSERT_TRUE(out) << "cannot create " << path;
    out << text;
    ASSERT_TRUE(out);
}

/// Writes text through BGZF: mode "w" gives bgzip, "wg" plain gzip.
inline void write_compressed(const std::string& path, const std::string& text, const char* mode) {
    BGZF* fp = bgzf_open(path.c_str(), mode);
    ASSERT_NE(fp, nullptr) << "cannot create " << path;
    const ssize_t written = bgzf_write(fp, text.data(), text.size());
    const int closed = bgzf_close(fp);
    ASSERT_EQ(written, static_cast<ssize_t>(text.size()));
    ASSERT_EQ(closed, 0);
}

/// Byte offsets at which the BGZF blocks of a bgzip file end, in order (the last is the
/// file size when the file ends with a whole block, normally the 28-byte end-of-file block).
inline std::vector<std::uint64_t> bgzf_block_ends(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::vector<std::uint64_t> ends;
    std::uint64_t at = 0;
    unsigned char header[18];
    while (in.read(reinterpret_cast<char*>(header), sizeof(header))) {
        // BGZF: gzip header with an extra field "BC" whose 2-byte value is the block size - 1.
        EXPECT_TRUE(header[0] == 31 && header[1] == 139 && header[12] == 'B' && header[13] == 'C')
            << path << " is not bgzip at byte " << at;
        const std::uint64_t size = (static_cast<std::uint64_t>(header[16]) |
                                    (static_cast<std::uint64_t>(header[17]) << 8)) + 1;
        at += size;
        ends.push_back(at);
        in.seekg(static_cast<std::streamoff>(at));
    }
    return ends;
}

/// The whole content of a file ("" and a test failure if it cannot be opened).
inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The lines of a tab-separated file, each split at its tabs.
inline std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
    std::vector<std::vector<std::string>> rows;
    std::stringstream text(read_file(path));
    std::string line;
    while (std::getline(text, line)) {
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string f;
        while (std::getline(ss, f, '\t')) fields.push_back(f);
        rows.push_back(fields);
    }
    return rows;
}

}  // namespace attrprior::testing
