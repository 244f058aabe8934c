// The coverage tracks of a profile experiment, opened from bigWig paths and checked
// against the FASTA: the signal's tasks and strands and the controls' layout follow from
// how many files are given (docs/data.md §5).
//   signal: one plus-strand file per task, and optionally one minus-strand file per task
//           (2 strands) — task-major, strand-minor order;
//   controls: none, one plus (+ minus) file shared by every task, or one per task
//           (matched); their strands must be the signal's.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/genomics/bigwig.hpp"

namespace attrprior::genomics {

/// Opened tracks and the layout they imply.
struct ProfileTracks {
    std::vector<std::unique_ptr<BigWigReader>> signal, control;  ///< task-major, strand-minor
    Index tasks = 0, strands = 0;
    /// Control files per strand: 0 (none), 1 (shared by every task) or tasks (matched).
    Index control_sets = 0;

    std::vector<const BigWigReader*> signal_tracks() const { return pointers(signal); }
    std::vector<const BigWigReader*> control_tracks() const { return pointers(control); }

private:
    static std::vector<const BigWigReader*> pointers(const std::vector<std::unique_ptr<BigWigReader>>& v) {
        std::vector<const BigWigReader*> out;
        for (const auto& t : v) out.push_back(t.get());
        return out;
    }
};

namespace detail {
/// Opens plus/minus pairs task-major, strand-minor, checking each against `chroms`.
/// `flag` names the option in messages ("bigwig" -> --bigwig-plus / --bigwig-minus).
inline std::vector<std::unique_ptr<BigWigReader>> open_stranded(const std::vector<std::string>& plus,
                                                                const std::vector<std::string>& minus,
                                                                const std::vector<std::pair<std::string, Index>>& chroms,
                                                                const std::string& flag) {
    if (!minus.empty() && minus.size() != plus.size()) {
        throw invalid_argument(attrprior::detail::concat("--", flag, "-minus is given ", minus.size(), " times but --",
                                                         flag, "-plus ", plus.size(),
                                                         " times; give one minus file per plus file, or none (one "
                                                         "strand)"));
    }
    std::vector<std::unique_ptr<BigWigReader>> tracks;
    for (std::size_t t = 0; t < plus.size(); ++t) {
        tracks.push_back(std::make_unique<BigWigReader>(plus[t]));
        check_chromosomes(*tracks.back(), chroms, "--" + flag + "-plus");
        if (!minus.empty()) {
            tracks.push_back(std::make_unique<BigWigReader>(minus[t]));
            check_chromosomes(*tracks.back(), chroms, "--" + flag + "-minus");
        }
    }
    return tracks;
}
}  // namespace detail

/// Opens the signal and control bigWigs and infers tasks, strands and the control layout.
/// chroms: the FASTA's (name, length) list. Errors name the option (--bigwig-plus,
/// --control-minus, ...) and the file.
inline ProfileTracks open_profile_tracks(const std::vector<std::string>& signal_plus,
                                         const std::vector<std::string>& signal_minus,
                                         const std::vector<std::string>& control_plus,
                                         const std::vector<std::string>& control_minus,
                                         const std::vector<std::pair<std::string, Index>>& chroms) {
    require(!signal_plus.empty(), "open_profile_tracks", "--bigwig-plus", "(none)", "must be given at least once");
    ProfileTracks t;
    t.signal = detail::open_stranded(signal_plus, signal_minus, chroms, "bigwig");
    t.control = detail::open_stranded(control_plus, control_minus, chroms, "control");
    t.tasks = static_cast<Index>(signal_plus.size());
    t.strands = signal_minus.empty() ? 1 : 2;
    t.control_sets = static_cast<Index>(control_plus.size());
    if (!control_plus.empty() && (control_minus.empty() ? 1 : 2) != t.strands) {
        throw invalid_argument(
            "the controls must have the same strands as the signal (--control-minus with --bigwig-minus)");
    }
    if (t.control_sets != 0 && t.control_sets != 1 && t.control_sets != t.tasks) {
        throw invalid_argument(attrprior::detail::concat("--control-plus is given ", t.control_sets, " times for ",
                                                         t.tasks, " tasks; give 1 (shared) or one per task (matched)"));
    }
    return t;
}

}  // namespace attrprior::genomics
