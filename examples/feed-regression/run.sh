#!/usr/bin/env bash
# Seed 000 end to end: replay a feed dataset as a live TCP stream, fit a base model in batch on the first part,
# keep learning online with L2 regularisation toward that base (what seed 000 asked for and Spark's SimpleUpdater
# could not do), print the weights per batch, and draw report.svg.
# OUT=DIR keeps the files; ROWS=N sets the stream length; SML=path/to/streamml picks the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sml=${SML:-$root/build/streamml}
out=${OUT:-$(mktemp -d)}
rows=${ROWS:-100000}
mkdir -p "$out"
"$sml" gen feed --rows "$rows" --seed 3 --drift-at $((rows / 2)) --truth "$out/truth.json" -o "$out/feed.csv"
head -$((rows / 5 + 1)) "$out/feed.csv" > "$out/base-train.csv"
echo "== base model from the first $((rows / 5)) rows"
"$sml" fit "$out/base-train.csv" --label metadata_numPhotos --store "$out/store" | tail -1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "== streaming the rest over tcp://127.0.0.1:$port into run --learn --l2-to-base"
"$sml" run --from "tcp-listen://127.0.0.1:$port" --model "$out/store" --learn --l2-to-base 0.01 \
    --batch-size 5000 --batch-interval 1s --to "$out/predictions.csv" --metrics "$out/online.jsonl" --run-name l2-to-base \
    --trace-weights --log-level warn &
pid=$!
sleep 0.3
{ head -1 "$out/feed.csv"; tail -n +$((rows / 5 + 2)) "$out/feed.csv"; } > "$out/stream.csv"
python3 - "$port" "$out/stream.csv" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); break
    except OSError:
        time.sleep(0.05)
s.sendall(open(sys.argv[2], "rb").read()); s.close()
PY
n=$(($(wc -l < "$out/stream.csv") - 1))
for _ in $(seq 200); do [ "$(($(wc -l < "$out/predictions.csv" 2>/dev/null || echo 1) - 1))" -ge "$n" ] && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid"
echo "== weights per batch (first features)"
python3 "$root/examples/feed-regression/show_weights.py" "$out/online.jsonl"
"$sml" report "$out/online.jsonl" -o "$out/report.svg" --title "feed: online learning with L2 toward the base"
echo "report: $out/report.svg"
