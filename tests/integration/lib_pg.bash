# PostgreSQL helpers for integration tests (sourced after lib.bash): a throwaway PostgreSQL 15 cluster under $T,
# on a free loopback port with its socket in $T, run as the postgres user (initdb refuses root); stopped at exit.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/postgres" ] && command -v psql >/dev/null ||
    { echo "PostgreSQL 15 is not installed (scripts/install-deps)"; exit 77; }
PG_PIDS=()
cleanup_pg() {
    for p in "${PG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    if [ -n "${PG_PID:-}" ]; then
        kill -INT "$PG_PID" 2>/dev/null || true # fast shutdown
        for _ in $(seq 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$T"
}
trap cleanup_pg EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_pg: sets PG_PORT, PG_PID, PGURI (a postgres:// URI without the table) and PSQL (an array: psql ...)
start_pg() {
    local dir=$T/pg
    mkdir -p "$dir"
    chmod 755 "$T"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$T/initdb.log" 2>&1 ||
        fail "initdb: $(tail -3 "$T/initdb.log")"
    PG_PORT=$(free_port)
    as_pg "$PG_BIN/postgres" -D "$dir/data" -p "$PG_PORT" -k "$dir" -c listen_addresses=127.0.0.1 \
        -c fsync=${PG_FSYNC:-on} -c max_connections=20 >"$T/postgres.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 100); do
        psql -h "$dir" -p "$PG_PORT" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1 && break
        kill -0 "$PG_PID" 2>/dev/null || fail "postgres did not start: $(tail -3 "$T/postgres.log")"
        sleep 0.1
    done
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$PG_PORT" -U postgres -d postgres -At)
    "${PSQL[@]}" -c 'select 1' >/dev/null || fail "postgres is not answering: $(tail -3 "$T/postgres.log")"
    PGURI="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}
# sql 'statement': one value or rows (unaligned, tuples only)
sql() { "${PSQL[@]}" -c "$1"; }
