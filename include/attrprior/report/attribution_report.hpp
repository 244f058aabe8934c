// The one-page SVG report of attributing a set of regions (docs/attribution.md, "The
// attribution report"): a header line, the distribution of the convergence delta |delta|,
// the distribution of seqlet counts per region, and the sequence logos of the regions
// with the strongest attributions.
//
// The report reads plain arrays only (AttributionReportData), so that it depends on
// neither the genomics nor the attribution headers: the caller copies or moves in the
// projected scores, deltas and seqlet counts it computed.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/report/svg.hpp"

namespace attrprior::report {

/// What the attribution report draws. The logos come from N candidate regions of
/// `length` bases (labels, chroms, starts and projected scores, in one order; a caller
/// explaining many regions passes only its strongest ones). The distributions of the
/// convergence delta and of seqlet counts cover every region explained, which may be more
/// than the N candidates.
struct AttributionReportData {
    std::string method;  ///< the method of `projected`, e.g. "DeepSHAP"
    std::string target;  ///< what was explained, e.g. "logits"
    Index skipped = 0;   ///< regions that could not be attributed (header line)
    Index regions = 0;   ///< regions explained (header line); 0: labels.size()
    Index length = 0;    ///< L, bases per region

    std::vector<std::string> labels;  ///< N region labels, e.g. "chr1:1000-2000 peak_3"
    /// N chromosomes and 0-based starts of the regions, to give a logo's window genomic
    /// coordinates ("chr1:1480-1520", half-open as in BED); both empty: the window is given
    /// as bases within the region.
    std::vector<std::string> chroms;
    std::vector<Index> starts;

    std::vector<float> projected;  ///< N x L x 4 (A, C, G, T) projected scores of `method`
    /// A second method's N x L x 4 projected scores of the same regions (e.g. gradient x
    /// input next to DeepSHAP), drawn as a second logo in each row; empty: none.
    std::vector<float> second_projected;
    std::string second_method;  ///< its name, required with second_projected

    /// Convergence deltas, `references` per explained region (region-major), as the caller wants them
    /// compared with `delta_threshold` (e.g. DeepLIFT's delta / max(1, |f(x)|, |f(r)|)
    /// against warn_factor). Absent for methods without a delta: the panel says so.
    std::optional<std::vector<double>> deltas;
    Index references = 0;                   ///< K: deltas per region
    std::optional<double> delta_threshold;  ///< > 0: marked on the |delta| axis

    /// Seqlets found per explained region (one count each), or both empty: not computed
    /// (the panel says so).
    std::vector<Index> positive_seqlets, negative_seqlets;

    Index top = 6;      ///< regions drawn as logos (fewer when N is smaller)
    Index window = 40;  ///< bases per logo: the region's strongest window of this width
};

/// A region chosen for a logo: its strongest window [start, end) and the window's sum of
/// |projected score|, by which regions are ranked.
struct RankedRegion {
    Index region = 0, start = 0, end = 0;
    double strength = 0.0;
};

namespace detail {

using attrprior::detail::concat;

inline std::string product_text(std::size_t n, Index l, Index c) {
    return concat(n, " x ", l, " x ", c, " = ", static_cast<Index>(n) * l * c);
}

/// Sum of |attr| over the rows [start, end) of an L x 4 map (non-finite entries count as
/// 0, as in strongest_window).
inline double window_strength(const float* attr, Index start, Index end) {
    double sum = 0.0;
    for (Index e = start * 4; e < end * 4; ++e) {
        if (std::isfinite(attr[e])) sum += std::fabs(static_cast<double>(attr[e]));
    }
    return sum;
}

inline std::size_t non_finite_in(const float* attr, Index start, Index end) {
    std::size_t n = 0;
    for (Index e = start * 4; e < end * 4; ++e) n += !std::isfinite(attr[e]);
    return n;
}

/// A panel with a title and a message where its figure would be.
inline void message_panel(SvgDocument& doc, const Panel& panel, const std::string& title,
                          const std::string& message) {
    const PlotArea area = plot_area(panel, !title.empty(), false);
    chart_labels(doc, panel, area, title, "", "");
    no_data(doc, area, message);
    chart_frame(doc, area);
}

}  // namespace detail

/// Checks the sizes of `data` against labels.size() = N and length = L; invalid_argument
/// naming the field, its size and the expected one.
inline void validate(const AttributionReportData& data) {
    constexpr const char* where = "attribution_report";
    const std::size_t N = data.labels.size();
    const Index L = data.length;
    require(L >= 0, where, "length", L, "must be >= 0");
    require(data.skipped >= 0, where, "skipped", data.skipped, "must be >= 0");
    require(data.regions >= 0, where, "regions", data.regions, "must be >= 0");
    require(data.top >= 0, where, "top", data.top, "must be >= 0");
    require(data.window >= 1, where, "window", data.window, "must be >= 1");
    require(data.projected.size() == N * static_cast<std::size_t>(L) * 4, where, "projected.size()",
            data.projected.size(), "must equal labels.size() x length x 4 = ", detail::product_text(N, L, 4));
    require(data.second_projected.empty() || data.second_projected.size() == data.projected.size(), where,
            "second_projected.size()", data.second_projected.size(),
            "must be 0 or labels.size() x length x 4 = ", detail::product_text(N, L, 4));
    require(data.second_projected.empty() || !data.second_method.empty(), where, "second_method", "\"\"",
            "must name the method of second_projected");
    require(data.chroms.size() == data.starts.size() && (data.chroms.empty() || data.chroms.size() == N), where,
            "chroms.size()", data.chroms.size(), "and starts.size() = ", data.starts.size(),
            " must both be 0 or labels.size() = ", N);
    require(data.positive_seqlets.size() == data.negative_seqlets.size(), where, "positive_seqlets.size()",
            data.positive_seqlets.size(), "and negative_seqlets.size() = ", data.negative_seqlets.size(),
            " must be equal (one count of each sign per region)");
    if (data.deltas) {
        require(data.references >= 1, where, "references", data.references, "must be >= 1 when deltas are given");
        require(data.deltas->size() % static_cast<std::size_t>(data.references) == 0, where, "deltas.size()",
                data.deltas->size(), "must be a multiple of references = ", data.references,
                " (references deltas per region)");
    }
    if (data.delta_threshold) {
        detail::require_finite(where, "delta_threshold", *data.delta_threshold);
        require(*data.delta_threshold > 0.0, where, "delta_threshold", *data.delta_threshold,
                "must be > 0 (it is marked on a log axis)");
    }
}

/// The `top` regions with the largest sum of |projected score| over their strongest
/// window of `window` bases (strongest_window), strongest first; ties keep region order.
inline std::vector<RankedRegion> strongest_regions(const AttributionReportData& data) {
    validate(data);
    const Index N = static_cast<Index>(data.labels.size()), L = data.length;
    std::vector<RankedRegion> ranked;
    ranked.reserve(static_cast<std::size_t>(N));
    for (Index r = 0; r < N; ++r) {
        const float* attr = data.projected.data() + r * L * 4;
        const auto [start, end] = strongest_window(attr, L, data.window);
        ranked.push_back({r, start, end, detail::window_strength(attr, start, end)});
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const RankedRegion& a, const RankedRegion& b) { return a.strength > b.strength; });
    ranked.resize(std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(data.top)));
    return ranked;
}

/// The report as a document (str() gives its text); see the file comment and
/// docs/attribution.md.
inline SvgDocument attribution_report_document(const AttributionReportData& data) {
    const std::vector<RankedRegion> ranked = strongest_regions(data);  // validates
    const Index N = static_cast<Index>(data.labels.size()), L = data.length;
    const bool two_logos = !data.second_projected.empty();

    constexpr double kGap = 30.0, kColumn = 560.0, kChartHeight = 260.0, kLogoHeight = 170.0, kLogoGap = 16.0;
    constexpr double kHeader = 64.0;
    const double logos_top = kHeader + kChartHeight + kGap;
    const std::size_t logo_rows = std::max<std::size_t>(1, ranked.size());
    SvgDocument doc(2 * kColumn + 3 * kGap,
                    logos_top + 24.0 + static_cast<double>(logo_rows) * (kLogoHeight + kLogoGap) + kGap);
    auto column_x = [&](int c) { return kGap + c * (kColumn + kGap); };

    // Header.
    const Index explained = data.regions > 0 ? data.regions : N;
    doc.text(kGap, 30.0,
             detail::concat(data.method.empty() ? "attributions" : data.method,
                            data.target.empty() ? "" : " of " + data.target, ": ", explained,
                            explained == 1 ? " region" : " regions", ", ", data.skipped, " skipped"),
             16);

    // |delta| distribution.
    const Panel delta_panel{column_x(0), kHeader, kColumn, kChartHeight};
    if (data.deltas) {
        std::vector<double> magnitudes(data.deltas->size());
        std::transform(data.deltas->begin(), data.deltas->end(), magnitudes.begin(),
                       [](double d) { return std::fabs(d); });
        HistogramOptions options;
        options.title = detail::concat("convergence |delta|, ", static_cast<Index>(data.deltas->size()) / data.references,
                                       " regions x ", data.references, " references");
        options.xlabel = "|delta| (log10 axis)";
        options.ylabel = "(region, reference) pairs";
        options.log_x = true;
        if (data.delta_threshold) {
            const double threshold = *data.delta_threshold;
            const auto above = std::count_if(magnitudes.begin(), magnitudes.end(),
                                             [&](double m) { return std::isfinite(m) && m > threshold; });
            options.marker = threshold;
            options.marker_label = detail::concat("threshold ", detail::general_number(threshold, 3), ": ", above,
                                                  " above");
        }
        histogram(doc, delta_panel, magnitudes, options);
    } else {
        detail::message_panel(doc, delta_panel, "convergence |delta|",
                              "no convergence delta for " + (data.method.empty() ? "this method" : data.method));
    }

    // Seqlets per region.
    const Panel seqlet_panel{column_x(1), kHeader, kColumn, kChartHeight};
    if (!data.positive_seqlets.empty()) {
        const IntegerTally tally = tally_integers({data.positive_seqlets, data.negative_seqlets});
        bar_chart(doc, seqlet_panel, tally.labels, tally.counts, {"positive", "negative"}, {"#109648", "#D62839"},
                  "seqlets per region", "seqlets in the region", "regions");
    } else {
        detail::message_panel(doc, seqlet_panel, "seqlets per region", "seqlet counts not given");
    }

    // Logos of the strongest regions.
    doc.text(kGap, logos_top + 10.0,
             detail::concat("the ", ranked.size(), " regions with the largest sum of |projected score| over ",
                            data.window, " bases (logo: that window)"),
             13, "start", "#333");
    if (ranked.empty()) doc.text(kGap, logos_top + 40.0, "no regions", 12, "start", "#888");
    for (std::size_t row = 0; row < ranked.size(); ++row) {
        const RankedRegion& r = ranked[row];
        const std::string where_text =
            data.chroms.empty()
                ? detail::concat("bases ", r.start, "-", r.end)
                : detail::concat(data.chroms[static_cast<std::size_t>(r.region)], ":",
                                 data.starts[static_cast<std::size_t>(r.region)] + r.start, "-",
                                 data.starts[static_cast<std::size_t>(r.region)] + r.end);
        const double y = logos_top + 24.0 + static_cast<double>(row) * (kLogoHeight + kLogoGap);
        auto logo = [&](int column, const std::vector<float>& scores, const std::string& method) {
            const float* attr = scores.data() + r.region * L * 4;
            std::string title = detail::concat(data.labels[static_cast<std::size_t>(r.region)], ": ",
                                               method.empty() ? "attribution" : method, ", ", where_text);
            // Non-finite scores are left out of the logo; say how many.
            if (const std::size_t bad = detail::non_finite_in(attr, r.start, r.end); bad > 0) {
                title += detail::concat(" (", bad, " non-finite not drawn)");
            }
            attribution_logo(doc, Panel{column_x(column), y, kColumn, kLogoHeight}, attr, L, r.start, r.end, title);
        };
        logo(0, data.projected, data.method);
        if (two_logos) logo(1, data.second_projected, data.second_method);
    }
    return doc;
}

/// Writes the report to `path` (io_error naming the path when it cannot be written).
inline void attribution_report(const std::string& path, const AttributionReportData& data) {
    attribution_report_document(data).save(path);
}

}  // namespace attrprior::report
