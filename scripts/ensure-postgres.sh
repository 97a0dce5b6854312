#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the live tests.
# When none does: as root, install Debian's postgresql, start its cluster and let local
# connections in without a password (a test machine only); otherwise say what to do.
set -euo pipefail
answers() {
    timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5432' 2>/dev/null
}
if answers; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "PostgreSQL is not running on 127.0.0.1:5432 and only root can install it here." >&2
    echo "Install and start it (e.g. 'sudo apt-get install postgresql' then" >&2
    echo "'sudo pg_ctlcluster <version> main start'), or run scripts/test.sh as root." >&2
    exit 1
fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian's postgresql package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi
version="$(ls /etc/postgresql | sort -V | tail -1)"
conf="/etc/postgresql/$version/main"
# Trust local TCP connections: this server exists for the tests on this machine.
if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
    answers && break
    sleep 1
done
if ! answers; then
    echo "PostgreSQL $version did not start; see /var/log/postgresql/" >&2
    exit 1
fi
su postgres -c "psql -qc 'SELECT 1' -d test" >/dev/null 2>&1 ||
    su postgres -c "createdb test" || true
echo "PostgreSQL $version runs on 127.0.0.1:5432" >&2
