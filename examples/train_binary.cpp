// train_binary — the paper's binary-model experiment end to end (issue 5, SPEC §5-§7).
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

struct Settings {
    std::string fasta, peaks, negatives, motif_sites, out = "attrprior_run";
    Index length = 1000;
    int epochs = 20;
    Index batch = 64;  // positives per batch (and negatives); doubled by reverse complement
    double lr = 1e-3;
    std::string prior = "fourier";
    double lambda = 1.0;
    int freq_limit = 150;
    double softness = 0.2;
    int sigma = 3;
    std::uint64_t seed = 1;
    int threads = 0;
    std::vector<std::string> valid_chroms, test_chroms;
    bool compare = false;
    int patience = 3;
    Index jitter = 0;
    Index sim_positives = 1600;         // simulation size (no-argument run)
    Index sim_chromosome_length = 300000;
};

struct History {
    std::vector<double> train_loss, valid_loss, prior;
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

/// Per-example site masks (1 where a planted/known site covers the position).
std::vector<std::vector<char>> site_masks(const std::vector<gx::Example>& ex, Index L,
                                          const std::vector<gx::Interval>& sites) {
    std::map<std::string, std::vector<std::pair<Index, Index>>> by_chrom;
    for (const auto& s : sites) by_chrom[s.chrom].push_back({s.start, s.end});
    for (auto& kv : by_chrom) std::sort(kv.second.begin(), kv.second.end());
    std::vector<std::vector<char>> masks(ex.size(), std::vector<char>(static_cast<std::size_t>(L), 0));
    for (std::size_t e = 0; e < ex.size(); ++e) {
        auto it = by_chrom.find(ex[e].chrom);
        if (it == by_chrom.end()) continue;
        const Index a = ex[e].start, b = ex[e].start + L;
        for (const auto& [s, t] : it->second) {
            if (s >= b) break;
            if (t <= a) continue;
            for (Index i = std::max(s, a); i < std::min(t, b); ++i) masks[e][static_cast<std::size_t>(i - a)] = 1;
        }
    }
    return masks;
}

// ---- model ---------------------------------------------------------------------------

ap::priors::FourierPriorOptions fourier_options(const Settings& s) {
    ap::priors::FourierPriorOptions o;
    o.freq_limit = s.freq_limit;
    o.softness = s.softness;
    o.smoothing_sigma = s.sigma;
    return o;
}

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
    Eigen::VectorXf best_params = model.parameters(), best_state = model.state();
    double best = INFINITY;
    int since_best = 0;
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
        // Early stopping (SPEC §5): 3 epochs without a validation improvement of 0.001.
        if (!std::isfinite(valid) || valid < best - 1e-3) {
            best = std::isfinite(valid) ? valid : best;
            best_params = model.parameters();
            best_state = model.state();
            since_best = 0;
        } else if (++since_best >= s.patience) {
            std::cerr << name << ": early stop after epoch " << epoch << " (best valid loss " << best << ")\n";
            break;
        }
    }
    model.parameters() = best_params;
    model.state() = best_state;
    return h;
}

// ---- evaluation ----------------------------------------------------------------------

/// Mean normalised magnitude spectrum (smoothed |attribution| track) over the rows.
std::vector<double> mean_spectrum(const float* attr, const std::vector<Index>& rows, Index L, int sigma) {
    const auto& plans = ap::fft::real_plans<double>(static_cast<int>(L));
    const Index bins = L / 2 + 1;
    std::vector<double> mean(static_cast<std::size_t>(bins), 0.0);
    ap::fft::AlignedBuffer<double> track(static_cast<std::size_t>(L)), smooth(static_cast<std::size_t>(L));
    ap::fft::AlignedBuffer<fftw_complex> spec(static_cast<std::size_t>(bins));
    const auto kernel = ap::priors::gaussian_kernel<double>(sigma);
    for (Index r : rows) {
        std::vector<double> a(static_cast<std::size_t>(L * 4));
        for (Index i = 0; i < L * 4; ++i) a[i] = attr[r * L * 4 + i];
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
    const auto scores = ap::metrics::fourier_scores(all, fourier_options(s));
    const auto entropy = ap::metrics::attribution_entropy(all);
    double fsum = 0, esum = 0;
    for (Index i : positives) {
        fsum += scores[i];
        esum += entropy[i];
    }
    ev.metrics["fourier_score"] = positives.empty() ? std::nan("") : fsum / double(positives.size());
    ev.metrics["entropy"] = positives.empty() ? std::nan("") : esum / double(positives.size());
    if (have_sites) {
        const auto masks = site_masks(ev.examples, L, sites);
        std::vector<Index> with_site;
        for (Index i : positives)
            if (std::find(masks[i].begin(), masks[i].end(), 1) != masks[i].end()) with_site.push_back(i);
        if (!with_site.empty()) {
            ev.metrics["motif_auprc"] = ap::metrics::motif_auprc(all, masks, with_site);
            ev.metrics["motif_share"] = ap::metrics::motif_share(all, masks, with_site);
        }
    }
    double best = -INFINITY;
    for (Index i : positives)
        if (ev.logits[i] > best) best = ev.logits[i], ev.best_positive = i;
    if (!positives.empty()) ev.mean_spectrum = mean_spectrum(ev.attributions.data(), positives, L, s.sigma);
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
    nlohmann::json j;
    for (const auto& [k, v] : ev.metrics) j[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
    j["seconds"] = seconds;
    j["epochs"] = h.train_loss.size();
    std::ofstream(dir + "/metrics.json") << j.dump(1) << '\n';
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
    const std::vector<std::string> priors_known{"fourier", "smooth", "sparse", "none"};
    if (std::find(priors_known.begin(), priors_known.end(), s.prior) == priors_known.end())
        throw ap::invalid_argument("--prior = '" + s.prior + "' is unknown; use fourier, smooth, sparse or none");
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

    std::vector<std::string> runs{s.prior};
    if ((s.compare || simulate) && s.prior != "none") runs.push_back("none");
    std::vector<Evaluation> evs;
    std::vector<History> hs;
    for (const std::string& name : runs) {
        const std::string dir = s.out + "/" + name;
        fs::create_directories(dir);
        std::ofstream(dir + "/INCOMPLETE") << "training did not finish\n";
        const auto t0 = std::chrono::steady_clock::now();
        auto model = ap::models::make_binary_model<float>(mo, s.seed);
        History h;
        if (name == "fourier") {
            ap::priors::FourierPrior<float> p(fourier_options(s));
            h = train(model, p, data, s, name);
        } else if (name == "smooth") {
            ap::priors::SmoothnessPrior<float> p;
            h = train(model, p, data, s, name);
        } else if (name == "sparse") {
            ap::priors::SparsityPrior<float> p;
            h = train(model, p, data, s, name);
        } else {
            ap::priors::NoPrior<float> p;
            h = train(model, p, data, s, name);
        }
        const Index chunk = 2 * 2 * s.batch;  // the training batch size: no re-allocation
        Evaluation ev = evaluate(model, data, s, sites, have_sites, chunk);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        write_outputs(dir, model, ev, s.length, seconds, h);
        ev.metrics["seconds"] = seconds;
        fs::remove(dir + "/INCOMPLETE");
        evs.push_back(std::move(ev));
        hs.push_back(std::move(h));
    }
    // Side-by-side table (stdout) and summary.tsv.
    const std::vector<std::string> keys{"accuracy", "auroc", "auprc", "fourier_score", "motif_auprc",
                                        "motif_share", "entropy", "seconds"};
    std::ofstream tsv(s.out + "/summary.tsv");
    tsv << "metric";
    std::printf("\n%-14s", "metric");
    for (const auto& n : runs) {
        tsv << '\t' << n;
        std::printf("%12s", n.c_str());
    }
    tsv << '\n';
    std::printf("\n");
    for (const auto& k : keys) {
        if (evs[0].metrics.count(k) == 0) continue;
        tsv << k;
        std::printf("%-14s", k.c_str());
        for (const auto& ev : evs) {
            const double v = ev.metrics.count(k) ? ev.metrics.at(k) : std::nan("");
            tsv << '\t' << v;
            std::printf("%12.4f", v);
        }
        tsv << '\n';
        std::printf("\n");
    }
    write_report(s.out + "/report.svg", runs, evs, hs, s.length);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    std::printf("\noutputs in %s/ (summary.tsv, report.svg, one folder per model); %.0f s in total\n", s.out.c_str(), total);
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
    app.add_option("--epochs", s.epochs, "maximum epochs (early stopping on validation loss)")->capture_default_str();
    app.add_option("--batch", s.batch, "positives (and negatives) per batch, each doubled by its reverse complement")->capture_default_str();
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
    app.add_flag("--compare", s.compare, "also train without a prior, same seed and data");
    app.add_option("--out", s.out, "output directory")->capture_default_str();
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
