# Shared helpers for integration tests (sourced). Each test runs the streamml binary as a user would, in its
# own temp dir, and cleans up after itself.
set -euo pipefail
: "${SML_BIN:?run through tests/run.sh}"
SML=$SML_BIN
T=$(mktemp -d "${TMPDIR:-/tmp}/sml-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_exit CODE cmd...: runs cmd, checks its exit code, leaves stderr in $T/stderr
expect_exit() {
    local want=$1; shift
    set +e; "$@" >"$T/stdout" 2>"$T/stderr"; local got=$?; set -e
    [ "$got" -eq "$want" ] || { cat "$T/stderr" >&2; fail "expected exit $want, got $got: $*"; }
}
