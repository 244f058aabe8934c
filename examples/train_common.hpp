// Command-line pieces shared by train_binary and train_profile: the options both take,
// the prior named on the command line, the per-run output folders and the printed
// summary. Everything a program of your own would need (the loop, evaluation, reports,
// saved models) is in the library; this file is parsing and printing.
#pragma once

#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/genomics/attribute_regions.hpp>

#include <omp.h>

#include "parallel.hpp"

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

/// Settings both training programs share: the prior, the optimisation, the splits and
/// the output. Each program adds its own (data files, model sizes, simulation).
struct RunSettings {
    std::string prior = "fourier";  ///< fourier | smooth | sparse | none
    double lambda = 1.0;
    int freq_limit = 150;
    double softness = 0.2;
    int sigma = 3;
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
    Index shuffles = 20;  ///< DeepSHAP references per test example (0: no DeepSHAP)
};

/// The options of RunSettings (--batch is described by the caller: its meaning differs).
inline void add_run_options(CLI::App& app, RunSettings& s, const std::string& batch_help) {
    app.add_option("--epochs", s.epochs, "maximum epochs (early stopping on validation loss)")->capture_default_str();
    app.add_option("--batch", s.batch, batch_help)->capture_default_str();
    app.add_option("--lr", s.lr, "Adam learning rate")->capture_default_str();
    app.add_option("--prior", s.prior, "fourier | smooth | sparse | none")->capture_default_str();
    app.add_option("--lambda", s.lambda, "prior weight")->capture_default_str();
    app.add_option("--freq-limit", s.freq_limit, "Fourier prior: bins with weight 1")->capture_default_str();
    app.add_option("--softness", s.softness, "Fourier prior: decay beyond the limit")->capture_default_str();
    app.add_option("--sigma", s.sigma, "Fourier prior: smoothing sigma (0 = none)")->capture_default_str();
    app.add_option("--seed", s.seed, "random seed")->capture_default_str();
    app.add_option("--threads", s.threads, "OpenMP threads (0 = all cores)")->capture_default_str();
    app.add_option("--valid-chroms", s.valid_chroms, "validation chromosomes")->delimiter(',');
    app.add_option("--test-chroms", s.test_chroms, "test chromosomes")->delimiter(',');
    app.add_option("--jitter", s.jitter, "random shift of training windows (bases)")->capture_default_str();
    app.add_option("--patience", s.patience, "early stopping: epochs without improvement")->capture_default_str();
    app.add_flag("--compare", s.compare, "also train without a prior, same seed and data");
    app.add_option("--shuffles", s.shuffles,
                   "DeepSHAP of the test split (<model>/attribution/, report logos): shuffles per example (0: none)")
        ->capture_default_str();
    app.add_option("--out", s.out, "output directory")->capture_default_str();
}

inline ap::priors::FourierPriorOptions fourier_options(const RunSettings& s) {
    ap::priors::FourierPriorOptions o;
    o.freq_limit = s.freq_limit;
    o.softness = s.softness;
    o.smoothing_sigma = s.sigma;
    return o;
}

/// Checks the options that need no data, so a mistake fails before any work.
inline void check_run_settings(const RunSettings& s) {
    const std::vector<std::string> known{"fourier", "smooth", "sparse", "none"};
    if (std::find(known.begin(), known.end(), s.prior) == known.end())
        throw ap::invalid_argument("--prior = '" + s.prior + "' is unknown; use fourier, smooth, sparse or none");
    ap::require(s.epochs >= 1, "options", "--epochs", s.epochs, "must be >= 1");
    ap::require(s.batch >= 1, "options", "--batch", s.batch, "must be >= 1");
    ap::require(std::isfinite(s.lr) && s.lr > 0, "options", "--lr", s.lr, "must be finite and > 0");
    ap::require(std::isfinite(s.lambda) && s.lambda >= 0, "options", "--lambda", s.lambda, "must be finite and >= 0");
    ap::require(s.shuffles >= 0, "options", "--shuffles", s.shuffles, "must be >= 0 (0: no DeepSHAP)");
    ap::require(s.threads >= 0, "options", "--threads", s.threads, "must be >= 0 (0 = all cores)");
    ap::require(s.patience >= 1, "options", "--patience", s.patience, "must be >= 1");
    ap::require(s.jitter >= 0, "options", "--jitter", s.jitter, "must be >= 0");
    ap::priors::validate(fourier_options(s), "--freq-limit/--softness/--sigma");
    if (s.threads > 0) omp_set_num_threads(s.threads);
}

/// Calls fn(prior) with the prior object named `name` (checked by check_run_settings).
template <class Fn>
auto with_prior(const std::string& name, const RunSettings& s, Fn&& fn) {
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

/// The data options of the binary-model programs (train_binary, stability).
struct BinaryDataSettings {
    std::string fasta, peaks, negatives, motif_sites;
    Index length = 1000;
    Index sim_positives = 1600;  ///< simulation size (no --fasta/--peaks)
    Index sim_chromosome_length = 300000;
};

inline void add_binary_data_options(CLI::App& app, BinaryDataSettings& d) {
    app.add_option("--fasta", d.fasta, "genome FASTA (plain or bgzipped; indexed on demand)");
    app.add_option("--peaks", d.peaks, "positives: ENCODE narrowPeak (column 10 = summit offset)");
    app.add_option("--negatives", d.negatives, "negatives BED (default: sampled from the genome away from peaks)");
    app.add_option("--motif-sites", d.motif_sites, "BED of known motif sites (for motif AUPRC and motif share)");
    app.add_option("--length", d.length, "input length (paper: 1000)")->capture_default_str();
    app.add_option("--sim-positives", d.sim_positives, "simulation (no --fasta/--peaks): positive regions")
        ->capture_default_str();
    app.add_option("--sim-chrom-length", d.sim_chromosome_length, "simulation: length of each of 4 chromosomes")
        ->capture_default_str();
}

/// Simulates the binary programs' no-argument data set into `dir` (4 chromosomes: chr1-2
/// train, chr3 valid, chr4 test; d.sim_positives regions of d.length bases with 1-3 SPI1
/// sites each) and points d and the hold-outs of r (unless given) at it.
/// `write` false points the settings at the files without writing them (the ranks other
/// than 0 of an mpirun, examples/parallel.hpp).
inline void simulate_binary_data(const std::string& dir, BinaryDataSettings& d, RunSettings& r, std::uint64_t seed,
                                 bool write = true) {
    ap::genomics::SimulationOptions so;
    so.chromosomes = 4;
    so.chromosome_length = d.sim_chromosome_length;
    so.positives = d.sim_positives;
    so.window = d.length;
    so.seed = seed;
    if (write) {
        std::fprintf(stderr, "simulating a genome: 4 x %lld kb, %lld positives with 1-3 SPI1 sites each\n",
                     static_cast<long long>(d.sim_chromosome_length / 1000), static_cast<long long>(d.sim_positives));
        ap::genomics::write_simulation(ap::genomics::simulate_genome(so), dir);
    }
    d.fasta = dir + "/genome.fa";
    d.peaks = dir + "/peaks.narrowPeak";
    d.motif_sites = dir + "/motif_sites.bed";
    if (r.valid_chroms.empty()) r.valid_chroms = {"chr3"};
    if (r.test_chroms.empty()) r.test_chroms = {"chr4"};
}

/// The motif sites of `path` (BED; none when path is empty) that lie on the FASTA's
/// chromosomes; the others are counted and their first reasons printed, and a file with no
/// site on the genome is an error (genomics::sites_on_genome, docs/reliability.md).
inline std::vector<ap::genomics::Interval> read_motif_sites(const std::string& path,
                                                           const ap::genomics::Fasta& fasta) {
    if (path.empty()) return {};
    ap::genomics::ReadReport report;
    auto sites = ap::genomics::sites_on_genome(ap::genomics::read_bed(path), ap::genomics::chromosome_sizes(fasta),
                                               &report, "--motif-sites '" + path + "'");
    if (report.skipped > 0) {
        std::fprintf(stderr, "motif sites: %lld of %lld skipped (not on the genome); first reasons:\n",
                     static_cast<long long>(report.skipped), static_cast<long long>(report.skipped) +
                                                                 static_cast<long long>(sites.size()));
        for (const auto& m : report.messages) std::fprintf(stderr, "  %s\n", m.c_str());
    }
    return sites;
}

/// Trains the binary model (train_binary's recipe: class-balanced BCE, Adam, balanced
/// batches of s.batch positives + s.batch negatives doubled by reverse complement,
/// prefetched, early stopping on the validation loss) with the prior `prior`. `seed` drives
/// the batch order and Dropout; the caller seeds the model's initialisation. An epoch is
/// one pass over the training positives, or `steps_per_epoch` batches when it is > 0
/// (train::StepsPerEpoch). Per-epoch bars are labelled `label` (none when it is empty).
/// Data parallel across the ranks of `par` under mpirun (examples/parallel.hpp).
inline ap::train::History fit_binary(ap::nn::Model<float>& model, const ap::genomics::BinaryDataset& train_data,
                                     const ap::genomics::BinaryExamples& valid, const std::string& prior,
                                     const RunSettings& s, std::uint64_t seed, const std::string& label,
                                     Index steps_per_epoch, Parallel& par) {
    ap::train::ClassBalancedBCE<float> loss;
    ap::genomics::BalancedBatcher batcher(train_data, s.batch, s.batch, true, s.jitter, seed);
    return with_prior(prior, s, [&](auto& p) {
        ap::train::DoubleBackprop<float> step(static_cast<float>(s.lambda));
        ap::train::Adam<float> adam(ap::train::AdamOptions{s.lr});
        ap::train::FitOptions fo;
        fo.epochs = s.epochs;
        fo.seed = seed;
        ap::train::EarlyStopping<float> stopping(s.patience);
        auto fit_with = [&](auto batches) {
            if (label.empty())
                return par.fit(model, step, p, loss, adam, std::move(batches), valid, 4 * s.batch, fo, stopping);
            ap::train::ProgressBars bars(label, par.log());
            return par.fit(model, step, p, loss, adam, std::move(batches), valid, 4 * s.batch, fo, stopping, bars);
        };
        if (steps_per_epoch > 0)
            return fit_with(ap::train::StepsPerEpoch<ap::genomics::BalancedBatcher>(batcher, steps_per_epoch));
        return fit_with(batcher);
    });
}

/// What model.json records of the training (the spec's "extra").
inline ap::io::Json training_record(const std::string& prior, const RunSettings& s) {
    ap::io::Json j = ap::io::Json::object();
    j["prior"] = prior;
    j["lambda"] = prior == "none" ? 0.0 : s.lambda;
    if (prior == "fourier") {
        j["freq_limit"] = s.freq_limit;
        j["softness"] = s.softness;
        j["sigma"] = s.sigma;
    }
    j["lr"] = s.lr;
    j["seed"] = static_cast<std::int64_t>(s.seed);
    return j;
}

/// The runs of a comparison: `prior`, then "none" when compare is asked (or implied) and
/// the prior is not already "none".
inline std::vector<std::string> run_names(const std::string& prior, bool compare) {
    std::vector<std::string> runs{prior};
    if (compare && prior != "none") runs.push_back("none");
    return runs;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Trains and evaluates one model per run into <out>/<name>/, which holds an INCOMPLETE
/// marker until its run finished. run(name, dir, t0) returns {evaluation, history} (t0:
/// the run's start, for its "seconds" metric). `writes` false: no folder or marker (the
/// ranks other than 0 of an mpirun, examples/parallel.hpp).
template <class Evaluation, class Run>
std::pair<std::vector<Evaluation>, std::vector<ap::train::History>> run_all(const std::vector<std::string>& runs,
                                                                          const std::string& out, Run&& run,
                                                                          bool writes = true) {
    std::pair<std::vector<Evaluation>, std::vector<ap::train::History>> results;
    for (const std::string& name : runs) {
        const std::string dir = out + "/" + name;
        if (writes) {
            std::filesystem::create_directories(dir);
            std::ofstream(dir + "/INCOMPLETE") << "training did not finish\n";
        }
        const auto t0 = std::chrono::steady_clock::now();
        auto [ev, h] = run(name, dir, t0);
        if (writes) std::filesystem::remove(dir + "/INCOMPLETE");
        results.first.push_back(std::move(ev));
        results.second.push_back(std::move(h));
    }
    return results;
}

/// Sets metrics["seconds"] (the run's wall time since t0) and writes metrics.json (every
/// metric, NaN as null, plus the epochs trained) and history.tsv; says when training
/// stopped early.
inline void write_run_record(const std::string& dir, const std::string& name, std::map<std::string, double>& metrics,
                             const ap::train::History& h, std::chrono::steady_clock::time_point t0) {
    if (h.stopped_early && h.best_epoch > 0) {
        std::fprintf(stderr, "%s: early stop after epoch %d (best valid loss %.4f at epoch %d)\n", name.c_str(),
                     h.epoch.back(), h.valid_loss[static_cast<std::size_t>(h.best_epoch - h.epoch.front())],
                     h.best_epoch);
    }
    metrics["seconds"] = seconds_since(t0);
    ap::io::Json j = ap::io::Json::object();
    for (const auto& [k, v] : metrics) j[k] = std::isfinite(v) ? ap::io::Json(v) : ap::io::Json(nullptr);
    j["epochs"] = static_cast<std::int64_t>(h.size());
    j["best_epoch"] = static_cast<std::int64_t>(h.best_epoch);
    ap::io::write_json_file(dir + "/metrics.json", j);
    std::ofstream tsv(dir + "/history.tsv");
    tsv << "epoch\ttrain_loss\tvalid_loss\tprior\tseconds\n";
    for (std::size_t i = 0; i < h.size(); ++i)
        tsv << h.epoch[i] << '\t' << h.train_loss[i] << '\t' << h.valid_loss[i] << '\t' << h.prior[i] << '\t'
            << h.seconds[i] << '\n';
    tsv.close();
    if (!tsv) throw ap::io_error("cannot write " + dir + "/history.tsv");
}

/// Prints the side-by-side table of `keys` (those the first run has) and writes it as
/// summary.tsv.
template <class Evaluation>
void write_summary(const std::string& path, const std::vector<std::string>& runs, const std::vector<Evaluation>& evs,
                   const std::vector<std::string>& keys) {
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
        if (evs[0].metrics.count(k) == 0) continue;
        tsv << k;
        std::printf("%-17s", k.c_str());
        for (const auto& ev : evs) {
            const double v = ev.metrics.count(k) ? ev.metrics.at(k) : std::nan("");
            tsv << '\t' << v;
            std::printf("%12.4f", v);
        }
        tsv << '\n';
        std::printf("\n");
    }
    tsv.close();
    if (!tsv) throw ap::io_error("cannot write " + path);
}

/// DeepSHAP of a trained model's test examples, written as the attribute program writes it
/// (<dir>/attribution/: the TF-MoDISco npz pair, bigWig, seqlets, convergence;
/// docs/interpret.md, "attribute"). Returns the projected scores (N x L x 4) for the
/// report's logos; empty when --shuffles is 0.
template <class Examples>
std::vector<float> explain_test_split(ap::nn::Model<float>& model, const Examples& test,
                                      const std::vector<ap::genomics::Interval>& windows,
                                      const ap::attribution::Target& target, const RunSettings& s,
                                      const std::string& dir, const ap::genomics::Fasta& fasta) {
    if (s.shuffles == 0 || test.size() == 0) return {};  // nothing asked, or nothing to explain
    ap::genomics::AttributeOptions o;
    o.explain.shuffles.count = s.shuffles;
    o.keep_projected = true;
    std::fprintf(stderr, "DeepSHAP of %lld test peaks (%lld shuffles each)\n", static_cast<long long>(test.size()),
                 static_cast<long long>(s.shuffles));
    ap::genomics::AttributeResult r = ap::genomics::attribute_regions(
        model, test, windows, target, o, dir + "/attribution", ap::genomics::chromosome_sizes(fasta));
    if (r.warnings > 0)
        std::fprintf(stderr, "DeepSHAP: %lld (example, reference) pairs above the convergence threshold "
                             "(see attribution/convergence.tsv)\n", static_cast<long long>(r.warnings));
    return std::move(r.projected);
}

}  // namespace examples
