// Shared helpers of the genomics file tests: unique temporary paths and writers of plain,
// bgzipped and gzipped text.
#pragma once

#include <gtest/gtest.h>
#include <htslib/bgzf.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

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

}  // namespace attrprior::testing
