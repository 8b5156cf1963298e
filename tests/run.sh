#!/usr/bin/env bash
# Runs the test suite against a build directory: every unit-test binary, then every integration test.
# Usage: tests/run.sh BUILD_DIR. Ends with the line "N passed, N failed" and exits non-zero on any failure.
# SML_LONG=1 also runs the slow tests (integration tests named *.long.sh). SML_TESTS="0100 0110" runs only the
# integration tests whose names start with one of those words (and no unit tests).
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$root" && cd "$build" && pwd)
export SML_BUILD="$build" SML_BIN="$build/streamml" SML_ROOT="$root"
passed=0 failed=0 failures=()

selected() {  # selected NAME: in SML_TESTS, or no selection
    [ -z "${SML_TESTS:-}" ] && return 0
    local w
    for w in $SML_TESTS; do case "$1" in "$w"*) return 0 ;; esac; done
    return 1
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    [ -z "${SML_TESTS:-}" ] || continue
    name=$(basename "$t")
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | grep -c '^ok ')
    f=$(printf '%s\n' "$out" | grep -c '^not ok ')
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # crashed or exited early
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        failures+=("$name")
        printf '%s\n' "$out" | grep -v '^ok ' | sed "s/^/  [$name] /" | tail -n 40
    fi
    printf '%-40s %3d passed, %d failed\n' "$name" "$p" "$f"
done

for t in "$root"/tests/integration/*.sh; do
    [ -f "$t" ] || continue
    case "$t" in *.long.sh) [ "${SML_LONG:-0}" = 1 ] || continue ;; esac
    name=$(basename "$t" .sh)
    selected "$name" || continue
    start=$(date +%s)
    out=$(bash "$t" 2>&1); rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); printf '%-40s ok (%ds)\n' "$name" "$secs"
    elif [ $rc -eq 77 ]; then
        printf '%-40s skipped: %s\n' "$name" "$(printf '%s\n' "$out" | tail -n 1)"
    else
        failed=$((failed + 1)); failures+=("$name")
        printf '%-40s FAILED (%ds)\n' "$name" "$secs"
        printf '%s\n' "$out" | tail -n 40 | sed "s/^/  [$name] /"
    fi
    # figures a test wants reported are printed as lines starting with "figure:"
    printf '%s\n' "$out" | grep '^figure:' | sed 's/^/  /'
done

[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
