// Profile-model training data: summit-centred sequence windows with their base-resolution
// read coverage, split by chromosome, batched with jitter and reverse complement
// (issue 6, docs/data.md §5-6).
//
// Windows. For a peak with summit m, the model input is [m - L/2, m - L/2 + L) and the
// profile window is the centred [m - L/2 + (L - O)/2, ... + O) with L = input_length and
// O = output_length; (L - O) must be even so that the profile stays centred under reverse
// complement. This is where the profile preset's outputs sit: its valid convolutions
// trim (L - O)/2 positions on each side.
//
// Tracks. Signal tracks are given task-major, strand-minor (task t, strand s at t*S + s,
// plus before minus), controls likewise: none, S (shared by all tasks) or T*S (matched).
// A track is anything with has_chromosome(chrom), length(chrom) and
// read(chrom, start, end, float* out) — BigWigReader (bigwig.hpp) or CoverageTrack
// (coverage.hpp). The data set reads each example's window (widened by max_jitter on each
// side) once, at construction, and keeps it in memory: a batch is then a copy, with no
// file access, and the tracks need not outlive the data set. Memory is about
// (L + 2J) bytes + (O + 2J) * (tracks) * 4 bytes per peak.
//
// Skipped peaks are counted in the report, never dropped silently: a chromosome absent
// from the FASTA or from a track, a widened window past a chromosome end, too many N, a
// duplicate summit. A track whose chromosome length differs from the FASTA's is an error.
//
// Augmentation (encode's shift and reverse_complement; ProfileBatcher draws them). Jitter
// shifts the input and profile windows together by an offset uniform in [-jitter, jitter].
// Reverse complement reverses and complements the sequence, reverses every profile in
// position and swaps each task's plus and minus strands (a plus-strand read of the reverse
// complement is a minus-strand read of the original); controls are transformed the same
// way.
//
// Batches: ProfileBatcher (batching.hpp, included at the end of this header) for training,
// ProfileExamples (example_sets.hpp) for prediction and evaluation over a split.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
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

namespace detail {
/// Throws numeric_error unless the n coverage values read from `track` at chrom:start..
/// are finite and >= 0 (docs/data.md §5), naming the track and the first bad position.
inline void require_coverage(const float* values, Index n, const char* who, const std::string& track,
                             const std::string& chrom, Index start) {
    for (Index j = 0; j < n; ++j) {
        const float v = values[j];
        if (std::isfinite(v) && v >= 0) continue;
        throw numeric_error(attrprior::detail::concat(
            who, ": ", track, " has the value ", v, " at ", chrom, ":", start + j, " (coverage must be finite and >= 0",
            v < 0 ? "; a minus-strand track stored as negative values must be negated first" : "", ")"));
    }
}

/// Tracks that know their file (BigWigReader) have path(); messages then name it.
template <class Track, class = void>
struct has_path : std::false_type {};
template <class Track>
struct has_path<Track, std::void_t<decltype(std::declval<const Track&>().path())>> : std::true_type {};
}  // namespace detail

/// Options of ProfileDataset (defaults: the paper's profile model, docs/models.md §3).
struct ProfileDatasetOptions {
    Index input_length = 1346;   ///< sequence window L
    Index output_length = 1000;  ///< profile window O (L - O even, O <= L)
    Index strands = 2;           ///< 1 or 2 strands per task
    Index max_jitter = 0;        ///< largest jitter a batcher may use (kept in memory as margin)
    std::vector<std::string> valid_chroms, test_chroms;  ///< hold-outs (training = the rest)
    double max_n_fraction = 0.1;  ///< windows with more non-ACGT than this are skipped
};

/// One kept peak: its chromosome, summit and split.
struct ProfileExample {
    std::string chrom;
    Index summit = 0;
    Split split = Split::train;
    std::string name;  ///< the peak's name ("." if none)
};

/// Counts of what ProfileDataset kept and skipped.
struct ProfileDatasetReport {
    Index peaks_read = 0;
    Index skipped_unknown_chrom = 0;  ///< chromosome absent from the FASTA
    Index skipped_missing_track = 0;  ///< chromosome absent from a signal or control track
    Index skipped_edge = 0;           ///< (jitter-widened) window past a chromosome end
    Index skipped_n = 0;              ///< too many N in the input window
    Index duplicates_removed = 0;     ///< same chromosome and summit as an earlier peak
    std::array<Index, 3> kept{};      ///< per split (train, valid, test)
    std::vector<std::string> messages;  ///< the first few skip reasons, naming the peak

    static constexpr std::size_t max_skip_messages = 10;

    std::string summary() const {
        std::ostringstream os;
        os << "ProfileDataset: " << peaks_read << " peaks read, " << kept[0] + kept[1] + kept[2]
           << " kept (train " << kept[0] << ", valid " << kept[1] << ", test " << kept[2]
           << ")\n  skipped: " << skipped_unknown_chrom << " unknown chromosome, " << skipped_missing_track
           << " chromosome missing from a track, " << skipped_edge << " window past a chromosome end, "
           << skipped_n << " too many N; " << duplicates_removed << " duplicates removed";
        for (const std::string& m : messages) os << "\n  " << m;
        return os.str();
    }
};

class ProfileDataset {
public:
    /// Reads every usable peak (see the top of this file). Throws invalid_argument for an
    /// option out of range, a track count that is not a multiple of strands, a control
    /// count other than 0, S or T*S, a hold-out chromosome absent from the FASTA, a track
    /// chromosome whose length differs from the FASTA's, no peaks, or every peak skipped.
    template <class Track>
    ProfileDataset(const Fasta& fasta, const std::vector<Interval>& peaks, const std::vector<const Track*>& signal,
                   const std::vector<const Track*>& controls, const ProfileDatasetOptions& options)
        : options_(options) {
        constexpr const char* who = "ProfileDataset";
        const ProfileDatasetOptions& o = options_;
        require(o.strands == 1 || o.strands == 2, who, "options.strands", o.strands, "must be 1 or 2");
        require(o.output_length >= 1, who, "options.output_length", o.output_length, "must be >= 1");
        require(o.input_length >= o.output_length && (o.input_length - o.output_length) % 2 == 0, who,
                "options.input_length", o.input_length, "must be >= output_length = ", o.output_length,
                " with an even difference (the profile window is centred)");
        require(o.max_jitter >= 0, who, "options.max_jitter", o.max_jitter, "must be >= 0");
        require(o.max_n_fraction >= 0 && o.max_n_fraction <= 1, who, "options.max_n_fraction", o.max_n_fraction,
                "must be in [0, 1]");
        require(!signal.empty() && signal.size() % static_cast<std::size_t>(o.strands) == 0, who,
                "signal tracks", signal.size(), "must be a positive multiple of strands = ", o.strands);
        tasks_ = static_cast<Index>(signal.size()) / o.strands;
        const Index nc = static_cast<Index>(controls.size());
        require(nc == 0 || nc == o.strands || nc == tasks_ * o.strands, who, "control tracks", nc,
                "must be 0, strands = ", o.strands, " (shared) or tasks x strands = ", tasks_ * o.strands,
                " (matched)");
        control_tracks_ = nc;
        for (const Track* t : signal) require(t != nullptr, who, "signal track", "null", "must not be null");
        for (const Track* t : controls) require(t != nullptr, who, "control track", "null", "must not be null");
        const auto split_of = detail::chromosome_splits(fasta, o.valid_chroms, o.test_chroms, who);
        if (peaks.empty()) throw invalid_argument("ProfileDataset: no peaks were given");
        report_.peaks_read = static_cast<Index>(peaks.size());

        std::vector<const Track*> tracks(signal);
        tracks.insert(tracks.end(), controls.begin(), controls.end());
        for (std::size_t k = 0; k < tracks.size(); ++k) {
            std::string name = track_name(static_cast<std::ptrdiff_t>(k));
            if constexpr (detail::has_path<Track>::value) name += " '" + tracks[k]->path() + "'";
            track_names_.push_back(std::move(name));
        }
        check_lengths(fasta, tracks);
        const Index J = o.max_jitter, Ow = o.output_length + 2 * J;
        const Index K = static_cast<Index>(tracks.size());
        std::unordered_map<std::string, std::unordered_set<Index>> seen;
        std::vector<float> column(static_cast<std::size_t>(Ow));
        std::string seq;
        for (std::size_t i = 0; i < peaks.size(); ++i) {
            const Interval& p = peaks[i];
            const Index in_start = p.summit - o.input_length / 2;  // without the jitter margin
            const auto skip = [&](Index& counter, const std::string& why) {
                ++counter;
                if (report_.messages.size() < ProfileDatasetReport::max_skip_messages) {
                    report_.messages.push_back(
                        attrprior::detail::concat("skipped ", detail::describe_interval(p, "peaks", i), ": ", why));
                }
            };
            // The window checks shared with BinaryDataset (windows.hpp), with the tracks
            // checked between "chromosome in the FASTA" and "window on the chromosome".
            if (fasta.has(p.chrom)) {
                const auto missing = std::find_if(tracks.begin(), tracks.end(),
                                                  [&](const Track* t) { return !t->has_chromosome(p.chrom); });
                if (missing != tracks.end()) {
                    skip(report_.skipped_missing_track,
                         attrprior::detail::concat("chromosome absent from ",
                                                   track_names_[static_cast<std::size_t>(missing - tracks.begin())]));
                    continue;
                }
            }
            const detail::WindowProblem problem =
                detail::check_window(fasta, p.chrom, in_start, o.input_length, J, o.max_n_fraction, seq);
            if (problem != detail::WindowProblem::none) {
                Index& counter = problem == detail::WindowProblem::unknown_chrom ? report_.skipped_unknown_chrom
                                 : problem == detail::WindowProblem::past_end    ? report_.skipped_edge
                                                                                 : report_.skipped_n;
                skip(counter, detail::window_problem_reason(problem, fasta, p.chrom, in_start, o.input_length, J,
                                                            o.max_n_fraction, seq));
                continue;
            }
            if (!seen[p.chrom].insert(p.summit).second) {
                skip(report_.duplicates_removed,
                     attrprior::detail::concat("duplicate summit ", p.chrom, ":", p.summit, " of an earlier peak"));
                continue;
            }
            // The widened profile window: what encode() may read with a shift up to J.
            const Index out_start = in_start - J + (o.input_length - o.output_length) / 2;
            const std::size_t base = profiles_.size();
            profiles_.resize(base + static_cast<std::size_t>(Ow * K));
            for (Index k = 0; k < K; ++k) {
                tracks[static_cast<std::size_t>(k)]->read(p.chrom, out_start, out_start + Ow, column.data());
                detail::require_coverage(column.data(), Ow, "ProfileDataset", track_names_[static_cast<std::size_t>(k)],
                                         p.chrom, out_start);
                for (Index j = 0; j < Ow; ++j)
                    profiles_[base + static_cast<std::size_t>(j * K + k)] = column[static_cast<std::size_t>(j)];
            }
            bases_ += seq;
            const auto it = split_of.find(p.chrom);
            const Split split = it == split_of.end() ? Split::train : static_cast<Split>(it->second);
            examples_.push_back(ProfileExample{p.chrom, p.summit, split, p.name.empty() ? "." : p.name});
            split_index_[static_cast<std::size_t>(split)].push_back(static_cast<Index>(examples_.size()) - 1);
            ++report_.kept[static_cast<std::size_t>(split)];
        }
        if (examples_.empty()) {
            std::string reasons;
            for (const std::string& m : report_.messages) reasons += "\n  " + m;
            throw invalid_argument("ProfileDataset: all " + std::to_string(peaks.size()) +
                                   " peaks were skipped:" + reasons);
        }
    }

    const ProfileDatasetOptions& options() const { return options_; }
    const ProfileDatasetReport& report() const { return report_; }
    Index tasks() const { return tasks_; }
    Index strands() const { return options_.strands; }
    Index input_length() const { return options_.input_length; }
    Index output_length() const { return options_.output_length; }
    /// Profile channels T * S.
    Index profile_channels() const { return tasks_ * options_.strands; }
    /// Control channels: 0, S or T * S.
    Index control_channels() const { return control_tracks_; }

    const std::vector<ProfileExample>& examples() const { return examples_; }
    /// Indices into examples() of one split, in peak order.
    const std::vector<Index>& indices(Split split) const { return split_index_[static_cast<std::size_t>(split)]; }

    /// Mean over the examples of `split` of log(1 + total reads) of each profile channel
    /// (T * S values): where the counts head starts (models::initialize_counts_head,
    /// docs/models.md §4). An empty split gives zeros.
    std::vector<double> mean_log_counts(Split split = Split::train) const {
        const Index O = options_.output_length, P = profile_channels(), C = control_tracks_;
        std::vector<float> x(static_cast<std::size_t>(options_.input_length * 4)),
            profile(static_cast<std::size_t>(O * P)), control(static_cast<std::size_t>(O * std::max<Index>(C, 1)));
        std::vector<double> mean(static_cast<std::size_t>(P), 0.0);
        const auto& rows = indices(split);
        for (Index i : rows) {
            encode(i, 0, false, x.data(), profile.data(), C > 0 ? control.data() : nullptr);
            for (Index k = 0; k < P; ++k) {
                double total = 0;
                for (Index o = 0; o < O; ++o) total += profile[static_cast<std::size_t>(o * P + k)];
                mean[static_cast<std::size_t>(k)] += std::log1p(total) / double(rows.size());
            }
        }
        return mean;
    }

    /// Start of example i's input window (without jitter).
    Index input_start(Index i) const { return examples_[static_cast<std::size_t>(i)].summit - options_.input_length / 2; }
    /// Start of example i's profile window (without jitter).
    Index output_start(Index i) const {
        return input_start(i) + (options_.input_length - options_.output_length) / 2;
    }

    /// Writes example i shifted by `shift` (|shift| <= max_jitter), optionally reverse
    /// complemented: x (L x 4 one-hot), profile (O x T*S) and control (O x control
    /// channels; may be null when there are none). Throws invalid_argument for an index or
    /// shift out of range.
    template <class Scalar>
    void encode(Index i, Index shift, bool reverse_complement, Scalar* x, Scalar* profile, Scalar* control) const {
        constexpr const char* who = "ProfileDataset::encode";
        require(i >= 0 && i < static_cast<Index>(examples_.size()), who, "example", i, "must be in [0, ",
                examples_.size(), ")");
        const Index J = options_.max_jitter;
        require(shift >= -J && shift <= J, who, "shift", shift, "must be within max_jitter = ", J);
        const Index L = options_.input_length, O = options_.output_length, Lw = L + 2 * J, Ow = O + 2 * J;
        const Index P = profile_channels(), C = control_tracks_, K = P + C, S = options_.strands;
        const char* seq = bases_.data() + i * Lw + J + shift;
        if (reverse_complement) {
            one_hot_reverse_complement(seq, static_cast<std::size_t>(L), x);
        } else {
            one_hot(seq, static_cast<std::size_t>(L), x);
        }
        const float* tracks = profiles_.data() + i * Ow * K + (J + shift) * K;
        for (Index pos = 0; pos < O; ++pos) {
            const float* row = tracks + (reverse_complement ? O - 1 - pos : pos) * K;
            for (Index k = 0; k < K; ++k) {
                // Under reverse complement, strand s of a task reads strand 1 - s.
                const Index src = reverse_complement && S == 2 ? (k ^ 1) : k;
                if (k < P) {
                    profile[pos * P + k] = static_cast<Scalar>(row[src]);
                } else if (control != nullptr) {
                    control[pos * C + (k - P)] = static_cast<Scalar>(row[src]);
                }
            }
        }
    }

private:
    std::string track_name(std::ptrdiff_t k) const {
        const Index n_signal = profile_channels();
        const char* strand[2] = {"plus", "minus"};
        const Index S = options_.strands;
        if (k < n_signal) {
            return attrprior::detail::concat("signal track ", k, " (task ", k / S,
                                             S == 2 ? std::string(", ") + strand[k % 2] : std::string(), ")");
        }
        return attrprior::detail::concat("control track ", k - n_signal);
    }

    template <class Track>
    void check_lengths(const Fasta& fasta, const std::vector<const Track*>& tracks) const {
        for (std::size_t k = 0; k < tracks.size(); ++k) {
            for (const std::string& chrom : fasta.chromosomes()) {
                if (!tracks[k]->has_chromosome(chrom)) continue;
                const Index a = tracks[k]->length(chrom), b = fasta.length(chrom);
                if (a != b) {
                    throw invalid_argument(attrprior::detail::concat(
                        "ProfileDataset: ", track_names_[k], " has chromosome '", chrom,
                        "' of length ", a, " but '", fasta.path(), "' has it with length ", b,
                        " (different genome assemblies?)"));
                }
            }
        }
    }

    ProfileDatasetOptions options_;
    Index tasks_ = 0, control_tracks_ = 0;
    std::vector<std::string> track_names_;  // for messages: role, and the file when the track has a path()
    ProfileDatasetReport report_;
    std::vector<ProfileExample> examples_;
    std::array<std::vector<Index>, 3> split_index_;
    std::string bases_;            // per example: input_length + 2 max_jitter bases
    std::vector<float> profiles_;  // per example: (output_length + 2 max_jitter) x (signal + control tracks)
};

/// The training-fraction subsample of `rows` (e.g. data.indices(Split::train)): the rows
/// nested_subsample keeps with a generator seeded by `subsample_seed`, in their original
/// order (docs/stability.md, "Training fractions"). The subsets of one seed are nested.
inline std::vector<Index> train_fraction_rows(const std::vector<Index>& rows, double fraction,
                                              std::uint64_t subsample_seed) {
    std::mt19937_64 rng(subsample_seed);
    const std::vector<char> chosen = nested_subsample(rows.size(), fraction, rng);
    std::vector<Index> kept;
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (chosen[i]) kept.push_back(rows[i]);
    return kept;
}

}  // namespace attrprior::genomics

// Last, because ProfileBatcher needs ProfileDataset complete: code that included this
// header for ProfileBatcher before it moved to batching.hpp keeps compiling.
#include "attrprior/genomics/batching.hpp"
