// The attribution report (report/attribution_report.hpp): ranking of the regions drawn as
// logos, the structure of the page (logo rows and titles, one or two logos per row, the
// |delta| histogram with its threshold, the seqlet-count bars, the panels that say a part
// is absent), size validation, and writing the file.
#include "attrprior/report/attribution_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/svg_checks.hpp"

namespace ap = attrprior;
using ap::Index;
using ap::report::AttributionReportData;
using ap::testing::count;
using ap::testing::expect_invalid;
using ap::testing::expect_well_formed;
using ap::testing::glyphs;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr Index kLength = 100;

/// N regions of kLength bases with weak background scores and one planted 8-base site per
/// region, of strength strengths[r] at position sites[r]. Deltas: 2 references per region.
AttributionReportData planted(const std::vector<double>& strengths, const std::vector<Index>& sites) {
    AttributionReportData d;
    d.method = "DeepSHAP";
    d.target = "logits";
    d.skipped = 2;
    d.length = kLength;
    const std::size_t N = strengths.size();
    d.projected.assign(N * kLength * 4, 0.0f);
    for (std::size_t r = 0; r < N; ++r) {
        d.labels.push_back("chr1:" + std::to_string(1000 * r) + "-" + std::to_string(1000 * r + kLength) +
                           " peak_" + std::to_string(r));
        d.chroms.push_back("chr1");
        d.starts.push_back(static_cast<Index>(1000 * r));
        float* region = d.projected.data() + r * kLength * 4;
        for (Index i = 0; i < kLength; ++i) region[i * 4 + i % 4] = (i % 3 == 0 ? -0.01f : 0.01f);
        for (Index i = sites[r]; i < sites[r] + 8; ++i) region[i * 4 + (i + 1) % 4] = static_cast<float>(strengths[r]);
    }
    d.deltas = std::vector<double>(N * 2);
    for (std::size_t k = 0; k < d.deltas->size(); ++k) {
        (*d.deltas)[k] = (k % 2 ? -1.0 : 1.0) * std::pow(10.0, -7.0 + 0.25 * static_cast<double>(k % 12));
    }
    d.references = 2;
    d.delta_threshold = 1e-5;
    for (std::size_t r = 0; r < N; ++r) {
        d.positive_seqlets.push_back(static_cast<Index>(r % 4));
        d.negative_seqlets.push_back(static_cast<Index>(r % 2));
    }
    return d;
}

/// Nonzero finite entries of rows [start, end) of region r's L x 4 scores.
std::size_t nonzero_in(const std::vector<float>& scores, Index r, Index start, Index end) {
    std::size_t n = 0;
    for (Index e = (r * kLength + start) * 4; e < (r * kLength + end) * 4; ++e) {
        n += std::isfinite(scores[static_cast<std::size_t>(e)]) && scores[static_cast<std::size_t>(e)] != 0.0f;
    }
    return n;
}

}  // namespace

TEST(AttributionReport, RanksRegionsByTheirStrongestWindow) {
    const std::vector<Index> sites = {10, 60, 30, 60, 80};
    auto d = planted({0.5, 2.0, 0.1, 2.0, 1.0}, sites);
    d.top = 3;
    const auto ranked = ap::report::strongest_regions(d);
    ASSERT_EQ(ranked.size(), 3u);
    // Regions 1 and 3 hold the same scores: the tie keeps region order. Then region 4.
    EXPECT_EQ(ranked[0].region, 1);
    EXPECT_EQ(ranked[1].region, 3);
    EXPECT_EQ(ranked[2].region, 4);
    for (const auto& r : ranked) {
        EXPECT_EQ(r.end - r.start, d.window);
        const Index site = sites[static_cast<std::size_t>(r.region)];
        EXPECT_LE(r.start, site);
        EXPECT_GE(r.end, site + 8);
    }
    EXPECT_GT(ranked[1].strength, ranked[2].strength);
    d.top = 10;  // more than N: every region
    EXPECT_EQ(ap::report::strongest_regions(d).size(), 5u);
    d.window = 500;  // wider than the regions: the whole region
    EXPECT_EQ(ap::report::strongest_regions(d)[0].end, kLength);
}

TEST(AttributionReport, LogoRowsWithTwoMethodsAndTheDistributions) {
    const std::vector<double> strengths = {0.3, 1.0, 0.7, 0.2, 0.9, 0.5, 0.4, 0.8};
    auto d = planted(strengths, {10, 20, 30, 40, 50, 60, 45, 15});
    d.second_method = "gradient x input";
    d.second_projected = d.projected;
    for (float& v : d.second_projected) v *= -0.5f;
    const std::string svg = ap::report::attribution_report_document(d).str();
    expect_well_formed(svg);

    EXPECT_THAT(svg, HasSubstr(">DeepSHAP of logits: 8 regions, 2 skipped</text>"));
    // Six rows (top = 6), each a DeepSHAP logo and a gradient x input logo of the same
    // window, titled with the region's label and the window's coordinates.
    const auto ranked = ap::report::strongest_regions(d);
    ASSERT_EQ(ranked.size(), 6u);
    EXPECT_EQ(count(svg, ": DeepSHAP, chr1:"), 6u);
    EXPECT_EQ(count(svg, ": gradient x input, chr1:"), 6u);
    std::size_t expected_glyphs = 0;
    for (const auto& r : ranked) {
        const std::string window = "chr1:" + std::to_string(1000 * r.region + r.start) + "-" +
                                   std::to_string(1000 * r.region + r.end);
        const std::string label = d.labels[static_cast<std::size_t>(r.region)];
        EXPECT_THAT(svg, HasSubstr(">" + label + ": DeepSHAP, " + window + "</text>"));
        EXPECT_THAT(svg, HasSubstr(">" + label + ": gradient x input, " + window + "</text>"));
        expected_glyphs += nonzero_in(d.projected, r.region, r.start, r.end) +
                           nonzero_in(d.second_projected, r.region, r.start, r.end);
    }
    EXPECT_EQ(glyphs(svg), expected_glyphs);
    // The two weakest regions (3 and 0) have no logo.
    EXPECT_THAT(svg, Not(HasSubstr("peak_3:")));
    EXPECT_THAT(svg, Not(HasSubstr("peak_0:")));

    // |delta| histogram: one bar per bin holding deltas (bars are the rects of its colour;
    // glyphs of that colour are text), and the threshold with the pairs above it.
    std::vector<double> magnitudes;
    for (double delta : *d.deltas) magnitudes.push_back(std::fabs(delta));
    const auto bins = ap::report::histogram_bins(magnitudes, ap::report::HistogramOptions{}.bins, true);
    std::size_t with_data = 0, above = 0;
    for (std::size_t c : bins.counts) with_data += c > 0;
    for (double m : magnitudes) above += m > 1e-5;
    EXPECT_EQ(count(svg, "fill=\"#255C99\"/>"), with_data);
    EXPECT_EQ(count(svg, "stroke-dasharray"), 1u);
    EXPECT_THAT(svg, HasSubstr(">threshold 1e-5: " + std::to_string(above) + " above</text>"));
    EXPECT_THAT(svg, HasSubstr("convergence |delta|, 8 regions x 2 references"));

    // Seqlet counts 0..3 (positive) and 0..1 (negative): a bar per nonzero count plus a
    // legend swatch per series.
    EXPECT_EQ(count(svg, "fill=\"#109648\"/>"), 4u + 1u);
    EXPECT_EQ(count(svg, "fill=\"#D62839\"/>"), 2u + 1u);
    EXPECT_THAT(svg, HasSubstr(">seqlets per region</text>"));
    EXPECT_THAT(svg, Not(HasSubstr("no data")));
}

TEST(AttributionReport, AbsentPartsAreSaidSo) {
    auto d = planted({1.0, 0.5}, {10, 50});
    d.method = "gradient x input";
    d.deltas.reset();
    d.delta_threshold.reset();
    d.positive_seqlets.clear();
    d.negative_seqlets.clear();
    d.chroms.clear();
    d.starts.clear();
    const std::string svg = ap::report::attribution_report_document(d).str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr(">no convergence delta for gradient x input</text>"));
    EXPECT_THAT(svg, HasSubstr(">seqlet counts not given</text>"));
    // One logo per row; without coordinates the window is given within the region.
    const auto ranked = ap::report::strongest_regions(d);
    ASSERT_EQ(ranked.size(), 2u);
    EXPECT_THAT(svg, HasSubstr(": gradient x input, bases " + std::to_string(ranked[0].start) + "-" +
                               std::to_string(ranked[0].end) + "</text>"));
    EXPECT_EQ(count(svg, ": gradient x input, bases "), 2u);
    EXPECT_EQ(count(svg, "stroke-dasharray"), 0u);
}

TEST(AttributionReport, NonFiniteValuesAreCountedNotDropped) {
    auto d = planted({1.0, 0.5}, {10, 50});
    const double nan = std::numeric_limits<double>::quiet_NaN();
    (*d.deltas)[0] = nan;
    (*d.deltas)[1] = 0.0;
    const auto ranked = ap::report::strongest_regions(d);
    d.projected[static_cast<std::size_t>((ranked[0].region * kLength + ranked[0].start) * 4 + 2)] =
        std::numeric_limits<float>::infinity();
    const std::string svg = ap::report::attribution_report_document(d).str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr("1 non-finite, 1 &lt;= 0 of 4 values not shown"));
    EXPECT_THAT(svg, HasSubstr("(1 non-finite not drawn)</text>"));
}

TEST(AttributionReport, NoRegions) {
    AttributionReportData d;
    d.method = "DeepSHAP";
    d.deltas = std::vector<double>{};
    d.references = 20;
    const std::string svg = ap::report::attribution_report_document(d).str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr(">DeepSHAP: 0 regions, 0 skipped</text>"));
    EXPECT_THAT(svg, HasSubstr(">no regions</text>"));
    EXPECT_THAT(svg, HasSubstr(">no data</text>"));  // the |delta| histogram
    EXPECT_EQ(glyphs(svg), 0u);
}

TEST(AttributionReport, SizeErrorsNameTheFieldAndTheSizes) {
    const auto base = planted({1.0, 0.5, 0.2}, {10, 50, 70});
    auto report = [](const AttributionReportData& d) { return [d] { ap::report::attribution_report_document(d); }; };
    auto d = base;
    d.projected.pop_back();
    expect_invalid(report(d), "projected.size() = 1199 must equal labels.size() x length x 4 = 3 x 100 x 4 = 1200");
    d = base;
    d.second_projected.assign(40, 0.0f);
    d.second_method = "gradient x input";
    expect_invalid(report(d), "second_projected.size() = 40 must be 0 or labels.size() x length x 4 = 3 x 100 x 4");
    d = base;
    d.second_projected = d.projected;
    expect_invalid(report(d), "second_method");
    d = base;
    d.starts.pop_back();
    expect_invalid(report(d), "chroms.size() = 3 and starts.size() = 2 must both be 0 or labels.size() = 3");
    d = base;
    d.negative_seqlets.clear();
    expect_invalid(report(d), "positive_seqlets.size() = 3 and negative_seqlets.size() = 0 must be equal");
    d = base;
    d.deltas->push_back(1.0);
    expect_invalid(report(d), "deltas.size() = 7 must be a multiple of references = 2");
    d = base;
    d.references = 0;
    expect_invalid(report(d), "references = 0");
    d = base;
    d.delta_threshold = 0.0;
    expect_invalid(report(d), "delta_threshold = 0");
    d = base;
    d.window = 0;
    expect_invalid(report(d), "window = 0");
}

TEST(AttributionReport, WritesTheFileAndNamesABadPath) {
    const auto d = planted({1.0, 0.5}, {10, 50});
    const std::string path =
        ::testing::TempDir() + "attribution_report_" + std::to_string(static_cast<long>(::getpid())) + ".svg";
    ap::report::attribution_report(path, d);
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), ap::report::attribution_report_document(d).str());
    std::remove(path.c_str());
    const std::string bad = "/nonexistent-dir-attrprior/report.svg";
    EXPECT_THAT(ap::testing::error_message<ap::io_error>([&] { ap::report::attribution_report(bad, d); }),
                HasSubstr(bad));
}
