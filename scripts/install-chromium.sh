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
if [[ "$(id -u)" -ne 0 ]]; then
    echo "the report test needs Debian's Chromium; install it as root with:" >&2
    echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "the report test needs Chromium at /usr/bin/chromium; no apt-get here to install it" >&2
    exit 0
fi
echo "installing ${missing[*]} for the report's browser test" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
