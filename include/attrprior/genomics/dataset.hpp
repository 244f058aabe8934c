// Binary (peak vs background) training data: windows, splits, balanced batches (docs/data.md
// §2-4).
//
// BinaryDataset turns peaks (positives) and either a user BED of negatives or negatives
// sampled from the genome (negatives.hpp) into fixed-length windows, split by chromosome
// into train, validation and test sets. Its training batches come from BalancedBatcher
// (batching.hpp, included at the end of this header), its prediction and evaluation rows
// from BinaryExamples (example_sets.hpp).
//
// Windows. Every example is a window [start, start + length) on one chromosome:
//  - a positive is centred on its peak's summit: start = summit - length / 2;
//  - a user-given negative is centred on its interval: start = c - length / 2 with
//    c = iv.start + (iv.end - iv.start) / 2;
//  - a sampled negative starts uniformly at random in the genome (negatives.hpp).
// Windows that cannot be read are skipped and counted in the DatasetReport, never
// silently: a chromosome absent from the FASTA, a window past either chromosome end, or
// a window with more than max_n_fraction of bases other than A/C/G/T (either case); the
// checks are windows.hpp's, shared with ProfileDataset.
// Positives with the same window as an earlier positive are dropped as duplicates.
// User-given negatives are otherwise kept verbatim, in input order: they are not
// deduplicated and not checked against the peaks.
//
// Splits. A chromosome in options.valid_chroms is validation, one in test_chroms is test,
// every other chromosome is training; every example (positive or negative) goes to the
// split of its chromosome, so the splits are disjoint by chromosome. Within a split,
// examples are the positives in input order, then the negatives.
//
// Sampled negatives (when the negatives argument is empty): sample_negatives
// (negatives.hpp) with this data set's options, GC-matched to the kept positives when
// options.gc_matched; its counts and shortfall message go to the report.
//
// Randomness comes from core/random.hpp (raw std::mt19937_64 output, (x >> 11) * 2^-53, and
// an own Fisher-Yates shuffle), so a seed gives the same data set and batches with every
// standard library.
//
// Lifetimes and threads: a BinaryDataset keeps a pointer to the Fasta, which must outlive
// it. A BinaryDataset is immutable after construction, and Fasta::fetch is
// mutex-protected, so several batchers may share one data set across threads.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <sstream>
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
#include "attrprior/genomics/negatives.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/windows.hpp"

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
        // Every bound of DatasetOptions is a bound of the sampling options too: one check.
        detail::check_negative_sampling_options(sampling_options(), who);
        check_holdouts();
        if (peaks.empty()) {
            throw invalid_argument(
                "BinaryDataset: no peaks were given (the positives cannot be empty)");
        }
        report_.peaks_read = static_cast<Index>(peaks.size());

        std::vector<double> positive_gc;
        add_positives(peaks, positive_gc);
        if (negatives.empty()) {
            add_sampled_negatives(peaks, positive_gc);
        } else {
            add_given_negatives(negatives);
        }
        for (int s = 0; s < 3; ++s) {
            if (report_.positives[s] == 0 && split_is_used(s)) {
                report_.messages.push_back(attrprior::detail::concat(
                    "note: the ", split_name(static_cast<Split>(s)), " split has no positives (its chromosomes: ",
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

    /// A copy whose train split keeps ceil(fraction * n) of its n positives and likewise of
    /// its negatives (validation and test splits unchanged), for small-data studies
    /// (docs/stability.md, "Training fractions"). Which examples stay depends only on
    /// `subsample_seed`: one random order per class, drawn from it, whose first entries are
    /// kept, so the subsets of one seed are nested (fraction 0.1 is inside 0.3) and do not
    /// depend on the training seed. Kept examples stay in their original order. The report's
    /// train counts are updated and a message records the subsampling. Throws
    /// invalid_argument unless 0 < fraction <= 1.
    BinaryDataset with_train_fraction(double fraction, std::uint64_t subsample_seed) const {
        require(std::isfinite(fraction) && fraction > 0.0 && fraction <= 1.0, "BinaryDataset::with_train_fraction",
                "fraction", fraction, "must be in (0, 1]");
        BinaryDataset out = *this;
        std::mt19937_64 rng(subsample_seed);
        std::array<std::vector<Example>, 2> by_label;  // 0: negatives, 1: positives
        for (const Example& e : examples(Split::train)) by_label[e.label == 1 ? 1 : 0].push_back(e);
        auto& train = out.examples_[static_cast<std::size_t>(Split::train)];
        train.clear();
        std::array<Index, 2> kept{};
        for (int label : {1, 0}) {
            const auto& all = by_label[static_cast<std::size_t>(label)];
            const std::vector<char> chosen = nested_subsample(all.size(), fraction, rng);
            for (std::size_t i = 0; i < all.size(); ++i)
                if (chosen[i]) train.push_back(all[i]), ++kept[static_cast<std::size_t>(label)];
        }
        out.report_.messages.push_back(attrprior::detail::concat(
            "train split subsampled to fraction ", fraction, " (subsample seed ", subsample_seed, "): ", kept[1], " of ",
            report_.positives[0], " positives, ", kept[0], " of ", report_.negatives[0], " negatives"));
        out.report_.positives[0] = kept[1];
        out.report_.negatives[0] = kept[0];
        return out;
    }

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

    /// The sampling options of this data set (the DatasetOptions fields of the same names).
    NegativeSamplingOptions sampling_options() const {
        NegativeSamplingOptions n;
        n.length = options_.length;
        n.negatives_per_positive = options_.negatives_per_positive;
        n.gc_matched = options_.gc_matched;
        n.min_distance = options_.min_distance;
        n.max_n_fraction = options_.max_n_fraction;
        n.seed = options_.seed;
        n.max_attempts_per_negative = options_.max_attempts_per_negative;
        return n;
    }

    /// detail::check_window for the window [start, start + length) of chrom (no margin);
    /// seq holds its bases when the result is none.
    detail::WindowProblem check_window(const std::string& chrom, Index start, std::string& seq) const {
        return detail::check_window(*fasta_, chrom, start, options_.length, 0, options_.max_n_fraction, seq);
    }

    std::string window_problem_reason(detail::WindowProblem problem, const std::string& chrom, Index start,
                                      const std::string& seq) const {
        return detail::window_problem_reason(problem, *fasta_, chrom, start, options_.length, 0,
                                             options_.max_n_fraction, seq);
    }

    void add_positives(const std::vector<Interval>& peaks, std::vector<double>& gc) {
        const Index L = options_.length;
        std::unordered_map<std::string, std::unordered_set<Index>> seen;
        std::string seq;
        for (std::size_t i = 0; i < peaks.size(); ++i) {
            const Interval& p = peaks[i];
            const Index start = p.summit - L / 2;
            const detail::WindowProblem problem = check_window(p.chrom, start, seq);
            if (problem != detail::WindowProblem::none) {
                if (problem == detail::WindowProblem::unknown_chrom) ++report_.skipped_unknown_chrom;
                if (problem == detail::WindowProblem::past_end) ++report_.skipped_edge;
                if (problem == detail::WindowProblem::too_many_n) ++report_.skipped_n;
                skip_message(attrprior::detail::concat("skipped ", detail::describe_interval(p, "peaks", i), ": ",
                                                       window_problem_reason(problem, p.chrom, start, seq)));
                continue;
            }
            if (!seen[p.chrom].insert(start).second) {
                ++report_.duplicates_removed;
                skip_message(attrprior::detail::concat("removed ", detail::describe_interval(p, "peaks", i),
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
            const detail::WindowProblem problem = check_window(n.chrom, start, seq);
            if (problem != detail::WindowProblem::none) {
                ++report_.negatives_skipped;
                skip_message(attrprior::detail::concat("skipped ", detail::describe_interval(n, "negatives", i), ": ",
                                                       window_problem_reason(problem, n.chrom, start, seq)));
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

    void add_sampled_negatives(const std::vector<Interval>& peaks, const std::vector<double>& positive_gc) {
        SampledNegatives sampled = sample_negatives(*fasta_, peaks, positive_gc, sampling_options());
        report_.negatives_sampled = static_cast<Index>(sampled.examples.size());
        report_.negatives_rejected_overlap = sampled.rejected_overlap;
        report_.negatives_rejected_n = sampled.rejected_n;
        report_.negatives_shortfall = sampled.shortfall;
        if (!sampled.shortfall_message.empty()) report_.messages.push_back(std::move(sampled.shortfall_message));
        std::vector<std::vector<Example>> negs(3);
        for (Example& e : sampled.examples) negs[static_cast<std::size_t>(split_of(e.chrom))].push_back(std::move(e));
        append_negatives(negs);
    }

    const Fasta* fasta_;
    DatasetOptions options_;
    std::array<std::vector<Example>, 3> examples_;
    DatasetReport report_;
    std::unordered_map<std::string, int> split_of_;
    std::size_t skip_messages_ = 0;
};

}  // namespace attrprior::genomics

// Last, because BalancedBatcher needs BinaryDataset complete: code that included this
// header for BalancedBatcher before it moved to batching.hpp keeps compiling.
#include "attrprior/genomics/batching.hpp"
