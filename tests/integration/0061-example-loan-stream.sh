# examples/loan-stream/files.sh as documented (small sizes) against a throwaway PostgreSQL 15 cluster: every loan
# of every dropped file lands once in the table and in Parquet partitions (with _SUCCESS markers), and the HTTP
# answer for a loan equals the table's row for it.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_pg.bash"
start_pg
export SML="$SML_BIN"
OUT="$T/ls" FILES=3 ROWS=2000 PGURI="$PGURI" bash "$SML_ROOT/examples/loan-stream/files.sh" >"$T/ex.out" 2>&1 ||
    { cat "$T/ex.out"; fail "loan-stream/files.sh"; }
grep -q '^postgres: 6000 rows, 6000 loans' "$T/ex.out" || fail "table: $(grep '^postgres' "$T/ex.out")"
[ "$(sql "select count(*) from loans_scored where model_version = 1")" = 6000 ] || fail "model versions in the table"
n=$(find "$T/ls/scored" -name '*.parquet' | wc -l)
[ "$n" -gt 0 ] || fail "no Parquet files"
for f in $(find "$T/ls/scored" -name '*.parquet'); do
    [ "$(head -c 4 "$f")" = PAR1 ] && [ "$(tail -c 4 "$f")" = PAR1 ] || fail "$f is not a Parquet file"
    [ -f "$(dirname "$f")/_SUCCESS" ] || fail "no _SUCCESS next to $f"
done
served=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(repr(d["probability"]), d["model_version"])' "$T/ls/served.json")
table=$(sql "select probability, model_version from loans_scored where loan_id = '1-1'" | /usr/bin/python3 -c 'import sys; p, v = sys.stdin.read().strip().split("|"); print(repr(float(p)), v)')
[ "$served" = "$table" ] || fail "served $served, the table holds $table"
echo "figure: loan-stream example: 6000 loans in 3 files scored once into PostgreSQL and $n Parquet files; serve agrees with the table"
