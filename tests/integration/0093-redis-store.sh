# The Redis model store against a real redis-server started here on a free loopback port: versions from INCR
# (concurrent fits never collide), current switched in MULTI/EXEC, PUBLISH on each switch that a running stream
# picks up, list/rollback/gc, and refusal of a corrupt version.
. "$(dirname "$0")/lib.bash"
command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/install-deps)"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" > "$T/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
S="redis://127.0.0.1:$port/test"
"$SML" gen loans --rows 3000 --seed 3 -o "$T/l.csv"
expect_exit 0 "$SML" fit "$T/l.csv" --label not.fully.paid --store "$S"
grep -q "published version 1 to $S" "$T/stdout" || fail "publish to redis"
pids=()
for i in 1 2 3; do "$SML" fit "$T/l.csv" --label not.fully.paid --store "$S" >/dev/null & pids+=($!); done
wait "${pids[@]}"
[ "$(redis-cli -p "$port" zcard test:versions)" = 4 ] || fail "4 distinct versions"
[ "$(redis-cli -p "$port" get test:current)" = 4 ] || fail "current 4"
expect_exit 0 "$SML" predict --model "$S" --data "$T/l.csv" -o "$T/p.csv"
[ "$(sed -n 2p "$T/p.csv" | awk -F, '{print $NF}')" = 4 ] || fail "predict names version 4"
expect_exit 0 "$SML" store rollback 2 --store "$S"
[ "$(redis-cli -p "$port" get test:current)" = 2 ] || fail "rollback"
expect_exit 0 "$SML" store gc --keep-versions 0 --store "$S"
[ "$(redis-cli -p "$port" zrange test:versions 0 -1 | tr "\n" " ")" = "1 2 3 4 " ] || fail "gc keeps current (2), newer ones (3, 4) and the rollback target (1)"
expect_exit 0 "$SML" store list --store "$S"
# a running stream swaps on the PUBLISH (the periodic check is set long, so the notification must do it)
mkfifo "$T/fifo"
"$SML" run --from "$T/fifo" --model "$S" --to "$T/out.csv" --batch-size 100 --batch-interval 20ms \
    --reload-check-interval 1h 2>"$T/run.err" &
pid=$!
exec 3>"$T/fifo"
head -501 "$T/l.csv" >&3
sleep 0.5
"$SML" fit "$T/l.csv" --label not.fully.paid --l2 0.01 --store "$S" >/dev/null
sleep 0.5
sed -n 502,1001p "$T/l.csv" >&3
exec 3>&-
wait "$pid" || fail "run"
grep -q 'model swapped: version 2 -> 5' "$T/run.err" || fail "the stream did not swap on the notification: $(cat "$T/run.err")"
[ "$(tail -1 "$T/out.csv" | awk -F, '{print $NF}')" = 5 ] || fail "late records scored by version 5"
# a corrupt version is refused
redis-cli -p "$port" set test:v:5 garbage >/dev/null
expect_exit 2 "$SML" predict --model "$S" --data "$T/l.csv"
grep -q 'not a streamml model file' "$T/stderr" || fail "corrupt version: $(cat "$T/stderr")"
