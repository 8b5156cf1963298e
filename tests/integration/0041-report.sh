# `streamml report`: metrics files written by hand in the docs/METRICS.md format (so that this does not depend on
# `streamml run`) drawn as SVG and HTML; the documents are well-formed XML and name every run; bad input fails
# with file:line.
. "$(dirname "$0")/lib.bash"

wellformed() {
    if command -v xmllint >/dev/null; then xmllint --noout "$1"
    else python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"; fi
}

# two runs of different lengths; the first traces weights (one appears late, one has an awkward name) and has a
# stretch of null metrics; the second has no "run" field, so it is named after its file
python3 - "$T" <<'PY'
import json, math, sys
d = sys.argv[1]
with open(d + "/a.jsonl", "w") as f:
    for b in range(1, 61):
        m = 1 + 2 / math.sqrt(b) + 0.05 * math.sin(b)
        w = {"intercept": 2.0, 'a<b&"c"': 0.8 * math.sin(b / 10)}
        for k in range(10):
            w["f%d" % k] = (k - 5) * 0.1 * (1 - math.exp(-b / 15))
        if b > 20:
            w["late"] = 0.6 * (1 - math.exp(-(b - 20) / 8))
        f.write(json.dumps({"run": "online", "batch": b, "records": 1000 * b, "batch_records": 1000,
                            "labelled": 1000 * b, "time": 1763740000 + 0.02 * b, "elapsed_s": 0.02 * b,
                            "model_version": 0, "task": "regression",
                            "batch_metrics": {"rmse": None if 30 <= b < 33 else m * 0.9, "mae": m * 0.7},
                            "cumulative": {"rmse": None if 30 <= b < 33 else m, "mae": m * 0.8},
                            "records_per_s": 50000, "dead_letters": 0, "weights": w}) + "\n")
with open(d + "/b.jsonl", "w") as f:
    for b in range(1, 41):
        m = 0.9 + 1.5 / math.sqrt(b)
        f.write(json.dumps({"batch": b, "records": 1500 * b, "elapsed_s": 0.025 * b, "task": "regression",
                            "batch_metrics": {"rmse": m * 0.95}, "cumulative": {"rmse": m}}) + "\n")
PY

expect_exit 0 "$SML" report --help
grep -q '^usage: streamml report' "$T/stdout" || fail "report --help"
grep -q -- '--x-axis' "$T/stdout" || fail "report --help lists --x-axis"

expect_exit 0 "$SML" report "$T/a.jsonl" "$T/b.jsonl" -o "$T/r.svg"
wellformed "$T/r.svg" || fail "r.svg is not well-formed XML"
grep -q '</title>online</text>' "$T/r.svg" || fail "legend names run online"
grep -q '</title>b</text>' "$T/r.svg" || fail "legend names run b (file base name)"
[ "$(grep -c '<path class="cum"' "$T/r.svg")" -eq 2 ] || fail "one cumulative line per run"
[ "$(grep -c '<path class="weight"' "$T/r.svg")" -eq 8 ] || fail "8 weight lines (--top default)"
grep -q 'a&lt;b&amp;&quot;c&quot;' "$T/r.svg" || fail "feature name escaped"
grep -q '</title>late</text>' "$T/r.svg" || fail "a weight that appears late is drawn"

expect_exit 0 "$SML" report "$T/a.jsonl" "$T/b.jsonl" -o "$T/r.html" --top 3 --x-axis time --log-y --title 'Online & Adagrad'
wellformed "$T/r.html" || fail "r.html is not well-formed XML"
grep -q '<table class="summary">' "$T/r.html" || fail "html summary table"
grep -q '</span>online</td>' "$T/r.html" && grep -q '</span>b</td>' "$T/r.html" || fail "table rows per run"
[ "$(grep -c '<path class="weight"' "$T/r.html")" -eq 3 ] || fail "--top 3"
grep -q 'elapsed seconds' "$T/r.html" || fail "--x-axis time"
grep -q 'Online &amp; Adagrad' "$T/r.html" || fail "--title escaped"

# default output file: report.svg in the current directory
(cd "$T" && "$SML" report a.jsonl) || fail "report with the default output"
wellformed "$T/report.svg" || fail "report.svg"

# errors: exit 2 with one line naming file:line; nothing written
printf '%s\n' '{"batch": 1, "records": 10, "cumulative": {"rmse": 1}}' '' '{"batch": 2, "records": 20,' > "$T/bad.jsonl"
expect_exit 2 "$SML" report "$T/a.jsonl" "$T/bad.jsonl" -o "$T/bad.svg"
grep -q 'bad.jsonl:3:[0-9]*: malformed JSON' "$T/stderr" || fail "malformed line message: $(cat "$T/stderr")"
[ "$(wc -l < "$T/stderr")" -eq 1 ] || fail "error is one line"
[ ! -e "$T/bad.svg" ] || fail "no output on error"
: > "$T/empty.jsonl"
expect_exit 2 "$SML" report "$T/empty.jsonl" -o "$T/e.svg"
grep -q 'empty.jsonl: no metrics lines' "$T/stderr" || fail "empty file message: $(cat "$T/stderr")"
expect_exit 2 "$SML" report "$T/missing.jsonl" -o "$T/e.svg"
grep -q 'missing.jsonl' "$T/stderr" || fail "missing file message: $(cat "$T/stderr")"
expect_exit 2 "$SML" report "$T/a.jsonl" --metric auc -o "$T/e.svg"
grep -q '"auc"' "$T/stderr" || fail "absent metric message: $(cat "$T/stderr")"
expect_exit 1 "$SML" report -o "$T/e.svg"
expect_exit 1 "$SML" report "$T/a.jsonl" --x-axis batches

# the picture, when a converter is at hand (librsvg2-bin): it must at least render
if command -v rsvg-convert >/dev/null; then
    rsvg-convert "$T/r.svg" -o "$T/r.png" || fail "rsvg-convert r.svg"
    [ -s "$T/r.png" ] || fail "empty PNG"
fi
