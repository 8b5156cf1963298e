#!/usr/bin/env bash
# Runs the threaded tests against a ThreadSanitizer build (make tsan): tests/run.sh with SML_SANITIZED=thread and
# the selection in SML_TESTS. Reports go to files (a test's own stderr is often a temp file it deletes), are printed
# at the end, and fail the run. Ends with a line "N passed, N failed" (tests/run.sh's, or counting the reports).
set -u
build=${1:-build-tsan}
root=$(cd "$(dirname "$0")/../.." && pwd)
reports="$root/$build/tsan-reports"
rm -rf "$reports"; mkdir -p "$reports"
log=$(mktemp)
SML_SANITIZED=thread TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$root/tests/tsan/tsan.supp \
log_path=$reports/report" "$root/tests/run.sh" "$build" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(tail -n 1 "$log"); rm -f "$log"
n=0
for f in "$reports"/report*; do
    [ -e "$f" ] || continue
    n=$((n + 1)); echo "=== ThreadSanitizer: $f"; cat "$f"
done
if [ "$n" -gt 0 ]; then
    echo "ThreadSanitizer: $n report(s) above"
    p=$(sed -n 's/^\([0-9]*\) passed, .*/\1/p' <<<"$summary")
    f=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' <<<"$summary")
    [ "${f:-0}" -gt 0 ] || f=1
    summary="${p:-0} passed, $f failed"
    rc=1
    echo "$summary"
fi
exit "$rc"
