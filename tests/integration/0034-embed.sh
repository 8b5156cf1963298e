# The C API as an embedding program uses it: `make install` into a prefix, build examples/embed against the
# installed library through pkg-config, score a record from 4 threads.
. "$(dirname "$0")/lib.bash"
[ "${SML_SANITIZED:-0}" = 1 ] && { echo "skip: the installed library is the plain build"; exit 77; }
# under ThreadSanitizer (make tsan) the library installed is the instrumented one, and the example is built with it
make_vars=() embed_vars=()
[ "${SML_SANITIZED:-0}" = thread ] && make_vars=(SAN=thread CC=clang) &&
    embed_vars=(CC=clang "CFLAGS=-O1 -g -Wall -Wextra -Werror -fsanitize=thread")
make -s -C "$SML_ROOT" BUILD="$SML_BUILD" "${make_vars[@]}" install PREFIX="$T/prefix" >/dev/null || fail "make install"
for f in bin/streamml lib/libstreamml.a lib/libstreamml.so.0 include/streamml/streamml.h lib/pkgconfig/streamml.pc; do
    [ -e "$T/prefix/$f" ] || fail "not installed: $f"
done
cp -r "$SML_ROOT/examples/embed" "$T/embed"
PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig" make -s -C "$T/embed" "${embed_vars[@]}" >/dev/null || fail "building the example"
"$SML" gen loans --rows 2000 --seed 2 -o "$T/loans.csv"
"$SML" fit "$T/loans.csv" --label not.fully.paid --store "$T/store" >/dev/null
LD_LIBRARY_PATH="$T/prefix/lib" "$T/embed/embed" "$T/store" purpose=credit_card fico=700 int.rate=0.12 \
    > "$T/out" || fail "embed run: $(cat "$T/out")"
grep -q 'model version 1: classification of "not.fully.paid"' "$T/out" || fail "info: $(cat "$T/out")"
grep -q '4 x 10000 predictions, 0 mismatches' "$T/out" || fail "threads"
# the same record through the command gives the same probability
printf 'purpose,fico,int.rate\ncredit_card,700,0.12\n' > "$T/one.csv"
"$SML" predict --model "$T/store" --data "$T/one.csv" 2>/dev/null | tail -1 | cut -d, -f2 > "$T/cli"
want=$(sed -n 's/^prediction: [01] (probability \(.*\))$/\1/p' "$T/out")
[ "$(cat "$T/cli")" = "$want" ] || fail "C API $want vs predict $(cat "$T/cli")"
