// Negative windows sampled from a genome away from the peaks, optionally matching the GC
// content of the positives. BinaryDataset (dataset.hpp) samples its negatives here when
// none are given.
//
// The number asked for is round(negatives_per_positive * kept positives). A draw picks a
// window start uniformly among all length-sized windows of the whole FASTA (held-out
// chromosomes included; a chromosome is chosen with probability proportional to its
// number of windows) from a std::mt19937_64 seeded with options.seed. A draw is rejected
// when the window overlaps an excluded region of some peak, when it has too many N, or
// when the same window was already drawn. A peak's excluded region is the union of its
// interval [start, end) and its summit window, both widened by min_distance on each side;
// every input peak on a FASTA chromosome counts, including peaks skipped as positives
// (edge, N, duplicate).
//  - Without GC matching, accepted draws are kept until the count is reached.
//  - With gc_matched, the GC fraction (G+C among A/C/G/T bases, sequence.hpp
//    gc_fraction) of the kept positives is binned in bins of width 0.02 ([0, 0.02),
//    [0.02, 0.04), ..., [0.98, 1.0]; 50 bins). Each bin's quota is its share of the
//    positives times negatives_per_positive (largest-remainder rounding to the total).
//    Rejection sampling: a draw whose bin still has quota left is kept, otherwise
//    discarded, until every quota is filled.
// Draws are capped at max_attempts_per_negative * (number asked for) in total. A cap hit
// leaves a shortfall, counted in SampledNegatives::shortfall and explained (per GC bin
// when matching) in its shortfall_message, which BinaryDataset copies to its report; it
// is not an error.
//
// Randomness comes from core/random.hpp, so a seed gives the same negatives with every
// standard library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/windows.hpp"

namespace attrprior::genomics {

/// Options of sample_negatives (see the top of this file). BinaryDataset passes the
/// DatasetOptions fields of the same names.
struct NegativeSamplingOptions {
    Index length = 1000;                  ///< window length (>= 1)
    double negatives_per_positive = 1.0;  ///< negatives asked for per positive (>= 0)
    bool gc_matched = false;              ///< match the positives' GC distribution (bins of 0.02)
    Index min_distance = 0;               ///< negatives stay this far from every peak region (>= 0)
    double max_n_fraction = 0.1;          ///< draws with more non-ACGT than this are rejected
    std::uint64_t seed = 1;               ///< seed of the draws
    /// Cap on draws: at most this many times the number of negatives asked for (>= 1).
    Index max_attempts_per_negative = 100;
};

/// What sample_negatives drew.
struct SampledNegatives {
    std::vector<Example> examples;  ///< the negatives (label 0), in the order drawn
    Index asked = 0;                ///< round(negatives_per_positive * positives)
    Index draws = 0;                ///< draws made (at most the cap)
    Index rejected_overlap = 0;     ///< draws overlapping a peak region
    Index rejected_n = 0;           ///< draws with too many N
    Index shortfall = 0;            ///< asked - examples.size()
    /// Why there is a shortfall (per GC bin when matching); empty without one.
    std::string shortfall_message;
};

namespace detail {

inline constexpr int kGcBins = 50;  ///< GC bins of width 0.02

/// The GC bin of a GC fraction in [0, 1] (1.0 falls in the last bin).
inline int gc_bin(double gc) {
    const int b = static_cast<int>(std::floor(gc * kGcBins));
    return std::clamp(b, 0, kGcBins - 1);
}

/// Throws invalid_argument "<who>: options.<field> = <value> ..." for an option out of
/// range (BinaryDataset checks its DatasetOptions with this too: the bounds are the same).
inline void check_negative_sampling_options(const NegativeSamplingOptions& o, const char* who) {
    require(o.length >= 1, who, "options.length", o.length, "must be >= 1");
    require(std::isfinite(o.negatives_per_positive) && o.negatives_per_positive >= 0, who,
            "options.negatives_per_positive", o.negatives_per_positive, "must be finite and >= 0");
    require(o.min_distance >= 0, who, "options.min_distance", o.min_distance, "must be >= 0");
    require(o.max_n_fraction >= 0 && o.max_n_fraction <= 1, who, "options.max_n_fraction", o.max_n_fraction,
            "must be in [0, 1]");
    require(o.max_attempts_per_negative >= 1, who, "options.max_attempts_per_negative",
            o.max_attempts_per_negative, "must be >= 1");
}

/// Per-bin quotas: one bin holding `asked` without matching; with it, each of the kGcBins
/// bins gets its share of the positives times asked / positives, rounded by largest
/// remainder so the quotas sum to `asked`.
inline std::vector<Index> negative_quotas(const std::vector<double>& positive_gc, Index asked, bool gc_matched) {
    if (!gc_matched) return std::vector<Index>(1, asked);
    std::vector<Index> count(kGcBins, 0);
    for (double g : positive_gc) ++count[static_cast<std::size_t>(gc_bin(g))];
    std::vector<Index> quota(count.size(), 0);
    std::vector<std::pair<double, std::size_t>> remainder;
    Index assigned = 0;
    for (std::size_t b = 0; b < count.size(); ++b) {
        const double exact =
            static_cast<double>(count[b]) * static_cast<double>(asked) / static_cast<double>(positive_gc.size());
        quota[b] = static_cast<Index>(std::floor(exact));
        assigned += quota[b];
        remainder.emplace_back(-(exact - std::floor(exact)), b);
    }
    std::sort(remainder.begin(), remainder.end());
    for (std::size_t k = 0; assigned < asked && k < remainder.size(); ++k) {
        ++quota[remainder[k].second];
        ++assigned;
    }
    return quota;
}

}  // namespace detail

/// Negatives (label 0) sampled from the whole of `fasta`, away from every peak (see the
/// top of this file). positive_gc holds the GC fraction of each kept positive: their number
/// sets how many negatives are asked for, and with options.gc_matched their distribution
/// sets the per-bin quotas. Throws invalid_argument for an option out of range, naming it.
inline SampledNegatives sample_negatives(const Fasta& fasta, const std::vector<Interval>& peaks,
                                         const std::vector<double>& positive_gc,
                                         const NegativeSamplingOptions& options) {
    const NegativeSamplingOptions& o = options;
    detail::check_negative_sampling_options(o, "sample_negatives");
    const Index L = o.length;
    SampledNegatives out;
    out.asked = static_cast<Index>(std::llround(o.negatives_per_positive * static_cast<double>(positive_gc.size())));
    const Index wanted = out.asked;
    if (wanted == 0) return out;

    // Excluded regions: every peak's interval and summit window, widened.
    std::unordered_map<std::string, detail::Regions> excluded;
    for (const Interval& p : peaks) {
        if (!fasta.has(p.chrom)) continue;
        const Index ws = p.summit - L / 2;
        excluded[p.chrom].emplace_back(std::min(p.start, ws) - o.min_distance, std::max(p.end, ws + L) + o.min_distance);
    }
    for (auto& kv : excluded) detail::merge_regions(kv.second);

    // Chromosomes weighted by their number of windows.
    std::vector<std::string> chroms;
    std::vector<Index> cumulative;
    Index total = 0;
    for (const std::string& c : fasta.chromosomes()) {
        const Index n = fasta.length(c) - L + 1;
        if (n <= 0) continue;
        total += n;
        chroms.push_back(c);
        cumulative.push_back(total);
    }

    std::vector<Index> quota = detail::negative_quotas(positive_gc, wanted, o.gc_matched);
    const std::vector<Index> asked = quota;

    std::mt19937_64 rng(o.seed);
    std::unordered_map<std::string, std::unordered_set<Index>> drawn;
    Index remaining = wanted;
    const Index max_draws = total > 0 ? o.max_attempts_per_negative * wanted : 0;
    Index draws = 0;
    const detail::Regions none;
    std::string seq;
    for (; draws < max_draws && remaining > 0; ++draws) {
        const Index u = attrprior::uniform_below(rng, total);
        const std::size_t c =
            static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
        const Index start = u - (c == 0 ? 0 : cumulative[c - 1]);
        const std::string& chrom = chroms[c];
        const auto ex = excluded.find(chrom);
        if (detail::overlaps_region(ex == excluded.end() ? none : ex->second, start, start + L)) {
            ++out.rejected_overlap;
            continue;
        }
        if (drawn[chrom].count(start) != 0) continue;
        seq = fasta.fetch(chrom, start, start + L);
        if (detail::too_many_n(seq.data(), seq.size(), o.max_n_fraction)) {
            ++out.rejected_n;
            continue;
        }
        const std::size_t bin = o.gc_matched ? static_cast<std::size_t>(detail::gc_bin(gc_fraction(seq))) : 0;
        if (quota[bin] == 0) continue;
        --quota[bin];
        --remaining;
        drawn[chrom].insert(start);
        out.examples.push_back(Example{chrom, start, 0});
    }
    out.draws = draws;
    out.shortfall = remaining;
    if (remaining > 0) {
        std::string detail_text;
        if (o.gc_matched) {
            for (std::size_t b = 0; b < quota.size(); ++b) {
                if (quota[b] == 0) continue;
                detail_text += attrprior::detail::concat("; GC bin [", static_cast<double>(b) / detail::kGcBins, ", ",
                                                         static_cast<double>(b + 1) / detail::kGcBins,
                                                         "): ", asked[b] - quota[b], " of ", asked[b]);
            }
        }
        out.shortfall_message = attrprior::detail::concat(
            "shortfall: sampled ", wanted - remaining, " of ", wanted, " negatives in ", draws, " draws (cap ",
            o.max_attempts_per_negative,
            " x the number asked for); the genome may have too little room away from "
            "the peaks",
            o.gc_matched ? " or too few windows of the positives' GC content" : "", detail_text);
    }
    return out;
}

}  // namespace attrprior::genomics
