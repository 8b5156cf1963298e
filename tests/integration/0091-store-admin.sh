# streamml store: list, rollback, pin, gc — gc never removes current (or newer), the rollback target or a pinned
# version; rollback refuses an unreadable version.
. "$(dirname "$0")/lib.bash"
"$SML" gen loans --rows 1500 -o "$T/l.csv"
for i in 1 2 3 4 5 6; do "$SML" fit "$T/l.csv" --label not.fully.paid --store "$T/s" >/dev/null; done
expect_exit 0 "$SML" store list --store "$T/s"
[ "$(grep -c '^[0-9]' "$T/stdout")" -eq 6 ] && grep -q '^6  *current' "$T/stdout" || fail "list: $(cat "$T/stdout")"
expect_exit 0 "$SML" store pin 2 --store "$T/s"
expect_exit 0 "$SML" store rollback 4 --store "$T/s"
[ "$(cat "$T/s/current")" = 4 ] || fail "rollback"
expect_exit 0 "$SML" store gc --keep-versions 0 --store "$T/s"
ls "$T/s" | grep -o '^v[0-9]*' | sed 's/^v0*//' | sort -n | tr '\n' ' ' > "$T/left"
[ "$(cat "$T/left")" = "2 3 4 5 6 " ] || fail "gc kept: $(cat "$T/left") (want pinned 2, rollback target 3, current 4, newer 5 6)"
head -c 50 "$T/s/v00000005.smlm" > "$T/x" && cp "$T/x" "$T/s/v00000005.smlm"
expect_exit 2 "$SML" store rollback 5 --store "$T/s"
[ "$(cat "$T/s/current")" = 4 ] || fail "an unreadable version must not become current"
expect_exit 2 "$SML" store pin 99 --store "$T/s"
expect_exit 1 "$SML" store frobnicate --store "$T/s"
