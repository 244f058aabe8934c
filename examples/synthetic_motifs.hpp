// Toy data of the tutorial examples: random one-hot sequences, half of them positives with
// the GATA1 core "AGATAA" planted within 50 bases of the centre. Real data come from the
// genomics target (FASTA + narrowPeak, docs/data.md); this keeps the tutorial dependency-free.
#pragma once

#include <attrprior/core/tensor.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace examples {

/// N sequences of length L (N x L x 4, one-hot) in x and labels (1 / 0) in y.
inline void synthetic_motifs(attrprior::Index N, attrprior::Index L, std::uint64_t seed, std::vector<float>& x,
                             std::vector<float>& y) {
    std::mt19937_64 gen(seed);
    std::uniform_int_distribution<int> base(0, 3), shift(-50, 50);
    x.assign(static_cast<std::size_t>(N * L * 4), 0.0f);
    y.assign(static_cast<std::size_t>(N), 0.0f);
    const int motif[6] = {0, 2, 0, 3, 0, 0};  // A G A T A A
    for (attrprior::Index b = 0; b < N; ++b) {
        float* row = x.data() + b * L * 4;
        for (attrprior::Index i = 0; i < L; ++i) row[i * 4 + base(gen)] = 1.0f;
        if (b % 2 != 0) continue;
        y[static_cast<std::size_t>(b)] = 1.0f;
        const attrprior::Index at = L / 2 + shift(gen);
        for (int k = 0; k < 6; ++k) {
            for (int c = 0; c < 4; ++c) row[(at + k) * 4 + c] = 0.0f;
            row[(at + k) * 4 + motif[k]] = 1.0f;
        }
    }
}

}  // namespace examples
