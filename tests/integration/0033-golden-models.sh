# Model files of every released format version still load and predict exactly what they predicted when written
# (tests/golden/make.sh made them; they are never regenerated).
. "$(dirname "$0")/lib.bash"
G="$SML_ROOT/tests/golden"
n=0
for m in "$G"/*.smlm; do
    base=${m%.smlm}
    case "$(basename "$m")" in loans-*) input="$G/score-input.csv" ;; *) input="$G/feed-input.csv" ;; esac
    "$SML" predict --model "$m" --data "$input" -o "$T/out.csv" 2>/dev/null || fail "$(basename "$m") does not load"
    # same columns and classes; numbers equal to 1e-12 (summation order may change, the model may not)
    /usr/bin/python3 - "$T/out.csv" "$base.expected.csv" <<'PY' || fail "$(basename "$m"): predictions changed"
import csv, sys
a, b = list(csv.reader(open(sys.argv[1]))), list(csv.reader(open(sys.argv[2])))
assert len(a) == len(b) and a[0] == b[0], "shape or header"
for ra, rb in zip(a[1:], b[1:]):
    for x, y in zip(ra, rb):
        try:
            fx, fy = float(x), float(y)
            assert abs(fx - fy) <= 1e-12 * max(1.0, abs(fy)), (x, y)
        except ValueError:
            assert x == y, (x, y)
PY
    "$SML" inspect --model "$m" --json > "$T/i.json" || fail "inspect $(basename "$m")"
    n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "no golden models found"
