// Google Benchmark of in-silico saturation mutagenesis (docs/attribution.md, "ISM"), fast
// (windowed) against naive (a full forward per mutant), float, threads = 2 by default
// (ATTRPRIOR_BENCH_THREADS), batch = 64 mutants per pass:
//   BM_Ism/binary_fast, BM_Ism/binary_naive    the paper's binary model (L 1000, 64
//       filters, eval BatchNorm), 4 sequences, logits target (12000 mutants)
//   BM_Ism/profile_fast, BM_Ism/profile_naive  the paper's profile model (input 1346,
//       64 filters, 1 task, matched controls), 1 sequence, profile target (4038 mutants)
//   BM_Ism/profile_counts_fast                 the same with the counts target
// The naive cases run one iteration (tens of seconds each).
//   BM_GradientTimesInput, BM_DeepShap (20 shuffles), BM_IntegratedGradients (50
//       Gauss-Legendre points) on the binary model (256 sequences of L 1000) and the
//       profile model (64 inputs of 1346, matched controls), batch 64.
// tests/reference/torch_attribution.py time runs the same methods in PyTorch.
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

namespace ap = attrprior;
namespace at = attrprior::attribution;

int bench_threads() {
    const char* s = std::getenv("ATTRPRIOR_BENCH_THREADS");
    return s ? std::atoi(s) : 2;
}

std::vector<float> one_hot(ap::Index B, ap::Index L, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> base(0, 3);
    std::vector<float> x(static_cast<std::size_t>(B * L * 4), 0.0f);
    for (ap::Index i = 0; i < B * L; ++i) x[static_cast<std::size_t>(i * 4 + base(gen))] = 1.0f;
    return x;
}

void run_ism(benchmark::State& state, ap::nn::Model<float>& model, const at::Inputs<float>& inputs,
             const at::Target& target, at::IsmAlgorithm algorithm) {
    at::IsmOptions o;
    o.algorithm = algorithm;
    for (auto _ : state) {
        const auto s = at::ism(model, inputs, target, o);
        if (s.algorithm != algorithm) state.SkipWithError("fast ISM fell back to naive");
        benchmark::DoNotOptimize(s.delta.data());
    }
    state.counters["mutants"] = double(inputs[0].dim0 * inputs[0].dim1 * 3);
}

void binary(benchmark::State& state, at::IsmAlgorithm algorithm) {
    omp_set_num_threads(bench_threads());
    const ap::Index B = 4, L = 1000;
    auto model = ap::models::make_binary_model<float>(ap::models::BinaryModelOptions(), 0);
    std::mt19937 gen(1);  // non-trivial running statistics
    for (ap::Index i = 0; i < model.state().size(); ++i) model.state()[i] = 0.3f + 0.5f * float(gen() % 1000) / 1000.0f;
    const auto x = one_hot(B, L, 2);
    run_ism(state, model, {ap::ConstTensor3<float>(x.data(), B, L, 4)}, at::Target::logits(), algorithm);
}

void profile(benchmark::State& state, at::IsmAlgorithm algorithm, const at::Target& target) {
    omp_set_num_threads(bench_threads());
    const ap::models::ProfileModelOptions o;  // the paper's: 1346 -> 1000, 1 task, matched controls
    auto model = ap::models::make_profile_model<float>(o, 0);
    const ap::Index B = 1, L = o.input_length, O = o.output_length, K = o.tasks * o.strands;
    const auto x = one_hot(B, L, 3);
    std::vector<float> control(static_cast<std::size_t>(B * O * K));
    std::mt19937 gen(4);
    for (float& c : control) c = float(gen() % 5);
    run_ism(state, model, {ap::ConstTensor3<float>(x.data(), B, L, 4), ap::ConstTensor3<float>(control.data(), B, O, K)},
            target, algorithm);
}

void BM_IsmBinaryFast(benchmark::State& s) { binary(s, at::IsmAlgorithm::fast); }
void BM_IsmBinaryNaive(benchmark::State& s) { binary(s, at::IsmAlgorithm::naive); }
void BM_IsmProfileFast(benchmark::State& s) { profile(s, at::IsmAlgorithm::fast, at::Target::profile()); }
void BM_IsmProfileNaive(benchmark::State& s) { profile(s, at::IsmAlgorithm::naive, at::Target::profile()); }
void BM_IsmProfileCountsFast(benchmark::State& s) { profile(s, at::IsmAlgorithm::fast, at::Target::counts()); }

// ---- gradient x input, DeepSHAP, integrated gradients (the methods other than ISM) ----
// Binary model: 256 sequences of length 1000; profile model: 64 inputs of 1346 with
// (ATTRPRIOR_BENCH_BINARY_N / ATTRPRIOR_BENCH_PROFILE_N change the counts)
// matched controls; float, ATTRPRIOR_BENCH_THREADS threads (default 2); batch 64.
namespace methods {

struct Problem {
    attrprior::nn::Model<float> model;
    std::vector<float> x, control;
    attrprior::attribution::Inputs<float> inputs;
    attrprior::attribution::Target target;
};

attrprior::Index env_count(const char* name, attrprior::Index fallback) {
    const char* s = std::getenv(name);
    return s ? attrprior::Index(std::atol(s)) : fallback;
}

Problem binary_problem() {
    namespace ap = attrprior;
    const ap::Index n = env_count("ATTRPRIOR_BENCH_BINARY_N", 256);
    ap::models::BinaryModelOptions o;
    o.length = 1000;
    Problem p{ap::models::make_binary_model<float>(o, 0), one_hot(n, 1000, 1), {}, {},
              ap::attribution::Target::logits()};
    p.inputs = {ap::ConstTensor3<float>(p.x.data(), n, 1000, 4)};
    return p;
}

Problem profile_problem() {
    namespace ap = attrprior;
    ap::models::ProfileModelOptions o;  // the paper's: input 1346, profile 1000, 64 filters
    const ap::Index n = env_count("ATTRPRIOR_BENCH_PROFILE_N", 64);
    Problem p{ap::models::make_profile_model<float>(o, 0), one_hot(n, o.input_length, 2), {}, {},
              ap::attribution::Target::profile(2)};
    const ap::nn::Shape cs = p.model.input_shape(1);
    p.control.assign(static_cast<std::size_t>(n * cs.length * cs.channels), 0.0f);
    std::mt19937_64 gen(3);
    for (float& v : p.control) v = float(gen() % 4);
    p.inputs = {ap::ConstTensor3<float>(p.x.data(), n, o.input_length, 4),
                ap::ConstTensor3<float>(p.control.data(), n, cs.length, cs.channels)};
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

BENCHMARK_CAPTURE(BM_GradientTimesInput, binary, &binary_problem)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_GradientTimesInput, profile, &profile_problem)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_CAPTURE(BM_DeepShap, binary, &binary_problem)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_DeepShap, profile, &profile_problem)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_IntegratedGradients, binary, &binary_problem)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_IntegratedGradients, profile, &profile_problem)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace methods

}  // namespace

BENCHMARK(BM_IsmBinaryFast)->Name("BM_Ism/binary_fast")->Unit(benchmark::kSecond)->UseRealTime()->MinTime(3);
BENCHMARK(BM_IsmBinaryNaive)->Name("BM_Ism/binary_naive")->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_IsmProfileFast)->Name("BM_Ism/profile_fast")->Unit(benchmark::kSecond)->UseRealTime()->MinTime(3);
BENCHMARK(BM_IsmProfileNaive)->Name("BM_Ism/profile_naive")->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_IsmProfileCountsFast)->Name("BM_Ism/profile_counts_fast")->Unit(benchmark::kSecond)->UseRealTime()->MinTime(3);

BENCHMARK_MAIN();
