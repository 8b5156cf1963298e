#!/usr/bin/env bash
# Issue 3 benchmark, end to end: `streamml fit` on a 1M-row CSV (10 numeric columns of unequal scales + 3
# categoricals with 5/20/100 levels, logistic label): wall time with parsing, the solver's own time (from the
# model's training summary), iterations and peak memory; the solver against liblinear and scikit-learn on the same
# matrix is bench_solver.sh. Usage: bench/bench_fit.sh BUILD_DIR [ROWS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rows=${2:-1000000}
sml=$build/streamml
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$build/tools/benchdata" "$rows" 2 classification > "$t/c.csv"
for args in "--l2 0.0001" "--l2 0.0001 --cv 3"; do
    out=$(/usr/bin/time -f "TIME %e %M" "$sml" fit "$t/c.csv" --label y $args -o "$t/m.smlm" 2>&1)
    wall=$(sed -n 's/^TIME \([0-9.]*\) .*/\1/p' <<<"$out")
    rss=$(sed -n 's/^TIME [0-9.]* \([0-9]*\)$/\1/p' <<<"$out")
    "$sml" inspect --model "$t/m.smlm" --json > "$t/i.json"
    python3 - "$t/i.json" "$rows" "$wall" "$rss" "$args" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); s = m["summary"]
rows, wall, rss, args = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
print(f"fit {args:22s} {rows} rows x {s['features']} features: {wall:.2f} s end to end "
      f"({rows / wall / 1e6:.2f} M rows/s), final solve {s['seconds']:.2f} s ({s['solver']}, {s['iterations']} iterations, "
      f"{'converged' if s['converged'] else 'NOT converged'}), peak {rss / 1024:.0f} MB")
PY
done
