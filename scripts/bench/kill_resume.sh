#!/usr/bin/env bash
# kill_resume.sh measures what a kill costs on the textbook grid
# (sweeps/hyperparam_search.toml: 12 trials of 100 epochs, no early stopping,
# 2 workers), with and without resuming. Each repeat runs the grid, stops
# `sweep run` at a random point of an uninterrupted run's wall time, runs it
# again to the end, and counts the epochs trained in all: the epoch events
# of the stopped run, plus epochs_run − resumed_epochs of each run the
# second one made. What is over 1,200 was trained twice: the time lost is
# that share of the grid's time (plus a process start). Epochs, unlike wall
# times, do not depend on the load of a shared machine.
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
      -e "0,/^seed  *= 42$/s//seed = 42\ncheckpoint_every = $every/" \
      -e 's/^epochs  *= 100$/epochs = 100\npatience = 1000/' \
      "$repo/sweeps/hyperparam_search.toml" > "every$every.toml"
done
lscpu | grep 'Model name' || true

now() { date +%s.%N; }
# epochs_trained STDOUT_OF_STOPPED_RUN RECORDS_BEFORE_THE_SECOND: the epochs
# both runs trained.
epochs_trained() {
  python3 - "$1" "$2" runs/textbook <<'PY'
import glob, json, sys
first = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "epoch":
        first.add((e["trial_id"], e["step"]))
before = set(open(sys.argv[2]).read().split())
second = 0
for path in glob.glob(sys.argv[3] + "/*/*/trial.json"):
    if path not in before:
        t = json.load(open(path))
        second += t.get("epochs_run", 0) - t.get("resumed_epochs", 0)
print(len(first) + second)
PY
}

rm -rf runs
t0=$(now); ./sweep run every25.toml > /dev/null 2>&1; full=$(awk "BEGIN { print $(now) - $t0 }")
printf 'uninterrupted: %.1f s for 1,200 epochs\n' "$full"
# The stop points, as fractions of the uninterrupted time: the same for
# every mode, so that the modes compare pairwise.
mapfile -t points < <(python3 -c "import random; r = random.Random(1); print('\n'.join(str(r.uniform(0.05, 0.95)) for _ in range($repeats)))")
printf '%-8s %-6s %8s %10s %8s\n' mode signal "stop at" "retrained" "of grid"
for every in 0 25; do
  mode=$([ $every = 0 ] && echo restart || echo resume)
  for sig in KILL INT; do
    total=0
    for p in "${points[@]}"; do
      rm -rf runs
      at=$(awk "BEGIN { print $p * $full }")
      ./sweep run "every$every.toml" --json --json-epochs > first.out 2> /dev/null &
      pid=$!
      sleep "$at"
      kill -s "$sig" "$pid" 2> /dev/null || true # it may have finished
      wait "$pid" 2> /dev/null || true
      ls runs/textbook/*/*/trial.json > before.txt
      ./sweep run "every$every.toml" > /dev/null 2>&1
      retrained=$(( $(epochs_trained first.out before.txt) - 1200 ))
      printf '%-8s %-6s %7.1fs %10d %7.1f%%\n' "$mode" "$sig" "$at" "$retrained" "$(awk "BEGIN { print $retrained / 12 }")"
      total=$((total + retrained))
    done
    printf '%-8s %-6s %8s %10.1f %7.1f%%   (mean)\n' "$mode" "$sig" "" "$(awk "BEGIN { print $total / $repeats }")" "$(awk "BEGIN { print $total / $repeats / 12 }")"
  done
done
