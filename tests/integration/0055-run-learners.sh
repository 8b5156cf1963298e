# Every learner through the command: each learns (its prequential predictions beat the label's mean: cumulative
# R² > 0.3; the batch-to-batch loss is noisy on these heavy-tailed columns), spark learns per
# micro-batch, rls refuses too many features with a clear error; --publish-every publishes the online model as
# store versions (checkpoints never become versions); SIGTERM writes the final checkpoint.
. "$(dirname "$0")/lib.bash"
"$SML" gen feed --rows 30000 --seed 8 -o "$T/feed.csv"
"$SML" gen loans --rows 30000 --seed 8 -o "$T/loans.csv"
for l in normalized sgd adagrad ftrl rls spark; do
    extra=(); [ "$l" = sgd ] && extra=(--learning-rate 0.05); [ "$l" = spark ] && extra=(--intercept)
    "$SML" run --from "$T/feed.csv" --learn --label metadata_numPhotos --learner "$l" "${extra[@]}" --to null: \
        --batch-size 3000 --metrics "$T/$l.jsonl" --log-level warn || fail "learner $l"
    /usr/bin/python3 - "$T/$l.jsonl" "$l" <<'PY' || fail "learner $l does not learn"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
c = lines[-1]["cumulative"]
print(f"figure: run --learner {sys.argv[2]:10s} from scratch on gen feed (30k rows): prequential rmse "
      f"{c['rmse']:.3f}, r2 {c['r2']:.3f}")
assert c["r2"] > 0.3
PY
done
"$SML" run --from "$T/loans.csv" --learn --label not.fully.paid --learner spark --spark-reg-param 0.01 --to null: \
    --batch-size 3000 --metrics "$T/spark-log.jsonl" --log-level warn || fail "spark logistic"
expect_exit 2 "$SML" run --from "$T/feed.csv" --learn --label metadata_numPhotos --learner rls --rls-max-features 4 \
    --to null:
grep -q 'rls_max_features' "$T/stderr" || fail "rls cap message: $(cat "$T/stderr")"

# publishing the online model while a stream runs; checkpoints stay in the state dir
mkfifo "$T/fifo"
"$SML" run --from "$T/fifo" --learn --label metadata_numPhotos --to null: --batch-size 500 --batch-interval 50ms \
    --publish-every 100ms --store "$T/store" --state "$T/state" --log-level warn &
pid=$!
exec 3>"$T/fifo"
head -1 "$T/feed.csv" >&3
for i in 0 1 2 3 4 5; do sed -n "$((i * 2000 + 2)),$((i * 2000 + 2001))p" "$T/feed.csv" >&3; sleep 0.2; done
kill -TERM "$pid"; wait "$pid" || fail "run --publish-every"
exec 3>&-
n=$(ls "$T/store"/v*.smlm | wc -l)
[ "$n" -ge 3 ] || fail "expected several published versions, got $n"
[ -f "$T/state/checkpoint" ] || fail "SIGTERM writes the checkpoint"
[ -z "$(ls "$T/store" | grep -v -e '^v[0-9]*\.smlm$' -e '^current$' -e '^\.lock$')" ] || fail "store holds only versions"
"$SML" predict --model "$T/store" --data "$T/feed.csv" -o "$T/p.csv" 2>/dev/null || fail "a published online model scores"
echo "figure: run --publish-every 100ms published $n versions in ~1.2 s"
