// Finite-difference checks of a layer's first- and second-order terms (docs/double_backprop.md
// §3 and §5) in double. Every layer test calls check_layer_derivatives; it fails the test on
// the first term whose relative error exceeds the tolerance.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "attrprior/nn/layer.hpp"

namespace attrprior::testing {

struct LayerCheckOptions {
    Index batch = 3;
    nn::Mode mode = nn::Mode::train;
    double step = 1e-6;          // central-difference step
    double tolerance = 1e-6;     // max |fd - analytic| / max |analytic|
    unsigned seed = 1;
    double param_noise = 0.3;    // added to the initialised parameters (non-trivial gamma, bias)
    Index rows_subset_skip = 1;  // the row left out of the tangent rows-subset check
    // True when attribution_backward == backward, so tangent = the forward Jacobian and is
    // checked against finite differences of forward. Otherwise (BatchNorm with per-example
    // attribution statistics) the tangent is checked as the transpose of
    // attribution_backward's linear map; that check runs in every case.
    bool tangent_is_forward_jacobian = true;
};

inline std::vector<double> normal_vector(std::size_t n, std::mt19937_64& gen, double scale = 1.0) {
    std::normal_distribution<double> nd(0.0, scale);
    std::vector<double> v(n);
    for (double& x : v) x = nd(gen);
    return v;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

/// Relative error of `analytic` against `fd`: max |fd - analytic| / max(max |analytic|, floor).
inline double relative_error(const std::vector<double>& fd, const std::vector<double>& analytic,
                             double floor = 1e-12) {
    double err = 0, scale = floor;
    for (std::size_t i = 0; i < fd.size(); ++i) {
        err = std::max(err, std::fabs(fd[i] - analytic[i]));
        scale = std::max(scale, std::fabs(analytic[i]));
    }
    return err / scale;
}

/// Runs every derivative check of the layer at input shape `in`. Returns nothing; uses
/// EXPECT_* so all failing terms are reported.
inline void check_layer_derivatives(nn::Layer<double>& layer, const nn::Shape& in,
                                    const LayerCheckOptions& o = LayerCheckOptions()) {
    using T = Tensor3<double>;
    using CT = ConstTensor3<double>;
    std::mt19937_64 gen(o.seed);
    const nn::Shape out = layer.output_shape(in);
    const Index B = o.batch;
    const std::size_t n_in = static_cast<std::size_t>(B * in.length * in.channels);
    const std::size_t n_out = static_cast<std::size_t>(B * out.length * out.channels);
    const Index P = layer.parameter_count();

    std::vector<double> params(static_cast<std::size_t>(P)), grads(params.size()),
        state(static_cast<std::size_t>(layer.state_count()));
    layer.bind(params.data(), grads.data(), state.data());
    layer.reset_parameters(gen);
    {
        auto noise = normal_vector(params.size(), gen, o.param_noise);
        for (std::size_t i = 0; i < params.size(); ++i) params[i] += noise[i];
    }
    layer.set_random_state(7, 3);
    auto h = normal_vector(n_in, gen);
    const auto g_out = normal_vector(n_out, gen);
    const auto u_in = normal_vector(n_in, gen);

    std::vector<double> y(n_out), tmp_out(n_out), g_in(n_in), tmp_in(n_in);
    auto forward = [&](const std::vector<double>& x, std::vector<double>& result) {
        layer.forward(CT(x.data(), B, in.length, in.channels),
                      T(result.data(), B, out.length, out.channels), o.mode);
    };
    // <u, B(g_out, h, theta)>: the function whose derivatives the second-order terms are,
    // B being the attribution pass's backward.
    auto phi = [&](const std::vector<double>& x) {
        forward(x, tmp_out);
        layer.attribution_backward(CT(x.data(), B, in.length, in.channels),
                       CT(tmp_out.data(), B, out.length, out.channels),
                       CT(g_out.data(), B, out.length, out.channels),
                       T(tmp_in.data(), B, in.length, in.channels));
        return dot(u_in, tmp_in);
    };
    const double eps = o.step;

    // backward: g_in = J^T g_out, against d<g_out, F(h)>/dh.
    forward(h, y);
    layer.backward(CT(h.data(), B, in.length, in.channels), CT(y.data(), B, out.length, out.channels),
                   CT(g_out.data(), B, out.length, out.channels),
                   T(g_in.data(), B, in.length, in.channels));
    {
        std::vector<double> fd(n_in);
        for (std::size_t k = 0; k < n_in; ++k) {
            auto xp = h, xm = h;
            xp[k] += eps;
            xm[k] -= eps;
            forward(xp, tmp_out);
            const double fp = dot(g_out, tmp_out);
            forward(xm, tmp_out);
            fd[k] = (fp - dot(g_out, tmp_out)) / (2 * eps);
        }
        EXPECT_LT(relative_error(fd, g_in), o.tolerance) << layer.kind() << " backward (J^T g)";
    }

    // parameter gradients: (dF/dtheta)^T g_out.
    if (P > 0) {
        std::fill(grads.begin(), grads.end(), 0.0);
        forward(h, y);
        layer.accumulate_parameter_gradients(CT(h.data(), B, in.length, in.channels),
                                             CT(g_out.data(), B, out.length, out.channels));
        const auto analytic = grads;
        std::vector<double> fd(params.size());
        for (std::size_t p = 0; p < params.size(); ++p) {
            const double saved = params[p];
            params[p] = saved + eps;
            forward(h, tmp_out);
            const double fp = dot(g_out, tmp_out);
            params[p] = saved - eps;
            forward(h, tmp_out);
            fd[p] = (fp - dot(g_out, tmp_out)) / (2 * eps);
            params[p] = saved;
        }
        EXPECT_LT(relative_error(fd, analytic), o.tolerance) << layer.kind() << " parameter gradients";
    }

    // tangent: J u against (F(h + eps u) - F(h - eps u)) / 2 eps, on all rows.
    nn::Rows all(static_cast<std::size_t>(B));
    for (Index b = 0; b < B; ++b) all[static_cast<std::size_t>(b)] = b;
    std::vector<double> ju(n_out);
    forward(h, y);
    layer.tangent(CT(h.data(), B, in.length, in.channels), CT(u_in.data(), B, in.length, in.channels),
                  T(ju.data(), B, out.length, out.channels), all);
    {  // transpose identity: <J u, g> = <u, B(g)>
        const double lhs = dot(ju, g_out), rhs = phi(h);
        EXPECT_NEAR(lhs, rhs, 1e-10 * (1 + std::fabs(rhs))) << layer.kind() << " tangent is not the transpose of attribution_backward";
        forward(h, y);
    }
    if (o.tangent_is_forward_jacobian) {
        auto xp = h, xm = h;
        for (std::size_t k = 0; k < n_in; ++k) {
            xp[k] += eps * u_in[k];
            xm[k] -= eps * u_in[k];
        }
        std::vector<double> fp(n_out), fm(n_out), fd(n_out);
        forward(xp, fp);
        forward(xm, fm);
        for (std::size_t k = 0; k < n_out; ++k) fd[k] = (fp[k] - fm[k]) / (2 * eps);
        EXPECT_LT(relative_error(fd, ju), o.tolerance) << layer.kind() << " tangent (J u)";
    }
    // The rows contract: with a subset, listed rows agree with the full pass and the
    // others are left untouched (only for layers that do not couple rows).
    if (!layer.couples_rows() && B > 1) {
        nn::Rows subset;
        for (Index b = 0; b < B; ++b)
            if (b != o.rows_subset_skip) subset.push_back(b);
        std::vector<double> part(n_out, -12345.0);
        forward(h, y);
        layer.tangent(CT(h.data(), B, in.length, in.channels),
                      CT(u_in.data(), B, in.length, in.channels),
                      T(part.data(), B, out.length, out.channels), subset);
        const std::size_t row = static_cast<std::size_t>(out.length * out.channels);
        for (Index b = 0; b < B; ++b) {
            for (std::size_t k = 0; k < row; ++k) {
                const std::size_t i = static_cast<std::size_t>(b) * row + k;
                if (b == o.rows_subset_skip) {
                    ASSERT_EQ(part[i], -12345.0) << layer.kind() << " tangent wrote a skipped row";
                } else {
                    ASSERT_EQ(part[i], ju[i]) << layer.kind() << " tangent on a row subset";
                }
            }
        }
    }

    // second order: theta-bar = d phi / d theta and hbar = d phi / d h. Gradients must be
    // accumulated (+=, preloaded with 1) and hbar assigned (prefilled with NaN).
    std::fill(grads.begin(), grads.end(), 1.0);
    std::vector<double> hbar(n_in, layer.has_input_second_order() ? std::nan("") : 0.0);
    forward(h, y);
    layer.accumulate_second_order(CT(h.data(), B, in.length, in.channels),
                                  CT(g_out.data(), B, out.length, out.channels),
                                  CT(u_in.data(), B, in.length, in.channels),
                                  T(hbar.data(), B, in.length, in.channels), all);
    auto theta_bar = grads;
    for (double& v : theta_bar) v -= 1.0;
    if (P > 0) {
        std::vector<double> fd(params.size());
        for (std::size_t p = 0; p < params.size(); ++p) {
            const double saved = params[p];
            params[p] = saved + eps;
            const double fp = phi(h);
            params[p] = saved - eps;
            fd[p] = (fp - phi(h)) / (2 * eps);
            params[p] = saved;
        }
        // A layer whose backward does not depend on theta has fd = 0: absolute check then.
        const double scale = *std::max_element(fd.begin(), fd.end(), [](double a, double b) {
            return std::fabs(a) < std::fabs(b);
        });
        EXPECT_LT(relative_error(fd, theta_bar, std::max(1e-8, std::fabs(scale))), o.tolerance)
            << layer.kind() << " second-order parameter term (theta-bar)";
    }
    {
        std::vector<double> fd(n_in);
        for (std::size_t k = 0; k < n_in; ++k) {
            auto xp = h, xm = h;
            xp[k] += eps;
            xm[k] -= eps;
            fd[k] = (phi(xp) - phi(xm)) / (2 * eps);
        }
        if (layer.has_input_second_order()) {
            EXPECT_LT(relative_error(fd, hbar), o.tolerance) << layer.kind() << " second-order input term (h-bar)";
        } else {
            double m = 0;
            for (double v : fd) m = std::max(m, std::fabs(v));
            EXPECT_LT(m, 1e-6) << layer.kind() << " claims hbar = 0 but d<u, B>/dh is not";
        }
    }
}

}  // namespace attrprior::testing
