# Bounded resources: a fast producer into `run` with a slow reader behind it (backpressure: run's peak memory stays
# flat instead of queueing the stream); a full disk (a small tmpfs, or else a file-size limit) under fit -o, the
# store publish, run --state checkpoints and file sinks (clear message, non-zero exit, the store's current version
# and the last checkpoint still load and resume); permission errors (as the user nobody) with clear messages.
. "$(dirname "$0")/lib.bash"
M="$SML_ROOT/tests/golden/loans-1.0.smlm"
SAN=${SML_SANITIZED:-0}
MNT=""
cleanup() {
    [ -z "$MNT" ] || umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

# ---------------------------------------------------------------- backpressure
# gen writes 1M records (~90 MB) as fast as it can; the reader takes 16 KB every 20 ms (~0.8 MB/s) for 6 s, then
# drains. run writes ~59 bytes a record (~59 MB): an unbounded queue in run would hold what the reader did not take
# yet (tens of MB, over the limit); with backpressure run stops reading while its output pipe is full. (Under ASan
# the run is smaller: ~35 MB out.)
rows=1000000 limit_mb=40
[ "$SAN" = 1 ] && rows=600000
cat >"$T/slow.py" <<'PY'
import os, sys, time
slow_s, t0, n = float(sys.argv[1]), time.time(), 0
while True:
    slow = time.time() - t0 < slow_s
    b = os.read(0, 16384 if slow else 1 << 20)
    if not b:
        break
    n += b.count(b"\n")
    if slow:
        time.sleep(0.02)
print(n)
PY
"$SML" gen loans --rows "$rows" --seed 1 -o - |
    /usr/bin/time -f %M -o "$T/rss" timeout 300 "$SML" run --model "$M" --from - --to - --format csv --keep purpose,int.rate,installment,fico 2>"$T/run.err" |
    /usr/bin/python3 "$T/slow.py" 6 >"$T/count" || fail "backpressure pipeline: $(tail -n 3 "$T/run.err")"
[ "$(cat "$T/count")" = $((rows + 1)) ] || fail "the slow reader got $(cat "$T/count") lines, expected $((rows + 1))"
rss_kb=$(grep -Eo '^[0-9]+$' "$T/rss" | tail -n 1)
echo "figure: backpressure: run's peak RSS $((rss_kb / 1024)) MB for $rows records (~$((rows * 90 / 1000000)) MB in) behind a 0.8 MB/s reader (limit $limit_mb MB)"
[ "$rss_kb" -le $((limit_mb * 1024)) ] || fail "run's peak RSS $rss_kb KB: the stream is queued, not held back"

# ---------------------------------------------------------------- disk full
"$SML" gen loans --rows 5000 --seed 4 -o "$T/data.csv"
"$SML" gen loans --rows 3000 --seed 5 -o "$T/more.csv"
D=$T/disk
mkdir -p "$D"
if mount -t tmpfs -o size=512k tmpfs "$D" 2>/dev/null; then
    MNT=$D
    fill() { dd if=/dev/zero of="$D/fill" bs=4k >/dev/null 2>&1 || true; }       # every block taken: ENOSPC
    unfill() { rm -f "$D/fill"; }
    full() { "$@"; }
    nospace='No space left on device'
else # not root or no mount: a file-size limit (SIGXFSZ ignored: writes past it fail with EFBIG)
    fill() { :; }
    unfill() { :; }
    full() { (ulimit -f 4 && trap '' XFSZ && exec "$@"); }
    nospace='File too large'
fi
# a store with version 1 current and a checkpoint after data.csv, taken with space to spare
expect_exit 0 "$SML" fit "$T/data.csv" --label not.fully.paid --store "$D/store"
expect_exit 0 "$SML" run --learn --model "$D/store" --from "$T/data.csv" --to "$D/out.csv" --state "$D/state" \
    --checkpoint-records 1000
cp "$D/state/checkpoint" "$T/checkpoint.before"
fill
# fit -o: refused, no partial file
expect_exit 2 full "$SML" fit "$T/data.csv" --label not.fully.paid -o "$D/m2.smlm"
grep -q "$D/.*m2.smlm.*$nospace" "$T/stderr" || { cat "$T/stderr" >&2; fail "fit -o on a full disk: message"; }
[ ! -e "$D/m2.smlm" ] || fail "fit -o on a full disk left a model file"
# the store publish: refused; current still 1 and loads
expect_exit 2 full "$SML" fit "$T/data.csv" --label not.fully.paid --store "$D/store"
grep -q "model store $D/store: .*$nospace" "$T/stderr" || { cat "$T/stderr" >&2; fail "publish on a full disk: message"; }
[ "$(cat "$D/store/current")" = 1 ] || fail "current moved on a failed publish"
ls "$D/store" | grep -q -v -e '^v00000001.smlm$' -e '^current$' -e '^\.lock$' && fail "a failed publish left files: $(ls -a "$D/store")"
expect_exit 0 "$SML" predict --model "$D/store" "$T/data.csv" -o /dev/null
# run: new records arrive, the sink and the checkpoint cannot be written: exit 2 naming the file; the checkpoint
# is the one before
tail -n +2 "$T/more.csv" >>"$T/data.csv"
expect_exit 2 full "$SML" run --learn --model "$D/store" --from "$T/data.csv" --to "$D/out.csv" --state "$D/state" \
    --checkpoint-records 1000
grep -q "$D/.*$nospace" "$T/stderr" || { cat "$T/stderr" >&2; fail "run on a full disk: message"; }
cmp -s "$D/state/checkpoint" "$T/checkpoint.before" || fail "the checkpoint changed on a full disk"
ls "$D/state" | grep -q -v '^checkpoint$' && fail "a failed checkpoint left files: $(ls -a "$D/state")"
# the checkpoint alone cannot be written (the sink is elsewhere): exit 2, the old checkpoint stays
expect_exit 2 full "$SML" run --learn --model "$D/store" --from "$T/data.csv" --to null: \
    --state "$D/state" --checkpoint-records 1000
grep -q "$D/state.*$nospace" "$T/stderr" || { cat "$T/stderr" >&2; fail "checkpoint on a full disk: message"; }
cmp -s "$D/state/checkpoint" "$T/checkpoint.before" || fail "the checkpoint changed on a full disk"
# space again: the run resumes from the checkpoint before the failures and the sink holds every record
unfill
expect_exit 0 "$SML" run --learn --model "$D/store" --from "$T/data.csv" --to "$D/out.csv" --state "$D/state" \
    --checkpoint-records 1000
grep -q 'resum' "$T/stderr" || { cat "$T/stderr" >&2; fail "no resume from the checkpoint"; }
/usr/bin/python3 - "$D/out.csv" 8000 <<'PY' || fail "the sink after a full disk"
import sys
rows = [l for l in open(sys.argv[1]) if not l.startswith("not.fully.paid")]
assert len(rows) >= int(sys.argv[2]), (len(rows), sys.argv[2])
PY
# a file sink alone on a full disk
fill
expect_exit 2 full "$SML" run --model "$D/store" --from "$T/data.csv" --to "$D/o2.csv"
grep -q "$D/o2.csv.*$nospace" "$T/stderr" || { cat "$T/stderr" >&2; fail "file sink on a full disk: message"; }
# a partitioned sink: parts are written aside and renamed, so a failed part never shows (nor its temp file)
expect_exit 2 full "$SML" run --model "$D/store" --from "$T/data.csv" --to "dir:$D/parts" --batch-size 2000
grep -q "$D/parts/.*$nospace" "$T/stderr" || { cat "$T/stderr" >&2; fail "dir: sink on a full disk: message"; }
[ -z "$(find "$D/parts" -name '*.tmp' -o -name 'part-*' -size 0)" ] || fail "dir: sink left partial files: $(find "$D/parts")"
unfill

# ---------------------------------------------------------------- permissions
# root ignores permission bits: run as nobody
if runuser -u nobody -- true 2>/dev/null; then
    P=$T/perm
    mkdir -p "$P/ro" "$P/rw"
    cp "$T/more.csv" "$P/data.csv"
    "$SML" fit "$P/data.csv" --label not.fully.paid --store "$P/ro/store" >/dev/null 2>&1
    "$SML" run --learn --model "$P/ro/store" --from "$P/data.csv" --to "$P/rw/o.csv" --state "$P/ro/state" >/dev/null 2>&1
    cp "$P/data.csv" "$P/secret.csv"
    chmod 755 "$T" "$P" "$P/ro" "$P/rw"
    chmod 644 "$P/data.csv"
    chmod 600 "$P/secret.csv"
    chmod -R a+rX "$P/ro"
    chmod 777 "$P/rw"
    as_nobody() { runuser -u nobody -- "$@"; }
    expect_exit 2 as_nobody "$SML" predict --model "$M" "$P/secret.csv" -o "$P/rw/p.csv"
    grep -q "$P/secret.csv: .*Permission denied" "$T/stderr" || { cat "$T/stderr" >&2; fail "unreadable input: message"; }
    expect_exit 2 as_nobody "$SML" fit "$P/data.csv" --label not.fully.paid -o "$P/ro/m.smlm"
    grep -q "$P/ro/.*Permission denied" "$T/stderr" || { cat "$T/stderr" >&2; fail "fit -o in a read-only dir: message"; }
    expect_exit 2 as_nobody "$SML" fit "$P/data.csv" --label not.fully.paid --store "$P/ro/store"
    grep -q "$P/ro/store.*Permission denied" "$T/stderr" || { cat "$T/stderr" >&2; fail "publish to a read-only store: message"; }
    [ "$(cat "$P/ro/store/current")" = 1 ] || fail "current moved"
    expect_exit 0 as_nobody "$SML" predict --model "$P/ro/store" "$P/data.csv" -o "$P/rw/p.csv"
    expect_exit 2 as_nobody "$SML" run --model "$M" --from "$P/data.csv" --to "$P/ro/o.csv"
    grep -q "$P/ro/o.csv.*Permission denied" "$T/stderr" || { cat "$T/stderr" >&2; fail "sink in a read-only dir: message"; }
    cp "$P/ro/state/checkpoint" "$T/perm.checkpoint"
    expect_exit 2 as_nobody "$SML" run --learn --model "$P/ro/store" --from "$P/data.csv" --to "$P/rw/o2.csv" \
        --state "$P/ro/state" --checkpoint-records 500
    grep -q "$P/ro/state.*Permission denied" "$T/stderr" || { cat "$T/stderr" >&2; fail "read-only state dir: message"; }
    cmp -s "$P/ro/state/checkpoint" "$T/perm.checkpoint" || fail "the checkpoint changed"
    expect_exit 2 as_nobody "$SML" run --learn --model "$P/ro/store" --from "$P/data.csv" --to "$P/rw/o2.csv" \
        --state "$P/rw/newstate/deeper" --checkpoint-records 500 --dead-letter "$P/ro/dl.jsonl"
    grep -q "$P/ro/dl.jsonl.*Permission denied" "$T/stderr" || { cat "$T/stderr" >&2; fail "dead-letter file in a read-only dir: message"; }
else
    echo "note: runuser -u nobody unavailable: permission checks skipped"
fi
