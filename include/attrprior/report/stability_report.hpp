// The figure of a stability study (docs/stability.md, "Reading the figure"):
//
//   row per attribution method: cross-seed continuous Jaccard and cosine similarity against
//       the training fraction, one line per prior (median over test examples) with its
//       quartile band;
//   one row of task performance against the fraction (mean over seeds, +- one sd as a
//       band): auROC for binary models, profile JSD for profile models, and the Fourier
//       score of the first method;
//   one test example's attributions from every seed, stacked, one column per prior (the
//       picture of what "stable" means).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/report/svg.hpp"
#include "attrprior/study/stability.hpp"

namespace attrprior::report {

/// One line of a band_plot: y (the centre) and a band [lower, upper] at each x.
struct BandSeries {
    std::string name;
    std::vector<double> y, lower, upper;
};

/// Lines with shaded bands against x values drawn on a log10 axis when they span more
/// than a factor 3 (training fractions), linearly otherwise; tick labels show the x values
/// themselves. Non-finite points are skipped.
inline void band_plot(SvgDocument& doc, const Panel& panel, const std::vector<double>& x,
                      const std::vector<BandSeries>& series, const std::vector<std::string>& colors,
                      const std::string& title, const std::string& xlabel, const std::string& ylabel) {
    constexpr const char* where = "band_plot";
    detail::require_panel(where, panel.x, panel.y, panel.width, panel.height);
    for (const auto& s : series)
        require(s.y.size() == x.size() && s.lower.size() == x.size() && s.upper.size() == x.size(), where,
                "series length", s.y.size(), "(series '", s.name, "') must equal the number of x values (", x.size(),
                ")");
    for (double v : x) require(std::isfinite(v) && v > 0.0, where, "x value", v, "must be finite and > 0");
    const detail::PlotArea area = detail::plot_area(panel, !title.empty(), !xlabel.empty());
    detail::chart_labels(doc, panel, area, title, xlabel, ylabel);
    double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
    for (double v : x) xmin = std::min(xmin, v), xmax = std::max(xmax, v);
    const bool log_x = !x.empty() && xmax / xmin > 3.0;
    auto X = [&](double v) { return log_x ? std::log10(v) : v; };
    for (const auto& s : series)
        for (const auto* v : {&s.y, &s.lower, &s.upper})
            for (double y : *v)
                if (std::isfinite(y)) ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    std::vector<std::pair<double, double>> ink;
    if (x.empty() || !(ymin <= ymax)) {
        detail::no_data(doc, area);
    } else {
        double lo = X(xmin), hi = X(xmax);
        const double xpad = hi > lo ? 0.06 * (hi - lo) : 0.5;
        lo -= xpad;
        hi += xpad;
        const double ypad = ymax > ymin ? 0.08 * (ymax - ymin) : (ymin != 0 ? 0.1 * std::fabs(ymin) : 1.0);
        ymin -= ypad;
        ymax += ypad;
        detail::y_axis(doc, area, detail::linear_ticks(ymin, ymax, 5.0, false), ymin, ymax);
        std::vector<std::pair<double, std::string>> xticks;
        for (double v : x) xticks.emplace_back(X(v), study::fraction_label(v));
        detail::x_axis(doc, area, xticks, lo, hi);
        for (std::size_t k = 0; k < series.size(); ++k) {
            const std::string color = detail::series_color(colors, k);
            const auto& s = series[k];
            std::vector<std::pair<double, double>> upper, lower, centre;
            for (std::size_t i = 0; i < x.size(); ++i) {
                const double px = area.x_of(X(x[i]), lo, hi);
                if (std::isfinite(s.lower[i]) && std::isfinite(s.upper[i])) {
                    upper.emplace_back(px, area.y_of(s.upper[i], ymin, ymax));
                    lower.emplace_back(px, area.y_of(s.lower[i], ymin, ymax));
                }
                if (std::isfinite(s.y[i])) {
                    centre.emplace_back(px, area.y_of(s.y[i], ymin, ymax));
                    ink.push_back(centre.back());
                }
            }
            std::vector<std::pair<double, double>> band = upper;
            band.insert(band.end(), lower.rbegin(), lower.rend());
            doc.polygon(band, color, 0.18);
            doc.polyline(centre, color, 1.8);
            for (const auto& [px, py] : centre) doc.circle(px, py, 2.8, color);
        }
    }
    detail::chart_frame(doc, area);
    std::vector<std::string> names;
    for (const auto& s : series) names.push_back(s.name);
    detail::legend(doc, area, detail::legend_entries(series.size(), names, colors), ink, /*bar_swatch=*/false);
}

/// What stability_figure draws.
struct StabilityFigureData {
    std::vector<study::GroupStability> groups;  ///< every (prior, fraction, method)
    std::vector<std::string> priors;            ///< the order of lines and columns
    std::vector<double> fractions;              ///< increasing
    std::vector<std::string> methods;
    std::string task_metric = "auroc";          ///< per-run metric of the task panel
    std::string task_label = "test auROC";
    /// The stacked example: per prior (in `priors` order), every seed's L x 4 attribution
    /// of one test example at the largest fraction, by the first method.
    std::vector<std::vector<std::vector<float>>> example_attributions;
    std::vector<std::uint64_t> seeds;
    Index length = 0;
    std::string example_name;  ///< e.g. "chr4:1200-1600"
    Index logo_width = 60;     ///< positions shown around the strongest window
};


/// Writes the study's figure (see the file comment) to `path`. Missing groups leave gaps.
inline void stability_figure(const std::string& path, const StabilityFigureData& d) {
    const char* where = "stability_figure";
    require(!d.priors.empty() && !d.methods.empty() && !d.fractions.empty(), where, "figure data",
            "empty", "(needs priors, methods and fractions)");
    const double panel_w = 430, panel_h = 260, logo_h = 95;
    const Index seeds = static_cast<Index>(d.seeds.size());
    const double logos_h = d.example_attributions.empty() ? 0.0 : 40.0 + logo_h * static_cast<double>(seeds);
    const double height = 50 + panel_h * static_cast<double>(d.methods.size() + 1) + logos_h;
    const double width = std::max(2.0 * panel_w, panel_w * static_cast<double>(d.priors.size())) + 20;
    SvgDocument doc(width, height);
    doc.text(width / 2, 26, "Stability across seeds (" + std::to_string(seeds) + " seeds per prior and fraction)", 16,
             "middle");
    const std::vector<std::string> colors{"#c0392b", "#2c6fbb", "#27ae60", "#8e44ad"};
    auto band_series = [&](const std::string& method, auto value) {
        std::vector<BandSeries> out;
        for (const auto& prior : d.priors) {
            BandSeries s;
            s.name = prior;
            for (double f : d.fractions) {
                const auto* g = study::find_group(d.groups, prior, f, method);
                const auto v = g ? value(*g) : std::array<double, 3>{NAN, NAN, NAN};
                s.y.push_back(v[0]);
                s.lower.push_back(v[1]);
                s.upper.push_back(v[2]);
            }
            out.push_back(std::move(s));
        }
        return out;
    };
    double y = 40;
    const std::array<std::pair<study::Quartiles study::GroupStability::*, const char*>, 2> similarities{
        {{&study::GroupStability::jaccard_quartiles, "continuous Jaccard"},
         {&study::GroupStability::cosine_quartiles, "cosine similarity"}}};
    for (const auto& method : d.methods) {
        for (std::size_t k = 0; k < similarities.size(); ++k) {
            const auto member = similarities[k].first;
            const std::string name = similarities[k].second;
            band_plot(doc, {10 + panel_w * static_cast<double>(k), y, panel_w, panel_h}, d.fractions,
                      band_series(method,
                                  [member](const study::GroupStability& g) {
                                      const study::Quartiles& q = g.*member;
                                      return std::array<double, 3>{q.median, q.q1, q.q3};
                                  }),
                      colors, method + ": " + name + " across seeds", "training fraction",
                      (k == 0 ? "Jaccard per base" : "cosine") + std::string(" (median, IQR)"));
        }
        y += panel_h;
    }
    auto metric_band = [&](const std::string& key) {
        return [key](const study::GroupStability& g) {
            const auto it = g.metrics.find(key);
            if (it == g.metrics.end()) return std::array<double, 3>{NAN, NAN, NAN};
            const double sd = std::isfinite(it->second.sd) ? it->second.sd : 0.0;
            return std::array<double, 3>{it->second.mean, it->second.mean - sd, it->second.mean + sd};
        };
    };
    band_plot(doc, {10, y, panel_w, panel_h}, d.fractions, band_series(d.methods.front(), metric_band(d.task_metric)),
              colors, d.task_label + " (mean +- sd over seeds)", "training fraction", d.task_label);
    const std::string score = d.methods.front() + ".fourier_score";
    band_plot(doc, {10 + panel_w, y, panel_w, panel_h}, d.fractions,
              band_series(d.methods.front(), metric_band(score)), colors,
              d.methods.front() + ": Fourier score (mean +- sd)", "training fraction", "Fourier score S");
    y += panel_h;
    if (d.example_attributions.empty()) {
        doc.save(path);
        return;
    }
    require(d.example_attributions.size() == d.priors.size(), where, "example_attributions",
            d.example_attributions.size(), "entries; one per prior (", d.priors.size(), ") is needed");
    doc.text(width / 2, y + 22,
             "One test example (" + d.example_name + "), " + d.methods.front() + ", every seed at fraction " +
                 study::fraction_label(d.fractions.back()),
             14, "middle");
    y += 30;
    // One window for every logo: the strongest window of the first seed of the first prior.
    const auto& first = d.example_attributions.front().front();
    require(static_cast<Index>(first.size()) == d.length * 4, where, "example attribution size", first.size(),
            "must be L x 4 = ", d.length * 4);
    const auto [start, end] = strongest_window(first.data(), d.length, std::min(d.logo_width, d.length));
    const double col_w = (width - 20) / static_cast<double>(d.priors.size());
    for (std::size_t p = 0; p < d.priors.size(); ++p) {
        require(static_cast<Index>(d.example_attributions[p].size()) == seeds, where, "example_attributions seeds",
                d.example_attributions[p].size(), "(prior ", d.priors[p], ") must be ", seeds);
        for (Index s = 0; s < seeds; ++s) {
            const auto& a = d.example_attributions[p][static_cast<std::size_t>(s)];
            require(static_cast<Index>(a.size()) == d.length * 4, where, "example attribution size", a.size(),
                    "must be L x 4 = ", d.length * 4);
            attribution_logo(doc, {10 + col_w * static_cast<double>(p), y + logo_h * static_cast<double>(s), col_w, logo_h},
                             a.data(), d.length, start, end,
                             d.priors[p] + ", seed " + std::to_string(d.seeds[static_cast<std::size_t>(s)]));
        }
    }
    doc.save(path);
}

}  // namespace attrprior::report
