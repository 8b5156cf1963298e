# PostgreSQL helpers for integration tests (sourced after lib.bash, and after lib_kafka.bash when both are used):
# a throwaway PostgreSQL 15 cluster under $T, on a free loopback port with its socket in $T, run as the postgres
# user when we are root (initdb refuses root); pg_ctl starts and stops it (by the PID in its postmaster.pid).
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && command -v psql >/dev/null ||
    { echo "PostgreSQL 15 is not installed (scripts/install-deps)"; exit 77; }
PG_PIDS=()     # processes of the test to stop (TERM) before the cluster
PG_DATA=
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup_pg() {
    for p in "${PG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast -w >/dev/null 2>&1 || true
    if declare -F cleanup_kafka >/dev/null; then cleanup_kafka; else rm -rf "$T"; fi
}
trap cleanup_pg EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_pg: sets PG_PORT, PGURI (a postgres:// URI without the table) and PSQL (an array: psql ...)
start_pg() {
    local dir=$T/pg
    mkdir -p "$dir"
    chmod 755 "$T"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$T/initdb.log" 2>&1 ||
        fail "initdb: $(tail -3 "$T/initdb.log")"
    PG_DATA=$dir/data
    PG_PORT=$(free_port)
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/postgres.log" -w -t 30 start \
        -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c max_connections=20" >/dev/null ||
        fail "postgres did not start: $(tail -3 "$dir/postgres.log")"
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$PG_PORT" -U postgres -d postgres -At)
    "${PSQL[@]}" -c 'select 1' >/dev/null || fail "postgres is not answering: $(tail -3 "$dir/postgres.log")"
    PGURI="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}
# sql 'statement': one value or rows (unaligned, tuples only)
sql() { "${PSQL[@]}" -c "$1"; }
