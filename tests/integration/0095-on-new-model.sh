# `run --learn --model STORE --on-new-model replace|base`: what a newly published batch model does to online learning.
# replace: the online state is replaced by the new model, so the first record after the swap is scored exactly as
# `predict` with the new version scores it (learning then moves on from there). base: the new model becomes the
# anchor of --l2-to-base, so the online weights are pulled toward it (far more than in a run that ignores it).
# The new model is trained on flipped labels, so it is far from the old one.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 3000 --seed 31 -o "$T/train.csv"
awk -F, 'BEGIN { OFS = "," } NR > 1 { $NF = 1 - $NF } { print }' "$T/train.csv" > "$T/flipped.csv"
"$SML" gen loans --rows 8000 --seed 32 -o "$T/raw.csv"
awk -F, 'NR == 1 { print "id," $0; next } { print NR - 2 "," $0 }' "$T/raw.csv" > "$T/stream.csv"

# stream MODE STORE EXTRA...: 4000 records, then the flipped model is published, then 4000 more
stream() {
    local mode=$1 S=$2; shift 2
    rm -rf "$S" "$T/fifo"
    "$SML" fit "$T/train.csv" --label not.fully.paid --store "$S" >/dev/null
    mkfifo "$T/fifo"
    "$SML" run --from "$T/fifo" --model "$S" --learn --on-new-model "$mode" --keep id --batch-size 500 \
        --batch-interval 20ms --reload-check-interval 50ms --to "$T/out-$mode.csv" "$@" 2>"$T/run-$mode.err" &
    local pid=$!
    exec 3>"$T/fifo"
    head -4001 "$T/stream.csv" >&3
    sleep 0.5
    "$SML" fit "$T/flipped.csv" --label not.fully.paid --store "$S" >/dev/null
    for _ in $(seq 100); do grep -q 'model swapped' "$T/run-$mode.err" && break; sleep 0.05; done
    sed -n '4002,$p' "$T/stream.csv" >&3
    exec 3>&-
    wait "$pid" || fail "run --on-new-model $mode: $(tail -3 "$T/run-$mode.err")"
}

# ---- replace
stream replace "$T/s-replace"
grep -q 'model swapped: version 1 -> 2 in .* (online state replaced)' "$T/run-replace.err" ||
    fail "the replacement is logged: $(cat "$T/run-replace.err")"
"$SML" predict --model "$T/s-replace/v00000002.smlm" --data "$T/stream.csv" --keep id -o "$T/batch2.csv" 2>/dev/null
"$SML" predict --model "$T/s-replace/v00000001.smlm" --data "$T/stream.csv" --keep id -o "$T/batch1.csv" 2>/dev/null
/usr/bin/python3 - "$T/out-replace.csv" "$T/batch1.csv" "$T/batch2.csv" <<'PY' || fail "replace"
import csv, sys
out = list(csv.DictReader(open(sys.argv[1])))
b1 = {r["id"]: float(r["probability"]) for r in csv.DictReader(open(sys.argv[2]))}
b2 = {r["id"]: float(r["probability"]) for r in csv.DictReader(open(sys.argv[3]))}
assert [int(r["id"]) for r in out] == list(range(8000)), "every record once, in order"
first = next(i for i, r in enumerate(out) if r["model_version"] == "2")
assert first >= 4000, first
r = out[first]
p = float(r["probability"])
# the first record after the swap: the new batch model's own prediction, not the old online state's
assert abs(p - b2[r["id"]]) < 1e-9, (p, b2[r["id"]])
assert abs(p - b1[r["id"]]) > 1e-3, "the old and new models must differ for this check to mean anything"
# learning then moves the online weights away from the batch model's
later = out[first + 500:first + 1000]
assert max(abs(float(x["probability"]) - b2[x["id"]]) for x in later) > 1e-6, "learning goes on after the swap"
# and before the swap, the online state started from version 1
assert abs(float(out[0]["probability"]) - b1[out[0]["id"]]) < 1e-9
print(f"figure: on-new-model replace: record {first} (the first after the swap) scored {p:.6f}, the new batch "
      f"model's {b2[r['id']]:.6f} (the old one's {b1[r['id']]:.6f})")
PY

# ---- base: the new model becomes the anchor; a run that ignores it is the control
stream base "$T/s-base" --l2-to-base 1 --trace-weights --metrics "$T/m-base.jsonl"
grep -q 'model swapped: version 1 -> 2 in .* (new base for l2-to-base)' "$T/run-base.err" ||
    fail "the new base is logged: $(cat "$T/run-base.err")"
stream ignore "$T/s-ignore" --l2-to-base 1 --trace-weights --metrics "$T/m-ignore.jsonl"
"$SML" inspect --model "$T/s-base/v00000002.smlm" --json > "$T/base2.json"
"$SML" inspect --model "$T/s-base/v00000001.smlm" --json > "$T/base1.json"
/usr/bin/python3 - "$T/m-base.jsonl" "$T/m-ignore.jsonl" "$T/base1.json" "$T/base2.json" <<'PY' || fail "base"
import json, math, sys
def lines(p): return [json.loads(l) for l in open(p)]
mb, mi = lines(sys.argv[1]), lines(sys.argv[2])
def weights(path):
    m = json.load(open(path))
    w = dict(m["weights"])   # [name, weight] pairs
    w["intercept"] = m["intercept"]
    return w
w1, w2 = weights(sys.argv[3]), weights(sys.argv[4])
def dist(w, ref): return math.sqrt(sum((w.get(k, 0.0) - v) ** 2 for k, v in ref.items()))
at_swap = [l for l in mb if l["model_version"] == 1][-1]["weights"]
end_base, end_ignore = mb[-1]["weights"], mi[-1]["weights"]
assert mb[-1]["model_version"] == 2 and mi[-1]["model_version"] == 1
d_swap, d_base, d_ignore = dist(at_swap, w2), dist(end_base, w2), dist(end_ignore, w2)
# pulled toward the new base: much closer to it than at the swap, and than the run that kept the old base
assert d_base < 0.5 * d_swap, (d_base, d_swap)
assert d_base < 0.5 * d_ignore, (d_base, d_ignore)
# and away from the old one
assert dist(end_base, w1) > dist(at_swap, w1), (dist(end_base, w1), dist(at_swap, w1))
print(f"figure: on-new-model base: distance of the online weights to the new base {d_swap:.3f} at the swap, "
      f"{d_base:.3f} 4000 records later (a run ignoring the new model: {d_ignore:.3f})")
PY
