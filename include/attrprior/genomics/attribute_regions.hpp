// Explaining a saved model on regions and writing what genomics users read next
// (docs/interpret.md, "attribute"): TF-MoDISco-lite input, a contribution bigWig, seqlets,
// the convergence of DeepSHAP, and the numbers behind the report. The `attribute`
// program is parsing around attribute_regions; a user's own program calls it the same way:
//
//   genomics::RegionExamples examples(fasta, regions.windows, L, controls, O);
//   genomics::AttributeOptions o;                 // DeepSHAP, 20 shuffles, seed 0
//   auto result = genomics::attribute_regions(model, examples, target, o, "out", chromosome_sizes(fasta));
//
// Any example set works too (a training split, say) with its rows' genomic windows:
//   genomics::attribute_regions(model, test_examples, test_windows, target, o, "out", chromosomes);
//
// Files in out_dir (prefix = the method's name unless AttributeOptions::prefix is set):
//   <prefix>.ohe.npz, <prefix>.attr.npz  one member arr_0, float32 N x 4 x L: the one-hot
//       sequences and the HYPOTHETICAL scores, as `modisco motifs -s ... -a ...` reads them
//   regions.bed          the N windows in row order (name and score from the region file)
//   <prefix>.bw          per base, the contribution of the observed base (sum over the bases
//                        of the projected scores), overlaps resolved by the nearer summit
//   seqlets.bed          recursive seqlets of that track, both signs, genomic coordinates:
//                        chrom, start, end, region name, attribution sum, '.', p-value,
//                        sign (1 or -1), region row
//   convergence.tsv      per region and reference: f(x), f(r), delta (DeepSHAP, IG); for the
//                        other methods a convergence.tsv left by an earlier run is removed
// Every file appears complete or not at all (written under a temporary name, then renamed).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/attribution/examples.hpp"
#include "attrprior/attribution/explain.hpp"
#include "attrprior/attribution/seqlets.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/genomics/window_bigwig.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/region_examples.hpp"
#include "attrprior/io/json.hpp"
#include "attrprior/io/npz.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/report/attribution_report.hpp"
#include "attrprior/report/svg.hpp"

namespace attrprior::genomics {

struct AttributeOptions {
    attribution::ExplainOptions explain;  ///< method and its settings (DeepSHAP, K = 20, seed 0)
    Index chunk = 256;                    ///< regions explained per call (bounds the inputs held)
    attribution::SeqletOptions seqlets;   ///< tangermeme's defaults
    std::string prefix;                   ///< file prefix; empty: the method's name
    bool bigwig = true;                   ///< write <prefix>.bw
    Index report_regions = 6;             ///< regions whose projected scores are kept for logos
    Index report_window = 40;             ///< width of the strongest window that ranks them
    bool keep_projected = false;          ///< also return every region's projected scores (N x L x 4)

    void validate() const {
        explain.validate();
        seqlets.validate();
        require(chunk >= 1, "AttributeOptions", "chunk", chunk, "must be >= 1");
        require(report_regions >= 0, "AttributeOptions", "report_regions", report_regions, "must be >= 0");
        require(report_window >= 1, "AttributeOptions", "report_window", report_window, "must be >= 1");
    }
};

/// What attribute_regions computed besides the files.
struct AttributeResult {
    Index regions = 0, length = 0;
    std::string method, prefix;
    std::vector<float> value;  ///< N: f(x)
    std::vector<float> track;  ///< N x L: contribution of the observed base
    Index references = 0;      ///< per region behind `delta` (0: the method has none)
    std::vector<float> delta;  ///< N x references
    std::vector<float> reference_value;  ///< N x references: f(r)

    /// attribution::relative_delta of (region r, reference k).
    double relative_delta(Index r, Index k) const {
        const std::size_t i = static_cast<std::size_t>(r * references + k);
        return attribution::relative_delta(delta[i], value[static_cast<std::size_t>(r)], reference_value[i]);
    }
    Index warnings = 0;        ///< pairs above the convergence threshold
    double max_relative_delta = 0;  ///< max |delta| / max(1, |f(x)|, |f(r)|)
    Index degenerate = 0;      ///< regions whose shuffles all equalled them (scores 0)
    std::vector<attribution::Seqlet> seqlets;  ///< both signs, by p-value
    std::vector<Index> seqlets_per_region[2];   ///< [0] positive, [1] negative: N counts
    /// The report_regions regions with the largest strongest-window sum of |P| (in that
    /// order), and their projected scores (top x L x 4).
    std::vector<Index> top;
    std::vector<float> top_projected;
    std::vector<float> projected;  ///< N x L x 4 when AttributeOptions::keep_projected
    std::string note;            ///< e.g. ISM's fallback to naive
    double seconds = 0;          ///< explaining (the files excluded)
    std::vector<std::string> files;
};

namespace detail {

/// rows (count x L x 4) into out (count x 4 x L): the PyTorch layout TF-MoDISco reads.
inline void to_channels_first(const float* rows, Index count, Index L, std::vector<float>& out) {
    out.resize(static_cast<std::size_t>(count * 4 * L));
    for (Index b = 0; b < count; ++b)
        for (Index i = 0; i < L; ++i)
            for (Index c = 0; c < 4; ++c) out[static_cast<std::size_t>((b * 4 + c) * L + i)] = rows[(b * L + i) * 4 + c];
}

/// The sum of |P| over the region's strongest window of `width` positions
/// (report::strongest_window): what ranks regions for the report's logos.
inline double strongest_window_sum(const float* P, Index L, Index width) {
    const auto [s, e] = report::strongest_window(P, L, width);
    double sum = 0;
    for (Index i = s; i < e; ++i)
        for (Index c = 0; c < 4; ++c) sum += std::fabs(double(P[i * 4 + c]));
    return sum;
}

/// Indices into `ranked` ((score, region) in region order) of its `keep` highest scores,
/// best first; ties keep the earlier region.
inline std::vector<std::size_t> best_first(const std::vector<std::pair<double, Index>>& ranked, Index keep) {
    std::vector<std::size_t> order(ranked.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t c) { return ranked[a].first > ranked[c].first; });
    if (static_cast<Index>(order.size()) > keep) order.resize(static_cast<std::size_t>(keep));
    return order;
}

}  // namespace detail

/// Explains every example of `examples` (any example set, train/batch.hpp: RegionExamples,
/// or a training split such as ProfileExamples), whose rows are the genomic `windows`
/// (same order; summit inside each), with options.explain, and writes the files listed at
/// the top of this file into out_dir (created). `references`, when given, is the user's
/// reference set, float32 R x K x 4 x L in the PyTorch layout with one row per RECORD of
/// the region file: region r uses row record_of[r] (load_regions' input_index), so skipped
/// records need no row removed. on_chunk(first, done, total) after each chunk. Throws
/// invalid_argument for bad options, shapes or references; io_error for files that cannot
/// be written.
template <class Examples>
AttributeResult attribute_regions(nn::Model<float>& model, const Examples& examples,
                                  const std::vector<Interval>& windows, const attribution::Target& target,
                                  const AttributeOptions& options, const std::string& out_dir,
                                  const std::vector<std::pair<std::string, Index>>& chromosomes,
                                  const io::NpyArray<float>* references = nullptr,
                                  const std::vector<std::size_t>& record_of = {},
                                  const train::ChunkCallback& on_chunk = {}) {
    constexpr const char* who = "attribute_regions";
    options.validate();
    target.validate(model);
    const Index N = examples.size(), L = model.input_shape(0).length;
    require(N >= 1, who, "regions", N, "must be >= 1 (did every record get skipped?)");
    require(static_cast<Index>(windows.size()) == N, who, "windows", windows.size(), "must give the window of each of the ",
            N, " examples");
    for (std::size_t r = 0; r < windows.size(); ++r)
        require(windows[r].end - windows[r].start == L, who, "windows", r, "spans ", windows[r].end - windows[r].start,
                " bases, not the model's input length ", L);
    require(model.input_shape(0).channels == 4, who, "model input", nn::to_string(model.input_shape(0)),
            "is not a one-hot sequence [L x 4]");
    Index K = 0;
    if (references != nullptr) {
        const auto& s = references->shape;
        require(s.size() == 4 && s[2] == 4 && s[3] == L && s[1] >= 1, who, "references", io::detail::shape_repr(s),
                "must be R x K x 4 x L with L = ", L, " (float32, the PyTorch layout)");
        require(record_of.size() == static_cast<std::size_t>(N), who, "record_of", record_of.size(),
                "must give the record of each of the ", N, " regions");
        for (std::size_t r = 0; r < record_of.size(); ++r)
            require(static_cast<Index>(record_of[r]) < s[0], who, "references", io::detail::shape_repr(s),
                    "has no row ", record_of[r], " for region ", r, " (one row per record of the region file)");
        K = s[1];
    }
    // The bigWig is written last: check that it can place every window (chromosome in the
    // list, on it, summit inside) before explaining anything.
    if (options.bigwig) detail::check_track_windows(chromosomes, windows, who);
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) throw io_error(attrprior::detail::concat(who, ": cannot create '", out_dir, "': ", ec.message()));

    AttributeResult out;
    out.regions = N;
    out.length = L;
    out.method = attribution::to_string(options.explain.method);
    out.prefix = options.prefix.empty() ? out.method : options.prefix;
    const std::string base = out_dir + "/" + out.prefix;
    out.value.assign(static_cast<std::size_t>(N), 0.f);
    out.track.assign(static_cast<std::size_t>(N * L), 0.f);

    io::NpzWriter ohe(base + ".ohe.npz"), attr(base + ".attr.npz");
    ohe.begin<float>("arr_0", {N, 4, L});
    attr.begin<float>("arr_0", {N, 4, L});
    std::vector<float> transposed, refs;
    std::vector<std::pair<double, Index>> ranked;  // (score, region) of the report candidates
    std::vector<float> candidates;                 // their P, region-major
    const auto t0 = std::chrono::steady_clock::now();
    attribution::for_each_chunk_of<float>(
        examples, options.chunk,
        [&](const attribution::Inputs<float>& inputs, Index first) {
            const Index count = inputs[0].dim0;
            detail::to_channels_first(inputs[0].data, count, L, transposed);
            ohe.append(transposed.data(), count * 4 * L);
            if (references == nullptr) return attribution::explain(model, inputs, target, options.explain, first);
            // The chunk's references, K rows per region, back to the library's L x 4 rows.
            refs.resize(static_cast<std::size_t>(count * K * L * 4));
            for (Index b = 0; b < count; ++b)
                for (Index k = 0; k < K; ++k) {
                    const float* src = references->data.data() +
                                       (static_cast<Index>(record_of[static_cast<std::size_t>(first + b)]) * K + k) * 4 * L;
                    float* dst = refs.data() + (b * K + k) * L * 4;
                    for (Index c = 0; c < 4; ++c)
                        for (Index i = 0; i < L; ++i) dst[i * 4 + c] = src[c * L + i];
                }
            return attribution::explain(model, inputs, target, options.explain, first,
                                        ConstTensor3<float>(refs.data(), count * K, L, 4));
        },
        [&](Index first, const attribution::Explanation<float>& e) {
            const Index count = e.examples;
            detail::to_channels_first(e.hypothetical.data(), count, L, transposed);
            attr.append(transposed.data(), count * 4 * L);
            if (options.keep_projected) out.projected.insert(out.projected.end(), e.projected.begin(), e.projected.end());
            for (Index b = 0; b < count; ++b) {
                const Index r = first + b;
                out.value[static_cast<std::size_t>(r)] = e.value[static_cast<std::size_t>(b)];
                for (Index i = 0; i < L; ++i) out.track[static_cast<std::size_t>(r * L + i)] = e.track(b, i);
                if (!e.degenerate.empty() && e.degenerate[static_cast<std::size_t>(b)]) ++out.degenerate;
                // Keep the projected scores of the best report_regions regions seen so far.
                if (options.report_regions == 0) continue;
                const float* P = e.projected.data() + b * L * 4;
                const double score = detail::strongest_window_sum(P, L, options.report_window);
                ranked.emplace_back(score, r);
                candidates.insert(candidates.end(), P, P + L * 4);
                if (static_cast<Index>(ranked.size()) > 2 * options.report_regions) {
                    // Prune to the best report_regions, kept in region order.
                    std::vector<std::size_t> order = detail::best_first(ranked, options.report_regions);
                    std::sort(order.begin(), order.end());
                    std::vector<std::pair<double, Index>> kept;
                    std::vector<float> kept_p;
                    for (std::size_t k : order) {
                        kept.push_back(ranked[k]);
                        kept_p.insert(kept_p.end(), candidates.begin() + static_cast<std::ptrdiff_t>(k * L * 4),
                                      candidates.begin() + static_cast<std::ptrdiff_t>((k + 1) * L * 4));
                    }
                    ranked.swap(kept);
                    candidates.swap(kept_p);
                }
            }
            if (e.references > 0) {
                out.references = e.references;
                out.delta.insert(out.delta.end(), e.delta.begin(), e.delta.end());
                out.reference_value.insert(out.reference_value.end(), e.reference_value.begin(),
                                           e.reference_value.end());
                out.warnings += e.warnings;
            }
            if (!e.note.empty() && out.note.empty()) out.note = e.note;
        },
        on_chunk);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ohe.end();
    attr.end();
    ohe.close();
    attr.close();
    out.files = {base + ".ohe.npz", base + ".attr.npz"};

    // The report's regions, best first.
    for (std::size_t k : detail::best_first(ranked, options.report_regions)) {
        out.top.push_back(ranked[k].second);
        out.top_projected.insert(out.top_projected.end(), candidates.begin() + static_cast<std::ptrdiff_t>(k * L * 4),
                                 candidates.begin() + static_cast<std::ptrdiff_t>((k + 1) * L * 4));
    }

    for (Index r = 0; r < N; ++r)
        for (Index k = 0; k < out.references; ++k)
            out.max_relative_delta = std::max(out.max_relative_delta, std::fabs(out.relative_delta(r, k)));

    write_bed(out_dir + "/regions.bed", windows);
    out.files.push_back(out_dir + "/regions.bed");
    if (options.bigwig) {
        write_window_bigwig(base + ".bw", chromosomes, windows, out.track.data(), L);
        out.files.push_back(base + ".bw");
    }

    out.seqlets = attribution::recursive_seqlets_both_signs(out.track.data(), N, L, options.seqlets);
    out.seqlets_per_region[0].assign(static_cast<std::size_t>(N), 0);
    out.seqlets_per_region[1].assign(static_cast<std::size_t>(N), 0);
    std::string text;
    for (const attribution::Seqlet& s : out.seqlets) {
        const Interval& w = windows[static_cast<std::size_t>(s.example)];
        ++out.seqlets_per_region[s.sign > 0 ? 0 : 1][static_cast<std::size_t>(s.example)];
        text += attrprior::detail::concat(w.chrom, '\t', w.start + s.start, '\t', w.start + s.end, '\t',
                                          w.name.empty() ? "region_" + std::to_string(s.example) : w.name, '\t',
                                          detail::format_interval_number(s.attribution), "\t.\t",
                                          detail::format_interval_number(s.p_value), '\t', s.sign, '\t', s.example,
                                          '\n');
    }
    io::detail::write_text_file_atomically(out_dir + "/seqlets.bed", text, who);
    out.files.push_back(out_dir + "/seqlets.bed");

    if (out.references > 0) {
        text = "region\tchrom\tstart\tend\treference\tf_x\tf_reference\tdelta\trelative_delta\n";
        for (Index r = 0; r < N; ++r) {
            const Interval& w = windows[static_cast<std::size_t>(r)];
            for (Index k = 0; k < out.references; ++k) {
                const std::size_t i = static_cast<std::size_t>(r * out.references + k);
                text += attrprior::detail::concat(
                    r, '\t', w.chrom, '\t', w.start, '\t', w.end, '\t', k, '\t',
                    detail::format_interval_number(out.value[static_cast<std::size_t>(r)]), '\t',
                    detail::format_interval_number(out.reference_value[i]), '\t',
                    detail::format_interval_number(out.delta[i]), '\t',
                    detail::format_interval_number(std::fabs(out.relative_delta(r, k))), '\n');
            }
        }
        io::detail::write_text_file_atomically(out_dir + "/convergence.tsv", text, who);
        out.files.push_back(out_dir + "/convergence.tsv");
    } else {
        // A method without deltas: an earlier run's convergence.tsv would pass for this one's.
        std::filesystem::remove(out_dir + "/convergence.tsv", ec);
    }
    return out;
}

/// attribute_regions over the windows of `examples` (regions.hpp's load_regions placed them).
inline AttributeResult attribute_regions(nn::Model<float>& model, const RegionExamples& examples,
                                         const attribution::Target& target, const AttributeOptions& options,
                                         const std::string& out_dir,
                                         const std::vector<std::pair<std::string, Index>>& chromosomes,
                                         const io::NpyArray<float>* references = nullptr,
                                         const std::vector<std::size_t>& record_of = {},
                                         const train::ChunkCallback& on_chunk = {}) {
    return attribute_regions(model, examples, examples.windows(), target, options, out_dir, chromosomes, references,
                             record_of, on_chunk);
}

/// The report's data (report/attribution_report.hpp) of an attribute_regions result over
/// `windows` (its regions, row order): logos of its strongest regions, the relative
/// convergence deltas |delta| / max(1, |f(x)|, |f(r)|) against warn_factor, and the seqlet
/// counts per region. `skipped`: records the caller could not place (RegionReport).
inline report::AttributionReportData attribution_report_data(const AttributeResult& r,
                                                             const std::vector<Interval>& windows,
                                                             const std::string& target, Index skipped,
                                                             double warn_factor = 1e-3) {
    require(static_cast<Index>(windows.size()) == r.regions, "attribution_report_data", "windows", windows.size(),
            "must equal the ", r.regions, " regions explained");
    report::AttributionReportData d;
    d.method = r.method;
    d.target = target;
    d.skipped = skipped;
    d.regions = r.regions;
    d.length = r.length;
    for (Index k : r.top) {
        const Interval& w = windows[static_cast<std::size_t>(k)];
        d.labels.push_back(attrprior::detail::concat(w.chrom, ":", w.start, "-", w.end, w.name.empty() ? "" : " ",
                                                     w.name));
        d.chroms.push_back(w.chrom);
        d.starts.push_back(w.start);
    }
    d.projected = r.top_projected;
    d.top = static_cast<Index>(r.top.size());
    if (r.references > 0) {
        std::vector<double> relative;
        for (Index region = 0; region < r.regions; ++region)
            for (Index k = 0; k < r.references; ++k) relative.push_back(r.relative_delta(region, k));
        d.deltas = std::move(relative);
        d.references = r.references;
        d.delta_threshold = warn_factor;
    }
    d.positive_seqlets = r.seqlets_per_region[0];
    d.negative_seqlets = r.seqlets_per_region[1];
    return d;
}

}  // namespace attrprior::genomics
