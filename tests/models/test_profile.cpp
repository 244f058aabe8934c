// The BPNet-style profile preset (SPEC §5): structure, and the whole double-backprop step
// (profile attribution target, two-head loss, controls) against finite differences.
#include "attrprior/models/profile.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "attrprior/io/weights.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"

namespace ap = attrprior;
using ap::Index;
using ap::models::Controls;

namespace {

ap::models::ProfileModelOptions small(Controls controls, Index tasks) {
    ap::models::ProfileModelOptions o;
    o.input_length = 60;
    o.output_length = 40;  // 60 - 4 - (2 + 4) * 2 = 44 after the convolutions, - 4 by the head
    o.tasks = tasks;
    o.strands = 2;
    o.controls = controls;
    o.filters = 3;
    o.first_kernel = 5;
    o.dilations = {2, 4};
    o.profile_kernel = 5;
    return o;
}

struct ProfileProblem {
    Index B = 3, T, S = 2, O = 40, L = 60, Tc;
    std::vector<double> x, control, counts;
    Eigen::VectorXi status;
    ProfileProblem(Index tasks, Controls c) : T(tasks), Tc(c == Controls::matched ? tasks : 1) {
        std::mt19937_64 gen(5);
        std::uniform_int_distribution<int> base(0, 3), reads(0, 6);
        x.assign(B * L * 4, 0.0);
        for (Index i = 0; i < B * L; ++i) x[i * 4 + base(gen)] = 1.0;
        control.resize(B * O * Tc * S);
        for (double& v : control) v = reads(gen);
        counts.resize(B * O * T * S);
        for (double& v : counts) v = reads(gen);
        status = Eigen::VectorXi::Ones(B);
    }
    std::vector<ap::ConstTensor3<double>> inputs(bool with_control) const {
        std::vector<ap::ConstTensor3<double>> in{{x.data(), B, L, 4}};
        if (with_control) in.push_back({control.data(), B, O, Tc * S});
        return in;
    }
};

double step_error(Controls controls, Index tasks, ap::train::ProfileWeighting weighting) {
    auto model = ap::models::make_profile_model<double>(small(controls, tasks), 2);
    ProfileProblem pb(tasks, controls);
    ap::priors::FourierPriorOptions po;
    po.freq_limit = 10;
    po.smoothing_sigma = 2;
    ap::priors::FourierPrior<double> prior(po);
    ap::train::ProfileLoss<double> loss(20.0);
    ap::train::ProfileTarget target;
    target.weighting = weighting;
    ap::train::DoubleBackprop<double, ap::train::ProfileTarget> step(0.5, target);
    const auto inputs = pb.inputs(controls != Controls::none);
    const ap::ConstTensor3<double> counts(pb.counts.data(), pb.B, pb.O, tasks * 2);
    // The target's weights are stop-gradient constants: record them at theta and hold
    // them fixed while differencing (otherwise the differences see their dependence too).
    step.target().record = true;
    const auto r = step.step(model, prior, loss, inputs, counts, pb.status);
    step.target().record = false;
    step.target().replay = true;
    EXPECT_GT(r.prior, 0.0);
    const Eigen::VectorXd analytic = model.gradients();
    auto& theta = model.parameters();
    const double h = 1e-6;
    double err = 0, scale = 0;
    for (Index p = 0; p < theta.size(); ++p) {
        const double saved = theta[p];
        theta[p] = saved + h;
        const double fp = step.step(model, prior, loss, inputs, counts, pb.status).total;
        theta[p] = saved - h;
        const double fm = step.step(model, prior, loss, inputs, counts, pb.status).total;
        theta[p] = saved;
        err = std::max(err, std::fabs((fp - fm) / (2 * h) - analytic[p]));
        scale = std::max(scale, std::fabs(analytic[p]));
    }
    return err / scale;
}

}  // namespace

TEST(ProfileModel, PaperShapesAndNames) {
    auto model = ap::models::make_profile_model<float>();  // 1346 -> 1000, 1 task, 2 strands, matched controls
    ASSERT_EQ(model.outputs().size(), 2u);
    EXPECT_EQ(model.output_shape(model.outputs()[0]), (ap::nn::Shape{1000, 2}));
    EXPECT_EQ(model.output_shape(model.outputs()[1]), (ap::nn::Shape{1, 2}));
    EXPECT_EQ(model.input_count(), 2u);
    EXPECT_EQ(model.input_shape(1), (ap::nn::Shape{1000, 2}));
    std::vector<std::string> names;
    for (const auto& t : ap::io::model_tensors(model)) names.push_back(t.name);
    EXPECT_THAT(names, ::testing::Contains("dil_conv.6.weight"));
    EXPECT_THAT(names, ::testing::Contains("prof_conv.weight"));
    EXPECT_THAT(names, ::testing::Contains("prof_mix.0.weight"));
    EXPECT_THAT(names, ::testing::Contains("count_mix.0.bias"));
}

TEST(ProfileModel, MismatchedOutputLengthIsAClearError) {
    ap::models::ProfileModelOptions o;
    o.output_length = 900;
    try {
        ap::models::make_profile_model<float>(o);
        FAIL() << "no exception";
    } catch (const ap::invalid_argument& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("valid centre of 1074"));
    }
}

TEST(ProfileStep, MatchedControlsTwoTasksMatchesFiniteDifferences) {
    EXPECT_LT(step_error(Controls::matched, 2, ap::train::ProfileWeighting::probabilities), 1e-6);
}

TEST(ProfileStep, SharedControlsLogProbabilityTargetMatchesFiniteDifferences) {
    EXPECT_LT(step_error(Controls::shared, 2, ap::train::ProfileWeighting::log_probabilities), 1e-6);
}

TEST(ProfileStep, NoControlsOneTaskMatchesFiniteDifferences) {
    EXPECT_LT(step_error(Controls::none, 1, ap::train::ProfileWeighting::probabilities), 1e-6);
}
