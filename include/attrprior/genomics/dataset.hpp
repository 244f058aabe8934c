// Binary (peak vs background) training data: windows, splits, balanced batches (SPEC §5-6).
//
// BinaryDataset turns peaks (positives) and either a user BED of negatives or negatives
// sampled from the genome into fixed-length windows, split by chromosome into train,
// validation and test sets. BalancedBatcher draws training batches of p positives and n
// negatives, each optionally followed by its reverse complement (the paper's 64 + 64,
// doubled). PrefetchingBatcher encodes the next batch on a background thread.
//
// Windows. Every example is a window [start, start + length) on one chromosome:
//  - a positive is centred on its peak's summit: start = summit - length / 2;
//  - a user-given negative is centred on its interval: start = c - length / 2 with
//    c = iv.start + (iv.end - iv.start) / 2;
//  - a sampled negative starts uniformly at random in the genome (below).
// Windows that cannot be read are skipped and counted in the DatasetReport, never
// silently: a chromosome absent from the FASTA, a window past either chromosome end, or
// a window with more than max_n_fraction of bases other than A/C/G/T (either case).
// Positives with the same window as an earlier positive are dropped as duplicates.
// User-given negatives are otherwise kept verbatim, in input order: they are not
// deduplicated and not checked against the peaks.
//
// Splits. A chromosome in options.valid_chroms is validation, one in test_chroms is test,
// every other chromosome is training; every example (positive or negative) goes to the
// split of its chromosome, so the splits are disjoint by chromosome. Within a split,
// examples are the positives in input order, then the negatives.
//
// Sampled negatives (when the negatives argument is empty). The number asked for is
// round(negatives_per_positive * kept positives). A draw picks a window start uniformly
// among all length-sized windows of the whole FASTA (held-out chromosomes included; a
// chromosome is chosen with probability proportional to its number of windows) from a
// std::mt19937_64 seeded with options.seed. A draw is rejected when the window overlaps
// an excluded region of some peak, when it has too many N, or when the same window was
// already drawn. A peak's excluded region is the union of its interval [start, end) and
// its summit window, both widened by min_distance on each side; every input peak on a
// FASTA chromosome counts, including peaks skipped as positives (edge, N, duplicate).
//  - Without GC matching, accepted draws are kept until the count is reached.
//  - With gc_matched, the GC fraction (G+C among A/C/G/T bases, sequence.hpp
//    gc_fraction) of the kept positives is binned in bins of width 0.02 ([0, 0.02),
//    [0.02, 0.04), ..., [0.98, 1.0]; 50 bins). Each bin's quota is its share of the
//    positives times negatives_per_positive (largest-remainder rounding to the total).
//    Rejection sampling: a draw whose bin still has quota left is kept, otherwise
//    discarded, until every quota is filled.
// Draws are capped at max_attempts_per_negative * (number asked for) in total. A cap hit
// leaves a shortfall, counted in report().negatives_shortfall and explained (per GC bin
// when matching) in report().messages; it is not an error.
//
// Randomness comes from core/random.hpp (raw std::mt19937_64 output, (x >> 11) * 2^-53, and
// an own Fisher-Yates shuffle), so a seed gives the same data set and batches with every
// standard library.
//
// Lifetimes and threads: a BinaryDataset keeps a pointer to the Fasta, a BalancedBatcher
// a pointer to the BinaryDataset; both must outlive their users. A BinaryDataset is
// immutable after construction, and Fasta::fetch is mutex-protected, so several batchers
// may share one data set across threads. One BalancedBatcher must not be used from two
// threads at once.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
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

namespace attrprior::genomics {

/// Options of BinaryDataset (see the top of this file).
struct DatasetOptions {
    Index length = 1000;  ///< window length, centred on the summit (>= 1)
    std::vector<std::string> valid_chroms, test_chroms;  ///< hold-outs (training = the rest)
    double negatives_per_positive = 1.0;  ///< sampled negatives (ignored when given), >= 0
    /// Sample negatives matching the GC distribution of the positives (bins of 0.02).
    bool gc_matched = false;
    Index min_distance = 0;       ///< negatives stay this far from every peak window (>= 0)
    double max_n_fraction = 0.1;  ///< windows with more non-ACGT than this are skipped
    std::uint64_t seed = 1;       ///< seed of the negative sampling
    /// Cap on sampling draws: at most this many times the number of negatives asked for.
    Index max_attempts_per_negative = 100;
};

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

/// Counts of what BinaryDataset kept, skipped and sampled.
struct DatasetReport {
    Index peaks_read = 0;                  ///< peaks passed in
    Index skipped_unknown_chrom = 0;       ///< peaks on a chromosome absent from the FASTA
    Index skipped_edge = 0;                ///< peaks whose window passes a chromosome end
    Index skipped_n = 0;                   ///< peaks whose window has too many N
    Index duplicates_removed = 0;          ///< peaks with the window of an earlier peak
    Index negatives_sampled = 0;           ///< sampled negatives kept
    Index negatives_rejected_overlap = 0;  ///< sampling draws overlapping a peak region
    Index negatives_rejected_n = 0;        ///< sampling draws with too many N
    Index negatives_shortfall = 0;         ///< sampled negatives asked for but not found
    Index negatives_read = 0;              ///< user-given negatives passed in
    Index negatives_skipped = 0;           ///< user-given negatives skipped (chrom, edge, N)
    std::array<Index, 3> positives{};      ///< kept positives per split (train, valid, test)
    std::array<Index, 3> negatives{};      ///< kept negatives per split (train, valid, test)
    /// The first few skip reasons (naming the peak), then notes such as shortfalls.
    std::vector<std::string> messages;

    static constexpr std::size_t max_skip_messages = 10;

    /// Multi-line human-readable account of the counts and messages.
    std::string summary() const {
        std::ostringstream os;
        os << "BinaryDataset: " << peaks_read << " peaks read, "
           << positives[0] + positives[1] + positives[2] << " positives kept (train "
           << positives[0] << ", valid " << positives[1] << ", test " << positives[2]
           << ")\n  peaks skipped: " << skipped_unknown_chrom << " unknown chromosome, "
           << skipped_edge << " window past a chromosome end, " << skipped_n << " too many N; "
           << duplicates_removed
           << " duplicates removed\n  negatives: " << negatives[0] + negatives[1] + negatives[2]
           << " kept (train " << negatives[0] << ", valid " << negatives[1] << ", test "
           << negatives[2] << ")";
        if (negatives_read > 0) {
            os << ", " << negatives_read << " given, " << negatives_skipped << " skipped";
        } else {
            os << ", " << negatives_sampled
               << " sampled; draws rejected: " << negatives_rejected_overlap
               << " overlapping a peak, " << negatives_rejected_n << " too many N; shortfall "
               << negatives_shortfall;
        }
        for (const std::string& m : messages) os << "\n  " << m;
        return os.str();
    }
};

namespace detail {

/// Number of characters of seq other than A/C/G/T (either case).
inline Index dataset_count_n(const std::string& seq) {
    Index n = 0;
    for (char c : seq) n += base_channel(c) < 0 ? 1 : 0;
    return n;
}

inline constexpr int kDatasetGcBins = 50;  ///< GC bins of width 0.02

inline int dataset_gc_bin(double gc) {
    const int b = static_cast<int>(std::floor(gc * kDatasetGcBins));
    return std::clamp(b, 0, kDatasetGcBins - 1);
}

/// Sorted, merged half-open intervals of one chromosome.
using DatasetRegions = std::vector<std::pair<Index, Index>>;

inline void dataset_merge(DatasetRegions& r) {
    std::sort(r.begin(), r.end());
    DatasetRegions out;
    for (const auto& iv : r) {
        if (!out.empty() && iv.first <= out.back().second) {
            out.back().second = std::max(out.back().second, iv.second);
        } else {
            out.push_back(iv);
        }
    }
    r.swap(out);
}

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

/// True if [start, end) overlaps a region of the merged list.
inline bool dataset_overlaps(const DatasetRegions& r, Index start, Index end) {
    // First region whose end is past start.
    const auto it =
        std::upper_bound(r.begin(), r.end(), start,
                         [](Index s, const std::pair<Index, Index>& iv) { return s < iv.second; });
    return it != r.end() && it->first < end;
}

}  // namespace detail

/// Positives, negatives and chromosome splits of a binary task (see the top of the file).
class BinaryDataset {
public:
    /// peaks: positives (summit-centred windows). negatives: optional user intervals
    /// (centre-centred windows); if empty, negatives are sampled from the genome away from
    /// every peak. Throws invalid_argument for an option out of range, a hold-out
    /// chromosome absent from the FASTA (naming it), a chromosome in both valid_chroms and
    /// test_chroms, no peaks, or every peak skipped (with the counts and first reasons).
    /// Keeps a pointer to `fasta`, which must outlive the data set.
    BinaryDataset(const Fasta& fasta, const std::vector<Interval>& peaks,
                  const std::vector<Interval>& negatives, const DatasetOptions& options)
        : fasta_(&fasta), options_(options) {
        constexpr const char* who = "BinaryDataset";
        const DatasetOptions& o = options_;
        require(o.length >= 1, who, "options.length", o.length, "must be >= 1");
        require(std::isfinite(o.negatives_per_positive) && o.negatives_per_positive >= 0, who,
                "options.negatives_per_positive", o.negatives_per_positive,
                "must be finite and >= 0");
        require(o.min_distance >= 0, who, "options.min_distance", o.min_distance, "must be >= 0");
        require(o.max_n_fraction >= 0 && o.max_n_fraction <= 1, who, "options.max_n_fraction",
                o.max_n_fraction, "must be in [0, 1]");
        require(o.max_attempts_per_negative >= 1, who, "options.max_attempts_per_negative",
                o.max_attempts_per_negative, "must be >= 1");
        check_holdouts();
        if (peaks.empty()) {
            throw invalid_argument(
                "BinaryDataset: no peaks were given (the positives cannot be empty)");
        }
        report_.peaks_read = static_cast<Index>(peaks.size());

        std::vector<double> positive_gc;
        add_positives(peaks, positive_gc);
        if (negatives.empty()) {
            sample_negatives(peaks, positive_gc);
        } else {
            add_given_negatives(negatives);
        }
        for (int s = 0; s < 3; ++s) {
            if (report_.positives[s] == 0 && split_is_used(s)) {
                report_.messages.push_back(attrprior::detail::concat(
                    "note: the ", split_name(s), " split has no positives (its chromosomes: ",
                    s == 0   ? std::string("all but the held-out ones")
                    : s == 1 ? join(o.valid_chroms)
                             : join(o.test_chroms),
                    ")"));
            }
        }
    }

    /// The examples of one split (positives in input order, then negatives).
    const std::vector<Example>& examples(Split split) const {
        return examples_[static_cast<std::size_t>(split)];
    }

    const DatasetReport& report() const { return report_; }

    /// Window length.
    Index length() const { return options_.length; }

    const DatasetOptions& options() const { return options_; }

    const Fasta& fasta() const { return *fasta_; }

    /// Bases of the window of `e` shifted by `shift`, the start clamped to
    /// [0, chromosome length - length]. Throws invalid_argument for an unknown chromosome
    /// or a chromosome shorter than the window.
    std::string sequence(const Example& e, Index shift = 0) const {
        const Index chrom_length = fasta_->length(e.chrom);
        const Index L = options_.length;
        if (chrom_length < L) {
            throw invalid_argument(
                attrprior::detail::concat("BinaryDataset: example ", e.chrom, ":", e.start,
                                          " does not fit: the chromosome has ", chrom_length,
                                          " bases, fewer than the window length ", L));
        }
        const Index start = std::clamp(e.start + shift, Index(0), chrom_length - L);
        return fasta_->fetch(e.chrom, start, start + L);
    }

    /// Fills x (ex.size() x length x 4, one-hot A,C,G,T; N gives a zero row) and y
    /// (ex.size() labels; may be null). With jitter > 0 each window is shifted by an offset
    /// uniform in [-jitter, jitter] (drawn in order from an mt19937_64 seeded with
    /// jitter_seed), the start clamped to the chromosome. reverse_complement encodes the
    /// reverse complement of every window instead. Throws invalid_argument for jitter < 0,
    /// a null x with examples to encode, or an example that cannot be read.
    template <class Scalar>
    void encode(const std::vector<Example>& ex, Scalar* x, Scalar* y, Index jitter = 0,
                std::uint64_t jitter_seed = 0, bool reverse_complement = false) const {
        require(jitter >= 0, "BinaryDataset::encode", "jitter", jitter, "must be >= 0");
        if (ex.empty()) return;
        if (x == nullptr) {
            throw invalid_argument("BinaryDataset::encode: x is null");
        }
        std::mt19937_64 rng(jitter_seed);
        const Index L = options_.length;
        for (std::size_t k = 0; k < ex.size(); ++k) {
            const Index shift =
                jitter > 0 ? attrprior::uniform_below(rng, 2 * jitter + 1) - jitter : 0;
            const std::string seq = sequence(ex[k], shift);
            Scalar* row = x + static_cast<Index>(k) * L * 4;
            if (reverse_complement) {
                one_hot_reverse_complement(seq, row);
            } else {
                one_hot(seq, row);
            }
            if (y != nullptr) y[k] = static_cast<Scalar>(ex[k].label);
        }
    }

private:
    static std::string join(const std::vector<std::string>& v) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
        return s;
    }

    static const char* split_name(int s) { return s == 0 ? "train" : s == 1 ? "valid" : "test"; }

    bool split_is_used(int s) const {
        return s == 0 || (s == 1 && !options_.valid_chroms.empty()) ||
               (s == 2 && !options_.test_chroms.empty());
    }

    void check_holdouts() {
        split_of_ = detail::chromosome_splits(*fasta_, options_.valid_chroms, options_.test_chroms, "BinaryDataset");
    }

    int split_of(const std::string& chrom) const {
        const auto it = split_of_.find(chrom);
        return it == split_of_.end() ? 0 : it->second;
    }

    void skip_message(std::string m) {
        if (skip_messages_ < DatasetReport::max_skip_messages) {
            report_.messages.push_back(std::move(m));
        }
        ++skip_messages_;
    }

    static std::string describe(const Interval& iv, const char* list, std::size_t i) {
        return attrprior::detail::concat(list, "[", i, "] '", iv.name.empty() ? "." : iv.name,
                                         "' (", iv.chrom, ":", iv.start, "-", iv.end, ")");
    }

    enum class Check { ok, unknown_chrom, edge, too_many_n };

    /// Reads the window [start, start + length) of chrom; sets seq when ok.
    Check check_window(const std::string& chrom, Index start, std::string& seq) const {
        if (!fasta_->has(chrom)) return Check::unknown_chrom;
        const Index L = options_.length;
        if (start < 0 || start + L > fasta_->length(chrom)) return Check::edge;
        seq = fasta_->fetch(chrom, start, start + L);
        if (too_many_n(seq)) return Check::too_many_n;
        return Check::ok;
    }

    bool too_many_n(const std::string& seq) const {
        return static_cast<double>(detail::dataset_count_n(seq)) >
               options_.max_n_fraction * static_cast<double>(seq.size());
    }

    std::string check_reason(Check c, const std::string& chrom, Index start) const {
        const Index L = options_.length;
        switch (c) {
            case Check::unknown_chrom:
                return attrprior::detail::concat("chromosome '", chrom, "' is not in '",
                                                 fasta_->path(), "'");
            case Check::edge:
                return attrprior::detail::concat("window ", chrom, ":", start, "-", start + L,
                                                 " passes an end of the chromosome (length ",
                                                 fasta_->length(chrom), ")");
            case Check::too_many_n:
                return attrprior::detail::concat("window ", chrom, ":", start, "-", start + L,
                                                 " has more than ", options_.max_n_fraction,
                                                 " of its bases N (max_n_fraction)");
            default: return "ok";
        }
    }

    void add_positives(const std::vector<Interval>& peaks, std::vector<double>& gc) {
        const Index L = options_.length;
        std::unordered_map<std::string, std::unordered_set<Index>> seen;
        std::string seq;
        for (std::size_t i = 0; i < peaks.size(); ++i) {
            const Interval& p = peaks[i];
            const Index start = p.summit - L / 2;
            const Check c = check_window(p.chrom, start, seq);
            if (c != Check::ok) {
                if (c == Check::unknown_chrom) ++report_.skipped_unknown_chrom;
                if (c == Check::edge) ++report_.skipped_edge;
                if (c == Check::too_many_n) ++report_.skipped_n;
                skip_message(attrprior::detail::concat("skipped ", describe(p, "peaks", i), ": ",
                                                       check_reason(c, p.chrom, start)));
                continue;
            }
            if (!seen[p.chrom].insert(start).second) {
                ++report_.duplicates_removed;
                skip_message(attrprior::detail::concat("removed ", describe(p, "peaks", i),
                                                       ": duplicate window ", p.chrom, ":", start,
                                                       "-", start + L, " of an earlier peak"));
                continue;
            }
            const int s = split_of(p.chrom);
            examples_[static_cast<std::size_t>(s)].push_back(Example{p.chrom, start, 1});
            ++report_.positives[static_cast<std::size_t>(s)];
            gc.push_back(gc_fraction(seq));
        }
        if (gc.empty()) {
            std::string reasons;
            for (const std::string& m : report_.messages) reasons += "\n  " + m;
            throw invalid_argument(attrprior::detail::concat(
                "BinaryDataset: all ", peaks.size(), " peaks were skipped (",
                report_.skipped_unknown_chrom, " on chromosomes absent from '", fasta_->path(),
                "', ", report_.skipped_edge, " with a window of length ", L,
                " past a chromosome end, ", report_.skipped_n, " with more than ",
                options_.max_n_fraction, " N, ", report_.duplicates_removed,
                " duplicates); check that the peaks belong to this genome (chromosome "
                "names) and the window length. First reasons:",
                reasons));
        }
    }

    void add_given_negatives(const std::vector<Interval>& negatives) {
        const Index L = options_.length;
        report_.negatives_read = static_cast<Index>(negatives.size());
        if (options_.gc_matched) {
            report_.messages.push_back(
                "note: negatives were given, so gc_matched and negatives_per_positive are "
                "ignored");
        }
        std::vector<std::vector<Example>> negs(3);
        std::string seq;
        for (std::size_t i = 0; i < negatives.size(); ++i) {
            const Interval& n = negatives[i];
            const Index start = n.start + (n.end - n.start) / 2 - L / 2;
            const Check c = check_window(n.chrom, start, seq);
            if (c != Check::ok) {
                ++report_.negatives_skipped;
                skip_message(attrprior::detail::concat("skipped ", describe(n, "negatives", i),
                                                       ": ", check_reason(c, n.chrom, start)));
                continue;
            }
            negs[static_cast<std::size_t>(split_of(n.chrom))].push_back(Example{n.chrom, start, 0});
        }
        append_negatives(negs);
    }

    void append_negatives(std::vector<std::vector<Example>>& negs) {
        for (std::size_t s = 0; s < 3; ++s) {
            report_.negatives[s] = static_cast<Index>(negs[s].size());
            for (Example& e : negs[s]) examples_[s].push_back(std::move(e));
        }
    }

    void sample_negatives(const std::vector<Interval>& peaks, const std::vector<double>& gc) {
        const DatasetOptions& o = options_;
        const Index L = o.length;
        const Index wanted = static_cast<Index>(
            std::llround(o.negatives_per_positive * static_cast<double>(gc.size())));
        if (wanted == 0) return;

        // Excluded regions: every peak's interval and summit window, widened.
        std::unordered_map<std::string, detail::DatasetRegions> excluded;
        for (const Interval& p : peaks) {
            if (!fasta_->has(p.chrom)) continue;
            const Index ws = p.summit - L / 2;
            excluded[p.chrom].emplace_back(std::min(p.start, ws) - o.min_distance,
                                           std::max(p.end, ws + L) + o.min_distance);
        }
        for (auto& kv : excluded) detail::dataset_merge(kv.second);

        // Chromosomes weighted by their number of windows.
        std::vector<std::string> chroms;
        std::vector<Index> cumulative;
        Index total = 0;
        for (const std::string& c : fasta_->chromosomes()) {
            const Index n = fasta_->length(c) - L + 1;
            if (n <= 0) continue;
            total += n;
            chroms.push_back(c);
            cumulative.push_back(total);
        }

        // Quotas: one bin without matching, 50 GC bins with it.
        std::vector<Index> quota;
        if (o.gc_matched) {
            std::vector<Index> count(detail::kDatasetGcBins, 0);
            for (double g : gc) ++count[static_cast<std::size_t>(detail::dataset_gc_bin(g))];
            quota.assign(count.size(), 0);
            std::vector<std::pair<double, std::size_t>> remainder;
            Index assigned = 0;
            for (std::size_t b = 0; b < count.size(); ++b) {
                const double exact = static_cast<double>(count[b]) * static_cast<double>(wanted) /
                                     static_cast<double>(gc.size());
                quota[b] = static_cast<Index>(std::floor(exact));
                assigned += quota[b];
                remainder.emplace_back(-(exact - std::floor(exact)), b);
            }
            std::sort(remainder.begin(), remainder.end());
            for (std::size_t k = 0; assigned < wanted && k < remainder.size(); ++k) {
                ++quota[remainder[k].second];
                ++assigned;
            }
        } else {
            quota.assign(1, wanted);
        }
        const std::vector<Index> asked = quota;

        std::mt19937_64 rng(o.seed);
        std::vector<std::vector<Example>> negs(3);
        std::unordered_map<std::string, std::unordered_set<Index>> drawn;
        Index remaining = wanted;
        const Index max_draws = total > 0 ? o.max_attempts_per_negative * wanted : 0;
        Index draws = 0;
        const detail::DatasetRegions none;
        std::string seq;
        for (; draws < max_draws && remaining > 0; ++draws) {
            const Index u = attrprior::uniform_below(rng, total);
            const std::size_t c = static_cast<std::size_t>(
                std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
            const Index start = u - (c == 0 ? 0 : cumulative[c - 1]);
            const std::string& chrom = chroms[c];
            const auto ex = excluded.find(chrom);
            if (detail::dataset_overlaps(ex == excluded.end() ? none : ex->second, start,
                                         start + L)) {
                ++report_.negatives_rejected_overlap;
                continue;
            }
            if (drawn[chrom].count(start) != 0) continue;
            seq = fasta_->fetch(chrom, start, start + L);
            if (too_many_n(seq)) {
                ++report_.negatives_rejected_n;
                continue;
            }
            const std::size_t bin =
                o.gc_matched ? static_cast<std::size_t>(detail::dataset_gc_bin(gc_fraction(seq)))
                             : 0;
            if (quota[bin] == 0) continue;
            --quota[bin];
            --remaining;
            drawn[chrom].insert(start);
            negs[static_cast<std::size_t>(split_of(chrom))].push_back(Example{chrom, start, 0});
        }
        report_.negatives_sampled = wanted - remaining;
        report_.negatives_shortfall = remaining;
        if (remaining > 0) {
            std::string detail_text;
            if (o.gc_matched) {
                for (std::size_t b = 0; b < quota.size(); ++b) {
                    if (quota[b] == 0) continue;
                    detail_text += attrprior::detail::concat(
                        "; GC bin [", static_cast<double>(b) / detail::kDatasetGcBins, ", ",
                        static_cast<double>(b + 1) / detail::kDatasetGcBins,
                        "): ", asked[b] - quota[b], " of ", asked[b]);
                }
            }
            report_.messages.push_back(attrprior::detail::concat(
                "shortfall: sampled ", wanted - remaining, " of ", wanted, " negatives in ", draws,
                " draws (cap ", o.max_attempts_per_negative,
                " x the number asked for); the genome may have too little room away from "
                "the peaks",
                o.gc_matched ? " or too few windows of the positives' GC content" : "",
                detail_text));
        }
        append_negatives(negs);
    }

    const Fasta* fasta_;
    DatasetOptions options_;
    std::array<std::vector<Example>, 3> examples_;
    DatasetReport report_;
    std::unordered_map<std::string, int> split_of_;
    std::size_t skip_messages_ = 0;
};

/// Balanced training batches from the train split of a BinaryDataset.
///
/// A batch holds p positives then n negatives; with reverse_complement_double each is
/// followed by its reverse complement, so rows 2k and 2k+1 are one window and its reverse
/// complement (same label, same jitter). Rows are length x 4 one-hot, y holds the labels.
///
/// Epochs: an epoch is batches_per_epoch() = ceil(P / p) batches (P = train positives).
/// At the start of each epoch the positives are reshuffled; the epoch's batches take them
/// in that order, so each positive appears once per epoch, and the last batch is topped
/// up from the start of the same order (a positive then appears twice). Negatives come
/// from their own shuffled order, consumed across batches and reshuffled whenever it is
/// used up (they cycle independently of the positive epochs). With jitter > 0 each window
/// is shifted by an offset uniform in [-jitter, jitter], clamped to the chromosome.
/// All draws come from one mt19937_64 seeded with `seed`: the sequence of batches is
/// deterministic for the seed.
class BalancedBatcher {
public:
    /// Throws invalid_argument for positives_per_batch < 1, negatives_per_batch < 0,
    /// jitter < 0, a train split without positives, or negatives_per_batch > 0 with a
    /// train split without negatives. Keeps a pointer to `dataset`.
    explicit BalancedBatcher(const BinaryDataset& dataset, Index positives_per_batch = 64,
                             Index negatives_per_batch = 64, bool reverse_complement_double = true,
                             Index jitter = 0, std::uint64_t seed = 1)
        : dataset_(&dataset),
          p_(positives_per_batch),
          n_(negatives_per_batch),
          rc_(reverse_complement_double),
          jitter_(jitter),
          rng_(seed) {
        constexpr const char* who = "BalancedBatcher";
        require(p_ >= 1, who, "positives_per_batch", p_, "must be >= 1");
        require(n_ >= 0, who, "negatives_per_batch", n_, "must be >= 0");
        require(jitter_ >= 0, who, "jitter", jitter_, "must be >= 0");
        for (const Example& e : dataset.examples(Split::train)) {
            (e.label == 1 ? positives_ : negatives_).push_back(&e);
        }
        if (positives_.empty()) {
            throw invalid_argument(
                "BalancedBatcher: the train split has no positives (are all peak "
                "chromosomes held out?)");
        }
        if (n_ > 0 && negatives_.empty()) {
            throw invalid_argument(
                attrprior::detail::concat("BalancedBatcher: negatives_per_batch = ", n_,
                                          " but the train split has no negatives"));
        }
        negative_cursor_ = negatives_.size();  // shuffled on first use
    }

    /// Rows per batch: (p + n) * (reverse_complement_double ? 2 : 1).
    Index batch_size() const { return (p_ + n_) * (rc_ ? 2 : 1); }

    /// ceil(train positives / p).
    Index batches_per_epoch() const {
        const Index P = static_cast<Index>(positives_.size());
        return (P + p_ - 1) / p_;
    }

    /// Epoch of the next batch (0-based).
    Index epoch() const { return epoch_; }

    Index length() const { return dataset_->length(); }

    const BinaryDataset& dataset() const { return *dataset_; }

    /// Fills one batch: x (batch_size() x length x 4) and y (batch_size()).
    template <class Scalar>
    void next(Scalar* x, Scalar* y) {
        if (x == nullptr || y == nullptr) {
            throw invalid_argument("BalancedBatcher::next: x and y must not be null");
        }
        if (batch_in_epoch_ == 0) attrprior::shuffle(positives_, rng_);
        const std::size_t P = positives_.size();
        Index row = 0;
        for (Index i = 0; i < p_; ++i) {
            const std::size_t slot = static_cast<std::size_t>(batch_in_epoch_ * p_ + i) % P;
            put(*positives_[slot], x, y, row);
        }
        for (Index i = 0; i < n_; ++i) {
            if (negative_cursor_ == negatives_.size()) {
                attrprior::shuffle(negatives_, rng_);
                negative_cursor_ = 0;
            }
            put(*negatives_[negative_cursor_++], x, y, row);
        }
        if (++batch_in_epoch_ == batches_per_epoch()) {
            batch_in_epoch_ = 0;
            ++epoch_;
        }
    }

private:
    template <class Scalar>
    void put(const Example& e, Scalar* x, Scalar* y, Index& row) {
        const Index L = dataset_->length();
        const Index shift =
            jitter_ > 0 ? attrprior::uniform_below(rng_, 2 * jitter_ + 1) - jitter_ : 0;
        const std::string seq = dataset_->sequence(e, shift);
        const Scalar label = static_cast<Scalar>(e.label);
        one_hot(seq, x + row * L * 4);
        y[row++] = label;
        if (rc_) {
            one_hot_reverse_complement(seq, x + row * L * 4);
            y[row++] = label;
        }
    }

    const BinaryDataset* dataset_;
    Index p_, n_;
    bool rc_;
    Index jitter_;
    std::mt19937_64 rng_;
    std::vector<const Example*> positives_, negatives_;
    std::size_t negative_cursor_ = 0;
    Index batch_in_epoch_ = 0, epoch_ = 0;
};

/// Double-buffered BalancedBatcher: a background thread encodes the next batch while the
/// caller trains on the current one. After next(), x() and y() point to the current
/// batch (batch_size() x length x 4 and batch_size()), valid until the following next().
/// The batches are exactly those of the wrapped BalancedBatcher, in order. An exception
/// thrown while encoding is rethrown by the next call to next() (and by every later one;
/// the worker stops). The destructor stops and joins the worker (waiting at most for the
/// batch in progress). Not copyable or movable; use from one thread.
template <class Scalar>
class PrefetchingBatcher {
public:
    explicit PrefetchingBatcher(BalancedBatcher batcher) : batcher_(std::move(batcher)) {
        const std::size_t rows = static_cast<std::size_t>(batcher_.batch_size());
        const std::size_t values = rows * static_cast<std::size_t>(batcher_.length()) * 4;
        for (int b = 0; b < 2; ++b) {
            x_[b].assign(values, Scalar(0));
            y_[b].assign(rows, Scalar(0));
        }
        worker_ = std::thread([this] { work(); });
    }

    PrefetchingBatcher(const PrefetchingBatcher&) = delete;
    PrefetchingBatcher& operator=(const PrefetchingBatcher&) = delete;

    ~PrefetchingBatcher() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        if (worker_.joinable()) worker_.join();
    }

    /// Waits for the prefetched batch and makes it current; the worker then starts on the
    /// following one. Rethrows an exception of the worker.
    void next() {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return ready_ || error_ != nullptr; });
            if (error_ != nullptr) std::rethrow_exception(error_);
            front_ = 1 - front_;
            ready_ = false;
            started_ = true;
        }
        cv_.notify_all();
    }

    /// Current batch inputs (null before the first next()).
    const Scalar* x() const { return started_ ? x_[front_].data() : nullptr; }
    /// Current batch labels (null before the first next()).
    const Scalar* y() const { return started_ ? y_[front_].data() : nullptr; }

    Index batch_size() const { return batcher_.batch_size(); }
    Index batches_per_epoch() const { return batcher_.batches_per_epoch(); }
    Index length() const { return batcher_.length(); }

private:
    void work() {
        for (;;) {
            int target = 0;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return stop_ || !ready_; });
                if (stop_) return;
                target = 1 - front_;
            }
            try {
                batcher_.next(x_[target].data(), y_[target].data());
            } catch (...) {
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    error_ = std::current_exception();
                }
                cv_.notify_all();
                return;
            }
            {
                std::lock_guard<std::mutex> lock(mutex_);
                ready_ = true;
            }
            cv_.notify_all();
        }
    }

    BalancedBatcher batcher_;  // used by the worker thread only, after construction
    std::array<std::vector<Scalar>, 2> x_, y_;
    std::mutex mutex_;
    std::condition_variable cv_;
    int front_ = 0;       // buffer the caller reads; the worker fills 1 - front_
    bool ready_ = false;  // the back buffer holds a finished batch
    bool stop_ = false;
    bool started_ = false;
    std::exception_ptr error_;
    std::thread worker_;  // last: started after every other member is initialised
};

}  // namespace attrprior::genomics
