# TCP sources: a producer that disconnects and reconnects between lines loses nothing; a partial last line of a cut
# connection is dead-lettered, never glued to the next connection's first line; tcp:// reconnects to a server.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 2000 --seed 4 -o "$T/loans.csv"
"$SML" fit "$T/loans.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null
count() { if [ -f "$1" ]; then grep -vc "$2" "$1" || true; else echo 0; fi; }  # lines not matching $2
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$SML" run --from "tcp-listen://127.0.0.1:$port" --model "$T/m.smlm" --to "$T/out.csv" --keep purpose \
    --dead-letter "$T/dead.jsonl" --batch-interval 50ms --log-level warn 2>"$T/run.err" &
pid=$!
/usr/bin/python3 - "$port" "$T/loans.csv" <<'PY' || fail "producer"
import socket, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
lines = open(path).read().splitlines()
header, rows = lines[0], lines[1:]
def connect():
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            time.sleep(0.05)
    raise SystemExit("cannot connect")
# three connections, each with its header, cut between lines
for part in (rows[:700], rows[700:1500], rows[1500:]):
    s = connect()
    s.sendall((header + "\n" + "\n".join(part) + "\n").encode())
    s.close()
# a connection cut in the middle of a line
s = connect()
s.sendall((header + "\n" + rows[0] + "\n" + rows[1][:10]).encode())
s.close()
# and the next connection's first line must stay intact
s = connect()
s.sendall((header + "\n" + rows[2] + "\n").encode())
s.close()
PY
for _ in $(seq 100); do [ "$(count "$T/out.csv" '^purpose,')" -ge 2002 ] && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid" || fail "run did not end cleanly: $(cat "$T/run.err")"
n=$(grep -vc '^purpose,' "$T/out.csv")
[ "$n" -eq 2002 ] || fail "expected 2000 + 2 records scored, got $n"
[ "$(wc -l < "$T/dead.jsonl")" -eq 1 ] || fail "one partial line dead-lettered: $(cat "$T/dead.jsonl")"
grep -q 'partial record' "$T/dead.jsonl" || fail "reason of the dead letter"

# tcp:// connects to a server, and reconnects when the server comes back
/usr/bin/python3 - "$port" "$T/loans.csv" > "$T/server.log" 2>&1 <<'PY' &
import socket, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
lines = open(path).read().splitlines()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(1)
for part in (lines[1:1001], lines[1001:]):
    c, _ = srv.accept()
    c.sendall((lines[0] + "\n" + "\n".join(part) + "\n").encode())
    c.close()
PY
spid=$!
"$SML" run --from "tcp://127.0.0.1:$port" --model "$T/m.smlm" --to "$T/out2.csv" --batch-interval 50ms \
    --log-level error &
pid=$!
for _ in $(seq 100); do [ "$(count "$T/out2.csv" '^not.fully')" -ge 2000 ] && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid" || fail "tcp:// run did not end cleanly"
wait "$spid" || true
[ "$(count "$T/out2.csv" '^not.fully')" -eq 2000 ] || fail "tcp:// lost records across the reconnect"
