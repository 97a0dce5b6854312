#!/usr/bin/env bash
# The whole test suite: set up .venv with the test tools, then lint, type-check and test.
# Extra arguments go to pytest, e.g.: scripts/test.sh -k scheduler -x
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/bootstrap.sh" dev
cd "$root"
echo "== ruff" && .venv/bin/ruff check src tests bench
echo "== ruff format" && .venv/bin/ruff format --check src tests bench
echo "== mypy" && .venv/bin/mypy
echo "== postgres" && "$root/scripts/ensure-postgres.sh"
echo "== chromium" && "$root/scripts/install-chromium.sh"
echo "== slurm" && "$root/scripts/install-slurm.sh"
echo "== pytest" && exec .venv/bin/pytest "$@"
