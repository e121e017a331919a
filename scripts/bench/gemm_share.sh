#!/usr/bin/env bash
# gemm_share.sh measures issue 13's "share of a step outside the matrix
# products": BenchmarkStep (float64, the textbook network) under the CPU
# profiler, the time in gemm against the step's, with the benchmark's set-up
# and its peak loops left out. One profile moves by several points with the
# machine's other load, so it runs the test binaries of BASE (a git
# revision, default HEAD) and of the working tree in PAIRS interleaved pairs
# (default 3) and prints each profile's shares, then the means.
#
#   scripts/bench/gemm_share.sh [BASE [PAIRS [STEPS]]]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:-HEAD}
pairs=${2:-3}
steps=${3:-150000}
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$repo" worktree add --detach "$work/base" "$base" >/dev/null 2>&1
(cd "$work/base/plugins/ffn" && go test -c -o "$work/base.test" .)
(cd "$repo/plugins/ffn" && go test -c -o "$work/tree.test" .)
lscpu | grep 'Model name' || true
uptime

# share prints, for one profile, the step's CPU seconds and the percentages
# in gemm, in Adam's step and outside gemm.
share() {
  go tool pprof -top -cum -nodecount 400 "$1" "$2" 2>/dev/null | awk -v tag="$3" '
    function sec(x) { if (x ~ /ms$/) { sub("ms", "", x); return x / 1000 } sub("s", "", x); return x + 0 }
    NR > 6 {
      c = sec($4); n = $NF
      if (n ~ /ffn\.benchStep\[/) step = c
      if (n ~ /ffn\.measuredPeak$/) peak = c
      if (n ~ /ffn\.benchTrainer\[/) setup = c
      if (n ~ /ffn\.gemm\[/) gemm = c
      if (n ~ /ffn\.\(\*Adam\[.*\]\)\.(Step|stepTransposing)$/ && c > adam) adam = c
    }
    END {
      net = step - peak - setup
      printf "%-5s step %6.2f s  gemm %5.1f%%  adam %5.1f%%  outside gemm %5.1f%%\n", tag, net, 100 * gemm / net, 100 * adam / net, 100 * (1 - gemm / net)
    }'
}

for i in $(seq "$pairs"); do
  for side in base tree; do
    "$work/$side.test" -test.run XXX -test.bench 'BenchmarkStep$' -test.benchtime "${steps}x" \
      -test.cpuprofile "$work/$side-$i.prof" > /dev/null
    share "$work/$side.test" "$work/$side-$i.prof" "$side"
  done
done | tee "$work/shares"
awk '{ s[$1] += $NF; n[$1]++ } END { for (k in s) printf "%-5s mean outside gemm %.1f%% over %d profiles\n", k, s[k] / n[k], n[k] }' \
  <(sed 's/%$//' "$work/shares")
uptime
