// Google Benchmark of data-parallel training steps (docs/distributed.md §8), run under
// mpirun; rank 0 reports. One iteration = one DataParallel::step + Adam over a global
// batch split across the ranks:
//   BM_DataParallelStep/binary   the paper's binary model (BatchNorm), B = 256, L = 1000, Fourier prior
//   BM_DataParallelStep/profile  the profile model, B = 64, input 1346 -> 1000, Fourier prior (lambda 50)
// Counters: steps_per_s, comm_share (time in MPI calls / step time, rank 0), MB_reduced
// (gradient bytes summed per step), ranks, threads. Compare on one machine:
//   OMP_NUM_THREADS=2 mpirun -np 1 build/benchmarks/bench_distributed     (1 rank x 2 threads)
//   OMP_NUM_THREADS=1 mpirun -np 2 build/benchmarks/bench_distributed     (2 ranks x 1 thread)
// Iteration counts are fixed (every rank must run the same number of collective steps).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <random>
#include <vector>

#include "attrprior/distributed/data_parallel.hpp"
#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/profile.hpp"

namespace {

namespace ap = attrprior;
namespace dist = attrprior::distributed;
using ap::Index;

const dist::Communicator& world() {
    static const dist::Communicator comm;
    return comm;
}

/// This rank's share of a global batch: rows [first, first + count) of random one-hot
/// sequences (inputs[0]), further inputs and targets filled by `fill`.
template <class Fill>
ap::train::Batch<float> share_of_batch(const ap::train::BatchShapes& shapes, Index B, Fill&& fill) {
    ap::train::Batch<float> global(shapes, B);
    std::mt19937 gen(0);
    std::uniform_int_distribution<int> base(0, 3);
    auto x = global.input(0);
    std::fill(x.data, x.data + x.size(), 0.f);
    for (Index i = 0; i < B * x.dim1; ++i) x.data[i * 4 + base(gen)] = 1.f;
    fill(global, gen);
    const dist::Share s = dist::share_of(B, world().rank(), world().size());
    ap::train::Batch<float> share(shapes, s.count);
    for (std::size_t k = 0; k < shapes.inputs.size(); ++k)
        std::copy_n(global.input(k).slice(s.first), share.input(k).size(), share.input(k).data);
    std::copy_n(global.targets().slice(s.first), share.targets().size(), share.targets().data);
    for (Index r = 0; r < s.count; ++r) share.status()[r] = global.status()[s.first + r];
    return share;
}

template <class Target, class Loss>
void run(benchmark::State& state, ap::nn::Model<float>& model, ap::train::DoubleBackprop<float, Target>& backprop,
         ap::priors::FourierPrior<float>& prior, Loss& loss, const ap::train::Batch<float>& share) {
    dist::broadcast_model(world(), model);
    dist::DataParallel<float, Target> step(world(), backprop);
    ap::train::Adam<float> adam;
    auto once = [&] {
        const auto r = step.step(model, prior, loss, share);
        adam.step(model.parameters(), model.gradients());
        return r.total;
    };
    once();  // workspaces, FFT plans
    const double comm0 = step.communication_seconds(), step0 = step.step_seconds();
    for (auto _ : state) benchmark::DoNotOptimize(once());
    state.counters["steps_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["comm_share"] = (step.communication_seconds() - comm0) / (step.step_seconds() - step0);
    state.counters["MB_reduced"] = double(model.parameters().size()) * sizeof(float) / 1e6;
    state.counters["ranks"] = world().size();
    state.counters["threads"] = omp_get_max_threads();
}

void BM_DataParallelStep_binary(benchmark::State& state) {
    const Index B = 256, L = 1000;
    ap::models::BinaryModelOptions mo;
    mo.length = L;
    auto model = ap::models::make_binary_model<float>(mo, 0);
    const auto share = share_of_batch({{{L, 4}}, {1, 1}}, B, [&](ap::train::Batch<float>& b, std::mt19937&) {
        for (Index r = 0; r < B; ++r) b.targets()(r, 0, 0) = r % 2 == 0 ? 1.f : 0.f;  // positives spread over shares
        ap::train::status_from_targets(b);
    });
    ap::priors::FourierPrior<float> prior;
    ap::train::ClassBalancedBCE<float> loss;
    ap::train::DoubleBackprop<float> backprop(1.0f);
    run(state, model, backprop, prior, loss, share);
}

void BM_DataParallelStep_profile(benchmark::State& state) {
    const Index B = 64, L = 1346, O = 1000;
    auto model = ap::models::make_profile_model<float>({}, 0);
    const auto share = share_of_batch({{{L, 4}, {O, 2}}, {O, 2}}, B, [&](ap::train::Batch<float>& b, std::mt19937& gen) {
        std::uniform_int_distribution<int> reads(0, 3);
        auto c = b.input(1);
        for (Index i = 0; i < c.size(); ++i) c.data[i] = float(reads(gen));
        auto y = b.targets();
        for (Index i = 0; i < y.size(); ++i) y.data[i] = float(reads(gen));
        for (Index r = 0; r < B; ++r) b.status()[r] = 1;  // every profile example is a peak
    });
    ap::priors::FourierPriorOptions po;
    po.freq_limit = 200;
    ap::priors::FourierPrior<float> prior(po);
    ap::train::ProfileLoss<float> loss;
    ap::train::DoubleBackprop<float, ap::train::ProfileTarget> backprop(50.0f);
    run(state, model, backprop, prior, loss, share);
}

/// Rank 0 prints; the others run the same benchmarks silently.
class Silent : public benchmark::BenchmarkReporter {
public:
    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

BENCHMARK(BM_DataParallelStep_binary)->Name("BM_DataParallelStep/binary")->Unit(benchmark::kMillisecond)
    ->UseRealTime()->Iterations(8)->Repetitions(3)->ReportAggregatesOnly(false);
BENCHMARK(BM_DataParallelStep_profile)->Name("BM_DataParallelStep/profile")->Unit(benchmark::kMillisecond)
    ->UseRealTime()->Iterations(12)->Repetitions(3);

int main(int argc, char** argv) {
    dist::Environment env(&argc, &argv);
    return dist::run_or_abort(world(), [&] {
        benchmark::Initialize(&argc, argv);
        Silent silent;
        if (world().root())
            benchmark::RunSpecifiedBenchmarks();
        else
            benchmark::RunSpecifiedBenchmarks(&silent);
        benchmark::Shutdown();
        return 0;
    });
}
