/*
 * The run report (include/streamml/report.h): the metrics JSON lines that `streamml run --metrics` appends, read
 * back and drawn as SVG charts (and an HTML summary) with no external tool. It sits at the end of the data flow,
 * after the engine; it reads only text and writes only text, so it is tested without files.
 *
 * The file reads top to bottom: the data model (runs of batches, sparse named series), reading the JSON lines,
 * numbers and text for XML, axes and ticks, downsampling, the charts, the summary table, the documents.
 */
#include "streamml/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"
#include "common/strmap.h"
#include "streamml/num.h"

#define DEFAULT_MAX_POINTS 2000
#define MIN_MAX_POINTS 8
#define MAX_TOP 1000

/* ================================================================================================================
 * Data model
 * ============================================================================================================= */

/* A named quantity over a run's batches, stored sparsely: values only where a batch had one. */
typedef struct series {
    char *name;
    size_t n, cap;
    size_t *at; /* batch index of each value, increasing */
    double *value;
} series;

typedef struct series_set {
    series *v; /* in order of first appearance */
    size_t n, cap;
    sml_strmap index; /* name -> position in v */
} series_set;

/* What a batch said about the weights: nothing, all non-zero weights, or only the largest ("_omitted"). */
enum { WEIGHTS_NONE = 0, WEIGHTS_COMPLETE = 1, WEIGHTS_PARTIAL = 2 };

typedef struct run {
    char *name;      /* legend name, unique in the report */
    char *source;    /* file name given to sml_report_add_run */
    char *run_field; /* the "run" field, NULL when absent */
    char *task;      /* "regression", "classification", or NULL */
    double last_batch;
    size_t n, cap; /* batches */
    double *records, *elapsed, *time, *records_per_s;
    unsigned char *weights_state;
    series_set batch_metrics, cumulative, weights;
} run;

struct sml_report {
    run **runs;
    size_t n, cap;
};

static void series_set_release(series_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].name);
        free(s->v[i].at);
        free(s->v[i].value);
    }
    free(s->v);
    sml_strmap_release(&s->index);
    memset(s, 0, sizeof *s);
}

static const series *series_find(const series_set *s, const char *name)
{
    const uint32_t *pos = sml_strmap_get(&s->index, name, strlen(name));
    return pos ? &s->v[*pos] : NULL;
}

/* Records value for batch `at` of the series called name (created on first use). 0 or SML_ENOMEM. */
static int series_put(series_set *s, const char *name, size_t at, double value)
{
    size_t len = strlen(name);
    uint32_t *pos = sml_strmap_get(&s->index, name, len);
    if (!pos) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 8;
            series *v = realloc(s->v, cap * sizeof *v);
            if (!v)
                return SML_ENOMEM;
            s->v = v;
            s->cap = cap;
        }
        series *ns = &s->v[s->n];
        memset(ns, 0, sizeof *ns);
        if (!(ns->name = malloc(len + 1)))
            return SML_ENOMEM;
        memcpy(ns->name, name, len + 1);
        if (!(pos = sml_strmap_put(&s->index, name, len, (uint32_t)s->n, NULL))) {
            free(ns->name);
            return SML_ENOMEM;
        }
        s->n++;
    }
    series *se = &s->v[*pos];
    if (se->n && se->at[se->n - 1] == at) { /* a key repeated in one object: the last one wins */
        se->value[se->n - 1] = value;
        return 0;
    }
    if (se->n == se->cap) {
        size_t cap = se->cap ? 2 * se->cap : 16;
        size_t *a = realloc(se->at, cap * sizeof *a);
        if (!a)
            return SML_ENOMEM;
        se->at = a;
        double *v = realloc(se->value, cap * sizeof *v);
        if (!v)
            return SML_ENOMEM;
        se->value = v;
        se->cap = cap;
    }
    se->at[se->n] = at;
    se->value[se->n++] = value;
    return 0;
}

static void run_free(run *rn)
{
    if (!rn)
        return;
    free(rn->name);
    free(rn->source);
    free(rn->run_field);
    free(rn->task);
    free(rn->records);
    free(rn->elapsed);
    free(rn->time);
    free(rn->records_per_s);
    free(rn->weights_state);
    series_set_release(&rn->batch_metrics);
    series_set_release(&rn->cumulative);
    series_set_release(&rn->weights);
    free(rn);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Appends an empty batch (every value missing); returns its index, or SIZE_MAX when out of memory. */
static size_t run_add_batch(run *rn)
{
    if (rn->n == rn->cap) {
        size_t cap = rn->cap ? 2 * rn->cap : 64;
        double **cols[] = {&rn->records, &rn->elapsed, &rn->time, &rn->records_per_s};
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            double *p = realloc(*cols[c], cap * sizeof *p);
            if (!p)
                return SIZE_MAX;
            *cols[c] = p;
        }
        unsigned char *w = realloc(rn->weights_state, cap);
        if (!w)
            return SIZE_MAX;
        rn->weights_state = w;
        rn->cap = cap;
    }
    size_t i = rn->n++;
    rn->records[i] = rn->elapsed[i] = rn->time[i] = rn->records_per_s[i] = NAN;
    rn->weights_state[i] = WEIGHTS_NONE;
    return i;
}

/* The run's values of one series at every batch. Where a batch has no value: NaN, except for a weight missing from
 * a batch that listed all non-zero weights, which is 0. */
static void series_dense(const run *rn, const series *s, int is_weight, double *out)
{
    for (size_t i = 0; i < rn->n; i++)
        out[i] = is_weight && rn->weights_state[i] == WEIGHTS_COMPLETE ? 0.0 : NAN;
    if (s)
        for (size_t k = 0; k < s->n; k++)
            out[s->at[k]] = s->value[k];
}

sml_report *sml_report_new(sml_error *err)
{
    sml_report *r = calloc(1, sizeof *r);
    if (!r)
        sml_fail(err, SML_ENOMEM, "report: out of memory");
    return r;
}

void sml_report_free(sml_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        run_free(r->runs[i]);
    free(r->runs);
    free(r);
}

size_t sml_report_run_count(const sml_report *r) { return r ? r->n : 0; }

sml_report_format sml_report_format_for_path(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    const char *dot = n ? strrchr(path, '.') : NULL;
    if (dot && (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0))
        return SML_REPORT_HTML;
    return SML_REPORT_SVG;
}

/* ================================================================================================================
 * Reading the metrics JSON lines
 * ============================================================================================================= */

typedef struct line_ctx {
    const char *source;
    size_t line;
    sml_error *err;
} line_ctx;

/* A number field: absent or null gives NaN; any other type is an error. */
static int get_number(const cJSON *obj, const char *key, double *out, const line_ctx *lc)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NAN;
    if (!it || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsNumber(it))
        return sml_fail(lc->err, SML_EPARSE, "%s:%zu: \"%s\" should be a number", lc->source, lc->line, key);
    *out = it->valuedouble;
    return 0;
}

/* A string field: absent or null gives NULL. */
static int get_string(const cJSON *obj, const char *key, const char **out, const line_ctx *lc)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!it || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsString(it))
        return sml_fail(lc->err, SML_EPARSE, "%s:%zu: \"%s\" should be a string", lc->source, lc->line, key);
    *out = it->valuestring;
    return 0;
}

/* An object of named numbers ("batch_metrics", "cumulative", "weights") into a series set at batch `at`. For the
 * weights, "_omitted" marks the batch's list as partial instead of being a series. */
static int get_named_numbers(const cJSON *obj, const char *key, series_set *set, size_t at, run *rn,
                             const line_ctx *lc)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    int is_weights = strcmp(key, "weights") == 0;
    if (!it || cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsObject(it))
        return sml_fail(lc->err, SML_EPARSE, "%s:%zu: \"%s\" should be an object", lc->source, lc->line, key);
    if (is_weights)
        rn->weights_state[at] = WEIGHTS_COMPLETE;
    for (const cJSON *c = it->child; c; c = c->next) {
        if (is_weights && strcmp(c->string, "_omitted") == 0) {
            if (!cJSON_IsNumber(c) || c->valuedouble > 0)
                rn->weights_state[at] = WEIGHTS_PARTIAL;
            continue;
        }
        if (cJSON_IsNull(c))
            continue; /* a non-finite value, written as null: a gap */
        if (!cJSON_IsNumber(c))
            return sml_fail(lc->err, SML_EPARSE, "%s:%zu: %s.%s should be a number", lc->source, lc->line, key,
                            c->string);
        if (series_put(set, c->string, at, c->valuedouble))
            return sml_fail(lc->err, SML_ENOMEM, "%s:%zu: out of memory", lc->source, lc->line);
    }
    return 0;
}

static run *run_start(const char *source, const char *run_field)
{
    run *rn = calloc(1, sizeof *rn);
    if (!rn)
        return NULL;
    rn->last_batch = NAN;
    if (!(rn->source = dup_str(source)) || (run_field && !(rn->run_field = dup_str(run_field)))) {
        run_free(rn);
        return NULL;
    }
    return rn;
}

typedef struct run_list {
    run **v;
    size_t n, cap;
} run_list;

static int run_list_push(run_list *l, run *rn)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        run **v = realloc(l->v, cap * sizeof *v); /* NOLINT(bugprone-sizeof-expression): pointers */
        if (!v)
            return SML_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = rn;
    return 0;
}

/* One metrics line (already a JSON object) into the current run, or into a new one when the line starts one. */
static int read_line(const cJSON *obj, run_list *runs, const line_ctx *lc)
{
    const char *run_field, *task;
    double batch, v;
    int rc;
    if ((rc = get_string(obj, "run", &run_field, lc)) || (rc = get_string(obj, "task", &task, lc)) ||
        (rc = get_number(obj, "batch", &batch, lc)))
        return rc;
    run *rn = runs->n ? runs->v[runs->n - 1] : NULL;
    int starts = !rn || (run_field && rn->run_field && strcmp(run_field, rn->run_field) != 0) ||
                 (!isnan(batch) && !isnan(rn->last_batch) && batch <= rn->last_batch);
    if (starts) {
        if (!(rn = run_start(lc->source, run_field)) || run_list_push(runs, rn)) {
            run_free(rn);
            return sml_fail(lc->err, SML_ENOMEM, "%s:%zu: out of memory", lc->source, lc->line);
        }
    }
    if (!isnan(batch))
        rn->last_batch = batch;
    if (run_field && !rn->run_field && !(rn->run_field = dup_str(run_field)))
        return sml_fail(lc->err, SML_ENOMEM, "%s:%zu: out of memory", lc->source, lc->line);
    if (task && !rn->task && !(rn->task = dup_str(task)))
        return sml_fail(lc->err, SML_ENOMEM, "%s:%zu: out of memory", lc->source, lc->line);
    size_t at = run_add_batch(rn);
    if (at == SIZE_MAX)
        return sml_fail(lc->err, SML_ENOMEM, "%s:%zu: out of memory", lc->source, lc->line);
    if ((rc = get_number(obj, "records", &rn->records[at], lc)) ||
        (rc = get_number(obj, "elapsed_s", &rn->elapsed[at], lc)) ||
        (rc = get_number(obj, "time", &rn->time[at], lc)) ||
        (rc = get_number(obj, "records_per_s", &v, lc)))
        return rc;
    rn->records_per_s[at] = v;
    if ((rc = get_named_numbers(obj, "batch_metrics", &rn->batch_metrics, at, rn, lc)) ||
        (rc = get_named_numbers(obj, "cumulative", &rn->cumulative, at, rn, lc)) ||
        (rc = get_named_numbers(obj, "weights", &rn->weights, at, rn, lc)))
        return rc;
    return 0;
}

static int name_taken(const sml_report *r, const run_list *l, size_t upto, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->runs[i]->name, name) == 0)
            return 1;
    for (size_t i = 0; i < upto; i++)
        if (strcmp(l->v[i]->name, name) == 0)
            return 1;
    return 0;
}

/* The base name of a path without its extension ("runs/a.jsonl" -> "a"). */
static char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    if (n == 0)
        return dup_str("run");
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = 0;
    }
    return s;
}

static int name_runs(const sml_report *r, run_list *l, const char *name, const char *source)
{
    for (size_t i = 0; i < l->n; i++) {
        run *rn = l->v[i];
        char *base = name ? dup_str(name) : rn->run_field ? dup_str(rn->run_field) : base_name(source);
        if (!base)
            return SML_ENOMEM;
        size_t cap = strlen(base) + 24;
        if (!(rn->name = malloc(cap))) {
            free(base);
            return SML_ENOMEM;
        }
        strcpy(rn->name, base);
        for (unsigned k = 2; name_taken(r, l, i, rn->name); k++)
            snprintf(rn->name, cap, "%s (%u)", base, k);
        free(base);
    }
    return 0;
}

int sml_report_add_run(sml_report *r, const char *name, const char *text, size_t len, const char *source,
                       sml_error *err)
{
    run_list runs = {0};
    int rc = 0;
    line_ctx lc = {source ? source : "(metrics)", 0, err};
    if (!r || (!text && len))
        return sml_fail(err, SML_EINVAL, "sml_report_add_run: no report or no text");
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        lc.line++;
        size_t first = 0;
        while (first < n && (line[first] == ' ' || line[first] == '\t' || line[first] == '\r'))
            first++;
        if (first == n)
            continue;
        const char *end = NULL;
        cJSON *obj = cJSON_ParseWithLengthOpts(line, n, &end, 0);
        if (!obj) {
            size_t col = end && end >= line && end <= line + n ? (size_t)(end - line) + 1 : first + 1;
            rc = sml_fail(err, SML_EPARSE, "%s:%zu:%zu: malformed JSON", lc.source, lc.line, col);
            goto out;
        }
        while (end && end < line + n && (*end == ' ' || *end == '\t' || *end == '\r'))
            end++;
        if (end && end < line + n) {
            rc = sml_fail(err, SML_EPARSE, "%s:%zu:%zu: text after the JSON object", lc.source, lc.line,
                          (size_t)(end - line) + 1);
        } else if (!cJSON_IsObject(obj)) {
            rc = sml_fail(err, SML_EPARSE, "%s:%zu: expected a JSON object, one per line", lc.source, lc.line);
        } else {
            rc = read_line(obj, &runs, &lc);
        }
        cJSON_Delete(obj);
        if (rc)
            goto out;
    }
    if (runs.n == 0) {
        rc = sml_fail(err, SML_EFORMAT, "%s: no metrics lines (empty file)", lc.source);
        goto out;
    }
    if (name_runs(r, &runs, name, lc.source)) {
        rc = sml_fail(err, SML_ENOMEM, "%s: out of memory", lc.source);
        goto out;
    }
    if (r->n + runs.n > r->cap) {
        size_t cap = r->cap ? r->cap : 4;
        while (cap < r->n + runs.n)
            cap *= 2;
        run **v = realloc(r->runs, cap * sizeof *v); /* NOLINT(bugprone-sizeof-expression): pointers */
        if (!v) {
            rc = sml_fail(err, SML_ENOMEM, "%s: out of memory", lc.source);
            goto out;
        }
        r->runs = v;
        r->cap = cap;
    }
    for (size_t i = 0; i < runs.n; i++)
        r->runs[r->n++] = runs.v[i];
    rc = (int)runs.n;
    runs.n = 0;
out:
    for (size_t i = 0; i < runs.n; i++)
        run_free(runs.v[i]);
    free(runs.v);
    return rc;
}

/* ================================================================================================================
 * Numbers and text for XML
 * ============================================================================================================= */

/* The output document. Appends never fail one by one: running out of memory is remembered and reported once. */
typedef struct doc {
    sml_strbuf sb;
    int oom;
} doc;

static void putn(doc *d, const char *s, size_t n)
{
    if (!d->oom && sml_strbuf_add(&d->sb, s, n))
        d->oom = 1;
}

static void put(doc *d, const char *s) { putn(d, s, strlen(s)); }

/* Formatted text: only for integers and our own strings (printf's %f would follow the locale). */
static void putf(doc *d, const char *fmt, ...) SML_PRINTF(2, 3);
static void putf(doc *d, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        putn(d, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void put_num(doc *d, double v)
{
    char buf[SML_DOUBLE_BUFSZ];
    putn(d, buf, sml_format_double(v, buf));
}

/* A coordinate, to a tenth of a pixel. */
static void put_px(doc *d, double v)
{
    v = round(v * 10) / 10;
    put_num(d, v == 0 ? 0.0 : v);
}

static double pow10i(int k)
{
    if (k < 0 || k > 22)
        return pow(10, k);
    double p = 1;
    while (k--)
        p *= 10; /* exact up to 1e22 */
    return p;
}

/* k * 10^e, correctly rounded when k is an integer and |e| <= 22, so that it prints short ("0.3"). */
static double scaled(double k, int e) { return e >= 0 ? k * pow10i(e) : k / pow10i(-e); }

/* v rounded to `digits` significant digits, for tables ("0.1235", not "0.12345678901"). */
static double round_sig(double v, int digits)
{
    if (!isfinite(v) || v == 0)
        return v;
    int places = digits - 1 - (int)floor(log10(fabs(v)));
    if (places > 22 || places < -22)
        return v;
    return places >= 0 ? round(v * pow10i(places)) / pow10i(places) : round(v / pow10i(-places)) * pow10i(-places);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Text from the input as XML character data or attribute value: markup characters escaped, control characters
 * as spaces, bytes that are not UTF-8 (and the non-characters XML forbids) as U+FFFD. At most max_chars
 * characters (0: all); a cut text ends with an ellipsis. */
static void put_text(doc *d, const char *s, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), chars = 0;
    for (size_t i = 0; i < n;) {
        if (max_chars && chars == max_chars) {
            put(d, "\xE2\x80\xA6");
            return;
        }
        uint32_t cp;
        size_t len = utf8_len(p + i, n - i, &cp);
        chars++;
        if (len == 0 || cp == 0xFFFE || cp == 0xFFFF) {
            put(d, "\xEF\xBF\xBD");
            i += len ? len : 1;
            continue;
        }
        switch (cp) {
        case '&': put(d, "&amp;"); break;
        case '<': put(d, "&lt;"); break;
        case '>': put(d, "&gt;"); break;
        case '"': put(d, "&quot;"); break;
        case '\'': put(d, "&apos;"); break;
        default:
            if (cp < 0x20 || cp == 0x7F)
                put(d, " ");
            else
                putn(d, s + i, len);
        }
        i += len;
    }
}

/* ================================================================================================================
 * Axes and ticks
 * ============================================================================================================= */

#define MAX_TICKS 48

typedef struct axis {
    double lo, hi; /* the domain drawn (values, also on a log scale) */
    int log;
    double si_div;     /* tick labels divided by 1e3/1e6/1e9 with a k/M/G suffix; 0: plain */
    const char *si_suffix;
    size_t nticks;
    double ticks[MAX_TICKS];
} axis;

typedef struct range {
    double lo, hi;
} range;

#define RANGE_EMPTY {INFINITY, -INFINITY}

static void range_add(range *r, double v)
{
    if (v < r->lo)
        r->lo = v;
    if (v > r->hi)
        r->hi = v;
}

/* A linear axis over [lo, hi] (or a default when there is no data) with about `target` intervals of a round step
 * m * 10^e (m in 1, 2, 5), extended to whole steps. Ticks are k*m scaled by 10^e, so they print short. */
static void axis_linear(axis *a, range r, int target, int si)
{
    double lo = r.lo, hi = r.hi;
    memset(a, 0, sizeof *a);
    if (!(lo <= hi))
        lo = 0, hi = 1;
    /* keep hi - lo finite, whatever the data */
    lo = fmin(fmax(lo, -1e300), 1e300), hi = fmin(fmax(hi, -1e300), 1e300);
    if (hi - lo <= fabs(hi) * 1e-9 || hi - lo < 1e-300) {
        double pad = lo != 0 ? fabs(lo) * 0.05 : 0.5;
        lo -= pad;
        hi += pad;
    }
    double raw = (hi - lo) / target;
    int e = (int)floor(log10(raw));
    double f = raw / pow(10, e);
    int m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    if (m == 10)
        m = 1, e++;
    double step = scaled(m, e);
    double k0 = floor(lo / step), k1 = ceil(hi / step);
    if (k1 - k0 >= MAX_TICKS) /* cannot happen with a sane step; keeps the loop bounded whatever */
        k1 = k0 + MAX_TICKS - 1;
    a->lo = scaled(k0 * m, e);
    a->hi = scaled(k1 * m, e);
    /* counted in integers, not by a double (k1 - k0 < MAX_TICKS, above) */
    for (int t = 0; t <= (int)(k1 - k0); t++)
        a->ticks[a->nticks++] = scaled((k0 + t) * m, e);
    double big = fmax(fabs(a->lo), fabs(a->hi));
    if (si && big >= 1e4 && e >= 2) {
        a->si_div = big >= 1e9 ? 1e9 : big >= 1e6 ? 1e6 : 1e3;
        a->si_suffix = big >= 1e9 ? "G" : big >= 1e6 ? "M" : "k";
    }
}

/* A log axis over [lo, hi] (positive values) from a power of ten to a power of ten; ticks at the powers of ten,
 * with 2 and 5 times them when the axis spans at most two decades. */
static void axis_log(axis *a, range r)
{
    memset(a, 0, sizeof *a);
    a->log = 1;
    if (!(r.lo <= r.hi) || r.lo <= 0)
        r.lo = 1, r.hi = 10;
    int d0 = (int)floor(log10(r.lo)), d1 = (int)ceil(log10(r.hi));
    d0 = d0 < -300 ? -300 : d0 > 299 ? 299 : d0;
    d1 = d1 > 300 ? 300 : d1 <= d0 ? d0 + 1 : d1;
    a->lo = scaled(1, d0);
    a->hi = scaled(1, d1);
    int every = (d1 - d0 + 7) / 8;
    for (int d = d0; d <= d1 && a->nticks < MAX_TICKS; d++) {
        if ((d - d0) % every == 0)
            a->ticks[a->nticks++] = scaled(1, d);
        if (d1 - d0 <= 2 && d < d1) {
            a->ticks[a->nticks++] = scaled(2, d);
            a->ticks[a->nticks++] = scaled(5, d);
        }
    }
    if (d1 - d0 <= 2) { /* narrow: from the 1-2-5 tick below the data to the one above, not whole decades */
        size_t first = 0, last = a->nticks - 1;
        while (first + 1 < a->nticks && a->ticks[first + 1] <= r.lo)
            first++;
        while (last > first + 1 && a->ticks[last - 1] >= r.hi)
            last--;
        a->lo = a->ticks[first];
        a->hi = a->ticks[last];
        memmove(a->ticks, a->ticks + first, (last - first + 1) * sizeof a->ticks[0]);
        a->nticks = last - first + 1;
    }
}

/* Where v falls between pixel p0 (at lo) and p1 (at hi). */
static double axis_map(const axis *a, double v, double p0, double p1)
{
    /* log axes never see v <= 0: values are filtered before, and the zero line is drawn on linear axes only */
    // cppcheck-suppress invalidFunctionArg
    double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) : (v - a->lo) / (a->hi - a->lo);
    return p0 + t * (p1 - p0);
}

static void put_tick_label(doc *d, const axis *a, double v)
{
    if (a->si_div && v != 0) {
        put_num(d, v / a->si_div);
        put(d, a->si_suffix);
    } else {
        put_num(d, v == 0 ? 0.0 : v);
    }
}

/* ================================================================================================================
 * Downsampling
 * ============================================================================================================= */

/* The points of one line that are drawn, and where the pen lifts (a gap: some point between two drawn ones
 * cannot be drawn). */
typedef struct picked {
    size_t *idx;
    unsigned char *lift; /* before idx[k] */
    size_t n;
} picked;

static void picked_release(picked *p)
{
    free(p->idx);
    free(p->lift);
    memset(p, 0, sizeof *p);
}

static int drawable(double x, double y, int log_y) { return isfinite(x) && isfinite(y) && (!log_y || y > 0); }

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Up to max_points points of a line. Longer lines keep, per bucket of n/(max_points/4) consecutive indices, the
 * first, lowest, highest and last drawable point: the shape (peaks included) is what a pixel column would show. */
static int pick_points(const double *x, const double *y, size_t n, int log_y, size_t max_points, picked *p)
{
    size_t *bad_before = malloc((n + 1) * sizeof *bad_before);
    size_t cap = n < max_points ? n : max_points;
    memset(p, 0, sizeof *p);
    p->idx = malloc((cap ? cap : 1) * sizeof *p->idx);
    p->lift = malloc(cap ? cap : 1);
    if (!bad_before || !p->idx || !p->lift) {
        free(bad_before);
        picked_release(p);
        return SML_ENOMEM;
    }
    bad_before[0] = 0;
    for (size_t i = 0; i < n; i++)
        bad_before[i + 1] = bad_before[i] + !drawable(x[i], y[i], log_y);
    if (n <= max_points) {
        for (size_t i = 0; i < n; i++)
            if (drawable(x[i], y[i], log_y))
                p->idx[p->n++] = i;
    } else {
        size_t buckets = max_points / 4;
        for (size_t b = 0; b < buckets; b++) {
            size_t lo = b * n / buckets, hi = (b + 1) * n / buckets;
            size_t pick[4] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX}; /* first, lowest, highest, last */
            for (size_t i = lo; i < hi; i++) {
                if (!drawable(x[i], y[i], log_y))
                    continue;
                if (pick[0] == SIZE_MAX)
                    pick[0] = i;
                if (pick[1] == SIZE_MAX || y[i] < y[pick[1]])
                    pick[1] = i;
                if (pick[2] == SIZE_MAX || y[i] > y[pick[2]])
                    pick[2] = i;
                pick[3] = i;
            }
            qsort(pick, 4, sizeof pick[0], cmp_size);
            for (int k = 0; k < 4; k++)
                if (pick[k] != SIZE_MAX && (k == 0 || pick[k] != pick[k - 1]))
                    p->idx[p->n++] = pick[k];
        }
    }
    for (size_t k = 0; k < p->n; k++)
        p->lift[k] = k == 0 || bad_before[p->idx[k]] - bad_before[p->idx[k - 1] + 1] > 0;
    free(bad_before);
    return 0;
}

/* ================================================================================================================
 * Charts
 * ============================================================================================================= */

#define DOC_WIDTH 960
#define HEADER_HEIGHT 48
#define PLOT_LEFT 84
#define PLOT_RIGHT 720
#define PLOT_TOP 56
#define PLOT_BOTTOM_MARGIN 58
#define LEGEND_ROW 20
#define LEGEND_CHARS 26
#define METRIC_CHART_HEIGHT 460
#define WEIGHT_CHART_HEIGHT 400

/* Colour-blind-safe colours with good contrast on white (Okabe-Ito without its yellow, then Tol's darker ones);
 * past them the colours repeat with a dash pattern. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                      "#56B4E9", "#332288", "#882255", "#117733", "#555555"};
static const char *const dashes[] = {NULL, "8 4", "2 3", "10 3 2 3"};
#define NCOLORS (sizeof palette / sizeof palette[0])
#define NDASHES (sizeof dashes / sizeof dashes[0])

static void put_stroke(doc *d, size_t style, double width)
{
    put(d, " fill=\"none\" stroke=\"");
    put(d, palette[style % NCOLORS]);
    put(d, "\" stroke-width=\"");
    put_num(d, width);
    put(d, "\"");
    const char *dash = dashes[(style / NCOLORS) % NDASHES];
    if (dash) {
        put(d, " stroke-dasharray=\"");
        put(d, dash);
        put(d, "\"");
    }
}

typedef struct plot_line {
    const double *x, *y;
    size_t n;
    const char *cls; /* "cum", "batch" or "weight" */
    size_t style;    /* colour and dash */
    int thin;        /* the per-batch line: thin and light */
} plot_line;

typedef struct legend_item {
    const char *name;
    size_t style;
    int has_data;
} legend_item;

typedef struct chart {
    const char *title, *subtitle, *xtitle, *ytitle;
    axis x, y;
    double top, height; /* place in the document */
} chart;

static double legend_height(size_t items) { return PLOT_TOP + 8 + LEGEND_ROW * (double)items + PLOT_BOTTOM_MARGIN; }

static int draw_line(doc *d, const chart *c, const plot_line *l, size_t max_points, double py1)
{
    picked p;
    if (pick_points(l->x, l->y, l->n, c->y.log, max_points, &p))
        return SML_ENOMEM;
    if (p.n == 0)
        goto out;
    put(d, "<path class=\"");
    put(d, l->cls);
    put(d, "\" d=\"");
    for (size_t k = 0; k < p.n; k++) {
        size_t i = p.idx[k];
        put(d, p.lift[k] ? (k ? " M" : "M") : " L");
        put_px(d, axis_map(&c->x, l->x[i], PLOT_LEFT, PLOT_RIGHT));
        put(d, ",");
        put_px(d, axis_map(&c->y, l->y[i], py1, PLOT_TOP));
        if (p.lift[k] && (k + 1 == p.n || p.lift[k + 1]))
            put(d, " h0"); /* a lone point: a dot with the round cap */
    }
    put(d, "\"");
    put_stroke(d, l->style, l->thin ? 1 : 2.2);
    put(d, l->thin ? " stroke-opacity=\"0.4\"" : "");
    put(d, " stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n");
    /* lone points also get a marker, which every renderer shows */
    for (size_t k = 0; k < p.n; k++) {
        if (!(p.lift[k] && (k + 1 == p.n || p.lift[k + 1])))
            continue;
        size_t i = p.idx[k];
        put(d, "<circle class=\"dot\" cx=\"");
        put_px(d, axis_map(&c->x, l->x[i], PLOT_LEFT, PLOT_RIGHT));
        put(d, "\" cy=\"");
        put_px(d, axis_map(&c->y, l->y[i], py1, PLOT_TOP));
        put(d, l->thin ? "\" r=\"2\" fill-opacity=\"0.4\" fill=\"" : "\" r=\"3\" fill=\"");
        put(d, palette[l->style % NCOLORS]);
        put(d, "\"/>\n");
    }
out:
    picked_release(&p);
    return 0;
}

static void draw_frame(doc *d, const chart *c, double py1)
{
    put(d, "<text x=\"" ); put_px(d, PLOT_LEFT); put(d, "\" y=\"24\" font-size=\"15\" font-weight=\"bold\">");
    put_text(d, c->title, 0);
    put(d, "</text>\n");
    if (c->subtitle) {
        put(d, "<text x=\""); put_px(d, PLOT_LEFT); put(d, "\" y=\"42\" fill=\"#666666\">");
        put_text(d, c->subtitle, 0);
        put(d, "</text>\n");
    }
    put(d, "<rect x=\""); put_px(d, PLOT_LEFT); put(d, "\" y=\""); put_px(d, PLOT_TOP);
    put(d, "\" width=\""); put_px(d, PLOT_RIGHT - PLOT_LEFT); put(d, "\" height=\""); put_px(d, py1 - PLOT_TOP);
    put(d, "\" fill=\"#fbfbfb\" stroke=\"#bbbbbb\"/>\n");
    /* grid and tick labels */
    put(d, "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
    for (size_t t = 0; t < c->x.nticks; t++) {
        double px = axis_map(&c->x, c->x.ticks[t], PLOT_LEFT, PLOT_RIGHT);
        put(d, "<line x1=\""); put_px(d, px); put(d, "\" x2=\""); put_px(d, px);
        put(d, "\" y1=\""); put_px(d, PLOT_TOP); put(d, "\" y2=\""); put_px(d, py1); put(d, "\"/>\n");
    }
    for (size_t t = 0; t < c->y.nticks; t++) {
        double py = axis_map(&c->y, c->y.ticks[t], py1, PLOT_TOP);
        put(d, "<line x1=\""); put_px(d, PLOT_LEFT); put(d, "\" x2=\""); put_px(d, PLOT_RIGHT);
        put(d, "\" y1=\""); put_px(d, py); put(d, "\" y2=\""); put_px(d, py); put(d, "\"/>\n");
    }
    put(d, "</g>\n");
    if (!c->y.log && c->y.lo < 0 && c->y.hi > 0) {
        double py = axis_map(&c->y, 0, py1, PLOT_TOP);
        put(d, "<line class=\"zero\" x1=\""); put_px(d, PLOT_LEFT); put(d, "\" x2=\""); put_px(d, PLOT_RIGHT);
        put(d, "\" y1=\""); put_px(d, py); put(d, "\" y2=\""); put_px(d, py);
        put(d, "\" stroke=\"#888888\" stroke-width=\"1\"/>\n");
    }
    put(d, "<g class=\"ticks\" font-size=\"11\" fill=\"#444444\">\n");
    for (size_t t = 0; t < c->x.nticks; t++) {
        put(d, "<text x=\""); put_px(d, axis_map(&c->x, c->x.ticks[t], PLOT_LEFT, PLOT_RIGHT));
        put(d, "\" y=\""); put_px(d, py1 + 17); put(d, "\" text-anchor=\"middle\">");
        put_tick_label(d, &c->x, c->x.ticks[t]);
        put(d, "</text>\n");
    }
    for (size_t t = 0; t < c->y.nticks; t++) {
        put(d, "<text x=\""); put_px(d, PLOT_LEFT - 7);
        put(d, "\" y=\""); put_px(d, axis_map(&c->y, c->y.ticks[t], py1, PLOT_TOP) + 4);
        put(d, "\" text-anchor=\"end\">");
        put_tick_label(d, &c->y, c->y.ticks[t]);
        put(d, "</text>\n");
    }
    put(d, "</g>\n");
    put(d, "<text class=\"xtitle\" x=\""); put_px(d, (PLOT_LEFT + PLOT_RIGHT) / 2.0);
    put(d, "\" y=\""); put_px(d, py1 + 40); put(d, "\" text-anchor=\"middle\">");
    put_text(d, c->xtitle, 0);
    put(d, "</text>\n<text class=\"ytitle\" transform=\"translate(20,");
    put_px(d, (PLOT_TOP + py1) / 2);
    put(d, ") rotate(-90)\" text-anchor=\"middle\">");
    put_text(d, c->ytitle, 0);
    put(d, "</text>\n");
}

static void draw_legend(doc *d, const legend_item *items, size_t n)
{
    put(d, "<g class=\"legend\">\n");
    for (size_t i = 0; i < n; i++) {
        double y = PLOT_TOP + 10 + LEGEND_ROW * (double)i;
        put(d, "<line x1=\""); put_px(d, PLOT_RIGHT + 16); put(d, "\" x2=\""); put_px(d, PLOT_RIGHT + 44);
        put(d, "\" y1=\""); put_px(d, y); put(d, "\" y2=\""); put_px(d, y); put(d, "\"");
        put_stroke(d, items[i].style, 2.5);
        put(d, "/>\n<text x=\""); put_px(d, PLOT_RIGHT + 50); put(d, "\" y=\""); put_px(d, y + 4); put(d, "\"");
        put(d, items[i].has_data ? ">" : " fill=\"#999999\">");
        put(d, "<title>");
        put_text(d, items[i].name, 0);
        put(d, "</title>");
        put_text(d, items[i].name, items[i].has_data ? LEGEND_CHARS : LEGEND_CHARS - 10);
        put(d, items[i].has_data ? "" : " (no data)");
        put(d, "</text>\n");
    }
    put(d, "</g>\n");
}

static int draw_chart(doc *d, const chart *c, const plot_line *lines, size_t nlines, const legend_item *legend,
                      size_t nlegend, size_t max_points)
{
    double py1 = c->height - PLOT_BOTTOM_MARGIN;
    put(d, "<g class=\"chart\" transform=\"translate(0,");
    put_px(d, c->top);
    put(d, ")\">\n");
    draw_frame(d, c, py1);
    put(d, "<g class=\"lines\">\n");
    for (int pass = 0; pass < 2; pass++) /* thin lines first, under the thick ones */
        for (size_t i = 0; i < nlines; i++)
            if (lines[i].thin == !pass && draw_line(d, c, &lines[i], max_points, py1))
                return SML_ENOMEM;
    put(d, "</g>\n");
    draw_legend(d, legend, nlegend);
    put(d, "</g>\n");
    return 0;
}

/* ================================================================================================================
 * Rendering
 * ============================================================================================================= */

static const char *metric_of(const run *rn, const char *asked)
{
    if (asked && strcmp(asked, "auto") != 0)
        return asked;
    if (rn->task)
        return strcmp(rn->task, "classification") == 0 ? "logloss" : "rmse";
    if (series_find(&rn->cumulative, "logloss") || series_find(&rn->batch_metrics, "logloss"))
        return "logloss";
    return "rmse";
}

static int has_points(const series *s)
{
    if (s)
        for (size_t k = 0; k < s->n; k++)
            if (isfinite(s->value[k]))
                return 1;
    return 0;
}

/* The x value of every batch of a run. */
static void run_x(const run *rn, sml_report_x which, double *out)
{
    double t0 = NAN;
    for (size_t i = 0; i < rn->n; i++) {
        if (isnan(t0) && isfinite(rn->time[i]))
            t0 = rn->time[i];
        if (which == SML_REPORT_X_RECORDS)
            out[i] = rn->records[i];
        else
            out[i] = isfinite(rn->elapsed[i]) ? rn->elapsed[i] : rn->time[i] - t0;
    }
}

/* Working arrays of one render, freed together. */
typedef struct render_ctx {
    const sml_report *r;
    const sml_report_options *o;
    sml_error *err;
    double **x;       /* per run */
    double **cum, **batch;
    const char **metric;
} render_ctx;

static void ctx_release(render_ctx *c)
{
    for (size_t i = 0; c->r && i < c->r->n; i++) {
        if (c->x)
            free(c->x[i]);
        if (c->cum)
            free(c->cum[i]);
        if (c->batch)
            free(c->batch[i]);
    }
    free(c->x);
    free(c->cum);
    free(c->batch);
    free(c->metric);
}

/* 1 when name is an earlier series of the runs up to run i, set s, position k (the metric list names each once). */
static int seen_before(const sml_report *r, size_t i, int s, size_t k, const char *name)
{
    for (size_t ri = 0; ri <= i; ri++)
        for (int si = 0; si < 2; si++) {
            const series_set *set = si ? &r->runs[ri]->batch_metrics : &r->runs[ri]->cumulative;
            for (size_t ki = 0; ki < set->n; ki++) {
                if (ri == i && (si > s || (si == s && ki >= k)))
                    return 0;
                if (strcmp(set->v[ki].name, name) == 0)
                    return 1;
            }
        }
    return 0;
}

static int metric_missing(const render_ctx *c)
{
    doc found = {SML_STRBUF_INIT, 0};
    size_t count = 0;
    for (size_t i = 0; i < c->r->n; i++)
        for (int s = 0; s < 2; s++) {
            const series_set *set = s ? &c->r->runs[i]->batch_metrics : &c->r->runs[i]->cumulative;
            for (size_t k = 0; k < set->n; k++)
                if (!seen_before(c->r, i, s, k, set->v[k].name)) {
                    put(&found, count++ ? ", " : "");
                    put(&found, set->v[k].name);
                }
        }
    const char *asked = c->o->metric && strcmp(c->o->metric, "auto") != 0 ? c->o->metric : NULL;
    int rc = sml_fail(c->err, SML_ENOTFOUND, "no run has values of the metric %s%s%s (metrics found: %s)",
                      asked ? "\"" : "", asked ? asked : "rmse or logloss", asked ? "\"" : "",
                      count && !found.oom ? found.sb.buf : "none");
    sml_strbuf_release(&found.sb);
    return rc;
}

/* The metric chart: per run, the cumulative and per-batch values of its metric. */
static int metric_chart(render_ctx *c, doc *d, double top, double height)
{
    const sml_report *r = c->r;
    plot_line *lines = calloc(2 * r->n, sizeof *lines);
    legend_item *legend = calloc(r->n, sizeof *legend);
    char ytitle[160] = "", title[sizeof ytitle + 40];
    int rc = 0;
    if (!lines || !legend) {
        rc = SML_ENOMEM;
        goto out;
    }
    range xr = RANGE_EMPTY, yr = RANGE_EMPTY;
    for (size_t i = 0; i < r->n; i++) {
        const run *rn = r->runs[i];
        lines[2 * i] = (plot_line){c->x[i], c->cum[i], rn->n, "cum", i, 0};
        lines[2 * i + 1] = (plot_line){c->x[i], c->batch[i], rn->n, "batch", i, 1};
        legend[i] = (legend_item){rn->name, i, 0};
        for (size_t b = 0; b < rn->n; b++) {
            if (isfinite(c->x[i][b]))
                range_add(&xr, c->x[i][b]);
            const double ys[2] = {c->cum[i][b], c->batch[i][b]};
            for (int k = 0; k < 2; k++)
                if (drawable(c->x[i][b], ys[k], c->o->log_y)) {
                    range_add(&yr, ys[k]);
                    legend[i].has_data = 1;
                }
        }
        /* the y title names each metric once */
        if (!strstr(ytitle, c->metric[i]) && strlen(ytitle) + strlen(c->metric[i]) + 4 < sizeof ytitle) {
            if (ytitle[0])
                strcat(ytitle, " / ");
            strcat(ytitle, c->metric[i]);
        }
    }
    chart ch = {0};
    snprintf(title, sizeof title, "Prequential %s%s", ytitle, c->o->log_y ? " (log scale)" : "");
    ch.title = title;
    ch.subtitle = "thick: cumulative over the run so far; thin: per batch";
    ch.ytitle = ytitle;
    ch.xtitle = c->o->x == SML_REPORT_X_TIME ? "elapsed seconds" : "records read";
    if (c->o->x == SML_REPORT_X_RECORDS && xr.lo > 0)
        xr.lo = 0;
    axis_linear(&ch.x, xr, 8, c->o->x == SML_REPORT_X_RECORDS);
    if (c->o->log_y)
        axis_log(&ch.y, yr);
    else
        axis_linear(&ch.y, yr, 6, 0);
    ch.top = top;
    ch.height = height;
    rc = draw_chart(d, &ch, lines, 2 * r->n, legend, r->n, c->o->max_points);
out:
    free(lines);
    free(legend);
    return rc;
}

typedef struct ranked {
    const series *s;
    double key;
} ranked;

static int by_key(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    return strcmp(x->s->name, y->s->name);
}

/* The top features of a run by |weight| after its last batch with weights (intercept left out). Returns how many
 * went into out (at most top). */
static size_t top_weights(const run *rn, size_t top, ranked *out)
{
    size_t last = SIZE_MAX, n = 0;
    for (size_t i = 0; i < rn->n; i++)
        if (rn->weights_state[i] != WEIGHTS_NONE)
            last = i;
    if (last == SIZE_MAX)
        return 0;
    for (size_t k = 0; k < rn->weights.n; k++) {
        const series *s = &rn->weights.v[k];
        if (strcmp(s->name, "intercept") == 0)
            continue;
        double w = s->n && s->at[s->n - 1] == last ? fabs(s->value[s->n - 1]) : 0;
        out[n++] = (ranked){s, isnan(w) ? 0 : w};
    }
    qsort(out, n, sizeof *out, by_key);
    return n < top ? n : top;
}

static double weight_chart_height(const run *rn, size_t top)
{
    size_t n = 0;
    for (size_t k = 0; k < rn->weights.n; k++)
        n += strcmp(rn->weights.v[k].name, "intercept") != 0;
    n = n < top ? n : top;
    if (n == 0)
        return 0;
    double h = legend_height(n);
    return h > WEIGHT_CHART_HEIGHT ? h : WEIGHT_CHART_HEIGHT;
}

static int weight_chart(render_ctx *c, doc *d, size_t ri, double top, double height)
{
    const run *rn = c->r->runs[ri];
    ranked *order = malloc((rn->weights.n ? rn->weights.n : 1) * sizeof *order);
    plot_line *lines = NULL;
    legend_item *legend = NULL;
    double *values = NULL;
    char title[200], subtitle[120];
    int rc = 0;
    if (!order) {
        rc = SML_ENOMEM;
        goto out;
    }
    size_t k = top_weights(rn, (size_t)c->o->top, order);
    lines = calloc(k ? k : 1, sizeof *lines);
    legend = calloc(k ? k : 1, sizeof *legend);
    values = malloc((k && rn->n ? k * rn->n : 1) * sizeof *values);
    if (!lines || !legend || !values) {
        rc = SML_ENOMEM;
        goto out;
    }
    range xr = RANGE_EMPTY, yr = RANGE_EMPTY;
    for (size_t j = 0; j < k; j++) {
        double *y = values + j * rn->n;
        series_dense(rn, order[j].s, 1, y);
        lines[j] = (plot_line){c->x[ri], y, rn->n, "weight", j, 0};
        legend[j] = (legend_item){order[j].s->name, j, 0};
        for (size_t b = 0; b < rn->n; b++)
            if (drawable(c->x[ri][b], y[b], 0)) {
                range_add(&xr, c->x[ri][b]);
                range_add(&yr, y[b]);
                legend[j].has_data = 1;
            }
    }
    if (yr.lo <= yr.hi) { /* keep 0 in view: a weight's size is read against it */
        range_add(&yr, 0);
    }
    chart ch = {0};
    /* the run name is escaped when drawn; snprintf only joins */
    snprintf(title, sizeof title, "Largest weights: %s", rn->name);
    snprintf(subtitle, sizeof subtitle, "top %zu feature%s by |weight| after the last batch (intercept left out)", k,
             k == 1 ? "" : "s");
    ch.title = title;
    ch.subtitle = subtitle;
    ch.ytitle = "weight";
    ch.xtitle = c->o->x == SML_REPORT_X_TIME ? "elapsed seconds" : "records read";
    if (c->o->x == SML_REPORT_X_RECORDS && xr.lo > 0)
        xr.lo = 0;
    axis_linear(&ch.x, xr, 8, c->o->x == SML_REPORT_X_RECORDS);
    axis_linear(&ch.y, yr, 6, 0);
    ch.top = top;
    ch.height = height;
    rc = draw_chart(d, &ch, lines, k, legend, k, c->o->max_points);
out:
    free(order);
    free(lines);
    free(legend);
    free(values);
    return rc;
}

/* ================================================================================================================
 * Summary table (HTML)
 * ============================================================================================================= */

static double last_finite(const double *v, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (isfinite(v[i]))
            return v[i];
    return NAN;
}

static double series_last(const series *s)
{
    for (size_t k = s ? s->n : 0; k-- > 0;)
        if (isfinite(s->value[k]))
            return s->value[k];
    return NAN;
}

static void put_cell(doc *d, double v, int digits)
{
    put(d, "<td>");
    if (isfinite(v))
        put_num(d, digits ? round_sig(v, digits) : v);
    else
        put(d, "\xE2\x80\x93"); /* en dash: no value */
    put(d, "</td>");
}

static void summary_table(const render_ctx *c, doc *d)
{
    const sml_report *r = c->r;
    /* columns: every cumulative metric, in order of first appearance */
    const char **cols = malloc((size_t)1 * sizeof *cols);
    size_t ncols = 0, capcols = 1;
    for (size_t i = 0; i < r->n && cols; i++)
        for (size_t k = 0; k < r->runs[i]->cumulative.n; k++) {
            const char *name = r->runs[i]->cumulative.v[k].name;
            size_t j = 0;
            while (j < ncols && strcmp(cols[j], name) != 0)
                j++;
            if (j < ncols)
                continue;
            if (ncols == capcols) {
                const char **nc = realloc(cols, 2 * capcols * sizeof *nc);
                if (!nc) {
                    d->oom = 1;
                    break;
                }
                cols = nc;
                capcols *= 2;
            }
            cols[ncols++] = name;
        }
    if (!cols) {
        d->oom = 1;
        return;
    }
    put(d, "<h2>Summary</h2>\n<table class=\"summary\">\n<tr><th>run</th><th>source</th><th>task</th><th>batches</th>"
           "<th>records</th><th>elapsed s</th><th>records/s</th>");
    for (size_t j = 0; j < ncols; j++) {
        put(d, "<th>");
        put_text(d, cols[j], 0);
        put(d, "</th>");
    }
    put(d, "</tr>\n");
    for (size_t i = 0; i < r->n; i++) {
        const run *rn = r->runs[i];
        double records = last_finite(rn->records, rn->n), elapsed = last_finite(rn->elapsed, rn->n);
        double rate = isfinite(records) && elapsed > 0 ? records / elapsed : last_finite(rn->records_per_s, rn->n);
        put(d, "<tr><td><span class=\"swatch\" style=\"background:");
        put(d, palette[i % NCOLORS]);
        put(d, "\"></span>");
        put_text(d, rn->name, 0);
        put(d, "</td><td>");
        put_text(d, rn->source, 0);
        put(d, "</td><td>");
        put_text(d, rn->task ? rn->task : "\xE2\x80\x93", 0);
        putf(d, "</td><td>%zu</td>", rn->n);
        put_cell(d, records, 0);
        put_cell(d, elapsed, 4);
        put_cell(d, isfinite(rate) ? round(rate) : rate, 0);
        for (size_t j = 0; j < ncols; j++)
            put_cell(d, series_last(series_find(&rn->cumulative, cols[j])), 4);
        put(d, "</tr>\n");
    }
    put(d, "</table>\n");
    free(cols);
}

/* ================================================================================================================
 * Documents
 * ============================================================================================================= */

int sml_report_render(const sml_report *r, sml_report_format format, const sml_report_options *options,
                      char **out, size_t *out_len, sml_error *err)
{
    static const sml_report_options defaults = SML_REPORT_OPTIONS_INIT;
    sml_report_options o = options ? *options : defaults;
    render_ctx c = {r, &o, err, NULL, NULL, NULL, NULL};
    doc d = {SML_STRBUF_INIT, 0};
    double *chart_height = NULL;
    int rc = 0;
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!r || !out)
        return sml_fail(err, SML_EINVAL, "sml_report_render: no report or no output");
    if (r->n == 0)
        return sml_fail(err, SML_ESTATE, "report: no runs to draw");
    if (format != SML_REPORT_SVG && format != SML_REPORT_HTML)
        return sml_fail(err, SML_EINVAL, "report: unknown output format %d", (int)format);
    if (o.x != SML_REPORT_X_RECORDS && o.x != SML_REPORT_X_TIME)
        return sml_fail(err, SML_EINVAL, "report: unknown x axis %d", (int)o.x);
    if (o.top < 0 || o.top > MAX_TOP)
        return sml_fail(err, SML_EINVAL, "report: top = %d: expected 0 to %d features", o.top, MAX_TOP);
    if (o.max_points == 0)
        o.max_points = DEFAULT_MAX_POINTS;
    if (o.max_points < MIN_MAX_POINTS)
        return sml_fail(err, SML_EINVAL, "report: max_points = %zu: expected at least %d", o.max_points,
                        MIN_MAX_POINTS);

    c.x = calloc(r->n, sizeof *c.x);
    c.cum = calloc(r->n, sizeof *c.cum);
    c.batch = calloc(r->n, sizeof *c.batch);
    c.metric = calloc(r->n, sizeof *c.metric);
    chart_height = calloc(r->n + 1, sizeof *chart_height);
    if (!c.x || !c.cum || !c.batch || !c.metric || !chart_height)
        goto oom;
    int any = 0;
    for (size_t i = 0; i < r->n; i++) {
        const run *rn = r->runs[i];
        size_t n = rn->n ? rn->n : 1;
        if (!(c.x[i] = malloc(n * sizeof(double))) || !(c.cum[i] = malloc(n * sizeof(double))) ||
            !(c.batch[i] = malloc(n * sizeof(double))))
            goto oom;
        c.metric[i] = metric_of(rn, o.metric);
        const series *cum = series_find(&rn->cumulative, c.metric[i]);
        const series *bat = series_find(&rn->batch_metrics, c.metric[i]);
        any |= has_points(cum) || has_points(bat);
        run_x(rn, o.x, c.x[i]);
        series_dense(rn, cum, 0, c.cum[i]);
        series_dense(rn, bat, 0, c.batch[i]);
    }
    if (!any) {
        rc = metric_missing(&c);
        goto out;
    }

    /* heights first: the SVG header states the size */
    double total = HEADER_HEIGHT;
    double h = legend_height(r->n);
    chart_height[0] = h > METRIC_CHART_HEIGHT ? h : METRIC_CHART_HEIGHT;
    total += chart_height[0];
    for (size_t i = 0; i < r->n; i++)
        total += chart_height[i + 1] = weight_chart_height(r->runs[i], (size_t)o.top);
    const char *title = o.title && o.title[0] ? o.title : "streamml report";

    if (format == SML_REPORT_SVG) {
        put(&d, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    } else {
        put(&d, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
                "<meta charset=\"utf-8\"/>\n<title>");
        put_text(&d, title, 0);
        put(&d, "</title>\n<style>\n"
                "body { font-family: \"DejaVu Sans\", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }\n"
                "table.summary { border-collapse: collapse; font-size: 13px; }\n"
                "table.summary th, table.summary td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }\n"
                "table.summary th { background: #f2f2f2; }\n"
                "table.summary td:nth-child(-n+3), table.summary th:nth-child(-n+3) { text-align: left; }\n"
                ".swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; }\n"
                "</style>\n</head>\n<body>\n");
    }
    putf(&d, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"", DOC_WIDTH);
    put_px(&d, total);
    putf(&d, "\" viewBox=\"0 0 %d ", DOC_WIDTH);
    put_px(&d, total);
    put(&d, "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\" fill=\"#222222\">\n"
            "<title>");
    put_text(&d, title, 0);
    putf(&d, "</title>\n<rect width=\"%d\" height=\"", DOC_WIDTH);
    put_px(&d, total);
    putf(&d, "\" fill=\"#ffffff\"/>\n<text class=\"title\" x=\"%d\" y=\"32\" text-anchor=\"middle\" font-size=\"20\" "
             "font-weight=\"bold\">", DOC_WIDTH / 2);
    put_text(&d, title, 0);
    put(&d, "</text>\n");
    double top = HEADER_HEIGHT;
    if ((rc = metric_chart(&c, &d, top, chart_height[0])))
        goto oom;
    top += chart_height[0];
    for (size_t i = 0; i < r->n; i++) {
        if (chart_height[i + 1] == 0)
            continue;
        if ((rc = weight_chart(&c, &d, i, top, chart_height[i + 1])))
            goto oom;
        top += chart_height[i + 1];
    }
    put(&d, "</svg>\n");
    if (format == SML_REPORT_HTML) {
        summary_table(&c, &d);
        put(&d, "</body>\n</html>\n");
    }
    if (d.oom)
        goto oom;
    *out = d.sb.buf;
    if (out_len)
        *out_len = d.sb.len;
    d.sb.buf = NULL;
    goto out;
oom:
    rc = sml_fail(err, SML_ENOMEM, "report: out of memory");
out:
    sml_strbuf_release(&d.sb);
    ctx_release(&c);
    free(chart_height);
    return rc;
}
