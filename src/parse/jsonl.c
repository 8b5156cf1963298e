/*
 * JSON lines for the reader: one flat JSON object per line -> one row of an sml_batch.
 *
 * A streaming parser of its own: keys are looked up in a small hash table, values go straight into the batch
 * columns; nothing is allocated per record (escaped text is decoded into the reader's reused scratch buffer).
 * Values: strings (every JSON escape, \uXXXX with surrogate pairs -> UTF-8), numbers, true/false, null (missing).
 * A nested object or array under a key that becomes a column makes the record a bad row; under a key the typed
 * reader skips, it is skipped. Untyped (discovery) mode: each new key becomes a STR column, numbers keep their text,
 * true/false become "true"/"false". Typed mode: NUM columns take numbers, true/false as 1/0 and strings holding a
 * number ("" is missing); anything else there is a bad row. A repeated key: the last value wins.
 * Lines end at LF; a CR before it is white space. Blank lines are skipped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/num_fast.h"
#include "parse/parse_int.h"
#include "streamml/num.h"

static long jsonl_find_end(const sml_reader *r, sml_scan_state *st, const char *p, size_t n)
{
    (void)r;
    (void)st;
    const char *nl = memchr(p, '\n', n);
    return nl ? (long)(nl - p) : -1;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* key table                                                                                                    */

static uint64_t key_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int key_find(const sml_reader *r, const char *s, size_t n, uint64_t h)
{
    if (!r->keys_cap)
        return -1;
    size_t mask = r->keys_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const sml_key_slot *k = &r->keys[i];
        if (k->col < 0)
            return -1;
        if (k->hash == h && k->len == n && memcmp(k->name, s, n) == 0)
            return k->col;
    }
}

static int key_insert(sml_reader *r, int col)
{
    const char *name = r->out_names[col];
    size_t n = strlen(name);
    uint64_t h = key_hash(name, n);
    if (key_find(r, name, n, h) >= 0)
        return 0; /* a duplicate name: the first column keeps it */
    if ((size_t)(col + 1) * 2 > r->keys_cap) {
        size_t cap = r->keys_cap ? r->keys_cap * 2 : 64;
        while ((size_t)(col + 1) * 2 > cap)
            cap *= 2;
        sml_key_slot *keys = malloc(cap * sizeof *keys);
        if (!keys)
            return SML_ENOMEM;
        for (size_t i = 0; i < cap; i++)
            keys[i].col = -1;
        for (size_t i = 0; i < r->keys_cap; i++) {
            if (r->keys[i].col < 0)
                continue;
            size_t j = (size_t)r->keys[i].hash & (cap - 1);
            while (keys[j].col >= 0) /* NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult): all set above */
                j = (j + 1) & (cap - 1);
            keys[j] = r->keys[i];
        }
        free(r->keys);
        r->keys = keys;
        r->keys_cap = cap;
    }
    size_t j = (size_t)h & (r->keys_cap - 1);
    while (r->keys[j].col >= 0) /* NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult): set when grown */
        j = (j + 1) & (r->keys_cap - 1);
    r->keys[j].hash = h;
    r->keys[j].name = name;
    r->keys[j].len = n;
    r->keys[j].col = col;
    return 0;
}

static int jsonl_resolve(sml_reader *r, sml_error *err)
{
    free(r->keys);
    r->keys = NULL;
    r->keys_cap = 0;
    for (size_t i = 0; i < r->nout; i++)
        if (key_insert(r, (int)i) < 0)
            return sml_fail(err, SML_ENOMEM, "out of memory");
    r->resolved = 1;
    return 0;
}

static int jsonl_prepare(sml_reader *r, sml_error *err)
{
    (void)r;
    (void)err;
    return 1;
}

static void jsonl_bind(sml_reader *r, sml_batch *b)
{
    (void)r;
    (void)b;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* one record                                                                                                   */

typedef struct jctx {
    sml_reader *r;
    sml_batch *b;
    size_t row;
    const char *e;      /* end of the line; *e == '\n' (the terminator or the buffer's sentinel) */
    const char *err_at; /* where a bad row's problem is */
    char msg[200];
    int fatal;          /* a negative code: out of memory */
} jctx;

#define JFAIL(j, at, ...) (snprintf((j)->msg, sizeof (j)->msg, __VA_ARGS__), (j)->err_at = (at), 1)

static inline const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 0;
}

/* First byte at or after p that is '"', '\\', a control character or non-ASCII. Stops at the line's '\n'. */
static inline const char *string_special(const char *p)
{
#ifdef __SSE2__
    const __m128i vq = _mm_set1_epi8('"'), vb = _mm_set1_epi8('\\'), vc = _mm_set1_epi8(0x20);
    for (;;) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        /* signed compare: bytes >= 0x80 are negative, so one compare catches controls and non-ASCII */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vb)), _mm_cmplt_epi8(v, vc));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#else
    while (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80)
        p++;
    return p;
#endif
}

/* *pp at the opening quote. On success (0) the text is [*s, *s + *n) (in the buffer or r->scratch) and *pp is after
 * the closing quote. Returns 1 for a bad row, a negative code when out of memory. */
static int json_string(jctx *j, const char **pp, const char **s, size_t *n)
{
    sml_reader *r = j->r;
    const char *p = *pp + 1, *start = p, *seg = p;
    size_t used = 0;
    int copied = 0;
    for (;;) {
        p = string_special(p);
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c >= 0x80) {
            if (!r->opts.check_utf8) {
                p++;
                continue;
            }
            size_t k = sml_utf8_seq((const unsigned char *)p, (const unsigned char *)j->e);
            if (!k)
                return JFAIL(j, p, "invalid UTF-8");
            p += k;
            continue;
        }
        if (c < 0x20) {
            if (p >= j->e)
                return JFAIL(j, *pp, "unterminated string");
            return JFAIL(j, p, "control character in a string (it must be escaped)");
        }
        /* a backslash: flush the plain run, decode the escape */
        size_t run = (size_t)(p - seg);
        if (sml_scratch_reserve(r, used, run + 4) < 0)
            return j->fatal = SML_ENOMEM;
        memcpy(r->scratch + used, seg, run);
        used += run;
        copied = 1;
        char out;
        switch (p[1]) {
        case '"': out = '"'; break;
        case '\\': out = '\\'; break;
        case '/': out = '/'; break;
        case 'b': out = '\b'; break;
        case 'f': out = '\f'; break;
        case 'n': out = '\n'; break;
        case 'r': out = '\r'; break;
        case 't': out = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(p + 2, &cp) < 0)
                return JFAIL(j, p, "invalid \\u escape (expected four hex digits)");
            const char *esc = p;
            p += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return JFAIL(j, esc, "invalid \\u escape (a low surrogate without a high one)");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return JFAIL(j, esc, "invalid \\u escape (a high surrogate without a low one)");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            char *o = r->scratch + used;
            if (cp < 0x80) {
                o[0] = (char)cp, used += 1;
            } else if (cp < 0x800) {
                o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), used += 2;
            } else if (cp < 0x10000) {
                o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                o[2] = (char)(0x80 | (cp & 0x3F)), used += 3;
            } else {
                o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), used += 4;
            }
            seg = p;
            continue;
        }
        default:
            return JFAIL(j, p, "invalid escape in a string");
        }
        r->scratch[used++] = out;
        p += 2;
        seg = p;
    }
    if (copied) {
        size_t run = (size_t)(p - seg);
        if (sml_scratch_reserve(r, used, run) < 0)
            return j->fatal = SML_ENOMEM;
        memcpy(r->scratch + used, seg, run);
        used += run;
        *s = r->scratch;
        *n = used;
    } else {
        *s = start;
        *n = (size_t)(p - start);
    }
    *pp = p + 1;
    return 0;
}

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* JSON number grammar; returns the end or NULL. */
static const char *json_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (is_digit(*p))
        while (is_digit(*p))
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return NULL;
        while (is_digit(*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return NULL;
        while (is_digit(*p))
            p++;
    }
    return p;
}

/* Skips a nested value under a key nobody asked for. *pp at '{' or '['. */
static int skip_nested(jctx *j, const char **pp)
{
    const char *p = *pp;
    size_t depth = 0;
    for (;;) {
        char c = *p;
        if (p >= j->e)
            return JFAIL(j, *pp, "unterminated nested value");
        if (c == '{' || c == '[') {
            depth++;
            p++;
        } else if (c == '}' || c == ']') {
            depth--;
            p++;
            if (depth == 0)
                break;
        } else if (c == '"') {
            const char *s;
            size_t n;
            int rc = json_string(j, &p, &s, &n);
            if (rc)
                return rc;
        } else {
            p++;
        }
    }
    *pp = p;
    return 0;
}

static int put_str(jctx *j, sml_column *c, const char *s, size_t n)
{
    int rc = sml_arena_put(j->b, s, n, &c->str_off[j->row]);
    if (rc < 0)
        return j->fatal = rc;
    c->str_len[j->row] = (uint32_t)n;
    c->missing[j->row] = 0;
    return 0;
}

static int set_missing(jctx *j, sml_column *c)
{
    c->missing[j->row] = 1;
    if (c->num)
        c->num[j->row] = 0;
    else
        c->str_len[j->row] = 0, c->str_off[j->row] = 0;
    return 0;
}

static int not_a_number(jctx *j, int col, const char *at, const char *s, size_t n)
{
    char ex[64];
    sml_excerpt(s, n, ex, sizeof ex);
    return JFAIL(j, at, "column \"%s\": expected a number, got %s", j->r->out_names[col], ex);
}

/* Parses the value at *pp into column col (-1: skip it). */
static int json_value(jctx *j, const char **pp, int col)
{
    const char *p = *pp, *v = p;
    sml_column *c = col >= 0 ? &j->b->cols[col] : NULL;
    int rc = 0;
    switch (*p) {
    case '"': {
        const char *s;
        size_t n;
        if ((rc = json_string(j, &p, &s, &n)) != 0)
            return rc;
        if (!c)
            break;
        if (c->type == SML_TYPE_STR) {
            rc = put_str(j, c, s, n);
            break;
        }
        const char *a = s, *z = s + n;
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if (a == z)
            set_missing(j, c);
        else if (sml_parse_decimal_fast(a, (size_t)(z - a), &c->num[j->row]) ||
                 sml_parse_double(a, (size_t)(z - a), &c->num[j->row]) == 0)
            c->missing[j->row] = 0;
        else
            return not_a_number(j, col, v, s, n);
        break;
    }
    case '{':
    case '[':
        if (c)
            return JFAIL(j, p, "nested objects and arrays are not supported");
        if ((rc = skip_nested(j, &p)) != 0)
            return rc;
        break;
    case 't':
    case 'f':
    case 'n': {
        size_t n = *p == 'f' ? 5 : 4;
        const char *word = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
        if (memcmp(p, word, n) != 0)
            return JFAIL(j, p, "expected a value");
        p += n;
        if (!c)
            break;
        if (*v == 'n')
            set_missing(j, c);
        else if (c->type == SML_TYPE_NUM)
            c->num[j->row] = *v == 't' ? 1.0 : 0.0, c->missing[j->row] = 0;
        else
            rc = put_str(j, c, word, n);
        break;
    }
    default: {
        const char *e = json_number(p);
        if (!e)
            return JFAIL(j, p, *p == '-' || is_digit(*p) ? "invalid number" : "expected a value");
        p = e;
        if (!c)
            break;
        if (c->type == SML_TYPE_STR)
            rc = put_str(j, c, v, (size_t)(e - v));
        else if (sml_parse_double(v, (size_t)(e - v), &c->num[j->row]) == 0)
            c->missing[j->row] = 0;
        else
            return not_a_number(j, col, v, v, (size_t)(e - v));
        break;
    }
    }
    *pp = p;
    return rc;
}

/* Parses one line [rec, j->e). 0: a row; 1: a bad row (j->msg, j->err_at); negative: fatal. */
static int json_record(jctx *j, const char *rec)
{
    sml_reader *r = j->r;
    sml_batch *b = j->b;
    for (size_t i = 0; i < b->ncols; i++)
        set_missing(j, &b->cols[i]);
    const char *p = skip_ws(rec);
    if (*p != '{')
        return JFAIL(j, p, "expected '{' at the start of a record");
    p = skip_ws(p + 1);
    if (*p == '}') {
        p++;
        goto trailer;
    }
    for (;;) {
        if (*p != '"')
            return JFAIL(j, p, "expected '\"' to start a key");
        const char *ks = p, *key;
        size_t klen;
        int rc = json_string(j, &p, &key, &klen);
        if (rc)
            return rc;
        uint64_t h = key_hash(key, klen);
        int col = key_find(r, key, klen, h);
        if (col < 0 && !r->typed) {
            col = sml_reader_add_out(r, key, klen, SML_TYPE_STR);
            if (col == SML_ELIMIT)
                return JFAIL(j, ks, "more than %d distinct keys", SML_MAX_COLUMNS);
            if (col < 0 || sml_batch_add_column(b, r->out_names[col], SML_TYPE_STR, NULL) != col ||
                key_insert(r, col) < 0)
                return j->fatal = SML_ENOMEM;
            set_missing(j, &b->cols[col]);
        }
        p = skip_ws(p);
        if (*p != ':')
            return JFAIL(j, p, "expected ':' after a key");
        p = skip_ws(p + 1);
        if ((rc = json_value(j, &p, col)) != 0)
            return rc;
        p = skip_ws(p);
        if (*p == ',') {
            p = skip_ws(p + 1);
            continue;
        }
        if (*p == '}') {
            p++;
            break;
        }
        return JFAIL(j, p, "expected ',' or '}' after a value");
    }
trailer:
    p = skip_ws(p);
    if (p < j->e)
        return JFAIL(j, p, "unexpected text after the object");
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* the record loop                                                                                              */

static int jsonl_parse(sml_reader *r, sml_batch *b, size_t lim, int final, sml_error *err)
{
    char *const buf = r->buf;
    const char *p = buf + r->pos, *const end = buf + lim;
    const size_t max = r->opts.max_record_bytes;
    uint64_t line = r->line;
    jctx j;
    j.r = r;
    j.b = b;
    j.fatal = 0;
    while (p < end && b->nrows + b->nbad < sml_batch_fill_limit(b)) {
        size_t rec_idx = (size_t)(p - buf);
        /* a line found incomplete before is searched only from where that search stopped */
        size_t from = rec_idx == r->scan_rec_start && r->scan_pos > rec_idx ? r->scan_pos : rec_idx;
        const char *nl = from < lim ? memchr(buf + from, '\n', lim - from) : NULL;
        if (!nl) {
            if (!final) {
                r->scan_rec_start = rec_idx;
                r->scan_pos = lim;
                break;
            }
            nl = end;
        }
        const char *rec = p;
        uint64_t off = r->base_offset + rec_idx;
        int rc;
        if ((size_t)(nl - rec) > max) {
            rc = sml_reader_bad(r, b, SML_ERANGE, line, 1, off, rec, (size_t)(nl - rec),
                                "record longer than %zu bytes", max);
        } else if (skip_ws(rec) >= nl) {
            rc = 0; /* a blank line */
        } else {
            j.row = b->nrows;
            j.e = nl;
            size_t mark = b->strings_len;
            rc = json_record(&j, rec);
            if (rc < 0 || j.fatal)
                return sml_fail(err, j.fatal ? j.fatal : rc, "%s: %s while parsing", r->source_name,
                                sml_strerror(j.fatal ? j.fatal : rc));
            if (rc == 0) {
                b->line[j.row] = line;
                b->offset[j.row] = off;
                b->nrows++;
            } else {
                b->strings_len = mark;
                rc = sml_reader_bad(r, b, SML_EPARSE, line, (uint64_t)(j.err_at - rec) + 1, off, rec,
                                    (size_t)(nl - rec), "%s", j.msg);
            }
        }
        if (rc < 0)
            return sml_fail(err, rc, "%s: out of memory", r->source_name);
        line++;
        p = nl + (nl < end);
    }
    r->pos = (size_t)(p - buf);
    r->line = line;
    return 0;
}

const sml_format_ops sml_jsonl_ops = {"jsonl", jsonl_find_end, jsonl_prepare, jsonl_resolve, jsonl_bind, jsonl_parse};
