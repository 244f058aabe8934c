// Tests of the SVG writer and report figures: document well-formedness (balanced tags,
// escaping, root element), element validation, save(), the attribution logo (one glyph
// per nonzero entry, signs, skipped NaN), strongest_window on hand cases, and line_plot
// with NaN, empty, constant, single-point and log-scale series; histogram binning, bars,
// marker, notes and "no data"; bar_chart and tally_integers.
#include "attrprior/report/svg.hpp"

#include "../support/svg_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ap = attrprior;
using ap::report::attribution_logo;
using ap::report::bar_chart;
using ap::report::histogram;
using ap::report::histogram_bins;
using ap::report::HistogramOptions;
using ap::report::tally_integers;
using ap::report::line_plot;
using ap::report::Panel;
using ap::report::strongest_window;
using ap::report::SvgDocument;
using ::testing::HasSubstr;
using ::testing::Not;
using ap::testing::count;
using ap::testing::expect_throw_with;
using ap::testing::expect_well_formed;
using ap::testing::glyph_scales;
using ap::testing::glyphs;
using ap::testing::xml_problem;


TEST(XmlChecker, RejectsMalformedDocuments) {
    EXPECT_EQ(xml_problem("<svg><g></g></svg>"), "");
    EXPECT_NE(xml_problem("<svg><g></svg>"), "");
    EXPECT_NE(xml_problem("<svg><text>a < b</text></svg>"), "");
    EXPECT_NE(xml_problem("<svg><text>a & b</text></svg>"), "");
    EXPECT_NE(xml_problem("<svg><rect fill=\"<\"/></svg>"), "");
    EXPECT_NE(xml_problem("<svg></svg><svg></svg>"), "");
}

TEST(SvgDocument, EmptyDocumentIsWellFormedWithSizeAndNamespace) {
    const SvgDocument doc(320, 200.5);
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr("width=\"320\""));
    EXPECT_THAT(svg, HasSubstr("height=\"200.5\""));
    EXPECT_THAT(svg, HasSubstr("viewBox=\"0 0 320 200.5\""));
    EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(SvgDocument, ElementsAreWrittenAndBalanced) {
    SvgDocument doc(100, 100);
    doc.rect(1, 2, 3, 4, "#f00", "#000", 0.5);
    doc.line(0, 0, 10.126, 10, "#00f", 2, "4,3");
    doc.polyline({{0, 0}, {1, 1}, {2, 0.333333}}, "#0f0", 1.5);
    doc.polyline({}, "#0f0", 1.5);  // nothing
    doc.circle(5, 5, 2, "red");
    doc.group_begin(10, 20);
    doc.text(1, 2, "hello", 12, "middle");
    doc.group_begin(1, 1);
    doc.text_rotated(3, 4, -90, "up");
    doc.group_end();
    doc.group_end();
    doc.glyph(5, 50, 0.5, -0.25, "A", 100, "#109648");
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr("<rect x=\"1\" y=\"2\" width=\"3\" height=\"4\" fill=\"#f00\""));
    EXPECT_THAT(svg, HasSubstr("x2=\"10.13\""));  // two decimals
    EXPECT_THAT(svg, HasSubstr("stroke-dasharray=\"4,3\""));
    EXPECT_THAT(svg, HasSubstr("points=\"0,0 1,1 2,0.33\""));
    EXPECT_EQ(count(svg, "<polyline"), 1u);
    EXPECT_THAT(svg, HasSubstr("<g transform=\"translate(10 20)\">"));
    EXPECT_THAT(svg, HasSubstr("text-anchor=\"middle\""));
    EXPECT_THAT(svg, HasSubstr("rotate(-90 3 4)"));
    EXPECT_THAT(svg, HasSubstr("scale(0.5 -0.25)"));
    EXPECT_EQ(count(svg, "<g "), 2u);
    EXPECT_EQ(count(svg, "</g>"), 2u);
}

TEST(SvgDocument, EscapesXmlSpecialCharactersInTextAndAttributes) {
    SvgDocument doc(50, 50);
    doc.text(1, 1, "a < b && c > \"d\" 'e'");
    doc.rect(0, 0, 1, 1, "url(\"#x\")&<");
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr(">a &lt; b &amp;&amp; c &gt; &quot;d&quot; &apos;e&apos;</text>"));
    EXPECT_THAT(svg, HasSubstr("fill=\"url(&quot;#x&quot;)&amp;&lt;\""));
    EXPECT_THAT(svg, Not(HasSubstr("a < b")));
}

TEST(SvgDocument, UnclosedGroupsAreClosedAndExtraGroupEndThrows) {
    SvgDocument doc(50, 50);
    doc.group_begin(1, 1);
    doc.group_begin(2, 2);
    EXPECT_EQ(doc.open_groups(), 2);
    expect_well_formed(doc.str());
    doc.group_end();
    doc.group_end();
    expect_throw_with<ap::invalid_argument>([&] { doc.group_end(); }, "no group is open");
}

TEST(SvgDocument, RejectsBadArguments) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    expect_throw_with<ap::invalid_argument>([] { SvgDocument d(0, 10); }, "width");
    expect_throw_with<ap::numeric_error>([&] { SvgDocument d(10, nan); }, "height");
    SvgDocument doc(10, 10);
    expect_throw_with<ap::numeric_error>([&] { doc.line(0, nan, 1, 1); }, "y1");
    expect_throw_with<ap::numeric_error>([&] { doc.polyline({{0, 0}, {inf, 1}}, "#000", 1); },
                                         "point x");
    expect_throw_with<ap::invalid_argument>([&] { doc.rect(0, 0, -1, 1, "#000"); }, "w = -1");
    expect_throw_with<ap::invalid_argument>([&] { doc.text(0, 0, "x", 12, "left"); },
                                            "anchor");
    expect_throw_with<ap::invalid_argument>([&] { doc.text(0, 0, "x", 0); }, "size");
    expect_well_formed(doc.str());  // failed calls wrote nothing
}

TEST(SvgDocument, SaveWritesTheDocumentAndNamesThePathOnFailure) {
    SvgDocument doc(30, 30);
    doc.text(2, 20, "saved");
    const std::string path = ::testing::TempDir() + "attrprior_test_svg_save.svg";
    doc.save(path);
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    EXPECT_EQ(content.str(), doc.str());
    std::remove(path.c_str());

    const std::string bad = "/nonexistent-dir-attrprior/sub/figure.svg";
    expect_throw_with<ap::io_error>([&] { doc.save(bad); }, bad);
}

TEST(StrongestWindow, HandCase) {
    // |attr| per position: 1 0 0 5 1 1 0 0 2 2 -> best width-3 window starts at 3 (7).
    std::vector<float> attr(10 * 4, 0.0f);
    attr[0 * 4 + 0] = 1.0f;
    attr[3 * 4 + 2] = -4.0f;
    attr[3 * 4 + 1] = 1.0f;
    attr[4 * 4 + 3] = 1.0f;
    attr[5 * 4 + 0] = -1.0f;
    attr[8 * 4 + 1] = 2.0f;
    attr[9 * 4 + 2] = 2.0f;
    EXPECT_EQ(strongest_window(attr.data(), 10, 3), std::make_pair(ap::Index{3}, ap::Index{6}));
    // Width 2: windows [3,5) = 6 beats [8,10) = 4.
    EXPECT_EQ(strongest_window(attr.data(), 10, 2), std::make_pair(ap::Index{3}, ap::Index{5}));
    // Width 1: position 3 (|-4| + |1| = 5).
    EXPECT_EQ(strongest_window(attr.data(), 10, 1), std::make_pair(ap::Index{3}, ap::Index{4}));
    // Clamped to [0, L).
    EXPECT_EQ(strongest_window(attr.data(), 10, 10), std::make_pair(ap::Index{0}, ap::Index{10}));
    EXPECT_EQ(strongest_window(attr.data(), 10, 50), std::make_pair(ap::Index{0}, ap::Index{10}));
    EXPECT_EQ(strongest_window(nullptr, 0, 5), std::make_pair(ap::Index{0}, ap::Index{0}));
}

TEST(StrongestWindow, TiesGoLeftAndNaNCountsAsZero) {
    std::vector<float> attr(8 * 4, 0.0f);
    attr[1 * 4 + 0] = 2.0f;
    attr[6 * 4 + 3] = -2.0f;
    attr[4 * 4 + 1] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(strongest_window(attr.data(), 8, 2), std::make_pair(ap::Index{0}, ap::Index{2}));
    const std::vector<float> zeros(5 * 4, 0.0f);
    EXPECT_EQ(strongest_window(zeros.data(), 5, 2), std::make_pair(ap::Index{0}, ap::Index{2}));
    expect_throw_with<ap::invalid_argument>([&] { strongest_window(attr.data(), 8, 0); },
                                            "width");
    expect_throw_with<ap::invalid_argument>([&] { strongest_window(attr.data(), -1, 2); }, "L");
}

TEST(AttributionLogo, OneGlyphPerNonzeroEntryInRange) {
    const ap::Index L = 20;
    std::vector<float> attr(L * 4, 0.0f);
    // Outside the window [5, 15): must not be drawn.
    attr[1 * 4 + 0] = 3.0f;
    attr[17 * 4 + 2] = -1.0f;
    // Inside: 6 nonzero entries (one position with two signs, one with two positives),
    // plus a NaN that is skipped.
    attr[5 * 4 + 0] = 0.5f;
    attr[7 * 4 + 1] = -0.25f;
    attr[7 * 4 + 3] = 0.75f;
    attr[10 * 4 + 2] = 1.0f;
    attr[10 * 4 + 0] = 0.125f;
    attr[14 * 4 + 3] = -0.5f;
    attr[12 * 4 + 1] = std::numeric_limits<float>::quiet_NaN();
    SvgDocument doc(600, 160);
    attribution_logo(doc, Panel{0, 0, 600, 160}, attr.data(), L, 5, 15, "grad x input");
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_EQ(glyphs(svg), 6u);
    EXPECT_EQ(count(svg, ">A</text>"), 2u);
    EXPECT_EQ(count(svg, ">C</text>"), 1u);
    EXPECT_EQ(count(svg, ">G</text>"), 1u);
    EXPECT_EQ(count(svg, ">T</text>"), 2u);
    for (const char* color : {"#109648", "#255C99", "#F7B32B", "#D62839"}) {
        EXPECT_THAT(svg, HasSubstr(color));
    }
    // The two negative entries (C at 7, T at 14) are drawn flipped (negative y scale).
    const auto scales = glyph_scales(svg);
    ASSERT_EQ(scales.size(), 6u);
    std::vector<std::string> flipped;
    for (const auto& [letter, sy] : scales) {
        if (sy < 0.0) flipped.push_back(letter);
    }
    EXPECT_EQ(flipped, (std::vector<std::string>{"C", "T"}));
    EXPECT_THAT(svg, HasSubstr(">grad x input</text>"));
    EXPECT_THAT(svg, HasSubstr("font-weight=\"bold\""));
}

TEST(AttributionLogo, StackHeightsAreProportionalToValues) {
    // One position, A = 2, C = 1: the A glyph is twice as tall as the C glyph.
    std::vector<float> attr = {2.0f, 1.0f, 0.0f, 0.0f};
    SvgDocument doc(200, 200);
    attribution_logo(doc, Panel{0, 0, 200, 200}, attr.data(), 1, 0, 1, "");
    const std::string svg = doc.str();
    expect_well_formed(svg);
    ASSERT_EQ(glyphs(svg), 2u);
    // The smaller letter is drawn first, on the zero line, the larger on top of it.
    const auto scales = glyph_scales(svg);
    ASSERT_EQ(scales.size(), 2u);
    EXPECT_EQ(scales[0].first, "C");
    EXPECT_EQ(scales[1].first, "A");
    EXPECT_NEAR(scales[1].second / scales[0].second, 2.0, 1e-4);
}

TEST(AttributionLogo, AllZeroAndEmptyRangesDrawOnlyAxes) {
    std::vector<float> attr(10 * 4, 0.0f);
    SvgDocument doc(300, 120);
    attribution_logo(doc, Panel{0, 0, 300, 120}, attr.data(), 10, 0, 10, "zeros & <stuff>");
    attribution_logo(doc, Panel{0, 0, 300, 120}, attr.data(), 10, 4, 4, "");
    attribution_logo(doc, Panel{0, 0, 300, 120}, nullptr, 0, 0, 0, "none");
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_EQ(glyphs(svg), 0u);
    EXPECT_THAT(svg, HasSubstr("zeros &amp; &lt;stuff&gt;"));
}

TEST(AttributionLogo, RejectsBadRanges) {
    std::vector<float> attr(10 * 4, 1.0f);
    SvgDocument doc(300, 120);
    const Panel p{0, 0, 300, 120};
    expect_throw_with<ap::invalid_argument>(
        [&] { attribution_logo(doc, p, attr.data(), 10, 5, 11, ""); }, "end = 11");
    expect_throw_with<ap::invalid_argument>(
        [&] { attribution_logo(doc, p, attr.data(), 10, 6, 5, ""); }, "end = 5");
    expect_throw_with<ap::invalid_argument>(
        [&] { attribution_logo(doc, p, attr.data(), 10, -1, 5, ""); }, "start = -1");
    expect_throw_with<ap::invalid_argument>(
        [&] { attribution_logo(doc, Panel{0, 0, 0, 120}, attr.data(), 10, 0, 5, ""); },
        "panel.width");
}

TEST(AttributionLogo, DrawsInsideAGroupedPanel) {
    std::vector<float> attr(50 * 4, 0.0f);
    for (ap::Index i = 0; i < 50; ++i) attr[i * 4 + i % 4] = std::sin(0.3f * i);
    SvgDocument doc(700, 400);
    const auto [s, e] = strongest_window(attr.data(), 50, 30);
    doc.group_begin(0, 200);
    attribution_logo(doc, Panel{10, 0, 680, 190}, attr.data(), 50, s, e, "window");
    doc.group_end();
    const std::string svg = doc.str();
    expect_well_formed(svg);
    std::size_t nonzero = 0;
    for (ap::Index i = s; i < e; ++i) nonzero += attr[i * 4 + i % 4] != 0.0f;
    EXPECT_EQ(glyphs(svg), nonzero);
}

TEST(LinePlot, NaNAndEmptySeriesDoNotCrashAndNamesAppear) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    SvgDocument doc(500, 300);
    line_plot(doc, Panel{0, 0, 500, 300},
              {{0.9, 0.7, nan, 0.5, 0.45, inf, 0.4}, {}, {0.8, 0.75, 0.72, 0.7, 0.69}},
              {"train loss", "empty <series>", "valid loss"}, {"#1f77b4", "#ff0000", ""},
              "Loss & friends", "epoch", "loss");
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr(">train loss</text>"));
    EXPECT_THAT(svg, HasSubstr(">empty &lt;series&gt;</text>"));
    EXPECT_THAT(svg, HasSubstr(">valid loss</text>"));
    EXPECT_THAT(svg, HasSubstr(">Loss &amp; friends</text>"));
    EXPECT_THAT(svg, HasSubstr(">epoch</text>"));
    EXPECT_THAT(svg, HasSubstr(">loss</text>"));
    // Series 0 is broken by NaN and Inf into [0.9, 0.7], [0.5, 0.45] and a lone 0.4 dot;
    // series 2 is one polyline with a palette colour.
    EXPECT_EQ(count(svg, "<polyline"), 3u);
    EXPECT_EQ(count(svg, "<circle"), 1u);
    EXPECT_THAT(svg, Not(HasSubstr("no data")));
}

TEST(LinePlot, AllEmptyInputDrawsNoData) {
    SvgDocument doc(300, 200);
    line_plot(doc, Panel{0, 0, 300, 200}, {}, {}, {}, "", "", "");
    line_plot(doc, Panel{0, 0, 300, 200}, {{}, {}}, {"a", "b"}, {}, "t", "x", "y");
    line_plot(doc, Panel{0, 0, 300, 200},
              {{std::numeric_limits<double>::quiet_NaN()}, {-1.0, 0.0}}, {"nan only", "neg"},
              {}, "log", "x", "y", /*log_y=*/true);
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_EQ(count(svg, "no data"), 3u);
    EXPECT_THAT(svg, HasSubstr(">nan only</text>"));
    EXPECT_EQ(count(svg, "<polyline"), 0u);
}

TEST(LinePlot, ConstantSinglePointAndLogSeries) {
    SvgDocument doc(400, 900);
    line_plot(doc, Panel{0, 0, 400, 300}, {{0.5, 0.5, 0.5, 0.5}}, {"flat"}, {}, "constant",
              "step", "v");
    line_plot(doc, Panel{0, 300, 400, 300}, {{0.0}}, {"single"}, {}, "one point", "x", "y");
    line_plot(doc, Panel{0, 600, 400, 300}, {{1.0, 0.1, 0.01, 0.0, 1e-3, 1e-4}}, {"log"}, {},
              "log", "epoch", "loss", /*log_y=*/true);
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_THAT(svg, HasSubstr(">0.5</text>"));   // the constant value is a tick
    EXPECT_THAT(svg, HasSubstr(">0.01</text>"));  // decade ticks on the log axis
    EXPECT_THAT(svg, HasSubstr(">0.0001</text>"));
    EXPECT_EQ(count(svg, "<circle"), 1u);    // the single point
    EXPECT_EQ(count(svg, "<polyline"), 3u);  // flat + log broken at 0.0 into 2 runs
}

TEST(LinePlot, WritesASampleReportFigure) {
    // A full report page like the training example's, saved for eyeballing.
    std::vector<double> train, valid, auroc;
    for (int e = 0; e < 30; ++e) {
        train.push_back(0.7 * std::exp(-0.1 * e) + 0.1);
        valid.push_back(0.72 * std::exp(-0.08 * e) + 0.15 + 0.01 * std::sin(e));
        auroc.push_back(0.5 + 0.45 * (1.0 - std::exp(-0.15 * e)));
    }
    const ap::Index L = 200;
    std::vector<float> attr(L * 4, 0.0f);
    const char* motif = "TGACTCA";
    for (ap::Index i = 0; i < L; ++i) {
        const ap::Index base = (i >= 90 && i < 97)
                                   ? static_cast<ap::Index>(std::string("ACGT").find(motif[i - 90]))
                                   : (i * 7) % 4;
        const double signal = (i >= 90 && i < 97) ? 1.0 : 0.08 * std::sin(1.7 * i);
        attr[i * 4 + base] = static_cast<float>(signal);
    }
    const auto [s, e] = strongest_window(attr.data(), L, 40);
    EXPECT_LE(s, 90);
    EXPECT_GE(e, 97);
    SvgDocument doc(900, 620);
    line_plot(doc, Panel{0, 0, 450, 300}, {train, valid}, {"train", "valid"}, {}, "Loss",
              "epoch", "loss", true);
    line_plot(doc, Panel{450, 0, 450, 300}, {auroc}, {"valid auROC"}, {"#2ca02c"}, "auROC",
              "epoch", "auROC");
    attribution_logo(doc, Panel{0, 310, 900, 300}, attr.data(), L, s, e,
                     "Attribution (grad x input), strongest 40 bp");
    expect_well_formed(doc.str());
    doc.save(::testing::TempDir() + "attrprior_report_sample.svg");
}

TEST(HistogramBins, LinearHandCase) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto bins = histogram_bins({0.0, 1.0, 2.0, 3.0, 4.0, 3.5, nan}, 4, false);
    EXPECT_EQ(bins.edges, (std::vector<double>{0.0, 1.0, 2.0, 3.0, 4.0}));
    EXPECT_EQ(bins.counts, (std::vector<std::size_t>{1, 1, 1, 3}));  // the last bin holds 4.0
    EXPECT_EQ(bins.non_finite, 1u);
    EXPECT_EQ(bins.non_positive, 0u);  // only counted on a log axis
    EXPECT_EQ(bins.drawn(), 6u);
}

TEST(HistogramBins, LogHandCaseCountsNonPositiveValues) {
    const double inf = std::numeric_limits<double>::infinity();
    const auto bins = histogram_bins({1e-6, 1e-5, 1e-4, 3e-5, 0.0, -1.0, inf}, 2, true);
    ASSERT_EQ(bins.edges.size(), 3u);
    EXPECT_NEAR(std::log10(bins.edges[0]), -6.0, 1e-12);
    EXPECT_NEAR(std::log10(bins.edges[1]), -5.0, 1e-12);
    EXPECT_NEAR(std::log10(bins.edges[2]), -4.0, 1e-12);
    EXPECT_EQ(bins.counts, (std::vector<std::size_t>{1, 3}));
    EXPECT_EQ(bins.non_positive, 2u);
    EXPECT_EQ(bins.non_finite, 1u);
}

TEST(HistogramBins, ConstantAndEmptyInput) {
    const auto constant = histogram_bins({2.0, 2.0, 2.0}, 5, false);
    ASSERT_EQ(constant.edges.size(), 6u);
    EXPECT_LT(constant.edges.front(), 2.0);
    EXPECT_GT(constant.edges.back(), 2.0);
    EXPECT_EQ(constant.drawn(), 3u);
    EXPECT_TRUE(histogram_bins({}, 5, false).edges.empty());
    EXPECT_TRUE(histogram_bins({0.0, -2.0}, 5, true).edges.empty());
    expect_throw_with<ap::invalid_argument>([] { histogram_bins({1.0}, 0, false); }, "bins");
}

TEST(Histogram, OneBarPerBinWithDataAndTheMarker) {
    // 10 values in 5 bins, two of them empty.
    const std::vector<double> values = {0.0, 0.1, 0.2, 2.1, 2.2, 2.3, 2.4, 4.5, 4.9, 5.0};
    HistogramOptions options;
    options.title = "values";
    options.xlabel = "v";
    options.bins = 5;
    options.color = "#123456";
    options.marker = 3.0;
    options.marker_label = "threshold 3";
    SvgDocument doc(500, 300);
    const auto bins = histogram(doc, Panel{0, 0, 500, 300}, values, options);
    const std::string svg = doc.str();
    expect_well_formed(svg);
    std::size_t with_data = 0;
    for (std::size_t c : bins.counts) with_data += c > 0;
    EXPECT_EQ(with_data, 3u);
    EXPECT_EQ(count(svg, "fill=\"#123456\""), with_data);
    EXPECT_EQ(count(svg, "stroke-dasharray"), 1u);
    EXPECT_THAT(svg, HasSubstr(">threshold 3</text>"));
    EXPECT_THAT(svg, HasSubstr(">values</text>"));
    EXPECT_THAT(svg, HasSubstr(">count</text>"));
    EXPECT_THAT(svg, Not(HasSubstr("not shown")));
    EXPECT_THAT(svg, Not(HasSubstr("no data")));

    SvgDocument plain(500, 300);
    options.marker.reset();
    histogram(plain, Panel{0, 0, 500, 300}, values, options);
    EXPECT_EQ(count(plain.str(), "stroke-dasharray"), 0u);
}

TEST(Histogram, LogAxisNotesValuesThatCannotBeDrawn) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // |delta| of a few pairs: 2 exact zeros and 1 NaN cannot be placed on a log axis.
    const std::vector<double> deltas = {1e-7, 3e-7, 2e-6, 0.0, 0.0, nan, 5e-5};
    HistogramOptions options;
    options.log_x = true;
    options.marker = 1e-3;  // far right of the data: the axis is widened to show it
    options.marker_label = "warn";
    options.color = "#654321";
    SvgDocument doc(500, 300);
    const auto bins = histogram(doc, Panel{0, 0, 500, 300}, deltas, options);
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_EQ(bins.drawn(), 4u);
    EXPECT_THAT(svg, HasSubstr("1 non-finite, 2 &lt;= 0 of 7 values not shown"));
    EXPECT_THAT(svg, HasSubstr(">0.001</text>"));  // a decade tick at the marker
    EXPECT_EQ(count(svg, "stroke-dasharray"), 1u);
    std::size_t with_data = 0;
    for (std::size_t c : bins.counts) with_data += c > 0;
    EXPECT_EQ(count(svg, "fill=\"#654321\""), with_data);
}

TEST(Histogram, EmptyAndAllNonFiniteInputSayNoData) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    HistogramOptions with_marker;
    with_marker.marker = 1.0;
    SvgDocument doc(400, 600);
    histogram(doc, Panel{0, 0, 400, 300}, {}, with_marker);
    histogram(doc, Panel{0, 300, 400, 300}, {nan, nan, std::numeric_limits<double>::infinity()});
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_EQ(count(svg, "no data"), 2u);
    EXPECT_THAT(svg, HasSubstr("3 non-finite of 3 values not shown"));
    EXPECT_EQ(count(svg, "stroke-dasharray"), 0u);  // no axis to place the marker on
}

TEST(Histogram, RejectsBadMarkers) {
    SvgDocument doc(400, 300);
    const Panel p{0, 0, 400, 300};
    HistogramOptions options;
    options.log_x = true;
    options.marker = 0.0;
    expect_throw_with<ap::invalid_argument>([&] { histogram(doc, p, {1.0}, options); }, "marker = 0");
    options.marker = std::numeric_limits<double>::quiet_NaN();
    expect_throw_with<ap::numeric_error>([&] { histogram(doc, p, {1.0}, options); }, "marker");
    options.marker.reset();
    options.bins = 0;
    expect_throw_with<ap::invalid_argument>([&] { histogram(doc, p, {1.0}, options); }, "bins");
}

TEST(BarChart, OneBarPerNonzeroHeightAndASwatchPerName) {
    SvgDocument doc(500, 300);
    bar_chart(doc, Panel{0, 0, 500, 300}, {"0", "1", "2", "3"}, {{5, 0, 2, 1}, {0, 3, 0, 0}},
              {"positive", "negative"}, {"#aa0000", "#0000aa"}, "seqlets per region", "seqlets",
              "regions");
    const std::string svg = doc.str();
    expect_well_formed(svg);
    EXPECT_EQ(count(svg, "fill=\"#aa0000\""), 3u + 1u);  // bars + legend swatch
    EXPECT_EQ(count(svg, "fill=\"#0000aa\""), 1u + 1u);
    EXPECT_THAT(svg, HasSubstr(">positive</text>"));
    EXPECT_THAT(svg, HasSubstr(">negative</text>"));
    EXPECT_THAT(svg, HasSubstr(">seqlets per region</text>"));
    EXPECT_THAT(svg, HasSubstr(">3</text>"));
    EXPECT_THAT(svg, Not(HasSubstr("no data")));
}

TEST(BarChart, NoDataAndValidation) {
    SvgDocument doc(400, 600);
    bar_chart(doc, Panel{0, 0, 400, 300}, {}, {}, {}, {}, "empty", "", "");
    bar_chart(doc, Panel{0, 300, 400, 300}, {"a", "b"}, {{0, 0}}, {"zeros"}, {}, "zeros", "", "");
    expect_well_formed(doc.str());
    EXPECT_EQ(count(doc.str(), "no data"), 2u);
    const Panel p{0, 0, 400, 300};
    expect_throw_with<ap::invalid_argument>(
        [&] { bar_chart(doc, p, {"a", "b"}, {{1, 2}, {1}}, {}, {}, "", "", ""); },
        "series[k].size() = 1 must equal categories.size() = 2 (k = 1)");
    expect_throw_with<ap::invalid_argument>(
        [&] { bar_chart(doc, p, {"a"}, {{-1}}, {}, {}, "", "", ""); }, "bar height = -1");
    expect_throw_with<ap::numeric_error>(
        [&] { bar_chart(doc, p, {"a"}, {{std::nan("")}}, {}, {}, "", "", ""); }, "bar height");
}

TEST(TallyIntegers, UnitBinsAndWiderBinsForLargeCounts) {
    const auto small = tally_integers({{0, 0, 1, 3}, {2}});
    EXPECT_EQ(small.bin_width, 1);
    EXPECT_EQ(small.labels, (std::vector<std::string>{"0", "1", "2", "3"}));
    EXPECT_EQ(small.counts[0], (std::vector<double>{2, 1, 0, 1}));
    EXPECT_EQ(small.counts[1], (std::vector<double>{0, 0, 1, 0}));

    // Largest 47 with at most 10 bins: width 5 (1 and 2 would need 48 and 24 bins).
    const auto wide = tally_integers({{0, 4, 5, 47}}, 10);
    EXPECT_EQ(wide.bin_width, 5);
    ASSERT_EQ(wide.labels.size(), 10u);
    EXPECT_EQ(wide.labels.front(), "0-4");
    EXPECT_EQ(wide.labels.back(), "45-49");
    EXPECT_EQ(wide.counts[0][0], 2.0);
    EXPECT_EQ(wide.counts[0][1], 1.0);
    EXPECT_EQ(wide.counts[0][9], 1.0);

    const auto none = tally_integers({{}, {}});
    EXPECT_TRUE(none.labels.empty());
    EXPECT_EQ(none.counts.size(), 2u);
    expect_throw_with<ap::invalid_argument>([] { tally_integers({{1, -2}}); }, "value = -2");
}
