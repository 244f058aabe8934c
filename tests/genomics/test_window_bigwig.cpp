// Tests of attrprior/genomics/window_bigwig.hpp: tracks over windows written to bigWig and
// read back with BigWigReader. Non-overlapping windows; two overlapping windows split at
// floor((a + b) / 2) for even and odd summit distances; three mutually overlapping windows;
// repeated windows; windows whose summit is off-centre; out-of-order windows on two
// chromosomes; equality with chrombpnet's pairwise pass on random centred windows; float32
// values bit for bit; quantiles; errors naming the window.
#include "attrprior/genomics/window_bigwig.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_files.hpp"
#include "attrprior/genomics/bigwig.hpp"

namespace ag = attrprior::genomics;
using attrprior::Index;
using attrprior::testing::error_message;
using ::testing::HasSubstr;

namespace {

using ChromList = std::vector<std::pair<std::string, Index>>;

std::string temp_path(const std::string& name) { return attrprior::testing::temp_path("attrprior_window_bw_", name); }

ag::Interval window(const std::string& chrom, Index start, Index length, Index summit, const std::string& name = "") {
    ag::Interval w;
    w.chrom = chrom;
    w.start = start;
    w.end = start + length;
    w.summit = summit;
    w.name = name;
    return w;
}

/// Row r of an N x L track: 100 * (r + 1) + i at offset i, so a value names its window and
/// offset.
std::vector<float> labelled_values(std::size_t n, Index length) {
    std::vector<float> v(n * static_cast<std::size_t>(length));
    for (std::size_t r = 0; r < n; ++r) {
        for (Index i = 0; i < length; ++i) v[r * static_cast<std::size_t>(length) + static_cast<std::size_t>(i)] = float(100 * (r + 1) + i);
    }
    return v;
}

/// The value labelled_values gives base p of windows[r].
float label(const std::vector<ag::Interval>& windows, std::size_t r, Index p) {
    return float(100 * (r + 1) + (p - windows[r].start));
}

/// Expected track of one chromosome: base p takes window owner[p] (-1: no value).
std::vector<float> expected_track(const std::vector<ag::Interval>& windows, const std::vector<int>& owner) {
    std::vector<float> out(owner.size(), 0.0f);
    for (std::size_t p = 0; p < owner.size(); ++p) {
        if (owner[p] >= 0) out[p] = label(windows, static_cast<std::size_t>(owner[p]), static_cast<Index>(p));
    }
    return out;
}

/// owner vector of `length` bases: window w for bases [a, b) of each (a, b, w); -1 elsewhere.
std::vector<int> owners(Index length, const std::vector<std::tuple<Index, Index, int>>& parts) {
    std::vector<int> owner(static_cast<std::size_t>(length), -1);
    for (const auto& [a, b, w] : parts) {
        for (Index p = a; p < b; ++p) owner[static_cast<std::size_t>(p)] = w;
    }
    return owner;
}

/// Writes labelled_values of `windows` and reads `chrom` back.
std::vector<float> round_trip(const std::string& name, const ChromList& chromosomes,
                              const std::vector<ag::Interval>& windows, Index length, const std::string& chrom) {
    const std::string path = temp_path(name);
    ag::write_window_bigwig(path, chromosomes, windows, labelled_values(windows.size(), length), length);
    const ag::BigWigReader bw(path);
    EXPECT_EQ(bw.chromosomes(), chromosomes);
    return bw.read(chrom, 0, bw.length(chrom));
}

/// chrombpnet's pass over windows of one chromosome, restated: windows in start order (stable);
/// each writes from where the previous stopped (or its start) to its end, or, when the next
/// window overlaps it, to floor((summit + next summit) / 2). Returns the owner of each base.
std::vector<int> pairwise_owners(const std::vector<ag::Interval>& windows, Index chrom_length) {
    std::vector<std::size_t> order(windows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return windows[a].start < windows[b].start; });
    std::vector<int> owner(static_cast<std::size_t>(chrom_length), -1);
    Index written_to = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const ag::Interval& w = windows[order[k]];
        written_to = std::max(written_to, w.start);
        Index stop = w.end;
        if (k + 1 < order.size() && windows[order[k + 1]].start < w.end) {
            stop = (w.summit + windows[order[k + 1]].summit) / 2;
        }
        for (Index p = written_to; p < stop; ++p) {
            EXPECT_TRUE(p >= w.start && p < w.end) << "the pairwise pass left window " << order[k];
            owner[static_cast<std::size_t>(p)] = static_cast<int>(order[k]);
        }
        written_to = std::max(written_to, stop);
    }
    return owner;
}

/// Owner of each base from nearest_summit_segments (one chromosome).
std::vector<int> segment_owners(const ChromList& chromosomes, const std::vector<ag::Interval>& windows) {
    std::vector<int> owner(static_cast<std::size_t>(chromosomes[0].second), -1);
    for (const ag::TrackSegment& s : ag::nearest_summit_segments(chromosomes, windows)) {
        for (Index p = s.start; p < s.end; ++p) owner[static_cast<std::size_t>(p)] = static_cast<int>(s.window);
    }
    return owner;
}

}  // namespace

TEST(WindowBigWig, NonOverlappingWindowsAreWrittenExactly) {
    const ChromList chroms = {{"chr1", 40}};
    const std::vector<ag::Interval> windows = {window("chr1", 20, 8, 24), window("chr1", 2, 8, 6), window("chr1", 10, 8, 14)};
    // [10, 18) and [20, 28) do not overlap; [2, 10) and [10, 18) touch.
    EXPECT_EQ(round_trip("plain.bw", chroms, windows, 8, "chr1"),
              expected_track(windows, owners(40, {{2, 10, 1}, {10, 18, 2}, {20, 28, 0}})));
}

TEST(WindowBigWig, TwoOverlappingWindowsSplitBetweenTheSummits) {
    const ChromList chroms = {{"chr1", 30}};
    // Even distance: summits 5 and 9, floor(14 / 2) = 7; base 7 (2 from each) goes to the later.
    std::vector<ag::Interval> windows = {window("chr1", 0, 10, 5), window("chr1", 4, 10, 9)};
    EXPECT_EQ(round_trip("even.bw", chroms, windows, 10, "chr1"),
              expected_track(windows, owners(30, {{0, 7, 0}, {7, 14, 1}})));
    // Odd distance: summits 5 and 8, floor(13 / 2) = 6; base 6 is one base nearer 5 but goes to
    // the later window, as in chrombpnet.
    windows = {window("chr1", 3, 10, 8), window("chr1", 0, 10, 5)};  // given out of order
    EXPECT_EQ(round_trip("odd.bw", chroms, windows, 10, "chr1"),
              expected_track(windows, owners(30, {{0, 6, 1}, {6, 13, 0}})));
    // Distance 1: summits 5 and 6, floor(11 / 2) = 5: the summit base of the first goes to
    // the second.
    windows = {window("chr1", 0, 10, 5), window("chr1", 1, 10, 6)};
    EXPECT_EQ(round_trip("one.bw", chroms, windows, 10, "chr1"),
              expected_track(windows, owners(30, {{0, 5, 0}, {5, 11, 1}})));
}

TEST(WindowBigWig, ThreeMutuallyOverlappingWindows) {
    const ChromList chroms = {{"chr1", 30}};
    // Summits 5, 7, 10 (windows [0, 10), [2, 12), [5, 15): the first and third overlap too).
    // Pairwise: floor(12 / 2) = 6 and floor(17 / 2) = 8. Base 8 is 1.5 from 7's start of base
    // and 1.5 from 10's: a tie, to the summit on its right.
    const std::vector<ag::Interval> windows = {window("chr1", 5, 10, 10), window("chr1", 0, 10, 5),
                                               window("chr1", 2, 10, 7)};
    EXPECT_EQ(round_trip("three.bw", chroms, windows, 10, "chr1"),
              expected_track(windows, owners(30, {{0, 6, 1}, {6, 8, 2}, {8, 15, 0}})));
    const std::vector<ag::TrackSegment> segments = ag::nearest_summit_segments(chroms, windows);
    const std::vector<ag::TrackSegment> expected = {{0, 0, 6, 1}, {0, 6, 8, 2}, {0, 8, 15, 0}};
    EXPECT_EQ(segments, expected);
    EXPECT_EQ(pairwise_owners(windows, 30), segment_owners(chroms, windows));
}

TEST(WindowBigWig, RepeatedWindowsSplitAtTheirSummit) {
    // Three copies of [0, 10) with summit 5 (e.g. a peak listed three times) between two other
    // windows: bases left of the summit from the first copy, the others from the last, as
    // chrombpnet's pass does.
    const ChromList chroms = {{"chr1", 30}};
    const std::vector<ag::Interval> windows = {window("chr1", 0, 10, 5), window("chr1", 0, 10, 5),
                                               window("chr1", 0, 10, 5), window("chr1", 8, 10, 13)};
    EXPECT_EQ(round_trip("repeated.bw", chroms, windows, 10, "chr1"),
              expected_track(windows, owners(30, {{0, 5, 0}, {5, 9, 2}, {9, 18, 3}})));
    EXPECT_EQ(pairwise_owners(windows, 30), segment_owners(chroms, windows));
}

TEST(WindowBigWig, OffCentreSummitsLeaveNoGap) {
    // [0, 10) with summit 0 and [5, 15) with summit 6: chrombpnet's pass would stop the first
    // at floor(6 / 2) = 3 and start the second at 5, leaving bases 3 and 4 empty; here they
    // come from the only window covering them.
    const ChromList chroms = {{"chr1", 20}};
    const std::vector<ag::Interval> windows = {window("chr1", 0, 10, 0), window("chr1", 5, 10, 6)};
    EXPECT_EQ(round_trip("offcentre.bw", chroms, windows, 10, "chr1"),
              expected_track(windows, owners(20, {{0, 5, 0}, {5, 15, 1}})));
}

TEST(WindowBigWig, OutOfOrderWindowsOnTwoChromosomes) {
    // The header order (chrB before chrA) decides the writing order; windows come mixed.
    const ChromList chroms = {{"chrB", 50}, {"chrA", 40}, {"chrC", 10}};
    const std::vector<ag::Interval> windows = {window("chrA", 30, 10, 35), window("chrB", 20, 10, 25),
                                               window("chrA", 0, 10, 5), window("chrB", 14, 10, 19),
                                               window("chrA", 26, 10, 31)};
    const std::string path = temp_path("two.bw");
    ag::write_window_bigwig(path, chroms, windows, labelled_values(windows.size(), 10), 10);
    const ag::BigWigReader bw(path);
    EXPECT_EQ(bw.chromosomes(), chroms);
    // chrB: summits 19 and 25, floor(44 / 2) = 22. chrA: summits 31 and 35, floor(66 / 2) = 33.
    EXPECT_EQ(bw.read("chrB", 0, 50), expected_track(windows, owners(50, {{14, 22, 3}, {22, 30, 1}})));
    EXPECT_EQ(bw.read("chrA", 0, 40), expected_track(windows, owners(40, {{0, 10, 2}, {26, 33, 4}, {33, 40, 0}})));
    EXPECT_EQ(bw.read("chrC", 0, 10), std::vector<float>(10, 0.0f));
}

TEST(WindowBigWig, EqualsThePairwisePassOnRandomCentredWindows) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 3000; ++trial) {
        const Index length = std::vector<Index>{6, 7, 10, 11, 20}[static_cast<std::size_t>(trial % 5)];
        const Index chrom_length = 80;
        const auto n = static_cast<std::size_t>(1 + rng() % 12);
        std::vector<ag::Interval> windows;
        for (std::size_t i = 0; i < n; ++i) {
            const Index summit = length / 2 + static_cast<Index>(rng() % static_cast<std::uint32_t>(chrom_length - length + 1));
            windows.push_back(window("chr1", summit - length / 2, length, summit));
        }
        const ChromList chroms = {{"chr1", chrom_length}};
        ASSERT_EQ(pairwise_owners(windows, chrom_length), segment_owners(chroms, windows))
            << "trial " << trial << ", L = " << length;
    }
}

TEST(WindowBigWig, Float32ValuesSurviveExactly) {
    const ChromList chroms = {{"chr1", 100}};
    const std::vector<ag::Interval> windows = {window("chr1", 10, 32, 26), window("chr1", 60, 32, 76)};
    std::mt19937 rng(3);
    std::vector<float> values(64);
    for (float& v : values) {
        std::uint32_t bits = 0;
        do {
            bits = static_cast<std::uint32_t>(rng());
            std::memcpy(&v, &bits, sizeof v);
        } while (!std::isfinite(v) || v == 0.0f);  // zeros are "no value"; any other float
    }
    values[5] = std::numeric_limits<float>::denorm_min();
    values[6] = -std::numeric_limits<float>::max();
    values[7] = 1e-30f;
    const std::string path = temp_path("float.bw");
    ag::write_window_bigwig(path, chroms, windows, values, 32);
    const ag::BigWigReader bw(path);
    const std::vector<float> back = bw.read("chr1", 0, 100);
    for (Index i = 0; i < 32; ++i) {
        EXPECT_EQ(std::memcmp(&back[static_cast<std::size_t>(10 + i)], &values[static_cast<std::size_t>(i)], 4), 0) << i;
        EXPECT_EQ(std::memcmp(&back[static_cast<std::size_t>(60 + i)], &values[static_cast<std::size_t>(32 + i)], 4), 0) << i;
    }
}

TEST(WindowBigWig, QuantilesInterpolateLikeNumpy) {
    // 1..5: position (n - 1) q; numpy.quantile gives 1.004 at 0.1%, 3 at 50%, 4.9996 at 99.99%.
    const ag::TrackQuantiles q = ag::track_quantiles({5.0f, 1.0f, 4.0f, 2.0f, 3.0f});
    EXPECT_EQ(q.bases, 5);
    EXPECT_DOUBLE_EQ(q.values[0], 1.0);
    EXPECT_DOUBLE_EQ(q.values[1], 1.004);
    EXPECT_DOUBLE_EQ(q.values[2], 1.04);
    EXPECT_DOUBLE_EQ(q.values[3], 3.0);
    EXPECT_DOUBLE_EQ(q.values[4], 4.96);
    EXPECT_DOUBLE_EQ(q.values[5], 4.996);
    EXPECT_DOUBLE_EQ(q.values[6], 4.998);
    EXPECT_DOUBLE_EQ(q.values[7], 4.9996);
    EXPECT_DOUBLE_EQ(q.values[8], 5.0);
    EXPECT_STREQ(ag::TrackQuantiles::labels[3], "50%");
    EXPECT_TRUE(std::isnan(ag::track_quantiles({}).values[4]));

    // Of a written track: one value per covered base, overlaps counted once (10 + 4 bases).
    const ChromList chroms = {{"chr1", 30}};
    const std::vector<ag::Interval> windows = {window("chr1", 0, 10, 5), window("chr1", 4, 10, 9)};
    ag::TrackQuantiles written;
    ag::write_window_bigwig(temp_path("q.bw"), chroms, windows, labelled_values(2, 10), 10, &written);
    EXPECT_EQ(written.bases, 14);
    EXPECT_DOUBLE_EQ(written.values[0], 100.0);  // base 0 of window 0
    EXPECT_DOUBLE_EQ(written.values[8], 209.0);  // base 13, last of window 1
}

TEST(WindowBigWig, Errors) {
    const ChromList chroms = {{"chr1", 30}, {"chr2", 20}};
    const std::string path = temp_path("errors.bw");
    std::vector<ag::Interval> windows = {window("chr1", 0, 10, 5, "w0"), window("chrZ", 0, 10, 5, "w1")};
    std::vector<float> values = labelled_values(2, 10);
    std::string msg = error_message<attrprior::invalid_argument>(
        [&] { ag::write_window_bigwig(path, chroms, windows, values, 10); });
    EXPECT_THAT(msg, HasSubstr("windows[1] 'w1' (chrZ:0-10) is on chromosome 'chrZ', which is not in the bigWig's "
                               "chromosome list (2 chromosomes: chr1, chr2)"));
    EXPECT_FALSE(std::filesystem::exists(path));

    windows[1] = window("chr2", 15, 10, 20, "w1");
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { ag::write_window_bigwig(path, chroms, windows, values, 10); }),
                HasSubstr("windows[1] 'w1' (chr2:15-25) passes an end of the chromosome (length 20)"));
    windows[1] = window("chr2", 0, 10, 12, "w1");
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { ag::write_window_bigwig(path, chroms, windows, values, 10); }),
                HasSubstr("windows[1] 'w1' (chr2:0-10) has summit 12 outside [start, end)"));
    windows[1] = window("chr2", 0, 9, 5, "w1");
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { ag::write_window_bigwig(path, chroms, windows, values, 10); }),
                HasSubstr("windows[1] 'w1' (chr2:0-9) spans 9 bases, not length = 10"));
    windows[1] = window("chr2", 0, 10, 5, "w1");
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { ag::write_window_bigwig(path, chroms, windows, values, 9); }),
                HasSubstr("values.size() = 20 must be windows.size() * length = 2 * 9"));

    values[10 + 7] = std::numeric_limits<float>::quiet_NaN();
    msg = error_message<attrprior::numeric_error>([&] { ag::write_window_bigwig(path, chroms, windows, values, 10); });
    EXPECT_THAT(msg, HasSubstr("value nan at chr2:7 (position 7 of windows[1] 'w1' (chr2:0-10), row 1)"));
    EXPECT_THAT(msg, HasSubstr(path));
    EXPECT_FALSE(std::filesystem::exists(path));
}
