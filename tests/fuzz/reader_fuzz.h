/* Shared by the libFuzzer targets of the push readers (fuzz_csv.c, fuzz_jsonl.c): fuzz_one(format, data, size)
 * parses arbitrary bytes with random chunking, typed and untyped, compressed or not (gzip/zstd magic in the data
 * selects the decompressor). */
#ifndef SML_READER_FUZZ_H
#define SML_READER_FUZZ_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "streamml/streamml.h"

/* Input layout: 4 control bytes, then the data.
 *   c0: bit0 typed, bit1 no header, bit2 no UTF-8 check, bit3 AUTO format
 *   c1: delimiter choice   c2: max_record_bytes choice   c3: seed for the chunking and batch capacity
 * The data is parsed twice: in one feed, and in random chunks (1..c3-driven sizes) with a small batch capacity.
 * Besides not crashing, both runs must give the same rows and bad rows (a digest of each, in stream order),
 * unless the input front reported a fatal error (corrupt compressed data). */

typedef struct digest {
    uint64_t h;
    int fatal;
} digest;

static void mix(digest *d, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ s[i]) * 1099511628211ull;
}

static void mix_u64(digest *d, uint64_t v)
{
    mix(d, &v, sizeof v);
}

static void mix_batch(digest *d, const sml_batch *b)
{
    size_t i = 0, k = 0;
    while (i < b->nrows || k < b->nbad) {
        if (k >= b->nbad || (i < b->nrows && b->offset[i] < b->bad[k].offset)) {
            mix_u64(d, b->line[i]);
            mix_u64(d, b->offset[i]);
            for (size_t c = 0; c < b->ncols; c++) {
                const sml_column *col = &b->cols[c];
                if (col->missing[i])
                    continue; /* a discovered column may not exist yet in an earlier batch: absent = missing */
                mix(d, col->name, strlen(col->name) + 1);
                if (col->type == SML_TYPE_NUM) {
                    double v = col->num[i];
                    mix(d, &v, sizeof v);
                } else {
                    size_t n;
                    const char *s = sml_batch_str(b, c, i, &n);
                    mix_u64(d, n);
                    mix(d, s, n);
                }
            }
            i++;
        } else {
            const sml_bad_row *br = &b->bad[k++];
            mix_u64(d, br->line);
            mix_u64(d, br->column);
            mix_u64(d, br->offset);
            mix_u64(d, (uint64_t)(int64_t)br->code);
            mix(d, b->strings + br->reason_off, br->reason_len);
            mix(d, b->strings + br->raw_off, br->raw_len);
            if (br->raw_len > 4096)
                __builtin_trap();
        }
    }
}

static void drain(sml_reader *r, sml_batch *b, digest *d)
{
    char msg[600];
    for (int guard = 0; guard < 1 << 20; guard++) {
        int k = sml_reader_next(r, b, NULL);
        if (k < 0) {
            d->fatal = 1;
            return;
        }
        if (k == 0)
            return;
        if ((size_t)k != b->nrows + b->nbad || b->nrows + b->nbad > b->capacity)
            __builtin_trap();
        for (size_t i = 0; i < b->nbad; i++)
            sml_bad_row_format(r, b, i, msg, sizeof msg);
        mix_batch(d, b);
    }
    __builtin_trap(); /* next kept returning records: a loop */
}

static digest run(const sml_reader_opts *o, int typed, const uint8_t *data, size_t len, uint64_t seed)
{
    digest d = {1469598103934665603ull, 0};
    sml_reader *r = sml_reader_new(o, NULL);
    if (!r)
        __builtin_trap();
    sml_batch b = SML_BATCH_INIT;
    if (seed) {
        const char *none[1] = {NULL};
        sml_batch_setup(&b, none, NULL, 0, 1 + seed % 7, NULL);
    }
    if (typed) {
        static const char *const names[] = {"a", "b", "c1", "c2", "x"};
        static const sml_type types[] = {SML_TYPE_NUM, SML_TYPE_STR, SML_TYPE_NUM, SML_TYPE_STR, SML_TYPE_NUM};
        static const uint8_t optional[] = {1, 1, 1, 1, 1};
        if (sml_reader_set_columns(r, names, types, optional, 5, NULL) < 0)
            d.fatal = 1;
    }
    size_t off = 0;
    while (off < len && !d.fatal) {
        size_t n = len - off;
        if (seed) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            n = 1 + seed % (seed & 1 ? 3 : 97);
            if (n > len - off)
                n = len - off;
        }
        if (sml_reader_feed(r, data + off, n, NULL) < 0)
            d.fatal = 1;
        off += n;
        drain(r, &b, &d);
    }
    if (sml_reader_end(r, NULL) < 0)
        d.fatal = 1;
    drain(r, &b, &d);
    if (!d.fatal && !sml_reader_done(r))
        __builtin_trap();
    sml_reader_stats st;
    sml_reader_get_stats(r, &st);
    mix_u64(&d, st.records);
    mix_u64(&d, st.bad_records);
    mix_u64(&d, st.lines);
    sml_batch_release(&b);
    sml_reader_free(r);
    return d;
}

static int fuzz_one(sml_format format, const uint8_t *data, size_t size)
{
    static const char delims[] = {',', ';', '\t', '|', ' ', 'a', '\'', 0};
    static const size_t maxes[] = {1 << 20, 8, 64, 300, 4096};
    if (size < 4)
        return 0;
    sml_reader_opts o = SML_READER_OPTS_INIT;
    o.format = data[0] & 8 ? SML_FORMAT_AUTO : format;
    o.header = !(data[0] & 2);
    o.check_utf8 = !(data[0] & 4);
    o.delimiter = delims[data[1] % sizeof delims];
    o.max_record_bytes = maxes[data[2] % (sizeof maxes / sizeof *maxes)];
    o.source_name = "fuzz";
    int typed = data[0] & 1;
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ ((uint64_t)data[3] << 32 | data[3]);
    digest whole = run(&o, typed, data + 4, size - 4, 0);
    digest chunked = run(&o, typed, data + 4, size - 4, seed);
    if (!whole.fatal && !chunked.fatal && whole.h != chunked.h)
        __builtin_trap(); /* the chunking changed the result */
    return 0;
}
#endif
