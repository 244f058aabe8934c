// Random access to the sequences of a FASTA file through htslib's faidx.
//
// A Fasta opens a plain or bgzip-compressed FASTA file. Random access needs the faidx
// index (<file>.fai) and, for a bgzipped file, the BGZF block index (<file>.gzi). When
// an index is missing, older than the FASTA file, or does not match it (its first or last
// record is not where the file has it, or the .fai is cut short), both are (re)built next
// to the FASTA file on construction, which needs write access to its directory; the whole
// file is then scanned first (scan_fasta: duplicate names, empty records, stray bytes are
// errors). A FASTA compressed with plain gzip cannot be indexed: recompress it with
// `bgzip`; a bgzip file without its end-of-file block is truncated (an error).
// docs/reliability.md, "Indexes", "Compressed files" and "FASTA records".
//
// Coordinates are 0-based and half-open: fetch("chr1", 0, 10) returns the first ten
// bases of chr1. fetch returns the bases as stored (case is kept; soft-masked repeats
// stay lower case).
//
// Thread safety: an htslib faidx handle is not thread-safe (it holds one file position
// and a read buffer). Fasta serialises fetch() with an internal mutex, so one Fasta may be
// shared by several threads; the calls then run one at a time. For parallel reads open
// one Fasta per thread. chromosomes(), length() and has() read immutable data and never
// lock.
//
// Every error names the file (io_error) or the chromosome and coordinates
// (invalid_argument).
#pragma once

#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/kstring.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::genomics {

namespace detail {

/// True if path names an existing file (false on any error).
inline bool fasta_file_exists(const std::string& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec) && !ec;
}

/// True if the index file is missing or older than the data file it indexes.
inline bool fasta_index_outdated(const std::string& data, const std::string& index) {
    std::error_code ec;
    if (!std::filesystem::exists(index, ec) || ec) return true;
    const auto index_time = std::filesystem::last_write_time(index, ec);
    if (ec) return true;
    const auto data_time = std::filesystem::last_write_time(data, ec);
    if (ec) return true;
    return index_time < data_time;
}

/// One line of a .fai file: name, length, offset of the first base, bases per line and
/// bytes per line (with the line end).
struct FaiRecord {
    std::string name;
    long long length = 0, offset = 0, line_bases = 0, line_bytes = 0;
};

/// Reads a .fai file. Returns "" and fills `out`, or says what is wrong: unreadable, empty,
/// cut short (the last line has no newline) or a line that is not 5 tab-separated fields
/// (name and four non-negative integers). docs/reliability.md, "Indexes".
inline std::string read_fai(const std::string& fai, std::vector<FaiRecord>& out) {
    out.clear();
    std::ifstream in(fai, std::ios::binary);
    if (!in) return "it cannot be read";
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.empty()) return "it is empty";
    if (text.back() != '\n') return "its last line is incomplete (the file was cut short)";
    std::size_t begin = 0, line = 0;
    while (begin < text.size()) {
        const std::size_t end = text.find('\n', begin);
        ++line;
        std::vector<std::string> f;
        std::size_t a = begin;
        while (true) {
            const std::size_t tab = text.find('\t', a);
            if (tab == std::string::npos || tab > end) {
                f.push_back(text.substr(a, end - a));
                break;
            }
            f.push_back(text.substr(a, tab - a));
            a = tab + 1;
        }
        begin = end + 1;
        if (f.size() != 5 || f[0].empty()) {
            return attrprior::detail::concat("line ", line, " has ", f.size(),
                                             " fields instead of 5");
        }
        FaiRecord r;
        r.name = f[0];
        long long* values[4] = {&r.length, &r.offset, &r.line_bases, &r.line_bytes};
        for (int k = 0; k < 4; ++k) {
            const std::string& t = f[static_cast<std::size_t>(k) + 1];
            const auto res = std::from_chars(t.data(), t.data() + t.size(), *values[k]);
            if (t.empty() || res.ec != std::errc() || res.ptr != t.data() + t.size() ||
                *values[k] < 0) {
                return attrprior::detail::concat("line ", line, " field ", k + 2, " '", t,
                                                 "' is not a non-negative integer");
            }
        }
        out.push_back(std::move(r));
    }
    return std::string();
}

/// Reads up to n bytes at uncompressed offset `at` of an open FASTA (plain, or bgzip with
/// its .gzi loaded); fewer at the end of the file. False if the seek or read fails.
inline bool fasta_read_at(BGZF* fp, long long at, std::size_t n, std::string& out) {
    out.assign(n, '\0');
    if (at < 0 || bgzf_useek(fp, static_cast<off_t>(at), SEEK_SET) != 0) return false;
    const ssize_t got = bgzf_read(fp, &out[0], n);
    if (got < 0) return false;
    out.resize(static_cast<std::size_t>(got));
    return true;
}

/// Checks that record r of a .fai describes the FASTA as it is now: its header line
/// ">name..." ends just before r.offset, its first and last sequence lines hold bases and end
/// where the line lengths say, and for the last record of the file (`last`) that nothing but
/// line ends follows its sequence. Returns "" or what does not match.
inline std::string fasta_check_record(BGZF* fp, const FaiRecord& r, bool last) {
    using attrprior::detail::concat;
    const std::string rec = concat("record '", r.name, "'");
    if (r.offset < 2) return concat(rec, " has offset ", r.offset, ", before any header");
    if (r.length > 0 && (r.line_bases < 1 || r.line_bytes < r.line_bases ||
                         r.line_bytes > r.line_bases + 2)) {
        return concat(rec, " has ", r.line_bases, " bases in ", r.line_bytes, "-byte lines");
    }
    std::string buf;
    // Header: the line ending at offset - 1 starts with ">name" and a space or its end.
    const long long window = std::min<long long>(r.offset, 4096);
    if (!fasta_read_at(fp, r.offset - window, static_cast<std::size_t>(window), buf) ||
        static_cast<long long>(buf.size()) != window) {
        return concat(rec, ": its header at byte ", r.offset, " is past the end of the file");
    }
    if (buf.back() != '\n') {
        return concat(rec, ": byte ", r.offset - 1, " is not the end of its header line");
    }
    std::size_t line_end = buf.size() - 1;
    if (line_end > 0 && buf[line_end - 1] == '\r') --line_end;
    const std::size_t nl = buf.size() >= 2 ? buf.rfind('\n', buf.size() - 2) : std::string::npos;
    // A header longer than the window (which does not reach the file start) is not checked.
    if (nl != std::string::npos || r.offset == window) {
        const std::size_t start = nl == std::string::npos ? 0 : nl + 1;
        const std::string header = buf.substr(start, line_end - start);
        const std::string want = ">" + r.name;
        if (header.compare(0, want.size(), want) != 0 ||
            (header.size() > want.size() &&
             std::isspace(static_cast<unsigned char>(header[want.size()])) == 0)) {
            return concat(rec, ": the header line before byte ", r.offset, " is '",
                          header.substr(0, 60), "'");
        }
    }
    if (r.length == 0) return std::string();
    // First and last sequence lines: bases, then a line end (or the end of the file).
    const long long lines = (r.length + r.line_bases - 1) / r.line_bases;
    for (long long k : {0LL, lines - 1}) {
        const long long bases = k + 1 < lines ? r.line_bases : r.length - k * r.line_bases;
        const long long at = r.offset + k * r.line_bytes;
        if (!fasta_read_at(fp, at, static_cast<std::size_t>(bases + 1), buf)) {
            return concat(rec, ": cannot read its line at byte ", at);
        }
        if (static_cast<long long>(buf.size()) < bases) {
            return concat(rec, ": its line at byte ", at, " passes the end of the file");
        }
        for (long long i = 0; i < bases; ++i) {
            const char c = buf[static_cast<std::size_t>(i)];
            if (c == '>' || std::isgraph(static_cast<unsigned char>(c)) == 0) {
                return concat(rec, ": byte ", at + i, " (line at byte ", at,
                              ") is not a base as the index says");
            }
        }
        if (static_cast<long long>(buf.size()) > bases && buf.back() != '\n' && buf.back() != '\r') {
            return concat(rec, ": its line at byte ", at, " is longer than the index says");
        }
    }
    if (!last) return std::string();
    // The last record ends the file: at most a few line ends follow its last base.
    const long long end = r.offset + (r.length / r.line_bases) * r.line_bytes + r.length % r.line_bases;
    // Read from the byte before `end`: BGZF cannot seek to the very end of a bgzip file.
    if (!fasta_read_at(fp, end - 1, 66, buf) || buf.empty()) {
        return concat(rec, ": cannot read byte ", end - 1);
    }
    buf.erase(0, 1);
    if (buf.size() > 64 || buf.find_first_not_of("\r\n") != std::string::npos) {
        return concat(rec, ", the last in the index, ends at byte ", end,
                      " but the file goes on (it holds more or other data than the index says)");
    }
    return std::string();
}

/// "" if <path>.fai (and for bgzip, <path>.gzi) describe `path` as it is now, else the
/// reason to rebuild: a .fai cut short or malformed, or whose first or last record does not
/// fall where the file has it (a FASTA replaced while an older index was kept).
/// docs/reliability.md, "Indexes".
inline std::string fasta_index_mismatch(const std::string& path, int compression) {
    std::vector<FaiRecord> records;
    std::string why = read_fai(path + ".fai", records);
    if (!why.empty()) return path + ".fai: " + why;
    BGZF* fp = bgzf_open(path.c_str(), "r");
    if (fp == nullptr) return "cannot reopen the FASTA file";
    if (compression == 2 && bgzf_index_load(fp, path.c_str(), ".gzi") != 0) {
        bgzf_close(fp);
        return path + ".gzi cannot be loaded";
    }
    why = fasta_check_record(fp, records.front(), records.size() == 1);
    if (why.empty() && records.size() > 1) why = fasta_check_record(fp, records.back(), true);
    bgzf_close(fp);
    return why;
}

/// Opens `path` through BGZF (which reads plain, gzip and bgzip files alike), and checks
/// that it is a FASTA file that faidx can index. Returns bgzf_compression(): 0 plain,
/// 2 bgzip. Throws io_error for a missing or unreadable file, plain gzip, a bgzip file
/// without its end-of-file block (truncated), an empty file or a file whose first line is
/// not a '>' header.
inline int probe_fasta(const std::string& path) {
    if (!fasta_file_exists(path)) {
        throw io_error(attrprior::detail::concat("Fasta: cannot open '", path,
                                                 "': file does not exist"));
    }
    errno = 0;
    BGZF* fp = bgzf_open(path.c_str(), "r");
    if (fp == nullptr) {
        const int err = errno;
        throw io_error(attrprior::detail::concat("Fasta: cannot open '", path, "': ",
                                                 err != 0 ? std::strerror(err)
                                                          : "unreadable file"));
    }
    const int compression = bgzf_compression(fp);
    // A bgzip file cut short (at any block boundary) loses its end-of-file marker block;
    // htslib would read it as a shorter genome. docs/reliability.md, "Compressed files".
    const int eof = compression == 2 ? bgzf_check_EOF(fp) : 1;
    if (eof <= 0) {
        bgzf_close(fp);
        throw io_error(attrprior::detail::concat(
            "Fasta: '", path, "' ",
            eof == 0 ? "is truncated: no BGZF end-of-file block (the bgzip file was cut short; "
                       "download or compress it again)"
                     : "cannot be read: its BGZF end-of-file block cannot be checked (read error)"));
    }
    kstring_t line = KS_INITIALIZE;
    const int got = bgzf_getline(fp, '\n', &line);
    const bool header = got > 0 && line.s != nullptr && line.s[0] == '>';
    ks_free(&line);
    bgzf_close(fp);

    if (compression == 1) {
        throw io_error(attrprior::detail::concat(
            "Fasta: '", path,
            "' is compressed with plain gzip, which does not allow random access; "
            "decompress it and compress with bgzip instead (gunzip -c file.fa.gz | "
            "bgzip > file.fa.gz)"));
    }
    if (got <= -2) {
        throw io_error(attrprior::detail::concat("Fasta: cannot read '", path,
                                                 "': read or decompression error"));
    }
    if (got == -1) {
        throw io_error(attrprior::detail::concat("Fasta: '", path,
                                                 "' is empty, not a FASTA file"));
    }
    if (!header) {
        throw io_error(attrprior::detail::concat(
            "Fasta: '", path,
            "' is not a FASTA file (its first line does not start with '>')"));
    }
    return compression;
}

}  // namespace detail

/// What scan_fasta found in a FASTA file: its records, bases, and bases that one_hot
/// encodes as N (all-zero rows): N itself, the other IUPAC codes (R, Y, K, M, S, W, B, D, H,
/// V) and any other letter, and the gap symbols '-', '*' and '.'. docs/data.md §1 and
/// docs/reliability.md, "FASTA records".
struct FastaScan {
    Index records = 0;
    Index bases = 0;
    Index n_bases = 0;      ///< N or n
    Index other_codes = 0;  ///< letters other than A, C, G, T, N (IUPAC codes), and - * .
};

/// Reads the whole of a FASTA file (plain or bgzip) and checks what htslib's faidx does not:
/// every record has a name that no earlier record has, and at least one base; every byte of a
/// sequence line (before its line end) is a letter or one of '-', '*', '.'. A byte outside
/// that set (a space, a digit, a control or non-ASCII byte) would make faidx read shifted
/// bases. Throws io_error naming the file, the line, and the record and base position
/// (duplicate: both lines). Fasta runs it whenever it builds the index.
inline FastaScan scan_fasta(const std::string& path) {
    using attrprior::detail::concat;
    detail::probe_fasta(path);
    BGZF* fp = bgzf_open(path.c_str(), "r");
    if (fp == nullptr) throw io_error(concat("scan_fasta: cannot open '", path, "'"));
    struct Closer {
        BGZF* fp;
        kstring_t line = KS_INITIALIZE;
        ~Closer() {
            ks_free(&line);
            bgzf_close(fp);
        }
    } file{fp};
    FastaScan scan;
    std::unordered_map<std::string, Index> seen;  // name -> header line
    std::string name;
    Index header_line = 0, line_number = 0, record_bases = 0;
    const auto end_record = [&]() {
        if (line_number > 0 && header_line > 0 && record_bases == 0) {
            throw io_error(concat("Fasta: '", path, "':", header_line, ": record '", name,
                                  "' is empty (a header without sequence lines)"));
        }
    };
    while (true) {
        const int got = bgzf_getline(fp, '\n', &file.line);
        if (got < -1) throw io_error(concat("Fasta: cannot read '", path, "' (line ", line_number + 1, ")"));
        if (got == -1) break;
        ++line_number;
        std::size_t n = file.line.l;
        const char* text = file.line.s != nullptr ? file.line.s : "";
        if (n > 0 && text[n - 1] == '\r') --n;
        if (n > 0 && text[0] == '>') {
            end_record();
            std::size_t e = 1;
            while (e < n && std::isspace(static_cast<unsigned char>(text[e])) == 0) ++e;
            name.assign(text + 1, e - 1);
            if (name.empty()) {
                throw io_error(concat("Fasta: '", path, "':", line_number,
                                      ": a header without a name ('>' followed by a space or the line end)"));
            }
            const auto [it, fresh] = seen.emplace(name, line_number);
            if (!fresh) {
                throw io_error(concat("Fasta: '", path, "':", line_number, ": duplicate record name '", name,
                                      "' (first at line ", it->second,
                                      "); htslib would keep only one of them"));
            }
            header_line = line_number;
            record_bases = 0;
            ++scan.records;
            continue;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const unsigned char c = static_cast<unsigned char>(text[i]);
            const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            if (!letter && c != '-' && c != '*' && c != '.') {
                char code[8];
                std::snprintf(code, sizeof(code), "0x%02X", static_cast<unsigned>(c));
                throw io_error(concat("Fasta: '", path, "':", line_number, ": byte ", code,
                                      (c >= 0x21 && c < 0x7F) ? concat(" ('", static_cast<char>(c), "')") : "",
                                      " in a sequence line of record '", name, "' near base ",
                                      record_bases + static_cast<Index>(i),
                                      " is not a sequence character (a letter, '-', '*' or '.'); htslib's "
                                      "index would read the bases after it shifted"));
            }
            switch (c) {
                case 'A': case 'C': case 'G': case 'T': case 'a': case 'c': case 'g': case 't': break;
                case 'N': case 'n': ++scan.n_bases; break;
                default: ++scan.other_codes; break;
            }
        }
        record_bases += static_cast<Index>(n);
        scan.bases += static_cast<Index>(n);
    }
    end_record();
    return scan;
}

/// A FASTA file opened for random access (RAII owner of an htslib faidx handle).
/// Move-only; a moved-from Fasta throws invalid_argument from every accessor.
class Fasta {
public:
    /// Opens `path` (plain or bgzip-compressed FASTA), building <path>.fai (and
    /// <path>.gzi when bgzipped) if missing, older than the FASTA file or not matching it
    /// (after scan_fasta has checked the whole file).
    /// Throws io_error naming the file if it is missing, unreadable, not a FASTA file,
    /// compressed with plain gzip, truncated (bgzip without its end-of-file block), has
    /// duplicate names, empty records or stray bytes (scan_fasta), or cannot be indexed
    /// (e.g. unequal line lengths within a sequence, or an unwritable directory).
    explicit Fasta(const std::string& path) : state_(std::make_unique<State>()) {
        state_->path = path;
        const int compression = detail::probe_fasta(path);
        const std::string fai = path + ".fai";
        const std::string gzi = path + ".gzi";
        // An index newer than the FASTA is still checked against it: a FASTA replaced (or
        // copied with its old index) keeps an index that would read shifted bases, and a .fai
        // cut short loads as fewer sequences. docs/reliability.md, "Indexes".
        const bool rebuild = detail::fasta_index_outdated(path, fai) ||
                             (compression == 2 && detail::fasta_index_outdated(path, gzi)) ||
                             !detail::fasta_index_mismatch(path, compression).empty();
        if (rebuild) {
            // docs/reliability.md, "FASTA records": duplicate names, empty records and stray
            // bytes are errors before any index is written.
            state_->scan = scan_fasta(path);
            if (fai_build3(path.c_str(), nullptr, nullptr) != 0) {
                throw io_error(attrprior::detail::concat(
                    "Fasta: cannot build the index of '", path, "' (", fai,
                    compression == 2 ? std::string(" and ") + gzi : std::string(),
                    "): the directory may not be writable, or the FASTA file is malformed "
                    "(all lines of one sequence except the last must have the same length)"));
            }
            const std::string why = detail::fasta_index_mismatch(path, compression);
            if (!why.empty()) {
                throw io_error(attrprior::detail::concat(
                    "Fasta: '", path, "' is malformed: the index htslib built does not match "
                    "the file (", why, "); look for stray bytes (spaces, non-ASCII characters) "
                    "in sequence lines"));
            }
        }
        state_->fai = fai_load3(path.c_str(), nullptr, nullptr, 0);
        if (state_->fai == nullptr) {
            throw io_error(attrprior::detail::concat("Fasta: cannot load the index of '",
                                                     path, "' (", fai, ")"));
        }
        const int n = faidx_nseq(state_->fai);
        state_->names.reserve(static_cast<std::size_t>(n > 0 ? n : 0));
        for (int i = 0; i < n; ++i) {
            const char* name = faidx_iseq(state_->fai, i);
            if (name == nullptr) {
                throw io_error(attrprior::detail::concat("Fasta: corrupt index of '", path,
                                                         "': sequence ", i, " has no name"));
            }
            const int len = faidx_seq_len(state_->fai, name);
            if (len < 0) {
                throw io_error(attrprior::detail::concat(
                    "Fasta: '", path, "': cannot get the length of sequence '", name,
                    "' (longer than 2^31-1 bases are not supported)"));
            }
            state_->names.emplace_back(name);
            state_->lengths.emplace(state_->names.back(), static_cast<Index>(len));
        }
        if (state_->names.empty()) {
            throw io_error(attrprior::detail::concat("Fasta: '", path,
                                                     "' contains no sequences"));
        }
    }

    Fasta(Fasta&&) noexcept = default;
    Fasta& operator=(Fasta&&) noexcept = default;
    Fasta(const Fasta&) = delete;
    Fasta& operator=(const Fasta&) = delete;
    ~Fasta() = default;

    /// Path the Fasta was opened with.
    const std::string& path() const { return state().path; }

    /// What scan_fasta found when this Fasta built the index (base counts, among them the
    /// IUPAC codes other than N that one_hot encodes as N); nullptr when an existing index
    /// was used (call scan_fasta(path()) for the counts then).
    const FastaScan* scan() const {
        const State& s = state();
        return s.scan.records > 0 ? &s.scan : nullptr;
    }

    /// Sequence names in file order.
    const std::vector<std::string>& chromosomes() const { return state().names; }

    /// True if the file has a sequence called `chrom`.
    bool has(const std::string& chrom) const {
        const State& s = state();
        return s.lengths.find(chrom) != s.lengths.end();
    }

    /// Length of `chrom` in bases; throws invalid_argument naming chrom if unknown.
    Index length(const std::string& chrom) const { return length_of(state(), chrom, "length"); }

    /// Bases [start, end) of `chrom` (0-based, half-open), case as stored. start == end
    /// gives "". Throws invalid_argument naming chrom, start, end and the chromosome length
    /// unless 0 <= start <= end <= length(chrom); io_error if the read fails. Thread-safe
    /// (serialised by a mutex).
    std::string fetch(const std::string& chrom, Index start, Index end) const {
        const State& s = state();
        const Index len = length_of(s, chrom, "fetch");
        if (start < 0 || end < start || end > len) {
            throw invalid_argument(attrprior::detail::concat(
                "Fasta::fetch: interval ", chrom, ":", start, "-", end,
                " (start = ", start, ", end = ", end,
                ") is out of range for chromosome '", chrom, "' of length ", len,
                " in '", s.path, "' (need 0 <= start <= end <= length)"));
        }
        if (start == end) return std::string();
        hts_pos_t got = 0;
        char* seq = nullptr;
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            seq = faidx_fetch_seq64(s.fai, chrom.c_str(), static_cast<hts_pos_t>(start),
                                    static_cast<hts_pos_t>(end - 1), &got);
        }
        if (seq == nullptr || got != static_cast<hts_pos_t>(end - start)) {
            std::free(seq);
            throw io_error(attrprior::detail::concat(
                "Fasta::fetch: reading ", chrom, ":", start, "-", end, " from '", s.path,
                "' failed (got ", static_cast<long long>(got), " of ", end - start,
                " bases); the file or its index may be truncated or out of date"));
        }
        std::string out(seq, static_cast<std::size_t>(got));
        std::free(seq);
        return out;
    }

private:
    struct State {
        std::string path;
        faidx_t* fai = nullptr;
        mutable std::mutex mutex;
        std::vector<std::string> names;
        std::unordered_map<std::string, Index> lengths;
        FastaScan scan;  // records == 0: the index was not built here

        State() = default;
        State(const State&) = delete;
        State& operator=(const State&) = delete;
        ~State() {
            if (fai != nullptr) fai_destroy(fai);
        }
    };

    const State& state() const {
        if (!state_) {
            throw invalid_argument("Fasta: use of a moved-from Fasta object");
        }
        return *state_;
    }

    static Index length_of(const State& s, const std::string& chrom, const char* where) {
        const auto it = s.lengths.find(chrom);
        if (it == s.lengths.end()) {
            std::string known;
            const std::size_t shown = s.names.size() < 5 ? s.names.size() : 5;
            for (std::size_t i = 0; i < shown; ++i) {
                known += (i ? ", " : "") + s.names[i];
            }
            if (s.names.size() > shown) known += ", ...";
            throw invalid_argument(attrprior::detail::concat(
                "Fasta::", where, ": unknown chromosome '", chrom, "' in '", s.path,
                "' (", s.names.size(), " sequences: ", known, ")"));
        }
        return it->second;
    }

    std::unique_ptr<State> state_;
};

/// (name, length) of every sequence of `fasta`, in file order: the chromosome list of a
/// bigWig written over this genome (BigWigWriter, write_window_bigwig), so the bigWig's
/// chromosomes come in the FASTA's order.
inline std::vector<std::pair<std::string, Index>> chromosome_sizes(const Fasta& fasta) {
    std::vector<std::pair<std::string, Index>> sizes;
    sizes.reserve(fasta.chromosomes().size());
    for (const std::string& name : fasta.chromosomes()) sizes.emplace_back(name, fasta.length(name));
    return sizes;
}

}  // namespace attrprior::genomics
