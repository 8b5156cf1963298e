# streamml build. `make` builds build/libstreamml.{a,so}, build/streamml and the unit tests;
# `make check` runs the test suite; `make asan` builds and runs it with ASan+UBSan in build-asan/;
# `make fuzz` builds the libFuzzer targets with clang and runs them long; `make bench` runs the benchmarks.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
SAN     ?=
OPT     ?= -O2

SOVERSION := 0
VERSION   := 0.1.0

# Dependencies come through pkg-config.
PKGS := zlib libzstd libcjson libmicrohttpd hiredis rdkafka libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
CSTD   := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT := -O1
endif
ifeq ($(SAN),thread)
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
OPT := -O1
# librdkafka's C11 threads and locks through TSan's interceptors (see the file)
TSAN_SHIM := $(BUILD)/obj/tests/tsan/c11threads.o
endif
CFLAGS_ALL := $(CSTD) $(OPT) -g $(WARN) $(SANFLAGS) -fPIC -fvisibility=hidden -Iinclude -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lsnappy -lm -lpthread $(TSAN_SHIM) $(LDLIBS)
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)

STAGES   := common parse features models optim store io engine serve
LIB_SRC  := $(foreach d,$(STAGES),$(wildcard src/$(d)/*.c))
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard bench/*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
HEADERS  := $(wildcard include/streamml/*.h)

STATIC := $(BUILD)/libstreamml.a
SHARED := $(BUILD)/libstreamml.so.$(VERSION)
BIN    := $(BUILD)/streamml

.PHONY: FORCE all lib check check-long asan tsan fuzz fuzz-short bench install clean analyze analyze-deep analyze-cppcheck
all: lib $(BIN) $(TEST_BIN) $(BENCH_BIN) $(TOOL_BIN)
lib: $(STATIC) $(SHARED)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJ) | $(TSAN_SHIM)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ) | $(TSAN_SHIM)
	$(CC) -shared -Wl,-soname,libstreamml.so.$(SOVERSION) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)
	ln -sf libstreamml.so.$(VERSION) $(BUILD)/libstreamml.so.$(SOVERSION)
	ln -sf libstreamml.so.$(SOVERSION) $(BUILD)/libstreamml.so

$(BIN): $(CLI_OBJ) $(STATIC)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(STATIC) $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(STATIC) $(LDFLAGS_ALL) $(LDLIBS_ALL)

# Test tools: small programs the integration tests and benchmarks drive (they may use internal headers).
$(BUILD)/tools/%: tests/tools/%.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(STATIC) $(LDFLAGS_ALL) $(LDLIBS_ALL)

$(BUILD)/bench/%: bench/%.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O3 -march=native -o $@ $< $(STATIC) $(LDFLAGS_ALL) $(LDLIBS_ALL)

# Generated at build time: the power-of-five tables of the number parser and formatter (src/common/num.c).
$(BUILD)/gen/num_pow5.h build-fuzz/gen/num_pow5.h: tools/gen_num_pow5.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O1 $(WARN) -o $(dir $@)gen_num_pow5 $<
	$(dir $@)gen_num_pow5 > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/src/common/num.o: $(BUILD)/gen/num_pow5.h
$(BUILD)/obj/src/common/num.o: CFLAGS_ALL += -I$(BUILD)/gen

# regenerated every time: it depends on PREFIX
$(BUILD)/streamml.pc: streamml.pc.in FORCE
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@PKGS@|$(PKGS)|g' $< > $@

# The test suite: unit tests, integration tests, short fuzz runs. Prints "N passed, N failed".
check: all
	tests/run.sh $(BUILD)

asan:
	$(MAKE) BUILD=build-asan SAN=1 all
	SML_SANITIZED=1 tests/run.sh build-asan

# ThreadSanitizer (clang): the library, the binary and the tests built with -fsanitize=thread in build-tsan/, then the
# tests that run threads: serve, the embedding example (4 threads), run metrics, Kafka, store watching.
TSAN_TESTS ?= 0034 0090 0093 0100 0102 0110
tsan:
	$(MAKE) BUILD=build-tsan SAN=thread CC=clang all
	SML_TESTS="$(TSAN_TESTS)" tests/tsan/run.sh build-tsan

# Slow suites kept out of the default test command.
check-long: all
	SML_LONG=1 tests/run.sh $(BUILD)

# libFuzzer targets (clang). fuzz-short is part of the test command; fuzz runs each target for FUZZ_SECONDS.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 300
FUZZ_FLAGS := $(CSTD) -O1 -g -Iinclude -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# the library is compiled once for every target (instrumented objects under build-fuzz/obj), then linked per target
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
.SECONDARY: $(FUZZ_OBJ)
build-fuzz/obj/%.o: %.c $(HEADERS) $(wildcard src/*/*.h) build-fuzz/gen/num_pow5.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -Ibuild-fuzz/gen -c -o $@ $<
build-fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(FUZZ_OBJ) $(HEADERS) $(wildcard src/*/*.h)
	@mkdir -p build-fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -lsnappy -lm -lpthread
fuzz-build: $(FUZZ_BIN)
fuzz-short: $(FUZZ_BIN)
	tests/fuzz/run.sh short $(FUZZ_BIN)
fuzz: $(FUZZ_BIN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh long $(FUZZ_BIN)

bench: all
	bench/run.sh $(BUILD)

# Static analysis, part of scripts/test: clang-tidy with the checks in .clang-tidy over every source, two files at
# a time per process, as many processes as cores; must be clean (warnings are errors).
TIDY_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
analyze: $(BUILD)/gen/num_pow5.h
	ls src/*/*.c tests/tsan/*.c | TIDY_CFLAGS="$(CSTD) -Wall -Wextra -Iinclude -Isrc -I$(BUILD)/gen $(PKG_CFLAGS)" \
	    xargs -P$(TIDY_JOBS) -n2 sh -c 'clang-tidy --quiet "$$@" -- $$TIDY_CFLAGS' clang-tidy

# The clang static analyzer (clang-tidy's clang-analyzer-* checks) over the library's sources, part of scripts/test
# (about 1 minute on 2 cores); must be clean. include/streamml/error.h tells it (under __clang_analyzer__ only)
# that sml_fail returns its code. Left out, each for a reason:
#   security.insecureAPI.*   memcpy/snprintf "use the _s variants" (C11 Annex K, which glibc does not have)
#   deadcode.DeadStores      `if ((rc = f()) != 0)` then a reset of rc: the house style; -Wall's unused checks stay
#   valist.Uninitialized     reports vsnprintf after va_start in the same function (a known false positive)
#   optin.performance.Padding  padding of long-lived structs (one engine per run) is not worth reordering them
DEEP_CHECKS := -*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,-clang-analyzer-deadcode.DeadStores,\
	-clang-analyzer-valist.Uninitialized,-clang-analyzer-optin.performance.Padding
analyze-deep: $(BUILD)/gen/num_pow5.h
	ls src/*/*.c | TIDY_CFLAGS="$(CSTD) -Wall -Wextra -Iinclude -Isrc -I$(BUILD)/gen $(PKG_CFLAGS)" \
	    xargs -P$(TIDY_JOBS) -n2 sh -c 'clang-tidy --quiet --checks="$(DEEP_CHECKS)" "$$@" -- $$TIDY_CFLAGS' clang-tidy

# cppcheck over the sources (warnings, portability); clean, but about 7 minutes on 2 cores: not in scripts/test.
analyze-cppcheck:
	cppcheck -j2 --max-configs=1 --quiet --enable=warning,portability --inline-suppr --std=c11 -Iinclude -Isrc \
	    -D__GNUC__ -D__SSE2__ --suppress=missingIncludeSystem --error-exitcode=1 src/


install: lib $(BIN) $(BUILD)/streamml.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/streamml \
	           $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/streamml
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/libstreamml.a
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/libstreamml.so.$(VERSION)
	ln -sf libstreamml.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libstreamml.so.$(SOVERSION)
	ln -sf libstreamml.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libstreamml.so
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/streamml/
	install -m 644 $(BUILD)/streamml.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/streamml.pc

clean:
	rm -rf build build-asan build-fuzz build-tsan

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
FORCE:
