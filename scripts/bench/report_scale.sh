#!/usr/bin/env bash
# report_scale.sh [RUNS]: the report-at-scale benchmark (issue 12). Runs a
# sweep of 100,000 one-epoch trials of the benchfn plugin (once, in $WORK,
# default /tmp/sweep-report-scale; about 5 minutes on 2 cores), then times
#   - `sweep report DIR` as text, first without the record index (every
#     trial.json read; it writes .sweep-index) and then RUNS times with it;
#   - `sweep report DIR --html`, RUNS times, and the page's size;
#   - the page in headless Chromium (scripts/bench/htmlpaint): from the
#     start of navigation to the ranking table painted, RUNS fresh browsers.
# Each line gives the wall time and, in brackets, the CPU time (user+sys);
# the medians come last. RUNS defaults to 3.
#
#   scripts/bench/report_scale.sh 3
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
work=${WORK:-/tmp/sweep-report-scale}
mkdir -p "$work"
go build -o "$work/sweep" ./cmd/sweep
go build -o "$work/benchfn" ./plugins/internal/benchfn/cmd/sweep-benchfn
go build -o "$work/htmlpaint" ./scripts/bench/htmlpaint
# 10 × 10 × 4 × 10 × 25 = 100,000 configurations, one seed, one epoch.
cat > "$work/grid.toml" <<'TOML'
name = "s100k"
log_dir = "runs"
plugin = "benchfn"
log_every = 0
checkpoint = "none"
trial_name = "t{trial}"
[params]
epochs = 1
[grid]
lr = [0.0001, 0.000215, 0.000464, 0.001, 0.002154, 0.004642, 0.01, 0.021544, 0.046416, 0.1]
width = [8, 32, 56, 80, 104, 128, 152, 176, 200, 224]
act = ["gelu", "relu", "tanh", "sigmoid"]
dropout = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
warmup = [0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28, 0.32, 0.36, 0.4, 0.44, 0.48, 0.52, 0.56, 0.6, 0.64, 0.68, 0.72, 0.76, 0.8, 0.84, 0.88, 0.92, 0.96]
TOML
dir="$work/runs/s100k"
if [ ! -f "$dir/sweep.json" ]; then
  echo "running the sweep (100,000 trials)..."
  /usr/bin/time -f "sweep run: %e s [%U+%S s CPU]" "$work/sweep" run --workers 2 "$work/grid.toml" > "$work/run.out" 2> "$work/run.err"
  tail -1 "$work/run.err"
fi
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# timed LABEL CMD...: runs CMD with its output discarded and prints the
# wall and CPU seconds and the peak memory; appends the wall seconds to
# $work/LABEL.times.
timed() {
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.out" "$@" > /dev/null 2>> "$work/report.err"
  read -r wall user sys maxkb < "$work/time.out"
  echo "$label: $wall s [$(echo "$user + $sys" | bc) s CPU, peak $((maxkb / 1024)) MiB]"
  echo "$wall" >> "$work/$label.times"
}
median() { sort -n "$work/$1.times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

rm -f "$work"/*.times "$dir/.sweep-index"
timed "report-no-index" "$work/sweep" report "$dir"
for _ in $(seq "$runs"); do timed "report" "$work/sweep" report "$dir"; done
for _ in $(seq "$runs"); do timed "report-html" "$work/sweep" report "$dir" --html "$work/report.html"; done
echo "report.html: $(stat -c %s "$work/report.html") bytes"
"$work/htmlpaint" -runs "$runs" "$work/report.html"
# sweep run again on the finished sweep: nothing to run, the sweep loaded
# through its index.
for _ in $(seq "$runs"); do timed "run-again" "$work/sweep" run --workers 2 "$work/grid.toml"; done
echo "median of $runs: report $(median report) s, report --html $(median report-html) s, run again $(median run-again) s"
