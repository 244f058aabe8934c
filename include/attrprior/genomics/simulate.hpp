// A synthetic genome with planted motifs: the embedded default data set (docs/data.md §7).
//
// simulate_genome draws a random background genome, chooses peak windows (the
// positives) and plants motif instances sampled from position weight matrices inside
// them. The planted positions are returned, so attribution quality can be scored
// against the truth. write_simulation writes the genome, peaks and sites as FASTA,
// narrowPeak and BED files, so the simulated data go through the same reading code as
// real data.
//
// The model, with o = SimulationOptions:
//  - Background: o.chromosomes chromosomes "chr1", "chr2", ... of o.chromosome_length
//    upper-case bases. markov_order 0 draws bases independently with P(C) = P(G) =
//    background_gc / 2 and P(A) = P(T) = (1 - background_gc) / 2. markov_order 1 uses a
//    first-order Markov chain whose CpG dinucleotide is depleted: every row of its
//    transition matrix is the same base distribution q (P(C) = P(G), P(A) = P(T)) except
//    the row after a C, where the weight of G is cut to a quarter and the row renormalised.
//    q is calibrated (bisection) so that the chain's stationary GC fraction equals
//    background_gc. The CpG observed/expected ratio is then about 0.36 at 42% GC (0.43 at
//    60%). The first base of a chromosome is drawn from the stationary distribution.
//  - Peaks: o.positives windows of o.window bases, dealt round-robin to the chromosomes
//    (chromosome i gets every o.chromosomes-th peak), placed uniformly at random such that
//    windows do not overlap one another and every window keeps at least o.window bases
//    from both chromosome ends. Peaks are sorted by chromosome then start, and named
//    "peak_1", "peak_2", ... in that order. A peak's score is its number of planted
//    sites; its summit is the window centre, start + window / 2 (absolute position, as
//    Interval stores it).
//  - Sites: each peak receives k sites, k uniform in [sites_per_positive_min,
//    sites_per_positive_max]; each site's motif is drawn uniformly from o.motifs
//    (built-in motif names, see builtin_motif). The sites are placed uniformly at random,
//    without overlapping each other, inside the central 60% of the window
//    [start + window / 5, end - window / 5). A site's bases are drawn position by position
//    from the PWM; on the minus strand (probability 1/2) the drawn site is reverse
//    complemented before it replaces the background.
//  - Decoys: with negative_site_rate r > 0, every window-sized tile [k*window,
//    (k+1)*window) of a chromosome that overlaps no peak receives floor(r) sites, plus one
//    more with probability r - floor(r), placed like the sites of a peak but anywhere in
//    the tile. They are listed in `sites` too; they lie outside every peak window.
//  - Site records: name = motif name, score = +1 (plus strand) or -1 (minus strand),
//    summit = start + length / 2. Sites are sorted by chromosome then start.
//
// Randomness: one std::mt19937_64 seeded with o.seed; uniform numbers are formed from its
// raw output ((x >> 11) * 2^-53, core/random.hpp), not with <random> distributions, so the
// same seed gives the same genome with every standard library.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <locale>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/motifs.hpp"
#include "attrprior/genomics/sequence.hpp"

namespace attrprior::genomics {

/// Parameters of simulate_genome (see the top of this file for the model).
struct SimulationOptions {
    Index chromosomes = 4;
    Index chromosome_length = 200000;
    Index positives = 400;
    Index window = 1000;  ///< peaks are windows of this size
    std::vector<std::string> motifs{"SPI1"};  ///< built-in motif names planted in peaks
    Index sites_per_positive_min = 1, sites_per_positive_max = 3;
    double background_gc = 0.42;
    int markov_order = 0;  ///< 0 = i.i.d., 1 = first-order Markov, CpG-depleted
    double negative_site_rate = 0.0;  ///< planted decoy sites per window-sized negative tile
    std::uint64_t seed = 1;
};

/// A simulated genome and its ground truth.
struct SimulatedGenome {
    std::vector<std::string> names;      ///< chromosome names, "chr1", "chr2", ...
    std::vector<std::string> sequences;  ///< chromosome sequences (A, C, G, T)
    std::vector<Interval> peaks;  ///< positives: chrom, start, end, name, score, summit
    std::vector<Interval> sites;  ///< planted sites: name = motif, score = strand +1 / -1
};

namespace detail {

/// Factor applied to the weight of G after a C in the Markov background (before the
/// row is renormalised).
inline constexpr double kSimCpgDepletion = 0.25;

/// Index drawn with the (normalised) probabilities p.
inline int sim_categorical(std::mt19937_64& rng, const std::array<double, 4>& p) {
    const double u = attrprior::uniform01(rng);
    double cumulative = 0;
    int last = 0;
    for (int c = 0; c < 4; ++c) {
        if (p[c] <= 0) continue;
        cumulative += p[c];
        last = c;
        if (u < cumulative) return c;
    }
    return last;  // rounding: u beyond the last cumulative sum
}

using SimTransitions = std::array<std::array<double, 4>, 4>;

/// The CpG-depleted transition matrix built around i.i.d. GC fraction g.
inline SimTransitions sim_cpg_transitions(double g) {
    const std::array<double, 4> q{(1 - g) / 2, g / 2, g / 2, (1 - g) / 2};
    SimTransitions t;
    for (int a = 0; a < 4; ++a) t[a] = q;
    t[1][2] *= kSimCpgDepletion;
    const double total = t[1][0] + t[1][1] + t[1][2] + t[1][3];
    for (double& p : t[1]) p /= total;
    return t;
}

inline std::array<double, 4> sim_stationary(const SimTransitions& t) {
    std::array<double, 4> pi{0.25, 0.25, 0.25, 0.25};
    for (int iter = 0; iter < 2000; ++iter) {
        std::array<double, 4> next{};
        for (int a = 0; a < 4; ++a) {
            for (int b = 0; b < 4; ++b) next[b] += pi[a] * t[a][b];
        }
        double diff = 0;
        for (int b = 0; b < 4; ++b) diff += std::abs(next[b] - pi[b]);
        pi = next;
        if (diff < 1e-15) break;
    }
    return pi;
}

/// The CpG-depleted chain whose stationary GC fraction is `gc` (bisection on g).
inline SimTransitions sim_calibrated_transitions(double gc) {
    double lo = 0, hi = 1;
    for (int iter = 0; iter < 60; ++iter) {
        const double mid = 0.5 * (lo + hi);
        const std::array<double, 4> pi = sim_stationary(sim_cpg_transitions(mid));
        if (pi[1] + pi[2] < gc) lo = mid; else hi = mid;
    }
    return sim_cpg_transitions(0.5 * (lo + hi));
}

inline char sim_base(int c) { return "ACGT"[c]; }

/// Start positions for intervals of the given lengths, in this order, inside [lo, hi),
/// not overlapping and uniformly distributed. Requires sum(lengths) <= hi - lo.
inline std::vector<Index> sim_place(std::mt19937_64& rng, Index lo, Index hi,
                                    const std::vector<Index>& lengths) {
    Index total = 0;
    for (Index len : lengths) total += len;
    const Index slack = (hi - lo) - total;
    std::vector<Index> offsets(lengths.size());
    for (Index& u : offsets) u = attrprior::uniform_below(rng, slack + 1);
    std::sort(offsets.begin(), offsets.end());
    std::vector<Index> starts(lengths.size());
    Index before = 0;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        starts[i] = lo + offsets[i] + before;
        before += lengths[i];
    }
    return starts;
}

/// Plants `count` sites of motifs drawn from `motifs` inside [lo, hi) of `sequence`,
/// appending their records to `sites`.
inline void sim_plant(std::mt19937_64& rng, const std::vector<const Motif*>& motifs,
                      Index count, Index lo, Index hi, const std::string& chrom,
                      std::string& sequence, std::vector<Interval>& sites) {
    std::vector<const Motif*> chosen(static_cast<std::size_t>(count));
    std::vector<Index> lengths(static_cast<std::size_t>(count));
    for (Index i = 0; i < count; ++i) {
        chosen[i] = motifs[static_cast<std::size_t>(
            attrprior::uniform_below(rng, static_cast<Index>(motifs.size())))];
        lengths[i] = chosen[i]->length();
    }
    const std::vector<Index> starts = sim_place(rng, lo, hi, lengths);
    for (Index i = 0; i < count; ++i) {
        const bool minus = attrprior::uniform01(rng) < 0.5;
        std::string site(static_cast<std::size_t>(lengths[i]), 'N');
        for (Index j = 0; j < lengths[i]; ++j) {
            site[j] = sim_base(sim_categorical(rng, chosen[i]->probabilities[j]));
        }
        if (minus) site = reverse_complement(site);
        sequence.replace(static_cast<std::size_t>(starts[i]), site.size(), site);
        Interval iv;
        iv.chrom = chrom;
        iv.start = starts[i];
        iv.end = starts[i] + lengths[i];
        iv.name = chosen[i]->name;
        iv.score = minus ? -1.0 : 1.0;
        iv.summit = iv.start + lengths[i] / 2;
        sites.push_back(std::move(iv));
    }
}

/// Formats a number with the classic locale ("12", "0.5", "-1").
inline std::string sim_format(double v) {
    std::ostringstream os;
    os.imbue(std::locale::classic());
    os << v;
    return os.str();
}

/// Writes `text` to `path`, or throws io_error naming the file.
inline void sim_write_text(const std::string& path, const std::string& text,
                           const char* who) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
        throw io_error(attrprior::detail::concat(who, ": cannot open '", path,
                                                 "' for writing"));
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
        throw io_error(attrprior::detail::concat(who, ": error while writing '", path, "'"));
    }
}

}  // namespace detail

/// Simulates a genome with planted motifs (see the top of this file).
/// Throws invalid_argument when an option is out of range: fewer than 1 chromosome,
/// window or chromosome length < 1, negative positives, more positives than fit
/// (a chromosome holding n peaks needs chromosome_length >= (n + 2) * window), no motif
/// or an unknown motif name, sites_per_positive_min < 1 or > max, max sites of the
/// longest motif not fitting in the central 60% of the window, background_gc outside
/// (0, 1), markov_order other than 0 or 1, or a negative_site_rate that is negative,
/// not finite, or plants more than fits in a window.
inline SimulatedGenome simulate_genome(const SimulationOptions& o) {
    constexpr const char* who = "simulate_genome";
    require(o.chromosomes >= 1, who, "chromosomes", o.chromosomes, "must be >= 1");
    require(o.chromosome_length >= 1, who, "chromosome_length", o.chromosome_length,
            "must be >= 1");
    require(o.window >= 1, who, "window", o.window, "must be >= 1");
    require(o.positives >= 0, who, "positives", o.positives, "must be >= 0");
    require(o.background_gc > 0 && o.background_gc < 1, who, "background_gc",
            o.background_gc, "must be in (0, 1)");
    require(o.markov_order == 0 || o.markov_order == 1, who, "markov_order", o.markov_order,
            "must be 0 (i.i.d.) or 1 (first-order Markov)");
    require(std::isfinite(o.negative_site_rate) && o.negative_site_rate >= 0, who,
            "negative_site_rate", o.negative_site_rate, "must be finite and >= 0");
    require(o.sites_per_positive_min >= 1, who, "sites_per_positive_min",
            o.sites_per_positive_min, "must be >= 1");
    require(o.sites_per_positive_max >= o.sites_per_positive_min, who,
            "sites_per_positive_max", o.sites_per_positive_max,
            "must be >= sites_per_positive_min = ", o.sites_per_positive_min);

    const bool plants = o.positives > 0 || o.negative_site_rate > 0;
    require(!plants || !o.motifs.empty(), who, "motifs.size()", o.motifs.size(),
            "must be >= 1 when sites are planted");
    std::vector<const Motif*> motifs;
    Index longest = 0;
    for (const std::string& name : o.motifs) {
        motifs.push_back(&builtin_motif(name));
        longest = std::max(longest, motifs.back()->length());
    }

    const Index margin = o.window / 5;
    const Index central = o.window - 2 * margin;
    if (o.positives > 0) {
        require(o.sites_per_positive_max * longest <= central, who, "sites_per_positive_max",
                o.sites_per_positive_max, "sites of the longest motif (", longest,
                " bases) do not fit in the central 60% (", central, " bases) of window = ",
                o.window);
    }
    const Index per_chromosome =
        o.positives / o.chromosomes + (o.positives % o.chromosomes != 0 ? 1 : 0);
    const Index capacity = o.chromosome_length / o.window - 2;
    require(per_chromosome <= std::max<Index>(capacity, 0), who, "positives", o.positives,
            "do not fit: each of the ", o.chromosomes, " chromosomes of length ",
            o.chromosome_length, " holds at most ", std::max<Index>(capacity, 0),
            " non-overlapping windows of ", o.window,
            " bases kept a window away from both ends");
    const Index rate_ceil = static_cast<Index>(std::ceil(o.negative_site_rate));
    if (o.negative_site_rate > 0) {
        require(rate_ceil * longest <= o.window, who, "negative_site_rate",
                o.negative_site_rate, "plants up to ", rate_ceil,
                " sites of the longest motif (", longest,
                " bases) per tile, which do not fit in window = ", o.window);
    }

    std::mt19937_64 rng(o.seed);
    SimulatedGenome g;
    const std::size_t n_chrom = static_cast<std::size_t>(o.chromosomes);
    g.names.resize(n_chrom);
    g.sequences.resize(n_chrom);

    // Background.
    const std::array<double, 4> iid{(1 - o.background_gc) / 2, o.background_gc / 2,
                                    o.background_gc / 2, (1 - o.background_gc) / 2};
    detail::SimTransitions transitions{};
    std::array<double, 4> first = iid;
    if (o.markov_order == 1) {
        transitions = detail::sim_calibrated_transitions(o.background_gc);
        first = detail::sim_stationary(transitions);
    }
    for (std::size_t c = 0; c < n_chrom; ++c) {
        g.names[c] = "chr" + std::to_string(c + 1);
        std::string& seq = g.sequences[c];
        seq.resize(static_cast<std::size_t>(o.chromosome_length));
        int prev = detail::sim_categorical(rng, first);
        seq[0] = detail::sim_base(prev);
        for (std::size_t i = 1; i < seq.size(); ++i) {
            prev = detail::sim_categorical(rng, o.markov_order == 1 ? transitions[prev] : iid);
            seq[i] = detail::sim_base(prev);
        }
    }

    // Peaks and their sites, chromosome by chromosome.
    std::vector<std::vector<Interval>> chrom_peaks(n_chrom);
    for (std::size_t c = 0; c < n_chrom; ++c) {
        const Index count = o.positives / o.chromosomes +
                            (static_cast<Index>(c) < o.positives % o.chromosomes ? 1 : 0);
        if (count == 0) continue;
        const std::vector<Index> starts = detail::sim_place(
            rng, o.window, o.chromosome_length - o.window,
            std::vector<Index>(static_cast<std::size_t>(count), o.window));
        for (Index start : starts) {
            Interval peak;
            peak.chrom = g.names[c];
            peak.start = start;
            peak.end = start + o.window;
            peak.summit = start + o.window / 2;
            const Index k = o.sites_per_positive_min +
                            attrprior::uniform_below(
                                rng, o.sites_per_positive_max - o.sites_per_positive_min + 1);
            peak.score = static_cast<double>(k);
            detail::sim_plant(rng, motifs, k, start + margin, peak.end - margin, g.names[c],
                              g.sequences[c], g.sites);
            chrom_peaks[c].push_back(std::move(peak));
        }
    }

    // Decoy sites in the window-sized tiles that overlap no peak.
    if (o.negative_site_rate > 0) {
        const Index whole = static_cast<Index>(std::floor(o.negative_site_rate));
        const double extra = o.negative_site_rate - static_cast<double>(whole);
        for (std::size_t c = 0; c < n_chrom; ++c) {
            std::size_t next_peak = 0;
            const std::vector<Interval>& peaks = chrom_peaks[c];
            for (Index lo = 0; lo + o.window <= o.chromosome_length; lo += o.window) {
                const Index hi = lo + o.window;
                while (next_peak < peaks.size() && peaks[next_peak].end <= lo) ++next_peak;
                if (next_peak < peaks.size() && peaks[next_peak].start < hi) continue;
                const Index count = whole + (attrprior::uniform01(rng) < extra ? 1 : 0);
                if (count > 0) {
                    detail::sim_plant(rng, motifs, count, lo, hi, g.names[c], g.sequences[c],
                                      g.sites);
                }
            }
        }
    }

    Index number = 0;
    for (auto& peaks : chrom_peaks) {
        for (Interval& peak : peaks) {
            peak.name = "peak_" + std::to_string(++number);
            g.peaks.push_back(std::move(peak));
        }
    }
    // Sites were appended chromosome by chromosome; order them by start within each.
    std::stable_sort(g.sites.begin(), g.sites.end(), [&](const Interval& a, const Interval& b) {
        const auto ia = std::find(g.names.begin(), g.names.end(), a.chrom) - g.names.begin();
        const auto ib = std::find(g.names.begin(), g.names.end(), b.chrom) - g.names.begin();
        return ia != ib ? ia < ib : a.start < b.start;
    });
    return g;
}

/// Writes the chromosomes of `genome` to a FASTA file, `line_width` bases per line.
/// Throws invalid_argument for line_width < 1, names and sequences of different counts,
/// or an empty name or one containing whitespace; io_error if the file cannot be written.
inline void write_fasta(const std::string& path, const SimulatedGenome& genome,
                        Index line_width = 60) {
    require(line_width >= 1, "write_fasta", "line_width", line_width, "must be >= 1");
    require(genome.names.size() == genome.sequences.size(), "write_fasta", "names.size()",
            genome.names.size(), "must equal sequences.size() = ", genome.sequences.size());
    std::string text;
    for (std::size_t c = 0; c < genome.names.size(); ++c) {
        const std::string& name = genome.names[c];
        const bool bad_name =
            name.empty() || std::any_of(name.begin(), name.end(), [](char ch) {
                return detail::motif_is_space(ch);
            });
        require(!bad_name, "write_fasta", "names[i]", "'" + name + "'",
                "must be non-empty and free of whitespace (i = ", c, ")");
        const std::string& seq = genome.sequences[c];
        text += '>';
        text += name;
        text += '\n';
        const std::size_t width = static_cast<std::size_t>(line_width);
        for (std::size_t i = 0; i < seq.size(); i += width) {
            text.append(seq, i, std::min(width, seq.size() - i));
            text += '\n';
        }
    }
    detail::sim_write_text(path, text, "write_fasta");
}

/// Writes a simulation to directory `dir` (created if missing):
///  - dir/genome.fa: the chromosomes (write_fasta, 60 bases per line);
///  - dir/peaks.narrowPeak: the peaks as 10-column narrowPeak: chrom, start, end, name,
///    score (the number of planted sites), strand ".", signalValue (= score), pValue -1,
///    qValue -1, summit offset from start (column 10);
///  - dir/motif_sites.bed: the planted sites as BED6: chrom, start, end, motif name,
///    score (+1 / -1, the strand as in SimulatedGenome::sites), strand ("+" / "-").
/// Throws io_error naming the directory or file when it cannot be created or written.
inline void write_simulation(const SimulatedGenome& genome, const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir, ec)) {
        throw io_error(attrprior::detail::concat(
            "write_simulation: cannot create directory '", dir, "'",
            ec ? ": " + ec.message() : std::string(": a file of that name exists")));
    }
    const fs::path base(dir);
    write_fasta((base / "genome.fa").string(), genome);

    std::string peaks;
    for (const Interval& p : genome.peaks) {
        peaks += p.chrom + '\t' + std::to_string(p.start) + '\t' + std::to_string(p.end) +
                 '\t' + (p.name.empty() ? std::string(".") : p.name) + '\t' +
                 detail::sim_format(std::round(p.score)) + "\t.\t" +
                 detail::sim_format(p.score) + "\t-1\t-1\t" +
                 std::to_string(p.summit - p.start) + '\n';
    }
    detail::sim_write_text((base / "peaks.narrowPeak").string(), peaks, "write_simulation");

    std::string sites;
    for (const Interval& s : genome.sites) {
        sites += s.chrom + '\t' + std::to_string(s.start) + '\t' + std::to_string(s.end) +
                 '\t' + (s.name.empty() ? std::string(".") : s.name) + '\t' +
                 detail::sim_format(s.score) + '\t' + (s.score < 0 ? '-' : '+') + '\n';
    }
    detail::sim_write_text((base / "motif_sites.bed").string(), sites, "write_simulation");
}

}  // namespace attrprior::genomics
