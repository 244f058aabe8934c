// stability — the paper's stability and small-data study in one command (docs/stability.md).
//
// For every prior x training fraction x seed it trains the binary model (train_binary's
// recipe) on a fixed, seed-independent subsample of the training split, keeps the
// best-validation weights, and attributes the same held-out test positives with each
// method. Then, per prior x fraction x method, it compares the seeds' attributions
// (cosine and continuous Jaccard, per example, mean over seed pairs) and summarises the
// task and attribution metrics over seeds. With no arguments it simulates the data.
// Outputs (--out):
//   runs/<prior>/fraction-<f>/seed-<s>/  one finished run: model.json + weights/,
//       attributions.<method>.npy (test positives x L x 4, float32), metrics.json,
//       history.tsv, DONE (written last; a re-run skips runs that have it);
//   stability.tsv (per group and example), stability.json (summaries), stability.svg,
//   examples.bed (the test positives, in the order of every attribution file).
// The program is parsing and set-up; the work is study::run_study, train::fit,
// study::group_stability and report::stability_figure.
#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/report/stability_report.hpp>
#include <attrprior/study/runs.hpp>
#include <attrprior/study/stability.hpp>
#include <attrprior/train/evaluate.hpp>

#include "train_common.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
namespace st = attrprior::study;
using ap::Index;

namespace {

struct Settings : examples::RunSettings, examples::BinaryDataSettings {
    Settings() {
        out = "stability_run";
        shuffles = 5;
        patience = 2;
        sim_positives = 1000;
        sim_chromosome_length = 200000;
        study.fractions = {0.25, 0.5, 1.0};
    }
    st::StudyOptions study;
    std::vector<std::string> methods{"grad", "deepshap"};
    std::uint64_t subsample_seed = 0;
};

/// What a finished run is made of: every setting that changes its results (not --out,
/// --threads or --jobs). A re-run with other settings refuses the old runs (study::run_finished).
ap::io::Json study_settings(const Settings& s, bool simulated) {
    ap::io::Json j = ap::io::Json::object();
    j["model"] = "binary";
    if (simulated) {
        j["simulation_positives"] = static_cast<std::int64_t>(s.sim_positives);
        j["simulation_chromosome_length"] = static_cast<std::int64_t>(s.sim_chromosome_length);
    } else {
        j["fasta"] = s.fasta;
        j["peaks"] = s.peaks;
        j["negatives"] = s.negatives;
        j["motif_sites"] = s.motif_sites;
    }
    j["length"] = static_cast<std::int64_t>(s.length);
    j["lambda"] = s.lambda;
    j["freq_limit"] = s.freq_limit;
    j["softness"] = s.softness;
    j["sigma"] = s.sigma;
    j["epochs"] = s.epochs;
    j["batch"] = static_cast<std::int64_t>(s.batch);
    j["lr"] = s.lr;
    j["patience"] = s.patience;
    j["jitter"] = static_cast<std::int64_t>(s.jitter);
    j["subsample_seed"] = static_cast<std::int64_t>(s.subsample_seed);
    j["shuffles"] = static_cast<std::int64_t>(s.shuffles);
    ap::io::Json::Array methods, valid, test;
    for (const auto& m : s.methods) methods.emplace_back(m);
    for (const auto& c : s.valid_chroms) valid.emplace_back(c);
    for (const auto& c : s.test_chroms) test.emplace_back(c);
    j["methods"] = ap::io::Json(std::move(methods));
    j["valid_chroms"] = ap::io::Json(std::move(valid));
    j["test_chroms"] = ap::io::Json(std::move(test));
    return j;
}

int run(Settings s, bool simulated) {
    const auto t_start = std::chrono::steady_clock::now();
    examples::check_run_settings(s);
    s.study.validate();
    for (const auto& p : s.study.priors) {
        Settings one = s;
        one.prior = p;
        examples::check_run_settings(one);  // names an unknown prior before any work
    }
    ap::require(!s.methods.empty(), "options", "--methods", "(none)", "must name at least one method");
    for (const auto& m : s.methods) {
        const auto method = ap::attribution::parse_method(m, "--methods");
        if (method != ap::attribution::Method::gradient && method != ap::attribution::Method::deep_shap)
            throw ap::invalid_argument("--methods = '" + m + "': the study compares models by grad or deepshap");
        if (method == ap::attribution::Method::deep_shap)
            ap::require(s.shuffles >= 1, "options", "--shuffles", s.shuffles, "must be >= 1 when --methods has deepshap");
    }
    ap::priors::validate(examples::fourier_options(s), s.length, "--freq-limit (with --length)");
    ap::models::BinaryModelOptions mo;
    mo.length = s.length;
    ap::models::make_binary_model<float>(mo);  // fails early, with the minimum length, if too short
    std::filesystem::create_directories(s.out);
    if (simulated) examples::simulate_binary_data(s.out + "/data", s, s, /*seed=*/1);
    if (s.fasta.empty() || s.peaks.empty())
        throw ap::invalid_argument("--fasta and --peaks are required (or run with no arguments to simulate)");
    const ap::io::Json settings = study_settings(s, simulated);
    const auto runs = st::study_runs(s.study);

    gx::Fasta fasta(s.fasta);
    const auto peaks = gx::read_narrowpeak(s.peaks);
    const auto negatives = s.negatives.empty() ? std::vector<gx::Interval>() : gx::read_bed(s.negatives);
    const auto sites = examples::read_motif_sites(s.motif_sites, fasta);
    gx::DatasetOptions dopt;
    dopt.length = s.length;
    dopt.valid_chroms = s.valid_chroms;
    dopt.test_chroms = s.test_chroms;
    dopt.seed = 1;  // negatives are part of the data set, the same for every run
    const gx::BinaryDataset data(fasta, peaks, negatives, dopt);
    std::cerr << data.report().summary() << "\n";
    const gx::BinaryExamples valid(data, gx::Split::valid), test(data, gx::Split::test);
    std::vector<gx::Example> positive_examples;
    std::vector<gx::Interval> positive_windows;
    std::vector<std::string> example_names;
    std::vector<Index> positive_rows;
    for (Index i = 0; i < test.size(); ++i) {
        const auto& e = test.example(i);
        if (e.label != 1) continue;
        positive_examples.push_back(e);
        positive_windows.push_back({e.chrom, e.start, e.start + s.length, "1", 0.0, e.start + s.length / 2});
        example_names.push_back(e.chrom + ":" + std::to_string(e.start) + "-" + std::to_string(e.start + s.length));
        positive_rows.push_back(i);
    }
    if (positive_examples.empty())
        throw ap::invalid_argument("the test split has no positives (check --test-chroms): nothing to compare");
    const gx::BinaryExamples positives(data, positive_examples);
    const Index P = positives.size(), L = s.length;
    std::vector<std::pair<std::string, Index>> windows;
    for (const auto& e : positive_examples) windows.emplace_back(e.chrom, e.start);
    const auto masks = gx::site_masks(windows, L, sites);
    std::vector<Index> all_positives(static_cast<std::size_t>(P));
    for (Index i = 0; i < P; ++i) all_positives[static_cast<std::size_t>(i)] = i;
    gx::write_bed(s.out + "/examples.bed", positive_windows);
    for (const auto& m : s.methods)
        if (m == "deepshap")
            std::fprintf(stderr, "each run explains %lld test positives (DeepSHAP: %lld shuffles each)\n",
                         static_cast<long long>(P), static_cast<long long>(s.shuffles));

    // Every fraction trains with the whole training set's steps per epoch (docs/stability.md).
    const Index full_steps_per_epoch = gx::BalancedBatcher(data, s.batch, s.batch).batches_per_epoch();
    examples::Parallel serial;  // one process: the study's runs are its parallelism (--jobs)
    st::run_study(runs, s.out, settings, s.study.jobs, [&](const st::StudyRun& r, const std::string& dir,
                                                          const st::RunContext& c) {
        const auto t0 = std::chrono::steady_clock::now();
        const gx::BinaryDataset train_data = data.with_train_fraction(r.fraction, s.subsample_seed);
        auto model = ap::models::make_binary_model<float>(mo, r.seed);
        Settings rs = s;
        rs.seed = r.seed;
        const std::string label = c.quiet ? std::string() : "[" + std::to_string(c.position) + "/" +
                                                                std::to_string(c.total) + "] " + r.name() + ":";
        const ap::train::History h =
            examples::fit_binary(model, train_data, valid, r.prior, rs, r.seed, label, full_steps_per_epoch, serial);
        ap::train::EvaluationOptions eo;
        eo.chunk = 4 * s.batch;
        eo.fourier = examples::fourier_options(s);
        ap::train::BinaryEvaluation ev = ap::train::evaluate_binary(model, test, eo);
        std::map<std::string, double> metrics;
        for (const char* k : {"accuracy", "auroc", "auprc"}) metrics[k] = ev.metrics.at(k);
        for (const auto& m : s.methods) {
            std::vector<float> a(static_cast<std::size_t>(P * L * 4), 0.f);
            if (m == "grad") {
                for (Index k = 0; k < P; ++k)
                    std::copy_n(ev.attributions.begin() + positive_rows[static_cast<std::size_t>(k)] * L * 4, L * 4,
                                a.begin() + k * L * 4);
            } else {
                ap::attribution::ExplainOptions xo;
                xo.method = ap::attribution::Method::deep_shap;
                xo.shuffles.count = s.shuffles;
                ap::attribution::for_each_chunk_of<float>(
                    positives, 64,
                    [&](const ap::attribution::Inputs<float>& inputs, Index first) {
                        return ap::attribution::explain(model, inputs, ap::attribution::Target::logits(), xo, first);
                    },
                    [&](Index first, const ap::attribution::Explanation<float>& e) {
                        std::copy(e.projected.begin(), e.projected.end(), a.begin() + first * L * 4);
                    });
            }
            const ap::ConstTensor3<float> view(a.data(), P, L, 4);
            for (const auto& [k, v] : ap::metrics::attribution_summary(view, all_positives, eo.fourier,
                                                                       sites.empty() ? nullptr : &masks))
                metrics[m + "." + k] = v;
            ap::io::write_npy(st::attributions_path(s.out, r, m), a.data(), {P, L, 4});
        }
        auto spec = ap::models::spec_of(mo);
        spec.extra = examples::training_record(r.prior, rs);
        spec.extra["fraction"] = r.fraction;
        ap::io::save_model(model, spec, dir);
        examples::write_run_record(dir, r.name(), metrics, h, t0);
    });

    // Compare the seeds of every (prior, fraction, method); the figure shows a typical
    // example (median Jaccard of the first prior at the largest fraction).
    const std::vector<st::GroupStability> groups = st::summarize_study(s.out, s.study, s.methods, P, L);
    st::write_stability_tsv(s.out + "/stability.tsv", groups, example_names);
    ap::io::write_json_file(s.out + "/stability.json", st::stability_json(groups, settings));
    ap::report::StabilityFigureData fig;
    fig.groups = groups;
    fig.priors = s.study.priors;
    fig.fractions = s.study.fractions;
    std::sort(fig.fractions.begin(), fig.fractions.end());
    fig.methods = s.methods;
    fig.seeds = s.study.seeds;
    fig.length = L;
    const std::size_t typical = st::typical_example(
        *st::find_group(groups, s.study.priors.front(), fig.fractions.back(), s.methods.front()));
    fig.example_name = example_names[typical];
    fig.example_attributions =
        st::example_attributions(s.out, s.study, fig.fractions.back(), s.methods.front(), typical, P, L);
    ap::report::stability_figure(s.out + "/stability.svg", fig);

    std::printf("\n%-8s %8s %-9s %22s %22s %15s\n", "prior", "fraction", "method", "jaccard median [IQR]",
                "cosine median [IQR]", "auroc mean+-sd");
    for (const auto& g : groups) {
        const auto& au = g.metrics.at("auroc");
        std::printf("%-8s %8s %-9s %8.3f [%.3f,%.3f] %8.3f [%.3f,%.3f] %7.3f+-%.3f\n", g.prior.c_str(),
                    st::fraction_label(g.fraction).c_str(), g.method.c_str(), g.jaccard_quartiles.median,
                    g.jaccard_quartiles.q1, g.jaccard_quartiles.q3, g.cosine_quartiles.median, g.cosine_quartiles.q1,
                    g.cosine_quartiles.q3, au.mean, au.sd);
    }
    std::printf("\noutputs in %s/ (stability.svg, stability.json, stability.tsv, runs/); %.0f s in total\n",
                s.out.c_str(), examples::seconds_since(t_start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"The stability study (attrprior): train the binary model for every prior x training fraction x "
                 "seed and compare the seeds' attributions of the same test positives.\n"
                 "Without arguments: simulate a data set; 3 seeds x 3 fractions (0.25, 0.5, 1) x {fourier, none}, 2 runs at a time."};
    examples::add_binary_data_options(app, s);
    examples::add_run_options(app, s, "positives (and negatives) per batch, each doubled by its reverse complement");
    app.remove_option(app.get_option("--prior"));
    app.remove_option(app.get_option("--compare"));
    app.remove_option(app.get_option("--seed"));
    app.get_option("--shuffles")->description("DeepSHAP references per test positive");
    app.add_option("--priors", s.study.priors, "priors to compare: fourier, none, smooth, sparse")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--train-fractions", s.study.fractions, "training-set fractions in (0, 1]")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--seeds", s.study.seeds, "seeds (initialisation and batch order; at least 2)")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--methods", s.methods, "attribution methods to compare models by: grad, deepshap")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--subsample-seed", s.subsample_seed, "seed of the training subsamples (the same for every seed)")
        ->capture_default_str();
    app.add_option("--jobs", s.study.jobs, "runs trained side by side (each with --threads / jobs threads)")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const bool simulate = s.fasta.empty() && s.peaks.empty();
    // The simulation's sizes (docs/stability.md, "The no-argument study").
    if (simulate && app.count("--length") == 0) s.length = 300;
    if (simulate && app.count("--batch") == 0) s.batch = 32;
    if (simulate && app.count("--epochs") == 0) s.epochs = 6;
    if (simulate && app.count("--jobs") == 0) s.study.jobs = 2;
    try {
        return run(s, simulate);
    } catch (const std::exception& e) {
        std::cerr << "stability: error: " << e.what() << "\n";
        return 1;
    }
}
