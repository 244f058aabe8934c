// One entry point over the attribution methods, chosen at run time (docs/attribution.md,
// "Choosing the method at run time"): what a program that takes `--method` calls, and what
// the attribute pipeline (genomics/attribute_regions.hpp) runs chunk by chunk.
//
//   attribution::ExplainOptions o;            // DeepSHAP, 20 shuffles, seed 0
//   o.method = attribution::parse_method("ism", "--method");
//   attribution::Explanation<float> e = attribution::explain(model, inputs, target, o, first);
//
// Every method fills the common scores (H, P, f(x)); DeepSHAP, DeepLIFT against given
// references and integrated gradients also return one convergence delta per (example,
// reference) pair. The hypothetical scores H are the ones TF-MoDISco reads: DeepSHAP's
// reference-averaged H, ISM's mean-centred effects, the centred gradient, IG's H.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/attribution/deeplift.hpp"
#include "attrprior/attribution/gradient.hpp"
#include "attrprior/attribution/integrated_gradients.hpp"
#include "attrprior/attribution/ism.hpp"
#include "attrprior/attribution/scores.hpp"
#include "attrprior/attribution/shuffle.hpp"
#include "attrprior/core/error.hpp"

namespace attrprior::attribution {

enum class Method {
    deep_shap,             ///< DeepLIFT against dinucleotide shuffles (or given references)
    ism,                   ///< in-silico mutagenesis, mean-centred
    integrated_gradients,  ///< IG from the zero baseline (or shuffles, or given baselines)
    gradient,              ///< gradient x input, mean-centred
};

/// The short names programs and files use: deepshap, ism, ig, grad.
inline const char* to_string(Method m) {
    switch (m) {
        case Method::deep_shap: return "deepshap";
        case Method::ism: return "ism";
        case Method::integrated_gradients: return "ig";
        case Method::gradient: return "grad";
    }
    return "?";
}

/// The method named `name` (deepshap, ism, ig, grad); invalid_argument naming `flag`
/// and the accepted names otherwise.
inline Method parse_method(const std::string& name, const std::string& flag = "method") {
    for (Method m : {Method::deep_shap, Method::ism, Method::integrated_gradients, Method::gradient})
        if (name == to_string(m)) return m;
    throw invalid_argument(attrprior::detail::concat(flag, " = '", name, "' is not a method (deepshap, ism, ig, grad)"));
}

/// The target named `kind` (logits, profile, counts, bpnet_lite) of task `task` (-1: the
/// sum over tasks) for a model with `strands` output channels per task (1 for binary
/// models); invalid_argument naming `flag` otherwise. Target::validate checks it against
/// the model.
inline Target parse_target(const std::string& kind, Index task, Index strands, const std::string& flag = "target") {
    if (kind == "logits") return Target::logits(task);
    if (kind == "profile") return Target::profile(strands, task);
    if (kind == "counts") return Target::counts(strands, task);
    if (kind == "bpnet_lite") return Target::bpnet_lite(strands, task);
    throw invalid_argument(
        attrprior::detail::concat(flag, " = '", kind, "' is not a target (logits, profile, counts, bpnet_lite)"));
}

/// Integrated gradients' baselines when no references are given.
enum class Baseline {
    zero,      ///< the all-zero sequence (captum's default)
    shuffles,  ///< the example's dinucleotide shuffles (ExplainOptions::shuffles), averaged
};

inline const char* to_string(Baseline b) { return b == Baseline::zero ? "zero" : "shuffle"; }

/// zero or shuffle; invalid_argument naming `flag` otherwise.
inline Baseline parse_baseline(const std::string& name, const std::string& flag = "baseline") {
    if (name == "zero") return Baseline::zero;
    if (name == "shuffle") return Baseline::shuffles;
    throw invalid_argument(attrprior::detail::concat(flag, " = '", name, "' is not a baseline (zero, shuffle)"));
}

struct ExplainOptions {
    Method method = Method::deep_shap;
    ShuffleOptions shuffles;  ///< DeepSHAP's references and IG's shuffle baselines: K = 20, seed 0
    Index batch = 64;         ///< rows per pass: pairs, mutants, interpolation points or examples
    Index ig_steps = 50;      ///< IG: Gauss-Legendre points
    Baseline ig_baseline = Baseline::zero;
    /// A pair counts as a convergence warning when |delta| > warn_factor * max(1, |f(x)|, |f(r)|).
    double warn_factor = 1e-3;
    void validate() const {
        const char* where = "ExplainOptions";
        parse_method(to_string(method), "ExplainOptions: method");
        shuffles.validate();
        require(batch >= 1, where, "batch", batch, "must be >= 1");
        require(ig_steps >= 1, where, "ig_steps", ig_steps, "must be >= 1");
        require(warn_factor > 0, where, "warn_factor", warn_factor, "must be > 0");
    }
};

template <class Scalar>
struct Explanation : Scores<Scalar> {
    Method method = Method::deep_shap;
    /// References (or baselines) per example behind `delta`; 0 for ISM and gradients.
    Index references = 0;
    std::vector<Scalar> delta;            ///< B x references: sum of contributions - (f(x) - f(r))
    std::vector<Scalar> reference_value;  ///< B x references: f(r)
    std::vector<char> degenerate;         ///< B: every shuffle equalled the example (scores 0)
    Index warnings = 0;                   ///< pairs above the convergence threshold
    /// What ran, when it differs from what was asked (ISM's fallback to naive).
    std::string note;
};

namespace detail {

/// Counts the pairs whose |delta| passes the convergence threshold (ExplainOptions).
template <class Scalar>
Index count_convergence_warnings(const Explanation<Scalar>& e, double warn_factor) {
    Index n = 0;
    for (Index b = 0; b < e.examples; ++b)
        for (Index k = 0; k < e.references; ++k) {
            const std::size_t i = static_cast<std::size_t>(b * e.references + k);
            const double rel = relative_delta(double(e.delta[i]), double(e.value[static_cast<std::size_t>(b)]),
                                              double(e.reference_value[i]));
            if (std::fabs(rel) > warn_factor) ++n;
        }
    return n;
}

}  // namespace detail

/// Explains `inputs` with o.method. `first_example` is the global index of the inputs'
/// first example (shuffles are drawn from (seed, first_example + b, k), so a data set
/// explained in chunks gets the references it would get at once). `references`, when
/// not empty, holds K = references.dim0 / B rows per example (row b * K + k) and replaces
/// the shuffles: DeepLIFT against them for deepshap, IG baselines for ig; the other
/// methods take no references (invalid_argument).
template <class Scalar>
Explanation<Scalar> explain(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, const Target& target,
                            const ExplainOptions& o, Index first_example = 0,
                            ConstTensor3<Scalar> references = ConstTensor3<Scalar>()) {
    const char* where = "attribution::explain";
    o.validate();
    require(!inputs.empty(), where, "inputs", 0, "must hold the sequence");
    require(first_example >= 0, where, "first_example", first_example, "must be >= 0");
    const Index B = inputs[0].dim0;
    const bool given = references.data != nullptr && references.dim0 > 0;
    Index K = 0;
    if (given) {
        require(o.method == Method::deep_shap || o.method == Method::integrated_gradients, where, "references",
                references.shape_string(), "are used by deepshap and ig only, not by ", to_string(o.method));
        require(B > 0 && references.dim0 % B == 0, where, "references", references.shape_string(),
                "must hold the same number of rows (K >= 1) for each of the ", B, " examples");
        K = references.dim0 / B;
    }
    Explanation<Scalar> out;
    out.method = o.method;
    const auto take = [&](auto&& scores) { static_cast<Scores<Scalar>&>(out) = std::move(scores); };
    switch (o.method) {
        case Method::deep_shap: {
            DeepLiftScores<Scalar> s;
            if (given) {
                s = deeplift(model, inputs, references, K, target, DeepLiftOptions{o.batch, false, o.warn_factor});
            } else {
                DeepShapOptions so;
                so.shuffles = o.shuffles;
                so.deeplift = DeepLiftOptions{o.batch, false, o.warn_factor};
                so.first_example = first_example;
                s = deep_shap(model, inputs, target, so);
                out.degenerate = std::move(s.degenerate);
            }
            out.references = s.references;
            out.delta = std::move(s.delta);
            out.reference_value = std::move(s.reference_value);
            out.warnings = s.warnings;
            take(std::move(s));
            break;
        }
        case Method::ism: {
            IsmOptions io;
            io.batch = o.batch;
            IsmScores<Scalar> s = ism(model, inputs, target, io);
            if (!s.fallback_reason.empty()) out.note = "naive ISM: " + s.fallback_reason;
            take(std::move(s));
            break;
        }
        case Method::integrated_gradients: {
            IntegratedGradientsOptions io;
            io.steps = o.ig_steps;
            io.batch = o.batch;
            IntegratedGradientsScores<Scalar> s;
            if (given) {
                s = integrated_gradients(model, inputs, references, K, target, io);
            } else if (o.ig_baseline == Baseline::zero) {
                s = integrated_gradients(model, inputs, target, io);
            } else {
                const ConstTensor3<Scalar> x = inputs[0];
                const Index k = o.shuffles.count;
                std::vector<Scalar> shuffled(static_cast<std::size_t>(x.size() * k));
                std::vector<char> flags(static_cast<std::size_t>(B), 0);
                std::unique_ptr<bool[]> degenerate(new bool[static_cast<std::size_t>(std::max<Index>(B, 1))]());
                dinucleotide_shuffles(x, Tensor3<Scalar>(shuffled.data(), B * k, x.dim1, x.dim2), o.shuffles,
                                      first_example, degenerate.get());
                s = integrated_gradients(model, inputs, ConstTensor3<Scalar>(shuffled.data(), B * k, x.dim1, x.dim2),
                                         k, target, io);
                for (Index b = 0; b < B; ++b) flags[static_cast<std::size_t>(b)] = degenerate[static_cast<std::size_t>(b)];
                out.degenerate = std::move(flags);
            }
            out.references = s.baselines;
            out.delta = std::move(s.delta);
            out.reference_value = std::move(s.baseline_value);
            take(std::move(s));
            out.warnings = detail::count_convergence_warnings(out, o.warn_factor);
            break;
        }
        case Method::gradient: {
            GradientOptions go;
            go.batch = o.batch;
            take(gradient_times_input(model, inputs, target, go));
            break;
        }
    }
    return out;
}

}  // namespace attrprior::attribution
