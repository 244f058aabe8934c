// Tests of attrprior/genomics/batching.hpp: BalancedBatcher (balance, reverse-complement
// pairs, epochs, jitter, determinism, errors), ProfileBatcher (every example once per
// epoch, determinism, jitter, reverse complement, controls, errors), next(train::Batch&)
// giving the rows of the pointer overloads, and both under train::Prefetching. The genomes are tests/support/binary_world.hpp's and profile_world.hpp's.
#include "attrprior/genomics/batching.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../support/binary_world.hpp"
#include "../support/count_allocations.hpp"
#include "../support/expect_error.hpp"
#include "../support/profile_world.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/example_sets.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/sequence.hpp"
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

}  // namespace

// ---------------------------------------------------------------- BalancedBatcher

TEST(BalancedBatcher, BatchesAreBalancedAndReverseComplementPaired) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 300;
    o.valid_chroms = {"chr4"};
    o.negatives_per_positive = 1.5;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    const Index P = ds.report().positives[0];
    ASSERT_EQ(P, 45);
    ag::BalancedBatcher batcher(ds, 8, 6, true, 0, 3);
    EXPECT_EQ(batcher.batch_size(), 28);
    EXPECT_EQ(batcher.batches_per_epoch(), 6);  // ceil(45 / 8)

    std::set<std::string> train_pos, train_neg;
    for (const ag::Example& e : ds.examples(ag::Split::train)) {
        (e.label == 1 ? train_pos : train_neg).insert(upper(ds.sequence(e)));
    }
    const Index L = 300, B = batcher.batch_size();
    std::vector<float> x(static_cast<std::size_t>(B * L * 4)), y(static_cast<std::size_t>(B));
    std::vector<float> rc(static_cast<std::size_t>(L * 4));
    for (int epoch = 0; epoch < 2; ++epoch) {
        EXPECT_EQ(batcher.epoch(), epoch);
        std::set<std::string> seen;
        for (Index b = 0; b < batcher.batches_per_epoch(); ++b) {
            batcher.next(x.data(), y.data());
            Index ones = 0;
            for (Index k = 0; k < B / 2; ++k) {
                const float* even = x.data() + 2 * k * L * 4;
                const float* odd = even + L * 4;
                ag::reverse_complement_one_hot(even, L, rc.data());
                EXPECT_TRUE(std::equal(rc.begin(), rc.end(), odd)) << "row " << 2 * k + 1;
                EXPECT_EQ(y[2 * k], y[2 * k + 1]);
                const std::string bases = decode(even, L);
                if (y[2 * k] == 1.0f) {
                    ++ones;
                    EXPECT_LT(k, 8) << "positives come first";
                    EXPECT_EQ(train_pos.count(bases), 1u);
                    seen.insert(bases);
                } else {
                    EXPECT_EQ(y[2 * k], 0.0f);
                    EXPECT_EQ(train_neg.count(bases), 1u);
                }
            }
            EXPECT_EQ(ones, 8);
        }
        EXPECT_EQ(seen, train_pos) << "every train positive appears in each epoch";
    }

    ag::BalancedBatcher single(ds, 5, 3, false, 0, 3);
    EXPECT_EQ(single.batch_size(), 8);
    EXPECT_EQ(single.batches_per_epoch(), 9);
    std::vector<float> xs(8 * L * 4), ys(8);
    single.next(xs.data(), ys.data());
    EXPECT_EQ(ys, (std::vector<float>{1, 1, 1, 1, 1, 0, 0, 0}));
}

TEST(BalancedBatcher, JitteredBatchesStayPaired) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 200;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    ag::BalancedBatcher batcher(ds, 4, 4, true, 25, 9);
    const Index L = 200, B = batcher.batch_size();
    std::vector<float> x(static_cast<std::size_t>(B * L * 4)), y(static_cast<std::size_t>(B));
    std::vector<float> rc(static_cast<std::size_t>(L * 4));
    batcher.next(x.data(), y.data());
    Index shifted = 0;
    for (Index k = 0; k < B / 2; ++k) {
        const float* even = x.data() + 2 * k * L * 4;
        ag::reverse_complement_one_hot(even, L, rc.data());
        EXPECT_TRUE(std::equal(rc.begin(), rc.end(), even + L * 4));
        if (y[2 * k] != 1.0f) continue;
        const std::string bases = decode(even, L);
        bool found = false;
        for (const ag::Example& e : ds.examples(ag::Split::train)) {
            if (e.label != 1) continue;
            for (Index s = -25; s <= 25 && !found; ++s) {
                if (upper(ds.sequence(e, s)) == bases) {
                    found = true;
                    shifted += s != 0;
                }
            }
            if (found) break;
        }
        EXPECT_TRUE(found) << "positive row " << 2 * k;
    }
    EXPECT_GT(shifted, 0);
}

TEST(BalancedBatcher, DeterministicForASeed) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    ag::BalancedBatcher a(ds, 16, 16, true, 5, 42), b(ds, 16, 16, true, 5, 42),
        c(ds, 16, 16, true, 5, 43);
    const std::size_t n = static_cast<std::size_t>(a.batch_size() * 100 * 4);
    std::vector<float> xa(n), xb(n), xc(n), ya(64), yb(64), yc(64);
    bool differs = false;
    for (int i = 0; i < 10; ++i) {
        a.next(xa.data(), ya.data());
        b.next(xb.data(), yb.data());
        c.next(xc.data(), yc.data());
        EXPECT_EQ(xa, xb) << "batch " << i;
        EXPECT_EQ(ya, yb);
        differs = differs || xa != xc;
    }
    EXPECT_TRUE(differs);
}

TEST(BalancedBatcher, RejectsBadArguments) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    EXPECT_THROW(ag::BalancedBatcher(ds, 0), attrprior::invalid_argument);
    EXPECT_THROW(ag::BalancedBatcher(ds, 4, -1), attrprior::invalid_argument);
    EXPECT_THROW(ag::BalancedBatcher(ds, 4, 4, true, -2), attrprior::invalid_argument);
    o.valid_chroms = {"chr1", "chr2"};
    o.test_chroms = {"chr3", "chr4"};
    const ag::BinaryDataset held(fasta, w.peaks, {}, o);
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { ag::BalancedBatcher(held, 4, 4); }),
                HasSubstr("no positives"));
    o.valid_chroms.clear();
    o.test_chroms.clear();
    o.negatives_per_positive = 0;
    const ag::BinaryDataset no_neg(fasta, w.peaks, {}, o);
    EXPECT_THROW(ag::BalancedBatcher(no_neg, 4, 4), attrprior::invalid_argument);
    ag::BalancedBatcher only_pos(no_neg, 4, 0);
    EXPECT_EQ(only_pos.batch_size(), 8);
}

static_assert(at::is_batcher_v<ag::BalancedBatcher, float> && at::is_batcher_v<ag::BalancedBatcher, double>);
static_assert(at::is_batcher_v<at::Prefetching<ag::BalancedBatcher, float>, float>);

TEST(BalancedBatcher, BatchNextGivesThePointerRowsTargetsAndPositiveStatus) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 150;
    o.negatives_per_positive = 2;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    ag::BalancedBatcher pointers(ds, 8, 5, true, 12, 21), batches(ds, 8, 5, true, 12, 21);
    EXPECT_EQ(batches.shapes(), (at::BatchShapes{{{150, 4}}, {1, 1}}));
    const Index B = pointers.batch_size();
    std::vector<double> x(static_cast<std::size_t>(B * 150 * 4)), y(static_cast<std::size_t>(B));
    at::Batch<double> batch;  // default-constructed: next() gives it the shapes
    const double* storage = nullptr;
    // Past an epoch (8 batches of 8 of the 60 positives) so reshuffles are compared too.
    for (int i = 0; i < 2 * pointers.batches_per_epoch() + 1; ++i) {
        pointers.next(x.data(), y.data());
        batches.next(batch);
        ASSERT_EQ(batch.size(), B);
        ASSERT_EQ(batch.shapes(), batches.shapes());
        if (i == 0) storage = batch.input(0).data;
        EXPECT_EQ(batch.input(0).data, storage) << "the storage is reused";
        EXPECT_EQ(std::vector<double>(batch.input(0).data, batch.input(0).data + x.size()), x) << "batch " << i;
        EXPECT_EQ(std::vector<double>(batch.targets().data, batch.targets().data + B), y) << "batch " << i;
        for (Index r = 0; r < B; ++r) EXPECT_EQ(batch.status()[r], y[static_cast<std::size_t>(r)] == 1.0 ? 1 : 0);
    }
    EXPECT_EQ(batches.epoch(), pointers.epoch());
    // A batch with room for more rows is shrunk to batch_size() without reallocating.
    at::Batch<double> roomy(batches.shapes(), 3 * B);
    const double* roomy_storage = roomy.input(0).data;
    batches.next(roomy);
    EXPECT_EQ(roomy.size(), B);
    EXPECT_EQ(roomy.input(0).data, roomy_storage);
    // A batch of other shapes is refused, naming both.
    at::Batch<double> wrong(at::BatchShapes{{{151, 4}}, {1, 1}}, B);
    const std::string m = error_message<attrprior::invalid_argument>([&] { batches.next(wrong); });
    EXPECT_THAT(m, HasSubstr("BalancedBatcher::next"));
    EXPECT_THAT(m, HasSubstr("[151 x 4]"));
    EXPECT_THAT(m, HasSubstr("[150 x 4]"));
}

// ---------------------------------------------------------------- Prefetching

TEST(Prefetching, YieldsTheSameBatchesAsTheBalancedBatcher) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 250;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    ag::BalancedBatcher plain(ds, 8, 8, true, 10, 5);
    at::Prefetching<ag::BalancedBatcher, double> pre(ag::BalancedBatcher(ds, 8, 8, true, 10, 5));
    EXPECT_EQ(pre.batch_size(), 32);
    EXPECT_EQ(pre.batches_per_epoch(), plain.batches_per_epoch());
    EXPECT_EQ(pre.shapes(), plain.shapes());
    at::Batch<double> expected, got;
    for (int i = 0; i < 20; ++i) {
        plain.next(expected);
        pre.next(got);
        ASSERT_EQ(got.size(), 32);
        const std::size_t n = static_cast<std::size_t>(32 * 250 * 4);
        EXPECT_TRUE(std::equal(expected.input(0).data, expected.input(0).data + n, got.input(0).data)) << "batch " << i;
        EXPECT_TRUE(std::equal(expected.targets().data, expected.targets().data + 32, got.targets().data)) << "batch " << i;
        EXPECT_EQ(got.status(), expected.status()) << "batch " << i;
    }
    // Destroying with a batch prefetched and never taken must not hang.
    at::Prefetching<ag::BalancedBatcher, float> unused(ag::BalancedBatcher(ds, 4, 4));
}

TEST(Prefetching, RethrowsWorkerExceptionsInTheCaller) {
    const World& w = world();
    ag::Fasta fasta(w.fasta);
    ag::DatasetOptions o;
    o.length = 100;
    const ag::BinaryDataset ds(fasta, w.peaks, {}, o);
    // Moving the Fasta away leaves the data set pointing at a moved-from Fasta, whose
    // fetch throws: the worker's exception must surface in next().
    ag::Fasta moved = std::move(fasta);
    at::Prefetching<ag::BalancedBatcher, float> pre(ag::BalancedBatcher(ds, 4, 4));
    at::Batch<float> batch;
    EXPECT_THAT(error_message<attrprior::invalid_argument>([&] { pre.next(batch); }), HasSubstr("moved-from"));
    EXPECT_THROW(pre.next(batch), attrprior::invalid_argument);
}

TEST(Prefetching, YieldsTheSameBatchesAsTheProfileBatcher) {
    ag::Fasta fasta(genome().fasta);
    for (Index controls : {0, 2}) {
        SCOPED_TRACE(std::to_string(controls) + " control tracks");
        const Tracks t = make_tracks(2, controls);
        const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, split_options(5));
        ag::ProfileBatcher plain(ds, ag::Split::train, 6, 5, true, 17);
        at::Prefetching<ag::ProfileBatcher, float> pre(ag::ProfileBatcher(ds, ag::Split::train, 6, 5, true, 17));
        EXPECT_EQ(pre.shapes(), plain.shapes());
        at::Batch<float> expected, got;
        for (int i = 0; i < 3 * plain.batches_per_epoch(); ++i) {
            plain.next(expected);
            pre.next(got);
            ASSERT_EQ(got.input_count(), controls > 0 ? 2u : 1u);
            for (std::size_t k = 0; k < got.input_count(); ++k) {
                const auto e = expected.input(k), g = got.input(k);
                EXPECT_TRUE(std::equal(e.data, e.data + e.size(), g.data)) << "batch " << i << " input " << k;
            }
            const auto e = expected.targets(), g = got.targets();
            EXPECT_TRUE(std::equal(e.data, e.data + e.size(), g.data)) << "batch " << i;
            EXPECT_EQ(got.status(), expected.status());
        }
    }
}

// ---------------------------------------------------------------- ProfileBatcher

TEST(ProfileBatcher, EveryExampleOncePerEpoch) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, split_options(0));
    const Catalogue catalogue(ds);
    for (const auto& [split, batch] : std::vector<std::pair<ag::Split, Index>>{
             {ag::Split::train, 4}, {ag::Split::train, 13}, {ag::Split::train, 1}, {ag::Split::train, 20},
             {ag::Split::valid, 3}, {ag::Split::test, 7}}) {
        const std::vector<Index>& idx = ds.indices(split);
        const Index n = static_cast<Index>(idx.size());
        SCOPED_TRACE("split " + std::to_string(static_cast<int>(split)) + ", batch " + std::to_string(batch));
        ag::ProfileBatcher batcher(ds, split, batch, 0, false, 99);
        EXPECT_EQ(batcher.batch_size(), batch);
        EXPECT_EQ(batcher.batches_per_epoch(), (n + batch - 1) / batch);
        // Two epochs' worth of batches, and a little more.
        const Index batches = 2 * batcher.batches_per_epoch() + 1;
        const std::vector<Encoded> rows = draw(batcher, ds, batches);
        std::vector<Index> order;
        for (const Encoded& row : rows) {
            const Identity id = catalogue.identify(row);
            ASSERT_GE(id.example, 0);
            EXPECT_EQ(id.shift, 0);
            EXPECT_FALSE(id.rc);
            order.push_back(id.example);
        }
        // Consecutive runs of n rows are permutations of the split (the last batch of an
        // epoch is topped up from the next epoch's order).
        std::vector<Index> sorted_split = idx;
        std::sort(sorted_split.begin(), sorted_split.end());
        for (std::size_t from = 0; from + static_cast<std::size_t>(n) <= order.size(); from += static_cast<std::size_t>(n)) {
            std::vector<Index> epoch(order.begin() + static_cast<std::ptrdiff_t>(from),
                                     order.begin() + static_cast<std::ptrdiff_t>(from) + n);
            std::sort(epoch.begin(), epoch.end());
            EXPECT_EQ(epoch, sorted_split) << "epoch starting at row " << from;
        }
        if (n > 4) {  // shuffled: the first epoch is not in peak order, nor the same as the second
            const std::vector<Index> first(order.begin(), order.begin() + n), second(order.begin() + n, order.begin() + 2 * n);
            EXPECT_NE(first, idx);
            EXPECT_NE(first, second);
        }
    }
}

TEST(ProfileBatcher, SameSeedSameBatches) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, split_options(6));
    ag::ProfileBatcher a(ds, ag::Split::train, 5, 6, true, 7), b(ds, ag::Split::train, 5, 6, true, 7),
        c(ds, ag::Split::train, 5, 6, true, 8);
    const std::vector<Encoded> ra = draw(a, ds, 8), rb = draw(b, ds, 8), rc = draw(c, ds, 8);
    EXPECT_TRUE(ra == rb);
    EXPECT_FALSE(ra == rc);
}

TEST(ProfileBatcher, JitterStaysWithinItsBound) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, split_options(10));
    const Catalogue catalogue(ds);
    for (Index jitter : {0, 4, 10}) {
        SCOPED_TRACE(jitter);
        ag::ProfileBatcher batcher(ds, ag::Split::train, 4, jitter, false, 5);
        std::set<Index> shifts;
        for (const Encoded& row : draw(batcher, ds, 100)) {  // 400 rows
            const Identity id = catalogue.identify(row);
            ASSERT_GE(id.example, 0);
            EXPECT_EQ(ds.examples()[static_cast<std::size_t>(id.example)].split, ag::Split::train);
            EXPECT_LE(std::abs(id.shift), jitter);
            EXPECT_FALSE(id.rc);
            shifts.insert(id.shift);
        }
        // Every shift in [-jitter, jitter] turns up (each has probability 1 / (2 jitter + 1)).
        EXPECT_EQ(static_cast<Index>(shifts.size()), 2 * jitter + 1);
    }
    expect_invalid([&] { ag::ProfileBatcher(ds, ag::Split::train, 4, 11, false, 5); }, "jitter = 11");
    expect_invalid([&] { ag::ProfileBatcher(ds, ag::Split::train, 4, -1, false, 5); }, "jitter = -1");
}

TEST(ProfileBatcher, ReverseComplementAboutHalfTheTime) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(4, 2);  // two tasks, shared controls
    ag::ProfileDatasetOptions o = split_options(3);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, o);
    const Catalogue catalogue(ds);
    for (bool rc : {false, true}) {
        ag::ProfileBatcher batcher(ds, ag::Split::train, 8, 3, rc, 11);
        double reversed = 0, rows = 0;
        for (const Encoded& row : draw(batcher, ds, 50)) {  // 400 rows
            const Identity id = catalogue.identify(row);
            ASSERT_GE(id.example, 0);
            EXPECT_LE(std::abs(id.shift), 3);
            reversed += id.rc ? 1 : 0;
            ++rows;
        }
        if (rc) {
            EXPECT_NEAR(reversed / rows, 0.5, 0.1);  // binomial sd 0.025
        } else {
            EXPECT_EQ(reversed, 0);
        }
    }
}

TEST(ProfileBatcher, NullControlAndNoControls) {
    ag::Fasta fasta(genome().fasta);
    const Tracks with = make_tracks(2, 2), without = make_tracks(2, 0);
    const ag::ProfileDataset a(fasta, many_peaks(), with.signal, with.control, split_options(0));
    const ag::ProfileDataset b(fasta, many_peaks(), without.signal, without.control, split_options(0));
    ag::ProfileBatcher ba(a, ag::Split::valid, 3, 0, true, 4), bb(b, ag::Split::valid, 3, 0, true, 4);
    std::vector<float> xa(3 * kL * 4), pa(3 * kO * 2), xb(xa.size()), pb(pa.size());
    for (int n = 0; n < 4; ++n) {
        ba.next(xa.data(), pa.data(), static_cast<float*>(nullptr));
        bb.next(xb.data(), pb.data(), static_cast<float*>(nullptr));
        EXPECT_EQ(xa, xb);  // the same examples in the same order: the controls take no draws
        EXPECT_EQ(pa, pb);
    }
}

TEST(ProfileBatcher, RejectsBadArguments) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 0);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, options(2, 2));
    expect_invalid([&] { ag::ProfileBatcher(ds, ag::Split::train, 0, 0, false, 1); }, "batch = 0");
    expect_invalid([&] { ag::ProfileBatcher(ds, ag::Split::train, -2, 0, false, 1); }, "batch = -2");
    expect_invalid([&] { ag::ProfileBatcher(ds, ag::Split::valid, 4, 0, false, 1); }, "has no examples");
    expect_invalid([&] { ag::ProfileBatcher(ds, ag::Split::test, 4, 0, false, 1); }, "has no examples");
    expect_invalid([&] { ag::ProfileBatcher(ds, ag::Split::train, 4, 3, false, 1); }, "max_jitter = 2");
}

// A batcher over listed rows (a training fraction, docs/stability.md) draws exactly those
// rows: over the rows of a split it gives the split's batches, and a subsample's batches
// are made of the subsample's examples only.
TEST(ProfileBatcher, RowsConstructorDrawsOnlyTheListedRows) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 0);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, split_options(0));
    const auto& train = ds.indices(ag::Split::train);
    ASSERT_GE(train.size(), 4u);
    ag::ProfileBatcher by_split(ds, ag::Split::train, 3, 0, false, 9), by_rows(ds, train, 3, 0, false, 9);
    EXPECT_EQ(by_rows.batches_per_epoch(), by_split.batches_per_epoch());
    std::vector<float> x1(3 * kL * 4), p1(3 * kO * 2), x2(x1.size()), p2(p1.size());
    for (int n = 0; n < 5; ++n) {
        by_split.next(x1.data(), p1.data(), static_cast<float*>(nullptr));
        by_rows.next(x2.data(), p2.data(), static_cast<float*>(nullptr));
        EXPECT_EQ(x1, x2);
        EXPECT_EQ(p1, p2);
    }
    // One row listed: every batch row is that example.
    const std::vector<Index> one{train[1]};
    ag::ProfileBatcher single(ds, one, 2, 0, false, 3);
    EXPECT_EQ(single.batches_per_epoch(), 1);
    std::vector<float> x(2 * kL * 4), p(2 * kO * 2), xe(kL * 4), pe(kO * 2);
    single.next(x.data(), p.data(), static_cast<float*>(nullptr));
    const ag::ProfileExamples just(ds, one);
    at::Batch<float> b(just.shapes(), 1);
    just.encode(0, 1, b);
    for (int r = 0; r < 2; ++r) {
        EXPECT_EQ(std::vector<float>(x.begin() + r * kL * 4, x.begin() + (r + 1) * kL * 4),
                  std::vector<float>(b.input(0).data, b.input(0).data + kL * 4));
    }
    expect_invalid([&] { ag::ProfileBatcher(ds, std::vector<Index>{}, 2, 0, false, 1); }, "the row list has no examples");
    expect_invalid([&] { ag::ProfileBatcher(ds, std::vector<Index>{Index(ds.examples().size())}, 2, 0, false, 1); },
                   "row = ");
}

static_assert(at::is_batcher_v<ag::ProfileBatcher, float> && at::is_batcher_v<ag::ProfileBatcher, double>);

TEST(ProfileBatcher, BatchNextGivesThePointerRowsControlsAndFullStatus) {
    ag::Fasta fasta(genome().fasta);
    for (Index controls : {0, 1, 4}) {
        SCOPED_TRACE(std::to_string(controls) + " control tracks");
        const Index strands = controls == 1 ? 1 : 2;
        const Tracks t = make_tracks(4 / (3 - strands), controls);  // two tasks
        ag::ProfileDatasetOptions o = split_options(4);
        o.strands = strands;
        const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, o);
        ASSERT_EQ(ds.tasks(), 2);
        const Index L = ds.input_length(), O = ds.output_length(), P = ds.profile_channels(), C = controls;
        ag::ProfileBatcher pointers(ds, ag::Split::train, 5, 4, true, 3), batches(ds, ag::Split::train, 5, 4, true, 3);
        at::BatchShapes shapes{{{L, 4}}, {O, P}};
        if (C > 0) shapes.inputs.push_back({O, C});
        EXPECT_EQ(batches.shapes(), shapes);
        std::vector<float> x(static_cast<std::size_t>(5 * L * 4)), profile(static_cast<std::size_t>(5 * O * P)),
            control(static_cast<std::size_t>(5 * O * C));
        at::Batch<float> batch(shapes, 5);
        for (int i = 0; i < 2 * pointers.batches_per_epoch() + 1; ++i) {
            pointers.next(x.data(), profile.data(), C > 0 ? control.data() : nullptr);
            batches.next(batch);
            ASSERT_EQ(batch.size(), 5);
            EXPECT_EQ(std::vector<float>(batch.input(0).data, batch.input(0).data + x.size()), x) << "batch " << i;
            EXPECT_EQ(std::vector<float>(batch.targets().data, batch.targets().data + profile.size()), profile);
            if (C > 0) {
                EXPECT_EQ(std::vector<float>(batch.input(1).data, batch.input(1).data + control.size()), control);
            }
            EXPECT_EQ(batch.status().sum(), 5) << "every row is a peak";
        }
        at::Batch<float> wrong(at::BatchShapes{{{L, 4}}, {O, P + 1}}, 5);
        expect_invalid([&] { batches.next(wrong); }, "ProfileBatcher::next");
    }
}

TEST(ProfileBatcher, BatchNextAllocatesNothingOnceTheBatchHasRoom) {
    ag::Fasta fasta(genome().fasta);
    const Tracks t = make_tracks(2, 2);
    const ag::ProfileDataset ds(fasta, many_peaks(), t.signal, t.control, split_options(4));
    ag::ProfileBatcher batcher(ds, ag::Split::train, 5, 4, true, 3);
    at::Batch<float> batch(batcher.shapes(), 5);
    const long before = attrprior::testing::allocation_count();
    for (int i = 0; i < 2 * batcher.batches_per_epoch() + 1; ++i) batcher.next(batch);  // reshuffles included
    EXPECT_EQ(attrprior::testing::allocation_count(), before);
}
