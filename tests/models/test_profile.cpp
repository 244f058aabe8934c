// The BPNet-style profile preset (docs/models.md §3-5): structure, and the whole
// double-backprop step (profile attribution target, two-head loss, controls) against finite
// differences and against the PyTorch reference fixtures (tests/reference/torch_profile.py
// dump).
#include "attrprior/models/profile.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "attrprior/io/weights.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"
#include "../support/parameter_checks.hpp"

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
    return ap::testing::parameter_fd_error(model.parameters(), analytic, [&] {
        return step.step(model, prior, loss, inputs, counts, pb.status).total;
    });
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

// initialize_counts_head: the log counts no longer depend on the control totals, and the
// counts bias holds the given means; the profile head is unchanged.
TEST(ProfileModel, InitializeCountsHeadIgnoresControlsAndSetsTheBias) {
    for (Controls c : {Controls::matched, Controls::shared, Controls::none}) {
        const Index T = 2;
        const auto o = small(c, T);
        auto model = ap::models::make_profile_model<double>(o, 4);
        const std::vector<double> means{5.0, 6.0, 7.0, 8.0};
        ProfileProblem pb(T, c);
        const bool with_control = c != Controls::none;
        model.forward(pb.inputs(with_control), ap::nn::Mode::eval);
        const auto profile_before = std::vector<double>(model.output(0).data, model.output(0).data + model.output(0).size());
        ap::models::initialize_counts_head(model, o, means);
        model.forward(pb.inputs(with_control), ap::nn::Mode::eval);
        const auto counts = std::vector<double>(model.output(1).data, model.output(1).data + model.output(1).size());
        EXPECT_EQ(profile_before, std::vector<double>(model.output(0).data, model.output(0).data + model.output(0).size()));
        if (with_control) {
            for (double& v : pb.control) v = v * 100 + 7;
            model.forward(pb.inputs(true), ap::nn::Mode::eval);
            for (std::size_t i = 0; i < counts.size(); ++i) EXPECT_DOUBLE_EQ(model.output(1).data[i], counts[i]);
        }
        for (const auto& t : ap::io::model_tensors(model)) {
            const bool counts_bias = c == Controls::none ? t.name == "count_dense.bias"
                                                         : t.name.rfind("count_mix.", 0) == 0 && t.name.find(".bias") != std::string::npos;
            if (!counts_bias) continue;
            const Index task = c == Controls::none ? 0 : std::stoi(t.name.substr(10));
            for (Index k = 0; k < t.size; ++k)
                EXPECT_DOUBLE_EQ(model.parameters()[t.offset + k], means[static_cast<std::size_t>(task * 2 + k)]) << t.name;
        }
    }
    auto model = ap::models::make_profile_model<double>(small(Controls::matched, 2), 4);
    EXPECT_THROW(ap::models::initialize_counts_head(model, small(Controls::matched, 2), {1.0}), ap::invalid_argument);
    EXPECT_THROW(ap::models::initialize_counts_head(model, small(Controls::matched, 2), {1.0, 2.0, NAN, 3.0}),
                 ap::invalid_argument);
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

// Threads split examples (convolutions, residual sums, gradient splits): 1 and 3 threads
// must give the same step up to the order of the weight-gradient reduction.
TEST(ProfileStep, ThreadCountDoesNotChangeTheStep) {
    auto o = small(Controls::matched, 1);
    o.input_length = 1000;  // large enough for every parallel region to use its threads
    o.output_length = 980;
    o.filters = 8;
    const Index B = 8, O = o.output_length;
    std::mt19937_64 gen(11);
    std::uniform_int_distribution<int> base(0, 3), reads(0, 5);
    std::vector<double> x(B * o.input_length * 4, 0.0), control(B * O * 2), counts(B * O * 2);
    for (Index i = 0; i < B * o.input_length; ++i) x[i * 4 + base(gen)] = 1.0;
    for (double& v : control) v = reads(gen);
    for (double& v : counts) v = reads(gen);
    const std::vector<ap::ConstTensor3<double>> inputs{{x.data(), B, o.input_length, 4}, {control.data(), B, O, 2}};
    const Eigen::VectorXi status = Eigen::VectorXi::Ones(B);
    std::vector<Eigen::VectorXd> grads;
    std::vector<double> totals;
    const int saved = omp_get_max_threads();
    for (int threads : {1, 3}) {
        omp_set_num_threads(threads);
        auto model = ap::models::make_profile_model<double>(o, 5);
        ap::priors::FourierPrior<double> prior;
        ap::train::ProfileLoss<double> loss;
        ap::train::DoubleBackprop<double, ap::train::ProfileTarget> step(50.0);
        totals.push_back(step.step(model, prior, loss, inputs, {counts.data(), B, O, 2}, status).total);
        grads.push_back(model.gradients());
    }
    omp_set_num_threads(saved);
    EXPECT_NEAR(totals[0], totals[1], 1e-12 * std::fabs(totals[0]));
    EXPECT_LT((grads[0] - grads[1]).cwiseAbs().maxCoeff(), 1e-10 * grads[0].cwiseAbs().maxCoeff());
    EXPECT_GT(grads[0].cwiseAbs().maxCoeff(), 0.0);
}

// ---- PyTorch reference ---------------------------------------------------------------

// Fixtures written by tests/reference/torch_profile.py dump (float64, torch autograd with
// create_graph): the paper's architecture scaled down (input 200 -> profile 128, 8
// filters, first kernel 21, dilations 2, 4, 8, profile kernel 25), 2 tasks x 2 strands,
// batch 4, every row a positive, Fourier prior freq_limit 40, softness 0.2, sigma 3,
// lambda 50, counts weight 20 (the fixture's manifest.json records these). The torch model
// mixes controls with the paper's grouped 1x1 convolutions (groups = T); the script
// writes group t's rows as prof_mix.t / count_mix.t. grad.<name> is the gradient of
// task + lambda * prior, grad_prior.<name> that of the prior alone.
namespace {

struct TorchProfileCase {
    const char* dir;
    Controls controls;
    ap::train::ProfileWeighting weighting;
};

std::ostream& operator<<(std::ostream& os, const TorchProfileCase& c) { return os << c.dir; }

/// max |got - want| <= 1e-8 * max |want| + 1e-12 (the floor for gradients that are zero
/// analytically, e.g. a bias the softmax is invariant to, and hold rounding noise).
::testing::AssertionResult matches(const std::string& what, const double* got, const double* want, Index n) {
    double err = 0, scale = 0;
    for (Index i = 0; i < n; ++i) {
        err = std::max(err, std::fabs(got[i] - want[i]));
        scale = std::max(scale, std::fabs(want[i]));
    }
    if (err <= 1e-8 * scale + 1e-12) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": max deviation " << err << " at scale " << scale;
}

}  // namespace

class TorchProfileStep : public ::testing::TestWithParam<TorchProfileCase> {};

TEST_P(TorchProfileStep, MatchesReference) {
    namespace io = ap::io;
    const TorchProfileCase& c = GetParam();
    const std::string dir = std::string(ATTRPRIOR_TEST_DATA_DIR) + "/" + c.dir;
    const auto x = io::read_npy<double>(dir + "/x.npy");
    const auto observed = io::read_npy<double>(dir + "/observed.npy");
    const Index B = x.shape[0], L = x.shape[1], O = observed.shape[1], S = 2, T = observed.shape[2] / S;

    ap::models::ProfileModelOptions mo;
    mo.input_length = L;
    mo.output_length = O;
    mo.tasks = T;
    mo.strands = S;
    mo.controls = c.controls;
    mo.filters = 8;
    mo.first_kernel = 21;
    mo.dilations = {2, 4, 8};
    mo.profile_kernel = 25;
    auto model = ap::models::make_profile_model<double>(mo, 0);
    io::load_weights(model, dir);

    std::vector<ap::ConstTensor3<double>> inputs{{x.data.data(), B, L, 4}};
    io::NpyArray<double> control;
    if (c.controls != Controls::none) {
        const Index tracks = c.controls == Controls::matched ? T : 1;
        control = io::read_npy<double>(dir + "/control.npy", {B, O, tracks * S});
        inputs.push_back({control.data.data(), B, O, tracks * S});
    }
    const ap::ConstTensor3<double> counts(observed.data.data(), B, O, T * S);
    const Eigen::VectorXi status = Eigen::VectorXi::Ones(B);

    ap::priors::FourierPriorOptions po;
    po.freq_limit = 40;
    po.softness = 0.2;
    po.smoothing_sigma = 3;
    ap::priors::FourierPrior<double> prior(po);
    ap::train::ProfileLoss<double> loss(20.0);
    ap::train::ProfileTarget target;
    target.weighting = c.weighting;
    const double lambda = 50;
    ap::train::DoubleBackprop<double, ap::train::ProfileTarget> db(lambda, target);
    const auto r = db.step(model, prior, loss, inputs, counts, status);

    auto scalar = [&](const char* name) { return io::read_npy<double>(dir + "/" + name + ".npy").data.at(0); };
    EXPECT_TRUE(matches("task loss", &r.task_loss, std::vector<double>{scalar("task_loss")}.data(), 1));
    EXPECT_TRUE(matches("prior", &r.prior, std::vector<double>{scalar("prior")}.data(), 1));
    EXPECT_TRUE(matches("total", &r.total, std::vector<double>{scalar("total_loss")}.data(), 1));
    EXPECT_EQ(r.prior_rows, B);
    const auto logits = io::read_npy<double>(dir + "/logits.npy", {B, O, T * S});
    const auto log_counts = io::read_npy<double>(dir + "/log_counts.npy", {B, 1, T * S});
    EXPECT_TRUE(matches("profile logits", model.output(0).data, logits.data.data(), B * O * T * S));
    EXPECT_TRUE(matches("log counts", model.output(1).data, log_counts.data.data(), B * T * S));

    // Every parameter gradient of task + lambda * prior, then the prior's share alone:
    // (total - task) / lambda, the task gradients from a step without the prior.
    const Eigen::VectorXd total_grad = model.gradients();
    ap::train::DoubleBackprop<double, ap::train::ProfileTarget> task_only(0, target);
    task_only.step(model, prior, loss, inputs, counts, status);
    const Eigen::VectorXd prior_grad = (total_grad - model.gradients()) / lambda;
    Index checked = 0;
    for (const auto& t : io::model_tensors(model)) {
        if (!t.is_parameter) continue;
        const auto want = io::read_npy<double>(dir + "/grad." + t.name + ".npy", t.shape);
        EXPECT_TRUE(matches("gradient of " + t.name, total_grad.data() + t.offset, want.data.data(), t.size));
        const auto want_prior = io::read_npy<double>(dir + "/grad_prior." + t.name + ".npy", t.shape);
        EXPECT_TRUE(matches("prior gradient of " + t.name, prior_grad.data() + t.offset, want_prior.data.data(),
                            t.size));
        checked += t.size;
    }
    EXPECT_EQ(checked, model.parameter_count());

    // The attribution's input gradient ds/dx everywhere (not only where x is 1), and
    // A = ds/dx * x as the step computes it.
    const auto g0 = io::read_npy<double>(dir + "/input_grad.npy", {B, L, 4});
    std::vector<double> grad(B * L * 4), attr(B * L * 4), want_attr(B * L * 4);
    ap::Tensor3<double> grad_view(grad.data(), B, L, 4);
    model.forward(inputs, ap::nn::Mode::train);
    db.target().seed(model);
    model.backward(ap::nn::Model<double>::Pass::attribution, &grad_view);
    EXPECT_TRUE(matches("input gradient", grad.data(), g0.data.data(), B * L * 4));
    db.attribution(model, inputs, {attr.data(), B, L, 4}, ap::nn::Mode::train);
    for (std::size_t i = 0; i < attr.size(); ++i) want_attr[i] = g0.data[i] * x.data[i];
    EXPECT_TRUE(matches("attribution", attr.data(), want_attr.data(), B * L * 4));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, TorchProfileStep,
    ::testing::Values(TorchProfileCase{"profile_step_matched", Controls::matched,
                                       ap::train::ProfileWeighting::probabilities},
                      TorchProfileCase{"profile_step_shared_logprob", Controls::shared,
                                       ap::train::ProfileWeighting::log_probabilities}),
    [](const ::testing::TestParamInfo<TorchProfileCase>& info) { return std::string(info.param.dir); });
