# Exactly-once into PostgreSQL with two `run` members of one consumer group (a 4-partition topic on a
# `streamml kafka-dev` cluster) writing to one table: each batch's transaction moves the positions row of every
# partition it read, compare-and-set. Member A is killed with SIGKILL while records flow; B takes over A's
# partitions from the offsets committed in PostgreSQL (not the group's Kafka offsets): every record is in the table
# exactly once. Then a stale member: C is frozen (SIGSTOP) past its session timeout, D takes over and commits
# further; C, woken, cannot commit its batch (the partition rows moved on): it stops with "stale member", nothing
# of its batch is committed, and the table still holds every record exactly once.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_kafka.bash"
. "$(dirname "$0")/lib_pg.bash"
start_pg
N=6000
"$SML" gen loans --rows 3000 --seed 7 -o "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null 2>&1 || fail "fit"
"$SML" gen loans --rows "$N" --seed 8 --format jsonl -o "$T/raw.jsonl"
/usr/bin/python3 -c '
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    d = json.loads(l); d = {"id": i, **d}; print(json.dumps(d))' "$T/raw.jsonl" >"$T/in.jsonl"
start_kafka --topics in,in2 --partitions 4
count_ids() { sql "select count(*) || ' ' || count(distinct id) from $1"; }
tcount() { sql "select count(*) from $1" 2>/dev/null || echo 0; }

# member NAME TOPIC TABLE [run options]: one member of group g-TOPIC, log in $T/NAME.err
member() {
    local name=$1 topic=$2 table=$3; shift 3
    "$SML" run --model "$T/m.smlm" --from "kafka://$BOOT/$topic?group=g-$topic" --keep id --batch-size 50 \
        --batch-interval 100ms --set kafka.session.timeout.ms=3000 --set kafka.heartbeat.interval.ms=300 \
        --log-level info --to "$PGURI?table=$table&create=1" "$@" 2>"$T/$name.err" &
    eval "PID_$name=$!"
    PG_PIDS+=("$!")
}
# produce_slowly TOPIC FILE SECONDS: the file in 20 chunks, one every SECONDS (in the background)
produce_slowly() {
    mkdir -p "$T/chunks-$1"
    split -n l/20 -d "$2" "$T/chunks-$1/c."
    ( for f in "$T/chunks-$1"/c.*; do kcat -P -b "$BOOT" -t "$1" "${KCAT_SPREAD[@]}" -l "$f"; sleep "$3"; done ) &
    PRODUCER=$!
    PIDS+=("$PRODUCER")
}

# ---- a member killed (SIGKILL) mid-stream: the other takes over its partitions
member A in t1
member B in t1
wait_split A B
produce_slowly in "$T/in.jsonl" 0.3
for _ in $(seq 100); do [ "$(tcount t1)" -ge $((N / 5)) ] && break; sleep 0.1; done
kill -KILL "$PID_A"
wait "$PID_A" 2>/dev/null || true
at_kill=$(tcount t1)
wait_all B
for _ in $(seq 300); do [ "$(tcount t1)" -ge "$N" ] && break; sleep 0.2; done
sleep 1 # anything beyond N would be a duplicate: give it a moment to show
kill -TERM "$PID_B"
wait "$PID_B" || fail "B did not end cleanly: $(tail -3 "$T/B.err")"
expect_count in "$N"
[ "$(count_ids t1)" = "$N $N" ] || fail "two members, one killed: $(count_ids t1) (rows, distinct ids), expected $N"
grep -q "positions committed in the sink" "$T/B.err" || fail "B did not resume partitions from PostgreSQL"
[ "$(sql "select count(*) from streamml_positions where writer like 't1#in/%'")" = 4 ] ||
    fail "expected one positions row per partition: $(sql "select writer from streamml_positions")"
echo "figure: postgres exactly-once, two members of one group, one SIGKILLed after $at_kill of $N rows:" \
     "every record once"

# ---- a stale member: frozen past its session timeout, its partitions reassigned and committed further
# C's batches stay open 3 s: frozen 1.5 s after its first commit, it holds rows it has not committed (and its
# partitions' rows hold what it committed: the compare-and-set of an update, not of a first insert, refuses it)
member C in2 t2 --batch-size 100000 --batch-interval 3s
member D in2 t2
wait_split C D
produce_slowly in2 "$T/in.jsonl" 0.6
for _ in $(seq 200); do [ "$(sql "select count(*) from streamml_positions where writer like 't2#%'")" = 4 ] && break; sleep 0.1; done
sleep 1.5
kill -STOP "$PID_C"
wait_all D
for _ in $(seq 300); do [ "$(tcount t2)" -ge "$N" ] && break; sleep 0.2; done
kill -CONT "$PID_C"
# C, woken, finishes its open batch (its interval passed, or the revocation of the partitions it lost): the commit
# must be refused, and C stops
for _ in $(seq 100); do kill -0 "$PID_C" 2>/dev/null || break; sleep 0.1; done
kill -TERM "$PID_C" 2>/dev/null && fail "the stale member C did not stop: $(tail -3 "$T/C.err")"
wait "$PID_C" 2>/dev/null && fail "the stale member C ended without an error"
grep -q "stale member: partition in2/[0-9]* was committed by another member since this one read it at [0-9]" "$T/C.err" || fail "C did not report a stale commit: $(tail -3 "$T/C.err")"
kill -TERM "$PID_D"
wait "$PID_D" || fail "D did not end cleanly: $(tail -3 "$T/D.err")"
[ "$(count_ids t2)" = "$N $N" ] || fail "stale member: $(count_ids t2) (rows, distinct ids), expected $N: $(tail -3 "$T/C.err")"
echo "figure: postgres exactly-once, a member frozen past its session timeout and woken after the other committed" \
     "further: its commit refused (\"$(grep -o 'stale member: partition [^ ]*' "$T/C.err" | head -1)\"), every record once"
