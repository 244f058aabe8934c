// Shared helpers of the tests of the region pipeline (region_examples, attribute_regions,
// predict_regions): a small genome written as FASTA, windows, bigWig tracks given by a
// function of (chromosome, position), and the one-hot encoding of a string derived
// independently of genomics::one_hot.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "temp_files.hpp"

namespace attrprior::testing {

/// n random bases from ACGT (seeded), e.g. a test chromosome.
inline std::string random_bases(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::string s(n, 'A');
    for (char& c : s) c = "ACGT"[gen() % 4];
    return s;
}

/// Writes `chromosomes` (name, sequence) as a FASTA at `path`, 50 bases per line.
inline void write_fasta(const std::string& path, const std::vector<std::pair<std::string, std::string>>& chromosomes) {
    std::string text;
    for (const auto& [name, seq] : chromosomes) {
        text += ">" + name + "\n";
        for (std::size_t i = 0; i < seq.size(); i += 50) text += seq.substr(i, 50) + "\n";
    }
    write_text(path, text);
}

/// A window [start, start + length) on chrom with its summit at start + length / 2 (as
/// load_regions centres them).
inline genomics::Interval region_window(const std::string& chrom, Index start, Index length, const std::string& name = "") {
    genomics::Interval w;
    w.chrom = chrom;
    w.start = start;
    w.end = start + length;
    w.summit = start + length / 2;
    w.name = name;
    return w;
}

/// The L x 4 one-hot rows of `seq` (A, C, G, T in either case; anything else: a zero row).
inline std::vector<float> expected_one_hot(const std::string& seq) {
    std::vector<float> x(seq.size() * 4, 0.f);
    const std::string alphabet = "ACGT";
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const std::size_t c = alphabet.find(static_cast<char>(std::toupper(static_cast<unsigned char>(seq[i]))));
        if (c != std::string::npos) x[i * 4 + c] = 1.f;
    }
    return x;
}

/// Writes a bigWig with the chromosome list `chromosomes` whose base p of chromosome c
/// holds value(c, p).
inline void write_track(const std::string& path, const std::vector<std::pair<std::string, Index>>& chromosomes,
                        const std::function<float(const std::string&, Index)>& value) {
    genomics::BigWigWriter writer(path, chromosomes);
    for (const auto& [name, length] : chromosomes) {
        std::vector<float> v(static_cast<std::size_t>(length));
        for (Index p = 0; p < length; ++p) v[static_cast<std::size_t>(p)] = value(name, p);
        writer.write_chromosome(name, v.data(), length);
    }
    writer.close();
}

}  // namespace attrprior::testing
