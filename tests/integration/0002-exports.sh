# The shared library exports only sml_ symbols, has a soname, and installs with a working pkg-config file.
. "$(dirname "$0")/lib.bash"
so="$SML_BUILD/libstreamml.so"
[ -e "$so" ] || fail "no $so"
bad=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^sml_' || true)
[ -z "$bad" ] || fail "exported symbols without the sml_ prefix: $bad"
n=$(nm -D --defined-only "$so" | awk '$2 == "T"' | grep -c ' sml_')
[ "$n" -gt 10 ] || fail "too few exported functions ($n)"
objdump -p "$so" | grep -q 'SONAME *libstreamml.so.0' || fail "soname"
