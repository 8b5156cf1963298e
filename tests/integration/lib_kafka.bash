# Kafka helpers for integration tests (sourced after lib.bash): a `streamml kafka-dev` mock cluster and kcat.
command -v kcat >/dev/null || { echo "kcat is not installed (scripts/install-deps)"; exit 77; }
# start_kafka [kafka-dev options]: sets BOOT and KAFKA_PID; the cluster is stopped (by PID) at exit.
PIDS=()
cleanup_kafka() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup_kafka EXIT
start_kafka() {
    "$SML" kafka-dev --bootstrap-file "$T/boot" "$@" >/dev/null 2>"$T/kafka-dev.err" &
    KAFKA_PID=$!
    PIDS+=("$KAFKA_PID")
    for _ in $(seq 100); do [ -s "$T/boot" ] && break; sleep 0.1; done
    [ -s "$T/boot" ] || fail "kafka-dev did not start: $(cat "$T/kafka-dev.err")"
    BOOT=$(cat "$T/boot")
}
# kcat producer options for volumes of more than a few MB: keyless messages spread evenly over the partitions
# (no sticky partitioner). With sticky batches one partition could get most of a topic and pass the mock's ~5 MB
# per partition, which drops that partition's head (0073 once found 16093 of 20000 records in its input topic)
KCAT_SPREAD=(-X sticky.partitioning.linger.ms=0)
# topic_count TOPIC: messages in the topic now
topic_count() { kcat -C -b "$BOOT" -t "$1" -e -o beginning -q 2>/dev/null | wc -l; }
# expect_count TOPIC N: the topic holds exactly N messages (read again a few times: a loaded mock can end one read
# of a partition early)
expect_count() {
    local n=0
    for _ in 1 2 3 4 5; do n=$(topic_count "$1"); [ "$n" -eq "$2" ] && return 0; sleep 0.5; done
    fail "topic $1 holds $n messages, expected $2"
}
# wait_count TOPIC N [SECONDS]: until the topic holds at least N messages
wait_count() {
    local n=0
    for _ in $(seq $(( ${3:-30} * 4 ))); do n=$(topic_count "$1"); [ "$n" -ge "$2" ] && return 0; sleep 0.25; done
    fail "topic $1: $n messages, expected $2"
}

# Consumer-group members' logs (NAME's stderr in $T/NAME.err, `run --log-level info`):
# parts NAME: the partitions of NAME's latest assignment ("" when its latest event is a revocation)
parts() {
    grep -E 'assigned partition|revoked' "$T/$1.err" 2>/dev/null | tail -n 1 | grep 'assigned' |
        sed -E 's/.*assigned partitions? ([0-9, @]+).*/\1/; s/@[0-9]+//g; s/,//g' || true
}
# wait_all NAME [SECONDS]: until NAME holds all four partitions
wait_all() {
    for _ in $(seq $(( ${2:-20} * 10 ))); do [ "$(parts "$1" | wc -w)" -eq 4 ] && return 0; sleep 0.1; done
    fail "$1 did not take over every partition: [$(parts "$1")]: $(tail -n 5 "$T/$1.err")"
}
# wait_split A B: until both hold partitions, disjoint, together all four
wait_split() {
    for _ in $(seq 150); do
        local a b
        a=$(parts "$1"); b=$(parts "$2")
        if [ -n "$a" ] && [ -n "$b" ] && [ "$(echo $a $b | tr ' ' '\n' | sort -u | wc -l)" -eq 4 ] &&
           [ "$(echo $a $b | wc -w)" -eq 4 ]; then
            echo "figure: scale-out: $1 holds partitions [$a], $2 holds [$b]"
            return 0
        fi
        sleep 0.1
    done
    fail "the group did not split the partitions: $1 [$(parts "$1")], $2 [$(parts "$2")]: $(tail -n 3 "$T/$1.err" "$T/$2.err")"
}
