/*
 * Shared by the reader unit tests (test_csv.c, test_jsonl.c): run a reader over bytes with a given chunking and
 * dump every row and bad row as text, so that chunkings and formats can be compared as strings.
 * Define READER_HARNESS_SKIP_MISSING before including to leave missing cells out of the dump (JSON lines in
 * discovery mode, where a column may not exist yet in a batch).
 */
#ifndef SML_READER_HARNESS_H
#define SML_READER_HARNESS_H
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "streamml/streamml.h"
#include "unit.h"


typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void tprintf(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[8192];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof tmp)
        n = sizeof tmp - 1;
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, tmp, (size_t)n + 1);
    t->len += (size_t)n;
}

typedef struct spec {
    const char *const *names;
    const sml_type *types;
    const uint8_t *optional;
    size_t n;
} spec;

static void dump_row(const sml_batch *b, size_t i, text *t)
{
    tprintf(t, "L%llu@%llu:", (unsigned long long)b->line[i], (unsigned long long)b->offset[i]);
    for (size_t c = 0; c < b->ncols; c++) {
        const sml_column *col = &b->cols[c];
        if (col->missing[i]) {
#ifdef READER_HARNESS_SKIP_MISSING
            continue;
#else
            tprintf(t, "|%s=NA", col->name);
#endif
        } else if (col->type == SML_TYPE_NUM)
            tprintf(t, "|%s=%.17g", col->name, col->num[i]);
        else {
            size_t n;
            const char *s = sml_batch_str(b, c, i, &n);
            tprintf(t, "|%s=[%.*s]", col->name, (int)n, s);
        }
    }
    tprintf(t, "\n");
}

static void dump_bad(const sml_reader *r, const sml_batch *b, size_t i, text *t)
{
    char msg[512];
    sml_bad_row_format(r, b, i, msg, sizeof msg);
    tprintf(t, "BAD %s @%llu raw=[%.*s]\n", msg, (unsigned long long)b->bad[i].offset, (int)b->bad[i].raw_len,
            b->strings + b->bad[i].raw_off);
}

/* Rows and bad rows in stream order (both lists are in order; merge them by offset). */
static void dump_batch(const sml_reader *r, const sml_batch *b, text *t)
{
    size_t i = 0, k = 0;
    while (i < b->nrows || k < b->nbad) {
        if (k >= b->nbad || (i < b->nrows && b->offset[i] < b->bad[k].offset))
            dump_row(b, i++, t);
        else
            dump_bad(r, b, k++, t);
    }
}

static uint64_t rng_state = 88172645463325252ull;
static size_t rnd(size_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (size_t)(rng_state % n);
}

/* chunk: 0 = one feed, k > 0 = chunks of k bytes, SIZE_MAX = random chunks of 1..64 bytes.
 * Calls next after each feed. Returns the end() result; the dump goes to *t. */
static int run(const sml_reader_opts *o, const spec *sp, const void *data, size_t len, size_t chunk, size_t batch_cap,
               text *t, sml_reader_stats *st)
{
    sml_error err = SML_ERROR_INIT;
    sml_reader *r = sml_reader_new(o, &err);
    sml_batch b = SML_BATCH_INIT;
    int end_rc = 0;
    if (!r) {
        tprintf(t, "NEW FAILED %s\n", err.msg);
        return -1;
    }
    if (batch_cap) {
        const char *none[1] = {NULL};
        sml_batch_setup(&b, none, NULL, 0, batch_cap, NULL);
    }
    if (sp && sml_reader_set_columns(r, sp->names, sp->types, sp->optional, sp->n, &err) < 0)
        tprintf(t, "SETCOLUMNS %s\n", err.msg);
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        size_t n = chunk == 0 ? len : chunk == SIZE_MAX ? 1 + rnd(64) : chunk;
        if (n > len - off)
            n = len - off;
        if (sml_reader_feed(r, p + off, n, &err) < 0) {
            tprintf(t, "FEED %s\n", err.msg);
            break;
        }
        off += n;
        int k;
        while ((k = sml_reader_next(r, &b, &err)) > 0)
            dump_batch(r, &b, t);
        if (k < 0) {
            tprintf(t, "NEXT %s\n", err.msg);
            break;
        }
    }
    end_rc = sml_reader_end(r, &err);
    if (end_rc < 0)
        tprintf(t, "END %s\n", err.msg);
    for (int guard = 0; guard < 1000000; guard++) {
        int k = sml_reader_next(r, &b, &err);
        if (k < 0) {
            tprintf(t, "NEXT %s\n", err.msg);
            break;
        }
        if (k == 0)
            break;
        dump_batch(r, &b, t);
    }
    if (!sml_reader_done(r))
        tprintf(t, "NOT DONE\n");
    if (st)
        sml_reader_get_stats(r, st);
    sml_batch_release(&b);
    sml_reader_free(r);
    return end_rc;
}

static char *dump_of(const sml_reader_opts *o, const spec *sp, const char *s, size_t chunk)
{
    text t = {0};
    tprintf(&t, "%s", "");
    run(o, sp, s, strlen(s), chunk, 0, &t, NULL);
    return t.s;
}

/* Every chunking gives the same rows and bad rows. */
static void check_invariant(const sml_reader_opts *o, const spec *sp, const char *data, size_t len)
{
    text whole = {0}, bytes = {0}, random = {0}, small = {0};
    tprintf(&whole, "%s", "");
    tprintf(&bytes, "%s", "");
    tprintf(&random, "%s", "");
    tprintf(&small, "%s", "");
    run(o, sp, data, len, 0, 0, &whole, NULL);
    run(o, sp, data, len, 1, 0, &bytes, NULL);
    run(o, sp, data, len, SIZE_MAX, 0, &random, NULL);
    run(o, sp, data, len, 7, 3, &small, NULL);
    CHECK_STR(bytes.s, whole.s);
    CHECK_STR(random.s, whole.s);
    CHECK_STR(small.s, whole.s);
    free(whole.s);
    free(bytes.s);
    free(random.s);
    free(small.s);
}

#endif
