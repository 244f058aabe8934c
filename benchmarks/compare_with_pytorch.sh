#!/usr/bin/env bash
# Side-by-side timings of attrprior and the PyTorch reference in one run (docs/performance.md).
# usage: benchmarks/compare_with_pytorch.sh BUILD_DIR [TORCH_SCRIPT]
#   BUILD_DIR     a Release build configured with -DATTRPRIOR_NATIVE=ON
#   TORCH_SCRIPT  default ../shared/reference/torch_binary.py (needs Debian's python3-torch)
# Machines are noisy: report minima and ratios, not single runs.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [TORCH_SCRIPT]}
torch=${2:-"$(dirname "$0")/../../shared/reference/torch_binary.py"}
py=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
echo "== machine"; lscpu | grep -E "Model name|^CPU\(s\)|Flags" | cut -c1-120; date -u
echo "== sgemm roofline (2 threads)"
"$py" "$torch" gemm --threads 2
"$build/benchmarks/bench_step" --benchmark_filter=Sgemm --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
echo "== Fourier prior, value + gradient (min of repetitions)"
"$build/benchmarks/bench_prior" --benchmark_repetitions=10 --benchmark_report_aggregates_only=true 2>&1 | grep -E "^BM.*_(mean|median|stddev)|^BM.*min" || true
"$build/benchmarks/bench_prior" --benchmark_repetitions=10 --benchmark_format=csv 2>/dev/null \
  | awk -F, 'NR>1 && $1 !~ /_(mean|median|stddev|cv)"$/ {gsub(/"/,"",$1); sub(/\/real_time/,"",$1); t=$4; if (!($1 in m) || t < m[$1]) m[$1]=t} END {for (k in m) printf "%s min %.1f us\n", k, m[k]}' | sort
for b in "128 1000" "512 1000" "128 2114"; do set -- $b; "$py" "$torch" prior --batch "$1" --length "$2" --threads 2 --steps 50; done
echo "== one Adam step of the binary model, B 256 L 1000 float, 2 threads"
"$build/benchmarks/bench_step" --benchmark_filter=BinaryStep --benchmark_repetitions=3 --benchmark_min_time=1 2>&1 | grep -E "^BM"
for a in "" "--no-bn" "--no-prior"; do "$py" "$torch" time --batch 256 --length 1000 --threads 2 --steps 3 $a; done
echo "== one Adam step of the profile model, B 64, 1346 -> 1000, 1 task x 2 strands, matched controls, float, 2 threads"
"$build/benchmarks/bench_step" --benchmark_filter=ProfileStep --benchmark_repetitions=3 2>&1 | grep -E "^BM"
"$py" "$(dirname "$0")/../tests/reference/torch_profile.py" time --batch 64 --threads 2 --repeats 3
echo "== peak memory (max RSS, KiB) of one step"
/usr/bin/time -f "attrprior prior_bn max RSS %M KiB" "$build/benchmarks/bench_step" --benchmark_filter=prior_bn --benchmark_min_time=0.01 > /dev/null
/usr/bin/time -f "pytorch   prior_bn max RSS %M KiB" "$py" "$torch" time --batch 256 --length 1000 --threads 2 --steps 1 > /dev/null
