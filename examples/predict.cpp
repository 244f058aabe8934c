// predict — a saved model's predictions on your regions (docs/interpret.md, "predict").
//
//   predict --model run/fourier --fasta genome.fa --peaks peaks.narrowPeak --out pred
//
// Writes into --out: predictions.tsv (binary: logit and probability per task; profile:
// predicted total counts per task and strand), for profile models predicted.<task>.<strand>.bw
// (predicted probability x predicted total counts over each region's output window, as
// chrombpnet's prediction bigWigs), and predict.json. With labels it also computes the
// training programs' metrics on the same data sets they build: binary models with
// --negatives (the --peaks are the positives), profile models with --bigwig-plus
// (/--bigwig-minus) (the observed reads), with those data sets' defaults (windows with more
// than 10% N are left out, whatever --max-n-fraction says for predictions.tsv). The work is genomics::predict_regions,
// write_predictions_tsv, write_predicted_profile_bigwigs and train::evaluate_binary /
// evaluate_profile.
#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/genomics/predict_regions.hpp>
#include <attrprior/report/progress.hpp>
#include <attrprior/train/evaluate.hpp>

#include "interpret_common.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
using ap::Index;

namespace {

struct Settings : examples::RegionSettings {
    std::string negatives;
    std::vector<std::string> bigwig_plus, bigwig_minus;
};

/// The training programs' metrics on the data set they would build from these files.
std::map<std::string, double> labelled_metrics(const Settings& s, examples::LoadedRegions& in) {
    auto& model = in.saved.model;
    ap::train::EvaluationOptions eo;
    eo.chunk = s.chunk;
    if (!in.layout.profile) {
        gx::DatasetOptions dopt;  // the training programs' defaults (max_n_fraction 0.1)
        dopt.length = model.input_shape(0).length;
        const gx::BinaryDataset data(*in.fasta, gx::read_narrowpeak(s.peaks), gx::read_bed(s.negatives), dopt);
        std::fprintf(stderr, "labelled set: %s\n", data.report().summary().c_str());
        auto ev = ap::train::evaluate_binary(model, gx::BinaryExamples(data, gx::Split::train), eo);
        ev.metrics["examples"] = static_cast<double>(ev.examples);
        return ev.metrics;
    }
    std::vector<std::string> control_plus = s.control_plus, control_minus = s.control_minus;
    const gx::ProfileTracks tracks = gx::open_profile_tracks(s.bigwig_plus, s.bigwig_minus, control_plus,
                                                             control_minus, gx::chromosome_sizes(*in.fasta));
    gx::ProfileDatasetOptions dopt;
    dopt.input_length = model.input_shape(0).length;
    dopt.output_length = in.layout.output_length;
    dopt.strands = tracks.strands;
    const gx::ProfileDataset data(*in.fasta, gx::read_narrowpeak(s.peaks), tracks.signal_tracks(),
                                  tracks.control_tracks(), dopt);
    std::fprintf(stderr, "labelled set: %s\n", data.report().summary().c_str());
    auto ev = ap::train::evaluate_profile(model, gx::ProfileExamples(data, gx::Split::train), ap::train::ProfileTarget(),
                                          eo);
    ev.metrics["examples"] = static_cast<double>(ev.examples);
    return ev.metrics;
}

int run(Settings s) {
    const auto t_start = std::chrono::steady_clock::now();
    examples::check_region_settings(s, "predict");
    const bool labelled = !s.negatives.empty() || !s.bigwig_plus.empty();
    if (labelled && s.peaks.empty())
        throw ap::invalid_argument("--negatives / --bigwig-plus need --peaks (the labelled regions)");
    examples::LoadedRegions in = examples::load(s);
    if (!s.negatives.empty() && in.layout.profile)
        throw ap::invalid_argument("--negatives: the model is a profile model; give --bigwig-plus for its metrics");
    if (!s.bigwig_plus.empty() && !in.layout.profile)
        throw ap::invalid_argument("--bigwig-plus: the model is binary; give --negatives for its metrics");

    const Index N = in.examples->size();
    std::fprintf(stderr, "predicting %lld regions\n", static_cast<long long>(N));
    ap::report::ProgressBar bar("predict", N);
    const auto t0 = std::chrono::steady_clock::now();
    const gx::RegionPredictions p = gx::predict_regions(in.saved.model, in.layout, *in.examples, s.chunk,
                                                        [&](Index, Index done, Index) { bar.update(done); });
    bar.finish();
    const double seconds = examples::seconds_since(t0);
    std::filesystem::create_directories(s.out);
    std::vector<std::string> files{s.out + "/predictions.tsv"};
    gx::write_predictions_tsv(files.back(), in.examples->windows(), p);
    if (in.layout.profile) {
        for (const std::string& f :
             gx::write_predicted_profile_bigwigs(s.out + "/predicted", *in.examples, p, gx::chromosome_sizes(*in.fasta)))
            files.push_back(f);
    }

    ap::io::Json j = examples::run_record(s, in);
    j["model_kind"] = in.layout.profile ? "profile" : "binary";
    j["seconds_predicting"] = seconds;
    if (labelled) {
        ap::io::Json m = ap::io::Json::object();
        for (const auto& [k, v] : labelled_metrics(s, in)) {
            m[k] = v;
            std::printf("  %-20s %.6g\n", k.c_str(), v);
        }
        j["metrics"] = m;
    }
    files.push_back(s.out + "/predict.json");
    ap::io::write_json_file(files.back(), j);
    std::printf("%lld regions predicted in %.1f s (%lld skipped, see above); outputs in %s/:", static_cast<long long>(N),
                seconds, static_cast<long long>(in.regions.report.skipped()), s.out.c_str());
    for (const std::string& f : files) std::printf(" %s", std::filesystem::path(f).filename().c_str());
    std::printf("; %.0f s in total\n", examples::seconds_since(t_start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"Predictions of a saved attrprior model on regions, and its metrics when labels are given."};
    examples::add_region_options(app, s, false);
    app.add_option("--negatives", s.negatives, "binary models: negative windows (BED); with --peaks: metrics");
    app.add_option("--bigwig-plus", s.bigwig_plus, "profile models: observed plus-strand reads, one per task: metrics");
    app.add_option("--bigwig-minus", s.bigwig_minus, "observed minus-strand reads, one per --bigwig-plus");
    CLI11_PARSE(app, argc, argv);
    try {
        return run(s);
    } catch (const std::exception& e) {
        std::cerr << "predict: error: " << e.what() << "\n";
        return 1;
    }
}
