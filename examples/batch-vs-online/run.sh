#!/usr/bin/env bash
# Seed 001's lecture in one picture: on one drifting stream, a model fitted once in batch (scored, never updated)
# against the same model kept learning online (prequential). Both curves go into one report.
# OUT=DIR keeps the files; ROWS=N; SML=path/to/streamml.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sml=${SML:-$root/build/streamml}
out=${OUT:-$(mktemp -d)}
rows=${ROWS:-200000}
mkdir -p "$out"
"$sml" gen feed --rows "$rows" --seed 11 --drift-at $((rows / 2)) -o "$out/stream.csv"
head -20001 "$out/stream.csv" > "$out/history.csv"
"$sml" fit "$out/history.csv" --label metadata_numPhotos -o "$out/batch.smlm" | tail -1
"$sml" run --from "$out/stream.csv" --model "$out/batch.smlm" --to null: --batch-size 5000 \
    --metrics "$out/batch.jsonl" --run-name "batch model (fitted once)" --log-level warn
"$sml" run --from "$out/stream.csv" --model "$out/batch.smlm" --learn --to null: --batch-size 5000 \
    --metrics "$out/online.jsonl" --run-name "online learner" --log-level warn
"$sml" report "$out/batch.jsonl" "$out/online.jsonl" -o "$out/report.html" \
    --title "batch vs online on a stream that drifts halfway"
python3 - "$out/batch.jsonl" "$out/online.jsonl" <<'PY'
import json, sys
for path in sys.argv[1:]:
    last = [json.loads(l) for l in open(path)][-1]
    print(f"{last['run']:28s} prequential rmse {last['cumulative']['rmse']:.4f}")
PY
echo "report: $out/report.html"
