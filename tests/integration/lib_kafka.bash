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
# topic_count TOPIC: messages in the topic now
topic_count() { kcat -C -b "$BOOT" -t "$1" -e -o beginning -q 2>/dev/null | wc -l; }
# wait_count TOPIC N [SECONDS]: until the topic holds at least N messages
wait_count() {
    local n=0
    for _ in $(seq $(( ${3:-30} * 4 ))); do n=$(topic_count "$1"); [ "$n" -ge "$2" ] && return 0; sleep 0.25; done
    fail "topic $1: $n messages, expected $2"
}
