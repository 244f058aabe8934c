// Reading and writing NumPy .npy files.
//
// Supports the dense, C-ordered, little-endian arrays that np.save writes for the dtypes
// float32, float64, int8, uint8, int32, int64 and bool, in format versions 1.0, 2.0 and
// 3.0. read_npy converts the stored elements to the requested arithmetic type T and
// throws io_error if an element cannot be represented exactly enough (see read_npy).
// write_npy always writes format version 1.0 (2.0 only if the header would not fit) with
// the data aligned to 64 bytes, as numpy does.
//
// Every error message names the file and the problem.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <ios>
#include <istream>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "attrprior/io/npy.hpp assumes a little-endian host");
#define ATTRPRIOR_NPY_ENDIAN_CHECKED_AT_COMPILE_TIME 1
#else
#define ATTRPRIOR_NPY_ENDIAN_CHECKED_AT_COMPILE_TIME 0
#endif

namespace attrprior::io {

static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4,
              "npy.hpp requires IEEE-754 binary32 float");
static_assert(std::numeric_limits<double>::is_iec559 && sizeof(double) == 8,
              "npy.hpp requires IEEE-754 binary64 double");
static_assert(sizeof(bool) == 1, "npy.hpp requires a one-byte bool");

/// Element types a .npy file may store (all little-endian).
enum class NpyType { float32, float64, int8, uint8, int32, int64, boolean };

/// An array read from a .npy file: C-ordered data with the given shape. A 0-d array has
/// an empty shape and one element.
template <class T>
struct NpyArray {
    std::vector<Index> shape;
    std::vector<T> data;
    NpyType stored_type = NpyType::float64;  ///< dtype the file stored before conversion

    /// Number of elements: the product of shape (1 for a 0-d array).
    Index size() const {
        Index n = 1;
        for (Index d : shape) n *= d;
        return n;
    }
};

namespace detail {

using attrprior::detail::concat;

inline void check_little_endian_host() {
#if !ATTRPRIOR_NPY_ENDIAN_CHECKED_AT_COMPILE_TIME
    const std::uint16_t probe = 1;
    unsigned char first = 0;
    std::memcpy(&first, &probe, 1);
    if (first != 1) throw error("attrprior npy I/O requires a little-endian host");
#endif
}

/// Python repr of a shape tuple: (), (5,), (2, 3).
inline std::string shape_repr(const std::vector<Index>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    s += ")";
    return s;
}

inline const char* npy_descr(NpyType t) {
    switch (t) {
        case NpyType::float32: return "<f4";
        case NpyType::float64: return "<f8";
        case NpyType::int8: return "|i1";
        case NpyType::uint8: return "|u1";
        case NpyType::int32: return "<i4";
        case NpyType::int64: return "<i8";
        case NpyType::boolean: return "|b1";
    }
    return "?";
}

inline std::size_t npy_itemsize(NpyType t) {
    switch (t) {
        case NpyType::float32: return 4;
        case NpyType::float64: return 8;
        case NpyType::int8: return 1;
        case NpyType::uint8: return 1;
        case NpyType::int32: return 4;
        case NpyType::int64: return 8;
        case NpyType::boolean: return 1;
    }
    return 0;
}

template <class S>
struct type_tag {
    using type = S;
};

/// Calls f(type_tag<S>{}) with S the C++ type of the stored elements.
template <class F>
decltype(auto) visit_npy_type(NpyType t, F&& f) {
    switch (t) {
        case NpyType::float32: return f(type_tag<float>{});
        case NpyType::float64: return f(type_tag<double>{});
        case NpyType::int8: return f(type_tag<std::int8_t>{});
        case NpyType::uint8: return f(type_tag<std::uint8_t>{});
        case NpyType::int32: return f(type_tag<std::int32_t>{});
        case NpyType::int64: return f(type_tag<std::int64_t>{});
        case NpyType::boolean: return f(type_tag<bool>{});
    }
    return f(type_tag<double>{});  // unreachable
}

/// The stored type written for T; static_asserts that T is supported.
template <class T>
constexpr NpyType npy_type_of() {
    static_assert(std::is_arithmetic_v<T>, "write_npy: T must be an arithmetic type");
    if constexpr (std::is_same_v<T, bool>) {
        return NpyType::boolean;
    } else if constexpr (std::is_floating_point_v<T>) {
        static_assert(sizeof(T) == 4 || sizeof(T) == 8,
                      "write_npy: only float and double are supported floating types");
        return sizeof(T) == 4 ? NpyType::float32 : NpyType::float64;
    } else if constexpr (std::is_signed_v<T>) {
        static_assert(sizeof(T) == 1 || sizeof(T) == 4 || sizeof(T) == 8,
                      "write_npy: only int8, int32 and int64 are supported signed types");
        return sizeof(T) == 1 ? NpyType::int8
                              : (sizeof(T) == 4 ? NpyType::int32 : NpyType::int64);
    } else {
        static_assert(sizeof(T) == 1, "write_npy: only uint8 is supported as unsigned type");
        return NpyType::uint8;
    }
}

/// True if T has exactly the in-memory representation of stored type S.
template <class T, class S>
constexpr bool same_representation() {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<S, bool>) {
        return false;  // stored bool bytes other than 0/1 must be normalised
    } else {
        return std::is_floating_point_v<T> == std::is_floating_point_v<S> &&
               std::is_signed_v<T> == std::is_signed_v<S> && sizeof(T) == sizeof(S);
    }
}

/// Converts v to T; returns false if the value is not representable in T (out of range,
/// or a non-integral / non-finite floating value converted to an integer type).
template <class T, class S>
bool convert_value(S v, T& out) {
    if constexpr (std::is_same_v<T, bool>) {
        out = (v != S(0));
        return true;
    } else if constexpr (std::is_same_v<S, bool>) {
        out = v ? T(1) : T(0);
        return true;
    } else if constexpr (std::is_floating_point_v<T>) {
        if constexpr (std::is_floating_point_v<S> && (sizeof(S) > sizeof(T))) {
            if (std::isfinite(v) && std::fabs(v) > static_cast<S>(std::numeric_limits<T>::max()))
                return false;
        }
        out = static_cast<T>(v);
        return true;
    } else if constexpr (std::is_floating_point_v<S>) {  // floating -> integral
        if (!std::isfinite(v) || std::trunc(v) != v) return false;
        const long double x = v;
        const long double upper = std::ldexp(1.0L, std::numeric_limits<T>::digits);  // max+1
        const long double lower = std::is_signed_v<T> ? -upper : 0.0L;
        if (x < lower || x >= upper) return false;
        out = static_cast<T>(v);
        return true;
    } else {  // integral -> integral
        if constexpr (std::is_signed_v<S>) {
            if (v < 0) {
                if constexpr (!std::is_signed_v<T>) {
                    return false;
                } else if (static_cast<std::intmax_t>(v) <
                           static_cast<std::intmax_t>(std::numeric_limits<T>::min())) {
                    return false;
                }
                out = static_cast<T>(v);
                return true;
            }
        }
        if (static_cast<std::uintmax_t>(v) >
            static_cast<std::uintmax_t>(std::numeric_limits<T>::max()))
            return false;
        out = static_cast<T>(v);
        return true;
    }
}

template <class T>
std::string type_name() {
    if constexpr (std::is_same_v<T, bool>) return "bool";
    else if constexpr (std::is_floating_point_v<T>)
        return sizeof(T) == 4 ? "float" : (sizeof(T) == 8 ? "double" : "long double");
    else
        return concat(std::is_signed_v<T> ? "int" : "uint", 8 * sizeof(T));
}

/// Parsed content of a .npy header.
struct NpyHeader {
    NpyType type = NpyType::float64;
    std::vector<Index> shape;
};

/// Parses the Python-literal header dict of a .npy file. Throws io_error whose message
/// starts with context ("read_npy: 'path'", or for a member of an archive
/// "read_npz: 'path:member'").
class NpyHeaderParser {
public:
    NpyHeaderParser(const std::string& text, const std::string& context)
        : s_(text), context_(context) {}

    NpyHeader parse() {
        skip_ws();
        if (!consume('{')) fail("header does not start with '{'");
        bool have_descr = false, have_order = false, have_shape = false;
        NpyHeader h;
        for (;;) {
            skip_ws();
            if (at_end()) fail("header dict has no closing brace '}'");
            if (consume('}')) break;
            const std::string key = parse_string("dict key");
            skip_ws();
            if (!consume(':')) fail(concat("expected ':' after key '", key, "'"));
            skip_ws();
            if (key == "descr") {
                if (have_descr) fail("duplicate key 'descr'");
                have_descr = true;
                h.type = parse_descr();
            } else if (key == "fortran_order") {
                if (have_order) fail("duplicate key 'fortran_order'");
                have_order = true;
                if (parse_bool()) {
                    throw io_error(concat(context_,
                                          ": Fortran order not supported; save with "
                                          "np.ascontiguousarray"));
                }
            } else if (key == "shape") {
                if (have_shape) fail("duplicate key 'shape'");
                have_shape = true;
                h.shape = parse_shape();
            } else {
                fail(concat("unexpected key '", key, "' in header"));
            }
            skip_ws();
            if (at_end()) fail("header dict has no closing brace '}'");
            if (consume(',')) continue;
            if (consume('}')) break;
            fail(concat("unexpected character '", s_[pos_], "' in header dict"));
        }
        skip_ws();
        if (!at_end()) fail("unexpected characters after the closing brace of the header");
        if (!have_descr) fail("header is missing key 'descr'");
        if (!have_order) fail("header is missing key 'fortran_order'");
        if (!have_shape) fail("header is missing key 'shape'");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string& problem) const {
        std::string shown = s_.substr(0, 200);
        while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.pop_back();
        if (s_.size() > 200) shown += "...";
        throw io_error(concat(context_, ": malformed header: ", problem,
                              " (header: ", shown, ")"));
    }

    bool at_end() const { return pos_ >= s_.size(); }

    void skip_ws() {
        while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                             s_[pos_] == '\r'))
            ++pos_;
    }

    bool consume(char c) {
        if (!at_end() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    std::string parse_string(const char* what) {
        if (at_end() || (s_[pos_] != '\'' && s_[pos_] != '"'))
            fail(concat("expected a quoted string as ", what));
        const char quote = s_[pos_++];
        const std::size_t start = pos_;
        while (!at_end() && s_[pos_] != quote) {
            if (s_[pos_] == '\\') fail("escape sequences in strings are not supported");
            ++pos_;
        }
        if (at_end()) fail(concat("unterminated string as ", what));
        std::string out = s_.substr(start, pos_ - start);
        ++pos_;
        return out;
    }

    bool parse_bool() {
        if (s_.compare(pos_, 4, "True") == 0) {
            pos_ += 4;
            return true;
        }
        if (s_.compare(pos_, 5, "False") == 0) {
            pos_ += 5;
            return false;
        }
        fail("value of 'fortran_order' must be True or False");
    }

    NpyType parse_descr() {
        if (!at_end() && s_[pos_] == '[') {
            throw io_error(concat(context_,
                                  ": unsupported dtype: structured arrays are not supported"));
        }
        const std::string d = parse_string("value of 'descr'");
        struct Known {
            const char* code;
            NpyType type;
        };
        static const Known known[] = {
            {"f4", NpyType::float32}, {"f8", NpyType::float64}, {"i1", NpyType::int8},
            {"u1", NpyType::uint8},   {"i4", NpyType::int32},   {"i8", NpyType::int64},
            {"b1", NpyType::boolean},
        };
        if (d.size() == 3) {
            const char order = d[0];
            const std::string code = d.substr(1);
            for (const Known& k : known) {
                if (code != k.code) continue;
                if (npy_itemsize(k.type) == 1) {
                    // Byte order is meaningless for one-byte types.
                    if (order == '|' || order == '<' || order == '=' || order == '>')
                        return k.type;
                } else {
                    if (order == '<' || order == '=') return k.type;
                    if (order == '>') {
                        throw io_error(concat(
                            context_, ": big-endian dtype '", d,
                            "' not supported; save with arr.astype('<", code, "')"));
                    }
                }
            }
        }
        throw io_error(concat(context_, ": unsupported dtype '", d,
                              "' (supported: <f4, <f8, |i1, |u1, <i4, <i8, |b1)"));
    }

    Index parse_dim() {
        bool negative = false;
        if (consume('-')) negative = true;
        else consume('+');
        if (at_end() || s_[pos_] < '0' || s_[pos_] > '9')
            fail("unparsable shape: expected an integer dimension");
        Index value = 0;
        bool overflow = false;
        while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') {
            const int digit = s_[pos_++] - '0';
            if (value > (std::numeric_limits<Index>::max() - digit) / 10) overflow = true;
            else value = value * 10 + digit;
        }
        consume('L');  // Python 2 long suffix, as in files written by old numpy
        if (negative && value != 0) {
            throw io_error(concat(context_, ": negative dimension -", value,
                                  " in shape"));
        }
        if (overflow) fail("unparsable shape: dimension too large");
        return value;
    }

    std::vector<Index> parse_shape() {
        if (!consume('(')) fail("unparsable shape: expected a tuple starting with '('");
        std::vector<Index> shape;
        skip_ws();
        if (consume(')')) return shape;
        for (;;) {
            skip_ws();
            shape.push_back(parse_dim());
            skip_ws();
            if (consume(',')) {
                skip_ws();
                if (consume(')')) return shape;
                continue;
            }
            if (consume(')')) {
                if (shape.size() == 1)
                    fail("unparsable shape: a one-element tuple needs a trailing comma");
                return shape;
            }
            fail("unparsable shape: expected ',' or ')'");
        }
    }

    const std::string& s_;
    const std::string& context_;
    std::size_t pos_ = 0;
};

/// Multiplies the dims, returning false on overflow of Index.
inline bool checked_count(const std::vector<Index>& shape, Index& count) {
    count = 1;
    for (Index d : shape) {
        if (d < 0) return false;
        if (d != 0 && count > std::numeric_limits<Index>::max() / d) return false;
        count *= d;
    }
    return true;
}

/// The unsigned little-endian integer of nbytes (at most 8) bytes at p.
inline std::uint64_t read_le(const unsigned char* p, int nbytes) {
    std::uint64_t v = 0;
    for (int i = nbytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

/// Reads n elements stored as S from `in` and converts them into out (resized to n).
/// Errors start with context (see NpyHeaderParser).
template <class T, class S>
void read_npy_data(std::istream& in, std::vector<T>& out, std::size_t n,
                   const std::string& context, NpyType stored) {
    const std::size_t nbytes = n * sizeof(S);
    auto read_exactly = [&](void* dst) {
        if (nbytes == 0) return;
        in.read(static_cast<char*>(dst), static_cast<std::streamsize>(nbytes));
        if (in.gcount() != static_cast<std::streamsize>(nbytes))
            throw io_error(concat(context, ": read error in the data section"));
    };
    out.resize(n);
    if constexpr (same_representation<T, S>()) {
        read_exactly(out.data());
    } else {
        std::vector<unsigned char> raw(nbytes);
        read_exactly(raw.data());
        for (std::size_t i = 0; i < n; ++i) {
            S v{};
            if constexpr (std::is_same_v<S, bool>) {
                v = raw[i] != 0;  // any non-zero byte is True, as in numpy
            } else {
                std::memcpy(&v, raw.data() + i * sizeof(S), sizeof(S));
            }
            T converted{};
            if (!convert_value<T, S>(v, converted)) {
                throw io_error(concat(context, ": element ", i, " (value ", +v,
                                      ") of stored dtype '", npy_descr(stored),
                                      "' cannot be represented as ", type_name<T>()));
            }
            out[i] = converted;
        }
    }
}

/// Reads a whole .npy image of `size` bytes from `in` (positioned at its magic string)
/// and converts its elements to T. Shared by read_npy (a file) and read_npz (an archive
/// member): `context` starts every error message ("read_npy: 'path'" or
/// "read_npz: 'path:member'") and `container` names what holds the image ("file" or
/// "member") in messages about sizes.
template <class T>
NpyArray<T> read_npy_stream(std::istream& in, std::streamoff size, const std::string& context,
                            const char* container, const std::vector<Index>* expected) {
    static_assert(std::is_arithmetic_v<T>, "read_npy: T must be an arithmetic type");
    check_little_endian_host();
    auto fail = [&](const std::string& problem) {
        return io_error(concat(context, ": ", problem));
    };

    static const char magic[] = "\x93NUMPY";
    unsigned char prefix[12] = {};
    in.read(reinterpret_cast<char*>(prefix), 6);
    if (in.gcount() != 6 || std::memcmp(prefix, magic, 6) != 0)
        throw fail("bad magic string; not a .npy file");
    in.read(reinterpret_cast<char*>(prefix + 6), 2);
    if (in.gcount() != 2) throw fail("truncated header (file ends in the version field)");
    const int major = prefix[6], minor = prefix[7];
    int len_bytes = 0;
    if (major == 1 && minor == 0) len_bytes = 2;
    else if ((major == 2 || major == 3) && minor == 0) len_bytes = 4;
    else throw fail(concat("unsupported .npy format version ", major, ".", minor,
                           " (supported: 1.0, 2.0, 3.0)"));
    in.read(reinterpret_cast<char*>(prefix + 8), len_bytes);
    if (in.gcount() != len_bytes)
        throw fail("truncated header (file ends in the header length field)");
    const auto header_len = static_cast<std::uint32_t>(read_le(prefix + 8, len_bytes));
    const std::streamoff data_offset = 8 + len_bytes + static_cast<std::streamoff>(header_len);
    if (data_offset > size) {
        throw fail(concat("truncated header (the header of ", header_len,
                          " bytes extends past the end of the ", size, "-byte ", container,
                          ")"));
    }
    std::string header(header_len, '\0');
    in.read(header.data(), static_cast<std::streamsize>(header_len));
    if (in.gcount() != static_cast<std::streamsize>(header_len))
        throw fail("truncated header (read failed)");

    const NpyHeader h = NpyHeaderParser(header, context).parse();
    if (expected != nullptr && *expected != h.shape) {
        throw fail(concat("expected shape ", shape_repr(*expected), " but the ", container,
                          " has shape ", shape_repr(h.shape)));
    }

    Index count = 0;
    const std::size_t itemsize = npy_itemsize(h.type);
    if (!checked_count(h.shape, count) ||
        count > std::numeric_limits<Index>::max() / static_cast<Index>(itemsize)) {
        throw fail(concat("shape ", shape_repr(h.shape), " is too large"));
    }
    const std::streamoff need = static_cast<std::streamoff>(count) *
                                static_cast<std::streamoff>(itemsize);
    const std::streamoff have = size - data_offset;
    if (have < need) {
        throw fail(concat("truncated data: shape ", shape_repr(h.shape), " with dtype '",
                          npy_descr(h.type), "' needs ", need, " data bytes but the ",
                          container, " has ", have));
    }
    if (have > need) {
        throw fail(concat("trailing data: shape ", shape_repr(h.shape), " with dtype '",
                          npy_descr(h.type), "' needs ", need, " data bytes but the ",
                          container, " has ", have));
    }

    NpyArray<T> out;
    out.shape = h.shape;
    out.stored_type = h.type;
    const auto n = static_cast<std::size_t>(count);

    visit_npy_type(h.type, [&](auto tag) {
        using S = typename decltype(tag)::type;
        read_npy_data<T, S>(in, out.data, n, context, h.type);
    });
    return out;
}

template <class T>
NpyArray<T> read_npy_impl(const std::string& path, const std::vector<Index>* expected) {
    const std::string context = concat("read_npy: '", path, "'");
    auto fail = [&](const std::string& problem) {
        return io_error(concat(context, ": ", problem));
    };

    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        throw fail(concat("cannot open file for reading",
                          err != 0 ? concat(" (", std::strerror(err), ")") : std::string()));
    }
    in.seekg(0, std::ios::end);
    const std::streamoff file_size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (file_size < 0 || !in) throw fail("cannot determine the file size");
    return read_npy_stream<T>(in, file_size, context, "file", expected);
}

inline std::string make_npy_header(NpyType type, const std::vector<Index>& shape) {
    std::string dict = concat("{'descr': '", npy_descr(type),
                              "', 'fortran_order': False, 'shape': ", shape_repr(shape),
                              ", }");
    // Pad with spaces and a final '\n' so the data start at a multiple of 64 bytes, as
    // numpy does (a full 64 bytes of padding if already aligned). Version 1.0 stores the
    // header length in 2 bytes; a longer header needs version 2.0 (4 bytes).
    auto padded = [&dict](std::size_t prefix) {
        const std::size_t pad = 64 - (prefix + dict.size() + 1) % 64;
        return dict + std::string(pad, ' ') + "\n";
    };
    std::size_t prefix = 10;  // magic (6) + version (2) + uint16 length (2)
    std::string body = padded(prefix);
    if (body.size() > 65535) {
        prefix = 12;  // magic (6) + version (2) + uint32 length (4)
        body = padded(prefix);
    }

    std::string out = "\x93NUMPY";
    out += prefix == 10 ? '\x01' : '\x02';
    out += '\x00';
    const auto len = static_cast<std::uint32_t>(body.size());
    for (std::size_t i = 0; i < prefix - 8; ++i)
        out += static_cast<char>((len >> (8 * i)) & 0xFFu);
    out += body;
    return out;
}

inline void write_npy_bytes(const std::string& path, NpyType type, const void* bytes,
                            std::size_t nbytes, const std::vector<Index>& shape) {
    check_little_endian_host();
    const std::string header = make_npy_header(type, shape);
    errno = 0;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
        const int err = errno;
        throw io_error(concat("write_npy: '", path, "': cannot open file for writing",
                              err != 0 ? concat(" (", std::strerror(err), ")") : std::string()));
    }
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    if (nbytes > 0)
        out.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(nbytes));
    out.close();
    if (!out) throw io_error(concat("write_npy: '", path, "': error while writing the file"));
}

/// Validates shape and returns the element count; throws invalid_argument naming the
/// calling function `who` and the file.
inline Index checked_write_count(const std::string& path, const std::vector<Index>& shape,
                                 const char* who = "write_npy") {
    for (Index d : shape) {
        if (d < 0) {
            throw invalid_argument(concat(who, ": '", path, "': shape ", shape_repr(shape),
                                          " has a negative dimension"));
        }
    }
    Index count = 0;
    if (!checked_count(shape, count)) {
        throw invalid_argument(
            concat(who, ": '", path, "': shape ", shape_repr(shape), " is too large"));
    }
    return count;
}

}  // namespace detail

/// Reads a .npy file and converts its elements to T.
///
/// Integer targets accept only values they represent exactly (in range; from floating
/// types also finite and integral); floating targets accept any value whose magnitude is
/// in range (rounding is allowed). A bool target reads non-zero as true. Throws io_error
/// naming the file on any problem.
template <class T>
NpyArray<T> read_npy(const std::string& path) {
    return detail::read_npy_impl<T>(path, nullptr);
}

/// As read_npy(path), and throws io_error naming the file, the expected shape and the
/// actual shape if they differ.
template <class T>
NpyArray<T> read_npy(const std::string& path, const std::vector<Index>& expected_shape) {
    return detail::read_npy_impl<T>(path, &expected_shape);
}

/// Writes the C-ordered array data of the given shape. T is one of float ('<f4'),
/// double ('<f8'), int8 ('|i1'), uint8 ('|u1'), int32 ('<i4'), int64 ('<i8') or bool
/// ('|b1'). Throws invalid_argument for a negative dimension or null data with a non-zero
/// size, io_error if the file cannot be written.
template <class T>
void write_npy(const std::string& path, const T* data, const std::vector<Index>& shape) {
    constexpr NpyType type = detail::npy_type_of<T>();
    const Index count = detail::checked_write_count(path, shape);
    if (count > 0 && data == nullptr) {
        throw invalid_argument(detail::concat("write_npy: '", path, "': data is null for shape ",
                                              detail::shape_repr(shape)));
    }
    const auto n = static_cast<std::size_t>(count);
    if constexpr (std::is_same_v<T, bool>) {
        std::vector<unsigned char> bytes(n);
        for (std::size_t i = 0; i < n; ++i) bytes[i] = data[i] ? 1 : 0;
        detail::write_npy_bytes(path, type, bytes.data(), n, shape);
    } else {
        detail::write_npy_bytes(path, type, data, n * sizeof(T), shape);
    }
}

/// Writes a std::vector; throws invalid_argument unless data.size() is the product of shape.
template <class T>
void write_npy(const std::string& path, const std::vector<T>& data,
               const std::vector<Index>& shape) {
    const Index count = detail::checked_write_count(path, shape);
    if (static_cast<Index>(data.size()) != count) {
        throw invalid_argument(detail::concat("write_npy: '", path, "': data has ", data.size(),
                                              " elements but shape ", detail::shape_repr(shape),
                                              " needs ", count));
    }
    if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> has no data()
        std::vector<unsigned char> bytes(data.begin(), data.end());
        detail::write_npy_bytes(path, NpyType::boolean, bytes.data(), bytes.size(), shape);
    } else {
        write_npy(path, data.data(), shape);
    }
}

/// Writes a 3-d view with shape {dim0, dim1, dim2}.
template <class T>
void write_npy(const std::string& path, Tensor3<const T> view) {
    write_npy(path, view.data, std::vector<Index>{view.dim0, view.dim1, view.dim2});
}

/// Convenience overload so that a view of mutable data deduces T.
template <class T, class = std::enable_if_t<!std::is_const_v<T>>>
void write_npy(const std::string& path, Tensor3<T> view) {
    write_npy(path, Tensor3<const T>(view));
}

}  // namespace attrprior::io

#undef ATTRPRIOR_NPY_ENDIAN_CHECKED_AT_COMPILE_TIME
