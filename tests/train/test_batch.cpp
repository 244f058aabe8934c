// Tests of attrprior/train/batch.hpp: copies and moves of a Batch. Its input views point
// into its own storage, so a copy must point into the copy's storage and a moved-from
// batch must be safe to resize and refill.
#include "attrprior/train/batch.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace at = attrprior::train;
using attrprior::Index;

namespace {

at::BatchShapes two_inputs() { return at::BatchShapes{{{5, 4}, {3, 2}}, {1, 1}}; }

/// Fills every input and target entry of `batch` with distinct values starting at `from`.
void fill(at::Batch<float>& batch, float from) {
    for (std::size_t k = 0; k < batch.input_count(); ++k) {
        auto x = batch.input(k);
        for (Index i = 0; i < x.size(); ++i) x.data[i] = from++;
    }
    auto y = batch.targets();
    for (Index i = 0; i < y.size(); ++i) y.data[i] = from++;
}

std::vector<float> values(const attrprior::ConstTensor3<float>& t) { return {t.data, t.data + t.size()}; }

}  // namespace

TEST(Batch, CopyViewsItsOwnStorage) {
    at::Batch<float> original(two_inputs(), 3);
    fill(original, 0);
    original.status()[1] = 0;
    const at::Batch<float> copy(original);
    ASSERT_EQ(copy.size(), 3);
    ASSERT_EQ(copy.input_count(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
        EXPECT_NE(copy.inputs()[k].data, original.inputs()[k].data) << "input " << k;
        EXPECT_EQ(copy.inputs()[k].data, copy.input(k).data);
        EXPECT_EQ(values(copy.inputs()[k]), values(original.input(k)));
    }
    EXPECT_EQ(values(copy.targets()), values(std::as_const(original).targets()));
    EXPECT_EQ(copy.status()[1], 0);
    // Changing the original leaves the copy as it was.
    const std::vector<float> before = values(copy.inputs()[0]);
    fill(original, 100);
    EXPECT_EQ(values(copy.inputs()[0]), before);

    at::Batch<float> assigned(at::BatchShapes{{{1, 1}}, {1, 1}}, 1);
    assigned = original;
    EXPECT_EQ(assigned.shapes(), two_inputs());
    EXPECT_NE(assigned.inputs()[1].data, original.inputs()[1].data);
    EXPECT_EQ(values(assigned.inputs()[1]), values(original.input(1)));
}

TEST(Batch, CopyOfAShrunkBatchKeepsItsRowsAndCapacity) {
    at::Batch<float> original(two_inputs(), 4);
    fill(original, 0);
    original.resize(2);
    const at::Batch<float> copy(original);
    EXPECT_EQ(copy.size(), 2);
    EXPECT_EQ(copy.capacity(), 4);
    EXPECT_EQ(copy.inputs()[0].dim0, 2);
    EXPECT_EQ(values(copy.inputs()[0]), values(original.input(0)));
}

TEST(Batch, MoveTakesTheStorageAndLeavesAnEmptyBatch) {
    at::Batch<float> source(two_inputs(), 3);
    fill(source, 0);
    const float* storage = source.inputs()[0].data;
    at::Batch<float> moved(std::move(source));
    EXPECT_EQ(moved.inputs()[0].data, storage);
    EXPECT_EQ(moved.size(), 3);
    EXPECT_EQ(moved.input(0).data[0], 0.0f);
    // The moved-from batch is empty, and usable again once given shapes.
    EXPECT_EQ(source.size(), 0);        // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(source.capacity(), 0);    // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(source.input_count(), 0u);
    source = at::Batch<float>(two_inputs(), 2);
    fill(source, 7);
    EXPECT_EQ(source.input(1).data[0], 7.0f + 2 * 5 * 4);

    at::Batch<float> target(two_inputs(), 1);
    target = std::move(moved);
    EXPECT_EQ(target.inputs()[0].data, storage);
    EXPECT_EQ(target.size(), 3);
    EXPECT_EQ(moved.capacity(), 0);  // NOLINT(bugprone-use-after-move)
}

namespace {
/// A batcher of 2 rows whose epoch is 3 batches; batch k is filled with the value k.
struct CountingBatcher {
    Index calls = 0;
    at::BatchShapes shapes_ = at::BatchShapes{{{5, 4}}, {1, 1}};
    Index batch_size() const { return 2; }
    Index batches_per_epoch() const { return 3; }
    const at::BatchShapes& shapes() const { return shapes_; }
    void next(at::Batch<float>& batch) {
        if (batch.input_count() == 0) batch = at::Batch<float>(shapes_, 2);
        fill(batch, static_cast<float>(calls++));
    }
};
}  // namespace

// An epoch of `steps` batches of the wrapped batcher, which continues across its own epochs.
TEST(StepsPerEpoch, ReportsItsStepsAndForwardsEveryBatch) {
    at::StepsPerEpoch<CountingBatcher> b(CountingBatcher{}, 7);
    static_assert(at::is_batcher_v<at::StepsPerEpoch<CountingBatcher>, float>, "StepsPerEpoch is a batcher");
    EXPECT_EQ(b.batches_per_epoch(), 7);
    EXPECT_EQ(b.batch_size(), 2);
    EXPECT_EQ(b.shapes(), CountingBatcher().shapes());
    at::Batch<float> batch;
    for (int k = 0; k < 7; ++k) {
        b.next(batch);
        EXPECT_EQ(batch.input(0).data[0], static_cast<float>(k));  // the wrapped batcher's k-th batch
    }
    EXPECT_EQ(b.batcher().calls, 7);
    EXPECT_THROW(at::StepsPerEpoch<CountingBatcher>(CountingBatcher{}, 0), attrprior::invalid_argument);
}
