# fit -> store -> inspect -> predict -> eval as a user runs them, and the bad inputs of issue 3 item 8.
. "$(dirname "$0")/lib.bash"

"$SML" gen loans --rows 4000 --seed 11 -o "$T/loans.csv"
expect_exit 0 "$SML" fit "$T/loans.csv" --label not.fully.paid --cv 3 --grid "l2=0.001,0.01" --store "$T/store"
grep -q 'published version 1 to' "$T/stdout" || fail "first publish is version 1"
grep -q '<- best' "$T/stdout" || fail "grid table marks the best setting"
[ "$(grep -c '+-' "$T/stdout")" -eq 2 ] || fail "one table row per setting with mean +- sd"
[ "$(cat "$T/store/current")" = 1 ] || fail "current is 1"

# inspect: readable and JSON, weights by feature name
expect_exit 0 "$SML" inspect --model "$T/store"
grep -q 'purpose=small_business' "$T/stdout" || fail "inspect names one-hot features"
expect_exit 0 "$SML" inspect --model "$T/store" --json
/usr/bin/python3 - "$T/stdout" <<'PY' || fail "inspect --json"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["task"] == "classification" and m["label"] == "not.fully.paid" and m["positive"] == "1", m
assert m["version"] == 1 and m["format"] == "1.1"
w = [abs(v) for _, v in m["weights"]]
assert w == sorted(w, reverse=True), "largest first"
assert m["summary"]["converged"] is True and m["metrics"]["validation"]["folds"] == 3
PY

# predict: output columns of DESIGN.md, one row per input row, probabilities in [0, 1]
expect_exit 0 "$SML" predict --model "$T/store" --data "$T/loans.csv" --keep purpose -o "$T/pred.csv"
head -1 "$T/pred.csv" | grep -qx 'purpose,not.fully.paid,prediction,probability,model_version' || fail "columns: $(head -1 "$T/pred.csv")"
[ "$(wc -l < "$T/pred.csv")" -eq 4001 ] || fail "row count"
/usr/bin/python3 - "$T/pred.csv" <<'PY' || fail "prediction values"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    p = float(r["probability"])
    assert 0 <= p <= 1 and r["prediction"] == ("1" if p >= 0.5 else "0") and r["model_version"] == "1", r
PY
# predictions from stdin as JSON lines equal the CSV ones
"$SML" predict --model "$T/store" --data - --output-format jsonl < "$T/loans.csv" > "$T/pred.jsonl"
/usr/bin/python3 - "$T/pred.csv" "$T/pred.jsonl" <<'PY' || fail "jsonl = csv"
import csv, json, sys
a = [float(r["probability"]) for r in csv.DictReader(open(sys.argv[1]))]
b = [json.loads(l)["probability"] for l in open(sys.argv[2])]
assert a == b
PY
# eval agrees with fit's training metrics
expect_exit 0 "$SML" eval --model "$T/store" --data "$T/loans.csv" --json
/usr/bin/python3 - "$T/stdout" "$T/store" <<'PY' || fail "eval"
import json, sys, subprocess, os
e = json.loads(open(sys.argv[1]).read())
m = json.loads(subprocess.check_output([os.environ["SML_BIN"], "inspect", "--model", sys.argv[2], "--json"]))
assert e["rows"] == 4000 and abs(e["auc"] - m["metrics"]["train"]["auc"]) < 1e-12, (e, m["metrics"])
PY

# a second fit publishes version 2 and moves current; two concurrent fits never collide
"$SML" fit "$T/loans.csv" --label not.fully.paid --store "$T/store" >/dev/null 2>&1
"$SML" fit "$T/loans.csv" --label not.fully.paid --store "$T/store" >/dev/null 2>&1 &
"$SML" fit "$T/loans.csv" --label not.fully.paid --store "$T/store" >/dev/null 2>&1 &
wait
[ "$(ls "$T/store"/v*.smlm | wc -l)" -eq 4 ] || fail "4 versions after 4 fits: $(ls "$T/store")"
[ "$(cat "$T/store/current")" = 4 ] || fail "current follows the newest"

# ---- bad input: clear errors, exit codes, never a crash, never a NaN model
expect_exit 1 "$SML" fit "$T/loans.csv"
grep -q 'label' "$T/stderr" || fail "no --label"
expect_exit 2 "$SML" fit "$T/loans.csv" --label no.such.column
grep -q '"no.such.column" is not in the data' "$T/stderr" || fail "unknown label: $(cat "$T/stderr")"
printf 'a,b,y\n1,x,0\n2,y,0\n3,x,0\n' > "$T/oneclass.csv"
expect_exit 2 "$SML" fit "$T/oneclass.csv" --label y
grep -q 'single value' "$T/stderr" || fail "one-class label"
printf 'a,b,y\n1,x,0\n2,y,1\n3,x,2\n' > "$T/three.csv"
expect_exit 1 "$SML" fit "$T/three.csv" --label y --task classification
grep -q 'exactly 2' "$T/stderr" || fail "classification needs two classes"
: > "$T/empty.csv"
expect_exit 2 "$SML" fit "$T/empty.csv" --label y
grep -q 'empty' "$T/stderr" || fail "empty file: $(cat "$T/stderr")"
printf 'a,c,k,y\n1,,5,0\nnan,,5,1\n3,,5,0\n4,,5,1\n,,5,1\n' > "$T/odd.csv"
expect_exit 0 "$SML" fit "$T/odd.csv" --label y -o "$T/odd.smlm"
grep -q 'trained on 4 rows' "$T/stdout" || fail "NaN row left out of training: $(cat "$T/stdout")"
expect_exit 0 "$SML" inspect --model "$T/odd.smlm" --json
/usr/bin/python3 -c "import json,sys,math; m=json.load(open(sys.argv[1])); assert all(math.isfinite(v) for _,v in m['weights'])" "$T/stdout" || fail "finite weights"
mkdir -p "$T/ro" && chmod 555 "$T/ro"
if [ "$(id -u)" != 0 ]; then
    expect_exit 2 "$SML" fit "$T/loans.csv" --label not.fully.paid --store "$T/ro"
fi
printf 'not a store' > "$T/file"
expect_exit 2 "$SML" fit "$T/loans.csv" --label not.fully.paid --store "$T/file"
grep -q 'not a directory' "$T/stderr" || fail "store on a file"
expect_exit 2 "$SML" predict --model "$T/nope" --data "$T/loans.csv"
head -c 100 "$T/store/v00000001.smlm" > "$T/trunc.smlm"
expect_exit 2 "$SML" predict --model "$T/trunc.smlm" --data "$T/loans.csv"
grep -q 'truncated' "$T/stderr" || fail "truncated model: $(cat "$T/stderr")"
# CSV read as JSON lines: every record is rejected with its place, nothing crashes, --max-errors stops the job
expect_exit 0 "$SML" predict --model "$T/store" --data "$T/loans.csv" --format jsonl --errors "$T/bad.jsonl"
[ "$(wc -l < "$T/bad.jsonl")" -eq 4001 ] || fail "every line dead-lettered"
grep -q '"_error": ".*loans.csv:2:1: ' "$T/bad.jsonl" || fail "dead letter names file:line:column"
expect_exit 2 "$SML" predict --model "$T/store" --data "$T/loans.csv" --format jsonl --max-errors 10
grep -q 'more than --max-errors 10' "$T/stderr" || fail "--max-errors"
# sample weights: a row of weight 2 counts as the row twice (the objective divides by W = sum of weights)
/usr/bin/python3 - "$T" <<'PY'
import random
random.seed(3)
with open(f"{__import__('sys').argv[1]}/w.csv", "w") as a, open(f"{__import__('sys').argv[1]}/dup.csv", "w") as b:
    a.write("x1,x2,c,y,w\n"); b.write("x1,x2,c,y,w\n")
    for i in range(400):
        x1, x2, c = round(random.gauss(0, 1), 3), round(random.gauss(0, 3), 3), random.choice("abc")
        y = round(1.5 * x1 - 0.3 * x2 + (0.5 if c == "a" else 0) + random.gauss(0, 0.5), 3)
        w = random.choice([1, 2])
        a.write(f"{x1},{x2},{c},{y},{w}\n")
        for _ in range(w):
            b.write(f"{x1},{x2},{c},{y},1\n")
PY
"$SML" fit "$T/w.csv" --label y --weight w --scaling none --tol 1e-10 -o "$T/w.smlm" > /dev/null || fail "fit --weight"
"$SML" fit "$T/dup.csv" --label y --ignore w --scaling none --tol 1e-10 -o "$T/dup.smlm" > /dev/null || fail "fit duplicated"
"$SML" inspect --model "$T/w.smlm" --json > "$T/w.json"
"$SML" inspect --model "$T/dup.smlm" --json > "$T/dup.json"
/usr/bin/python3 - "$T/w.json" "$T/dup.json" <<'PY' || fail "weight 2 is not the same as the row twice"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
wa, wb = dict(a["weights"]), dict(b["weights"])
assert set(wa) == set(wb) and all(abs(wa[k] - wb[k]) < 1e-8 for k in wa), (wa, wb)
assert abs(a["intercept"] - b["intercept"]) < 1e-8
PY
