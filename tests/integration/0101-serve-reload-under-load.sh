# `serve` under load while 20 versions are published: 8 concurrent keep-alive clients hammer POST /predict while
# `fit` publishes 20 versions (alternating a model trained on the labels and one trained on the flipped labels) and a
# corrupt version is made current half-way. No request fails, the versions each client sees never go backwards, every
# good version answers requests, each answers with its own model's predictions (equal to `predict` with that
# version), and every swap is logged (old -> new) while the corrupt version is refused and logged.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 3000 --seed 19 -o "$T/train.csv"
awk -F, 'BEGIN { OFS = "," } NR > 1 { $NF = 1 - $NF } { print }' "$T/train.csv" > "$T/flipped.csv"
"$SML" fit "$T/train.csv" --label not.fully.paid --store "$T/s" >/dev/null
"$SML" serve --model "$T/s" --listen 127.0.0.1:0 --threads 4 2>"$T/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q 'port [0-9]' "$T/serve.err" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$T/serve.err")
[ -n "$port" ] || fail "serve did not start: $(cat "$T/serve.err")"
/usr/bin/python3 - "$port" "$T/train.csv" "$T/flipped.csv" "$SML" "$T/s" <<'PY' || fail "serve under load"
import csv, http.client, json, os, subprocess, sys, threading, time
port, train, flipped, sml, store = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
rows = list(csv.DictReader(open(train)))[:20]
objs = [{k: (v if k == "purpose" else float(v)) for k, v in r.items() if k != "not.fully.paid"} for r in rows]
body = json.dumps(objs).encode()
lock = threading.Lock()
errors, answers = [], {}   # answers: version -> first list of probabilities seen
counts = []
stop = threading.Event()
def client(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    last, n = 0, 0
    while not stop.is_set():
        try:
            c.request("POST", "/predict", body, {"Content-Type": "application/json"})
            r = c.getresponse(); text = r.read().decode()
        except Exception as e:
            errors.append((k, "exception", repr(e))); c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10); continue
        if r.status != 200:
            errors.append((k, r.status, text[:200])); continue
        out = json.loads(text); v = out["model_version"]
        if v < last:
            errors.append((k, "backwards", last, v))
        last = v; n += 1
        with lock:
            answers.setdefault(v, [p["probability"] for p in out["predictions"]])
    counts.append(n)
threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
[t.start() for t in threads]
time.sleep(0.5)
bad = None
for i in range(1, 21):
    subprocess.run([sml, "fit", flipped if i % 2 else train, "--label", "not.fully.paid", "--store", store],
                   check=True, capture_output=True)
    time.sleep(0.15)
    if i == 10:   # a corrupt version made current: refused, the previous one keeps serving
        bad = 12
        good = open(os.path.join(store, "v00000001.smlm"), "rb").read()
        open(os.path.join(store, "v00000012.smlm"), "wb").write(good[:300])
        open(os.path.join(store, "current.tmp"), "w").write("12\n")
        os.rename(os.path.join(store, "current.tmp"), os.path.join(store, "current"))
        time.sleep(0.15)
time.sleep(0.5)
stop.set(); [t.join() for t in threads]
assert not errors, errors[:5]
good = [v for v in range(1, 23) if v != bad]
assert sorted(answers) == good, (sorted(answers), good)
# each version answered with its own predictions (those of `predict` with that version's file)
for v in good:
    ref = subprocess.run([sml, "predict", "--model", os.path.join(store, f"v{v:08d}.smlm"), "--data", train],
                         capture_output=True, text=True, check=True).stdout
    ref = [float(r["probability"]) for r in csv.DictReader(ref.splitlines())][:20]
    assert all(abs(a - b) < 1e-12 for a, b in zip(answers[v], ref)), v
# and the two kinds of version differ visibly: the labels-model and the flipped-model rank the records oppositely
a, b = answers[1], answers[2]
assert sum((x - sum(a) / 20) * (y - sum(b) / 20) for x, y in zip(a, b)) < 0
print(f"figure: serve under load: {sum(counts)} requests from 8 clients while 20 versions were published "
      f"(and 1 corrupt): 0 failed, versions never backwards per client, {len(good)} versions answered")
PY
for v in $(seq 2 22); do
    [ "$v" = 12 ] && continue
    prev=$((v - 1)); [ "$v" = 13 ] && prev=11
    grep -q "model swapped: version $prev -> $v in" "$T/serve.err" || fail "swap $prev -> $v not logged: $(grep swapped "$T/serve.err")"
done
[ "$(grep -c 'model swapped' "$T/serve.err")" = 20 ] || fail "20 swaps logged: $(grep swapped "$T/serve.err")"
grep -q 'version 12 cannot be used' "$T/serve.err" || fail "the refused version is logged: $(cat "$T/serve.err")"
kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; [ "$rc" = 0 ] || fail "serve did not stop cleanly (exit $rc)"
