#!/usr/bin/env bash
# Issue 7 benchmark: wrk against `streamml serve` on this machine: single-record POST /predict (requests/s and
# latency percentiles), and 1000-record arrays (records/s). Usage: bench/bench_serve.sh BUILD_DIR [SECONDS]
#
# wrk and the server share the machine's cores, so wrk gets one thread (-t1): a second wrk thread would only take
# CPU from the server. Single records are measured with 16, 32 and 64 keep-alive connections, (a) unpinned: the
# server has one worker per core and the scheduler places wrk, and (b) pinned: the server on CPU 0 with one worker,
# wrk on CPU 1 (taskset), so they never fight for a core (but on a shared machine another process may sit on either
# core). Each line also gives the server's CPU time and requests per server CPU-second, which moves less with the
# noise of other processes than requests/s does.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
secs=${2:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 0; }
sml=$build/streamml
t=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -rf "$t"' EXIT
"$sml" gen loans --rows 5000 --seed 1 -o "$t/l.csv"
"$sml" fit "$t/l.csv" --label not.fully.paid --store "$t/s" >/dev/null
one='{"credit.policy": 1, "purpose": "credit_card", "int.rate": 0.1071, "installment": 228.22, "log.annual.inc": 11.08, "dti": 14.29, "fico": 707, "days.with.cr.line": 2760, "revol.bal": 33623, "revol.util": 76.7, "inq.last.6mths": 0, "delinq.2yrs": 0, "pub.rec": 0}'
python3 -c "
import sys
one = sys.argv[1]
open('$t/one.lua', 'w').write('wrk.method = \"POST\"\nwrk.body = [==[' + one + ']==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n')
open('$t/many.lua', 'w').write('wrk.method = \"POST\"\nwrk.body = [==[[' + ','.join([one] * 1000) + ']]==]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n')
" "$one"

start() { # start CPUS [serve options...]: a server on those CPUs; sets pid and port
    local cpus=$1
    shift
    : >"$t/err"
    taskset -c "$cpus" "$sml" serve --model "$t/s" --listen 127.0.0.1:0 "$@" 2>"$t/err" &
    pid=$!
    for _ in $(seq 100); do grep -q 'port [0-9]' "$t/err" && break; sleep 0.05; done
    port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$t/err")
}
stop() { kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; pid=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
single() { # single LABEL WRK_CPUS CONNECTIONS
    local c0 c1 out rps
    c0=$(cpu_ticks)
    out=$(taskset -c "$2" wrk -t1 -c"$3" -d"${secs}s" --latency -s "$t/one.lua" "http://127.0.0.1:$port/predict")
    c1=$(cpu_ticks)
    rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')
    echo "$out" | awk -v l="$1" -v c="$3" -v rps="$rps" -v cpu="$(( c1 - c0 ))" -v hz="$(getconf CLK_TCK)" -v s="$secs" '
        /^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 } /Non-2xx|Socket errors/ { err = err " " $0 }
        END { printf "%-8s -t1 -c%-3s %8.0f requests/s  p50 %-8s p90 %-8s p99 %-8s server CPU %.1f s (%.0f requests per CPU-s)%s\n",
                     l, c, rps, p50, p90, p99, cpu / hz, rps * s / (cpu / hz), err }'
}

echo "== single records, wrk -t1 -d${secs}s --latency"
start 0,1
for c in 16 32 64; do single unpinned 0,1 "$c"; done
stop
start 0 --threads 1
for c in 16 32 64; do single pinned 1 "$c"; done
stop

start 0,1
echo "== 1000-record arrays: wrk -t1 -c8 -d${secs}s"
out=$(wrk -t1 -c8 -d"${secs}s" --latency -s "$t/many.lua" "http://127.0.0.1:$port/predict")
echo "$out" | grep -E 'Requests/sec|99%|Non-2xx'
rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')
awk -v r="$rps" 'BEGIN { printf "records scored through the array endpoint: %.0f records/s\n", r * 1000 }'
stop
