# The command as a user meets it: help, version, exit codes, one-line errors.
. "$(dirname "$0")/lib.bash"

expect_exit 0 "$SML" --help
grep -q '^usage: streamml <command>' "$T/stdout" || fail "--help"
expect_exit 0 "$SML" --version
grep -Eq '^streamml [0-9]+\.[0-9]+\.[0-9]+$' "$T/stdout" || fail "--version"
expect_exit 1 "$SML"
expect_exit 1 "$SML" frobnicate
grep -q 'unknown command "frobnicate"' "$T/stderr" || fail "unknown command message"
for c in gen schema; do
    expect_exit 0 "$SML" $c --help
    grep -q "^usage: streamml $c" "$T/stdout" || fail "$c --help"
    expect_exit 0 "$SML" help $c
done
expect_exit 0 "$SML" help config
grep -q '^batch_size' "$T/stdout" || fail "help config lists batch_size"
# usage errors: exit 1, one line on stderr naming the problem
expect_exit 1 "$SML" gen loans --rows ten
grep -q 'rows = "ten": expected an integer' "$T/stderr" || fail "bad --rows message: $(cat "$T/stderr")"
[ "$(wc -l < "$T/stderr")" -eq 1 ] || fail "error is one line"
expect_exit 1 "$SML" gen loans --no-such-flag
expect_exit 1 "$SML" gen loans --set batch_size=3
grep -q 'does not apply' "$T/stderr" || fail "--set of a setting gen does not take"
expect_exit 1 "$SML" schema x.csv --sample-rows 0
grep -q 'out of range' "$T/stderr" || fail "range check"
# docs/CONFIG.md is the property table as the binary prints it
"$SML" help config --markdown > "$T/config.md"
cmp -s "$T/config.md" "$SML_ROOT/docs/CONFIG.md" || fail "docs/CONFIG.md is stale: build/streamml help config --markdown > docs/CONFIG.md"
