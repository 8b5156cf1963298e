# Hot reload under load: `replay --rate 50000` pipes 400k records (1M under ASan) into `run --model STORE` while 20 versions are
# published with `fit` (alternating a model trained on the labels and one trained on the flipped labels, so the two
# kinds of version rank the records in opposite orders) and a corrupt version is made current half-way. Every input
# record is output exactly once and in order, model_version never goes backwards, every good version published while
# records flowed (here: all 21, the starting one and the 20 new ones) scored records, the corrupt one none, and the
# scores of each version carry its own model's sign. Done with a directory store and with a Redis store (a real
# redis-server started here on a free port).
. "$(dirname "$0")/lib.bash"
command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/install-deps)"
rows=400000
[ "${SML_SANITIZED:-0}" = 1 ] && rows=1000000   # slower fits under ASan: a longer stream
"$SML" gen loans --rows "$rows" --seed 44 -o "$T/raw.csv"
awk -F, 'NR == 1 { print "id," $0; next } { print NR - 2 "," $0 }' "$T/raw.csv" > "$T/all.csv"
head -3001 "$T/all.csv" > "$T/train.csv"
awk -F, 'BEGIN { OFS = "," } NR > 1 { $NF = 1 - $NF } { print }' "$T/train.csv" > "$T/flipped.csv"
fit() { "$SML" fit "$1" --label not.fully.paid --ignore id --store "$2" >/dev/null; }

# reload_under_load STORE CORRUPT_CMD: streams, publishes, checks; CORRUPT_CMD makes a corrupt version current and
# prints its number
reload_under_load() {
    local S=$1 corrupt=$2 name=$3
    rm -f "$T/out.csv"
    fit "$T/train.csv" "$S"
    "$SML" replay --data "$T/all.csv" --rate 50000 --to - 2>"$T/replay.err" |
        "$SML" run --from - --model "$S" --keep id,fico --to "$T/out.csv" 2>"$T/run.err" &
    local pid=$!
    sleep 1
    local bad=""
    for i in $(seq 1 20); do
        if [ $((i % 2)) = 1 ]; then fit "$T/flipped.csv" "$S"; else fit "$T/train.csv" "$S"; fi
        sleep 0.15
        if [ "$i" = 10 ]; then bad=$($corrupt); sleep 0.15; fi
    done
    kill -0 "$pid" 2>/dev/null || fail "$name: the stream ended before the 20 versions were published (machine too slow?)"
    wait "$pid" || fail "$name: the stream ended with an error: $(tail -3 "$T/run.err")"
    /usr/bin/python3 - "$T/out.csv" "$rows" "$bad" "$name" "$T/replay.err" <<'PY' || fail "$name: output"
import csv, sys
path, rows, bad, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
out = list(csv.DictReader(open(path)))
ids = [int(r["id"]) for r in out]
assert ids == list(range(rows)), f"records lost, repeated or reordered: {len(ids)} rows for {rows}"
versions = [int(r["model_version"]) for r in out]
assert all(a <= b for a, b in zip(versions, versions[1:])), "model_version goes backwards"
used = sorted(set(versions))
good = [v for v in range(1, 23) if v != bad]
assert bad not in used, f"the corrupt version {bad} scored records"
assert used == good, f"versions used {used}, published {good}"
# visibly different: each version's scores fall with fico (trained on the labels: v1 and the even new ones) or rise
# with it (trained on the flipped labels)
def corr(xs, ys):
    n = len(xs); mx = sum(xs) / n; my = sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sx = sum((x - mx) ** 2 for x in xs) ** 0.5; sy = sum((y - my) ** 2 for y in ys) ** 0.5
    return sxy / (sx * sy)
by = {}
for r in out:
    v = int(r["model_version"])
    if len(by.setdefault(v, ([], []))[0]) < 3000:
        by[v][0].append(float(r["fico"])); by[v][1].append(float(r["probability"]))
flipped_versions = []
for v, (f, p) in sorted(by.items()):
    c = corr(f, p)
    is_flipped = c > 0
    if is_flipped:
        flipped_versions.append(v)
    assert abs(c) > 0.3, (v, c)
# v1: labels; then fits 1..20 alternate flipped, labels, ... (the corrupt version took number 12, after fit 10)
expect = [v for v in good if v > 1 and ((v - 1 if v < bad else v - 2) % 2 == 1)]
assert flipped_versions == expect, (flipped_versions, expect)
rate = (open(sys.argv[5]).read().strip().splitlines() or ["?"])[-1]
print(f"figure: reload under load ({name}): {rows} records each once and in order, versions never backwards, "
      f"{len(used)} versions used ({used[0]}..{used[-1]} without the corrupt {bad}); replay: {rate}")
PY
    grep -q "version $bad cannot be used" "$T/run.err" || fail "$name: the refused version is logged: $(cat "$T/run.err")"
    local swaps
    swaps=$(grep -c 'model swapped' "$T/run.err" || true)
    [ "$swaps" = 20 ] || fail "$name: 20 swaps logged, got $swaps: $(grep 'model swapped' "$T/run.err")"
}

corrupt_dir() {
    head -c 300 "$T/store/v00000001.smlm" > "$T/store/v00000012.smlm"
    echo 12 > "$T/store/current.tmp" && mv "$T/store/current.tmp" "$T/store/current"
    echo 12
}
reload_under_load "$T/store" corrupt_dir "directory store"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" > "$T/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
corrupt_redis() {
    local v
    v=$(redis-cli -p "$port" incr t:seq)
    redis-cli -p "$port" set "t:v:$v" garbage >/dev/null
    redis-cli -p "$port" zadd t:versions "$v" "$v" >/dev/null
    redis-cli -p "$port" set t:current "$v" >/dev/null
    redis-cli -p "$port" publish t:events "current:$v" >/dev/null
    echo "$v"
}
reload_under_load "redis://127.0.0.1:$port/t" corrupt_redis "redis store"
