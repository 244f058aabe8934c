// Random access to the sequences of a FASTA file through htslib's faidx.
//
// A Fasta opens a plain or bgzip-compressed FASTA file. Random access needs the faidx
// index (<file>.fai) and, for a bgzipped file, the BGZF block index (<file>.gzi). When
// an index is missing, or older than the FASTA file, both are (re)built next to the
// FASTA file on construction, which needs write access to its directory. A FASTA
// compressed with plain gzip cannot be indexed: recompress it with `bgzip`.
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

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
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

/// Opens `path` through BGZF (which reads plain, gzip and bgzip files alike), and checks
/// that it is a FASTA file that faidx can index. Returns bgzf_compression(): 0 plain,
/// 2 bgzip. Throws io_error for a missing or unreadable file, plain gzip, an empty file
/// or a file whose first line is not a '>' header.
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

/// A FASTA file opened for random access (RAII owner of an htslib faidx handle).
/// Move-only; a moved-from Fasta throws invalid_argument from every accessor.
class Fasta {
public:
    /// Opens `path` (plain or bgzip-compressed FASTA), building <path>.fai (and
    /// <path>.gzi when bgzipped) if missing or older than the FASTA file.
    /// Throws io_error naming the file if it is missing, unreadable, not a FASTA file,
    /// compressed with plain gzip, or cannot be indexed (e.g. unequal line lengths
    /// within a sequence, or an unwritable directory).
    explicit Fasta(const std::string& path) : state_(std::make_unique<State>()) {
        state_->path = path;
        const int compression = detail::probe_fasta(path);
        const std::string fai = path + ".fai";
        const std::string gzi = path + ".gzi";
        const bool rebuild = detail::fasta_index_outdated(path, fai) ||
                             (compression == 2 && detail::fasta_index_outdated(path, gzi));
        if (rebuild && fai_build3(path.c_str(), nullptr, nullptr) != 0) {
            throw io_error(attrprior::detail::concat(
                "Fasta: cannot build the index of '", path, "' (", fai,
                compression == 2 ? std::string(" and ") + gzi : std::string(),
                "): the directory may not be writable, or the FASTA file is malformed "
                "(all lines of one sequence except the last must have the same length)"));
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
