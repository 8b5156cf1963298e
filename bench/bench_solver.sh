#!/usr/bin/env bash
# Batch solver benchmark: logistic regression with L2 on ROWS generated rows (10 numeric features on unequal
# scales + 3 one-hot categoricals with 5/20/100 levels = 135 columns, no intercept), solved by streamml's default
# solver (tron) through tests/tools/fitmat, by Debian's liblinear-train (-s 0, the same objective scaled:
# C = 1/(l2·n)) and by scikit-learn's LogisticRegression(lbfgs). Every objective is evaluated by one function
# (fitmat --eval) on each solver's weights, so "gap" compares like with like.
#
# usage: bench/bench_solver.sh [BUILD_DIR] [ROWS]     (env: SML_BENCH_L2=1e-4, SML_BENCH_REPS=3)
# Times are CPU seconds (user + sys; every solver here runs on one thread), best of REPS runs, which keeps them
# comparable on a shared machine; wall_s is that run's wall clock. "solve" excludes reading the file: fitmat
# measures it itself; for liblinear it is its total minus the total of a run that stops at once (-e 1e9: read,
# set up, one function/gradient evaluation), so it is approximate and slightly low; scikit-learn's is the fit()
# call alone (one run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$root" && cd "${1:-build}" && pwd)
rows=${2:-1000000}
l2=${SML_BENCH_L2:-1e-4}
reps=${SML_BENCH_REPS:-3}
fitmat=$build/tools/fitmat
gen=$build/tools/solver_data
for b in "$fitmat" "$gen"; do [ -x "$b" ] || { echo "bench_solver: no $b (run make)" >&2; exit 2; }; done
T=$(mktemp -d "${TMPDIR:-/tmp}/sml-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
C=$(awk -v l="$l2" -v n="$rows" 'BEGIN { printf "%.17g", 1 / (l * n) }')
"$gen" "$rows" > "$T/data.svm"

# best_of CMD...: runs CMD reps times; sets $cpu (least user+sys CPU seconds), $wall and $rss (peak RSS in MB) of
# that run; the last run's stdout stays in $T/out
best_of() {
    cpu=""
    for _ in $(seq "$reps"); do
        /usr/bin/time -f "%U %S %e %M" -o "$T/time" "$@" > "$T/out"
        read -r u s e m < "$T/time"
        c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
        if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then
            cpu=$c wall=$e rss=$((m / 1024))
        fi
    done
}
objective_of() { "$fitmat" --loss logistic --l2 "$l2" --dim 135 --eval "$1" "$T/data.svm" | awk '{ print $2 }'; }
rows_out=()
add_row() { rows_out+=("$1|$2|$3|$4|$5|$6|$7"); }  # solver|setting|objective|solve|total|wall|peak

# streamml: fitmat reports its own read and solve times
for tol in 1e-3 1e-6; do
    solve=""
    for _ in $(seq "$reps"); do
        /usr/bin/time -f "%U %S %e %M" -o "$T/time" "$fitmat" --loss logistic --l2 "$l2" --tol "$tol" --dim 135 \
            "$T/data.svm" > "$T/out"
        sc=$(awk '$1 == "cpu_solve_s" { print $2 }' "$T/out")
        read -r u s e m < "$T/time"
        if [ -z "$solve" ] || awk -v a="$sc" -v b="$solve" 'BEGIN { exit !(a < b) }'; then
            solve=$sc cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') wall=$e rss=$((m / 1024))
        fi
    done
    awk '$1 == "w" { print $3 }' "$T/out" > "$T/ours.w"
    it=$(awk '$1 == "iterations" { i = $2 } $1 == "hess_vecs" { h = $2 } END { print i " it, " h " Hv" }' "$T/out")
    add_row "streamml tron" "tol $tol ($it)" "$(objective_of "$T/ours.w")" "$solve" "$cpu" "$wall" "$rss"
done

# liblinear-train
if command -v liblinear-train > /dev/null; then
    best_of liblinear-train -q -s 0 -c "$C" -e 1e9 "$T/data.svm" "$T/ll0.model"
    base_cpu=$cpu
    for eps in 0.01 0.001 0.0001; do
        best_of liblinear-train -q -s 0 -c "$C" -e "$eps" "$T/data.svm" "$T/ll.model"
        # the weights follow the "w" line; they belong to the first label listed
        awk '$1 == "label" { neg = ($2 == "-1") } f { print (neg ? -$1 : $1) } $1 == "w" { f = 1 }' \
            "$T/ll.model" > "$T/ll.w"
        solve=$(awk -v a="$cpu" -v b="$base_cpu" 'BEGIN { printf "%.2f", a - b }')
        add_row "liblinear 2.3 -s 0" "-e $eps" "$(objective_of "$T/ll.w")" "~$solve" "$cpu" "$wall" "$rss"
    done
else
    echo "bench_solver: liblinear-train not installed (package liblinear-tools): skipped" >&2
fi

# scikit-learn
if /usr/bin/python3 -c 'import sklearn' 2> /dev/null; then
    for tol in 1e-6; do  # it stops on scipy's relative value change (64·eps) long before tol matters
        /usr/bin/time -f "%U %S %e %M" -o "$T/time" /usr/bin/python3 - "$T/data.svm" "$C" "$tol" "$T/sk.w" > "$T/out" <<'PY'
import sys, time, warnings
import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
warnings.simplefilter("ignore")
X, y = load_svmlight_file(sys.argv[1], n_features=135)
t = time.process_time()
m = LogisticRegression(solver="lbfgs", C=float(sys.argv[2]), tol=float(sys.argv[3]), max_iter=100000,
                       fit_intercept=False).fit(X, y)
print("%.3f %d" % (time.process_time() - t, m.n_iter_[0]))
np.savetxt(sys.argv[4], np.ravel(m.coef_), fmt="%.17g")
PY
        read -r solve its < "$T/out"
        read -r u s e m < "$T/time"
        cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
        add_row "sklearn lbfgs" "tol $tol ($its it)" "$(objective_of "$T/sk.w")" "$solve" "$cpu" "$e" "$((m / 1024))"
    done
else
    echo "bench_solver: /usr/bin/python3 has no sklearn: skipped" >&2
fi

best=$(printf '%s\n' "${rows_out[@]}" | awk -F'|' 'NR == 1 || $3 < b { b = $3 } END { printf "%.17g", b }')
echo "solver benchmark: logistic L2 (l2 = $l2, liblinear C = $C), $rows rows x 135 columns, no intercept," \
     "best of $reps (sklearn: 1 run)"
printf '%-19s %-24s %-20s %8s %9s %9s %8s %7s\n' solver setting objective gap solve_cpu total_cpu wall_s peak_MB
printf '%s\n' "${rows_out[@]}" | awk -F'|' -v b="$best" '{
    printf "%-19s %-24s %-20.15g %8.1e %9s %9s %8s %7s\n", $1, $2, $3, ($3 - b) / b, $4, $5, $6, $7 }'
