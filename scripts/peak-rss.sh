#!/usr/bin/env bash
# peak-rss.sh CMD [ARGS...]: runs CMD and reports the peak of the summed
# resident memory of CMD and all its descendants (sweep and its model plugin
# processes), sampled every 50 ms from /proc. GNU time's "maximum resident
# set size" covers one process only, not a sweep's process tree.
set -u
"$@" &
root=$!
peak=0
descendants() {
  local kids
  kids=$(cat /proc/"$1"/task/*/children 2>/dev/null)
  for k in $kids; do echo "$k"; descendants "$k"; done
}
while kill -0 "$root" 2>/dev/null; do
  total=0
  for p in "$root" $(descendants "$root"); do
    rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null)
    total=$((total + ${rss:-0}))
  done
  [ "$total" -gt "$peak" ] && peak=$total
  sleep 0.05
done
wait "$root"
rc=$?
echo "peak-rss: $((peak / 1024)) MiB summed over the process tree" >&2
exit $rc
