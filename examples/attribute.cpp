// attribute — explain a saved model on your regions (docs/interpret.md, "attribute").
//
//   attribute --model run/fourier --fasta genome.fa --peaks peaks.narrowPeak --out interp
//
// Reads the model directory that train_binary / train_profile / io::save_model wrote,
// centres windows of the model's input length on the regions' summits (narrowPeak column
// 10; BED: the midpoint), explains them (--method deepshap|ism|ig|grad) and writes into
// --out: <method>.ohe.npz and <method>.attr.npz (TF-MoDISco-lite's `modisco motifs -s -a`
// input), regions.bed, <method>.bw, seqlets.bed, convergence.tsv (DeepSHAP, IG),
// attribute.json and report.svg. Skipped regions are counted and named on stderr and in
// attribute.json. Without --peaks/--bed it explains <model>/examples.bed (a training run's
// test windows) with the FASTA of the no-argument demo (<model>/../data/genome.fa).
// The program is parsing and set-up; the work is genomics::load_regions,
// genomics::RegionExamples, genomics::attribute_regions and report::attribution_report.
#include <CLI/CLI.hpp>

#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/genomics/attribute_regions.hpp>
#include <attrprior/genomics/region_examples.hpp>
#include <attrprior/genomics/regions.hpp>
#include <attrprior/report/attribution_report.hpp>
#include <attrprior/report/progress.hpp>

#include "interpret_common.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace ap = attrprior;
namespace at = attrprior::attribution;
namespace gx = attrprior::genomics;
using ap::Index;

namespace {

struct Settings : examples::RegionSettings {
    std::string method = "deepshap";
    std::string references;
    std::string ig_baseline = "zero";
    Index shuffles = 20;
    std::uint64_t seed = 0;
    Index ig_steps = 50;
    Index batch = 64;
    double seqlet_threshold = 0.01;
    Index seqlet_flanks = 0;
    bool no_bigwig = false;
};

int run(Settings s) {
    const auto t_start = std::chrono::steady_clock::now();
    examples::check_region_settings(s, "attribute");
    ap::require(s.shuffles >= 1, "options", "--shuffles", s.shuffles, "must be >= 1");
    ap::require(s.ig_steps >= 1, "options", "--ig-steps", s.ig_steps, "must be >= 1");
    ap::require(s.batch >= 1, "options", "--batch", s.batch, "must be >= 1");
    gx::AttributeOptions o;
    o.explain.method = at::parse_method(s.method, "--method");
    o.explain.shuffles.count = s.shuffles;
    o.explain.shuffles.seed = s.seed;
    o.explain.batch = s.batch;
    o.explain.ig_steps = s.ig_steps;
    o.explain.ig_baseline = at::parse_baseline(s.ig_baseline, "--ig-baseline");
    o.chunk = s.chunk;
    o.seqlets.threshold = s.seqlet_threshold;
    o.seqlets.flanks = s.seqlet_flanks;
    o.bigwig = !s.no_bigwig;
    o.validate();

    examples::LoadedRegions in = examples::load(s);  // model, FASTA, regions, controls
    at::Target target = at::parse_target(s.target, s.task, in.layout.strands, "--target");
    // A profile model trained by train_profile records its attribution weighting: explain
    // with the same frozen weights (docs/interpret.md, "attribute").
    if (const ap::io::Json* w = in.saved.spec.extra.is_object() ? in.saved.spec.extra.find("weighting") : nullptr;
        target.kind == at::Target::Kind::profile && w != nullptr && w->is_string() &&
        w->as_string() == "log_probabilities")
        target.weighting = ap::train::ProfileWeighting::log_probabilities;
    target.validate(in.saved.model);
    ap::io::NpyArray<float> refs;
    if (!s.references.empty()) {
        refs = ap::io::read_npz<float>(s.references);
        std::fprintf(stderr, "references: %s, %s\n", s.references.c_str(),
                     ap::io::detail::shape_repr(refs.shape).c_str());
    }
    std::fprintf(stderr, "explaining %lld regions with %s (target %s)\n", static_cast<long long>(in.examples->size()),
                 s.method.c_str(), target.describe().c_str());
    ap::report::ProgressBar bar("attribute", in.examples->size());
    const gx::AttributeResult r = gx::attribute_regions(
        in.saved.model, *in.examples, target, o, s.out, gx::chromosome_sizes(*in.fasta),
        s.references.empty() ? nullptr : &refs, in.regions.input_index,
        [&](Index, Index done, Index) { bar.update(done); });
    bar.finish();

    ap::io::Json j = examples::run_record(s, in);
    j["method"] = s.method;
    j["target"] = target.describe();
    const bool shuffled = s.references.empty() && (o.explain.method == at::Method::deep_shap ||
                                                    (o.explain.method == at::Method::integrated_gradients &&
                                                     o.explain.ig_baseline == at::Baseline::shuffles));
    if (shuffled) {
        j["shuffles"] = s.shuffles;
        j["seed"] = static_cast<std::int64_t>(s.seed);
    }
    if (o.explain.method == at::Method::integrated_gradients) {
        j["ig_steps"] = s.ig_steps;
        j["ig_baseline"] = s.references.empty() ? s.ig_baseline : "references";
    }
    j["references_file"] = s.references;
    j["references_per_region"] = r.references;
    j["convergence_warnings"] = r.warnings;
    j["max_relative_delta"] = r.max_relative_delta;
    j["degenerate_regions"] = r.degenerate;
    j["seqlets"] = static_cast<Index>(r.seqlets.size());
    j["seconds_explaining"] = r.seconds;
    j["note"] = r.note;
    ap::io::write_json_file(s.out + "/attribute.json", j);

    ap::report::attribution_report(s.out + "/report.svg",
                                   gx::attribution_report_data(r, in.examples->windows(), target.describe(),
                                                               in.regions.report.skipped(), o.explain.warn_factor));

    if (!r.note.empty()) std::fprintf(stderr, "note: %s\n", r.note.c_str());
    if (r.warnings > 0)
        std::fprintf(stderr, "warning: %lld of %lld (region, reference) pairs have |delta| above 1e-3 x max(1, |f|) "
                             "(largest relative %.3g; see convergence.tsv)\n",
                     static_cast<long long>(r.warnings), static_cast<long long>(r.delta.size()), r.max_relative_delta);
    if (r.degenerate > 0)
        std::fprintf(stderr, "note: %lld region(s) have no shuffle that differs from them: their scores are 0\n",
                     static_cast<long long>(r.degenerate));
    std::printf("%lld regions explained with %s in %.1f s (%lld skipped, see above); %zu seqlets\n",
                static_cast<long long>(r.regions), s.method.c_str(), r.seconds,
                static_cast<long long>(in.regions.report.skipped()), r.seqlets.size());
    std::printf("outputs in %s/: %s.ohe.npz + %s.attr.npz (modisco motifs -s ... -a ...), regions.bed, %s%s "
                "seqlets.bed,%s attribute.json, report.svg; %.0f s in total\n",
                s.out.c_str(), r.prefix.c_str(), r.prefix.c_str(), o.bigwig ? r.prefix.c_str() : "",
                o.bigwig ? ".bw," : "", r.references > 0 ? " convergence.tsv," : "",
                examples::seconds_since(t_start));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"Explain a saved attrprior model on regions: TF-MoDISco input, contribution bigWig, seqlets, "
                 "report (attrprior)."};
    examples::add_region_options(app, s, true);
    app.add_option("--method", s.method, "deepshap, ism, ig or grad")->capture_default_str();
    app.add_option("--shuffles", s.shuffles, "deepshap (and --ig-baseline shuffle): dinucleotide shuffles per region")
        ->capture_default_str();
    app.add_option("--seed", s.seed, "shuffle seed")->capture_default_str();
    app.add_option("--references", s.references,
                   "your references instead of shuffles: .npz with arr_0 float32 R x K x 4 x L, one row per record "
                   "of the region file (deepshap, ig)");
    app.add_option("--ig-steps", s.ig_steps, "ig: Gauss-Legendre points")->capture_default_str();
    app.add_option("--ig-baseline", s.ig_baseline, "ig: zero or shuffle")->capture_default_str();
    app.add_option("--batch", s.batch, "rows per pass: (region, reference) pairs, mutants or points")
        ->capture_default_str();
    app.add_option("--seqlet-threshold", s.seqlet_threshold, "seqlets: p-value threshold")->capture_default_str();
    app.add_option("--seqlet-flanks", s.seqlet_flanks, "seqlets: positions added on each side")->capture_default_str();
    app.add_flag("--no-bigwig", s.no_bigwig, "do not write the contribution bigWig");
    CLI11_PARSE(app, argc, argv);
    try {
        return run(s);
    } catch (const std::exception& e) {
        std::cerr << "attribute: error: " << e.what() << "\n";
        return 1;
    }
}
