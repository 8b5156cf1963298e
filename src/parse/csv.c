/*
 * CSV (RFC 4180) for the reader: bytes in the reader's buffer -> rows of an sml_batch.
 *
 * A record ends at LF, CRLF or a lone CR outside quotes. A field that starts with '"' is quoted: it may hold the
 * delimiter, line breaks and doubled quotes; after its closing quote only the delimiter or a line break may follow.
 * A '"' inside an unquoted field is an ordinary character. Blank lines are skipped. An empty unquoted field is
 * missing; a quoted empty field ("") is an empty string in a STR column and missing in a NUM column. NUM fields may
 * carry spaces or tabs around the number.
 *
 * The hot loop reads each unquoted field with 16-byte SSE2 compares against the delimiter, CR and LF, parses
 * numbers straight from the buffer into the batch column (bound once per batch, no per-field indirect calls) and
 * ORs the loaded bytes together so that UTF-8 validation only runs on records that contain a non-ASCII byte.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/num_fast.h"
#include "common/strmap.h"
#include "parse/parse_int.h"
#include "streamml/num.h"

enum { S_START = 0, S_UNQ, S_Q, S_QQ }; /* field start, unquoted, in quotes, quote seen in quotes */

/* ------------------------------------------------------------------------------------------------------------ */
/* boundary scanner                                                                                             */

static long csv_find_end(const sml_reader *r, sml_scan_state *st, const char *p, size_t n)
{
    const char delim = r->opts.delimiter;
    int s = st->state;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        switch (s) {
        case S_START:
            if (c == '"') {
                s = S_Q;
                st->last_cr = 0;
                break;
            }
            /* fallthrough */
        case S_UNQ:
            if (c == delim) {
                s = S_START;
            } else if (c == '\n' || c == '\r') {
                st->state = s;
                return (long)i;
            } else {
                s = S_UNQ;
                /* nothing but the delimiter and line breaks matters here: jump ahead */
                const char *q = p + i + 1, *e = p + n;
                while (q < e && *q != delim && *q != '\n' && *q != '\r')
                    q++;
                i = (size_t)(q - p) - 1;
            }
            break;
        case S_Q:
            if (c == '"') {
                s = S_QQ;
            } else if (c == '\r') {
                st->lines++;
                st->last_cr = 1;
            } else if (c == '\n') {
                if (!st->last_cr)
                    st->lines++;
                st->last_cr = 0;
            } else {
                st->last_cr = 0;
            }
            break;
        default: /* S_QQ */
            if (c == '"') {
                s = S_Q;
                st->last_cr = 0;
            } else if (c == delim) {
                s = S_START;
            } else if (c == '\n' || c == '\r') {
                st->state = s;
                return (long)i;
            } else {
                s = S_UNQ;
            }
            break;
        }
    }
    st->state = s;
    return -1;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* quoted fields (the slow path)                                                                                */

enum { Q_OK = 0, Q_INCOMPLETE, Q_UNTERMINATED, Q_GARBAGE, Q_NOMEM };

/* *pp is at the opening quote. On Q_OK *pp is just after the closing quote and the value is [*vs, *vs + *vl),
 * either in the buffer or in r->scratch; *lines counts line breaks inside. On Q_GARBAGE *pp is at the stray byte. */
static int csv_quoted(sml_reader *r, const char **pp, const char *end, int final, const char **vs, size_t *vl,
                      uint64_t *lines)
{
    const char *p = *pp + 1, *seg = p;
    size_t used = 0;
    int copied = 0;
    const char delim = r->opts.delimiter;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return final ? Q_UNTERMINATED : Q_INCOMPLETE;
        int last_cr = 0;
        for (const char *x = p; x < q; x++) {
            if (*x == '\r')
                (*lines)++, last_cr = 1;
            else if (*x == '\n')
                *lines += !last_cr, last_cr = 0;
            else
                last_cr = 0;
        }
        if (q + 1 >= end && !final)
            return Q_INCOMPLETE; /* cannot tell a closing quote from the first half of "" yet */
        if (q + 1 < end && q[1] == '"') {
            size_t n = (size_t)(q + 1 - seg);
            if (sml_scratch_reserve(r, used, n) < 0)
                return Q_NOMEM;
            memcpy(r->scratch + used, seg, n);
            used += n;
            copied = 1;
            p = seg = q + 2;
            continue;
        }
        if (copied) {
            size_t n = (size_t)(q - seg);
            if (sml_scratch_reserve(r, used, n) < 0)
                return Q_NOMEM;
            memcpy(r->scratch + used, seg, n);
            used += n;
            *vs = r->scratch;
            *vl = used;
        } else {
            *vs = *pp + 1;
            *vl = (size_t)(q - (*pp + 1));
        }
        p = q + 1;
        *pp = p;
        if (p < end && *p != delim && *p != '\n' && *p != '\r')
            return Q_GARBAGE;
        return Q_OK;
    }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* header and column binding                                                                                    */

static void free_header(sml_reader *r)
{
    for (size_t i = 0; i < r->nheader; i++)
        free(r->header[i]);
    free(r->header);
    r->header = NULL;
    r->nheader = 0;
}

static int header_push(sml_reader *r, size_t *cap, const char *s, size_t n)
{
    if (r->nheader == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        char **h = realloc(r->header, c * sizeof *h);
        if (!h)
            return SML_ENOMEM;
        r->header = h;
        *cap = c;
    }
    char name[32];
    if (n == 0 || !r->opts.header) { /* nameless columns are called c1, c2, ... */
        n = (size_t)snprintf(name, sizeof name, "c%zu", r->nheader + 1);
        s = name;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return SML_ENOMEM;
    memcpy(copy, s, n);
    copy[n] = 0;
    r->header[r->nheader++] = copy;
    return 0;
}

/* Splits the complete record [p, e) into header names. */
static int split_header(sml_reader *r, const char *p, const char *e)
{
    size_t cap = 0;
    const char delim = r->opts.delimiter;
    for (;;) {
        size_t used = 0;
        if (p < e && *p == '"') {
            p++;
            for (;;) {
                const char *q = memchr(p, '"', (size_t)(e - p));
                if (!q)
                    q = e;
                if (sml_scratch_reserve(r, used, (size_t)(q - p) + 1) < 0)
                    return SML_ENOMEM;
                memcpy(r->scratch + used, p, (size_t)(q - p));
                used += (size_t)(q - p);
                p = q < e ? q + 1 : e;
                if (p < e && *p == '"') {
                    r->scratch[used++] = '"';
                    p++;
                    continue;
                }
                break;
            }
        }
        /* unquoted text, or text after a closing quote (kept, leniently) */
        const char *f = p;
        while (p < e && *p != delim)
            p++;
        if (sml_scratch_reserve(r, used, (size_t)(p - f) + 1) < 0)
            return SML_ENOMEM;
        memcpy(r->scratch + used, f, (size_t)(p - f));
        used += (size_t)(p - f);
        if (header_push(r, &cap, r->scratch, used) < 0)
            return SML_ENOMEM;
        if (p >= e)
            return 0;
        p++;
    }
}

/* A header naming a column twice would leave it ambiguous which field a feature reads: refused, naming both
 * fields. Returns the index of the second one (and *first) or -1; -2 when out of memory. */
static long header_duplicate(const sml_reader *r, size_t *first)
{
    sml_strmap seen = SML_STRMAP_INIT;
    long dup = -1;
    for (size_t i = 0; i < r->nheader && dup == -1; i++) {
        int inserted;
        uint32_t *v = sml_strmap_put(&seen, r->header[i], strlen(r->header[i]), (uint32_t)i, &inserted);
        if (!v)
            dup = -2;
        else if (!inserted) {
            *first = *v;
            dup = (long)i;
        }
    }
    sml_strmap_release(&seen);
    return dup;
}

/* The 1-based byte column where field `field` of the record [p, e) starts. */
static size_t field_column(const sml_reader *r, const char *p, const char *e, size_t field)
{
    const char *s = p;
    int quoted = 0;
    for (; p < e && field; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == r->opts.delimiter && !quoted)
            field--;
    }
    return (size_t)(p - s) + 1;
}

static int untyped_outputs(sml_reader *r)
{
    free(r->sinks);
    r->sinks = calloc(r->nheader ? r->nheader : 1, sizeof *r->sinks);
    if (!r->sinks)
        return SML_ENOMEM;
    for (size_t i = 0; i < r->nout; i++)
        free(r->out_names[i]);
    r->nout = 0;
    for (size_t i = 0; i < r->nheader; i++) {
        int rc = sml_reader_add_out(r, r->header[i], strlen(r->header[i]), SML_TYPE_STR);
        if (rc < 0)
            return rc;
        r->sinks[i].col = (int)i;
        r->sinks[i].type = SML_TYPE_STR;
    }
    return 0;
}

static int csv_fatal(sml_reader *r, sml_error *err, int code, const char *what)
{
    sml_fail(&r->fatal, code, "%s:%llu: %s", r->source_name, (unsigned long long)r->line, what);
    return sml_fail(err, code, "%s", r->fatal.msg);
}

static int csv_prepare(sml_reader *r, sml_error *err)
{
    if (r->header_done)
        return 1;
    if (r->fatal.code == SML_EPARSE || r->fatal.code == SML_ERANGE)
        return sml_fail(err, r->fatal.code, "%s", r->fatal.msg);
    size_t lim = r->nskips ? r->skips[0]->buf_pos : r->len;
    int final = r->eof && r->nskips == 0;
    while (r->pos < lim && (r->buf[r->pos] == '\n' || r->buf[r->pos] == '\r')) {
        char c = r->buf[r->pos++];
        if (!(c == '\n' && r->prev_cr))
            r->line++;
        r->prev_cr = c == '\r';
    }
    if (r->nskips && r->pos == lim)
        return csv_fatal(r, err, SML_ERANGE, "the header is longer than max_record_bytes");
    if (r->pos == lim && !final)
        return 0;
    if (!final) {
        sml_reader_scan(r, lim, 1);
        if (r->scan_rec_start == r->pos)
            return 0;
    }
    sml_scan_state st;
    sml_scan_reset(&st);
    const char *rec = r->buf + r->pos;
    long k = csv_find_end(r, &st, rec, lim - r->pos);
    const char *e = k < 0 ? r->buf + lim : rec + k;
    if (k < 0 && st.state == S_Q)
        return csv_fatal(r, err, SML_EPARSE, "unterminated quoted field in the header");
    if ((size_t)(e - rec) > r->opts.max_record_bytes)
        return csv_fatal(r, err, SML_ERANGE, "the header is longer than max_record_bytes");
    free_header(r);
    if (e > rec && split_header(r, rec, e) < 0)
        return sml_fail(err, SML_ENOMEM, "%s: out of memory reading the header", r->source_name);
    if (r->opts.header && e > rec) {
        size_t first = 0;
        long dup = header_duplicate(r, &first);
        if (dup == -2)
            return sml_fail(err, SML_ENOMEM, "%s: out of memory reading the header", r->source_name);
        if (dup >= 0) {
            sml_fail(&r->fatal, SML_EPARSE, "%s:%llu:%zu: duplicate column name \"%.80s\" in the header (fields %zu and %ld)",
                     r->source_name, (unsigned long long)r->line, field_column(r, rec, e, (size_t)dup), r->header[dup],
                     first + 1, dup + 1);
            return sml_fail(err, SML_EPARSE, "%s", r->fatal.msg);
        }
        r->pos = (size_t)(e - r->buf) + (k >= 0);
        r->line += st.lines + 1;
        r->prev_cr = k >= 0 && *e == '\r';
    }
    r->header_done = 1;
    if (!r->typed && untyped_outputs(r) < 0)
        return sml_fail(err, SML_ENOMEM, "%s: out of memory reading the header", r->source_name);
    return 1;
}

static int csv_resolve(sml_reader *r, sml_error *err)
{
    if (!r->header_done)
        return 0;
    sml_field_sink *sinks = calloc(r->nheader ? r->nheader : 1, sizeof *sinks);
    if (!sinks)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nheader; i++)
        sinks[i].col = -1;
    for (size_t j = 0; j < r->nout; j++) {
        size_t i = 0;
        while (i < r->nheader && (sinks[i].col >= 0 || strcmp(r->header[i], r->out_names[j]) != 0))
            i++;
        if (i < r->nheader) {
            sinks[i].col = (int)j;
            sinks[i].type = r->out_types[j];
        } else if (!r->out_optional[j]) {
            free(sinks);
            return sml_fail(err, SML_ENOTFOUND, "%s: column \"%s\" is not in the CSV header", r->source_name,
                            r->out_names[j]);
        }
    }
    free(r->sinks);
    r->sinks = sinks;
    r->resolved = 1;
    return 0;
}

static void csv_bind(sml_reader *r, sml_batch *b)
{
    uint8_t bound[256];
    for (size_t i = 0; i < r->nheader; i++) {
        sml_field_sink *s = &r->sinks[i];
        if (s->col < 0)
            continue;
        sml_column *c = &b->cols[s->col];
        s->num = c->num;
        s->str_off = c->str_off;
        s->str_len = c->str_len;
        s->missing = c->missing;
    }
    /* optional columns absent from the header are missing in every row */
    for (size_t j = 0; j < b->ncols; j += sizeof bound) {
        size_t n = b->ncols - j < sizeof bound ? b->ncols - j : sizeof bound;
        memset(bound, 0, n);
        for (size_t i = 0; i < r->nheader; i++)
            if (r->sinks[i].col >= (int)j && r->sinks[i].col < (int)(j + n))
                bound[r->sinks[i].col - (int)j] = 1;
        for (size_t k = 0; k < n; k++)
            if (!bound[k]) {
                sml_column *c = &b->cols[j + k];
                memset(c->missing, 1, b->capacity);
                if (c->num)
                    memset(c->num, 0, b->capacity * sizeof *c->num);
                else
                    memset(c->str_len, 0, b->capacity * sizeof *c->str_len), memset(c->str_off, 0, b->capacity * 4);
            }
    }
}

/* ------------------------------------------------------------------------------------------------------------ */
/* the record loop                                                                                              */

#ifdef __SSE2__
typedef __m128i hi_acc;
#define ACC_ZERO _mm_setzero_si128()
#define ACC_ANY(a) (_mm_movemask_epi8(a) != 0)
#else
typedef unsigned hi_acc;
#define ACC_ZERO 0u
#define ACC_ANY(a) (((a)&0x80u) != 0)
#endif

/* The three bytes that end an unquoted field, broadcast once per call. */
typedef struct seps {
#ifdef __SSE2__
    __m128i delim, lf, cr;
#else
    char delim;
#endif
} seps;

static inline seps seps_make(char delim)
{
    seps s;
#ifdef __SSE2__
    s.delim = _mm_set1_epi8(delim);
    s.lf = _mm_set1_epi8('\n');
    s.cr = _mm_set1_epi8('\r');
#else
    s.delim = delim;
#endif
    return s;
}

/* First delimiter, CR or LF at or after p. The buffer's '\n' sentinel ends the search; the result may be past the
 * parse limit, which the caller checks. Every byte loaded is ORed into *acc. */
static inline const char *field_end(const char *p, const seps *sp, hi_acc *acc)
{
#ifdef __SSE2__
    for (;;) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        *acc = _mm_or_si128(*acc, v);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sp->delim), _mm_cmpeq_epi8(v, sp->lf)),
                                   _mm_cmpeq_epi8(v, sp->cr));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#else
    for (;; p++) {
        unsigned char c = (unsigned char)*p;
        *acc |= c;
        if (c == (unsigned char)sp->delim || c == '\n' || c == '\r')
            return p;
    }
#endif
}

static inline int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

enum { E_NONE = 0, E_NUM, E_UNTERMINATED, E_GARBAGE, E_FIELDS, E_UTF8 };

static int csv_parse(sml_reader *r, sml_batch *b, size_t lim, int final, sml_error *err)
{
    char *const buf = r->buf;
    const char *p = buf + r->pos;
    const char *const end = buf + lim;
    const char delim = r->opts.delimiter;
    const size_t nf = r->nheader, cap = sml_batch_fill_limit(b), max = r->opts.max_record_bytes;
    sml_field_sink *const sinks = r->sinks;
    const int check_utf8 = r->opts.check_utf8;
    uint64_t line = r->line;
    int prev_cr = r->prev_cr;
    int rc = 0;
    const seps sp = seps_make(delim);
    /* the arena's state lives in locals: stores through uint8_t pointers (missing flags) may alias anything, so
       fields read through b would be reloaded after every cell */
    char *arena = b->strings;
    size_t arena_len = b->strings_len, arena_cap = b->strings_cap;
#define ARENA_OUT() (b->strings_len = arena_len)
#define ARENA_IN() (arena = b->strings, arena_len = b->strings_len, arena_cap = b->strings_cap)

    while (p < end && b->nrows + b->nbad < cap) {
        char c0 = *p;
        if (c0 == '\n' || c0 == '\r') { /* a blank line, or the LF of a CRLF */
            if (!(c0 == '\n' && prev_cr))
                line++;
            prev_cr = c0 == '\r';
            p++;
            continue;
        }
        size_t rec_idx = (size_t)(p - buf);
        if (!final && rec_idx == r->scan_rec_start && r->scan_pos > rec_idx) {
            sml_reader_scan(r, lim, 1); /* resume the scan of a record that was incomplete last time */
            if (r->scan_rec_start == rec_idx)
                break;
        }
        const char *const rec = p;
        const size_t row = b->nrows, mark = arena_len;
        size_t fi = 0;
        uint64_t qlines = 0;
        int quoted_any = 0, kind = E_NONE;
        const char *err_at = NULL, *extra_at = NULL;
        size_t err_field = 0;
        char err_text[64];
        hi_acc acc = ACC_ZERO;
        char term;
        for (;;) {
            const char *fs = p, *vs;
            size_t vl;
            int quoted = 0;
            if (*p == '"') {
                int q = csv_quoted(r, &p, end, final, &vs, &vl, &qlines);
                if (q == Q_INCOMPLETE)
                    goto incomplete;
                if (q == Q_NOMEM)
                    goto nomem;
                if (q == Q_UNTERMINATED) {
                    kind = E_UNTERMINATED, err_at = fs;
                    goto bad;
                }
                if (q == Q_GARBAGE) {
                    kind = E_GARBAGE, err_at = p;
                    goto bad;
                }
                quoted = quoted_any = 1;
            } else {
                p = field_end(p, &sp, &acc);
                if (p >= end) {
                    if (!final)
                        goto incomplete;
                    p = end;
                }
                vs = fs;
                vl = (size_t)(p - fs);
            }
            if (fi < nf) {
                sml_field_sink *s = &sinks[fi];
                if (s->col >= 0) {
                    if (s->type == SML_TYPE_NUM) {
                        if (vl == 0) {
                            s->num[row] = 0;
                            s->missing[row] = 1;
                        } else if ((quoted ? sml_parse_decimal_fast(vs, vl, &s->num[row])
                                           : sml_parse_decimal_padded(vs, vl, &s->num[row])) ||
                                   sml_parse_double(vs, vl, &s->num[row]) == 0) {
                            s->missing[row] = 0;
                        } else {
                            const char *a = vs, *z = vs + vl;
                            while (a < z && is_blank(*a))
                                a++;
                            while (z > a && is_blank(z[-1]))
                                z--;
                            if (a == z) {
                                s->num[row] = 0;
                                s->missing[row] = 1;
                            } else if ((a != vs || z != vs + vl) &&
                                       sml_parse_double(a, (size_t)(z - a), &s->num[row]) == 0) {
                                s->missing[row] = 0;
                            } else {
                                kind = E_NUM, err_at = fs, err_field = fi;
                                sml_excerpt(vs, vl, err_text, sizeof err_text);
                                goto bad;
                            }
                        }
                    } else if (vl == 0 && !quoted) {
                        s->str_off[row] = 0;
                        s->str_len[row] = 0;
                        s->missing[row] = 1;
                    } else if (vl <= 32 && !quoted && arena_len + 32 <= arena_cap) {
                        /* short cell from the padded buffer: two fixed 16-byte copies beat a memcpy call */
                        char *dst = arena + arena_len;
                        memcpy(dst, vs, 16);
                        memcpy(dst + 16, vs + 16, 16);
                        s->str_off[row] = (uint32_t)arena_len;
                        arena_len += vl;
                        s->str_len[row] = (uint32_t)vl;
                        s->missing[row] = 0;
                    } else {
                        ARENA_OUT();
                        rc = sml_arena_put(b, vs, vl, &s->str_off[row]);
                        ARENA_IN();
                        if (rc < 0)
                            goto fail;
                        s->str_len[row] = (uint32_t)vl;
                        s->missing[row] = 0;
                    }
                }
            } else if (fi == nf) {
                extra_at = fs;
            }
            fi++;
            if (p >= end) {
                term = 0;
                break;
            }
            if (*p == delim) {
                p++;
                continue;
            }
            term = *p;
            break;
        }
        if ((size_t)(p - rec) > max)
            goto bad;
        if (fi != nf) {
            kind = E_FIELDS, err_at = fi < nf ? p : extra_at;
            goto bad;
        }
        if (check_utf8 && (quoted_any || ACC_ANY(acc)) && (err_at = sml_utf8_invalid(rec, p)) != NULL) {
            kind = E_UTF8;
            goto bad;
        }
        b->line[row] = line;
        b->offset[row] = r->base_offset + rec_idx;
        b->nrows = row + 1;
        line += qlines + 1;
        prev_cr = term == '\r';
        p += term != 0;
        continue;

    bad: {
        /* find where the record ends (the same scan as the boundary scanner), then report */
        arena_len = mark;
        ARENA_OUT();
        sml_scan_state st;
        sml_scan_reset(&st);
        long k = csv_find_end(r, &st, rec, (size_t)(end - rec));
        if (k < 0 && !final)
            goto incomplete;
        const char *e = k < 0 ? end : rec + k;
        uint64_t el, ec, off = r->base_offset + rec_idx;
        size_t raw = (size_t)(e - rec);
        if ((size_t)(e - rec) > max) {
            rc = sml_reader_bad(r, b, SML_ERANGE, line, 1, off, rec, raw, "record longer than %zu bytes", max);
        } else {
            sml_locate(rec, err_at ? err_at : rec, line, &el, &ec);
            switch (kind) {
            case E_NUM:
                rc = sml_reader_bad(r, b, SML_EPARSE, el, ec, off, rec, raw,
                                    "column \"%s\": expected a number, got %s", r->out_names[sinks[err_field].col],
                                    err_text);
                break;
            case E_UNTERMINATED:
                rc = sml_reader_bad(r, b, SML_EPARSE, el, ec, off, rec, raw, "unterminated quoted field");
                break;
            case E_GARBAGE:
                rc = sml_reader_bad(r, b, SML_EPARSE, el, ec, off, rec, raw,
                                    "unexpected character after a closing quote (a quote inside a quoted field "
                                    "must be doubled)");
                break;
            case E_FIELDS:
                rc = sml_reader_bad(r, b, SML_EPARSE, el, ec, off, rec, raw, "expected %zu fields, got %zu", nf, fi);
                break;
            default:
                rc = sml_reader_bad(r, b, SML_EPARSE, el, ec, off, rec, raw, "invalid UTF-8");
                break;
            }
        }
        ARENA_IN();
        if (rc < 0)
            goto fail;
        line += st.lines + 1;
        prev_cr = k >= 0 && *e == '\r';
        p = e + (k >= 0);
        continue;
    }
    incomplete:
        /* the record runs past the data: wait for more, remembering how far the scan got */
        arena_len = mark;
        p = rec;
        r->scan_rec_start = r->scan_pos = rec_idx;
        sml_scan_reset(&r->scan);
        r->pos = rec_idx;
        sml_reader_scan(r, lim, 1);
        break;
    }
    ARENA_OUT();
    r->pos = (size_t)(p - buf);
    r->line = line;
    r->prev_cr = prev_cr;
    return 0;
nomem:
    rc = SML_ENOMEM;
fail:
    ARENA_OUT();
    r->pos = (size_t)(p - buf);
    r->line = line;
    r->prev_cr = prev_cr;
    return sml_fail(err, rc, "%s: %s while parsing", r->source_name, sml_strerror(rc));
}

#undef ARENA_OUT
#undef ARENA_IN

const sml_format_ops sml_csv_ops = {"csv", csv_find_end, csv_prepare, csv_resolve, csv_bind, csv_parse};
