# streamml replay: records leave as their original bytes (files, gzip, quoted newlines, JSONL), --limit, --loop,
# smooth --rate pacing measured by a TCP client, event-time pacing (--time-column --speedup), tcp-listen:// with
# several clients (each gets every record from when it connects, header first; a client that leaves does not
# stop the replay), tcp:// reconnecting, and end to end into `streamml run`.
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
"$SML" gen loans --rows 3000 --seed 8 -o "$T/loans.csv"
rows=3000
freeport() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# client PORT OUT [SECONDS_BEFORE_CONNECT] [SECONDS_CONNECTED]: reads lines, writes "arrival_time<TAB>line"
cat > "$T/client.py" <<'PY'
import socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0
stay = float(sys.argv[4]) if len(sys.argv) > 4 else 1e9
time.sleep(delay)
for _ in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.02)
else:
    raise SystemExit("cannot connect")
s.settimeout(0.05)
buf, lines, start = b"", [], time.monotonic()
while time.monotonic() - start < stay:
    try:
        b = s.recv(1 << 16)
    except socket.timeout:
        continue
    if not b:
        break
    now = time.monotonic()
    buf += b
    *done, buf = buf.split(b"\n")
    lines += [(now, l) for l in done]
s.close()
with open(out, "w") as f:
    for t, l in lines:
        f.write("%.6f\t%s\n" % (t, l.decode()))
PY

# ---- files: the same bytes, in order; gzip and zstd input; --limit; --loop
"$SML" replay --data "$T/loans.csv" --to "$T/out.csv" --log-level warn
cmp "$T/loans.csv" "$T/out.csv" || fail "replay to a file changed the records"
gzip -c "$T/loans.csv" > "$T/loans.csv.gz"
"$SML" replay "$T/loans.csv.gz" --to - --log-level warn > "$T/out.gz.csv"
cmp "$T/loans.csv" "$T/out.gz.csv" || fail "gzip input"
"$SML" replay --data "$T/loans.csv" --to "$T/lim.csv" --limit 1234 --log-level warn
head -n 1235 "$T/loans.csv" | cmp - "$T/lim.csv" || fail "--limit 1234"
"$SML" replay --data "$T/loans.csv" --to "$T/loop.csv" --loop --limit $((2 * rows)) --log-level warn
{ cat "$T/loans.csv"; tail -n +2 "$T/loans.csv"; } | cmp - "$T/loop.csv" || fail "--loop: twice the records"
# quoted newlines, CR line ends, a last record without a terminator; a bad record is skipped
printf 'id,text\r1,"two\rlines"\r2,plain\r3,"a ""quote"""\r4,x,extra\r5,last' > "$T/odd.csv"
"$SML" replay --data "$T/odd.csv" --to "$T/odd.out" --log-level error
printf 'id,text\r1,"two\rlines"\r2,plain\r3,"a ""quote"""\r5,last\n' | cmp - "$T/odd.out" || fail "CSV quoting kept"
"$SML" gen loans --rows 500 --seed 2 --format jsonl -o "$T/loans.jsonl"
"$SML" replay --data "$T/loans.jsonl" --to "$T/out.jsonl" --log-level warn
cmp "$T/loans.jsonl" "$T/out.jsonl" || fail "JSONL"

# Timing checks measure what a client sees, on a machine that may be busy with other work: a check that fails
# is tried again (up to 3 times) before it counts, so that one scheduling hiccup of the test machine is not
# taken for uneven pacing.
retry3() { "$@" || "$@" || "$@"; }

# ---- --rate: the achieved rate within 5 %, smooth (no 100 ms gap), seen by a TCP client
rate_check() {
port=$(freeport)
"$SML" replay --data "$T/loans.csv" --to "tcp-listen://127.0.0.1:$port" --rate 2000 --limit 2000 --wait-clients 1 \
    2> "$T/rate.err" &
rpid=$!
$PY "$T/client.py" "$port" "$T/rate.txt"
wait "$rpid" || fail "replay --rate: $(cat "$T/rate.err")"
$PY - "$T/rate.txt" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1])]
assert rows[0][1].startswith("credit.policy,"), "header first"
t = [float(a) for a, _ in rows[1:]]
assert len(t) == 2000, len(t)
rate = (len(t) - 1) / (t[-1] - t[0])
gap = max(b - a for a, b in zip(t, t[1:]))
print("figure: replay --rate 2000 seen by a TCP client: %.1f records/s, largest gap %.1f ms" % (rate, gap * 1e3))
assert abs(rate / 2000 - 1) < 0.05, rate
assert gap < 0.1, gap
PY
}
retry3 rate_check || fail "--rate 2000"
grep -q 'records/s (asked 2000)' "$T/rate.err" || fail "the final line gives the achieved rate"

# ---- --time-column --speedup: relative spacing kept (ms epoch numbers, and ISO-8601 text)
printf 'ts,v\n1700000000000,a\n1700000000100,b\n1700000000100,c\n1700000000400,d\n1700000001000,e\n' > "$T/ev.csv"
printf 'ts,v\n2024-03-01T10:00:00Z,a\n2024-03-01T10:00:00.2Z,b\n2024-03-01 10:00:00.200,c\n2024-03-01T11:00:00.8+01:00,d\n2024-03-01T10:00:02Z,e\n' > "$T/ev_iso.csv"
time_check() {
    local f=$1 port
    port=$(freeport)
    "$SML" replay --data "$T/$f.csv" --to "tcp-listen://127.0.0.1:$port" --time-column ts --speedup 2 \
        --wait-clients 1 --log-level warn &
    rpid=$!
    $PY "$T/client.py" "$port" "$T/$f.txt"
    wait "$rpid" || fail "replay --time-column ($f)"
    $PY - "$T/$f.txt" "$f" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[1])][1:]
t = [float(a) for a, _ in rows]
want = {"ev": [0, 0.05, 0.05, 0.2, 0.5], "ev_iso": [0, 0.1, 0.1, 0.4, 1.0]}[sys.argv[2]]
got = [x - t[0] for x in t]
assert [r[1][-1] for r in rows] == list("abcde"), rows
assert all(abs(g - w) < 0.03 for g, w in zip(got, want)), (got, want)
PY
}
retry3 time_check ev || fail "--time-column with epoch milliseconds"
retry3 time_check ev_iso || fail "--time-column with ISO-8601 times"
# --loop keeps event time increasing: pass 2 starts one mean gap (1000/4 ms, /2) after pass 1's end
loop_check() {
port=$(freeport)
"$SML" replay --data "$T/ev.csv" --to "tcp-listen://127.0.0.1:$port" --time-column ts --speedup 2 --loop --limit 7 \
    --wait-clients 1 --log-level warn &
rpid=$!
$PY "$T/client.py" "$port" "$T/evloop.txt"
wait "$rpid" || fail "replay --time-column --loop"
$PY - "$T/evloop.txt" <<'PY'
import sys
t = [float(l.split("\t")[0]) for l in open(sys.argv[1])][1:]
got = [x - t[0] for x in t]
want = [0, 0.05, 0.05, 0.2, 0.5, 0.625, 0.675]
assert len(t) == 7 and all(abs(g - w) < 0.03 for g, w in zip(got, want)), got
PY
}
retry3 loop_check || fail "--time-column --loop"

# ---- tcp-listen://: every client gets every record sent after it connected, header first; one that leaves
# early does not stop the replay
port=$(freeport)
"$SML" replay --data "$T/loans.csv" --to "tcp-listen://127.0.0.1:$port" --rate 1500 --limit 3000 --wait-clients 1 \
    2> "$T/listen.err" &
rpid=$!
$PY "$T/client.py" "$port" "$T/a.txt" & apid=$!
$PY "$T/client.py" "$port" "$T/b.txt" 0.8 & bpid=$!
$PY "$T/client.py" "$port" "$T/c.txt" 0.3 0.3 & cpid=$!
wait "$apid" "$bpid" "$cpid" || fail "clients"
wait "$rpid" || fail "replay to tcp-listen: $(cat "$T/listen.err")"
$PY - "$T/loans.csv" "$T/a.txt" "$T/b.txt" "$T/c.txt" <<'PY' || fail "tcp-listen broadcast"
import sys
lines = open(sys.argv[1]).read().split("\n")[:-1]
header, recs = lines[0], lines[1:]
def got(p): return [l.rstrip("\n").split("\t", 1)[1] for l in open(p)]
a, b, c = got(sys.argv[2]), got(sys.argv[3]), got(sys.argv[4])
assert a == [header] + recs, "first client: every record"
assert b[0] == header and 500 < len(b) - 1 < 2500, len(b)
assert b[1:] == recs[len(recs) - (len(b) - 1):], "late client: every record from when it connected"
assert c[0] == header and c[1:] == recs[recs.index(c[1]):recs.index(c[1]) + len(c) - 1], "leaving client"
PY

# ---- tcp://: connects, and reconnects when the peer goes away (header first on each connection)
port=$(freeport)
$PY - "$port" "$T/srv" > "$T/srv.log" 2>&1 <<'PY' &
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1)
for k in (1, 2):
    c, _ = srv.accept()
    data = b""
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        data += b
        if k == 1 and data.count(b"\n") > 600:
            break
    c.close()
    open("%s%d" % (out, k), "wb").write(data)
PY
spid=$!
sleep 0.3  # the replay may also start first: it retries
"$SML" replay --data "$T/loans.csv" --to "tcp://127.0.0.1:$port" --rate 2000 --limit 2000 2> "$T/tcp.err" \
    || fail "replay to tcp://: $(cat "$T/tcp.err")"
wait "$spid" || fail "tcp server: $(cat "$T/srv.log")"
$PY - "$T/loans.csv" "$T/srv1" "$T/srv2" <<'PY' || fail "tcp:// reconnect"
import sys
lines = open(sys.argv[1]).read().split("\n")[:-1]
header, recs = lines[0], lines[1:2001]
one = open(sys.argv[2]).read().split("\n")
two = open(sys.argv[3]).read().split("\n")
assert one[0] == header and two[0] == header, "header first on each connection"
assert two[-1] == "" and two[-2] == recs[-1], "the second connection gets the records to the end"
two = two[1:-1]
assert two == recs[recs.index(two[0]):], "whole records, in order, after the reconnection"
print("figure: tcp:// reconnect: %d records after reconnecting" % len(two))
PY
grep -q 'reconnecting' "$T/tcp.err" || fail "the reconnection is logged"

# ---- end to end: replay into the engine over TCP; every record is scored
"$SML" fit "$T/loans.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null
port=$(freeport)
"$SML" replay --data "$T/loans.csv" --to "tcp-listen://127.0.0.1:$port" --rate 20000 --wait-clients 1 \
    2> "$T/e2e-replay.err" &
rpid=$!
"$SML" run --from "tcp://127.0.0.1:$port" --model "$T/m.smlm" --to "$T/scored.csv" --batch-interval 50ms \
    --log-level error &
runpid=$!
wait "$rpid" || fail "replay into run: $(cat "$T/e2e-replay.err")"
n=0
for _ in $(seq 100); do
    n=$( [ -f "$T/scored.csv" ] && grep -vc '^not.fully.paid' "$T/scored.csv" || echo 0)
    [ "$n" -ge "$rows" ] && break
    sleep 0.1
done
kill -TERM "$runpid"; wait "$runpid" || fail "run did not end cleanly"
n=$(grep -vc '^not.fully.paid' "$T/scored.csv")
[ "$n" -eq "$rows" ] || fail "run scored $n of $rows records replayed at 20000/s"

# ---- usage errors
expect_exit 1 "$SML" replay --data "$T/loans.csv" --rate 10 --time-column ts
expect_exit 1 "$SML" replay --data "$T/loans.csv" --speedup 2
expect_exit 1 "$SML" replay --data - --loop
expect_exit 2 "$SML" replay --data "$T/missing.csv"
