// Example sets and batchers over caller-held arrays (train/tensor_data.hpp).
#include "attrprior/train/tensor_data.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace ap = attrprior;
namespace train = attrprior::train;
using ap::Index;

TEST(TensorExamples, EncodesRowsAndStatus) {
    const Index N = 5, L = 3;
    std::vector<float> x(N * L * 4), aux(N * 2), y{1, 0, -1, 1, 0};
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i);
    for (std::size_t i = 0; i < aux.size(); ++i) aux[i] = -float(i);
    const train::TensorExamples<float> ex({{x.data(), N, L, 4}, {aux.data(), N, 1, 2}}, {y.data(), N, 1, 1});
    EXPECT_EQ(ex.size(), N);
    EXPECT_EQ(ex.shapes(), (train::BatchShapes{{{L, 4}, {1, 2}}, {1, 1}}));
    train::Batch<float> b(ex.shapes(), 4);
    ex.encode(2, 3, b);  // rows 0-2 of a 4-row batch
    ASSERT_EQ(b.size(), 4);
    EXPECT_EQ(b.input(0)(0, 0, 0), x[2 * L * 4]);
    EXPECT_EQ(b.input(1)(2, 0, 1), aux[4 * 2 + 1]);
    EXPECT_EQ(b.targets()(1, 0, 0), 1.f);
    EXPECT_EQ(b.status()[0], 0);  // label -1: not a positive
    EXPECT_EQ(b.status()[1], 1);
    EXPECT_EQ(b.status()[2], 0);
    EXPECT_THROW(ex.encode(4, 2, b), ap::invalid_argument);  // past the end
    b.resize(2);
    EXPECT_THROW(ex.encode(0, 3, b), ap::invalid_argument);  // more rows than the batch has
    std::vector<float> short_aux(2);
    EXPECT_THROW(train::TensorExamples<float>(std::vector<ap::ConstTensor3<float>>{{x.data(), N, L, 4}, {short_aux.data(), 1, 1, 2}}),
                 ap::invalid_argument);
}

TEST(TensorExamples, StatusRuleAllLetsThePriorSeeEveryRow) {
    // Profile-like targets (read counts): "labels" would pick rows that happen to hold a 1.
    const Index N = 3, L = 2;
    std::vector<float> x(N * L * 4), counts{0, 1, 2, 5, 0, 3};
    const train::TensorExamples<float> ex({x.data(), N, L, 4}, {counts.data(), N, 2, 1}, train::StatusRule::all);
    train::Batch<float> b(ex.shapes(), N);
    ex.encode(0, N, b);
    EXPECT_EQ(b.status().sum(), N);
    train::TensorBatcher<float> batches(ex, 2);
    batches.next(b);
    EXPECT_EQ(b.size(), 2);
    EXPECT_EQ(b.status().sum(), 2);
    const train::TensorExamples<float> labels({x.data(), N, L, 4}, {counts.data(), N, 2, 1});
    labels.encode(0, N, b = train::Batch<float>(labels.shapes(), N));
    EXPECT_EQ(b.status()[0], 1);  // holds a count of exactly 1
    EXPECT_EQ(b.status()[1], 0);
}

TEST(TensorBatcher, EveryExampleOncePerEpochInAShuffledOrder) {
    const Index N = 10, L = 2, B = 4;
    std::vector<float> x(N * L * 4), y(N);
    for (Index i = 0; i < N; ++i) {
        x[static_cast<std::size_t>(i * L * 4)] = float(i);  // the example's id in its first element
        y[static_cast<std::size_t>(i)] = float(i % 2);
    }
    const train::TensorExamples<float> ex({x.data(), N, L, 4}, {y.data(), N, 1, 1});
    train::TensorBatcher<float> batches(ex, B, 5);
    EXPECT_EQ(batches.batches_per_epoch(), 3);
    train::Batch<float> b(batches.shapes(), B);
    std::vector<int> order;
    for (int k = 0; k < 3; ++k) {
        batches.next(b);
        ASSERT_EQ(b.size(), B);
        for (Index r = 0; r < B; ++r) {
            const int id = int(b.input(0)(r, 0, 0));
            order.push_back(id);
            EXPECT_EQ(b.targets()(r, 0, 0), float(id % 2));
            EXPECT_EQ(b.status()[r], id % 2);
        }
    }
    std::map<int, int> seen;
    for (int k = 0; k < N; ++k) ++seen[order[static_cast<std::size_t>(k)]];
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(N));  // the first 10 rows: each example once
    std::vector<int> identity(N);
    for (int k = 0; k < N; ++k) identity[static_cast<std::size_t>(k)] = k;
    EXPECT_NE(std::vector<int>(order.begin(), order.begin() + N), identity);  // shuffled
    // Same seed, same batches.
    train::TensorBatcher<float> again(ex, B, 5);
    train::Batch<float> b2(again.shapes(), B);
    again.next(b2);
    for (Index r = 0; r < B; ++r) EXPECT_EQ(int(b2.input(0)(r, 0, 0)), order[static_cast<std::size_t>(r)]);
    EXPECT_THROW(train::TensorBatcher<float>(ex, 0), ap::invalid_argument);
    train::Batch<float> wrong({{{L + 1, 4}}, {1, 1}}, B);
    EXPECT_THROW(batches.next(wrong), ap::invalid_argument);  // not the batcher's shapes
    train::Batch<float> fresh;
    batches.next(fresh);  // a default-constructed batch takes the shapes
    EXPECT_EQ(fresh.size(), B);
}

TEST(Prefetching, YieldsTheWrappedBatchesInOrder) {
    const Index N = 9, L = 2, B = 3;
    std::vector<float> x(N * L * 4), y(N, 1.f);
    for (Index i = 0; i < N; ++i) x[static_cast<std::size_t>(i * L * 4)] = float(i);
    const train::TensorExamples<float> ex({x.data(), N, L, 4}, {y.data(), N, 1, 1});
    train::TensorBatcher<float> plain(ex, B, 8);
    train::Prefetching<train::TensorBatcher<float>, float> prefetched(train::TensorBatcher<float>(ex, B, 8));
    EXPECT_EQ(prefetched.batches_per_epoch(), 3);
    train::Batch<float> a(plain.shapes(), B), b(plain.shapes(), B);
    for (int k = 0; k < 7; ++k) {
        plain.next(a);
        prefetched.next(b);
        for (Index r = 0; r < B; ++r) ASSERT_EQ(a.input(0)(r, 0, 0), b.input(0)(r, 0, 0)) << "batch " << k;
    }
}

namespace {
struct FailingBatcher {
    int served = 0;
    Index batch_size() const { return 1; }
    Index batches_per_epoch() const { return 1; }
    train::BatchShapes shapes() const { return {{{1, 4}}, {1, 1}}; }
    void next(train::Batch<float>& b) {
        if (served++ == 1) throw ap::io_error("disk gone");
        b.resize(1);
    }
};
}  // namespace

TEST(Prefetching, RethrowsTheWorkersException) {
    train::Prefetching<FailingBatcher, float> p{FailingBatcher()};
    train::Batch<float> b;
    p.next(b);  // the first batch is fine
    EXPECT_THROW(p.next(b), ap::io_error);
    EXPECT_THROW(p.next(b), ap::io_error);  // and every later call
}
