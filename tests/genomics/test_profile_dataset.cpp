// Tests of attrprior/genomics/profile_dataset.hpp: summit-centred input and profile windows
// read from tracks, the channel layout (tasks x strands, controls none / shared / matched),
// reverse complement (reversed profiles, swapped strands), jitter, skip counting, splits by
// chromosome and errors. ProfileBatcher is tested in test_batching.cpp.
//
// The genome and tracks are tests/support/profile_world.hpp's: every profile entry names
// its track, chromosome and position, so it can be checked exactly.
#include "attrprior/genomics/profile_dataset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/profile_world.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/coverage.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/simulate.hpp"

namespace {

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;
using attrprior::Index;
using attrprior::testing::error_message;
using attrprior::testing::expect_invalid;
using ::testing::HasSubstr;
using namespace attrprior::testing::profile_world;

}  // namespace

// ---------------------------------------------------------------- windows and layout

TEST(ProfileDataset, WindowsAreSummitCentred) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const std::vector<ag::Interval> peaks = many_peaks();
    const ag::ProfileDataset ds(fasta, peaks, t.signal, t.control, options());
    EXPECT_EQ(ds.tasks(), 1);
    EXPECT_EQ(ds.strands(), 2);
    EXPECT_EQ(ds.input_length(), kL);
    EXPECT_EQ(ds.output_length(), kO);
    EXPECT_EQ(ds.profile_channels(), 2);
    EXPECT_EQ(ds.control_channels(), 2);
    ASSERT_EQ(ds.examples().size(), peaks.size());
    EXPECT_EQ(ds.report().peaks_read, static_cast<Index>(peaks.size()));
    EXPECT_EQ(ds.report().kept, (std::array<Index, 3>{static_cast<Index>(peaks.size()), 0, 0}));
    EXPECT_TRUE(ds.report().messages.empty());
    for (std::size_t n = 0; n < peaks.size(); ++n) {
        const Index i = static_cast<Index>(n);
        const ag::ProfileExample& e = ds.examples()[n];
        SCOPED_TRACE(peaks[n].name);
        EXPECT_EQ(e.chrom, peaks[n].chrom);  // in peak order
        EXPECT_EQ(e.summit, peaks[n].summit);
        EXPECT_EQ(e.name, peaks[n].name);
        EXPECT_EQ(e.split, ag::Split::train);
        EXPECT_EQ(ds.input_start(i), e.summit - kL / 2);
        EXPECT_EQ(ds.output_start(i), e.summit - kL / 2 + (kL - kO) / 2);
        const Encoded enc = encode(ds, i, 0, false);
        EXPECT_TRUE(one_hot_of(enc.x.data(), genome().window(e.chrom, e.summit - 100, kL)));
        const Index out = e.summit - 60;
        EXPECT_TRUE(matrix_is(enc.profile.data(), kO, 2, [&](Index pos, Index k) { return value(k, e.chrom, out + pos); }));
        EXPECT_TRUE(matrix_is(enc.control.data(), kO, 2,
                              [&](Index pos, Index c) { return value(10 + c, e.chrom, out + pos); }));
    }
    // Soft-masked bases encode like upper case (peak c1_700 covers 700-760).
    const std::string masked = genome().window("chr1", 600, kL);
    ASSERT_EQ(std::count_if(masked.begin(), masked.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)); }), 60);
    ASSERT_EQ(ds.examples()[2].summit, 700);
    EXPECT_TRUE(one_hot_of(encode(ds, 2, 0, false).x.data(), masked));
    const Encoded masked_x = encode(ds, 2, 0, false);
    EXPECT_EQ(std::count(masked_x.x.begin(), masked_x.x.end(), 1.0f), kL);
    // Encoding into double gives the same numbers.
    std::vector<double> x(kL * 4), profile(kO * 2), control(kO * 2);
    ds.encode(5, 0, false, x.data(), profile.data(), control.data());
    const Encoded f = encode(ds, 5, 0, false);
    EXPECT_EQ(std::vector<float>(x.begin(), x.end()), f.x);
    EXPECT_EQ(std::vector<float>(profile.begin(), profile.end()), f.profile);
    EXPECT_EQ(std::vector<float>(control.begin(), control.end()), f.control);
}

TEST(ProfileDataset, OddAndEqualLengthsStayCentred) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(1, 0);
    const std::vector<ag::Interval> peaks{peak("chr2", 1000, "a")};
    for (const auto& [L, O] : std::vector<std::pair<Index, Index>>{{201, 121}, {200, 200}, {201, 1}}) {
        SCOPED_TRACE(std::to_string(L) + " / " + std::to_string(O));
        ag::ProfileDatasetOptions o = options(1);
        o.input_length = L;
        o.output_length = O;
        const ag::ProfileDataset ds(fasta, peaks, t.signal, t.control, o);
        EXPECT_EQ(ds.input_start(0), 1000 - L / 2);
        EXPECT_EQ(ds.output_start(0), 1000 - L / 2 + (L - O) / 2);
        std::vector<float> x(static_cast<std::size_t>(L * 4)), profile(static_cast<std::size_t>(O));
        ds.encode(0, 0, false, x.data(), profile.data(), static_cast<float*>(nullptr));
        EXPECT_TRUE(one_hot_of(x.data(), genome().window("chr2", 1000 - L / 2, L)));
        EXPECT_TRUE(matrix_is(profile.data(), O, 1,
                              [&](Index pos, Index) { return value(0, "chr2", ds.output_start(0) + pos); }));
        // The profile window sits as far from both ends of the input window.
        EXPECT_EQ(ds.output_start(0) - ds.input_start(0),
                  (ds.input_start(0) + L) - (ds.output_start(0) + O));
    }
}

struct Layout {
    Index tasks, strands, controls;
};

class ProfileDatasetLayout : public ::testing::TestWithParam<Layout> {};

// Profile channel k is signal track k (task-major, strand-minor as given); control channel
// c is control track c; with no controls, a null control pointer is fine.
TEST_P(ProfileDatasetLayout, ChannelsFollowTheTrackOrder) {
    const Layout p = GetParam();
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(p.tasks * p.strands, p.controls);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, options(p.strands));
    EXPECT_EQ(ds.tasks(), p.tasks);
    EXPECT_EQ(ds.strands(), p.strands);
    EXPECT_EQ(ds.profile_channels(), p.tasks * p.strands);
    EXPECT_EQ(ds.control_channels(), p.controls);
    const Index P = p.tasks * p.strands, C = p.controls;
    for (Index i : {Index{0}, Index{14}, Index{27}}) {
        const ag::ProfileExample& e = ds.examples()[static_cast<std::size_t>(i)];
        const Index out = ds.output_start(i);
        for (bool rc : {false, true}) {
            SCOPED_TRACE(rc ? "reverse complement" : "forward");
            const Encoded enc = encode(ds, i, 0, rc);
            // Under reverse complement position pos reads out + O - 1 - pos, and with two
            // strands channel k reads track k ^ 1 (the other strand of the same task).
            const auto source = [&](Index pos) { return rc ? out + kO - 1 - pos : out + pos; };
            const auto track = [&](Index k) { return rc && p.strands == 2 ? k ^ 1 : k; };
            EXPECT_TRUE(matrix_is(enc.profile.data(), kO, P,
                                  [&](Index pos, Index k) { return value(track(k), e.chrom, source(pos)); }));
            EXPECT_TRUE(matrix_is(enc.control.data(), kO, C,
                                  [&](Index pos, Index c) { return value(10 + track(c), e.chrom, source(pos)); }));
            // A null control pointer skips the controls and nothing else.
            std::vector<float> x(kL * 4), profile(static_cast<std::size_t>(kO * P));
            ds.encode(i, 0, rc, x.data(), profile.data(), static_cast<float*>(nullptr));
            EXPECT_EQ(x, enc.x);
            EXPECT_EQ(profile, enc.profile);
        }
    }
}

// mean_log_counts: the mean over a split of log(1 + total reads) per profile channel,
// recomputed here from each example's encoded profile.
TEST_P(ProfileDatasetLayout, MeanLogCountsIsTheSplitMean) {
    const Layout p = GetParam();
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(p.tasks * p.strands, p.controls);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, options(p.strands));
    const Index P = p.tasks * p.strands;
    const auto& rows = ds.indices(ag::Split::train);
    ASSERT_FALSE(rows.empty());
    std::vector<double> expected(static_cast<std::size_t>(P), 0.0);
    for (Index i : rows) {
        const Encoded enc = encode(ds, i, 0, false);
        for (Index k = 0; k < P; ++k) {
            double total = 0;
            for (Index o = 0; o < kO; ++o) total += enc.profile[static_cast<std::size_t>(o * P + k)];
            expected[static_cast<std::size_t>(k)] += std::log1p(total);
        }
    }
    const auto mean = ds.mean_log_counts(ag::Split::train);
    ASSERT_EQ(mean.size(), expected.size());
    for (Index k = 0; k < P; ++k)
        EXPECT_NEAR(mean[static_cast<std::size_t>(k)], expected[static_cast<std::size_t>(k)] / double(rows.size()), 1e-9);
}

INSTANTIATE_TEST_SUITE_P(TasksStrandsControls, ProfileDatasetLayout,
                         ::testing::Values(Layout{1, 2, 0}, Layout{2, 2, 0}, Layout{2, 2, 2}, Layout{2, 2, 4},
                                           Layout{3, 1, 0}, Layout{3, 1, 1}, Layout{3, 1, 3}, Layout{1, 1, 1}),
                         [](const ::testing::TestParamInfo<Layout>& info) {
                             return "T" + std::to_string(info.param.tasks) + "S" +
                                    std::to_string(info.param.strands) + "C" + std::to_string(info.param.controls);
                         });

// ---------------------------------------------------------------- augmentation

TEST(ProfileDataset, ReverseComplementReversesProfilesAndSwapsStrands) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(4, 4);  // two tasks, two strands, matched controls
    std::vector<ag::Interval> peaks = many_peaks();
    peaks.push_back(peak("chrN", 400, "with_n"));  // 20 N in the window: kept, N rows stay zero
    const ag::ProfileDataset ds(fasta, peaks, t.signal, t.control, options(2));
    for (Index i = 0; i < static_cast<Index>(ds.examples().size()); ++i) {
        const ag::ProfileExample& e = ds.examples()[static_cast<std::size_t>(i)];
        SCOPED_TRACE(e.name);
        const Encoded fwd = encode(ds, i, 0, false), rc = encode(ds, i, 0, true);
        const std::string seq = genome().window(e.chrom, ds.input_start(i), kL);
        EXPECT_TRUE(one_hot_of(rc.x.data(), reverse_complement(seq)));
        // Against the forward encoding: reversed in position; plus and minus of each task
        // (columns 2t and 2t + 1) swapped.
        EXPECT_TRUE(matrix_is(rc.profile.data(), kO, 4, [&](Index pos, Index k) {
            const Index strand = k % 2, task = k / 2;
            return fwd.profile[static_cast<std::size_t>((kO - 1 - pos) * 4 + task * 2 + (1 - strand))];
        }));
        EXPECT_TRUE(matrix_is(rc.control.data(), kO, 4, [&](Index pos, Index c) {
            return fwd.control[static_cast<std::size_t>((kO - 1 - pos) * 4 + (c / 2) * 2 + (1 - c % 2))];
        }));
    }
    // The N example really has zero rows, in both orientations.
    const Index last = static_cast<Index>(ds.examples().size()) - 1;
    ASSERT_EQ(ds.examples().back().chrom, "chrN");
    const Encoded n_fwd = encode(ds, last, 0, false), n_rc = encode(ds, last, 0, true);
    EXPECT_EQ(std::count(n_fwd.x.begin(), n_fwd.x.end(), 1.0f), kL - 20);
    EXPECT_EQ(std::count(n_rc.x.begin(), n_rc.x.end(), 1.0f), kL - 20);
}

TEST(ProfileDataset, OneStrandReverseComplementOnlyReverses) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 1);  // two tasks, one strand, shared control
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, options(1));
    for (Index i : {Index{0}, Index{20}}) {
        const Encoded fwd = encode(ds, i, 0, false), rc = encode(ds, i, 0, true);
        EXPECT_TRUE(matrix_is(rc.profile.data(), kO, 2, [&](Index pos, Index k) {
            return fwd.profile[static_cast<std::size_t>((kO - 1 - pos) * 2 + k)];
        }));
        EXPECT_TRUE(matrix_is(rc.control.data(), kO, 1, [&](Index pos, Index) {
            return fwd.control[static_cast<std::size_t>(kO - 1 - pos)];
        }));
    }
}

TEST(ProfileDataset, ShiftMovesInputAndProfileTogether) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, options(2, 10));
    for (Index i : {Index{0}, Index{12}, Index{13}, Index{27}}) {
        const ag::ProfileExample& e = ds.examples()[static_cast<std::size_t>(i)];
        EXPECT_EQ(ds.input_start(i), e.summit - 100);  // the unshifted window, whatever the margin
        for (Index d : {-10, -7, -1, 0, 3, 10}) {
            SCOPED_TRACE(e.name + " shift " + std::to_string(d));
            const Index in = e.summit - 100 + d, out = e.summit - 60 + d;
            const Encoded fwd = encode(ds, i, d, false), rc = encode(ds, i, d, true);
            EXPECT_TRUE(one_hot_of(fwd.x.data(), genome().window(e.chrom, in, kL)));
            EXPECT_TRUE(matrix_is(fwd.profile.data(), kO, 2, [&](Index pos, Index k) { return value(k, e.chrom, out + pos); }));
            EXPECT_TRUE(matrix_is(fwd.control.data(), kO, 2,
                                  [&](Index pos, Index c) { return value(10 + c, e.chrom, out + pos); }));
            EXPECT_TRUE(one_hot_of(rc.x.data(), reverse_complement(genome().window(e.chrom, in, kL))));
            EXPECT_TRUE(matrix_is(rc.profile.data(), kO, 2,
                                  [&](Index pos, Index k) { return value(1 - k, e.chrom, out + kO - 1 - pos); }));
            EXPECT_TRUE(matrix_is(rc.control.data(), kO, 2,
                                  [&](Index pos, Index c) { return value(10 + (1 - c), e.chrom, out + kO - 1 - pos); }));
        }
    }
}

// The windows are copied at construction: the tracks need not outlive the data set.
TEST(ProfileDataset, TracksNeedNotOutliveTheDataSet) {
    ag::Fasta fasta(genome().fasta);
    std::unique_ptr<ag::ProfileDataset> ds;
    {
        const Tracks t = make_tracks(2, 2);
        ds = std::make_unique<ag::ProfileDataset>(fasta, many_peaks(), t.signal, t.control, options(2, 5));
    }
    const ag::ProfileExample& e = ds->examples()[3];
    const Encoded enc = encode(*ds, 3, -5, false);
    EXPECT_TRUE(matrix_is(enc.profile.data(), kO, 2,
                          [&](Index pos, Index k) { return value(k, e.chrom, e.summit - 65 + pos); }));
    EXPECT_TRUE(matrix_is(enc.control.data(), kO, 2,
                          [&](Index pos, Index c) { return value(10 + c, e.chrom, e.summit - 65 + pos); }));
}

// The same tracks written to bigWig and read through BigWigReader give the same examples.
TEST(ProfileDataset, BigWigTracksGiveTheSameExamples) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const fs::path dir = scratch_root() / "bigwig";
    fs::create_directories(dir);
    std::vector<std::unique_ptr<ag::BigWigReader>> readers;
    std::vector<const ag::BigWigReader*> signal, control;
    for (std::size_t k = 0; k < t.owned.size(); ++k) {
        const std::string path = (dir / ("track" + std::to_string(k) + ".bw")).string();
        ag::write_bigwig(*t.owned[k], path);
        readers.push_back(std::make_unique<ag::BigWigReader>(path));
        (k < 2 ? signal : control).push_back(readers.back().get());
    }
    const ag::ProfileDataset memory(fasta, many_peaks(), t.signal, t.control, options(2, 4));
    const ag::ProfileDataset files(fasta, many_peaks(), signal, control, options(2, 4));
    ASSERT_EQ(files.examples().size(), memory.examples().size());
    for (Index i = 0; i < static_cast<Index>(memory.examples().size()); ++i) {
        for (Index d : {-4, 0, 4}) {
            for (bool rc : {false, true}) EXPECT_TRUE(encode(files, i, d, rc) == encode(memory, i, d, rc)) << i;
        }
    }
}

// A bad value read from a bigWig is reported with the file's path (and, for a negative
// value, the likely cause: a minus strand stored as negative numbers).
TEST(ProfileDataset, BadBigWigValueNamesTheFile) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 0);
    const fs::path dir = scratch_root() / "bigwig_negative";
    fs::create_directories(dir);
    ag::CoverageTrack minus(genome().chromosomes());
    for (auto& v : minus.values("chr1")) v = -1.0f;
    const std::string path = (dir / "minus_negative.bw").string();
    ag::write_bigwig(minus, path);
    ag::write_bigwig(*t.owned[0], (dir / "plus.bw").string());
    const ag::BigWigReader plus((dir / "plus.bw").string()), negative(path);
    const std::vector<const ag::BigWigReader*> signal{&plus, &negative}, none;
    const std::string m = error_message<attrprior::numeric_error>(
        [&] { ag::ProfileDataset(fasta, many_peaks(), signal, none, options(2, 0)); });
    EXPECT_THAT(m, HasSubstr(path));
    EXPECT_THAT(m, HasSubstr("signal track 1 (task 0, minus)"));
    EXPECT_THAT(m, HasSubstr("negated"));
}

// ---------------------------------------------------------------- skips and splits

TEST(ProfileDataset, SkipsAreCountedWithMessagesNamingThePeak) {
    ag::Fasta fasta(genome().fasta);
    ChromList no_chr3;
    for (const auto& c : genome().chromosomes()) {
        if (c.first != "chr3") no_chr3.push_back(c);
    }
    Tracks t = make_tracks(2, 0);
    t.control.push_back(t.add(make_track(10, no_chr3)));
    t.control.push_back(t.add(make_track(11, genome().chromosomes())));
    // With max_jitter 10 a window spans summit - 110 .. summit + 110.
    const std::vector<ag::Interval> peaks{
        peak("chr1", 110, "first_fit"),        // 0: starts at 0: kept
        peak("chr1", 109, "left_edge"),        // 1: starts at -1: edge
        peak("chr1", 2890, "last_fit"),        // 2: ends at 3000: kept
        peak("chr1", 2891, "right_edge"),      // 3: ends at 3001: edge
        peak("chrZ", 500, "nowhere"),          // 4: unknown chromosome
        peak("chr3", 700, "no_control"),       // 5: chr3 missing from control track 0
        peak("chrN", 400, "n20"),              // 6: 20 N of 200: kept
        peak("chrN", 1300, "n21"),             // 7: 21 N: too many
        peak("chrN", 1740, "n_in_margin"),     // 8: 15 N, 10 more in the jitter margin: kept
        peak("chr1", 110, "again"),            // 9: same summit as 0: duplicate
        peak("chr2", 110, ""),                 // 10: same summit, other chromosome: kept
    };
    ag::ProfileDatasetOptions o = options(2, 10);
    const ag::ProfileDataset ds(fasta, peaks, t.signal, t.control, o);
    const ag::ProfileDatasetReport& r = ds.report();
    EXPECT_EQ(r.peaks_read, 11);
    EXPECT_EQ(r.skipped_edge, 2);
    EXPECT_EQ(r.skipped_unknown_chrom, 1);
    EXPECT_EQ(r.skipped_missing_track, 1);
    EXPECT_EQ(r.skipped_n, 1);
    EXPECT_EQ(r.duplicates_removed, 1);
    EXPECT_EQ(r.kept, (std::array<Index, 3>{5, 0, 0}));
    std::vector<std::string> kept;
    for (const ag::ProfileExample& e : ds.examples()) kept.push_back(e.name);
    EXPECT_EQ(kept, (std::vector<std::string>{"first_fit", "last_fit", "n20", "n_in_margin", "."}));

    const auto message_of = [&](const std::string& needle) {
        for (const std::string& m : r.messages) {
            if (m.find(needle) != std::string::npos) return m;
        }
        ADD_FAILURE() << "no message contains " << needle << "\n" << r.summary();
        return std::string();
    };
    EXPECT_THAT(message_of("peaks[1] 'left_edge' (chr1:79-139)"), HasSubstr("-1-219"));
    EXPECT_THAT(message_of("peaks[3] 'right_edge'"), HasSubstr("2781-3001"));
    EXPECT_THAT(message_of("peaks[4] 'nowhere' (chrZ:470-530)"), HasSubstr(genome().fasta));
    EXPECT_THAT(message_of("peaks[5] 'no_control'"), HasSubstr("control track 0"));
    EXPECT_THAT(message_of("peaks[7] 'n21'"), HasSubstr("N"));
    EXPECT_THAT(message_of("peaks[9] 'again'"), HasSubstr("chr1"));
    const std::string summary = r.summary();
    EXPECT_THAT(summary, HasSubstr("11 peaks read, 5 kept"));
    EXPECT_THAT(summary, HasSubstr("peaks[7] 'n21'"));

    // Only the input window's N count (15 <= 0.1 x 200): those in the margin show up when
    // the window is shifted onto them.
    const Index margin = 3;  // examples: n_in_margin is the fourth kept
    const Encoded centred = encode(ds, margin, 0, false);
    EXPECT_EQ(std::count(centred.x.begin(), centred.x.end(), 1.0f), kL - 15);
    const Encoded shifted = encode(ds, margin, -10, false);
    EXPECT_EQ(std::count(shifted.x.begin(), shifted.x.end(), 1.0f), kL - 25);

    // Without a jitter margin the edge peaks fit.
    const ag::ProfileDataset tight(fasta, std::vector<ag::Interval>{peaks[1], peaks[3]}, t.signal, t.control,
                                   options(2, 0));
    EXPECT_EQ(tight.report().skipped_edge, 0);
    EXPECT_EQ(tight.examples().size(), 2u);
}

TEST(ProfileDataset, MessagesAreCappedButCountsAreNot) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 0);
    std::vector<ag::Interval> peaks{peak("chr1", 500, "ok")};
    for (int k = 0; k < 15; ++k) peaks.push_back(peak("chrZ", 500 + k, "z" + std::to_string(k)));
    const ag::ProfileDataset ds(fasta, peaks, t.signal, t.control, options());
    EXPECT_EQ(ds.report().skipped_unknown_chrom, 15);
    EXPECT_EQ(ds.report().messages.size(), ag::ProfileDatasetReport::max_skip_messages);
    EXPECT_THAT(ds.report().messages.front(), HasSubstr("'z0'"));
}

TEST(ProfileDataset, SplitsFollowTheHeldOutChromosomes) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    std::vector<ag::Interval> peaks = many_peaks();
    peaks.push_back(peak("chrN", 400, "n"));
    std::shuffle(peaks.begin(), peaks.end(), std::mt19937_64(3));  // splits keep peak order
    ag::ProfileDatasetOptions o = options();
    o.valid_chroms = {"chr2"};
    o.test_chroms = {"chr3", "chrN"};
    const ag::ProfileDataset ds(fasta, peaks, t.signal, t.control, o);
    const std::map<ag::Split, std::set<std::string>> allowed{
        {ag::Split::train, {"chr1"}}, {ag::Split::valid, {"chr2"}}, {ag::Split::test, {"chr3", "chrN"}}};
    Index total = 0;
    for (const auto& [split, chroms] : allowed) {
        const std::vector<Index>& idx = ds.indices(split);
        EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end()));
        EXPECT_EQ(static_cast<Index>(idx.size()), ds.report().kept[static_cast<std::size_t>(split)]);
        for (Index i : idx) {
            const ag::ProfileExample& e = ds.examples()[static_cast<std::size_t>(i)];
            EXPECT_EQ(e.split, split);
            EXPECT_EQ(chroms.count(e.chrom), 1u) << e.chrom;
        }
        total += static_cast<Index>(idx.size());
    }
    EXPECT_EQ(ds.indices(ag::Split::train).size(), 13u);
    EXPECT_EQ(ds.indices(ag::Split::valid).size(), 8u);
    EXPECT_EQ(ds.indices(ag::Split::test).size(), 8u);
    EXPECT_EQ(total, static_cast<Index>(ds.examples().size()));
    // Without hold-outs everything is training.
    const ag::ProfileDataset all(fasta, peaks, t.signal, t.control, options());
    EXPECT_EQ(all.indices(ag::Split::train).size(), peaks.size());
    EXPECT_TRUE(all.indices(ag::Split::valid).empty());
    EXPECT_TRUE(all.indices(ag::Split::test).empty());
}

// ---------------------------------------------------------------- errors

TEST(ProfileDataset, RejectsBadOptions) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 0);
    const std::vector<ag::Interval> peaks = many_peaks();
    const auto bad = [&](const std::string& needle, auto change) {
        ag::ProfileDatasetOptions o = options();
        change(o);
        expect_invalid([&] { ag::ProfileDataset(fasta, peaks, t.signal, t.control, o); }, needle);
    };
    using O = ag::ProfileDatasetOptions;
    bad("options.input_length = 200", [](O& o) { o.output_length = 119; });   // odd L - O
    bad("options.input_length = 200", [](O& o) { o.output_length = 202; });   // O > L
    bad("options.output_length = 0", [](O& o) { o.output_length = 0; });
    bad("options.strands = 3", [](O& o) { o.strands = 3; });
    bad("options.strands = 0", [](O& o) { o.strands = 0; });
    bad("options.max_jitter = -1", [](O& o) { o.max_jitter = -1; });
    bad("options.max_n_fraction", [](O& o) { o.max_n_fraction = 1.5; });
    bad("options.max_n_fraction", [](O& o) { o.max_n_fraction = -0.1; });
    bad("options.max_n_fraction", [](O& o) { o.max_n_fraction = std::numeric_limits<double>::quiet_NaN(); });
    bad("'chrQ'", [](O& o) { o.valid_chroms = {"chr2", "chrQ"}; });
    bad("valid_chroms", [](O& o) { o.valid_chroms = {"chrQ"}; });
    bad("test_chroms", [](O& o) { o.test_chroms = {"chrQ"}; });
    bad("'chr2'", [](O& o) { o.valid_chroms = {"chr2"}; o.test_chroms = {"chr2"}; });
}

TEST(ProfileDataset, RejectsBadTrackCounts) {
    ag::Fasta fasta(genome().fasta);
    const std::vector<ag::Interval> peaks = many_peaks();
    const auto build = [&](Index strands, Index n_signal, Index n_control) {
        const Tracks t = make_tracks(n_signal, n_control);
        ag::ProfileDataset(fasta, peaks, t.signal, t.control, options(strands));
    };
    expect_invalid([&] { build(2, 3, 0); }, "signal tracks = 3");
    expect_invalid([&] { build(2, 0, 0); }, "signal tracks = 0");
    expect_invalid([&] { build(1, 0, 0); }, "signal tracks = 0");
    // Two tasks of two strands: 0, 2 or 4 controls.
    expect_invalid([&] { build(2, 4, 1); }, "control tracks = 1");
    expect_invalid([&] { build(2, 4, 3); }, "control tracks = 3");
    expect_invalid([&] { build(2, 4, 6); }, "control tracks = 6");
    EXPECT_NO_THROW(build(2, 4, 0));
    EXPECT_NO_THROW(build(2, 4, 2));
    EXPECT_NO_THROW(build(2, 4, 4));
    // Three one-strand tasks: 0, 1 or 3.
    expect_invalid([&] { build(1, 3, 2); }, "control tracks = 2");
    EXPECT_NO_THROW(build(1, 3, 1));
    EXPECT_NO_THROW(build(1, 3, 3));
    // Null tracks.
    Tracks t = make_tracks(2, 2);
    std::vector<const ag::CoverageTrack*> signal = t.signal, control = t.control;
    signal[1] = nullptr;
    expect_invalid([&] { ag::ProfileDataset(fasta, peaks, signal, t.control, options()); }, "null");
    control[0] = nullptr;
    expect_invalid([&] { ag::ProfileDataset(fasta, peaks, t.signal, control, options()); }, "null");
}

TEST(ProfileDataset, ChromosomeLengthMismatchNamesTheChromosome) {
    ag::Fasta fasta(genome().fasta);
    ChromList shorter = genome().chromosomes();
    shorter[1].second -= 1;  // chr2 one base short
    Tracks t = make_tracks(1, 0);
    t.signal.push_back(t.add(make_track(1, shorter)));
    const std::string m = error_message<attrprior::invalid_argument>(
        [&] { ag::ProfileDataset(fasta, many_peaks(), t.signal, t.control, options()); });
    EXPECT_THAT(m, HasSubstr("'chr2'"));
    EXPECT_THAT(m, HasSubstr("1999"));
    EXPECT_THAT(m, HasSubstr("2000"));
    EXPECT_THAT(m, HasSubstr("signal track 1 (task 0, minus)"));
    // Also when no peak lies on that chromosome, and for a control track.
    Tracks c = make_tracks(2, 0);
    c.control.push_back(c.add(make_track(10, genome().chromosomes())));
    c.control.push_back(c.add(make_track(11, shorter)));
    expect_invalid([&] { ag::ProfileDataset(fasta, {peak("chr1", 500)}, c.signal, c.control, options()); },
                   "control track 1 has chromosome 'chr2'");
    // A track may lack chromosomes, and hold extra ones.
    ChromList extra = genome().chromosomes();
    extra.erase(extra.begin() + 2);
    extra.emplace_back("chrExtra", 10);
    Tracks e = make_tracks(0, 0);
    e.signal.push_back(e.add(make_track(0, extra)));
    e.signal.push_back(e.add(make_track(1, extra)));
    EXPECT_NO_THROW(ag::ProfileDataset(fasta, many_peaks(), e.signal, e.control, options()));
}

TEST(ProfileDataset, NoPeaksOrAllSkippedAreErrors) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 0);
    expect_invalid([&] { ag::ProfileDataset(fasta, {}, t.signal, t.control, options()); }, "no peaks");
    const std::string m = error_message<attrprior::invalid_argument>([&] {
        ag::ProfileDataset(fasta, {peak("chrZ", 500, "lost"), peak("chr1", 50, "edge")}, t.signal, t.control,
                           options());
    });
    EXPECT_THAT(m, HasSubstr("all 2 peaks were skipped"));
    EXPECT_THAT(m, HasSubstr("'lost'"));
    EXPECT_THAT(m, HasSubstr("'edge'"));
}

// Coverage read for a kept example (its profile window widened by max_jitter) must be finite
// and non-negative; values outside those windows are never read.
TEST(ProfileDataset, NegativeOrNonFiniteCoverageIsANumericError) {
    ag::Fasta fasta(genome().fasta);
    const std::vector<ag::Interval> peaks{peak("chr2", 1000, "p")};
    const Index J = 5, lo = 1000 - 60 - J, hi = 1000 + 60 + J;  // widened profile window [lo, hi)
    const auto with = [&](Index track, Index pos, float v) {
        Tracks t = make_tracks(2, 2);
        ag::CoverageTrack& target = *t.owned[static_cast<std::size_t>(track)];
        target.values("chr2")[static_cast<std::size_t>(pos)] = v;
        return t;
    };
    const auto build = [&](const Tracks& t) { ag::ProfileDataset(fasta, peaks, t.signal, t.control, options(2, J)); };
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const Tracks negative = with(1, lo, -1.0f);
    const std::string m = error_message<attrprior::numeric_error>([&] { build(negative); });
    EXPECT_THAT(m, HasSubstr("signal track 1"));
    EXPECT_THAT(m, HasSubstr("chr2:" + std::to_string(lo)));
    EXPECT_THAT(m, HasSubstr("-1"));
    const Tracks last = with(3, hi - 1, nan);  // control track 1
    EXPECT_THAT(error_message<attrprior::numeric_error>([&] { build(last); }),
                HasSubstr("control track 1"));
    const Tracks infinite = with(0, 1000, inf);
    EXPECT_THAT(error_message<attrprior::numeric_error>([&] { build(infinite); }),
                HasSubstr("chr2:1000"));
    // Just outside the widened window, or on another chromosome: not read.
    const Tracks before = with(1, lo - 1, -1.0f), after = with(1, hi, nan), elsewhere = with(2, 10, -5.0f);
    EXPECT_NO_THROW(build(before));
    EXPECT_NO_THROW(build(after));
    EXPECT_NO_THROW(build(elsewhere));
}

TEST(ProfileDataset, EncodeRejectsIndexAndShiftOutOfRange) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 0);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, options(2, 3));
    const Index n = static_cast<Index>(ds.examples().size());
    std::vector<float> x(kL * 4), profile(kO * 2);
    const auto enc = [&](Index i, Index shift) { ds.encode(i, shift, false, x.data(), profile.data(), static_cast<float*>(nullptr)); };
    expect_invalid([&] { enc(-1, 0); }, "example = -1");
    expect_invalid([&] { enc(n, 0); }, "example = " + std::to_string(n));
    expect_invalid([&] { enc(0, 4); }, "shift = 4");
    expect_invalid([&] { enc(0, -4); }, "shift = -4");
    EXPECT_NO_THROW(enc(n - 1, 3));
    EXPECT_NO_THROW(enc(0, -3));
    const ag::ProfileDataset none(fasta, many_peaks(), t.signal, t.control, options(2, 0));
    std::vector<float> x2(kL * 4), p2(kO * 2);
    expect_invalid([&] { none.encode(0, 1, true, x2.data(), p2.data(), static_cast<float*>(nullptr)); }, "shift = 1");
}

// Training fractions of a profile study (docs/stability.md): ceil(f n) rows of the list,
// in their order, nested across fractions for one subsample seed.
TEST(TrainFractionRows, NestedOrderedSubsetsOfTheRows) {
    std::vector<Index> rows;
    for (Index i = 0; i < 40; ++i) rows.push_back(3 * i + 1);
    std::vector<Index> previous;
    for (double f : {0.1, 0.25, 0.5, 1.0}) {
        const auto kept = ag::train_fraction_rows(rows, f, 5);
        EXPECT_EQ(kept.size(), static_cast<std::size_t>(std::ceil(f * 40 - 1e-9))) << f;
        EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
        for (Index r : kept) EXPECT_NE(std::find(rows.begin(), rows.end(), r), rows.end());
        for (Index r : previous) EXPECT_NE(std::find(kept.begin(), kept.end(), r), kept.end()) << "not nested at " << f;
        previous = kept;
    }
    EXPECT_EQ(ag::train_fraction_rows(rows, 1.0, 5), rows);
    EXPECT_NE(ag::train_fraction_rows(rows, 0.25, 5), ag::train_fraction_rows(rows, 0.25, 6));
    EXPECT_THROW(ag::train_fraction_rows(rows, 0.0, 5), attrprior::invalid_argument);
}
