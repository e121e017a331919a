#!/usr/bin/env bash
# textbook_vs_torch.sh measures the issue-13 goal: the textbook grid
# (sweeps/hyperparam_search.toml, 12 configurations × 100 epochs, no early
# stopping: patience 1000) through `sweep run` with 2 workers, against
# torch_textbook.py --grid with 2 worker processes of 1 thread each on the
# same prepared data, back to back, ROUNDS times (default 2). It prints each
# wall time and CPU time, the ratios and each side's best val loss. DTYPE
# (default float64) is the built-in network's dtype; PyTorch's script trains
# in float32, as users run it.
#
#   scripts/bench/textbook_vs_torch.sh [WORKDIR [ROUNDS [DTYPE]]]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d)}
rounds=${2:-2}
dtype=${3:-float64}
mkdir -p "$work"
cd "$repo" && go build -o "$work/sweep" ./cmd/sweep
cd "$work"
sed -e 's/^name  *= "hyperparam_search".*/name = "textbook_nostop"/' \
    -e 's/^log_dir  *= .*/log_dir = "runs"/' \
    -e 's/^workers  *= 0.*/workers = 2/' \
    -e "s/^epochs  *= 100$/epochs = 100\npatience = 1000\ndtype = \"$dtype\"/" \
    "$repo/sweeps/hyperparam_search.toml" > nostop.toml
lscpu | grep 'Model name' || true
for round in $(seq "$rounds"); do
  rm -rf runs/textbook_nostop
  # TIMEFORMAT: wall, then user + system CPU seconds of the command and its
  # waited-for children (the workers); on a shared machine the CPU time
  # shows how much of a wall-time difference is waiting for a core.
  TIMEFORMAT='%R %U %S'
  { time ./sweep run nostop.toml > /dev/null 2> sweep.err; } 2> sweep.time || { cat sweep.err; exit 1; }
  read -r sweep_s u s < sweep.time
  sweep_cpu=$(awk "BEGIN { print $u + $s }")
  sweep_best=$(./sweep report runs/textbook_nostop --top 1 | sed -n 2p)
  cp runs/textbook_nostop/.data/*.f64 data.f64
  { time /usr/bin/python3 "$repo/scripts/bench/torch_textbook.py" --grid --epochs 100 --workers 2 --threads 1 \
    --arrays data.f64 > torch.out; } 2> torch.time
  read -r torch_s u s < torch.time
  torch_cpu=$(awk "BEGIN { print $u + $s }")
  printf '\n== round %d: sweep %.1f s, PyTorch %.1f s (script wall, incl. start-up): %.1fx; CPU %.1f s and %.1f s: %.1fx\n' \
    "$round" "$sweep_s" "$torch_s" "$(awk "BEGIN { print $torch_s / $sweep_s }")" \
    "$sweep_cpu" "$torch_cpu" "$(awk "BEGIN { print $torch_cpu / $sweep_cpu }")"
  echo "$sweep_best"
  tail -n 1 torch.out
done
