// Tests of attrprior/genomics/region_examples.hpp: input 0 is the one-hot FASTA window (N,
// IUPAC codes and lowercase as the encoding of the string says); control tracks read over
// the centred output window, in the order given, as input 1; shapes with and without
// controls; negative control values (numeric_error naming track and position); windows of
// the wrong length, on unknown chromosomes, on chromosomes absent from a control track or
// whose output window passes a control track's chromosome end (invalid_argument naming the
// window); bad output lengths; a chunked walk equals encoding everything at once.
#include "attrprior/genomics/region_examples.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "../support/expect_error.hpp"
#include "../support/region_files.hpp"
#include "../support/temp_files.hpp"
#include "attrprior/attribution/examples.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/fasta.hpp"

namespace ag = attrprior::genomics;
namespace at = attrprior::attribution;
namespace ts = attrprior::testing;
using attrprior::Index;
using ts::error_message;
using ts::expect_invalid;
using ::testing::HasSubstr;

namespace {

constexpr Index L = 40, O = 20;  // output window: bases [10, 30) of the input window

std::string temp_path(const std::string& name) { return ts::temp_path("attrprior_region_examples_", name); }

/// chr1: 300 random bases with N at [50, 54), lowercase at [60, 70), an R at 80; chr2: 120.
struct Genome {
    std::string chr1, chr2, path;
    Genome() {
        chr1 = ts::random_bases(300, 11);
        chr1.replace(50, 4, "NNNN");
        for (std::size_t i = 60; i < 70; ++i) chr1[i] = static_cast<char>(std::tolower(chr1[i]));
        chr1[80] = 'R';
        chr2 = ts::random_bases(120, 12);
        path = temp_path("genome.fa");
        ts::write_fasta(path, {{"chr1", chr1}, {"chr2", chr2}});
    }
    const std::string& seq(const std::string& chrom) const { return chrom == "chr1" ? chr1 : chr2; }
};

std::vector<ag::Interval> test_windows() {
    return {ts::region_window("chr1", 40, L, "w0"), ts::region_window("chr1", 200, L, "w1"),
            ts::region_window("chr2", 70, L), ts::region_window("chr1", 75, L, "w3")};
}

float track0(const std::string& chrom, Index p) { return (chrom == "chr2" ? 1000.f : 0.f) + float(p) + 0.5f; }
float track1(const std::string& chrom, Index p) { return chrom == "chr1" ? 3.f * float(p) + 7.f : 2.f * float(p) + 1.f; }

const std::vector<std::pair<std::string, Index>> kChromosomes{{"chr1", 300}, {"chr2", 120}};

}  // namespace

TEST(RegionExamples, EncodesTheOneHotFastaWindow) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const std::vector<ag::Interval> windows = test_windows();
    const ag::RegionExamples examples(fasta, windows, L);
    ASSERT_EQ(examples.size(), 4);
    EXPECT_EQ(examples.length(), L);
    ASSERT_EQ(examples.shapes().inputs.size(), 1u);
    EXPECT_EQ(examples.shapes().inputs[0], (attrprior::nn::Shape{L, 4}));
    EXPECT_EQ(examples.shapes().targets, (attrprior::nn::Shape{0, 0}));
    for (Index i = 0; i < 4; ++i) EXPECT_EQ(examples.output_start(i), windows[static_cast<std::size_t>(i)].start);

    attrprior::train::Batch<float> batch(examples.shapes(), 4);
    batch.status().setZero();
    examples.encode(0, 4, batch);
    for (Index r = 0; r < 4; ++r) {
        const ag::Interval& w = windows[static_cast<std::size_t>(r)];
        const std::vector<float> expected =
            ts::expected_one_hot(g.seq(w.chrom).substr(static_cast<std::size_t>(w.start), static_cast<std::size_t>(L)));
        const float* row = batch.input(0).slice(r);
        EXPECT_EQ(std::vector<float>(row, row + L * 4), expected) << "region " << r;
        EXPECT_EQ(batch.status()[r], 1);
    }
    // Region 0 ([40, 80)) covers the N run at chr1:50-54 (offsets 10..13), all-zero rows,
    // and the lowercase bases at offsets 20..29, one-hot rows.
    const auto x = batch.input(0);
    for (Index i = 10; i < 14; ++i)
        for (Index c = 0; c < 4; ++c) EXPECT_EQ(x(0, i, c), 0.f);
    float lowercase = 0;
    for (Index i = 20; i < 30; ++i)
        for (Index c = 0; c < 4; ++c) lowercase += x(0, i, c);
    EXPECT_EQ(lowercase, 10.f);
    // Region 3 ([75, 115)) has the R at offset 5: a zero row.
    for (Index c = 0; c < 4; ++c) EXPECT_EQ(x(3, 5, c), 0.f);

    // A sub-range goes to rows [0, count).
    attrprior::train::Batch<float> two(examples.shapes(), 2);
    examples.encode(2, 2, two);
    for (Index r = 0; r < 2; ++r) {
        const float* got = two.input(0).slice(r);
        const float* want = batch.input(0).slice(r + 2);
        EXPECT_EQ(std::vector<float>(got, got + L * 4), std::vector<float>(want, want + L * 4));
    }
    expect_invalid([&] { examples.encode(3, 2, two); }, "count");
}

TEST(RegionExamples, ControlsAreTheTracksOverTheCentredOutputWindowInTrackOrder) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const std::string p0 = temp_path("c0.bw"), p1 = temp_path("c1.bw");
    ts::write_track(p0, kChromosomes, track0);
    ts::write_track(p1, kChromosomes, track1);
    const ag::BigWigReader t0(p0), t1(p1);
    const std::vector<ag::Interval> windows = test_windows();
    // Tracks given as (t1, t0): channel 0 must hold track1, channel 1 track0.
    const ag::RegionExamples examples(fasta, windows, L, {&t1, &t0}, O);
    ASSERT_EQ(examples.shapes().inputs.size(), 2u);
    EXPECT_EQ(examples.shapes().inputs[0], (attrprior::nn::Shape{L, 4}));
    EXPECT_EQ(examples.shapes().inputs[1], (attrprior::nn::Shape{O, 2}));
    EXPECT_EQ(examples.shapes().targets, (attrprior::nn::Shape{0, 0}));

    attrprior::train::Batch<float> batch(examples.shapes(), 4);
    examples.encode(0, 4, batch);
    const auto control = batch.input(1);
    for (Index r = 0; r < 4; ++r) {
        const ag::Interval& w = windows[static_cast<std::size_t>(r)];
        const Index start = w.start + (L - O) / 2;
        EXPECT_EQ(examples.output_start(r), start);
        for (Index j = 0; j < O; ++j) {
            EXPECT_EQ(control(r, j, 0), track1(w.chrom, start + j)) << "region " << r << " position " << j;
            EXPECT_EQ(control(r, j, 1), track0(w.chrom, start + j)) << "region " << r << " position " << j;
        }
        // Input 0 is unchanged by the controls.
        const std::vector<float> expected =
            ts::expected_one_hot(g.seq(w.chrom).substr(static_cast<std::size_t>(w.start), static_cast<std::size_t>(L)));
        const float* row = batch.input(0).slice(r);
        EXPECT_EQ(std::vector<float>(row, row + L * 4), expected);
    }
}

TEST(RegionExamples, NegativeControlValueIsANumericErrorNamingTrackAndPosition) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const std::string path = temp_path("negative.bw");
    ts::write_track(path, kChromosomes,
                    [](const std::string& chrom, Index p) { return chrom == "chr1" && p == 215 ? -2.f : 1.f; });
    const ag::BigWigReader t(path);
    const ag::RegionExamples examples(fasta, test_windows(), L, {&t}, O);  // values are checked on encode
    attrprior::train::Batch<float> batch(examples.shapes(), 1);
    examples.encode(0, 1, batch);  // [50, 70) of chr1: no negative value
    EXPECT_EQ(batch.input(1)(0, 0, 0), 1.f);
    // Region 1's output window is chr1:[210, 230), which holds the -2 at 215.
    const std::string m = error_message<attrprior::numeric_error>([&] { examples.encode(1, 1, batch); });
    EXPECT_THAT(m, HasSubstr(path));
    EXPECT_THAT(m, HasSubstr("chr1:215"));
    EXPECT_THAT(m, HasSubstr("-2"));
}

TEST(RegionExamples, BadWindowsAreInvalidArgumentsNamingTheWindow) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    std::vector<ag::Interval> windows = test_windows();
    windows[1].end -= 1;
    std::string m = error_message<attrprior::invalid_argument>([&] { ag::RegionExamples(fasta, windows, L); });
    EXPECT_THAT(m, HasSubstr("windows[1] 'w1' (chr1:200-239)"));
    EXPECT_THAT(m, HasSubstr("spans 39 bases"));

    windows = test_windows();
    windows[2].chrom = "chrUn";
    m = error_message<attrprior::invalid_argument>([&] { ag::RegionExamples(fasta, windows, L); });
    EXPECT_THAT(m, HasSubstr("windows[2] '.' (chrUn:70-110)"));
    EXPECT_THAT(m, HasSubstr("not in '" + g.path + "'"));

    windows = test_windows();
    windows[3] = ts::region_window("chr2", 100, L, "past");
    m = error_message<attrprior::invalid_argument>([&] { ag::RegionExamples(fasta, windows, L); });
    EXPECT_THAT(m, HasSubstr("windows[3] 'past' (chr2:100-140)"));

    expect_invalid([&] { ag::RegionExamples(fasta, test_windows(), 0); }, "length");
}

TEST(RegionExamples, ControlTrackProblemsAreInvalidArgumentsNamingWindowAndTrack) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const std::string full = temp_path("full.bw"), only1 = temp_path("chr1_only.bw");
    ts::write_track(full, kChromosomes, track0);
    ts::write_track(only1, {{"chr1", 300}}, track0);
    const ag::BigWigReader t_full(full), t_only1(only1);

    // Region 2 is on chr2, which the second track does not list.
    std::string m = error_message<attrprior::invalid_argument>(
        [&] { ag::RegionExamples(fasta, test_windows(), L, {&t_full, &t_only1}, O); });
    EXPECT_THAT(m, HasSubstr("windows[2] '.' (chr2:70-110)"));
    EXPECT_THAT(m, HasSubstr(only1));

    // output_length: in [1, L] with L - O even; a null track.
    expect_invalid([&] { ag::RegionExamples(fasta, test_windows(), L, {&t_full}, 19); }, "output_length");
    expect_invalid([&] { ag::RegionExamples(fasta, test_windows(), L, {}, 19); }, "output_length");
    // Without controls, an output length still places the output window.
    const ag::RegionExamples profile_only(fasta, test_windows(), L, {}, O);
    EXPECT_EQ(profile_only.output_length(), O);
    EXPECT_EQ(profile_only.output_start(0), test_windows()[0].start + (L - O) / 2);
    EXPECT_EQ(profile_only.shapes().inputs.size(), 1u);
    expect_invalid([&] { ag::RegionExamples(fasta, test_windows(), L, {&t_full}, 0); }, "output_length");
    expect_invalid([&] { ag::RegionExamples(fasta, test_windows(), L, {&t_full}, L + 2); }, "output_length");
    expect_invalid([&] { ag::RegionExamples(fasta, test_windows(), L, {&t_full, nullptr}, O); }, "is null");
    // O = L is allowed: the control window is the input window.
    const ag::RegionExamples whole(fasta, test_windows(), L, {&t_full}, L);
    EXPECT_EQ(whole.output_start(1), 200);
}

TEST(RegionExamples, OutputWindowPastAControlTrackChromosomeEndIsNamedAtConstruction) {
    // The constructor promises that every output window lies on each track's chromosome
    // (invalid_argument naming the window and the track). A track whose chr1 is shorter
    // than the FASTA's used to pass the constructor and fail only when the region was
    // encoded, with BigWigReader::read's message that names no window.
    const Genome g;
    const ag::Fasta fasta(g.path);
    const std::string full = temp_path("full.bw"), shorter = temp_path("short.bw");
    ts::write_track(full, kChromosomes, track0);
    ts::write_track(shorter, {{"chr1", 220}, {"chr2", 120}}, track0);
    const ag::BigWigReader t_full(full), t_short(shorter);
    // Region 1's output window chr1:[210, 230) passes the end (220) of the track's chr1,
    // though the window lies on the FASTA's chr1 (300 bases): the constructor names it.
    const std::string m = error_message<attrprior::invalid_argument>(
        [&] { ag::RegionExamples(fasta, test_windows(), L, {&t_full, &t_short}, O); });
    EXPECT_THAT(m, HasSubstr("windows[1] 'w1' (chr1:200-240)"));
    EXPECT_THAT(m, HasSubstr(shorter));
    // Only the output window must lie on the track: a window whose input window passes the
    // end (chr1:[190, 230)) but whose output window [200, 220) does not is accepted.
    const ag::RegionExamples fits(fasta, {ts::region_window("chr1", 190, L)}, L, {&t_short}, O);
    attrprior::train::Batch<float> batch(fits.shapes(), 1);
    fits.encode(0, 1, batch);
    EXPECT_EQ(batch.input(1)(0, O - 1, 0), track0("chr1", 219));
}

TEST(RegionExamples, ChunkedWalkGivesTheRowsOfEncodingAllAtOnce) {
    const Genome g;
    const ag::Fasta fasta(g.path);
    const std::string p0 = temp_path("c0.bw"), p1 = temp_path("c1.bw");
    ts::write_track(p0, kChromosomes, track0);
    ts::write_track(p1, kChromosomes, track1);
    const ag::BigWigReader t0(p0), t1(p1);
    std::vector<ag::Interval> windows = test_windows();
    for (Index s : {5, 100, 150, 33}) windows.push_back(ts::region_window(s == 33 ? "chr2" : "chr1", s, L));
    const ag::RegionExamples examples(fasta, windows, L, {&t0, &t1}, O);
    const Index N = examples.size();
    attrprior::train::Batch<float> all(examples.shapes(), N);
    examples.encode(0, N, all);

    std::vector<float> x, c;
    std::vector<Index> firsts;
    at::for_each_chunk_of<float>(
        examples, 3,
        [&](const at::Inputs<float>& inputs, Index first) {
            firsts.push_back(first);
            return inputs;  // a copy of the views, consumed before the next chunk
        },
        [&](Index, const at::Inputs<float>& inputs) {
            x.insert(x.end(), inputs[0].data, inputs[0].data + inputs[0].size());
            c.insert(c.end(), inputs[1].data, inputs[1].data + inputs[1].size());
        });
    EXPECT_EQ(firsts, (std::vector<Index>{0, 3, 6}));
    EXPECT_EQ(x, std::vector<float>(all.input(0).data, all.input(0).data + all.input(0).size()));
    EXPECT_EQ(c, std::vector<float>(all.input(1).data, all.input(1).data + all.input(1).size()));
}
