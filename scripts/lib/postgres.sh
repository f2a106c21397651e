# Starts a throw-away PostgreSQL server on loopback for the test suite and exports ARFLOW_TEST_PG.
# Installs the server from Debian packages when it is missing. Source this file, then call
# `start_test_postgres`; the server stops when the calling shell exits.

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

install_postgres() {
    echo "== installing PostgreSQL from Debian packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        postgresql postgresql-client >/dev/null
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_test_postgres() {
    local bin port data runas=()
    bin=$(pg_bindir) || { install_postgres; bin=$(pg_bindir); } || {
        echo "PostgreSQL could not be installed" >&2; return 1; }
    port=$(free_port)
    data=$(mktemp -d /tmp/arflow-pg.XXXXXX)
    if [ "$(id -u)" = 0 ]; then
        # initdb refuses to run as root: the cluster belongs to the postgres user.
        chown postgres:postgres "$data"
        runas=(runuser -u postgres --)
    fi
    "${runas[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$data.initdb.log" 2>&1 || { cat "$data.initdb.log" >&2; return 1; }
    "${runas[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 -o \
        "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$data/server.log" >&2; return 1; }
    export ARFLOW_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
    ARFLOW_PG_STOP="${runas[*]} $bin/pg_ctl -D $data -m immediate stop"
    ARFLOW_PG_DATA=$data
    trap 'stop_test_postgres' EXIT
    echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_test_postgres() {
    if [ -n "${ARFLOW_PG_STOP:-}" ]; then
        eval "$ARFLOW_PG_STOP" >/dev/null 2>&1 || true
        rm -rf "${ARFLOW_PG_DATA:-/nonexistent}" "${ARFLOW_PG_DATA:-/nonexistent}.initdb.log"
        ARFLOW_PG_STOP=
    fi
}
