# fit's solutions on the real loan data against scikit-learn on the same matrix and objective:
# objective within 1e-6 relative, coefficients (and intercept) within 1e-4, the same exact zeros for L1.
. "$(dirname "$0")/lib.bash"
D=$LOAN_DATA
[ -f "$D" ] || { echo "skip: no $D"; exit 77; }
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || fail "python3-sklearn is not installed (scripts/install-deps)"
check() {  # check MODE L2 L1 LABEL
    "$SML" fit "$D" --label "$4" --task "$( [ "$1" = logistic ] && echo classification || echo regression)" \
        --l2 "$2" --l1 "$3" --tol 1e-10 --max-iter 10000 -o "$T/$1.smlm" > "$T/fit.out" || fail "fit $1"
    "$SML" inspect --model "$T/$1.smlm" --json > "$T/$1.json"
    /usr/bin/python3 "$SML_ROOT/tests/integration/ref/fit_ref.py" "$D" "$T/$1.json" "$1" "$2" "$3" || fail "$1 differs"
}
check logistic 0.001 0 not.fully.paid
check ridge 0.01 0 int.rate
check lasso 0 0.0005 int.rate
