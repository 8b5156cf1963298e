/*
 * The sml_reader: bytes in, batches out (include/streamml/parse.h).
 *
 * feed -> [magic bytes: gzip | zstd | plain] -> [UTF-8 BOM dropped] -> buffer -> format parser -> sml_batch
 *
 * Memory stays bounded by max_record_bytes: whenever the unscanned tail of the buffer grows past it, the format's
 * boundary scanner walks the tail; a record that is still open after max_record_bytes is cut out of the buffer (only
 * its first 4 KiB are kept for the bad row) and the rest of it is skipped as it streams in (sml_skip).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse/parse_int.h"

#define APPEND_CHUNK (64 * 1024) /* the over-long check runs at least this often while appending */

/* ------------------------------------------------------------------------------------------------------------ */
/* small helpers shared with the formats                                                                        */

void sml_scan_reset(sml_scan_state *st)
{
    st->state = 0;
    st->last_cr = 0;
    st->lines = 0;
}

size_t sml_utf8_seq(const unsigned char *s, const unsigned char *e)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)(e - s) < n)
        return 0;
    unsigned cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

const char *sml_utf8_invalid(const char *s, const char *e)
{
    const unsigned char *p = (const unsigned char *)s, *end = (const unsigned char *)e;
    while (p < end) {
#ifdef __SSE2__
        while (end - p >= 16 && _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)p)) == 0)
            p += 16;
        if (p >= end)
            break;
#endif
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = sml_utf8_seq(p, end);
        if (!n)
            return (const char *)p;
        p += n;
    }
    return NULL;
}

void sml_locate(const char *rec, const char *at, uint64_t rec_line, uint64_t *line, uint64_t *column)
{
    const char *ls = rec;
    uint64_t l = rec_line;
    for (const char *p = rec; p < at; p++) {
        if (*p == '\r' || (*p == '\n' && !(p > rec && p[-1] == '\r')))
            l++;
        if (*p == '\r' || *p == '\n')
            ls = p + 1;
    }
    *line = l;
    *column = (uint64_t)(at - ls) + 1;
}

void sml_excerpt(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, lim = 40;
    out[o++] = '"';
    for (size_t i = 0; i < n && i < lim && o + 6 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (n > lim && o + 6 < cap)
        out[o++] = '.', out[o++] = '.', out[o++] = '.';
    out[o++] = '"';
    out[o] = 0;
}

int sml_scratch_reserve(sml_reader *r, size_t used, size_t n)
{
    if (used + n <= r->scratch_cap)
        return 0;
    size_t cap = r->scratch_cap ? r->scratch_cap : 256;
    while (cap < used + n)
        cap *= 2;
    char *p = realloc(r->scratch, cap);
    if (!p)
        return SML_ENOMEM;
    r->scratch = p;
    r->scratch_cap = cap;
    return 0;
}

int sml_reader_add_out(sml_reader *r, const char *name, size_t len, sml_type type)
{
    if (r->nout >= SML_MAX_COLUMNS)
        return SML_ELIMIT;
    if (r->nout == r->out_cap) {
        size_t cap = r->out_cap ? r->out_cap * 2 : 16;
        char **names = realloc(r->out_names, cap * sizeof *names);
        if (!names)
            return SML_ENOMEM;
        r->out_names = names;
        sml_type *types = realloc(r->out_types, cap * sizeof *types);
        if (!types)
            return SML_ENOMEM;
        r->out_types = types;
        uint8_t *opt = realloc(r->out_optional, cap);
        if (!opt)
            return SML_ENOMEM;
        r->out_optional = opt;
        r->out_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return SML_ENOMEM;
    memcpy(copy, name, len);
    copy[len] = 0;
    r->out_names[r->nout] = copy;
    r->out_types[r->nout] = type;
    r->out_optional[r->nout] = 0;
    return (int)r->nout++;
}

int sml_reader_bad(sml_reader *r, sml_batch *b, int code, uint64_t line, uint64_t column, uint64_t offset,
                   const char *raw, size_t raw_len, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof reason)
        n = sizeof reason - 1;
    if (b->nbad == b->bad_cap) {
        size_t cap = b->bad_cap ? b->bad_cap * 2 : 16;
        sml_bad_row *bad = realloc(b->bad, cap * sizeof *bad);
        if (!bad)
            return SML_ENOMEM;
        b->bad = bad;
        b->bad_cap = cap;
    }
    sml_bad_row *br = &b->bad[b->nbad];
    memset(br, 0, sizeof *br);
    br->line = line;
    br->column = column;
    br->offset = offset;
    br->code = code;
    if (raw_len > SML_RAW_MAX)
        raw_len = SML_RAW_MAX;
    uint32_t off;
    int rc = sml_batch_put_string(b, reason, (size_t)n, &off);
    if (rc < 0)
        return rc;
    br->reason_off = off;
    br->reason_len = (uint32_t)n;
    rc = sml_batch_put_string(b, raw ? raw : "", raw_len, &off);
    if (rc < 0)
        return rc;
    br->raw_off = off;
    br->raw_len = (uint32_t)raw_len;
    b->nbad++;
    r->stats.bad_records++;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* the buffer and the boundary scan                                                                             */

static void set_sentinel(sml_reader *r)
{
    memset(r->buf + r->len, 0, SML_PARSE_PAD);
    r->buf[r->len] = '\n';
}

/* Drops consumed bytes and makes room for n more. */
static int reserve(sml_reader *r, size_t n)
{
    if (r->pos > 0 && (r->len + n + SML_PARSE_PAD > r->cap || r->pos >= r->len / 2)) {
        size_t d = r->pos;
        if (r->scan_rec_start < d) { /* a stale scan (the parser has moved past it) */
            r->scan_rec_start = r->scan_pos = d;
            sml_scan_reset(&r->scan);
        }
        r->detect_pos = r->detect_pos > d ? r->detect_pos - d : 0;
        memmove(r->buf, r->buf + d, r->len - d);
        r->len -= d;
        r->pos = 0;
        r->base_offset += d;
        r->scan_rec_start -= d;
        r->scan_pos -= d;
        for (size_t i = 0; i < r->nskips; i++)
            r->skips[i]->buf_pos -= d;
    }
    if (r->len + n + SML_PARSE_PAD > r->cap) {
        size_t cap = r->cap ? r->cap : 64 * 1024;
        while (cap < r->len + n + SML_PARSE_PAD)
            cap *= 2;
        char *p = realloc(r->buf, cap);
        if (!p)
            return SML_ENOMEM;
        r->buf = p;
        r->cap = cap;
    }
    return 0;
}

void sml_reader_scan(sml_reader *r, size_t lim, int one)
{
    if (r->scan_rec_start < r->pos) {
        r->scan_rec_start = r->scan_pos = r->pos;
        sml_scan_reset(&r->scan);
    }
    while (r->scan_pos < lim) {
        long k = r->ops->find_end(r, &r->scan, r->buf + r->scan_pos, lim - r->scan_pos);
        if (k < 0) {
            r->scan_pos = lim;
            break;
        }
        r->scan_pos += (size_t)k + 1;
        r->scan_rec_start = r->scan_pos;
        sml_scan_reset(&r->scan);
        if (one)
            break;
    }
}

static void detect_format(sml_reader *r)
{
    if (r->ops)
        return;
    size_t i = r->detect_pos > r->pos ? r->detect_pos : r->pos;
    for (; i < r->len; i++) {
        char c = r->buf[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        r->ops = c == '{' ? &sml_jsonl_ops : &sml_csv_ops;
        return;
    }
    r->detect_pos = i;
    /* only white space so far: decide at the end, or when it gets absurd */
    if (r->eof || r->len - r->pos > r->opts.max_record_bytes)
        r->ops = &sml_csv_ops;
}

static int start_skip(sml_reader *r)
{
    if (r->nskips == r->skips_cap) {
        size_t cap = r->skips_cap ? r->skips_cap * 2 : 4;
        sml_skip **s = realloc(r->skips, cap * sizeof *s); /* NOLINT(bugprone-sizeof-expression): pointers */
        if (!s)
            return SML_ENOMEM;
        r->skips = s;
        r->skips_cap = cap;
    }
    sml_skip *s = malloc(sizeof *s);
    if (!s)
        return SML_ENOMEM;
    size_t start = r->scan_rec_start, have = r->len - start;
    s->buf_pos = start;
    s->bytes = have;
    s->lines = 0;
    s->closed = 0;
    s->ends_cr = 0;
    s->raw_len = have < SML_RAW_MAX ? have : SML_RAW_MAX;
    memcpy(s->raw, r->buf + start, s->raw_len);
    r->skips[r->nskips++] = s;
    r->len = start;
    r->scan_pos = start;
    set_sentinel(r);
    r->skipping = 1;
    return 0;
}

static void close_skip(sml_reader *r)
{
    sml_skip *s = r->skips[r->nskips - 1];
    s->closed = 1;
    s->lines = r->scan.lines;
    r->skipping = 0;
    sml_scan_reset(&r->scan);
    r->scan_rec_start = r->scan_pos = r->len;
}

/* Skipping an over-long record: consumes bytes up to and including its terminator. */
static size_t skip_bytes(sml_reader *r, const char *p, size_t n)
{
    sml_skip *s = r->skips[r->nskips - 1];
    long k = r->ops->find_end(r, &r->scan, p, n);
    size_t body = k < 0 ? n : (size_t)k;
    if (s->raw_len < SML_RAW_MAX) {
        size_t t = SML_RAW_MAX - s->raw_len < body ? SML_RAW_MAX - s->raw_len : body;
        memcpy(s->raw + s->raw_len, p, t);
        s->raw_len += t;
    }
    if (k < 0) {
        s->bytes += n;
        return n;
    }
    s->bytes += body + 1;
    s->ends_cr = p[k] == '\r';
    close_skip(r);
    return body + 1;
}

/* After m bytes were added at the end of the buffer: the sentinel, format detection and the max_record_bytes bound */
static int appended(sml_reader *r, size_t m)
{
    r->len += m;
    set_sentinel(r);
    detect_format(r);
    /* Scan only when the unscanned tail is well past the limit: a caller feeding chunks about as large as
       max_record_bytes and draining in between never pays for a second pass; an open record is still cut
       before the buffer holds more than about 2 * max_record_bytes of it. */
    if (r->ops && r->len - (r->scan_rec_start > r->pos ? r->scan_rec_start : r->pos) > 2 * r->opts.max_record_bytes) {
        sml_reader_scan(r, r->len, 0);
        if (r->len - r->scan_rec_start > r->opts.max_record_bytes && start_skip(r) < 0)
            return SML_ENOMEM;
    }
    return 0;
}

/* Appends plain (decompressed, BOM-less) bytes to the buffer, enforcing max_record_bytes. */
static int append_plain(sml_reader *r, const char *p, size_t n)
{
    while (n > 0) {
        if (r->skipping) {
            size_t k = skip_bytes(r, p, n);
            p += k;
            n -= k;
            continue;
        }
        size_t m = n < APPEND_CHUNK ? n : APPEND_CHUNK;
        if (reserve(r, m) < 0)
            return SML_ENOMEM;
        memcpy(r->buf + r->len, p, m);
        p += m;
        n -= m;
        if (appended(r, m) < 0)
            return SML_ENOMEM;
    }
    return 0;
}

/* Plain bytes from the front: holds back the first three until it knows whether they are a BOM. */
static int push_plain(void *ctx, const char *p, size_t n, sml_error *err)
{
    sml_reader *r = ctx;
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    r->stats.bytes += n;
    while (!r->bom_done && n > 0) {
        if ((unsigned char)*p != bom[r->bom_len]) {
            r->bom_done = 1;
            if (append_plain(r, (const char *)r->bom, r->bom_len) < 0)
                goto nomem;
            break;
        }
        r->bom[r->bom_len++] = (unsigned char)*p++;
        n--;
        if (r->bom_len == 3) {
            r->bom_done = 1;
            r->base_offset += 3; /* offsets count the BOM; lines and columns start after it */
        }
    }
    if (n && append_plain(r, p, n) < 0)
        goto nomem;
    return 0;
nomem:
    return sml_fail(err, SML_ENOMEM, "%s: out of memory buffering input", r->source_name);
}

static int front_push(sml_reader *r, const unsigned char *p, size_t n, sml_error *err)
{
    if (n == 0)
        return 0;
    if (r->front == SML_FRONT_PLAIN)
        return push_plain(r, (const char *)p, n, err);
    int rc = sml_decomp_run(r->decomp, p, n, push_plain, r, err);
    if (rc < 0)
        sml_error_prefix(err, "%s", r->source_name);
    return rc;
}

/* Decides the front from the magic bytes held so far; returns 1 when decided. */
static int front_decide(sml_reader *r, int at_end, sml_error *err)
{
    static const unsigned char gz[2] = {0x1F, 0x8B}, zs[4] = {0x28, 0xB5, 0x2F, 0xFD};
    const unsigned char *m = r->magic;
    size_t n = r->magic_len;
    int front = SML_FRONT_PLAIN;
    if (n >= 1 && m[0] == gz[0]) {
        if (n < 2 && !at_end)
            return 0;
        if (n >= 2 && m[1] == gz[1])
            front = SML_FRONT_GZIP;
    } else if (n >= 1 && m[0] == zs[0]) {
        size_t i = 1;
        while (i < n && i < sizeof zs && m[i] == zs[i])
            i++;
        if (i == n && n < 4 && !at_end)
            return 0;
        if (i == 4)
            front = SML_FRONT_ZSTD;
    }
    if (front != SML_FRONT_PLAIN && sml_decomp_new(front, &r->decomp, err) < 0)
        return -1;
    r->front = front;
    return 1;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* public API                                                                                                   */

sml_reader *sml_reader_new(const sml_reader_opts *opts, sml_error *err)
{
    sml_reader_opts def = SML_READER_OPTS_INIT;
    sml_reader_opts o = opts ? *opts : def;
    if (o.delimiter == 0)
        o.delimiter = ',';
    if (o.delimiter == '"' || o.delimiter == '\n' || o.delimiter == '\r') {
        sml_fail(err, SML_EINVAL, "invalid CSV delimiter (a quote or a line break)");
        return NULL;
    }
    if (o.format != SML_FORMAT_AUTO && o.format != SML_FORMAT_CSV && o.format != SML_FORMAT_JSONL) {
        sml_fail(err, SML_EINVAL, "unknown input format %d", (int)o.format);
        return NULL;
    }
    if (o.max_record_bytes == 0)
        o.max_record_bytes = def.max_record_bytes;
    sml_reader *r = calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->opts = o;
    r->source_name = strdup(o.source_name ? o.source_name : "<input>");
    r->opts.source_name = r->source_name;
    if (!r->source_name)
        goto nomem;
    r->line = 1;
    if (reserve(r, 0) < 0)
        goto nomem;
    set_sentinel(r);
    if (o.format == SML_FORMAT_CSV)
        r->ops = &sml_csv_ops;
    else if (o.format == SML_FORMAT_JSONL)
        r->ops = &sml_jsonl_ops;
    return r;
nomem:
    sml_reader_free(r);
    sml_fail(err, SML_ENOMEM, "out of memory creating a reader");
    return NULL;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void sml_reader_free(sml_reader *r)
{
    if (!r)
        return;
    sml_decomp_free(r->decomp);
    for (size_t i = 0; i < r->nskips; i++)
        free(r->skips[i]);
    free(r->skips);
    free_names(r->header, r->nheader);
    free_names(r->out_names, r->nout);
    free(r->out_types);
    free(r->out_optional);
    free(r->sinks);
    free(r->keys);
    free(r->scratch);
    free(r->buf);
    free(r->source_name);
    free(r);
}

int sml_reader_feed(sml_reader *r, const void *data, size_t len, sml_error *err)
{
    const unsigned char *p = data;
    if (r->fatal.code)
        return sml_fail(err, r->fatal.code, "%s", r->fatal.msg);
    if (r->eof)
        return sml_fail(err, SML_ESTATE, "%s: input fed after its end", r->source_name);
    r->stats.bytes_in += len;
    int rc = 0;
    if (r->front == SML_FRONT_DETECT) {
        while (len > 0 && r->magic_len < 4) {
            r->magic[r->magic_len++] = *p++;
            len--;
            rc = front_decide(r, 0, err);
            if (rc != 0)
                break;
        }
        if (rc < 0)
            goto fatal;
        if (r->front == SML_FRONT_DETECT)
            return 0;
        rc = front_push(r, r->magic, r->magic_len, err);
        if (rc < 0)
            goto fatal;
    }
    rc = front_push(r, p, len, err);
    if (rc < 0)
        goto fatal;
    return 0;
fatal:
    if (err)
        r->fatal = *err;
    else
        sml_fail(&r->fatal, rc, "%s: input failed (%s)", r->source_name, sml_strerror(rc));
    return rc;
}

char *sml_reader_direct(sml_reader *r, size_t n)
{
    if (r->front != SML_FRONT_PLAIN || !r->bom_done || r->skipping || r->fatal.code || r->eof || n == 0 ||
        n > SML_READER_DIRECT_MAX || n > APPEND_CHUNK)
        return NULL;
    if (reserve(r, n) < 0)
        return NULL; /* sml_reader_feed reports it */
    return r->buf + r->len;
}

void sml_reader_direct_commit(sml_reader *r, size_t n)
{
    if (n == 0)
        return;
    r->stats.bytes_in += n;
    r->stats.bytes += n;
    /* one piece of append_plain, the bytes already in place; starting a skip allocates, and its failure is
     * sticky like a feed's */
    if (appended(r, n) < 0)
        sml_fail(&r->fatal, SML_ENOMEM, "%s: out of memory buffering input", r->source_name);
}

int sml_reader_end(sml_reader *r, sml_error *err)
{
    int rc = 0;
    if (r->eof)
        return 0;
    if (r->fatal.code) {
        rc = sml_fail(err, r->fatal.code, "%s", r->fatal.msg);
        goto out;
    }
    if (r->front == SML_FRONT_DETECT) {
        rc = front_decide(r, 1, err);
        if (rc >= 0)
            rc = front_push(r, r->magic, r->magic_len, err);
        if (rc < 0)
            goto out;
    }
    if (!r->bom_done) {
        r->bom_done = 1;
        if (append_plain(r, (const char *)r->bom, r->bom_len) < 0) {
            rc = sml_fail(err, SML_ENOMEM, "%s: out of memory buffering input", r->source_name);
            goto out;
        }
    }
    if (r->decomp) {
        rc = sml_decomp_finish(r->decomp, err);
        if (rc < 0)
            sml_error_prefix(err, "%s", r->source_name);
    }
out:
    r->eof = 1;
    detect_format(r);
    if (r->skipping)
        close_skip(r);
    return rc;
}

int sml_reader_done(const sml_reader *r)
{
    return r->eof && r->pos >= r->len && r->nskips == 0;
}

void sml_reader_get_stats(const sml_reader *r, sml_reader_stats *st)
{
    *st = r->stats;
    st->lines = r->line - 1;
}

int sml_reader_columns(sml_reader *r, const char *const **names, size_t *n)
{
    *names = NULL;
    *n = 0;
    if (!r->ops)
        return SML_EAGAIN;
    if (r->ops == &sml_csv_ops) {
        int rc = r->ops->prepare(r, NULL);
        if (rc <= 0)
            return rc < 0 ? rc : SML_EAGAIN;
        *names = (const char *const *)r->header;
        *n = r->nheader;
        return 0;
    }
    *names = (const char *const *)r->out_names;
    *n = r->nout;
    return 0;
}

int sml_reader_set_columns(sml_reader *r, const char *const *names, const sml_type *types, const uint8_t *optional,
                           size_t n, sml_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return sml_fail(err, SML_EINVAL, "column %zu has no name", i + 1);
        if (types && types[i] != SML_TYPE_STR && types[i] != SML_TYPE_NUM)
            return sml_fail(err, SML_EINVAL, "column \"%s\": unknown type %d", names[i], (int)types[i]);
    }
    free_names(r->out_names, r->nout);
    free(r->out_types);
    free(r->out_optional);
    r->out_names = NULL;
    r->out_types = NULL;
    r->out_optional = NULL;
    r->nout = r->out_cap = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = sml_reader_add_out(r, names[i], strlen(names[i]), types ? types[i] : SML_TYPE_STR);
        if (rc < 0)
            return sml_fail(err, rc, "cannot set %zu columns", n);
        r->out_optional[i] = optional ? optional[i] : 0;
    }
    r->typed = 1;
    r->resolved = 0;
    if (r->ops && r->ops->prepare(r, NULL) > 0) { /* CSV: the header, if it is here already */
        int rc = r->ops->resolve(r, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The batch gets the reader's output columns unless it has them already. */
static int ensure_batch(sml_reader *r, sml_batch *b, sml_error *err)
{
    int same = b->capacity > 0 && b->ncols == r->nout && b->line && b->offset;
    for (size_t i = 0; same && i < r->nout; i++)
        same = b->cols[i].type == r->out_types[i] && strcmp(b->cols[i].name, r->out_names[i]) == 0;
    if (same)
        return 0;
    size_t cap = b->capacity ? b->capacity : SML_DEFAULT_BATCH, limit = b->limit;
    int rc = sml_batch_setup(b, (const char *const *)r->out_names, r->out_types, r->nout, cap, err);
    b->limit = limit;
    return rc;
}

/* The parser reached a cut-out over-long record: its bad row, then the stream continues after it. */
static int emit_skip(sml_reader *r, sml_batch *b, sml_error *err)
{
    sml_skip *s = r->skips[0];
    int rc = sml_reader_bad(r, b, SML_ERANGE, r->line, 1, r->base_offset + r->pos, s->raw, s->raw_len,
                            "record longer than %zu bytes", r->opts.max_record_bytes);
    if (rc < 0)
        return sml_fail(err, rc, "%s: out of memory", r->source_name);
    r->base_offset += s->bytes;
    r->line += s->lines + 1;
    r->prev_cr = s->ends_cr;
    free(s);
    memmove(r->skips, r->skips + 1, (r->nskips - 1) * sizeof *r->skips); /* NOLINT(bugprone-sizeof-expression): pointers */
    r->nskips--;
    return 0;
}

int sml_reader_next(sml_reader *r, sml_batch *b, sml_error *err)
{
    int rc;
    if (!r->ops) {
        detect_format(r);
        if (!r->ops)
            goto nothing;
    }
    rc = r->ops->prepare(r, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        goto nothing;
    if (r->typed && !r->resolved && (rc = r->ops->resolve(r, err)) < 0)
        return rc;
    if ((rc = ensure_batch(r, b, err)) < 0)
        return rc;
    sml_batch_clear(b);
    r->ops->bind(r, b);
    /* with require_terminator an unterminated tail is not parsed as a record but dead-lettered below */
    int tail_check = r->eof && r->nskips == 0 && r->opts.require_terminator && r->len > r->pos &&
                     r->buf[r->len - 1] != '\n' && r->buf[r->len - 1] != '\r';
    for (;;) {
        int have_skip = r->nskips > 0 && r->skips[0]->closed;
        size_t lim = r->nskips > 0 ? r->skips[0]->buf_pos : r->len;
        int final = r->eof && r->nskips == 0 && !tail_check;
        rc = r->ops->parse(r, b, lim, final, err);
        if (rc < 0)
            return rc;
        if (b->nrows + b->nbad >= sml_batch_fill_limit(b))
            break;
        if (have_skip && r->pos == lim) {
            if ((rc = emit_skip(r, b, err)) < 0)
                return rc;
            continue;
        }
        break;
    }
    if (tail_check && r->pos < r->len && b->nrows + b->nbad < sml_batch_fill_limit(b)) {
        rc = sml_reader_bad(r, b, SML_EPARSE, r->line, 1, r->base_offset + r->pos, r->buf + r->pos, r->len - r->pos,
                            "partial record at the end of the stream (no line terminator): the connection was cut");
        if (rc < 0)
            return sml_fail(err, rc, "%s: out of memory", r->source_name);
        r->pos = r->len;
    }
    if (r->scan_rec_start < r->pos) {
        r->scan_rec_start = r->scan_pos = r->pos;
        sml_scan_reset(&r->scan);
    }
    b->end_offset = r->base_offset + r->pos;
    b->end_line = r->line - 1;
    r->stats.records += b->nrows;
    if (b->nrows + b->nbad == 0 && r->fatal.code)
        return sml_fail(err, r->fatal.code, "%s", r->fatal.msg);
    return (int)(b->nrows + b->nbad);
nothing:
    sml_batch_clear(b);
    b->end_offset = r->base_offset + r->pos;
    b->end_line = r->line - 1;
    if (r->fatal.code)
        return sml_fail(err, r->fatal.code, "%s", r->fatal.msg);
    return 0;
}

size_t sml_bad_row_format(const sml_reader *r, const sml_batch *b, size_t i, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    if (i >= b->nbad) {
        buf[0] = 0;
        return 0;
    }
    const sml_bad_row *br = &b->bad[i];
    int n = snprintf(buf, cap, "%s:%llu:%llu: %.*s", r->source_name, (unsigned long long)br->line,
                     (unsigned long long)br->column, (int)br->reason_len, b->strings + br->reason_off);
    if (n < 0)
        n = 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}
