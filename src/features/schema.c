/*
 * Schema inference (features stage, first step): untyped batches from the head of the data -> per-column
 * statistics -> types and roles. Also the schema's JSON form (written here, read back with cJSON).
 */
#include "streamml/schema.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"
#include "common/strmap.h"
#include "streamml/num.h"

/* ------------------------------------------------------------------ accumulation */

typedef struct col_acc {
    char *name;
    uint64_t count, missing;
    int numeric;   /* every present value so far parsed as a number */
    int integer;
    uint64_t nfinite;
    double min, max, mean, m2;
    sml_strmap values; /* value -> index into counts */
    uint64_t *counts;
    size_t counts_cap;
    int capped;
} col_acc;

struct sml_schema_infer {
    col_acc *cols;
    size_t ncols;
    uint64_t rows, bad;
};

sml_schema_infer *sml_schema_infer_new(sml_error *err)
{
    sml_schema_infer *inf = calloc(1, sizeof *inf);
    if (!inf)
        sml_fail(err, SML_ENOMEM, "out of memory");
    return inf;
}

void sml_schema_infer_free(sml_schema_infer *inf)
{
    if (!inf)
        return;
    for (size_t i = 0; i < inf->ncols; i++) {
        free(inf->cols[i].name);
        sml_strmap_release(&inf->cols[i].values);
        free(inf->cols[i].counts);
    }
    free(inf->cols);
    free(inf);
}

static col_acc *acc_for(sml_schema_infer *inf, const char *name, sml_error *err)
{
    for (size_t i = 0; i < inf->ncols; i++)
        if (strcmp(inf->cols[i].name, name) == 0)
            return &inf->cols[i];
    col_acc *cols = realloc(inf->cols, (inf->ncols + 1) * sizeof *cols);
    if (!cols) {
        sml_fail(err, SML_ENOMEM, "out of memory");
        return NULL;
    }
    inf->cols = cols;
    col_acc *c = &cols[inf->ncols];
    memset(c, 0, sizeof *c);
    c->name = strdup(name);
    if (!c->name) {
        sml_fail(err, SML_ENOMEM, "out of memory");
        return NULL;
    }
    c->numeric = c->integer = 1;
    c->min = INFINITY;
    c->max = -INFINITY;
    /* a column first seen now was missing in every earlier row */
    c->missing = inf->rows;
    inf->ncols++;
    return c;
}

static int acc_value(col_acc *c, const char *s, size_t len)
{
    c->count++;
    if (c->numeric) {
        double v;
        if (sml_parse_double(s, len, &v) == 0) {
            if (isfinite(v)) {
                c->nfinite++;
                double d = v - c->mean;
                c->mean += d / (double)c->nfinite;
                c->m2 += d * (v - c->mean);
                if (v < c->min)
                    c->min = v;
                if (v > c->max)
                    c->max = v;
                if (v != floor(v))
                    c->integer = 0;
            }
        } else {
            c->numeric = 0;
        }
    }
    if (c->capped)
        return 0;
    int inserted;
    uint32_t *idx = sml_strmap_put(&c->values, s, len, (uint32_t)c->values.len, &inserted);
    if (!idx)
        return SML_ENOMEM;
    if (inserted) {
        if (c->values.len > SML_SCHEMA_DISTINCT_CAP) {
            c->capped = 1;
            return 0;
        }
        if (c->values.len > c->counts_cap) {
            size_t cap = c->counts_cap ? 2 * c->counts_cap : 64;
            uint64_t *counts = realloc(c->counts, cap * sizeof *counts);
            if (!counts)
                return SML_ENOMEM;
            c->counts = counts;
            c->counts_cap = cap;
        }
        c->counts[*idx] = 0;
    }
    c->counts[*idx]++;
    return 0;
}

int sml_schema_infer_add(sml_schema_infer *inf, const sml_batch *b, sml_error *err)
{
    for (size_t j = 0; j < b->ncols; j++) {
        const sml_column *col = &b->cols[j];
        col_acc *c = acc_for(inf, col->name, err);
        if (!c)
            return SML_ENOMEM;
        for (size_t i = 0; i < b->nrows; i++) {
            if (col->missing[i]) {
                c->missing++;
                continue;
            }
            int rc;
            if (col->type == SML_TYPE_NUM) {
                char tmp[SML_DOUBLE_BUFSZ];
                size_t n = sml_format_double(col->num[i], tmp);
                rc = acc_value(c, tmp, n);
            } else {
                rc = acc_value(c, b->strings + col->str_off[i], col->str_len[i]);
            }
            if (rc)
                return sml_fail(err, rc, "out of memory while inferring the schema");
        }
    }
    /* columns absent from this batch (JSONL keys not seen in it) are missing in all its rows */
    for (size_t k = 0; k < inf->ncols; k++)
        if (sml_batch_find(b, inf->cols[k].name) < 0)
            inf->cols[k].missing += b->nrows;
    inf->rows += b->nrows;
    inf->bad += b->nbad;
    return 0;
}

/* ------------------------------------------------------------------ finishing */

int sml_positive_class(const char *a, const char *b)
{
    static const char *pos[] = {"1", "true", "yes", "1.0"};
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++) {
        if (strcasecmp(b, pos[i]) == 0)
            return 1;
        if (strcasecmp(a, pos[i]) == 0)
            return 0;
    }
    return 1;
}

static int in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static int check_list(const sml_schema_infer *inf, const char *const *list, const char *what, sml_error *err)
{
    for (; list && *list; list++) {
        size_t i;
        for (i = 0; i < inf->ncols; i++)
            if (strcmp(inf->cols[i].name, *list) == 0)
                break;
        if (i == inf->ncols)
            return sml_fail(err, SML_ENOTFOUND, "%s column \"%s\" is not in the data", what, *list);
    }
    return 0;
}

typedef struct top_item {
    size_t slot;
    uint64_t count;
} top_item;

static int top_cmp(const void *a, const void *b)
{
    const top_item *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : (x->slot > y->slot) - (x->slot < y->slot);
}

static int fill_top(const col_acc *a, sml_schema_col *c)
{
    size_t n = a->values.len > SML_SCHEMA_DISTINCT_CAP ? 0 : a->values.len;
    top_item *items = malloc((n ? n : 1) * sizeof *items);
    size_t k = 0;
    if (!items)
        return SML_ENOMEM;
    for (size_t s = 0; s < a->values.cap && n; s++)
        if (a->values.hashes[s] && a->values.values[s] < a->counts_cap)
            items[k++] = (top_item){s, a->counts[a->values.values[s]]};
    qsort(items, k, sizeof *items, top_cmp);
    c->ntop = k < SML_SCHEMA_TOP ? k : SML_SCHEMA_TOP;
    c->top = calloc(c->ntop ? c->ntop : 1, sizeof *c->top);
    c->top_count = calloc(c->ntop ? c->ntop : 1, sizeof *c->top_count);
    if (!c->top || !c->top_count) {
        free(items);
        return SML_ENOMEM;
    }
    for (size_t i = 0; i < c->ntop; i++) {
        size_t len;
        const char *key = sml_strmap_key(&a->values, items[i].slot, &len);
        c->top[i] = strndup(key, len);
        c->top_count[i] = items[i].count;
        if (!c->top[i]) {
            free(items);
            return SML_ENOMEM;
        }
    }
    free(items);
    return 0;
}

/* With a label of exactly two values, find them (sorted) in the accumulator. */
static int two_values(const col_acc *a, char **lo, char **hi)
{
    const char *v[2];
    size_t l[2], k = 0;
    for (size_t s = 0; s < a->values.cap && k < 2; s++)
        if (a->values.hashes[s]) {
            v[k] = sml_strmap_key(&a->values, s, &l[k]);
            k++;
        }
    if (k != 2)
        return SML_EINVAL;
    char *x = strndup(v[0], l[0]), *y = strndup(v[1], l[1]);
    if (!x || !y) {
        free(x);
        free(y);
        return SML_ENOMEM;
    }
    /* numeric labels sort by value ("2" < "10"), text ones bytewise */
    double dx, dy;
    int swap = (sml_parse_double(x, strlen(x), &dx) == 0 && sml_parse_double(y, strlen(y), &dy) == 0)
                   ? dx > dy
                   : strcmp(x, y) > 0;
    *lo = swap ? y : x;
    *hi = swap ? x : y;
    return 0;
}

int sml_schema_infer_finish(sml_schema_infer *inf, const sml_schema *base, const sml_schema_overrides *ov,
                            sml_schema **out, sml_error *err)
{
    static const sml_schema_overrides none = {0};
    int rc;
    if (!ov)
        ov = &none;
    *out = NULL;
    if ((rc = check_list(inf, ov->categorical, "categorical", err)) || (rc = check_list(inf, ov->numeric, "numeric", err)) ||
        (rc = check_list(inf, ov->ignore, "ignored", err)))
        return rc;
    sml_schema *s = calloc(1, sizeof *s);
    if (!s)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    s->label = s->weight = -1;
    s->rows = inf->rows;
    s->bad_rows = inf->bad;
    s->cols = calloc(inf->ncols ? inf->ncols : 1, sizeof *s->cols);
    if (!s->cols)
        goto nomem;
    for (size_t i = 0; i < inf->ncols; i++) {
        const col_acc *a = &inf->cols[i];
        sml_schema_col *c = &s->cols[s->ncols++];
        c->name = strdup(a->name);
        if (!c->name)
            goto nomem;
        c->count = a->count;
        c->missing = a->missing;
        c->distinct = a->capped ? SML_SCHEMA_DISTINCT_CAP : a->values.len;
        c->distinct_capped = a->capped;
        c->type = (a->numeric && a->count > 0) ? SML_TYPE_NUM : SML_TYPE_STR;
        c->all_integer = c->type == SML_TYPE_NUM && a->integer;
        c->min = a->nfinite ? a->min : NAN;
        c->max = a->nfinite ? a->max : NAN;
        c->mean = a->nfinite ? a->mean : NAN;
        c->sd = a->nfinite > 1 ? sqrt(a->m2 / (double)(a->nfinite - 1)) : (a->nfinite ? 0 : NAN);
        if (fill_top(a, c))
            goto nomem;
        int bi = base ? sml_schema_find(base, a->name) : -1;
        if (bi >= 0) {
            c->type = base->cols[bi].type;
            c->role = base->cols[bi].role;
            c->type_overridden = 1;
        }
        if (in_list(ov->categorical, c->name)) {
            c->type = SML_TYPE_STR;
            c->type_overridden = 1;
        }
        if (in_list(ov->numeric, c->name)) {
            if (!a->numeric) {
                rc = sml_fail(err, SML_EINVAL, "column \"%s\" was declared numeric but has values that are not numbers",
                              c->name);
                goto fail;
            }
            c->type = SML_TYPE_NUM;
            c->type_overridden = 1;
        }
        if (in_list(ov->ignore, c->name))
            c->role = SML_ROLE_IGNORE;
        if (c->role == SML_ROLE_LABEL && !ov->label)
            s->label = (int)i;
        if (c->role == SML_ROLE_WEIGHT && !ov->weight)
            s->weight = (int)i;
    }
    const char *label = ov->label;
    if (!label && s->label >= 0)
        label = s->cols[s->label].name;
    if (ov->weight) {
        int w = sml_schema_find(s, ov->weight);
        if (w < 0) {
            rc = sml_fail(err, SML_ENOTFOUND, "weight column \"%s\" is not in the data", ov->weight);
            goto fail;
        }
        if (s->cols[w].type != SML_TYPE_NUM) {
            rc = sml_fail(err, SML_EINVAL, "weight column \"%s\" is not numeric", ov->weight);
            goto fail;
        }
        s->cols[w].role = SML_ROLE_WEIGHT;
        s->weight = w;
    }
    if (label) {
        int l = sml_schema_find(s, label);
        if (l < 0) {
            rc = sml_fail(err, SML_ENOTFOUND, "label column \"%s\" is not in the data", label);
            goto fail;
        }
        for (size_t i = 0; i < s->ncols; i++)
            if (s->cols[i].role == SML_ROLE_LABEL)
                s->cols[i].role = SML_ROLE_FEATURE;
        sml_schema_col *c = &s->cols[l];
        c->role = SML_ROLE_LABEL;
        s->label = l;
        if (c->count == 0) {
            rc = sml_fail(err, SML_EINVAL, "label column \"%s\" is missing in every sampled row", label);
            goto fail;
        }
        s->task = ov->task;
        if (s->task == SML_TASK_AUTO)
            s->task = (!c->distinct_capped && c->distinct == 2) ? SML_TASK_CLASSIFICATION : SML_TASK_REGRESSION;
        if (s->task == SML_TASK_CLASSIFICATION) {
            if (c->distinct != 2 || c->distinct_capped) {
                rc = sml_fail(err, SML_EINVAL,
                              "label \"%s\" has %llu distinct values; classification needs exactly 2", label,
                              (unsigned long long)c->distinct);
                goto fail;
            }
            char *lo, *hi;
            if ((rc = two_values(&inf->cols[l], &lo, &hi)) != 0) {
                rc = sml_fail(err, rc, "out of memory");
                goto fail;
            }
            int p = sml_positive_class(lo, hi);
            s->positive = p ? hi : lo;
            s->negative = p ? lo : hi;
        } else if (c->type != SML_TYPE_NUM) {
            rc = sml_fail(err, SML_EINVAL, "label \"%s\" is not numeric, so it cannot be a regression target", label);
            goto fail;
        }
    }
    *out = s;
    return 0;
nomem:
    rc = sml_fail(err, SML_ENOMEM, "out of memory");
fail:
    sml_schema_free(s);
    return rc;
}

void sml_schema_free(sml_schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncols; i++) {
        sml_schema_col *c = &s->cols[i];
        free(c->name);
        for (size_t k = 0; k < c->ntop; k++)
            free(c->top[k]);
        free(c->top);
        free(c->top_count);
    }
    free(s->cols);
    free(s->positive);
    free(s->negative);
    free(s);
}

int sml_schema_find(const sml_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------ JSON */

static const char *type_name(sml_type t) { return t == SML_TYPE_NUM ? "numeric" : "categorical"; }
static const char *role_names[] = {"feature", "label", "weight", "ignore"};
static const char *task_names[] = {"auto", "regression", "classification"};

int sml_schema_write_json(const sml_schema *s, char **out, size_t *len, sml_error *err)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    int rc = 0;
    rc |= sml_strbuf_addf(&sb, "{\n  \"rows_sampled\": %llu,\n  \"bad_rows\": %llu,\n", (unsigned long long)s->rows,
                          (unsigned long long)s->bad_rows);
    if (s->label >= 0) {
        rc |= sml_strbuf_adds(&sb, "  \"label\": ");
        rc |= sml_strbuf_add_json_str(&sb, s->cols[s->label].name, strlen(s->cols[s->label].name));
        rc |= sml_strbuf_addf(&sb, ",\n  \"task\": \"%s\",\n", task_names[s->task]);
        if (s->positive) {
            rc |= sml_strbuf_adds(&sb, "  \"positive\": ");
            rc |= sml_strbuf_add_json_str(&sb, s->positive, strlen(s->positive));
            rc |= sml_strbuf_adds(&sb, ",\n  \"negative\": ");
            rc |= sml_strbuf_add_json_str(&sb, s->negative, strlen(s->negative));
            rc |= sml_strbuf_adds(&sb, ",\n");
        }
    }
    rc |= sml_strbuf_adds(&sb, "  \"columns\": [");
    for (size_t i = 0; i < s->ncols; i++) {
        const sml_schema_col *c = &s->cols[i];
        rc |= sml_strbuf_adds(&sb, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
        rc |= sml_strbuf_add_json_str(&sb, c->name, strlen(c->name));
        rc |= sml_strbuf_addf(&sb, ", \"type\": \"%s\", \"role\": \"%s\", \"count\": %llu, \"missing\": %llu, "
                                   "\"distinct\": %llu%s",
                              type_name(c->type), role_names[c->role], (unsigned long long)c->count,
                              (unsigned long long)c->missing, (unsigned long long)c->distinct,
                              c->distinct_capped ? ", \"distinct_capped\": true" : "");
        if (c->type == SML_TYPE_NUM) {
            rc |= sml_strbuf_adds(&sb, ", \"min\": ");
            rc |= sml_strbuf_add_json_double(&sb, c->min);
            rc |= sml_strbuf_adds(&sb, ", \"max\": ");
            rc |= sml_strbuf_add_json_double(&sb, c->max);
            rc |= sml_strbuf_adds(&sb, ", \"mean\": ");
            rc |= sml_strbuf_add_json_double(&sb, c->mean);
            rc |= sml_strbuf_adds(&sb, ", \"sd\": ");
            rc |= sml_strbuf_add_json_double(&sb, c->sd);
            rc |= sml_strbuf_addf(&sb, ", \"integer\": %s", c->all_integer ? "true" : "false");
        }
        rc |= sml_strbuf_adds(&sb, ", \"top\": [");
        for (size_t k = 0; k < c->ntop; k++) {
            rc |= sml_strbuf_adds(&sb, k ? ", [" : "[");
            rc |= sml_strbuf_add_json_str(&sb, c->top[k], strlen(c->top[k]));
            rc |= sml_strbuf_addf(&sb, ", %llu]", (unsigned long long)c->top_count[k]);
        }
        rc |= sml_strbuf_adds(&sb, "]}");
    }
    rc |= sml_strbuf_adds(&sb, "\n  ]\n}\n");
    if (rc) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    *out = sb.buf;
    if (len)
        *len = sb.len;
    return 0;
}

static int lookup(const char *v, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0)
            return (int)i;
    return -1;
}

int sml_schema_read_json(const char *text, size_t len, const char *source, sml_schema **out, sml_error *err)
{
    int rc = 0;
    sml_schema *s = NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    *out = NULL;
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        return sml_fail(err, SML_EPARSE, "%s: offset %ld: not valid JSON", source, off);
    }
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(root, "columns");
    if (!cJSON_IsArray(cols)) {
        rc = sml_fail(err, SML_EFORMAT, "%s: expected an object with a \"columns\" array", source);
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(cols);
    s = calloc(1, sizeof *s);
    if (!s || !(s->cols = calloc(n ? n : 1, sizeof *s->cols))) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto out;
    }
    s->label = s->weight = -1;
    const cJSON *c;
    cJSON_ArrayForEach(c, cols)
    {
        size_t i = s->ncols;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(c, "role");
        if (!cJSON_IsString(name) || !name->valuestring[0]) {
            rc = sml_fail(err, SML_EFORMAT, "%s: columns[%zu]: \"name\" must be a non-empty string", source, i);
            goto out;
        }
        sml_schema_col *col = &s->cols[s->ncols++];
        col->name = strdup(name->valuestring);
        col->min = col->max = col->mean = col->sd = NAN;
        if (!col->name) {
            rc = sml_fail(err, SML_ENOMEM, "out of memory");
            goto out;
        }
        if (sml_schema_find(s, col->name) != (int)i) {
            rc = sml_fail(err, SML_EFORMAT, "%s: column \"%s\" appears twice", source, col->name);
            goto out;
        }
        int t = -1;
        if (cJSON_IsString(type))
            t = strcmp(type->valuestring, "numeric") == 0 ? SML_TYPE_NUM
                : strcmp(type->valuestring, "categorical") == 0 ? SML_TYPE_STR
                                                                 : -1;
        if (t < 0) {
            rc = sml_fail(err, SML_EFORMAT, "%s: column \"%s\": \"type\" must be \"numeric\" or \"categorical\"",
                          source, col->name);
            goto out;
        }
        col->type = (sml_type)t;
        col->type_overridden = 1;
        if (role) {
            int r = cJSON_IsString(role) ? lookup(role->valuestring, role_names, 4) : -1;
            if (r < 0) {
                rc = sml_fail(err, SML_EFORMAT, "%s: column \"%s\": \"role\" must be feature, label, weight or ignore",
                              source, col->name);
                goto out;
            }
            col->role = (sml_role)r;
            if (r == SML_ROLE_LABEL)
                s->label = (int)i;
            if (r == SML_ROLE_WEIGHT)
                s->weight = (int)i;
        }
    }
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(root, "task");
    if (cJSON_IsString(task)) {
        int t = lookup(task->valuestring, task_names, 3);
        if (t < 0) {
            rc = sml_fail(err, SML_EFORMAT, "%s: \"task\" must be auto, regression or classification", source);
            goto out;
        }
        s->task = (sml_task)t;
    }
out:
    cJSON_Delete(root);
    if (rc) {
        sml_schema_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int sml_schema_copy(const sml_schema *src, sml_schema **out, sml_error *err)
{
    char *json;
    size_t len;
    int rc = sml_schema_write_json(src, &json, &len, err);
    if (rc)
        return rc;
    /* the JSON form keeps every field the copy needs except exact doubles of non-shortest form, which
     * sml_format_double round-trips */
    rc = sml_schema_read_json(json, len, "schema", out, err);
    free(json);
    if (rc)
        return rc;
    sml_schema *s = *out;
    s->rows = src->rows;
    s->bad_rows = src->bad_rows;
    s->label = src->label;
    s->weight = src->weight;
    s->task = src->task;
    for (size_t i = 0; i < s->ncols; i++) {
        const sml_schema_col *a = &src->cols[i];
        sml_schema_col *c = &s->cols[i];
        c->type_overridden = a->type_overridden;
        c->count = a->count;
        c->missing = a->missing;
        c->distinct = a->distinct;
        c->distinct_capped = a->distinct_capped;
        c->all_integer = a->all_integer;
        c->min = a->min;
        c->max = a->max;
        c->mean = a->mean;
        c->sd = a->sd;
    }
    if ((src->positive && !(s->positive = strdup(src->positive))) ||
        (src->negative && !(s->negative = strdup(src->negative)))) {
        sml_schema_free(s);
        *out = NULL;
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    return 0;
}
