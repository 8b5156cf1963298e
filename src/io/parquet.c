/*
 * The Parquet writer (include/streamml/parquet.h): rows -> column pages -> row groups -> a file.
 *
 * Values are appended straight into per-column page buffers (PLAIN bytes, dictionary indices, definition
 * levels). A page closes when its encoded size reaches page_bytes: it is encoded (levels and indices through the
 * RLE/bit-packed hybrid), compressed, given its Thrift page header and appended to the column's chunk buffer.
 * When the row group is full, each column's chunk (its dictionary page first) goes to the write callback, one
 * column after the other, and its ColumnChunk metadata is encoded at once into the footer-to-be; only the
 * RowGroup bytes stay in memory until sml_parquet_writer_finish writes the FileMetaData around them.
 */
#include "streamml/parquet.h"

#include <math.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "common/hash.h"
#include "common/strbuf.h"
#include "io/parquet_int.h"
#include "streamml/streamml.h"

#define DEFAULT_ROW_GROUP_ROWS ((size_t)128 << 10)
#define DEFAULT_PAGE_BYTES ((size_t)1 << 20)
#define DEFAULT_DICT_BYTES ((size_t)1 << 20)
#define MAX_ROW_GROUP_ROWS ((size_t)1 << 30) /* page value counts stay i32 */
#define MAX_PAGE_BYTES ((size_t)256 << 20)
#define MAX_DICT_BYTES ((size_t)256 << 20)
#define MAX_VALUE_BYTES ((size_t)1 << 30) /* one string; pages stay below 2 GiB */

/* ---------------------------------------------------------------- state */

typedef struct pq_col {
    char *name;
    sml_parquet_type type;
    int required;

    /* the open page */
    sml_strbuf values;    /* PLAIN-encoded non-null values (empty while the page is dictionary-encoded) */
    uint8_t *levels;      /* OPTIONAL: definition level of each value, 1 present, 0 null */
    size_t levels_cap;
    uint32_t *idx;        /* dictionary-encoded page: the entry index of each non-null value */
    size_t idx_len, idx_cap;
    size_t page_values;   /* values in the page, nulls included */
    unsigned bool_bits;   /* BOOLEAN: values already packed into the last byte of `values` (0: none) */
    int page_dict;        /* the open page holds dictionary indices */

    /* the open column chunk */
    sml_strbuf pages;     /* finished data pages: header + (compressed) body each */
    uint64_t chunk_values, chunk_nulls, chunk_nans, chunk_uncompressed;
    uint32_t dict_pages, plain_pages;
    int dict_fallback;    /* the chunk's dictionary grew too big: PLAIN for the rest of the chunk */

    /* statistics of the chunk: min/max of non-null, non-NaN values */
    int has_minmax;
    double dmin, dmax;
    int64_t imin, imax;   /* INT64, and BOOLEAN as 0/1 */
    sml_strbuf smin, smax;

    /* the chunk's dictionary (STRING with the dictionary on) */
    sml_strbuf dict;      /* the entries PLAIN-encoded: the dictionary page's body */
    uint32_t dict_n;
    int dict_bit_width;   /* bits for an index into the dictionary as it is now */
    uint32_t *slots;      /* open addressing: entry index + 1, 0 empty; nslots a power of two */
    size_t nslots;
    uint32_t *entry_off;  /* entry i: offset of its bytes in dict (after the length prefix) */
    uint32_t *entry_len;
    uint32_t *entry_hash;
    size_t entries_cap;
} pq_col;

struct sml_parquet_writer {
    pq_col *cols;
    size_t ncols;
    sml_parquet_compression compression;
    int level;
    size_t row_group_rows, page_bytes, dict_page_bytes;
    int dictionary;
    sml_write_fn write;
    void *opaque;
    ZSTD_CCtx *zstd;

    uint64_t offset;          /* bytes handed to the callback: the file offset of the next byte */
    uint64_t rows;            /* rows accepted */
    size_t rg_rows;           /* rows in the open row group */
    size_t col;               /* values put in the open row (put_* API) */
    uint32_t row_groups_n;
    sml_strbuf row_groups;    /* the RowGroup structs written so far, compact-encoded one after the other */
    sml_strbuf body, comp, page; /* scratch: a page body, its compressed form, a dictionary page */

    int failed;               /* sticky error code, 0 if none */
    int finished;
    sml_error error;
};

/* ---------------------------------------------------------------- errors */

static int sticky(const sml_parquet_writer *w, sml_error *err)
{
    if (err && err != &w->error)
        *err = w->error;
    return w->failed;
}

static int wfail(sml_parquet_writer *w, sml_error *err, int code, const char *fmt, ...) SML_PRINTF(4, 5);
static int wfail(sml_parquet_writer *w, sml_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sml_failv(&w->error, code, fmt, ap);
    va_end(ap);
    w->failed = code;
    return sticky(w, err);
}

/* Makes an internal failure (rc from a helper that does not fill messages) sticky with a plain message. */
static int wcheck(sml_parquet_writer *w, sml_error *err, int rc)
{
    if (rc >= 0)
        return 0;
    if (w->failed)
        return sticky(w, err);
    return wfail(w, err, rc, "parquet: %s", sml_strerror(rc));
}

static int emit(sml_parquet_writer *w, const void *p, size_t len)
{
    if (len == 0)
        return 0;
    sml_error e = SML_ERROR_INIT;
    int rc = w->write(w->opaque, p, len, &e);
    if (rc < 0) {
        w->failed = rc;
        w->error = e;
        if (!w->error.msg[0])
            sml_fail(&w->error, rc, "parquet: write failed: %s", sml_strerror(rc));
        w->error.code = rc;
        return rc;
    }
    w->offset += len;
    return 0;
}

/* ---------------------------------------------------------------- small buffers */

static inline int buf_add(sml_strbuf *sb, const void *p, size_t n)
{
    if (sb->cap - sb->len <= n && sml_strbuf_grow(sb, n) < 0)
        return SML_ENOMEM;
    memcpy(sb->buf + sb->len, p, n);
    sb->len += n;
    sb->buf[sb->len] = 0;
    return 0;
}

static inline void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void le64(uint8_t *p, uint64_t v)
{
    le32(p, (uint32_t)v);
    le32(p + 4, (uint32_t)(v >> 32));
}

static int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return SML_ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

/* Unsigned bytewise order, a prefix before its extensions: the order of STRING statistics. */
static int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* ---------------------------------------------------------------- pages */

static int physical_type(sml_parquet_type t)
{
    switch (t) {
    case SML_PARQUET_DOUBLE: return PQ_DOUBLE;
    case SML_PARQUET_INT64: return PQ_INT64;
    case SML_PARQUET_BOOLEAN: return PQ_BOOLEAN;
    default: return PQ_BYTE_ARRAY;
    }
}

static int codec_id(sml_parquet_compression c)
{
    return c == SML_PARQUET_ZSTD ? PQ_CODEC_ZSTD : c == SML_PARQUET_SNAPPY ? PQ_CODEC_SNAPPY : PQ_CODEC_UNCOMPRESSED;
}

/* Compresses body and appends header + compressed body to out; adds the page's uncompressed size (header
 * included) to *uncompressed. */
static int write_page(sml_parquet_writer *w, sml_strbuf *out, int page_type, int encoding, size_t num_values,
                      const void *body, size_t len, uint64_t *uncompressed)
{
    const void *data = body;
    size_t clen = len;
    if (len > INT32_MAX)
        return wfail(w, NULL, SML_ERANGE, "parquet: a page of %zu bytes is too large", len);
    if (w->compression == SML_PARQUET_ZSTD) {
        size_t bound = ZSTD_compressBound(len);
        w->comp.len = 0;
        if (sml_strbuf_grow(&w->comp, bound) < 0)
            return wcheck(w, NULL, SML_ENOMEM);
        size_t r = ZSTD_compressCCtx(w->zstd, w->comp.buf, bound, body, len, w->level);
        if (ZSTD_isError(r))
            return wfail(w, NULL, SML_EIO, "parquet: zstd: %s", ZSTD_getErrorName(r));
        data = w->comp.buf;
        clen = r;
    } else if (w->compression == SML_PARQUET_SNAPPY) {
        size_t bound = snappy_max_compressed_length(len);
        w->comp.len = 0;
        if (sml_strbuf_grow(&w->comp, bound) < 0)
            return wcheck(w, NULL, SML_ENOMEM);
        clen = bound;
        if (snappy_compress(body, len, w->comp.buf, &clen) != SNAPPY_OK)
            return wfail(w, NULL, SML_EIO, "parquet: snappy compression failed");
        data = w->comp.buf;
    }
    if (clen > INT32_MAX)
        return wfail(w, NULL, SML_ERANGE, "parquet: a compressed page of %zu bytes is too large", clen);

    size_t start = out->len;
    sml_tc t;
    sml_tc_init(&t, out);
    sml_tc_i32(&t, 1, page_type);
    sml_tc_i32(&t, 2, (int32_t)len);
    sml_tc_i32(&t, 3, (int32_t)clen);
    if (page_type == PQ_PAGE_DATA) {
        sml_tc_struct_begin(&t, 5); /* DataPageHeader */
        sml_tc_i32(&t, 1, (int32_t)num_values);
        sml_tc_i32(&t, 2, encoding);
        sml_tc_i32(&t, 3, PQ_ENC_RLE); /* definition levels */
        sml_tc_i32(&t, 4, PQ_ENC_RLE); /* repetition levels (none: every column is flat) */
        sml_tc_struct_end(&t);
    } else {
        sml_tc_struct_begin(&t, 7); /* DictionaryPageHeader */
        sml_tc_i32(&t, 1, (int32_t)num_values);
        sml_tc_i32(&t, 2, encoding);
        sml_tc_struct_end(&t);
    }
    sml_tc_struct_end(&t);
    sml_tc_raw(&t, data, clen);
    if (t.failed)
        return wcheck(w, NULL, t.failed);
    *uncompressed += (out->len - start) - clen + len;
    return 0;
}

/* Encodes, compresses and appends the open page of c to its chunk; the next page starts empty. */
static int flush_page(sml_parquet_writer *w, pq_col *c)
{
    if (c->page_values == 0)
        return 0;
    sml_strbuf *b = &w->body;
    b->len = 0;
    if (!c->required) {
        /* v1 data pages prefix the levels with their byte length */
        uint8_t len4[4] = {0, 0, 0, 0};
        if (buf_add(b, len4, 4) < 0 || sml_rle_encode(b, c->levels, NULL, c->page_values, 1) < 0)
            return wcheck(w, NULL, SML_ENOMEM);
        le32((uint8_t *)b->buf, (uint32_t)(b->len - 4));
    }
    int encoding = PQ_ENC_PLAIN;
    if (c->page_dict && c->idx_len > 0) {
        encoding = PQ_ENC_RLE_DICTIONARY;
        uint8_t bw = (uint8_t)c->dict_bit_width;
        if (buf_add(b, &bw, 1) < 0 || sml_rle_encode(b, NULL, c->idx, c->idx_len, bw) < 0)
            return wcheck(w, NULL, SML_ENOMEM);
        c->dict_pages++;
    } else {
        /* a dictionary page with no value at all (only nulls) is written PLAIN: nothing to look up */
        if (buf_add(b, c->values.buf ? c->values.buf : "", c->values.len) < 0)
            return wcheck(w, NULL, SML_ENOMEM);
        c->plain_pages++;
    }
    int rc = write_page(w, &c->pages, PQ_PAGE_DATA, encoding, c->page_values, b->buf, b->len,
                        &c->chunk_uncompressed);
    if (rc < 0)
        return rc;
    c->values.len = 0;
    c->idx_len = 0;
    c->page_values = 0;
    c->bool_bits = 0;
    c->page_dict = w->dictionary && c->type == SML_PARQUET_STRING && !c->dict_fallback;
    return 0;
}

/* Rough encoded size of the open page: values, indices at the current bit width, levels at a bit each. */
static inline size_t page_size_estimate(const pq_col *c)
{
    return c->values.len + (c->idx_len * (size_t)c->dict_bit_width) / 8 + c->page_values / 8;
}

/* ---------------------------------------------------------------- appending values */

/* Records the definition level of the next value (OPTIONAL columns). */
static inline int put_level(pq_col *c, uint8_t level)
{
    if (c->page_values == c->levels_cap &&
        grow_array((void **)&c->levels, &c->levels_cap, c->page_values + 1, sizeof *c->levels) < 0)
        return SML_ENOMEM;
    c->levels[c->page_values] = level;
    return 0;
}

/* After a value: counts it and closes the page when it is full. */
static inline int value_done(sml_parquet_writer *w, pq_col *c)
{
    c->page_values++;
    c->chunk_values++;
    if (page_size_estimate(c) >= w->page_bytes)
        return flush_page(w, c);
    return 0;
}

static int col_null(sml_parquet_writer *w, pq_col *c)
{
    if (put_level(c, 0) < 0)
        return wcheck(w, NULL, SML_ENOMEM);
    c->chunk_nulls++;
    return value_done(w, c);
}

/* A present 8-byte value (PLAIN: little endian) with its definition level. */
static int put_fixed8(sml_parquet_writer *w, pq_col *c, uint64_t bits)
{
    uint8_t b[8];
    le64(b, bits);
    if ((!c->required && put_level(c, 1) < 0) || buf_add(&c->values, b, 8) < 0)
        return wcheck(w, NULL, SML_ENOMEM);
    return 0;
}

static int col_double(sml_parquet_writer *w, pq_col *c, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    int rc = put_fixed8(w, c, bits);
    if (rc)
        return rc;
    if (isnan(v)) {
        c->chunk_nans++;
    } else if (!c->has_minmax) {
        c->dmin = c->dmax = v;
        c->has_minmax = 1;
    } else {
        if (v < c->dmin)
            c->dmin = v;
        if (v > c->dmax)
            c->dmax = v;
    }
    return value_done(w, c);
}

static int col_int64(sml_parquet_writer *w, pq_col *c, int64_t v)
{
    int rc = put_fixed8(w, c, (uint64_t)v);
    if (rc)
        return rc;
    if (!c->has_minmax) {
        c->imin = c->imax = v;
        c->has_minmax = 1;
    } else {
        if (v < c->imin)
            c->imin = v;
        if (v > c->imax)
            c->imax = v;
    }
    return value_done(w, c);
}

static int col_bool(sml_parquet_writer *w, pq_col *c, int v)
{
    v = v != 0;
    if (!c->required && put_level(c, 1) < 0)
        return wcheck(w, NULL, SML_ENOMEM);
    if (c->bool_bits == 0) {
        uint8_t zero = 0;
        if (buf_add(&c->values, &zero, 1) < 0)
            return wcheck(w, NULL, SML_ENOMEM);
    }
    c->values.buf[c->values.len - 1] |= (char)(v << c->bool_bits);
    c->bool_bits = (c->bool_bits + 1) & 7;
    if (!c->has_minmax) {
        c->imin = c->imax = v;
        c->has_minmax = 1;
    } else {
        if (v < c->imin)
            c->imin = v;
        if (v > c->imax)
            c->imax = v;
    }
    return value_done(w, c);
}

static int str_stats(pq_col *c, const char *s, size_t len)
{
    if (!c->has_minmax) {
        c->smin.len = c->smax.len = 0;
        if (buf_add(&c->smin, s, len) < 0 || buf_add(&c->smax, s, len) < 0)
            return SML_ENOMEM;
        c->has_minmax = 1;
        return 0;
    }
    if (bytes_cmp(s, len, c->smin.buf, c->smin.len) < 0) {
        c->smin.len = 0;
        if (buf_add(&c->smin, s, len) < 0)
            return SML_ENOMEM;
    } else if (bytes_cmp(s, len, c->smax.buf, c->smax.len) > 0) {
        c->smax.len = 0;
        if (buf_add(&c->smax, s, len) < 0)
            return SML_ENOMEM;
    }
    return 0;
}

static int dict_rehash(pq_col *c, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return SML_ENOMEM;
    for (uint32_t i = 0; i < c->dict_n; i++) {
        size_t k = c->entry_hash[i] & (nslots - 1);
        while (slots[k])
            k = (k + 1) & (nslots - 1);
        slots[k] = i + 1;
    }
    free(c->slots);
    c->slots = slots;
    c->nslots = nslots;
    return 0;
}

/* Looks s up in the chunk's dictionary, adding it when new. Returns the entry index, or -1 when adding it would
 * make the dictionary larger than allowed (the caller falls back to PLAIN), or SML_ENOMEM (< -1). */
static int64_t dict_index(sml_parquet_writer *w, pq_col *c, const char *s, size_t len)
{
    uint32_t h = (uint32_t)sml_hash64(len ? s : "", len);
    size_t mask = c->nslots - 1, k = h & mask;
    for (uint32_t e; (e = c->slots[k]) != 0; k = (k + 1) & mask) {
        e--;
        if (c->entry_hash[e] == h && c->entry_len[e] == len && memcmp(c->dict.buf + c->entry_off[e], s, len) == 0)
            return e;
    }
    if (c->dict.len + 4 + len > w->dict_page_bytes)
        return -1;
    if (grow_array((void **)&c->entry_off, &c->entries_cap, c->dict_n + 1, sizeof *c->entry_off) < 0)
        return SML_ENOMEM;
    /* the three entry arrays share one capacity: grow the other two to it */
    uint32_t *lens = realloc(c->entry_len, c->entries_cap * sizeof *lens);
    if (!lens)
        return SML_ENOMEM;
    c->entry_len = lens;
    uint32_t *hashes = realloc(c->entry_hash, c->entries_cap * sizeof *hashes);
    if (!hashes)
        return SML_ENOMEM;
    c->entry_hash = hashes;
    uint8_t len4[4];
    le32(len4, (uint32_t)len);
    if (buf_add(&c->dict, len4, 4) < 0 || buf_add(&c->dict, len ? s : "", len) < 0)
        return SML_ENOMEM;
    if (str_stats(c, s, len) < 0)
        return SML_ENOMEM;
    uint32_t e = c->dict_n++;
    c->entry_off[e] = (uint32_t)(c->dict.len - len);
    c->entry_len[e] = (uint32_t)len;
    c->entry_hash[e] = h;
    c->slots[k] = e + 1;
    c->dict_bit_width = sml_rle_bit_width(e);
    if ((size_t)c->dict_n * 2 > c->nslots && dict_rehash(c, c->nslots * 2) < 0)
        return SML_ENOMEM;
    return e;
}

static int col_str(sml_parquet_writer *w, pq_col *c, const char *s, size_t len)
{
    if (len > MAX_VALUE_BYTES)
        return wfail(w, NULL, SML_ERANGE, "parquet: column %s: a string of %zu bytes is too long", c->name, len);
    if (c->page_dict) {
        int64_t e = dict_index(w, c, s, len);
        if (e < -1)
            return wcheck(w, NULL, (int)e);
        if (e >= 0) {
            if ((!c->required && put_level(c, 1) < 0) ||
                (c->idx_len == c->idx_cap &&
                 grow_array((void **)&c->idx, &c->idx_cap, c->idx_len + 1, sizeof *c->idx) < 0))
                return wcheck(w, NULL, SML_ENOMEM);
            c->idx[c->idx_len++] = (uint32_t)e;
            return value_done(w, c);
        }
        /* the dictionary is full: close the page of indices and write the rest of the chunk PLAIN */
        c->dict_fallback = 1;
        int rc = flush_page(w, c);
        if (rc < 0)
            return rc;
        c->page_dict = 0;
    }
    if (!c->required && put_level(c, 1) < 0)
        return wcheck(w, NULL, SML_ENOMEM);
    uint8_t len4[4];
    le32(len4, (uint32_t)len);
    if (buf_add(&c->values, len4, 4) < 0 || buf_add(&c->values, len ? s : "", len) < 0)
        return wcheck(w, NULL, SML_ENOMEM);
    if (str_stats(c, s, len) < 0)
        return wcheck(w, NULL, SML_ENOMEM);
    return value_done(w, c);
}

/* ---------------------------------------------------------------- row groups */

static void reset_chunk(sml_parquet_writer *w, pq_col *c)
{
    c->pages.len = 0;
    c->chunk_values = c->chunk_nulls = c->chunk_nans = c->chunk_uncompressed = 0;
    c->dict_pages = c->plain_pages = 0;
    c->dict_fallback = 0;
    c->has_minmax = 0;
    c->dict.len = 0;
    c->dict_n = 0;
    c->dict_bit_width = 1;
    if (c->slots)
        memset(c->slots, 0, c->nslots * sizeof *c->slots);
    c->page_dict = w->dictionary && c->type == SML_PARQUET_STRING;
}

/* The chunk's min and max in the statistics' byte form; 0 when there is none (no non-null, non-NaN value). */
static int stat_bytes(const pq_col *c, uint8_t *min8, uint8_t *max8, const void **minp, const void **maxp,
                      size_t *minlen, size_t *maxlen)
{
    if (!c->has_minmax)
        return 0;
    switch (c->type) {
    case SML_PARQUET_DOUBLE: {
        /* the format asks for -0.0 as a zero minimum and +0.0 as a zero maximum */
        double mn = c->dmin == 0 ? -0.0 : c->dmin, mx = c->dmax == 0 ? 0.0 : c->dmax;
        uint64_t b;
        memcpy(&b, &mn, 8);
        le64(min8, b);
        memcpy(&b, &mx, 8);
        le64(max8, b);
        *minp = min8, *maxp = max8, *minlen = *maxlen = 8;
        break;
    }
    case SML_PARQUET_INT64:
        le64(min8, (uint64_t)c->imin);
        le64(max8, (uint64_t)c->imax);
        *minp = min8, *maxp = max8, *minlen = *maxlen = 8;
        break;
    case SML_PARQUET_BOOLEAN:
        min8[0] = (uint8_t)c->imin;
        max8[0] = (uint8_t)c->imax;
        *minp = min8, *maxp = max8, *minlen = *maxlen = 1;
        break;
    default:
        *minp = c->smin.buf, *maxp = c->smax.buf, *minlen = c->smin.len, *maxlen = c->smax.len;
        break;
    }
    return 1;
}

/* The ColumnChunk of c as an element of RowGroup.columns. */
static void encode_column_chunk(sml_parquet_writer *w, sml_tc *t, const pq_col *c, uint64_t data_offset,
                                int64_t dict_offset, uint64_t uncompressed, uint64_t compressed)
{
    sml_tc_elem_struct_begin(t);
    sml_tc_i64(t, 2, 0); /* file_offset: deprecated, 0 when the metadata is only in the footer */
    sml_tc_struct_begin(t, 3); /* ColumnMetaData */
    sml_tc_i32(t, 1, physical_type(c->type));
    int encs[3], nenc = 0;
    if (c->plain_pages || dict_offset >= 0)
        encs[nenc++] = PQ_ENC_PLAIN;
    if (!c->required)
        encs[nenc++] = PQ_ENC_RLE;
    if (c->dict_pages)
        encs[nenc++] = PQ_ENC_RLE_DICTIONARY;
    sml_tc_list_begin(t, 2, SML_TC_I32, (uint32_t)nenc);
    for (int i = 0; i < nenc; i++)
        sml_tc_elem_i32(t, encs[i]);
    sml_tc_list_begin(t, 3, SML_TC_BINARY, 1);
    sml_tc_elem_binary(t, c->name, strlen(c->name));
    sml_tc_i32(t, 4, codec_id(w->compression));
    sml_tc_i64(t, 5, (int64_t)c->chunk_values);
    sml_tc_i64(t, 6, (int64_t)uncompressed);
    sml_tc_i64(t, 7, (int64_t)compressed);
    sml_tc_i64(t, 9, (int64_t)data_offset);
    if (dict_offset >= 0)
        sml_tc_i64(t, 11, dict_offset);

    sml_tc_struct_begin(t, 12); /* Statistics */
    sml_tc_i64(t, 3, (int64_t)c->chunk_nulls);
    uint8_t min8[8], max8[8];
    const void *minp, *maxp;
    size_t minlen, maxlen;
    if (stat_bytes(c, min8, max8, &minp, &maxp, &minlen, &maxlen)) {
        sml_tc_binary(t, 5, maxp, maxlen);
        sml_tc_binary(t, 6, minp, minlen);
        sml_tc_bool(t, 7, 1);
        sml_tc_bool(t, 8, 1);
    }
    if (c->type == SML_PARQUET_DOUBLE)
        sml_tc_i64(t, 9, (int64_t)c->chunk_nans);
    sml_tc_struct_end(t);

    int nstats = (dict_offset >= 0) + (c->dict_pages > 0) + (c->plain_pages > 0);
    sml_tc_list_begin(t, 13, SML_TC_STRUCT, (uint32_t)nstats); /* encoding_stats */
    if (dict_offset >= 0) {
        sml_tc_elem_struct_begin(t);
        sml_tc_i32(t, 1, PQ_PAGE_DICTIONARY);
        sml_tc_i32(t, 2, PQ_ENC_PLAIN);
        sml_tc_i32(t, 3, 1);
        sml_tc_struct_end(t);
    }
    if (c->dict_pages) {
        sml_tc_elem_struct_begin(t);
        sml_tc_i32(t, 1, PQ_PAGE_DATA);
        sml_tc_i32(t, 2, PQ_ENC_RLE_DICTIONARY);
        sml_tc_i32(t, 3, (int32_t)c->dict_pages);
        sml_tc_struct_end(t);
    }
    if (c->plain_pages) {
        sml_tc_elem_struct_begin(t);
        sml_tc_i32(t, 1, PQ_PAGE_DATA);
        sml_tc_i32(t, 2, PQ_ENC_PLAIN);
        sml_tc_i32(t, 3, (int32_t)c->plain_pages);
        sml_tc_struct_end(t);
    }
    sml_tc_struct_end(t); /* ColumnMetaData */
    sml_tc_struct_end(t); /* ColumnChunk */
}

static const char magic[4] = {'P', 'A', 'R', '1'};

/* Writes the open row group: each column's chunk in turn, then records its RowGroup for the footer. */
static int flush_row_group(sml_parquet_writer *w)
{
    if (w->rg_rows == 0)
        return 0;
    if (w->offset == 0 && emit(w, magic, 4) < 0)
        return w->failed;
    uint64_t rg_offset = w->offset, rg_uncompressed = 0, rg_compressed = 0;
    sml_tc t;
    sml_tc_init(&t, &w->row_groups);
    sml_tc_list_begin(&t, 1, SML_TC_STRUCT, (uint32_t)w->ncols);
    for (size_t j = 0; j < w->ncols; j++) {
        pq_col *c = &w->cols[j];
        int rc = flush_page(w, c);
        if (rc < 0)
            return rc;
        uint64_t start = w->offset, uncompressed = c->chunk_uncompressed;
        int64_t dict_offset = -1;
        if (c->dict_n > 0) {
            w->page.len = 0;
            rc = write_page(w, &w->page, PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, c->dict_n, c->dict.buf, c->dict.len,
                            &uncompressed);
            if (rc < 0)
                return rc;
            dict_offset = (int64_t)w->offset;
            if (emit(w, w->page.buf, w->page.len) < 0)
                return w->failed;
        }
        uint64_t data_offset = w->offset;
        if (emit(w, c->pages.buf, c->pages.len) < 0)
            return w->failed;
        uint64_t compressed = w->offset - start;
        encode_column_chunk(w, &t, c, data_offset, dict_offset, uncompressed, compressed);
        rg_uncompressed += uncompressed;
        rg_compressed += compressed;
        reset_chunk(w, c);
    }
    sml_tc_i64(&t, 2, (int64_t)rg_uncompressed);
    sml_tc_i64(&t, 3, (int64_t)w->rg_rows);
    sml_tc_i64(&t, 5, (int64_t)rg_offset);
    sml_tc_i64(&t, 6, (int64_t)rg_compressed);
    if (w->row_groups_n <= INT16_MAX)
        sml_tc_i16(&t, 7, (int16_t)w->row_groups_n);
    sml_tc_struct_end(&t);
    if (t.failed)
        return wcheck(w, NULL, t.failed);
    w->row_groups_n++;
    w->rg_rows = 0;
    return 0;
}

/* ---------------------------------------------------------------- public API */

static void col_release(pq_col *c)
{
    free(c->name);
    sml_strbuf_release(&c->values);
    free(c->levels);
    free(c->idx);
    sml_strbuf_release(&c->pages);
    sml_strbuf_release(&c->smin);
    sml_strbuf_release(&c->smax);
    sml_strbuf_release(&c->dict);
    free(c->slots);
    free(c->entry_off);
    free(c->entry_len);
    free(c->entry_hash);
}

void sml_parquet_writer_free(sml_parquet_writer *w)
{
    if (!w)
        return;
    for (size_t j = 0; j < w->ncols; j++)
        col_release(&w->cols[j]);
    free(w->cols);
    ZSTD_freeCCtx(w->zstd);
    sml_strbuf_release(&w->row_groups);
    sml_strbuf_release(&w->body);
    sml_strbuf_release(&w->comp);
    sml_strbuf_release(&w->page);
    free(w);
}

sml_parquet_writer *sml_parquet_writer_new(const sml_parquet_column *cols, size_t ncols,
                                           const sml_parquet_opts *opts, sml_write_fn write, void *opaque,
                                           sml_error *err)
{
    sml_parquet_opts defaults = SML_PARQUET_OPTS_INIT;
    const sml_parquet_opts *o = opts ? opts : &defaults;
    if (!cols || ncols == 0 || !write) {
        sml_fail(err, SML_EINVAL, "parquet: %s", !write ? "no write callback" : "no columns");
        return NULL;
    }
    if (ncols > INT32_MAX / 2) {
        sml_fail(err, SML_EINVAL, "parquet: too many columns (%zu)", ncols);
        return NULL;
    }
    for (size_t j = 0; j < ncols; j++) {
        if (!cols[j].name || !cols[j].name[0]) {
            sml_fail(err, SML_EINVAL, "parquet: column %zu has no name", j + 1);
            return NULL;
        }
        if ((unsigned)cols[j].type > SML_PARQUET_STRING) {
            sml_fail(err, SML_EINVAL, "parquet: column %s: unknown type %d", cols[j].name, (int)cols[j].type);
            return NULL;
        }
        for (size_t k = 0; k < j; k++)
            if (strcmp(cols[k].name, cols[j].name) == 0) {
                sml_fail(err, SML_EINVAL, "parquet: column %s appears twice", cols[j].name);
                return NULL;
            }
    }
    if ((unsigned)o->compression > SML_PARQUET_SNAPPY) {
        sml_fail(err, SML_EINVAL, "parquet: unknown compression %d", (int)o->compression);
        return NULL;
    }
    size_t rg = o->row_group_rows ? o->row_group_rows : DEFAULT_ROW_GROUP_ROWS;
    size_t pb = o->page_bytes ? o->page_bytes : DEFAULT_PAGE_BYTES;
    size_t db = o->dictionary_page_bytes ? o->dictionary_page_bytes : DEFAULT_DICT_BYTES;
    if (rg > MAX_ROW_GROUP_ROWS || pb > MAX_PAGE_BYTES || db > MAX_DICT_BYTES) {
        sml_fail(err, SML_EINVAL, "parquet: row_group_rows %zu, page_bytes %zu, dictionary_page_bytes %zu: the "
                 "limits are %zu, %zu, %zu", rg, pb, db, MAX_ROW_GROUP_ROWS, MAX_PAGE_BYTES, MAX_DICT_BYTES);
        return NULL;
    }
    int level = o->compression_level ? o->compression_level : 1;
    if (o->compression == SML_PARQUET_ZSTD && (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())) {
        sml_fail(err, SML_EINVAL, "parquet: zstd level %d outside [%d, %d]", level, ZSTD_minCLevel(),
                 ZSTD_maxCLevel());
        return NULL;
    }

    sml_parquet_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->cols = calloc(ncols, sizeof *w->cols)))
        goto oom;
    w->ncols = ncols;
    w->compression = o->compression;
    w->level = level;
    w->row_group_rows = rg;
    w->page_bytes = pb;
    w->dict_page_bytes = db;
    w->dictionary = o->dictionary != 0;
    w->write = write;
    w->opaque = opaque;
    if (w->compression == SML_PARQUET_ZSTD && !(w->zstd = ZSTD_createCCtx()))
        goto oom;
    for (size_t j = 0; j < ncols; j++) {
        pq_col *c = &w->cols[j];
        c->type = cols[j].type;
        c->required = cols[j].required != 0;
        if (!(c->name = strdup(cols[j].name)))
            goto oom;
        if (w->dictionary && c->type == SML_PARQUET_STRING) {
            c->nslots = 1024;
            if (!(c->slots = calloc(c->nslots, sizeof *c->slots)))
                goto oom;
        }
        reset_chunk(w, c);
    }
    return w;
oom:
    sml_parquet_writer_free(w);
    sml_fail(err, SML_ENOMEM, "parquet: out of memory");
    return NULL;
}

static int check_usable(sml_parquet_writer *w, sml_error *err)
{
    if (w->failed)
        return sticky(w, err);
    if (w->finished)
        return sml_fail(err, SML_ESTATE, "parquet: the writer is finished");
    return 0;
}

/* Checks a put_* call and returns the column it fills, or NULL with *rc < 0. */
static pq_col *begin_put(sml_parquet_writer *w, int type, int *rc, sml_error *err)
{
    if ((*rc = check_usable(w, err)) < 0)
        return NULL;
    if (w->col >= w->ncols) {
        *rc = wfail(w, err, SML_ESTATE, "parquet: more values than the %zu columns in a row", w->ncols);
        return NULL;
    }
    pq_col *c = &w->cols[w->col];
    if (type < 0 ? c->required : (int)c->type != type) {
        static const char *const names[] = {"double", "int64", "bool", "string"};
        *rc = type < 0 ? wfail(w, err, SML_EINVAL, "parquet: column %s is required: null given", c->name)
                       : wfail(w, err, SML_EINVAL, "parquet: column %s holds %s values: %s given", c->name,
                               names[c->type], names[type]);
        return NULL;
    }
    return c;
}

static int end_put(sml_parquet_writer *w, int rc, sml_error *err)
{
    if (rc < 0)
        return wcheck(w, err, rc);
    w->col++;
    return 0;
}

int sml_parquet_put_double(sml_parquet_writer *w, double v, sml_error *err)
{
    int rc;
    pq_col *c = begin_put(w, SML_PARQUET_DOUBLE, &rc, err);
    return c ? end_put(w, col_double(w, c, v), err) : rc;
}

int sml_parquet_put_int64(sml_parquet_writer *w, int64_t v, sml_error *err)
{
    int rc;
    pq_col *c = begin_put(w, SML_PARQUET_INT64, &rc, err);
    return c ? end_put(w, col_int64(w, c, v), err) : rc;
}

int sml_parquet_put_bool(sml_parquet_writer *w, int v, sml_error *err)
{
    int rc;
    pq_col *c = begin_put(w, SML_PARQUET_BOOLEAN, &rc, err);
    return c ? end_put(w, col_bool(w, c, v), err) : rc;
}

int sml_parquet_put_str(sml_parquet_writer *w, const char *s, size_t len, sml_error *err)
{
    int rc;
    pq_col *c = begin_put(w, SML_PARQUET_STRING, &rc, err);
    return c ? end_put(w, col_str(w, c, s, len), err) : rc;
}

int sml_parquet_put_null(sml_parquet_writer *w, sml_error *err)
{
    int rc;
    pq_col *c = begin_put(w, -1, &rc, err);
    return c ? end_put(w, col_null(w, c), err) : rc;
}

int sml_parquet_end_row(sml_parquet_writer *w, sml_error *err)
{
    int rc = check_usable(w, err);
    if (rc < 0)
        return rc;
    if (w->col != w->ncols)
        return wfail(w, err, SML_ESTATE, "parquet: row ended after %zu of %zu values", w->col, w->ncols);
    w->col = 0;
    w->rows++;
    if (++w->rg_rows == w->row_group_rows)
        return wcheck(w, err, flush_row_group(w));
    return 0;
}

int sml_parquet_write_batch(sml_parquet_writer *w, const sml_batch *b, const int *colmap, sml_error *err)
{
    int rc = check_usable(w, err);
    if (rc < 0)
        return rc;
    if (w->col != 0)
        return sml_fail(err, SML_ESTATE, "parquet: a batch in the middle of a row");
    for (size_t j = 0; j < w->ncols; j++) {
        const pq_col *c = &w->cols[j];
        int src = colmap ? colmap[j] : (int)j;
        if (src < 0) {
            if (c->required && b->nrows)
                return sml_fail(err, SML_EINVAL, "parquet: column %s is required but has no source", c->name);
            continue;
        }
        if ((size_t)src >= b->ncols)
            return sml_fail(err, SML_EINVAL, "parquet: column %s: no batch column %d", c->name, src);
        const sml_column *bc = &b->cols[src];
        int ok = (bc->type == SML_TYPE_NUM && c->type == SML_PARQUET_DOUBLE) ||
                 (bc->type == SML_TYPE_STR && c->type == SML_PARQUET_STRING);
        if (!ok)
            return sml_fail(err, SML_EINVAL, "parquet: column %s cannot hold the %s batch column %s", c->name,
                            bc->type == SML_TYPE_NUM ? "numeric" : "text", bc->name);
        if (c->required)
            for (size_t i = 0; i < b->nrows; i++)
                if (bc->missing[i])
                    return sml_fail(err, SML_EINVAL, "parquet: column %s is required: row %zu of the batch is "
                                    "missing", c->name, i + 1);
    }
    size_t start = 0;
    while (start < b->nrows) {
        size_t take = b->nrows - start, room = w->row_group_rows - w->rg_rows;
        if (take > room)
            take = room;
        for (size_t j = 0; j < w->ncols; j++) {
            pq_col *c = &w->cols[j];
            int src = colmap ? colmap[j] : (int)j;
            const sml_column *bc = src >= 0 ? &b->cols[src] : NULL;
            for (size_t i = start; i < start + take; i++) {
                if (!bc || bc->missing[i])
                    rc = col_null(w, c);
                else if (bc->type == SML_TYPE_NUM)
                    rc = col_double(w, c, bc->num[i]);
                else
                    rc = col_str(w, c, b->strings + bc->str_off[i], bc->str_len[i]);
                if (rc < 0)
                    return wcheck(w, err, rc);
            }
        }
        start += take;
        w->rows += take;
        w->rg_rows += take;
        if (w->rg_rows == w->row_group_rows && (rc = flush_row_group(w)) < 0)
            return wcheck(w, err, rc);
    }
    return 0;
}

int sml_parquet_writer_finish(sml_parquet_writer *w, sml_error *err)
{
    int rc = check_usable(w, err);
    if (rc < 0)
        return rc;
    if (w->col != 0)
        return wfail(w, err, SML_ESTATE, "parquet: finished in the middle of a row");
    if ((rc = flush_row_group(w)) < 0)
        return wcheck(w, err, rc);
    if (w->offset == 0 && emit(w, magic, 4) < 0)
        return sticky(w, err);

    sml_strbuf *m = &w->body;
    m->len = 0;
    sml_tc t;
    sml_tc_init(&t, m);
    sml_tc_i32(&t, 1, 1); /* version */
    sml_tc_list_begin(&t, 2, SML_TC_STRUCT, (uint32_t)(w->ncols + 1));
    sml_tc_elem_struct_begin(&t); /* the root */
    sml_tc_string(&t, 4, "schema");
    sml_tc_i32(&t, 5, (int32_t)w->ncols);
    sml_tc_struct_end(&t);
    for (size_t j = 0; j < w->ncols; j++) {
        const pq_col *c = &w->cols[j];
        sml_tc_elem_struct_begin(&t);
        sml_tc_i32(&t, 1, physical_type(c->type));
        sml_tc_i32(&t, 3, c->required ? PQ_REQUIRED : PQ_OPTIONAL);
        sml_tc_string(&t, 4, c->name);
        if (c->type == SML_PARQUET_STRING) {
            sml_tc_i32(&t, 6, PQ_CONVERTED_UTF8);
            sml_tc_struct_begin(&t, 10); /* LogicalType */
            sml_tc_struct_begin(&t, 1);  /* STRING: StringType {} */
            sml_tc_struct_end(&t);
            sml_tc_struct_end(&t);
        }
        sml_tc_struct_end(&t);
    }
    sml_tc_i64(&t, 3, (int64_t)w->rows);
    sml_tc_list_begin(&t, 4, SML_TC_STRUCT, w->row_groups_n);
    sml_tc_raw(&t, w->row_groups.buf ? w->row_groups.buf : "", w->row_groups.len);
    char created_by[64];
    snprintf(created_by, sizeof created_by, "streamml version %s", sml_version());
    sml_tc_string(&t, 6, created_by);
    sml_tc_list_begin(&t, 7, SML_TC_STRUCT, (uint32_t)w->ncols); /* column_orders */
    for (size_t j = 0; j < w->ncols; j++) {
        sml_tc_elem_struct_begin(&t);
        sml_tc_struct_begin(&t, 1); /* TYPE_ORDER: TypeDefinedOrder {} */
        sml_tc_struct_end(&t);
        sml_tc_struct_end(&t);
    }
    sml_tc_struct_end(&t);
    if (t.failed)
        return wcheck(w, err, t.failed);
    if (m->len > UINT32_MAX)
        return wfail(w, err, SML_ERANGE, "parquet: footer of %zu bytes is too large", m->len);
    uint8_t tail[8];
    le32(tail, (uint32_t)m->len);
    memcpy(tail + 4, magic, 4);
    if (emit(w, m->buf, m->len) < 0 || emit(w, tail, 8) < 0)
        return sticky(w, err);
    w->finished = 1;
    return 0;
}

uint64_t sml_parquet_writer_rows(const sml_parquet_writer *w) { return w->rows; }
uint64_t sml_parquet_writer_bytes(const sml_parquet_writer *w) { return w->offset; }
