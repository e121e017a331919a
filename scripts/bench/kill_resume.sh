#!/usr/bin/env bash
# kill_resume.sh measures what a kill costs on the textbook grid
# (sweeps/hyperparam_search.toml: 12 trials of 100 epochs, no early stopping,
# 2 workers), with and without resuming. Each repeat runs the grid, stops
# `sweep run` at a random point of an uninterrupted run's wall time, runs it
# again to the end, and counts the epochs trained in all (epoch events of the
# stopped run, plus each trial's epochs_run − resumed_epochs in the second):
# what is over 1,200 was trained twice. It also prints the wall time lost:
# from the first start to the second run's end, less an uninterrupted run.
# Load on a shared machine blurs times; the epochs do not depend on it.
#
# Modes: restart (checkpoint_every = 0: stopped trials start again from
# epoch 0) and resume (the default checkpoint_every = 25), each stopped by
# kill -9 (nothing saved on the way out) and by SIGINT (Ctrl-C: a trial saves
# its state after its last finished epoch). The stop points are the same for
# every mode.
#
#   scripts/bench/kill_resume.sh [REPEATS] [WORKDIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
repeats=${1:-5}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
cd "$repo" && go build -o "$work/sweep" ./cmd/sweep
cd "$work"
for every in 0 25; do
  sed -e "s/^name  *= .*/name = \"textbook\"/" \
      -e 's/^log_dir  *= .*/log_dir = "runs"/' \
      -e 's/^workers  *= 0.*/workers = 2/' \
      -e "s/^seed  *= 42$/seed = 42\ncheckpoint_every = $every/" \
      -e 's/^epochs  *= 100$/epochs = 100\npatience = 1000/' \
      "$repo/sweeps/hyperparam_search.toml" > "every$every.toml"
done
lscpu | grep 'Model name' || true

now() { date +%s.%N; }
# epochs_trained STDOUT_OF_STOPPED_RUN: the epochs of both runs of textbook.
epochs_trained() {
  python3 - "$1" runs/textbook <<'PY'
import glob, json, sys
first = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "epoch":
        first.add((e["trial_id"], e["step"]))
second = 0
for path in glob.glob(sys.argv[2] + "/*/*/trial.json"):
    t = json.load(open(path))
    if t.get("status") == "succeeded":
        second += t.get("epochs_run", 0) - t.get("resumed_epochs", 0)
print(len(first) + second)
PY
}

rm -rf runs
t0=$(now); ./sweep run every25.toml > /dev/null 2>&1; full=$(awk "BEGIN { print $(now) - $t0 }")
printf 'uninterrupted: %.1f s\n' "$full"
# The stop points, as fractions of the uninterrupted time: the same for
# every mode, so that the modes compare pairwise.
mapfile -t points < <(python3 -c "import random; r = random.Random(1); print('\n'.join(str(r.uniform(0.05, 0.95)) for _ in range($repeats)))")
printf '%-8s %-6s %8s %10s %12s\n' mode signal "stop at" "retrained" "time lost"
for every in 0 25; do
  mode=$([ $every = 0 ] && echo restart || echo resume)
  for sig in KILL INT; do
    total_epochs=0; total_lost=0
    for p in "${points[@]}"; do
      rm -rf runs
      at=$(awk "BEGIN { print $p * $full }")
      t0=$(now)
      ./sweep run "every$every.toml" --json --json-epochs > first.out 2> /dev/null &
      pid=$!
      sleep "$at"; kill -s "$sig" "$pid"; wait "$pid" || true
      ./sweep run "every$every.toml" > /dev/null 2>&1
      lost=$(awk "BEGIN { print $(now) - $t0 - $full }")
      epochs=$(epochs_trained first.out)
      printf '%-8s %-6s %7.1fs %10d %11.2fs\n' "$mode" "$sig" "$at" $((epochs - 1200)) "$lost"
      total_epochs=$((total_epochs + epochs - 1200)); total_lost=$(awk "BEGIN { print $total_lost + $lost }")
    done
    printf '%-8s %-6s %8s %10.1f %11.2fs   (mean)\n' "$mode" "$sig" "" "$(awk "BEGIN { print $total_epochs / $repeats }")" "$(awk "BEGIN { print $total_lost / $repeats }")"
  done
done
