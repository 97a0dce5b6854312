#!/usr/bin/env bash
# Install Debian's Slurm and munge for the Slurm backend's tests, unless they are already there,
# and make sure munged (which Slurm authenticates with) runs. The tests start a private cluster
# of their own (tests/backends/slurm_cluster.py); this only installs the programs.
# Needs root (as in CI); otherwise says what to run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ ! -x /usr/sbin/slurmctld || ! -x /usr/sbin/slurmd ]] || ! command -v sbatch >/dev/null; then
    "$root/scripts/apt-install.sh" "the Slurm backend's tests" slurm-wlm munge
fi
if munge -n </dev/null >/dev/null 2>&1; then
    exit 0
fi
# munged: one per machine, started once (without systemd, nothing else starts it).
if [[ "$(id -u)" -ne 0 ]]; then
    echo "munged does not run; start it as root: runuser -u munge -- /usr/sbin/munged" >&2
    exit 1
fi
if [[ ! -s /etc/munge/munge.key ]]; then
    /usr/sbin/mungekey --create --force >/dev/null 2>&1 ||
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge && chown munge:munge /run/munge
runuser -u munge -- /usr/sbin/munged
for _ in $(seq 1 50); do
    munge -n </dev/null >/dev/null 2>&1 && exit 0
    sleep 0.1
done
echo "munged did not start; see /var/log/munge/munged.log" >&2
exit 1
