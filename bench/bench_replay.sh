#!/usr/bin/env bash
# Issue 5 benchmark: `streamml replay --rate` accuracy as a consumer sees it. The replay serves loans records at
# RATE records/s (default 100000) for SECONDS (default 10) on a tcp-listen:// port; a local reader counts the lines
# of every chunk it receives and stamps its arrival (monotonic clock). Reported: the achieved rate (records over
# the time from the first to the last arrival; target within 2 %), the largest gap between arrivals, the fewest
# and most records in any 10 ms window (smoothness: an even stream has RATE/100 in each), and the replay's own
# final line (rate, largest gap between sends, how late the latest send was).
# Usage: bench/bench_replay.sh BUILD_DIR [RATE] [SECONDS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rate=${2:-100000}
secs=${3:-10}
sml=$build/streamml
t=$(mktemp -d)
rpid=
trap '[ -n "$rpid" ] && kill "$rpid" 2>/dev/null; rm -rf "$t"' EXIT
"$sml" gen loans --rows 200000 --seed 1 -o "$t/loans.csv"
total=$(awk -v r="$rate" -v s="$secs" 'BEGIN { printf "%d", r * s }')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$sml" replay --data "$t/loans.csv" --to "tcp-listen://127.0.0.1:$port" --rate "$rate" --loop --limit "$total" \
    --wait-clients 1 --progress never 2> "$t/replay.err" &
rpid=$!
python3 - "$port" "$rate" "$total" <<'PY'
import socket, sys, time
port, rate, total = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
for _ in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.02)
buf = bytearray(1 << 20)
arrivals = []  # (time, records completed in this chunk)
lines = 0
while True:
    n = s.recv_into(buf)
    if n == 0:
        break
    now = time.monotonic()
    k = buf.count(b"\n", 0, n)
    if k:
        arrivals.append((now, k))
        lines += k
recs = lines - 1  # the header
t0, t1 = arrivals[0][0], arrivals[-1][0]
# the first chunk holds the header (and maybe the first record): count records after the first arrival
achieved = (recs - (arrivals[0][1] - 1)) / (t1 - t0)
gap = max(b[0] - a[0] for a, b in zip(arrivals, arrivals[1:]))
win = {}
for tt, k in arrivals:
    w = int((tt - t0) / 0.01)
    win[w] = win.get(w, 0) + k
full = [win.get(w, 0) for w in range(1, int((t1 - t0) / 0.01))]
print("consumer: %d records in %.3f s: %.1f records/s (asked %.0f: %+.3f %%)" %
      (recs, t1 - t0, achieved, rate, (achieved / rate - 1) * 100))
print("consumer: largest gap between arrivals %.2f ms; records per 10 ms window: min %d, max %d (even: %.0f)" %
      (gap * 1e3, min(full), max(full), rate / 100))
if recs != total:
    print("consumer: MISSING %d records" % (total - recs))
print("within 2 %%: %s" % ("yes" if abs(achieved / rate - 1) <= 0.02 else "NO"))
PY
wait "$rpid"
rpid=
sed -n 's/^streamml replay: \([0-9]* records in.*\)/replay:   \1/p' "$t/replay.err"
