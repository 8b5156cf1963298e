#!/usr/bin/env bash
# Issue 4 benchmark: one pass of online learning from scratch (normalized learner) over a 1M-row CSV with 10
# numeric columns of unequal scales and 3 categoricals (5/20/100 levels), squared and logistic loss: rows/s to
# null: and writing the prediction CSV (best of 3), the progressive loss, peak memory; then record-at-a-time
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
best() {  # best of 3 wall times of a run, printed as rows/s; also the progressive loss and peak RSS
    local label=$1; shift
    local bestt=999999 loss="" rss=0
    for _ in 1 2 3; do
        local out
        out=$(/usr/bin/time -f "TIME %e %M" "$sml" run "$@" --log-level info 2>&1 >/dev/null)
        local secs=$(sed -n 's/.*done: [0-9]* records in \([0-9.]*\) s.*/\1/p' <<<"$out")
        loss=$(sed -n 's/.*prequential \(.*\)$/\1/p' <<<"$out")
        rss=$(sed -n 's/^TIME [0-9.]* \([0-9]*\)$/\1/p' <<<"$out")
        bestt=$(awk -v a="$secs" -v b="$bestt" 'BEGIN { print (a < b) ? a : b }')
    done
    awk -v r="$rows" -v s="$bestt" -v l="$label" -v loss="$loss" -v rss="$rss" \
        'BEGIN { printf "%-44s %6.2f M rows/s  (%.3f s, %s, peak %.0f MB)\n", l, r / s / 1e6, s, loss, rss / 1024 }'
}
best "run --learn squared  -> null:" --from "$t/reg.csv" --learn --label y --to null:
best "run --learn squared  -> predictions.csv" --from "$t/reg.csv" --learn --label y --to "$t/p.csv"
best "run --learn logistic -> null:" --from "$t/cls.csv" --learn --label y --to null:
best "run --learn logistic -> predictions.csv" --from "$t/cls.csv" --learn --label y --to "$t/p.csv"
best "run --learn squared, hash_bits 20 -> null:" --from "$t/reg.csv" --learn --label y --to null: --hash-bits 20

# record-at-a-time latency over loopback TCP at 10k records/s for 5 s
head -20001 "$t/reg.csv" > "$t/small.csv"
"$sml" fit "$t/small.csv" --label y -o "$t/m.smlm" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
( "$sml" run --from "tcp-listen://127.0.0.1:$port" --model "$t/m.smlm" --learn --keep ts --batch-size 1 \
    --to - --output-format csv --log-level error 2>/dev/null & echo $! > "$t/pid"; wait ) | python3 -c '
import sys, time
lat = []
for line in sys.stdin:
    now = time.perf_counter()
    f = line.split(",", 1)[0]
    try:
        lat.append(now - float(f))
    except ValueError:
        pass
lat.sort()
if lat:
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1e3
    print(f"run record-at-a-time over loopback TCP at 10k records/s: {len(lat)} records, latency p50 {q(0.5):.3f} ms, p99 {q(0.99):.3f} ms, max {lat[-1]*1e3:.3f} ms")
' &
reader=$!
sleep 0.3
python3 - "$port" "$t/small.csv" <<'PY'
import socket, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
lines = open(path).read().splitlines()
header, rows = lines[0], lines[1:]
rate, secs = 10000, 5
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.05)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(("ts," + header + "\n").encode())
t0 = time.perf_counter()
for i in range(rate * secs):
    target = t0 + i / rate
    while time.perf_counter() < target:
        pass
    s.sendall(f"{time.perf_counter():.9f},{rows[i % len(rows)]}\n".encode())
time.sleep(0.5)
s.close()
PY
kill -TERM "$(cat "$t/pid")" 2>/dev/null || true
wait "$reader" || true
