# dir: sources take complete new files as they appear, in name order, and never read temp files, hidden files or
# the run's own output folder (seed 002's stream died because its input glob matched its output folder): here the output file sits in the input folder itself.
. "$(dirname "$0")/lib.bash"
count() { if [ -f "$1" ]; then grep -vc "$2" "$1" || true; else echo 0; fi; }
"$SML" gen loans --rows 3000 --seed 4 -o "$T/loans.csv"
"$SML" fit "$T/loans.csv" --label not.fully.paid -o "$T/m.smlm" >/dev/null
mkdir -p "$T/in/out"
head -1 "$T/loans.csv" > "$T/h"
"$SML" run --from "dir:$T/in" --model "$T/m.smlm" --to "$T/in/pred.csv" --batch-interval 50ms \
    --dead-letter "$T/dead.jsonl" --log-level warn &
pid=$!
{ cat "$T/h"; sed -n 2,1001p "$T/loans.csv"; } > "$T/in/part-1.csv"
{ cat "$T/h"; sed -n 1002,2001p "$T/loans.csv"; } > "$T/in/.hidden.csv"
{ cat "$T/h"; sed -n 1002,2001p "$T/loans.csv"; } > "$T/in/part-2.csv.tmp"
cp "$T/in/part-1.csv" "$T/in/_SUCCESS"
sleep 0.5
mv "$T/in/part-2.csv.tmp" "$T/in/part-2.csv"     # a writer's atomic rename: now complete
{ cat "$T/h"; sed -n 2002,3001p "$T/loans.csv"; } | gzip > "$T/in/part-3.csv.gz"
for _ in $(seq 100); do [ "$(count "$T/in/pred.csv" '^not.fully')" -ge 3000 ] && break; sleep 0.1; done
sleep 0.5   # anything more that would come (it must not) comes now
kill -TERM "$pid"; wait "$pid" || fail "run did not end cleanly"
n=$(count "$T/in/pred.csv" '^not.fully')
[ "$n" -eq 3000 ] || fail "expected the 3000 records of the three files, got $n"
[ ! -s "$T/dead.jsonl" ] || fail "no dead letters expected: $(head -2 "$T/dead.jsonl")"
