// The training report (report/training_report.hpp): one row of panels per run.
#include "attrprior/report/training_report.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

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
