# Exactly-once into PostgreSQL: `run` killed with SIGKILL at random moments (10 times per case) and restarted
# until done leaves every input record in the table exactly once: a file source and a Kafka source (a
# `streamml kafka-dev` cluster), scoring. With --learn --state (file, and Kafka with one partition) the learner
# checkpoint and the committed batch agree: the table, final weights and metrics are an uninterrupted run's, bit
# for bit.
# Under ASan it is skipped (CI budget): its time is restarts, group joins and session timeouts, and the code it
# drives (sink_pg.c, the engine's txn_* functions, the Kafka source) runs under ASan in 0072, 0074 and 0110-0113.
[ "${SML_SANITIZED:-0}" = 1 ] && { echo "skip: timing-bound; its code runs under ASan in 0072 and 0074"; exit 77; }
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_kafka.bash"
. "$(dirname "$0")/lib_pg.bash"
start_pg
KILLS=${KILLS:-10}
rows=40000
[ "${SML_SANITIZED:-0}" = 1 ] && rows=10000

# count_ids TABLE: "rows distinct-ids"
count_ids() { sql "select count(*) || ' ' || count(distinct id) from $1"; }
# kill_loop MIN_S SPREAD_S cmd...: starts cmd again and again, each time killed with SIGKILL after
# MIN_S + random * SPREAD_S, until KILLS kills landed on a running process (sets kills); runs $BEFORE_START
# before each start
kill_loop() {
    local min=$1 spread=$2; shift 2
    kills=0
    for _ in $(seq $((KILLS * 4))); do
        [ "$kills" -ge "$KILLS" ] && break
        ${BEFORE_START:-true}
        "$@" 2>>"$T/kill.err" &
        local pid=$!
        sleep "$(/usr/bin/python3 -c "import random; print($min + random.random() * $spread)")"
        kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
        wait "$pid" 2>/dev/null || true
    done
    [ "$kills" -ge "$KILLS" ] || fail "only $kills of $KILLS kills landed before the stream was done"
}

# ---- file source, scoring
"$SML" gen loans --rows 4000 --seed 7 -o "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null 2>&1 || fail "fit"
"$SML" gen loans --rows "$rows" --seed 8 -o "$T/raw.csv"
awk 'NR == 1 { print "id," $0; next } { print NR - 1 "," $0 }' "$T/raw.csv" >"$T/loans.csv"
score=(run --model "$T/m.smlm" --from "$T/loans.csv" --keep id --batch-size 20 --log-level error
       --to "$PGURI?table=scored&create=1")
kill_loop 0.02 0.06 "$SML" "${score[@]}"
"$SML" "${score[@]}" || fail "final run: $(tail -3 "$T/kill.err")"
[ "$(count_ids scored)" = "$rows $rows" ] || fail "file source: $(count_ids scored) (rows, distinct ids), expected $rows"
echo "figure: postgres exactly-once: file source, run killed $kills times with SIGKILL: $rows records, each once"

# ---- file source, learning with --state: bit-identical to an uninterrupted run
"$SML" gen feed --rows "$rows" --seed 9 -o "$T/rawfeed.csv"
awk 'NR == 1 { print "id," $0; next } { print NR - 1 "," $0 }' "$T/rawfeed.csv" >"$T/feed.csv"
learn=(run --from "$T/feed.csv" --keep id --learn --label metadata_numPhotos --learner adagrad --learning-rate 0.1
       --batch-size 200 --trace-weights --log-level error)
"$SML" "${learn[@]}" --to "$PGURI?table=ref&create=1" --state "$T/ref-state" --metrics "$T/ref.jsonl" ||
    fail "uninterrupted learning run"
kill_loop 0.05 0.1 "$SML" "${learn[@]}" --to "$PGURI?table=learned&create=1" --state "$T/state" \
    --metrics "$T/m.jsonl"
"$SML" "${learn[@]}" --to "$PGURI?table=learned&create=1" --state "$T/state" --metrics "$T/m.jsonl" ||
    fail "final learning run: $(tail -3 "$T/kill.err")"
[ "$(count_ids learned)" = "$rows $rows" ] || fail "learning: $(count_ids learned) (rows, distinct ids), expected $rows"
final() { tail -1 "$1" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([d["records"], d["cumulative"], d["weights"]], sort_keys=True))'; }
[ "$(final "$T/m.jsonl")" = "$(final "$T/ref.jsonl")" ] ||
    fail "resumed learner differs: $(final "$T/m.jsonl" | cut -c1-300) vs $(final "$T/ref.jsonl" | cut -c1-300)"
# every record's prediction is the uninterrupted run's (prequential: scored by the learner as it was then)
[ "$(sql "select count(*) from ref r join learned l using (id) where r.prediction = l.prediction")" = "$rows" ] ||
    fail "predictions differ from the uninterrupted run's"
ls "$T/state" | grep -q "pending" && fail "a pending checkpoint was left: $(ls "$T/state")"
echo "figure: postgres exactly-once with --learn --state: killed $kills times with SIGKILL: $rows records each once;" \
     "weights, metrics and every prediction bit-identical to an uninterrupted run"

# ---- Kafka source (4 partitions), scoring
N=$((rows / 2))
start_kafka --topics in --partitions 4
"$SML" gen loans --rows "$N" --seed 10 --format jsonl -o "$T/k.jsonl"
/usr/bin/python3 -c '
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    d = json.loads(l); d = {"id": i, **d}; print(json.dumps(d))' "$T/k.jsonl" >"$T/kin.jsonl"
# the records arrive in chunks, one before each start: every run has new records to work on when it is killed
split -n "l/$KILLS" -d "$T/kin.jsonl" "$T/chunk."
produce_next() {
    local f
    f=$(ls "$T"/chunk.* 2>/dev/null | head -1)
    [ -n "$f" ] || return 0
    kcat -P -b "$BOOT" -t in "${KCAT_SPREAD[@]}" -l "$f" || fail "kcat produce"
    rm -f "$f"
}
kscore=(run --model "$T/m.smlm" --keep id --batch-size 20 --batch-interval 100ms
        --set kafka.session.timeout.ms=3000 --set kafka.heartbeat.interval.ms=500
        --log-level error --to "$PGURI?table=kscored&create=1")
# each run is killed at a random moment shortly after its first commit, while it works through its chunk. Each
# restart joins a new consumer group: where it resumes comes from PostgreSQL's positions per partition, never from
# the group, and a new group does not wait out the killed member's session (the same group is tested in 0074)
# kill_after_progress "COUNTER [ARG]" STEP SPREAD CMD...: starts CMD, waits (polling every STEP s) until COUNTER's
# value grows past what it was, then SIGKILLs CMD after a random 0..SPREAD s; counts the kills that landed in $kills
kill_after_progress() {
    local counter=$1 step=$2 spread=$3 before p
    shift 3
    before=$($counter)
    "$@" 2>>"$T/kill.err" &
    p=$!
    for _ in $(seq 300); do [ "$($counter)" -gt "$before" ] && break; kill -0 "$p" 2>/dev/null || break; sleep "$step"; done
    sleep "$(/usr/bin/python3 -c "import random; print(random.random() * $spread)")"
    kill -KILL "$p" 2>/dev/null && kills=$((kills + 1))
    wait "$p" 2>/dev/null || true
}
kcount() { sql "select count(*) from kscored" 2>/dev/null || echo 0; }
gen=0
kills=0
for _ in $(seq "$KILLS"); do
    produce_next
    gen=$((gen + 1))
    kill_after_progress kcount 0.1 0.2 "$SML" "${kscore[@]}" --from "kafka://$BOOT/in?group=pg$gen"
done
for f in "$T"/chunk.*; do [ -e "$f" ] && produce_next; done
expect_count in "$N"
gen=$((gen + 1))
"$SML" "${kscore[@]}" --from "kafka://$BOOT/in?group=pg$gen" 2>>"$T/kill.err" &
pid=$!
PG_PIDS+=("$pid")
for _ in $(seq 300); do [ "$(kcount)" -ge "$N" ] && break; sleep 0.2; done
sleep 1 # anything beyond N would be a duplicate: give it a moment to show
kill -TERM "$pid"
wait "$pid" || fail "final Kafka run did not end cleanly: $(tail -3 "$T/kill.err")"
[ "$(count_ids kscored)" = "$N $N" ] || fail "Kafka source: $(count_ids kscored) (rows, distinct ids), expected $N"
echo "figure: postgres exactly-once: Kafka source (4 partitions), run killed $kills times with SIGKILL: $N records, each once"

# ---- Kafka source (1 partition: one order of records), learning with --state: bit-identical
# (the mock keeps a few MB per partition: 5000 records)
N=5000
rm -f "$T/boot"
start_kafka --topics lin --partitions 1
head -n "$N" "$T/kin.jsonl" >"$T/lin.jsonl"
split -n "l/$KILLS" -d "$T/lin.jsonl" "$T/lchunk."
produce_lin() {
    local f
    f=$(ls "$T"/lchunk.* 2>/dev/null | head -1)
    [ -n "$f" ] || return 0
    kcat -P -b "$BOOT" -t lin -l "$f" || fail "kcat produce"
    rm -f "$f"
}
klearn=(run --model "$T/m.smlm" --learn --learner adagrad --keep id --batch-size 5 --batch-interval 100ms
        --trace-weights --set kafka.session.timeout.ms=3000 --set kafka.heartbeat.interval.ms=500)
tcount() { sql "select count(*) from $1" 2>/dev/null || echo 0; }
# run_until TABLE args...: runs until the table holds N rows, then stops it (SIGTERM)
run_until() {
    local table=$1; shift
    "$SML" "$@" --log-level error 2>>"$T/kill.err" &
    local pid=$!
    PG_PIDS+=("$pid")
    for _ in $(seq 300); do [ "$(tcount "$table")" -ge "$N" ] && break; sleep 0.2; done
    kill -TERM "$pid"
    wait "$pid" || fail "run into $table did not end cleanly: $(tail -3 "$T/kill.err")"
}
kills=0
for _ in $(seq "$KILLS"); do
    produce_lin
    # killed at a random moment once it committed a first batch of the new chunk (a small chunk is often done by
    # then, and the kill lands while the run waits for more: the file-source kills above land mid-stream)
    gen=$((gen + 1))
    kill_after_progress "tcount klearned" 0.05 0.1 "$SML" "${klearn[@]}" --from "kafka://$BOOT/lin?group=learn$gen" \
        --state "$T/kstate" --metrics "$T/km.jsonl" --to "$PGURI?table=klearned&create=1" --log-level error
done
for f in "$T"/lchunk.*; do [ -e "$f" ] && produce_lin; done
expect_count lin "$N"
run_until kref "${klearn[@]}" --from "kafka://$BOOT/lin?group=ref" --state "$T/kref-state" --metrics "$T/kref.jsonl" \
    --to "$PGURI?table=kref&create=1"
gen=$((gen + 1))
run_until klearned "${klearn[@]}" --from "kafka://$BOOT/lin?group=learn$gen" --state "$T/kstate" --metrics "$T/km.jsonl" \
    --to "$PGURI?table=klearned&create=1"
[ "$(count_ids klearned)" = "$N $N" ] || fail "Kafka learning: $(count_ids klearned) (rows, distinct ids), expected $N"
[ "$(final "$T/km.jsonl")" = "$(final "$T/kref.jsonl")" ] ||
    fail "resumed Kafka learner differs: $(final "$T/km.jsonl" | cut -c1-300) vs $(final "$T/kref.jsonl" | cut -c1-300)"
[ "$(sql "select count(*) from kref r join klearned l using (id) where r.probability = l.probability")" = "$N" ] ||
    fail "Kafka learning: predictions differ from the uninterrupted run's"
echo "figure: postgres exactly-once with --learn --state: Kafka source, killed $kills times with SIGKILL: $N records" \
     "each once; weights, metrics and every prediction bit-identical to an uninterrupted run"
