# Crash recovery over Kafka: `run --learn --state` reading a topic (produced once, up front) is killed with SIGKILL
# at random moments while it works, at least 10 times, and restarted each time in the same consumer group. Every
# restart seeks to the checkpoint's position (never to the group's committed offset, which is further on: the first
# kill comes a few batches after the first checkpoint and the next run joins the same group), so the
# final weights and prequential metrics are bit-identical to an uninterrupted run's, and the sink topic holds every
# record's prediction at least once (a record re-processed after a kill repeats its identical line); duplicates
# are counted. One partition: the order of records, and so the learned weights, is then the topic's order.
# Under ASan it is skipped (CI budget): its time is restarts and group joins; the checkpoint and Kafka source code
# it drives runs under ASan in 0051, 0110, 0111 and 0113.
[ "${SML_SANITIZED:-0}" = 1 ] && { echo "skip: timing-bound; its code runs under ASan in 0051 and 0110-0113"; exit 77; }
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_kafka.bash"
rows=60000   # CSV messages of ~31 bytes: ~2 MB in the partition, well within the mock's ~5 MB
"$SML" gen feed --rows "$rows" --seed 9 -o "$T/feed.csv"
cols=$(head -1 "$T/feed.csv")
start_kafka --topics in,ref,out --partitions 1
"$SML" replay --data "$T/feed.csv" --to "kafka://$BOOT/in" --log-level warn || fail "replay into the topic"
expect_count in "$rows"
args=(--csv-columns "$cols" --learn --label metadata_numPhotos --learner adagrad --learning-rate 0.1
      --batch-size 200 --checkpoint-records 2000 --checkpoint-interval 1h --trace-weights --keep _offset
      --output-format csv --set kafka.session.timeout.ms=3000 --set kafka.heartbeat.interval.ms=300
      --log-level info)

# start_run GROUP TOPIC METRICS STATE LOG: a run in the background; PID in $pid
start_run() {
    "$SML" run --from "kafka://$BOOT/in?group=$1" --to "kafka://$BOOT/$2" "${args[@]}" --metrics "$3" --state "$4" \
        2>>"$5" &
    pid=$!
    PIDS+=("$pid")
}
# finish METRICS PID LOG: once the metrics' last line counts every record, a clean stop
finish() {
    for _ in $(seq 300); do
        [ -s "$1" ] && [ "$(tail -1 "$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')" -ge "$rows" ] && break
        sleep 0.1
    done
    kill -TERM "$2"; wait "$2" || fail "run did not end cleanly: $(tail -n 3 "$3")"
}

# the uninterrupted reference runs meanwhile, in its own group, into its own topic
start_run ref ref "$T/ref.jsonl" "$T/ref-state" "$T/ref.err"
ref_pid=$pid

# mrecords: records done according to the last whole metrics line (0 before the first)
mrecords() {
    [ -s "$T/m.jsonl" ] || { echo 0; return; }
    tail -n 2 "$T/m.jsonl" | /usr/bin/python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    try: n = json.loads(l)["records"]
    except ValueError: pass   # a line torn by SIGKILL, or being written
print(n)'
}
: > "$T/run.err"
kills=0 mid=0
for attempt in $(seq 1 10); do
    # groups a, a, b, a, b, ...: attempt 2 rejoins the group attempt 1 committed in; later ones alternate, so a
    # group's dead member has left (session timeout) before its next member joins (a join takes ~3 s, not ~5 s)
    group=crash-$( { [ "$attempt" -le 2 ] || [ $((attempt % 2)) = 0 ]; } && echo a || echo b)
    before=$(grep -c 'assigned partition' "$T/run.err" || true)
    start_run "$group" out "$T/m.jsonl" "$T/state" "$T/run.err"
    for _ in $(seq 300); do [ "$(grep -c 'assigned partition' "$T/run.err")" -gt "$before" ] && break; sleep 0.02; done
    if [ "$attempt" = 1 ]; then
        # a few batches after the head read for the schema (1000 records): the group's committed offset is then
        # ahead of the first checkpoint
        for _ in $(seq 1000); do [ "$(wc -l < "$T/m.jsonl" 2>/dev/null || echo 0)" -ge 8 ] && break; sleep 0.005; done
    else
        sleep "0.$(printf %03d $((RANDOM % 250)))"   # a random moment within the next 0.25 s
    fi
    if kill -KILL "$pid" 2>/dev/null; then
        kills=$((kills + 1))
        wait "$pid" 2>/dev/null || true
        n=$(mrecords)
        [ "$n" -lt "$rows" ] && mid=$((mid + 1))
        echo "kill $kills ($group): $n records done" >&2
    fi
    wait "$pid" 2>/dev/null || true
done
[ "$kills" -ge 10 ] || fail "only $kills kills"
start_run crash-b out "$T/m.jsonl" "$T/state" "$T/run.err"
finish "$T/m.jsonl" "$pid" "$T/run.err"
finish "$T/ref.jsonl" "$ref_pid" "$T/ref.err"
grep -q 'positions from the checkpoint' "$T/run.err" || fail "no restart sought the checkpoint's positions"

final() { tail -1 "$1" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([d["records"], d["cumulative"], d["weights"]], sort_keys=True))'; }
[ "$(final "$T/m.jsonl")" = "$(final "$T/ref.jsonl")" ] ||
    fail "resumed run differs: $(final "$T/m.jsonl" | cut -c1-200) vs $(final "$T/ref.jsonl" | cut -c1-200)"
kcat -C -b "$BOOT" -t ref -e -o beginning -q > "$T/ref.csv"
kcat -C -b "$BOOT" -t out -e -o beginning -q > "$T/out.csv"
/usr/bin/python3 - "$T/ref.csv" "$T/out.csv" "$rows" "$kills" "$mid" <<'PY' || fail "sink content"
import sys
from collections import Counter
ref = open(sys.argv[1]).read().splitlines()
out = open(sys.argv[2]).read().splitlines()
rows, kills, mid = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
assert len(ref) == rows and len(set(ref)) == rows, (len(ref), rows)
c = Counter(out)
missing = [l for l in ref if c[l] == 0]
assert not missing, f"{len(missing)} records lost, e.g. {missing[:3]}"
refset = set(ref)
strange = [l for l in c if l not in refset]
assert not strange, f"{len(strange)} predictions differ from the uninterrupted run's, e.g. {strange[:3]}"
print(f"figure: kafka: run --learn --state killed {kills} times with SIGKILL ({mid} while records remained) over "
      f"{rows} records: final weights and metrics bit-identical to an uninterrupted run; sink topic {len(out)} "
      f"messages for {rows} records ({len(out) - rows} duplicates)")
PY
