#!/usr/bin/env bash
# Install Debian's Chromium (and a Korean font for the report's screenshots) for the report's
# browser test, unless they are already there. Needs root (as in CI); otherwise says what to run.
set -euo pipefail
packages=(chromium fonts-nanum)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -eq 0 && -x /usr/bin/chromium ]]; then
    exit 0
fi
if [[ ${#missing[@]} -eq 0 ]]; then
    missing=(chromium)
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/apt-install.sh" "the report's browser test" "${missing[@]}" || exit 0
