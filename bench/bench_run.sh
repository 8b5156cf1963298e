#!/usr/bin/env bash
# Issue 4 benchmark: one pass of online learning from scratch (normalized learner) over a 1M-row CSV with 10
# numeric columns of unequal scales and 3 categoricals (5/20/100 levels), squared and logistic loss: rows/s to
# null: and writing the prediction CSV (best of 3 wall and CPU times), the progressive loss, peak memory; then record-at-a-time
# latency over loopback TCP at 10k records/s (p50/p99 from the producer's send time to the prediction line).
# Usage: bench/bench_run.sh BUILD_DIR [ROWS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rows=${2:-1000000}
sml=$build/streamml
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$build/tools/benchdata" "$rows" 1 regression > "$t/reg.csv"
"$build/tools/benchdata" "$rows" 1 classification > "$t/cls.csv"
echo "data: $rows rows, $(($(stat -c %s "$t/reg.csv") / 1000000)) MB (regression), 10 numeric + 3 categorical"
best() {  # best of 3 wall times of a run as rows/s, the best CPU time (user + sys) as rows/s, the progressive
    # loss and peak RSS. The CPU figure is what one core does when nothing else competes for it.
    local label=$1; shift
    local bestt=999999 bestc=999999 loss="" rss=0
    for _ in 1 2 3; do
        local out
        out=$(/usr/bin/time -f "TIME %e %M %U %S" "$sml" run "$@" --log-level info 2>&1 >/dev/null)
        local secs=$(sed -n 's/.*done: [0-9]* records in \([0-9.]*\) s.*/\1/p' <<<"$out")
        local cpu=$(sed -n 's/^TIME [0-9.]* [0-9]* \([0-9.]*\) \([0-9.]*\)$/\1 \2/p' <<<"$out" | awk '{ print $1 + $2 }')
        loss=$(sed -n 's/.*prequential \(.*\)$/\1/p' <<<"$out")
        rss=$(sed -n 's/^TIME [0-9.]* \([0-9]*\) .*$/\1/p' <<<"$out")
        bestt=$(awk -v a="$secs" -v b="$bestt" 'BEGIN { print (a < b) ? a : b }')
        bestc=$(awk -v a="$cpu" -v b="$bestc" 'BEGIN { print (a < b) ? a : b }')
    done
    awk -v r="$rows" -v s="$bestt" -v c="$bestc" -v l="$label" -v loss="$loss" -v rss="$rss" \
        'BEGIN { printf "%-44s %6.2f M rows/s wall, %6.2f M rows/s CPU  (%.3f s, %s, peak %.0f MB)\n", l, r / s / 1e6, r / c / 1e6, s, loss, rss / 1024 }'
}
best "run --learn squared  -> null:" --from "$t/reg.csv" --learn --label y --to null:
best "run --learn squared  -> predictions.csv" --from "$t/reg.csv" --learn --label y --to "$t/p.csv"
best "run --learn logistic -> null:" --from "$t/cls.csv" --learn --label y --to null:
best "run --learn logistic -> predictions.csv" --from "$t/cls.csv" --learn --label y --to "$t/p.csv"
best "run --learn squared, hash_bits 20 -> null:" --from "$t/reg.csv" --learn --label y --to null: --hash-bits 20

# record-at-a-time latency over loopback TCP at 10k records/s for 5 s: tools/tcp_latency sends each row with its
# send time (CLOCK_MONOTONIC ns, paced by absolute-time sleeps, no busy loop) and reads the predictions back
head -20001 "$t/reg.csv" > "$t/small.csv"
"$sml" fit "$t/small.csv" --label y -o "$t/m.smlm" >/dev/null
# Twice: at normal priority (the figure depends on what else runs on the 2 cores), and with the engine and the
# producer at SCHED_FIFO priority (chrt; root or CAP_SYS_NICE), as a latency-sensitive deployment would run it.
latency() {  # latency LABEL [chrt args...]
    local label=$1; shift
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    rm -f "$t/out"; mkfifo "$t/out"
    "$@" "$sml" run --from "tcp-listen://127.0.0.1:$port" --model "$t/m.smlm" --learn --keep ts --batch-size 1 \
        --to - --output-format csv --log-level error > "$t/out" 2>/dev/null &
    local run=$!
    echo -n "run record-at-a-time over loopback TCP at 10k records/s, $label: "
    "$@" "$build/tools/tcp_latency" "$port" "$t/small.csv" 10000 5 < "$t/out" || true
    kill -TERM "$run" 2>/dev/null || true
    wait "$run" 2>/dev/null || true
}
latency "normal priority"
if chrt -f 50 true 2>/dev/null; then
    latency "SCHED_FIFO" chrt -f 50
fi
