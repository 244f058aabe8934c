// Summaries of a stability study (docs/stability.md, "What is reported"): for each
// (prior, training fraction, attribution method), the cross-seed stability of the same
// test examples' attributions (metrics::stability: per example, the mean over seed pairs
// of the cosine similarity and of the continuous Jaccard similarity), reported as the
// distribution over examples, plus every per-run metric as mean and standard deviation
// over the seeds. Written as stability.tsv (one line per group and example) and
// stability.json (the summaries).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/io/json.hpp"
#include "attrprior/io/npy.hpp"
#include "attrprior/metrics/attribution.hpp"
#include "attrprior/study/runs.hpp"

namespace attrprior::study {

/// Median and quartiles of a distribution (linear interpolation between order
/// statistics: the q-quantile of n sorted values is at position q (n - 1)).
struct Quartiles {
    double q1 = std::numeric_limits<double>::quiet_NaN();
    double median = std::numeric_limits<double>::quiet_NaN();
    double q3 = std::numeric_limits<double>::quiet_NaN();
};

/// Mean and sample standard deviation (n - 1 in the denominator; NaN for n < 2) of the
/// finite values; n counts them.
struct MeanSd {
    double mean = std::numeric_limits<double>::quiet_NaN();
    double sd = std::numeric_limits<double>::quiet_NaN();
    Index n = 0;
};

/// The q-quantile (0 <= q <= 1) of the finite values of v, as Quartiles defines it; NaN
/// when none is finite.
inline double quantile(std::vector<double> v, double q) {
    require(q >= 0.0 && q <= 1.0, "study::quantile", "q", q, "must be in [0, 1]");
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

inline Quartiles quartiles(const std::vector<double>& v) {
    return {quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75)};
}

inline MeanSd mean_sd(const std::vector<double>& v) {
    MeanSd r;
    double sum = 0;
    for (double x : v)
        if (std::isfinite(x)) sum += x, ++r.n;
    if (r.n == 0) return r;
    r.mean = sum / static_cast<double>(r.n);
    if (r.n < 2) return r;
    double ss = 0;
    for (double x : v)
        if (std::isfinite(x)) ss += (x - r.mean) * (x - r.mean);
    r.sd = std::sqrt(ss / static_cast<double>(r.n - 1));
    return r;
}

/// The results of one (prior, fraction, method) group: its seeds' models compared.
struct GroupStability {
    std::string prior, method;
    double fraction = 1.0;
    std::vector<std::uint64_t> seeds;
    Index length = 0;                   ///< L of the attributions
    std::vector<double> cosine;         ///< per example: mean over seed pairs of the cosine similarity
    std::vector<double> jaccard;        ///< per example: mean over seed pairs of continuous Jaccard / L
    Quartiles cosine_quartiles, jaccard_quartiles;
    std::map<std::string, MeanSd> metrics;  ///< every per-run metric over the seeds
};

/// Compares the seeds' attributions of one group. attributions[k] is seed k's N x L x C
/// tensor of the same N examples in the same order (checked by shape only: the caller
/// guarantees the order); run_metrics[k] are seed k's metrics (task and attribution
/// quality). The continuous Jaccard is divided by L (docs/stability.md): per position, in
/// [-1, 1], so values of different input lengths compare.
inline GroupStability group_stability(const std::string& prior, double fraction, const std::string& method,
                                      const std::vector<std::uint64_t>& seeds,
                                      const std::vector<ConstTensor3<float>>& attributions,
                                      const std::vector<std::map<std::string, double>>& run_metrics) {
    const char* where = "study::group_stability";
    require(attributions.size() == seeds.size(), where, "attributions", attributions.size(),
            "tensors given; one per seed (", seeds.size(), ") is needed");
    require(run_metrics.size() == seeds.size(), where, "run_metrics", run_metrics.size(),
            "maps given; one per seed (", seeds.size(), ") is needed");
    GroupStability g;
    g.prior = prior;
    g.method = method;
    g.fraction = fraction;
    g.seeds = seeds;
    const metrics::StabilityReport s = metrics::stability(attributions);
    g.length = attributions.front().dim1;
    g.cosine = s.cosine;
    g.jaccard = s.jaccard;
    for (double& j : g.jaccard) j /= static_cast<double>(g.length);
    g.cosine_quartiles = quartiles(g.cosine);
    g.jaccard_quartiles = quartiles(g.jaccard);
    std::map<std::string, std::vector<double>> values;
    for (const auto& m : run_metrics)
        for (const auto& [k, v] : m) values[k].push_back(v);
    for (const auto& [k, v] : values) {
        std::vector<double> padded = v;  // a metric some seeds lack counts as missing there
        padded.resize(seeds.size(), std::numeric_limits<double>::quiet_NaN());
        g.metrics[k] = mean_sd(padded);
    }
    return g;
}

/// The group of (prior, fraction, method) in `groups`, or null.
inline const GroupStability* find_group(const std::vector<GroupStability>& groups, const std::string& prior,
                                        double fraction, const std::string& method) {
    for (const auto& g : groups)
        if (g.prior == prior && g.fraction == fraction && g.method == method) return &g;
    return nullptr;
}

/// Writes stability.tsv: a header, then per group and example "prior fraction method
/// example region cosine jaccard". example_names[i] names example i (e.g. chr4:1200-1600).
inline void write_stability_tsv(const std::string& path, const std::vector<GroupStability>& groups,
                                const std::vector<std::string>& example_names) {
    std::ostringstream os;
    os.precision(9);
    os << "prior\tfraction\tmethod\texample\tregion\tcosine\tjaccard\n";
    for (const auto& g : groups) {
        require(g.cosine.size() == example_names.size(), "study::write_stability_tsv", "example_names",
                example_names.size(), "names given; group ", g.prior, "/", g.method, " has ", g.cosine.size(),
                " examples");
        for (std::size_t i = 0; i < g.cosine.size(); ++i)
            os << g.prior << '\t' << fraction_label(g.fraction) << '\t' << g.method << '\t' << i << '\t'
               << example_names[i] << '\t' << g.cosine[i] << '\t' << g.jaccard[i] << '\n';
    }
    io::detail::write_text_file_atomically(path, os.str(), "study::write_stability_tsv");
}

namespace detail {
inline io::Json number_or_null(double v) { return std::isfinite(v) ? io::Json(v) : io::Json(nullptr); }
inline io::Json quartiles_json(const Quartiles& q) {
    io::Json j = io::Json::object();
    j["q1"] = number_or_null(q.q1);
    j["median"] = number_or_null(q.median);
    j["q3"] = number_or_null(q.q3);
    return j;
}
}  // namespace detail

/// The summaries as JSON: {"settings": settings, "groups": [{prior, fraction, method,
/// seeds, examples, cosine: {q1, median, q3}, jaccard: {...}, metrics: {name: {mean, sd,
/// n}}}]}; NaN as null.
inline io::Json stability_json(const std::vector<GroupStability>& groups, const io::Json& settings) {
    io::Json out = io::Json::object();
    out["settings"] = settings;
    io::Json::Array list;
    for (const auto& g : groups) {
        io::Json j = io::Json::object();
        j["prior"] = g.prior;
        j["fraction"] = g.fraction;
        j["method"] = g.method;
        io::Json::Array seeds;
        for (auto s : g.seeds) seeds.emplace_back(static_cast<std::int64_t>(s));
        j["seeds"] = io::Json(std::move(seeds));
        j["examples"] = static_cast<std::int64_t>(g.cosine.size());
        j["cosine"] = detail::quartiles_json(g.cosine_quartiles);
        j["jaccard"] = detail::quartiles_json(g.jaccard_quartiles);
        io::Json m = io::Json::object();
        for (const auto& [k, v] : g.metrics) {
            io::Json e = io::Json::object();
            e["mean"] = detail::number_or_null(v.mean);
            e["sd"] = detail::number_or_null(v.sd);
            e["n"] = static_cast<std::int64_t>(v.n);
            m[k] = std::move(e);
        }
        j["metrics"] = std::move(m);
        list.push_back(std::move(j));
    }
    out["groups"] = io::Json(std::move(list));
    return out;
}

/// Where a run keeps the attributions of the compared examples by `method`:
/// <out>/<run.directory()>/attributions.<method>.npy (N x L x 4 float32, examples.bed order).
inline std::string attributions_path(const std::string& out, const StudyRun& run, const std::string& method) {
    return out + "/" + run.directory() + "/attributions." + method + ".npy";
}

/// A run's metrics.json as numbers (null as NaN), without "seconds" and "epochs": what a
/// study summarises over seeds (wall times differ between a resumed and a straight study).
inline std::map<std::string, double> read_run_metrics(const std::string& run_dir) {
    std::map<std::string, double> m;
    const io::Json j = io::read_json_file(run_dir + "/metrics.json");
    for (const auto& [k, v] : j.as_object()) {
        if (k == "seconds" || k == "epochs") continue;
        m[k] = v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.as_double();
    }
    return m;
}

/// Compares the seeds of every (prior, fraction, method) of a finished study under `out`
/// from its files (attributions_path, read_run_metrics): groups in the order priors, then
/// fractions increasing, then methods. Every attribution file must be examples x length x 4
/// (io_error naming the file otherwise).
inline std::vector<GroupStability> summarize_study(const std::string& out, const StudyOptions& o,
                                                   const std::vector<std::string>& methods, Index examples,
                                                   Index length) {
    std::vector<double> fractions = o.fractions;
    std::sort(fractions.begin(), fractions.end());
    std::vector<GroupStability> groups;
    for (const auto& prior : o.priors)
        for (double f : fractions)
            for (const auto& m : methods) {
                std::vector<io::NpyArray<float>> arrays;
                std::vector<ConstTensor3<float>> views;
                std::vector<std::map<std::string, double>> run_metrics;
                for (std::uint64_t seed : o.seeds) {
                    const StudyRun run{prior, f, seed};
                    arrays.push_back(io::read_npy<float>(attributions_path(out, run, m), {examples, length, 4}));
                    run_metrics.push_back(read_run_metrics(out + "/" + run.directory()));
                }
                for (const auto& a : arrays) views.emplace_back(a.data.data(), examples, length, 4);
                groups.push_back(group_stability(prior, f, m, o.seeds, views, run_metrics));
            }
    return groups;
}

/// The example of median continuous Jaccard in `g` (the upper middle one for an even
/// count): a typical example, not the best, for a figure.
inline std::size_t typical_example(const GroupStability& g) {
    require(!g.jaccard.empty(), "study::typical_example", "group examples", 0, "must be >= 1");
    std::vector<std::size_t> order(g.jaccard.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return g.jaccard[a] < g.jaccard[b]; });
    return order[order.size() / 2];
}

/// Example `example`'s L x 4 attribution by `method` from every seed of every prior at
/// `fraction`: [prior][seed] (the figure's stacked logos).
inline std::vector<std::vector<std::vector<float>>> example_attributions(const std::string& out, const StudyOptions& o,
                                                                         double fraction, const std::string& method,
                                                                         std::size_t example, Index examples,
                                                                         Index length) {
    std::vector<std::vector<std::vector<float>>> per_prior;
    for (const auto& prior : o.priors) {
        std::vector<std::vector<float>> per_seed;
        for (std::uint64_t seed : o.seeds) {
            const auto a = io::read_npy<float>(attributions_path(out, {prior, fraction, seed}, method),
                                               {examples, length, 4});
            const auto first = a.data.begin() + static_cast<std::ptrdiff_t>(example) * length * 4;
            per_seed.emplace_back(first, first + length * 4);
        }
        per_prior.push_back(std::move(per_seed));
    }
    return per_prior;
}

}  // namespace attrprior::study
