#!/usr/bin/env bash
# textbook_asha.sh measures ASHA on the textbook grid: sweeps/hyperparam_search.toml
# with 3 repeats, 100 epochs and no early stopping inside trials, once in full and
# once with [prune] method = "asha" (min_epochs 5, eta 3), 2 workers. It prints
# each run's wall time, the epochs trained and the top of each ranking, so that
# the winners can be compared.
#
#   scripts/bench/textbook_asha.sh [WORKDIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
cd "$repo" && go build -o "$work/sweep" ./cmd/sweep
cd "$work"
for v in full asha; do
  # log_dir is relative to the grid file: the copies write under $work/runs.
  sed -e "s/^name  *= \"hyperparam_search\".*/name = \"textbook_$v\"/" \
      -e 's/^log_dir  *= .*/log_dir = "runs"/' \
      -e 's/^workers  *= 0.*/workers = 2/' \
      -e '0,/^seed  *= 42$/s//seed = 42\nrepeats = 3/' \
      -e 's/^epochs  *= 100$/epochs = 100\npatience = 1000/' \
      "$repo/sweeps/hyperparam_search.toml" > "$v.toml"
done
printf '\n[prune]\nmethod     = "asha"\nmin_epochs = 5\neta        = 3\n' >> asha.toml
lscpu | grep 'Model name' || true
for v in full asha; do
  rm -rf "runs/textbook_$v"
  start=$(date +%s.%N)
  ./sweep run "$v.toml" > /dev/null 2> "$v.err" || { cat "$v.err"; exit 1; }
  end=$(date +%s.%N)
  epochs=$(cat runs/textbook_$v/*/*/trial.json | grep -o '"epochs_run": [0-9]*' | awk '{s += $2} END {print s}')
  printf '\n== %s: %.1f s, %d epochs trained (of 3600)\n' "$v" "$(awk "BEGIN { print $end - $start }")" "$epochs"
  ./sweep report "runs/textbook_$v" --top 3
done
