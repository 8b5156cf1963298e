# Shared helpers for integration tests (sourced). Each test runs the streamml binary as a user would, in its
# own temp dir, and cleans up after itself.
set -euo pipefail
: "${SML_BIN:?run through tests/run.sh}"
SML=$SML_BIN
T=$(mktemp -d "${TMPDIR:-/tmp}/sml-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# The real LendingClub data of seed 002 (never copied into the repo): $SML_DATA, else ../shared/data next to the
# checkout, else the workplace's shared folder. Tests that need it skip when none exists.
LOAN_DATA=${SML_DATA:-$SML_ROOT/../shared/data/loan_data.csv}
[ -f "$LOAN_DATA" ] || [ ! -f /work/shared/data/loan_data.csv ] || LOAN_DATA=/work/shared/data/loan_data.csv
# expect_exit CODE cmd...: runs cmd, checks its exit code, leaves stderr in $T/stderr
expect_exit() {
    local want=$1; shift
    set +e; "$@" >"$T/stdout" 2>"$T/stderr"; local got=$?; set -e
    [ "$got" -eq "$want" ] || { cat "$T/stderr" >&2; fail "expected exit $want, got $got: $*"; }
}
