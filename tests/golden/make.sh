#!/usr/bin/env bash
# How the golden model files were made. Run once per released model-format version and commit the results
# under a new name; never regenerate the files of an older version (their point is that they stay as they were).
#   tests/golden/make.sh build/streamml 1.0
set -euo pipefail
sml=$1 ver=$2
dir=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$sml" gen loans --rows 500 --seed 3 -o "$t/train.csv"
"$sml" gen loans --rows 50 --seed 4 -o "$dir/score-input.csv"
"$sml" fit "$t/train.csv" --label not.fully.paid --missing-indicator always --hash-columns purpose --hash-bits 6 \
    --interactions fico:int.rate -o "$dir/loans-$ver.smlm" >/dev/null
"$sml" predict --model "$dir/loans-$ver.smlm" --data "$dir/score-input.csv" -o "$dir/loans-$ver.expected.csv"
"$sml" gen feed --rows 300 --seed 3 -o "$t/feed.csv"
"$sml" fit "$t/feed.csv" --label metadata_numPhotos --scaling minmax --impute median --l1 0.001 \
    -o "$dir/feed-$ver.smlm" >/dev/null
"$sml" gen feed --rows 50 --seed 4 -o "$dir/feed-input.csv"
"$sml" predict --model "$dir/feed-$ver.smlm" --data "$dir/feed-input.csv" -o "$dir/feed-$ver.expected.csv"
# from 1.1: a hashed model whose weights are mostly zero, written as index/value pairs (LINS)
if [ "$ver" != 1.0 ]; then
    "$sml" fit "$t/train.csv" --label not.fully.paid --hash-columns purpose --hash-bits 16 \
        -o "$dir/loans-sparse-$ver.smlm" >/dev/null
    "$sml" predict --model "$dir/loans-sparse-$ver.smlm" --data "$dir/score-input.csv" \
        -o "$dir/loans-sparse-$ver.expected.csv"
fi
