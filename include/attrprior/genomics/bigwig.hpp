// Per-base signal tracks in bigWig files through libBigWig: BigWigReader reads the values
// of a window, BigWigWriter writes whole chromosomes (or spans of them), check_chromosomes compares a bigWig's
// chromosomes with a reference genome's.
//
// Coordinates are 0-based and half-open, as everywhere in attrprior. A bigWig stores 32-bit
// float values for intervals of bases; bases covered by no interval have no value. Reads
// return 0 for those bases, so a window always comes back dense. A stored NaN is a
// numeric_error naming the file, chromosome and position (docs/reliability.md, "Signal
// tracks"); infinite values are returned as stored (consumers such as ProfileDataset
// reject them). The writer mirrors this: it stores nothing for zeros, and one
// interval per run of equal values.
//
// libBigWig (0.4.7, Debian's) specifics handled here:
//  * bwInit() (curl_global_init and the buffer size for remote files) runs once per process,
//    on the first open, through std::call_once. bwCleanup() (curl_global_cleanup) is never
//    called: a header-only library has no point known to follow the last bigWig use (a
//    static destructor may run while other threads or static objects still read), the call
//    is not thread-safe, and what it would free stays reachable until exit (LeakSanitizer
//    reports nothing without it).
//  * Local paths are checked before libBigWig sees them: existence, the bigWig signature,
//    and that every section the header points to lies within the file. Besides clearer
//    messages, this keeps truncated files away from libBigWig, whose error path crashes on
//    a file ending inside its zoom-level headers. http://, https:// and ftp:// URLs go to
//    libBigWig (libcurl) unchecked.
//  * A libBigWig handle keeps one file position and lazily caches index nodes, so a
//    BigWigReader serialises its reads with a mutex; one reader may be shared by threads,
//    whose reads then run one at a time. Open one reader per thread for parallel reads.
//  * bwOpen(path, "w") crashes when it cannot create the file, so BigWigWriter creates it
//    first. Intervals go to libBigWig in batches that never fill its block buffer within a
//    call (see State::add_intervals): otherwise a failed disk write overruns that buffer.
//  * libBigWig cannot finish a file without any data block (it writes no index, and the file
//    cannot be queried afterwards). When nothing non-zero was written, BigWigWriter stores a
//    single 0-valued base at the start of the first chromosome, which reads back the same.
//  * bwClose() reports a failed finish only on stderr. BigWigWriter::close() therefore checks
//    the finished file itself (a complete bigWig starts and ends with the bigWig signature).
//  * libBigWig prints notes on its errors to stderr; they cannot be turned off.
//
// Every error names the file and, where relevant, the chromosome and coordinates.
#pragma once

#include <bigWig.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::genomics {

namespace detail {

/// Buffer libBigWig keeps per remote file (one HTTP range request fills it); the value
/// pyBigWig uses. Local files are read through stdio and do not use it.
inline constexpr std::size_t bigwig_remote_buffer_bytes = std::size_t{1} << 17;

/// Zoom levels written by BigWigWriter: pre-computed summaries that genome browsers use to
/// draw large regions. BigWigReader reads the full-resolution data and never needs them.
/// 10 is libBigWig's own default.
inline constexpr std::int32_t bigwig_zoom_levels = 10;

/// Runs BigWigWriter collects before handing them to libBigWig: bounds its buffers, since a
/// chromosome may have hundreds of millions of runs.
inline constexpr std::size_t bigwig_write_chunk = std::size_t{1} << 16;

/// Runs bwInit() once per process, whichever thread gets here first. Returns whether it
/// succeeded; it can only fail in curl_global_init(), which local files do not need.
inline bool bigwig_library_init() {
    static std::once_flag once;
    static bool ok = false;
    std::call_once(once, [] { ok = bwInit(bigwig_remote_buffer_bytes) == 0; });
    return ok;
}

/// True for the URL schemes libBigWig hands to libcurl (it compares these exact prefixes).
inline bool bigwig_is_url(const std::string& path) {
    for (const char* scheme : {"http://", "https://", "ftp://"}) {
        if (path.compare(0, std::strlen(scheme), scheme) == 0) return true;
    }
    return false;
}

/// Unsigned little-endian integer of `bytes` bytes at p: the byte order of the bigWig files
/// libBigWig reads and writes.
inline std::uint64_t bigwig_le(const unsigned char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

/// Sizes of the fixed bigWig header and of each zoom-level header that follows it.
inline constexpr std::size_t bigwig_header_bytes = 64;
inline constexpr std::size_t bigwig_zoom_header_bytes = 24;

/// Checks a local file before libBigWig opens it, and throws io_error naming it when it is
/// missing, a directory, unreadable, empty, not a bigWig (saying what it is when that is
/// recognisable) or truncated. The truncation check matters beyond the message: libBigWig
/// 0.4.7 crashes (frees uninitialised pointers) on a file that ends inside its zoom-level
/// headers, so every section the header points to must lie within the file.
inline void probe_bigwig(const std::string& path) {
    using attrprior::detail::concat;
    const char* who = "BigWigReader";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) || ec) {
        throw io_error(concat(who, ": cannot open '", path, "': file does not exist"));
    }
    if (std::filesystem::is_directory(path, ec)) {
        throw io_error(concat(who, ": cannot open '", path, "': it is a directory"));
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        throw io_error(concat(who, ": cannot open '", path, "': ",
                              err != 0 ? std::strerror(err) : "unreadable file"));
    }
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) {
        throw io_error(concat(who, ": cannot open '", path, "': ", ec.message()));
    }
    unsigned char header[bigwig_header_bytes] = {};
    in.read(reinterpret_cast<char*>(header), bigwig_header_bytes);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) {
        throw io_error(concat(who, ": '", path, "' is empty, not a bigWig file"));
    }
    const std::uint64_t magic = got >= 4 ? bigwig_le(header, 4) : 0;
    if (magic == BIGBED_MAGIC) {
        throw io_error(concat(who, ": '", path,
                              "' is a bigBed file, not a bigWig (it holds intervals, not a signal)"));
    }
    if (got < 4) {
        throw io_error(concat(who, ": '", path, "' is not a bigWig file (only ", got, " bytes)"));
    }
    if (magic != BIGWIG_MAGIC) {
        const bool big_endian = header[0] == 0x88 && header[1] == 0x8F && header[2] == 0xFC &&
                                header[3] == 0x26;
        throw io_error(concat(
            who, ": '", path,
            big_endian ? "' is a big-endian bigWig, which libBigWig cannot read; rewrite it on "
                         "a little-endian machine (e.g. bigWigToBedGraph + bedGraphToBigWig)"
                       : "' is not a bigWig file (it does not start with the bigWig signature); "
                         "bedGraph or wig text must first be converted with bedGraphToBigWig or "
                         "wigToBigWig"));
    }
    const auto truncated = [&](const std::string& what) {
        return io_error(concat(who, ": '", path, "' is truncated or corrupt: ", what,
                               " (the file has ", size, " bytes)"));
    };
    if (got < bigwig_header_bytes) throw truncated("its 64-byte header is incomplete");
    const std::uint64_t levels = bigwig_le(header + 6, 2);
    std::vector<unsigned char> zooms(levels * bigwig_zoom_header_bytes);
    in.read(reinterpret_cast<char*>(zooms.data()), static_cast<std::streamsize>(zooms.size()));
    if (static_cast<std::size_t>(in.gcount()) != zooms.size()) {
        throw truncated(concat("its ", levels, " zoom-level headers are incomplete"));
    }
    // Every section libBigWig reads must start within the file, with room for its fixed
    // header: chromosome tree (32 bytes), data, data index (48), total summary (40), and
    // each zoom level's data and index (48). Offsets of 0 mark absent optional sections.
    const auto check = [&](const char* section, std::uint64_t offset, std::uint64_t bytes,
                           bool optional) {
        if (optional && offset == 0) return;
        if (offset > size || bytes > size - offset) {
            throw truncated(concat("its ", section, " would start at byte ", offset,
                                   ", beyond the end of the file"));
        }
    };
    check("chromosome list", bigwig_le(header + 0x08, 8), 32, false);
    check("data", bigwig_le(header + 0x10, 8), 0, false);
    check("data index", bigwig_le(header + 0x18, 8), 48, true);
    check("summary", bigwig_le(header + 0x2C, 8), 40, true);
    for (std::uint64_t z = 0; z < levels; ++z) {
        const unsigned char* zoom = zooms.data() + z * bigwig_zoom_header_bytes;
        check("zoom-level data", bigwig_le(zoom + 8, 8), 0, true);
        check("zoom-level index", bigwig_le(zoom + 16, 8), 48, true);
    }
}

/// Owner of a libBigWig result list.
struct BigWigIntervalsDeleter {
    void operator()(bwOverlappingIntervals_t* p) const { bwDestroyOverlappingIntervals(p); }
};
using BigWigIntervals = std::unique_ptr<bwOverlappingIntervals_t, BigWigIntervalsDeleter>;

/// "a, b, c, ..." from the first `shown` names.
template <class Names, class Name>
std::string bigwig_name_list(const Names& names, Name name_of, std::size_t shown = 5) {
    std::string out;
    std::size_t i = 0;
    for (const auto& item : names) {
        if (i == shown) {
            out += ", ...";
            break;
        }
        out += (i ? ", " : "") + std::string(name_of(item));
        ++i;
    }
    return out.empty() ? std::string("(none)") : out;
}

}  // namespace detail

/// Read-only bigWig file. Thread-safe: reads are serialised by an internal mutex (libBigWig
/// handles are not thread-safe). Movable, not copyable; a moved-from reader throws
/// invalid_argument from every accessor.
class BigWigReader {
public:
    /// Opens a local bigWig file (or an http://, https:// or ftp:// URL). Throws io_error
    /// naming the path if it is missing, not a bigWig (the message says when it is a bigBed
    /// or a text file) or corrupt (unreadable header, chromosome list or data index).
    explicit BigWigReader(const std::string& path) : state_(std::make_unique<State>()) {
        State& s = *state_;
        s.path = path;
        const bool remote = detail::bigwig_is_url(path);
        if (!remote) detail::probe_bigwig(path);
        if (!detail::bigwig_library_init() && remote) {
            throw io_error(attrprior::detail::concat(
                "BigWigReader: cannot open '", path,
                "': libBigWig could not initialise libcurl (bwInit failed)"));
        }
        s.file = bwOpen(path.c_str(), nullptr, "r");
        if (s.file == nullptr || s.file->cl == nullptr) {
            throw io_error(attrprior::detail::concat(
                "BigWigReader: cannot open '", path, "': ",
                remote ? "the URL cannot be fetched, or is not a bigWig file"
                       : "its header or chromosome list is corrupt (truncated file?)"));
        }
        const chromList_t* cl = s.file->cl;
        s.chromosomes.reserve(static_cast<std::size_t>(cl->nKeys > 0 ? cl->nKeys : 0));
        for (std::int64_t i = 0; i < cl->nKeys; ++i) {
            if (cl->chrom[i] == nullptr) {
                throw io_error(attrprior::detail::concat("BigWigReader: '", path,
                                                         "' has a corrupt chromosome list"));
            }
            s.chromosomes.emplace_back(cl->chrom[i], static_cast<Index>(cl->len[i]));
            s.lengths.emplace(s.chromosomes.back().first, s.chromosomes.back().second);
        }
        // A file without any data has no data index (libBigWig writes such files): every
        // read gives zeros, and libBigWig must not be asked (it fails without an index).
        s.has_data = s.file->hdr->indexOffset != 0;
        // libBigWig loads the data index on the first query; make one now so that a file
        // with a broken index fails here rather than in the middle of training.
        for (const auto& [name, len] : s.chromosomes) {
            if (!s.has_data) break;
            if (len > 0) {
                std::lock_guard<std::mutex> lock(s.mutex);
                if (!detail::BigWigIntervals(bwGetOverlappingIntervals(s.file, name.c_str(), 0, 1))) {
                    throw io_error(attrprior::detail::concat(
                        "BigWigReader: cannot read the data index of '", path,
                        "': the file is corrupt or truncated"));
                }
                break;
            }
        }
    }

    BigWigReader(BigWigReader&&) noexcept = default;
    BigWigReader& operator=(BigWigReader&&) noexcept = default;
    BigWigReader(const BigWigReader&) = delete;
    BigWigReader& operator=(const BigWigReader&) = delete;
    ~BigWigReader() = default;

    /// Path (or URL) the reader was opened with.
    const std::string& path() const { return state().path; }

    /// (name, length) of every chromosome, in file order.
    const std::vector<std::pair<std::string, Index>>& chromosomes() const {
        return state().chromosomes;
    }

    /// True if the file lists a chromosome called `chrom`.
    bool has_chromosome(const std::string& chrom) const {
        const State& s = state();
        return s.lengths.find(chrom) != s.lengths.end();
    }

    /// Length of `chrom`; throws invalid_argument naming the file and chrom if absent.
    Index length(const std::string& chrom) const { return length_of(state(), chrom, "length"); }

    /// Per-base values of [start, end) on chrom into out[0], out[stride], ...,
    /// out[(end-start-1)*stride]; positions without data are 0.
    /// Throws invalid_argument (naming file, chrom, start, end) for an unknown chromosome,
    /// unless 0 <= start <= end <= length, for stride < 1 or a null out; numeric_error naming
    /// the file, chrom and position when the window holds a NaN stored in the file; io_error
    /// if libBigWig fails. Thread-safe (serialised by a mutex).
    template <class Scalar>
    void read(const std::string& chrom, Index start, Index end, Scalar* out,
              Index stride = 1) const {
        static_assert(std::is_floating_point_v<Scalar>,
                      "BigWigReader::read: Scalar must be a floating-point type");
        const State& s = state();
        check_window(s, chrom, start, end);
        if (stride < 1) {
            throw invalid_argument(attrprior::detail::concat(
                "BigWigReader::read: stride = ", stride, " for ", chrom, ":", start, "-", end,
                " of '", s.path, "' (need stride >= 1)"));
        }
        const Index n = end - start;
        if (n == 0) return;
        if (out == nullptr) {
            throw invalid_argument(attrprior::detail::concat(
                "BigWigReader::read: out is null for ", chrom, ":", start, "-", end, " of '",
                s.path, "'"));
        }
        const detail::BigWigIntervals intervals = fetch(s, chrom, start, end);
        for (Index i = 0; i < n; ++i) out[i * stride] = Scalar(0);
        if (!intervals) return;  // the file holds no data
        for (std::uint32_t k = 0; k < intervals->l; ++k) {
            const float v = intervals->value[k];
            // Intervals may stick out of the window on either side: clip them.
            const Index a = std::max<Index>(static_cast<Index>(intervals->start[k]), start) - start;
            const Index b = std::min<Index>(static_cast<Index>(intervals->end[k]), end) - start;
            if (std::isnan(v) && a < b) {
                // NaN is no value, not 0: reading it as 0 would hide a broken track.
                // docs/reliability.md, "Signal tracks".
                throw numeric_error(attrprior::detail::concat(
                    "BigWigReader::read: '", s.path, "' stores NaN at ", chrom, ":", start + a,
                    " (chromosome '", chrom, "', position ", start + a, ", interval ",
                    intervals->start[k], "-", intervals->end[k],
                    "); bigWig values must be numbers (fix or regenerate the track)"));
            }
            const Scalar value = static_cast<Scalar>(v);
            for (Index i = a; i < b; ++i) out[i * stride] = value;
        }
    }

    /// The values of [start, end) on chrom as a vector (see the pointer overload).
    std::vector<float> read(const std::string& chrom, Index start, Index end) const {
        check_window(state(), chrom, start, end);
        std::vector<float> values(static_cast<std::size_t>(end - start));
        read(chrom, start, end, values.data(), 1);
        return values;
    }

private:
    struct State {
        std::string path;
        bigWigFile_t* file = nullptr;
        mutable std::mutex mutex;
        std::vector<std::pair<std::string, Index>> chromosomes;
        std::unordered_map<std::string, Index> lengths;
        bool has_data = true;

        State() = default;
        State(const State&) = delete;
        State& operator=(const State&) = delete;
        ~State() {
            if (file != nullptr) bwClose(file);
        }
    };

    const State& state() const {
        if (!state_) {
            throw invalid_argument("BigWigReader: use of a moved-from BigWigReader object");
        }
        return *state_;
    }

    static Index length_of(const State& s, const std::string& chrom, const char* where) {
        const auto it = s.lengths.find(chrom);
        if (it == s.lengths.end()) {
            throw invalid_argument(attrprior::detail::concat(
                "BigWigReader::", where, ": unknown chromosome '", chrom, "' in '", s.path,
                "' (", s.chromosomes.size(), " chromosomes: ",
                detail::bigwig_name_list(s.chromosomes, [](const auto& c) { return c.first; }),
                ")"));
        }
        return it->second;
    }

    static void check_window(const State& s, const std::string& chrom, Index start, Index end) {
        const Index len = length_of(s, chrom, "read");
        if (start < 0 || end < start || end > len) {
            throw invalid_argument(attrprior::detail::concat(
                "BigWigReader::read: interval ", chrom, ":", start, "-", end,
                " (start = ", start, ", end = ", end, ") is out of range for chromosome '",
                chrom, "' of length ", len, " in '", s.path,
                "' (need 0 <= start <= end <= length)"));
        }
    }

    /// The stored intervals overlapping a validated, non-empty window; null if the file
    /// holds no data at all.
    static detail::BigWigIntervals fetch(const State& s, const std::string& chrom, Index start,
                                         Index end) {
        detail::BigWigIntervals intervals;
        if (!s.has_data) return intervals;
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            // Lengths are uint32 in the file, so the validated window fits.
            intervals.reset(bwGetOverlappingIntervals(s.file, chrom.c_str(),
                                                      static_cast<std::uint32_t>(start),
                                                      static_cast<std::uint32_t>(end)));
        }
        if (!intervals) {
            throw io_error(attrprior::detail::concat(
                "BigWigReader::read: libBigWig failed to read ", chrom, ":", start, "-", end,
                " (start = ", start, ", end = ", end, ") from '", s.path,
                "'; the file may be corrupt or truncated"));
        }
        return intervals;
    }

    std::unique_ptr<State> state_;
};

/// Throws io_error naming the bigWig (`what`, e.g. "--bigwig-plus", then its path) when a
/// chromosome of `expected` (e.g. the FASTA's (name, length) list) is present in the bigWig
/// with a different length, or when the bigWig shares no chromosome with `expected` (e.g.
/// "chr1" vs "1" naming; the message says so and lists a few names of each). Chromosomes
/// only in one of the two are otherwise fine (a bigWig may skip unplaced contigs).
inline void check_chromosomes(const BigWigReader& bw,
                              const std::vector<std::pair<std::string, Index>>& expected,
                              const std::string& what) {
    using attrprior::detail::concat;
    std::size_t shared = 0;
    std::vector<std::string> mismatches;
    for (const auto& [name, len] : expected) {
        if (!bw.has_chromosome(name)) continue;
        ++shared;
        const Index got = bw.length(name);
        if (got != len) {
            mismatches.push_back(concat("'", name, "' has length ", got, " in the bigWig but ",
                                        len, " in the reference"));
        }
    }
    if (!mismatches.empty()) {
        throw io_error(concat(
            what, ": bigWig '", bw.path(), "' does not match the reference genome: ",
            mismatches.size(), " chromosome length(s) differ: ",
            detail::bigwig_name_list(mismatches, [](const std::string& m) { return m; }, 3),
            " (was the bigWig made for another assembly?)"));
    }
    if (shared > 0) return;

    // No name in common: say whether adding or removing a "chr" prefix would fix it, the
    // usual UCSC ("chr1") vs Ensembl/NCBI ("1") mix-up.
    const auto has_chr = [](const std::string& n) { return n.compare(0, 3, "chr") == 0; };
    std::size_t match_if_renamed = 0;
    for (const auto& entry : expected) {
        const std::string& name = entry.first;
        if (bw.has_chromosome(has_chr(name) ? name.substr(3) : "chr" + name)) ++match_if_renamed;
    }
    std::string hint;
    if (match_if_renamed > 0) {
        const bool bigwig_has_chr = std::any_of(bw.chromosomes().begin(), bw.chromosomes().end(),
                                                [&](const auto& c) { return has_chr(c.first); });
        hint = bigwig_has_chr
                   ? "; the bigWig names chromosomes with a 'chr' prefix (UCSC style) and the "
                     "reference without (Ensembl/NCBI style): use a bigWig and a reference of "
                     "the same naming"
                   : "; the reference names chromosomes with a 'chr' prefix (UCSC style) and "
                     "the bigWig without (Ensembl/NCBI style): use a bigWig and a reference "
                     "of the same naming";
    }
    const auto name_of = [](const std::pair<std::string, Index>& c) { return c.first; };
    throw io_error(concat(what, ": bigWig '", bw.path(),
                          "' shares no chromosome name with the reference (bigWig: ",
                          detail::bigwig_name_list(bw.chromosomes(), name_of),
                          "; reference: ", detail::bigwig_name_list(expected, name_of), ")",
                          hint));
}

/// Writes a bigWig. Chromosomes are written one at a time, in the order given to the
/// constructor (each at most once; chromosomes may be skipped, and then read back as zeros;
/// out of order -> invalid_argument). Zero stretches are not stored; runs of equal values
/// are stored as one interval. close() finishes the file (io_error on failure); the
/// destructor closes if needed without throwing. Movable, not copyable, not thread-safe.
class BigWigWriter {
public:
    /// Creates `path` (overwriting it) with the given (name, length) chromosome list.
    /// Throws invalid_argument for an empty list, an empty or repeated name, a length
    /// outside [0, 2^32 - 1] or no chromosome of positive length; io_error naming the path
    /// if the file cannot be created or its header cannot be written.
    BigWigWriter(const std::string& path,
                 const std::vector<std::pair<std::string, Index>>& chromosomes)
        : state_(std::make_unique<State>()) {
        using attrprior::detail::concat;
        State& s = *state_;
        s.path = path;
        if (chromosomes.empty()) {
            throw invalid_argument(concat("BigWigWriter: '", path, "': the chromosome list is empty"));
        }
        bool any_positive = false;
        for (std::size_t i = 0; i < chromosomes.size(); ++i) {
            const auto& [name, len] = chromosomes[i];
            if (name.empty()) {
                throw invalid_argument(concat("BigWigWriter: '", path, "': chromosome ", i,
                                              " has an empty name"));
            }
            if (len < 0 || len > static_cast<Index>(std::numeric_limits<std::uint32_t>::max())) {
                throw invalid_argument(concat(
                    "BigWigWriter: '", path, "': chromosome '", name, "' has length = ", len,
                    " (need 0 <= length <= 4294967295; bigWig coordinates are 32-bit)"));
            }
            if (!s.index.emplace(name, i).second) {
                throw invalid_argument(concat("BigWigWriter: '", path, "': chromosome '", name,
                                              "' is listed twice"));
            }
            any_positive = any_positive || len > 0;
        }
        if (!any_positive) {
            throw invalid_argument(concat("BigWigWriter: '", path,
                                          "': every chromosome has length 0"));
        }
        s.chromosomes = chromosomes;

        // Create the file before libBigWig does: bwOpen(..., "w") of libBigWig 0.4.7
        // dereferences a null pointer (crashes) when it cannot open the file, so that case
        // must never reach it. This also gives the reason (errno) for the message.
        const std::filesystem::path parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
            throw io_error(concat("BigWigWriter: cannot create '", path, "': directory '",
                                  parent.string(), "' does not exist"));
        }
        errno = 0;
        if (std::FILE* probe = std::fopen(path.c_str(), "wb")) {
            std::fclose(probe);
        } else {
            const int err = errno;
            throw io_error(concat("BigWigWriter: cannot create '", path, "': ",
                                  err != 0 ? std::strerror(err) : "fopen failed"));
        }
        detail::bigwig_library_init();  // local files work even if curl could not start
        s.file = bwOpen(path.c_str(), nullptr, "w");
        if (s.file == nullptr) {
            throw io_error(concat("BigWigWriter: libBigWig cannot open '", path, "' for writing"));
        }
        std::vector<const char*> names;
        std::vector<std::uint32_t> lengths;
        for (const auto& [name, len] : chromosomes) {
            names.push_back(name.c_str());
            lengths.push_back(static_cast<std::uint32_t>(len));
        }
        // The chromosome list's order defines libBigWig's chromosome ids, and its index
        // needs the data in id order: hence the writing order of write_chromosome.
        errno = 0;
        const bool header_ok =
            bwCreateHdr(s.file, detail::bigwig_zoom_levels) == 0 &&
            (s.file->cl = bwCreateChromList(names.data(), lengths.data(),
                                            static_cast<std::int64_t>(names.size()))) != nullptr &&
            bwWriteHdr(s.file) == 0;
        if (!header_ok) {
            const int err = errno;
            s.abandon();
            throw io_error(concat("BigWigWriter: cannot write the header of '", path, "'",
                                  err != 0 ? std::string(": ") + std::strerror(err) : std::string()));
        }
        s.header_written = true;
    }

    BigWigWriter(BigWigWriter&&) noexcept = default;
    /// Finishes the file this writer had open (without throwing), then takes over `other`'s.
    BigWigWriter& operator=(BigWigWriter&&) noexcept = default;
    BigWigWriter(const BigWigWriter&) = delete;
    BigWigWriter& operator=(const BigWigWriter&) = delete;
    /// Finishes the file if close() was not called; errors are swallowed (call close() to
    /// see them).
    ~BigWigWriter() = default;

    /// Writes the n = length(chrom) values of chrom (values[i] is base i). Throws
    /// invalid_argument for an unknown chromosome, one at or before the last written in the
    /// constructor's order, a wrong n, a null values or a closed writer; numeric_error
    /// naming chrom and the position of the first NaN or infinite value (nothing of the
    /// chromosome is written then); io_error if libBigWig fails.
    void write_chromosome(const std::string& chrom, const float* values, Index n) {
        using attrprior::detail::concat;
        constexpr const char* who = "BigWigWriter::write_chromosome";
        State& s = state();
        const std::size_t id = s.next_chromosome(chrom, who);
        const Index len = s.chromosomes[id].second;
        if (n != len) {
            throw invalid_argument(concat(who, ": n = ", n, " but chromosome '", chrom, "' has length ", len,
                                          " in '", s.path, "'"));
        }
        if (values == nullptr && n > 0) {
            throw invalid_argument(concat(who, ": values is null for '", chrom, "' of '", s.path, "'"));
        }
        s.check_finite(chrom, 0, values, n, who);
        // From here on the chromosome counts as written, even if libBigWig fails below:
        // writing it again would put its data twice into the file.
        s.next = id + 1;
        s.add_runs(id, 0, values, n);
        s.flush(id);
    }

    /// A stretch [start, start + length) of one chromosome with its values (values[i] is base
    /// start + i), for write_spans.
    struct Span {
        Index start = 0;
        Index length = 0;
        const float* values = nullptr;
    };

    /// Writes values for the bases of chrom covered by `spans` only; the other bases get none
    /// and read back as 0, as for write_chromosome with zeros there, without a dense buffer of
    /// the whole chromosome (e.g. tracks over a set of windows). Spans must be sorted by start,
    /// disjoint and on the chromosome; empty spans are ignored. Order rules and errors as
    /// write_chromosome; invalid_argument names the span (its index and coordinates) that is
    /// out of order, overlapping, past the chromosome end or without values.
    void write_spans(const std::string& chrom, const std::vector<Span>& spans) {
        using attrprior::detail::concat;
        constexpr const char* who = "BigWigWriter::write_spans";
        State& s = state();
        const std::size_t id = s.next_chromosome(chrom, who);
        const Index len = s.chromosomes[id].second;
        Index covered_to = 0;  // end of the previous non-empty span
        for (std::size_t k = 0; k < spans.size(); ++k) {
            const Span& span = spans[k];
            const auto bad = [&](const auto&... why) {
                return invalid_argument(concat(who, ": spans[", k, "] (", chrom, ":", span.start, "-",
                                               span.start + span.length, ") of '", s.path, "' ", why...));
            };
            if (span.length < 0) throw bad("has a negative length ", span.length);
            if (span.length == 0) continue;
            if (span.values == nullptr) throw bad("has null values");
            if (span.start < covered_to) {
                throw bad("starts before the end ", covered_to,
                          " of the previous span (spans must be sorted by start and disjoint)");
            }
            if (span.start + span.length > len) throw bad("passes the end of the chromosome (length ", len, ")");
            covered_to = span.start + span.length;
        }
        for (const Span& span : spans) {
            if (span.length > 0) s.check_finite(chrom, span.start, span.values, span.length, who);
        }
        s.next = id + 1;  // as in write_chromosome
        for (const Span& span : spans) {
            if (span.length > 0) s.add_runs(id, span.start, span.values, span.length);
        }
        s.flush(id);
    }

    /// Finishes the file. Throws io_error naming the file if libBigWig cannot finish it
    /// (e.g. disk full). Further calls do nothing; write_chromosome() is then an error.
    void close() { state().finish(); }

private:
    struct State {
        std::string path;
        bigWigFile_t* file = nullptr;
        std::vector<std::pair<std::string, Index>> chromosomes;
        std::unordered_map<std::string, std::size_t> index;
        std::size_t next = 0;         // chromosomes before this one are written or skipped
        bool header_written = false;  // false: the file is removed, not finished, on destruction
        bool stored_any = false;      // whether any interval reached libBigWig
        bool failed = false;          // a libBigWig write failed: the file cannot be finished
        std::vector<std::uint32_t> starts, ends;  // runs waiting for libBigWig
        std::vector<float> values;
        std::vector<const char*> names;

        State() = default;
        State(const State&) = delete;
        State& operator=(const State&) = delete;
        ~State() {
            if (file == nullptr) return;
            if (!header_written) {
                abandon();
                return;
            }
            try {
                finish();
            } catch (...) {
                // A destructor must not throw; close() reports the same failure.
            }
        }

        /// The id of chrom, after checking that it can be written now: the writer is open and
        /// sound, chrom is listed and comes after the chromosomes already written.
        std::size_t next_chromosome(const std::string& chrom, const char* who) const {
            using attrprior::detail::concat;
            if (file == nullptr) {
                throw invalid_argument(concat(who, ": '", path, "' is already closed (writing '", chrom, "')"));
            }
            if (failed) {
                throw io_error(concat(who, ": an earlier write to '", path,
                                      "' failed; the file cannot be completed (writing '", chrom, "')"));
            }
            const auto it = index.find(chrom);
            if (it == index.end()) {
                throw invalid_argument(concat(
                    who, ": unknown chromosome '", chrom, "' for '", path, "' (", chromosomes.size(),
                    " chromosomes: ", detail::bigwig_name_list(chromosomes, [](const auto& c) { return c.first; }),
                    ")"));
            }
            const std::size_t id = it->second;
            if (id < next) {
                const std::string& last = chromosomes[next - 1].first;
                throw invalid_argument(concat(
                    who, ": chromosome '", chrom, "' of '", path, "' ",
                    id == next - 1 ? std::string("was already written")
                                   : "comes before '" + last + "' (already written)",
                    "; chromosomes must be written at most once each, in the order given to the "
                    "constructor"));
            }
            return id;
        }

        /// Throws numeric_error naming the first non-finite of the n values of bases
        /// offset, offset + 1, ... of chrom.
        void check_finite(const std::string& chrom, Index offset, const float* v, Index n, const char* who) const {
            for (Index i = 0; i < n; ++i) {
                if (!std::isfinite(v[i])) {
                    throw numeric_error(attrprior::detail::concat(
                        who, ": value at ", chrom, ":", offset + i, " (chromosome '", chrom, "', position ",
                        offset + i, ") is ", v[i], " in '", path, "'; bigWig values must be finite"));
                }
            }
        }

        /// Queues the non-zero runs of equal values of the n values of bases offset, ... of
        /// chromosome `id` (a run continuing the last queued one extends it), handing them to
        /// libBigWig whenever a chunk is full.
        void add_runs(std::size_t id, Index offset, const float* v, Index n) {
            for (Index i = 0; i < n;) {
                const float value = v[i];
                Index j = i + 1;
                while (j < n && v[j] == value) ++j;
                if (value != 0.0f) {
                    const auto a = static_cast<std::uint32_t>(offset + i), b = static_cast<std::uint32_t>(offset + j);
                    if (!starts.empty() && ends.back() == a && values.back() == value) {
                        ends.back() = b;
                    } else {
                        starts.push_back(a);
                        ends.push_back(b);
                        values.push_back(value);
                        if (starts.size() == detail::bigwig_write_chunk) flush(id);
                    }
                }
                i = j;
            }
        }

        /// Hands the buffered runs of chromosome `id` to libBigWig.
        void flush(std::size_t id) {
            if (starts.empty()) return;
            const int rc = add_intervals(chromosomes[id].first, starts.data(), ends.data(),
                                         values.data(), starts.size());
            starts.clear();
            ends.clear();
            values.clear();
            if (rc != 0) {
                failed = true;
                throw io_error(attrprior::detail::concat(
                    "BigWigWriter::write_chromosome: libBigWig failed (code ", rc,
                    ") writing chromosome '", chromosomes[id].first, "' to '", path,
                    "' (disk full or not writable?)"));
            }
            stored_any = true;
        }

        /// bwAddIntervals in batches that fit libBigWig's block buffer; returns its first
        /// non-zero code. Why batches: when writing a full block to disk fails, libBigWig
        /// 0.4.7 only reports it if the block was full on entry to bwAddIntervals. A block
        /// that fills up within a call (in bwAddIntervals or bwAppendIntervals) is written
        /// unchecked, and on failure the call goes on copying intervals past the end of the
        /// buffer (heap corruption, seen under AddressSanitizer with a file size limit). Each
        /// batch here is at most what fits in the buffer after that checked flush.
        int add_intervals(const std::string& chrom, const std::uint32_t* s,
                          const std::uint32_t* e, const float* v, std::size_t n) {
            constexpr std::uint32_t entry = 12;         // bytes per bedGraph-type interval
            constexpr std::uint32_t block_header = 24;  // bytes before the first interval
            const std::uint32_t capacity = file->hdr->bufSize;
            for (std::size_t done = 0; done < n;) {
                // bwAddIntervals flushes (checked) when fewer than 36 bytes are left.
                std::uint32_t used = file->writeBuffer->l;
                if (used + 3 * entry > capacity) used = block_header;
                const std::size_t batch = std::min<std::size_t>(n - done, (capacity - used) / entry);
                names.assign(batch, chrom.c_str());  // bwAddIntervals takes one name per interval
                const int rc = bwAddIntervals(file, names.data(), s + done, e + done, v + done,
                                              static_cast<std::uint32_t>(batch));
                if (rc != 0) return rc;
                done += batch;
            }
            return 0;
        }

        /// Closes the libBigWig handle (which finishes the file) and checks the result.
        void finish() {
            if (file == nullptr) return;
            bool placeholder_ok = true;
            if (!stored_any && !failed) {
                // libBigWig writes no data index for a file without data; store one
                // 0-valued base, which reads back exactly like no data.
                for (const auto& [name, len] : chromosomes) {
                    if (len == 0) continue;
                    const std::uint32_t start = 0, end = 1;
                    const float zero = 0.0f;
                    placeholder_ok = add_intervals(name, &start, &end, &zero, 1) == 0;
                    break;
                }
            }
            bigWigFile_t* closing = file;
            file = nullptr;
            bwClose(closing);
            if (failed || !placeholder_ok || !complete()) {
                throw io_error(attrprior::detail::concat(
                    "BigWigWriter::close: libBigWig could not finish '", path,
                    "'; the file is incomplete (disk full or not writable?)"));
            }
        }

        /// True if the file starts and ends with the bigWig signature: libBigWig writes the
        /// trailing one as the last step of a successful finish, and a short write (disk
        /// full at fclose) would leave the end missing.
        bool complete() const {
            std::ifstream in(path, std::ios::binary);
            unsigned char head[4] = {0, 0, 0, 0}, tail[4] = {0, 0, 0, 0};
            if (!in.read(reinterpret_cast<char*>(head), 4)) return false;
            if (!in.seekg(-4, std::ios::end) || !in.read(reinterpret_cast<char*>(tail), 4)) {
                return false;
            }
            return detail::bigwig_le(head, 4) == BIGWIG_MAGIC &&
                   detail::bigwig_le(tail, 4) == BIGWIG_MAGIC;
        }

        /// Closes a file whose header could not be written and removes it (only if it is a
        /// regular file: `path` may name a device such as /dev/null).
        void abandon() noexcept {
            bigWigFile_t* closing = file;
            file = nullptr;
            bwClose(closing);
            std::error_code ec;
            if (std::filesystem::is_regular_file(path, ec)) std::filesystem::remove(path, ec);
        }
    };

    State& state() {
        if (!state_) {
            throw invalid_argument("BigWigWriter: use of a moved-from BigWigWriter object");
        }
        return *state_;
    }

    std::unique_ptr<State> state_;
};

}  // namespace attrprior::genomics
