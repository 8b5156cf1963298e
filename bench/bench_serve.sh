#!/usr/bin/env bash
# Issue 7 benchmark: wrk against `streamml serve` on this machine: single-record POST /predict (requests/s and
# latency percentiles), and 1000-record arrays (records/s). Usage: bench/bench_serve.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
secs=${2:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 0; }
sml=$build/streamml
t=$(mktemp -d)
"$sml" gen loans --rows 5000 --seed 1 -o "$t/l.csv"
"$sml" fit "$t/l.csv" --label not.fully.paid --store "$t/s" >/dev/null
"$sml" serve --model "$t/s" --listen 127.0.0.1:0 2>"$t/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$t"' EXIT
for _ in $(seq 100); do grep -q 'port [0-9]' "$t/err" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$t/err")
one='{"credit.policy": 1, "purpose": "credit_card", "int.rate": 0.1071, "installment": 228.22, "log.annual.inc": 11.08, "dti": 14.29, "fico": 707, "days.with.cr.line": 2760, "revol.bal": 33623, "revol.util": 76.7, "inq.last.6mths": 0, "delinq.2yrs": 0, "pub.rec": 0}'
python3 -c "
import sys
one = sys.argv[1]
open('$t/one.lua', 'w').write('wrk.method = \"POST\"\nwrk.body = [==[' + one + ']==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n')
open('$t/many.lua', 'w').write('wrk.method = \"POST\"\nwrk.body = [==[[' + ','.join([one] * 1000) + ']]==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n')
" "$one"
echo "== single records: wrk -t2 -c64 -d${secs}s --latency"
wrk -t2 -c64 -d"${secs}s" --latency -s "$t/one.lua" "http://127.0.0.1:$port/predict" | grep -E 'Requests/sec|Latency|50%|90%|99%|Non-2xx'
echo "== 1000-record arrays: wrk -t2 -c8 -d${secs}s"
out=$(wrk -t2 -c8 -d"${secs}s" --latency -s "$t/many.lua" "http://127.0.0.1:$port/predict")
echo "$out" | grep -E 'Requests/sec|99%|Non-2xx'
rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')
awk -v r="$rps" 'BEGIN { printf "records scored through the array endpoint: %.0f records/s\n", r * 1000 }'
