#!/usr/bin/env bash
# A one-node Slurm on this machine (node `localhost`, partition `debug`) for the Slurm
# executor's tests and benchmark. Debian bookworm (slurm-wlm 22.05), run as root, no systemd.
#
#   bash scripts/ci/slurm-up.sh           # install if missing, configure, start, wait for idle
#   bash scripts/ci/slurm-down.sh         # stop the daemons it started
#
# Idempotent: packages are installed only when missing, the munge key is made only when
# missing, daemons already running with the same slurm.conf are left alone (a node left
# DOWN or DRAINED by an interrupted test is resumed). A changed slurm.conf restarts them.
# No slurmdbd: accounting is off, so `sacct` has nothing; finished jobs are read from the
# job completion log (JobCompType=jobcomp/filetxt) and `scontrol show job` (MinJobAge).
#
# Environment: SLURM_UP_TIMEOUT (seconds to wait for the node, default 60),
# FRESH=0 keeps slurmctld's saved job state across a restart (default: cleared).
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
LOG_DIR=/var/log/slurm
JOBCOMP_LOG=$LOG_DIR/jobcomp.log
TIMEOUT=${SLURM_UP_TIMEOUT:-60}

die() {
  echo "slurm-up: $1" >&2
  for log in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
    [ -s "$log" ] && [ -r "$log" ] && { echo "--- last lines of $log" >&2; tail -n 15 "$log" >&2; }
  done
  exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts system daemons); try: sudo bash $0"

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- packages -------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || die "slurm-wlm and munge are missing and apt-get is not available: install them with your package manager"
  echo "slurm-up: installing slurm-wlm and munge"
  apt-get update -qq || die "apt-get update failed (no network or no Debian mirror?)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
    || die "apt-get install slurm-wlm munge failed"
fi

# --- munge: the key and the daemon ----------------------------------------------------------
id munge >/dev/null 2>&1 || die "user munge does not exist (the munge package did not install cleanly)"
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if ! [ -s /etc/munge/munge.key ]; then
  mungekey --create --keyfile=/etc/munge/munge.key || die "could not create /etc/munge/munge.key"
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
if ! alive /run/munge/munged.pid; then
  runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
fi
munge_ok=0
for _ in $(seq 50); do
  if munge -n </dev/null 2>/dev/null | unmunge 2>/dev/null | grep -q 'STATUS: *Success'; then munge_ok=1; break; fi
  sleep 0.1
done
[ "$munge_ok" = 1 ] || die "munge does not authenticate (munge -n | unmunge fails; see /var/log/munge/munged.log)"

# --- slurm.conf for this machine ------------------------------------------------------------
CPUS=$(nproc)
MEM_MB=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024))
# Leave the system some memory; Slurm refuses a node reporting less than RealMemory.
MEM_MB=$((MEM_MB > 1024 ? MEM_MB - 512 : MEM_MB))
install -d -m 0755 "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd "$LOG_DIR"
wanted=$(mktemp)
trap 'rm -f "$wanted"' EXIT
cat >"$wanted" <<CONF
# Written by ladder's scripts/ci/slurm-up.sh: one node on localhost for tests.
ClusterName=ladder
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
# Step credentials live 10 s (default 120): a job requeued after a node failure waits this
# long (+1 s) before it may start again, so requeue tests finish in seconds, not minutes.
AuthInfo=cred_expire=10
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
# No cgroups: containers and CI machines often lack a writable cgroup tree.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
# Start the next array task as soon as one ends (the default waits up to 3 s between passes).
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# A node an admin set DOWN stays down until resumed; one that only lost contact comes back.
ReturnToService=1
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$JOBCOMP_LOG
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
# Finished jobs stay visible to scontrol show job for 5 minutes.
MinJobAge=300
MaxArraySize=10001
MaxJobCount=20000
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

restart=0
if ! cmp -s "$wanted" "$CONF"; then
  cp "$wanted" "$CONF"
  chmod 0644 "$CONF"
  restart=1
fi
touch "$JOBCOMP_LOG"

stop_daemon() {
  local pidfile=$1
  alive "$pidfile" || return 0
  local pid
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  die "$(basename "$pidfile" .pid) (pid $pid) did not stop within 10 s"
}
if [ "$restart" = 1 ]; then
  stop_daemon /run/slurmd.pid
  stop_daemon /run/slurmctld.pid
fi

# --- daemons --------------------------------------------------------------------------------
CLEAR=$([ "${FRESH:-1}" = 1 ] && echo -c || true)
if ! alive /run/slurmctld.pid; then
  # shellcheck disable=SC2086
  /usr/sbin/slurmctld $CLEAR || die "slurmctld did not start"
fi
if ! alive /run/slurmd.pid; then
  # The node is called localhost, not this machine's hostname: name it with -N.
  # shellcheck disable=SC2086
  /usr/sbin/slurmd $CLEAR -N localhost || die "slurmd did not start"
fi

# --- wait until the node takes jobs -----------------------------------------------------------
deadline=$((SECONDS + TIMEOUT))
resumed=0
while :; do
  state=$(sinfo -h -n localhost -o '%T' 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle | mixed | allocated | completing) break ;;
    down* | drain* | drained*)
      # Left down by an interrupted test (or a previous run): bring it back once.
      if [ "$resumed" = 0 ]; then
        scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
        resumed=1
      fi
      ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || die "node localhost is not idle after ${TIMEOUT} s (state: ${state:-no answer from slurmctld})"
  sleep 0.2
done

echo "slurm-up: node localhost $state, ${CPUS} CPUs, ${MEM_MB} MB; munged $(cat /run/munge/munged.pid)," \
  "slurmctld $(cat /run/slurmctld.pid), slurmd $(cat /run/slurmd.pid); job completion log $JOBCOMP_LOG"
