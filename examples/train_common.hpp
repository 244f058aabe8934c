// Pieces shared by the train_binary and train_profile examples: prior options from the
// command line, early stopping, attribution metrics over a set of examples, site masks,
// the mean attribution spectrum, metrics.json and the side-by-side summary table.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics/intervals.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace examples {

namespace ap = attrprior;
using ap::Index;

/// The prior and its settings as given on the command line.
struct PriorSettings {
    std::string prior = "fourier";  ///< fourier | smooth | sparse | none
    double lambda = 1.0;
    int freq_limit = 150;
    double softness = 0.2;
    int sigma = 3;
};

/// Settings both training programs share: the prior, the optimisation, the splits and
/// the output. Each program adds its own (data files, model sizes, simulation).
struct RunSettings : PriorSettings {
    std::string out;
    int epochs = 20;
    Index batch = 64;
    double lr = 1e-3;
    std::uint64_t seed = 1;
    int threads = 0;
    std::vector<std::string> valid_chroms, test_chroms;
    bool compare = false;
    int patience = 3;
    Index jitter = 0;
};

void add_prior_options(CLI::App& app, PriorSettings& p);

/// The options of RunSettings (--batch is described by the caller: its meaning differs).
inline void add_run_options(CLI::App& app, RunSettings& s, const std::string& batch_help) {
    app.add_option("--epochs", s.epochs, "maximum epochs (early stopping on validation loss)")->capture_default_str();
    app.add_option("--batch", s.batch, batch_help)->capture_default_str();
    app.add_option("--lr", s.lr, "Adam learning rate")->capture_default_str();
    add_prior_options(app, s);
    app.add_option("--seed", s.seed, "random seed")->capture_default_str();
    app.add_option("--threads", s.threads, "OpenMP threads (0 = all cores)")->capture_default_str();
    app.add_option("--valid-chroms", s.valid_chroms, "validation chromosomes")->delimiter(',');
    app.add_option("--test-chroms", s.test_chroms, "test chromosomes")->delimiter(',');
    app.add_option("--jitter", s.jitter, "random shift of training windows (bases)")->capture_default_str();
    app.add_option("--patience", s.patience, "early stopping: epochs without improvement")->capture_default_str();
    app.add_flag("--compare", s.compare, "also train without a prior, same seed and data");
    app.add_option("--out", s.out, "output directory")->capture_default_str();
}

inline void add_prior_options(CLI::App& app, PriorSettings& p) {
    app.add_option("--prior", p.prior, "fourier | smooth | sparse | none")->capture_default_str();
    app.add_option("--lambda", p.lambda, "prior weight")->capture_default_str();
    app.add_option("--freq-limit", p.freq_limit, "Fourier prior: bins with weight 1")->capture_default_str();
    app.add_option("--softness", p.softness, "Fourier prior: decay beyond the limit")->capture_default_str();
    app.add_option("--sigma", p.sigma, "Fourier prior: smoothing sigma (0 = none)")->capture_default_str();
}

inline void check_prior_name(const std::string& prior) {
    const std::vector<std::string> known{"fourier", "smooth", "sparse", "none"};
    if (std::find(known.begin(), known.end(), prior) == known.end())
        throw ap::invalid_argument("--prior = '" + prior + "' is unknown; use fourier, smooth, sparse or none");
}

inline ap::priors::FourierPriorOptions fourier_options(const PriorSettings& s) {
    ap::priors::FourierPriorOptions o;
    o.freq_limit = s.freq_limit;
    o.softness = s.softness;
    o.smoothing_sigma = s.sigma;
    return o;
}

/// Calls fn(prior) with the prior object named by `name` (see check_prior_name).
template <class Fn>
auto with_prior(const std::string& name, const PriorSettings& s, Fn&& fn) {
    if (name == "fourier") {
        ap::priors::FourierPrior<float> p(fourier_options(s));
        return fn(p);
    }
    if (name == "smooth") {
        ap::priors::SmoothnessPrior<float> p;
        return fn(p);
    }
    if (name == "sparse") {
        ap::priors::SparsityPrior<float> p;
        return fn(p);
    }
    ap::priors::NoPrior<float> p;
    return fn(p);
}

/// Loss curves and the prior per epoch.
struct History {
    std::vector<double> train_loss, valid_loss, prior;
};

/// Early stopping of docs/models.md §6: stop after `patience` epochs without a validation
/// improvement of min_delta; keeps the parameters and state of the best epoch.
class EarlyStopping {
public:
    EarlyStopping(int patience, double min_delta = 1e-3) : patience_(patience), min_delta_(min_delta) {}

    /// Records an epoch's validation loss (NaN = no validation set: every epoch is "best").
    /// Returns true when training should stop.
    bool update(double valid, const ap::nn::Model<float>& model) {
        if (!std::isfinite(valid) || valid < best_ - min_delta_) {
            if (std::isfinite(valid)) best_ = valid;
            params_ = model.parameters();
            state_ = model.state();
            since_best_ = 0;
            return false;
        }
        return ++since_best_ >= patience_;
    }
    double best() const { return best_; }
    /// Restores the best epoch's parameters and state (if any epoch was recorded).
    void restore(ap::nn::Model<float>& model) const {
        if (params_.size() == 0) return;
        model.parameters() = params_;
        model.state() = state_;
    }

private:
    int patience_;
    double min_delta_;
    double best_ = INFINITY;
    int since_best_ = 0;
    Eigen::VectorXf params_, state_;
};

/// Per-window site masks (1 where a planted/known site covers the position) for windows
/// given as (chromosome, start), each of length L.
inline std::vector<std::vector<char>> site_masks(const std::vector<std::pair<std::string, Index>>& windows, Index L,
                                                 const std::vector<ap::genomics::Interval>& sites) {
    std::map<std::string, std::vector<std::pair<Index, Index>>> by_chrom;
    for (const auto& s : sites) by_chrom[s.chrom].push_back({s.start, s.end});
    for (auto& kv : by_chrom) std::sort(kv.second.begin(), kv.second.end());
    std::vector<std::vector<char>> masks(windows.size(), std::vector<char>(static_cast<std::size_t>(L), 0));
    for (std::size_t e = 0; e < windows.size(); ++e) {
        auto it = by_chrom.find(windows[e].first);
        if (it == by_chrom.end()) continue;
        const Index a = windows[e].second, b = a + L;
        for (const auto& [s, t] : it->second) {
            if (s >= b) break;
            if (t <= a) continue;
            for (Index i = std::max(s, a); i < std::min(t, b); ++i) masks[e][static_cast<std::size_t>(i - a)] = 1;
        }
    }
    return masks;
}

/// Mean normalised magnitude spectrum (smoothed |attribution| track) over the rows.
inline std::vector<double> mean_spectrum(const float* attr, const std::vector<Index>& rows, Index L, int sigma) {
    const auto& plans = ap::fft::real_plans<double>(static_cast<int>(L));
    const Index bins = L / 2 + 1;
    std::vector<double> mean(static_cast<std::size_t>(bins), 0.0);
    ap::fft::AlignedBuffer<double> track(static_cast<std::size_t>(L)), smooth(static_cast<std::size_t>(L));
    ap::fft::AlignedBuffer<fftw_complex> spec(static_cast<std::size_t>(bins));
    const auto kernel = ap::priors::gaussian_kernel<double>(sigma);
    std::vector<double> a(static_cast<std::size_t>(L * 4));
    for (Index r : rows) {
        for (Index i = 0; i < L * 4; ++i) a[static_cast<std::size_t>(i)] = attr[r * L * 4 + i];
        ap::priors::detail::channel_abs_sum(a.data(), L, 4, track.data());
        ap::priors::smooth_same(track.data(), L, kernel, smooth.data());
        ap::fft::Traits<double>::r2c(plans.r2c, smooth.data(), spec.data());
        double total = 0;
        for (Index k = 0; k < bins; ++k) total += std::hypot(spec[k][0], spec[k][1]);
        if (total == 0) total = 1;
        for (Index k = 0; k < bins; ++k) mean[k] += std::hypot(spec[k][0], spec[k][1]) / total / double(rows.size());
    }
    return mean;
}

/// Attribution metrics of docs/math.md §5.2 over `rows` of the N x L x 4 attributions:
/// fourier_score and entropy (means over rows), and, where masks are given, motif_auprc and
/// motif_share over the rows with at least one site.
inline void attribution_metrics(ap::ConstTensor3<float> all, const std::vector<Index>& rows,
                                const ap::priors::FourierPriorOptions& fourier,
                                const std::vector<std::vector<char>>* masks, std::map<std::string, double>& out) {
    const auto scores = ap::metrics::fourier_scores(all, fourier);
    const auto entropy = ap::metrics::attribution_entropy(all);
    double fsum = 0, esum = 0;
    for (Index i : rows) {
        fsum += scores[static_cast<std::size_t>(i)];
        esum += entropy[static_cast<std::size_t>(i)];
    }
    out["fourier_score"] = rows.empty() ? std::nan("") : fsum / double(rows.size());
    out["entropy"] = rows.empty() ? std::nan("") : esum / double(rows.size());
    if (masks == nullptr) return;
    std::vector<Index> with_site;
    for (Index i : rows) {
        const auto& m = (*masks)[static_cast<std::size_t>(i)];
        if (std::find(m.begin(), m.end(), 1) != m.end()) with_site.push_back(i);
    }
    if (with_site.empty()) return;
    out["motif_auprc"] = ap::metrics::motif_auprc(all, *masks, with_site);
    out["motif_share"] = ap::metrics::motif_share(all, *masks, with_site);
}

/// The runs of a comparison: `prior`, then "none" when compare is asked (or implied) and
/// the prior is not already "none".
inline std::vector<std::string> run_names(const std::string& prior, bool compare) {
    std::vector<std::string> runs{prior};
    if (compare && prior != "none") runs.push_back("none");
    return runs;
}

/// Seconds since t0.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Trains and evaluates one model per run into <out>/<name>/, which holds an INCOMPLETE
/// marker until its run finished. run(name, dir, t0) trains, evaluates, writes the
/// outputs and returns {evaluation, history}; the evaluation (any type with a `metrics`
/// map) gets "seconds" = the run's wall time. Returns the evaluations and histories.
template <class Evaluation, class Run>
std::pair<std::vector<Evaluation>, std::vector<History>> run_all(const std::vector<std::string>& runs,
                                                                 const std::string& out, Run&& run) {
    std::pair<std::vector<Evaluation>, std::vector<History>> results;
    for (const std::string& name : runs) {
        const std::string dir = out + "/" + name;
        std::filesystem::create_directories(dir);
        std::ofstream(dir + "/INCOMPLETE") << "training did not finish\n";
        const auto t0 = std::chrono::steady_clock::now();
        auto [ev, h] = run(name, dir, t0);
        ev.metrics["seconds"] = seconds_since(t0);
        std::filesystem::remove(dir + "/INCOMPLETE");
        results.first.push_back(std::move(ev));
        results.second.push_back(std::move(h));
    }
    return results;
}

/// metrics.json: every metric (NaN as null), seconds and epochs.
inline void write_metrics_json(const std::string& path, const std::map<std::string, double>& metrics, double seconds,
                               std::size_t epochs) {
    nlohmann::json j;
    for (const auto& [k, v] : metrics) j[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
    j["seconds"] = seconds;
    j["epochs"] = epochs;
    std::ofstream f(path);
    f << j.dump(1) << '\n';
    if (!f) throw ap::io_error("cannot write " + path);
}

/// Prints the side-by-side table of `keys` (those the first run has) and writes it as
/// summary.tsv.
template <class Evaluation>
void write_summary(const std::string& path, const std::vector<std::string>& runs, const std::vector<Evaluation>& evs,
                   const std::vector<std::string>& keys) {
    std::vector<std::map<std::string, double>> metrics;
    for (const auto& ev : evs) metrics.push_back(ev.metrics);
    std::ofstream tsv(path);
    tsv << "metric";
    std::printf("\n%-17s", "metric");
    for (const auto& n : runs) {
        tsv << '\t' << n;
        std::printf("%12s", n.c_str());
    }
    tsv << '\n';
    std::printf("\n");
    for (const auto& k : keys) {
        if (metrics[0].count(k) == 0) continue;
        tsv << k;
        std::printf("%-17s", k.c_str());
        for (const auto& m : metrics) {
            const double v = m.count(k) ? m.at(k) : std::nan("");
            tsv << '\t' << v;
            std::printf("%12.4f", v);
        }
        tsv << '\n';
        std::printf("\n");
    }
    if (!tsv) throw ap::io_error("cannot write " + path);
}

}  // namespace examples
