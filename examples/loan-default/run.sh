#!/usr/bin/env bash
# Seed 002, part 1: fit a logistic regression on LendingClub-style loans with 5-fold cross-validation over an l2
# grid, publish it to a model store, inspect it, and evaluate it on held-out loans.
#   examples/loan-default/run.sh                 # generated loans (streamml gen loans)
#   examples/loan-default/run.sh loan_data.csv   # the real data (e.g. ../shared/data/loan_data.csv)
# OUT=DIR keeps the files; SML=path/to/streamml picks the binary (default: build/streamml).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sml=${SML:-$root/build/streamml}
out=${OUT:-$(mktemp -d)}
rows=${ROWS:-20000}
mkdir -p "$out"
if [ $# -ge 1 ]; then
    data=$1
    # hold out every fifth row for the final evaluation
    awk -v RS='\r\n|\r|\n' 'NR == 1 { print > "'"$out"'/train.csv"; print > "'"$out"'/test.csv"; next }
        { print > ((NR % 5 == 0) ? "'"$out"'/test.csv" : "'"$out"'/train.csv") }' "$data"
else
    "$sml" gen loans --rows "$rows" --seed 1 -o "$out/train.csv"
    "$sml" gen loans --rows $((rows / 4)) --seed 2 -o "$out/test.csv"
fi
echo "== fit: 5-fold CV over l2, refit on all training rows, publish"
"$sml" fit "$out/train.csv" --label not.fully.paid --cv 5 --grid "l2=0.0001,0.001,0.01" --store "$out/store"
echo "== inspect"
"$sml" inspect --model "$out/store" | sed -n '1,4p;/^intercept/,$p'
echo "== eval on held-out loans"
"$sml" eval --model "$out/store" --data "$out/test.csv"
echo "files in $out"
