// A tiny SVG writer and the figures of the training and attribution reports.
//
// SvgDocument accumulates elements and renders a standalone SVG 1.1 document:
//     <svg xmlns="http://www.w3.org/2000/svg" width=.. height=.. viewBox=..> ... </svg>
// Coordinates are in pixels, y pointing down. Numbers are written in the classic "C"
// locale whatever the global locale; text and attribute values are XML-escaped. A
// non-finite coordinate or size is a numeric_error (it would make the file invalid), a
// negative size or an unknown text anchor an invalid_argument.
//
// Figures (each draws into a Panel, a rectangle of the document):
//   * attribution_logo: a sequence logo of a L x 4 (A, C, G, T) attribution map such as
//     gradient x input. Every nonzero finite entry of the window [start, end) becomes one
//     letter whose height is proportional to its value: positive letters stack upward
//     from a zero line (largest on top), negative letters hang below it, drawn upside down
//     (SVG transform scale(sx, -sy)), largest at the bottom, as in DeepLIFT/TF-MoDISco
//     plots. Non-finite entries are skipped.
//   * line_plot: curves (training/validation loss, auROC, ...) against x = x_first + i,
//     with axes, tick labels, light grid, legend, axis labels; log_y for a log10 y axis.
//     Non-finite points (and non-positive ones with log_y) are skipped and break the
//     curve; an isolated point is drawn as a dot.
//   * histogram: counts of values in equal bins, optionally on a log10 x axis (|delta|),
//     with an optional vertical marker (a threshold). Values that cannot be drawn
//     (non-finite; <= 0 on a log axis) are counted in a note, never dropped silently.
//   * bar_chart: grouped bars per category; tally_integers turns integer counts (seqlets
//     per region) into its input.
//   * strongest_window: the window of a given width with the largest total |attribution|,
//     to choose the [start, end) shown by attribution_logo.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iomanip>
#include <limits>
#include <locale>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::report {

namespace detail {

/// Escapes the five XML special characters (valid in text and in quoted attributes).
inline std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' &&
                    c != '\r') {
                    out += '?';
                } else {
                    out += c;
                }
        }
    }
    return out;
}

/// Fixed-point with at most `decimals` decimals, trailing zeros removed, "C" locale.
inline std::string fixed_number(double v, int decimals = 2) {
    std::ostringstream os;
    os.imbue(std::locale::classic());
    os << std::fixed << std::setprecision(decimals) << v;
    std::string s = os.str();
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
    }
    if (s == "-0") s = "0";
    return s;
}

/// Shortest general notation with `digits` significant digits, "C" locale, compact
/// exponent ("1.5e6", "1e-5").
inline std::string general_number(double v, int digits = 6) {
    std::ostringstream os;
    os.imbue(std::locale::classic());
    os << std::setprecision(digits) << v;
    std::string s = os.str();
    if (const std::size_t e = s.find('e'); e != std::string::npos) {
        std::string exponent = s.substr(e + 1);
        const bool negative = !exponent.empty() && exponent[0] == '-';
        if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) exponent.erase(0, 1);
        while (exponent.size() > 1 && exponent[0] == '0') exponent.erase(0, 1);
        s = s.substr(0, e + 1) + (negative ? "-" : "") + exponent;
    }
    if (s == "-0") s = "0";
    return s;
}

inline void require_finite(const char* where, const char* name, double v) {
    if (!std::isfinite(v)) {
        throw numeric_error(attrprior::detail::concat(where, ": ", name, " = ", v,
                                                      " is not finite"));
    }
}

inline void require_anchor(const char* where, const std::string& anchor) {
    if (anchor != "start" && anchor != "middle" && anchor != "end") {
        throw invalid_argument(attrprior::detail::concat(
            where, ": anchor = \"", anchor, "\" must be \"start\", \"middle\" or \"end\""));
    }
}

/// A "nice" tick spacing (1, 2 or 5 times a power of ten) giving about `target` ticks
/// over `range` (> 0).
inline double nice_step(double range, double target) {
    if (!(range > 0.0) || !std::isfinite(range)) return 1.0;
    const double raw = range / target;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double normalized = raw / magnitude;
    const double nice = normalized < 1.5   ? 1.0
                        : normalized < 3.0 ? 2.0
                        : normalized < 7.0 ? 5.0
                                           : 10.0;
    return nice * magnitude;
}

/// Tick label of `v` on a grid of spacing `step`: as many decimals as the step needs.
inline std::string tick_label(double v, double step) {
    if (std::fabs(v) < step * 1e-6) v = 0.0;
    const double a = std::fabs(v);
    if (a >= 1e5 || (a > 0.0 && a < 1e-4) || step < 1e-4) return general_number(v, 4);
    const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 6);
    return fixed_number(v, decimals);
}

/// Ticks k * step within [lo, hi] (at most 50).
inline std::vector<double> ticks_in(double lo, double hi, double step) {
    std::vector<double> ticks;
    if (!(step > 0.0) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (int k = 0; k < 50; ++k) {
        const double t = first + k * step;
        if (t > hi + step * 1e-9) break;
        ticks.push_back(t);
    }
    return ticks;
}

inline void require_panel(const char* where, double x, double y, double w, double h) {
    require_finite(where, "panel.x", x);
    require_finite(where, "panel.y", y);
    require_finite(where, "panel.width", w);
    require_finite(where, "panel.height", h);
    require(w > 0.0, where, "panel.width", w, "must be > 0");
    require(h > 0.0, where, "panel.height", h, "must be > 0");
}

}  // namespace detail

/// An SVG document built element by element; see the file comment.
class SvgDocument {
public:
    /// A width x height pixel canvas with a white background.
    SvgDocument(double width, double height) : width_(width), height_(height) {
        detail::require_finite("SvgDocument", "width", width);
        detail::require_finite("SvgDocument", "height", height);
        require(width > 0.0, "SvgDocument", "width", width, "must be > 0");
        require(height > 0.0, "SvgDocument", "height", height, "must be > 0");
        rect(0.0, 0.0, width, height, "#fff");
    }

    double width() const { return width_; }
    double height() const { return height_; }

    /// Axis-aligned rectangle with top-left corner (x, y); w, h >= 0.
    void rect(double x, double y, double w, double h, const std::string& fill,
              const std::string& stroke = "none", double stroke_width = 1.0) {
        check("SvgDocument::rect", {{"x", x}, {"y", y}, {"w", w}, {"h", h},
                                     {"stroke_width", stroke_width}});
        require(w >= 0.0, "SvgDocument::rect", "w", w, "must be >= 0");
        require(h >= 0.0, "SvgDocument::rect", "h", h, "must be >= 0");
        body_ << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(w)
              << "\" height=\"" << num(h) << "\" fill=\"" << attr(fill) << '"';
        if (stroke != "none") {
            body_ << " stroke=\"" << attr(stroke) << "\" stroke-width=\"" << num(stroke_width)
                  << '"';
        }
        body_ << "/>\n";
    }

    /// Straight segment; `dasharray` (e.g. "4,3") makes it dashed.
    void line(double x1, double y1, double x2, double y2, const std::string& stroke = "#000",
              double width = 1.0, const std::string& dasharray = "") {
        check("SvgDocument::line",
              {{"x1", x1}, {"y1", y1}, {"x2", x2}, {"y2", y2}, {"width", width}});
        body_ << "<line x1=\"" << num(x1) << "\" y1=\"" << num(y1) << "\" x2=\"" << num(x2)
              << "\" y2=\"" << num(y2) << "\" stroke=\"" << attr(stroke) << "\" stroke-width=\""
              << num(width) << '"';
        if (!dasharray.empty()) body_ << " stroke-dasharray=\"" << attr(dasharray) << '"';
        body_ << "/>\n";
    }

    /// Open unfilled path through `points` (nothing is written for an empty list).
    void polyline(const std::vector<std::pair<double, double>>& points,
                  const std::string& stroke, double width) {
        detail::require_finite("SvgDocument::polyline", "width", width);
        if (points.empty()) return;
        for (const auto& [x, y] : points) {  // all checks first: a failed call writes nothing
            detail::require_finite("SvgDocument::polyline", "point x", x);
            detail::require_finite("SvgDocument::polyline", "point y", y);
        }
        body_ << "<polyline fill=\"none\" stroke=\"" << attr(stroke) << "\" stroke-width=\""
              << num(width) << "\" stroke-linejoin=\"round\" points=\"";
        for (std::size_t i = 0; i < points.size(); ++i) {
            body_ << (i ? " " : "") << num(points[i].first) << ',' << num(points[i].second);
        }
        body_ << "\"/>\n";
    }

    /// Closed filled shape through `points` with fill opacity in [0, 1] (bands, areas);
    /// nothing is written for fewer than 3 points.
    void polygon(const std::vector<std::pair<double, double>>& points, const std::string& fill, double opacity) {
        detail::require_finite("SvgDocument::polygon", "opacity", opacity);
        require(opacity >= 0.0 && opacity <= 1.0, "SvgDocument::polygon", "opacity", opacity, "must be in [0, 1]");
        if (points.size() < 3) return;
        for (const auto& [x, y] : points) {
            detail::require_finite("SvgDocument::polygon", "point x", x);
            detail::require_finite("SvgDocument::polygon", "point y", y);
        }
        body_ << "<polygon stroke=\"none\" fill=\"" << attr(fill) << "\" fill-opacity=\"" << num(opacity)
              << "\" points=\"";
        for (std::size_t i = 0; i < points.size(); ++i)
            body_ << (i ? " " : "") << num(points[i].first) << ',' << num(points[i].second);
        body_ << "\"/>\n";
    }

    /// Filled circle of radius r >= 0.
    void circle(double cx, double cy, double r, const std::string& fill) {
        check("SvgDocument::circle", {{"cx", cx}, {"cy", cy}, {"r", r}});
        require(r >= 0.0, "SvgDocument::circle", "r", r, "must be >= 0");
        body_ << "<circle cx=\"" << num(cx) << "\" cy=\"" << num(cy) << "\" r=\"" << num(r)
              << "\" fill=\"" << attr(fill) << "\"/>\n";
    }

    /// Text with its baseline at y; anchor "start", "middle" or "end" places x.
    void text(double x, double y, const std::string& s, double size = 12,
              const std::string& anchor = "start", const std::string& fill = "#000") {
        text_element("SvgDocument::text", x, y, s, size, anchor, fill, "");
    }

    /// Like text(), rotated by `degrees` (clockwise) around (x, y); -90 reads upward.
    void text_rotated(double x, double y, double degrees, const std::string& s,
                      double size = 12, const std::string& anchor = "middle",
                      const std::string& fill = "#000") {
        detail::require_finite("SvgDocument::text_rotated", "degrees", degrees);
        text_element("SvgDocument::text_rotated", x, y, s, size, anchor, fill,
                     "rotate(" + num(degrees) + ' ' + num(x) + ' ' + num(y) + ')');
    }

    /// Bold text drawn at the origin then transformed by translate(x, baseline)
    /// scale(scale_x, scale_y): a glyph stretched to any box (sequence logos). A negative
    /// scale_y flips it upside down, hanging from `baseline`. Prefer anchor "start" with a
    /// computed left edge: librsvg offsets "middle"/"end" by the wrong scale when
    /// scale_y != scale_x.
    void glyph(double x, double baseline, double scale_x, double scale_y, const std::string& s,
               double size, const std::string& fill, const std::string& anchor = "start") {
        constexpr const char* where = "SvgDocument::glyph";
        check(where, {{"x", x}, {"baseline", baseline}, {"scale_x", scale_x},
                      {"scale_y", scale_y}, {"size", size}});
        require(size > 0.0, where, "size", size, "must be > 0");
        detail::require_anchor(where, anchor);
        body_ << "<text transform=\"translate(" << num(x) << ' ' << num(baseline) << ") scale("
              << detail::general_number(scale_x) << ' ' << detail::general_number(scale_y)
              << ")\" font-size=\"" << num(size) << "\" font-weight=\"bold\" text-anchor=\""
              << anchor << "\" fill=\"" << attr(fill) << "\">" << detail::xml_escape(s)
              << "</text>\n";
    }

    /// Opens <g transform="translate(dx dy)">: later elements are shifted by (dx, dy).
    void group_begin(double dx, double dy) {
        check("SvgDocument::group_begin", {{"dx", dx}, {"dy", dy}});
        body_ << "<g transform=\"translate(" << num(dx) << ' ' << num(dy) << ")\">\n";
        ++open_groups_;
    }

    /// Closes the innermost group; invalid_argument when none is open.
    void group_end() {
        if (open_groups_ == 0) {
            throw invalid_argument("SvgDocument::group_end: no group is open");
        }
        body_ << "</g>\n";
        --open_groups_;
    }

    /// Number of groups opened and not yet closed (str() closes them).
    int open_groups() const { return open_groups_; }

    /// The complete document; groups still open are closed.
    std::string str() const {
        std::ostringstream os;
        os << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\""
           << num(width_) << "\" height=\"" << num(height_) << "\" viewBox=\"0 0 "
           << num(width_) << ' ' << num(height_)
           << "\" font-family=\"Helvetica, Arial, sans-serif\">\n"
           << body_.str();
        for (int i = 0; i < open_groups_; ++i) os << "</g>\n";
        os << "</svg>\n";
        return os.str();
    }

    /// Writes str() to `path`; io_error naming the path when it cannot be written.
    void save(const std::string& path) const {
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        if (!file) {
            throw io_error("SvgDocument::save: cannot open '" + path + "' for writing");
        }
        const std::string text = str();
        file.write(text.data(), static_cast<std::streamsize>(text.size()));
        file.close();
        if (!file) throw io_error("SvgDocument::save: failed writing '" + path + "'");
    }

private:
    static std::string num(double v) { return detail::fixed_number(v, 2); }
    static std::string attr(const std::string& s) { return detail::xml_escape(s); }

    static void check(const char* where,
                      std::initializer_list<std::pair<const char*, double>> values) {
        for (const auto& [name, v] : values) detail::require_finite(where, name, v);
    }

    void text_element(const char* where, double x, double y, const std::string& s,
                      double size, const std::string& anchor, const std::string& fill,
                      const std::string& transform) {
        check(where, {{"x", x}, {"y", y}, {"size", size}});
        require(size > 0.0, where, "size", size, "must be > 0");
        detail::require_anchor(where, anchor);
        body_ << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << num(size)
              << '"';
        if (anchor != "start") body_ << " text-anchor=\"" << anchor << '"';
        if (!transform.empty()) body_ << " transform=\"" << transform << '"';
        body_ << " fill=\"" << attr(fill) << "\">" << detail::xml_escape(s) << "</text>\n";
    }

    double width_;
    double height_;
    std::ostringstream body_;
    int open_groups_ = 0;
};

/// A rectangle of a document (top-left corner x, y) that a figure draws into.
struct Panel {
    double x = 0.0, y = 0.0, width = 0.0, height = 0.0;
};

/// The [start, end) window of `width` positions with the largest sum of |attr| over the
/// four channels (attr is L x 4 row-major; non-finite entries count as 0). Ties go to
/// the leftmost window; width >= L gives [0, L); L = 0 gives [0, 0).
inline std::pair<Index, Index> strongest_window(const float* attr, Index L, Index width) {
    constexpr const char* where = "strongest_window";
    require(L >= 0, where, "L", L, "must be >= 0");
    require(width > 0, where, "width", width, "must be > 0");
    if (L == 0) return {0, 0};
    require(attr != nullptr, where, "attr", "null", "(must point to L x 4 values)");
    if (width >= L) return {0, L};
    std::vector<double> prefix(static_cast<std::size_t>(L) + 1, 0.0);
    for (Index i = 0; i < L; ++i) {
        double s = 0.0;
        for (Index c = 0; c < 4; ++c) {
            const double v = attr[i * 4 + c];
            if (std::isfinite(v)) s += std::fabs(v);
        }
        prefix[static_cast<std::size_t>(i) + 1] = prefix[static_cast<std::size_t>(i)] + s;
    }
    Index best = 0;
    double best_sum = -1.0;
    for (Index s = 0; s + width <= L; ++s) {
        const double sum = prefix[static_cast<std::size_t>(s + width)] -
                           prefix[static_cast<std::size_t>(s)];
        if (sum > best_sum) {
            best_sum = sum;
            best = s;
        }
    }
    return {best, best + width};
}

/// Sequence logo of attr (L x 4, channels A, C, G, T) over positions [start, end); see
/// the file comment. Draws a y axis labelled with the largest stack heights, a zero line,
/// position ticks along the bottom and `title` above.
inline void attribution_logo(SvgDocument& doc, const Panel& panel, const float* attr, Index L,
                             Index start, Index end, const std::string& title) {
    constexpr const char* where = "attribution_logo";
    detail::require_panel(where, panel.x, panel.y, panel.width, panel.height);
    require(L >= 0, where, "L", L, "must be >= 0");
    require(start >= 0 && start <= L, where, "start", start, "must be in [0, L = ", L, "]");
    require(end >= start && end <= L, where, "end", end, "must be in [start = ", start,
            ", L = ", L, "]");
    const Index n = end - start;
    require(n == 0 || attr != nullptr, where, "attr", "null", "(must point to L x 4 values)");

    static const char* const kLetters[4] = {"A", "C", "G", "T"};
    static const char* const kColors[4] = {"#109648", "#255C99", "#F7B32B", "#D62839"};
    // Advance widths and cap height of bold Helvetica/Arial, in em.
    static const double kAdvance[4] = {0.722, 0.722, 0.778, 0.611};
    constexpr double kCapHeight = 0.73;  // Helvetica/Arial 0.716, DejaVu Sans 0.729
    constexpr double kFontSize = 100.0;

    const double left = panel.x + 52.0;
    const double top = panel.y + (title.empty() ? 8.0 : 28.0);
    const double plot_w = std::max(1.0, panel.x + panel.width - 8.0 - left);
    const double plot_h = std::max(1.0, panel.y + panel.height - 22.0 - top);
    const double bottom = top + plot_h;

    if (!title.empty()) doc.text(left, panel.y + 16.0, title, 13);

    auto value = [&](Index i, int c) {
        const double v = attr[i * 4 + c];
        return std::isfinite(v) ? v : 0.0;
    };
    double pos_max = 0.0, neg_max = 0.0;
    for (Index i = start; i < end; ++i) {
        double p = 0.0, q = 0.0;
        for (int c = 0; c < 4; ++c) (value(i, c) > 0.0 ? p : q) += std::fabs(value(i, c));
        pos_max = std::max(pos_max, p);
        neg_max = std::max(neg_max, q);
    }
    const double range = pos_max + neg_max;
    const double zero_y = range > 0.0 ? top + plot_h * (pos_max / range) : top + plot_h / 2.0;

    // Axes: y axis with the extreme stack heights, zero line, position ticks.
    doc.line(left, top, left, bottom, "#444", 1.0);
    doc.line(left, zero_y, left + plot_w, zero_y, "#888", 1.0);
    auto y_tick = [&](double y, const std::string& label) {
        doc.line(left - 4.0, y, left, y, "#444", 1.0);
        doc.text(left - 6.0, y + 4.0, label, 10, "end", "#333");
    };
    y_tick(zero_y, "0");
    if (pos_max > 0.0) y_tick(top, detail::general_number(pos_max, 2));
    if (neg_max > 0.0) y_tick(bottom, detail::general_number(-neg_max, 2));

    if (n == 0) return;
    const double cell = plot_w / static_cast<double>(n);
    const Index x_step = std::max<Index>(
        1, static_cast<Index>(std::llround(detail::nice_step(static_cast<double>(n), 8.0))));
    for (Index p = ((start + x_step - 1) / x_step) * x_step; p < end; p += x_step) {
        const double cx = left + (static_cast<double>(p - start) + 0.5) * cell;
        doc.line(cx, bottom, cx, bottom + 4.0, "#444", 1.0);
        doc.text(cx, bottom + 15.0, std::to_string(p), 10, "middle", "#333");
    }

    // Letters: stacks sorted by magnitude, the largest farthest from the zero line.
    std::vector<std::pair<double, int>> pos, neg;
    for (Index i = start; i < end; ++i) {
        pos.clear();
        neg.clear();
        for (int c = 0; c < 4; ++c) {
            const double v = value(i, c);
            if (v > 0.0) pos.emplace_back(v, c);
            if (v < 0.0) neg.emplace_back(-v, c);
        }
        std::stable_sort(pos.begin(), pos.end());
        std::stable_sort(neg.begin(), neg.end());
        // Each letter fills 94% of its cell. It is placed by its left edge (anchor "start"):
        // librsvg misplaces "middle"-anchored text under a non-uniform scale.
        const double x0 = left + (static_cast<double>(i - start) + 0.03) * cell;
        auto scale_x = [&](int c) { return 0.94 * cell / (kAdvance[c] * kFontSize); };
        double y = zero_y;
        for (const auto& [v, c] : pos) {
            const double h = plot_h * (v / range);
            doc.glyph(x0, y, scale_x(c), h / (kCapHeight * kFontSize), kLetters[c], kFontSize,
                      kColors[c], "start");
            y -= h;
        }
        y = zero_y;
        for (const auto& [v, c] : neg) {
            const double h = plot_h * (v / range);
            doc.glyph(x0, y, scale_x(c), -h / (kCapHeight * kFontSize), kLetters[c], kFontSize,
                      kColors[c], "start");
            y += h;
        }
    }
}
namespace detail {

/// The plotting rectangle of a chart inside its panel: room on the left for the y tick
/// labels and axis label, above for the title (and `extra_top` pixels of note lines),
/// below for the x tick labels and axis label.
struct PlotArea {
    double left = 0.0, top = 0.0, width = 1.0, height = 1.0;
    double right() const { return left + width; }
    double bottom() const { return top + height; }
    /// Pixel x of v on an axis spanning [lo, hi] (hi > lo).
    double x_of(double v, double lo, double hi) const { return left + (v - lo) / (hi - lo) * width; }
    /// Pixel y of v on an axis spanning [lo, hi] (hi > lo), lo at the bottom.
    double y_of(double v, double lo, double hi) const { return bottom() - (v - lo) / (hi - lo) * height; }
};

inline PlotArea plot_area(const Panel& panel, bool has_title, bool has_xlabel, double extra_top = 0.0) {
    PlotArea a;
    a.left = panel.x + 62.0;
    a.top = panel.y + (has_title ? 28.0 : 10.0) + extra_top;
    a.width = std::max(1.0, panel.x + panel.width - 14.0 - a.left);
    a.height = std::max(1.0, panel.y + panel.height - (has_xlabel ? 40.0 : 24.0) - a.top);
    return a;
}

/// The title centred above the plot area, the x label below it and the y label rotated
/// along its left side (empty strings draw nothing).
inline void chart_labels(SvgDocument& doc, const Panel& panel, const PlotArea& a, const std::string& title,
                         const std::string& xlabel, const std::string& ylabel) {
    if (!title.empty()) doc.text(a.left + a.width / 2.0, panel.y + 18.0, title, 13, "middle");
    if (!xlabel.empty()) doc.text(a.left + a.width / 2.0, panel.y + panel.height - 8.0, xlabel, 11, "middle");
    if (!ylabel.empty()) doc.text_rotated(panel.x + 14.0, a.top + a.height / 2.0, -90.0, ylabel, 11, "middle");
}

/// The left and bottom axis lines, drawn last so that they lie over grid and bars.
inline void chart_frame(SvgDocument& doc, const PlotArea& a) {
    doc.line(a.left, a.top, a.left, a.bottom(), "#444", 1.0);
    doc.line(a.left, a.bottom(), a.right(), a.bottom(), "#444", 1.0);
}

/// "no data" in the middle of the plot area.
inline void no_data(SvgDocument& doc, const PlotArea& a, const std::string& message = "no data") {
    doc.text(a.left + a.width / 2.0, a.top + a.height / 2.0, message, 12, "middle", "#888");
}

/// Ticks of a log10 axis spanning [lo, hi] (in log10 units) as (log10 position, label of
/// the value): decades (every step-th one when there are many), plus 2x and 5x marks when
/// there are few; below two marks, nice linear values placed on the log axis.
inline std::vector<std::pair<double, std::string>> log10_ticks(double lo, double hi) {
    double step = 1.0;
    while (std::floor(hi) - std::ceil(lo) + 1.0 > 6.0 * step) step += 1.0;
    const std::vector<double> decades = ticks_in(lo, hi, step);
    std::vector<double> values;
    for (double k : decades) {
        for (double m : {1.0, 2.0, 5.0}) {
            if (m != 1.0 && decades.size() > 2) continue;
            const double t = k + std::log10(m);
            if (t <= hi) values.push_back(std::pow(10.0, t));
        }
    }
    if (decades.size() <= 2 && !decades.empty()) {  // marks below the lowest decade
        for (double m : {2.0, 5.0}) {
            const double t = decades.front() - 1.0 + std::log10(m);
            if (t >= lo) values.push_back(std::pow(10.0, t));
        }
    }
    if (values.size() < 2) {
        values.clear();
        const double vlo = std::pow(10.0, lo), vhi = std::pow(10.0, hi);
        for (double t : ticks_in(vlo, vhi, nice_step(vhi - vlo, 4.0))) {
            if (t > 0.0) values.push_back(t);
        }
    }
    std::vector<std::pair<double, std::string>> ticks;
    for (double v : values) ticks.emplace_back(std::log10(v), general_number(v, 3));
    return ticks;
}

/// Ticks of a linear axis spanning [lo, hi], about `target` of them, as (position, label).
/// `integers` keeps the spacing a whole number (counts, epochs) whenever the span allows.
inline std::vector<std::pair<double, std::string>> linear_ticks(double lo, double hi, double target,
                                                                bool integers) {
    double step = nice_step(hi - lo, target);
    if (integers && hi - lo >= 2.0) step = std::max(1.0, std::round(step));
    std::vector<std::pair<double, std::string>> ticks;
    for (double t : ticks_in(lo, hi, step)) ticks.emplace_back(t, tick_label(t, step));
    return ticks;
}

/// Horizontal grid lines, tick marks and labels at `ticks` on a y axis spanning [lo, hi].
inline void y_axis(SvgDocument& doc, const PlotArea& a, const std::vector<std::pair<double, std::string>>& ticks,
                   double lo, double hi) {
    for (const auto& [t, label] : ticks) {
        const double y = a.y_of(t, lo, hi);
        if (!std::isfinite(y)) continue;
        doc.line(a.left, y, a.right(), y, "#e5e5e5", 1.0);
        doc.line(a.left - 4.0, y, a.left, y, "#444", 1.0);
        doc.text(a.left - 6.0, y + 4.0, label, 10, "end", "#333");
    }
}

/// Tick marks and labels at `ticks` below an x axis spanning [lo, hi].
inline void x_axis(SvgDocument& doc, const PlotArea& a, const std::vector<std::pair<double, std::string>>& ticks,
                   double lo, double hi) {
    for (const auto& [t, label] : ticks) {
        const double x = a.x_of(t, lo, hi);
        if (!std::isfinite(x)) continue;
        doc.line(x, a.bottom(), x, a.bottom() + 4.0, "#444", 1.0);
        doc.text(x, a.bottom() + 15.0, label, 10, "middle", "#333");
    }
}

/// A legend of (name, colour) entries inside the plot area, in the corner covering the
/// fewest `ink` points (pixel samples of what was drawn; top right, top left, bottom
/// right, bottom left on ties). Curves get a line swatch, bars a filled square.
inline void legend(SvgDocument& doc, const PlotArea& a,
                   const std::vector<std::pair<std::string, std::string>>& entries,
                   const std::vector<std::pair<double, double>>& ink, bool bar_swatch) {
    if (entries.empty()) return;
    std::size_t longest = 0;
    for (const auto& entry : entries) longest = std::max(longest, entry.first.size());
    const double w = 34.0 + 6.2 * static_cast<double>(longest);
    const double h = 6.0 + 15.0 * static_cast<double>(entries.size());
    const double xr = std::max(a.left + 2.0, a.right() - w - 6.0), xl = a.left + 8.0;
    const double yt = a.top + 6.0, yb = std::max(a.top + 2.0, a.bottom() - h - 6.0);
    const std::pair<double, double> corners[4] = {{xr, yt}, {xl, yt}, {xr, yb}, {xl, yb}};
    double x0 = xr, y0 = yt;
    std::size_t fewest = std::numeric_limits<std::size_t>::max();
    for (const auto& [cx, cy] : corners) {
        std::size_t covered = 0;
        for (const auto& [px, py] : ink) {
            covered += px >= cx - 3.0 && px <= cx + w + 3.0 && py >= cy - 3.0 && py <= cy + h + 3.0;
        }
        if (covered < fewest) {
            fewest = covered;
            x0 = cx;
            y0 = cy;
        }
    }
    doc.rect(x0, y0, w, h, "#fff", "#ccc", 1.0);
    for (std::size_t e = 0; e < entries.size(); ++e) {
        const double y = y0 + 13.0 + 15.0 * static_cast<double>(e);
        if (bar_swatch) {
            doc.rect(x0 + 9.0, y - 9.0, 10.0, 10.0, entries[e].second);
        } else {
            doc.line(x0 + 6.0, y - 4.0, x0 + 24.0, y - 4.0, entries[e].second, 2.0);
        }
        doc.text(x0 + 29.0, y, entries[e].first, 11, "start", "#222");
    }
}

/// Colour of series k: colors[k] when given and non-empty, else a default palette.
inline std::string series_color(const std::vector<std::string>& colors, std::size_t k) {
    static const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    if (k < colors.size() && !colors[k].empty()) return colors[k];
    return kPalette[k % (sizeof kPalette / sizeof kPalette[0])];
}

/// The legend's (name, colour) entries of `count` series: those with a non-empty name.
inline std::vector<std::pair<std::string, std::string>> legend_entries(std::size_t count,
                                                                       const std::vector<std::string>& names,
                                                                       const std::vector<std::string>& colors) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (std::size_t k = 0; k < count && k < names.size(); ++k)
        if (!names[k].empty()) entries.emplace_back(names[k], series_color(colors, k));
    return entries;
}

}  // namespace detail

/// Line chart of `series` (y values; series[k][i] is drawn at x = x_first + i) with axes,
/// tick labels, grid, a legend of `names` and axis labels. `colors[k]` strokes series k
/// (a default palette fills in missing or empty entries); a missing or empty name leaves
/// the series out of the legend. With log_y the y axis is log10 and values <= 0 are
/// skipped. Empty or all-skipped input draws the frame and "no data".
inline void line_plot(SvgDocument& doc, const Panel& panel,
                      const std::vector<std::vector<double>>& series,
                      const std::vector<std::string>& names,
                      const std::vector<std::string>& colors, const std::string& title,
                      const std::string& xlabel, const std::string& ylabel, bool log_y = false,
                      double x_first = 1.0) {
    constexpr const char* where = "line_plot";
    detail::require_panel(where, panel.x, panel.y, panel.width, panel.height);
    detail::require_finite(where, "x_first", x_first);
    const detail::PlotArea area = detail::plot_area(panel, !title.empty(), !xlabel.empty());
    detail::chart_labels(doc, panel, area, title, xlabel, ylabel);

    // Data range over the drawable points (y already in log10 with log_y).
    auto y_of = [&](double v) {
        if (log_y) return v > 0.0 && std::isfinite(v) ? std::log10(v) : std::nan("");
        return std::isfinite(v) ? v : std::nan("");
    };
    double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
    double ymin = xmin, ymax = -xmin;
    for (const auto& s : series) {
        for (std::size_t i = 0; i < s.size(); ++i) {
            const double y = y_of(s[i]);
            if (std::isnan(y)) continue;
            const double x = x_first + static_cast<double>(i);
            xmin = std::min(xmin, x);
            xmax = std::max(xmax, x);
            ymin = std::min(ymin, y);
            ymax = std::max(ymax, y);
        }
    }
    const bool has_data = xmin <= xmax;
    std::vector<std::pair<double, double>> ink;  // samples of the drawn curves (legend placement)

    if (has_data) {
        if (xmax - xmin <= 0.0) {
            xmin -= 1.0;
            xmax += 1.0;
        }
        if (ymax - ymin <= 0.0) {  // constant data: centre it in a small range
            const double pad = log_y ? 0.5 : (ymin != 0.0 ? std::fabs(ymin) * 0.1 : 1.0);
            ymin -= pad;
            ymax += pad;
        } else {
            const double pad = (ymax - ymin) * 0.05;
            ymin -= pad;
            ymax += pad;
        }
        detail::y_axis(doc, area,
                       log_y ? detail::log10_ticks(ymin, ymax) : detail::linear_ticks(ymin, ymax, 5.0, false),
                       ymin, ymax);
        detail::x_axis(doc, area, detail::linear_ticks(xmin, xmax, 6.0, true), xmin, xmax);

        // Curves, broken at skipped points; isolated points become dots.
        for (std::size_t k = 0; k < series.size(); ++k) {
            const std::string color = detail::series_color(colors, k);
            std::vector<std::pair<double, double>> run;
            auto flush = [&]() {
                if (run.size() == 1) doc.circle(run[0].first, run[0].second, 2.5, color);
                if (run.size() > 1) doc.polyline(run, color, 1.8);
                run.clear();
            };
            for (std::size_t i = 0; i < series[k].size(); ++i) {
                const double y = y_of(series[k][i]);
                const double X = area.x_of(x_first + static_cast<double>(i), xmin, xmax);
                const double Y = std::isnan(y) ? y : area.y_of(y, ymin, ymax);
                if (std::isfinite(X) && std::isfinite(Y)) {
                    if (!run.empty()) {
                        for (int q = 1; q < 8; ++q) {
                            const double f = q / 8.0;
                            ink.emplace_back(run.back().first + f * (X - run.back().first),
                                             run.back().second + f * (Y - run.back().second));
                        }
                    }
                    ink.emplace_back(X, Y);
                    run.emplace_back(X, Y);
                } else {
                    flush();
                }
            }
            flush();
        }
    } else {
        detail::no_data(doc, area);
    }
    detail::chart_frame(doc, area);
    detail::legend(doc, area, detail::legend_entries(series.size(), names, colors), ink, /*bar_swatch=*/false);
}

/// What histogram() counted: `bins` equal bins between the smallest and largest drawable
/// value (on the log10 scale with log_x; constant data get a small range around the
/// value). edges are in the values' own units (10^edge of the log10 grid with log_x).
struct HistogramBins {
    std::vector<double> edges;        ///< bins + 1 increasing edges (empty: nothing to draw)
    std::vector<std::size_t> counts;  ///< values per bin; the last bin includes its right edge
    std::size_t non_finite = 0;       ///< NaN and infinite values, not drawn
    std::size_t non_positive = 0;     ///< with log_x: finite values <= 0, not drawn
    std::size_t drawn() const {
        std::size_t n = 0;
        for (std::size_t c : counts) n += c;
        return n;
    }
};

/// Bins `values` as histogram() does (see HistogramBins); bins >= 1.
inline HistogramBins histogram_bins(const std::vector<double>& values, int bins, bool log_x) {
    require(bins >= 1, "histogram_bins", "bins", bins, "must be >= 1");
    HistogramBins out;
    std::vector<double> axis;  // drawable values on the axis scale
    axis.reserve(values.size());
    for (double v : values) {
        if (!std::isfinite(v)) {
            ++out.non_finite;
        } else if (log_x && v <= 0.0) {
            ++out.non_positive;
        } else {
            axis.push_back(log_x ? std::log10(v) : v);
        }
    }
    if (axis.empty()) return out;
    const auto [min_it, max_it] = std::minmax_element(axis.begin(), axis.end());
    double lo = *min_it, hi = *max_it;
    if (hi - lo <= 0.0) {  // constant data: a range around the value
        const double pad = log_x ? 0.5 : (lo != 0.0 ? std::fabs(lo) * 0.1 : 0.5);
        lo -= pad;
        hi += pad;
    }
    const double width = (hi - lo) / bins;
    out.counts.assign(static_cast<std::size_t>(bins), 0);
    for (double t : axis) {
        const int b = std::clamp(static_cast<int>(std::floor((t - lo) / width)), 0, bins - 1);
        ++out.counts[static_cast<std::size_t>(b)];
    }
    out.edges.resize(static_cast<std::size_t>(bins) + 1);
    for (int b = 0; b <= bins; ++b) {
        const double t = b == bins ? hi : lo + b * width;
        out.edges[static_cast<std::size_t>(b)] = log_x ? std::pow(10.0, t) : t;
    }
    return out;
}

/// Options of histogram().
struct HistogramOptions {
    std::string title, xlabel, ylabel = "count";
    int bins = 30;
    /// log10 x axis, for positive values spanning decades (such as |delta|); values <= 0
    /// have no place on it and are counted in the note instead.
    bool log_x = false;
    /// A vertical dashed line at this value (e.g. a warning threshold), labelled
    /// marker_label; the x axis is widened to show it. Must be finite (and > 0 with log_x).
    std::optional<double> marker;
    std::string marker_label;
    std::string color = "#255C99";
};

/// Histogram of `values`: one bar per bin holding values (empty bins draw nothing),
/// counts on the y axis, and a note line under the title counting the values that could
/// not be drawn (non-finite ones; values <= 0 with log_x), so that none is dropped
/// silently. No drawable value: the frame and "no data". Returns the bins drawn.
inline HistogramBins histogram(SvgDocument& doc, const Panel& panel, const std::vector<double>& values,
                               const HistogramOptions& options = {}) {
    constexpr const char* where = "histogram";
    detail::require_panel(where, panel.x, panel.y, panel.width, panel.height);
    if (options.marker) {
        detail::require_finite(where, "marker", *options.marker);
        require(!options.log_x || *options.marker > 0.0, where, "marker", *options.marker,
                "must be > 0 on a log x axis");
    }
    const HistogramBins bins = histogram_bins(values, options.bins, options.log_x);

    std::string note;
    if (bins.non_finite > 0) note = std::to_string(bins.non_finite) + " non-finite";
    if (bins.non_positive > 0) {
        note += (note.empty() ? "" : ", ") + std::to_string(bins.non_positive) + " <= 0";
    }
    if (!note.empty()) note += " of " + std::to_string(values.size()) + " values not shown";
    const detail::PlotArea area =
        detail::plot_area(panel, !options.title.empty(), !options.xlabel.empty(), note.empty() ? 0.0 : 14.0);
    detail::chart_labels(doc, panel, area, options.title, options.xlabel, options.ylabel);
    if (!note.empty()) doc.text(area.left + area.width / 2.0, area.top - 6.0, note, 10, "middle", "#a33");

    if (bins.edges.empty()) {
        detail::no_data(doc, area);
        detail::chart_frame(doc, area);
        return bins;
    }
    auto axis_of = [&](double v) { return options.log_x ? std::log10(v) : v; };
    double xlo = axis_of(bins.edges.front()), xhi = axis_of(bins.edges.back());
    if (options.marker) {  // widen the axis to the marker, with a little room beyond it
        const double m = axis_of(*options.marker), pad = 0.02 * (std::max(xhi, m) - std::min(xlo, m));
        if (m <= xlo) xlo = m - pad;
        if (m >= xhi) xhi = m + pad;
    }
    std::size_t most = 0;
    for (std::size_t c : bins.counts) most = std::max(most, c);
    const double ylo = 0.0, yhi = static_cast<double>(most) * 1.05;

    detail::y_axis(doc, area, detail::linear_ticks(ylo, yhi, 5.0, true), ylo, yhi);
    detail::x_axis(doc, area,
                   options.log_x ? detail::log10_ticks(xlo, xhi) : detail::linear_ticks(xlo, xhi, 6.0, false),
                   xlo, xhi);
    for (std::size_t b = 0; b < bins.counts.size(); ++b) {
        if (bins.counts[b] == 0) continue;
        const double x0 = area.x_of(axis_of(bins.edges[b]), xlo, xhi);
        const double x1 = area.x_of(axis_of(bins.edges[b + 1]), xlo, xhi);
        const double y = area.y_of(static_cast<double>(bins.counts[b]), ylo, yhi);
        // A hairline gap keeps neighbouring bars apart, except when a bar is that thin.
        const double gap = x1 - x0 > 3.0 ? 0.5 : 0.0;
        doc.rect(x0 + gap, y, std::max(0.0, x1 - x0 - 2.0 * gap), area.bottom() - y, options.color);
    }
    if (options.marker) {
        const double x = area.x_of(axis_of(*options.marker), xlo, xhi);
        doc.line(x, area.top, x, area.bottom(), "#D62839", 1.5, "5,3");
        if (!options.marker_label.empty()) {
            const bool right_half = x > area.left + area.width / 2.0;
            doc.text(right_half ? x - 4.0 : x + 4.0, area.top + 11.0, options.marker_label, 10,
                     right_half ? "end" : "start", "#D62839");
        }
    }
    detail::chart_frame(doc, area);
    return bins;
}

/// Grouped bar chart: series[k][j] >= 0 is the height of series k's bar in category j
/// (e.g. how many regions hold j seqlets). Each series must have one value per category;
/// bars of height 0 are not drawn. Category labels are written under every category, or
/// every few when they would not fit. `colors` and `names` (the legend) work as in
/// line_plot. No categories or all-zero heights: the frame and "no data".
inline void bar_chart(SvgDocument& doc, const Panel& panel, const std::vector<std::string>& categories,
                      const std::vector<std::vector<double>>& series, const std::vector<std::string>& names,
                      const std::vector<std::string>& colors, const std::string& title, const std::string& xlabel,
                      const std::string& ylabel) {
    constexpr const char* where = "bar_chart";
    detail::require_panel(where, panel.x, panel.y, panel.width, panel.height);
    double most = 0.0;
    for (std::size_t k = 0; k < series.size(); ++k) {
        require(series[k].size() == categories.size(), where, "series[k].size()", series[k].size(),
                "must equal categories.size() = ", categories.size(), " (k = ", k, ")");
        for (double v : series[k]) {
            detail::require_finite(where, "bar height", v);
            require(v >= 0.0, where, "bar height", v, "must be >= 0");
            most = std::max(most, v);
        }
    }
    const detail::PlotArea area = detail::plot_area(panel, !title.empty(), !xlabel.empty());
    detail::chart_labels(doc, panel, area, title, xlabel, ylabel);
    std::vector<std::pair<double, double>> ink;  // bar tops (legend placement)
    if (most > 0.0) {
        const double ylo = 0.0, yhi = most * 1.05;
        detail::y_axis(doc, area, detail::linear_ticks(ylo, yhi, 5.0, true), ylo, yhi);
        const double slot = area.width / static_cast<double>(categories.size());
        const double bar = 0.8 * slot / static_cast<double>(series.size());
        // Labels at most every ~36 pixels: every stride-th category.
        const std::size_t stride = static_cast<std::size_t>(std::max(
            1.0, std::ceil(detail::nice_step(static_cast<double>(categories.size()), area.width / 36.0))));
        for (std::size_t j = 0; j < categories.size(); ++j) {
            const double x_mid = area.left + (static_cast<double>(j) + 0.5) * slot;
            if (j % stride == 0) {
                doc.line(x_mid, area.bottom(), x_mid, area.bottom() + 4.0, "#444", 1.0);
                doc.text(x_mid, area.bottom() + 15.0, categories[j], 10, "middle", "#333");
            }
            for (std::size_t k = 0; k < series.size(); ++k) {
                if (!(series[k][j] > 0.0)) continue;
                const double x0 = area.left + (static_cast<double>(j) + 0.1) * slot + static_cast<double>(k) * bar;
                const double y = area.y_of(series[k][j], ylo, yhi);
                doc.rect(x0, y, bar, area.bottom() - y, detail::series_color(colors, k));
                ink.emplace_back(x0, y);
                ink.emplace_back(x0 + bar, y);
            }
        }
    } else {
        detail::no_data(doc, area);
    }
    detail::chart_frame(doc, area);
    detail::legend(doc, area, detail::legend_entries(series.size(), names, colors), ink, /*bar_swatch=*/true);
}

/// How often each non-negative integer occurs in each of several series (e.g. the number
/// of positive and of negative seqlets per region), as bar_chart() input. Bins are
/// [j w, (j + 1) w) for the smallest w in 1, 2, 5, 10, 20, 50, ... giving at most max_bars
/// bins from 0 to the largest value; labelled "j" when w = 1, else "jw-(j+1)w-1".
struct IntegerTally {
    Index bin_width = 1;
    std::vector<std::string> labels;          ///< one per bin (empty: no values at all)
    std::vector<std::vector<double>> counts;  ///< counts[k][j]: values of series k in bin j
};

inline IntegerTally tally_integers(const std::vector<std::vector<Index>>& series, Index max_bars = 25) {
    constexpr const char* where = "tally_integers";
    require(max_bars >= 1, where, "max_bars", max_bars, "must be >= 1");
    IntegerTally out;
    out.counts.resize(series.size());
    Index largest = -1;
    for (const auto& s : series) {
        for (Index v : s) {
            require(v >= 0, where, "value", v, "must be >= 0 (a count)");
            largest = std::max(largest, v);
        }
    }
    if (largest < 0) return out;
    Index mantissa = 1, decade = 1;  // widths 1, 2, 5, 10, 20, 50, ...
    while ((largest + mantissa * decade) / (mantissa * decade) > max_bars) {
        if (mantissa == 5) {
            mantissa = 1;
            decade *= 10;
        } else {
            mantissa = mantissa == 1 ? 2 : 5;
        }
    }
    out.bin_width = mantissa * decade;
    const Index w = out.bin_width, n_bins = largest / w + 1;
    for (Index j = 0; j < n_bins; ++j) {
        out.labels.push_back(w == 1 ? std::to_string(j)
                                    : std::to_string(j * w) + "-" + std::to_string(j * w + w - 1));
    }
    for (std::size_t k = 0; k < series.size(); ++k) {
        out.counts[k].assign(static_cast<std::size_t>(n_bins), 0.0);
        for (Index v : series[k]) out.counts[k][static_cast<std::size_t>(v / w)] += 1.0;
    }
    return out;
}

}  // namespace attrprior::report
