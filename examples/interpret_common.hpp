// What attribute and predict share: the options that name a saved model and the regions
// to run it on, and loading them (model directory, FASTA, regions with the skip report,
// control tracks for profile models with controls) through the library.
#pragma once

#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/genomics/predict_regions.hpp>
#include <attrprior/genomics/profile_tracks.hpp>
#include <attrprior/genomics/region_examples.hpp>
#include <attrprior/genomics/regions.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace examples {

namespace ap = attrprior;
namespace gx = attrprior::genomics;
using ap::Index;

struct RegionSettings {
    std::string model, fasta, peaks, bed, out;
    std::string target;  ///< empty: logits for binary models, profile for profile models
    Index task = -1;
    Index chunk = 64;
    int threads = 0;
    double max_n_fraction = 1.0;
    std::vector<std::string> control_plus, control_minus;
};

/// The options of both programs; `targets`: also --target and --task (attribute).
inline void add_region_options(CLI::App& app, RegionSettings& s, bool targets) {
    app.add_option("--model", s.model, "saved model directory (model.json + weights/), e.g. run/fourier")->required();
    app.add_option("--fasta", s.fasta, "genome FASTA (default: <model>/../data/genome.fa, the demo's)");
    app.add_option("--peaks", s.peaks, "regions: narrowPeak, windows centred on the summits (column 10)");
    app.add_option("--bed", s.bed, "regions: BED, windows centred on the midpoints (default: <model>/examples.bed)");
    if (targets) {
        app.add_option("--target", s.target,
                       "logits (binary models), profile or counts (profile models), bpnet_lite; default by model");
        app.add_option("--task", s.task, "task to explain (-1: the sum over tasks)")->capture_default_str();
    }
    app.add_option("--control-plus", s.control_plus, "profile models with controls: control plus-strand bigWig(s)");
    app.add_option("--control-minus", s.control_minus, "control minus-strand bigWig(s), one per --control-plus");
    app.add_option("--max-n-fraction", s.max_n_fraction, "skip windows with more N than this (1: keep all)")
        ->capture_default_str();
    app.add_option("--chunk", s.chunk, "regions per pass (and per progress step)")->capture_default_str();
    app.add_option("--threads", s.threads, "OpenMP threads (0 = all cores)")->capture_default_str();
    app.add_option("--out", s.out, "output directory (default: <model>/attribute or <model>/predict)");
}

/// Checks the options before any work; fills the defaults that depend on --model.
inline void check_region_settings(RegionSettings& s, const std::string& default_out) {
    ap::require(s.threads >= 0, "options", "--threads", s.threads, "must be >= 0 (0 = all cores)");
    ap::require(s.chunk >= 1, "options", "--chunk", s.chunk, "must be >= 1");
    ap::require(s.task >= -1, "options", "--task", s.task, "must be -1 (all tasks) or a task index");
    ap::require(s.max_n_fraction >= 0 && s.max_n_fraction <= 1, "options", "--max-n-fraction", s.max_n_fraction,
                "must be in [0, 1]");
    if (!s.peaks.empty() && !s.bed.empty()) throw ap::invalid_argument("give --peaks or --bed, not both");
    if (s.peaks.empty() && s.bed.empty()) s.bed = s.model + "/examples.bed";
    if (s.fasta.empty()) s.fasta = s.model + "/../data/genome.fa";
    if (s.out.empty()) s.out = s.model + "/" + default_out;
#ifdef _OPENMP
    if (s.threads > 0) omp_set_num_threads(s.threads);
#endif
}

/// The model, FASTA, regions and example set a program runs on.
struct LoadedRegions {
    explicit LoadedRegions(ap::io::SavedModel<float> model) : saved(std::move(model)) {}
    ap::io::SavedModel<float> saved;
    gx::ModelLayout layout;
    std::unique_ptr<gx::Fasta> fasta;
    std::string region_file;
    gx::RegionWindows regions;
    std::vector<std::unique_ptr<gx::BigWigReader>> controls;
    std::unique_ptr<gx::RegionExamples> examples;
};

inline LoadedRegions load(RegionSettings& s) {
    LoadedRegions in(ap::io::load_model<float>(s.model));
    in.layout = gx::layout_of(in.saved.model, in.saved.spec);
    if (s.target.empty()) s.target = in.layout.profile ? "profile" : "logits";
    if (!std::filesystem::exists(s.fasta))
        throw ap::invalid_argument("--fasta: '" + s.fasta + "' does not exist (give the genome the model was trained on)");
    in.fasta = std::make_unique<gx::Fasta>(s.fasta);
    in.region_file = s.peaks.empty() ? s.bed : s.peaks;
    const auto records = s.peaks.empty() ? gx::read_bed(s.bed) : gx::read_narrowpeak(s.peaks);
    gx::RegionOptions ro;
    ro.source = in.region_file;
    ro.max_n_fraction = s.max_n_fraction;
    const Index L = in.saved.model.input_shape(0).length;
    in.regions = gx::load_regions(records, *in.fasta, L, ro);
    std::fprintf(stderr, "%s\n", in.regions.report.summary().c_str());
    if (in.regions.windows.empty())
        throw ap::invalid_argument(in.region_file + ": no region left to run on (see the counts above)");

    std::vector<const gx::BigWigReader*> controls;
    if (in.layout.controls > 0) {
        if (s.control_plus.empty())
            throw ap::invalid_argument(ap::detail::concat(
                "the model takes ", in.layout.controls, " control track(s) (input 1): give them with --control-plus "
                "(and --control-minus for two strands), as for train_profile"));
        in.controls = gx::detail::open_stranded(s.control_plus, s.control_minus, gx::chromosome_sizes(*in.fasta),
                                                "control");
        if (static_cast<Index>(in.controls.size()) != in.layout.controls)
            throw ap::invalid_argument(ap::detail::concat("--control-plus/--control-minus give ", in.controls.size(),
                                                          " track(s) but the model takes ", in.layout.controls));
        for (const auto& t : in.controls) controls.push_back(t.get());
    } else if (!s.control_plus.empty()) {
        throw ap::invalid_argument("--control-plus: the model takes no control tracks");
    }
    in.examples = std::make_unique<gx::RegionExamples>(*in.fasta, in.regions.windows, L, controls,
                                                       in.layout.profile ? in.layout.output_length : 0);
    return in;
}

/// What every program records of its inputs (attribute.json, predict.json).
inline ap::io::Json run_record(const RegionSettings& s, const LoadedRegions& in) {
    const gx::RegionReport& r = in.regions.report;
    ap::io::Json j = ap::io::Json::object();
    j["model"] = s.model;
    j["fasta"] = s.fasta;
    j["regions_file"] = in.region_file;
    j["records"] = r.records;
    j["regions"] = r.kept;
    j["skipped_unknown_chromosome"] = r.skipped_unknown_chrom;
    j["skipped_past_chromosome_end"] = r.skipped_past_end;
    j["skipped_too_many_n"] = r.skipped_n;
    j["kept_with_n"] = r.kept_with_n;
    j["duplicates"] = r.duplicates;
    j["length"] = in.examples->length();
    return j;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace examples
