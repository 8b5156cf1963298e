#!/usr/bin/env bash
# Runs every benchmark: each binary built into BUILD_DIR/bench/, then each bench/bench_*.sh script with BUILD_DIR.
# Usage: bench/run.sh BUILD_DIR
set -u
build=${1:-build}
rc=0
for b in "$build"/bench/*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || rc=1
done
for s in "$(dirname "$0")"/bench_*.sh; do
    [ -f "$s" ] || continue
    echo "== $(basename "$s")"
    bash "$s" "$build" || rc=1
done
exit $rc
