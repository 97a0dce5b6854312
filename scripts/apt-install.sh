#!/usr/bin/env bash
# Install Debian packages that a test needs: scripts/apt-install.sh "WHAT NEEDS THEM" PACKAGE...
# Needs root and apt-get (as in CI); otherwise says what to run and exits 1.
set -euo pipefail
what="$1"
shift
if [[ "$(id -u)" -ne 0 ]]; then
    echo "$what needs Debian's $*; install them as root with:" >&2
    echo "    apt-get update && apt-get install -y $*" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$what needs Debian's $*; no apt-get here to install them" >&2
    exit 1
fi
echo "installing $* for $what" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
