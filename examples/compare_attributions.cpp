// compare_attributions — which attribution method to read inside planted sites
// (docs/attribution.md, "Which method to read: signs inside planted sites").
//
// Given the output folder of train_binary (--run), for each saved model (fourier, none) it
// explains the test positives that hold a planted site (the first --examples of them in
// examples.bed order) with Target::logits() by
//   grad_x_input   gradient x input, plain (centred = false): what the prior penalises
//   grad_centred   gradient x input, mean-centred over the four bases
//   ism            in-silico mutagenesis, mean-centred scores
//   deep_shap      DeepLIFT against --shuffles dinucleotide shuffles (seed --seed)
// and reports, per method, on the per-position tracks p_i (projected scores summed over
// the bases): how many examples have a NEGATIVE sum of p_i over their site positions, in
// how many that sum has the sign of ISM's sum over the same positions, and
// the Pearson correlation of p_i with ISM's p_i, pooled over all site positions of all
// examples and over all positions. Prints the table and writes <run>/attribution_signs.tsv.
// The program is parsing and printing; the work is io::load_model,
// genomics::encode_windows / site_masks and the attribution:: methods.
#include <CLI/CLI.hpp>

#include <attrprior/attribution/deeplift.hpp>
#include <attrprior/attribution/gradient.hpp>
#include <attrprior/attribution/ism.hpp>
#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace ap = attrprior;
namespace at = attrprior::attribution;
namespace gx = attrprior::genomics;
using ap::Index;

namespace {

struct Settings {
    std::string run = "attrprior_run";  // train_binary's default --out
    std::string fasta, sites;           // default: <run>/data/genome.fa, <run>/data/motif_sites.bed
    std::vector<std::string> models{"fourier", "none"};
    Index examples = 150;
    Index shuffles = 20;
    std::uint64_t seed = 0;
};

struct Row {
    std::string model, method;
    Index negative = 0, examples = 0, agrees_with_ism = 0;
    double r_sites = 0, r_all = 0, seconds = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The rows of one model: every method's tracks against ISM's.
std::vector<Row> compare(const Settings& s, const std::string& name, const gx::Fasta& fasta,
                         const std::vector<gx::Interval>& sites) {
    const std::string dir = s.run + "/" + name;
    ap::io::SavedModel<float> saved = ap::io::load_model<float>(dir);
    auto& model = saved.model;
    const Index L = model.input_shape(0).length;

    // The test positives with a planted site, in file order.
    std::vector<gx::Interval> windows;
    for (const gx::Interval& w : gx::read_bed(dir + "/examples.bed"))
        if (w.name == "1") windows.push_back(w);
    std::vector<std::vector<char>> masks = gx::site_masks(windows, L, sites), chosen_masks;
    std::vector<gx::Interval> chosen;
    for (std::size_t i = 0; i < windows.size() && Index(chosen.size()) < s.examples; ++i) {
        bool any = false;
        for (char m : masks[i]) any = any || m;
        if (!any) continue;
        chosen.push_back(windows[i]);
        chosen_masks.push_back(masks[i]);
    }
    ap::require(!chosen.empty(), "compare_attributions", "examples", dir + "/examples.bed",
                "has no positive window with a site of the --sites file");
    const Index B = Index(chosen.size());
    std::fprintf(stderr, "%s: %lld test positives with a planted site (of %zu positives), L = %lld\n", name.c_str(),
                 static_cast<long long>(B), windows.size(), static_cast<long long>(L));
    const std::vector<float> x = gx::encode_windows<float>(fasta, chosen, L);
    const at::Inputs<float> inputs{ap::ConstTensor3<float>(x.data(), B, L, 4)};
    const at::Target target = at::Target::logits();

    // Per method, the track p[b * L + i].
    std::vector<std::string> methods;
    std::vector<std::vector<double>> tracks;
    std::vector<double> seconds;
    const auto keep = [&](const std::string& method, const at::Scores<float>& scores, double t) {
        std::vector<double> p(static_cast<std::size_t>(B * L));
        for (Index b = 0; b < B; ++b)
            for (Index i = 0; i < L; ++i) p[static_cast<std::size_t>(b * L + i)] = scores.track(b, i);
        methods.push_back(method);
        tracks.push_back(std::move(p));
        seconds.push_back(t);
        std::fprintf(stderr, "  %-13s %7.1f s\n", method.c_str(), t);
    };
    // Each method is timed on its own (scores first: argument order is unspecified).
    auto t0 = std::chrono::steady_clock::now();
    at::GradientOptions plain;
    plain.centred = false;
    const at::Scores<float> gx_plain = at::gradient_times_input(model, inputs, target, plain);
    keep("grad_x_input", gx_plain, seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    const at::Scores<float> gx_centred = at::gradient_times_input(model, inputs, target);
    keep("grad_centred", gx_centred, seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    at::DeepShapOptions so;
    so.shuffles.count = s.shuffles;
    so.shuffles.seed = s.seed;
    const at::DeepLiftScores<float> shap = at::deep_shap(model, inputs, target, so);
    keep("deep_shap", shap, seconds_since(t0));
    Index degenerate = 0;
    for (char d : shap.degenerate) degenerate += d ? 1 : 0;
    if (degenerate > 0 || shap.warnings > 0)
        std::fprintf(stderr, "  deep_shap: %lld degenerate example(s), %lld pair(s) above the convergence threshold\n",
                     static_cast<long long>(degenerate), static_cast<long long>(shap.warnings));
    t0 = std::chrono::steady_clock::now();
    const at::IsmScores<float> mutagenesis = at::ism(model, inputs, target);
    keep("ism", mutagenesis, seconds_since(t0));
    const std::vector<double>& ism = tracks.back();

    std::vector<Row> rows;
    for (std::size_t k = 0; k < methods.size(); ++k) {
        Row r{name, methods[k], 0, B, 0, 0, 0, seconds[k]};
        std::vector<double> in_method, in_ism;
        for (Index b = 0; b < B; ++b) {
            double sum = 0, sum_ism = 0;
            for (Index i = 0; i < L; ++i) {
                if (!chosen_masks[static_cast<std::size_t>(b)][static_cast<std::size_t>(i)]) continue;
                const std::size_t e = static_cast<std::size_t>(b * L + i);
                sum += tracks[k][e];
                sum_ism += ism[e];
                in_method.push_back(tracks[k][e]);
                in_ism.push_back(ism[e]);
            }
            if (sum < 0) ++r.negative;
            if ((sum < 0) == (sum_ism < 0)) ++r.agrees_with_ism;
        }
        r.r_sites = ap::metrics::pearson(in_method, in_ism);
        r.r_all = ap::metrics::pearson(tracks[k], ism);
        rows.push_back(r);
    }
    return rows;
}

int run(const Settings& s) {
    ap::require(s.examples >= 1, "options", "--examples", s.examples, "must be >= 1");
    ap::require(s.shuffles >= 1, "options", "--shuffles", s.shuffles, "must be >= 1");
    const gx::Fasta fasta(s.fasta.empty() ? s.run + "/data/genome.fa" : s.fasta);
    const auto sites = gx::read_bed(s.sites.empty() ? s.run + "/data/motif_sites.bed" : s.sites);
    std::vector<Row> rows;
    for (const std::string& name : s.models)
        for (Row& r : compare(s, name, fasta, sites)) rows.push_back(std::move(r));

    const std::string path = s.run + "/attribution_signs.tsv";
    std::ofstream tsv(path);
    tsv << "model\tmethod\texamples\tnegative_in_sites\tsign_agrees_with_ism\tpearson_ism_sites\tpearson_ism_all"
           "\tseconds\n";
    std::printf("\n%-8s %-13s %17s %15s %12s %12s %9s\n", "model", "method", "negative in sites", "sign as ISM's",
                "r_ism sites", "r_ism all", "seconds");
    for (const Row& r : rows) {
        tsv << r.model << '\t' << r.method << '\t' << r.examples << '\t' << r.negative << '\t' << r.agrees_with_ism
            << '\t' << r.r_sites << '\t' << r.r_all << '\t' << r.seconds << '\n';
        const std::string neg = std::to_string(r.negative) + " / " + std::to_string(r.examples);
        const std::string agree = std::to_string(r.agrees_with_ism) + " / " + std::to_string(r.examples);
        std::printf("%-8s %-13s %17s %15s %12.3f %12.3f %9.1f\n", r.model.c_str(), r.method.c_str(), neg.c_str(),
                    agree.c_str(), r.r_sites, r.r_all, r.seconds);
    }
    tsv.close();
    if (!tsv) throw ap::io_error("cannot write " + path);
    std::printf("\nwritten to %s\n", path.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"Compare attribution methods on a train_binary run: how often the attribution summed over the "
                 "planted sites is negative, and how well each method's per-position track agrees with ISM."};
    app.add_option("--run", s.run, "train_binary's output folder (its --out)")->capture_default_str();
    app.add_option("--models", s.models, "saved models under --run")->delimiter(',')->capture_default_str();
    app.add_option("--fasta", s.fasta, "genome FASTA (default: <run>/data/genome.fa)");
    app.add_option("--sites", s.sites, "planted sites BED (default: <run>/data/motif_sites.bed)");
    app.add_option("--examples", s.examples, "test positives with a site to explain (the first ones)")
        ->capture_default_str();
    app.add_option("--shuffles", s.shuffles, "DeepSHAP: dinucleotide shuffles per example")->capture_default_str();
    app.add_option("--seed", s.seed, "DeepSHAP: shuffle seed")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        return run(s);
    } catch (const std::exception& e) {
        std::cerr << "compare_attributions: error: " << e.what() << "\n";
        return 1;
    }
}
