// Genome windows as examples: the Example record, the split of each chromosome (held-out
// chromosomes), the checks every data set applies to a window before using it, and merged
// region lists for overlap tests. BinaryDataset (dataset.hpp), ProfileDataset
// (profile_dataset.hpp) and the negative sampler (negatives.hpp) share these, so a window
// is accepted or skipped, and the skip explained, the same way everywhere. Also the
// encodings and site masks of windows a program reads back (encode_windows, site_masks of
// intervals), e.g. a training run's examples.bed.
//
// Window checks, in this order (check_window):
//  - the chromosome is in the FASTA;
//  - the window, widened by a margin on each side (room for jitter), lies on the
//    chromosome;
//  - at most max_n_fraction of the bases of the unwidened window are other than A/C/G/T
//    (either case). Bases in the margin do not count: they only enter the model when a
//    jittered window is shifted onto them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/sequence.hpp"

namespace attrprior::genomics {

/// One window [start, start + length) of a chromosome; label 1 (positive) or 0.
struct Example {
    std::string chrom;
    Index start = 0;  ///< window start; end = start + length
    int label = 0;    ///< 1 or 0

    friend bool operator==(const Example& a, const Example& b) {
        return a.chrom == b.chrom && a.start == b.start && a.label == b.label;
    }
    friend bool operator!=(const Example& a, const Example& b) { return !(a == b); }
};

enum class Split { train = 0, valid = 1, test = 2 };

/// "train", "valid" or "test" (for messages).
inline const char* split_name(Split split) {
    switch (split) {
        case Split::train: return "train";
        case Split::valid: return "valid";
        case Split::test: return "test";
    }
    return "unknown";
}

namespace detail {

/// The split of each held-out chromosome (1 = validation, 2 = test; absent = training).
/// Throws invalid_argument (prefixed by `who`) for a hold-out chromosome absent from the
/// FASTA, naming it and listing the FASTA's first sequences, or for a chromosome in both
/// lists.
inline std::unordered_map<std::string, int> chromosome_splits(const Fasta& fasta,
                                                              const std::vector<std::string>& valid,
                                                              const std::vector<std::string>& test,
                                                              const char* who) {
    const auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
        return s;
    };
    const auto check_known = [&](const std::vector<std::string>& names, const char* what) {
        std::vector<std::string> unknown;
        for (const std::string& c : names) {
            if (!fasta.has(c)) unknown.push_back("'" + c + "'");
        }
        if (!unknown.empty()) {
            const auto& all = fasta.chromosomes();
            std::vector<std::string> shown(all.begin(), all.begin() + std::min<std::size_t>(all.size(), 8));
            throw invalid_argument(attrprior::detail::concat(
                who, ": options.", what, " names chromosomes absent from '", fasta.path(), "': ", join(unknown),
                " (the FASTA has ", all.size(), " sequences: ", join(shown), all.size() > shown.size() ? ", ..." : "",
                ")"));
        }
    };
    check_known(valid, "valid_chroms");
    check_known(test, "test_chroms");
    std::vector<std::string> both;
    for (const std::string& c : valid) {
        if (std::find(test.begin(), test.end(), c) != test.end() &&
            std::find(both.begin(), both.end(), "'" + c + "'") == both.end()) {
            both.push_back("'" + c + "'");
        }
    }
    if (!both.empty()) {
        throw invalid_argument(attrprior::detail::concat(
            who, ": chromosomes ", join(both),
            " are in both options.valid_chroms and options.test_chroms; the splits must be disjoint by chromosome"));
    }
    std::unordered_map<std::string, int> split;
    for (const std::string& c : valid) split.emplace(c, 1);
    for (const std::string& c : test) split.emplace(c, 2);
    return split;
}

/// Number of the n characters at seq other than A/C/G/T (either case).
inline Index count_non_acgt(const char* seq, std::size_t n) {
    Index count = 0;
    for (std::size_t i = 0; i < n; ++i) count += base_channel(seq[i]) < 0 ? 1 : 0;
    return count;
}

/// True when more than max_n_fraction of the n bases at seq are other than A/C/G/T.
inline bool too_many_n(const char* seq, std::size_t n, double max_n_fraction) {
    return static_cast<double>(count_non_acgt(seq, n)) > max_n_fraction * static_cast<double>(n);
}

/// What check_window found wrong with a window (none: usable).
enum class WindowProblem { none, unknown_chrom, past_end, too_many_n };

/// The window checks (see the top of this file) for [start, start + length) of chrom,
/// widened by margin >= 0 on each side. When the chromosome is known and the widened window
/// lies on it, seq holds the widened window's bases (case as stored), whatever the N
/// count.
inline WindowProblem check_window(const Fasta& fasta, const std::string& chrom, Index start, Index length,
                                  Index margin, double max_n_fraction, std::string& seq) {
    if (!fasta.has(chrom)) return WindowProblem::unknown_chrom;
    const Index lo = start - margin, hi = start + length + margin;
    if (lo < 0 || hi > fasta.length(chrom)) return WindowProblem::past_end;
    seq = fasta.fetch(chrom, lo, hi);
    if (too_many_n(seq.data() + margin, static_cast<std::size_t>(length), max_n_fraction)) {
        return WindowProblem::too_many_n;
    }
    return WindowProblem::none;
}

/// A sentence saying why check_window, called with the same arguments, found `problem`
/// (for skip messages).
inline std::string window_problem_reason(WindowProblem problem, const Fasta& fasta, const std::string& chrom,
                                         Index start, Index length, Index margin, double max_n_fraction,
                                         const std::string& seq) {
    const Index lo = start - margin, hi = start + length + margin;
    switch (problem) {
        case WindowProblem::unknown_chrom:
            return attrprior::detail::concat("chromosome '", chrom, "' is not in '", fasta.path(), "'");
        case WindowProblem::past_end:
            return attrprior::detail::concat(
                "window ", chrom, ":", lo, "-", hi,
                margin > 0 ? attrprior::detail::concat(" (", length, " bases + a jitter margin of ", margin,
                                                       " on each side)")
                           : std::string(),
                " passes an end of the chromosome (length ", fasta.length(chrom), ")");
        case WindowProblem::too_many_n:
            return attrprior::detail::concat(
                count_non_acgt(seq.data() + margin, static_cast<std::size_t>(length)), " of the ", length,
                " bases of window ", chrom, ":", start, "-", start + length,
                " are N (or another non-ACGT code), more than max_n_fraction = ", max_n_fraction);
        case WindowProblem::none: break;
    }
    return "ok";
}

/// "<list>[i] '<name>' (chrom:start-end)", naming input interval i in messages ('.' for
/// an unnamed interval).
inline std::string describe_interval(const Interval& iv, const char* list, std::size_t i) {
    return attrprior::detail::concat(list, "[", i, "] '", iv.name.empty() ? "." : iv.name, "' (", iv.chrom, ":",
                                     iv.start, "-", iv.end, ")");
}

/// Half-open intervals [first, second) of one chromosome; sorted and disjoint after
/// merge_regions.
using Regions = std::vector<std::pair<Index, Index>>;

/// Sorts r and merges overlapping or touching intervals.
inline void merge_regions(Regions& r) {
    std::sort(r.begin(), r.end());
    Regions out;
    for (const auto& iv : r) {
        if (!out.empty() && iv.first <= out.back().second) {
            out.back().second = std::max(out.back().second, iv.second);
        } else {
            out.push_back(iv);
        }
    }
    r.swap(out);
}

/// True if [start, end) overlaps a region of the merged list r.
inline bool overlaps_region(const Regions& r, Index start, Index end) {
    // First region whose end is past start.
    const auto it = std::upper_bound(r.begin(), r.end(), start,
                                     [](Index s, const std::pair<Index, Index>& iv) { return s < iv.second; });
    return it != r.end() && it->first < end;
}

/// Throws invalid_argument unless windows[i] spans exactly L bases on a chromosome of the
/// FASTA, naming the window (windows[i] and its coordinates) and the problem.
inline void require_window(const Fasta& fasta, const std::vector<Interval>& windows, std::size_t i, Index L,
                           const char* who) {
    const Interval& w = windows[i];
    const auto bad = [&](const std::string& why) {
        return invalid_argument(attrprior::detail::concat(who, ": ", describe_interval(w, "windows", i), " ", why));
    };
    if (w.end - w.start != L) throw bad(attrprior::detail::concat("spans ", w.end - w.start, " bases, not L = ", L));
    if (!fasta.has(w.chrom)) throw bad(attrprior::detail::concat("is on a chromosome not in '", fasta.path(), "'"));
    if (w.start < 0 || w.end > fasta.length(w.chrom))
        throw bad(attrprior::detail::concat("passes an end of the chromosome (length ", fasta.length(w.chrom), ")"));
}
}  // namespace detail

/// The one-hot encodings of `windows` read from `fasta`: B x L x 4 row-major, row b the
/// bases [start, start + L) of windows[b] (A, C, G, T; N and other codes give all-zero
/// rows, as the data sets encode them). For windows a program wrote itself, such as a
/// training run's examples.bed (read_bed), to explain or re-score a saved model. Every
/// window must span exactly L bases on a chromosome of the FASTA; otherwise
/// invalid_argument naming the window (windows[i] and its coordinates) and the problem.
template <class Scalar>
std::vector<Scalar> encode_windows(const Fasta& fasta, const std::vector<Interval>& windows, Index L) {
    require(L >= 1, "encode_windows", "L", L, "must be >= 1");
    for (std::size_t i = 0; i < windows.size(); ++i) detail::require_window(fasta, windows, i, L, "encode_windows");
    std::vector<Scalar> x(windows.size() * static_cast<std::size_t>(L) * 4);
    for (std::size_t i = 0; i < windows.size(); ++i)
        one_hot(fasta.fetch(windows[i].chrom, windows[i].start, windows[i].end), x.data() + i * static_cast<std::size_t>(L) * 4);
    return x;
}

/// site_masks (intervals.hpp) of windows given as intervals (chrom and start are used;
/// e.g. read back from a run's examples.bed).
inline std::vector<std::vector<char>> site_masks(const std::vector<Interval>& windows, Index L,
                                                 const std::vector<Interval>& sites) {
    std::vector<std::pair<std::string, Index>> starts;
    starts.reserve(windows.size());
    for (const Interval& w : windows) starts.emplace_back(w.chrom, w.start);
    return site_masks(starts, L, sites);
}

}  // namespace attrprior::genomics
