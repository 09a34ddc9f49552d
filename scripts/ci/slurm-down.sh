#!/usr/bin/env bash
# Stops the one-node Slurm that scripts/ci/slurm-up.sh started (slurmd, slurmctld, munged),
# each by the pid in its pidfile. Safe to run when nothing is running.
set -euo pipefail

status=0
for pidfile in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || continue
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm-down: $(basename "$pidfile" .pid) (pid $pid) still running after 10 s" >&2
    status=1
  else
    echo "slurm-down: stopped $(basename "$pidfile" .pid) (pid $pid)"
  fi
done
exit "$status"
