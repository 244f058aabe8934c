// Dinucleotide shuffles of one-hot sequences: the references of DeepSHAP-style attribution
// (docs/attribution.md, "Dinucleotide shuffles").
//
// A sequence is read as tokens A, C, G, T -> 0..3 and N (an all-zero row) -> 4, a fifth
// symbol, so N runs move as blocks of the sequence rather than being rejected or read as
// A. A shuffle keeps the first and last token and the count of each of the 25 ordered
// pairs of adjacent tokens; it is a random Eulerian trail of the multigraph whose edges
// are the input's adjacent pairs.
//
// Two algorithms:
//   uniform  (default) every sequence with the input's first token and pair counts is
//            equally likely: a random last-exit arborescence drawn by Wilson's
//            loop-erased walk, then uniformly permuted exits (docs/attribution.md,
//            "The uniform algorithm").
//   deeplift each token keeps the successor it has at its last occurrence in the input
//            and only the other exits are permuted, as in the DeepLIFT and tangermeme
//            shuffles; it reaches only part of the valid sequences (docs/attribution.md,
//            "The deeplift-compatible algorithm"). For comparison only.
//
// Shuffle k of the example with global index b is drawn from std::mt19937_64 seeded with
// counter_key(seed, b, k) (core/random.hpp), so it does not depend on the batch the
// example is in, on the number of shuffles asked for, or on the thread count.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/parallel.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior {
namespace detail {

/// Throws the invalid_argument of a one-hot row that is neither one-hot nor all zero.
template <class Scalar>
[[noreturn]] void throw_invalid_one_hot_row(const char* where, const Scalar* row,
                                            Index example, Index position) {
    throw invalid_argument(concat(where, ": x row (", row[0], ", ", row[1], ", ", row[2], ", ",
                                  row[3], ") of example ", example, " at position ", position,
                                  " is neither one-hot (A, C, G, T) nor all zero (N)"));
}

}  // namespace detail

namespace attribution {

/// A token: 0..3 for A, C, G, T; kTokenN (4) for an N (all-zero) row.
using Token = std::uint8_t;
inline constexpr Token kTokenN = 4;
/// Number of symbols a shuffle distinguishes (A, C, G, T, N).
inline constexpr int kShuffleSymbols = 5;

/// How the exits of each symbol are ordered (docs/attribution.md, "Dinucleotide shuffles").
enum class ShuffleAlgorithm {
    uniform,   ///< uniform over all sequences with the same first token and pair counts
    deeplift,  ///< keeps each symbol's last successor (DeepLIFT / tangermeme behaviour)
};

/// Options of dinucleotide_shuffles.
struct ShuffleOptions {
    Index count = 20;          ///< shuffles per example (K)
    std::uint64_t seed = 0;    ///< stream; shuffle k of example b uses counter_key(seed, b, k)
    ShuffleAlgorithm algorithm = ShuffleAlgorithm::uniform;

    /// Throws invalid_argument unless count >= 1 and algorithm is one of the enumerators.
    void validate() const {
        require(count >= 1, "ShuffleOptions", "count", count, "must be >= 1");
        require(algorithm == ShuffleAlgorithm::uniform || algorithm == ShuffleAlgorithm::deeplift,
                "ShuffleOptions", "algorithm", static_cast<int>(algorithm),
                "must be uniform or deeplift");
    }
};

/// Scratch space of shuffle_tokens, reused between calls so that shuffling allocates
/// only while the exit lists grow to the longest sequence seen. One per thread; its
/// content between calls means nothing.
struct ShuffleWorkspace {
    std::array<std::vector<Token>, kShuffleSymbols> exits;  // successor multisets E_v
};

/// The generator of shuffle k of the example with global index `example`: std::mt19937_64
/// seeded with counter_key(seed, example, k).
inline std::mt19937_64 shuffle_generator(std::uint64_t seed, Index example, Index k) {
    return std::mt19937_64(counter_key(seed, static_cast<std::uint64_t>(example),
                                       static_cast<std::uint64_t>(k)));
}

/// Token of one 4-channel row: the channel of a one-hot row, kTokenN for an all-zero row,
/// -1 for anything else (a value other than 0 and 1, NaN, or more than one 1).
template <class Scalar>
int row_token(const Scalar* row) {
    int token = kTokenN;
    for (int c = 0; c < 4; ++c) {
        if (row[c] == Scalar(1)) {
            if (token != kTokenN) return -1;
            token = c;
        } else if (!(row[c] == Scalar(0))) {
            return -1;
        }
    }
    return token;
}

/// Tokens of an L x 4 one-hot example x (row-major, A, C, G, T). Throws invalid_argument
/// naming `where`, the example index `example` and the position of the first row that is
/// neither one-hot nor all zero.
template <class Scalar>
void one_hot_to_tokens(const Scalar* x, Index L, Token* tokens, Index example = 0,
                       const char* where = "one_hot_to_tokens") {
    for (Index i = 0; i < L; ++i) {
        const int t = row_token(x + 4 * i);
        if (t < 0) attrprior::detail::throw_invalid_one_hot_row(where, x + 4 * i, example, i);
        tokens[i] = static_cast<Token>(t);
    }
}

/// Writes the L x 4 one-hot rows of tokens to out: a 1 in the token's channel, an all-zero
/// row for kTokenN.
template <class Scalar>
void tokens_to_one_hot(const Token* tokens, Index L, Scalar* out) {
    for (Index i = 0; i < L; ++i) {
        Scalar* row = out + 4 * i;
        row[0] = row[1] = row[2] = row[3] = Scalar(0);
        if (tokens[i] < kTokenN) row[tokens[i]] = Scalar(1);
    }
}

/// Writes to out[0..L) one dinucleotide shuffle of the tokens in[0..L) (values 0..4, else
/// invalid_argument), drawn with rng by `algorithm` (docs/attribution.md, "Dinucleotide
/// shuffles"). A sequence shorter than 3 is copied unchanged (no draws). in and out must
/// not overlap.
///
/// Uniform algorithm, for t = in, root r = t[L-1]:
///   1. E_v = the successors of v in input order, [t[j+1] : t[j] = v, j < L-1].
///   2. For each v != r with E_v non-empty, in symbol order, unless v is already in the
///      tree: walk u = v; while u is not in the tree, next[u] = E_u[uniform_below(|E_u|)],
///      u = next[u] (a revisit overwrites next[u], erasing the loop); then add the walk's
///      symbols from v to the tree.
///   3. For each v != r with E_v non-empty, in symbol order: move one copy of next[v] to
///      the end of E_v, Fisher-Yates (attrprior::shuffle) the others, keep next[v] last.
///      Then Fisher-Yates all of E_r.
///   4. out[0] = t[0]; out[j] = the next unused exit of out[j-1].
/// deeplift algorithm: step 3 with next[v] = the last element of E_v in input order, for
/// every v including r, and no step 2.
inline void shuffle_tokens(const Token* in, Index L, Token* out, std::mt19937_64& rng,
                           ShuffleAlgorithm algorithm, ShuffleWorkspace& workspace) {
    for (Index i = 0; i < L; ++i) {
        require(in[i] <= kTokenN, "shuffle_tokens", "token", static_cast<int>(in[i]),
                "at position ", i, " must be in 0..4 (A, C, G, T, N)");
    }
    if (L < 3) {
        for (Index i = 0; i < L; ++i) out[i] = in[i];
        return;
    }
    auto& exits = workspace.exits;
    for (auto& e : exits) e.clear();
    for (Index j = 0; j + 1 < L; ++j) exits[in[j]].push_back(in[j + 1]);

    // `last[v]`: the exit that must stay last in E_v (the tree edge of v). -1: none (the
    // root of the uniform algorithm, whose exits are all free; or a symbol without exits).
    std::array<int, kShuffleSymbols> last;
    last.fill(-1);
    const int root = in[L - 1];
    if (algorithm == ShuffleAlgorithm::deeplift) {
        for (int v = 0; v < kShuffleSymbols; ++v) {
            if (!exits[v].empty()) last[v] = exits[v].back();
        }
    } else {
        // Wilson's algorithm with transition probabilities m(u, w) / |E_u|: it draws the
        // arborescence T toward the root with probability proportional to the product of
        // the multiplicities m(v, next[v]), which is the number of distinct sequences
        // whose last exits form T (BEST theorem) — hence uniform sequences overall.
        std::array<bool, kShuffleSymbols> in_tree{};
        in_tree[root] = true;
        std::array<int, kShuffleSymbols> next{};
        for (int v = 0; v < kShuffleSymbols; ++v) {
            if (v == root || exits[v].empty() || in_tree[v]) continue;
            // Every symbol reached has exits: a symbol other than the root that occurs
            // occurs before the last position. The walk ends because every symbol with
            // exits reaches the root (the input itself is such a path).
            for (int u = v; !in_tree[u]; u = next[u]) {
                const auto& e = exits[u];
                next[u] = e[static_cast<std::size_t>(
                    uniform_below(rng, static_cast<Index>(e.size())))];
            }
            for (int u = v; !in_tree[u]; u = next[u]) in_tree[u] = true;
        }
        for (int v = 0; v < kShuffleSymbols; ++v) {
            if (v != root && !exits[v].empty()) last[v] = next[v];
        }
    }
    for (int v = 0; v < kShuffleSymbols; ++v) {
        auto& e = exits[v];
        if (e.empty()) continue;
        if (last[v] < 0) {
            shuffle(e, rng);
            continue;
        }
        // Any copy of the tree exit will do: copies are the same symbol.
        std::size_t pos = e.size() - 1;
        while (e[pos] != last[v]) --pos;
        std::swap(e[pos], e.back());
        e.pop_back();
        shuffle(e, rng);
        e.push_back(static_cast<Token>(last[v]));
    }
    std::array<std::size_t, kShuffleSymbols> used{};
    out[0] = in[0];
    for (Index j = 1; j < L; ++j) {
        const Token prev = out[j - 1];
        out[j] = exits[prev][used[prev]++];
    }
}

/// The same with a workspace of its own (allocates).
inline void shuffle_tokens(const Token* in, Index L, Token* out, std::mt19937_64& rng,
                           ShuffleAlgorithm algorithm = ShuffleAlgorithm::uniform) {
    ShuffleWorkspace workspace;
    shuffle_tokens(in, L, out, rng, algorithm, workspace);
}

/// Writes options.count (K) dinucleotide shuffles of each example of x (B x L x 4, one-hot
/// rows or all-zero N rows) to out (B*K x L x 4): shuffle k of batch row b is out row
/// b*K + k, drawn from shuffle_generator(options.seed, first_example + b, k). Pass the
/// global index of x's first example as first_example, so that an example's shuffles do
/// not depend on the batch it is in. out must not overlap x.
///
/// If degenerate is not null, degenerate[b] is set to whether all K shuffles of example b
/// equal the example (a sequence with a unique Eulerian trail, such as ACTGACTGACTG, or
/// shorter than 3); such references make every attribution 0, which is reported, not
/// an error (docs/attribution.md, "Degenerate inputs"). Returns the number of degenerate
/// examples.
///
/// Throws invalid_argument for invalid options or shapes, a negative first_example, or a
/// row of x that is neither one-hot nor all zero (naming the example's global index and
/// the position); nothing is written to out in that case.
template <class Scalar>
Index dinucleotide_shuffles(ConstTensor3<Scalar> x, Tensor3<Scalar> out,
                            const ShuffleOptions& options = {}, Index first_example = 0,
                            bool* degenerate = nullptr) {
    constexpr const char* where = "dinucleotide_shuffles";
    options.validate();
    require(x.dim2 == 4, where, "x channels", x.dim2, "must be 4 (A, C, G, T)");
    require(first_example >= 0, where, "first_example", first_example, "must be >= 0");
    const Index B = x.dim0, L = x.dim1, K = options.count;
    if (out.dim0 != B * K || out.dim1 != L || out.dim2 != 4) {
        throw invalid_argument(attrprior::detail::concat(where, ": out has shape ", out.shape_string(),
                                              " but x ", x.shape_string(), " with count ", K,
                                              " needs [", B * K, ", ", L, ", 4]"));
    }
    // Validate every row before writing anything (and outside the parallel region, where
    // an exception could not propagate); the first bad row in order is reported.
    for (Index b = 0; b < B; ++b) {
        for (Index i = 0; i < L; ++i) {
            const Scalar* row = x.slice(b) + 4 * i;
            if (row_token(row) < 0) {
                attrprior::detail::throw_invalid_one_hot_row(where, row, first_example + b, i);
            }
        }
    }
    Index n_degenerate = 0;
    // Each (example, k) has its own generator, so the split over threads changes nothing.
    // Work is counted as output elements; each costs more than an elementwise pass.
#pragma omp parallel if (B > 1 && B * K * L * 4 >= kParallelWork) reduction(+ : n_degenerate)
    {
        ShuffleWorkspace workspace;
        std::vector<Token> tokens(static_cast<std::size_t>(L)), shuffled(tokens.size());
#pragma omp for schedule(dynamic, 1)
        for (Index b = 0; b < B; ++b) {
            const Scalar* xb = x.slice(b);
            for (Index i = 0; i < L; ++i) {
                tokens[static_cast<std::size_t>(i)] = static_cast<Token>(row_token(xb + 4 * i));
            }
            bool all_equal = true;
            for (Index k = 0; k < K; ++k) {
                std::mt19937_64 rng = shuffle_generator(options.seed, first_example + b, k);
                shuffle_tokens(tokens.data(), L, shuffled.data(), rng, options.algorithm,
                               workspace);
                if (all_equal && shuffled != tokens) all_equal = false;
                tokens_to_one_hot(shuffled.data(), L, out.slice(b * K + k));
            }
            if (degenerate != nullptr) degenerate[b] = all_equal;
            if (all_equal) ++n_degenerate;
        }
    }
    return n_degenerate;
}

}  // namespace attribution
}  // namespace attrprior
