/* Text record writer: CSV quoting, JSON escaping, numbers, missing values, write errors. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "streamml/streamml.h"
#include "unit.h"

/* A sink that collects everything in memory, and can be told to fail after some bytes. */
typedef struct mem_sink {
    char data[1 << 20];
    size_t len;
    size_t fail_after; /* 0: never fail */
    int calls;
} mem_sink;

static int mem_write(void *opaque, const void *buf, size_t len, sml_error *err)
{
    mem_sink *m = opaque;
    m->calls++;
    if (m->fail_after && m->len + len > m->fail_after)
        return sml_fail(err, SML_EIO, "disk full (test)");
    if (m->len + len >= sizeof m->data)
        return sml_fail(err, SML_ERANGE, "test sink overflow");
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    m->data[m->len] = 0;
    return 0;
}

static mem_sink sink; /* big: keep it off the stack */

static sml_textout *open_out(sml_text_format f, const char *const *names, size_t n)
{
    memset(&sink, 0, sizeof sink);
    sml_error err = SML_ERROR_INIT;
    sml_textout *t = sml_textout_new(f, ',', names, n, mem_write, &sink, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    return t;
}

static void row_str(sml_textout *t, const char *s)
{
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_str(t, s, strlen(s), NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
}

static void test_csv_plain_and_header(void)
{
    const char *names[] = {"a", "b c", "d,e"};
    sml_textout *t = open_out(SML_TEXT_CSV, names, 3);
    CHECK_INT(sml_textout_header(t, NULL), 0);
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_int(t, -42, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, 0.5, NULL), 0);
    CHECK_INT(sml_textout_put_str(t, "x", 1, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    CHECK_INT(sink.len, 0); /* buffered until flush */
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_STR(sink.data, "a,b c,\"d,e\"\n-42,0.5,x\n");
    CHECK_INT(sml_textout_bytes(t), strlen(sink.data));
    sml_textout_free(t);
}

static void test_csv_quoting(void)
{
    const char *names[] = {"s"};
    sml_textout *t = open_out(SML_TEXT_CSV, names, 1);
    row_str(t, "plain text");
    row_str(t, "has,comma");
    row_str(t, "say \"hi\"");
    row_str(t, "two\nlines");
    row_str(t, "cr\rhere");
    row_str(t, " lead");
    row_str(t, "trail ");
    row_str(t, "");
    row_str(t, "\"");
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_STR(sink.data, "plain text\n\"has,comma\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\"cr\rhere\"\n"
                         "\" lead\"\n\"trail \"\n\"\"\n\"\"\"\"\n");
    sml_textout_free(t);
}

static void test_csv_other_delimiter(void)
{
    const char *names[] = {"a", "b"};
    memset(&sink, 0, sizeof sink);
    sml_textout *t = sml_textout_new(SML_TEXT_CSV, '\t', names, 2, mem_write, &sink, NULL);
    CHECK(t != NULL);
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_str(t, "x,y", 3, NULL), 0);
    CHECK_INT(sml_textout_put_str(t, "p\tq", 3, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_STR(sink.data, "x,y\t\"p\tq\"\n");
    sml_textout_free(t);
    sml_error err = SML_ERROR_INIT;
    CHECK(sml_textout_new(SML_TEXT_CSV, '"', names, 2, mem_write, &sink, &err) == NULL);
    CHECK_INT(err.code, SML_EINVAL);
}

static void test_json_escaping(void)
{
    const char *names[] = {"k\"ey", "n", "s"};
    sml_textout *t = open_out(SML_TEXT_JSONL, names, 3);
    CHECK_INT(sml_textout_header(t, NULL), 0); /* nothing for JSONL */
    const char s[] = "q\"b\\n\nt\tc\x01\x1f\x7f";
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, 1.25, NULL), 0);
    CHECK_INT(sml_textout_put_int(t, 7, NULL), 0);
    CHECK_INT(sml_textout_put_str(t, s, sizeof s - 1, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_STR(sink.data, "{\"k\\\"ey\":1.25,\"n\":7,\"s\":\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f\x7f\"}\n");
    sml_textout_free(t);
}

static void test_nul_byte_in_string(void)
{
    const char *names[] = {"s"};
    sml_textout *t = open_out(SML_TEXT_JSONL, names, 1);
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_str(t, "a\0b", 3, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_STR(sink.data, "{\"s\":\"a\\u0000b\"}\n");
    sml_textout_free(t);
}

static void test_utf8_passthrough(void)
{
    const char *names[] = {"имя"};
    const char *v = "Привет, мир — ✓ 😀";
    sml_textout *t = open_out(SML_TEXT_JSONL, names, 1);
    row_str(t, v);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    char want[256];
    snprintf(want, sizeof want, "{\"имя\":\"%s\"}\n", v);
    CHECK_STR(sink.data, want);
    sml_textout_free(t);

    t = open_out(SML_TEXT_CSV, names, 1);
    CHECK_INT(sml_textout_header(t, NULL), 0);
    row_str(t, "мир");
    row_str(t, v); /* has a comma: quoted, bytes unchanged */
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    snprintf(want, sizeof want, "имя\nмир\n\"%s\"\n", v);
    CHECK_STR(sink.data, want);
    sml_textout_free(t);
}

static void test_missing_and_specials(void)
{
    const char *names[] = {"a", "b", "c", "d", "e"};
    sml_textout *t = open_out(SML_TEXT_CSV, names, 5);
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_missing(t, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, NAN, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, INFINITY, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, -INFINITY, NULL), 0);
    CHECK_INT(sml_textout_put_missing(t, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_STR(sink.data, ",nan,inf,-inf,\n");
    sml_textout_free(t);

    t = open_out(SML_TEXT_JSONL, names, 5);
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_missing(t, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, NAN, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, INFINITY, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, -0.0, NULL), 0);
    CHECK_INT(sml_textout_put_num(t, 3e300, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_STR(sink.data, "{\"a\":null,\"b\":null,\"c\":null,\"d\":-0,\"e\":3e+300}\n");
    sml_textout_free(t);
}

static void test_numbers_round_trip(void)
{
    const char *names[] = {"x"};
    static const double vals[] = {0.1, 1.0 / 3, 123456789012.0, -2.5e-8, 1e21, 9007199254740993.0, 0.0, 42.0,
                                  -1234567.0, 5e-324};
    sml_textout *t = open_out(SML_TEXT_CSV, names, 1);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        CHECK_INT(sml_textout_begin_row(t, NULL), 0);
        CHECK_INT(sml_textout_put_num(t, vals[i], NULL), 0);
        CHECK_INT(sml_textout_end_row(t, NULL), 0);
    }
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    char *p = sink.data;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char *nl = strchr(p, '\n');
        CHECK(nl != NULL);
        if (!nl)
            break;
        double back = -1;
        CHECK_INT(sml_parse_double(p, (size_t)(nl - p), &back), 0);
        CHECK_MSG(back == vals[i], "%.*s", (int)(nl - p), p);
        p = nl + 1;
    }
    CHECK(strncmp(sink.data, "0.1\n", 4) == 0);
    CHECK(strstr(sink.data, "\n42\n-1234567\n") != NULL);
    sml_textout_free(t);
}

static void test_fixed_decimals(void)
{
    const char *names[] = {"x"};
    struct { int64_t v; unsigned d; const char *want; } cases[] = {
        {1189, 4, "0.1189"}, {1190, 4, "0.119"}, {300, 2, "3"}, {-5, 2, "-0.05"}, {0, 3, "0"},
        {82910, 2, "829.1"}, {1135040654, 8, "11.35040654"}, {7, 0, "7"}, {1, 5, "0.00001"},
        {-1207359, 0, "-1207359"}, {1, 18, "1e-18"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    sml_textout *t = open_out(SML_TEXT_CSV, names, 1);
    for (size_t i = 0; i < n; i++) {
        sink.len = 0;
        CHECK_INT(sml_textout_begin_row(t, NULL), 0);
        CHECK_INT(sml_textout_put_fixed(t, cases[i].v, cases[i].d, NULL), 0);
        CHECK_INT(sml_textout_end_row(t, NULL), 0);
        CHECK_INT(sml_textout_flush(t, NULL), 0);
        sink.data[sink.len - 1] = 0;
        CHECK_STR(sink.data, cases[i].want);
    }
    /* the text reads back to the double nearest the decimal */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned d = (unsigned)(x % 9);
        int64_t v = (int64_t)(x >> 20) % 100000000000 - 50000000000;
        static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
        sink.len = 0;
        CHECK_INT(sml_textout_begin_row(t, NULL), 0);
        CHECK_INT(sml_textout_put_fixed(t, v, d, NULL), 0);
        CHECK_INT(sml_textout_end_row(t, NULL), 0);
        CHECK_INT(sml_textout_flush(t, NULL), 0);
        double back;
        CHECK_INT(sml_parse_double(sink.data, sink.len - 1, &back), 0);
        CHECK_MSG(back == (double)v / p10[d], "%lld/10^%u -> %.*s", (long long)v, d, (int)sink.len - 1, sink.data);
    }
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_fixed(t, 1, 19, NULL), SML_EINVAL);
    sml_textout_free(t);
}

static void test_row_shape_errors(void)
{
    const char *names[] = {"a", "b"};
    sml_error err = SML_ERROR_INIT;
    sml_textout *t = open_out(SML_TEXT_CSV, names, 2);
    CHECK_INT(sml_textout_put_int(t, 1, &err), SML_ESTATE);
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_int(t, 1, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, &err), SML_ESTATE);
    CHECK(strstr(err.msg, "1 of 2") != NULL);
    CHECK_INT(sml_textout_put_int(t, 2, NULL), 0);
    CHECK_INT(sml_textout_put_int(t, 3, &err), SML_ESTATE);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    sml_textout_free(t);
}

static void test_write_error_propagates(void)
{
    const char *names[] = {"n", "s"};
    sml_error err = SML_ERROR_INIT;
    sml_textout *t = open_out(SML_TEXT_CSV, names, 2);
    sink.fail_after = 100000; /* the second buffer-full write fails */
    int rc = 0;
    long rows = 0;
    for (; rows < 100000 && rc == 0; rows++) {
        rc = sml_textout_begin_row(t, &err);
        if (!rc)
            rc = sml_textout_put_int(t, rows, &err);
        if (!rc)
            rc = sml_textout_put_str(t, "some text", 9, &err);
        if (!rc)
            rc = sml_textout_end_row(t, &err);
    }
    CHECK_INT(rc, SML_EIO);
    CHECK(rows < 100000);
    CHECK(strstr(err.msg, "disk full") != NULL);
    /* sticky: later calls report it too, including flush */
    sml_error err2 = SML_ERROR_INIT;
    CHECK_INT(sml_textout_flush(t, &err2), SML_EIO);
    CHECK(strstr(err2.msg, "disk full") != NULL);
    CHECK_INT(sml_textout_begin_row(t, NULL), SML_EIO);
    sml_textout_free(t);

    /* a failure at the final flush is reported by that flush */
    t = open_out(SML_TEXT_CSV, names, 2);
    sink.fail_after = 1;
    CHECK_INT(sml_textout_header(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, &err), SML_EIO);
    CHECK_INT(sml_textout_flush(t, NULL), SML_EIO);
    sml_textout_free(t);
}

static void test_long_string_and_many_rows(void)
{
    const char *names[] = {"s"};
    size_t n = 200000;
    char *big = malloc(n);
    CHECK(big != NULL);
    if (!big)
        return;
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[1000] = '"';
    sml_textout *t = open_out(SML_TEXT_CSV, names, 1);
    CHECK_INT(sml_textout_begin_row(t, NULL), 0);
    CHECK_INT(sml_textout_put_str(t, big, n, NULL), 0);
    CHECK_INT(sml_textout_end_row(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    CHECK_INT(sink.len, n + 4); /* two quotes, a doubled quote, newline */
    CHECK(sink.data[0] == '"' && sink.data[1001] == '"' && sink.data[1002] == '"');
    CHECK(memcmp(sink.data + 1, big, 1000) == 0);
    CHECK(memcmp(sink.data + 1003, big + 1001, n - 1001) == 0);
    sml_textout_free(t);
    free(big);
}

static void test_fd_writer(void)
{
    char path[] = "/tmp/sml-textout-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *names[] = {"a"};
    sml_textout *t = sml_textout_new(SML_TEXT_JSONL, ',', names, 1, sml_write_fd, &fd, NULL);
    CHECK(t != NULL);
    for (int i = 0; i < 10000; i++) {
        CHECK_INT(sml_textout_begin_row(t, NULL), 0);
        CHECK_INT(sml_textout_put_int(t, i, NULL), 0);
        CHECK_INT(sml_textout_end_row(t, NULL), 0);
    }
    CHECK_INT(sml_textout_flush(t, NULL), 0);
    sml_textout_free(t);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char line[64];
    int lines = 0;
    while (f && fgets(line, sizeof line, f))
        lines++;
    CHECK_INT(lines, 10000);
    if (f)
        fclose(f);
    close(fd);
    remove(path);

    /* a closed descriptor: EBADF surfaces as SML_EIO with the errno text */
    int bad = fd;
    sml_error err = SML_ERROR_INIT;
    t = sml_textout_new(SML_TEXT_CSV, ',', names, 1, sml_write_fd, &bad, NULL);
    CHECK_INT(sml_textout_header(t, NULL), 0);
    CHECK_INT(sml_textout_flush(t, &err), SML_EIO);
    CHECK(strstr(err.msg, "fd") != NULL);
    sml_textout_free(t);
    sml_textout_free(NULL);
}

int main(void)
{
    RUN(test_csv_plain_and_header);
    RUN(test_csv_quoting);
    RUN(test_csv_other_delimiter);
    RUN(test_json_escaping);
    RUN(test_nul_byte_in_string);
    RUN(test_utf8_passthrough);
    RUN(test_missing_and_specials);
    RUN(test_numbers_round_trip);
    RUN(test_fixed_decimals);
    RUN(test_row_shape_errors);
    RUN(test_write_error_propagates);
    RUN(test_long_string_and_many_rows);
    RUN(test_fd_writer);
    return UNIT_DONE();
}
