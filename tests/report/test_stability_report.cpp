// Tests of attrprior/report/stability_report.hpp: band_plot's bands, lines and axis, and
// the study figure's panels (one row per method, the task row, the stacked logos).
#include "attrprior/report/stability_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/svg_checks.hpp"
#include "../support/temp_files.hpp"

namespace rp = attrprior::report;
namespace st = attrprior::study;
using attrprior::Index;
using ::testing::HasSubstr;
using attrprior::testing::count;

TEST(BandPlot, OneBandAndOneLinePerSeriesOnTheFractionsAxis) {
    rp::SvgDocument doc(500, 300);
    rp::band_plot(doc, {0, 0, 500, 300}, {0.1, 0.3, 1.0},
                  {{"fourier", {0.5, 0.6, 0.7}, {0.4, 0.5, 0.6}, {0.6, 0.7, 0.8}},
                   {"none", {0.2, std::nan(""), 0.4}, {0.1, 0.2, 0.3}, {0.3, 0.4, 0.5}}},
                  {}, "title", "training fraction", "y");
    const std::string svg = doc.str();
    attrprior::testing::expect_well_formed(svg);
    EXPECT_EQ(count(svg, "<polygon"), 2u);
    EXPECT_EQ(count(svg, "<polyline"), 2u);
    EXPECT_EQ(count(svg, "<circle"), 5u);  // the NaN centre is skipped
    for (const char* label : {">0.1<", ">0.3<", ">1<", ">fourier<", ">none<", ">title<"})
        EXPECT_THAT(svg, HasSubstr(label));
    rp::SvgDocument empty(300, 200);
    rp::band_plot(empty, {0, 0, 300, 200}, {0.5}, {{"a", {std::nan("")}, {std::nan("")}, {std::nan("")}}}, {}, "t",
                  "x", "y");
    EXPECT_THAT(empty.str(), HasSubstr("no data"));
    attrprior::testing::expect_invalid(
        [&] { rp::band_plot(doc, {0, 0, 500, 300}, {0.1, 1.0}, {{"a", {1}, {1}, {1}}}, {}, "", "", ""); },
        "series length");
    attrprior::testing::expect_invalid(
        [&] { rp::band_plot(doc, {0, 0, 500, 300}, {0.0}, {}, {}, "", "", ""); }, "x value");
}

TEST(StabilityFigure, PanelsPerMethodTaskRowAndOneLogoPerPriorAndSeed) {
    const Index N = 4, L = 40;
    std::vector<float> a(static_cast<std::size_t>(N * L * 4)), b(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        a[i] = static_cast<float>(std::sin(0.37 * double(i)));
        b[i] = static_cast<float>(std::cos(0.11 * double(i)));
    }
    rp::StabilityFigureData d;
    d.priors = {"fourier", "none"};
    d.fractions = {0.5, 1.0};
    d.methods = {"grad", "deepshap"};
    d.seeds = {1, 2};
    d.length = L;
    for (const auto& p : d.priors)
        for (double f : d.fractions)
            for (const auto& m : d.methods)
                d.groups.push_back(st::group_stability(
                    p, f, m, d.seeds,
                    {attrprior::ConstTensor3<float>(a.data(), N, L, 4), attrprior::ConstTensor3<float>(b.data(), N, L, 4)},
                    {{{"auroc", 0.8}, {"grad.fourier_score", 0.6}}, {{"auroc", 0.9}, {"grad.fourier_score", 0.7}}}));
    const std::vector<float> one(a.begin(), a.begin() + L * 4);
    d.example_attributions = {{one, one}, {one, one}};
    d.example_name = "chr4:0-40";
    const std::string path = attrprior::testing::temp_path("stability_", "fig.svg");
    rp::stability_figure(path, d);
    const std::string svg = attrprior::testing::read_file(path);
    attrprior::testing::expect_well_formed(svg);
    for (const char* title :
         {"grad: continuous Jaccard across seeds", "grad: cosine similarity across seeds",
          "deepshap: continuous Jaccard across seeds", "deepshap: cosine similarity across seeds",
          "test auROC (mean +- sd over seeds)", "grad: Fourier score (mean +- sd)", "One test example (chr4:0-40)",
          "fourier, seed 1", "fourier, seed 2", "none, seed 1", "none, seed 2"})
        EXPECT_THAT(svg, HasSubstr(title));
    EXPECT_EQ(count(svg, "<polygon"), 6u * 2u);  // 6 band panels x 2 priors
    EXPECT_GT(attrprior::testing::glyphs(svg), 4u);
    d.example_attributions = {{one}, {one, one}};
    attrprior::testing::expect_invalid([&] { rp::stability_figure(path, d); }, "example_attributions seeds");
}
