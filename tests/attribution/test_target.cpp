// Targets: the profile target's seeds equal the training target's, validation names the
// option, and the bpnet-lite option's gradient and DeepLIFT rule.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attrprior/attribution/deeplift.hpp"
#include "attrprior/attribution/gradient.hpp"
#include "attrprior/attribution/ism.hpp"
#include "attrprior/attribution/target.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

TEST(Target, ProfileSeedsEqualTheTrainingTargetAndStayFrozen) {
    ap::models::ProfileModelOptions o = ap::testing::small_profile_options();
    o.tasks = 2;
    auto model = ap::models::make_profile_model<double>(o, 7);
    const Index B = 2, L = o.input_length;
    const auto x = ap::testing::one_hot_with_n(B, L, 3);
    const ap::nn::Shape cs = model.input_shape(1);
    std::vector<double> control(static_cast<std::size_t>(B * cs.length * cs.channels));
    for (std::size_t e = 0; e < control.size(); ++e) control[e] = double(e % 7);
    const ap::attribution::Inputs<double> inputs{T3(x.data(), B, L, 4),
                                                 T3(control.data(), B, cs.length, cs.channels)};
    for (const auto w : {ap::train::ProfileWeighting::probabilities, ap::train::ProfileWeighting::log_probabilities}) {
        at::GradientOptions go;
        go.centred = false;
        const auto s = at::gradient_times_input(model, inputs, at::Target::profile(2, -1, w), go);
        ap::train::ProfileTarget legacy;
        legacy.weighting = w;
        ap::train::DoubleBackprop<double, ap::train::ProfileTarget> step(1.0, legacy);
        std::vector<double> a(x.size());
        step.attribution(model, inputs, {a.data(), B, L, 4});
        for (std::size_t e = 0; e < a.size(); ++e) EXPECT_NEAR(s.projected[e], a[e], 1e-12);
    }
    // Errors name the option and the value.
    EXPECT_THROW(at::gradient_times_input(model, inputs, at::Target::profile(2, 2)), ap::invalid_argument);
    EXPECT_THROW(at::gradient_times_input(model, inputs, at::Target::counts(3)), ap::invalid_argument);
    EXPECT_THROW(at::gradient_times_input(model, inputs, at::Target::logits()), ap::invalid_argument);  // profile output
}

TEST(Target, BpnetLiteProfileTargetGradientAndDeepLiftAreConsistent) {
    ap::models::ProfileModelOptions o = ap::testing::small_profile_options();
    o.tasks = 2;
    auto model = ap::models::make_profile_model<double>(o, 9);
    const Index B = 2, L = o.input_length;
    auto x = ap::testing::one_hot_with_n(B, L, 5);
    const ap::nn::Shape cs = model.input_shape(1);
    std::vector<double> control(static_cast<std::size_t>(B * cs.length * cs.channels));
    for (std::size_t e = 0; e < control.size(); ++e) control[e] = double(e % 5);
    auto inputs_of = [&](const std::vector<double>& seq, Index n) {
        return ap::attribution::Inputs<double>{T3(seq.data(), n, L, 4), T3(control.data(), n, cs.length, cs.channels)};
    };
    for (const auto target : {at::Target::bpnet_lite(2), at::Target::bpnet_lite(2, 1)}) {
        at::GradientOptions plain;
        plain.centred = false;
        const auto g = at::gradient_times_input(model, inputs_of(x, B), target, plain);
        const double h = 1e-5;
        for (Index i : {3, 60, 119})
            for (Index c = 0; c < 4; ++c) {
                const std::size_t e = static_cast<std::size_t>(i * 4 + c);
                const double keep = x[e];
                x[e] = keep + h;
                const double up = at::gradient_times_input(model, inputs_of(x, 1), target).value[0];
                x[e] = keep - h;
                const double down = at::gradient_times_input(model, inputs_of(x, 1), target).value[0];
                x[e] = keep;
                EXPECT_NEAR((up - down) / (2 * h), g.hypothetical[e], 1e-7);
            }
        // DeepLIFT through the elementwise rule: additive up to the rule's small error.
        const auto refs = ap::testing::one_hot_with_n(B * 3, L, 6);
        const auto dl = at::deeplift(model, inputs_of(x, B), T3(refs.data(), B * 3, L, 4), 3, target);
        EXPECT_LT(dl.max_relative_delta, 1e-8);
        EXPECT_EQ(dl.warnings, 0);
        for (Index p = 0; p < B * 3; ++p) EXPECT_NE(dl.value[static_cast<std::size_t>(p / 3)], dl.reference_value[static_cast<std::size_t>(p)]);
    }
}

TEST(Target, IsmOfTheBpnetLiteTargetRunsNaiveAndSaysWhy) {
    const ap::models::ProfileModelOptions o = ap::testing::small_profile_options();
    auto model = ap::models::make_profile_model<double>(o, 9);
    const Index L = o.input_length;
    auto x = ap::testing::one_hot_with_n(1, L, 5);
    const ap::nn::Shape cs = model.input_shape(1);
    std::vector<double> control(static_cast<std::size_t>(cs.length * cs.channels), 1.0);
    const ap::attribution::Inputs<double> inputs{T3(x.data(), 1, L, 4), T3(control.data(), 1, cs.length, cs.channels)};
    at::IsmOptions io;
    io.start = 50;
    io.end = 53;
    const auto s = at::ism(model, inputs, at::Target::bpnet_lite(), io);
    EXPECT_EQ(s.algorithm, at::IsmAlgorithm::naive);
    EXPECT_NE(s.fallback_reason.find("not a linear readout"), std::string::npos) << s.fallback_reason;
    // The deltas are differences of the target's value at the mutants.
    const double fx = at::gradient_times_input(model, inputs, at::Target::bpnet_lite()).value[0];
    for (Index i = 50; i < 53; ++i)
        for (Index c = 0; c < 4; ++c) {
            std::vector<double> m = x;
            for (Index k = 0; k < 4; ++k) m[static_cast<std::size_t>(i * 4 + k)] = k == c ? 1.0 : 0.0;
            const ap::attribution::Inputs<double> mi{T3(m.data(), 1, L, 4), inputs[1]};
            const double fm = at::gradient_times_input(model, mi, at::Target::bpnet_lite()).value[0];
            EXPECT_NEAR(s.delta[static_cast<std::size_t>(i * 4 + c)], fm - fx, 1e-12);
        }
}

TEST(Target, RejectsWhatWouldBeSilentlyWrong) {
    auto model = ap::testing::binary_model_double(201);
    auto x = ap::testing::one_hot_with_n(1, 201, 5);
    // A profile target over a binary model's logits (length 1) would be identically 0.
    try {
        at::gradient_times_input(model, {T3(x.data(), 1, 201, 4)}, at::Target::profile(2));
        FAIL() << "expected a rejection";
    } catch (const ap::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("needs a profile output"), std::string::npos) << e.what();
    }
    // x must be a sequence: one-hot or N rows.
    x[40 * 4 + 1] = 0.5;
    try {
        at::ism(model, {T3(x.data(), 1, 201, 4)}, at::Target::logits());
        FAIL() << "expected a rejection";
    } catch (const ap::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("at position 40 is neither one-hot"), std::string::npos) << e.what();
    }
    // Training with a target whose seed depends on the outputs is refused.
    using Step = ap::train::DoubleBackprop<double, at::Target>;
    EXPECT_THROW(Step(1.0, at::Target::bpnet_lite()), ap::invalid_argument);
    EXPECT_NO_THROW(Step(1.0, at::Target::profile()));
}
