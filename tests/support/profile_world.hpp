// Shared fixtures of the profile-data tests (profile dataset, batching, example sets).
//
// The genome is a small FASTA written to disk (random bases, a soft-masked stretch and N
// blocks); the tracks are CoverageTracks whose value at every base names the track, the
// chromosome and the position (see value()), so every profile entry can be checked.
// Built once per test program; the scratch directory is removed when the program exits.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "attrprior/core/tensor.hpp"
#include "attrprior/genomics/batching.hpp"
#include "attrprior/genomics/coverage.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace attrprior::testing::profile_world {

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;
using attrprior::Index;

using ChromList = std::vector<std::pair<std::string, Index>>;

inline constexpr Index kL = 200, kO = 120;  // default input and profile lengths: profile at +40

/// Scratch directory of this test program (per process: concurrent runs do not share it).
inline fs::path scratch_root() {
    return fs::path(::testing::TempDir()) /
           ("attrprior_profile_world_" + std::to_string(static_cast<long>(::getpid())));
}

struct CleanScratch {
    ~CleanScratch() {
        std::error_code ec;
        fs::remove_all(scratch_root(), ec);
    }
};
inline CleanScratch clean_scratch;

/// The genome on disk and in memory (the in-memory copy is the reference the tests compare
/// against).
struct Genome {
    std::string fasta;
    std::vector<std::string> names, sequences;

    Index index(const std::string& chrom) const {
        const auto it = std::find(names.begin(), names.end(), chrom);
        return it == names.end() ? 9 : static_cast<Index>(it - names.begin());
    }
    const std::string& sequence(const std::string& chrom) const {
        return sequences[static_cast<std::size_t>(index(chrom))];
    }
    Index length(const std::string& chrom) const { return static_cast<Index>(sequence(chrom).size()); }
    ChromList chromosomes() const {
        ChromList c;
        for (const std::string& n : names) c.emplace_back(n, length(n));
        return c;
    }
    std::string window(const std::string& chrom, Index start, Index length) const {
        return sequence(chrom).substr(static_cast<std::size_t>(start), static_cast<std::size_t>(length));
    }
};

/// chr1 (3000 bases, soft-masked 700-760), chr2 (2000), chr3 (1500), chrN (2000) with N at
/// [300, 320) (20 N), [1200, 1221) (21 N) and [1605, 1655) (50 N).
inline const Genome& genome() {
    static const Genome g = [] {
        Genome out;
        out.names = {"chr1", "chr2", "chr3", "chrN"};
        std::mt19937_64 rng(2024);
        for (Index length : {3000, 2000, 1500, 2000}) {
            std::string s(static_cast<std::size_t>(length), 'A');
            for (char& c : s) c = "ACGT"[rng() % 4];
            out.sequences.push_back(s);
        }
        for (std::size_t i = 700; i < 760; ++i) {
            out.sequences[0][i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out.sequences[0][i])));
        }
        std::string& n = out.sequences[3];
        n.replace(300, 20, std::string(20, 'N'));
        n.replace(1200, 21, std::string(21, 'N'));
        n.replace(1605, 50, std::string(50, 'N'));
        fs::create_directories(scratch_root());
        out.fasta = (scratch_root() / "genome.fa").string();
        ag::SimulatedGenome sim;
        sim.names = out.names;
        sim.sequences = out.sequences;
        ag::write_fasta(out.fasta, sim);
        return out;
    }();
    return g;
}

/// The value of track `id` at chrom:pos. Signal tracks have ids 0, 1, ..., controls 10,
/// 11, ...; every (track, chromosome, position) gets its own value, exact in float.
inline float value(Index id, const std::string& chrom, Index pos) {
    return static_cast<float>(1000000 * (genome().index(chrom) + 1) + 10000 * (id + 1) + pos);
}

inline ag::CoverageTrack make_track(Index id, const ChromList& chromosomes) {
    ag::CoverageTrack t(chromosomes);
    for (const auto& [name, length] : chromosomes) {
        std::vector<float>& v = t.values(name);
        for (Index i = 0; i < length; ++i) v[static_cast<std::size_t>(i)] = value(id, name, i);
    }
    return t;
}

/// Signal tracks with ids 0 .. n_signal - 1 and controls with ids 10 .. 10 + n_control - 1.
struct Tracks {
    std::vector<std::unique_ptr<ag::CoverageTrack>> owned;
    std::vector<const ag::CoverageTrack*> signal, control;

    const ag::CoverageTrack* add(ag::CoverageTrack t) {
        owned.push_back(std::make_unique<ag::CoverageTrack>(std::move(t)));
        return owned.back().get();
    }
};

inline Tracks make_tracks(Index n_signal, Index n_control, const ChromList& chromosomes = genome().chromosomes()) {
    Tracks t;
    for (Index k = 0; k < n_signal; ++k) t.signal.push_back(t.add(make_track(k, chromosomes)));
    for (Index c = 0; c < n_control; ++c) t.control.push_back(t.add(make_track(10 + c, chromosomes)));
    return t;
}

inline ag::Interval peak(const std::string& chrom, Index summit, const std::string& name = "") {
    ag::Interval p;
    p.chrom = chrom;
    p.start = summit - 30;
    p.end = summit + 30;
    p.name = name;
    p.score = 1;
    p.summit = summit;
    return p;
}

/// 13 peaks on chr1, 8 on chr2, 7 on chr3, all at least 110 bases from the ends.
inline std::vector<ag::Interval> many_peaks() {
    std::vector<ag::Interval> peaks;
    for (Index s = 300; s <= 2700; s += 200) peaks.push_back(peak("chr1", s, "c1_" + std::to_string(s)));
    for (Index s = 300; s <= 1700; s += 200) peaks.push_back(peak("chr2", s, "c2_" + std::to_string(s)));
    for (Index s = 300; s <= 1200; s += 150) peaks.push_back(peak("chr3", s, "c3_" + std::to_string(s)));
    return peaks;
}

inline ag::ProfileDatasetOptions options(Index strands = 2, Index max_jitter = 0) {
    ag::ProfileDatasetOptions o;
    o.input_length = kL;
    o.output_length = kO;
    o.strands = strands;
    o.max_jitter = max_jitter;
    return o;
}

inline std::string reverse_complement(const std::string& s) {
    std::string out(s.rbegin(), s.rend());
    for (char& c : out) {
        switch (std::toupper(static_cast<unsigned char>(c))) {
            case 'A': c = 'T'; break;
            case 'C': c = 'G'; break;
            case 'G': c = 'C'; break;
            case 'T': c = 'A'; break;
            default: c = 'N'; break;
        }
    }
    return out;
}

/// x (seq.size() x 4) is the one-hot of seq: ACGT in either case set one channel, anything
/// else gives a zero row.
inline ::testing::AssertionResult one_hot_of(const float* x, const std::string& seq) {
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const char b = static_cast<char>(std::toupper(static_cast<unsigned char>(seq[i])));
        const std::size_t pos = std::string("ACGT").find(b);
        for (std::size_t c = 0; c < 4; ++c) {
            const float want = c == pos ? 1.0f : 0.0f;
            if (x[4 * i + c] != want) {
                return ::testing::AssertionFailure()
                       << "position " << i << " (base '" << seq[i] << "') channel " << c << " is " << x[4 * i + c];
            }
        }
    }
    return ::testing::AssertionSuccess();
}

/// m (rows x cols, row-major) equals expected(row, col) everywhere.
template <class F>
::testing::AssertionResult matrix_is(const float* m, Index rows, Index cols, F expected) {
    for (Index r = 0; r < rows; ++r) {
        for (Index c = 0; c < cols; ++c) {
            const float want = expected(r, c);
            if (m[r * cols + c] != want) {
                return ::testing::AssertionFailure()
                       << "entry (" << r << ", " << c << ") is " << m[r * cols + c] << ", expected " << want;
            }
        }
    }
    return ::testing::AssertionSuccess();
}

/// One encoded example.
struct Encoded {
    std::vector<float> x, profile, control;
    friend bool operator==(const Encoded& a, const Encoded& b) {
        return a.x == b.x && a.profile == b.profile && a.control == b.control;
    }
};

inline Encoded encode(const ag::ProfileDataset& ds, Index i, Index shift, bool rc) {
    Encoded e;
    e.x.assign(static_cast<std::size_t>(ds.input_length() * 4), -1.0f);
    e.profile.assign(static_cast<std::size_t>(ds.output_length() * ds.profile_channels()), -1.0f);
    e.control.assign(static_cast<std::size_t>(ds.output_length() * ds.control_channels()), -1.0f);
    ds.encode(i, shift, rc, e.x.data(), e.profile.data(), e.control.empty() ? nullptr : e.control.data());
    return e;
}

/// `batches` batches drawn from a ProfileBatcher, cut into examples.
inline std::vector<Encoded> draw(ag::ProfileBatcher& batcher, const ag::ProfileDataset& ds, Index batches) {
    const Index B = batcher.batch_size(), L = ds.input_length(), O = ds.output_length();
    const Index P = ds.profile_channels(), C = ds.control_channels();
    std::vector<Encoded> out;
    std::vector<float> x(static_cast<std::size_t>(B * L * 4)), profile(static_cast<std::size_t>(B * O * P)),
        control(static_cast<std::size_t>(B * O * C));
    for (Index n = 0; n < batches; ++n) {
        std::fill(x.begin(), x.end(), -1.0f);
        std::fill(profile.begin(), profile.end(), -1.0f);
        std::fill(control.begin(), control.end(), -1.0f);
        batcher.next(x.data(), profile.data(), C > 0 ? control.data() : nullptr);
        for (Index b = 0; b < B; ++b) {
            const auto rows = [b](const std::vector<float>& v, Index width) {
                return std::vector<float>(v.begin() + b * width, v.begin() + (b + 1) * width);
            };
            out.push_back(Encoded{rows(x, L * 4), rows(profile, O * P), rows(control, O * C)});
        }
    }
    return out;
}

/// What a batch row is: example, shift and orientation; example -1 when nothing matches.
struct Identity {
    Index example = -1, shift = 0;
    bool rc = false;
};

/// Every encoding of a data set's examples (all shifts up to max_jitter, both
/// orientations), to identify batch rows.
class Catalogue {
public:
    explicit Catalogue(const ag::ProfileDataset& ds) {
        const Index J = ds.options().max_jitter;
        for (Index i = 0; i < static_cast<Index>(ds.examples().size()); ++i) {
            for (Index d = -J; d <= J; ++d) {
                for (bool rc : {false, true}) entries_.emplace_back(Identity{i, d, rc}, encode(ds, i, d, rc));
            }
        }
    }

    Identity identify(const Encoded& row) const {
        Identity found;
        int matches = 0;
        for (const auto& [id, e] : entries_) {
            if (e.profile == row.profile && e.x == row.x && e.control == row.control) {
                found = id;
                ++matches;
            }
        }
        EXPECT_LE(matches, 1) << "a batch row matches several encodings";
        return found;
    }

private:
    std::vector<std::pair<Identity, Encoded>> entries_;
};

/// Training on chr1 (13 examples), validation chr2 (8), test chr3 (7).
inline ag::ProfileDatasetOptions split_options(Index max_jitter) {
    ag::ProfileDatasetOptions o = options(2, max_jitter);
    o.valid_chroms = {"chr2"};
    o.test_chroms = {"chr3"};
    return o;
}

}  // namespace attrprior::testing::profile_world
