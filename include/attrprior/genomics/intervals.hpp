// Genomic intervals: reading and writing BED and ENCODE narrowPeak files.
//
// Coordinates are 0-based and half-open, as in the files. Files may be plain text, gzip
// or bgzip compressed (read through htslib's BGZF layer, which handles all three). A bgzip
// file without its end-of-file marker block (cut short) is an io_error; a plain gzip file
// has no such marker and is read as it is (docs/reliability.md, "Compressed files").
//
// Line handling shared by both readers:
//   - Blank lines, lines starting with '#', and "track" / "browser" header lines are
//     skipped; they are not records and are not counted as skipped.
//   - Columns are tab-separated. A line without any tab is split on runs of spaces.
//     Trailing whitespace (including a Windows '\r') is ignored.
//   - A malformed line throws io_error "<file>:<line>: <problem>". The readers never skip
//     records silently; skipping for semantic reasons (e.g. a chromosome missing from the
//     genome) is left to the caller, which can record it in a ReadReport.
//   - A name of "." is read as the empty name (and an empty name is written as ".").
//
// BED (BED3+): chrom start end [name [score [strand [...]]]]. Columns after the sixth are
// accepted and ignored. A score of "." reads as 0. The summit is the centre
// start + (end - start) / 2.
//
// narrowPeak: exactly 10 columns, chrom start end name score strand signalValue pValue
// qValue peak. score must be a number (it may be non-integer); signalValue, pValue and
// qValue must be numbers (-1 = unknown) and are validated but not stored; peak is the
// summit offset from start, in [0, end - start), or -1 for "no summit" (then the summit is
// the centre).
#pragma once

#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <iomanip>
#include <ios>
#include <locale>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::genomics {

/// A genomic interval [start, end) on chrom, with an optional name and score and an
/// absolute 0-based summit position (start <= summit < end).
struct Interval {
    std::string chrom;
    Index start = 0, end = 0;
    std::string name;
    double score = 0.0;
    Index summit = 0;  ///< absolute 0-based summit position
};

/// Counts of what a reader (or a later consumer) accepted and skipped.
/// The readers add their record count to `records`; consumers that drop records for
/// semantic reasons call skip("<file>:<line>: <reason>"), which keeps the first
/// max_messages reasons.
struct ReadReport {
    Index records = 0, skipped = 0;
    std::vector<std::string> messages;  ///< first few skip reasons, "file:line: reason"

    static constexpr std::size_t max_messages = 10;

    /// Counts one skipped record and keeps its reason if fewer than max_messages are kept.
    void skip(std::string message) {
        ++skipped;
        if (messages.size() < max_messages) messages.push_back(std::move(message));
    }
};

namespace detail {

/// Reads a plain / gzip / bgzip text file line by line through BGZF (RAII).
class TextLineReader {
public:
    TextLineReader(const std::string& path, const char* who) : path_(path) {
        errno = 0;
        fp_ = bgzf_open(path.c_str(), "r");
        if (fp_ == nullptr) {
            const int err = errno;
            throw io_error(attrprior::detail::concat(
                who, ": cannot open '", path, "': ",
                err != 0 ? std::strerror(err) : "unreadable file"));
        }
        // A bgzip file cut short at a block boundary reads as a shorter, valid-looking file:
        // its end-of-file marker block tells. Plain gzip has no such marker; a gzip file cut
        // short fails while reading instead. docs/reliability.md, "Compressed files".
        const int eof = bgzf_compression(fp_) == 2 ? bgzf_check_EOF(fp_) : 1;
        if (eof <= 0) {
            bgzf_close(fp_);
            fp_ = nullptr;
            throw io_error(attrprior::detail::concat(
                who, ": '", path, "' ",
                eof == 0 ? "is truncated: no BGZF end-of-file block (the bgzip file was cut "
                           "short; download or compress it again)"
                         : "cannot be read: its BGZF end-of-file block cannot be checked (read "
                           "error)"));
        }
    }
    TextLineReader(const TextLineReader&) = delete;
    TextLineReader& operator=(const TextLineReader&) = delete;
    ~TextLineReader() {
        ks_free(&line_);
        if (fp_ != nullptr) bgzf_close(fp_);
    }

    /// Next line without its terminator and trailing whitespace; false at end of file.
    bool next(std::string_view& out) {
        const int got = bgzf_getline(fp_, '\n', &line_);
        if (got == -1) return false;
        ++line_number_;
        if (got < -1) {
            throw io_error(attrprior::detail::concat(
                path_, ":", line_number_,
                ": read error (truncated or corrupt compressed file?)"));
        }
        std::size_t n = line_.l;
        while (n > 0 && (line_.s[n - 1] == '\r' || line_.s[n - 1] == ' ' ||
                         line_.s[n - 1] == '\t')) {
            --n;
        }
        out = std::string_view(line_.s != nullptr ? line_.s : "", n);
        return true;
    }

    Index line_number() const { return line_number_; }

private:
    std::string path_;
    BGZF* fp_ = nullptr;
    kstring_t line_ = KS_INITIALIZE;
    Index line_number_ = 0;
};

/// True for lines that are not records: blank, '#' comments, "track"/"browser" headers.
inline bool interval_line_is_header(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::string_view rest = line.substr(i);
    if (rest.empty() || rest.front() == '#') return true;
    for (std::string_view word : {std::string_view("track"), std::string_view("browser")}) {
        if (rest.size() >= word.size() && rest.substr(0, word.size()) == word &&
            (rest.size() == word.size() || rest[word.size()] == ' ' ||
             rest[word.size()] == '\t')) {
            return true;
        }
    }
    return false;
}

/// Splits on tabs (or, if the line has no tab, on runs of spaces).
inline void split_interval_line(std::string_view line, std::vector<std::string_view>& fields) {
    fields.clear();
    if (line.find('\t') != std::string_view::npos) {
        std::size_t begin = 0;
        while (true) {
            const std::size_t tab = line.find('\t', begin);
            if (tab == std::string_view::npos) {
                fields.push_back(line.substr(begin));
                break;
            }
            fields.push_back(line.substr(begin, tab - begin));
            begin = tab + 1;
        }
        return;
    }
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        if (i == line.size()) break;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ') ++j;
        fields.push_back(line.substr(i, j - i));
        i = j;
    }
}

/// Parses a whole field as a base-10 integer (optional '-', digits only).
inline bool parse_interval_integer(std::string_view s, Index& out) {
    if (s.empty()) return false;
    Index value = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return false;
    out = value;
    return true;
}

/// Parses a whole field as a decimal floating-point number (locale-independent).
/// NaN is rejected; infinities are accepted (callers reject them where needed).
inline bool parse_interval_number(std::string_view s, double& out) {
    if (s.empty() || s.front() == '+' || s.front() == ' ') return false;
    double value = 0.0;
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
    const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return false;
#else
    std::istringstream in{std::string(s)};
    in.imbue(std::locale::classic());
    in >> std::noskipws >> value;
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) return false;
#endif
    if (std::isnan(value)) return false;
    out = value;
    return true;
}

/// Shortest decimal text that reads back as exactly `v` (locale-independent).
inline std::string format_interval_number(double v) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, res.ptr);
#else
    std::string text;
    for (int precision = 1; precision <= 17; ++precision) {
        std::ostringstream os;
        os.imbue(std::locale::classic());
        os << std::setprecision(precision) << v;
        text = os.str();
        std::istringstream in(text);
        in.imbue(std::locale::classic());
        double back = 0.0;
        in >> back;
        if (back == v) break;
    }
    return text;
#endif
}

/// Parses chrom, start, end (columns 1-3) shared by BED and narrowPeak.
inline void parse_interval_position(const std::vector<std::string_view>& f,
                                    const std::string& where, Interval& iv) {
    for (std::size_t c = 0; c < f.size(); ++c) {
        if (f[c].empty()) {
            throw io_error(attrprior::detail::concat(where, ": column ", c + 1,
                                                     " is empty"));
        }
    }
    if (f[0].find(' ') != std::string_view::npos) {
        throw io_error(attrprior::detail::concat(where, ": chromosome name '", f[0],
                                                 "' contains a space"));
    }
    iv.chrom.assign(f[0].data(), f[0].size());
    if (!parse_interval_integer(f[1], iv.start)) {
        throw io_error(attrprior::detail::concat(where, ": start '", f[1],
                                                 "' (column 2) is not an integer"));
    }
    if (!parse_interval_integer(f[2], iv.end)) {
        throw io_error(attrprior::detail::concat(where, ": end '", f[2],
                                                 "' (column 3) is not an integer"));
    }
    if (iv.start < 0) {
        throw io_error(attrprior::detail::concat(where, ": start ", iv.start,
                                                 " is negative"));
    }
    if (iv.end <= iv.start) {
        throw io_error(attrprior::detail::concat(where, ": end ", iv.end,
                                                 " is not greater than start ", iv.start,
                                                 " (intervals are 0-based, half-open)"));
    }
}

inline void check_interval_strand(std::string_view s, const std::string& where, int column) {
    if (s != "+" && s != "-" && s != ".") {
        throw io_error(attrprior::detail::concat(where, ": strand '", s, "' (column ",
                                                 column, ") is not '+', '-' or '.'"));
    }
}

inline std::string interval_name(std::string_view s) {
    return s == "." ? std::string() : std::string(s);
}

inline Interval parse_bed_line(const std::vector<std::string_view>& f,
                               const std::string& where) {
    if (f.size() < 3) {
        throw io_error(attrprior::detail::concat(
            where, ": expected at least 3 columns (chrom start end) but found ", f.size()));
    }
    Interval iv;
    parse_interval_position(f, where, iv);
    if (f.size() >= 4) iv.name = interval_name(f[3]);
    if (f.size() >= 5 && f[4] != ".") {
        if (!parse_interval_number(f[4], iv.score) || !std::isfinite(iv.score)) {
            throw io_error(attrprior::detail::concat(where, ": score '", f[4],
                                                     "' (column 5) is not a finite number"));
        }
    }
    if (f.size() >= 6) check_interval_strand(f[5], where, 6);
    iv.summit = iv.start + (iv.end - iv.start) / 2;
    return iv;
}

inline Interval parse_narrowpeak_line(const std::vector<std::string_view>& f,
                                      const std::string& where) {
    if (f.size() != 10) {
        throw io_error(attrprior::detail::concat(
            where, ": expected 10 narrowPeak columns (chrom start end name score strand "
                   "signalValue pValue qValue peak) but found ",
            f.size()));
    }
    Interval iv;
    parse_interval_position(f, where, iv);
    iv.name = interval_name(f[3]);
    if (!parse_interval_number(f[4], iv.score) || !std::isfinite(iv.score)) {
        throw io_error(attrprior::detail::concat(where, ": score '", f[4],
                                                 "' (column 5) is not a finite number"));
    }
    check_interval_strand(f[5], where, 6);
    static const char* const names[3] = {"signalValue", "pValue", "qValue"};
    for (int c = 0; c < 3; ++c) {
        double ignored = 0.0;
        if (!parse_interval_number(f[6 + c], ignored)) {
            throw io_error(attrprior::detail::concat(where, ": ", names[c], " '", f[6 + c],
                                                     "' (column ", 7 + c,
                                                     ") is not a number"));
        }
    }
    Index offset = 0;
    if (!parse_interval_integer(f[9], offset)) {
        throw io_error(attrprior::detail::concat(where, ": summit offset '", f[9],
                                                 "' (column 10) is not an integer"));
    }
    const Index width = iv.end - iv.start;
    if (offset == -1) {
        iv.summit = iv.start + width / 2;
    } else if (offset < 0 || offset >= width) {
        throw io_error(attrprior::detail::concat(
            where, ": summit offset ", offset, " (column 10) is outside [0, ", width,
            ") for the interval ", iv.start, "-", iv.end, " (use -1 for no summit)"));
    } else {
        iv.summit = iv.start + offset;
    }
    return iv;
}

template <class ParseLine>
std::vector<Interval> read_interval_file(const std::string& path, ReadReport* report,
                                         const char* who, ParseLine parse) {
    TextLineReader reader(path, who);
    std::vector<Interval> out;
    std::vector<std::string_view> fields;
    std::string_view line;
    while (reader.next(line)) {
        if (interval_line_is_header(line)) continue;
        split_interval_line(line, fields);
        const std::string where = attrprior::detail::concat(path, ":", reader.line_number());
        out.push_back(parse(fields, where));
    }
    if (out.empty()) {
        throw io_error(attrprior::detail::concat(
            who, ": '", path, "' has no records (", reader.line_number(),
            " lines, all blank, comments or track/browser headers)"));
    }
    if (report != nullptr) report->records += static_cast<Index>(out.size());
    return out;
}

/// Writes text lines through BGZF: bgzip-compressed if path ends in ".gz" or ".bgz".
class TextWriter {
public:
    TextWriter(const std::string& path, const char* who) : path_(path), who_(who) {
        const auto ends_with = [&](const char* suffix) {
            const std::size_t n = std::strlen(suffix);
            return path.size() >= n && path.compare(path.size() - n, n, suffix) == 0;
        };
        const bool compress = ends_with(".gz") || ends_with(".bgz");
        errno = 0;
        fp_ = bgzf_open(path.c_str(), compress ? "w" : "wu");
        if (fp_ == nullptr) {
            const int err = errno;
            throw io_error(attrprior::detail::concat(
                who, ": cannot create '", path, "': ",
                err != 0 ? std::strerror(err) : "cannot open for writing"));
        }
    }
    TextWriter(const TextWriter&) = delete;
    TextWriter& operator=(const TextWriter&) = delete;
    ~TextWriter() {
        if (fp_ != nullptr) bgzf_close(fp_);
    }

    void write(const std::string& text) {
        if (text.empty()) return;
        if (bgzf_write(fp_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
            throw io_error(attrprior::detail::concat(who_, ": write error on '", path_, "'"));
        }
    }

    void close() {
        BGZF* fp = fp_;
        fp_ = nullptr;
        if (bgzf_close(fp) != 0) {
            throw io_error(attrprior::detail::concat(who_, ": error closing '", path_,
                                                     "' (disk full?)"));
        }
    }

private:
    std::string path_;
    const char* who_;
    BGZF* fp_ = nullptr;
};

/// Throws invalid_argument unless intervals[i] can be written and read back.
inline void check_writable_interval(const Interval& iv, std::size_t i, const char* who,
                                    bool check_summit) {
    const auto bad = [&](const auto&... why) {
        throw invalid_argument(attrprior::detail::concat(who, ": intervals[", i, "] (",
                                                         iv.chrom, ":", iv.start, "-",
                                                         iv.end, ") ", why...));
    };
    if (iv.chrom.empty()) bad("has an empty chromosome name");
    if (iv.chrom.find_first_of(" \t\r\n") != std::string::npos) {
        bad("has whitespace in its chromosome name");
    }
    if (iv.chrom.front() == '#') bad("has a chromosome name starting with '#'");
    if (iv.start < 0) bad("has a negative start");
    if (iv.end <= iv.start) bad("has end <= start");
    if (iv.name.find_first_of("\t\r\n") != std::string::npos) {
        bad("has a tab or newline in its name");
    }
    if (!std::isfinite(iv.score)) bad("has a non-finite score ", iv.score);
    if (check_summit && (iv.summit < iv.start || iv.summit >= iv.end)) {
        bad("has summit ", iv.summit, " outside [start, end)");
    }
}

template <class FormatLine>
void write_interval_file(const std::string& path, const std::vector<Interval>& intervals,
                         const char* who, bool check_summit, FormatLine format) {
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        check_writable_interval(intervals[i], i, who, check_summit);
    }
    TextWriter writer(path, who);
    std::string chunk;
    for (const Interval& iv : intervals) {
        format(iv, chunk);
        if (chunk.size() >= (1u << 16)) {
            writer.write(chunk);
            chunk.clear();
        }
    }
    writer.write(chunk);
    writer.close();
}

inline void append_interval_prefix(const Interval& iv, std::string& line) {
    line += iv.chrom;
    line += '\t';
    line += std::to_string(iv.start);
    line += '\t';
    line += std::to_string(iv.end);
    line += '\t';
    line += iv.name.empty() ? std::string(".") : iv.name;
    line += '\t';
    line += format_interval_number(iv.score);
    line += "\t.";
}

}  // namespace detail

/// Reads a BED3+ file (plain, gzip or bgzip). Summit = centre of each interval.
/// Throws io_error "<file>:<line>: <problem>" on the first malformed line, and
/// io_error if the file cannot be opened or has no records. If `report` is given, the
/// number of records read is added to report->records.
inline std::vector<Interval> read_bed(const std::string& path, ReadReport* report = nullptr) {
    return detail::read_interval_file(path, report, "read_bed", detail::parse_bed_line);
}

/// Reads an ENCODE narrowPeak file (plain, gzip or bgzip). Summit = start + column 10,
/// or the centre when column 10 is -1. Errors as read_bed.
inline std::vector<Interval> read_narrowpeak(const std::string& path,
                                             ReadReport* report = nullptr) {
    return detail::read_interval_file(path, report, "read_narrowpeak",
                                      detail::parse_narrowpeak_line);
}

/// Writes BED6 lines "chrom start end name score ." (empty name → ".", strand always
/// "."). bgzip-compressed if path ends in ".gz" or ".bgz". The summit is not stored
/// (read_bed gives back the centre). Throws invalid_argument naming the index of an
/// interval that could not be read back (empty/whitespace chrom, start < 0, end <= start,
/// tab or newline in the name, non-finite score) before creating the file; io_error if
/// writing fails.
inline void write_bed(const std::string& path, const std::vector<Interval>& intervals) {
    detail::write_interval_file(path, intervals, "write_bed", false,
                                [](const Interval& iv, std::string& out) {
                                    detail::append_interval_prefix(iv, out);
                                    out += '\n';
                                });
}

/// Writes narrowPeak lines "chrom start end name score . -1 -1 -1 summit-start"
/// (signalValue, pValue and qValue are not kept by Interval and are written as -1).
/// Compression and errors as write_bed; additionally every summit must lie in
/// [start, end).
inline void write_narrowpeak(const std::string& path, const std::vector<Interval>& intervals) {
    detail::write_interval_file(path, intervals, "write_narrowpeak", true,
                                [](const Interval& iv, std::string& out) {
                                    detail::append_interval_prefix(iv, out);
                                    out += "\t-1\t-1\t-1\t";
                                    out += std::to_string(iv.summit - iv.start);
                                    out += '\n';
                                });
}

/// The sites of `sites` that lie on a chromosome of `genome` ((name, length) pairs, e.g.
/// chromosome_sizes(fasta)) and end within it, in input order. Each other site is counted in
/// `report` (if given) as skipped, with its reason: "<what>: site i (chrom:start-end):
/// chromosome 'chrom' is not in the genome" or "... ends past the chromosome end L". Throws
/// io_error naming `what` when sites is non-empty but none is kept (e.g. "chr1" vs "1"
/// naming). Use it before site_masks, which cannot tell a site on a chromosome missing from
/// the genome from one on a chromosome without windows. docs/reliability.md, "Motif sites".
inline std::vector<Interval> sites_on_genome(const std::vector<Interval>& sites,
                                             const std::vector<std::pair<std::string, Index>>& genome,
                                             ReadReport* report = nullptr,
                                             const std::string& what = "motif sites") {
    std::map<std::string, Index> lengths(genome.begin(), genome.end());
    std::vector<Interval> kept;
    Index unknown = 0, past_end = 0;
    std::string first_unknown;
    for (std::size_t i = 0; i < sites.size(); ++i) {
        const Interval& s = sites[i];
        const auto it = lengths.find(s.chrom);
        const std::string where =
            attrprior::detail::concat(what, ": site ", i, " (", s.chrom, ":", s.start, "-", s.end, "): ");
        if (it == lengths.end()) {
            ++unknown;
            if (first_unknown.empty()) first_unknown = s.chrom;
            if (report != nullptr) report->skip(where + "chromosome '" + s.chrom + "' is not in the genome");
            continue;
        }
        if (s.end > it->second) {
            ++past_end;
            if (report != nullptr) {
                report->skip(attrprior::detail::concat(where, "ends past the chromosome end ", it->second));
            }
            continue;
        }
        kept.push_back(s);
    }
    if (!sites.empty() && kept.empty()) {
        throw io_error(attrprior::detail::concat(
            what, ": none of the ", sites.size(), " sites lies on the genome (", unknown,
            " on chromosomes it does not have, e.g. '", first_unknown, "'; ", past_end,
            " past a chromosome end); do the sites and the FASTA use the same chromosome names?"));
    }
    return kept;
}

/// Per-window site masks: for each window (chromosome, start) of length L, L flags that
/// are 1 where some site of `sites` covers the position (the input of the motif metrics,
/// docs/math.md §5.2). Sites on chromosomes without windows are ignored; overlapping sites
/// are fine. Filter the sites with sites_on_genome first to count (and report) those on
/// chromosomes missing from the genome. Throws invalid_argument for L < 1 or a site with end < start.
inline std::vector<std::vector<char>> site_masks(const std::vector<std::pair<std::string, Index>>& windows, Index L,
                                                 const std::vector<Interval>& sites) {
    require(L >= 1, "site_masks", "L", L, "must be >= 1");
    std::map<std::string, std::vector<std::pair<Index, Index>>> by_chrom;
    for (const Interval& s : sites) {
        require(s.end >= s.start, "site_masks", "site end", s.end, "must be >= its start ", s.start, " (", s.chrom,
                ")");
        by_chrom[s.chrom].push_back({s.start, s.end});
    }
    for (auto& kv : by_chrom) std::sort(kv.second.begin(), kv.second.end());
    std::vector<std::vector<char>> masks(windows.size(), std::vector<char>(static_cast<std::size_t>(L), 0));
    for (std::size_t e = 0; e < windows.size(); ++e) {
        const auto it = by_chrom.find(windows[e].first);
        if (it == by_chrom.end()) continue;
        const Index a = windows[e].second, b = a + L;
        for (const auto& [s, t] : it->second) {
            if (s >= b) break;
            if (t <= a) continue;
            for (Index i = std::max(s, a); i < std::min(t, b); ++i) masks[e][static_cast<std::size_t>(i - a)] = 1;
        }
    }
    return masks;
}

}  // namespace attrprior::genomics
