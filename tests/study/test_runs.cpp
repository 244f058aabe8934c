// Tests of attrprior/study/runs.hpp: the runs of a study, their directories, the DONE
// record that makes a study resumable, and run_study's skipping, clean-up, errors and jobs.
#include "attrprior/study/runs.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/temp_files.hpp"

namespace st = attrprior::study;
namespace fs = std::filesystem;
using attrprior::testing::expect_invalid;
using ::testing::HasSubstr;

namespace {

attrprior::io::Json settings(double lambda) {
    attrprior::io::Json j = attrprior::io::Json::object();
    j["lambda"] = lambda;
    j["epochs"] = 3;
    return j;
}

std::string fresh_dir(const std::string& name) {
    const std::string dir = attrprior::testing::temp_path("study_", name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

}  // namespace

TEST(StudyOptions, ValidateNamesTheOptionAtFault) {
    st::StudyOptions o;
    EXPECT_NO_THROW(o.validate());
    auto bad = [](auto change, const std::string& needle) {
        st::StudyOptions x;
        change(x);
        expect_invalid([&] { x.validate(); }, needle);
    };
    bad([](st::StudyOptions& x) { x.seeds = {1}; }, "at least 2 are needed");
    bad([](st::StudyOptions& x) { x.seeds = {1, 2, 1}; }, "each seed must appear once");
    bad([](st::StudyOptions& x) { x.fractions = {0.5, 0}; }, "fraction");
    bad([](st::StudyOptions& x) { x.fractions = {1.2}; }, "(0, 1]");
    bad([](st::StudyOptions& x) { x.fractions = {0.5, 0.5}; }, "each fraction must appear once");
    bad([](st::StudyOptions& x) { x.fractions = {0.1, 0.1000000001}; }, "to 6 significant digits");
    bad([](st::StudyOptions& x) { x.fractions.clear(); }, "fractions");
    bad([](st::StudyOptions& x) { x.priors.clear(); }, "priors");
    bad([](st::StudyOptions& x) { x.priors = {"none", "none"}; }, "must not repeat a prior");
    bad([](st::StudyOptions& x) { x.jobs = 0; }, "jobs");
    bad([](st::StudyOptions& x) { x.priors = {"fourier", "../up"}; }, "prior name = '../up'");
}

TEST(StudyRuns, EveryCombinationOnceWithItsOwnDirectory) {
    st::StudyOptions o;
    o.priors = {"fourier", "none"};
    o.fractions = {0.05, 1};
    o.seeds = {3, 4, 5};
    const auto runs = st::study_runs(o);
    ASSERT_EQ(runs.size(), 12u);
    EXPECT_EQ(runs.front().directory(), "runs/fourier/fraction-0.05/seed-3");
    EXPECT_EQ(runs.back().directory(), "runs/none/fraction-1/seed-5");
    EXPECT_EQ(runs[1].name(), "fourier, fraction 0.05, seed 4");
    std::set<std::string> dirs;
    for (const auto& r : runs) dirs.insert(r.directory());
    EXPECT_EQ(dirs.size(), runs.size());
    EXPECT_EQ(st::fraction_label(0.1), "0.1");
    EXPECT_EQ(st::fraction_label(1.0 / 3.0), "0.333333");
}

TEST(RunFinished, DoneRecordsTheSettingsAndOtherSettingsAreRefused) {
    const std::string dir = fresh_dir("done");
    const st::StudyRun run{"fourier", 0.5, 2};
    EXPECT_FALSE(st::run_finished(dir, st::run_settings(run, settings(1.0))));
    attrprior::io::write_json_file(dir + "/DONE", st::run_settings(run, settings(1.0)));
    EXPECT_TRUE(st::run_finished(dir, st::run_settings(run, settings(1.0))));
    expect_invalid([&] { st::run_finished(dir, st::run_settings(run, settings(0.5))); }, "'lambda': 1.0 there, 0.5 now");
    expect_invalid([&] { st::run_finished(dir, st::run_settings({"fourier", 0.5, 3}, settings(1.0))); }, "'run_seed'");
}

TEST(RunStudy, TrainsWhatIsNotFinishedAndResumesTheRest) {
    const std::string out = fresh_dir("resume");
    st::StudyOptions o;
    o.priors = {"a", "b"};
    o.fractions = {0.5, 1};
    o.seeds = {1, 2};
    const auto runs = st::study_runs(o);
    std::vector<std::string> trained;
    auto train = [&](const st::StudyRun& r, const std::string& dir, const st::RunContext& c) {
        EXPECT_TRUE(fs::is_directory(dir));
        EXPECT_FALSE(fs::exists(dir + "/stale")) << "an interrupted run's files must be removed first";
        EXPECT_EQ(c.total, 8);
        EXPECT_FALSE(c.quiet);
        std::ofstream(dir + "/result") << r.name();
        trained.push_back(r.name());
    };
    const auto first = st::run_study(runs, out, settings(1.0), 1, train, nullptr);
    EXPECT_EQ(first.trained, 8);
    EXPECT_EQ(first.resumed, 0);
    EXPECT_EQ(trained.size(), 8u);
    // Interrupt one run: no DONE and a stale file; the next call trains only that one.
    const std::string broken = out + "/" + runs[5].directory();
    fs::remove(broken + "/DONE");
    std::ofstream(broken + "/stale") << "x";
    trained.clear();
    const auto second = st::run_study(runs, out, settings(1.0), 1, train, nullptr);
    EXPECT_EQ(second.resumed, 7);
    EXPECT_EQ(second.trained, 1);
    EXPECT_THAT(trained, ::testing::ElementsAre(runs[5].name()));
    // Other settings: refused before any run starts.
    trained.clear();
    expect_invalid([&] { st::run_study(runs, out, settings(2.0), 1, train, nullptr); }, "other settings");
    EXPECT_TRUE(trained.empty());
}

TEST(RunStudy, AFailingRunIsNamedKeepsItsKindAndLeavesNoDone) {
    const std::string out = fresh_dir("failure");
    st::StudyOptions o;
    o.priors = {"a"};
    o.fractions = {1};
    o.seeds = {1, 2, 3};
    const auto runs = st::study_runs(o);
    for (int jobs : {1, 2}) {
        fs::remove_all(out);
        auto train = [&](const st::StudyRun& r, const std::string&, const st::RunContext&) {
            if (r.seed == 2) throw attrprior::io_error("disk full");
        };
        const std::string message = attrprior::testing::error_message<attrprior::io_error>(
            [&] { st::run_study(runs, out, settings(1.0), jobs, train, nullptr); });
        EXPECT_THAT(message, HasSubstr("run 'a, fraction 1, seed 2"));
        EXPECT_THAT(message, HasSubstr("disk full"));
        EXPECT_FALSE(fs::exists(out + "/" + runs[1].directory() + "/DONE"));
    }
}

TEST(RunStudy, JobsRunEveryRunOnceSideBySideAndQuietly) {
    const std::string out = fresh_dir("jobs");
    st::StudyOptions o;
    o.priors = {"a", "b"};
    o.fractions = {0.2, 0.6, 1};
    o.seeds = {1, 2};
    const auto runs = st::study_runs(o);
    std::mutex m;
    std::multiset<std::string> seen;
    const auto summary = st::run_study(
        runs, out, settings(1.0), 3,
        [&](const st::StudyRun& r, const std::string& dir, const st::RunContext& c) {
            EXPECT_TRUE(c.quiet);
            EXPECT_GE(c.threads, 1);
            EXPECT_EQ(dir, out + "/" + r.directory());
            std::lock_guard<std::mutex> lock(m);
            seen.insert(r.name());
        },
        nullptr);
    EXPECT_EQ(summary.trained, 12);
    ASSERT_EQ(seen.size(), runs.size());
    for (const auto& r : runs) {
        EXPECT_EQ(seen.count(r.name()), 1u);
        EXPECT_TRUE(st::run_finished(out + "/" + r.directory(), st::run_settings(r, settings(1.0))));
    }
}
