# streamml serve: the endpoints, predictions equal to `predict` for the same records, clear 4xx errors, limits,
# and live model swaps under load with no failed request and versions that never go backwards.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 3000 --seed 9 -o "$T/l.csv"
"$SML" fit "$T/l.csv" --label not.fully.paid --store "$T/s" >/dev/null
"$SML" serve --model "$T/s" --listen 127.0.0.1:0 --max-body-bytes 100000 --reload-check-interval 50ms 2>"$T/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$T"' EXIT
for _ in $(seq 100); do grep -q 'port [0-9]' "$T/serve.err" && break; sleep 0.05; done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$T/serve.err")
[ -n "$port" ] || fail "serve did not start: $(cat "$T/serve.err")"
/usr/bin/python3 - "$port" "$T/l.csv" "$SML" "$T/s" <<'PY' || fail "serve"
import csv, json, subprocess, sys, threading, urllib.request, urllib.error
port, data, sml, store = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
base = f"http://127.0.0.1:{port}"
def req(path, body=None, ctype="application/json", method=None):
    r = urllib.request.Request(base + path, data=body, method=method, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(r, timeout=10) as f:
            return f.status, f.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
assert req("/healthz") == (200, "ok\n")
st, m = req("/model"); m = json.loads(m)
assert st == 200 and m["version"] == 1 and m["task"] == "classification" and "fico" in m["inputs"]
# predictions equal the batch command's for the same records (JSON numbers, JSON strings for categoricals)
rows = list(csv.DictReader(open(data)))[:200]
objs = [{k: (v if k == "purpose" else float(v)) for k, v in r.items() if k != "not.fully.paid"} for r in rows]
st, body = req("/predict", json.dumps(objs).encode()); out = json.loads(body)
assert st == 200 and out["model_version"] == 1 and len(out["predictions"]) == 200, body[:200]
ref = subprocess.run([sml, "predict", "--model", store, "--data", data], capture_output=True, text=True).stdout
ref = [float(r["probability"]) for r in csv.DictReader(ref.splitlines())][:200]
assert all(abs(p["probability"] - q) < 1e-12 for p, q in zip(out["predictions"], ref))
st, one = req("/predict", json.dumps(objs[0]).encode()); one = json.loads(one)
assert st == 200 and abs(one["probability"] - ref[0]) < 1e-12 and one["model_version"] == 1
csvbody = "fico,purpose\n700,credit_card\n720,educational\n".encode()
st, body = req("/predict", csvbody, "text/csv"); assert st == 200 and len(json.loads(body)["predictions"]) == 2
# errors: 400 naming the problem, 413, 404, 405; absent features are imputed
st, body = req("/predict", b'{"fico": "abc"}'); assert st == 400 and "fico" in body and "expected a number" in body, body
st, body = req("/predict", b'[{"fico": 1},'); assert st == 400, body
st, body = req("/predict", b'{"fico": 700} {"fico": 1}'); assert st == 400, body
st, body = req("/predict", b'{}'); assert st == 200, body
st, body = req("/predict", b'[' + b'{"fico": 700},' * 10000 + b'{}]'); assert st == 413, (st, body)
assert req("/nope")[0] == 404 and req("/predict", method="GET")[0] == 404 and req("/model", b"x", method="PUT")[0] == 405
# live swaps under load: 4 clients, versions published meanwhile, nothing fails, versions never go backwards
errors, seen = [], []
stop = threading.Event()
def client():
    last = 0
    while not stop.is_set():
        st, body = req("/predict", json.dumps(objs[:5]).encode())
        if st != 200:
            errors.append((st, body)); continue
        v = json.loads(body)["model_version"]
        if v < last:
            errors.append(("backwards", last, v))
        last = v; seen.append(v)
threads = [threading.Thread(target=client) for _ in range(4)]
[t.start() for t in threads]
for i in range(5):
    subprocess.run([sml, "fit", data, "--label", "not.fully.paid", "--l2", f"0.00{i + 2}", "--store", store],
                   check=True, capture_output=True)
import time; time.sleep(0.5)
stop.set(); [t.join() for t in threads]
assert not errors, errors[:3]
assert max(seen) == 6 and len(seen) > 100, (len(seen), sorted(set(seen)))
st, metrics = req("/metrics")
assert "streamml_model_swaps_total 5" in metrics and "streamml_model_version 6" in metrics, metrics[:500]
print(f"figure: serve: {len(seen)} requests from 4 clients while 5 versions were published: 0 failed, versions {sorted(set(seen))}")
PY
kill -TERM "$pid"; set +e; wait "$pid"; rc=$?; set -e; [ "$rc" = 0 ] || fail "serve did not stop cleanly (exit $rc): $(tail -3 "$T/serve.err")"
