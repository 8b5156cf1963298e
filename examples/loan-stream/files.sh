#!/usr/bin/env bash
# Seed 002, part 2, the file way: loan files dropped into a directory are scored as they arrive by the model fitted
# in part 1 (the loan-default example), into Parquet partitions (p_date=...) and into a PostgreSQL table
# (exactly-once), then the same model answers over HTTP with `streamml serve`.
#   examples/loan-stream/files.sh
# PGURI='postgres://user@host/db' uses that database; without it a throwaway PostgreSQL 15 cluster is started in
# the output folder (initdb; as the postgres user when run as root) and stopped at the end.
# OUT=DIR keeps the files; FILES=N loan files of ROWS rows (default 3 x 5000); SML=path/to/streamml.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sml=${SML:-$root/build/streamml}
out=${OUT:-$(mktemp -d)}
files=${FILES:-3}
rows=${ROWS:-5000}
mkdir -p "$out/incoming"
pids=()
pgdata=
stop() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    [ -n "$pgdata" ] && as_pg "$pgbin/pg_ctl" -D "$pgdata" stop -m fast -w >/dev/null 2>&1 || true
}
trap stop EXIT
pgbin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ -z "${PGURI:-}" ]; then
    [ -x "$pgbin/initdb" ] || { echo "PostgreSQL 15 is not installed: set PGURI or run scripts/install-deps"; exit 77; }
    mkdir -p "$out/pg"
    chmod 755 "$out"
    [ "$(id -u)" = 0 ] && chown postgres "$out/pg"
    as_pg "$pgbin/initdb" -D "$out/pg/data" -U postgres -A trust >"$out/initdb.log" 2>&1
    pgport=$(free_port)
    pgdata=$out/pg/data
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$out/pg/postgres.log" -w start \
        -o "-p $pgport -k $out/pg -c listen_addresses=127.0.0.1" >/dev/null
    PGURI="postgres://postgres@127.0.0.1:$pgport/postgres"
fi
psql_() { psql -X -q -At -d "${PGURI}" -c "$1"; }

echo "== fit on historical loans, publish version 1 to the store"
"$sml" gen loans --rows 20000 --seed 1 -o "$out/history.csv"
"$sml" fit "$out/history.csv" --label not.fully.paid --l2 0.01 --store "$out/store" 2>&1 | tail -1

echo "== two streams watch $out/incoming: one writes Parquet partitions, one a PostgreSQL table"
"$sml" run --from "dir:$out/incoming" --model "$out/store" --keep loan_id,purpose --batch-interval 200ms \
    --to "parquet:$out/scored" --log-level warn 2>"$out/run-parquet.log" &
pids+=($!)
"$sml" run --from "dir:$out/incoming" --model "$out/store" --keep loan_id,purpose --batch-interval 200ms \
    --to "$PGURI?table=loans_scored&create=1" --log-level warn 2>"$out/run-postgres.log" &
pids+=($!)

echo "== $files loan files arrive (written elsewhere, then moved in: a file is read once complete)"
for i in $(seq "$files"); do
    "$sml" gen loans --rows "$rows" --seed $((100 + i)) -o "$out/gen.csv"
    awk -v f="$i" 'NR == 1 { print "loan_id," $0; next } { print f "-" NR - 1 "," $0 }' "$out/gen.csv" \
        >"$out/.loans-$i.csv"
    mv "$out/.loans-$i.csv" "$out/incoming/loans-$i.csv"
    sleep 0.5
done
total=$((files * rows))
for _ in $(seq 200); do
    n=$(psql_ "select count(*) from loans_scored" 2>/dev/null || echo 0)
    [ "$n" -ge "$total" ] && [ "$(find "$out/scored" -name '*.parquet' 2>/dev/null | wc -l)" -gt 0 ] && break
    sleep 0.1
done
echo "postgres: $(psql_ "select count(*) || ' rows, ' || count(distinct loan_id) || ' loans, ' ||
    round(avg(probability)::numeric, 4) || ' mean probability of default' from loans_scored")"
echo "postgres: $(psql_ "select 'committed batches: ' || checkpoint_id from streamml_positions where writer = 'loans_scored'")"
echo "parquet:  $(find "$out/scored" -name '*.parquet' | wc -l) files in $(find "$out/scored" -name 'p_date=*' -type d | wc -l) partitions under $out/scored"

echo "== the same model over HTTP"
port=$(free_port)
"$sml" serve --model "$out/store" --listen "127.0.0.1:$port" --log-level warn 2>"$out/serve.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
# the first loan of the first file, as JSON
record=$(python3 - "$out/incoming/loans-1.csv" <<'PY'
import csv, json, sys
r = next(csv.DictReader(open(sys.argv[1])))
print(json.dumps({k: (v if k in ("purpose", "loan_id") else float(v)) for k, v in r.items() if k != "not.fully.paid"}))
PY
)
echo "POST /predict $record"
curl -sf -X POST -H 'Content-Type: application/json' --data "$record" "http://127.0.0.1:$port/predict" | tee "$out/served.json"
echo
echo "the table says: $(psql_ "select 'probability ' || probability || ', version ' || model_version from loans_scored where loan_id = '1-1'")"
echo "files in $out"
