#!/usr/bin/env bash
# Runs every benchmark binary in BUILD_DIR/bench and prints their output. Usage: bench/run.sh BUILD_DIR
set -u
build=${1:-build}
rc=0
for b in "$build"/bench/*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || rc=1
done
exit $rc
