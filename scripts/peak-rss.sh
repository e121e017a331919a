#!/usr/bin/env bash
# peak-rss.sh CMD [ARGS...]: runs CMD and reports the peak of the memory of
# CMD and all its descendants (sweep and its model plugin processes),
# sampled every 50 ms from /proc: the summed proportional set size (PSS,
# /proc/PID/smaps_rollup), in which a page several processes share (the
# prepared data every worker maps) counts once in all, and the summed
# resident set size (RSS), in which it counts once per process. GNU time's
# "maximum resident set size" covers one process only.
set -u
"$@" &
root=$!
peak_pss=0
peak_rss=0
descendants() {
  local kids
  kids=$(cat /proc/"$1"/task/*/children 2>/dev/null)
  for k in $kids; do echo "$k"; descendants "$k"; done
}
while kill -0 "$root" 2>/dev/null; do
  pss=0
  rss=0
  for p in "$root" $(descendants "$root"); do
    v=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null)
    pss=$((pss + ${v:-0}))
    v=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null)
    rss=$((rss + ${v:-0}))
  done
  [ "$pss" -gt "$peak_pss" ] && peak_pss=$pss
  [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
  sleep 0.05
done
wait "$root"
rc=$?
echo "peak-rss: PSS $((peak_pss / 1024)) MiB, RSS $((peak_rss / 1024)) MiB, summed over the process tree" >&2
exit $rc
