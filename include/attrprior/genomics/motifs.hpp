// Position weight matrices: reading JASPAR and MEME motif files, and a few built-in
// motifs for the simulator.
//
// A Motif stores one probability row per motif position, in the channel order of
// docs/math.md §2 (A, C, G, T); every row sums to 1.
//
// Formats read:
//  - JASPAR "pfm" count matrices (read_jaspar): a header line ">ID NAME" followed by
//    four rows of counts for A, C, G and T, one value per motif position. A row is either
//    plain numbers ("12 3 0 7") or the bracketed style of JASPAR 2018 and later
//    ("A  [ 12 3 0 7 ]"). Several motifs may follow each other in one file. Blank lines
//    and lines starting with '#' are skipped.
//  - MEME minimal motif format (read_meme): a "MEME version" line, optionally
//    "ALPHABET= ACGT", "strands:" and a "Background letter frequencies" line followed by
//    the frequencies ("A 0.3 C 0.2 G 0.2 T 0.3"); then, per motif, "MOTIF id [name]"
//    followed by "letter-probability matrix: alength= 4 w= W ..." and W rows of four
//    probabilities. "URL" lines, "log-odds matrix:" blocks and other text between
//    motifs are ignored.
//
// Every malformed input throws io_error whose message starts with "<file>:<line>: " and
// names the problem.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::genomics {

/// A position weight matrix: probabilities[i][c] is the probability of base c (0 = A,
/// 1 = C, 2 = G, 3 = T) at motif position i. Each row sums to 1.
struct Motif {
    std::string id;    ///< matrix identifier, e.g. "MA0139.1"
    std::string name;  ///< factor name, e.g. "CTCF" (the id when the file gives none)
    std::vector<std::array<double, 4>> probabilities;

    /// Number of positions.
    Index length() const { return static_cast<Index>(probabilities.size()); }
};

namespace detail {

[[noreturn]] inline void motif_file_error(const std::string& path, long line,
                                          const std::string& problem) {
    throw io_error(attrprior::detail::concat(path, ":", line, ": ", problem));
}

inline bool motif_is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

inline std::string motif_trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && motif_is_space(s[b])) ++b;
    while (e > b && motif_is_space(s[e - 1])) --e;
    return s.substr(b, e - b);
}

inline std::vector<std::string> motif_split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && motif_is_space(s[i])) ++i;
        std::size_t j = i;
        while (j < s.size() && !motif_is_space(s[j])) ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

inline bool motif_starts_with(const std::string& s, const char* prefix) {
    const std::size_t n = std::strlen(prefix);
    return s.size() >= n && s.compare(0, n, prefix) == 0;
}

/// Parses a whole token as a finite double; false if it is not one.
inline bool motif_parse_number(const std::string& token, double& value) {
    if (token.empty()) return false;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size() || errno == ERANGE || !std::isfinite(v)) {
        return false;
    }
    value = v;
    return true;
}

/// Opens a motif file, or throws io_error naming it.
inline std::ifstream motif_open(const std::string& path, const char* reader) {
    errno = 0;
    std::ifstream in(path);
    if (!in) {
        throw io_error(attrprior::detail::concat(reader, ": cannot open '", path, "': ",
                                                 errno != 0 ? std::strerror(errno)
                                                            : "unreadable file"));
    }
    return in;
}

/// Reads one line without its line terminator ("\n" or "\r\n").
inline bool motif_getline(std::istream& in, std::string& line) {
    if (!std::getline(in, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

inline constexpr char kMotifBases[4] = {'A', 'C', 'G', 'T'};

/// 0..3 for A, C, G, T (either case), -1 for anything else.
inline int motif_base_index(char c) {
    switch (std::toupper(static_cast<unsigned char>(c))) {
        case 'A': return 0;
        case 'C': return 1;
        case 'G': return 2;
        case 'T': return 3;
        default: return -1;
    }
}

/// Parses one JASPAR count row ("1 2 3" or "A [ 1 2 3 ]") that must hold the counts of
/// base `expected` (index into A, C, G, T).
inline std::vector<double> jaspar_parse_row(const std::string& text, int expected,
                                            const std::string& path, long line) {
    std::string body = text;
    // Optional base label: a single letter followed by whitespace, '[' or ':'.
    if (!body.empty() && std::isalpha(static_cast<unsigned char>(body[0])) &&
        (body.size() == 1 || motif_is_space(body[1]) || body[1] == '[' || body[1] == ':')) {
        const char label = static_cast<char>(std::toupper(static_cast<unsigned char>(body[0])));
        if (std::strchr("ACGT", label) == nullptr) {
            motif_file_error(path, line,
                             attrprior::detail::concat("unknown row label '", body[0],
                                                       "' (rows must be A, C, G, T)"));
        }
        if (label != kMotifBases[expected]) {
            motif_file_error(path, line,
                             attrprior::detail::concat(
                                 "row labelled '", label, "' where the ",
                                 kMotifBases[expected],
                                 " row was expected (rows must be in the order A, C, G, T)"));
        }
        body = motif_trim(body.substr(body[1] == ':' ? 2 : 1));
    }
    const std::size_t open = body.find('[');
    const std::size_t close = body.find(']');
    if (open != std::string::npos || close != std::string::npos) {
        if (open != 0) {
            motif_file_error(path, line, "unexpected text before '[' in count row");
        }
        if (close == std::string::npos) {
            motif_file_error(path, line, "missing ']' at the end of the count row");
        }
        if (!motif_trim(body.substr(close + 1)).empty()) {
            motif_file_error(path, line, "unexpected text after ']' in count row");
        }
        body = body.substr(1, close - 1);
        if (body.find('[') != std::string::npos) {
            motif_file_error(path, line, "more than one '[' in count row");
        }
    }
    const std::vector<std::string> tokens = motif_split(body);
    if (tokens.empty()) {
        motif_file_error(path, line,
                         attrprior::detail::concat("empty count row for ",
                                                   kMotifBases[expected]));
    }
    std::vector<double> values(tokens.size());
    for (std::size_t j = 0; j < tokens.size(); ++j) {
        if (!motif_parse_number(tokens[j], values[j])) {
            motif_file_error(path, line,
                             attrprior::detail::concat("non-numeric count '", tokens[j],
                                                       "' in column ", j + 1));
        }
        if (values[j] < 0) {
            motif_file_error(path, line,
                             attrprior::detail::concat("negative count ", tokens[j],
                                                       " in column ", j + 1));
        }
    }
    return values;
}

}  // namespace detail

/// Reads every count matrix of a JASPAR "pfm" file (see the top of this file for the
/// format). Counts become probabilities column by column:
///   p[i][c] = (count[c][i] + pseudocount) / (sum_c' count[c'][i] + 4 * pseudocount).
/// The default pseudocount 0 keeps zero counts at probability 0; a pseudocount such as
/// 0.25 or 1 keeps every base possible. The header's first word is the id, the rest of
/// the line (trimmed) the name, or the id when there is no rest.
/// Throws invalid_argument for a negative or non-finite pseudocount, io_error naming
/// "<file>:<line>" for an unreadable file or malformed content (count row before any
/// header, header without an id, fewer or more than four rows, rows labelled out of
/// order, rows of different lengths, non-numeric or negative counts, a column whose
/// total is zero, no motif in the file).
inline std::vector<Motif> read_jaspar(const std::string& path, double pseudocount = 0.0) {
    require(std::isfinite(pseudocount) && pseudocount >= 0, "read_jaspar", "pseudocount",
            pseudocount, "must be finite and >= 0");
    std::ifstream in = detail::motif_open(path, "read_jaspar");

    std::vector<Motif> motifs;
    struct Pending {
        bool active = false;
        long header_line = 0;
        std::string id, name;
        std::vector<std::vector<double>> rows;
    } pending;

    auto finish = [&]() {
        if (!pending.active) return;
        if (pending.rows.size() != 4) {
            detail::motif_file_error(
                path, pending.header_line,
                attrprior::detail::concat("motif '", pending.id, "' has ", pending.rows.size(),
                                          " count rows, expected 4 (A, C, G, T)"));
        }
        Motif m;
        m.id = pending.id;
        m.name = pending.name;
        const std::size_t width = pending.rows[0].size();
        m.probabilities.resize(width);
        for (std::size_t i = 0; i < width; ++i) {
            double total = 4 * pseudocount;
            for (int c = 0; c < 4; ++c) total += pending.rows[c][i];
            if (!(total > 0)) {
                detail::motif_file_error(
                    path, pending.header_line,
                    attrprior::detail::concat("column ", i + 1, " of motif '", pending.id,
                                              "' has a total count of zero"));
            }
            for (int c = 0; c < 4; ++c) {
                m.probabilities[i][c] = (pending.rows[c][i] + pseudocount) / total;
            }
        }
        motifs.push_back(std::move(m));
        pending = Pending{};
    };

    std::string raw;
    long line = 0;
    while (detail::motif_getline(in, raw)) {
        ++line;
        const std::string text = detail::motif_trim(raw);
        if (text.empty() || text[0] == '#') continue;
        if (text[0] == '>') {
            finish();
            const std::string header = detail::motif_trim(text.substr(1));
            std::size_t cut = 0;
            while (cut < header.size() && !detail::motif_is_space(header[cut])) ++cut;
            if (cut == 0) {
                detail::motif_file_error(path, line, "header line without a matrix ID");
            }
            pending.active = true;
            pending.header_line = line;
            pending.id = header.substr(0, cut);
            pending.name = detail::motif_trim(header.substr(cut));
            if (pending.name.empty()) pending.name = pending.id;
            continue;
        }
        if (!pending.active) {
            detail::motif_file_error(path, line,
                                     "count row before any '>ID NAME' header line");
        }
        if (pending.rows.size() == 4) {
            detail::motif_file_error(
                path, line,
                attrprior::detail::concat("motif '", pending.id,
                                          "' has more than 4 count rows (expected A, C, G, "
                                          "T, then a '>' header or the end of the file)"));
        }
        const int expected = static_cast<int>(pending.rows.size());
        std::vector<double> row = detail::jaspar_parse_row(text, expected, path, line);
        if (expected > 0 && row.size() != pending.rows[0].size()) {
            detail::motif_file_error(
                path, line,
                attrprior::detail::concat("the ", detail::kMotifBases[expected], " row has ",
                                          row.size(), " values but the A row has ",
                                          pending.rows[0].size(),
                                          " (rows of different lengths)"));
        }
        pending.rows.push_back(std::move(row));
    }
    if (in.bad()) detail::motif_file_error(path, line, "read error");
    finish();
    if (motifs.empty()) {
        detail::motif_file_error(path, std::max(line, 1L),
                                 "no motif found (expected '>ID NAME' then A, C, G, T rows)");
    }
    return motifs;
}

/// Reads every motif of a MEME minimal-format file (see the top of this file). The
/// MOTIF line's first word is the id, the rest (trimmed) the name, or the id when there
/// is no rest. Probability rows must be non-negative and sum to 1 within 0.01; they are
/// renormalised to sum exactly to 1. `w=` is optional (the rows up to the next
/// non-numeric line are then the matrix), `alength=` is optional and must be 4.
/// The background frequencies, when present, are checked but not returned.
/// Throws io_error naming "<file>:<line>" for an unreadable file or malformed content
/// (no "MEME version" line, an alphabet other than ACGT, alength != 4, w not a positive
/// integer or not matching the rows, a row without exactly 4 values, non-numeric or
/// negative values, a row not summing to 1, a malformed background line, a MOTIF line
/// without an id or without a matrix, a matrix outside a motif, no motif in the file).
inline std::vector<Motif> read_meme(const std::string& path) {
    std::ifstream in = detail::motif_open(path, "read_meme");
    using attrprior::detail::concat;

    std::vector<Motif> motifs;
    bool seen_version = false;
    bool expect_background = false;
    long background_line = 0;
    bool in_logodds = false;

    // The motif being read.
    bool have_motif = false;
    bool motif_has_matrix = false;
    long motif_line = 0;
    Motif current;
    // The letter-probability matrix being read.
    bool in_matrix = false;
    long matrix_line = 0;
    long expected_rows = -1;  // -1: w= not given
    // Set when a matrix was closed by reaching its w= rows, until the next text line: a
    // numeric row then means the matrix has more rows than declared.
    bool full_matrix_just_closed = false;

    auto close_matrix = [&](long at_line) {
        if (expected_rows >= 0 && current.length() != expected_rows) {
            detail::motif_file_error(
                path, at_line,
                concat("letter-probability matrix of motif '", current.id, "' (line ",
                       matrix_line, ") declares w= ", expected_rows, " but has ",
                       current.length(), " rows"));
        }
        if (current.length() == 0) {
            detail::motif_file_error(path, matrix_line,
                                     concat("letter-probability matrix of motif '",
                                            current.id, "' has no rows"));
        }
        in_matrix = false;
        motif_has_matrix = true;
    };
    auto close_motif = [&]() {
        if (!have_motif) return;
        if (!motif_has_matrix) {
            detail::motif_file_error(path, motif_line,
                                     concat("MOTIF '", current.id,
                                            "' has no letter-probability matrix"));
        }
        motifs.push_back(std::move(current));
        current = Motif{};
        have_motif = false;
        motif_has_matrix = false;
    };
    auto is_numeric_line = [](const std::string& s) {
        return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.' ||
                              s[0] == '-' || s[0] == '+');
    };
    // Value of "key= value" or "key=value" in a tokenised line; "" when absent.
    auto key_value = [](const std::vector<std::string>& tokens, const std::string& key,
                        bool& present) {
        present = false;
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            if (detail::motif_starts_with(tokens[t], (key + "=").c_str())) {
                present = true;
                std::string v = tokens[t].substr(key.size() + 1);
                if (v.empty() && t + 1 < tokens.size()) v = tokens[t + 1];
                return v;
            }
        }
        return std::string();
    };
    auto parse_count = [&](const std::string& key, const std::string& value, long at_line) {
        char* end = nullptr;
        errno = 0;
        const long v = value.empty() ? 0 : std::strtol(value.c_str(), &end, 10);
        if (value.empty() || end != value.c_str() + value.size() || errno == ERANGE) {
            detail::motif_file_error(path, at_line,
                                     concat(key, "= '", value, "' is not an integer"));
        }
        return v;
    };

    std::string raw;
    long line = 0;
    while (detail::motif_getline(in, raw)) {
        ++line;
        const std::string text = detail::motif_trim(raw);
        if (!seen_version) {
            if (text.empty() || text[0] == '#') continue;
            if (!detail::motif_starts_with(text, "MEME version")) {
                detail::motif_file_error(
                    path, line, "missing 'MEME version' line before the first content");
            }
            seen_version = true;
            continue;
        }
        if (in_matrix) {
            if (text.empty()) {
                if (expected_rows < 0 && current.length() > 0) close_matrix(line);
                continue;
            }
            if (is_numeric_line(text)) {
                const std::vector<std::string> tokens = detail::motif_split(text);
                if (tokens.size() != 4) {
                    detail::motif_file_error(path, line,
                                             concat("matrix row has ", tokens.size(),
                                                    " values, expected 4 (A, C, G, T)"));
                }
                std::array<double, 4> row{};
                double sum = 0;
                for (int c = 0; c < 4; ++c) {
                    if (!detail::motif_parse_number(tokens[c], row[c])) {
                        detail::motif_file_error(path, line,
                                                 concat("non-numeric probability '",
                                                        tokens[c], "'"));
                    }
                    if (row[c] < 0) {
                        detail::motif_file_error(path, line,
                                                 concat("negative probability ", tokens[c]));
                    }
                    sum += row[c];
                }
                if (!(sum > 0)) {
                    detail::motif_file_error(path, line, "matrix row sums to zero");
                }
                if (std::abs(sum - 1.0) > 0.01) {
                    detail::motif_file_error(
                        path, line,
                        concat("matrix row sums to ", sum, ", expected 1 (within 0.01)"));
                }
                for (double& p : row) p /= sum;
                current.probabilities.push_back(row);
                if (expected_rows >= 0 && current.length() == expected_rows) {
                    close_matrix(line);
                    full_matrix_just_closed = true;
                }
                continue;
            }
            // A non-numeric line ends a matrix without w=; with w= it comes too early.
            close_matrix(line);
        }
        if (text.empty() || text[0] == '#') continue;
        if (full_matrix_just_closed) {
            full_matrix_just_closed = false;
            if (is_numeric_line(text)) {
                detail::motif_file_error(
                    path, line,
                    concat("letter-probability matrix of motif '", current.id,
                           "' declares w= ", expected_rows, " but has more rows"));
            }
        }
        if (in_logodds) {
            if (is_numeric_line(text)) continue;
            in_logodds = false;
        }
        if (expect_background) {
            expect_background = false;
            const std::vector<std::string> tokens = detail::motif_split(text);
            std::array<bool, 4> seen{};
            if (tokens.size() != 8) {
                detail::motif_file_error(
                    path, line,
                    concat("background frequencies (announced on line ", background_line,
                           ") must be 'A p C p G p T p', found '", text, "'"));
            }
            double sum = 0;
            for (std::size_t t = 0; t < 8; t += 2) {
                const int base = tokens[t].size() == 1 ? detail::motif_base_index(tokens[t][0])
                                                       : -1;
                double value = 0;
                if (base < 0 || seen[base] ||
                    !detail::motif_parse_number(tokens[t + 1], value) || value < 0) {
                    detail::motif_file_error(
                        path, line,
                        concat("malformed background frequency '", tokens[t], " ",
                               tokens[t + 1], "' (expected each of A, C, G, T once with a "
                               "non-negative number)"));
                }
                seen[base] = true;
                sum += value;
            }
            if (std::abs(sum - 1.0) > 0.01) {
                detail::motif_file_error(
                    path, line, concat("background frequencies sum to ", sum, ", expected 1"));
            }
            continue;
        }
        if (detail::motif_starts_with(text, "ALPHABET")) {
            const std::size_t eq = text.find('=');
            if (eq == std::string::npos) {
                detail::motif_file_error(
                    path, line,
                    "custom alphabet definitions are not supported (use 'ALPHABET= ACGT')");
            }
            std::string alphabet = detail::motif_trim(text.substr(eq + 1));
            for (char& ch : alphabet) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            if (alphabet != "ACGT") {
                detail::motif_file_error(path, line,
                                         concat("unsupported alphabet '", alphabet,
                                                "' (only ACGT DNA motifs are read)"));
            }
            continue;
        }
        if (detail::motif_starts_with(text, "Background letter frequencies")) {
            expect_background = true;
            background_line = line;
            continue;
        }
        if (detail::motif_starts_with(text, "MOTIF")) {
            close_motif();
            if (text.size() > 5 && !detail::motif_is_space(text[5])) {
                detail::motif_file_error(path, line, "malformed MOTIF line");
            }
            const std::string rest = detail::motif_trim(text.substr(5));
            std::size_t cut = 0;
            while (cut < rest.size() && !detail::motif_is_space(rest[cut])) ++cut;
            if (cut == 0) detail::motif_file_error(path, line, "MOTIF line without an id");
            have_motif = true;
            motif_line = line;
            current.id = rest.substr(0, cut);
            current.name = detail::motif_trim(rest.substr(cut));
            if (current.name.empty()) current.name = current.id;
            continue;
        }
        if (detail::motif_starts_with(text, "letter-probability matrix")) {
            if (!have_motif) {
                detail::motif_file_error(path, line,
                                         "letter-probability matrix before any MOTIF line");
            }
            if (motif_has_matrix) {
                detail::motif_file_error(path, line,
                                         concat("second letter-probability matrix for motif '",
                                                current.id, "'"));
            }
            const std::size_t colon = text.find(':');
            const std::vector<std::string> tokens =
                detail::motif_split(colon == std::string::npos ? std::string()
                                                                : text.substr(colon + 1));
            bool present = false;
            const std::string alength = key_value(tokens, "alength", present);
            if (present && parse_count("alength", alength, line) != 4) {
                detail::motif_file_error(path, line,
                                         concat("alength= ", alength,
                                                " is not supported (DNA motifs need 4)"));
            }
            const std::string w = key_value(tokens, "w", present);
            expected_rows = -1;
            if (present) {
                expected_rows = parse_count("w", w, line);
                if (expected_rows <= 0) {
                    detail::motif_file_error(path, line,
                                             concat("w= ", w, " must be a positive integer"));
                }
            }
            in_matrix = true;
            matrix_line = line;
            continue;
        }
        if (detail::motif_starts_with(text, "log-odds matrix")) {
            in_logodds = true;
            continue;
        }
        if (is_numeric_line(text)) {
            detail::motif_file_error(path, line,
                                     "matrix row outside a letter-probability matrix");
        }
        // Anything else (strands:, URL, free text) carries nothing we need.
    }
    if (in.bad()) detail::motif_file_error(path, line, "read error");
    const long last = std::max(line, 1L);
    if (!seen_version) {
        detail::motif_file_error(path, last, "missing 'MEME version' line (empty file?)");
    }
    if (expect_background) {
        detail::motif_file_error(path, last,
                                 "file ends before the background letter frequencies");
    }
    if (in_matrix) close_matrix(last);
    close_motif();
    if (motifs.empty()) detail::motif_file_error(path, last, "no MOTIF found");
    return motifs;
}

namespace detail {

/// Builds a motif from JASPAR counts given as rows A, C, G, T (no pseudocount).
inline Motif motif_from_counts(const char* id, const char* name,
                               const std::vector<std::array<double, 4>>& columns) {
    Motif m;
    m.id = id;
    m.name = name;
    for (const auto& col : columns) {
        const double total = col[0] + col[1] + col[2] + col[3];
        m.probabilities.push_back({col[0] / total, col[1] / total, col[2] / total,
                                   col[3] / total});
    }
    return m;
}

}  // namespace detail

/// The built-in motifs, in this order: SPI1, GATA1, CTCF. Their probabilities are
/// published JASPAR CORE count matrices normalised per column (no pseudocount, so a
/// base with count 0 has probability 0):
///  - SPI1  = JASPAR MA0080.5 (JASPAR 2020; 20 positions, consensus
///            AAAAAAGAGGAAGTGAAAAA around the "GGAA" ETS core);
///  - GATA1 = JASPAR MA0035.3 (JASPAR 2016; 11 positions, consensus TTCTTATCTGT, i.e. the
///            WGATAR site AGATAA on the reverse strand);
///  - CTCF  = JASPAR MA0139.1 (19 positions, consensus TGGCCACCAGGGGGCGCTA).
/// The counts below are those matrices column by column (A, C, G, T per position).
/// MA0035.3 and MA0139.1 are identical to the copies in Debian's pscan-chip-data
/// (jaspar_2016.wil). MA0035.3 was preferred to the newer MA0035.4 because the latter's
/// fifth column favours A over T, which breaks the GATA core in its consensus.
inline const std::vector<Motif>& builtin_motifs() {
    static const std::vector<Motif> motifs = [] {
        std::vector<Motif> out;
        out.push_back(detail::motif_from_counts(
            "MA0080.5", "SPI1",
            {{42201, 22587, 38405, 30010},  {48240, 21262, 34277, 29424},
             {54154, 20183, 37341, 21525},  {78831, 11424, 25893, 17055},
             {81904, 12269, 25580, 13450},  {99739, 2914, 13479, 17071},
             {15301, 10958, 100825, 6119},  {113087, 3425, 12544, 4147},
             {5230, 568, 125703, 1702},     {3323, 954, 127639, 1287},
             {129177, 1339, 1407, 1280},    {127888, 792, 1308, 3215},
             {11279, 9931, 109802, 2191},   {13931, 3717, 7231, 108324},
             {11028, 12697, 103485, 5993},  {90925, 11316, 20647, 10315},
             {60831, 20113, 30577, 21682},  {59460, 16927, 29188, 27628},
             {39411, 26246, 34829, 32717},  {42838, 24884, 28335, 37146}}));
        out.push_back(detail::motif_from_counts(
            "MA0035.3", "GATA1",
            {{2035, 4321, 2530, 9069},  {506, 6406, 2792, 8251},   {0, 14869, 437, 2649},
             {0, 697, 0, 17258},        {0, 0, 0, 17955},          {17955, 0, 0, 0},
             {0, 0, 0, 17955},          {0, 17955, 0, 0},          {2166, 0, 0, 15789},
             {2502, 6166, 6687, 2600},  {1886, 5072, 1598, 9399}}));
        out.push_back(detail::motif_from_counts(
            "MA0139.1", "CTCF",
            {{87, 291, 76, 459},  {167, 145, 414, 187}, {281, 49, 449, 134},
             {56, 800, 21, 36},   {8, 903, 0, 2},       {744, 13, 65, 91},
             {40, 528, 334, 11},  {107, 433, 48, 324},  {851, 11, 32, 18},
             {5, 0, 903, 3},      {333, 3, 566, 9},     {54, 12, 504, 341},
             {12, 0, 890, 8},     {56, 8, 775, 71},     {104, 733, 5, 67},
             {372, 13, 507, 17},  {82, 482, 307, 37},   {117, 322, 73, 396},
             {402, 181, 266, 59}}));
        return out;
    }();
    return motifs;
}

/// The built-in motif whose name or id matches `name` (case-insensitive), e.g. "SPI1",
/// "ctcf" or "MA0139.1". Throws invalid_argument listing the available motifs otherwise.
inline const Motif& builtin_motif(const std::string& name) {
    auto lower = [](std::string s) {
        for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return s;
    };
    const std::string key = lower(name);
    const std::vector<Motif>& all = builtin_motifs();
    for (const Motif& m : all) {
        if (lower(m.name) == key || lower(m.id) == key) return m;
    }
    std::string available;
    for (const Motif& m : all) {
        if (!available.empty()) available += ", ";
        available += m.name + " (" + m.id + ")";
    }
    throw invalid_argument(attrprior::detail::concat("builtin_motif: unknown motif '", name,
                                                     "'; available: ", available));
}

}  // namespace attrprior::genomics
