# streamml schema as a user runs it: the real loan data (CR line endings, no final newline), JSON form fed back as
# a schema file, flags overriding inference, compressed input, stdin, and bad rows with --errors / --max-errors.
. "$(dirname "$0")/lib.bash"
D=$LOAN_DATA
if [ -f "$D" ]; then
    expect_exit 0 "$SML" schema "$D" --label not.fully.paid
    grep -q '^purpose  *categorical' "$T/stdout" || fail "purpose is categorical"
    grep -q '^fico  *numeric' "$T/stdout" || fail "fico is numeric"
    grep -q '^9578 records sampled' "$T/stdout" || fail "9578 records (CR-only file without a final newline)"
    grep -q 'classification (positive class: 1, negative: 0)' "$T/stdout" || fail "label task"
fi
"$SML" gen loans --rows 3000 --seed 2 -o "$T/l.csv"
expect_exit 0 "$SML" schema "$T/l.csv" --json --label not.fully.paid
cp "$T/stdout" "$T/schema.json"
/usr/bin/python3 - "$T/schema.json" <<'PY' || fail "schema --json"
import json, sys
s = json.load(open(sys.argv[1]))
cols = {c["name"]: c for c in s["columns"]}
assert s["rows_sampled"] == 3000 and s["label"] == "not.fully.paid" and s["task"] == "classification"
assert cols["purpose"]["type"] == "categorical" and cols["purpose"]["distinct"] == 7
assert cols["fico"]["type"] == "numeric" and cols["fico"]["integer"] is True and cols["fico"]["missing"] == 0
assert 612 <= cols["fico"]["min"] <= cols["fico"]["max"] <= 827
PY
# a schema file (edited) and flags override inference
sed 's/"name": "fico", "type": "numeric"/"name": "fico", "type": "categorical"/' "$T/schema.json" > "$T/edited.json"
expect_exit 0 "$SML" schema "$T/l.csv" --schema "$T/edited.json"
grep -q '^fico  *categorical' "$T/stdout" || fail "schema file overrides the type"
expect_exit 0 "$SML" schema "$T/l.csv" --categorical credit.policy --ignore pub.rec --sample-rows 100
grep -q '^credit.policy  *categorical' "$T/stdout" && grep -q '^pub.rec  *numeric-' "$T/stdout" || fail "flags"
grep -q '^100 records sampled' "$T/stdout" || fail "--sample-rows"
expect_exit 2 "$SML" schema "$T/l.csv" --categorical no.such.column
grep -q '"no.such.column" is not in the data' "$T/stderr" || fail "unknown column in a flag"
# compressed and stdin input give the same schema
gzip -c "$T/l.csv" > "$T/l.csv.gz"
zstd -q -c "$T/l.csv" > "$T/l.csv.zst" 2>/dev/null || true
"$SML" schema "$T/l.csv" --json > "$T/a.json"
"$SML" schema "$T/l.csv.gz" --json > "$T/b.json"
cmp -s "$T/a.json" "$T/b.json" || fail "gzip input"
[ ! -s "$T/l.csv.zst" ] || { "$SML" schema "$T/l.csv.zst" --json > "$T/c.json"; cmp -s "$T/a.json" "$T/c.json" || fail "zstd input"; }
"$SML" schema - --json < "$T/l.csv" > "$T/d.json"
cmp -s "$T/a.json" "$T/d.json" || fail "stdin input"
# bad rows: counted, kept in --errors with their place, the job stops past --max-errors
{ head -3 "$T/l.csv"; echo '1,credit_card,0.1,"unterminated'; echo '1,2,3'; sed -n 4,6p "$T/l.csv"; } > "$T/bad.csv"
expect_exit 0 "$SML" schema "$T/bad.csv" --errors "$T/errors.jsonl"
[ "$(wc -l < "$T/errors.jsonl")" -ge 1 ] || fail "--errors file"
grep -q 'bad.csv:[0-9]*:[0-9]*: ' "$T/errors.jsonl" || fail "errors name file:line:column"
expect_exit 2 "$SML" schema "$T/bad.csv" --max-errors 0
grep -q 'max-errors' "$T/stderr" || fail "--max-errors message"
