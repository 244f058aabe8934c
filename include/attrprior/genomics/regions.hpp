// Regions to explain: the model-sized windows of a user's BED or narrowPeak records, with an
// account of every record that could not be used (docs/data.md §9, "Regions to explain").
//
// A program that explains (or predicts on) a saved model's input reads the records with
// read_narrowpeak or read_bed, turns them into windows with load_regions, and one-hot
// encodes the kept windows with encode_regions:
//
//     const Fasta fasta(genome_path);
//     const RegionWindows regions = load_regions(read_narrowpeak(peaks_path), fasta, L, {peaks_path});
//     std::cerr << regions.report.summary() << "\n";
//     const std::vector<float> x = encode_regions<float>(fasta, regions);  // B x L x 4
//
// Placement: window = [centre - L/2, centre - L/2 + L) with integer division, where the centre
// is the record's summit (read_narrowpeak: start + column 10; read_bed, and narrowPeak's -1:
// floor((start + end) / 2)). For even L the centre is the first base of the right half; for
// odd L it is the middle base. This is the placement of the training data sets (docs/data.md
// §2 and §5), so a model sees its peaks exactly as in training.
//
// Records are checked with the data sets' window checks (windows.hpp, check_window, no
// jitter margin): chromosome in the FASTA, window on the chromosome, at most max_n_fraction
// non-ACGT bases. The default max_n_fraction is 1 (keep windows with N): N encodes as an
// all-zero row, so every attribution method gives it zero contribution and a window with some
// N is still worth explaining. Kept windows with N and repeated windows (same chromosome and
// start as an earlier kept window) are counted, not dropped: every row of the output can be
// traced to its record through input_index.
#pragma once

#include <cmath>
#include <cstddef>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/windows.hpp"

namespace attrprior::genomics {

/// Options of load_regions.
struct RegionOptions {
    /// Names the records in messages, e.g. the path they were read from.
    std::string source = "regions";
    /// Windows with more than this fraction of non-ACGT bases are skipped, in [0, 1].
    /// 1 keeps every window (N positions get zero contribution).
    double max_n_fraction = 1.0;
};

/// What load_regions kept and why it skipped the rest.
struct RegionReport {
    std::string source;     ///< RegionOptions::source
    std::string fasta;      ///< path of the FASTA the windows were checked against
    Index length = 0;       ///< window length L
    double max_n_fraction = 1.0;
    Index records = 0;                ///< records passed in
    Index kept = 0;                   ///< windows returned
    Index skipped_unknown_chrom = 0;  ///< records on a chromosome absent from the FASTA
    Index skipped_past_end = 0;       ///< records whose window passes a chromosome end
    Index skipped_n = 0;              ///< records whose window has more N than max_n_fraction
    Index kept_with_n = 0;            ///< kept windows with at least one non-ACGT base
    Index duplicates = 0;  ///< kept windows with the chromosome and start of an earlier kept one
    /// The first max_messages skip reasons, each naming the record.
    std::vector<std::string> messages;

    static constexpr std::size_t max_messages = 10;

    Index skipped() const { return skipped_unknown_chrom + skipped_past_end + skipped_n; }

    /// One paragraph: the counts, then the first skip reasons.
    std::string summary() const {
        std::ostringstream os;
        os << source << ": " << records << (records == 1 ? " record, " : " records, ") << kept
           << " kept as windows of " << length << " bases centred on their summits (" << kept_with_n
           << " of them contain N or other non-ACGT bases, which get zero contribution; " << duplicates
           << " repeat the window of an earlier record and are kept too); " << skipped() << " skipped: "
           << skipped_unknown_chrom << " on a chromosome not in '" << fasta << "', " << skipped_past_end
           << " with a window past a chromosome end, " << skipped_n << " with more than max_n_fraction = "
           << max_n_fraction << " of N.";
        if (!messages.empty()) {
            os << (messages.size() < static_cast<std::size_t>(skipped()) ? " First skipped: " : " Skipped: ");
            for (std::size_t i = 0; i < messages.size(); ++i) os << (i ? "; " : "") << messages[i];
            os << ".";
        }
        return os.str();
    }
};

/// The kept windows, their records and the report.
struct RegionWindows {
    Index length = 0;  ///< L: every window spans [start, start + L)
    /// In input order. chrom, name and score are the record's; summit is the window's centre
    /// (the record's summit, absolute).
    std::vector<Interval> windows;
    /// windows[r] comes from records[input_index[r]] (0-based, as in the messages).
    std::vector<std::size_t> input_index;
    RegionReport report;
};

/// The windows of length L centred on the records' summits (see the top of this file), in
/// input order, with a report counting and explaining every skipped record. Records come from
/// read_narrowpeak or read_bed (any Interval with start <= summit < end works). Throws
/// invalid_argument for L < 1, max_n_fraction outside [0, 1], or a record whose summit lies
/// outside its interval (naming it). Skipping every record is not an error here: the caller
/// decides, with report.summary() as the explanation.
inline RegionWindows load_regions(const std::vector<Interval>& records, const Fasta& fasta, Index length,
                                  const RegionOptions& options = {}) {
    constexpr const char* who = "load_regions";
    require(length >= 1, who, "length", length, "must be >= 1 (the model's input length)");
    require(std::isfinite(options.max_n_fraction) && options.max_n_fraction >= 0.0 && options.max_n_fraction <= 1.0,
            who, "max_n_fraction", options.max_n_fraction, "must be in [0, 1]");
    RegionWindows out;
    out.length = length;
    RegionReport& report = out.report;
    report.source = options.source;
    report.fasta = fasta.path();
    report.length = length;
    report.max_n_fraction = options.max_n_fraction;
    report.records = static_cast<Index>(records.size());

    std::map<std::pair<std::string, Index>, std::size_t> first_with_window;
    std::string seq;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const Interval& record = records[i];
        if (record.summit < record.start || record.summit >= record.end) {
            throw invalid_argument(attrprior::detail::concat(
                who, ": ", detail::describe_interval(record, options.source.c_str(), i), " has summit ",
                record.summit, " outside [start, end)"));
        }
        const Index start = record.summit - length / 2;
        const detail::WindowProblem problem =
            detail::check_window(fasta, record.chrom, start, length, 0, options.max_n_fraction, seq);
        if (problem != detail::WindowProblem::none) {
            switch (problem) {
                case detail::WindowProblem::unknown_chrom: ++report.skipped_unknown_chrom; break;
                case detail::WindowProblem::past_end: ++report.skipped_past_end; break;
                case detail::WindowProblem::too_many_n: ++report.skipped_n; break;
                case detail::WindowProblem::none: break;
            }
            if (report.messages.size() < RegionReport::max_messages) {
                report.messages.push_back(attrprior::detail::concat(
                    detail::describe_interval(record, options.source.c_str(), i), ": ",
                    detail::window_problem_reason(problem, fasta, record.chrom, start, length, 0,
                                                  options.max_n_fraction, seq)));
            }
            continue;
        }
        if (detail::count_non_acgt(seq.data(), seq.size()) > 0) ++report.kept_with_n;
        if (!first_with_window.emplace(std::make_pair(record.chrom, start), i).second) ++report.duplicates;
        Interval window = record;
        window.start = start;
        window.end = start + length;
        out.windows.push_back(std::move(window));
        out.input_index.push_back(i);
    }
    report.kept = static_cast<Index>(out.windows.size());
    return out;
}

/// One-hot encodings of the kept windows, B x L x 4 (encode_windows, windows.hpp): row r is
/// regions.windows[r].
template <class Scalar>
std::vector<Scalar> encode_regions(const Fasta& fasta, const RegionWindows& regions) {
    return encode_windows<Scalar>(fasta, regions.windows, regions.length);
}

}  // namespace attrprior::genomics
