// train_profile — the paper's profile-model (BPNet-style) experiment end to end (issue 6;
// docs/models.md §3-6, docs/data.md §5-7, docs/math.md §5).
//
// With no arguments it simulates a genome with SPI1 sites planted in peaks and reads drawn
// around each site from a strand-specific footprint (plus background and a control
// track), writes it as FASTA + narrowPeak + bigWig + motif-site BED, reads it back like
// real data, trains the profile model with the Fourier prior and without, and prints a
// side-by-side table. With --fasta/--peaks/--bigwig-plus/--bigwig-minus it trains on your
// data. The simulation uses 8 chromosomes of 300 kb (chr7 validation, chr8 test), 2400
// peaks, input 846 -> profile 500, 32 filters, batches of 32, jitter 32, 12 epochs; your
// data gets the paper's settings (input 1346 -> 1000, 64 filters, batches of 64, 20 epochs).
// The counts head starts at the training set's mean log counts (initialize_counts_head).
// Outputs (--out): <prior>/weights/ (.npy + manifest), <prior>/attributions.npy
// (N x L x 4 float32, test examples, grad x input of the profile target),
// <prior>/examples.bed, <prior>/metrics.json, summary.tsv, report.svg.
#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics/bigwig.hpp>
#include <attrprior/genomics/coverage.hpp>
#include <attrprior/genomics/fasta.hpp>
#include <attrprior/genomics/intervals.hpp>
#include <attrprior/genomics/profile_dataset.hpp>
#include <attrprior/genomics/simulate.hpp>
#include <attrprior/models/profile.hpp>
#include <attrprior/report/progress.hpp>
#include <attrprior/report/svg.hpp>
#include <attrprior/train/profile.hpp>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "train_common.hpp"

namespace ap = attrprior;
namespace gx = attrprior::genomics;
namespace fs = std::filesystem;
using ap::Index;
using examples::History;

namespace {

struct Settings : examples::RunSettings {
    Settings() {
        out = "attrprior_profile_run";
        lambda = 50;  // the paper's profile-model prior (docs/models.md §6)
        freq_limit = 200;
    }
    std::string fasta, peaks, motif_sites;
    std::vector<std::string> bigwig_plus, bigwig_minus, control_plus, control_minus;
    Index input_length = 1346, output_length = 0;  // 0: what the architecture gives
    Index filters = 64;
    double counts_weight = 20;
    std::string weighting = "probabilities";
    bool no_rc = false;
    Index sim_peaks = 2400;  // simulation size (no-argument run)
    Index sim_chromosome_length = 300000;
};

struct Evaluation {
    std::map<std::string, double> metrics;
    std::vector<float> attributions;  // N x L x 4
    std::vector<float> observed, logits, log_counts;  // N x O x P, N x O x P, N x 1 x P
    Index best = -1;  // the test example whose predicted profiles correlate best with the data
    std::vector<double> mean_spectrum;
};

/// The data set's tensors for one batch of examples.
struct Batch {
    Index B, L, O, P, C;
    std::vector<float> x, profile, control;
    Batch(const gx::ProfileDataset& d, Index batch)
        : B(batch), L(d.input_length()), O(d.output_length()), P(d.profile_channels()), C(d.control_channels()),
          x(static_cast<std::size_t>(B * L * 4)), profile(static_cast<std::size_t>(B * O * P)),
          control(static_cast<std::size_t>(B * O * std::max<Index>(C, 1))) {}
    std::vector<ap::ConstTensor3<float>> inputs(Index rows) const {
        std::vector<ap::ConstTensor3<float>> in{{x.data(), rows, L, 4}};
        if (C > 0) in.push_back({control.data(), rows, O, C});
        return in;
    }
    ap::ConstTensor3<float> observed(Index rows) const { return {profile.data(), rows, O, P}; }
};

ap::train::ProfileTarget profile_target(const Settings& s) {
    ap::train::ProfileTarget t;
    t.weighting = s.weighting == "log_probabilities" ? ap::train::ProfileWeighting::log_probabilities
                                                      : ap::train::ProfileWeighting::probabilities;
    return t;
}

/// Runs fn(first, count, batch) over the examples `rows` of the data set in chunks.
template <class Fn>
void for_chunks(const gx::ProfileDataset& data, const std::vector<Index>& rows, Batch& batch, Fn&& fn) {
    const Index L = batch.L, O = batch.O, P = batch.P, C = batch.C;
    for (Index first = 0; first < static_cast<Index>(rows.size()); first += batch.B) {
        const Index count = std::min<Index>(batch.B, static_cast<Index>(rows.size()) - first);
        for (Index b = 0; b < count; ++b) {
            data.encode(rows[static_cast<std::size_t>(first + b)], 0, false, batch.x.data() + b * L * 4,
                        batch.profile.data() + b * O * P, C > 0 ? batch.control.data() + b * O * C : nullptr);
        }
        fn(first, count);
    }
}

/// Mean task loss over a split (eval mode); NaN for an empty split.
double split_loss(ap::nn::Model<float>& model, const gx::ProfileDataset& data, gx::Split split, Batch& batch,
                  double counts_weight) {
    const auto& rows = data.indices(split);
    if (rows.empty()) return std::nan("");
    ap::train::ProfileLoss<float> loss(counts_weight);
    double total = 0;
    for_chunks(data, rows, batch, [&](Index, Index count) {
        model.forward(batch.inputs(count), ap::nn::Mode::eval);
        total += double(loss.value_and_gradient(model, batch.observed(count))) * double(count);
    });
    return total / double(rows.size());
}

template <class Prior>
History train(ap::nn::Model<float>& model, Prior& prior, const gx::ProfileDataset& data, const Settings& s,
              const std::string& name) {
    History h;
    gx::ProfileBatcher batcher(data, gx::Split::train, s.batch, s.jitter, !s.no_rc, s.seed);
    Batch batch(data, s.batch), eval_batch(data, s.batch);
    ap::train::ProfileLoss<float> loss(s.counts_weight);
    ap::train::DoubleBackprop<float, ap::train::ProfileTarget> step(static_cast<float>(s.lambda), profile_target(s));
    ap::train::Adam<float> adam(ap::train::AdamOptions{s.lr});
    // Every example is a peak, so the prior sees every row (status = 1, docs/math.md §3).
    const Eigen::VectorXi status = Eigen::VectorXi::Ones(s.batch);
    const auto inputs = batch.inputs(s.batch);
    examples::EarlyStopping stopping(s.patience);
    const Index steps = batcher.batches_per_epoch();
    for (int epoch = 1; epoch <= s.epochs; ++epoch) {
        ap::report::ProgressBar bar(name + " epoch " + std::to_string(epoch), steps);
        double total = 0, prior_total = 0;
        for (Index it = 0; it < steps; ++it) {
            batcher.next(batch.x.data(), batch.profile.data(), batch.C > 0 ? batch.control.data() : nullptr);
            const auto r = step.step(model, prior, loss, inputs, batch.observed(s.batch), status);
            adam.step(model.parameters(), model.gradients());
            total += r.task_loss;
            prior_total += r.prior;
            char suffix[64];
            std::snprintf(suffix, sizeof suffix, "loss %.3f prior %.4f", total / double(it + 1),
                          prior_total / double(it + 1));
            bar.update(it + 1, suffix);
        }
        const double valid = split_loss(model, data, gx::Split::valid, eval_batch, s.counts_weight);
        h.train_loss.push_back(total / double(steps));
        h.prior.push_back(prior_total / double(steps));
        h.valid_loss.push_back(valid);
        char suffix[96];
        std::snprintf(suffix, sizeof suffix, "train %.3f valid %.3f prior %.4f", h.train_loss.back(), valid,
                      h.prior.back());
        bar.finish(suffix);
        if (stopping.update(valid, model)) {
            std::cerr << name << ": early stop after epoch " << epoch << " (best valid loss " << stopping.best()
                      << ")\n";
            break;
        }
    }
    stopping.restore(model);
    return h;
}

std::vector<double> softmax(std::vector<double> z) {
    const double top = *std::max_element(z.begin(), z.end());
    double total = 0;
    for (double& v : z) total += (v = std::exp(v - top));
    for (double& v : z) v /= total;
    return z;
}

Evaluation evaluate(ap::nn::Model<float>& model, const gx::ProfileDataset& data, const Settings& s,
                    const std::vector<gx::Interval>* sites) {
    Evaluation ev;
    const auto& rows = data.indices(gx::Split::test);
    const Index N = static_cast<Index>(rows.size()), L = data.input_length(), O = data.output_length();
    const Index P = data.profile_channels();
    if (N == 0) throw ap::invalid_argument("train_profile: the test split is empty (check --test-chroms)");
    ev.attributions.assign(static_cast<std::size_t>(N * L * 4), 0.0f);
    ev.observed.assign(static_cast<std::size_t>(N * O * P), 0.0f);
    ev.logits.assign(ev.observed.size(), 0.0f);
    ev.log_counts.assign(static_cast<std::size_t>(N * P), 0.0f);
    Batch batch(data, s.batch);
    std::vector<float> attr(batch.x.size());
    ap::train::DoubleBackprop<float, ap::train::ProfileTarget> step(1.0f, profile_target(s));
    for_chunks(data, rows, batch, [&](Index first, Index count) {
        step.attribution(model, batch.inputs(count), {attr.data(), count, L, 4}, ap::nn::Mode::eval);
        std::copy_n(attr.begin(), count * L * 4, ev.attributions.begin() + first * L * 4);
        std::copy_n(batch.profile.begin(), count * O * P, ev.observed.begin() + first * O * P);
        std::copy_n(model.output(0).data, count * O * P, ev.logits.begin() + first * O * P);
        std::copy_n(model.output(1).data, count * P, ev.log_counts.begin() + first * P);
    });
    const ap::ConstTensor3<float> observed(ev.observed.data(), N, O, P), logits(ev.logits.data(), N, O, P),
        log_counts(ev.log_counts.data(), N, 1, P);
    const auto pm = ap::metrics::profile_metrics(observed, logits, log_counts);
    ev.metrics["profile_jsd"] = pm.profile_jsd;
    ev.metrics["profile_pearson"] = pm.profile_pearson;
    ev.metrics["profile_spearman"] = pm.profile_spearman;
    ev.metrics["counts_pearson"] = pm.counts_pearson;
    ev.metrics["counts_spearman"] = pm.counts_spearman;

    std::vector<Index> all(static_cast<std::size_t>(N));
    for (Index i = 0; i < N; ++i) all[static_cast<std::size_t>(i)] = i;
    std::vector<std::vector<char>> masks;
    if (sites != nullptr) {
        std::vector<std::pair<std::string, Index>> windows;
        for (Index i : rows) windows.emplace_back(data.examples()[static_cast<std::size_t>(i)].chrom, data.input_start(i));
        masks = examples::site_masks(windows, L, *sites);
    }
    examples::attribution_metrics({ev.attributions.data(), N, L, 4}, all, examples::fourier_options(s),
                                  sites != nullptr ? &masks : nullptr, ev.metrics);
    ev.mean_spectrum = examples::mean_spectrum(ev.attributions.data(), all, L, s.sigma);

    // The example shown in the report: the best mean Pearson (observed counts vs predicted
    // probabilities) over its profiles with reads.
    double best = -INFINITY;
    std::vector<double> obs(static_cast<std::size_t>(O)), pred(obs.size());
    for (Index i = 0; i < N; ++i) {
        double sum = 0;
        int used = 0;
        for (Index k = 0; k < P; ++k) {
            for (Index o = 0; o < O; ++o) {
                obs[static_cast<std::size_t>(o)] = ev.observed[(i * O + o) * P + k];
                pred[static_cast<std::size_t>(o)] = ev.logits[(i * O + o) * P + k];  // softmax below
            }
            const double r = ap::metrics::pearson(obs, softmax(pred));
            if (std::isfinite(r)) sum += r, ++used;
        }
        if (used > 0 && sum / used > best) best = sum / used, ev.best = i;
    }
    return ev;
}

void write_outputs(const std::string& dir, ap::nn::Model<float>& model, const Evaluation& ev,
                   const gx::ProfileDataset& data, double seconds, const History& h) {
    ap::io::save_weights(model, dir + "/weights");
    const auto& rows = data.indices(gx::Split::test);
    const Index N = static_cast<Index>(rows.size()), L = data.input_length();
    ap::io::write_npy(dir + "/attributions.npy", ev.attributions.data(), {N, L, 4});
    std::ofstream bed(dir + "/examples.bed");
    for (Index i : rows) {
        const auto& e = data.examples()[static_cast<std::size_t>(i)];
        bed << e.chrom << '\t' << data.input_start(i) << '\t' << data.input_start(i) + L << '\t' << e.name << '\n';
    }
    if (!bed) throw ap::io_error("train_profile: cannot write " + dir + "/examples.bed");
    examples::write_metrics_json(dir + "/metrics.json", ev.metrics, seconds, h.train_loss.size());
}

// ---- report --------------------------------------------------------------------------

void write_report(const std::string& path, const std::vector<std::string>& names, const std::vector<Evaluation>& evs,
                  const std::vector<History>& hs, const gx::ProfileDataset& data) {
    const Index L = data.input_length(), O = data.output_length(), P = data.profile_channels();
    const Index S = data.strands();
    const double panel_w = 420, panel_h = 190, gap = 30;
    ap::report::SvgDocument svg(4 * (panel_w + gap) + gap, names.size() * (panel_h + 2 * gap) + gap);
    const auto& rows = data.indices(gx::Split::test);
    for (std::size_t m = 0; m < names.size(); ++m) {
        const double top = gap + m * (panel_h + 2 * gap);
        const Evaluation& ev = evs[m];
        if (ev.best >= 0) {
            const Index i = ev.best;
            const auto& e = data.examples()[static_cast<std::size_t>(rows[static_cast<std::size_t>(i)])];
            const float* a = ev.attributions.data() + i * L * 4;
            const auto [s0, s1] = ap::report::strongest_window(a, L, std::min<Index>(L, 60));
            ap::report::attribution_logo(svg, {gap, top, panel_w, panel_h}, a, L, s0, s1,
                                         names[m] + ": " + e.chrom + ":" +
                                             std::to_string(data.input_start(rows[static_cast<std::size_t>(i)]) + s0));
            // Task 0: observed reads and the predicted expected reads, softmax * (exp(log counts) - 1);
            // the minus strand drawn below the axis.
            std::vector<std::vector<double>> series;
            std::vector<std::string> labels;
            for (Index st = 0; st < S; ++st) {
                const double sign = st == 0 ? 1.0 : -1.0;
                std::vector<double> obs(static_cast<std::size_t>(O)), pred(obs.size());
                double top_logit = -INFINITY, z = 0;
                for (Index o = 0; o < O; ++o) top_logit = std::max(top_logit, double(ev.logits[(i * O + o) * P + st]));
                for (Index o = 0; o < O; ++o) z += std::exp(double(ev.logits[(i * O + o) * P + st]) - top_logit);
                const double total = std::expm1(double(ev.log_counts[i * P + st]));
                for (Index o = 0; o < O; ++o) {
                    obs[static_cast<std::size_t>(o)] = sign * ev.observed[(i * O + o) * P + st];
                    pred[static_cast<std::size_t>(o)] =
                        sign * total * std::exp(double(ev.logits[(i * O + o) * P + st]) - top_logit) / z;
                }
                const std::string strand = S == 2 ? (st == 0 ? " +" : " -") : "";
                series.push_back(std::move(obs));
                labels.push_back("observed" + strand);
                series.push_back(std::move(pred));
                labels.push_back("predicted" + strand);
            }
            ap::report::line_plot(svg, {2 * gap + panel_w, top, panel_w, panel_h}, series, labels,
                                  {"#888888", "#D62839", "#888888", "#255C99"}, names[m] + ": profile, best test peak",
                                  "position from summit", "reads", false, -double(O / 2));
            std::vector<double> spec(ev.mean_spectrum.begin() + 1, ev.mean_spectrum.end());  // drop DC
            ap::report::line_plot(svg, {3 * gap + 2 * panel_w, top, panel_w, panel_h}, {spec}, {"mean |F| / M"},
                                  {"#255C99"}, names[m] + ": mean attribution spectrum", "frequency bin", "share",
                                  true);
        }
        ap::report::line_plot(svg, {4 * gap + 3 * panel_w, top, panel_w, panel_h}, {hs[m].train_loss, hs[m].valid_loss},
                              {"train", "valid"}, {"#D62839", "#109648"}, names[m] + ": task loss", "epoch", "loss");
    }
    svg.save(path);
}

// ---- data ----------------------------------------------------------------------------

/// Mean log(1 + total reads) per profile channel over the training examples (the counts
/// head starts there: models::initialize_counts_head).
std::vector<double> mean_log_counts(const gx::ProfileDataset& data) {
    const Index L = data.input_length(), O = data.output_length(), P = data.profile_channels();
    const Index C = data.control_channels();
    std::vector<float> x(static_cast<std::size_t>(L * 4)), profile(static_cast<std::size_t>(O * P)),
        control(static_cast<std::size_t>(O * std::max<Index>(C, 1)));
    std::vector<double> mean(static_cast<std::size_t>(P), 0.0);
    const auto& rows = data.indices(gx::Split::train);
    for (Index i : rows) {
        data.encode(i, 0, false, x.data(), profile.data(), C > 0 ? control.data() : nullptr);
        for (Index k = 0; k < P; ++k) {
            double total = 0;
            for (Index o = 0; o < O; ++o) total += profile[static_cast<std::size_t>(o * P + k)];
            mean[static_cast<std::size_t>(k)] += std::log1p(total) / double(rows.size());
        }
    }
    return mean;
}

/// Simulates the no-argument data set into out/data and points the settings at it.
void simulate(Settings& s) {
    gx::SimulationOptions so;
    so.chromosomes = 8;  // chr1-6 train, chr7 valid, chr8 test
    so.chromosome_length = s.sim_chromosome_length;
    so.positives = s.sim_peaks;
    so.window = s.input_length;
    so.seed = s.seed;
    std::cerr << "simulating a genome: 8 x " << s.sim_chromosome_length / 1000 << " kb, " << s.sim_peaks
              << " peaks with 1-3 SPI1 sites each, reads from a strand-specific footprint + control\n";
    const auto genome = gx::simulate_genome(so);
    gx::CoverageSimulationOptions co;
    co.seed = s.seed + 1;
    const auto coverage = gx::simulate_coverage(genome, co);
    const std::string dir = s.out + "/data";
    gx::write_simulation(genome, dir);
    gx::write_coverage(coverage, dir);
    s.fasta = dir + "/genome.fa";
    s.peaks = dir + "/peaks.narrowPeak";
    s.motif_sites = dir + "/motif_sites.bed";
    s.bigwig_plus = {dir + "/signal_plus.bw"};
    s.bigwig_minus = {dir + "/signal_minus.bw"};
    s.control_plus = {dir + "/control_plus.bw"};
    s.control_minus = {dir + "/control_minus.bw"};
    if (s.valid_chroms.empty()) s.valid_chroms = {"chr7"};
    if (s.test_chroms.empty()) s.test_chroms = {"chr8"};
}

/// Opens the bigWigs task-major, strand-minor (plus, minus) and checks them against the FASTA.
std::vector<std::unique_ptr<gx::BigWigReader>> open_tracks(const std::vector<std::string>& plus,
                                                           const std::vector<std::string>& minus,
                                                           const std::vector<std::pair<std::string, Index>>& chroms,
                                                           const std::string& what) {
    if (!minus.empty() && minus.size() != plus.size()) {
        throw ap::invalid_argument("--" + what + "-minus is given " + std::to_string(minus.size()) +
                                   " times but --" + what + "-plus " + std::to_string(plus.size()) +
                                   " times; give one minus file per plus file, or none (one strand)");
    }
    std::vector<std::unique_ptr<gx::BigWigReader>> tracks;
    for (std::size_t t = 0; t < plus.size(); ++t) {
        tracks.push_back(std::make_unique<gx::BigWigReader>(plus[t]));
        gx::check_chromosomes(*tracks.back(), chroms, "--" + what + "-plus");
        if (!minus.empty()) {
            tracks.push_back(std::make_unique<gx::BigWigReader>(minus[t]));
            gx::check_chromosomes(*tracks.back(), chroms, "--" + what + "-minus");
        }
    }
    return tracks;
}

// ---- main ----------------------------------------------------------------------------

int run(Settings s, bool simulated) {
    const auto t_start = std::chrono::steady_clock::now();
    if (s.threads > 0) omp_set_num_threads(s.threads);
    examples::check_prior_name(s.prior);
    if (s.weighting != "probabilities" && s.weighting != "log_probabilities")
        throw ap::invalid_argument("--weighting = '" + s.weighting + "' is unknown; use probabilities or log_probabilities");
    ap::models::ProfileModelOptions mo;
    mo.input_length = s.input_length;
    const Index trimmed = ap::models::profile_trimmed_positions(mo);
    mo.output_length = s.output_length > 0 ? s.output_length : s.input_length - trimmed;
    mo.filters = s.filters;
    if (mo.output_length < 1)
        throw ap::invalid_argument("--input-length = " + std::to_string(s.input_length) + " is too short: the model trims " +
                                   std::to_string(trimmed) + " positions, so it must be > " + std::to_string(trimmed));
    fs::create_directories(s.out);
    if (simulated) simulate(s);
    if (s.fasta.empty() || s.peaks.empty() || s.bigwig_plus.empty())
        throw ap::invalid_argument("--fasta, --peaks and --bigwig-plus are required (or run with no arguments to simulate)");
    gx::Fasta fasta(s.fasta);
    std::vector<std::pair<std::string, Index>> chroms;
    for (const auto& c : fasta.chromosomes()) chroms.emplace_back(c, fasta.length(c));
    const auto signal = open_tracks(s.bigwig_plus, s.bigwig_minus, chroms, "bigwig");
    const auto control = open_tracks(s.control_plus, s.control_minus, chroms, "control");
    const Index tasks = static_cast<Index>(s.bigwig_plus.size()), strands = s.bigwig_minus.empty() ? 1 : 2;
    if (!control.empty() && (s.control_minus.empty() ? 1 : 2) != strands)
        throw ap::invalid_argument("the controls must have the same strands as the signal (--control-minus with --bigwig-minus)");
    const Index n_control = static_cast<Index>(s.control_plus.size());
    if (n_control != 0 && n_control != 1 && n_control != tasks)
        throw ap::invalid_argument("--control-plus is given " + std::to_string(n_control) + " times for " +
                                   std::to_string(tasks) + " tasks; give 1 (shared) or one per task (matched)");
    mo.tasks = tasks;
    mo.strands = strands;
    mo.controls = n_control == 0 ? ap::models::Controls::none
                  : n_control == tasks ? ap::models::Controls::matched
                                       : ap::models::Controls::shared;
    ap::models::make_profile_model<float>(mo);  // fails early on inconsistent lengths

    std::vector<gx::Interval> sites;
    if (!s.motif_sites.empty()) sites = gx::read_bed(s.motif_sites);
    gx::ProfileDatasetOptions dopt;
    dopt.input_length = mo.input_length;
    dopt.output_length = mo.output_length;
    dopt.strands = strands;
    dopt.max_jitter = s.jitter;
    dopt.valid_chroms = s.valid_chroms;
    dopt.test_chroms = s.test_chroms;
    std::vector<const gx::BigWigReader*> signal_ptrs, control_ptrs;
    for (const auto& t : signal) signal_ptrs.push_back(t.get());
    for (const auto& t : control) control_ptrs.push_back(t.get());
    std::cerr << "reading the peaks and their coverage\n";
    const gx::ProfileDataset data(fasta, gx::read_narrowpeak(s.peaks), signal_ptrs, control_ptrs, dopt);
    std::cerr << data.report().summary() << "\n";

    const std::vector<double> counts_start = mean_log_counts(data);
    const auto runs = examples::run_names(s.prior, s.compare || simulated);
    const auto [evs, hs] = examples::run_all<Evaluation>(runs, s.out, [&](const std::string& name, const std::string& dir,
                                                                            auto t0) {
        auto model = ap::models::make_profile_model<float>(mo, s.seed);
        ap::models::initialize_counts_head(model, mo, counts_start);
        History h = examples::with_prior(name, s, [&](auto& prior) { return train(model, prior, data, s, name); });
        Evaluation ev = evaluate(model, data, s, s.motif_sites.empty() ? nullptr : &sites);
        write_outputs(dir, model, ev, data, examples::seconds_since(t0), h);
        return std::pair{std::move(ev), std::move(h)};
    });
    examples::write_summary(s.out + "/summary.tsv", runs, evs,
                            {"profile_jsd", "profile_pearson", "profile_spearman", "counts_pearson", "counts_spearman",
                             "fourier_score", "motif_auprc", "motif_share", "entropy", "seconds"});
    write_report(s.out + "/report.svg", runs, evs, hs, data);
    std::printf("\noutputs in %s/ (summary.tsv, report.svg, one folder per model); %.0f s in total\n", s.out.c_str(),
                examples::seconds_since(t_start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"Train the paper's profile (BPNet-style) model with an attribution prior (attrprior).\n"
                 "Without arguments: simulate a data set, train with the Fourier prior and without, compare."};
    app.add_option("--fasta", s.fasta, "genome FASTA (plain or bgzipped; indexed on demand)");
    app.add_option("--peaks", s.peaks, "peaks: ENCODE narrowPeak (examples are centred on column 10, the summit)");
    app.add_option("--bigwig-plus", s.bigwig_plus, "plus-strand coverage bigWig; repeat once per task");
    app.add_option("--bigwig-minus", s.bigwig_minus, "minus-strand coverage bigWig, one per --bigwig-plus (omit: 1 strand)");
    app.add_option("--control-plus", s.control_plus, "control plus-strand bigWig: once (shared) or once per task");
    app.add_option("--control-minus", s.control_minus, "control minus-strand bigWig, one per --control-plus");
    app.add_option("--motif-sites", s.motif_sites, "BED of known motif sites (for motif AUPRC and motif share)");
    app.add_option("--input-length", s.input_length, "input length (paper: 1346)")->capture_default_str();
    app.add_option("--output-length", s.output_length, "profile length (default: input length - 346, paper: 1000)");
    app.add_option("--filters", s.filters, "filters of every convolution (paper: 64)")->capture_default_str();
    examples::add_run_options(app, s, "examples per batch");
    app.add_option("--counts-weight", s.counts_weight, "weight of the log-counts MSE")->capture_default_str();
    app.add_option("--weighting", s.weighting,
                   "attribution target weights: probabilities (explanation code) | log_probabilities (training script)")
        ->capture_default_str();
    app.add_flag("--no-rc", s.no_rc, "no reverse-complement augmentation");
    app.add_option("--sim-peaks", s.sim_peaks, "simulation (no --fasta/--peaks): peaks")->capture_default_str();
    app.add_option("--sim-chrom-length", s.sim_chromosome_length, "simulation: length of each of 8 chromosomes")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const bool simulated = s.fasta.empty() && s.peaks.empty() && s.bigwig_plus.empty();
    // The documented simulation size: a shorter input (846 -> 500) and 32 filters, so that
    // both models train in about a minute and a half on two cores (native build).
    if (simulated && app.count("--input-length") == 0) s.input_length = 846;
    if (simulated && app.count("--filters") == 0) s.filters = 32;
    if (simulated && app.count("--batch") == 0) s.batch = 32;
    if (simulated && app.count("--epochs") == 0) s.epochs = 12;
    if (simulated && app.count("--jitter") == 0) s.jitter = 32;
    try {
        return run(s, simulated);
    } catch (const std::exception& e) {
        std::cerr << "train_profile: error: " << e.what() << "\n";
        return 1;
    }
}
