# PostgreSQL sink (postgres://...?table=T): a throwaway PostgreSQL 15 cluster; rows scored into a table through
# COPY hold exactly what the CSV sink writes for the same input (strings with tabs, newlines, quotes, backslashes,
# CR, non-ASCII, empty vs missing; doubles bit for bit); the positions row is compare-and-set: a writer that another
# process committed past (a stale consumer-group member) cannot commit and its batch is rolled back.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_pg.bash"
start_pg

"$SML" gen loans --rows 3000 --seed 1 -o "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null 2>&1 || fail "fit"
/usr/bin/python3 - "$T/train.csv" "$T/in.csv" <<'PY'
import csv, sys
notes = ["plain", "tab\there", "new\nline", "back\\slash", 'quo"te', "comma,here", "", None, "ünïcødé ✓ 日本 €",
         "\\N", "  spaces  ", "cr\rhere", "\\.", "NULL", "semi;colon|pipe", "\\\\double", "x" * 3000]
amounts = ["1e308", "5e-324", "-0", "0.1", "123456789.123456789", "", "-2.5e-10", "42"]
src = list(csv.reader(open(sys.argv[1])))
head = "id,note,amount," + ",".join(src[0]) + "\n"
recs = []
for i, r in enumerate(src[1:]):
    n = notes[i % len(notes)]
    note = "" if n is None else '"' + n.replace('"', '""') + '"'
    recs.append(f"{i},{note},{amounts[i % len(amounts)]}," + ",".join(r) + "\n")
open(sys.argv[2], "w", newline="").write(head + "".join(recs))
# for the stale-writer check: records 0-99 with the header, 100-149 with it, 150-199 without
d = sys.argv[2].rsplit("/", 1)[0]
open(d + "/part1.csv", "w", newline="").write(head + "".join(recs[:100]))
open(d + "/part2.csv", "w", newline="").write(head + "".join(recs[100:150]))
open(d + "/part3.csv", "w", newline="").write("".join(recs[150:200]))
PY
args=(--model "$T/m.smlm" --from "$T/in.csv" --keep id,note,amount --log-level error)
"$SML" run "${args[@]}" --to "$T/out.csv" || fail "run to CSV"
"$SML" run "${args[@]}" --to "$PGURI?table=scored&create=1" --batch-size 700 || fail "run to postgres"
sql "select json_agg(s order by id::bigint) from scored s" >"$T/pg.json"
/usr/bin/python3 - "$T/out.csv" "$T/pg.json" <<'PY' || fail "table content differs from the CSV sink's"
import csv, json, struct, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, rows = rows[0], rows[1:]
pg = json.load(open(sys.argv[2]))
assert len(pg) == len(rows) == 3000, (len(pg), len(rows))
bits = lambda v: struct.pack("<d", float(v))
notes = 17
for r, p in zip(rows, pg):
    r = dict(zip(head, r))
    i = int(r["id"])
    assert p["id"] == r["id"]
    # the CSV sink writes missing and "" alike to the csv module's eyes: the input says which it was
    want_note = None if i % notes == 7 else r["note"]
    assert p["note"] == want_note, (i, p["note"], want_note)
    assert p["amount"] == (r["amount"] or None), (i, p["amount"], r["amount"])
    assert p["prediction"] == r["prediction"], i
    assert bits(p["probability"]) == bits(r["probability"]), (i, p["probability"], r["probability"])
    assert bits(p["not.fully.paid"]) == bits(r["not.fully.paid"]), i
    assert p["model_version"] == int(r["model_version"]), i
print("figure: postgres sink: 3000 rows (17 kinds of awkward strings, extreme doubles) identical to the CSV sink's")
PY
# the table's types come from the output columns
[ "$(sql "select string_agg(column_name || ':' || data_type, ',' order by ordinal_position) from information_schema.columns where table_name = 'scored'")" = \
  "id:text,note:text,amount:text,not.fully.paid:double precision,prediction:text,probability:double precision,model_version:bigint" ] ||
    fail "column types: $(sql "select string_agg(data_type, ',') from information_schema.columns where table_name = 'scored'")"
# one transaction per batch, each naming the next checkpoint id; the positions are the file's end
[ "$(sql "select checkpoint_id from streamml_positions where writer = 'scored'")" = 5 ] || fail "checkpoint id after 5 batches"
# a rerun resumes after the last committed batch: nothing is added
"$SML" run "${args[@]}" --to "$PGURI?table=scored" --batch-size 700 || fail "rerun"
[ "$(sql "select count(*) from scored")" = 3000 ] || fail "a rerun added rows: $(sql "select count(*) from scored")"

# errors name the place: no table without create=1, no table parameter, no server
expect_exit 2 "$SML" run "${args[@]}" --to "$PGURI?table=absent"
grep -q 'absent.*does not exist' "$T/stderr" || fail "missing table: $(cat "$T/stderr")"
expect_exit 1 "$SML" run "${args[@]}" --to "$PGURI"
grep -q 'no table' "$T/stderr" || fail "no table: $(cat "$T/stderr")"
expect_exit 2 "$SML" run "${args[@]}" --to "postgres://postgres@127.0.0.1:1/postgres?table=t"
grep -q 'cannot connect' "$T/stderr" || fail "no server: $(cat "$T/stderr")"

# stale writer: two runs with the same writer on one dir: source (as two consumer-group members after a
# rebalance). A commits the first file; B starts, resumes after it; a second file arrives and both score it: the
# first to commit wins, the other's compare-and-set on the checkpoint id finds 0 rows, its batch is rolled back
# and it fails naming the reason. The table holds every record once.
mkdir "$T/drop"
sargs=(--model "$T/m.smlm" --from "dir:$T/drop" --keep id,note,amount --batch-interval 50ms
       --to "$PGURI?table=stale&create=1&writer=w1")
"$SML" run "${sargs[@]}" 2>"$T/a.err" &
A=$!
PG_PIDS+=("$A")
cp "$T/part1.csv" "$T/drop/.f1.tmp" && mv "$T/drop/.f1.tmp" "$T/drop/f1.csv"
for _ in $(seq 100); do [ "$(sql "select count(*) from stale" 2>/dev/null || echo 0)" = 100 ] && break; sleep 0.1; done
[ "$(sql "select count(*) from stale")" = 100 ] || fail "run A did not commit its first file: $(cat "$T/a.err")"
"$SML" run "${sargs[@]}" 2>"$T/b.err" &
B=$!
PG_PIDS+=("$B")
sleep 1
cp "$T/part2.csv" "$T/drop/.f2.tmp" && mv "$T/drop/.f2.tmp" "$T/drop/f2.csv"
for _ in $(seq 100); do kill -0 "$A" 2>/dev/null && kill -0 "$B" 2>/dev/null || break; sleep 0.1; done
set +e
if kill -0 "$A" 2>/dev/null; then kill -TERM "$A"; wait "$A"; ra=$?; wait "$B"; rb=$?; stale=$T/b.err
else wait "$A"; ra=$?; kill -TERM "$B"; wait "$B"; rb=$?; stale=$T/a.err; fi
set -e
[ "$ra" -eq 2 ] || [ "$rb" -eq 2 ] || fail "one writer must fail (exit 2): A $ra, B $rb: $(cat "$T/a.err" "$T/b.err")"
[ "$((ra + rb))" -eq 2 ] || fail "the other must end cleanly: A $ra, B $rb: $(cat "$T/a.err" "$T/b.err")"
grep -q 'stale writer "w1"' "$stale" || fail "stale writer message: $(cat "$stale")"
[ "$(sql "select count(*) || ' ' || count(distinct id) || ' ' || min(id::int) || '-' || max(id::int) from stale")" = "150 150 0-149" ] ||
    fail "stale table: $(sql "select count(*), count(distinct id) from stale")"
echo "figure: postgres sink: of two writers racing on one batch, the stale one was refused (compare-and-set) and rolled back"

# create=1 by several members at once: CREATE TABLE IF NOT EXISTS races in PostgreSQL's catalog (unique violation,
# "relation exists", "type exists"); a member that loses the race goes on when the table now exists. Four runs
# start together on one new table, three rounds. Then a name held by something that is not a table (an enum type:
# the same "type exists" error) is refused with a clear message.
for round in 1 2 3; do
    pids=()
    for w in 1 2 3 4; do
        "$SML" run "${args[@]}" --from "$T/part1.csv" \
            --to "$PGURI?table=race$round&create=1&writer=race$round-$w" 2>"$T/race$round-$w.err" &
        pids+=($!)
    done
    for i in 0 1 2 3; do
        wait "${pids[$i]}" || fail "round $round, member $((i + 1)) failed: $(cat "$T/race$round-$((i + 1)).err")"
    done
    [ "$(sql "select count(*) from race$round")" = 400 ] || fail "race$round: $(sql "select count(*) from race$round") rows"
done
sql "create type clash as enum ('a')" >/dev/null
if "$SML" run "${args[@]}" --to "$PGURI?table=clash&create=1" 2>"$T/clash.err"; then fail "a type named like the table was taken for it"; fi
grep -q "not a table" "$T/clash.err" || fail "clash message: $(cat "$T/clash.err")"
echo "figure: postgres sink: 3 rounds of 4 members creating one table at once, all went on; a type of that name refused: $(grep -o 'creating the table failed.*' "$T/clash.err")"
