// The training report (report/training_report.hpp): one row of panels per run, and the
// second method's logo next to the gradient x input one.
#include "attrprior/report/training_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "../support/expect_error.hpp"
#include "../support/svg_checks.hpp"

namespace ap = attrprior;
using ap::Index;

TEST(TrainingReport, BinaryReportHasEveryRunsPanels) {
    const Index N = 3, L = 80;
    std::vector<ap::train::BinaryEvaluation> evs(2);
    for (auto& ev : evs) {
        ev.examples = N;
        ev.length = L;
        ev.attributions.assign(static_cast<std::size_t>(N * L * 4), 0.01f);
        ev.attributions[static_cast<std::size_t>((1 * L + 40) * 4)] = 1.f;
        ev.best_positive = 1;
        ev.mean_spectrum.assign(static_cast<std::size_t>(L / 2 + 1), 0.02);
    }
    evs[1].best_positive = -1;  // no positive: no logo, no spectrum, still the loss curve
    std::vector<ap::train::History> hs(2);
    for (auto& h : hs) h.train_loss = {0.7, 0.5}, h.valid_loss = {0.8, 0.6};
    const std::string path = ::testing::TempDir() + "report_" + std::to_string(long(::getpid())) + ".svg";
    ap::report::binary_training_report(path, {"fourier", "none"}, evs, hs,
                                       [](Index i, Index offset) { return "chrT:" + std::to_string(i * 1000 + offset); });
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_THAT(text.str(), ::testing::HasSubstr("fourier: best test positive, chrT:1"));
    EXPECT_THAT(text.str(), ::testing::HasSubstr("fourier: mean attribution spectrum"));
    EXPECT_THAT(text.str(), ::testing::HasSubstr("none: task loss"));
    EXPECT_THAT(text.str(), ::testing::Not(::testing::HasSubstr("none: mean attribution spectrum")));
    std::remove(path.c_str());
    EXPECT_THROW(ap::report::binary_training_report(path, {"fourier"}, evs, hs, nullptr), ap::invalid_argument);
}

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string temp_svg(const std::string& name) {
    return ::testing::TempDir() + name + "_" + std::to_string(long(::getpid())) + ".svg";
}

/// Nonzero entries of rows [start, end) of example i of an N x L x 4 array.
std::size_t nonzero_rows(const std::vector<float>& a, Index L, Index i, Index start, Index end) {
    std::size_t n = 0;
    for (Index e = (i * L + start) * 4; e < (i * L + end) * 4; ++e) n += a[static_cast<std::size_t>(e)] != 0.f;
    return n;
}

}  // namespace

TEST(TrainingReport, BinaryReportShowsTheSecondMethodNextToGradientTimesInput) {
    const Index N = 3, L = 80;
    std::vector<ap::train::BinaryEvaluation> evs(2);
    for (auto& ev : evs) {
        ev.examples = N;
        ev.length = L;
        ev.attributions.assign(static_cast<std::size_t>(N * L * 4), 0.f);
        for (Index p = 30; p < 38; ++p) ev.attributions[static_cast<std::size_t>((2 * L + p) * 4 + p % 4)] = 0.5f;
        ev.best_positive = 2;
        ev.mean_spectrum.assign(static_cast<std::size_t>(L / 2 + 1), 0.02);
    }
    std::vector<ap::train::History> hs(2);
    for (auto& h : hs) h.train_loss = {0.7, 0.5}, h.valid_loss = {0.8, 0.6};
    // Run 0 has DeepSHAP scores (two more nonzero entries in the window), run 1 none.
    std::vector<ap::report::SecondAttributions> second(2);
    second[0].method = "DeepSHAP";
    second[0].scores = evs[0].attributions;
    second[0].scores[static_cast<std::size_t>((2 * L + 40) * 4 + 1)] = -0.25f;
    second[0].scores[static_cast<std::size_t>((2 * L + 41) * 4 + 2)] = 0.125f;
    const std::string path = temp_svg("report_second");
    const auto describe = [](Index i, Index offset) { return "chrT:" + std::to_string(i * 1000 + offset); };
    ap::report::binary_training_report(path, {"fourier", "none"}, evs, hs, describe, second);
    const std::string svg = read_text(path);
    std::remove(path.c_str());
    ap::testing::expect_well_formed(svg);

    const auto [s0, s1] = ap::report::strongest_window(evs[0].attributions.data() + 2 * L * 4, L, 60);
    const std::string where = "chrT:" + std::to_string(2000 + s0);
    EXPECT_THAT(svg, ::testing::HasSubstr(">fourier: best test positive, gradient x input, " + where + "</text>"));
    EXPECT_THAT(svg, ::testing::HasSubstr(">fourier: best test positive, DeepSHAP, " + where + "</text>"));
    EXPECT_THAT(svg, ::testing::HasSubstr(">none: best test positive, gradient x input, " + where + "</text>"));
    EXPECT_EQ(ap::testing::count(svg, "DeepSHAP"), 1u);  // run 1 has no second logo
    EXPECT_EQ(ap::testing::glyphs(svg), 2 * nonzero_rows(evs[0].attributions, L, 2, s0, s1) +
                                            nonzero_rows(second[0].scores, L, 2, s0, s1));
    EXPECT_THAT(svg, ::testing::HasSubstr("fourier: mean attribution spectrum"));
    EXPECT_THAT(svg, ::testing::HasSubstr("none: task loss"));

    // Without the second set: one logo per row, titles as before.
    ap::report::binary_training_report(path, {"fourier", "none"}, evs, hs, describe);
    const std::string plain = read_text(path);
    std::remove(path.c_str());
    EXPECT_THAT(plain, ::testing::HasSubstr(">fourier: best test positive, " + where + "</text>"));
    EXPECT_EQ(ap::testing::count(plain, "gradient x input"), 0u);
    EXPECT_EQ(ap::testing::glyphs(plain), 2 * nonzero_rows(evs[0].attributions, L, 2, s0, s1));

    ap::testing::expect_invalid(
        [&] { ap::report::binary_training_report(path, {"fourier", "none"}, evs, hs, describe, {second[0]}); },
        "second.size() = 1 must be 0 or the number of runs, 2");
    second[1].method = "DeepSHAP";
    second[1].scores.assign(10, 0.f);
    ap::testing::expect_invalid(
        [&] { ap::report::binary_training_report(path, {"fourier", "none"}, evs, hs, describe, second); },
        "second[m].scores.size() = 10 must equal the run's attributions.size() = 960 (N x L x 4; m = 1)");
    second[1].scores = evs[1].attributions;
    second[1].method.clear();
    ap::testing::expect_invalid(
        [&] { ap::report::binary_training_report(path, {"fourier", "none"}, evs, hs, describe, second); },
        "second[m].method");
}

TEST(TrainingReport, ProfileReportShowsTheSecondMethodNextToGradientTimesInput) {
    const Index N = 2, L = 80, O = 20, P = 2;
    ap::train::ProfileEvaluation ev;
    ev.examples = N;
    ev.length = L;
    ev.output_length = O;
    ev.channels = P;
    ev.attributions.assign(static_cast<std::size_t>(N * L * 4), 0.f);
    for (Index p = 50; p < 56; ++p) ev.attributions[static_cast<std::size_t>((1 * L + p) * 4 + p % 4)] = 0.3f;
    ev.observed.assign(static_cast<std::size_t>(N * O * P), 1.f);
    ev.logits.assign(ev.observed.size(), 0.f);
    ev.log_counts.assign(static_cast<std::size_t>(N * P), 3.f);
    ev.best = 1;
    ev.mean_spectrum.assign(static_cast<std::size_t>(L / 2 + 1), 0.02);
    ap::train::History h;
    h.train_loss = {2.0, 1.5};
    h.valid_loss = {2.1, 1.7};
    std::vector<ap::report::SecondAttributions> second(1);
    second[0].method = "DeepSHAP";
    second[0].scores = ev.attributions;
    for (float& v : second[0].scores) v *= 2.f;
    const std::string path = temp_svg("profile_report_second");
    ap::report::profile_training_report(path, {"fourier"}, {ev}, {h}, 2,
                                        [](Index i, Index offset) { return "peak" + std::to_string(i) + "+" +
                                                                           std::to_string(offset); },
                                        second);
    const std::string svg = read_text(path);
    std::remove(path.c_str());
    ap::testing::expect_well_formed(svg);
    const auto [s0, s1] = ap::report::strongest_window(ev.attributions.data() + 1 * L * 4, L, 60);
    const std::string where = "peak1+" + std::to_string(s0);
    EXPECT_THAT(svg, ::testing::HasSubstr(">fourier: best test peak, gradient x input, " + where + "</text>"));
    EXPECT_THAT(svg, ::testing::HasSubstr(">fourier: best test peak, DeepSHAP, " + where + "</text>"));
    EXPECT_THAT(svg, ::testing::HasSubstr("fourier: profile, best test peak"));
    EXPECT_THAT(svg, ::testing::HasSubstr("fourier: task loss"));
    EXPECT_EQ(ap::testing::glyphs(svg), 2 * nonzero_rows(ev.attributions, L, 1, s0, s1));
}
