# The batch solvers against independent references on the same data (tests/integration/ref/solver_ref.py):
# scikit-learn's Ridge, Lasso and LogisticRegression (newton-cholesky, lbfgs, saga, liblinear), numpy closed forms
# for L2-to-base, optimality conditions where no reference exists, and separable data driving margins into the
# thousands. Tolerances: coefficients (intercept included) within 1e-4, objective values within 1e-6 relative,
# the same exact zeros under L1. Each case prints a "figure:" line with the differences achieved.
. "$(dirname "$0")/lib.bash"
py=/usr/bin/python3
"$py" -c 'import numpy, sklearn' 2>/dev/null || { echo "skip: $py has no numpy/sklearn"; exit 77; }
fitmat="$SML_BUILD/tools/fitmat"
[ -x "$fitmat" ] || fail "no $fitmat"
ref="$(dirname "$0")/ref/solver_ref.py"

"$py" "$ref" gen "$T" || fail "reference generation"
while read -r c; do
    mapfile -t args < "$T/$c.args"
    "$fitmat" "${args[@]}" "$T/$c.svm" > "$T/$c.out" 2> "$T/$c.err" || { cat "$T/$c.err" >&2; fail "fitmat $c"; }
    grep -qi nan "$T/$c.out" && fail "$c: NaN in the output"
done < "$T/cases"
"$py" "$ref" check "$T" || fail "solutions differ from the references"

# usage and data errors: exit 1 and 2, one line naming the problem
expect_exit 1 "$fitmat" --loss hinge "$T/ridge_std.svm"
printf '1 1:0.5\n-1 1:1e999\n' > "$T/nan.svm"
expect_exit 2 "$fitmat" --loss logistic "$T/nan.svm"
grep -q 'row 2.*inf' "$T/stderr" || fail "NaN input message: $(cat "$T/stderr")"
printf '1 1:0.5\n0 1:1\n' > "$T/label.svm"
expect_exit 2 "$fitmat" --loss logistic "$T/label.svm"
grep -q 'expected -1 or 1' "$T/stderr" || fail "label message: $(cat "$T/stderr")"
expect_exit 2 "$fitmat" --loss logistic --l1 0.1 --solver tron "$T/ridge_std.svm"
