#!/usr/bin/env bash
# Seed 002 over Kafka, from one script: fit a logistic regression on loans (the pipeline, with its category
# vocabularies, is saved inside the model, never re-fitted per batch), start a local Kafka (`streamml kafka-dev`),
# replay held-out loans into a `loans` topic at a steady rate, score them with `run --model` as a consumer group
# member, and write every prediction (with the loan's purpose, its label and where it came from) to a
# `predictions` topic keyed by purpose. kcat, an outside Kafka client, reads the predictions back.
# In production point --to/--from at a real cluster instead of kafka-dev.
#   examples/loan-stream/kafka.sh                 # generated loans (streamml gen loans)
#   examples/loan-stream/kafka.sh loan_data.csv   # the real data: fit on 4/5 of it, stream the rest
# OUT=DIR keeps the files; ROWS=N training rows; RATE=N records/s; SML=path/to/streamml picks the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sml=${SML:-$root/build/streamml}
out=${OUT:-$(mktemp -d)}
rows=${ROWS:-20000}
rate=${RATE:-5000}
mkdir -p "$out"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
if [ $# -ge 1 ]; then
    awk -v RS='\r\n|\r|\n' 'NR == 1 { print > "'"$out"'/train.csv"; print > "'"$out"'/stream.csv"; next }
        { print > ((NR % 5 == 0) ? "'"$out"'/stream.csv" : "'"$out"'/train.csv") }' "$1"
else
    "$sml" gen loans --rows "$rows" --seed 1 -o "$out/train.csv"
    "$sml" gen loans --rows $((rows / 4)) --seed 2 -o "$out/stream.csv"
fi
n=$(($(wc -l < "$out/stream.csv") - 1))
echo "== fit: logistic regression (l2 0.01: regParam 0.01 of seed 002's Spark model), publish"
"$sml" fit "$out/train.csv" --label not.fully.paid --l2 0.01 --store "$out/store" | tail -1

echo "== a local Kafka (librdkafka's mock cluster)"
rm -f "$out/bootstrap"
"$sml" kafka-dev --topics loans,predictions --partitions 4 --bootstrap-file "$out/bootstrap" > /dev/null \
    2> "$out/kafka-dev.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/bootstrap" ] && break; sleep 0.1; done
boot=$(cat "$out/bootstrap")
echo "bootstrap: $boot"

echo "== run: score kafka://$boot/loans into kafka://$boot/predictions"
"$sml" run --from "kafka://$boot/loans?group=loan-scoring" --csv-columns "$(head -1 "$out/stream.csv" | tr -d '\r')" \
    --model "$out/store" --keep purpose,_partition,_offset --key-column purpose --batch-interval 500ms \
    --to "kafka://$boot/predictions" --metrics "$out/scoring.jsonl" --log-level warn &
run=$!
pids+=($run)
echo "== replaying $n loans into the topic at $rate records/s"
"$sml" replay --data "$out/stream.csv" --to "kafka://$boot/loans" --rate "$rate" --key-column purpose --log-level warn
for _ in $(seq 600); do
    [ -s "$out/scoring.jsonl" ] && [ "$(tail -1 "$out/scoring.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')" -ge "$n" ] && break
    sleep 0.1
done
kill -TERM "$run"; wait "$run"

echo "== the predictions topic, read back with kcat"
kcat -C -b "$boot" -t predictions -e -o beginning -q -f '%k\t%s\n' > "$out/predictions.tsv"
head -3 "$out/predictions.tsv"
python3 - "$out/predictions.tsv" "$n" <<'PY'
import json, sys
rows = [json.loads(l.split("\t", 1)[1]) for l in open(sys.argv[1])]
n = int(sys.argv[2])
# AUC by ranks (Mann-Whitney), the label kept in every prediction
scored = sorted((r["probability"], str(r["not.fully.paid"]) in ("1", "true")) for r in rows)
pos = sum(1 for _, y in scored if y)
neg = len(scored) - pos
rank_sum, i = 0.0, 0
while i < len(scored):
    j = i
    while j < len(scored) and scored[j][0] == scored[i][0]:
        j += 1
    rank_sum += sum(1 for k in range(i, j) if scored[k][1]) * (i + j + 1) / 2
    i = j
auc = (rank_sum - pos * (pos + 1) / 2) / (pos * neg) if pos and neg else float("nan")
flagged = sum(1 for r in rows if str(r["prediction"]) in ("1", "true"))
print(f"predictions: {len(rows)} for {n} loans streamed; auc {auc:.3f}; {flagged} predicted not fully paid")
PY
echo "files in $out"
