// Finite-difference checks of a layer's first- and second-order terms, for anyone writing
// a Layer (the library's own layer tests use them too). Needs no test framework: the checks
// return a report that says, term by term, how far the analytic values are from central
// finite differences. See docs/testing_layers.md.
//
// Every check runs in double on random inputs, cotangents and parameters:
//   backward          g_in = J^T g_out             against d<g_out, F(h)>/dh
//   parameter grads   (dF/dtheta)^T g_out          against d<g_out, F(h)>/dtheta
//   tangent transpose <J u, g_out> = <u, B(g_out)> B = attribution_backward (exact identity)
//   tangent           J u                          against (F(h + e u) - F(h - e u)) / 2e
//   tangent rows      a row subset gives the listed rows exactly the values of a pass over
//                     all rows and leaves the others untouched
//   theta-bar         (dB/dtheta)^T u, accumulated against d<u, B(g_out, h, theta)>/dtheta
//   h-bar             (dB/dh)^T u, assigned         against d<u, B(g_out, h, theta)>/dh (and
//                     0 when the layer says has_input_second_order() is false)
// with F the layer's forward and B its attribution backward, as in nn/layer.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::testing {

/// How check_layer draws its inputs and how strict it is.
struct LayerCheckOptions {
    Index batch = 3;
    nn::Mode mode = nn::Mode::train;
    double step = 1e-6;                 // central-difference step
    double tolerance = 1e-6;            // on the relative error of every finite-difference check
    double transpose_tolerance = 1e-10;  // on |<J u, g> - <u, B(g)>| / (1 + |<u, B(g)>|)
    double zero_hbar_tolerance = 1e-6;  // on max |d<u, B>/dh| when the layer claims h-bar = 0
    unsigned seed = 1;
    double param_noise = 0.3;    // added to the initialised parameters (non-trivial gamma, bias)
    Index rows_subset_skip = 1;  // the row left out of the tangent rows-subset check
    // True when attribution_backward == backward, so tangent = the forward Jacobian and is
    // checked against finite differences of forward. Otherwise (BatchNorm with per-example
    // attribution statistics) the tangent is checked only as the transpose of
    // attribution_backward's linear map; that check runs in every case.
    bool tangent_is_forward_jacobian = true;
};

/// The outcome of one check.
struct CheckResult {
    std::string name;          // one of the names listed at check_layer
    double max_abs_error = 0;  // max |reference - analytic| over the compared values
    double max_rel_error = 0;  // max_abs_error over the scale of the values (see the check)
    double tolerance = 0;
    bool absolute = false;  // true: the tolerance bounds max_abs_error, else max_rel_error
    bool passed = false;
    std::string note;  // what went wrong beyond the numbers, when anything did

    /// "PASS backward (J^T g): max abs error 1.2e-11, max rel error 3.1e-12, tolerance 1e-06 (relative)".
    std::string summary() const {
        std::ostringstream os;
        os << (passed ? "PASS " : "FAIL ") << name << ": max abs error " << max_abs_error << ", max rel error "
           << max_rel_error << ", tolerance " << tolerance << (absolute ? " (absolute)" : " (relative)");
        if (!note.empty()) os << "; " << note;
        return os.str();
    }
};

/// Every check of one layer at one input shape.
struct LayerCheckReport {
    std::string layer;  // Layer::kind()
    nn::Shape input;
    Index batch = 0;
    std::vector<CheckResult> checks;

    bool passed() const {
        return std::all_of(checks.begin(), checks.end(), [](const CheckResult& c) { return c.passed; });
    }
    /// The check called `name`, or null when it did not run (e.g. no parameters).
    const CheckResult* find(std::string_view name) const {
        for (const CheckResult& c : checks)
            if (c.name == name) return &c;
        return nullptr;
    }
    /// The names of the failed checks, in the order they ran.
    std::vector<std::string> failed() const {
        std::vector<std::string> names;
        for (const CheckResult& c : checks)
            if (!c.passed) names.push_back(c.name);
        return names;
    }
    /// A header line, then one line per check (failed or not).
    std::string summary() const {
        std::ostringstream os;
        os << layer << " at input " << nn::to_string(input) << ", batch " << batch << ": "
           << (passed() ? "all " + std::to_string(checks.size()) + " checks passed"
                        : std::to_string(failed().size()) + " of " + std::to_string(checks.size()) +
                              " checks failed");
        for (const CheckResult& c : checks) os << "\n  " << c.summary();
        return os.str();
    }
};

/// n values drawn from N(0, scale^2).
inline std::vector<double> normal_vector(std::size_t n, std::mt19937_64& gen, double scale = 1.0) {
    std::normal_distribution<double> nd(0.0, scale);
    std::vector<double> v(n);
    for (double& x : v) x = nd(gen);
    return v;
}

namespace detail {

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

inline double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
}

/// Compares `analytic` with `reference`: the relative error is max |reference - analytic|
/// over max(max |analytic|, floor). NaN anywhere fails the check.
inline CheckResult compare(const char* name, const std::vector<double>& reference,
                           const std::vector<double>& analytic, double tolerance, double floor = 1e-12) {
    CheckResult r;
    r.name = name;
    r.tolerance = tolerance;
    bool nan = false;
    double scale = floor;
    for (std::size_t i = 0; i < reference.size(); ++i) {
        const double d = std::fabs(reference[i] - analytic[i]);
        nan |= std::isnan(d);
        r.max_abs_error = std::max(r.max_abs_error, d);
        scale = std::max(scale, std::fabs(analytic[i]));
    }
    r.max_rel_error = r.max_abs_error / scale;
    r.passed = !nan && r.max_rel_error < tolerance;
    if (nan) r.note = "an analytic or finite-difference value is NaN (a value left unwritten?)";
    return r;
}

}  // namespace detail

/// Runs every check of `layer` at per-example input shape `in` and returns the report.
/// The layer is bound to fresh buffers and its parameters reset (from `options.seed`) and
/// perturbed, so pass a layer that a model does not own. The checks, by name:
///   "backward (J^T g)", "parameter gradients" (only with parameters),
///   "tangent is the transpose of attribution_backward", "tangent (J u)" (only when
///   options.tangent_is_forward_jacobian), "tangent on a row subset" (only when the layer
///   does not couple rows and the batch has 2 rows or more),
///   "second-order parameter term (theta-bar)" (only with parameters),
///   "second-order input term (h-bar)".
inline LayerCheckReport check_layer(nn::Layer<double>& layer, const nn::Shape& in,
                                    const LayerCheckOptions& o = LayerCheckOptions()) {
    using T = Tensor3<double>;
    using CT = ConstTensor3<double>;
    std::mt19937_64 gen(o.seed);
    const nn::Shape out = layer.output_shape(in);
    const Index B = o.batch;
    const std::size_t n_in = static_cast<std::size_t>(B * in.length * in.channels);
    const std::size_t n_out = static_cast<std::size_t>(B * out.length * out.channels);
    const Index P = layer.parameter_count();
    LayerCheckReport report;
    report.layer = layer.kind();
    report.input = in;
    report.batch = B;

    std::vector<double> params(static_cast<std::size_t>(P)), grads(params.size()),
        state(static_cast<std::size_t>(layer.state_count()));
    layer.bind(params.data(), grads.data(), state.data());
    layer.reset_parameters(gen);
    {
        const auto noise = normal_vector(params.size(), gen, o.param_noise);
        for (std::size_t i = 0; i < params.size(); ++i) params[i] += noise[i];
    }
    layer.set_random_state(7, 3);
    const auto h = normal_vector(n_in, gen);
    const auto g_out = normal_vector(n_out, gen);
    const auto u_in = normal_vector(n_in, gen);
    auto in_view = [&](const std::vector<double>& v) { return CT(v.data(), B, in.length, in.channels); };
    auto out_view = [&](const std::vector<double>& v) { return CT(v.data(), B, out.length, out.channels); };
    auto in_span = [&](std::vector<double>& v) { return T(v.data(), B, in.length, in.channels); };
    auto out_span = [&](std::vector<double>& v) { return T(v.data(), B, out.length, out.channels); };

    std::vector<double> y(n_out), tmp_out(n_out), g_in(n_in), tmp_in(n_in);
    auto forward = [&](const std::vector<double>& x, std::vector<double>& result) {
        layer.forward(in_view(x), out_span(result), o.mode);
    };
    // <g_out, F(h)>: the function whose derivatives backward and the parameter gradients are.
    auto output_dot = [&](const std::vector<double>& x) {
        forward(x, tmp_out);
        return detail::dot(g_out, tmp_out);
    };
    // <u, B(g_out, h, theta)>: the function whose derivatives the second-order terms are.
    auto phi = [&](const std::vector<double>& x) {
        forward(x, tmp_out);
        layer.attribution_backward(in_view(x), out_view(tmp_out), out_view(g_out), in_span(tmp_in));
        return detail::dot(u_in, tmp_in);
    };
    // Central differences of f along every input element, and along every parameter.
    auto input_fd = [&](auto&& f) {
        std::vector<double> fd(n_in);
        for (std::size_t k = 0; k < n_in; ++k) {
            auto xp = h, xm = h;
            xp[k] += o.step;
            xm[k] -= o.step;
            const double fp = f(xp);  // before f(xm): both run the layer's forward
            fd[k] = (fp - f(xm)) / (2 * o.step);
        }
        return fd;
    };
    auto parameter_fd = [&](auto&& f) {
        std::vector<double> fd(params.size());
        for (std::size_t p = 0; p < params.size(); ++p) {
            const double saved = params[p];
            params[p] = saved + o.step;
            const double fp = f(h);
            params[p] = saved - o.step;
            fd[p] = (fp - f(h)) / (2 * o.step);
            params[p] = saved;
        }
        return fd;
    };

    forward(h, y);
    layer.backward(in_view(h), out_view(y), out_view(g_out), in_span(g_in));
    report.checks.push_back(detail::compare("backward (J^T g)", input_fd(output_dot), g_in, o.tolerance));

    if (P > 0) {
        std::fill(grads.begin(), grads.end(), 0.0);
        forward(h, y);
        layer.accumulate_parameter_gradients(in_view(h), out_view(g_out));
        const auto analytic = grads;
        report.checks.push_back(
            detail::compare("parameter gradients", parameter_fd(output_dot), analytic, o.tolerance));
    }

    nn::Rows all(static_cast<std::size_t>(B));
    for (Index b = 0; b < B; ++b) all[static_cast<std::size_t>(b)] = b;
    std::vector<double> ju(n_out);
    forward(h, y);
    layer.tangent(in_view(h), in_view(u_in), out_span(ju), all);
    {
        const double lhs = detail::dot(ju, g_out), rhs = phi(h);
        CheckResult r;
        r.name = "tangent is the transpose of attribution_backward";
        r.max_abs_error = std::fabs(lhs - rhs);
        r.max_rel_error = r.max_abs_error / (1 + std::fabs(rhs));
        r.tolerance = o.transpose_tolerance;
        r.passed = r.max_rel_error < r.tolerance;  // false on NaN
        if (!r.passed) {
            r.note = attrprior::detail::concat("<J u, g> = ", lhs, " but <u, attribution_backward(g)> = ", rhs);
        }
        report.checks.push_back(r);
    }
    if (o.tangent_is_forward_jacobian) {
        auto xp = h, xm = h;
        for (std::size_t k = 0; k < n_in; ++k) {
            xp[k] += o.step * u_in[k];
            xm[k] -= o.step * u_in[k];
        }
        std::vector<double> fp(n_out), fm(n_out), fd(n_out);
        forward(xp, fp);
        forward(xm, fm);
        for (std::size_t k = 0; k < n_out; ++k) fd[k] = (fp[k] - fm[k]) / (2 * o.step);
        report.checks.push_back(detail::compare("tangent (J u)", fd, ju, o.tolerance));
    }
    // The rows contract (nn::Rows): only for layers whose attribution pass keeps rows apart.
    if (!layer.couples_rows() && B > 1) {
        constexpr double untouched = -12345.0;
        nn::Rows subset;
        for (Index b = 0; b < B; ++b)
            if (b != o.rows_subset_skip) subset.push_back(b);
        std::vector<double> part(n_out, untouched);
        forward(h, y);
        layer.tangent(in_view(h), in_view(u_in), out_span(part), subset);
        CheckResult r;
        r.name = "tangent on a row subset";
        r.absolute = true;
        const std::size_t row = static_cast<std::size_t>(out.length * out.channels);
        bool wrote_skipped = false, nan = false;
        for (Index b = 0; b < B; ++b) {
            for (std::size_t k = 0; k < row; ++k) {
                const std::size_t i = static_cast<std::size_t>(b) * row + k;
                if (b == o.rows_subset_skip) {
                    wrote_skipped |= part[i] != untouched;
                } else {
                    const double d = std::fabs(part[i] - ju[i]);
                    nan |= std::isnan(d);
                    r.max_abs_error = std::max(r.max_abs_error, d);
                }
            }
        }
        r.max_rel_error = r.max_abs_error / std::max(1e-12, detail::max_abs(ju));
        r.passed = !wrote_skipped && !nan && r.max_abs_error == 0;
        if (wrote_skipped) {
            r.note = attrprior::detail::concat("wrote row ", o.rows_subset_skip, ", which was not listed");
        } else if (!r.passed) {
            r.note = "listed rows differ from a pass over all rows";
        }
        report.checks.push_back(r);
    }

    // Gradients must be accumulated (+=, preloaded with 1) and h-bar assigned (prefilled with
    // NaN when the layer writes it).
    std::fill(grads.begin(), grads.end(), 1.0);
    std::vector<double> hbar(n_in, layer.has_input_second_order() ? std::nan("") : 0.0);
    forward(h, y);
    layer.accumulate_second_order(in_view(h), out_view(g_out), in_view(u_in), in_span(hbar), all);
    if (P > 0) {
        auto theta_bar = grads;
        for (double& v : theta_bar) v -= 1.0;
        const auto fd = parameter_fd(phi);
        // A backward that does not depend on theta has fd = 0: the check is then absolute.
        report.checks.push_back(detail::compare("second-order parameter term (theta-bar)", fd, theta_bar,
                                                o.tolerance, std::max(1e-8, detail::max_abs(fd))));
    }
    {
        const auto fd = input_fd(phi);
        if (layer.has_input_second_order()) {
            report.checks.push_back(detail::compare("second-order input term (h-bar)", fd, hbar, o.tolerance));
        } else {
            CheckResult r;
            r.name = "second-order input term (h-bar)";
            r.absolute = true;
            r.max_abs_error = r.max_rel_error = detail::max_abs(fd);
            r.tolerance = o.zero_hbar_tolerance;
            r.passed = r.max_abs_error < r.tolerance;
            if (!r.passed) r.note = "has_input_second_order() is false but d<u, attribution_backward>/dh is not 0";
            report.checks.push_back(r);
        }
    }
    return report;
}

}  // namespace attrprior::testing
