# Hot reload on an idle stream: when `current` changes while `run` waits for input, the records that end the wait
# are scored by the new version (they were scored by the old one when the swap waited for the chunk after them,
# up to the 200 ms idle wait after the switch). Five switches, each 30 ms before a burst of records.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 2000 --seed 7 -o "$T/loans.csv"
head -501 "$T/loans.csv" > "$T/train.csv"
for l2 in 0.001 1; do
    "$SML" fit "$T/train.csv" --label not.fully.paid --l2 "$l2" --store "$T/store" >/dev/null
done
switch() { echo "$1" > "$T/store/current.tmp" && mv "$T/store/current.tmp" "$T/store/current"; }
switch 1
mkfifo "$T/fifo"
"$SML" run --from "$T/fifo" --model "$T/store" --to "$T/out.csv" --keep fico --batch-size 1000 \
    --batch-interval 20ms 2>"$T/run.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$T"' EXIT
exec 3>"$T/fifo"
head -1 "$T/loans.csv" >&3
sed -n 2,101p "$T/loans.csv" >&3
line=102
for v in 2 1 2 1 2; do
    sleep 0.5          # idle: the engine sits in its wait for input
    switch "$v"
    sleep 0.03         # well inside that wait
    sed -n "${line},$((line + 99))p" "$T/loans.csv" >&3; line=$((line + 100))
done
exec 3>&-
wait "$pid" || fail "run ended with an error: $(tail -3 "$T/run.err")"
/usr/bin/python3 - "$T/out.csv" <<'PY' || fail "$(grep -c 'model swapped' "$T/run.err") swaps logged"
import csv, sys
out = [int(r["model_version"]) for r in csv.DictReader(open(sys.argv[1]))]
assert len(out) == 600, len(out)
want = [1] * 100 + [v for v in (2, 1, 2, 1, 2) for _ in range(100)]
bad = [i for i, (a, b) in enumerate(zip(out, want)) if a != b]
assert not bad, f"{len(bad)} records scored by the old version after a switch (first at record {bad[0]})"
print("figure: reload after idle: 5 switches, every record after each scored by the new version")
PY
