#!/usr/bin/env bash
# Create .venv with Python 3.11+ and install aigrid into it (with the test tools if asked), then
# compile its hot path with mypyc (`aigrid compile`; set AIGRID_PURE=1 to skip that and run the
# sources). Re-installs only when pyproject.toml changed since the last install, and
# re-compiles only when the compiled sources changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-compile}"
py="${PYTHON:-}"
if [[ -z "$py" ]]; then
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            py="$candidate"
            break
        fi
    done
fi
if [[ -z "$py" ]]; then
    echo "aigrid needs Python 3.11 or newer; none found on PATH (set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi
venv="$root/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating $venv with $py" >&2
    "$py" -m venv "$venv"
fi
stamp="$venv/.aigrid-installed${extras:+-$extras}"
if [[ ! -f "$stamp" || "$root/pyproject.toml" -nt "$stamp" ]]; then
    echo "installing aigrid${extras:+ [$extras]} into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e "$root${extras:+[$extras]}"
    touch "$stamp"
fi
if [[ "${AIGRID_PURE:-0}" == "0" ]]; then
    # Without a C compiler aigrid still runs, from its sources: say so and go on.
    "$venv/bin/aigrid" compile || echo "aigrid: running the sources, not compiled" >&2
fi
