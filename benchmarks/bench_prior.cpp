// Google Benchmark of the Fourier prior, value + gradient, float (issue 3's target:
// >= 10x faster than PyTorch on the same machine; see docs/performance.md).
// Cases: BM_FourierPrior/<B>/<L>/<threads>.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <random>
#include <vector>

#include "attrprior/priors/fourier.hpp"

namespace {

void run_prior(benchmark::State& state, attrprior::fft::PlanRigor rigor) {
    const attrprior::Index B = state.range(0), L = state.range(1), C = 4;
    omp_set_num_threads(static_cast<int>(state.range(2)));
    std::vector<float> attr(static_cast<std::size_t>(B * L * C)), grad(attr.size());
    std::mt19937 gen(0);
    std::normal_distribution<float> nd;
    for (float& x : attr) x = nd(gen);
    Eigen::VectorXi status = Eigen::VectorXi::Ones(B);  // as torch_binary.py prior: all rows
    attrprior::priors::FourierPriorOptions options;  // the paper's defaults
    options.plan_rigor = rigor;
    attrprior::priors::FourierPrior<float> prior(options);
    const attrprior::ConstTensor3<float> a(attr.data(), B, L, C);
    const attrprior::Tensor3<float> g(grad.data(), B, L, C);
    prior.value_and_gradient(a, status, g);  // plans and workspace
    for (auto _ : state) {
        benchmark::DoNotOptimize(prior.value_and_gradient(a, status, g));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * B);
}

// Default options: FFTW_ESTIMATE plans (deterministic from run to run).
void BM_FourierPrior(benchmark::State& state) { run_prior(state, attrprior::fft::PlanRigor::estimate); }
// FFTW_MEASURE plans: faster for awkward lengths such as 2114 = 2 * 7 * 151.
void BM_FourierPriorMeasured(benchmark::State& state) {
    run_prior(state, attrprior::fft::PlanRigor::measure);
}

}  // namespace

BENCHMARK(BM_FourierPrior)
    ->ArgNames({"", "", ""})
    ->Args({128, 1000, 1})
    ->Args({128, 1000, 2})
    ->Args({512, 1000, 1})
    ->Args({512, 1000, 2})
    ->Args({128, 2114, 1})
    ->Args({128, 2114, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

BENCHMARK(BM_FourierPriorMeasured)
    ->ArgNames({"", "", ""})
    ->Args({128, 1000, 2})
    ->Args({128, 2114, 2})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

BENCHMARK_MAIN();
