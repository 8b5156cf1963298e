# Periodic refit with a promotion gate (seed 003 without cron): a candidate trained on shuffled labels is rejected
# with both figures and never becomes current; a good one passes; `fit --every` refits on the newest window of a
# growing file until SIGTERM.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 6000 --seed 12 -o "$T/l.csv"
"$SML" gen loans --rows 3000 --seed 13 -o "$T/validation.csv"
gate=(--label not.fully.paid --gate --gate-data "$T/validation.csv" --gate-tolerance 0.005 --store "$T/s")
expect_exit 0 "$SML" fit "$T/l.csv" "${gate[@]}"
grep -q 'published version 1' "$T/stdout" || fail "first model (no current yet) is published"
/usr/bin/python3 - "$T/l.csv" "$T/shuffled.csv" <<'PY'
import csv, random, sys
rows = list(csv.reader(open(sys.argv[1])))
labels = [r[-1] for r in rows[1:]]
random.Random(5).shuffle(labels)
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(rows[0])
    for r, l in zip(rows[1:], labels):
        w.writerow(r[:-1] + [l])
PY
expect_exit 0 "$SML" fit "$T/shuffled.csv" "${gate[@]}"
grep -q 'REJECTED' "$T/stdout" || fail "shuffled labels must be rejected: $(cat "$T/stdout")"
grep -o 'candidate [0-9.]*, current version 1 [0-9.]*' "$T/stdout" | sed 's/^/figure: promotion gate auc on a fixed validation file, shuffled-label candidate rejected: /'
grep -q 'candidate rejected by the promotion gate (auc 0\.[0-9]* vs current 0\.[0-9]*' "$T/stderr" || fail "both figures logged"
[ "$(cat "$T/s/current")" = 1 ] && [ ! -e "$T/s/v00000002.smlm" ] || fail "a rejected candidate never becomes a version"
expect_exit 0 "$SML" fit "$T/l.csv" "${gate[@]}" --seed 2
grep -q 'passed' "$T/stdout" && [ "$(cat "$T/s/current")" = 2 ] || fail "a good candidate passes: $(cat "$T/stdout")"
expect_exit 1 "$SML" fit "$T/l.csv" --label not.fully.paid --gate --store "$T/s"
# without a validation file the held-out rows of the new data are the gate's rows
expect_exit 0 "$SML" fit "$T/l.csv" --label not.fully.paid --gate --holdout 0.25 --store "$T/s"
grep -q 'on the held-out rows' "$T/stdout" || fail "holdout gate"

# fit --every: refits while the data grows, each on the newest 2000 rows, until SIGTERM
head -2001 "$T/l.csv" > "$T/grow.csv"
"$SML" fit "$T/grow.csv" --label not.fully.paid --store "$T/every" --every 200ms --window-rows 2000 > "$T/every.out" 2>&1 &
pid=$!
for k in 1 2 3; do sleep 0.4; sed -n "$((k * 1000 + 2)),$((k * 1000 + 1001))p" "$T/l.csv" >> "$T/grow.csv"; done
sleep 0.5
kill -TERM "$pid"; wait "$pid" || fail "fit --every ends cleanly on SIGTERM"
n=$(ls "$T/every"/v*.smlm | wc -l)
[ "$n" -ge 3 ] || fail "fit --every published $n versions"
"$SML" inspect --model "$T/every" --json | /usr/bin/python3 -c 'import json,sys; m=json.load(sys.stdin); assert m["summary"]["rows"] == 2000, m["summary"]' || fail "--window-rows"
