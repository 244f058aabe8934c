// train_profile — the paper's profile (BPNet-style) experiment end to end (docs/models.md
// §3-5, docs/data.md §5-6, docs/math.md §5).
//
// With no arguments it simulates a genome with SPI1 sites, reads from a strand-specific
// footprint and a control track (FASTA, narrowPeak and bigWig files under <out>/data),
// trains the profile model with the Fourier prior and without, and prints a side-by-side
// table. With --fasta/--peaks/--bigwig-plus it trains on your data. Outputs (--out):
//   <prior>/model.json + weights/ (a saved model), <prior>/attributions.npy (N x L x 4,
//   test examples, grad x input), <prior>/attribution/ (DeepSHAP of the test examples as the
//   attribute program writes it; --shuffles 0 skips it), <prior>/examples.bed,
//   <prior>/metrics.json, <prior>/history.tsv, summary.tsv, report.svg.
// The program is parsing and set-up; the work is train::fit, train::evaluate_profile,
// io::save_model and report::profile_training_report.
#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/genomics/profile_tracks.hpp>
#include <attrprior/report/training_report.hpp>
#include <attrprior/train/evaluate.hpp>

#include "parallel.hpp"
#include "train_common.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
namespace fs = std::filesystem;
using ap::Index;

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

/// Simulates the no-argument data set into out/data (rank 0; the others wait for the files)
/// and points the settings at it.
void simulate(Settings& s, examples::Parallel& par) {
    gx::SimulationOptions so;
    so.chromosomes = 8;  // chr1-6 train, chr7 valid, chr8 test
    so.chromosome_length = s.sim_chromosome_length;
    so.positives = s.sim_peaks;
    so.window = s.input_length;
    so.seed = s.seed;
    par.log() << "simulating a genome: 8 x " << s.sim_chromosome_length / 1000 << " kb, " << s.sim_peaks
              << " peaks with 1-3 SPI1 sites each, reads from a strand-specific footprint + control\n";
    const std::string dir = s.out + "/data";
    if (par.root()) {
        const auto genome = gx::simulate_genome(so);
        gx::CoverageSimulationOptions co;
        co.seed = s.seed + 1;
        gx::write_simulation(genome, dir);
        gx::write_coverage(gx::simulate_coverage(genome, co), dir);
    }
    par.barrier();
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

int run(Settings s, bool simulated, examples::Parallel& par) {
    const auto t_start = std::chrono::steady_clock::now();
    examples::check_run_settings(s);
    if (s.weighting != "probabilities" && s.weighting != "log_probabilities")
        throw ap::invalid_argument("--weighting = '" + s.weighting + "' is unknown; use probabilities or log_probabilities");
    ap::require(std::isfinite(s.counts_weight) && s.counts_weight >= 0, "options", "--counts-weight", s.counts_weight,
                "must be finite and >= 0");
    ap::models::ProfileModelOptions mo;
    mo.input_length = s.input_length;
    const Index trimmed = ap::models::profile_trimmed_positions(mo);
    mo.output_length = s.output_length > 0 ? s.output_length : s.input_length - trimmed;
    mo.filters = s.filters;
    if (mo.output_length < 1)
        throw ap::invalid_argument("--input-length = " + std::to_string(s.input_length) + " is too short: the model trims " +
                                   std::to_string(trimmed) + " positions, so it must be > " + std::to_string(trimmed));
    ap::priors::validate(examples::fourier_options(s), s.input_length, "--freq-limit (with --input-length)");
    if (par.root()) fs::create_directories(s.out);
    if (simulated) simulate(s, par);
    if (s.fasta.empty() || s.peaks.empty() || s.bigwig_plus.empty())
        throw ap::invalid_argument("--fasta, --peaks and --bigwig-plus are required (or run with no arguments to simulate)");
    if (par.root()) gx::Fasta(s.fasta);  // indexes it once, before the other ranks open it
    par.barrier();
    gx::Fasta fasta(s.fasta);
    std::vector<std::pair<std::string, Index>> chroms;
    for (const auto& c : fasta.chromosomes()) chroms.emplace_back(c, fasta.length(c));
    const gx::ProfileTracks tracks =
        gx::open_profile_tracks(s.bigwig_plus, s.bigwig_minus, s.control_plus, s.control_minus, chroms);
    mo.tasks = tracks.tasks;
    mo.strands = tracks.strands;
    mo.controls = tracks.control_sets == 0             ? ap::models::Controls::none
                  : tracks.control_sets == tracks.tasks ? ap::models::Controls::matched
                                                        : ap::models::Controls::shared;
    ap::models::make_profile_model<float>(mo);  // fails early on inconsistent lengths

    const auto sites = examples::read_motif_sites(s.motif_sites, fasta);
    gx::ProfileDatasetOptions dopt;
    dopt.input_length = mo.input_length;
    dopt.output_length = mo.output_length;
    dopt.strands = tracks.strands;
    dopt.max_jitter = s.jitter;
    dopt.valid_chroms = s.valid_chroms;
    dopt.test_chroms = s.test_chroms;
    par.log() << "reading the peaks and their coverage\n";
    const gx::ProfileDataset data(fasta, gx::read_narrowpeak(s.peaks), tracks.signal_tracks(), tracks.control_tracks(),
                                  dopt);
    par.log() << data.report().summary() << "\n";
    const gx::ProfileExamples valid(data, gx::Split::valid), test(data, gx::Split::test);
    if (test.size() == 0) throw ap::invalid_argument("the test split is empty (check --test-chroms)");
    std::vector<std::pair<std::string, Index>> windows;
    for (Index i = 0; i < test.size(); ++i) windows.emplace_back(test.example(i).chrom, test.input_start(i));
    const auto masks = gx::site_masks(windows, mo.input_length, sites);
    ap::train::ProfileTarget target;
    target.weighting = s.weighting == "log_probabilities" ? ap::train::ProfileWeighting::log_probabilities
                                                           : ap::train::ProfileWeighting::probabilities;
    const std::vector<double> counts_start = data.mean_log_counts(gx::Split::train);

    std::vector<gx::Interval> test_windows;  // the test rows as regions (DeepSHAP's bigWig and seqlets)
    for (Index i = 0; i < test.size(); ++i)
        test_windows.push_back({test.example(i).chrom, test.input_start(i), test.input_start(i) + mo.input_length,
                                test.example(i).name, 0.0, test.example(i).summit});
    const ap::attribution::Target shap_target =
        ap::attribution::Target::profile(tracks.strands, -1, target.weighting);

    const auto runs = examples::run_names(s.prior, s.compare || simulated);
    std::vector<ap::report::SecondAttributions> shap;  // per run: DeepSHAP next to gradient x input
    const auto [evs, hs] = examples::run_all<ap::train::ProfileEvaluation>(runs, s.out, [&](const std::string& name,
                                                                                            const std::string& dir, auto t0) {
        auto model = ap::models::make_profile_model<float>(mo, s.seed);
        ap::models::initialize_counts_head(model, mo, counts_start);
        ap::train::ProfileLoss<float> loss(s.counts_weight);
        ap::train::History h = examples::with_prior(name, s, [&](auto& prior) {
            ap::train::DoubleBackprop<float, ap::train::ProfileTarget> step(static_cast<float>(s.lambda), target);
            ap::train::Adam<float> adam(ap::train::AdamOptions{s.lr});
            ap::train::FitOptions fo;
            fo.epochs = s.epochs;
            fo.seed = s.seed;
            ap::train::EarlyStopping<float> stopping(s.patience);
            ap::train::ProgressBars bars(name, par.log());
            return par.fit(model, step, prior, loss, adam,
                           gx::ProfileBatcher(data, gx::Split::train, s.batch, s.jitter, !s.no_rc, s.seed), valid,
                           s.batch, fo, stopping, bars);
        });
        ap::train::EvaluationOptions eo;
        eo.chunk = s.batch;
        eo.fourier = examples::fourier_options(s);
        eo.site_masks = sites.empty() ? nullptr : &masks;
        ap::train::ProfileEvaluation ev = par.evaluate_profile(model, test, target, eo);
        if (!par.root()) return std::pair{std::move(ev), std::move(h)};  // rank 0 writes
        auto spec = ap::models::spec_of(mo);
        spec.extra = examples::training_record(name, s);
        spec.extra["counts_weight"] = s.counts_weight;
        spec.extra["weighting"] = s.weighting;
        ap::io::save_model(model, spec, dir);
        ap::io::write_npy(dir + "/attributions.npy", ev.attributions.data(), {ev.examples, mo.input_length, 4});
        gx::write_bed(dir + "/examples.bed", test_windows);
        shap.push_back({"DeepSHAP", examples::explain_test_split(model, test, test_windows, shap_target, s, dir, fasta)});
        examples::write_run_record(dir, name, ev.metrics, h, t0);
        return std::pair{std::move(ev), std::move(h)};
    }, par.root());
    if (!par.root()) return 0;
    examples::write_summary(s.out + "/summary.tsv", runs, evs,
                            {"profile_jsd", "profile_pearson", "profile_spearman", "counts_pearson", "counts_spearman",
                             "fourier_score", "motif_auprc", "motif_share", "entropy", "seconds"});
    ap::report::profile_training_report(
        s.out + "/report.svg", runs, evs, hs, tracks.strands,
        [&](Index i, Index offset) { return test.example(i).chrom + ":" + std::to_string(test.input_start(i) + offset); },
        s.shuffles > 0 ? shap : std::vector<ap::report::SecondAttributions>{});
    std::printf("\noutputs in %s/ (summary.tsv, report.svg, one folder per model); %.0f s in total\n", s.out.c_str(),
                examples::seconds_since(t_start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    examples::Parallel par(&argc, &argv);  // mpirun -np R: data-parallel (examples/parallel.hpp)
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
    return par.run("train_profile", [&] { return run(s, simulated, par); });
}
