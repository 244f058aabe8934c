// Tests of attrprior/study/stability.hpp: quartiles, mean and sd, a group's cross-seed
// stability (identical models give 1, sign-flipped models -1), and the written summaries.
#include "attrprior/study/stability.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_files.hpp"

namespace st = attrprior::study;
using attrprior::ConstTensor3;
using attrprior::Index;
using ::testing::HasSubstr;

TEST(StudyQuartiles, LinearInterpolationBetweenOrderStatistics) {
    const auto q = st::quartiles({5, 1, 4, 2, 3});
    EXPECT_DOUBLE_EQ(q.q1, 2);
    EXPECT_DOUBLE_EQ(q.median, 3);
    EXPECT_DOUBLE_EQ(q.q3, 4);
    EXPECT_DOUBLE_EQ(st::quantile({1, 2, 3, 4}, 0.5), 2.5);
    EXPECT_DOUBLE_EQ(st::quantile({1, 2, 3, 4}, 0.25), 1.75);
    EXPECT_DOUBLE_EQ(st::quantile({7, std::nan("")}, 0.5), 7);  // non-finite values are left out
    EXPECT_TRUE(std::isnan(st::quantile({}, 0.5)));
    attrprior::testing::expect_invalid([] { st::quantile({1}, 1.5); }, "q");
}

TEST(StudyMeanSd, SampleStandardDeviationOfTheFiniteValues) {
    const auto m = st::mean_sd({2, 4, 4, 4, 5, 5, 7, 9, std::nan("")});
    EXPECT_EQ(m.n, 8);
    EXPECT_DOUBLE_EQ(m.mean, 5);
    EXPECT_NEAR(m.sd, std::sqrt(32.0 / 7.0), 1e-12);
    EXPECT_TRUE(std::isnan(st::mean_sd({3}).sd));
    EXPECT_DOUBLE_EQ(st::mean_sd({3}).mean, 3);
}

namespace {
std::vector<float> random_attributions(Index N, Index L, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d;
    std::vector<float> a(static_cast<std::size_t>(N * L * 4));
    for (auto& v : a) v = d(rng);
    return a;
}
}  // namespace

TEST(GroupStability, IdenticalModelsGiveOneAndFlippedModelsMinusOne) {
    const Index N = 6, L = 30;
    const auto a = random_attributions(N, L, 1);
    std::vector<float> flipped(a);
    for (auto& v : flipped) v = -v;
    const std::vector<std::map<std::string, double>> metrics{{{"auroc", 0.8}}, {{"auroc", 0.9}}, {{"auroc", 1.0}}};
    const auto same = st::group_stability("fourier", 0.5, "grad", {1, 2, 3},
                                          {ConstTensor3<float>(a.data(), N, L, 4), ConstTensor3<float>(a.data(), N, L, 4),
                                           ConstTensor3<float>(a.data(), N, L, 4)},
                                          metrics);
    ASSERT_EQ(same.cosine.size(), static_cast<std::size_t>(N));
    for (Index i = 0; i < N; ++i) {
        EXPECT_NEAR(same.cosine[static_cast<std::size_t>(i)], 1.0, 1e-12);
        EXPECT_NEAR(same.jaccard[static_cast<std::size_t>(i)], 1.0, 1e-12);  // per base: J / L
    }
    EXPECT_NEAR(same.jaccard_quartiles.median, 1.0, 1e-12);
    EXPECT_NEAR(same.metrics.at("auroc").mean, 0.9, 1e-12);
    EXPECT_NEAR(same.metrics.at("auroc").sd, 0.1, 1e-12);
    EXPECT_EQ(same.length, L);
    const auto opposite = st::group_stability(
        "none", 1, "grad", {1, 2},
        {ConstTensor3<float>(a.data(), N, L, 4), ConstTensor3<float>(flipped.data(), N, L, 4)}, {{}, {}});
    for (Index i = 0; i < N; ++i) {
        EXPECT_NEAR(opposite.cosine[static_cast<std::size_t>(i)], -1.0, 1e-12);
        EXPECT_NEAR(opposite.jaccard[static_cast<std::size_t>(i)], -1.0, 1e-12);
    }
    // Unrelated models: well below 1.
    const auto b = random_attributions(N, L, 2);
    const auto unrelated = st::group_stability(
        "none", 1, "grad", {1, 2}, {ConstTensor3<float>(a.data(), N, L, 4), ConstTensor3<float>(b.data(), N, L, 4)},
        {{}, {}});
    EXPECT_LT(unrelated.cosine_quartiles.median, 0.5);
    attrprior::testing::expect_invalid(
        [&] {
            st::group_stability("x", 1, "grad", {1, 2, 3},
                                {ConstTensor3<float>(a.data(), N, L, 4), ConstTensor3<float>(b.data(), N, L, 4)},
                                {{}, {}});
        },
        "one per seed");
}

TEST(GroupStability, SummariesAreWrittenAsTsvAndJson) {
    const Index N = 3, L = 10;
    const auto a = random_attributions(N, L, 3), b = random_attributions(N, L, 4);
    const auto g = st::group_stability("fourier", 0.25, "deepshap", {1, 2},
                                       {ConstTensor3<float>(a.data(), N, L, 4), ConstTensor3<float>(b.data(), N, L, 4)},
                                       {{{"auroc", 0.7}, {"deepshap.entropy", std::nan("")}}, {{"auroc", 0.9}}});
    const std::string path = attrprior::testing::temp_path("stability_", "s.tsv");
    st::write_stability_tsv(path, {g}, {"chr1:0-10", "chr1:10-20", "chr1:20-30"});
    const std::string tsv = attrprior::testing::read_file(path);
    EXPECT_THAT(tsv, HasSubstr("prior\tfraction\tmethod\texample\tregion\tcosine\tjaccard\n"));
    EXPECT_THAT(tsv, HasSubstr("fourier\t0.25\tdeepshap\t2\tchr1:20-30\t"));
    EXPECT_EQ(std::count(tsv.begin(), tsv.end(), '\n'), 4);
    attrprior::testing::expect_invalid([&] { st::write_stability_tsv(path, {g}, {"one"}); }, "example_names");
    const auto j = st::stability_json({g}, attrprior::io::Json::object());
    const auto& group = j.find("groups")->as_array().at(0);
    EXPECT_EQ(group.find("method")->as_string(), "deepshap");
    EXPECT_EQ(group.find("examples")->as_int64(), 3);
    EXPECT_NEAR(group.find("cosine")->find("median")->as_double(), g.cosine_quartiles.median, 1e-15);
    EXPECT_NEAR(group.find("metrics")->find("auroc")->find("mean")->as_double(), 0.8, 1e-12);
    // A metric one seed lacks and the other has as NaN: no finite value, written as null.
    EXPECT_TRUE(group.find("metrics")->find("deepshap.entropy")->find("mean")->is_null());
}

// A finished study's files: summarize_study reads every run's attributions and metrics and
// gives group_stability of them; typical_example and example_attributions feed the figure.
TEST(SummarizeStudy, ReadsTheRunFilesOfEveryGroup) {
    const std::string out = attrprior::testing::temp_path("stability_", "study");
    std::filesystem::remove_all(out);
    st::StudyOptions o;
    o.priors = {"fourier", "none"};
    o.fractions = {1.0, 0.5};
    o.seeds = {1, 2};
    const Index N = 5, L = 12;
    std::map<std::string, std::vector<float>> arrays;
    unsigned k = 10;
    for (const auto& r : st::study_runs(o)) {
        std::filesystem::create_directories(out + "/" + r.directory());
        const auto a = random_attributions(N, L, k++);
        arrays[r.directory()] = a;
        attrprior::io::write_npy(st::attributions_path(out, r, "grad"), a.data(), {N, L, 4});
        attrprior::io::Json m = attrprior::io::Json::object();
        m["auroc"] = 0.5 + 0.1 * static_cast<double>(r.seed);
        m["grad.motif_share"] = nullptr;
        m["seconds"] = 12.0;
        m["epochs"] = 3;
        attrprior::io::write_json_file(out + "/" + r.directory() + "/metrics.json", m);
    }
    const auto metrics = st::read_run_metrics(out + "/" + st::StudyRun{"none", 0.5, 2}.directory());
    EXPECT_EQ(metrics.count("seconds"), 0u);
    EXPECT_EQ(metrics.count("epochs"), 0u);
    EXPECT_TRUE(std::isnan(metrics.at("grad.motif_share")));
    const auto groups = st::summarize_study(out, o, {"grad"}, N, L);
    ASSERT_EQ(groups.size(), 4u);
    EXPECT_EQ(groups[0].prior, "fourier");
    EXPECT_EQ(groups[0].fraction, 0.5);  // fractions increasing
    EXPECT_EQ(groups[3].prior, "none");
    EXPECT_EQ(groups[3].fraction, 1.0);
    const auto& a1 = arrays[st::StudyRun{"none", 1.0, 1}.directory()];
    const auto& a2 = arrays[st::StudyRun{"none", 1.0, 2}.directory()];
    const auto direct = st::group_stability("none", 1.0, "grad", {1, 2},
                                            {ConstTensor3<float>(a1.data(), N, L, 4), ConstTensor3<float>(a2.data(), N, L, 4)},
                                            {{}, {}});
    EXPECT_EQ(groups[3].cosine, direct.cosine);
    EXPECT_EQ(groups[3].jaccard, direct.jaccard);
    EXPECT_NEAR(groups[3].metrics.at("auroc").mean, 0.65, 1e-12);
    EXPECT_EQ(st::find_group(groups, "fourier", 1.0, "grad"), &groups[1]);
    EXPECT_EQ(st::find_group(groups, "fourier", 0.3, "grad"), nullptr);
    // The typical example is the one of median Jaccard.
    st::GroupStability g;
    g.jaccard = {0.9, 0.1, 0.5, 0.3, 0.7};
    EXPECT_EQ(st::typical_example(g), 2u);
    const auto logos = st::example_attributions(out, o, 1.0, "grad", 3, N, L);
    ASSERT_EQ(logos.size(), 2u);
    ASSERT_EQ(logos[1].size(), 2u);
    EXPECT_EQ(logos[1][1], std::vector<float>(a2.begin() + 3 * L * 4, a2.begin() + 4 * L * 4));
    // A file of another shape is named.
    EXPECT_THROW(st::summarize_study(out, o, {"grad"}, N + 1, L), attrprior::io_error);
}
