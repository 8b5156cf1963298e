/* Parquet writer: Thrift compact encoding against hand-computed bytes, the RLE/bit-packed hybrid (exact bytes,
 * and a decoder written from the spec for tricky patterns), the file's framing, argument and state errors, and
 * errors from the write callback. Reading whole files back is tests/integration/0070-parquet.sh (DuckDB). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "io/parquet_int.h"
#include "streamml/streamml.h"
#include "unit.h"

static int bytes_eq(const sml_strbuf *sb, const uint8_t *want, size_t n)
{
    if (sb->len != n) {
        fprintf(stderr, "  length %zu, want %zu\n", sb->len, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)sb->buf[i] != want[i]) {
            fprintf(stderr, "  byte %zu: 0x%02x, want 0x%02x\n", i, (uint8_t)sb->buf[i], want[i]);
            return 0;
        }
    return 1;
}

/* ---------------------------------------------------------------- thrift compact */

static void test_thrift_compact_fields(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_tc t;
    sml_tc_init(&t, &sb);
    sml_tc_i32(&t, 1, 1);                 /* 0x15 (delta 1, i32), zigzag 2 */
    sml_tc_i64(&t, 3, -1);                /* 0x26 (delta 2, i64), zigzag 1 */
    sml_tc_binary(&t, 4, "ab", 2);        /* 0x18, length 2, bytes */
    sml_tc_bool(&t, 5, 1);                /* 0x11: true lives in the type nibble */
    sml_tc_struct_begin(&t, 20);          /* delta 15: still the short form, 0xFC */
    sml_tc_i32(&t, 1, 150);               /* nested ids restart: 0x15, zigzag 300 = 0xAC 0x02 */
    sml_tc_bool(&t, 2, 0);                /* 0x12 */
    sml_tc_struct_end(&t);                /* 0x00 */
    sml_tc_list_begin(&t, 21, SML_TC_I32, 3); /* 0x19, size 3 of i32: 0x35 */
    sml_tc_elem_i32(&t, 1);
    sml_tc_elem_i32(&t, 2);
    sml_tc_elem_i32(&t, -3);              /* zigzag 5 */
    sml_tc_i32(&t, 40, -2);               /* delta 19: long form 0x05, zigzag id 80 = 0x50, value 3 */
    sml_tc_list_begin(&t, 41, SML_TC_BINARY, 15); /* 15 elements: 0xF8 then varint 15 */
    for (int i = 0; i < 15; i++)
        sml_tc_elem_binary(&t, "", 0);
    sml_tc_i16(&t, 42, -64);              /* 0x14, zigzag 127 = 0x7F */
    sml_tc_i64(&t, 43, INT64_MIN);        /* zigzag 2^64-1: ten bytes */
    sml_tc_struct_end(&t);
    static const uint8_t want[] = {
        0x15, 0x02, 0x26, 0x01, 0x18, 0x02, 'a', 'b', 0x11, 0xFC, 0x15, 0xAC, 0x02, 0x12, 0x00,
        0x19, 0x35, 0x02, 0x04, 0x05, 0x05, 0x50, 0x03, 0x19, 0xF8, 0x0F,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x14, 0x7F, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00};
    CHECK_INT(t.failed, 0);
    CHECK(bytes_eq(&sb, want, sizeof want));
    sml_strbuf_release(&sb);
}

/* A PageHeader of a v1 data page, as the writer builds it, against the bytes worked out by hand. */
static void test_thrift_page_header(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_tc t;
    sml_tc_init(&t, &sb);
    sml_tc_i32(&t, 1, PQ_PAGE_DATA);
    sml_tc_i32(&t, 2, 100);
    sml_tc_i32(&t, 3, 64);
    sml_tc_struct_begin(&t, 5);
    sml_tc_i32(&t, 1, 10);
    sml_tc_i32(&t, 2, PQ_ENC_RLE_DICTIONARY);
    sml_tc_i32(&t, 3, PQ_ENC_RLE);
    sml_tc_i32(&t, 4, PQ_ENC_RLE);
    sml_tc_struct_end(&t);
    sml_tc_struct_end(&t);
    static const uint8_t want[] = {0x15, 0x00, 0x15, 0xC8, 0x01, 0x15, 0x80, 0x01, 0x2C, 0x15, 0x14,
                                   0x15, 0x10, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00};
    CHECK(bytes_eq(&sb, want, sizeof want));

    /* ColumnOrder list: a union holding an empty struct, per element */
    sb.len = 0;
    sml_tc_init(&t, &sb);
    sml_tc_list_begin(&t, 7, SML_TC_STRUCT, 2);
    for (int i = 0; i < 2; i++) {
        sml_tc_elem_struct_begin(&t);
        sml_tc_struct_begin(&t, 1);
        sml_tc_struct_end(&t);
        sml_tc_struct_end(&t);
    }
    sml_tc_struct_end(&t);
    static const uint8_t orders[] = {0x79, 0x2C, 0x1C, 0x00, 0x00, 0x1C, 0x00, 0x00, 0x00};
    CHECK(bytes_eq(&sb, orders, sizeof orders));
    sml_strbuf_release(&sb);
}

static void test_thrift_nesting_limit(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_tc t;
    sml_tc_init(&t, &sb);
    for (int i = 0; i < SML_TC_MAX_DEPTH + 2; i++)
        sml_tc_struct_begin(&t, 1);
    CHECK_INT(t.failed, SML_ESTATE);
    sml_strbuf_release(&sb);
}

/* ---------------------------------------------------------------- RLE / bit-packed hybrid */

/* A decoder written from Encodings.md, independent of the encoder. Returns values decoded, or -1. */
static long rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n)
{
    size_t pos = 0, got = 0;
    while (got < n) {
        uint64_t h = 0;
        int shift = 0;
        do {
            if (pos >= len || shift > 63)
                return -1;
            h |= (uint64_t)(p[pos] & 0x7F) << shift;
            shift += 7;
        } while (p[pos++] & 0x80);
        if (h & 1) {
            size_t count = (size_t)(h >> 1) * 8;
            size_t bytes = (h >> 1) * (size_t)bw;
            if (pos + bytes > len)
                return -1;
            for (size_t i = 0; i < count; i++) {
                uint32_t v = 0;
                for (int b = 0; b < bw; b++) {
                    size_t bit = i * (size_t)bw + (size_t)b;
                    v |= (uint32_t)((p[pos + bit / 8] >> (bit % 8)) & 1) << b;
                }
                if (got < n)
                    out[got++] = v;
                else if (v != 0)
                    return -1; /* padding must be zeros */
            }
            pos += bytes;
        } else {
            size_t count = (size_t)(h >> 1);
            if (count == 0)
                return -1;
            uint32_t v = 0;
            for (int b = 0; b < (bw + 7) / 8; b++) {
                if (pos >= len)
                    return -1;
                v |= (uint32_t)p[pos++] << (8 * b);
            }
            for (size_t i = 0; i < count; i++) {
                if (got >= n)
                    return -1;
                out[got++] = v;
            }
        }
    }
    return pos == len ? (long)got : -1;
}

static void check_rle(const uint8_t *levels, size_t n, const uint8_t *want, size_t want_len)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    CHECK_INT(sml_rle_encode(&sb, levels, NULL, n, 1), 0);
    CHECK(bytes_eq(&sb, want, want_len));
    sml_strbuf_release(&sb);
}

static void test_rle_exact_bytes(void)
{
    uint8_t v[64];
    memset(v, 1, 10);
    check_rle(v, 10, (const uint8_t[]){0x14, 0x01}, 2); /* RLE run: 10 << 1, value in one byte */
    for (int i = 0; i < 8; i++)
        v[i] = (uint8_t)(i & 1);
    check_rle(v, 8, (const uint8_t[]){0x03, 0xAA}, 2); /* one bit-packed group, LSB first */
    memset(v, 0, 5);
    memset(v + 5, 1, 8);
    /* a run of 8 that starts mid-group and cannot fill the group and still be 8 long: all bit-packed */
    check_rle(v, 13, (const uint8_t[]){0x05, 0xE0, 0x1F}, 3);
    memset(v, 0, 3);
    memset(v + 3, 1, 20);
    /* the run lends 5 values to complete the group, the other 15 are an RLE run */
    check_rle(v, 23, (const uint8_t[]){0x03, 0xF8, 0x1E, 0x01}, 4);
    check_rle(v, 0, NULL, 0);

    /* the spec's example: 0..7 with bit width 3 */
    uint32_t w[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    sml_strbuf sb = SML_STRBUF_INIT;
    CHECK_INT(sml_rle_encode(&sb, NULL, w, 8, 3), 0);
    CHECK(bytes_eq(&sb, (const uint8_t[]){0x03, 0x88, 0xC6, 0xFA}, 4));
    /* a long RLE run: 300 << 1 = 600 as a two-byte varint; value 0x1234 in two bytes at width 13 */
    uint32_t *u = malloc(300 * sizeof *u);
    for (int i = 0; i < 300; i++)
        u[i] = 0x1234;
    sb.len = 0;
    CHECK_INT(sml_rle_encode(&sb, NULL, u, 300, 13), 0);
    CHECK(bytes_eq(&sb, (const uint8_t[]){0xD8, 0x04, 0x34, 0x12}, 4));
    free(u);
    sml_strbuf_release(&sb);
}

static void roundtrip(const uint8_t *v8, const uint32_t *v32, size_t n, int bw, const char *what)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    uint32_t *out = calloc(n + 1, sizeof *out);
    CHECK_INT(sml_rle_encode(&sb, v8, v32, n, bw), 0);
    long got = rle_decode((const uint8_t *)sb.buf, sb.len, bw, out, n);
    CHECK_MSG(got == (long)n, "%s: decoded %ld of %zu", what, got, n);
    size_t bad = n;
    for (size_t i = 0; i < n && got == (long)n; i++)
        if (out[i] != (v8 ? v8[i] : v32[i])) {
            bad = i;
            break;
        }
    CHECK_MSG(bad == n, "%s: value %zu differs", what, bad);
    free(out);
    sml_strbuf_release(&sb);
}

static void test_rle_tricky_null_patterns(void)
{
    enum { N = 5000 };
    uint8_t *v = malloc(N);
    uint64_t s = 42;
    /* lengths around the group size and the run threshold, and patterns that switch between kinds of run */
    for (size_t n = 1; n <= 40; n++) {
        for (int pat = 0; pat < 7; pat++) {
            for (size_t i = 0; i < n; i++) {
                switch (pat) {
                case 0: v[i] = 0; break;                        /* all null */
                case 1: v[i] = 1; break;                        /* none null */
                case 2: v[i] = i % 2; break;                    /* alternating */
                case 3: v[i] = i == n - 1; break;               /* only the last present */
                case 4: v[i] = (i / 7) % 2; break;              /* runs of 7: never long enough for RLE */
                case 5: v[i] = (i / 9) % 2; break;              /* runs of 9 that straddle groups */
                default: v[i] = i != 3; break;                  /* one null early */
                }
            }
            char what[64];
            snprintf(what, sizeof what, "pattern %d n %zu", pat, n);
            roundtrip(v, NULL, n, 1, what);
        }
    }
    /* random run lengths, short and long */
    size_t i = 0;
    uint8_t cur = 0;
    while (i < N) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        size_t run = (s >> 33) % ((s >> 20) % 3 ? 12 : 400) + 1;
        for (size_t k = 0; k < run && i < N; k++)
            v[i++] = cur;
        cur ^= 1;
    }
    roundtrip(v, NULL, N, 1, "random runs");
    /* dictionary indices of several widths */
    uint32_t *u = malloc(N * sizeof *u);
    for (int bw = 1; bw <= 32; bw += 3) {
        uint32_t mask = bw == 32 ? 0xFFFFFFFFu : (1u << bw) - 1;
        for (size_t k = 0; k < N; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            u[k] = (k / 50) % 3 == 0 ? mask : (uint32_t)(s >> 32) & mask;
        }
        char what[32];
        snprintf(what, sizeof what, "width %d", bw);
        roundtrip(NULL, u, N, bw, what);
    }
    CHECK_INT(sml_rle_bit_width(0), 1);
    CHECK_INT(sml_rle_bit_width(1), 1);
    CHECK_INT(sml_rle_bit_width(2), 2);
    CHECK_INT(sml_rle_bit_width(255), 8);
    CHECK_INT(sml_rle_bit_width(256), 9);
    CHECK_INT(sml_rle_bit_width(0xFFFFFFFFu), 32);
    free(u);
    free(v);
}

/* ---------------------------------------------------------------- files */

typedef struct sink {
    sml_strbuf out;
    int calls;
    int fail_at; /* fail this call (1-based); 0: never */
} sink;

static int sink_write(void *opaque, const void *buf, size_t len, sml_error *err)
{
    sink *s = opaque;
    if (++s->calls == s->fail_at)
        return sml_fail(err, SML_EIO, "disk full (call %d)", s->calls);
    return sml_strbuf_add(&s->out, buf, len);
}

static uint32_t rd32(const char *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static const sml_parquet_column cols3[] = {
    {"prediction", SML_PARQUET_DOUBLE, 1},
    {"model_version", SML_PARQUET_INT64, 0},
    {"purpose", SML_PARQUET_STRING, 0},
};

static void check_framing(const sink *s)
{
    const char *p = s->out.buf;
    size_t n = s->out.len;
    CHECK(n >= 12);
    if (n < 12)
        return;
    CHECK(memcmp(p, "PAR1", 4) == 0);
    CHECK(memcmp(p + n - 4, "PAR1", 4) == 0);
    uint32_t footer = rd32(p + n - 8);
    CHECK(footer > 0 && footer <= n - 12);
    if (footer == 0 || footer > n - 12)
        return;
    const uint8_t *f = (const uint8_t *)p + n - 8 - footer;
    CHECK(f[0] == 0x15 && f[1] == 0x02);  /* FileMetaData.version = 1 */
    CHECK(f[2] == 0x19 && (f[3] & 0x0F) == SML_TC_STRUCT); /* the schema list */
    CHECK(f[footer - 1] == 0x00);         /* the top-level stop */
    int found = 0;
    for (size_t i = 0; i + 16 <= footer && !found; i++)
        found = memcmp(f + i, "streamml version", 16) == 0;
    CHECK(found);
}

static void test_file_framing(void)
{
    sink s = {SML_STRBUF_INIT, 0, 0};
    sml_error err = SML_ERROR_INIT;
    sml_parquet_opts o = SML_PARQUET_OPTS_INIT;
    o.row_group_rows = 3;
    sml_parquet_writer *w = sml_parquet_writer_new(cols3, 3, &o, sink_write, &s, &err);
    CHECK(w != NULL);
    for (int i = 0; i < 7; i++) {
        CHECK_INT(sml_parquet_put_double(w, i * 0.5, &err), 0);
        CHECK_INT(i % 2 ? sml_parquet_put_null(w, &err) : sml_parquet_put_int64(w, i, &err), 0);
        CHECK_INT(sml_parquet_put_str(w, i % 3 ? "a" : "bb", i % 3 ? 1 : 2, &err), 0);
        CHECK_INT(sml_parquet_end_row(w, &err), 0);
    }
    /* two full row groups have left; the data starts after the magic with a page header (DATA_PAGE = 0) */
    CHECK(s.out.len > 4 && memcmp(s.out.buf, "PAR1", 4) == 0 && (uint8_t)s.out.buf[4] == 0x15 &&
          s.out.buf[5] == 0x00);
    CHECK_INT(sml_parquet_writer_finish(w, &err), 0);
    CHECK_INT(sml_parquet_writer_rows(w), 7);
    CHECK_INT(sml_parquet_writer_bytes(w), s.out.len);
    check_framing(&s);
    CHECK_INT(sml_parquet_end_row(w, &err), SML_ESTATE); /* finished */
    sml_parquet_writer_free(w);
    sml_strbuf_release(&s.out);

    /* no rows: still a valid file, magic + footer */
    sink e = {SML_STRBUF_INIT, 0, 0};
    w = sml_parquet_writer_new(cols3, 3, NULL, sink_write, &e, &err);
    CHECK_INT(sml_parquet_writer_finish(w, &err), 0);
    check_framing(&e);
    CHECK_INT(rd32(e.out.buf + e.out.len - 8), e.out.len - 12);
    sml_parquet_writer_free(w);
    sml_strbuf_release(&e.out);
    sml_parquet_writer_free(NULL);
}

static void test_bad_arguments(void)
{
    sml_error err = SML_ERROR_INIT;
    sink s = {SML_STRBUF_INIT, 0, 0};
    sml_parquet_column dup[] = {{"a", SML_PARQUET_DOUBLE, 0}, {"a", SML_PARQUET_INT64, 0}};
    CHECK(sml_parquet_writer_new(dup, 2, NULL, sink_write, &s, &err) == NULL);
    CHECK_INT(err.code, SML_EINVAL);
    CHECK(strstr(err.msg, "twice") != NULL);
    sml_parquet_column noname[] = {{"", SML_PARQUET_DOUBLE, 0}};
    CHECK(sml_parquet_writer_new(noname, 1, NULL, sink_write, &s, &err) == NULL);
    CHECK(sml_parquet_writer_new(cols3, 0, NULL, sink_write, &s, &err) == NULL);
    CHECK(sml_parquet_writer_new(cols3, 3, NULL, NULL, &s, &err) == NULL);
    sml_parquet_opts o = SML_PARQUET_OPTS_INIT;
    o.compression = SML_PARQUET_ZSTD;
    o.compression_level = 99;
    CHECK(sml_parquet_writer_new(cols3, 3, &o, sink_write, &s, &err) == NULL);
    CHECK(strstr(err.msg, "zstd level") != NULL);
    CHECK_INT(s.calls, 0);
}

static void test_state_errors_are_sticky(void)
{
    sml_error err = SML_ERROR_INIT;
    sink s = {SML_STRBUF_INIT, 0, 0};
    sml_parquet_writer *w = sml_parquet_writer_new(cols3, 3, NULL, sink_write, &s, &err);
    CHECK_INT(sml_parquet_put_null(w, &err), SML_EINVAL); /* prediction is REQUIRED */
    CHECK(strstr(err.msg, "prediction") != NULL);
    CHECK_INT(sml_parquet_put_double(w, 1, &err), SML_EINVAL); /* sticky */
    CHECK_INT(sml_parquet_writer_finish(w, &err), SML_EINVAL);
    sml_parquet_writer_free(w);

    w = sml_parquet_writer_new(cols3, 3, NULL, sink_write, &s, &err);
    CHECK_INT(sml_parquet_put_double(w, 1, &err), 0);
    CHECK_INT(sml_parquet_put_str(w, "x", 1, &err), SML_EINVAL); /* model_version is INT64 */
    CHECK(strstr(err.msg, "model_version") != NULL && strstr(err.msg, "int64") != NULL);
    sml_parquet_writer_free(w);

    w = sml_parquet_writer_new(cols3, 3, NULL, sink_write, &s, &err);
    CHECK_INT(sml_parquet_put_double(w, 1, &err), 0);
    CHECK_INT(sml_parquet_end_row(w, &err), SML_ESTATE); /* 1 of 3 values */
    sml_parquet_writer_free(w);

    w = sml_parquet_writer_new(cols3, 3, NULL, sink_write, &s, &err);
    CHECK_INT(sml_parquet_put_double(w, 1, &err), 0);
    CHECK_INT(sml_parquet_put_int64(w, 1, &err), 0);
    CHECK_INT(sml_parquet_put_null(w, &err), 0);
    CHECK_INT(sml_parquet_put_null(w, &err), SML_ESTATE); /* a 4th value */
    sml_parquet_writer_free(w);
    CHECK_INT(s.calls, 0); /* nothing was written by writers that never completed a row group */
}

static void test_write_batch(void)
{
    sml_error err = SML_ERROR_INIT;
    sink s = {SML_STRBUF_INIT, 0, 0};
    sml_batch b = SML_BATCH_INIT;
    const char *names[] = {"purpose", "score"};
    sml_type types[] = {SML_TYPE_STR, SML_TYPE_NUM};
    CHECK_INT(sml_batch_setup(&b, names, types, 2, 8, &err), 0);
    for (size_t i = 0; i < 5; i++) {
        b.cols[1].num[i] = (double)i;
        b.cols[1].missing[i] = i == 2;
        CHECK_INT(sml_batch_put_string(&b, "abcd", i, &b.cols[0].str_off[i]), 0);
        b.cols[0].str_len[i] = (uint32_t)i;
        b.cols[0].missing[i] = 0;
    }
    b.nrows = 5;
    sml_parquet_column pc[] = {{"score", SML_PARQUET_DOUBLE, 1}, {"purpose", SML_PARQUET_STRING, 0},
                               {"none", SML_PARQUET_INT64, 0}};
    sml_parquet_opts o = SML_PARQUET_OPTS_INIT;
    o.row_group_rows = 2;
    sml_parquet_writer *w = sml_parquet_writer_new(pc, 3, &o, sink_write, &s, &err);
    int map[] = {1, 0, -1};
    /* score is REQUIRED and row 3 is missing: refused before anything is appended, and not sticky */
    CHECK_INT(sml_parquet_write_batch(w, &b, map, &err), SML_EINVAL);
    CHECK(strstr(err.msg, "row 3") != NULL);
    int wrong[] = {0, 1, -1};
    CHECK_INT(sml_parquet_write_batch(w, &b, wrong, &err), SML_EINVAL);
    CHECK_INT(sml_parquet_writer_rows(w), 0);
    b.cols[1].missing[2] = 0;
    CHECK_INT(sml_parquet_write_batch(w, &b, map, &err), 0);
    CHECK_INT(sml_parquet_write_batch(w, &b, map, &err), 0);
    CHECK_INT(sml_parquet_writer_rows(w), 10);
    CHECK_INT(sml_parquet_writer_finish(w, &err), 0);
    check_framing(&s);
    sml_parquet_writer_free(w);
    sml_batch_release(&b);
    sml_strbuf_release(&s.out);
}

static void test_write_errors_propagate(void)
{
    for (int fail_at = 1; fail_at <= 8; fail_at++) {
        sml_error err = SML_ERROR_INIT;
        sink s = {SML_STRBUF_INIT, 0, fail_at};
        sml_parquet_opts o = SML_PARQUET_OPTS_INIT;
        o.row_group_rows = 4;
        o.compression = fail_at % 2 ? SML_PARQUET_SNAPPY : SML_PARQUET_ZSTD;
        sml_parquet_writer *w = sml_parquet_writer_new(cols3, 3, &o, sink_write, &s, &err);
        int rc = 0, first = 0;
        for (int i = 0; i < 10 && rc == 0; i++) {
            rc = sml_parquet_put_double(w, i, &err);
            if (!rc)
                rc = sml_parquet_put_int64(w, i, &err);
            if (!rc)
                rc = sml_parquet_put_str(w, "v", 1, &err);
            if (!rc)
                rc = sml_parquet_end_row(w, &err);
        }
        if (rc == 0)
            rc = sml_parquet_writer_finish(w, &err);
        first = rc;
        CHECK_MSG(first == SML_EIO, "fail_at %d: rc %d", fail_at, first);
        CHECK_MSG(strstr(err.msg, "disk full") != NULL, "fail_at %d: %s", fail_at, err.msg);
        /* sticky: every later call repeats the callback's error, and nothing more is written */
        int calls = s.calls;
        sml_error again = SML_ERROR_INIT;
        CHECK_INT(sml_parquet_put_double(w, 1, &again), SML_EIO);
        CHECK(strstr(again.msg, "disk full") != NULL);
        CHECK_INT(sml_parquet_writer_finish(w, &again), SML_EIO);
        CHECK_INT(s.calls, calls);
        sml_parquet_writer_free(w);
        sml_strbuf_release(&s.out);
    }
}

int main(void)
{
    RUN(test_thrift_compact_fields);
    RUN(test_thrift_page_header);
    RUN(test_thrift_nesting_limit);
    RUN(test_rle_exact_bytes);
    RUN(test_rle_tricky_null_patterns);
    RUN(test_file_framing);
    RUN(test_bad_arguments);
    RUN(test_state_errors_are_sticky);
    RUN(test_write_batch);
    RUN(test_write_errors_propagate);
    return UNIT_DONE();
}
