#!/usr/bin/env bash
# The main job: set up aigrid in .venv and simulate a week of the Korea 2026 national grid.
# Prints the scorecard and writes out/korea-2026/{summary.json,jobs.parquet,timeseries.parquet,report.html}.
# Any arguments replace the defaults, e.g.: scripts/twin.sh --days 30 --policy fifo --out out/fifo
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh"
if [[ $# -eq 0 ]]; then
    set -- --days 7 --seed 42 --out "$root/out/korea-2026"
fi
exec "$root/.venv/bin/aigrid" twin run korea-2026 "$@"
