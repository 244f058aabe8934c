// Per-base tracks over a set of windows, written as one bigWig (docs/data.md §10, "Contribution
// bigWigs"): contribution scores of the regions an `attribute` run explains, or a model's
// predicted profiles (one file per task and strand). Named for what it writes, windows of
// per-base values, not for where the values come from.
//
// Placement, the rule of chrombpnet's importance_hdf5_to_bigwig.py (bigwig_helper.write_bigwig)
// made well-defined for any overlap:
//  * window r holds values[r * L + i] for base windows[r].start + i;
//  * windows are put in (chromosome, start) order, chromosomes in the order of the bigWig's
//    list; ties by summit, then by input order;
//  * a base covered by several windows takes the value of the covering window whose summit is
//    nearest, distance measured from the middle of the base to the start of the summit base:
//    |p + 1/2 - summit|. A base at equal distance from two summits lies between them and goes
//    to the window whose summit is to its right (the later one); between windows with the same
//    summit, bases left of it go to the first of them in the order above, the others to the
//    last;
//  * bases covered by no window get no value (they read back as 0).
// For two overlapping windows with summits a <= b this gives bases p < floor((a + b) / 2) to
// the first window and the others to the second: chrombpnet's split. Measured in whole bases,
// |p - summit|, the base just left of the middle of an odd distance would be one base nearer a
// yet chrombpnet gives it to b; the half-base measure is what reproduces chrombpnet exactly.
// When every window has the same length and its summit at the same offset (e.g. centred, as
// load_regions makes them), the result equals chrombpnet's pass over consecutive pairs, also
// when a window overlaps more than its neighbour (tests/genomics/test_window_bigwig.cpp
// checks this against the pairwise pass on random windows). Other windows are still placed by
// the nearest-summit rule, where the pairwise pass could leave gaps.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/windows.hpp"

namespace attrprior::genomics {

/// Bases [start, end) of chromosome `chromosome` (an index into the bigWig's chromosome list)
/// that take their values from windows[window], at offsets start - windows[window].start, ...
struct TrackSegment {
    std::size_t chromosome = 0;
    Index start = 0, end = 0;
    std::size_t window = 0;

    friend bool operator==(const TrackSegment& a, const TrackSegment& b) {
        return a.chromosome == b.chromosome && a.start == b.start && a.end == b.end && a.window == b.window;
    }
};

/// Quantiles of the values written to a bigWig, chrombpnet's summary of a contribution track:
/// minimum, 0.1%, 1%, 50%, 99%, 99.9%, 99.95%, 99.99% and maximum, each interpolated linearly
/// between the two nearest order statistics (numpy's default).
struct TrackQuantiles {
    static constexpr std::array<double, 9> levels = {0.0, 0.001, 0.01, 0.5, 0.99, 0.999, 0.9995, 0.9999, 1.0};
    static constexpr std::array<const char*, 9> labels = {"Min", ".1%",    "1%",     "50%", "99%",
                                                          "99.9%", "99.95%", "99.99%", "Max"};
    Index bases = 0;  ///< number of values summarised; 0 gives NaN quantiles
    std::array<double, 9> values{};  ///< quantile at levels[k]
};

namespace detail {

/// The windows' (name, length) list lookup, and a check of every window against it.
inline std::unordered_map<std::string, std::size_t> check_track_windows(
    const std::vector<std::pair<std::string, Index>>& chromosomes, const std::vector<Interval>& windows,
    const char* who) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t c = 0; c < chromosomes.size(); ++c) index.emplace(chromosomes[c].first, c);
    for (std::size_t i = 0; i < windows.size(); ++i) {
        const Interval& w = windows[i];
        const auto bad = [&](const auto&... why) {
            return invalid_argument(attrprior::detail::concat(who, ": ", describe_interval(w, "windows", i), " ", why...));
        };
        const auto it = index.find(w.chrom);
        if (it == index.end()) {
            throw bad("is on chromosome '", w.chrom, "', which is not in the bigWig's chromosome list (",
                      chromosomes.size(), " chromosomes: ",
                      bigwig_name_list(chromosomes, [](const auto& c) { return c.first; }), ")");
        }
        if (w.end <= w.start) throw bad("is empty (end <= start)");
        if (w.start < 0 || w.end > chromosomes[it->second].second) {
            throw bad("passes an end of the chromosome (length ", chromosomes[it->second].second, ")");
        }
        if (w.summit < w.start || w.summit >= w.end) throw bad("has summit ", w.summit, " outside [start, end)");
    }
    return index;
}

}  // namespace detail

/// Where each window's values go (see the top of this file): the segments in the order of
/// `chromosomes`, then by position, disjoint, adjacent segments of one window merged. Throws
/// invalid_argument naming the window (windows[i], name, coordinates) when it is on a
/// chromosome not in `chromosomes`, passes the chromosome's end, is empty or has its summit
/// outside [start, end). Time: the covered bases times the number of windows covering each.
inline std::vector<TrackSegment> nearest_summit_segments(const std::vector<std::pair<std::string, Index>>& chromosomes,
                                                         const std::vector<Interval>& windows) {
    const auto index = detail::check_track_windows(chromosomes, windows, "nearest_summit_segments");
    std::vector<std::size_t> order(windows.size());
    std::vector<std::size_t> chrom_of(windows.size());
    for (std::size_t i = 0; i < windows.size(); ++i) {
        order[i] = i;
        chrom_of[i] = index.at(windows[i].chrom);
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::make_tuple(chrom_of[a], windows[a].start, windows[a].summit, a) <
               std::make_tuple(chrom_of[b], windows[b].start, windows[b].summit, b);
    });

    std::vector<TrackSegment> segments;
    const auto emit = [&](std::size_t chrom, Index p, std::size_t window) {
        if (!segments.empty() && segments.back().chromosome == chrom && segments.back().window == window &&
            segments.back().end == p) {
            ++segments.back().end;
        } else {
            segments.push_back({chrom, p, p + 1, window});
        }
    };
    // Ranks into `order` of the windows covering the current base. The winner minimises
    // (distance, summit not right of p, rank if the summit is right of p else -rank): the
    // nearest summit; on a tie the summit right of p, and among equal summits the first
    // (right of p) or the last (otherwise) in sorted order.
    std::vector<std::size_t> active;
    std::size_t next = 0;
    while (next < order.size() || !active.empty()) {
        // The base to place: the one after the last placed, or the start of the next window
        // when the previous run of overlapping windows has ended.
        const std::size_t chrom = chrom_of[order[active.empty() ? next : active.front()]];
        const Index p = active.empty() ? windows[order[next]].start : segments.back().end;
        while (next < order.size() && chrom_of[order[next]] == chrom && windows[order[next]].start <= p) {
            active.push_back(next++);
        }
        active.erase(std::remove_if(active.begin(), active.end(),
                                    [&](std::size_t r) { return windows[order[r]].end <= p; }),
                     active.end());
        if (active.empty()) continue;
        const auto key = [&](std::size_t r) {
            const Index s = windows[order[r]].summit;
            const Index d = 2 * p + 1 - 2 * s;
            const bool right = s > p;
            return std::make_tuple(d < 0 ? -d : d, right ? 0 : 1,
                                   right ? static_cast<std::ptrdiff_t>(r) : -static_cast<std::ptrdiff_t>(r));
        };
        std::size_t best = active.front();
        for (std::size_t r : active) {
            if (key(r) < key(best)) best = r;
        }
        emit(chrom, p, order[best]);
    }
    return segments;
}

/// TrackQuantiles of `values` (taken by value: reordered while selecting).
inline TrackQuantiles track_quantiles(std::vector<float> values) {
    TrackQuantiles q;
    q.bases = static_cast<Index>(values.size());
    if (values.empty()) {
        q.values.fill(std::numeric_limits<double>::quiet_NaN());
        return q;
    }
    const std::size_t n = values.size();
    std::size_t sorted_to = 0;  // values[0..sorted_to] hold their order statistics' place
    for (std::size_t k = 0; k < TrackQuantiles::levels.size(); ++k) {
        const double h = static_cast<double>(n - 1) * TrackQuantiles::levels[k];
        const auto lo = std::min(static_cast<std::size_t>(std::floor(h)), n - 1);
        // Levels ascend, so lo never decreases: select within the part not yet partitioned.
        std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(sorted_to),
                         values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
        sorted_to = lo;
        const double a = values[lo];
        const double frac = h - static_cast<double>(lo);
        double b = a;
        if (frac > 0.0 && lo + 1 < n) b = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo + 1), values.end());
        q.values[k] = a + frac * (b - a);
    }
    return q;
}

/// Writes the N x L row-major `values` of `windows` (N = windows.size(), row r = windows[r],
/// every window exactly L bases) to a bigWig at `path` with the (name, length) chromosome list
/// `chromosomes` (e.g. chromosome_sizes(fasta)), placed by the nearest-summit rule (see the
/// top of this file). If `quantiles` is given, it receives the TrackQuantiles of the values
/// written (one per covered base). Throws invalid_argument for L < 1, a null `values` with
/// windows, a window of another length or failing nearest_summit_segments' checks (naming
/// it); numeric_error naming the window and position of a NaN or infinite value, before the
/// file is created; the errors of BigWigWriter (bad chromosome list, io_error on writing).
inline void write_window_bigwig(const std::string& path, const std::vector<std::pair<std::string, Index>>& chromosomes,
                                const std::vector<Interval>& windows, const float* values, Index length,
                                TrackQuantiles* quantiles = nullptr) {
    using attrprior::detail::concat;
    constexpr const char* who = "write_window_bigwig";
    require(length >= 1, who, "length", length, "must be >= 1");
    require(values != nullptr || windows.empty(), who, "values", "null", "for ", windows.size(), " windows");
    const auto row = static_cast<std::size_t>(length);
    for (std::size_t r = 0; r < windows.size(); ++r) {
        const Interval& w = windows[r];
        if (w.end - w.start != length) {
            throw invalid_argument(concat(who, ": ", detail::describe_interval(w, "windows", r), " spans ",
                                          w.end - w.start, " bases, not length = ", length));
        }
        for (std::size_t i = 0; i < row; ++i) {
            const float v = values[r * row + i];
            if (!std::isfinite(v)) {
                throw numeric_error(concat(who, ": value ", v, " at ", w.chrom, ":", w.start + static_cast<Index>(i),
                                           " (position ", i, " of ", detail::describe_interval(w, "windows", r),
                                           ", row ", r, ") for '", path, "'; values must be finite"));
            }
        }
    }
    std::vector<TrackSegment> segments = nearest_summit_segments(chromosomes, windows);

    BigWigWriter writer(path, chromosomes);
    std::vector<BigWigWriter::Span> spans;
    for (std::size_t k = 0; k < segments.size();) {
        const std::size_t chrom = segments[k].chromosome;
        spans.clear();
        for (; k < segments.size() && segments[k].chromosome == chrom; ++k) {
            const TrackSegment& s = segments[k];
            const Interval& w = windows[s.window];
            spans.push_back({s.start, s.end - s.start, values + s.window * row + static_cast<std::size_t>(s.start - w.start)});
        }
        writer.write_spans(chromosomes[chrom].first, spans);
    }
    writer.close();

    if (quantiles != nullptr) {
        std::vector<float> written;
        for (const TrackSegment& s : segments) {
            const float* from = values + s.window * row + static_cast<std::size_t>(s.start - windows[s.window].start);
            written.insert(written.end(), from, from + (s.end - s.start));
        }
        *quantiles = track_quantiles(std::move(written));
    }
}

/// write_window_bigwig of values held in a vector, whose size must be windows.size() * length.
inline void write_window_bigwig(const std::string& path, const std::vector<std::pair<std::string, Index>>& chromosomes,
                                const std::vector<Interval>& windows, const std::vector<float>& values, Index length,
                                TrackQuantiles* quantiles = nullptr) {
    require(length >= 1, "write_window_bigwig", "length", length, "must be >= 1");
    require(values.size() == windows.size() * static_cast<std::size_t>(length), "write_window_bigwig",
            "values.size()", values.size(), "must be windows.size() * length = ", windows.size(), " * ", length);
    write_window_bigwig(path, chromosomes, windows, values.empty() ? nullptr : values.data(), length, quantiles);
}

}  // namespace attrprior::genomics
