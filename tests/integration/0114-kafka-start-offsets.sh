# Where an assigned partition starts when no checkpoint or sink says so: at the group's committed offset, else at
# the log's start (offset=earliest, the default) or end (offset=latest). The source asks for these itself and
# assigns absolute offsets (librdkafka's own path backs the reset off by 100-500 ms); the log names each start.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/lib_kafka.bash"
"$SML" gen loans --rows 2000 --seed 7 -o "$T/train.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null
"$SML" gen loans --rows 600 --seed 8 --format jsonl -o "$T/all.jsonl"
head -n 300 "$T/all.jsonl" > "$T/a.jsonl"
sed -n 301,500p "$T/all.jsonl" > "$T/b.jsonl"
tail -n 100 "$T/all.jsonl" > "$T/c.jsonl"
start_kafka --topics in,out,late --partitions 2
# put FILE: half of its records into partition 0, half into 1
put() {
    local n; n=$(wc -l < "$1")
    head -n $((n / 2)) "$1" | kcat -P -b "$BOOT" -t in -p 0 || fail "kcat produce"
    tail -n +$((n / 2 + 1)) "$1" | kcat -P -b "$BOOT" -t in -p 1 || fail "kcat produce"
}
put "$T/a.jsonl"
expect_count in 300

# member NAME URI-QUERY TOPIC: a run of the group, in the background ($T/NAME.err), until it holds both partitions.
# The mock keeps a member that left its group until its session times out (a real broker lets it go at once):
# a short session lets the same group join again within seconds
member() {
    "$SML" run --from "kafka://$BOOT/in?$2" --model "$T/m.smlm" --to "kafka://$BOOT/$3" --batch-interval 50ms \
        --log-level info --set kafka.session.timeout.ms=6000 2>"$T/$1.err" &
    PID=$!; PIDS+=("$PID")
    wait_assigned "$1"
}
wait_assigned() {
    for _ in $(seq 200); do grep -q 'assigned partitions' "$T/$1.err" && return 0; sleep 0.1; done
    fail "$1 got no assignment: $(tail -n 5 "$T/$1.err")"
}
stop() { kill -TERM "$PID"; wait "$PID" || fail "$1: run did not end cleanly: $(tail -n 3 "$T/$1.err")"; }
# starts NAME: "p@offset p@offset (why)" from NAME's assignment line
starts() { grep -m1 'assigned partitions' "$T/$1.err" | sed -E 's/.*assigned partitions //'; }

# a fresh group starts at the log's start
member first group=g out
[ "$(starts first)" = "0@0, 1@0 (0 at the group's committed offset, 2 at the log's start: no offset committed)" ] ||
    fail "fresh group: $(starts first)"
wait_count out 300 30
stop first

# the same group again, after 200 more records: from its committed offsets, the new records only
put "$T/b.jsonl"
member again group=g out
[ "$(starts again)" = "0@150, 1@150 (2 at the group's committed offset, 0 at the log's start: no offset committed)" ] ||
    fail "resumed group: $(starts again)"
wait_count out 500 30
sleep 0.5
stop again
expect_count out 500

# offset=latest: a fresh group starts at the end; only what is produced after it joined comes out
member late "group=late&offset=latest" late
[ "$(starts late)" = "0@250, 1@250 (0 at the group's committed offset, 2 at the log's end: no offset committed)" ] ||
    fail "offset=latest: $(starts late)"
put "$T/c.jsonl"
wait_count late 100 30
sleep 0.5
stop late
expect_count late 100
echo "figure: start offsets: fresh group at the log's start, resumed at its committed offsets, offset=latest at the end"
