// Finite-value checks shared by the losses, the priors, the optimizers, the metrics and
// the training step.
//
// The test is a branch-free scan that hot paths can afford on every call; the search for
// the first bad element, which builds the message, runs only after the test failed. Every
// message has the form "<where>: <name>[b, i, c] = <value> is not finite" (tensors) or
// "<where>: <name>[i] = <value> is not finite" (flat arrays) and is a numeric_error.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior {

/// True when none of the n values at `data` is NaN or +-Inf. For float and double an
/// integer OR-reduction over the exponent bits (all ones for NaN and Inf): it vectorises
/// without fast-math and has no early exit, unlike a floating-point sum or a search.
/// n = 0 is true (data may then be null).
template <class Scalar>
bool all_finite(const Scalar* data, Index n) {
    if constexpr (std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>) {
        using Bits = std::conditional_t<std::is_same_v<Scalar, float>, std::uint32_t, std::uint64_t>;
        constexpr Bits exponent =
            std::is_same_v<Scalar, float> ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
        Bits bad = 0;
        for (Index i = 0; i < n; ++i) {
            Bits u;
            std::memcpy(&u, data + i, sizeof(u));
            bad |= Bits((u & exponent) == exponent);
        }
        return bad == 0;
    } else {
        bool ok = true;
        for (Index i = 0; i < n; ++i) ok &= bool(std::isfinite(data[i]));
        return ok;
    }
}

/// Throws numeric_error "<where>: <name>[b, i, c] = v is not finite" for the first
/// non-finite element of `t`, searching only the rows whose `row_ok` flag is 0 (every row
/// when row_ok is null: parallel callers test each row inside their loop and search here,
/// after it). Returns normally when there is no such element.
template <class Scalar>
void throw_first_non_finite(const char* where, const char* name, ConstTensor3<Scalar> t,
                            const std::vector<char>* row_ok = nullptr) {
    for (Index b = 0; b < t.dim0; ++b) {
        if (row_ok && (*row_ok)[static_cast<std::size_t>(b)]) continue;
        for (Index i = 0; i < t.dim1; ++i) {
            for (Index c = 0; c < t.dim2; ++c) {
                if (!std::isfinite(t(b, i, c))) {
                    throw numeric_error(detail::concat(where, ": ", name, "[", b, ", ", i, ", ", c,
                                                       "] = ", t(b, i, c), " is not finite"));
                }
            }
        }
    }
}

/// Throws numeric_error naming the first non-finite element of `t` (see
/// throw_first_non_finite) unless all are finite.
template <class Scalar>
void require_all_finite(const char* where, const char* name, ConstTensor3<Scalar> t) {
    if (!all_finite(t.data, t.size())) throw_first_non_finite(where, name, t);
}

/// Throws numeric_error "<where>: <name>[i] = v is not finite" for the first non-finite of
/// the n values at `data` unless all are finite.
template <class Scalar>
void require_all_finite(const char* where, const char* name, const Scalar* data, Index n) {
    if (all_finite(data, n)) return;
    for (Index i = 0; i < n; ++i) {
        if (!std::isfinite(data[i])) {
            throw numeric_error(detail::concat(where, ": ", name, "[", i, "] = ", data[i], " is not finite"));
        }
    }
}

}  // namespace attrprior
