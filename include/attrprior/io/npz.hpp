// Reading and writing NumPy .npz archives (a zip file of .npy members), as np.savez and
// np.load use them. Format choices (stored members, ZIP64, crash safety) are explained in
// docs/io.md.
//
// Writing: NpzWriter streams members chunk by chunk into a temporary file next to the
// target and renames it onto the target only when close() succeeds, so an interrupted run
// never leaves a file that looks complete. Members are stored uncompressed; each member's
// bytes are exactly what write_npy writes (np.load reads them).
//
// Reading: read_npz reads one member with read_npy's dtype conversion rules; list_npz
// lists the members. Stored members are always readable; deflated members
// (np.savez_compressed) need zlib: define ATTRPRIOR_HAS_ZLIB and link zlib (the
// attrprior::genomics target does both). Without it, a deflated member is an io_error
// that says so. ZIP64 archives are read and, past 4 GiB, written.
//
// Every error message names the file (and the member) and the problem.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ios>
#include <istream>
#include <limits>
#include <memory>
#include <random>
#include <streambuf>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/io/npy.hpp"

#if !defined(_WIN32)
#include <sys/types.h>  // off_t for fseeko/ftello
#endif

#if defined(ATTRPRIOR_HAS_ZLIB)
#include <zlib.h>
#endif

namespace attrprior::io {

namespace detail {

// ---------------------------------------------------------------------------------------
// CRC-32 (the zip polynomial 0xEDB88320, reflected), one 256-entry table.

constexpr std::array<std::uint32_t, 256> make_crc32_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
        table[i] = c;
    }
    return table;
}

inline constexpr std::array<std::uint32_t, 256> crc32_table = make_crc32_table();

/// The CRC-32 of the bytes seen so far (`crc`, 0 for none) extended by n more bytes.
inline std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint32_t c = ~crc;
    for (std::size_t i = 0; i < n; ++i) c = crc32_table[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
    return ~c;
}

// ---------------------------------------------------------------------------------------
// Zip layout constants (PKWARE APPNOTE.TXT 6.3).

inline constexpr std::uint32_t zip_local_signature = 0x04034b50;
inline constexpr std::uint32_t zip_central_signature = 0x02014b50;
inline constexpr std::uint32_t zip_end_signature = 0x06054b50;
inline constexpr std::uint32_t zip64_end_signature = 0x06064b50;
inline constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
inline constexpr std::size_t zip_local_header_size = 30;
inline constexpr std::size_t zip_central_header_size = 46;
inline constexpr std::size_t zip_end_size = 22;
inline constexpr std::size_t zip64_end_size = 56;
inline constexpr std::size_t zip64_locator_size = 20;
inline constexpr std::uint16_t zip64_extra_tag = 0x0001;
inline constexpr std::uint16_t zip_flag_encrypted = 0x0001;
inline constexpr std::uint16_t zip_flag_utf8 = 0x0800;
inline constexpr std::uint16_t zip_method_stored = 0;
inline constexpr std::uint16_t zip_method_deflated = 8;
inline constexpr std::uint16_t zip_version_default = 20;  // 2.0: stored/deflated
inline constexpr std::uint16_t zip_version_zip64 = 45;    // 4.5: ZIP64 extensions
// 1980-01-01 00:00 (the earliest DOS date): fixed so that equal content gives equal bytes.
inline constexpr std::uint16_t zip_dos_time = 0;
inline constexpr std::uint16_t zip_dos_date = (0 << 9) | (1 << 5) | 1;

/// Where the writer switches a field to ZIP64. The zip format reserves 0xFFFFFFFF (and
/// 0xFFFF for entry counts) to mean "see the ZIP64 record", so a value equal to the
/// sentinel needs ZIP64 as well. Tests lower `threshold` to force ZIP64 on small data.
struct ZipLimits {
    std::uint64_t threshold = 0xFFFFFFFFu;

    bool needs_zip64(std::uint64_t value) const { return value >= threshold; }
    bool count_needs_zip64(std::uint64_t count) const {
        return count >= (threshold < 0xFFFFu ? threshold : 0xFFFFu);
    }
};

inline void put_le(std::string& out, std::uint64_t value, int nbytes) {
    for (int i = 0; i < nbytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFFu);
}

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Seeks to an absolute 64-bit offset (std::fseek takes a long, 32 bits on some systems).
inline bool seek_absolute(std::FILE* f, std::uint64_t offset) {
#if defined(_WIN32)
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) return false;
    return _fseeki64(f, static_cast<long long>(offset), SEEK_SET) == 0;
#else
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) return false;
    return fseeko(f, static_cast<off_t>(offset), SEEK_SET) == 0;
#endif
}

/// The size of an open file, or -1.
inline std::int64_t file_size_of(std::FILE* f) {
#if defined(_WIN32)
    if (_fseeki64(f, 0, SEEK_END) != 0) return -1;
    return _ftelli64(f);
#else
    if (fseeko(f, 0, SEEK_END) != 0) return -1;
    return static_cast<std::int64_t>(ftello(f));
#endif
}

inline std::string errno_text(int err) {
    return err != 0 ? concat(" (", std::strerror(err), ")") : std::string();
}

/// The key np.load shows for a member: its name without the ".npy" that np.savez adds.
inline std::string npz_key(const std::string& entry_name) {
    const std::string suffix = ".npy";
    if (entry_name.size() > suffix.size() &&
        entry_name.compare(entry_name.size() - suffix.size(), suffix.size(), suffix) == 0)
        return entry_name.substr(0, entry_name.size() - suffix.size());
    return entry_name;
}

}  // namespace detail

// =======================================================================================
// Writer

/// Writes a .npz archive member by member, each member's values in any number of chunks:
///
///     io::NpzWriter out("scores.npz");
///     out.begin<float>("arr_0", {n, 4, length});
///     for (...) out.append(chunk.data(), chunk.size());   // C order, in sequence
///     out.end();                                          // checks the count
///     out.close();                                        // scores.npz appears here
///
/// Data go to a temporary file in the target's directory, renamed onto `path` by a
/// successful close(); the destructor of a writer that was not closed removes it, so a
/// failure or crash never leaves a file under `path` that looks complete (docs/io.md).
/// Usage errors throw invalid_argument; failed writes (disk full, ...) throw io_error and
/// leave the writer unusable.
class NpzWriter {
public:
    explicit NpzWriter(std::string path) : NpzWriter(std::move(path), detail::ZipLimits{}) {}

    /// As NpzWriter(path) with the ZIP64 switch-over of `limits` (tests force ZIP64 on
    /// small data with a low threshold).
    NpzWriter(std::string path, detail::ZipLimits limits)
        : path_(std::move(path)), limits_(limits) {
        detail::check_little_endian_host();
        open_temp();
    }

    NpzWriter(const NpzWriter&) = delete;
    NpzWriter& operator=(const NpzWriter&) = delete;

    /// Removes the temporary file unless close() succeeded; never throws.
    ~NpzWriter() { abandon(); }

    /// The archive's final path.
    const std::string& path() const { return path_; }
    /// The temporary file written until close() (empty once closed or abandoned).
    const std::string& temp_path() const { return temp_path_; }

    /// Starts member `name` (stored as "<name>.npy", np.load's key `name`) of element type
    /// T (float, double, int8, uint8, int32, int64 or bool) and the given C-ordered shape.
    template <class T>
    void begin(const std::string& name, const std::vector<Index>& shape) {
        constexpr NpyType type = detail::npy_type_of<T>();
        begin_member(name, type, shape);
    }

    /// Appends the next `count` values of the current member (T must be its type).
    template <class T>
    void append(const T* data, Index count) {
        constexpr NpyType type = detail::npy_type_of<T>();
        check_usable("append");
        if (!in_member_) throw usage("append() without begin()");
        if (type != member_type_) {
            throw usage(detail::concat("append() of ", detail::type_name<T>(), " values to member '",
                                       member_name_, "' of dtype '",
                                       detail::npy_descr(member_type_), "'"));
        }
        if (count < 0) throw usage(detail::concat("append() with count ", count, " < 0"));
        if (count > 0 && data == nullptr) throw usage("append() with null data");
        const auto n = static_cast<std::uint64_t>(count);
        const std::uint64_t left = (member_data_bytes_ - member_written_) / sizeof(T);
        if (n > left) {
            throw usage(detail::concat("member '", member_name_, "' of shape ",
                                       detail::shape_repr(member_shape_), " takes ", left,
                                       " more values, append() got ", count));
        }
        if constexpr (std::is_same_v<T, bool>) {
            // bool's object representation is not guaranteed to be 0/1 bytes: write 0/1.
            unsigned char bytes[4096];
            for (std::uint64_t done = 0; done < n;) {
                const std::size_t k = static_cast<std::size_t>(
                    std::min<std::uint64_t>(sizeof bytes, n - done));
                for (std::size_t i = 0; i < k; ++i) bytes[i] = data[done + i] ? 1 : 0;
                write_member_bytes(bytes, k);
                done += k;
            }
        } else {
            write_member_bytes(data, static_cast<std::size_t>(n) * sizeof(T));
        }
    }

    /// Finishes the current member; throws invalid_argument unless exactly the product of
    /// its shape values were appended (the member then stays open for more appends).
    void end() {
        check_usable("end");
        if (!in_member_) throw usage("end() without begin()");
        if (member_written_ != member_data_bytes_) {
            const std::size_t item = detail::npy_itemsize(member_type_);
            throw usage(detail::concat("member '", member_name_, "' of shape ",
                                       detail::shape_repr(member_shape_), " needs ",
                                       member_data_bytes_ / item, " values but ",
                                       member_written_ / item, " were appended"));
        }
        // The local header was written before the data with a zero CRC; patch it now.
        std::string crc;
        detail::put_le(crc, member_crc_, 4);
        seek_or_fail(entries_.back().local_offset + 14);
        write_raw(crc.data(), crc.size());
        seek_or_fail(position_);
        entries_.back().crc = member_crc_;
        in_member_ = false;
    }

    /// Writes the central directory and renames the temporary file onto path().
    void close() {
        check_usable("close");
        if (in_member_) throw usage(detail::concat("close() while member '", member_name_,
                                                   "' is not ended"));
        write_directory();
        std::FILE* f = file_.release();
        errno = 0;
        if (std::fclose(f) != 0) fail_io("cannot finish writing", errno);
        std::error_code ec;
        std::filesystem::rename(temp_path_, path_, ec);
        if (ec) {
            broken_ = true;
            throw io_error(detail::concat("NpzWriter: '", path_, "': cannot rename '",
                                          temp_path_, "' onto it (", ec.message(), ")"));
        }
        temp_path_.clear();
        closed_ = true;
    }

private:
    struct Entry {
        std::string name;  // stored name, with ".npy"
        std::uint64_t local_offset = 0;
        std::uint64_t size = 0;  // stored: compressed size == uncompressed size
        std::uint32_t crc = 0;
    };

    invalid_argument usage(const std::string& problem) const {
        return invalid_argument(detail::concat("NpzWriter: '", path_, "': ", problem));
    }

    void check_usable(const char* call) const {
        if (closed_) throw usage(detail::concat(call, "() after close()"));
        if (broken_) throw usage(detail::concat(call, "() after a failed write"));
    }

    [[noreturn]] void fail_io(const std::string& what, int err) {
        broken_ = true;
        throw io_error(detail::concat("NpzWriter: '", path_, "': ", what, " '", temp_path_, "'",
                                      detail::errno_text(err)));
    }

    void open_temp() {
        // A unique name in the target's directory (so the final rename stays on one file
        // system), created exclusively ("x") so two writers never share it.
        std::random_device device;
        std::mt19937_64 bits(
            (static_cast<std::uint64_t>(device()) << 32) ^
            static_cast<std::uint64_t>(
                std::chrono::steady_clock::now().time_since_epoch().count()) ^
            reinterpret_cast<std::uintptr_t>(this));
        for (int attempt = 0; attempt < 100; ++attempt) {
            char suffix[32];
            std::snprintf(suffix, sizeof suffix, ".tmp-%016llx",
                          static_cast<unsigned long long>(bits()));
            temp_path_ = path_ + suffix;
            errno = 0;
            file_.reset(std::fopen(temp_path_.c_str(), "wbx"));
            if (file_) return;
            if (errno != EEXIST) break;
        }
        const int err = errno;
        const std::string tried = temp_path_;
        temp_path_.clear();
        throw io_error(detail::concat("NpzWriter: '", path_, "': cannot create the temporary file '",
                                      tried, "'", detail::errno_text(err)));
    }

    void abandon() noexcept {
        file_.reset();
        if (!temp_path_.empty()) {
            std::remove(temp_path_.c_str());
            temp_path_.clear();
        }
    }

    void write_raw(const void* data, std::size_t n) {
        if (n == 0) return;
        errno = 0;
        if (std::fwrite(data, 1, n, file_.get()) != n) fail_io("cannot write", errno);
    }

    void write_bytes(const std::string& bytes) {
        write_raw(bytes.data(), bytes.size());
        position_ += bytes.size();
    }

    void write_member_bytes(const void* data, std::size_t n) {
        write_raw(data, n);
        position_ += n;
        member_written_ += n;
        member_crc_ = detail::crc32_update(member_crc_, data, n);
    }

    void seek_or_fail(std::uint64_t offset) {
        errno = 0;
        if (!detail::seek_absolute(file_.get(), offset)) fail_io("cannot seek in", errno);
    }

    void begin_member(const std::string& name, NpyType type, const std::vector<Index>& shape) {
        check_usable("begin");
        if (in_member_) {
            throw usage(detail::concat("begin('", name, "') while member '", member_name_,
                                       "' is not ended"));
        }
        if (name.empty()) throw usage("member name is empty");
        if (name.find('\0') != std::string::npos) throw usage("member name contains a NUL byte");
        const std::string stored_name = name + ".npy";
        if (stored_name.size() > 0xFFFFu) throw usage("member name is too long");
        for (const Entry& e : entries_) {
            if (e.name == stored_name) throw usage(detail::concat("duplicate member '", name, "'"));
        }
        const Index count = detail::checked_write_count(path_, shape, "NpzWriter");
        const std::string header = detail::make_npy_header(type, shape);
        const std::uint64_t item = detail::npy_itemsize(type);
        const auto n = static_cast<std::uint64_t>(count);
        if (n > (std::numeric_limits<std::uint64_t>::max() - header.size()) / item)
            throw usage(detail::concat("shape ", detail::shape_repr(shape), " is too large"));
        const std::uint64_t size = header.size() + n * item;

        Entry entry;
        entry.name = stored_name;
        entry.local_offset = position_;
        entry.size = size;
        const bool zip64_sizes = limits_.needs_zip64(size);
        const bool zip64_offset = limits_.needs_zip64(entry.local_offset);

        // Local header; the sizes are known from the shape, only the CRC is patched in end().
        std::string local;
        detail::put_le(local, detail::zip_local_signature, 4);
        detail::put_le(local, (zip64_sizes || zip64_offset) ? detail::zip_version_zip64
                                                            : detail::zip_version_default, 2);
        detail::put_le(local, flags_for(stored_name), 2);
        detail::put_le(local, detail::zip_method_stored, 2);
        detail::put_le(local, detail::zip_dos_time, 2);
        detail::put_le(local, detail::zip_dos_date, 2);
        detail::put_le(local, 0, 4);  // CRC-32, patched by end()
        detail::put_le(local, zip64_sizes ? 0xFFFFFFFFu : size, 4);  // compressed
        detail::put_le(local, zip64_sizes ? 0xFFFFFFFFu : size, 4);  // uncompressed
        detail::put_le(local, stored_name.size(), 2);
        detail::put_le(local, zip64_sizes ? 20 : 0, 2);
        local += stored_name;
        if (zip64_sizes) {  // the local ZIP64 field holds both sizes (APPNOTE 4.5.3)
            detail::put_le(local, detail::zip64_extra_tag, 2);
            detail::put_le(local, 16, 2);
            detail::put_le(local, size, 8);  // uncompressed
            detail::put_le(local, size, 8);  // compressed
        }
        entries_.push_back(entry);
        write_bytes(local);

        in_member_ = true;
        member_name_ = name;
        member_type_ = type;
        member_shape_ = shape;
        member_data_bytes_ = n * item;
        member_written_ = 0;
        member_crc_ = detail::crc32_update(0, header.data(), header.size());
        write_bytes(header);
    }

    static std::uint16_t flags_for(const std::string& name) {
        for (char c : name) {
            if (static_cast<unsigned char>(c) >= 0x80) return detail::zip_flag_utf8;
        }
        return 0;
    }

    void write_directory() {
        const std::uint64_t directory_offset = position_;
        std::string directory;
        for (const Entry& e : entries_) {
            const bool zip64_sizes = limits_.needs_zip64(e.size);
            const bool zip64_offset = limits_.needs_zip64(e.local_offset);
            std::string extra;
            if (zip64_sizes || zip64_offset) {
                // Only the fields whose header value is 0xFFFFFFFF, in this order.
                std::string fields;
                if (zip64_sizes) {
                    detail::put_le(fields, e.size, 8);  // uncompressed
                    detail::put_le(fields, e.size, 8);  // compressed
                }
                if (zip64_offset) detail::put_le(fields, e.local_offset, 8);
                detail::put_le(extra, detail::zip64_extra_tag, 2);
                detail::put_le(extra, fields.size(), 2);
                extra += fields;
            }
            const std::uint16_t version = (zip64_sizes || zip64_offset)
                                              ? detail::zip_version_zip64
                                              : detail::zip_version_default;
            detail::put_le(directory, detail::zip_central_signature, 4);
            detail::put_le(directory, version, 2);  // made by (host 0: MS-DOS attributes)
            detail::put_le(directory, version, 2);  // needed to extract
            detail::put_le(directory, flags_for(e.name), 2);
            detail::put_le(directory, detail::zip_method_stored, 2);
            detail::put_le(directory, detail::zip_dos_time, 2);
            detail::put_le(directory, detail::zip_dos_date, 2);
            detail::put_le(directory, e.crc, 4);
            detail::put_le(directory, zip64_sizes ? 0xFFFFFFFFu : e.size, 4);
            detail::put_le(directory, zip64_sizes ? 0xFFFFFFFFu : e.size, 4);
            detail::put_le(directory, e.name.size(), 2);
            detail::put_le(directory, extra.size(), 2);
            detail::put_le(directory, 0, 2);  // comment length
            detail::put_le(directory, 0, 2);  // disk number
            detail::put_le(directory, 0, 2);  // internal attributes
            detail::put_le(directory, 0, 4);  // external attributes
            detail::put_le(directory, zip64_offset ? 0xFFFFFFFFu : e.local_offset, 4);
            directory += e.name;
            directory += extra;
        }
        write_bytes(directory);

        const std::uint64_t count = entries_.size();
        const std::uint64_t directory_size = directory.size();
        const bool zip64_count = limits_.count_needs_zip64(count);
        const bool zip64_size = limits_.needs_zip64(directory_size);
        const bool zip64_offset = limits_.needs_zip64(directory_offset);
        std::string end;
        if (zip64_count || zip64_size || zip64_offset) {
            const std::uint64_t record_offset = position_;
            detail::put_le(end, detail::zip64_end_signature, 4);
            detail::put_le(end, detail::zip64_end_size - 12, 8);  // size of the rest
            detail::put_le(end, detail::zip_version_zip64, 2);
            detail::put_le(end, detail::zip_version_zip64, 2);
            detail::put_le(end, 0, 4);  // this disk
            detail::put_le(end, 0, 4);  // disk with the directory
            detail::put_le(end, count, 8);
            detail::put_le(end, count, 8);
            detail::put_le(end, directory_size, 8);
            detail::put_le(end, directory_offset, 8);
            detail::put_le(end, detail::zip64_locator_signature, 4);
            detail::put_le(end, 0, 4);  // disk with the ZIP64 end record
            detail::put_le(end, record_offset, 8);
            detail::put_le(end, 1, 4);  // total number of disks
        }
        detail::put_le(end, detail::zip_end_signature, 4);
        detail::put_le(end, 0, 2);  // this disk
        detail::put_le(end, 0, 2);  // disk with the directory
        detail::put_le(end, zip64_count ? 0xFFFFu : count, 2);
        detail::put_le(end, zip64_count ? 0xFFFFu : count, 2);
        detail::put_le(end, zip64_size ? 0xFFFFFFFFu : directory_size, 4);
        detail::put_le(end, zip64_offset ? 0xFFFFFFFFu : directory_offset, 4);
        detail::put_le(end, 0, 2);  // comment length
        write_bytes(end);
    }

    std::string path_;
    std::string temp_path_;
    detail::ZipLimits limits_;
    detail::FilePtr file_;
    std::uint64_t position_ = 0;  // bytes written so far = offset of the next record
    std::vector<Entry> entries_;
    bool closed_ = false;
    bool broken_ = false;

    bool in_member_ = false;
    std::string member_name_;
    NpyType member_type_ = NpyType::float32;
    std::vector<Index> member_shape_;
    std::uint64_t member_data_bytes_ = 0;
    std::uint64_t member_written_ = 0;
    std::uint32_t member_crc_ = 0;
};

/// Writes one C-ordered array as member `member` of a new archive `path` (np.load(path)
/// [member] reads it back). Throws as NpzWriter does.
template <class T>
void write_npz(const std::string& path, const T* data, const std::vector<Index>& shape,
               const std::string& member = "arr_0") {
    const Index count = detail::checked_write_count(path, shape, "write_npz");
    if (count > 0 && data == nullptr) {
        throw invalid_argument(detail::concat("write_npz: '", path, "': data is null for shape ",
                                              detail::shape_repr(shape)));
    }
    NpzWriter out(path);
    out.begin<T>(member, shape);
    out.append(data, count);
    out.end();
    out.close();
}

// =======================================================================================
// Reader

namespace detail {

/// One entry of a zip central directory, with ZIP64 values resolved.
struct ZipEntry {
    std::string name;
    std::uint16_t flags = 0;
    std::uint16_t method = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t size = 0;
    std::uint64_t local_offset = 0;
};

struct ZipDirectory {
    std::uint64_t file_size = 0;
    std::uint64_t directory_offset = 0;  // members' data lie before it
    std::vector<ZipEntry> entries;
};

/// Reads exactly n bytes at offset; false on a short read.
inline bool read_at(std::FILE* f, std::uint64_t offset, void* out, std::size_t n) {
    if (!seek_absolute(f, offset)) return false;
    return std::fread(out, 1, n, f) == n;
}

inline std::uint64_t le_at(const std::vector<unsigned char>& bytes, std::size_t pos, int n) {
    return read_le(bytes.data() + pos, n);
}

/// Parses the end records and the central directory of the zip file f.
inline ZipDirectory read_zip_directory(std::FILE* f, const std::string& path) {
    auto fail = [&](const std::string& problem) {
        return io_error(concat("read_npz: '", path, "': ", problem));
    };
    const std::int64_t signed_size = file_size_of(f);
    if (signed_size < 0) throw fail("cannot determine the file size");
    ZipDirectory dir;
    dir.file_size = static_cast<std::uint64_t>(signed_size);

    // The end record is the last 22 bytes plus a comment of at most 65535 bytes.
    const std::uint64_t tail_size =
        std::min<std::uint64_t>(dir.file_size, zip_end_size + 0xFFFFu);
    std::vector<unsigned char> tail(static_cast<std::size_t>(tail_size));
    if (!read_at(f, dir.file_size - tail_size, tail.data(), tail.size()))
        throw fail("read error at the end of the file");
    std::size_t end_pos = tail.size();  // not found
    for (std::size_t i = tail.size() >= zip_end_size ? tail.size() - zip_end_size + 1 : 0;
         i-- > 0;) {
        if (le_at(tail, i, 4) == zip_end_signature &&
            i + zip_end_size + le_at(tail, i + 20, 2) <= tail.size()) {
            end_pos = i;
            break;
        }
    }
    if (end_pos == tail.size()) {
        unsigned char head[6] = {};
        const bool have_head = read_at(f, 0, head, sizeof head);
        if (have_head && std::memcmp(head, "\x93NUMPY", 6) == 0)
            throw fail("not a zip file: this is a .npy file (read it with read_npy)");
        if (have_head && std::memcmp(head, "PK\x03\x04", 4) == 0) {
            throw fail(concat("truncated archive: it starts like a zip file but its ",
                              dir.file_size, " bytes have no end-of-central-directory record "
                              "(cut short, or still being written?)"));
        }
        throw fail("not a zip file (no end-of-central-directory record)");
    }
    const std::uint64_t end_offset = dir.file_size - tail_size + end_pos;
    std::uint64_t count = le_at(tail, end_pos + 10, 2);
    std::uint64_t directory_size = le_at(tail, end_pos + 12, 4);
    dir.directory_offset = le_at(tail, end_pos + 16, 4);
    std::uint64_t records_start = end_offset;  // the directory must end before this
    if (le_at(tail, end_pos + 4, 2) != 0 || le_at(tail, end_pos + 6, 2) != 0 ||
        le_at(tail, end_pos + 8, 2) != count)
        throw fail("multi-disk (split) zip archives are not supported");

    // A ZIP64 locator right before the end record points at the ZIP64 end record.
    if (end_offset >= zip64_locator_size) {
        std::vector<unsigned char> locator(zip64_locator_size);
        if (!read_at(f, end_offset - zip64_locator_size, locator.data(), locator.size()))
            throw fail("read error in the ZIP64 end locator");
        if (le_at(locator, 0, 4) == zip64_locator_signature) {
            const std::uint64_t record_offset = le_at(locator, 8, 8);
            std::vector<unsigned char> record(zip64_end_size);
            if (record_offset > end_offset - zip64_locator_size - zip64_end_size ||
                !read_at(f, record_offset, record.data(), record.size()) ||
                le_at(record, 0, 4) != zip64_end_signature) {
                throw fail(concat("corrupt archive: no ZIP64 end record at offset ",
                                  record_offset, " where the locator points"));
            }
            count = le_at(record, 32, 8);
            directory_size = le_at(record, 40, 8);
            dir.directory_offset = le_at(record, 48, 8);
            records_start = record_offset;
        }
    }
    if (dir.directory_offset > records_start ||
        directory_size > records_start - dir.directory_offset) {
        throw fail(concat("truncated or corrupt archive: the central directory (", directory_size,
                          " bytes at offset ", dir.directory_offset,
                          ") does not fit before the end record at offset ", records_start));
    }

    std::vector<unsigned char> cd(static_cast<std::size_t>(directory_size));
    if (!read_at(f, dir.directory_offset, cd.data(), cd.size()))
        throw fail("read error in the central directory");
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (pos + zip_central_header_size > cd.size() ||
            le_at(cd, pos, 4) != zip_central_signature) {
            throw fail(concat("corrupt central directory: entry ", i, " of ", count,
                              " is missing or damaged"));
        }
        ZipEntry e;
        e.flags = static_cast<std::uint16_t>(le_at(cd, pos + 8, 2));
        e.method = static_cast<std::uint16_t>(le_at(cd, pos + 10, 2));
        e.crc = static_cast<std::uint32_t>(le_at(cd, pos + 16, 4));
        e.compressed_size = le_at(cd, pos + 20, 4);
        e.size = le_at(cd, pos + 24, 4);
        const std::size_t name_len = static_cast<std::size_t>(le_at(cd, pos + 28, 2));
        const std::size_t extra_len = static_cast<std::size_t>(le_at(cd, pos + 30, 2));
        const std::size_t comment_len = static_cast<std::size_t>(le_at(cd, pos + 32, 2));
        e.local_offset = le_at(cd, pos + 42, 4);
        const std::size_t name_pos = pos + zip_central_header_size;
        if (name_pos + name_len + extra_len + comment_len > cd.size())
            throw fail(concat("corrupt central directory: entry ", i, " overruns it"));
        e.name.assign(reinterpret_cast<const char*>(cd.data() + name_pos), name_len);

        // ZIP64 extra field: 8-byte values for the 0xFFFFFFFF fields, in this order.
        std::size_t x = name_pos + name_len;
        const std::size_t extra_end = x + extra_len;
        while (x + 4 <= extra_end) {
            const std::uint64_t tag = le_at(cd, x, 2), len = le_at(cd, x + 2, 2);
            if (x + 4 + len > extra_end) break;  // a damaged extra field: ignore the rest
            if (tag == zip64_extra_tag) {
                std::size_t v = x + 4;
                auto take = [&](std::uint64_t& field, const char* what) {
                    if (field != 0xFFFFFFFFu) return;
                    if (v + 8 > x + 4 + len) {
                        throw fail(concat("corrupt ZIP64 extra field of member '", e.name,
                                          "': no ", what));
                    }
                    field = le_at(cd, v, 8);
                    v += 8;
                };
                take(e.size, "uncompressed size");
                take(e.compressed_size, "compressed size");
                take(e.local_offset, "local header offset");
            }
            x += 4 + static_cast<std::size_t>(len);
        }
        dir.entries.push_back(std::move(e));
        pos = extra_end + comment_len;
    }
    return dir;
}

inline std::string member_list(const ZipDirectory& dir) {
    std::string out;
    for (const ZipEntry& e : dir.entries) {
        if (!out.empty()) out += ", ";
        out += "'" + npz_key(e.name) + "'";
    }
    return out.empty() ? std::string("none") : out;
}

/// Streams one member's uncompressed bytes (inflating if needed) and computes their
/// CRC-32 on the way. A read problem is recorded (error()) and ends the stream, so the
/// caller can report it whatever the istream does with exceptions.
class ZipMemberBuffer : public std::streambuf {
public:
    ZipMemberBuffer(std::FILE* f, const ZipEntry& entry) : f_(f), entry_(entry) {
        out_.resize(1 << 16);
        compressed_left_ = entry.compressed_size;
        size_left_ = entry.size;
#if defined(ATTRPRIOR_HAS_ZLIB)
        if (entry.method == zip_method_deflated) {
            in_.resize(1 << 16);
            std::memset(&zs_, 0, sizeof zs_);
            // Negative window bits: a raw deflate stream, as zip stores it.
            if (inflateInit2(&zs_, -MAX_WBITS) != Z_OK)
                error_ = "cannot initialise zlib's inflate";
            else
                zs_open_ = true;
        }
#endif
    }
    ZipMemberBuffer(const ZipMemberBuffer&) = delete;
    ZipMemberBuffer& operator=(const ZipMemberBuffer&) = delete;
    ~ZipMemberBuffer() override {
#if defined(ATTRPRIOR_HAS_ZLIB)
        if (zs_open_) inflateEnd(&zs_);
#endif
    }

    std::uint32_t crc() const { return crc_; }
    std::uint64_t produced() const { return entry_.size - size_left_; }
    const std::string& error() const { return error_; }

    /// Reads and checksums whatever the consumer left unread.
    void drain() {
        while (underflow() != traits_type::eof()) setg(eback(), egptr(), egptr());
    }

protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        if (size_left_ == 0 || !error_.empty()) return traits_type::eof();
        const std::size_t n = entry_.method == zip_method_stored ? fill_stored() : fill_inflated();
        if (n == 0) return traits_type::eof();
        crc_ = crc32_update(crc_, out_.data(), n);
        size_left_ -= n;
        setg(out_.data(), out_.data(), out_.data() + n);
        return traits_type::to_int_type(out_[0]);
    }

private:
    std::size_t fill_stored() {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out_.size(), size_left_));
        errno = 0;
        const std::size_t got = std::fread(out_.data(), 1, n, f_);
        if (got != n) {
            error_ = concat("read error in the member data", errno_text(errno));
            return 0;
        }
        return n;
    }

    std::size_t fill_inflated() {
#if defined(ATTRPRIOR_HAS_ZLIB)
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(out_.size(), size_left_));
        zs_.next_out = reinterpret_cast<Bytef*>(out_.data());
        zs_.avail_out = static_cast<uInt>(want);
        while (zs_.avail_out > 0) {
            if (zs_.avail_in == 0 && compressed_left_ > 0) {
                const auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), compressed_left_));
                errno = 0;
                if (std::fread(in_.data(), 1, n, f_) != n) {
                    error_ = concat("read error in the compressed member data", errno_text(errno));
                    return 0;
                }
                compressed_left_ -= n;
                zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
                zs_.avail_in = static_cast<uInt>(n);
            }
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) break;
            if (rc == Z_BUF_ERROR && zs_.avail_in == 0 && compressed_left_ == 0) {
                error_ = "the deflate stream is cut short";
                return 0;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                error_ = concat("corrupt deflate data (zlib: ",
                                zs_.msg != nullptr ? zs_.msg : zError(rc), ")");
                return 0;
            }
        }
        const std::size_t n = want - zs_.avail_out;
        if (n < want) {
            error_ = concat("the deflate stream ends after ", produced() + n,
                            " bytes, before the member's size of ", entry_.size);
        }
        return n;
#else
        error_ = "deflated members need zlib";
        return 0;
#endif
    }

    std::FILE* f_;
    const ZipEntry& entry_;
    std::vector<char> out_;
    std::uint64_t compressed_left_ = 0;
    std::uint64_t size_left_ = 0;
    std::uint32_t crc_ = 0;
    std::string error_;
#if defined(ATTRPRIOR_HAS_ZLIB)
    std::vector<char> in_;
    z_stream zs_;
    bool zs_open_ = false;
#endif
};

inline FilePtr open_for_reading(const std::string& path) {
    errno = 0;
    FilePtr f(std::fopen(path.c_str(), "rb"));
    if (!f) {
        const int err = errno;
        throw io_error(concat("read_npz: '", path, "': cannot open file for reading",
                              errno_text(err)));
    }
    return f;
}

template <class T>
NpyArray<T> read_npz_impl(const std::string& path, const std::string& member,
                          const std::vector<Index>* expected) {
    static_assert(std::is_arithmetic_v<T>, "read_npz: T must be an arithmetic type");
    auto fail = [&](const std::string& problem) {
        return io_error(concat("read_npz: '", path, "': ", problem));
    };
    FilePtr f = open_for_reading(path);
    const ZipDirectory dir = read_zip_directory(f.get(), path);

    // np.load's lookup: the key names "<key>.npy", or else an entry of exactly that name.
    const ZipEntry* entry = nullptr;
    for (const ZipEntry& e : dir.entries) {
        if (e.name == member + ".npy") entry = &e;
    }
    for (const ZipEntry& e : dir.entries) {
        if (entry == nullptr && e.name == member) entry = &e;
    }
    if (entry == nullptr) {
        throw fail(concat("no member '", member, "' (members: ", member_list(dir), ")"));
    }
    const std::string& name = entry->name;
    if (entry->flags & zip_flag_encrypted)
        throw fail(concat("member '", name, "' is encrypted, which is not supported"));
    if (entry->method == zip_method_deflated) {
#if !defined(ATTRPRIOR_HAS_ZLIB)
        throw fail(concat("member '", name, "' is deflate-compressed (np.savez_compressed) "
                          "but this program was built without zlib: save it with "
                          "numpy.savez (not savez_compressed), or build with zlib "
                          "(link attrprior::genomics, or define ATTRPRIOR_HAS_ZLIB and "
                          "link zlib)"));
#endif
    } else if (entry->method != zip_method_stored) {
        throw fail(concat("member '", name, "' uses unsupported compression method ",
                          entry->method, " (supported: 0 stored, 8 deflated; numpy.savez "
                          "writes stored members)"));
    }
    if (entry->method == zip_method_stored && entry->compressed_size != entry->size) {
        throw fail(concat("corrupt archive: stored member '", name, "' has compressed size ",
                          entry->compressed_size, " but size ", entry->size));
    }

    unsigned char local[zip_local_header_size];
    if (!read_at(f.get(), entry->local_offset, local, sizeof local))
        throw fail(concat("truncated archive: member '", name, "' lies past the end of the file"));
    const std::vector<unsigned char> local_bytes(local, local + sizeof local);
    if (le_at(local_bytes, 0, 4) != zip_local_signature) {
        throw fail(concat("corrupt archive: no local header for member '", name, "' at offset ",
                          entry->local_offset));
    }
    const std::uint64_t name_len = le_at(local_bytes, 26, 2);
    const std::uint64_t extra_len = le_at(local_bytes, 28, 2);
    const std::uint64_t data_offset = entry->local_offset + zip_local_header_size + name_len + extra_len;
    if (data_offset > dir.directory_offset ||
        entry->compressed_size > dir.directory_offset - data_offset) {
        throw fail(concat("truncated or corrupt archive: the data of member '", name, "' (",
                          entry->compressed_size, " bytes at offset ", data_offset,
                          ") overlap the central directory at offset ", dir.directory_offset));
    }
    if (entry->size > static_cast<std::uint64_t>(std::numeric_limits<std::streamoff>::max()))
        throw fail(concat("member '", name, "' is too large"));
    if (!seek_absolute(f.get(), data_offset))
        throw fail(concat("cannot seek to the data of member '", name, "'"));

    ZipMemberBuffer buffer(f.get(), *entry);
    std::istream in(&buffer);
    const std::string context = concat("read_npz: '", path, ":", name, "'");
    auto crc_problem = [&]() {
        return concat("CRC-32 mismatch in member '", name, "' (stored 0x", std::hex,
                      entry->crc, ", computed 0x", buffer.crc(), std::dec,
                      "): the archive is corrupt");
    };
    NpyArray<T> out;
    try {
        out = read_npy_stream<T>(in, static_cast<std::streamoff>(entry->size), context, "member",
                                 expected);
    } catch (const io_error& e) {
        // A corrupt member explains a malformed .npy inside it: report the cause first.
        if (buffer.error().empty()) buffer.drain();
        if (!buffer.error().empty())
            throw fail(concat("member '", name, "': ", buffer.error()));
        if (buffer.crc() != entry->crc) throw fail(concat(crc_problem(), "; ", e.what()));
        throw;
    }
    buffer.drain();
    if (!buffer.error().empty()) throw fail(concat("member '", name, "': ", buffer.error()));
    if (buffer.crc() != entry->crc) throw fail(crc_problem());
    return out;
}

}  // namespace detail

/// The members of the .npz archive `path`, as np.load's `files` shows them (names
/// without ".npy"), in archive order. Throws io_error naming the file.
inline std::vector<std::string> list_npz(const std::string& path) {
    detail::FilePtr f = detail::open_for_reading(path);
    const detail::ZipDirectory dir = detail::read_zip_directory(f.get(), path);
    std::vector<std::string> keys;
    keys.reserve(dir.entries.size());
    for (const detail::ZipEntry& e : dir.entries) keys.push_back(detail::npz_key(e.name));
    return keys;
}

/// Reads member `member` (np.load's key: "<member>.npy" in the archive, or else exactly
/// `member`) of the .npz archive `path`, converting its elements to T as read_npy does.
/// Throws io_error naming the file and the problem: not a zip file, truncated archive,
/// missing member (the message lists those present), CRC mismatch, unsupported
/// compression, encryption, or a malformed .npy ("read_npz: 'path:member': ...").
template <class T>
NpyArray<T> read_npz(const std::string& path, const std::string& member = "arr_0") {
    return detail::read_npz_impl<T>(path, member, nullptr);
}

/// As read_npz(path, member), and throws io_error naming the expected and the actual
/// shape if they differ.
template <class T>
NpyArray<T> read_npz(const std::string& path, const std::string& member,
                     const std::vector<Index>& expected_shape) {
    return detail::read_npz_impl<T>(path, member, &expected_shape);
}

}  // namespace attrprior::io
