// Every attribution method against the float64 PyTorch reference of
// tests/reference/torch_attribution.py (fixtures in tests/data/attribution_*): the paper's
// binary model with eval BatchNorm statistics, a small profile model with 2 tasks and
// matched controls, a paper-shaped profile trunk, and a model with overlapping and
// stacked max-pools; inputs with N rows; fixed references. Agreement to 1e-10 of each
// tensor's largest value (docs/attribution.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "attrprior/attribution/deeplift.hpp"
#include "attrprior/attribution/gradient.hpp"
#include "attrprior/attribution/integrated_gradients.hpp"
#include "attrprior/attribution/ism.hpp"
#include "attrprior/io/npy.hpp"
#include "attrprior/io/weights.hpp"
#include "../support/attribution_models.hpp"

namespace ap = attrprior;
namespace at = attrprior::attribution;
using ap::Index;
using T3 = ap::ConstTensor3<double>;

namespace {

struct Case {
    std::string dir;
    std::vector<std::pair<std::string, at::Target>> targets;
    Index ism_start = 0, ism_end = -1;  // ISM checked on this window
    bool gradients_for_every_target = true;  // IG and EG (else: the first target only, to save time)
};

// Names the case in ctest's listing (instead of the object's bytes).
void PrintTo(const Case& c, std::ostream* os) { *os << c.dir; }

// The entries of a B x L x 4 fixture inside positions [start, end) (the rest zeroed).
ap::io::NpyArray<double> window(ap::io::NpyArray<double> a, Index start, Index end) {
    const Index B = a.shape[0], L = a.shape[1];
    if (end < 0) end = L;
    for (Index b = 0; b < B; ++b)
        for (Index i = 0; i < L; ++i)
            if (i < start || i >= end)
                for (Index c = 0; c < 4; ++c) a.data[static_cast<std::size_t>((b * L + i) * 4 + c)] = 0.0;
    return a;
}

ap::nn::Model<double> build(const std::string& dir) {
    if (dir == "attribution_binary") {
        ap::models::BinaryModelOptions o;
        o.length = 201;
        o.tasks = 2;
        return ap::models::make_binary_model<double>(o, 0);
    }
    if (dir == "attribution_maxpool") return ap::testing::maxpool_model();
    ap::models::ProfileModelOptions o;
    if (dir == "attribution_profile_small") {
        o.input_length = 200;
        o.output_length = 128;
        o.tasks = 2;
        o.filters = 8;
        o.dilations = {2, 4, 8};
        o.profile_kernel = 25;
    } else {
        o.input_length = 446;
        o.output_length = 100;
        o.tasks = 1;
    }
    return ap::models::make_profile_model<double>(o, 0);
}

class TorchAttribution : public ::testing::TestWithParam<Case> {};

// |got - want| <= tol * max(|want|) elementwise (tol relative to the tensor's largest value).
void expect_close(const std::vector<double>& got, const ap::io::NpyArray<double>& want, const std::string& what,
                  double tol = 1e-10) {
    ASSERT_EQ(got.size(), want.data.size()) << what;
    double scale = 0, worst = 0;
    for (double w : want.data) scale = std::max(scale, std::abs(w));
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want.data[i]));
    EXPECT_LE(worst, tol * std::max(scale, 1e-300)) << what << ": worst difference " << worst << ", scale " << scale;
}

}  // namespace

TEST_P(TorchAttribution, EveryMethodMatches) {
    const Case& c = GetParam();
    const std::string dir = std::string(ATTRPRIOR_TEST_DATA_DIR) + "/" + c.dir;
    auto model = build(c.dir);
    ap::io::load_weights(model, dir);
    const auto x = ap::io::read_npy<double>(dir + "/x.npy");
    const auto refs = ap::io::read_npy<double>(dir + "/refs.npy");
    const Index B = x.shape[0], L = x.shape[1], K = refs.shape[1];
    at::Inputs<double> inputs{T3(x.data.data(), B, L, 4)};
    ap::io::NpyArray<double> control;
    if (model.input_count() > 1) {
        control = ap::io::read_npy<double>(dir + "/control.npy");
        inputs.emplace_back(control.data.data(), B, control.shape[1], control.shape[2]);
    }
    const T3 references(refs.data.data(), B * K, L, 4);
    // Baseline k = 0 of every example, for IG against a reference.
    std::vector<double> first_refs;
    for (Index b = 0; b < B; ++b)
        first_refs.insert(first_refs.end(), refs.data.begin() + b * K * L * 4, refs.data.begin() + (b * K + 1) * L * 4);
    const auto eg_index = ap::io::read_npy<Index>(dir + "/eg_ref_index.npy");
    const auto eg_alpha = ap::io::read_npy<double>(dir + "/eg_alpha.npy");

    for (const auto& [name, target] : c.targets) {
        SCOPED_TRACE(c.dir + " target " + name);
        auto want = [&](const std::string& file) { return ap::io::read_npy<double>(dir + "/" + name + "." + file + ".npy"); };
        at::GradientOptions plain;
        plain.centred = false;
        const auto g = at::gradient_times_input(model, inputs, target, plain);
        expect_close(g.value, want("f_x"), "f(x)");
        expect_close(g.hypothetical, want("grad"), "gradient");
        const auto gc = at::gradient_times_input(model, inputs, target);
        expect_close(gc.hypothetical, want("grad_H"), "centred gradient H");
        expect_close(gc.projected, want("grad_P"), "centred gradient P");

        at::IsmOptions io;
        io.batch = 50;
        io.start = c.ism_start;
        io.end = c.ism_end;
        const auto ism = at::ism(model, inputs, target, io);
        expect_close(ism.delta, window(want("ism_delta"), c.ism_start, c.ism_end), "ISM delta");
        expect_close(ism.hypothetical, window(want("ism_H"), c.ism_start, c.ism_end), "ISM H");
        expect_close(ism.projected, window(want("ism_P"), c.ism_start, c.ism_end), "ISM P");

        at::DeepLiftOptions dlo;
        dlo.keep_multipliers = true;
        dlo.batch = 4;
        const auto dl = at::deeplift(model, inputs, references, K, target, dlo);
        expect_close(dl.multipliers, want("dl_mult"), "DeepLIFT multipliers");
        expect_close(dl.hypothetical, want("dl_H"), "DeepLIFT H");
        expect_close(dl.projected, want("dl_P"), "DeepLIFT P");
        expect_close(dl.reference_value, want("dl_f_ref"), "f(r)");
        expect_close(dl.n_contrib, want("dl_ncontrib"), "N-row contributions");
        const auto dl_delta = want("dl_delta");
        for (std::size_t p = 0; p < dl.delta.size(); ++p) {
            const double scale = std::max({1.0, std::abs(dl.value[p / static_cast<std::size_t>(K)]), std::abs(dl.reference_value[p])});
            EXPECT_LE(std::abs(dl.delta[p]), 1e-10 * scale) << "pair " << p;
            EXPECT_NEAR(dl.delta[p], dl_delta.data[p], 1e-10 * scale) << "pair " << p;
        }
        EXPECT_EQ(dl.warnings, 0);

        if (!c.gradients_for_every_target && name != c.targets.front().first) continue;
        at::IntegratedGradientsOptions ig;
        ig.batch = 40;
        const auto ig50 = at::integrated_gradients(model, inputs, target, ig);
        expect_close(ig50.attribution, want("ig_gl50_attr"), "IG GL50");
        expect_close(ig50.mean_gradient, want("ig_gl50_gbar"), "IG GL50 gbar");
        expect_close(ig50.hypothetical, want("ig_gl50_H"), "IG GL50 H");
        expect_close(ig50.delta, want("ig_gl50_delta"), "IG GL50 delta", 1e-8);
        ig.rule = at::Quadrature::riemann_trapezoid;
        ig.steps = 10;
        const auto trap = at::integrated_gradients(model, inputs, target, ig);
        expect_close(trap.attribution, want("ig_trap10_attr"), "IG trapezoid 10");
        expect_close(trap.mean_gradient, want("ig_trap10_gbar"), "IG trapezoid gbar");
        expect_close(trap.delta, want("ig_trap10_delta"), "IG trapezoid delta", 1e-8);
        ig = at::IntegratedGradientsOptions();
        const auto igr = at::integrated_gradients(model, inputs, T3(first_refs.data(), B, L, 4), 1, target, ig);
        expect_close(igr.attribution, want("ig_ref_gl50_attr"), "IG GL50 reference baseline");
        expect_close(igr.hypothetical, want("ig_ref_gl50_H"), "IG GL50 reference baseline H");
        expect_close(igr.delta, want("ig_ref_gl50_delta"), "IG GL50 reference delta", 1e-8);

        at::ExpectedGradientsOptions eo;
        eo.samples = eg_index.shape[1];
        eo.given_reference_index = eg_index.data;
        eo.given_alpha = eg_alpha.data;
        eo.batch = 5;
        const auto eg = at::expected_gradients(model, inputs, references, K, target, eo);
        expect_close(eg.attribution, want("eg_attr"), "EG");
    }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, TorchAttribution,
    ::testing::Values(
        Case{"attribution_binary", {{"sum", at::Target::logits()}, {"task1", at::Target::logits(1)}}},
        Case{"attribution_maxpool", {{"sum", at::Target::logits()}}},
        Case{"attribution_profile_small",
             {{"profile", at::Target::profile(2)},
              {"profile_logprob", at::Target::profile(2, -1, at::ProfileWeighting::log_probabilities)},
              {"counts", at::Target::counts(2)},
              {"profile_task1", at::Target::profile(2, 1)}}},
        Case{"attribution_profile_paper",
             {{"profile", at::Target::profile(2)},
              {"profile_logprob", at::Target::profile(2, -1, at::ProfileWeighting::log_probabilities)},
              {"counts", at::Target::counts(2)}},
             130,
             170,  // ISM on 40 positions (with example 1's N run), to keep the suite fast
             false}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.dir.substr(12); });
