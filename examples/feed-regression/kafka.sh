#!/usr/bin/env bash
# Seed 000 over Kafka, from one script: a local Kafka (`streamml kafka-dev`), a feed dataset replayed into a topic
# at a steady rate (what seed 000's Python producer did), and `run --learn --l2-to-base` reading the topic as a
# consumer group member: online linear regression kept near a base model fitted in batch on the first part of the
# data, the weights after every batch (--trace-weights), predictions into another topic, and report.svg.
# In production point --to/--from at a real cluster instead of kafka-dev.
# OUT=DIR keeps the files; ROWS=N sets the stream length; RATE=N records/s; SML=path/to/streamml picks the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sml=${SML:-$root/build/streamml}
out=${OUT:-$(mktemp -d)}
rows=${ROWS:-50000}   # the mock keeps ~5 MB per partition: 40000 predictions fit in one
rate=${RATE:-20000}
mkdir -p "$out"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

"$sml" gen feed --rows "$rows" --seed 3 --drift-at $((rows / 2)) --truth "$out/truth.json" -o "$out/feed.csv"
head -$((rows / 5 + 1)) "$out/feed.csv" > "$out/base-train.csv"
{ head -1 "$out/feed.csv"; tail -n +$((rows / 5 + 2)) "$out/feed.csv"; } > "$out/stream.csv"
n=$(($(wc -l < "$out/stream.csv") - 1))
echo "== base model from the first $((rows / 5)) rows"
"$sml" fit "$out/base-train.csv" --label metadata_numPhotos --store "$out/store" | tail -1

echo "== a local Kafka (librdkafka's mock cluster)"
rm -f "$out/bootstrap"
"$sml" kafka-dev --topics feed,predictions --partitions 1 --bootstrap-file "$out/bootstrap" > /dev/null 2> "$out/kafka-dev.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$out/bootstrap" ] && break; sleep 0.1; done
boot=$(cat "$out/bootstrap")
echo "bootstrap: $boot"

echo "== run --learn --l2-to-base reading kafka://$boot/feed"
"$sml" run --from "kafka://$boot/feed?group=feed-regression" --csv-columns "$(head -1 "$out/feed.csv")" \
    --model "$out/store" --learn --l2-to-base 0.01 --batch-size 5000 --batch-interval 1s \
    --to "kafka://$boot/predictions" --metrics "$out/online.jsonl" --run-name l2-to-base --trace-weights \
    --log-level warn &
run=$!
pids+=($run)
echo "== replaying $n records into the topic at $rate records/s"
"$sml" replay --data "$out/stream.csv" --to "kafka://$boot/feed" --rate "$rate" --log-level warn
# the run has scored and learned everything once its metrics count every record
for _ in $(seq 600); do
    [ -s "$out/online.jsonl" ] && [ "$(tail -1 "$out/online.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')" -ge "$n" ] && break
    sleep 0.1
done
kill -TERM "$run"; wait "$run"
echo "== predictions topic: $(kcat -C -b "$boot" -t predictions -e -o beginning -q 2>/dev/null | wc -l) messages" \
     "(first: $(kcat -C -b "$boot" -t predictions -e -o beginning -q -c 1 2>/dev/null))" || true
echo "== weights per batch (first features)"
python3 "$root/examples/feed-regression/show_weights.py" "$out/online.jsonl"
"$sml" report "$out/online.jsonl" -o "$out/report.svg" --title "feed over Kafka: online learning with L2 toward the base"
echo "report: $out/report.svg"
