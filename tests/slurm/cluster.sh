#!/usr/bin/env bash
# A single-node Slurm cluster from Debian's packages, for the sweep test:
# munged, slurmctld and slurmd run as root in the foreground of no init
# system, every file (config, key, sockets, state, logs) under one folder,
# on ports of their own so two test runs on one machine do not meet.
#
#   cluster.sh start DIR   writes DIR/slurm.conf, starts the daemons, waits
#                          until the node is idle; prints `export SLURM_CONF=...`
#   cluster.sh stop DIR    stops the daemons it started (by their pid files)
#
# Exit status 77 (ctest's skip) when not root or the packages are missing.
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?state folder}

stop() {
  for p in slurmd slurmctld munged; do
    if [ -f "$dir/$p.pid" ]; then
      pid=$(cat "$dir/$p.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$p.pid"
    fi
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "cluster.sh: skipped: the daemons run as root" >&2
  exit 77
fi
for b in munged slurmctld slurmd sbatch sinfo; do
  if ! command -v "$b" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$b" ]; then
    echo "cluster.sh: skipped: $b is missing (scripts/install-deps.sh installs munge, slurmctld, slurmd, slurm-client)" >&2
    exit 77
  fi
done
export PATH="$PATH:/usr/sbin"

mkdir -p "$dir"/{state,spool,log}
chmod 700 "$dir"
trap 'echo "cluster.sh: start failed; logs:" >&2; tail -n 20 "$dir"/log/* >&2 || true; stop' ERR

# Ports from the pid: a second test run on the same machine gets others.
base=$((20000 + ($$ % 4000) * 2))
host=$(hostname)
cpus=$(nproc)

head -c 1024 /dev/urandom >"$dir/munge.key"
chmod 400 "$dir/munge.key"
munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge.seed"

cat >"$dir/slurm.conf" <<CONF
ClusterName=ivsimtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/builtin
MaxArraySize=1001
NodeName=ivsimnode NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=ivsimnode Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF" -N ivsimnode

# Up when the node takes work.
for _ in $(seq 300); do
  state=$(sinfo -h -n ivsimnode -o %T 2>/dev/null || true)
  if [ "$state" = idle ]; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "cluster.sh: the node did not become idle (state: ${state:-none})" >&2
false
