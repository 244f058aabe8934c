// train_binary — the paper's binary-model experiment end to end (issue 5; docs/models.md §1-2
// and §6, docs/data.md §2-4 and §7, docs/math.md §5).
//
// With no arguments it simulates a genome with SPI1 sites planted in the positive
// regions, trains the binary model with the Fourier prior and without, and prints a
// side-by-side table. With --fasta/--peaks it trains on your data. Outputs (--out):
//   <prior>/weights/ (.npy + manifest), <prior>/attributions.npy (N x L x 4 float32, test
//   examples, grad x input), <prior>/examples.bed, <prior>/metrics.json, summary.tsv,
//   report.svg.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics/dataset.hpp>
#include <attrprior/genomics/fasta.hpp>
#include <attrprior/genomics/intervals.hpp>
#include <attrprior/genomics/simulate.hpp>
#include <attrprior/report/progress.hpp>
#include <attrprior/report/svg.hpp>

#include "train_common.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
namespace fs = std::filesystem;
using ap::Index;

namespace {

using examples::History;

struct Settings : examples::RunSettings {
    Settings() { out = "attrprior_run"; }
    std::string fasta, peaks, negatives, motif_sites;
    Index length = 1000;
    Index sim_positives = 1600;         // simulation size (no-argument run)
    Index sim_chromosome_length = 300000;
};

struct Evaluation {
    std::map<std::string, double> metrics;
    std::vector<float> attributions;  // N x L x 4
    std::vector<gx::Example> examples;
    std::vector<double> logits;
    Index best_positive = -1;
    std::vector<double> mean_spectrum;  // over test positives
};

// ---- data ----------------------------------------------------------------------------

/// Encodes examples in chunks of `chunk` rows and runs fn(first, count, x).
template <class Fn>
void for_chunks(const gx::BinaryDataset& data, const std::vector<gx::Example>& ex, Index chunk,
                std::vector<float>& x, std::vector<float>& y, Fn&& fn) {
    const Index L = data.length();
    for (Index first = 0; first < static_cast<Index>(ex.size()); first += chunk) {
        const Index count = std::min<Index>(chunk, static_cast<Index>(ex.size()) - first);
        std::vector<gx::Example> part(ex.begin() + first, ex.begin() + first + count);
        // Pad to a full chunk (repeat the last example) so the model keeps one batch size.
        while (static_cast<Index>(part.size()) < chunk) part.push_back(part.back());
        data.encode(part, x.data(), y.data());
        fn(first, count, L);
    }
}

// ---- model ---------------------------------------------------------------------------

/// Validation loss in eval mode over a split (class-balanced BCE of all its examples).
double split_loss(ap::nn::Model<float>& model, const gx::BinaryDataset& data, gx::Split split, Index chunk,
                  std::vector<float>& x, std::vector<float>& y) {
    const auto& ex = data.examples(split);
    if (ex.empty()) return std::nan("");
    std::vector<float> logits(ex.size()), labels(ex.size()), grad(ex.size());
    for_chunks(data, ex, chunk, x, y, [&](Index first, Index count, Index L) {
        model.forward({x.data(), chunk, L, 4}, ap::nn::Mode::eval);
        for (Index b = 0; b < count; ++b) {
            logits[first + b] = model.output()(b, 0, 0);
            labels[first + b] = y[b];
        }
    });
    ap::train::ClassBalancedBCE<float> loss;
    const Index n = static_cast<Index>(ex.size());
    return loss.value_and_gradient({logits.data(), n, 1, 1}, {labels.data(), n, 1, 1}, {grad.data(), n, 1, 1});
}

template <class Prior>
History train(ap::nn::Model<float>& model, Prior& prior, const gx::BinaryDataset& data, const Settings& s,
              const std::string& name) {
    History h;
    gx::BalancedBatcher batcher(data, s.batch, s.batch, true, s.jitter, s.seed);
    gx::PrefetchingBatcher<float> batches(std::move(batcher));
    const Index B = batches.batch_size(), L = data.length();
    ap::train::ClassBalancedBCE<float> loss;
    ap::train::DoubleBackprop<float> step(static_cast<float>(s.lambda));
    ap::train::Adam<float> adam(ap::train::AdamOptions{s.lr});
    std::vector<float> x(B * L * 4), y(B);
    examples::EarlyStopping stopping(s.patience);
    const Index steps = batches.batches_per_epoch();
    for (int epoch = 1; epoch <= s.epochs; ++epoch) {
        ap::report::ProgressBar bar(name + " epoch " + std::to_string(epoch), steps);
        double total = 0, prior_total = 0;
        for (Index it = 0; it < steps; ++it) {
            batches.next();
            const ap::ConstTensor3<float> xv(batches.x(), B, L, 4), yv(batches.y(), B, 1, 1);
            const auto r = step.step(model, prior, loss, xv, yv, ap::train::status_from_labels(yv));
            adam.step(model.parameters(), model.gradients());
            total += r.task_loss;
            prior_total += r.prior;
            char suffix[64];
            std::snprintf(suffix, sizeof suffix, "loss %.4f prior %.4f", total / double(it + 1),
                          prior_total / double(it + 1));
            bar.update(it + 1, suffix);
        }
        const double valid = split_loss(model, data, gx::Split::valid, B, x, y);
        h.train_loss.push_back(total / double(steps));
        h.prior.push_back(prior_total / double(steps));
        h.valid_loss.push_back(valid);
        char suffix[96];
        std::snprintf(suffix, sizeof suffix, "train %.4f valid %.4f prior %.4f", h.train_loss.back(), valid,
                      h.prior.back());
        bar.finish(suffix);
        if (stopping.update(valid, model)) {
            std::cerr << name << ": early stop after epoch " << epoch << " (best valid loss " << stopping.best() << ")\n";
            break;
        }
    }
    stopping.restore(model);
    return h;
}

// ---- evaluation ----------------------------------------------------------------------

Evaluation evaluate(ap::nn::Model<float>& model, const gx::BinaryDataset& data, const Settings& s,
                    const std::vector<gx::Interval>& sites, bool have_sites, Index chunk) {
    Evaluation ev;
    ev.examples = data.examples(gx::Split::test);
    const Index N = static_cast<Index>(ev.examples.size()), L = data.length();
    if (N == 0) throw ap::invalid_argument("train_binary: the test split is empty (check --test-chroms)");
    ev.attributions.assign(static_cast<std::size_t>(N * L * 4), 0.0f);
    ev.logits.assign(static_cast<std::size_t>(N), 0.0);
    std::vector<int> labels(static_cast<std::size_t>(N));
    std::vector<float> x(chunk * L * 4), y(chunk), attr(chunk * L * 4);
    ap::train::DoubleBackprop<float> step;
    for_chunks(data, ev.examples, chunk, x, y, [&](Index first, Index count, Index) {
        step.attribution(model, {x.data(), chunk, L, 4}, {attr.data(), chunk, L, 4}, ap::nn::Mode::eval);
        for (Index b = 0; b < count; ++b) {
            ev.logits[first + b] = model.output()(b, 0, 0);
            labels[first + b] = static_cast<int>(y[b]);
        }
        std::copy(attr.begin(), attr.begin() + count * L * 4, ev.attributions.begin() + first * L * 4);
    });
    ev.metrics["accuracy"] = ap::metrics::accuracy(ev.logits, labels);
    ev.metrics["auroc"] = ap::metrics::auroc(ev.logits, labels);
    ev.metrics["auprc"] = ap::metrics::auprc(ev.logits, labels);
    std::vector<Index> positives;
    for (Index i = 0; i < N; ++i)
        if (labels[i] == 1) positives.push_back(i);
    const ap::ConstTensor3<float> all(ev.attributions.data(), N, L, 4);
    std::vector<std::vector<char>> masks;
    if (have_sites) {
        std::vector<std::pair<std::string, Index>> windows;
        for (const auto& e : ev.examples) windows.emplace_back(e.chrom, e.start);
        masks = examples::site_masks(windows, L, sites);
    }
    examples::attribution_metrics(all, positives, examples::fourier_options(s), have_sites ? &masks : nullptr,
                                  ev.metrics);
    double best = -INFINITY;
    for (Index i : positives)
        if (ev.logits[i] > best) best = ev.logits[i], ev.best_positive = i;
    if (!positives.empty()) ev.mean_spectrum = examples::mean_spectrum(ev.attributions.data(), positives, L, s.sigma);
    return ev;
}

void write_outputs(const std::string& dir, ap::nn::Model<float>& model, const Evaluation& ev, Index L,
                   double seconds, const History& h) {
    ap::io::save_weights(model, dir + "/weights");
    const Index N = static_cast<Index>(ev.examples.size());
    ap::io::write_npy(dir + "/attributions.npy", ev.attributions.data(), {N, L, 4});
    std::ofstream bed(dir + "/examples.bed");
    for (const auto& e : ev.examples) bed << e.chrom << '\t' << e.start << '\t' << e.start + L << '\t' << e.label << '\n';
    if (!bed) throw ap::io_error("train_binary: cannot write " + dir + "/examples.bed");
    examples::write_metrics_json(dir + "/metrics.json", ev.metrics, seconds, h.train_loss.size());
}

// ---- report --------------------------------------------------------------------------

void write_report(const std::string& path, const std::vector<std::string>& names,
                  const std::vector<Evaluation>& evs, const std::vector<History>& hs, Index L) {
    const double panel_w = 420, panel_h = 190, gap = 30;
    ap::report::SvgDocument svg(3 * (panel_w + gap) + gap, names.size() * (panel_h + 2 * gap) + gap);
    for (std::size_t m = 0; m < names.size(); ++m) {
        const double top = gap + m * (panel_h + 2 * gap);
        const Evaluation& ev = evs[m];
        if (ev.best_positive >= 0) {
            const float* a = ev.attributions.data() + ev.best_positive * L * 4;
            const auto [s0, s1] = ap::report::strongest_window(a, L, std::min<Index>(L, 60));
            ap::report::attribution_logo(svg, {gap, top, panel_w, panel_h}, a, L, s0, s1,
                                         names[m] + ": best test positive, " + ev.examples[ev.best_positive].chrom +
                                             ":" + std::to_string(ev.examples[ev.best_positive].start + s0));
            std::vector<double> spec(ev.mean_spectrum.begin() + 1, ev.mean_spectrum.end());  // drop DC
            ap::report::line_plot(svg, {2 * gap + panel_w, top, panel_w, panel_h}, {spec}, {"mean |F| / M"},
                                  {"#255C99"}, names[m] + ": mean attribution spectrum", "frequency bin", "share",
                                  true);
        }
        ap::report::line_plot(svg, {3 * gap + 2 * panel_w, top, panel_w, panel_h},
                              {hs[m].train_loss, hs[m].valid_loss}, {"train", "valid"}, {"#D62839", "#109648"},
                              names[m] + ": task loss", "epoch", "loss");
    }
    svg.save(path);
}

// ---- main ----------------------------------------------------------------------------

int run(Settings s, bool simulate) {
    const auto t_start = std::chrono::steady_clock::now();
    if (s.threads > 0) omp_set_num_threads(s.threads);
    examples::check_prior_name(s.prior);
    ap::models::BinaryModelOptions mo;
    mo.length = s.length;
    ap::models::make_binary_model<float>(mo);  // fails early, with the minimum length, if too short
    fs::create_directories(s.out);
    std::vector<gx::Interval> sites;
    bool have_sites = false;
    if (simulate) {
        gx::SimulationOptions so;
        so.chromosomes = 4;
        so.chromosome_length = s.sim_chromosome_length;
        so.positives = s.sim_positives;
        so.window = s.length;
        so.seed = s.seed;
        std::cerr << "simulating a genome: 4 x " << s.sim_chromosome_length / 1000 << " kb, " << s.sim_positives
                  << " positives with 1-3 SPI1 sites each\n";
        const auto genome = gx::simulate_genome(so);
        gx::write_simulation(genome, s.out + "/data");
        s.fasta = s.out + "/data/genome.fa";
        s.peaks = s.out + "/data/peaks.narrowPeak";
        s.motif_sites = s.out + "/data/motif_sites.bed";
        if (s.valid_chroms.empty()) s.valid_chroms = {"chr3"};
        if (s.test_chroms.empty()) s.test_chroms = {"chr4"};
    }
    if (s.fasta.empty() || s.peaks.empty()) throw ap::invalid_argument("--fasta and --peaks are required (or run with no arguments to simulate)");
    gx::Fasta fasta(s.fasta);
    gx::ReadReport peak_report;
    const auto peaks = gx::read_narrowpeak(s.peaks, &peak_report);
    std::vector<gx::Interval> negatives;
    if (!s.negatives.empty()) negatives = gx::read_bed(s.negatives);
    if (!s.motif_sites.empty()) {
        sites = gx::read_bed(s.motif_sites);
        have_sites = true;
    }
    gx::DatasetOptions dopt;
    dopt.length = s.length;
    dopt.valid_chroms = s.valid_chroms;
    dopt.test_chroms = s.test_chroms;
    dopt.seed = s.seed;
    std::cerr << "building the dataset\n";
    gx::BinaryDataset data(fasta, peaks, negatives, dopt);
    std::cerr << data.report().summary() << "\n";

    const auto runs = examples::run_names(s.prior, s.compare || simulate);
    const auto [evs, hs] = examples::run_all<Evaluation>(runs, s.out, [&](const std::string& name, const std::string& dir,
                                                                            auto t0) {
        auto model = ap::models::make_binary_model<float>(mo, s.seed);
        History h = examples::with_prior(name, s, [&](auto& prior) { return train(model, prior, data, s, name); });
        const Index chunk = 2 * 2 * s.batch;  // the training batch size: no re-allocation
        Evaluation ev = evaluate(model, data, s, sites, have_sites, chunk);
        write_outputs(dir, model, ev, s.length, examples::seconds_since(t0), h);
        return std::pair{std::move(ev), std::move(h)};
    });
    examples::write_summary(s.out + "/summary.tsv", runs, evs,
                            {"accuracy", "auroc", "auprc", "fourier_score", "motif_auprc", "motif_share", "entropy",
                             "seconds"});
    write_report(s.out + "/report.svg", runs, evs, hs, s.length);
    std::printf("\noutputs in %s/ (summary.tsv, report.svg, one folder per model); %.0f s in total\n", s.out.c_str(),
                examples::seconds_since(t_start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"Train the paper's binary model with an attribution prior (attrprior).\n"
                 "Without arguments: simulate a data set, train with the Fourier prior and without, compare."};
    app.add_option("--fasta", s.fasta, "genome FASTA (plain or bgzipped; indexed on demand)");
    app.add_option("--peaks", s.peaks, "positives: ENCODE narrowPeak (column 10 = summit offset)");
    app.add_option("--negatives", s.negatives, "negatives BED (default: sampled from the genome away from peaks)");
    app.add_option("--motif-sites", s.motif_sites, "BED of known motif sites (for motif AUPRC and motif share)");
    app.add_option("--length", s.length, "input length (paper: 1000)")->capture_default_str();
    examples::add_run_options(app, s, "positives (and negatives) per batch, each doubled by its reverse complement");
    app.add_option("--sim-positives", s.sim_positives, "simulation (no --fasta/--peaks): positive regions")
        ->capture_default_str();
    app.add_option("--sim-chrom-length", s.sim_chromosome_length, "simulation: length of each of 4 chromosomes")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const bool simulate = s.fasta.empty() && s.peaks.empty();
    if (simulate && app.count("--length") == 0) s.length = 400;  // documented simulation size
    if (simulate && app.count("--batch") == 0) s.batch = 32;
    if (simulate && app.count("--epochs") == 0) s.epochs = 12;
    try {
        return run(s, simulate);
    } catch (const std::exception& e) {
        std::cerr << "train_binary: error: " << e.what() << "\n";
        return 1;
    }
}
