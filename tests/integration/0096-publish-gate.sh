# `run --learn --publish-every --gate --gate-data FILE`: the online model goes through the same promotion gate as a
# refit. An online model that learned from flipped labels is refused (logged with both figures, which equal what
# `eval` says of each model; nothing new becomes current); one that kept learning from true labels is published.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 3000 --seed 51 -o "$T/train.csv"
"$SML" gen loans --rows 6000 --seed 52 -o "$T/stream.csv"
"$SML" gen loans --rows 4000 --seed 53 -o "$T/validation.csv"
awk -F, 'BEGIN { OFS = "," } NR > 1 { $NF = 1 - $NF } { print }' "$T/stream.csv" > "$T/flipped.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid --store "$T/s" >/dev/null
gate=(--learn --model "$T/s" --store "$T/s" --publish-every 1h --gate --gate-data "$T/validation.csv"
      --gate-tolerance 0.02 --to null:)

# a degraded online model (it learned the flipped labels) is refused at the publish that ends the run
expect_exit 0 "$SML" run --from "$T/flipped.csv" "${gate[@]}" --learning-rate 2
grep -q 'promotion gate (auc on .*validation.csv): online model [0-9.]*, current version 1 [0-9.]*, tolerance 0.02: REJECTED' \
    "$T/stderr" || fail "the refusal is logged with both figures: $(cat "$T/stderr")"
[ "$(cat "$T/s/current")" = 1 ] || fail "a refused model became current"
[ ! -e "$T/s/v00000002.smlm" ] || fail "a refused model was published"
cur=$(sed -n 's/.*current version 1 \([0-9.]*\),.*/\1/p' "$T/stderr")
cand=$(sed -n 's/.*online model \([0-9.]*\),.*/\1/p' "$T/stderr")
"$SML" eval --model "$T/s" --data "$T/validation.csv" --json > "$T/eval1.json"
/usr/bin/python3 - "$T/eval1.json" "$cur" "$cand" <<'PY' || fail "the gate's figures"
import json, sys
ev, cur, cand = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3])
assert abs(ev["auc"] - cur) < 1e-6, (ev["auc"], cur)   # the current model's figure is eval's
assert cand < cur - 0.02, (cand, cur)
print(f"figure: publish gate: degraded online model auc {cand:.4f} refused against version 1's {cur:.4f}")
PY

# a good online model (true labels) passes and is published as version 2; eval agrees with the gate's figure
expect_exit 0 "$SML" run --from "$T/stream.csv" "${gate[@]}"
grep -q 'promotion gate (auc on .*): online model [0-9.]*, current version 1 [0-9.]*, tolerance 0.02: passed' \
    "$T/stderr" || fail "the pass is logged: $(cat "$T/stderr")"
grep -q 'published the online model as version 2' "$T/stderr" || fail "published: $(cat "$T/stderr")"
[ "$(cat "$T/s/current")" = 2 ] || fail "version 2 is current"
cand=$(sed -n 's/.*online model \([0-9.]*\),.*/\1/p' "$T/stderr")
"$SML" eval --model "$T/s" --data "$T/validation.csv" --json > "$T/eval2.json"
/usr/bin/python3 -c 'import json, sys; e = json.load(open(sys.argv[1])); assert e["model_version"] == 2 and abs(e["auc"] - float(sys.argv[2])) < 1e-6, (e, sys.argv[2])' \
    "$T/eval2.json" "$cand" || fail "the published model is the one the gate scored"

# the gate needs validation rows and something to gate
expect_exit 1 "$SML" run --from "$T/stream.csv" --learn --model "$T/s" --store "$T/s" --publish-every 1h --gate --to null:
grep -q 'gate-data' "$T/stderr" || fail "names --gate-data: $(cat "$T/stderr")"
expect_exit 1 "$SML" run --from "$T/stream.csv" --learn --model "$T/s" --gate --gate-data "$T/validation.csv" --to null:
grep -q 'publish-every' "$T/stderr" || fail "names --publish-every: $(cat "$T/stderr")"
