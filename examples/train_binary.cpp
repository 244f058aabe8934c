// train_binary — the paper's binary-model experiment end to end (docs/models.md §1-2,
// docs/data.md §2-4, docs/math.md §5).
//
// With no arguments it simulates a genome with SPI1 sites planted in the positive
// regions, trains the binary model with the Fourier prior and without, and prints a
// side-by-side table. With --fasta/--peaks it trains on your data. Outputs (--out):
//   <prior>/model.json + weights/ (a saved model: io::load_model reloads it),
//   <prior>/attributions.npy (N x L x 4 float32, test examples, grad x input),
//   <prior>/attribution/ (DeepSHAP of the test positives as the attribute program writes it:
//   TF-MoDISco npz pair, bigWig, seqlets; --shuffles 0 skips it),
//   <prior>/examples.bed, <prior>/metrics.json, <prior>/history.tsv, summary.tsv, report.svg.
// The program is parsing and set-up; the work is train::fit, train::evaluate_binary,
// io::save_model and report::binary_training_report.
#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/report/training_report.hpp>
#include <attrprior/train/evaluate.hpp>

#include "parallel.hpp"
#include "train_common.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
namespace fs = std::filesystem;
using ap::Index;

namespace {

struct Settings : examples::RunSettings, examples::BinaryDataSettings {
    Settings() { out = "attrprior_run"; }
};

int run(Settings s, bool simulated, examples::Parallel& par) {
    const auto t_start = std::chrono::steady_clock::now();
    examples::check_run_settings(s);
    ap::priors::validate(examples::fourier_options(s), s.length, "--freq-limit (with --length)");
    ap::models::BinaryModelOptions mo;
    mo.length = s.length;
    ap::models::make_binary_model<float>(mo);  // fails early, with the minimum length, if too short
    if (par.root()) fs::create_directories(s.out);
    if (simulated) {  // rank 0 writes the files, the others wait for them
        examples::simulate_binary_data(s.out + "/data", s, s, s.seed, par.root());
        par.barrier();
    }
    if (s.fasta.empty() || s.peaks.empty())
        throw ap::invalid_argument("--fasta and --peaks are required (or run with no arguments to simulate)");
    if (par.root()) gx::Fasta(s.fasta);  // indexes it once, before the other ranks open it
    par.barrier();
    gx::Fasta fasta(s.fasta);
    const auto peaks = gx::read_narrowpeak(s.peaks);
    const auto negatives = s.negatives.empty() ? std::vector<gx::Interval>() : gx::read_bed(s.negatives);
    const auto sites = examples::read_motif_sites(s.motif_sites, fasta);
    gx::DatasetOptions dopt;
    dopt.length = s.length;
    dopt.valid_chroms = s.valid_chroms;
    dopt.test_chroms = s.test_chroms;
    dopt.seed = s.seed;
    par.log() << "building the dataset\n";
    const gx::BinaryDataset data(fasta, peaks, negatives, dopt);
    par.log() << data.report().summary() << "\n";
    const gx::BinaryExamples valid(data, gx::Split::valid), test(data, gx::Split::test);
    if (test.size() == 0) throw ap::invalid_argument("the test split is empty (check --test-chroms)");
    std::vector<std::pair<std::string, Index>> windows;
    for (Index i = 0; i < test.size(); ++i) windows.emplace_back(test.example(i).chrom, test.example(i).start);
    const auto masks = gx::site_masks(windows, s.length, sites);

    std::vector<gx::Interval> test_windows;  // the test rows as regions (examples.bed)
    std::vector<gx::Example> test_positives;  // what DeepSHAP explains (attribution/ holds peaks only)
    std::vector<gx::Interval> positive_windows;
    std::vector<Index> positive_rows;
    for (Index i = 0; i < test.size(); ++i) {
        const auto& e = test.example(i);
        test_windows.push_back({e.chrom, e.start, e.start + s.length, std::to_string(e.label), 0.0, e.start + s.length / 2});
        if (e.label != 1) continue;
        test_positives.push_back(e);
        positive_windows.push_back(test_windows.back());
        positive_rows.push_back(i);
    }
    const gx::BinaryExamples positives(data, test_positives);

    const auto runs = examples::run_names(s.prior, s.compare || simulated);
    std::vector<ap::report::SecondAttributions> shap;  // per run: DeepSHAP next to gradient x input
    const auto [evs, hs] = examples::run_all<ap::train::BinaryEvaluation>(runs, s.out, [&](const std::string& name,
                                                                                           const std::string& dir, auto t0) {
        auto model = ap::models::make_binary_model<float>(mo, s.seed);
        const ap::train::History h = examples::fit_binary(model, data, valid, name, s, s.seed, name, 0, par);
        ap::train::EvaluationOptions eo;
        eo.chunk = 4 * s.batch;
        eo.fourier = examples::fourier_options(s);
        eo.site_masks = sites.empty() ? nullptr : &masks;
        ap::train::BinaryEvaluation ev = par.evaluate_binary(model, test, eo);
        if (!par.root()) return std::pair{std::move(ev), std::move(h)};  // rank 0 writes
        auto spec = ap::models::spec_of(mo);
        spec.extra = examples::training_record(name, s);
        ap::io::save_model(model, spec, dir);
        ap::io::write_npy(dir + "/attributions.npy", ev.attributions.data(), {ev.examples, s.length, 4});
        gx::write_bed(dir + "/examples.bed", test_windows);
        // DeepSHAP of the positives, placed at their rows of the test split for the report.
        const std::vector<float> p = examples::explain_test_split(model, positives, positive_windows,
                                                                  ap::attribution::Target::logits(), s, dir, fasta);
        std::vector<float> scores(p.empty() ? 0 : static_cast<std::size_t>(test.size() * s.length * 4), 0.f);
        for (std::size_t k = 0; k < positive_rows.size() && !p.empty(); ++k)
            std::copy_n(p.begin() + static_cast<std::ptrdiff_t>(k) * s.length * 4, s.length * 4,
                        scores.begin() + positive_rows[k] * s.length * 4);
        shap.push_back({"DeepSHAP", std::move(scores)});
        examples::write_run_record(dir, name, ev.metrics, h, t0);
        return std::pair{std::move(ev), std::move(h)};
    }, par.root());
    if (!par.root()) return 0;
    examples::write_summary(s.out + "/summary.tsv", runs, evs,
                            {"accuracy", "auroc", "auprc", "fourier_score", "motif_auprc", "motif_share", "entropy",
                             "seconds"});
    ap::report::binary_training_report(
        s.out + "/report.svg", runs, evs, hs,
        [&](Index i, Index offset) {
            return test.example(i).chrom + ":" + std::to_string(test.example(i).start + offset);
        },
        s.shuffles > 0 ? shap : std::vector<ap::report::SecondAttributions>{});
    std::printf("\noutputs in %s/ (summary.tsv, report.svg, one folder per model); %.0f s in total\n", s.out.c_str(),
                examples::seconds_since(t_start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    examples::Parallel par(&argc, &argv);  // mpirun -np R: data-parallel (examples/parallel.hpp)
    Settings s;
    CLI::App app{"Train the paper's binary model with an attribution prior (attrprior).\n"
                 "Without arguments: simulate a data set, train with the Fourier prior and without, compare."};
    examples::add_binary_data_options(app, s);
    examples::add_run_options(app, s, "positives (and negatives) per batch, each doubled by its reverse complement");
    CLI11_PARSE(app, argc, argv);
    const bool simulate = s.fasta.empty() && s.peaks.empty();
    if (simulate && app.count("--length") == 0) s.length = 400;  // documented simulation size
    if (simulate && app.count("--batch") == 0) s.batch = 32;
    if (simulate && app.count("--epochs") == 0) s.epochs = 12;
    return par.run("train_binary", [&] { return run(s, simulate, par); });
}
