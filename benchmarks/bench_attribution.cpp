// Google Benchmark of the attribution methods (docs/performance.md, "Attribution"):
// the paper's binary model (L 1000) and profile model (input 1346, 64 filters), float,
// ATTRPRIOR_BENCH_THREADS threads (default 2). tests/reference/torch_attribution.py time
// runs the same methods in PyTorch.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "attrprior/attribution/deeplift.hpp"
#include "attrprior/attribution/gradient.hpp"
#include "attrprior/attribution/integrated_gradients.hpp"
#include "attrprior/attribution/ism.hpp"
#include "attrprior/models/binary.hpp"
#include "attrprior/models/profile.hpp"

namespace {

int bench_threads() {
    const char* s = std::getenv("ATTRPRIOR_BENCH_THREADS");
    return s ? std::atoi(s) : 2;
}

// ---- gradient x input, DeepSHAP, integrated gradients (the methods other than ISM) ----
// Binary model: 256 sequences of length 1000; profile model: 64 inputs of 1346 with
// matched controls; float, ATTRPRIOR_BENCH_THREADS threads (default 2); batch 64.
namespace methods {

struct Problem {
    attrprior::nn::Model<float> model;
    std::vector<float> x, control;
    attrprior::attribution::Inputs<float> inputs;
    attrprior::attribution::Target target;
};

std::vector<float> random_sequences(attrprior::Index n, attrprior::Index L, std::uint64_t seed) {
    std::vector<float> x(static_cast<std::size_t>(n * L * 4), 0.0f);
    std::mt19937_64 gen(seed);
    for (attrprior::Index i = 0; i < n * L; ++i) x[static_cast<std::size_t>(i * 4 + attrprior::Index(gen() % 4))] = 1.0f;
    return x;
}

Problem binary_problem() {
    namespace ap = attrprior;
    ap::models::BinaryModelOptions o;
    o.length = 1000;
    Problem p{ap::models::make_binary_model<float>(o, 0), random_sequences(256, 1000, 1), {}, {},
              ap::attribution::Target::logits()};
    p.inputs = {ap::ConstTensor3<float>(p.x.data(), 256, 1000, 4)};
    return p;
}

Problem profile_problem() {
    namespace ap = attrprior;
    ap::models::ProfileModelOptions o;  // the paper's: input 1346, profile 1000, 64 filters
    Problem p{ap::models::make_profile_model<float>(o, 0), random_sequences(64, o.input_length, 2), {}, {},
              ap::attribution::Target::profile(2)};
    const ap::nn::Shape cs = p.model.input_shape(1);
    p.control.assign(static_cast<std::size_t>(64 * cs.length * cs.channels), 0.0f);
    std::mt19937_64 gen(3);
    for (float& v : p.control) v = float(gen() % 4);
    p.inputs = {ap::ConstTensor3<float>(p.x.data(), 64, o.input_length, 4),
                ap::ConstTensor3<float>(p.control.data(), 64, cs.length, cs.channels)};
    return p;
}

template <class Run>
void run(benchmark::State& state, Problem (*make)(), Run&& method) {
    omp_set_num_threads(bench_threads());
    Problem p = make();
    for (auto _ : state) benchmark::DoNotOptimize(method(p));
    state.counters["sequences"] = double(p.inputs[0].dim0);
}

void BM_GradientTimesInput(benchmark::State& state, Problem (*make)()) {
    run(state, make, [](Problem& p) { return attrprior::attribution::gradient_times_input(p.model, p.inputs, p.target); });
}
void BM_DeepShap(benchmark::State& state, Problem (*make)()) {
    run(state, make, [](Problem& p) { return attrprior::attribution::deep_shap(p.model, p.inputs, p.target); });
}
void BM_IntegratedGradients(benchmark::State& state, Problem (*make)()) {
    run(state, make,
        [](Problem& p) { return attrprior::attribution::integrated_gradients(p.model, p.inputs, p.target); });
}

BENCHMARK_CAPTURE(BM_GradientTimesInput, binary, &binary_problem)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_GradientTimesInput, profile, &profile_problem)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_DeepShap, binary, &binary_problem)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_DeepShap, profile, &profile_problem)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_IntegratedGradients, binary, &binary_problem)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_IntegratedGradients, profile, &profile_problem)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace methods

}  // namespace

BENCHMARK_MAIN();
