# streamml gen: deterministic synthetic data with a known truth (loans: logistic label; feed: linear target).
. "$(dirname "$0")/lib.bash"
py=python3

# --- determinism: same seed same bytes (stdout and -o alike), another seed other bytes
"$SML" gen loans --rows 5000 --seed 7 > "$T/a.csv"
"$SML" gen loans --rows 5000 --seed 7 -o "$T/b.csv"
cmp -s "$T/a.csv" "$T/b.csv" || fail "same seed, different bytes"
"$SML" gen loans --rows 5000 --seed 8 -o "$T/c.csv"
cmp -s "$T/a.csv" "$T/c.csv" && fail "different seeds, same bytes"
"$SML" gen feed --rows 5000 --seed 7 -o "$T/f1.csv"
"$SML" gen feed --rows 5000 --seed 7 -o "$T/f2.csv"
cmp -s "$T/f1.csv" "$T/f2.csv" || fail "feed: same seed, different bytes"

# --- fixed-seed checksums: an accidental change to a generator (or to number printing) shows up here.
# Values have fixed precision, so the text does not depend on how sml_format_double finds shortest digits.
# Update these only for an intended change of the generated data, and say so in the commit.
sum=$("$SML" gen loans --rows 1000 --seed 42 | sha256sum | cut -d' ' -f1)
[ "$sum" = 18ec7232c8d21c3c046a0723d9ec397b5fdca46afa7c847f232eaa3a4d130f3e ] || fail "loans seed 42 checksum changed: $sum"
sum=$("$SML" gen feed --rows 1000 --seed 42 | sha256sum | cut -d' ' -f1)
[ "$sum" = 0ab8e648eadd1c4929e53d6592c511d68a10ab2a279b2de6140288d4ab4d3040 ] || fail "feed seed 42 checksum changed: $sum"

# --- rows and columns
[ "$(wc -l < "$T/a.csv")" -eq 5001 ] || fail "loans: 5000 rows + header"
awk -F, '{ if (NF != 14) { print "line " NR ": " NF " fields"; exit 1 } }' "$T/a.csv" || fail "loans: 14 columns"
awk -F, '{ if (NF != 8) { print "line " NR ": " NF " fields"; exit 1 } }' "$T/f1.csv" || fail "feed: 8 columns"
"$SML" gen loans --rows 0 -o "$T/empty.csv"
[ "$(wc -l < "$T/empty.csv")" -eq 1 ] || fail "--rows 0 writes the header only"

# --- the header is loan_data.csv's
want='credit.policy,purpose,int.rate,installment,log.annual.inc,dti,fico,days.with.cr.line,revol.bal,revol.util,inq.last.6mths,delinq.2yrs,pub.rec,not.fully.paid'
real=$LOAN_DATA
if [ -f "$real" ]; then want=$(head -c 4096 "$real" | tr '\r' '\n' | head -n 1); fi
[ "$(head -n 1 "$T/a.csv")" = "$want" ] || fail "header differs from loan_data.csv: $(head -n 1 "$T/a.csv")"
[ "$(head -n 1 "$T/f1.csv")" = "audit_clientType,instanceId_objectType,audit_resourceType,auditweights_numDislikes,auditweights_ctr_negative,auditweights_numLikes,metadata_numSymbols,metadata_numPhotos" ] \
    || fail "feed header"

# --- JSON lines: chosen by the extension or --format; every line parses, same values as the CSV
"$SML" gen loans --rows 2000 --seed 7 -o "$T/a.jsonl"
"$SML" gen loans --rows 2000 --seed 7 --format jsonl > "$T/a2.jsonl"
cmp -s "$T/a.jsonl" "$T/a2.jsonl" || fail "jsonl by extension vs --format"
"$SML" gen feed --rows 2000 --seed 7 --format jsonl -o "$T/f.jsonl"
"$SML" gen loans --rows 10 --format csv -o "$T/forced.jsonl"
head -n 1 "$T/forced.jsonl" | grep -q '^credit.policy,' || fail "--format csv overrides the extension"
$py - "$T/a.jsonl" "$T/a.csv" "$T/f.jsonl" <<'PY' || fail "JSONL"
import csv, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2000, len(rows)
with open(sys.argv[2]) as f:
    r = list(csv.reader(f))
header = r[0]
for obj, line in zip(rows, r[1:]):
    assert list(obj) == header, list(obj)
    for k, v in zip(header, line):
        if k == "purpose":
            assert obj[k] == v
        else:
            assert isinstance(obj[k], (int, float)) and float(v) == obj[k], (k, v, obj[k])
feed = [json.loads(l) for l in open(sys.argv[3])]
assert len(feed) == 2000 and all(isinstance(o["audit_resourceType"], str) for o in feed)
PY

# --- label rate and category frequencies on 100k rows (real data: 16.0% positive; purposes below)
"$SML" gen loans --rows 100000 --seed 3 -o "$T/big.csv"
$py - "$T/big.csv" <<'PY' || fail "loans label rate / purpose frequencies"
import csv, sys
real = {"debt_consolidation": 3957, "all_other": 2331, "credit_card": 1262, "home_improvement": 629,
        "small_business": 619, "major_purchase": 437, "educational": 343}
total = sum(real.values())
with open(sys.argv[1]) as f:
    r = csv.reader(f); next(r)
    n = pos = 0; counts = {}
    for row in r:
        n += 1; pos += row[13] == "1"; counts[row[1]] = counts.get(row[1], 0) + 1
assert n == 100000
rate = pos / n
print("label rate", rate)
assert 0.145 <= rate <= 0.175, rate   # real 0.160; sd of the estimate 0.0012
assert set(counts) == set(real), counts
for k, c in real.items():
    assert abs(counts[k] / n - c / total) < 0.006, (k, counts[k] / n, c / total)  # sd <= 0.0016
PY

# --- drift: --truth has two regimes with different coefficients; the loans truth model ranks about as well as
# a model of the real data (AUC of its own probabilities, on its own regime)
"$SML" gen loans --rows 20000 --seed 5 --drift-at 10000 --truth "$T/truth.json" -o "$T/drift.csv"
$py - "$T/truth.json" "$T/drift.csv" <<'PY' || fail "loans truth / drift"
import csv, json, math, sys
t = json.load(open(sys.argv[1]))
assert t["generator"] == "loans" and t["label"] == "not.fully.paid" and t["link"] == "logistic"
reg = t["regimes"]
assert len(reg) == 2 and reg[0]["start_row"] == 0 and reg[1]["start_row"] == 10000, reg
assert reg[0]["numeric"] != reg[1]["numeric"] and reg[0]["categorical"] != reg[1]["categorical"]
assert set(reg[0]["numeric"]) == {"credit.policy", "int.rate", "installment", "log.annual.inc", "dti", "fico",
    "days.with.cr.line", "revol.bal", "revol.util", "inq.last.6mths", "delinq.2yrs", "pub.rec"}
with open(sys.argv[2]) as f:
    r = csv.reader(f); header = next(r); rows = list(r)
def auc(scores, labels):
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0; i = 0
    while i < len(order):          # average ranks over ties
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]: j += 1
        for k in range(i, j):
            if labels[order[k]]: rank_sum += (i + j + 1) / 2
        i = j
    npos = sum(labels); nneg = len(labels) - npos
    return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg)
for k, g in enumerate(reg):
    part = rows[:10000] if k == 0 else rows[10000:]
    z = []
    for row in part:
        d = dict(zip(header, row))
        s = g["intercept"] + sum(w * float(d[c]) for c, w in g["numeric"].items())
        s += g["categorical"]["purpose"][d["purpose"]]
        z.append(s)
    y = [row[13] == "1" for row in part]
    a = auc(z, y)
    mean_p = sum(1 / (1 + math.exp(-s)) for s in z) / len(z)
    print("regime", k, "AUC of the true model", round(a, 4), "positive rate", sum(y) / len(y), "mean p", mean_p)
    assert 0.68 <= a <= 0.80, a
    assert abs(sum(y) / len(y) - mean_p) < 0.02    # labels drawn from the stated probabilities
PY

# --- feed: the target follows the truth's linear model (correlation > 0.9, residual sd = noise_sd)
"$SML" gen feed --rows 10000 --seed 11 --drift-at 5000 --truth "$T/ftruth.json" -o "$T/feed.csv"
$py - "$T/ftruth.json" "$T/feed.csv" <<'PY' || fail "feed truth"
import csv, json, math, sys
t = json.load(open(sys.argv[1]))
assert t["link"] == "identity" and t["label"] == "metadata_numPhotos" and len(t["regimes"]) == 2
assert set(t["regimes"][0]["categorical"]) == {"audit_clientType", "instanceId_objectType", "audit_resourceType"}
with open(sys.argv[2]) as f:
    r = csv.reader(f); header = next(r); rows = list(r)
assert len(rows) == 10000
def corr(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    return cov / math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
for k, g in enumerate(t["regimes"]):
    part = rows[g["start_row"]:(t["regimes"][1]["start_row"] if k == 0 else len(rows))]
    pred, y = [], []
    for row in part:
        d = dict(zip(header, row))
        p = g["intercept"] + sum(w * float(d[c]) for c, w in g["numeric"].items())
        p += sum(levels[d[c]] for c, levels in g["categorical"].items())
        pred.append(p); y.append(float(d["metadata_numPhotos"]))
    c = corr(pred, y)
    resid = [a - b for a, b in zip(y, pred)]
    sd = math.sqrt(sum(e * e for e in resid) / len(resid))
    print("regime", k, "corr", round(c, 4), "residual sd", round(sd, 4), "noise_sd", g["noise_sd"])
    assert c > 0.9, c
    assert abs(sd - g["noise_sd"]) < 0.05 * g["noise_sd"] + 0.01, sd
PY

# --- errors: usage 1, runtime 2
expect_exit 1 "$SML" gen
expect_exit 1 "$SML" gen iris
grep -q 'unknown dataset "iris"' "$T/stderr" || fail "unknown dataset message"
expect_exit 1 "$SML" gen loans feed
expect_exit 2 "$SML" gen loans --rows 10 -o "$T/no/such/dir/x.csv"
grep -q "no/such/dir/x.csv" "$T/stderr" || fail "unwritable output names the file"
if [ -w /dev/full ]; then
    expect_exit 2 "$SML" gen loans --rows 100000 -o /dev/full
    grep -qi "no space" "$T/stderr" || fail "write error surfaces: $(cat "$T/stderr")"
fi

# --- speed and constant memory: 1M loans rows to a file
start=$(date +%s.%N)
"$SML" gen loans --rows 1000000 -o "$T/speed.csv"
end=$(date +%s.%N)
[ "$(wc -l < "$T/speed.csv")" -eq 1000001 ] || fail "1M rows"
echo "figure: gen loans 1M rows to a file: $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f rows/s", 1e6 / (e - s) }')"
