/*
 * The text record writer (include/streamml/textout.h): the last step before bytes leave through a sink.
 * Rows are formatted straight into one buffer that a write callback drains; nothing is allocated per row.
 */
#include "streamml/textout.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streamml/num.h"

struct sml_textout {
    sml_text_format format;
    char delimiter;
    size_t ncols;
    char **colnames;      /* copies, for the CSV header */
    char *keys;           /* JSONL: every column's `"name":` (from the 2nd on with a leading ','), concatenated */
    size_t *key_off;      /* ncols + 1 offsets into keys */
    sml_write_fn write;
    void *opaque;
    char *buf;
    size_t len;           /* bytes buffered */
    uint64_t bytes;       /* bytes accepted so far */
    size_t col;           /* values put in the current row */
    int in_row;
    int failed;           /* sticky error code of a failed write, 0 if none */
    sml_error error;      /* its message */
};

/* ---------------------------------------------------------------- buffer and sticky errors */

static int sticky(const sml_textout *t, sml_error *err)
{
    if (err && err != &t->error)
        *err = t->error;
    return t->failed;
}

static int drain(sml_textout *t, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    sml_error e = SML_ERROR_INIT;
    int rc = t->write(t->opaque, p, n, &e);
    if (rc < 0) {
        t->failed = rc;
        t->error = e;
        if (!t->error.msg[0])
            sml_fail(&t->error, rc, "write failed: %s", sml_strerror(rc));
        t->error.code = rc;
        return rc;
    }
    return 0;
}

static int flush_buffer(sml_textout *t)
{
    int rc = drain(t, t->buf, t->len);
    t->len = 0; /* what failed is not retried: the error is reported instead */
    return rc;
}

/* Appends n bytes; strings longer than the buffer go straight to the callback after what is buffered. */
static int out(sml_textout *t, const char *p, size_t n)
{
    t->bytes += n;
    if (t->len + n <= SML_TEXTOUT_BUFSZ) {
        memcpy(t->buf + t->len, p, n);
        t->len += n;
        return 0;
    }
    if (flush_buffer(t) < 0)
        return t->failed;
    if (n > SML_TEXTOUT_BUFSZ)
        return drain(t, p, n);
    memcpy(t->buf, p, n);
    t->len = n;
    return 0;
}

static inline int out_byte(sml_textout *t, char c)
{
    if (t->len < SML_TEXTOUT_BUFSZ) {
        t->buf[t->len++] = c;
        t->bytes++;
        return 0;
    }
    return out(t, &c, 1);
}

/* Room for n (small) bytes at the end of the buffer, flushing first if needed; NULL after a failed write.
 * The caller then commits what it wrote with t->len += used (and t->bytes). */
static char *reserve(sml_textout *t, size_t n)
{
    if (t->len + n > SML_TEXTOUT_BUFSZ && flush_buffer(t) < 0)
        return NULL;
    return t->buf + t->len;
}

static void commit(sml_textout *t, size_t n)
{
    t->len += n;
    t->bytes += n;
}

/* ---------------------------------------------------------------- numbers */

/* Decimal digits of u, written backwards ending at end; returns the start. */
static char *utoa_back(uint64_t u, char *end)
{
    do {
        *--end = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return end;
}

static size_t format_int(int64_t v, char *buf)
{
    char tmp[24], *end = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *s = utoa_back(u, end);
    if (v < 0)
        *--s = '-';
    size_t n = (size_t)(end - s);
    memcpy(buf, s, n);
    return n;
}

static size_t format_num(double v, char *buf)
{
    /* integral values are the common case in data (counts, codes): skip the shortest-digits search; the text is
     * the same (plain digits below 2^53, see num.h), except -0 which keeps its sign */
    if (v >= -9007199254740992.0 && v <= 9007199254740992.0) {
        int64_t i = (int64_t)v;
        if ((double)i == v && !(i == 0 && signbit(v)))
            return format_int(i, buf);
    }
    return sml_format_double(v, buf);
}

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                   1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

static size_t format_fixed(int64_t scaled, unsigned decimals, char *buf)
{
    while (decimals > 0 && scaled % 10 == 0) {
        scaled /= 10;
        decimals--;
    }
    if (decimals == 0)
        return format_int(scaled, buf);
    char digits[24], *end = digits + sizeof digits;
    uint64_t u = scaled < 0 ? 0 - (uint64_t)scaled : (uint64_t)scaled;
    char *d = utoa_back(u, end);
    size_t nd = (size_t)(end - d);
    /* decimal exponent of the value: below -5 sml_format_double switches to scientific notation, so use it */
    if ((long)nd - (long)decimals - 1 < -5)
        return sml_format_double((double)scaled / pow10_tab[decimals], buf);
    size_t n = 0;
    if (scaled < 0)
        buf[n++] = '-';
    if (nd <= decimals) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (size_t z = nd; z < decimals; z++)
            buf[n++] = '0';
        memcpy(buf + n, d, nd);
        n += nd;
    } else {
        size_t ip = nd - decimals;
        memcpy(buf + n, d, ip);
        n += ip;
        buf[n++] = '.';
        memcpy(buf + n, d + ip, decimals);
        n += decimals;
    }
    return n;
}

/* ---------------------------------------------------------------- strings */

static int csv_needs_quotes(const sml_textout *t, const char *s, size_t len)
{
    if (len == 0 || s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
        return 1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == t->delimiter || c == '"' || c == '\n' || c == '\r')
            return 1;
    }
    return 0;
}

static int csv_field(sml_textout *t, const char *s, size_t len)
{
    if (!csv_needs_quotes(t, s, len))
        return out(t, s, len);
    if (out_byte(t, '"') < 0)
        return t->failed;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '"')
            continue;
        /* the quote itself ends this run; a second one doubles it */
        if (out(t, s + start, i + 1 - start) < 0 || out_byte(t, '"') < 0)
            return t->failed;
        start = i + 1;
    }
    if (out(t, s + start, len - start) < 0 || out_byte(t, '"') < 0)
        return t->failed;
    return 0;
}

static int json_string(sml_textout *t, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (out_byte(t, '"') < 0)
        return t->failed;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (out(t, s + start, i - start) < 0 || out(t, esc, n) < 0)
            return t->failed;
        start = i + 1;
    }
    if (out(t, s + start, len - start) < 0 || out_byte(t, '"') < 0)
        return t->failed;
    return 0;
}

/* ---------------------------------------------------------------- construction */

void sml_textout_free(sml_textout *t)
{
    if (!t)
        return;
    if (t->colnames)
        for (size_t i = 0; i < t->ncols; i++)
            free(t->colnames[i]);
    free(t->colnames);
    free(t->keys);
    free(t->key_off);
    free(t->buf);
    free(t);
}

/* Collects the JSON keys by running the escaper into the (still empty) buffer. */
static int build_json_keys(sml_textout *t)
{
    size_t total = 0;
    for (size_t i = 0; i < t->ncols; i++)
        total += 6 * strlen(t->colnames[i]) + 4;
    t->keys = malloc(total + 1);
    t->key_off = malloc((t->ncols + 1) * sizeof *t->key_off);
    if (!t->keys || !t->key_off)
        return SML_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        t->key_off[i] = n;
        if (i > 0)
            t->keys[n++] = ',';
        /* escaping writes to the output buffer; borrow it while it is still empty (a key is < 64 KiB) */
        t->len = 0;
        if (json_string(t, t->colnames[i], strlen(t->colnames[i])) < 0)
            return t->failed;
        memcpy(t->keys + n, t->buf, t->len);
        n += t->len;
        t->keys[n++] = ':';
    }
    t->key_off[t->ncols] = n;
    t->len = 0;
    t->bytes = 0;
    return 0;
}

sml_textout *sml_textout_new(sml_text_format format, char delimiter, const char *const *colnames, size_t ncols,
                             sml_write_fn write, void *opaque, sml_error *err)
{
    if (format != SML_TEXT_CSV && format != SML_TEXT_JSONL) {
        sml_fail(err, SML_EINVAL, "textout: unknown format %d", (int)format);
        return NULL;
    }
    if (!write || (ncols && !colnames)) {
        sml_fail(err, SML_EINVAL, "textout: no write callback or no column names");
        return NULL;
    }
    if (format == SML_TEXT_CSV && (delimiter == '"' || delimiter == '\r' || delimiter == '\n' || delimiter == 0)) {
        sml_fail(err, SML_EINVAL, "textout: the CSV delimiter cannot be a quote, CR, LF or NUL");
        return NULL;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (!colnames[i]) {
            sml_fail(err, SML_EINVAL, "textout: column %zu has no name", i + 1);
            return NULL;
        }
        if (strlen(colnames[i]) > SML_TEXTOUT_BUFSZ / 8) {
            sml_fail(err, SML_EINVAL, "textout: column %zu: name longer than %d bytes", i + 1,
                     SML_TEXTOUT_BUFSZ / 8);
            return NULL;
        }
    }
    sml_textout *t = calloc(1, sizeof *t);
    if (!t)
        goto nomem;
    t->format = format;
    t->delimiter = delimiter;
    t->ncols = ncols;
    t->write = write;
    t->opaque = opaque;
    t->buf = malloc(SML_TEXTOUT_BUFSZ);
    t->colnames = calloc(ncols ? ncols : 1, sizeof *t->colnames);
    if (!t->buf || !t->colnames)
        goto nomem;
    for (size_t i = 0; i < ncols; i++)
        if (!(t->colnames[i] = strdup(colnames[i])))
            goto nomem;
    if (format == SML_TEXT_JSONL && build_json_keys(t) != 0)
        goto nomem;
    return t;
nomem:
    sml_textout_free(t);
    sml_fail(err, SML_ENOMEM, "textout: out of memory for %zu columns", ncols);
    return NULL;
}

/* ---------------------------------------------------------------- rows */

int sml_textout_header(sml_textout *t, sml_error *err)
{
    if (t->failed)
        return sticky(t, err);
    if (t->in_row)
        return sml_fail(err, SML_ESTATE, "textout: header written inside a row");
    if (t->format != SML_TEXT_CSV)
        return 0;
    for (size_t i = 0; i < t->ncols; i++) {
        if ((i > 0 && out_byte(t, t->delimiter) < 0) ||
            csv_field(t, t->colnames[i], strlen(t->colnames[i])) < 0)
            return sticky(t, err);
    }
    if (out_byte(t, '\n') < 0)
        return sticky(t, err);
    return 0;
}

int sml_textout_begin_row(sml_textout *t, sml_error *err)
{
    if (t->failed)
        return sticky(t, err);
    if (t->in_row)
        return sml_fail(err, SML_ESTATE, "textout: begin_row inside a row (end_row missing)");
    t->in_row = 1;
    t->col = 0;
    if (t->format == SML_TEXT_JSONL && out_byte(t, '{') < 0)
        return sticky(t, err);
    return 0;
}

/* Before a value: checks the state, writes the delimiter or the JSON key. */
static int next_value(sml_textout *t, sml_error *err)
{
    if (t->failed)
        return sticky(t, err);
    if (!t->in_row)
        return sml_fail(err, SML_ESTATE, "textout: value outside a row (begin_row missing)");
    if (t->col >= t->ncols)
        return sml_fail(err, SML_ESTATE, "textout: more values than the %zu columns", t->ncols);
    size_t c = t->col++;
    int rc;
    if (t->format == SML_TEXT_CSV)
        rc = c > 0 ? out_byte(t, t->delimiter) : 0;
    else
        rc = out(t, t->keys + t->key_off[c], t->key_off[c + 1] - t->key_off[c]);
    return rc < 0 ? sticky(t, err) : 0;
}

int sml_textout_put_num(sml_textout *t, double v, sml_error *err)
{
    int rc = next_value(t, err);
    if (rc < 0)
        return rc;
    if (t->format == SML_TEXT_JSONL && !isfinite(v))
        return out(t, "null", 4) < 0 ? sticky(t, err) : 0;
    char *p = reserve(t, SML_DOUBLE_BUFSZ); /* formatted in place: no copy */
    if (!p)
        return sticky(t, err);
    commit(t, format_num(v, p));
    return 0;
}

int sml_textout_put_int(sml_textout *t, int64_t v, sml_error *err)
{
    int rc = next_value(t, err);
    if (rc < 0)
        return rc;
    char *p = reserve(t, 24);
    if (!p)
        return sticky(t, err);
    commit(t, format_int(v, p));
    return 0;
}

int sml_textout_put_fixed(sml_textout *t, int64_t scaled, unsigned decimals, sml_error *err)
{
    if (decimals > 18)
        return sml_fail(err, SML_EINVAL, "textout: %u decimals (at most 18)", decimals);
    int rc = next_value(t, err);
    if (rc < 0)
        return rc;
    char *p = reserve(t, 48);
    if (!p)
        return sticky(t, err);
    commit(t, format_fixed(scaled, decimals, p));
    return 0;
}

int sml_textout_put_str(sml_textout *t, const char *s, size_t len, sml_error *err)
{
    int rc = next_value(t, err);
    if (rc < 0)
        return rc;
    rc = t->format == SML_TEXT_CSV ? csv_field(t, s, len) : json_string(t, s, len);
    return rc < 0 ? sticky(t, err) : 0;
}

int sml_textout_put_missing(sml_textout *t, sml_error *err)
{
    int rc = next_value(t, err);
    if (rc < 0)
        return rc;
    if (t->format == SML_TEXT_JSONL && out(t, "null", 4) < 0)
        return sticky(t, err);
    return 0;
}

int sml_textout_end_row(sml_textout *t, sml_error *err)
{
    if (t->failed)
        return sticky(t, err);
    if (!t->in_row)
        return sml_fail(err, SML_ESTATE, "textout: end_row outside a row");
    if (t->col != t->ncols)
        return sml_fail(err, SML_ESTATE, "textout: row ended after %zu of %zu values", t->col, t->ncols);
    t->in_row = 0;
    int rc = t->format == SML_TEXT_CSV ? out_byte(t, '\n') : out(t, "}\n", 2);
    return rc < 0 ? sticky(t, err) : 0;
}

int sml_textout_flush(sml_textout *t, sml_error *err)
{
    if (t->failed)
        return sticky(t, err);
    return flush_buffer(t) < 0 ? sticky(t, err) : 0;
}

uint64_t sml_textout_bytes(const sml_textout *t)
{
    return t->bytes;
}

/* ---------------------------------------------------------------- ready-made callbacks */

int sml_write_fd(void *opaque, const void *buf, size_t len, sml_error *err)
{
    int fd = *(const int *)opaque;
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            char msg[128];
            if (strerror_r(errno, msg, sizeof msg) != 0)
                snprintf(msg, sizeof msg, "errno %d", errno);
            return sml_fail(err, SML_EIO, "write to fd %d: %s", fd, msg);
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int sml_write_stdio(void *opaque, const void *buf, size_t len, sml_error *err)
{
    FILE *f = opaque;
    if (fwrite(buf, 1, len, f) != len) {
        char msg[128];
        if (strerror_r(errno, msg, sizeof msg) != 0)
            snprintf(msg, sizeof msg, "errno %d", errno);
        return sml_fail(err, SML_EIO, "write: %s", msg);
    }
    return 0;
}
