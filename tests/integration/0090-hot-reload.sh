# Hot reload: `run --model STORE` swaps in each newly published version between batches. Every record is output
# exactly once, in order, the versions in the output never go backwards, and a corrupt file published as current
# does not stop the stream (the previous version keeps serving, the error is logged).
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 12000 --seed 6 -o "$T/loans.csv"
head -2001 "$T/loans.csv" > "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid --store "$T/store" >/dev/null
mkfifo "$T/fifo"
"$SML" run --from "$T/fifo" --model "$T/store" --to "$T/out.csv" --keep purpose,fico --batch-size 200 \
    --batch-interval 20ms --reload-check-interval 50ms 2>"$T/run.err" &
pid=$!
exec 3>"$T/fifo"
head -1 "$T/loans.csv" >&3
line=2
for v in 2 3 4 5 6; do
    sed -n "${line},$((line + 1999))p" "$T/loans.csv" >&3; line=$((line + 2000))
    sleep 0.3
    if [ "$v" = 4 ]; then   # a corrupt model file becomes current: it must be refused, v3 keeps serving
        head -c 300 "$T/store/v00000001.smlm" > "$T/store/v00000004.smlm"
        echo 4 > "$T/store/current.tmp" && mv "$T/store/current.tmp" "$T/store/current"
    else
        "$SML" fit "$T/train.csv" --label not.fully.paid --l2 "0.00$v" --store "$T/store" >/dev/null
    fi
    sleep 0.3
done
sed -n "${line},\$p" "$T/loans.csv" >&3
exec 3>&-
wait "$pid" || fail "run ended with an error: $(tail -3 "$T/run.err")"
/usr/bin/python3 - "$T/loans.csv" "$T/out.csv" <<'PY' || fail "output"
import csv, sys
inp = list(csv.DictReader(open(sys.argv[1])))
out = list(csv.DictReader(open(sys.argv[2])))
assert len(out) == len(inp), (len(out), len(inp))
assert all(a["purpose"] == b["purpose"] and a["fico"] == b["fico"] for a, b in zip(inp, out)), "order or loss"
versions = [int(r["model_version"]) for r in out]
assert versions == sorted(versions), "versions go backwards"
seen = sorted(set(versions))
assert 4 not in seen, "the corrupt version was used"
assert seen[0] == 1 and len(seen) >= 4, seen
print(f"figure: hot reload: {len(out)} records, each once and in order; versions used {seen}")
PY
grep -q 'version 4 cannot be used' "$T/run.err" || fail "the refused version is logged: $(cat "$T/run.err")"
grep -q 'model swapped: version 1 -> 2' "$T/run.err" || fail "swaps are logged"
