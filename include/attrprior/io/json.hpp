// A small JSON document type for attrprior's own files (model.json): null, booleans,
// numbers (exact 64-bit integers, other numbers as doubles), strings, arrays and objects
// whose members keep their insertion order. The parser is strict (RFC 8259: no comments,
// no trailing commas, no duplicate keys) and names the source and line:column of every
// error; the writer's text reads back to the same value, doubles included.
// Written here rather than taken from nlohmann-json so the core library depends on
// nothing beyond Eigen, FFTW and OpenMP.
#pragma once

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <limits>
#include <locale>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "attrprior/core/error.hpp"

namespace attrprior::io {

/// One JSON value. Numbers written without fraction or exponent that fit in 64 bits are
/// kept as exact integers; every other number is a double.
class Json {
public:
    using Array = std::vector<Json>;
    /// Members in insertion order (the order they are written in), keys unique.
    using Object = std::vector<std::pair<std::string, Json>>;
    enum class Type { null, boolean, number, string, array, object };

    Json() = default;
    Json(std::nullptr_t) {}
    Json(bool value) : value_(value) {}
    Json(double value) : value_(value) {}
    template <class Integer,
              std::enable_if_t<std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>, int> = 0>
    Json(Integer value) : value_(static_cast<std::int64_t>(value)) {
        if constexpr (std::is_unsigned_v<Integer> && sizeof(Integer) >= sizeof(std::int64_t)) {
            require(value <= static_cast<Integer>(std::numeric_limits<std::int64_t>::max()), "Json", "integer",
                    value, "exceeds the 64-bit signed range (store it as a string)");
        }
    }
    Json(const char* value) : value_(std::string(value)) {}
    Json(std::string value) : value_(std::move(value)) {}
    Json(Array value) : value_(std::move(value)) {}
    Json(Object value) : value_(std::move(value)) {}

    static Json array(Array items = {}) { return Json(std::move(items)); }
    static Json object(Object members = {}) { return Json(std::move(members)); }

    Type type() const {
        static constexpr Type types[] = {Type::null,   Type::boolean, Type::number, Type::number,
                                         Type::string, Type::array,   Type::object};
        return types[value_.index()];
    }
    /// "null", "a boolean", "a number", "a string", "an array" or "an object", for messages.
    const char* type_name() const {
        static constexpr const char* names[] = {"null",     "a boolean", "a number", "a number",
                                                "a string", "an array",  "an object"};
        return names[value_.index()];
    }
    bool is_null() const { return type() == Type::null; }
    bool is_bool() const { return type() == Type::boolean; }
    bool is_number() const { return type() == Type::number; }
    /// A number held exactly as a 64-bit integer.
    bool is_integer() const { return std::holds_alternative<std::int64_t>(value_); }
    bool is_string() const { return type() == Type::string; }
    bool is_array() const { return type() == Type::array; }
    bool is_object() const { return type() == Type::object; }

    bool as_bool() const { return get<bool>("a boolean"); }
    double as_double() const {
        if (is_integer()) return static_cast<double>(std::get<std::int64_t>(value_));
        return get<double>("a number");
    }
    /// An integer, or a double with an integral value in the 64-bit range (JSON itself
    /// does not tell 8 from 8.0).
    std::int64_t as_int64() const {
        if (is_integer()) return std::get<std::int64_t>(value_);
        const double d = get<double>("an integer");
        require(d == std::floor(d) && d >= -0x1p63 && d < 0x1p63, "Json", "number", d, "is not a 64-bit integer");
        return static_cast<std::int64_t>(d);
    }
    const std::string& as_string() const { return get<std::string>("a string"); }
    const Array& as_array() const { return get<Array>("an array"); }
    Array& as_array() { return get<Array>("an array"); }
    const Object& as_object() const { return get<Object>("an object"); }
    Object& as_object() { return get<Object>("an object"); }

    /// The member named key of an object, or nullptr when it has none.
    const Json* find(std::string_view key) const {
        for (const auto& [name, value] : as_object())
            if (name == key) return &value;
        return nullptr;
    }
    /// The member named key, appended as null when absent; null itself becomes an object.
    Json& operator[](const std::string& key) {
        if (is_null()) value_ = Object();
        Object& members = as_object();
        for (auto& [name, value] : members)
            if (name == key) return value;
        members.emplace_back(key, Json());
        return members.back().second;
    }
    /// Appends to an array; null itself becomes an array.
    void push_back(Json item) {
        if (is_null()) value_ = Array();
        as_array().push_back(std::move(item));
    }

    /// Numbers compare by value (2 == 2.0), objects regardless of member order.
    friend bool operator==(const Json& a, const Json& b) {
        if (a.type() != b.type()) return false;
        switch (a.type()) {
            case Type::null: return true;
            case Type::boolean: return a.as_bool() == b.as_bool();
            case Type::number:
                if (a.is_integer() && b.is_integer()) return a.as_int64() == b.as_int64();
                return a.as_double() == b.as_double();
            case Type::string: return a.as_string() == b.as_string();
            case Type::array: return a.as_array() == b.as_array();
            case Type::object:
                if (a.as_object().size() != b.as_object().size()) return false;
                for (const auto& [name, value] : a.as_object()) {
                    const Json* other = b.find(name);
                    if (other == nullptr || !(*other == value)) return false;
                }
                return true;
        }
        return false;
    }
    friend bool operator!=(const Json& a, const Json& b) { return !(a == b); }

    /// The value as indented text (2 spaces a level; arrays of scalars on one line), members
    /// in insertion order. Throws invalid_argument for a NaN or infinite number.
    std::string dump() const {
        std::string out;
        write(out, 0);
        return out;
    }

private:
    template <class T, class Self>
    static auto& get_from(Self& self, const char* wanted) {
        if (auto* v = std::get_if<T>(&self.value_)) return *v;
        throw invalid_argument(detail::concat("Json: expected ", wanted, ", found ", self.type_name()));
    }
    template <class T>
    const T& get(const char* wanted) const { return get_from<T>(*this, wanted); }
    template <class T>
    T& get(const char* wanted) { return get_from<T>(*this, wanted); }

    static void write_string(std::string& out, const std::string& s) {
        out += '"';
        for (const char c : s) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        char escape[8];
                        std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
                        out += escape;
                    } else {
                        out += c;  // UTF-8 passes through unchanged
                    }
            }
        }
        out += '"';
    }

    /// The shortest text that reads back as exactly d, with ".0" on integral values so they
    /// read back as doubles too (and -0 keeps its sign).
    static void write_double(std::string& out, double d) {
        require(std::isfinite(d), "Json::dump", "number", d, "cannot be written (JSON has no NaN or infinity)");
        // 15 significant digits print most values as written (0.1, 0.001); 17 always
        // read back exactly. A classic-locale stream: a ',' decimal locale must not leak in.
        std::string text;
        for (int precision = 15; precision <= 17; ++precision) {
            std::ostringstream os;
            os.imbue(std::locale::classic());
            os << std::setprecision(precision) << d;
            text = os.str();
            std::istringstream in(text);
            in.imbue(std::locale::classic());
            double back = 0;
            if (in >> back && back == d) break;
        }
        if (text.find_first_of(".eE") == std::string::npos) text += ".0";
        out += text;
    }

    void write(std::string& out, int indent) const {
        const auto newline = [&out](int spaces) { out += '\n'; out.append(static_cast<std::size_t>(spaces), ' '); };
        switch (type()) {
            case Type::null: out += "null"; return;
            case Type::boolean: out += as_bool() ? "true" : "false"; return;
            case Type::number:
                if (is_integer()) {
                    out += std::to_string(as_int64());
                } else {
                    write_double(out, as_double());
                }
                return;
            case Type::string: write_string(out, as_string()); return;
            case Type::array: {
                const Array& items = as_array();
                bool scalars = true;
                for (const Json& item : items) scalars = scalars && !item.is_array() && !item.is_object();
                out += '[';
                for (std::size_t i = 0; i < items.size(); ++i) {
                    if (i > 0) out += scalars ? ", " : ",";
                    if (!scalars) newline(indent + 2);
                    items[i].write(out, indent + 2);
                }
                if (!scalars && !items.empty()) newline(indent);
                out += ']';
                return;
            }
            case Type::object: {
                const Object& members = as_object();
                out += '{';
                for (std::size_t i = 0; i < members.size(); ++i) {
                    if (i > 0) out += ',';
                    newline(indent + 2);
                    write_string(out, members[i].first);
                    out += ": ";
                    members[i].second.write(out, indent + 2);
                }
                if (!members.empty()) newline(indent);
                out += '}';
                return;
            }
        }
    }

    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> value_;
};

namespace detail {

using attrprior::detail::concat;

/// Recursive-descent parser over one text; `source` (a file path) heads every message.
class JsonParser {
public:
    /// Deeper documents are rejected rather than risk the stack (model.json needs ~4).
    static constexpr int max_depth = 512;

    JsonParser(std::string_view text, std::string source) : text_(text), source_(std::move(source)) {}

    Json parse_document() {
        Json value = parse_value(1);
        skip_whitespace();
        if (pos_ < text_.size()) fail(concat("unexpected ", describe_next(), " after the JSON value"));
        return value;
    }

private:
    /// Throws io_error("<source>:<line>:<column>: <what>"); the column counts bytes from 1.
    [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
        std::size_t line = 1, line_start = 0;
        for (std::size_t i = 0; i < at && i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        throw io_error(concat(source_, ":", line, ":", at - line_start + 1, ": ", what));
    }
    [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }

    std::string describe_next() const {
        if (pos_ >= text_.size()) return "end of input";
        const auto c = static_cast<unsigned char>(text_[pos_]);
        if (c >= 0x20 && c < 0x7f) return concat("'", static_cast<char>(c), "'");
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(c));
        return concat("byte ", hex);
    }
    bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    bool at_digit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }
    void skip_whitespace() {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }
    bool consume(char c) {
        if (!at(c)) return false;
        ++pos_;
        return true;
    }
    void expect(char c, const char* context) {
        if (!consume(c)) fail(concat("expected '", c, "' ", context, ", found ", describe_next()));
    }

    /// The value after any whitespace at pos_; depth counts the arrays and objects around it.
    Json parse_value(int depth) {
        skip_whitespace();
        if (pos_ >= text_.size()) fail("expected a value, found end of input");
        switch (text_[pos_]) {
            case '{': return parse_object(depth);
            case '[': return parse_array(depth);
            case '"': return Json(parse_string());
            case 't': return parse_literal("true", Json(true));
            case 'f': return parse_literal("false", Json(false));
            case 'n': return parse_literal("null", Json());
            default:
                if (at('-') || at_digit()) return parse_number();
        }
        fail(concat("expected a value, found ", describe_next()));
    }

    Json parse_literal(std::string_view word, Json value) {
        if (text_.substr(pos_, word.size()) != word) fail(concat("invalid literal (expected '", word, "')"));
        pos_ += word.size();
        return value;
    }

    void enter(int depth) const {
        if (depth > max_depth) fail(concat("nesting deeper than ", max_depth, " arrays and objects"));
    }

    Json parse_array(int depth) {
        enter(depth);
        ++pos_;
        Json::Array items;
        skip_whitespace();
        if (consume(']')) return Json(std::move(items));
        for (;;) {
            items.push_back(parse_value(depth + 1));
            skip_whitespace();
            if (consume(']')) return Json(std::move(items));
            expect(',', "or ']' after an array element");
        }
    }

    Json parse_object(int depth) {
        enter(depth);
        ++pos_;
        Json::Object members;
        skip_whitespace();
        if (consume('}')) return Json(std::move(members));
        for (;;) {
            skip_whitespace();
            if (!at('"')) fail(concat("expected a string key, found ", describe_next()));
            const std::size_t key_at = pos_;
            std::string key = parse_string();
            for (const auto& member : members)
                if (member.first == key) fail_at(key_at, concat("duplicate key \"", key, "\""));
            skip_whitespace();
            expect(':', "after an object key");
            members.emplace_back(std::move(key), parse_value(depth + 1));
            skip_whitespace();
            if (consume('}')) return Json(std::move(members));
            expect(',', "or '}' after an object member");
        }
    }

    unsigned parse_hex4() {
        unsigned code = 0;
        for (int i = 0; i < 4; ++i, ++pos_) {
            const char c = pos_ < text_.size() ? text_[pos_] : '\0';
            const int digit = c >= '0' && c <= '9' ? c - '0'
                            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (digit < 0) fail(concat("expected 4 hex digits after \\u, found ", describe_next()));
            code = code * 16 + static_cast<unsigned>(digit);
        }
        return code;
    }

    /// UTF-8 of one code point: a lead byte (length marker and top bits), then 6 bits a byte.
    static void append_utf8(std::string& out, unsigned code) {
        static constexpr unsigned lead[] = {0x00, 0xC0, 0xE0, 0xF0};
        const int continuation = code < 0x80 ? 0 : code < 0x800 ? 1 : code < 0x10000 ? 2 : 3;
        out += static_cast<char>(lead[continuation] | (code >> (6 * continuation)));
        for (int k = continuation - 1; k >= 0; --k) out += static_cast<char>(0x80 | ((code >> (6 * k)) & 0x3F));
    }

    /// A string at pos_ (on its opening quote). Raw bytes >= 0x80 are copied unchecked.
    std::string parse_string() {
        const std::size_t start = pos_++;
        std::string out;
        for (;;) {
            if (pos_ >= text_.size()) fail_at(start, "unterminated string");
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                fail(concat("control character ", describe_next(), " in a string (write it as an escape)"));
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            const std::size_t escape_at = pos_++;
            const char e = pos_ < text_.size() ? text_[pos_++] : '\0';
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned code = parse_hex4();
                    if (code >= 0xDC00 && code <= 0xDFFF) fail_at(escape_at, "unpaired low surrogate in \\u escape");
                    if (code >= 0xD800 && code <= 0xDBFF) {  // UTF-16 pair: \uD83D\uDE00
                        if (text_.substr(pos_, 2) != "\\u") fail_at(escape_at, "unpaired high surrogate in \\u escape");
                        pos_ += 2;
                        const unsigned low = parse_hex4();
                        if (low < 0xDC00 || low > 0xDFFF) fail_at(escape_at, "unpaired high surrogate in \\u escape");
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    append_utf8(out, code);
                    break;
                }
                default:
                    fail_at(escape_at, e == '\0' ? std::string("unterminated string")
                                                 : concat("invalid escape '\\", e, "'"));
            }
        }
    }

    Json parse_number() {
        const std::size_t start = pos_;
        bool integral = true;
        if (at('-')) ++pos_;
        if (at('0')) {
            ++pos_;
            if (at_digit()) fail("leading zero in a number");
        } else if (at_digit()) {
            while (at_digit()) ++pos_;
        } else {
            fail(concat("expected a digit, found ", describe_next()));
        }
        if (at('.')) {
            integral = false;
            ++pos_;
            if (!at_digit()) fail(concat("expected a digit after '.', found ", describe_next()));
            while (at_digit()) ++pos_;
        }
        if (at('e') || at('E')) {
            integral = false;
            ++pos_;
            if (at('+') || at('-')) ++pos_;
            if (!at_digit()) fail(concat("expected a digit in the exponent, found ", describe_next()));
            while (at_digit()) ++pos_;
        }
        const std::string literal(text_.substr(start, pos_ - start));
        // "-0" is not an integer: only a double keeps its sign.
        if (integral && literal != "-0") {
            std::int64_t value = 0;
            const auto result = std::from_chars(literal.data(), literal.data() + literal.size(), value);
            if (result.ec == std::errc()) return Json(value);
            // Beyond 64 bits: the nearest double.
        }
        // A classic-locale stream (strtod underneath: correctly rounded) whatever the
        // program's locale; it fails on overflow and gives 0 or a denormal on underflow.
        std::istringstream in(literal);
        in.imbue(std::locale::classic());
        double value = 0;
        if (!(in >> value)) fail_at(start, concat("number ", literal, " is out of the range of a double"));
        return Json(value);
    }

    std::string_view text_;
    std::string source_;
    std::size_t pos_ = 0;
};

/// Writes text to path, checking every step after it completes, the final close included:
/// a full disk shows up at the flush, not at the write. Errors name the path and the
/// system's reason. exclusive: create a new file (fail if path exists) and, being ours,
/// remove it again if writing fails; otherwise create or truncate path.
inline void write_text_file(const std::string& path, const std::string& text, const char* where,
                            bool exclusive = false) {
    const auto error = [&](const char* action, int err) {
        return io_error(concat(where, ": cannot ", action, " '", path, "': ",
                               err != 0 ? std::strerror(err) : "unknown error"));
    };
    errno = 0;
    std::FILE* file = std::fopen(path.c_str(), exclusive ? "wbx" : "wb");
    if (file == nullptr) throw error("create", errno);
    errno = 0;
    const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    int err = errno;
    errno = 0;
    const bool flushed = written && std::fflush(file) == 0;
    if (written && !flushed) err = errno;
    errno = 0;
    const bool closed = std::fclose(file) == 0;
    if (written && flushed && !closed) err = errno;
    if (written && flushed && closed) return;
    if (exclusive) std::remove(path.c_str());
    throw error("write", err);
}

}  // namespace detail

/// Parses a whole JSON text. Errors are io_error "<source>:<line>:<column>: <problem>".
inline Json parse_json(std::string_view text, const std::string& source = "JSON text") {
    return detail::JsonParser(text, source).parse_document();
}

/// Reads and parses the JSON file at path; errors name the path (and line:column).
inline Json read_json_file(const std::string& path) {
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        throw io_error(detail::concat("read_json_file: cannot open '", path, "': ",
                                      err != 0 ? std::strerror(err) : "unknown error"));
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw io_error(detail::concat("read_json_file: cannot read '", path, "'"));
    return parse_json(text, path);
}

namespace detail {

/// Writes text to path atomically: into a new file next to it, then renamed over it, so
/// readers see the old file or the whole new one, never a part.
inline void write_text_file_atomically(const std::string& path, const std::string& text, const char* where) {
    std::random_device random;
    const std::string temporary = concat(path, ".tmp-", std::hex, random(), random());
    write_text_file(temporary, text, where, /*exclusive=*/true);
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
        std::remove(temporary.c_str());
        throw io_error(concat(where, ": cannot rename '", temporary, "' to '", path, "': ", ec.message()));
    }
}

}  // namespace detail

/// Writes value.dump() and a newline to path atomically (see write_text_file_atomically).
inline void write_json_file(const std::string& path, const Json& value) {
    detail::write_text_file_atomically(path, value.dump() + "\n", "write_json_file");
}

}  // namespace attrprior::io
