// Shared fixtures of the binary-data tests (windows, negatives, dataset, batching, example
// sets): small simulated genomes written to disk as FASTA + narrowPeak and read back with
// the readers, and helpers to decode one-hot rows. Each genome is built once per test
// program; the scratch directory is removed when the program exits.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace attrprior::testing::binary_world {

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;

/// Scratch directory of this test program (per process: concurrent runs do not share it).
inline fs::path scratch_root() {
    return fs::path(::testing::TempDir()) / ("attrprior_binary_world_" + std::to_string(static_cast<long>(::getpid())));
}

struct CleanScratch {
    ~CleanScratch() {
        std::error_code ec;
        fs::remove_all(scratch_root(), ec);
    }
};
inline CleanScratch clean_scratch;

/// A simulated genome written to disk: FASTA + narrowPeak, read back with the readers.
struct World {
    std::string fasta;
    std::vector<ag::Interval> peaks;
    std::map<std::string, Index> lengths;
};

inline World write_world(const ag::SimulatedGenome& g, const std::string& name, const std::vector<ag::Interval>& peaks) {
    const fs::path dir = scratch_root() / name;
    fs::remove_all(dir);
    ag::write_simulation(g, dir.string());
    World w;
    w.fasta = (dir / "genome.fa").string();
    const std::string np = (dir / "chosen.narrowPeak").string();
    ag::write_narrowpeak(np, peaks);
    w.peaks = ag::read_narrowpeak(np);
    for (std::size_t c = 0; c < g.names.size(); ++c) {
        w.lengths[g.names[c]] = static_cast<Index>(g.sequences[c].size());
    }
    return w;
}

inline ag::SimulationOptions sim_options() {
    ag::SimulationOptions o;
    o.chromosomes = 4;
    o.chromosome_length = 50000;
    o.positives = 60;
    o.window = 1000;
    o.seed = 11;
    return o;
}

/// 4 chromosomes x 50 kb, 60 peaks (15 per chromosome), no N.
inline const World& world() {
    static const World w = [] {
        const ag::SimulatedGenome g = ag::simulate_genome(sim_options());
        return write_world(g, "plain", g.peaks);
    }();
    return w;
}

/// As world(), but the second half of every chromosome is GC-rich (65%) and only the
/// peaks inside those halves are kept, so positives are GC-richer than the genome.
inline const World& gc_world() {
    static const World w = [] {
        ag::SimulationOptions o = sim_options();
        o.chromosome_length = 60000;
        o.positives = 80;
        ag::SimulatedGenome g = ag::simulate_genome(o);
        std::mt19937_64 rng(5);
        std::uniform_real_distribution<double> u(0, 1);
        for (std::string& s : g.sequences) {
            for (std::size_t i = s.size() / 2; i < s.size(); ++i) {
                const double r = u(rng);
                s[i] = r < 0.325 ? 'G' : r < 0.65 ? 'C' : r < 0.825 ? 'A' : 'T';
            }
        }
        std::vector<ag::Interval> rich;
        for (const ag::Interval& p : g.peaks) {
            if (p.start >= o.chromosome_length / 2) rich.push_back(p);
        }
        return write_world(g, "gc", rich);
    }();
    return w;
}

/// As world(), plus an N block at the start of peak 0 (25% of its window) and a fifth
/// chromosome "chrN" made only of N.
inline const World& n_world() {
    static const World w = [] {
        ag::SimulatedGenome g = ag::simulate_genome(sim_options());
        const ag::Interval& p0 = g.peaks[0];
        g.sequences[0].replace(static_cast<std::size_t>(p0.start), 250, std::string(250, 'N'));
        g.names.push_back("chrN");
        g.sequences.push_back(std::string(20000, 'N'));
        return write_world(g, "with_n", g.peaks);
    }();
    return w;
}

/// A one-hot row block (L x 4) decoded to bases; an all-zero row gives 'N'.
template <class Scalar>
std::string decode(const Scalar* x, Index L) {
    std::string s(static_cast<std::size_t>(L), 'N');
    for (Index i = 0; i < L; ++i) {
        int ones = 0;
        for (int c = 0; c < 4; ++c) {
            if (x[4 * i + c] == Scalar(1)) {
                s[static_cast<std::size_t>(i)] = "ACGT"[c];
                ++ones;
            } else {
                EXPECT_EQ(x[4 * i + c], Scalar(0));
            }
        }
        EXPECT_LE(ones, 1);
    }
    return s;
}

inline std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

/// Every example of a data set: train, then valid, then test.
inline std::vector<ag::Example> all_examples(const ag::BinaryDataset& ds) {
    std::vector<ag::Example> out;
    for (ag::Split s : {ag::Split::train, ag::Split::valid, ag::Split::test}) {
        out.insert(out.end(), ds.examples(s).begin(), ds.examples(s).end());
    }
    return out;
}

}  // namespace attrprior::testing::binary_world
