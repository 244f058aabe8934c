// Google Benchmark of one training step of the paper's binary model (issue 4):
// B = 256, L = 1000, float, Adam, threads = 2 by default (ATTRPRIOR_BENCH_THREADS).
//   BM_BinaryStep/prior_bn  Fourier prior + BatchNorm (the paper's model)
//   BM_BinaryStep/prior     Fourier prior, no BatchNorm
//   BM_BinaryStep/plain     BatchNorm, no prior
//   BM_Sgemm/2048           Eigen float GEMM 2048^3: the machine's GEMM roofline, same run
// docs/performance.md compares these with torch_binary.py time / gemm.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <type_traits>
#include <random>
#include <vector>

#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/step.hpp"

namespace {

template <class Prior>
Prior make_prior(const attrprior::priors::FourierPriorOptions& o) {
    if constexpr (std::is_same_v<Prior, attrprior::priors::FourierPrior<float>>) {
        return Prior(o);
    } else {
        (void)o;
        return Prior();
    }
}

int bench_threads() {
    const char* s = std::getenv("ATTRPRIOR_BENCH_THREADS");
    return s ? std::atoi(s) : 2;
}

template <class Prior>
void run_step(benchmark::State& state, bool batchnorm) {
    namespace ap = attrprior;
    omp_set_num_threads(bench_threads());
    const ap::Index B = 256, L = 1000;
    ap::models::BinaryModelOptions mo;
    mo.length = L;
    mo.batchnorm = batchnorm;
    auto model = ap::models::make_binary_model<float>(mo, 0);
    // One-hot random sequences, first half positives (as torch_binary.py random_batch).
    std::mt19937 gen(0);
    std::uniform_int_distribution<int> base(0, 3);
    std::vector<float> x(B * L * 4, 0.0f), y(B, 0.0f);
    for (ap::Index b = 0; b < B; ++b) {
        for (ap::Index i = 0; i < L; ++i) x[(b * L + i) * 4 + base(gen)] = 1.0f;
        y[b] = b < B / 2 ? 1.0f : 0.0f;
    }
    const ap::ConstTensor3<float> xv(x.data(), B, L, 4), yv(y.data(), B, 1, 1);
    const Eigen::VectorXi status = ap::train::status_from_labels(yv);
    Prior prior;
    ap::train::ClassBalancedBCE<float> loss;
    ap::train::DoubleBackprop<float> step(1.0f);
    ap::train::Adam<float> adam;
    auto once = [&] {
        const auto r = step.step(model, prior, loss, xv, yv, status);
        adam.step(model.parameters(), model.gradients());
        return r.total;
    };
    once();  // workspaces, FFT plans
    for (auto _ : state) benchmark::DoNotOptimize(once());
    state.counters["threads"] = bench_threads();
}

void BM_BinaryStep_prior_bn(benchmark::State& s) {
    run_step<attrprior::priors::FourierPrior<float>>(s, true);
}
void BM_BinaryStep_prior(benchmark::State& s) {
    run_step<attrprior::priors::FourierPrior<float>>(s, false);
}
void BM_BinaryStep_plain(benchmark::State& s) { run_step<attrprior::priors::NoPrior<float>>(s, true); }

// Profile model (issue 6): batch 64, input 1346 -> 1000, 1 task, 2 strands, matched
// controls, Fourier prior with the profile defaults (freq_limit 200, lambda 50).
template <class Prior>
void run_profile_step(benchmark::State& state) {
    namespace ap = attrprior;
    omp_set_num_threads(bench_threads());
    const ap::Index B = 64, L = 1346, O = 1000;
    auto model = ap::models::make_profile_model<float>({}, 0);
    std::mt19937 gen(0);
    std::uniform_int_distribution<int> base(0, 3), reads(0, 3);
    std::vector<float> x(B * L * 4, 0.0f), control(B * O * 2), counts(B * O * 2);
    for (ap::Index i = 0; i < B * L; ++i) x[i * 4 + base(gen)] = 1.0f;
    for (float& v : control) v = float(reads(gen));
    for (float& v : counts) v = float(reads(gen));
    const std::vector<ap::ConstTensor3<float>> inputs{{x.data(), B, L, 4}, {control.data(), B, O, 2}};
    const ap::ConstTensor3<float> observed(counts.data(), B, O, 2);
    const Eigen::VectorXi status = Eigen::VectorXi::Ones(B);  // every profile example is a peak
    ap::priors::FourierPriorOptions po;
    po.freq_limit = 200;
    Prior prior = make_prior<Prior>(po);
    ap::train::ProfileLoss<float> loss;
    ap::train::DoubleBackprop<float, ap::train::ProfileTarget> step(50.0f);
    ap::train::Adam<float> adam;
    auto once = [&] {
        const auto r = step.step(model, prior, loss, inputs, observed, status);
        adam.step(model.parameters(), model.gradients());
        return r.total;
    };
    once();
    for (auto _ : state) benchmark::DoNotOptimize(once());
}

void BM_ProfileStep_prior(benchmark::State& s) { run_profile_step<attrprior::priors::FourierPrior<float>>(s); }
void BM_ProfileStep_plain(benchmark::State& s) { run_profile_step<attrprior::priors::NoPrior<float>>(s); }

void BM_Sgemm(benchmark::State& state) {
    omp_set_num_threads(bench_threads());
    const Eigen::Index n = state.range(0);
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
    c.noalias() = a * b;
    for (auto _ : state) {
        c.noalias() = a * b;
        benchmark::DoNotOptimize(c.data());
    }
    state.counters["GFLOPS"] = benchmark::Counter(2.0 * double(n) * n * n, benchmark::Counter::kIsIterationInvariantRate,
                                                  benchmark::Counter::kIs1000);
}

}  // namespace

BENCHMARK(BM_BinaryStep_prior_bn)->Name("BM_BinaryStep/prior_bn")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5);
BENCHMARK(BM_BinaryStep_prior)->Name("BM_BinaryStep/prior")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5);
BENCHMARK(BM_BinaryStep_plain)->Name("BM_BinaryStep/plain")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(5);
BENCHMARK(BM_ProfileStep_prior)->Name("BM_ProfileStep/prior")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(BM_ProfileStep_plain)->Name("BM_ProfileStep/plain")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(BM_Sgemm)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
