# streamml run as a user drives it: scoring a file with a published model (same numbers as predict), learning from
# scratch (weights independent of --batch-size), stdin/stdout, dead letters, idle flush, SIGTERM.
. "$(dirname "$0")/lib.bash"

frows=20000
[ "${SML_SANITIZED:-0}" = 1 ] && frows=10000  # batch size 1 with the weights traced per batch is slow under ASan
"$SML" gen feed --rows $frows --seed 3 -o "$T/feed.csv"
"$SML" gen loans --rows 3000 --seed 4 -o "$T/loans.csv"

# --- scoring with a model gives the predictions `predict` gives
"$SML" fit "$T/loans.csv" --label not.fully.paid --store "$T/store" >/dev/null
"$SML" run --from "$T/loans.csv" --model "$T/store" --to "$T/run.csv" --keep purpose --log-level warn
"$SML" predict --model "$T/store" --data "$T/loans.csv" --keep purpose -o "$T/pred.csv" 2>/dev/null
cmp -s "$T/run.csv" "$T/pred.csv" || fail "run and predict disagree: $(diff "$T/run.csv" "$T/pred.csv" | head -3)"

# --- learning from scratch: the weights after the stream do not depend on the batch size
for bs in 1 7 1000; do
    "$SML" run --from "$T/feed.csv" --learn --label metadata_numPhotos --to null: --batch-size "$bs" \
        --metrics "$T/m$bs.jsonl" --trace-weights --log-level warn || fail "run --batch-size $bs"
    tail -1 "$T/m$bs.jsonl" | sed 's/.*"weights"/"weights"/' > "$T/w$bs"
done
cmp -s "$T/w1" "$T/w7" && cmp -s "$T/w7" "$T/w1000" || fail "weights depend on --batch-size"
grep -q '"intercept"' "$T/w7" || fail "intercept traced"
b7=$(( (frows + 6) / 7 ))
[ "$(wc -l < "$T/m7.jsonl")" -eq $b7 ] || fail "$frows records in batches of 7 make $b7 metric lines, not $(wc -l < "$T/m7.jsonl")"
/usr/bin/python3 - "$T/m1000.jsonl" $frows <<'PY' || fail "metrics lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
assert len(lines) == n // 1000 and lines[-1]["records"] == n and lines[-1]["labelled"] == n
first, last = lines[0]["batch_metrics"]["rmse"], lines[-1]["batch_metrics"]["rmse"]
assert last < first, (first, last)  # it learns
assert all(l["batch_records"] == 1000 for l in lines)
print(f"figure: run --learn from scratch on gen feed: batch rmse {first:.3f} -> {last:.3f}, cumulative r2 {lines[-1]['cumulative']['r2']:.3f}")
PY

# --- stdin to stdout (JSON lines out), labels kept
"$SML" run --from - --learn --label metadata_numPhotos --to - --format csv --log-level warn < "$T/feed.csv" > "$T/out.csv"
[ "$(wc -l < "$T/out.csv")" -eq $((frows + 1)) ] || fail "stdin->stdout row count"
head -1 "$T/out.csv" | grep -qx 'metadata_numPhotos,prediction,model_version' || fail "columns: $(head -1 "$T/out.csv")"

# --- bad records: dead-lettered with place and reason, never learned, every good record scored
{ head -1 "$T/feed.csv"; sed -n 2,101p "$T/feed.csv"
  echo 'WEB,Post,8,0,0.01,4,240'                  # a field short
  echo 'WEB,Post,8,nan,0.01,4,240,3.0'            # NaN feature
  echo 'WEB,Post,8,zero,0.01,4,240,3.0'           # not a number
  sed -n 102,201p "$T/feed.csv"; } > "$T/bad.csv"
"$SML" fit "$T/feed.csv" --label metadata_numPhotos -o "$T/feed.smlm" >/dev/null
"$SML" run --from "$T/bad.csv" --model "$T/feed.smlm" --learn --to "$T/bad-out.csv" --dead-letter "$T/dead.jsonl" \
    --log-level warn || fail "run with bad records"
[ "$(wc -l < "$T/bad-out.csv")" -eq 201 ] || fail "200 good records scored, got $(($(wc -l < "$T/bad-out.csv") - 1))"
[ "$(wc -l < "$T/dead.jsonl")" -eq 3 ] || fail "3 dead letters"
grep -q 'bad.csv:102:.*expected 8 fields, got 7' "$T/dead.jsonl" || fail "field count: $(cat "$T/dead.jsonl")"
grep -q 'bad.csv:103: a numeric feature is NaN' "$T/dead.jsonl" || fail "NaN dead letter"
grep -q 'bad.csv:104:.*expected a number' "$T/dead.jsonl" || fail "non-number dead letter"

# --- an idle source still gets its partial batch flushed (batch_interval), SIGTERM ends cleanly
mkfifo "$T/fifo"
"$SML" run --from "$T/fifo" --model "$T/store" --to "$T/fifo-out.csv" --batch-size 100000 --batch-interval 200ms \
    --log-level warn &
pid=$!
exec 3>"$T/fifo"
head -11 "$T/loans.csv" >&3
for _ in $(seq 50); do [ "$(wc -l < "$T/fifo-out.csv" 2>/dev/null || echo 0)" -ge 11 ] && break; sleep 0.1; done
[ "$(wc -l < "$T/fifo-out.csv")" -eq 11 ] || fail "partial batch not flushed while the input is idle"
kill -TERM "$pid"
wait "$pid" || fail "SIGTERM should end the run with status 0"
exec 3>&-

# --- a fresh run replaces what its output file held (no second header, no old rows); a resumed run appends
head -101 "$T/loans.csv" > "$T/h100.csv"
"$SML" run --from "$T/h100.csv" --model "$T/store" --to "$T/twice.csv" --log-level warn || fail "first run"
"$SML" run --from "$T/h100.csv" --model "$T/store" --to "$T/twice.csv" --log-level warn || fail "second run"
[ "$(wc -l < "$T/twice.csv")" -eq 101 ] || fail "a second run appended to its output: $(wc -l < "$T/twice.csv") lines"
[ "$(grep -c '^not.fully.paid\|model_version' "$T/twice.csv")" -eq 1 ] || fail "more than one header"

# --- SIGTERM while the run is still starting (here: opening a FIFO that has no writer yet) ends it cleanly too
mkfifo "$T/fifo2"
"$SML" run --from "$T/fifo2" --model "$T/store" --to "$T/early.csv" --log-level warn &
pid=$!
sleep 0.3
kill -TERM "$pid"
exec 4>"$T/fifo2"
exec 4>&-
wait "$pid" || fail "SIGTERM during start-up should end the run with status 0"
