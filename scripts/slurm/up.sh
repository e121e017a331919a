#!/usr/bin/env bash
# up.sh starts a single-node Slurm cluster on this machine, for sweep's Slurm
# tests and for trying `sweep run --executor slurm` without a real cluster.
#
# Run as root. It installs Debian's slurm-wlm and munge if they are missing,
# writes /etc/slurm/slurm.conf for one node (this host), and starts munged,
# slurmctld and slurmd by hand (no systemd). It is idempotent: a second run
# leaves running daemons alone and only waits for the node to be idle.
# scripts/slurm/down.sh stops what this script started.
#
# Environment:
#   SWEEP_SLURM_TIMEOUT  seconds to wait for the node to become idle (default 60)
#   SWEEP_SLURM_FORCE=1  overwrite an /etc/slurm/slurm.conf this script did not write
set -euo pipefail

timeout_s=${SWEEP_SLURM_TIMEOUT:-60}
state=/run/sweep-slurm          # pid files and the marks of what we started
spool=/var/spool/sweep-slurm    # slurmd spool and slurmctld state
conf=/etc/slurm/slurm.conf
marker="# Written by sweep scripts/slurm/up.sh"

die() { echo "up.sh: $*" >&2; exit 1; }
log() { echo "up.sh: $*"; }

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo $0)"

# --- install -----------------------------------------------------------------
need=()
command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
command -v munged >/dev/null 2>&1 || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when apt does not know the packages yet.
  if ! apt-cache show "${need[@]}" >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -qq || die "apt-get update failed"
  fi
  log "installing ${need[*]}"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || die "apt-get install ${need[*]} failed"
fi

mkdir -p "$state" "$spool/slurmd" "$spool/slurmctld" /var/log/slurm

# alive PIDFILE NAME: whether the process in PIDFILE runs and is NAME. A pid
# file left by a killed daemon may name a pid that another process now has,
# or a zombie that nobody reaped.
alive() {
  local pid
  [ -s "$1" ] && pid=$(cat "$1") || return 1
  [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$2" ] && [[ "$(ps -o stat= -p "$pid")" != Z* ]]
}

# --- munge -------------------------------------------------------------------
id munge >/dev/null 2>&1 || die "the munge user does not exist; is the munge package installed?"
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating /etc/munge/munge.key"
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge /etc/munge/munge.key /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0400 /etc/munge/munge.key
chmod 0755 /run/munge

if alive /run/munge/munged.pid munged; then
  log "munged already running"
else
  log "starting munged"
  su -s /bin/sh munge -c /usr/sbin/munged || die "munged failed to start; see /var/log/munge/munged.log"
  touch "$state/started-munged"
fi
for _ in $(seq 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
timeout 10 sh -c 'munge -n </dev/null | unmunge >/dev/null' 2>/dev/null \
  || die "munge does not work; see /var/log/munge/munged.log"

# --- slurm.conf --------------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
# Leave a margin: slurmd drains a node whose RealMemory exceeds what it finds.
margin=$(( mem_mb / 10 > 512 ? mem_mb / 10 : 512 ))
real_mem=$(( mem_mb - margin ))
[ "$real_mem" -gt 0 ] || die "too little memory: MemTotal is ${mem_mb} MB"

new=$(mktemp)
trap 'rm -f "$new"' EXIT
cat >"$new" <<CONF
$marker; edits are overwritten.
ClusterName=sweep
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job waits out the credential lifetime (default 120 s) before
# it runs again: short here, so that tests of requeued tasks run quickly.
AuthInfo=cred_expire=15
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0
MinJobAge=3600
MaxArraySize=1001
ReturnToService=2
MailProg=/bin/true
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmdSpoolDir=$spool/slurmd
StateSaveLocation=$spool/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

mkdir -p /etc/slurm
changed=0
if [ -f "$conf" ] && ! head -n 1 "$conf" | grep -qF "$marker"; then
  [ "${SWEEP_SLURM_FORCE:-}" = 1 ] \
    || die "$conf exists and was not written by this script; set SWEEP_SLURM_FORCE=1 to overwrite it"
  cp "$conf" "$conf.before-sweep"
  log "saved the previous $conf as $conf.before-sweep"
fi
if ! cmp -s "$new" "$conf"; then
  install -m 0644 "$new" "$conf"
  changed=1
  log "wrote $conf (node $host, $cpus CPUs, ${real_mem} MB)"
fi

# --- slurm daemons -----------------------------------------------------------
if alive "$state/slurmctld.pid" slurmctld; then
  log "slurmctld already running"
else
  log "starting slurmctld"
  /usr/sbin/slurmctld || die "slurmctld failed to start; see /var/log/slurm/slurmctld.log"
  touch "$state/started-slurmctld"
fi
if alive "$state/slurmd.pid" slurmd; then
  log "slurmd already running"
else
  log "starting slurmd"
  /usr/sbin/slurmd || die "slurmd failed to start; see /var/log/slurm/slurmd.log"
  touch "$state/started-slurmd"
fi
if [ "$changed" = 1 ] && [ -f "$state/started-slurmctld" ]; then
  # Daemons that were already running read the old file.
  scontrol reconfigure >/dev/null 2>&1 || true
fi

# --- wait for the node -------------------------------------------------------
deadline=$(( $(date +%s) + timeout_s ))
while :; do
  st=$(sinfo -h -n "$host" -o '%t' 2>/dev/null | head -n 1 || true)
  case "$st" in
    idle|mix|alloc) break ;;
    drain*|drng|down*)
      # A node left down or drained by an earlier run: bring it back.
      scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    die "node $host is not idle after ${timeout_s}s (sinfo state: '${st:-no answer}'); see /var/log/slurm/slurmctld.log and /var/log/slurm/slurmd.log"
  fi
  sleep 0.2
done
log "node $host is $st; Slurm is up"
