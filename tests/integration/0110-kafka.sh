# Kafka with kcat as the outside client: kcat produces JSON lines into `in`, `run` scores them into `out` (and
# learns), kcat reads every prediction back: the same values as `streamml predict` on the same records. A failed
# delivery (the sink topic does not exist, auto-creation off) fails the run loudly and commits nothing.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_kafka.bash"
N=2000
"$SML" gen loans --rows 4000 --seed 7 -o "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null
"$SML" gen loans --rows $N --seed 8 --format jsonl -o "$T/loans.jsonl"
"$SML" predict --model "$T/m.smlm" --data "$T/loans.jsonl" -o "$T/ref.jsonl"
start_kafka --topics in,out,learned,ordered,csvkeyed,badkey --partitions 4
kcat -P -b "$BOOT" -t in -l "$T/loans.jsonl" || fail "kcat produce"
expect_count in "$N"

# score_all NAME TOPIC [run options]: a `run` of group NAME reads every record of `in` into TOPIC, then stops
# cleanly (SIGTERM); its log is $T/NAME.err
score_all() {
    local name=$1 topic=$2 pid; shift 2
    "$SML" run --from "kafka://$BOOT/in?group=$name" --model "$T/m.smlm" --to "kafka://$BOOT/$topic" \
        --batch-interval 100ms "$@" 2>"$T/$name.err" &
    pid=$!; PIDS+=("$pid")
    wait_count "$topic" $N 40
    kill -TERM "$pid"; wait "$pid" || fail "$name: run did not end cleanly: $(cat "$T/$name.err")"
}
SMALL_QUEUE=(--set kafka.producer.queue.buffering.max.messages=50 --set kafka.producer.batch.num.messages=20)

# score: every record once, the same predictions as `predict`
score_all score out --keep purpose
kcat -C -b "$BOOT" -t out -e -o beginning -q > "$T/out.jsonl"
[ "$(wc -l < "$T/out.jsonl")" -eq $N ] || fail "expected $N predictions, got $(wc -l < "$T/out.jsonl")"
/usr/bin/python3 - "$T/out.jsonl" "$T/ref.jsonl" <<'PY' || fail "predictions differ from streamml predict"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
ref = [json.loads(l) for l in open(sys.argv[2])]
a = sorted((r["purpose"], repr(r["probability"]), r["prediction"], r["not.fully.paid"]) for r in out)
# predict keeps no purpose unless asked: compare on the values every record has
b = sorted((repr(r["probability"]), r["prediction"], r["not.fully.paid"]) for r in ref)
assert sorted(x[1:] for x in a) == b, "multisets of (probability, prediction, label) differ"
print("figure: kafka round trip: %d predictions equal to streamml predict" % len(out))
PY

# learn: every record scored once and learned from
score_all learn learned --learn --key-column purpose --keep purpose
grep -q "$N learned" "$T/learn.err" || fail "expected $N learned: $(tail -n 2 "$T/learn.err")"
# the key is the purpose column
kcat -C -b "$BOOT" -t learned -e -o beginning -q -c 50 -f '%k %s\n' | /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    k, v = line.split(" ", 1)
    assert json.loads(v)["purpose"] == k, line
' || fail "message keys are not the purpose column"

# order: the sink hands librdkafka a chunk of lines at a time and waits for room in the producer queue first
# (here 50 messages: most chunks wait); with the input partition as the key, each input partition's records come
# out in one output partition, in their input order
score_all order ordered --keep _partition,_offset --key-column _partition "${SMALL_QUEUE[@]}"
kcat -C -b "$BOOT" -t ordered -e -o beginning -q -f '%p %k %s\n' | /usr/bin/python3 -c '
import json, sys
last, n = {}, 0
for line in sys.stdin:
    p, k, v = line.split(" ", 2)
    r = json.loads(v)
    assert str(r["_partition"]) == k, line
    key = (p, r["_partition"])
    assert r["_offset"] > last.get(key, -1), "out of order: %s after offset %d" % (line, last[key])
    last[key] = r["_offset"]
    n += 1
assert n == int(sys.argv[1]), n
print("figure: kafka sink order: %d predictions through a 50-message producer queue, each input partition in order" % n)
' $N || fail "the sink reordered records"

# CSV messages keyed by a column (the sink cuts the key out of each line; keys of a chunk are kept aside until the
# chunk is produced), through the same small queue
score_all csvkey csvkeyed --output-format csv --keep purpose --key-column purpose "${SMALL_QUEUE[@]}"
kcat -C -b "$BOOT" -t csvkeyed -e -o beginning -q -f '%k %s\n' | /usr/bin/python3 -c '
import sys
n = 0
for line in sys.stdin:
    k, v = line.rstrip("\n").split(" ", 1)
    assert k and k in v.split(","), line
    n += 1
assert n == int(sys.argv[1]), n
' $N || fail "CSV message keys are not their purpose field"

# a failed delivery fails the run loudly, and nothing is committed: the next run of the group gets everything.
# The sink's cluster is a second kafka-dev whose brokers are down (SIGUSR1).
SRC_BOOT=$BOOT
"$SML" kafka-dev --bootstrap-file "$T/boot2" >/dev/null 2>"$T/kafka-dev2.err" &
pid2=$!; PIDS+=("$pid2")
for _ in $(seq 100); do [ -s "$T/boot2" ] && break; sleep 0.1; done
kill -USR1 "$pid2"
set +e
timeout 40 "$SML" run --from "kafka://$SRC_BOOT/in?group=fail" --model "$T/m.smlm" --to "kafka://$(cat "$T/boot2")/out" \
    --batch-interval 100ms --set kafka.producer.message.timeout.ms=3000 --set kafka.session.timeout.ms=6000 \
    2>"$T/fail.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "a failed delivery must fail the run (exit 2), got $rc: $(tail -n 3 "$T/fail.err")"
grep -q "not delivered" "$T/fail.err" || fail "the error names the lost messages: $(tail -n 3 "$T/fail.err")"
grep "not delivered" "$T/fail.err" | sed 's/^/figure: failed delivery: /' | head -n 1
"$SML" run --from "kafka://$BOOT/in?group=fail" --model "$T/m.smlm" --to "$T/again.jsonl" --batch-interval 100ms \
    --set kafka.session.timeout.ms=6000 \
    2>"$T/again.err" &
pid=$!; PIDS+=("$pid")
for _ in $(seq 120); do [ -f "$T/again.jsonl" ] && [ "$(wc -l < "$T/again.jsonl")" -ge $N ] && break; sleep 0.25; done
kill -TERM "$pid"; wait "$pid" || fail "run after the failure: $(cat "$T/again.err")"
[ "$(wc -l < "$T/again.jsonl")" -eq $N ] || fail "after a failed delivery the group must read all $N again, got $(wc -l < "$T/again.jsonl"): $(tail -n 5 "$T/again.err")"

# the sink cuts keys on its producer thread: a --key-column that is not an output column still fails the run (its
# error reaches the engine at its next call), and nothing is produced. The producer's librdkafka log lines, served
# on that thread, reach the run's log too
set +e
timeout 40 "$SML" run --from "kafka://$BOOT/in?group=badkey" --model "$T/m.smlm" --to "kafka://$BOOT/badkey" \
    --output-format csv --key-column nosuch --batch-interval 100ms --log-level debug \
    --set kafka.producer.debug=topic 2>"$T/badkey.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "an unknown --key-column must fail the run (exit 2), got $rc: $(tail -n 3 "$T/badkey.err")"
grep -q -- "--key-column nosuch is not an output column" "$T/badkey.err" || fail "the error names the column: $(tail -n 3 "$T/badkey.err")"
expect_count badkey 0
grep -q "kafka://badkey: librdkafka .*\[thrd:main\]" "$T/badkey.err" || fail "no log line of the producer's poll in the run's log"
