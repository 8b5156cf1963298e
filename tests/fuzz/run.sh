#!/usr/bin/env bash
# Runs libFuzzer targets. `short`: each target briefly (FUZZ_SHORT_SECONDS, default 10) from its seed corpus, as
# part of the test command; `long`: FUZZ_SECONDS each (make fuzz). A crash is a failure; its input is kept in
# tests/fuzz/artifacts/. Ends with "N passed, N failed" (one per target).
set -u
mode=$1; shift
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SHORT_SECONDS:-10}
[ "$mode" = long ] && secs=${FUZZ_SECONDS:-300}
passed=0 failed=0
mkdir -p "$root/tests/fuzz/artifacts"
for bin in "$@"; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus="$root/tests/fuzz/corpus/${name#fuzz_}"
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
    log=$(mktemp)
    if "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$root/tests/fuzz/artifacts/$name-" "$work" >"$log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
        [ -n "$execs" ] || execs=$(grep -Eo '#[0-9]+' "$log" | tail -n 1 | tr -d '#')
        printf '%-30s ok (%s executions in %ss)\n' "$name" "${execs:-?}" "$secs"
        passed=$((passed + 1))
    else
        printf '%-30s CRASHED\n' "$name"; tail -n 30 "$log"
        failed=$((failed + 1))
    fi
    rm -rf "$work" "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
