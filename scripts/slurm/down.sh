#!/usr/bin/env bash
# down.sh stops the single-node Slurm cluster that scripts/slurm/up.sh started.
#
# It cancels every job first (stopping slurmd does not kill running jobs), then
# stops only the daemons that up.sh started, as recorded in /run/sweep-slurm;
# daemons that were running before up.sh are left alone, and so are their jobs.
# It is idempotent: with nothing started, it does nothing.
set -euo pipefail

state=/run/sweep-slurm
log() { echo "down.sh: $*"; }
[ "$(id -u)" -eq 0 ] || { echo "down.sh: must run as root (try: sudo $0)" >&2; exit 1; }

# running PID: whether PID is a live process (a zombie nobody reaps is not).
running() { [ -n "$(ps -o stat= -p "$1" 2>/dev/null)" ] && [[ "$(ps -o stat= -p "$1")" != Z* ]]; }

# stop NAME PIDFILE: end the daemon NAME if up.sh started it.
stop() {
  local name=$1 pidfile=$2 pid
  [ -e "$state/started-$name" ] || return 0
  if [ -s "$pidfile" ] && pid=$(cat "$pidfile") && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$name" ]; then
    log "stopping $name (pid $pid)"
    kill "$pid"
    for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then
      log "$name did not stop in 10s; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$state/started-$name"
}

if [ -e "$state/started-slurmctld" ] && command -v squeue >/dev/null 2>&1; then
  jobs=$(squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ' || true)
  if [ -n "${jobs// /}" ]; then
    log "cancelling jobs: $jobs"
    # shellcheck disable=SC2086 # one argument per job id
    scancel $jobs || true
    for _ in $(seq 100); do
      [ -z "$(squeue -h -o '%A' 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
fi

stop slurmd "$state/slurmd.pid"
stop slurmctld "$state/slurmctld.pid"
stop munged /run/munge/munged.pid
log "done"
