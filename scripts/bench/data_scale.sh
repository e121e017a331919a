#!/usr/bin/env bash
# data_scale.sh ROWS [WORKERS...]: the data-at-scale benchmark. Makes a
# ROWS × 50 numeric CSV (once, in $WORK, default /tmp/sweep-data-scale),
# then for each worker count (default: 2 4) runs a sweep of as many
# one-epoch trials of the built-in network on it under scripts/peak-rss.sh,
# first with no prepared data (sweep reads, splits and writes it once) and
# then again with it (--rerun all: the data is only checked). Prints the
# CSV's size, sweep's own data line, the wall time and the peak memory of
# the whole process tree, and each trial's line (its one epoch's time).
#
#   scripts/bench/data_scale.sh 1000000 2 4
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:?usage: data_scale.sh ROWS [WORKERS...]}
shift
[ $# -gt 0 ] || set -- 2 4
work=${WORK:-/tmp/sweep-data-scale}
mkdir -p "$work"
go build -o "$work/sweep" ./cmd/sweep
csv="$work/data_${rows}.csv"
[ -f "$csv" ] || go run ./scripts/bench/gencsv -rows "$rows" -features 50 -o "$csv"
echo "data: $rows rows × 50 features, $(du -m "$csv" | cut -f1) MiB of CSV, $((rows * 51 * 8 / 1048576)) MiB as float64; $(lscpu | sed -n 's/^Model name: *//p')"
for w in "$@"; do
  grid="$work/grid_${rows}_${w}.toml"
  lr=$(seq -s, 1 "$w" | sed 's/\([0-9]*\)/0.00\1/g')
  cat > "$grid" <<TOML
name    = "scale_${rows}_${w}"
log_dir = "runs"
[data]
path = "$csv"
[params]
epochs      = 1
hidden_dims = [64, 32]
batch_size  = 256
[grid]
lr = [$lr]
TOML
  rm -rf "$work/runs/scale_${rows}_${w}"
  for pass in first cached; do
    flags=(--workers "$w")
    [ "$pass" = cached ] && flags+=(--rerun all)
    start=$(date +%s.%N)
    scripts/peak-rss.sh "$work/sweep" run "$grid" "${flags[@]}" > /dev/null 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
    end=$(date +%s.%N)
    echo "workers $w, $pass: $(grep '^sweep: data:' "$work/stderr" | sed 's/^sweep: //'); wall $(echo "$end - $start" | bc) s; $(grep '^peak-rss:' "$work/stderr")"
    grep '^\[' "$work/stderr" | sed 's/^/  /' # each trial: its one epoch's time
  done
done
