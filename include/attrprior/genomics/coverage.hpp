// Base-resolution read coverage held in memory, and its simulation for profile models
// (issue 6, docs/data.md §7).
//
// CoverageTrack is the in-memory counterpart of BigWigReader: both model the "track"
// that ProfileDataset reads (has_chromosome, length, read), so simulated coverage can be
// used directly or written to bigWig and read back like real data.
//
// simulate_coverage draws reads for a SimulatedGenome (simulate.hpp):
//  - every planted site (SimulatedGenome::sites) is a bound factor with a footprint: a
//    Poisson(reads_per_site) number of reads per strand; plus-strand reads fall
//    footprint_offset bases upstream of the site start, minus-strand reads the same distance
//    downstream of its end, each displaced by a rounded normal(0, footprint_sd). The two
//    strand peaks flanking a protected site are the shape ChIP-exo/ChIP-nexus profiles
//    show, and the reason BPNet-style models predict strands separately;
//  - background reads everywhere: blocks of bias_block bases get a bias factor
//    b ~ Gamma(shape 2, mean 1), and each block receives Poisson(rate * b * bias_block)
//    reads per strand at uniform positions, with rate = background_rate for the signal
//    and control_rate for the control. The shared bias is what the model's control
//    inputs can explain.
// With strands = 1 the signal and control are one track each (plus-strand reads only
// are kept for the sites, so the footprint is one-sided). Deterministic for a seed: all
// draws come from std::mt19937_64 bits through own samplers built on core/random.hpp (no
// std::*_distribution, whose output differs between standard libraries).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace attrprior::genomics {

/// Per-base values of a set of chromosomes (zeros where nothing was added).
class CoverageTrack {
public:
    CoverageTrack() = default;

    /// A zero track over these (name, length) chromosomes. Throws invalid_argument for a
    /// negative length or a repeated name.
    explicit CoverageTrack(const std::vector<std::pair<std::string, Index>>& chromosomes)
        : chromosomes_(chromosomes) {
        for (std::size_t c = 0; c < chromosomes_.size(); ++c) {
            const auto& [name, length] = chromosomes_[c];
            require(length >= 0, "CoverageTrack", "length", length, "of chromosome '", name, "' must be >= 0");
            require(index_.emplace(name, c).second, "CoverageTrack", "chromosome", name, "appears twice");
            values_.emplace_back(static_cast<std::size_t>(length), 0.0f);
        }
    }

    const std::vector<std::pair<std::string, Index>>& chromosomes() const { return chromosomes_; }

    bool has_chromosome(const std::string& chrom) const { return index_.count(chrom) != 0; }

    Index length(const std::string& chrom) const { return chromosomes_[find(chrom)].second; }

    std::vector<float>& values(const std::string& chrom) { return values_[find(chrom)]; }
    const std::vector<float>& values(const std::string& chrom) const { return values_[find(chrom)]; }

    /// Values of [start, end) into out[0], out[stride], ... (the BigWigReader contract).
    template <class Scalar>
    void read(const std::string& chrom, Index start, Index end, Scalar* out, Index stride = 1) const {
        const std::vector<float>& v = values_[find(chrom)];
        require(start >= 0 && start <= end && end <= static_cast<Index>(v.size()), "CoverageTrack::read",
                "interval", chrom + ":" + std::to_string(start) + "-" + std::to_string(end),
                "must satisfy 0 <= start <= end <= ", v.size(), " (the chromosome length)");
        require(stride >= 1, "CoverageTrack::read", "stride", stride, "must be >= 1");
        require(out != nullptr || start == end, "CoverageTrack::read", "out", "null", "must point to the output");
        for (Index i = start; i < end; ++i) out[(i - start) * stride] = static_cast<Scalar>(v[static_cast<std::size_t>(i)]);
    }

private:
    std::size_t find(const std::string& chrom) const {
        const auto it = index_.find(chrom);
        if (it == index_.end()) {
            throw invalid_argument("CoverageTrack: unknown chromosome '" + chrom + "'");
        }
        return it->second;
    }

    std::vector<std::pair<std::string, Index>> chromosomes_;
    std::unordered_map<std::string, std::size_t> index_;
    std::vector<std::vector<float>> values_;
};

/// Options of simulate_coverage (see the top of this file); defaults give ~100 reads per
/// site and strand over a sparse background, a few thousand reads per simulated peak.
struct CoverageSimulationOptions {
    Index strands = 2;               ///< 1 or 2
    double reads_per_site = 100;     ///< mean reads per planted site and strand
    double footprint_offset = 12;    ///< bases between a site edge and its strand's read mode
    double footprint_sd = 4;         ///< spread of the reads around the mode
    double background_rate = 0.05;   ///< signal background reads per base and strand
    double control_rate = 0.05;      ///< control reads per base and strand
    Index bias_block = 200;          ///< bases sharing one background bias factor
    std::uint64_t seed = 1;
};

/// Signal and control tracks, one per strand (plus first).
struct SimulatedCoverage {
    std::vector<CoverageTrack> signal, control;
};

namespace detail {

inline double cov_normal(std::mt19937_64& rng) {  // Box-Muller, one of the pair
    const double u = attrprior::uniform_open01(rng), v = attrprior::uniform_open01(rng);
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

/// Poisson draw: inversion for small means, a rounded normal approximation beyond 30.
inline Index cov_poisson(std::mt19937_64& rng, double mean) {
    if (mean <= 0) return 0;
    if (mean > 30) {
        return std::max<Index>(0, static_cast<Index>(std::llround(mean + std::sqrt(mean) * cov_normal(rng))));
    }
    double p = std::exp(-mean), cumulative = p;
    const double u = attrprior::uniform_open01(rng);
    Index k = 0;
    while (u > cumulative && k < 1000) {
        ++k;
        p *= mean / static_cast<double>(k);
        cumulative += p;
    }
    return k;
}

/// Gamma(shape 2, mean 1): the sum of two exponentials of mean 1/2.
inline double cov_bias(std::mt19937_64& rng) {
    return -0.5 * (std::log(attrprior::uniform_open01(rng)) + std::log(attrprior::uniform_open01(rng)));
}

}  // namespace detail

/// Simulated reads for `genome` (see the top of this file). Throws invalid_argument for an
/// option out of range, naming it.
inline SimulatedCoverage simulate_coverage(const SimulatedGenome& genome, const CoverageSimulationOptions& o) {
    constexpr const char* who = "simulate_coverage";
    require(o.strands == 1 || o.strands == 2, who, "strands", o.strands, "must be 1 or 2");
    require(std::isfinite(o.reads_per_site) && o.reads_per_site >= 0, who, "reads_per_site", o.reads_per_site,
            "must be finite and >= 0");
    require(std::isfinite(o.footprint_offset) && o.footprint_offset >= 0, who, "footprint_offset",
            o.footprint_offset, "must be finite and >= 0");
    require(std::isfinite(o.footprint_sd) && o.footprint_sd >= 0, who, "footprint_sd", o.footprint_sd,
            "must be finite and >= 0");
    require(std::isfinite(o.background_rate) && o.background_rate >= 0, who, "background_rate",
            o.background_rate, "must be finite and >= 0");
    require(std::isfinite(o.control_rate) && o.control_rate >= 0, who, "control_rate", o.control_rate,
            "must be finite and >= 0");
    require(o.bias_block >= 1, who, "bias_block", o.bias_block, "must be >= 1");

    std::vector<std::pair<std::string, Index>> chromosomes;
    for (std::size_t c = 0; c < genome.names.size(); ++c) {
        chromosomes.emplace_back(genome.names[c], static_cast<Index>(genome.sequences[c].size()));
    }
    SimulatedCoverage sim;
    for (Index s = 0; s < o.strands; ++s) {
        sim.signal.emplace_back(chromosomes);
        sim.control.emplace_back(chromosomes);
    }
    std::mt19937_64 rng(o.seed);
    const auto add_read = [](std::vector<float>& v, Index pos) {
        if (pos >= 0 && pos < static_cast<Index>(v.size())) v[static_cast<std::size_t>(pos)] += 1.0f;
    };
    // Background (shared bias for signal and control), chromosome by chromosome, block by block.
    for (const auto& [name, length] : chromosomes) {
        for (Index lo = 0; lo < length; lo += o.bias_block) {
            const Index width = std::min(o.bias_block, length - lo);
            const double bias = detail::cov_bias(rng);
            for (Index s = 0; s < o.strands; ++s) {
                for (auto [track, rate] : {std::pair{&sim.signal, o.background_rate},
                                           std::pair{&sim.control, o.control_rate}}) {
                    std::vector<float>& v = (*track)[static_cast<std::size_t>(s)].values(name);
                    const Index n = detail::cov_poisson(rng, rate * bias * static_cast<double>(width));
                    for (Index r = 0; r < n; ++r) {
                        // min(): u * width can round up to width when u is within 2^-53 of 1.
                        add_read(v, lo + std::min(width - 1, static_cast<Index>(attrprior::uniform_open01(rng) *
                                                                                 static_cast<double>(width))));
                    }
                }
            }
        }
    }
    // Footprints of the planted sites.
    for (const Interval& site : genome.sites) {
        for (Index s = 0; s < o.strands; ++s) {
            std::vector<float>& v = sim.signal[static_cast<std::size_t>(s)].values(site.chrom);
            const double mode = s == 0 ? static_cast<double>(site.start) - o.footprint_offset
                                       : static_cast<double>(site.end - 1) + o.footprint_offset;
            const Index n = detail::cov_poisson(rng, o.reads_per_site);
            for (Index r = 0; r < n; ++r) {
                add_read(v, static_cast<Index>(std::llround(mode + o.footprint_sd * detail::cov_normal(rng))));
            }
        }
    }
    return sim;
}

/// File names write_coverage uses in its directory: signal_plus.bw, signal_minus.bw,
/// control_plus.bw, control_minus.bw (strands = 2), or signal.bw and control.bw.
inline std::vector<std::string> coverage_file_names(const std::string& kind, Index strands) {
    require(strands == 1 || strands == 2, "coverage_file_names", "strands", strands, "must be 1 or 2");
    if (strands == 1) return {kind + ".bw"};
    return {kind + "_plus.bw", kind + "_minus.bw"};
}

/// Writes one track as a bigWig (chromosomes in the track's order).
inline void write_bigwig(const CoverageTrack& track, const std::string& path) {
    BigWigWriter writer(path, track.chromosomes());
    for (const auto& [name, length] : track.chromosomes()) {
        writer.write_chromosome(name, track.values(name).data(), length);
    }
    writer.close();
}

/// Writes the simulated tracks as bigWig files into `dir` (which must exist), named as by
/// coverage_file_names.
inline void write_coverage(const SimulatedCoverage& sim, const std::string& dir) {
    const Index strands = static_cast<Index>(sim.signal.size());
    require(sim.control.size() == sim.signal.size(), "write_coverage", "control tracks", sim.control.size(),
            "must equal the signal tracks (", sim.signal.size(), ")");
    const auto signal = coverage_file_names("signal", strands), control = coverage_file_names("control", strands);
    for (std::size_t s = 0; s < sim.signal.size(); ++s) {
        write_bigwig(sim.signal[s], (std::filesystem::path(dir) / signal[s]).string());
        write_bigwig(sim.control[s], (std::filesystem::path(dir) / control[s]).string());
    }
}

}  // namespace attrprior::genomics
