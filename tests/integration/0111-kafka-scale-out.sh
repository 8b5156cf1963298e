# Scale-out over Kafka: two `run` members of one consumer group split a 4-partition topic. Phase 1 (scoring): one
# member exits cleanly (SIGTERM) while records flow and the other takes over its partitions. Phase 2 (learning, each
# member with its own --state): one member is killed with SIGKILL in the middle of a batch and the survivor takes
# over once the group notices (session timeout). In both phases every input record (its partition and offset, the
# `_partition`/`_offset` passthrough columns) is predicted at least once; duplicates are counted.
# Where duplicates come from: a member commits after every batch, and on revocation it finishes the batch in flight
# and commits again. librdkafka's mock (2.0) refuses that last commit ("Group rebalance in progress"; a real broker
# takes commits while the group prepares a rebalance), so the survivor's own partitions are re-read from its previous
# batch's commit: about one --batch-interval of records per partition. A SIGKILLed member's open batch was never
# committed and is read again by the survivor.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_kafka.bash"
N=6000   # records per phase, replayed at RATE/s while the members run (far below the mock's ~5 MB per partition)
RATE=1500
"$SML" gen loans --rows 3000 --seed 7 -o "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null
"$SML" gen loans --rows $N --seed 8 --format jsonl -o "$T/loans.jsonl"
start_kafka --topics in1,in2 --partitions 4
# small session timeouts: a killed member is noticed within ~3 s (much less and the mock group never settles)
KOPTS=(--set kafka.session.timeout.ms=3000 --set kafka.heartbeat.interval.ms=300 --batch-interval 500ms
       --keep _partition,_offset --log-level info)

# member NAME TOPIC GROUP [run options...]: starts one member, output in $T/NAME.csv, log in $T/NAME.err
member() {
    local name=$1 topic=$2 group=$3; shift 3
    "$SML" run --from "kafka://$BOOT/$topic?group=$group" --model "$T/m.smlm" --to "$T/$name.csv" "${KOPTS[@]}" "$@" \
        2>"$T/$name.err" &
    eval "PID_$name=$!"
    PIDS+=("$!")
}
# check PHASE TOPIC OUTPUTS...: every (partition, offset) of TOPIC is in the outputs; prints the duplicates
check() {
    local phase=$1 topic=$2; shift 2
    kcat -C -b "$BOOT" -t "$topic" -e -o beginning -q -f '%p,%o\n' > "$T/$topic.ids"
    /usr/bin/python3 - "$phase" "$T/$topic.ids" "$@" <<'PY'
import csv, sys
from collections import Counter
phase, ids, outs = sys.argv[1], sys.argv[2], sys.argv[3:]
want = set(tuple(int(v) for v in l.split(",")) for l in open(ids) if l.strip())
seen, per = Counter(), {}
for f in outs:
    try:
        rows = list(csv.DictReader(open(f)))
    except FileNotFoundError:
        rows = []
    # a member killed with SIGKILL may leave a torn last line: only whole rows count
    got = [(int(r["_partition"]), int(r["_offset"])) for r in rows if r.get("model_version")]
    per[f.rsplit("/", 1)[1]] = len(got)
    seen.update(got)
missing = want - set(seen)
assert len(want) > 0
assert not missing, f"{phase}: {len(missing)} of {len(want)} records never predicted, e.g. {sorted(missing)[:5]}"
extra = set(seen) - want
assert not extra, f"{phase}: predictions for records not in the topic: {sorted(extra)[:5]}"
dups = sum(seen.values()) - len(want)
print(f"figure: {phase}: {len(want)} records, every one predicted; {dups} duplicates; per member {per}")
PY
}

# ---- phase 1: scoring; A leaves cleanly in the middle of the stream, B takes over
member A in1 g1
member B in1 g1
wait_split A B
"$SML" replay --data "$T/loans.jsonl" --to "kafka://$BOOT/in1" --rate $RATE --log-level warn 2>"$T/replay1.err" &
rp=$!; PIDS+=("$rp")
sleep 1.5
kill -TERM "$PID_A"; wait "$PID_A" || fail "member A did not exit cleanly: $(tail -n 3 "$T/A.err")"
grep -q 'revoked (closing)' "$T/A.err" || fail "A did not leave the group: $(tail -n 3 "$T/A.err")"
[ "$(tail -n +2 "$T/A.csv" | wc -l)" -gt 0 ] || fail "A predicted nothing before it left"
wait_all B 15
wait "$rp" || fail "replay into in1: $(cat "$T/replay1.err")"
for _ in $(seq 100); do [ "$(cat "$T"/A.csv "$T"/B.csv | grep -vc '^_partition')" -ge $N ] && break; sleep 0.2; done
kill -TERM "$PID_B"; wait "$PID_B" || fail "member B did not exit cleanly: $(tail -n 3 "$T/B.err")"
check "clean exit (SIGTERM)" in1 "$T/A.csv" "$T/B.csv" || fail "phase 1"

# ---- phase 2: learning, each member with its own --state; C is killed with SIGKILL mid-batch, D takes over
member C in2 g2 --learn --state "$T/state-C" --batch-interval 1s --checkpoint-interval 1s
member D in2 g2 --learn --state "$T/state-D" --batch-interval 1s --checkpoint-interval 1s
wait_split C D
"$SML" replay --data "$T/loans.jsonl" --to "kafka://$BOOT/in2" --rate $RATE --log-level warn 2>"$T/replay2.err" &
rp=$!; PIDS+=("$rp")
# a random moment once C has written at least one batch: with 1 s batches and records arriving all the time, a batch
# is always open then
for _ in $(seq 100); do [ "$(tail -n +2 "$T/C.csv" 2>/dev/null | wc -l)" -gt 0 ] && break; sleep 0.1; done
sleep "0.$((RANDOM % 9 + 1))"
# records are still arriving (the replay runs), so C's current 1 s batch holds records it has not committed
kill -0 "$rp" 2>/dev/null || fail "the replay ended before the kill: size the stream longer"
kill -KILL "$PID_C"
wait "$PID_C" 2>/dev/null || true
wait_all D 15
grep -q 'positions from the checkpoint' "$T/D.err" && fail "D must not seek its partitions to a checkpoint it never had"
wait "$rp" || fail "replay into in2: $(cat "$T/replay2.err")"
for _ in $(seq 100); do [ "$(cat "$T"/C.csv "$T"/D.csv | grep -vc '^_partition')" -ge $N ] && break; sleep 0.2; done
sleep 0.5
kill -TERM "$PID_D"; wait "$PID_D" || fail "member D did not exit cleanly: $(tail -n 3 "$T/D.err")"
[ -s "$T/state-C/checkpoint" ] && [ -s "$T/state-D/checkpoint" ] || fail "each learning member checkpoints its own state"
check "SIGKILL mid-batch" in2 "$T/C.csv" "$T/D.csv" || fail "phase 2"
