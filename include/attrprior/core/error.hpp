// Error types thrown by every public entry point of attrprior.
//
// All exceptions derive from attrprior::error (itself a std::runtime_error), so a
// caller can catch the library's failures in one place. The message always names the
// parameter, file or line at fault and the offending value.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace attrprior {

/// Base class of everything attrprior throws.
class error : public std::runtime_error {
public:
    explicit error(const std::string& what) : std::runtime_error(what) {}
};

/// A parameter or option is out of range, or an argument has the wrong shape.
class invalid_argument : public error {
public:
    explicit invalid_argument(const std::string& what) : error(what) {}
};

/// Input data contain NaN or Inf where finite values are required.
class numeric_error : public error {
public:
    explicit numeric_error(const std::string& what) : error(what) {}
};

/// A file could not be read or written, or its content is malformed.
class io_error : public error {
public:
    explicit io_error(const std::string& what) : error(what) {}
};

namespace detail {

template <class... Parts>
std::string concat(Parts&&... parts) {
    std::ostringstream os;
    (os << ... << std::forward<Parts>(parts));
    return os.str();
}

}  // namespace detail

/// Throws invalid_argument("<where>: <parameter> = <value> <requirement...>") when !ok.
/// The message is only built on failure, so checks on hot paths allocate nothing.
template <class Value, class... Requirement>
void require(bool ok, const char* where, const char* parameter, const Value& value,
             const Requirement&... requirement) {
    if (!ok) {
        throw invalid_argument(
            detail::concat(where, ": ", parameter, " = ", value, " ", requirement...));
    }
}

}  // namespace attrprior
