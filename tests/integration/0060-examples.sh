# The examples run from a clean checkout as documented (small sizes).
. "$(dirname "$0")/lib.bash"
export SML="$SML_BIN"
OUT="$T/loan" ROWS=3000 bash "$SML_ROOT/examples/loan-default/run.sh" > "$T/loan.out" 2>&1 || { cat "$T/loan.out"; fail "loan-default"; }
grep -q 'published version 1' "$T/loan.out" && grep -q '^  auc' "$T/loan.out" || fail "loan-default output"
D=$LOAN_DATA
if [ -f "$D" ]; then
    OUT="$T/loan-real" bash "$SML_ROOT/examples/loan-default/run.sh" "$D" > "$T/real.out" 2>&1 || { cat "$T/real.out"; fail "loan-default on loan_data.csv"; }
fi
OUT="$T/feed" ROWS=20000 bash "$SML_ROOT/examples/feed-regression/run.sh" > "$T/feed.out" 2>&1 || { cat "$T/feed.out"; fail "feed-regression"; }
grep -q '^batch ' "$T/feed.out" && [ -s "$T/feed/report.svg" ] || fail "feed-regression output"
OUT="$T/bvo" ROWS=30000 bash "$SML_ROOT/examples/batch-vs-online/run.sh" > "$T/bvo.out" 2>&1 || { cat "$T/bvo.out"; fail "batch-vs-online"; }
grep -q 'online learner .* prequential rmse' "$T/bvo.out" && [ -s "$T/bvo/report.html" ] || fail "batch-vs-online output"
/usr/bin/python3 - "$T/bvo.out" <<'PY'
import re, sys
r = dict(re.findall(r"^(batch model \(fitted once\)|online learner)\s+prequential rmse ([0-9.]+)", open(sys.argv[1]).read(), re.M))
print(f"figure: drifting stream, prequential rmse: batch model {r['batch model (fitted once)']}, online {r['online learner']}")
assert float(r["online learner"]) < float(r["batch model (fitted once)"])
PY
OUT="$T/hr" SECONDS_TO_RUN=5 bash "$SML_ROOT/examples/hot-reload/run.sh" > "$T/hr.out" 2>&1 || { cat "$T/hr.out"; fail "hot-reload"; }
[ "$(grep -c '^version [0-9]*: [0-9]* predictions' "$T/hr.out")" -ge 2 ] || fail "hot-reload: the output shows no swap: $(cat "$T/hr.out")"
