#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the storage tests.
# Starts an installed cluster, or installs PostgreSQL first. Never fails the CI: when PostgreSQL cannot be
# made available, the PostgreSQL test cases skip with a reason and the SQLite cases still run.
set -u

HOST=127.0.0.1
PORT=5432
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi

log() { echo "postgres.sh: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") >/dev/null 2>&1; }

wait_ready() {
    for _ in $(seq 1 30); do
        port_open && return 0
        sleep 1
    done
    return 1
}

start_cluster() {
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || return 1
    log "starting cluster $version/main"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || return 1
    wait_ready
}

allow_local_trust() {
    # A fresh install asks for passwords over TCP; the tests connect as postgres without one (CI only).
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | sort -V | tail -n 1)
    [ -n "$hba" ] || return 0
    if ! $SUDO grep -q "^host all postgres 127.0.0.1/32 trust" "$hba"; then
        $SUDO sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba" || return 0
        local version
        version=$(basename "$(dirname "$(dirname "$hba")")")
        $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    fi
}

main() {
    if port_open; then
        log "PostgreSQL already answers on $HOST:$PORT"
        return 0
    fi
    if ls /etc/postgresql/*/main >/dev/null 2>&1; then
        start_cluster && { log "started"; return 0; }
        log "could not start the installed cluster"
        return 0
    fi
    log "PostgreSQL is not installed; installing"
    if ! { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y postgresql; }; then
        log "could not install PostgreSQL; the PostgreSQL tests will be skipped"
        return 0
    fi
    allow_local_trust
    if port_open || start_cluster; then
        log "installed and started"
    else
        log "installed, but the server did not start; the PostgreSQL tests will be skipped"
    fi
    return 0
}

main
exit 0
