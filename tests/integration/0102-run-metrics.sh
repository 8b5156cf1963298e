# `run --metrics-listen`: live Prometheus metrics of a stream, scraped with curl while it runs.
#  file source (a FIFO kept open): the counters add up with the output and the dead-letter file, the batch latency
#  histogram is cumulative and counts every batch, the checkpoint age is reported with --state, and the model
#  version and swap count change after a new version is published to the watched store;
#  Kafka source (kafka-dev, 4 partitions, learning): per-partition lag is reported, is > 0 while the backlog is
#  read and shrinks to 0; every message is read and learned from.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_kafka.bash"
command -v curl >/dev/null || { echo "curl is not installed"; exit 77; }
slow=1; [ "${SML_SANITIZED:-0}" != 0 ] && slow=4

# metrics_port ERRFILE: the port the exporter bound (the run prints it)
metrics_port() {
    local p=
    for _ in $(seq 100); do
        p=$(sed -n 's/.*metrics on .*(port \([0-9]*\)).*/\1/p' "$1")
        [ -n "$p" ] && break; sleep 0.1
    done
    [ -n "$p" ] || fail "no metrics port: $(cat "$1")"
    echo "$p"
}
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics" > "$T/scrape" || fail "scrape failed"; }
# m NAME[{labels}]: a sample of the last scrape (empty when absent)
m() { awk -v n="$1" '$1 == n {print $2}' "$T/scrape"; }
# wait_metric NAME VALUE SECONDS: scrape until the sample equals VALUE
wait_metric() {
    for _ in $(seq $(( $3 * 10 * slow ))); do scrape; [ "$(m "$1")" = "$2" ] && return 0; sleep 0.1; done
    fail "$1 is $(m "$1"), expected $2"
}
# check_histogram: buckets cumulative (non-decreasing), +Inf = _count = batches
check_histogram() {
    /usr/bin/python3 - "$T/scrape" <<'PY' || fail "histogram: $(grep batch_seconds "$T/scrape")"
import sys
s = {}
b = []
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    k, v = line.split()
    if k.startswith("streamml_run_batch_seconds_bucket"):
        b.append((k[k.index('le="') + 4:-2], float(v)))
    s[k] = float(v)
assert b[-1][0] == "+Inf", b
le = [float(x) for x, _ in b[:-1]]
assert le == sorted(le), le
counts = [c for _, c in b]
assert all(x <= y for x, y in zip(counts, counts[1:])), counts
assert counts[-1] == s["streamml_run_batch_seconds_count"] == s["streamml_run_batches_total"] > 0, (counts, s)
assert s["streamml_run_batch_seconds_sum"] > 0
PY
}

# ------------------------------------------------------------------ file source, scoring, hot reload
"$SML" gen loans --rows 6000 --seed 11 -o "$T/loans.csv"
head -2001 "$T/loans.csv" > "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid --store "$T/store" >/dev/null
mkfifo "$T/fifo"
"$SML" run --from "$T/fifo" --model "$T/store" --to "$T/out.csv" --dead-letter "$T/dead.jsonl" --state "$T/state" \
    --checkpoint-interval 100ms --batch-size 500 --batch-interval 20ms --reload-check-interval 50ms \
    --metrics-listen 127.0.0.1:0 2>"$T/run.err" &
pid=$!; PIDS+=("$pid")
exec 3>"$T/fifo"
PORT=$(metrics_port "$T/run.err")
[ "$(curl -sf "http://127.0.0.1:$PORT/healthz")" = ok ] || fail "/healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")" = 404 ] || fail "unknown path is not 404"
head -3001 "$T/loans.csv" >&3
printf 'this,row,has,far,too,many,fields,for,the,loans,schema,a,b,c,d,e,f\n1,2\n1,2,3\n' >&3   # 3 bad rows
wait_metric streamml_run_records_in_total 3003 30
[ "$(m streamml_model_version)" = 1 ] || fail "model version $(m streamml_model_version), expected 1"
[ "$(m streamml_model_swaps_total)" = 0 ] || fail "swaps before a publish"
# a new version in the watched store: swapped in, counted
"$SML" fit "$T/train.csv" --label not.fully.paid --l2 0.01 --store "$T/store" >/dev/null
wait_metric streamml_model_version 2 30
[ "$(m streamml_model_swaps_total)" = 1 ] || fail "swaps $(m streamml_model_swaps_total), expected 1"
tail -n +3002 "$T/loans.csv" >&3
wait_metric streamml_run_records_in_total 6003 30
wait_metric streamml_run_records_out_total 6000 30
out=$(( $(wc -l < "$T/out.csv") - 1 ))
[ "$out" -eq 6000 ] || fail "output has $out rows"
[ "$(m streamml_run_dead_letters_total)" = 3 ] || fail "dead letters $(m streamml_run_dead_letters_total)"
[ "$(m streamml_run_bad_rows_total)" = 3 ] || fail "bad rows $(m streamml_run_bad_rows_total)"
[ "$(wc -l < "$T/dead.jsonl")" -eq 3 ] || fail "dead-letter file"
[ "$(m streamml_run_records_labelled_total)" = 6000 ] || fail "labelled $(m streamml_run_records_labelled_total)"
[ "$(m streamml_run_records_learned_total)" = 0 ] || fail "learned while scoring"
check_histogram
grep -q '^streamml_run_kafka_lag' "$T/scrape" && fail "lag reported for a file source"
age=$(m streamml_run_checkpoint_age_seconds)
[ -n "$age" ] || fail "no checkpoint age with --state"
sleep 0.5; scrape
/usr/bin/python3 -c "import sys; a, b = map(float, sys.argv[1:]); assert b > a or b < 0.5, (a, b)" \
    "$age" "$(m streamml_run_checkpoint_age_seconds)" || fail "checkpoint age does not move"
batches=$(m streamml_run_batches_total)
v2=$(awk -F, 'NR > 1 {print $NF}' "$T/out.csv" | sort -u | tr '\n' ' ')
[ "$v2" = "1 2 " ] || fail "model versions in the output: $v2"
exec 3>&-
wait "$pid" || fail "run ended with an error: $(tail -3 "$T/run.err")"
echo "figure: run metrics (file): 6003 in = 6000 out + 3 dead letters, $batches batches in the histogram, model v1 -> v2"

# ------------------------------------------------------------------ Kafka source, learning, lag
# (the mock keeps only the last few MB of a partition: a bigger backlog loses its head before it is read)
N=8000
"$SML" gen loans --rows $N --seed 12 --format jsonl -o "$T/loans.jsonl"
start_kafka --topics in --partitions 4
kcat -P -b "$BOOT" -t in -l "$T/loans.jsonl" || fail "kcat produce"
expect_count in "$N"
# a slow reader of the output (a FIFO) holds the engine back, so the lag is seen while it shrinks
mkfifo "$T/outfifo"
/usr/bin/python3 -c '
import sys, time
f = open(sys.argv[1], "rb")
while f.read(4096):
    time.sleep(0.02)
' "$T/outfifo" &
PIDS+=($!)
"$SML" run --from "kafka://$BOOT/in?group=g" --label not.fully.paid --learn --to "$T/outfifo" --output-format csv \
    --batch-size 200 --batch-interval 50ms --metrics-listen 127.0.0.1:0 2>"$T/kafka.err" &
pid=$!; PIDS+=("$pid")
PORT=$(metrics_port "$T/kafka.err")
maxlag=0 lag=x
for _ in $(seq $(( 600 * slow ))); do
    scrape
    if grep -q '^streamml_run_kafka_lag{' "$T/scrape"; then
        lag=$(awk '/^streamml_run_kafka_lag\{/ {s += $2} END {print s}' "$T/scrape")
        parts=$(grep -c '^streamml_run_kafka_lag{' "$T/scrape")
        [ "$lag" -gt "$maxlag" ] && maxlag=$lag
        [ "$parts" -eq 4 ] && [ "$lag" -eq 0 ] && [ "$(m streamml_run_records_in_total)" = $N ] && break
    fi
    sleep 0.1
done
[ "$lag" = 0 ] || fail "lag did not reach 0: $(grep '^streamml_run_kafka_lag' "$T/scrape" | tr '\n' ' ')"
[ "$maxlag" -gt 0 ] || fail "no lag was ever seen while the backlog was read"
[ "$(m streamml_run_records_in_total)" = $N ] || fail "records in $(m streamml_run_records_in_total)"
[ "$(m streamml_run_records_out_total)" = $N ] || fail "records out $(m streamml_run_records_out_total)"
[ "$(m streamml_run_records_learned_total)" = $N ] || fail "learned $(m streamml_run_records_learned_total)"
[ "$(m streamml_run_dead_letters_total)" = 0 ] || fail "dead letters $(m streamml_run_dead_letters_total)"
grep -q '^streamml_run_checkpoint_age_seconds' "$T/scrape" && fail "checkpoint age without --state"
check_histogram
# more input: the lag rises again, then returns to 0
head -n $((N / 2)) "$T/loans.jsonl" > "$T/more.jsonl"
kcat -P -b "$BOOT" -t in -l "$T/more.jsonl" || fail "kcat produce"
wait_metric streamml_run_records_in_total $((N + N / 2)) 60
for _ in $(seq $(( 100 * slow ))); do
    scrape; lag=$(awk '/^streamml_run_kafka_lag\{/ {s += $2} END {print s}' "$T/scrape"); [ "$lag" = 0 ] && break; sleep 0.1
done
[ "$lag" = 0 ] || fail "lag after the second backlog: $lag"
kill -TERM "$pid"; wait "$pid" || fail "run did not end cleanly: $(tail -3 "$T/kafka.err")"
echo "figure: run metrics (kafka): $N messages over 4 partitions, peak lag $maxlag -> 0, $N learned"
