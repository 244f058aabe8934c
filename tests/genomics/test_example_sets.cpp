// Tests of attrprior/genomics/example_sets.hpp: BinaryExamples and ProfileExamples as
// example sets. encode over [first, first + count) into a larger batch equals encoding
// each example alone and the data sets' own encoders, leaves the other rows alone, sets
// the status (positives; every profile row), writes the controls as input 1, allocates
// nothing for profiles, and rejects bad ranges and batches. The genomes are
// tests/support/binary_world.hpp's and profile_world.hpp's.
#include "attrprior/genomics/example_sets.hpp"
#include "attrprior/train/predict.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../support/binary_world.hpp"
#include "../support/count_allocations.hpp"
#include "../support/expect_error.hpp"
#include "../support/profile_world.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/train/batch.hpp"

namespace ag = attrprior::genomics;
namespace at = attrprior::train;
using attrprior::Index;
using ::testing::HasSubstr;

namespace {

using namespace attrprior::testing::binary_world;
using namespace attrprior::testing::profile_world;
using attrprior::testing::error_message;
using attrprior::testing::expect_invalid;

// The members train/batch.hpp asks of an example set (the trait train::Predictor checks).
static_assert(at::is_example_set_v<ag::BinaryExamples, float> && at::is_example_set_v<ag::BinaryExamples, double>);
static_assert(at::is_example_set_v<ag::ProfileExamples, float> && at::is_example_set_v<ag::ProfileExamples, double>);
// A temporary list of examples would dangle.
static_assert(!std::is_constructible_v<ag::BinaryExamples, const ag::BinaryDataset&, std::vector<ag::Example>&&>);
static_assert(std::is_constructible_v<ag::BinaryExamples, const ag::BinaryDataset&, const std::vector<ag::Example>&>);

/// Rows [first_row, first_row + rows) of a tensor, as one vector.
std::vector<float> rows_of(const attrprior::ConstTensor3<float>& t, Index first_row, Index rows) {
    return std::vector<float>(t.slice(first_row), t.slice(first_row) + rows * t.dim1 * t.dim2);
}

/// Every input, the targets and the status of `batch` rows [first_row, first_row + rows).
struct Rows {
    std::vector<std::vector<float>> inputs;
    std::vector<float> targets;
    std::vector<int> status;
    friend bool operator==(const Rows& a, const Rows& b) {
        return a.inputs == b.inputs && a.targets == b.targets && a.status == b.status;
    }
};

Rows rows_of(const at::Batch<float>& batch, Index first_row, Index rows) {
    Rows r;
    for (std::size_t k = 0; k < batch.input_count(); ++k) r.inputs.push_back(rows_of(batch.input(k), first_row, rows));
    r.targets = rows_of(batch.targets(), first_row, rows);
    for (Index b = first_row; b < first_row + rows; ++b) r.status.push_back(batch.status()[b]);
    return r;
}

/// A batch of `rows` rows with every input and target entry -7 and every status -1.
at::Batch<float> sentinel_batch(const at::BatchShapes& shapes, Index rows) {
    at::Batch<float> batch(shapes, rows);
    for (std::size_t k = 0; k < batch.input_count(); ++k) batch.input(k).rows().setConstant(-7.0f);
    batch.targets().rows().setConstant(-7.0f);
    batch.status().setConstant(-1);
    return batch;
}

/// encode(first, count) into a batch of `capacity` rows equals encoding each example
/// alone, and leaves rows [count, capacity) untouched.
template <class Set>
void expect_chunk_equals_singles(const Set& set, Index first, Index count, Index capacity) {
    at::Batch<float> chunk = sentinel_batch(set.shapes(), capacity);
    const Rows untouched = rows_of(chunk, count, capacity - count);
    set.encode(first, count, chunk);
    for (Index r = 0; r < count; ++r) {
        at::Batch<float> single = sentinel_batch(set.shapes(), 1);
        set.encode(first + r, 1, single);
        EXPECT_TRUE(rows_of(chunk, r, 1) == rows_of(single, 0, 1)) << "example " << first + r;
    }
    EXPECT_TRUE(rows_of(chunk, count, capacity - count) == untouched) << "rows past count are left alone";
}

}  // namespace

// ---------------------------------------------------------------- BinaryExamples

TEST(BinaryExamples, ASplitEncodesLikeTheDataSet) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 120;
    o.valid_chroms = {"chr3"};
    o.negatives_per_positive = 1.5;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const ag::BinaryExamples valid(ds, ag::Split::valid);
    const std::vector<ag::Example>& examples = ds.examples(ag::Split::valid);
    ASSERT_EQ(valid.size(), static_cast<Index>(examples.size()));
    ASSERT_GT(valid.size(), 20);
    EXPECT_EQ(valid.shapes(), (at::BatchShapes{{{120, 4}}, {1, 1}}));
    EXPECT_EQ(&valid.dataset(), &ds);
    for (Index i = 0; i < valid.size(); ++i) EXPECT_EQ(valid.example(i), examples[static_cast<std::size_t>(i)]);
    expect_invalid([&] { valid.example(valid.size()); }, "i = " + std::to_string(valid.size()));

    expect_chunk_equals_singles(valid, 3, 7, 10);
    expect_chunk_equals_singles(valid, valid.size() - 4, 4, 10);  // the last, short chunk

    // The whole split in one batch equals BinaryDataset::encode; status marks positives.
    at::Batch<float> all(valid.shapes(), valid.size());
    valid.encode(0, valid.size(), all);
    std::vector<float> x(examples.size() * 120 * 4), y(examples.size());
    ds.encode(examples, x.data(), y.data());
    EXPECT_EQ(rows_of(all.input(0), 0, valid.size()), x);
    EXPECT_EQ(rows_of(all.targets(), 0, valid.size()), y);
    Index positives = 0;
    for (Index i = 0; i < valid.size(); ++i) {
        EXPECT_EQ(all.status()[i], examples[static_cast<std::size_t>(i)].label);
        positives += all.status()[i];
    }
    EXPECT_EQ(positives, ds.report().positives[1]);
    EXPECT_GT(positives, 0);
    EXPECT_LT(positives, valid.size());
}

TEST(BinaryExamples, AnyListOfWindowsOnTheGenome) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const std::vector<ag::Example> chosen{{"chr2", 0, 0}, {"chr4", 50000 - 100, 1}, {"chr1", 777, 1}};
    const ag::BinaryExamples set(ds, chosen);
    ASSERT_EQ(set.size(), 3);
    at::Batch<float> batch(set.shapes(), 4);
    set.encode(0, 3, batch);
    for (Index r = 0; r < 3; ++r) {
        const ag::Example& e = chosen[static_cast<std::size_t>(r)];
        EXPECT_EQ(decode(batch.input(0).slice(r), 100), upper(fasta.fetch(e.chrom, e.start, e.start + 100)));
        EXPECT_EQ(batch.targets()(r, 0, 0), static_cast<float>(e.label));
        EXPECT_EQ(batch.status()[r], e.label);
    }
    expect_chunk_equals_singles(set, 1, 2, 4);
    const std::vector<ag::Example> none;
    const ag::BinaryExamples empty(ds, none);
    EXPECT_EQ(empty.size(), 0);
    EXPECT_NO_THROW(empty.encode(0, 0, batch));

    // Windows that cannot be read, and labels other than 0 and 1, are named.
    const std::vector<ag::Example> unknown{{"chr1", 0, 0}, {"chrQ", 10, 1}};
    const std::string m = error_message<attrprior::invalid_argument>([&] { ag::BinaryExamples(ds, unknown); });
    EXPECT_THAT(m, HasSubstr("examples[1] (chrQ:10)"));
    EXPECT_THAT(m, HasSubstr(w.fasta));
    const std::vector<ag::Example> past_end{{"chr3", 49901, 0}}, before_start{{"chr3", -1, 0}}, label{{"chr3", 5, 2}};
    expect_invalid([&] { ag::BinaryExamples(ds, past_end); }, "chr3:49901-50001");
    expect_invalid([&] { ag::BinaryExamples(ds, before_start); }, "examples[0] (chr3:-1)");
    expect_invalid([&] { ag::BinaryExamples(ds, label); }, "is 2; it must be 0 or 1");
}

TEST(BinaryExamples, EncodeRejectsBadRangesAndBatches) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const ag::BinaryExamples set(ds, ag::Split::train);
    const Index n = set.size();
    at::Batch<float> batch(set.shapes(), 8);
    expect_invalid([&] { set.encode(-1, 2, batch); }, "first = -1");
    expect_invalid([&] { set.encode(n + 1, 0, batch); }, "first = " + std::to_string(n + 1));
    expect_invalid([&] { set.encode(n - 2, 3, batch); }, "count = 3 must be in [0, 2]");
    expect_invalid([&] { set.encode(0, -1, batch); }, "count = -1");
    expect_invalid([&] { set.encode(0, 9, batch); }, "must not exceed the batch's rows (8)");
    at::Batch<float> wrong(at::BatchShapes{{{100, 4}}, {2, 1}}, 8), unshaped;
    expect_invalid([&] { set.encode(0, 2, wrong); }, "BinaryExamples::encode: the batch has inputs [100 x 4]; targets [2 x 1]");
    expect_invalid([&] { set.encode(0, 2, unshaped); }, "must have inputs [100 x 4]; targets [1 x 1]");
    EXPECT_NO_THROW(set.encode(n, 0, batch));  // an empty chunk at the end
}

// ---------------------------------------------------------------- ProfileExamples

TEST(ProfileExamples, ASplitEncodesLikeTheDataSetWithControlsAsInputOne) {
    ag::Fasta fasta(genome().fasta);
    for (Index controls : {0, 2}) {
        SCOPED_TRACE(std::to_string(controls) + " control tracks");
        const Tracks t = make_tracks(2, controls);
        const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, split_options(3));
        const ag::ProfileExamples valid(ds, ag::Split::valid);
        const std::vector<Index>& indices = ds.indices(ag::Split::valid);
        ASSERT_EQ(valid.size(), 8);
        at::BatchShapes shapes{{{kL, 4}}, {kO, 2}};
        if (controls > 0) shapes.inputs.push_back({kO, controls});
        EXPECT_EQ(valid.shapes(), shapes);
        EXPECT_EQ(&valid.data(), &ds);
        for (Index i = 0; i < valid.size(); ++i) {
            const Index k = indices[static_cast<std::size_t>(i)];
            EXPECT_EQ(valid.index(i), k);
            EXPECT_EQ(valid.example(i).chrom, "chr2");
            EXPECT_EQ(valid.example(i).summit, ds.examples()[static_cast<std::size_t>(k)].summit);
            EXPECT_EQ(valid.input_start(i), ds.input_start(k));
            EXPECT_EQ(valid.output_start(i), ds.output_start(k));
        }
        expect_invalid([&] { valid.index(8); }, "i = 8");

        expect_chunk_equals_singles(valid, 2, 5, 7);
        expect_chunk_equals_singles(valid, 6, 2, 7);

        // Every example unshifted and forward, as ProfileDataset::encode gives it.
        at::Batch<float> all(valid.shapes(), valid.size());
        valid.encode(0, valid.size(), all);
        for (Index i = 0; i < valid.size(); ++i) {
            const Encoded e = encode(ds, valid.index(i), 0, false);
            EXPECT_EQ(rows_of(all.input(0), i, 1), e.x);
            EXPECT_EQ(rows_of(all.targets(), i, 1), e.profile);
            if (controls > 0) {
                EXPECT_EQ(rows_of(all.input(1), i, 1), e.control);
            }
            EXPECT_EQ(all.status()[i], 1);
        }
    }
}

TEST(ProfileExamples, AnyExamplesByIndex) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 1);
    ag::ProfileDatasetOptions o = options(1);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, o);  // two one-strand tasks
    const ag::ProfileExamples set(ds, std::vector<Index>{27, 0, 14, 0});
    ASSERT_EQ(set.size(), 4);
    EXPECT_EQ(set.index(0), 27);
    EXPECT_EQ(set.example(2).name, ds.examples()[14].name);
    expect_chunk_equals_singles(set, 0, 4, 6);
    at::Batch<float> batch(set.shapes(), 4);
    set.encode(0, 4, batch);
    EXPECT_EQ(rows_of(batch.targets(), 1, 1), rows_of(batch.targets(), 3, 1)) << "the same example twice";
    const Index n = static_cast<Index>(ds.examples().size());
    expect_invalid([&] { ag::ProfileExamples(ds, std::vector<Index>{0, n}); },
                   "index = " + std::to_string(n) + " (indices[1]) must be in [0, " + std::to_string(n) + ")");
    expect_invalid([&] { ag::ProfileExamples(ds, std::vector<Index>{-1}); }, "index = -1");
}

TEST(ProfileExamples, EncodeAllocatesNothingAndRejectsBadArguments) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, options(2, 2));
    const ag::ProfileExamples set(ds, ag::Split::train);
    at::Batch<double> batch(set.shapes(), 16);
    set.encode(0, 16, batch);
    const long before = attrprior::testing::allocation_count();
    set.encode(5, 16, batch);
    set.encode(set.size() - 3, 3, batch);
    EXPECT_EQ(attrprior::testing::allocation_count(), before);

    expect_invalid([&] { set.encode(0, 17, batch); }, "must not exceed the batch's rows (16)");
    expect_invalid([&] { set.encode(set.size(), 1, batch); }, "count = 1 must be in [0, 0]");
    at::Batch<double> no_controls(at::BatchShapes{{{kL, 4}}, {kO, 2}}, 16);
    expect_invalid([&] { set.encode(0, 1, no_controls); }, "ProfileExamples::encode");
}
