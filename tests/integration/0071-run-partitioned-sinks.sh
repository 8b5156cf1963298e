# run into partitioned file sinks (seed 002's output): dir:PATH (CSV) and parquet:PATH write one complete file per
# batch into p_date=YYYYmmddHHMMSS partitions with _SUCCESS markers and no temp files left; DuckDB reads every
# Parquet prediction back equal to the CSV ones.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 5000 --seed 14 -o "$T/l.csv"
"$SML" fit "$T/l.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null
"$SML" run --from "$T/l.csv" --model "$T/m.smlm" --keep purpose,fico --batch-size 1000 --to "dir:$T/csv" --log-level warn \
    || fail "run --to dir:"
"$SML" run --from "$T/l.csv" --model "$T/m.smlm" --keep purpose,fico --batch-size 1000 --to "parquet:$T/pq" --log-level warn \
    || fail "run --to parquet:"
for d in csv pq; do
    n=$(find "$T/$d" -path '*/p_date=*/part-*' -type f | wc -l)
    [ "$n" -eq 5 ] || fail "$d: 5 batches make 5 files, got $n"
    for p in "$T/$d"/p_date=*; do [ -f "$p/_SUCCESS" ] || fail "$p has no _SUCCESS"; done
    [ -z "$(find "$T/$d" -name '.*' -o -name '*.tmp')" ] || fail "$d: temp files left"
    basename "$(ls -d "$T/$d"/p_date=* | head -1)" | grep -Eq '^p_date=[0-9]{14}$' || fail "partition name"
done
/usr/bin/python3 - "$T/csv" <<'PY' || fail "CSV partitions"
import csv, glob, sys
files = sorted(glob.glob(sys.argv[1] + "/p_date=*/part-*.csv"), key=lambda f: f.rsplit("-", 1)[1])
rows = [r for f in files for r in csv.DictReader(open(f))]
assert len(rows) == 5000 and list(rows[0]) == ["purpose", "fico", "not.fully.paid", "prediction", "probability", "model_version"]
PY
command -v node >/dev/null && [ -f "$SML_ROOT/build/npm/node_modules/@duckdb/node-api/package.json" ] || {
    echo "skip: DuckDB not installed (test 0070 installs it)"; exit 0; }
cat > "$T/check.cjs" <<'JS'
const { DuckDBInstance } = require(process.env.SML_ROOT + "/build/npm/node_modules/@duckdb/node-api");
(async () => {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const dir = process.argv[2];
  const pq = await con.runAndReadAll(`SELECT purpose, fico, "not.fully.paid", prediction, probability, model_version,
      filename FROM read_parquet('${dir}/pq/p_date=*/part-*.parquet', filename = true)`);
  const cs = await con.runAndReadAll(`SELECT purpose, fico, "not.fully.paid", prediction, probability, model_version,
      filename FROM read_csv('${dir}/csv/p_date=*/part-*.csv', filename = true, all_varchar = true)`);
  const a = pq.getRows(), b = cs.getRows();
  if (a.length !== 5000 || b.length !== 5000) throw new Error(`rows ${a.length} ${b.length}`);
  const types = pq.columnTypes().map(String).slice(0, 6).join(",");
  if (types !== "VARCHAR,DOUBLE,DOUBLE,VARCHAR,DOUBLE,BIGINT") throw new Error("types " + types);
  // compare probabilities exactly through their shortest text (the CSV holds the shortest round-trip form)
  const ps = a.map((r) => r[4]).sort((x, y) => x - y), cs2 = b.map((r) => Number(r[4])).sort((x, y) => x - y);
  for (let i = 0; i < ps.length; i++) if (ps[i] !== cs2[i]) throw new Error(`probability ${ps[i]} vs ${cs2[i]}`);
  console.log("figure: run --to parquet: 5000 predictions in 5 files, read back by DuckDB equal to the CSV ones");
})().catch((e) => { console.error(e); process.exit(1); });
JS
SML_ROOT="$SML_ROOT" node "$T/check.cjs" "$T" || fail "DuckDB disagrees with the CSV output"
