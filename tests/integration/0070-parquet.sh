# The Parquet writer, read back by an independent reader: DuckDB (npm @duckdb/node-api, which ships its binary).
# A CSV with hostile values (extreme and special doubles, int64 limits, Cyrillic and emoji, empty strings next to
# nulls, null runs and alternations, a column of nulls only, a chunk of NaNs only, a column too diverse for its
# dictionary) goes through tests/tools/parquet_write with every compression, dictionary on and off, several row
# groups and many pages, value by value and as batches. Every value, every null position, the row order, the
# schema and every column chunk's statistics must be what the generator says, doubles bit for bit.
. "$(dirname "$0")/lib.bash"

tool="$SML_BUILD/tools/parquet_write"
[ -x "$tool" ] || fail "no $tool (make builds it)"
command -v node >/dev/null && command -v npm >/dev/null || { echo "skipped: node and npm are needed (scripts/install-deps)"; exit 77; }

# DuckDB for node, installed once into the repository's build directory (shared by build/ and build-asan/).
npm_dir="$SML_ROOT/build/npm"
api="$npm_dir/node_modules/@duckdb/node-api"
mkdir -p "$npm_dir"
if [ ! -f "$api/package.json" ]; then
    (
        flock 9
        [ -f "$api/package.json" ] || npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error \
            @duckdb/node-api >"$T/npm.log" 2>&1
    ) 9>"$npm_dir/.lock" || { tail -n 5 "$T/npm.log" >&2; echo "skipped: cannot install @duckdb/node-api from npm (no network to the registry?)"; exit 77; }
fi
export DUCKDB_NODE_API="$api"
node -e 'require(process.env.DUCKDB_NODE_API)' 2>"$T/node.err" || { cat "$T/node.err" >&2; echo "skipped: @duckdb/node-api does not load on this machine"; exit 77; }

# ---------------------------------------------------------------- data and what must come back
ROWS=30000
/usr/bin/python3 - "$T" "$ROWS" <<'PY'
import json, math, random, struct, sys
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(70)

def bits(x):
    return "nan" if math.isnan(x) else struct.pack("<d", x).hex()

special = [5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, -0.0, 0.0,
           float("nan"), float("inf"), float("-inf"), 1.0, -1.0, 0.1, 1e-300, 123456789012345678.0]
words = ["debt_consolidation", "credit_card", "Привет, мир", "🎉🚀 emoji", "", "a,b", 'say "hi"', "ünïcödé",
         "日本語", " lead and trail ", "x" * 300]
cols = {c: [] for c in "id d i b s u r n k x z".split()}
for row in range(n):
    cols["id"].append(row)
    # d: specials, random bit patterns (subnormals, huge, tiny), a run of nulls, an alternating stretch
    if 1000 <= row < 1300 or (5000 <= row < 5100 and row % 2) or rnd.random() < 0.1:
        d = None
    elif row < len(special) * 3:
        d = special[row % len(special)]
    else:
        while True:
            d = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(d):
                break
        if rnd.random() < 0.3:
            d = round(rnd.uniform(-1e3, 1e3), rnd.randint(0, 6))
    cols["d"].append(d)
    # i: int64 limits and random 64-bit values; nulls in runs of 9 that straddle bit-packed groups
    if (row // 9) % 5 == 1:
        i = None
    elif row % 1000 == 3:
        i = -2**63
    elif row % 1000 == 4:
        i = 2**63 - 1
    else:
        i = rnd.getrandbits(64) - 2**63 if rnd.random() < 0.5 else rnd.randint(-5, 5)
    cols["i"].append(i)
    cols["b"].append(None if row % 3 == 0 else rnd.random() < 0.5)
    # s: a small vocabulary (dictionary friendly), empty strings and nulls interleaved
    cols["s"].append(None if rnd.random() < 0.15 else rnd.choice(words))
    # u: a different string on every row: outgrows a small dictionary
    cols["u"].append(None if row % 11 == 0 else "u%07d-%s" % (row * 7919 % n, "ж" * (row % 5)))
    cols["r"].append(rnd.choice([-0.0, 0.0, 0.5, -2.5]) if row % 2 else rnd.uniform(-1, 1))
    cols["n"].append(None)
    cols["k"].append(rnd.choice(words[:6]))
    # x: NaN or null only in rows 7000..13999 (the second row group of 7000 rows); numbers elsewhere
    cols["x"].append(None if row % 4 == 0 else (float("nan") if 7000 <= row < 14000 else float(row % 13) - 6))
    # z: zeros of both signs against the statistics' rules (a zero minimum is -0.0, a zero maximum +0.0)
    g = row // 7000
    z = rnd.choice([-0.0, 0.0]) if g == 0 else rnd.choice([-1.5, -0.0]) if g == 1 else rnd.choice([0.0, 2.5]) if g == 2 \
        else rnd.uniform(-1, 1)
    cols["z"].append(None if row % 5 == 0 else z)

types = {"id": "int64!", "d": "double", "i": "int64", "b": "bool", "s": "string", "u": "string",
         "r": "double!", "n": "string", "k": "string!", "x": "double", "z": "double"}

def cell(c, v):
    if v is None:
        return ""
    t = types[c].rstrip("!")
    if t == "string":
        return '"' + v.replace('"', '""') + '"'
    if t == "bool":
        return "true" if v else "false"
    return repr(v) if t == "double" else str(v)

with open(out + "/data.csv", "w", encoding="utf-8", newline="") as f:
    f.write(",".join(cols) + "\n")
    for row in range(n):
        f.write(",".join(cell(c, cols[c][row]) for c in cols) + "\n")

def expect(c, v):
    if v is None:
        return None
    t = types[c].rstrip("!")
    return bits(v) if t == "double" else str(v) if t == "int64" else v

json.dump({"types": types, "rows": n,
           "values": {c: [expect(c, v) for v in vals] for c, vals in cols.items()}},
          open(out + "/expected.json", "w"))
PY

# ---------------------------------------------------------------- files
all_cols="id:int64!,d:double,i:int64,b:bool,s:string,u:string,r:double!,n:string,k:string!,x:double,z:double"
batch_cols="d:double,r:double!,s:string,u:string,n:string,k:string!,x:double,z:double"
write() { # name mode cols args...
    local name=$1 mode=$2 cols=$3; shift 3
    "$tool" --mode "$mode" --cols "$cols" "$@" "$T/data.csv" "$T/$name.parquet" 2>"$T/$name.log" \
        || { cat "$T/$name.log" >&2; fail "parquet_write $name"; }
}
write plain-dict values "$all_cols" --compression none --dict on --dict-bytes 4096 --row-group-rows 7000 --page-bytes 2000
write zstd-dict values "$all_cols" --compression zstd --dict on --row-group-rows 7000 --page-bytes 8192
write snappy-nodict values "$all_cols" --compression snappy --dict off --row-group-rows 7000 --page-bytes 3000
write zstd19-onegroup values "$all_cols" --compression zstd --level 19 --dict on
write batch-snappy batch "$batch_cols" --compression snappy --dict on --dict-bytes 20000 --row-group-rows 7000 --page-bytes 1000
write batch-none-nodict batch "$batch_cols" --compression none --dict off --row-group-rows 7000 --page-bytes 50000

cat >"$T/files.json" <<EOF
[
 {"file": "plain-dict", "codec": "UNCOMPRESSED", "dict": true, "dict_small": true, "rg": 7000, "cols": "$all_cols"},
 {"file": "zstd-dict", "codec": "ZSTD", "dict": true, "rg": 7000, "cols": "$all_cols"},
 {"file": "snappy-nodict", "codec": "SNAPPY", "dict": false, "rg": 7000, "cols": "$all_cols"},
 {"file": "zstd19-onegroup", "codec": "ZSTD", "dict": true, "rg": 131072, "cols": "$all_cols"},
 {"file": "batch-snappy", "codec": "SNAPPY", "dict": true, "dict_small": true, "rg": 7000, "cols": "$batch_cols"},
 {"file": "batch-none-nodict", "codec": "UNCOMPRESSED", "dict": false, "rg": 7000, "cols": "$batch_cols"}
]
EOF

# ---------------------------------------------------------------- read back with DuckDB
cat >"$T/check.cjs" <<'JS'
const { DuckDBInstance } = require(process.env.DUCKDB_NODE_API);
const fs = require("fs");
const dir = process.argv[2];
const exp = JSON.parse(fs.readFileSync(dir + "/expected.json", "utf8"));
const files = JSON.parse(fs.readFileSync(dir + "/files.json", "utf8"));
let failures = 0;
function check(ok, msg) { if (!ok) { failures++; if (failures <= 30) console.error("mismatch: " + msg); } }
const dv = new DataView(new ArrayBuffer(8));
function dbits(x) { // the double's bits as 16 hex digits, little-endian bytes as Python's struct.pack('<d').hex()
  if (Number.isNaN(x)) return "nan";
  dv.setFloat64(0, x, true);
  let s = "";
  for (let i = 0; i < 8; i++) s += dv.getUint8(i).toString(16).padStart(2, "0");
  return s;
}
function statDouble(s) { // DuckDB prints statistics as text
  if (s === null) return null;
  const t = s.toLowerCase();
  if (t === "inf" || t === "infinity") return dbits(Infinity);
  if (t === "-inf" || t === "-infinity") return dbits(-Infinity);
  return dbits(Number(s));
}
const physical = { double: "DOUBLE", int64: "INT64", bool: "BOOLEAN", string: "BYTE_ARRAY" };
const duck = { double: "DOUBLE", int64: "BIGINT", bool: "BOOLEAN", string: "VARCHAR" };

(async () => {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const q = async (sql) => { const r = await con.runAndReadAll(sql); return { names: r.columnNames(), rows: r.getRows() }; };
  for (const f of files) {
    const path = `${dir}/${f.file}.parquet`;
    const cols = f.cols.split(",").map((s) => { const [name, t] = s.split(":"); return { name, type: t.replace("!", ""), required: t.endsWith("!") }; });
    const n = exp.rows, rgs = Math.ceil(n / f.rg);
    const where = (m) => `${f.file}: ${m}`;

    // file metadata
    let r = await q(`SELECT num_rows, num_row_groups, created_by, format_version FROM parquet_file_metadata('${path}')`);
    check(r.rows[0][0] === BigInt(n), where(`num_rows ${r.rows[0][0]}`));
    check(r.rows[0][1] === BigInt(rgs), where(`num_row_groups ${r.rows[0][1]} want ${rgs}`));
    check(/^streamml version \d+\.\d+\.\d+$/.test(r.rows[0][2]), where(`created_by ${r.rows[0][2]}`));

    // schema: physical type, repetition, string annotations; and the types DuckDB gives the columns
    r = await q(`SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema('${path}') WHERE num_children IS NULL`);
    check(r.rows.length === cols.length, where(`${r.rows.length} leaf columns`));
    cols.forEach((c, j) => {
      const [name, type, rep, conv, logical] = r.rows[j] || [];
      check(name === c.name && type === physical[c.type], where(`schema ${j}: ${name} ${type}`));
      check(rep === (c.required ? "REQUIRED" : "OPTIONAL"), where(`${c.name} repetition ${rep}`));
      if (c.type === "string")
        check(conv === "UTF8" && /String/i.test(String(logical)), where(`${c.name} annotations ${conv} ${logical}`));
      else
        check(conv === null && logical === null, where(`${c.name} annotations ${conv} ${logical}`));
    });
    r = await q(`DESCRIBE SELECT * FROM '${path}'`);
    cols.forEach((c, j) => check(r.rows[j][0] === c.name && r.rows[j][1] === duck[c.type], where(`DESCRIBE ${r.rows[j]}`)));

    // every value, in file order
    r = await q(`SELECT * FROM read_parquet('${path}', file_row_number = true) ORDER BY file_row_number`);
    check(r.rows.length === n, where(`${r.rows.length} rows`));
    const frn = r.names.indexOf("file_row_number");
    r.rows.forEach((row, i) => {
      check(row[frn] === BigInt(i), where(`row order at ${i}`));
      cols.forEach((c, j) => {
        const want = exp.values[c.name][i], v = row[j];
        let got = v;
        if (v !== null) {
          if (c.type === "double") got = dbits(v);
          else if (c.type === "int64") got = typeof v === "bigint" ? v.toString() : "not a bigint: " + v;
        }
        check(got === want, where(`row ${i} ${c.name}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`));
      });
    });

    // column chunk statistics against the generator's values, with the format's rules for doubles
    r = await q(`SELECT row_group_id, column_id, path_in_schema, row_group_num_rows, num_values, stats_null_count,
                        stats_min_value, stats_max_value, compression, encodings, dictionary_page_offset, type
                 FROM parquet_metadata('${path}') ORDER BY row_group_id, column_id`);
    check(r.rows.length === rgs * cols.length, where(`${r.rows.length} column chunks`));
    for (const [g, j, name, rgRows, numValues, nulls, min, max, codec, encodings, dictOff] of r.rows) {
      const c = cols[Number(j)], lo = Number(g) * f.rg, hi = Math.min(n, lo + f.rg), w = (m) => where(`rg ${g} ${name}: ${m}`);
      check(name === c.name, w("column order"));
      check(rgRows === BigInt(hi - lo) && numValues === BigInt(hi - lo), w(`rows ${rgRows} values ${numValues}`));
      const vals = exp.values[c.name].slice(lo, hi);
      const present = vals.filter((v) => v !== null);
      check(nulls === BigInt(vals.length - present.length), w(`null_count ${nulls}`));
      check(codec === f.codec, w(`compression ${codec}`));
      let emin = null, emax = null;
      if (c.type === "double") {
        const nums = present.filter((v) => v !== "nan").map((h) => { for (let k = 0; k < 8; k++) dv.setUint8(k, parseInt(h.substr(2 * k, 2), 16)); return dv.getFloat64(0, true); });
        if (nums.length) {
          let a = Math.min(...nums.slice(0, 1)), b = a;
          for (const x of nums) { if (x < a) a = x; if (x > b) b = x; }
          emin = dbits(a === 0 ? -0 : a); emax = dbits(b === 0 ? 0 : b);
        }
        // DuckDB's parquet_metadata shows no bounds when one is infinite (it keeps only finite double
        // statistics); the chunks without infinities are checked exactly
        const inf = [dbits(Infinity), dbits(-Infinity)];
        const hidden = (inf.includes(emin) || inf.includes(emax)) && min === null && max === null;
        check(hidden || (statDouble(min) === emin && statDouble(max) === emax), w(`min/max ${min} ${max} want ${emin} ${emax}`));
      } else if (present.length) {
        if (c.type === "int64") {
          const xs = present.map(BigInt);
          emin = xs.reduce((a, b) => (b < a ? b : a)).toString(); emax = xs.reduce((a, b) => (b > a ? b : a)).toString();
        } else if (c.type === "bool") {
          emin = present.every((v) => v) ? "true" : "false"; emax = present.some((v) => v) ? "true" : "false";
        } else {
          const enc = (s) => Buffer.from(s, "utf8");
          emin = present.reduce((a, b) => (Buffer.compare(enc(b), enc(a)) < 0 ? b : a));
          emax = present.reduce((a, b) => (Buffer.compare(enc(b), enc(a)) > 0 ? b : a));
        }
        check(min === emin && max === emax, w(`min/max ${JSON.stringify(min)} ${JSON.stringify(max)} want ${JSON.stringify(emin)} ${JSON.stringify(emax)}`));
      } else {
        check(min === null && max === null, w(`min/max of nulls only: ${min} ${max}`));
      }
      // encodings: dictionary pages only for strings with the dictionary on; a too-diverse column falls back
      const encs = String(encodings);
      const dictUsed = f.dict && c.type === "string" && present.length > 0;
      check(/RLE_DICTIONARY/.test(encs) === dictUsed && (dictOff !== null) === dictUsed, w(`encodings ${encs} dictionary at ${dictOff}`));
      if (dictUsed && f.dict_small && c.name === "u")
        check(/PLAIN/.test(encs), w(`no PLAIN fallback: ${encs}`));
    }
    console.log(`figure: parquet ${f.file}: ${fs.statSync(path).size} bytes, ${n} rows, ${rgs} row groups checked`);
  }
  if (failures) { console.error(`${failures} mismatches`); process.exit(1); }
})().catch((e) => { console.error(e); process.exit(1); });
JS
node "$T/check.cjs" "$T" || fail "DuckDB reads back something else"

# a failing write callback surfaces as an error, not as a short file reported as success
expect_exit 2 "$tool" --cols "$all_cols" --row-group-rows 1000 --fail-after 5000 "$T/data.csv" "$T/short.parquet"
grep -q 'simulated write failure' "$T/stderr" || fail "callback error text: $(cat "$T/stderr")"
