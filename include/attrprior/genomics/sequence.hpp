// DNA sequence encoding: one-hot, reverse complement, GC content (docs/math.md §2).
//
// A one-hot sequence is an L x 4 row-major array, channel order A, C, G, T: base i sets
// out[4 * i + channel] = 1. Lower case is the same base. N, and any other character
// (other IUPAC codes, gaps, digits), gives an all-zero row; nothing here throws.
// The reverse complement of a one-hot array reverses the positions and the channel order
// (A<->T, C<->G).
#pragma once

#include <cstddef>
#include <string>

#include "attrprior/core/tensor.hpp"

namespace attrprior::genomics {

namespace detail {

/// Channel of a base (A=0, C=1, G=2, T=3, either case) or -1 for anything else.
constexpr int base_channel(char c) {
    switch (c) {
        case 'A': case 'a': return 0;
        case 'C': case 'c': return 1;
        case 'G': case 'g': return 2;
        case 'T': case 't': return 3;
        default: return -1;
    }
}

}  // namespace detail

/// Writes the n x 4 one-hot encoding of the bases seq[0..n) to out (which must hold
/// 4 * n elements). Non-ACGT characters give all-zero rows.
template <class Scalar>
void one_hot(const char* seq, std::size_t n, Scalar* out) {
    for (std::size_t i = 0; i < n; ++i) {
        Scalar* row = out + 4 * i;
        row[0] = row[1] = row[2] = row[3] = Scalar(0);
        const int c = detail::base_channel(seq[i]);
        if (c >= 0) row[c] = Scalar(1);
    }
}

/// The same for a whole string.
template <class Scalar>
void one_hot(const std::string& seq, Scalar* out) {
    one_hot(seq.data(), seq.size(), out);
}

/// Writes the one-hot encoding of the reverse complement of seq[0..n) to out (4 * n
/// elements); equal to reverse_complement_one_hot applied to one_hot(seq).
template <class Scalar>
void one_hot_reverse_complement(const char* seq, std::size_t n, Scalar* out) {
    for (std::size_t i = 0; i < n; ++i) {
        Scalar* row = out + 4 * (n - 1 - i);
        row[0] = row[1] = row[2] = row[3] = Scalar(0);
        const int c = detail::base_channel(seq[i]);
        if (c >= 0) row[3 - c] = Scalar(1);
    }
}

/// The same for a whole string.
template <class Scalar>
void one_hot_reverse_complement(const std::string& seq, Scalar* out) {
    one_hot_reverse_complement(seq.data(), seq.size(), out);
}

/// Reverse complement of a sequence, keeping case: A<->T, C<->G (a<->t, c<->g); N stays
/// N (n stays n); every other character becomes N (n if it is a lower-case letter).
inline std::string reverse_complement(const std::string& seq) {
    std::string out(seq.size(), 'N');
    const std::size_t n = seq.size();
    for (std::size_t i = 0; i < n; ++i) {
        char r;
        switch (seq[i]) {
            case 'A': r = 'T'; break;
            case 'C': r = 'G'; break;
            case 'G': r = 'C'; break;
            case 'T': r = 'A'; break;
            case 'a': r = 't'; break;
            case 'c': r = 'g'; break;
            case 'g': r = 'c'; break;
            case 't': r = 'a'; break;
            default: r = (seq[i] >= 'a' && seq[i] <= 'z') ? 'n' : 'N'; break;
        }
        out[n - 1 - i] = r;
    }
    return out;
}

/// Reverse complement of an L x 4 one-hot (or any L x 4 per-base track, e.g. an
/// attribution): out[L-1-i][3-c] = in[i][c]. in and out may be the same array (in place)
/// but must not otherwise overlap.
template <class Scalar>
void reverse_complement_one_hot(const Scalar* in, Index L, Scalar* out) {
    for (Index i = 0, j = L - 1; i <= j; ++i, --j) {
        const Scalar a0 = in[4 * i], a1 = in[4 * i + 1], a2 = in[4 * i + 2],
                     a3 = in[4 * i + 3];
        const Scalar b0 = in[4 * j], b1 = in[4 * j + 1], b2 = in[4 * j + 2],
                     b3 = in[4 * j + 3];
        out[4 * j] = a3;
        out[4 * j + 1] = a2;
        out[4 * j + 2] = a1;
        out[4 * j + 3] = a0;
        out[4 * i] = b3;
        out[4 * i + 1] = b2;
        out[4 * i + 2] = b1;
        out[4 * i + 3] = b0;
    }
}

/// Fraction of G and C among the A, C, G, T bases of seq (either case); other characters
/// (N, IUPAC codes) are ignored. 0 if seq has no ACGT base.
inline double gc_fraction(const std::string& seq) {
    std::size_t acgt = 0, gc = 0;
    for (char ch : seq) {
        const int c = detail::base_channel(ch);
        if (c >= 0) {
            ++acgt;
            if (c == 1 || c == 2) ++gc;
        }
    }
    return acgt == 0 ? 0.0 : static_cast<double>(gc) / static_cast<double>(acgt);
}

}  // namespace attrprior::genomics
