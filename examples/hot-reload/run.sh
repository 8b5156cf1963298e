#!/usr/bin/env bash
# Seed 003 end to end, without cron and without pickle: a producer feeds loans over TCP, `fit --every` refits on
# the newest rows every couple of seconds and publishes through the promotion gate, and `run` swaps each new
# version in between batches: the model_version column of the predictions changes while the stream runs.
# OUT=DIR keeps the files; SECONDS_TO_RUN=N (default 8); SML=path/to/streamml.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sml=${SML:-$root/build/streamml}
out=${OUT:-$(mktemp -d)}
secs=${SECONDS_TO_RUN:-8}
mkdir -p "$out"
"$sml" gen loans --rows 200000 --seed 21 --drift-at 100000 -o "$out/all.csv"
"$sml" gen loans --rows 5000 --seed 22 -o "$out/validation.csv"
head -5001 "$out/all.csv" > "$out/history.csv"            # what the refitter has seen so far
"$sml" fit "$out/history.csv" --label not.fully.paid --store "$out/store" >/dev/null
"$sml" fit "$out/history.csv" --label not.fully.paid --store "$out/store" --every 2s --window-rows 20000 \
    --gate --gate-data "$out/validation.csv" --gate-tolerance 0.02 > "$out/refit.log" 2>&1 &
refit=$!
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$sml" run --from "tcp-listen://127.0.0.1:$port" --model "$out/store" --keep purpose,fico --batch-size 500 \
    --batch-interval 100ms --to "$out/predictions.csv" 2> "$out/run.log" &
run=$!
sleep 0.3
python3 - "$port" "$out/all.csv" "$out/history.csv" "$secs" <<'PY'
# the producer: 1000 loans/s over TCP; every record also lands in the history the refitter reads
import socket, sys, time
port, path, hist, secs = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
lines = open(path).read().splitlines()
s = socket.create_connection(("127.0.0.1", port))
s.sendall((lines[0] + "\n").encode())
h = open(hist, "a")
t0, i = time.time(), 5001
while time.time() - t0 < secs:
    chunk = lines[i:i + 100]; i += 100
    s.sendall(("\n".join(chunk) + "\n").encode())
    h.write("\n".join(chunk) + "\n"); h.flush()
    time.sleep(0.1)
s.close()
PY
sleep 0.5
kill -TERM "$run" "$refit"; wait "$run" "$refit" || true
echo "== swaps seen by the stream"
grep 'model swapped' "$out/run.log" || true
echo "== predictions per model version (the scores shift at each swap)"
python3 - "$out/predictions.csv" <<'PY'
import csv, sys, collections
c, s = collections.Counter(), collections.Counter()
for r in csv.DictReader(open(sys.argv[1])):
    c[r["model_version"]] += 1; s[r["model_version"]] += float(r["probability"])
for v in sorted(c, key=int):
    print(f"version {v}: {c[v]} predictions, mean probability of default {s[v] / c[v]:.4f}")
PY
echo "refit log: $out/refit.log"
