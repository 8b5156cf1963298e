/* JSON lines push parser: discovery and typed modes, escapes and surrogates, every malformed record with its
 * position, chunking invariance, over-long lines, format detection and compression. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "streamml/streamml.h"
#include "unit.h"

#define READER_HARNESS_SKIP_MISSING
#include "reader_harness.h"

static sml_reader_opts jl_opts(void)
{
    sml_reader_opts o = SML_READER_OPTS_INIT;
    o.format = SML_FORMAT_JSONL;
    o.source_name = "t.jsonl";
    return o;
}

static void test_discovery_mode(void)
{
    sml_reader_opts o = jl_opts();
    const char *in = "{\"a\": 1, \"b\": \"x\"}\n"
                     "{\"b\":\"y\",\"c\":true,\"a\":-2.5e3}\n"
                     "\n"
                     "{\"c\": false, \"a\": null}\r\n"
                     "{}\n";
    char *d = dump_of(&o, NULL, in, 0);
    CHECK_STR(d, "L1@0:|a=[1]|b=[x]\n"
                 "L2@19:|a=[-2.5e3]|b=[y]|c=[true]\n"
                 "L4@50:|c=[false]\n"
                 "L5@75:\n");
    free(d);
    check_invariant(&o, NULL, in, strlen(in));
    sml_reader *r = sml_reader_new(&o, NULL);
    sml_reader_feed(r, in, strlen(in), NULL);
    sml_batch b = SML_BATCH_INIT;
    CHECK_INT(sml_reader_next(r, &b, NULL), 4);
    const char *const *names;
    size_t n;
    CHECK_INT(sml_reader_columns(r, &names, &n), 0);
    CHECK_INT(n, 3);
    CHECK_STR(names[2], "c");
    sml_batch_release(&b);
    sml_reader_free(r);
}

static void test_escapes(void)
{
    sml_reader_opts o = jl_opts();
    const char *in = "{\"s\": \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t e\\u00e9 z\\u4e2d g\\ud83d\\ude00 \\u0041\"}\n"
                     "{\"k\\u0065y\": \"\xC3\xA9t\xC3\xA9\"}\n";
    char *d = dump_of(&o, NULL, in, 0);
    CHECK_STR(d, "L1@0:|s=[q\" b\\ s/ \b\f\n\r\t e\xC3\xA9 z\xE4\xB8\xAD g\xF0\x9F\x98\x80 A]\n"
                 "L2@69:|key=[\xC3\xA9t\xC3\xA9]\n");
    free(d);
    check_invariant(&o, NULL, in, strlen(in));
}

static void test_typed_mode(void)
{
    sml_reader_opts o = jl_opts();
    const char *names[] = {"fico", "ok", "purpose", "rate"};
    sml_type types[] = {SML_TYPE_NUM, SML_TYPE_NUM, SML_TYPE_STR, SML_TYPE_NUM};
    spec sp = {names, types, NULL, 4};
    const char *in = "{\"fico\": 737, \"ok\": true, \"purpose\": \"car\", \"rate\": \"0.5\", \"x\": {\"deep\": [1, \"]\"]}}\n"
                     "{\"ok\": false, \"purpose\": 12, \"rate\": \"\", \"y\": [[]]}\n"
                     "{\"fico\": \"n/a\"}\n"
                     "{\"fico\": 1, \"fico\": 2}\n";
    char *d = dump_of(&o, &sp, in, 0);
    CHECK_STR(d, "L1@0:|fico=737|ok=1|purpose=[car]|rate=0.5\n"
                 "L2@84:|ok=0|purpose=[12]\n"
                 "BAD t.jsonl:3:10: column \"fico\": expected a number, got \"n/a\" @136 raw=[{\"fico\": \"n/a\"}]\n"
                 "L4@152:|fico=2\n");
    free(d);
    check_invariant(&o, &sp, in, strlen(in));
}

static void test_malformed_records(void)
{
    sml_reader_opts o = jl_opts();
    const char *in = "{\"a\": 1 \"b\": 2}\n"      /* 1 */
                     "{\"a\" 1}\n"               /* 2 */
                     "{\"a\": \"open}\n"         /* 3 */
                     "{\"a\": \"\\x\"}\n"        /* 4 */
                     "{\"a\": \"\\ud800\"}\n"    /* 5 */
                     "{\"a\": {\"b\": 1}}\n"     /* 6 */
                     "{\"a\": 1} x\n"            /* 7 */
                     "[1, 2]\n"                  /* 8 */
                     "{\"a\": 01}\n"             /* 9 */
                     "{\"a\": 1.}\n"             /* 10 */
                     "{\"a\": \"t\tab\"}\n"      /* 11 */
                     "{\"a\": \"\xFF\"}\n"       /* 12 */
                     "{\"a\": nul}\n"            /* 13 */
                     "{a: 1}\n"                  /* 14 */
                     "{\"a\": 1,}\n"             /* 15 */
                     "{\"a\": [1]}\n"            /* 16 */
                     "{\"a\": \"\\udc00\"}\n"    /* 17 */
                     "{\"a\": \"\\u12G4\"}\n"    /* 18 */
                     "{\"a\": 2}\n"              /* 19: fine */
                     "{\"a\": 3";                /* 20: unterminated at the end */
    text t = {0};
    tprintf(&t, "%s", "");
    run(&o, NULL, in, strlen(in), 0, 0, &t, NULL);
    const char *want[] = {
        "t.jsonl:1:9: expected ',' or '}' after a value",
        "t.jsonl:2:6: expected ':' after a key",
        "t.jsonl:3:7: unterminated string",
        "t.jsonl:4:8: invalid escape in a string",
        "t.jsonl:5:8: invalid \\u escape (a high surrogate without a low one)",
        "t.jsonl:6:7: nested objects and arrays are not supported",
        "t.jsonl:7:10: unexpected text after the object",
        "t.jsonl:8:1: expected '{' at the start of a record",
        "t.jsonl:9:8: expected ',' or '}' after a value",
        "t.jsonl:10:7: invalid number",
        "t.jsonl:11:9: control character in a string (it must be escaped)",
        "t.jsonl:12:8: invalid UTF-8",
        "t.jsonl:13:7: expected a value",
        "t.jsonl:14:2: expected '\"' to start a key",
        "t.jsonl:15:9: expected '\"' to start a key",
        "t.jsonl:16:7: nested objects and arrays are not supported",
        "t.jsonl:17:8: invalid \\u escape (a low surrogate without a high one)",
        "t.jsonl:18:8: invalid \\u escape (expected four hex digits)",
        "L19@",
        "t.jsonl:20:8: expected ',' or '}' after a value",
    };
    const char *p = t.s;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const char *q = strstr(p, want[i]);
        CHECK_MSG(q != NULL, "missing \"%s\" in order, output:\n%s", want[i], t.s);
        if (q)
            p = q + strlen(want[i]);
    }
    free(t.s);
    check_invariant(&o, NULL, in, strlen(in));
    const char *names[] = {"a"};
    sml_type types[] = {SML_TYPE_NUM};
    spec sp = {names, types, NULL, 1};
    check_invariant(&o, &sp, in, strlen(in));
}

static void test_overlong_line(void)
{
    sml_reader_opts o = jl_opts();
    o.max_record_bytes = 20;
    const char *in = "{\"a\": 1}\n{\"a\": \"0123456789012345678901234567890\"}\n{\"a\": 2}\n{\"a\": \"0123456789012345678";
    char *d = dump_of(&o, NULL, in, 0);
    CHECK_STR(d, "L1@0:|a=[1]\n"
                 "BAD t.jsonl:2:1: record longer than 20 bytes @9 raw=[{\"a\": \"0123456789012345678901234567890\"}]\n"
                 "L3@50:|a=[2]\n"
                 "BAD t.jsonl:4:1: record longer than 20 bytes @59 raw=[{\"a\": \"0123456789012345678]\n");
    free(d);
    check_invariant(&o, NULL, in, strlen(in));
    /* a line of blanks longer than the limit is over-long, whatever the chunking */
    char blanks[64];
    memset(blanks, ' ', sizeof blanks);
    blanks[63] = 0;
    check_invariant(&o, NULL, blanks, 63);
}

static void test_auto_format_and_compression(void)
{
    sml_reader_opts o = SML_READER_OPTS_INIT;
    o.source_name = "t";
    const char *in = "  \n{\"a\": 1}\n{\"a\": 2}\n";
    char *d = dump_of(&o, NULL, in, 1);
    CHECK_STR(d, "L2@3:|a=[1]\nL3@12:|a=[2]\n");
    unsigned char gz[256];
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)strlen(in);
    z.next_out = gz;
    z.avail_out = sizeof gz;
    CHECK_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t gzlen = sizeof gz - z.avail_out;
    deflateEnd(&z);
    text t = {0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, gz, gzlen, 1, 0, &t, NULL), 0);
    CHECK_STR(t.s, d);
    free(t.s);
    unsigned char zs[256];
    size_t zlen = ZSTD_compress(zs, sizeof zs, in, strlen(in), 1);
    t = (text){0};
    tprintf(&t, "%s", "");
    CHECK_INT(run(&o, NULL, zs, zlen, 0, 0, &t, NULL), 0);
    CHECK_STR(t.s, d);
    free(t.s);
    free(d);
}

static void test_many_keys_and_batches(void)
{
    sml_reader_opts o = jl_opts();
    text in = {0};
    for (int i = 0; i < 500; i++)
        tprintf(&in, "{\"k%d\": %d, \"common\": \"v%d\", \"t\": %s}\n", i % 97, i, i, i % 2 ? "true" : "null");
    check_invariant(&o, NULL, in.s, in.len);
    text t = {0};
    tprintf(&t, "%s", "");
    sml_reader_stats st;
    run(&o, NULL, in.s, in.len, 4096, 16, &t, &st);
    CHECK_INT(st.records, 500);
    CHECK_INT(st.lines, 500);
    CHECK_INT(st.bad_records, 0);
    free(t.s);
    free(in.s);
}

int main(void)
{
    RUN(test_discovery_mode);
    RUN(test_escapes);
    RUN(test_typed_mode);
    RUN(test_malformed_records);
    RUN(test_overlong_line);
    RUN(test_auto_format_and_compression);
    RUN(test_many_keys_and_batches);
    return UNIT_DONE();
}
