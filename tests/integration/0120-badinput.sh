# The bad-input corpus (tests/badinput/) through schema, predict and run (--learn): every input ends in the
# documented error (exit 2 and a message naming file:line[:column] and the reason) or on the dead-letter route
# (exit 0, the bad record in --errors / --dead-letter with its place) -- never a crash, a hang or unbounded memory.
# Also generated here: a 100 MB line with no newline (CSV and JSON lines, from a file and from stdin), truncated gzip
# and zstd streams, and the golden model truncated at every section boundary of the model file format.
. "$(dirname "$0")/lib.bash"
B="$SML_ROOT/tests/badinput"
M="$SML_ROOT/tests/golden/loans-1.0.smlm"
SAN=${SML_SANITIZED:-0}
LIMIT_MB=256 # address space (plain build) or peak RSS (ASan, where a virtual limit cannot work)

peak_kb=0 runs=0

# bounded CODE cmd...: runs cmd under a timeout and the memory limit, checks its exit code (a signal, a timeout or
# running out of memory fail the test); stdout in $T/stdout, stderr in $T/stderr.
bounded() {
    local want=$1 got rss
    shift
    set +e
    if [ "$SAN" = 1 ]; then
        /usr/bin/time -f %M -o "$T/rss" timeout 120 "$@" >"$T/stdout" 2>"$T/stderr"
        got=$?
    else
        (ulimit -v $((LIMIT_MB * 1024)) && exec /usr/bin/time -f %M -o "$T/rss" timeout 120 "$@") >"$T/stdout" 2>"$T/stderr"
        got=$?
    fi
    set -e
    runs=$((runs + 1))
    rss=$(grep -Eo '^[0-9]+$' "$T/rss" | tail -n 1)
    [ "${rss:-0}" -gt "$peak_kb" ] && peak_kb=$rss
    [ "$got" -ne 124 ] || fail "hang (killed after 120 s): $*"
    [ "$got" -lt 128 ] || { tail -n 20 "$T/stderr" >&2; fail "killed by signal $((got - 128)): $*"; }
    grep -q -e 'AddressSanitizer\|runtime error:\|out of memory' "$T/stderr" && { tail -n 20 "$T/stderr" >&2; fail "sanitizer report or out of memory: $*"; }
    [ "$got" -eq "$want" ] || { tail -n 20 "$T/stderr" >&2; fail "expected exit $want, got $got: $*"; }
    [ "${rss:-0}" -le $((LIMIT_MB * 1024)) ] || fail "peak RSS ${rss} KB over ${LIMIT_MB} MB: $*"
}
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# every rejected record names file:line:column (or file:line for a whole-record NaN/Inf) and a reason
places() {
    local f=$1 name=$2
    [ ! -s "$f" ] && return 0
    /usr/bin/python3 - "$f" "$name" <<'PY' || fail "dead letters without file:line:column in $1"
import json, re, sys
for l in open(sys.argv[1], encoding="utf-8", errors="replace"):
    e = json.loads(l)["_error"]
    assert re.match(re.escape(sys.argv[2]) + r":[0-9]+(:[0-9]+)?: \S", e), e
PY
}

# check FILE SCHEMA_EXIT SCHEMA_BAD NGOOD NBAD NRUN_BAD REASON: schema (SCHEMA_BAD records to --errors), predict
# (NGOOD rows written, NBAD rejected) and run --learn (NRUN_BAD dead letters: NBAD and the NaN/Inf rows); REASON
# must be among them.
check() {
    local f=$B/$1 name=$1 schema_exit=$2 schema_bad=$3 ngood=$4 nbad=$5 nrunbad=$6 reason=$7
    rm -f "$T"/se.jsonl "$T"/err.jsonl "$T"/dl.jsonl "$T"/out.csv "$T"/run.csv
    bounded "$schema_exit" "$SML" schema "$f" --errors "$T/se.jsonl"
    if [ "$schema_exit" = 0 ]; then
        [ "$(lines "$T/se.jsonl")" = "$schema_bad" ] || fail "$name: schema rejected $(lines "$T/se.jsonl"), expected $schema_bad"
        places "$T/se.jsonl" "$f"
    else
        grep -qF "streamml schema: $f:" "$T/stderr" || fail "$name: schema error does not name the file"
    fi
    bounded 0 "$SML" predict --model "$M" "$f" -o "$T/out.csv" --errors "$T/err.jsonl"
    ! grep -q 'is not in' "$T/stderr" || [ "$name" = garbage.bin ] || [ "$name" = duplicate-header.csv ] ||
        fail "$name: predict lost a column: $(grep 'is not in' "$T/stderr" | head -n 1)"
    [ "$(lines "$T/out.csv")" = $((ngood + 1)) ] || fail "$name: predict wrote $(($(lines "$T/out.csv") - 1)) rows, expected $ngood"
    [ "$(lines "$T/err.jsonl")" = "$nbad" ] || fail "$name: predict rejected $(lines "$T/err.jsonl"), expected $nbad"
    places "$T/err.jsonl" "$f"
    bounded 0 "$SML" run --learn --model "$M" --from "$f" --to "$T/run.csv" --dead-letter "$T/dl.jsonl"
    [ "$(lines "$T/dl.jsonl")" = "$nrunbad" ] || fail "$name: run dead-lettered $(lines "$T/dl.jsonl"), expected $nrunbad"
    places "$T/dl.jsonl" "$f"
    if [ -n "$reason" ]; then
        { cat "$T/se.jsonl" "$T/err.jsonl" "$T/dl.jsonl" 2>/dev/null || true; } | grep -q -- "$reason" || fail "$name: no \"$reason\""
    fi
}

#     file                    schema     good bad run-bad reason
check garbage.bin             2      0   0    64  64      'invalid UTF-8'
check empty.csv               2      0   0    0   0       ''
check blank-lines.csv         2      0   0    0   0       ''
check bom.csv                 0      0   3    0   0       ''
check unterminated-quote.csv  0      1   3    1   1       'unterminated-quote.csv:5:19: unterminated quoted field'
check invalid-utf8.csv        0      3   2    3   3       'invalid-utf8.csv:6:3: invalid UTF-8'
check column-count.csv        0      3   3    3   3       'column-count.csv:6:85: expected 14 fields, got 15'
# 1e999, -1e999, -nan, nan, NaN, inf, -Infinity read as numbers and never scored or learned (predict: empty
# prediction; run: dead letter); 0x1p3, 0x10, 1_000 are not numbers (schema: int.rate is categorical); 1e-400 is 0
check numbers.csv             0      0   8    3   10      'numbers.csv:9:15: column \\"int.rate\\": expected a number, got \\"0x1p3\\"'
grep -q '^int.rate  *categorical' "$T/stdout" 2>/dev/null || "$SML" schema "$B/numbers.csv" | grep -q '^int.rate  *categorical' ||
    fail "numbers.csv: a column with hex and 1_000 is inferred categorical"
check numbers.jsonl           0      3   6    3   7       'numbers.jsonl:2: a numeric feature is NaN or infinite'
[ "$(grep -c ',,,' "$T/out.csv" || true)" = 4 ] || fail "numbers.jsonl: 4 NaN/Inf rows without a prediction"
bounded 0 "$SML" predict --model "$M" "$B/numbers.csv" -o "$T/n.csv"
[ "$(grep -c ',,,' "$T/n.csv" || true)" = 7 ] || fail "numbers.csv: 7 NaN/Inf rows without a prediction"
grep -q '7 rows had NaN or infinite features' "$T/stderr" || fail "numbers.csv: the NaN/Inf rows are reported"
# a header naming a column twice is an error, not a guess
for cmd in schema predict run; do
    case $cmd in
    schema) bounded 2 "$SML" schema "$B/duplicate-header.csv" ;;
    predict) bounded 2 "$SML" predict --model "$M" "$B/duplicate-header.csv" -o "$T/d.csv" ;;
    run) bounded 2 "$SML" run --model "$M" --from "$B/duplicate-header.csv" --to "$T/d.csv" ;;
    esac
    grep -q "^streamml $cmd: $B/duplicate-header.csv:1:37: duplicate column name \"fico\" in the header (fields 3 and 5)" \
        "$T/stderr" || { cat "$T/stderr" >&2; fail "$cmd: duplicate header names"; }
done

# a 100 MB line with no newline after two good records: rejected as over --max-record-bytes in bounded memory
head -n 3 "$SML_ROOT/tests/golden/score-input.csv" >"$T/long.csv"
head -c 100000000 /dev/zero | tr '\0' 'a' >>"$T/long.csv"
{ printf '{"fico": 700}\n{"purpose": "'; head -c 100000000 /dev/zero | tr '\0' 'b'; } >"$T/long.jsonl"
for f in long.csv long.jsonl; do
    good=2
    [ $f = long.jsonl ] && good=1
    bounded 0 "$SML" schema "$T/$f" --errors "$T/e.jsonl"
    grep -q "\"_error\": \"$T/$f:[0-9]*:1: record longer than 1048576 bytes\"" "$T/e.jsonl" || fail "$f: schema"
    bounded 0 "$SML" predict --model "$M" "$T/$f" -o "$T/o.csv" --errors "$T/e.jsonl"
    [ "$(lines "$T/o.csv")" = $((good + 1)) ] && [ "$(lines "$T/e.jsonl")" = 1 ] || fail "$f: predict"
    [ "$(stat -c %s "$T/e.jsonl")" -lt 2000000 ] || fail "$f: the dead letter keeps a bounded prefix of the record"
    rm -f "$T/dl.jsonl" "$T/o.csv"
    bounded 0 "$SML" run --model "$M" --from - --to "$T/o.csv" --dead-letter "$T/dl.jsonl" --format "${f#long.}" <"$T/$f"
    [ "$(lines "$T/o.csv")" = $((good + 1)) ] && [ "$(lines "$T/dl.jsonl")" = 1 ] || { cat "$T/stderr"; wc -l "$T/o.csv" "$T/dl.jsonl"; fail "$f: run from stdin"; }
    grep -q 'record longer than 1048576 bytes' "$T/dl.jsonl" || fail "$f: run's dead letter says why"
done
rm -f "$T/long.csv" "$T/long.jsonl"

# truncated compressed streams: an error naming the file and the codec, whatever was read before it
"$SML" gen loans --rows 3000 --seed 5 -o "$T/l.csv"
gzip -c "$T/l.csv" >"$T/full.gz"
zstd -q -c "$T/l.csv" >"$T/full.zst"
for z in gz zst; do
    size=$(stat -c %s "$T/full.$z")
    codec=gzip
    [ $z = zst ] && codec=zstd
    for cut in 10 $((size / 2)) $((size - 1)); do
        head -c "$cut" "$T/full.$z" >"$T/t.csv.$z"
        bounded 2 "$SML" schema "$T/t.csv.$z"
        grep -q "^streamml schema: $T/t.csv.$z: $codec: truncated input" "$T/stderr" || { cat "$T/stderr" >&2; fail "schema: truncated $z at $cut"; }
        bounded 2 "$SML" predict --model "$M" "$T/t.csv.$z" -o "$T/o.csv"
        grep -q "^streamml predict: $T/t.csv.$z: $codec: truncated input" "$T/stderr" || fail "predict: truncated $z at $cut"
        bounded 2 "$SML" run --model "$M" --from "$T/t.csv.$z" --to "$T/o.csv"
        grep -q "^streamml run: $T/t.csv.$z: $codec: truncated input" "$T/stderr" || fail "run: truncated $z at $cut"
    done
done

# the golden model cut at every section boundary (magic | version | count | per section: tag | length | payload,
# see src/store/model_file.c): refused by predict, inspect, run and serve with the reason; the whole file works
/usr/bin/python3 - "$M" "$T/cuts" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
cuts, p = [0, 8, 12, 16], 16
while p < len(d):
    n = struct.unpack("<Q", d[p + 4:p + 12])[0]
    cuts += [p + 4, p + 12, p + 12 + n]
    p += 12 + n
assert p == len(d) and cuts[-1] == len(d), "the golden model's sections do not add up"
open(sys.argv[2], "w").write("\n".join(map(str, cuts[:-1])) + "\n")
PY
ncuts=0
while read -r cut; do
    head -c "$cut" "$M" >"$T/cut.smlm"
    want="$T/cut.smlm: truncated at offset [0-9]* (section [0-9]* of 7"
    [ "$cut" -lt 16 ] && want="$T/cut.smlm: not a streamml model file (bad magic)"
    bounded 2 "$SML" predict --model "$T/cut.smlm" "$SML_ROOT/tests/golden/score-input.csv" -o "$T/o.csv"
    grep -q "^streamml predict: $want" "$T/stderr" || { cat "$T/stderr" >&2; fail "predict: model cut at $cut"; }
    bounded 2 "$SML" inspect "$T/cut.smlm"
    grep -q "$want" "$T/stderr" || fail "inspect: model cut at $cut"
    bounded 2 "$SML" run --model "$T/cut.smlm" --from "$SML_ROOT/tests/golden/score-input.csv" --to "$T/o.csv"
    grep -q "$want" "$T/stderr" || fail "run: model cut at $cut"
    bounded 2 "$SML" serve --model "$T/cut.smlm" --listen 127.0.0.1:0
    grep -q "$want" "$T/stderr" || fail "serve: model cut at $cut"
    ncuts=$((ncuts + 1))
done <"$T/cuts"
[ "$ncuts" = 24 ] || fail "expected 24 cuts of the 7-section golden model, got $ncuts"
bounded 0 "$SML" predict --model "$M" "$SML_ROOT/tests/golden/score-input.csv" -o "$T/o.csv"

# the corpus as HTTP request bodies of serve (CSV bodies; numbers.jsonl as a JSON array): 200 or a 400 naming
# body:line:column -- and serve stays up, with bounded memory, after a 100 MB body (413)
"$SML" serve --model "$M" --listen 127.0.0.1:0 2>"$T/serve.err" &
spid=$!
trap 'kill $spid 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 200); do grep -q 'port [0-9]' "$T/serve.err" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$T/serve.err")
[ -n "$port" ] || fail "serve did not start: $(cat "$T/serve.err")"
/usr/bin/python3 - "$port" "$B" <<'PY' || fail "serve with bad bodies"
import json, os, sys, urllib.error, urllib.request
port, B = int(sys.argv[1]), sys.argv[2]
def post(body, ctype="text/csv"):
    r = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(r, timeout=60) as f:
            return f.status, f.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
want = {  # file: (status, text in the answer)
    "garbage.bin": (400, "body:"), "empty.csv": (200, '"predictions": []'), "blank-lines.csv": (200, '"predictions": []'),
    "bom.csv": (200, '"model_version"'), "unterminated-quote.csv": (400, "body:5:19: unterminated quoted field"),
    "invalid-utf8.csv": (400, "body:4:5: invalid UTF-8"), "column-count.csv": (400, "body:4:4: expected 14 fields, got 2"),
    "numbers.csv": (400, 'body:9:15: column "int.rate": expected a number, got "0x1p3"'),
    "duplicate-header.csv": (400, 'body:1:37: duplicate column name "fico" in the header (fields 3 and 5)'),
}
for name, (status, text) in want.items():
    st, body = post(open(os.path.join(B, name), "rb").read())
    answer = json.loads(body)
    assert st == status and text in (answer["error"] if st != 200 else body), (name, st, body[:300])
lines = open(os.path.join(B, "numbers.jsonl")).read().split("\n")
st, body = post(("[" + lines[0] + "," + lines[-2] + "]").encode(), "application/json")
assert st == 200 and len(json.loads(body)["predictions"]) == 2, body
st, body = post(("[" + ",".join(l for l in lines if l) + "]").encode(), "application/json")
assert st == 400 and "body:" in body, body
st, body = post(b"a" * 100_000_000)
assert st == 413, (st, body[:200])
st, body = post(open(os.path.join(B, "bom.csv"), "rb").read())
assert st == 200 and len(json.loads(body)["predictions"]) == 3, body
PY
rss=$(awk '/VmHWM/ {print $2}' "/proc/$spid/status")
[ "$rss" -le $((LIMIT_MB * 1024)) ] || fail "serve's peak RSS $rss KB after a 100 MB body"
[ "$rss" -gt "$peak_kb" ] && peak_kb=$rss
echo "figure: serve after a 100 MB body (413): peak RSS $((rss / 1024)) MB"
kill "$spid"
runs=$((runs + 13))

echo "figure: bad inputs: $runs runs (schema/predict/run/inspect/serve and HTTP bodies), $ncuts model cuts, none crashed or hung; peak RSS $((peak_kb / 1024)) MB (limit $LIMIT_MB MB)"
