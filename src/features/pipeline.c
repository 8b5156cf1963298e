/*
 * The fitted feature pipeline (features stage): record batches -> sparse examples. See
 * include/streamml/pipeline.h. The same transform serves fit, predict, the stream and the HTTP service; its
 * parameters (scalers, imputation values, vocabularies, hashing) are fitted here and saved in the model.
 */
#include "streamml/pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "features/features_int.h"
#include "streamml/num.h"

#define NONE UINT32_MAX
#define MAX_FEATURES (1u << 30)

typedef enum { COL_NUM = 0, COL_ONEHOT = 1, COL_HASH = 2 } col_kind;

typedef struct pcol {
    char *name;
    col_kind kind;
    /* numeric: x' = (x - shift) * scale, missing x = fill */
    double fill, shift, scale;
    uint32_t index, ind_index;
    /* one-hot */
    sml_strmap vocab; /* value -> feature index */
    uint32_t nvocab;
    char **values;    /* by position in the block */
    uint32_t unknown_index, missing_index;
    /* hashing */
    uint32_t name_seed;
} pcol;

typedef struct hash_name {
    uint32_t slot;
    char *name;
} hash_name;

struct sml_pipeline {
    size_t ncols; /* feature columns = the first ncols inputs */
    pcol *cols;
    size_t ninputs;
    char **in_names;
    sml_type *in_types;
    uint8_t *in_optional;
    int label_input, weight_input;
    sml_task task;
    char *positive, *negative;
    double pos_num, neg_num; /* numeric label classes */
    uint32_t dim;
    uint32_t hash_base, hash_bits, hash_seed;
    int hash_signed, has_hash;
    size_t ninter;
    uint32_t (*inter)[2]; /* feature-column index pairs */
    sml_scaling scaling;
    sml_imputation impute;
    hash_name *hnames; /* training names of hashed features, sorted by slot */
    size_t nhnames;
};

/* ------------------------------------------------------------------ fitter */

typedef struct col_stats {
    uint64_t count, missing, nfinite;
    double mean, m2, min, max;
    double *values; /* for the median */
    size_t nvalues, values_cap;
    sml_strmap counts_map; /* categorical value -> index in counts */
    uint64_t *counts;
    size_t counts_cap;
} col_stats;

struct sml_pipeline_fitter {
    sml_pipeline *p;
    sml_pipeline_opts opts;
    col_stats *stats;
    int *force_hash;
    size_t ncols;            /* feature columns (stats entries) */
};

static void pcol_release(pcol *c)
{
    free(c->name);
    sml_strmap_release(&c->vocab);
    for (uint32_t i = 0; c->values && i < c->nvocab; i++)
        free(c->values[i]);
    free(c->values);
}

void sml_pipeline_free(sml_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ncols; i++)
        pcol_release(&p->cols[i]);
    free(p->cols);
    for (size_t i = 0; i < p->ninputs; i++)
        free(p->in_names[i]);
    free(p->in_names);
    free(p->in_types);
    free(p->in_optional);
    free(p->positive);
    free(p->negative);
    free(p->inter);
    for (size_t i = 0; i < p->nhnames; i++)
        free(p->hnames[i].name);
    free(p->hnames);
    free(p);
}

void sml_pipeline_fitter_free(sml_pipeline_fitter *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->stats && i < f->ncols; i++) {
        free(f->stats[i].values);
        sml_strmap_release(&f->stats[i].counts_map);
        free(f->stats[i].counts);
    }
    free(f->stats);
    free(f->force_hash);
    sml_pipeline_free(f->p);
    free(f);
}

static int in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static int find_col(const sml_pipeline *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->ncols; i++)
        if (strlen(p->cols[i].name) == len && memcmp(p->cols[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Input layout shared by fitter and decoder: feature columns, then label, then weight. */
static int alloc_inputs(sml_pipeline *p, size_t n)
{
    p->ninputs = n;
    p->in_names = calloc(n ? n : 1, sizeof *p->in_names);
    p->in_types = calloc(n ? n : 1, sizeof *p->in_types);
    p->in_optional = calloc(n ? n : 1, 1);
    return p->in_names && p->in_types && p->in_optional ? 0 : SML_ENOMEM;
}

static int parse_interactions(sml_pipeline *p, const char *const *list, sml_error *err)
{
    size_t n = 0;
    for (const char *const *l = list; l && *l; l++)
        n++;
    if (!n)
        return 0;
    p->inter = calloc(n, sizeof *p->inter);
    if (!p->inter)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const char *s = list[k], *colon = strchr(s, ':');
        int a = colon ? find_col(p, s, (size_t)(colon - s)) : -1;
        int b = colon ? find_col(p, colon + 1, strlen(colon + 1)) : -1;
        if (!colon)
            return sml_fail(err, SML_EINVAL, "interaction \"%s\": expected two columns as A:B", s);
        if (a < 0 || b < 0)
            return sml_fail(err, SML_ENOTFOUND, "interaction \"%s\": no feature column \"%.*s\"", s,
                            a < 0 ? (int)(colon - s) : (int)strlen(colon + 1), a < 0 ? s : colon + 1);
        p->inter[p->ninter][0] = (uint32_t)a;
        p->inter[p->ninter][1] = (uint32_t)b;
        p->ninter++;
    }
    return 0;
}

int sml_pipeline_fitter_new(const sml_schema *s, const sml_pipeline_opts *opts, sml_pipeline_fitter **out,
                            sml_error *err)
{
    static const sml_pipeline_opts defaults = SML_PIPELINE_OPTS_INIT;
    sml_pipeline_fitter *f = calloc(1, sizeof *f);
    int rc = 0;
    *out = NULL;
    if (!f || !(f->p = calloc(1, sizeof *f->p)))
        goto nomem;
    f->opts = opts ? *opts : defaults;
    if (f->opts.hash_bits < 1 || f->opts.hash_bits > 28) {
        rc = sml_fail(err, SML_ERANGE, "hash_bits must be in 1..28, got %u", f->opts.hash_bits);
        goto fail;
    }
    sml_pipeline *p = f->p;
    p->label_input = p->weight_input = -1;
    p->scaling = f->opts.scaling;
    p->impute = f->opts.impute;
    p->hash_bits = f->opts.hash_bits;
    p->hash_seed = f->opts.hash_seed;
    p->hash_signed = f->opts.hash_signed;
    size_t nfeat = 0;
    for (size_t i = 0; i < s->ncols; i++)
        nfeat += s->cols[i].role == SML_ROLE_FEATURE;
    size_t nin = nfeat + (s->label >= 0) + (s->weight >= 0);
    p->cols = calloc(nfeat ? nfeat : 1, sizeof *p->cols);
    f->stats = calloc(nfeat ? nfeat : 1, sizeof *f->stats);
    f->force_hash = calloc(nfeat ? nfeat : 1, sizeof *f->force_hash);
    if (!p->cols || !f->stats || !f->force_hash || alloc_inputs(p, nin))
        goto nomem;
    for (const char *const *h = f->opts.hash_columns; h && *h; h++) {
        int k = sml_schema_find(s, *h);
        if (k < 0 || s->cols[k].role != SML_ROLE_FEATURE) {
            rc = sml_fail(err, SML_ENOTFOUND, "hashed column \"%s\" is not a feature column", *h);
            goto fail;
        }
    }
    for (size_t i = 0; i < s->ncols; i++) {
        const sml_schema_col *sc = &s->cols[i];
        if (sc->role != SML_ROLE_FEATURE)
            continue;
        size_t k = p->ncols++;
        f->ncols = p->ncols;
        pcol *c = &p->cols[k];
        if (!(c->name = strdup(sc->name)) || !(p->in_names[k] = strdup(sc->name)))
            goto nomem;
        c->kind = sc->type == SML_TYPE_NUM ? COL_NUM : COL_ONEHOT;
        c->index = c->ind_index = c->unknown_index = c->missing_index = NONE;
        p->in_types[k] = sc->type;
        f->stats[k].min = INFINITY;
        f->stats[k].max = -INFINITY;
        if (in_list(f->opts.hash_columns, sc->name)) {
            if (sc->type == SML_TYPE_NUM) {
                rc = sml_fail(err, SML_EINVAL, "column \"%s\" is numeric; only categorical columns can be hashed",
                              sc->name);
                goto fail;
            }
            f->force_hash[k] = 1;
        }
    }
    size_t k = p->ncols;
    if (s->label >= 0) {
        const sml_schema_col *lc = &s->cols[s->label];
        if (!(p->in_names[k] = strdup(lc->name)))
            goto nomem;
        p->in_types[k] = lc->type;
        p->in_optional[k] = 1;
        p->label_input = (int)k++;
        p->task = s->task == SML_TASK_AUTO ? SML_TASK_REGRESSION : s->task;
        if (p->task == SML_TASK_CLASSIFICATION) {
            if (!s->positive || !s->negative) {
                rc = sml_fail(err, SML_EINVAL, "classification label \"%s\" has no class mapping", lc->name);
                goto fail;
            }
            if (!(p->positive = strdup(s->positive)) || !(p->negative = strdup(s->negative)))
                goto nomem;
            if (lc->type == SML_TYPE_NUM &&
                (sml_parse_double(p->positive, strlen(p->positive), &p->pos_num) != 0 ||
                 sml_parse_double(p->negative, strlen(p->negative), &p->neg_num) != 0)) {
                rc = sml_fail(err, SML_EINVAL, "numeric label \"%s\": classes \"%s\"/\"%s\" are not numbers",
                              lc->name, p->positive, p->negative);
                goto fail;
            }
        }
    }
    if (s->weight >= 0) {
        if (!(p->in_names[k] = strdup(s->cols[s->weight].name)))
            goto nomem;
        p->in_types[k] = SML_TYPE_NUM;
        p->in_optional[k] = 1;
        p->weight_input = (int)k++;
    }
    if ((rc = parse_interactions(p, f->opts.interactions, err)) != 0)
        goto fail;
    *out = f;
    return 0;
nomem:
    rc = sml_fail(err, SML_ENOMEM, "out of memory");
fail:
    sml_pipeline_fitter_free(f);
    return rc;
}

size_t sml_pipeline_inputs(const sml_pipeline *p, const char *const **names, const sml_type **types,
                           const uint8_t **optional)
{
    if (names)
        *names = (const char *const *)p->in_names;
    if (types)
        *types = p->in_types;
    if (optional)
        *optional = p->in_optional;
    return p->ninputs;
}

size_t sml_pipeline_fitter_inputs(const sml_pipeline_fitter *f, const char *const **names, const sml_type **types,
                                  const uint8_t **optional)
{
    return sml_pipeline_inputs(f->p, names, types, optional);
}

int sml_pipeline_fitter_add(sml_pipeline_fitter *f, const sml_batch *b, const uint8_t *mask, sml_error *err)
{
    sml_pipeline *p = f->p;
    if (b->ncols < p->ninputs)
        return sml_fail(err, SML_EINVAL, "batch has %zu columns, the pipeline needs %zu", b->ncols, p->ninputs);
    for (size_t k = 0; k < p->ncols; k++) {
        const sml_column *col = &b->cols[k];
        col_stats *st = &f->stats[k];
        int want_values = p->impute == SML_IMPUTE_MEDIAN;
        for (size_t i = 0; i < b->nrows; i++) {
            if (mask && !mask[i])
                continue;
            if (col->missing[i]) {
                st->missing++;
                continue;
            }
            st->count++;
            if (p->cols[k].kind == COL_NUM) {
                double v = col->num[i];
                if (!isfinite(v))
                    continue; /* NaN/Inf rows are never learned from; keep them out of the statistics */
                st->nfinite++;
                double d = v - st->mean;
                st->mean += d / (double)st->nfinite;
                st->m2 += d * (v - st->mean);
                if (v < st->min)
                    st->min = v;
                if (v > st->max)
                    st->max = v;
                if (want_values) {
                    if (st->nvalues == st->values_cap) {
                        size_t cap = st->values_cap ? 2 * st->values_cap : 1024;
                        double *nv = realloc(st->values, cap * sizeof *nv);
                        if (!nv)
                            return sml_fail(err, SML_ENOMEM, "out of memory");
                        st->values = nv;
                        st->values_cap = cap;
                    }
                    st->values[st->nvalues++] = v;
                }
            } else {
                int inserted;
                uint32_t *idx = sml_strmap_put(&st->counts_map, b->strings + col->str_off[i], col->str_len[i],
                                               (uint32_t)st->counts_map.len, &inserted);
                if (!idx)
                    return sml_fail(err, SML_ENOMEM, "out of memory");
                if (inserted) {
                    if (st->counts_map.len > st->counts_cap) {
                        size_t cap = st->counts_cap ? 2 * st->counts_cap : 64;
                        uint64_t *nc = realloc(st->counts, cap * sizeof *nc);
                        if (!nc)
                            return sml_fail(err, SML_ENOMEM, "out of memory");
                        st->counts = nc;
                        st->counts_cap = cap;
                    }
                    st->counts[*idx] = 0;
                }
                st->counts[*idx]++;
            }
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct vc {
    const char *s;
    size_t len;
    uint64_t count;
} vc;

static int cmp_vc(const void *a, const void *b)
{
    const vc *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int cmp_hname(const void *a, const void *b)
{
    const hash_name *x = a, *y = b;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int fit_numeric(sml_pipeline_fitter *f, size_t k, uint32_t *next)
{
    sml_pipeline *p = f->p;
    pcol *c = &p->cols[k];
    col_stats *st = &f->stats[k];
    double mean = st->nfinite ? st->mean : 0;
    double sd = st->nfinite ? sqrt(st->m2 / (double)st->nfinite) : 0; /* population sd, as StandardScaler */
    switch (p->impute) {
    case SML_IMPUTE_MEAN: c->fill = mean; break;
    case SML_IMPUTE_CONSTANT: c->fill = f->opts.impute_constant; break;
    case SML_IMPUTE_MEDIAN:
        if (st->nvalues) {
            qsort(st->values, st->nvalues, sizeof *st->values, cmp_double);
            size_t m = st->nvalues / 2;
            c->fill = st->nvalues % 2 ? st->values[m] : 0.5 * (st->values[m - 1] + st->values[m]);
        } else {
            c->fill = 0;
        }
        break;
    }
    switch (p->scaling) {
    case SML_SCALE_STANDARD:
        c->shift = mean;
        c->scale = sd > 0 ? 1.0 / sd : 1.0; /* a constant column becomes 0, as StandardScaler does */
        break;
    case SML_SCALE_MINMAX:
        c->shift = st->nfinite ? st->min : 0;
        c->scale = st->nfinite && st->max > st->min ? 1.0 / (st->max - st->min) : 1.0;
        break;
    case SML_SCALE_NONE:
        c->shift = 0;
        c->scale = 1;
        break;
    }
    c->index = (*next)++;
    if (f->opts.missing_indicator == 1 || (f->opts.missing_indicator < 0 && st->missing > 0))
        c->ind_index = (*next)++;
    return 0;
}

static int fit_onehot(sml_pipeline_fitter *f, size_t k, uint32_t *next)
{
    sml_pipeline *p = f->p;
    pcol *c = &p->cols[k];
    col_stats *st = &f->stats[k];
    size_t n = st->counts_map.len, kept = 0;
    vc *items = malloc((n ? n : 1) * sizeof *items);
    if (!items)
        return SML_ENOMEM;
    for (size_t s = 0; s < st->counts_map.cap; s++) {
        if (!st->counts_map.hashes[s])
            continue;
        vc *it = &items[kept];
        it->s = sml_strmap_key(&st->counts_map, s, &it->len);
        it->count = st->counts[st->counts_map.values[s]];
        if (it->count >= f->opts.min_count)
            kept++;
    }
    qsort(items, kept, sizeof *items, cmp_vc);
    if (f->opts.top_k && kept > f->opts.top_k)
        kept = f->opts.top_k;
    c->values = calloc(kept ? kept : 1, sizeof *c->values);
    if (!c->values) {
        free(items);
        return SML_ENOMEM;
    }
    for (size_t i = 0; i < kept; i++) {
        c->values[i] = strndup(items[i].s, items[i].len);
        if (!c->values[i] || !sml_strmap_put(&c->vocab, items[i].s, items[i].len, *next + (uint32_t)i, NULL)) {
            c->nvocab = (uint32_t)i + (c->values[i] != NULL);
            free(items);
            return SML_ENOMEM;
        }
    }
    c->nvocab = (uint32_t)kept;
    *next += (uint32_t)kept;
    c->unknown_index = (*next)++;
    if (f->opts.missing_indicator == 1 || (f->opts.missing_indicator < 0 && st->missing > 0))
        c->missing_index = (*next)++;
    free(items);
    return 0;
}

int sml_pipeline_fitter_finish(sml_pipeline_fitter *f, sml_pipeline **out, sml_error *err)
{
    sml_pipeline *p = f->p;
    uint32_t next = 0;
    int rc;
    *out = NULL;
    for (size_t k = 0; k < p->ncols; k++) {
        pcol *c = &p->cols[k];
        if (c->kind == COL_ONEHOT && (f->force_hash[k] || f->stats[k].counts_map.len > f->opts.max_onehot))
            c->kind = COL_HASH;
        if (c->kind == COL_NUM)
            rc = fit_numeric(f, k, &next);
        else if (c->kind == COL_ONEHOT)
            rc = fit_onehot(f, k, &next);
        else {
            c->name_seed = sml_murmur3_32(c->name, strlen(c->name), p->hash_seed);
            p->has_hash = 1;
            rc = 0;
        }
        if (rc)
            return sml_fail(err, rc, "out of memory fitting the pipeline");
        if (next > MAX_FEATURES)
            return sml_fail(err, SML_ERANGE, "too many features (more than %u)", MAX_FEATURES);
    }
    if (p->ninter)
        p->has_hash = 1;
    p->hash_base = next;
    p->dim = next + (p->has_hash ? (1u << p->hash_bits) : 0);
    /* names of the hashed training values, for inspect's collision report (capped) */
    size_t nh = 0, cap_names = 1u << 20;
    for (size_t k = 0; k < p->ncols; k++)
        if (p->cols[k].kind == COL_HASH)
            nh += f->stats[k].counts_map.len;
    if (nh > cap_names)
        nh = cap_names;
    if (nh && !(p->hnames = calloc(nh, sizeof *p->hnames)))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    for (size_t k = 0; k < p->ncols && p->nhnames < nh; k++) {
        pcol *c = &p->cols[k];
        if (c->kind != COL_HASH)
            continue;
        sml_strmap *m = &f->stats[k].counts_map;
        for (size_t s = 0; s < m->cap && p->nhnames < nh; s++) {
            if (!m->hashes[s])
                continue;
            size_t len;
            const char *v = sml_strmap_key(m, s, &len);
            uint32_t h = sml_murmur3_32(v, len, c->name_seed);
            sml_strbuf sb = SML_STRBUF_INIT;
            if (sml_strbuf_addf(&sb, "%s=%.*s", c->name, (int)len, v))
                return sml_fail(err, SML_ENOMEM, "out of memory");
            p->hnames[p->nhnames].slot = h & ((1u << p->hash_bits) - 1);
            p->hnames[p->nhnames++].name = sb.buf;
        }
    }
    if (p->nhnames)
        qsort(p->hnames, p->nhnames, sizeof *p->hnames, cmp_hname);
    *out = p;
    f->p = NULL; /* the fitter keeps only its statistics */
    return 0;
}

/* ------------------------------------------------------------------ metadata */

size_t sml_pipeline_dim(const sml_pipeline *p) { return p->dim; }

const char *sml_pipeline_label(const sml_pipeline *p, sml_task *task, const char **positive, const char **negative)
{
    if (task)
        *task = p->task;
    if (positive)
        *positive = p->positive;
    if (negative)
        *negative = p->negative;
    return p->label_input >= 0 ? p->in_names[p->label_input] : NULL;
}

size_t sml_pipeline_feature_key(const sml_pipeline *p, size_t i, char *buf, size_t cap)
{
    if (i >= p->hash_base && cap) {
        int n = snprintf(buf, cap, "hash:%u", (unsigned)(i - p->hash_base));
        return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    }
    return sml_pipeline_feature_name(p, i, buf, cap);
}

size_t sml_pipeline_feature_name(const sml_pipeline *p, size_t i, char *buf, size_t cap)
{
    int n = 0;
    if (cap == 0)
        return 0;
    if (i >= p->hash_base) {
        uint32_t slot = (uint32_t)(i - p->hash_base);
        /* the first training name hashed there, if any */
        size_t lo = 0, hi = p->nhnames;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (p->hnames[mid].slot < slot)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < p->nhnames && p->hnames[lo].slot == slot) {
            size_t more = 0;
            while (lo + 1 + more < p->nhnames && p->hnames[lo + 1 + more].slot == slot)
                more++;
            n = more ? snprintf(buf, cap, "hash:%u (%s +%zu)", slot, p->hnames[lo].name, more)
                     : snprintf(buf, cap, "hash:%u (%s)", slot, p->hnames[lo].name);
        } else {
            n = snprintf(buf, cap, "hash:%u", slot);
        }
        return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    }
    for (size_t k = 0; k < p->ncols; k++) {
        const pcol *c = &p->cols[k];
        if (c->kind == COL_NUM && c->index == i)
            n = snprintf(buf, cap, "%s", c->name);
        else if (c->kind == COL_NUM && c->ind_index == i)
            n = snprintf(buf, cap, "%s:missing", c->name);
        else if (c->kind == COL_ONEHOT && c->unknown_index == i)
            n = snprintf(buf, cap, "%s=<unknown>", c->name);
        else if (c->kind == COL_ONEHOT && c->missing_index == i)
            n = snprintf(buf, cap, "%s=<missing>", c->name);
        else if (c->kind == COL_ONEHOT && c->nvocab && i >= c->unknown_index - c->nvocab && i < c->unknown_index)
            n = snprintf(buf, cap, "%s=%s", c->name, c->values[i - (c->unknown_index - c->nvocab)]);
        else
            continue;
        return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    }
    n = snprintf(buf, cap, "f%zu", i);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

void sml_pipeline_hash_collisions(const sml_pipeline *p, uint64_t *names, uint64_t *slots_shared)
{
    uint64_t n = 0, shared = 0;
    for (size_t i = 0; i < p->nhnames; i++) {
        if (i + 1 < p->nhnames && p->hnames[i + 1].slot == p->hnames[i].slot) {
            size_t j = i;
            while (j + 1 < p->nhnames && p->hnames[j + 1].slot == p->hnames[i].slot)
                j++;
            shared++;
            n += j - i + 1;
            i = j;
        }
    }
    *names = n;
    *slots_shared = shared;
}

/* ------------------------------------------------------------------ transform */

void sml_examples_release(sml_examples *ex)
{
    free(ex->row_ptr);
    free(ex->idx);
    free(ex->val);
    free(ex->y);
    free(ex->w);
    free(ex->flags);
    memset(ex, 0, sizeof *ex);
}

static int ex_reserve_rows(sml_examples *ex, size_t rows)
{
    if (rows <= ex->rows_cap && ex->row_ptr)
        return 0;
    size_t cap = ex->rows_cap ? ex->rows_cap : 1024;
    while (cap < rows)
        cap *= 2;
    uint64_t *rp = realloc(ex->row_ptr, (cap + 1) * sizeof *rp);
    if (!rp)
        return SML_ENOMEM;
    ex->row_ptr = rp;
    double *y = realloc(ex->y, cap * sizeof *y);
    if (!y)
        return SML_ENOMEM;
    ex->y = y;
    double *w = realloc(ex->w, cap * sizeof *w);
    if (!w)
        return SML_ENOMEM;
    ex->w = w;
    uint8_t *fl = realloc(ex->flags, cap);
    if (!fl)
        return SML_ENOMEM;
    ex->flags = fl;
    ex->rows_cap = cap;
    return 0;
}

static int ex_reserve_nnz(sml_examples *ex, size_t nnz)
{
    if (nnz <= ex->nnz_cap && ex->idx)
        return 0;
    size_t cap = ex->nnz_cap ? ex->nnz_cap : 4096;
    while (cap < nnz)
        cap *= 2;
    uint32_t *idx = realloc(ex->idx, cap * sizeof *idx);
    if (!idx)
        return SML_ENOMEM;
    ex->idx = idx;
    double *val = realloc(ex->val, cap * sizeof *val);
    if (!val)
        return SML_ENOMEM;
    ex->val = val;
    ex->nnz_cap = cap;
    return 0;
}

/* Most features a row can produce: per numeric 2, per one-hot 1, per hashed 1, per interaction 1. */
static size_t max_row_nnz(const sml_pipeline *p) { return 2 * p->ncols + p->ninter + 1; }

static inline void hashed(const sml_pipeline *p, uint32_t h, double v, uint32_t *idx, double *val)
{
    *idx = p->hash_base + (h & ((1u << p->hash_bits) - 1));
    *val = (p->hash_signed && (h >> 31)) ? -v : v;
}

/* murmur3 of the short strings of one hashed column, remembered for the length of one call: categorical columns
 * repeat a few values, and a lookup (the string's bytes as two words) costs less than hashing them again. Exact:
 * a slot answers only for the very same bytes. Two ways per set, the most recent first. */
#define HCACHE_SETS 128
typedef struct hcache_slot {
    uint64_t w0, w1;
    uint32_t len, h;
} hcache_slot;

static inline uint32_t hash_cached(hcache_slot (*cache)[2], const sml_batch *b, uint32_t off, size_t len,
                                   uint32_t seed)
{
    const char *s = b->strings + off;
    if (len > 16 || (size_t)off + 16 > b->strings_cap)
        return sml_murmur3_32(s, len, seed);
    uint64_t w0, w1; /* the bytes past the string (inside the arena) are masked off */
    memcpy(&w0, s, 8);
    memcpy(&w1, s + 8, 8);
    w0 &= len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
    w1 &= len >= 16 ? ~0ull : len <= 8 ? 0 : (1ull << (8 * (len - 8))) - 1;
    hcache_slot *set = cache[((w0 ^ (w1 * 0x9e3779b97f4a7c15ull) ^ len) * 0xff51afd7ed558ccdull) >> 57];
    /* which way holds the string is up to the data: select without a branch, branch only on a miss */
    int in0 = ((set[0].w0 ^ w0) | (set[0].w1 ^ w1) | (set[0].len ^ len)) == 0;
    int in1 = ((set[1].w0 ^ w0) | (set[1].w1 ^ w1) | (set[1].len ^ len)) == 0;
    uint32_t h = in0 ? set[0].h : set[1].h;
    if (in0 | in1)
        return h;
    set[1] = set[0];
    set[0].w0 = w0;
    set[0].w1 = w1;
    set[0].len = (uint32_t)len;
    set[0].h = sml_murmur3_32(s, len, seed);
    return set[0].h;
}

/* The common shape (no row mask, no interactions, no missing-value indicators): every row has exactly one entry
 * per feature column, so the batch is filled column by column, then row by row for label, weight and flags. The
 * same values, indices, order and flags as the general loop below, which then adds the rest of each row. */
#define BLOCK_ROWS 64   /* rows filled column by column at a time: their entries stay in the L1 cache */
#define CACHED_COLS 4   /* hashed columns with a cache (on the stack); later ones hash every value */

static void transform_columns(const sml_pipeline *p, const sml_batch *b, sml_examples *ex)
{
    const size_t nc = p->ncols, n = b->nrows, r0 = ex->nrows, nz0 = ex->nnz;
    /* hashed()'s parameters, held in locals (stores through the output pointers could alias p) */
    const uint32_t hash_base = p->hash_base, hash_mask = (1u << p->hash_bits) - 1;
    const int hash_signed = p->hash_signed;
    hcache_slot cache[CACHED_COLS][HCACHE_SETS][2];
    size_t ncached = 0;
    for (size_t k = 0; k < nc; k++)
        ncached += p->cols[k].kind == COL_HASH;
    if (ncached > CACHED_COLS)
        ncached = CACHED_COLS;
    memset(cache, 0xff, ncached * sizeof cache[0]);
    memset(ex->flags + r0, 0, n);
    for (size_t i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
        const size_t i1 = n - i0 < BLOCK_ROWS ? n : i0 + BLOCK_ROWS;
        uint32_t *const idx = ex->idx + nz0;
        double *const val = ex->val + nz0;
        uint8_t *const flags = ex->flags + r0;
        size_t hashed_cols = 0;
        for (size_t k = 0; k < nc; k++) {
            const pcol *c = &p->cols[k];
            const sml_column *col = &b->cols[k];
            const uint8_t *miss = col->missing;
            if (c->kind == COL_NUM) {
                const double *num = col->num, fill = c->fill, shift = c->shift, scale = c->scale;
                const uint32_t j = c->index;
                int bad = 0;
                for (size_t i = i0; i < i1; i++) {
                    double x = miss[i] ? fill : num[i];
                    bad |= !isfinite(x);
                    idx[i * nc + k] = j;
                    val[i * nc + k] = (x - shift) * scale;
                }
                for (size_t i = i0; bad && i < i1; i++) /* rare: flag the rows */
                    if (!isfinite(miss[i] ? fill : num[i]))
                        flags[i] |= SML_EX_BAD_X;
            } else if (c->kind == COL_ONEHOT) {
                const uint32_t jm = c->missing_index != NONE ? c->missing_index : c->unknown_index;
                for (size_t i = i0; i < i1; i++) {
                    uint32_t j = jm;
                    if (!miss[i]) {
                        const uint32_t *v = sml_strmap_get(&c->vocab, b->strings + col->str_off[i], col->str_len[i]);
                        j = v ? *v : c->unknown_index;
                    }
                    idx[i * nc + k] = j;
                    val[i * nc + k] = 1.0;
                }
            } else {
                uint32_t jm;
                double vm;
                hashed(p, sml_murmur3_32("", 0, c->name_seed ^ 0x5bd1e995u), 1.0, &jm, &vm);
                hcache_slot(*hc)[2] = hashed_cols < CACHED_COLS ? cache[hashed_cols] : NULL;
                hashed_cols++;
                for (size_t i = i0; i < i1; i++) {
                    if (miss[i]) {
                        idx[i * nc + k] = jm;
                        val[i * nc + k] = vm;
                    } else {
                        uint32_t h = hc ? hash_cached(hc, b, col->str_off[i], col->str_len[i], c->name_seed)
                                        : sml_murmur3_32(b->strings + col->str_off[i], col->str_len[i], c->name_seed);
                        /* hashed(), with its parameters in locals */
                        idx[i * nc + k] = hash_base + (h & hash_mask);
                        /* ±1.0 by its sign bit: the hash's top bit is a coin toss to the branch predictor */
                        uint64_t neg = (uint64_t)(hash_signed != 0) & (h >> 31);
                        uint64_t one = 0x3ff0000000000000ull | neg << 63; /* the bits of 1.0, or of -1.0 */
                        memcpy(&val[i * nc + k], &one, 8);
                    }
                }
            }
        }
    }
}

int sml_pipeline_transform_append(const sml_pipeline *p, const sml_batch *b, const uint8_t *mask, sml_examples *ex,
                                  sml_error *err)
{
    if (b->ncols < p->ninputs)
        return sml_fail(err, SML_EINVAL, "batch has %zu columns, the pipeline needs %zu", b->ncols, p->ninputs);
    for (size_t k = 0; k < p->ninputs; k++)
        if (b->cols[k].type != p->in_types[k])
            return sml_fail(err, SML_EINVAL, "column \"%s\" is %s in the batch but %s in the pipeline",
                            p->in_names[k], b->cols[k].type == SML_TYPE_NUM ? "numeric" : "text",
                            p->in_types[k] == SML_TYPE_NUM ? "numeric" : "text");
    size_t per_row = max_row_nnz(p);
    if (ex_reserve_rows(ex, ex->nrows + b->nrows) || ex_reserve_nnz(ex, ex->nnz + b->nrows * per_row))
        return sml_fail(err, SML_ENOMEM, "out of memory transforming a batch");
    uint32_t prim_idx[64];
    double prim_val[64];
    int track = p->ninter > 0 && p->ncols <= 64;
    if (ex->nrows == 0)
        ex->row_ptr[0] = 0;
    const sml_column *lc = p->label_input >= 0 ? &b->cols[p->label_input] : NULL;
    const sml_column *wc = p->weight_input >= 0 ? &b->cols[p->weight_input] : NULL;
    int by_columns = !mask && p->ninter == 0;
    for (size_t k = 0; k < p->ncols && by_columns; k++)
        by_columns = p->cols[k].kind != COL_NUM || p->cols[k].ind_index == NONE;
    if (by_columns)
        transform_columns(p, b, ex);
    for (size_t i = 0; i < b->nrows; i++) {
        if (mask && !mask[i])
            continue;
        size_t r = ex->nrows, nz = ex->nnz;
        uint8_t flags = 0;
        uint32_t *idx = ex->idx;
        double *val = ex->val;
        if (by_columns) { /* the features are in place: what the loop over them would have set */
            flags = ex->flags[r];
            nz += p->ncols;
            if ((flags & SML_EX_BAD_X) && !ex->bad_reason)
                ex->bad_reason = "a numeric feature is NaN or infinite";
        }
        for (size_t k = 0; k < p->ncols && !by_columns; k++) {
            const pcol *c = &p->cols[k];
            const sml_column *col = &b->cols[k];
            int miss = col->missing[i];
            if (c->kind == COL_NUM) {
                double x = miss ? c->fill : col->num[i];
                if (!isfinite(x)) {
                    flags |= SML_EX_BAD_X;
                    if (!ex->bad_reason)
                        ex->bad_reason = "a numeric feature is NaN or infinite";
                }
                idx[nz] = c->index;
                val[nz] = (x - c->shift) * c->scale;
                prim_idx[k & 63] = c->index;
                prim_val[k & 63] = val[nz];
                nz++;
                if (c->ind_index != NONE && miss) {
                    idx[nz] = c->ind_index;
                    val[nz++] = 1.0;
                }
            } else if (miss) {
                uint32_t j = c->kind == COL_ONEHOT ? (c->missing_index != NONE ? c->missing_index : c->unknown_index)
                                                   : NONE;
                if (c->kind == COL_HASH)
                    hashed(p, sml_murmur3_32("", 0, c->name_seed ^ 0x5bd1e995u), 1.0, &j, &val[nz]);
                else
                    val[nz] = 1.0;
                idx[nz] = j;
                prim_idx[k & 63] = j;
                prim_val[k & 63] = val[nz];
                nz++;
            } else {
                const char *s = b->strings + col->str_off[i];
                size_t len = col->str_len[i];
                if (c->kind == COL_ONEHOT) {
                    const uint32_t *v = sml_strmap_get(&c->vocab, s, len);
                    idx[nz] = v ? *v : c->unknown_index;
                    val[nz] = 1.0;
                } else {
                    hashed(p, sml_murmur3_32(s, len, c->name_seed), 1.0, &idx[nz], &val[nz]);
                }
                prim_idx[k & 63] = idx[nz];
                prim_val[k & 63] = val[nz];
                nz++;
            }
        }
        if (track) {
            for (size_t q = 0; q < p->ninter; q++) {
                uint32_t a = p->inter[q][0], bb = p->inter[q][1], key[2] = {prim_idx[a], prim_idx[bb]};
                uint32_t h = sml_murmur3_32(key, sizeof key, p->hash_seed ^ 0x9e3779b9u);
                hashed(p, h, prim_val[a] * prim_val[bb], &idx[nz], &val[nz]);
                nz++;
            }
        }
        double w = 1.0;
        if (wc && !wc->missing[i]) {
            w = wc->num[i];
            if (!(isfinite(w) && w >= 0)) {
                flags |= SML_EX_BAD_W;
                w = 0;
                if (!ex->bad_reason)
                    ex->bad_reason = "the sample weight is negative, NaN or infinite";
            }
        }
        double y = NAN;
        if (lc && !lc->missing[i]) {
            if (p->task == SML_TASK_CLASSIFICATION) {
                if (lc->type == SML_TYPE_NUM) {
                    double v = lc->num[i];
                    y = v == p->pos_num ? 1.0 : v == p->neg_num ? -1.0 : NAN;
                } else {
                    const char *s = b->strings + lc->str_off[i];
                    size_t len = lc->str_len[i];
                    y = (len == strlen(p->positive) && memcmp(s, p->positive, len) == 0)   ? 1.0
                        : (len == strlen(p->negative) && memcmp(s, p->negative, len) == 0) ? -1.0
                                                                                            : NAN;
                }
                if (isnan(y) && !ex->bad_reason)
                    ex->bad_reason = "the label is not one of the two classes the model knows";
            } else {
                y = lc->num[i];
                if (!isfinite(y) && !ex->bad_reason)
                    ex->bad_reason = "the label is NaN or infinite";
            }
            flags |= isfinite(y) ? SML_EX_LABEL : SML_EX_BAD_Y;
        }
        ex->y[r] = y;
        ex->w[r] = w;
        ex->flags[r] = flags;
        ex->nnz = nz;
        ex->row_ptr[r + 1] = nz;
        ex->nrows = r + 1;
    }
    return 0;
}

int sml_pipeline_transform(const sml_pipeline *p, const sml_batch *b, sml_examples *ex, sml_error *err)
{
    ex->nrows = 0;
    ex->nnz = 0;
    ex->bad_reason = NULL;
    return sml_pipeline_transform_append(p, b, NULL, ex, err);
}

/* ------------------------------------------------------------------ serialisation */

int sml_pipeline_encode(const sml_pipeline *p, sml_strbuf *sb)
{
    int rc = 0;
    rc |= sml_put_u32(sb, (uint32_t)p->scaling) | sml_put_u32(sb, (uint32_t)p->impute);
    rc |= sml_put_u32(sb, SML_HASH_MURMUR3_32) | sml_put_u32(sb, p->hash_bits) | sml_put_u32(sb, p->hash_seed);
    rc |= sml_put_u32(sb, (uint32_t)p->hash_signed) | sml_put_u32(sb, (uint32_t)p->has_hash);
    rc |= sml_put_u32(sb, p->hash_base) | sml_put_u32(sb, p->dim);
    rc |= sml_put_u64(sb, p->ninputs);
    for (size_t k = 0; k < p->ninputs; k++)
        rc |= sml_put_str(sb, p->in_names[k]) | sml_put_u8(sb, (uint8_t)p->in_types[k]) |
              sml_put_u8(sb, p->in_optional[k]);
    rc |= sml_put_u64(sb, p->ncols);
    rc |= sml_put_u32(sb, (uint32_t)(p->label_input + 1)) | sml_put_u32(sb, (uint32_t)(p->weight_input + 1));
    rc |= sml_put_u32(sb, (uint32_t)p->task) | sml_put_str(sb, p->positive) | sml_put_str(sb, p->negative);
    for (size_t k = 0; k < p->ncols; k++) {
        const pcol *c = &p->cols[k];
        rc |= sml_put_u8(sb, (uint8_t)c->kind);
        rc |= sml_put_f64(sb, c->fill) | sml_put_f64(sb, c->shift) | sml_put_f64(sb, c->scale);
        rc |= sml_put_u32(sb, c->index) | sml_put_u32(sb, c->ind_index);
        rc |= sml_put_u32(sb, c->unknown_index) | sml_put_u32(sb, c->missing_index);
        rc |= sml_put_u32(sb, c->name_seed) | sml_put_u64(sb, c->nvocab);
        for (uint32_t i = 0; i < c->nvocab; i++)
            rc |= sml_put_str(sb, c->values[i]);
    }
    rc |= sml_put_u64(sb, p->ninter);
    for (size_t q = 0; q < p->ninter; q++)
        rc |= sml_put_u32(sb, p->inter[q][0]) | sml_put_u32(sb, p->inter[q][1]);
    rc |= sml_put_u64(sb, p->nhnames);
    for (size_t i = 0; i < p->nhnames; i++)
        rc |= sml_put_u32(sb, p->hnames[i].slot) | sml_put_str(sb, p->hnames[i].name);
    return rc ? SML_ENOMEM : 0;
}

int sml_pipeline_clone(const sml_pipeline *p, sml_pipeline **out, sml_error *err)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    if (sml_pipeline_encode(p, &sb) != 0) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    sml_cursor c = {(const uint8_t *)sb.buf, (const uint8_t *)sb.buf + sb.len, "pipeline", 0};
    int rc = sml_pipeline_decode(&c, out, err);
    sml_strbuf_release(&sb);
    return rc;
}

#define BAD(...) do { rc = sml_fail(err, SML_EFORMAT, __VA_ARGS__); goto fail; } while (0)

int sml_pipeline_decode(sml_cursor *cur, sml_pipeline **out, sml_error *err)
{
    int rc = 0;
    sml_pipeline *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    p->scaling = (sml_scaling)sml_get_u32(cur);
    p->impute = (sml_imputation)sml_get_u32(cur);
    uint32_t hash_id = sml_get_u32(cur);
    p->hash_bits = sml_get_u32(cur);
    p->hash_seed = sml_get_u32(cur);
    p->hash_signed = (int)sml_get_u32(cur);
    p->has_hash = (int)sml_get_u32(cur);
    p->hash_base = sml_get_u32(cur);
    p->dim = sml_get_u32(cur);
    if (cur->failed)
        BAD("pipeline section is truncated");
    if (p->scaling > SML_SCALE_NONE || p->impute > SML_IMPUTE_CONSTANT)
        BAD("pipeline: unknown scaling or imputation");
    if (hash_id != SML_HASH_MURMUR3_32)
        BAD("pipeline: unknown hash function id %u", hash_id);
    if (p->hash_bits < 1 || p->hash_bits > 28 || p->hash_base > MAX_FEATURES ||
        p->dim != p->hash_base + (p->has_hash ? (1u << p->hash_bits) : 0))
        BAD("pipeline: inconsistent feature space (dim %u, hash base %u, bits %u)", p->dim, p->hash_base,
            p->hash_bits);
    size_t nin = (size_t)sml_get_count(cur, 1u << 20, 6);
    if (cur->failed || alloc_inputs(p, nin))
        BAD("pipeline: bad input column count");
    for (size_t k = 0; k < nin; k++) {
        p->in_names[k] = sml_get_str(cur);
        p->in_types[k] = (sml_type)sml_get_u8(cur);
        p->in_optional[k] = sml_get_u8(cur);
        if (cur->failed || !p->in_names[k] || p->in_types[k] > SML_TYPE_NUM)
            BAD("pipeline: bad input column %zu", k);
    }
    size_t ncols = (size_t)sml_get_count(cur, nin, 0);
    uint32_t li = sml_get_u32(cur), wi = sml_get_u32(cur); /* stored +1; 0 = none */
    if (li > nin || wi > nin)
        BAD("pipeline: bad label or weight column");
    p->label_input = (int)li - 1;
    p->weight_input = (int)wi - 1;
    p->task = (sml_task)sml_get_u32(cur);
    p->positive = sml_get_str(cur);
    p->negative = sml_get_str(cur);
    if (cur->failed || p->label_input < -1 || p->label_input >= (int)nin || p->weight_input < -1 ||
        p->weight_input >= (int)nin || p->task > SML_TASK_CLASSIFICATION ||
        (p->task == SML_TASK_CLASSIFICATION && (!p->positive || !p->negative || p->label_input < 0)))
        BAD("pipeline: bad label description");
    if (p->label_input >= 0 && p->task == SML_TASK_CLASSIFICATION && p->in_types[p->label_input] == SML_TYPE_NUM &&
        (sml_parse_double(p->positive, strlen(p->positive), &p->pos_num) ||
         sml_parse_double(p->negative, strlen(p->negative), &p->neg_num)))
        BAD("pipeline: numeric label classes are not numbers");
    if (!(p->cols = calloc(ncols ? ncols : 1, sizeof *p->cols)))
        goto nomem;
    for (size_t k = 0; k < ncols; k++) {
        pcol *c = &p->cols[p->ncols++];
        c->kind = (col_kind)sml_get_u8(cur);
        c->fill = sml_get_f64(cur);
        c->shift = sml_get_f64(cur);
        c->scale = sml_get_f64(cur);
        c->index = sml_get_u32(cur);
        c->ind_index = sml_get_u32(cur);
        c->unknown_index = sml_get_u32(cur);
        c->missing_index = sml_get_u32(cur);
        c->name_seed = sml_get_u32(cur);
        uint64_t nv = sml_get_count(cur, MAX_FEATURES, 4);
        /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): k < ncols <= nin, each in_names[k] checked above */
        if (cur->failed || c->kind > COL_HASH || !(c->name = strdup(p->in_names[k])))
            BAD("pipeline: bad column %zu", k);
        if ((c->kind == COL_NUM) != (p->in_types[k] == SML_TYPE_NUM))
            BAD("pipeline: column \"%s\" has a transform that does not fit its type", c->name);
        if (c->kind == COL_NUM && (c->index >= p->hash_base || (c->ind_index != NONE && c->ind_index >= p->hash_base)))
            BAD("pipeline: column \"%s\": feature index out of range", c->name);
        if (c->kind == COL_ONEHOT && (c->unknown_index >= p->hash_base || c->unknown_index < nv ||
                                      (c->missing_index != NONE && c->missing_index >= p->hash_base)))
            BAD("pipeline: column \"%s\": feature index out of range", c->name);
        if (c->kind == COL_HASH && !p->has_hash)
            BAD("pipeline: column \"%s\" is hashed but there is no hashing block", c->name);
        if (nv && !(c->values = calloc(nv, sizeof *c->values)))
            goto nomem;
        for (uint64_t i = 0; i < nv; i++) {
            c->values[i] = sml_get_str(cur);
            c->nvocab = (uint32_t)i + 1;
            if (!c->values[i])
                BAD("pipeline: column \"%s\": bad vocabulary entry %llu", c->name, (unsigned long long)i);
            int inserted;
            if (!sml_strmap_put(&c->vocab, c->values[i], strlen(c->values[i]),
                                c->unknown_index - (uint32_t)nv + (uint32_t)i, &inserted))
                goto nomem;
            if (!inserted)
                BAD("pipeline: column \"%s\": vocabulary value \"%s\" appears twice", c->name, c->values[i]);
        }
    }
    p->ninter = (size_t)sml_get_count(cur, 1u << 16, 8);
    if (cur->failed)
        BAD("pipeline: bad interaction count");
    if (p->ninter && !(p->inter = calloc(p->ninter, sizeof *p->inter)))
        goto nomem;
    for (size_t q = 0; q < p->ninter; q++) {
        p->inter[q][0] = sml_get_u32(cur);
        p->inter[q][1] = sml_get_u32(cur);
        if (p->inter[q][0] >= ncols || p->inter[q][1] >= ncols || !p->has_hash)
            BAD("pipeline: bad interaction %zu", q);
    }
    size_t nh = (size_t)sml_get_count(cur, 1u << 24, 8);
    if (cur->failed)
        BAD("pipeline: bad hashed-name count");
    if (nh && !(p->hnames = calloc(nh, sizeof *p->hnames)))
        goto nomem;
    for (size_t i = 0; i < nh; i++) {
        p->hnames[i].slot = sml_get_u32(cur);
        p->hnames[i].name = sml_get_str(cur);
        p->nhnames = i + 1;
        if (!p->hnames[i].name || (i && p->hnames[i].slot < p->hnames[i - 1].slot))
            BAD("pipeline: bad hashed-name entry %zu", i);
    }
    if (cur->failed)
        BAD("pipeline section is truncated");
    *out = p;
    return 0;
nomem:
    rc = sml_fail(err, SML_ENOMEM, "out of memory");
fail:
    sml_pipeline_free(p);
    return rc;
}

int sml_pipeline_describe(const sml_pipeline *p, char **json, sml_error *err)
{
    static const char *scal[] = {"standard", "minmax", "none"}, *imp[] = {"mean", "median", "constant"};
    sml_strbuf sb = SML_STRBUF_INIT;
    int rc = 0;
    rc |= sml_strbuf_addf(&sb, "{\"dim\": %u, \"scaling\": \"%s\", \"impute\": \"%s\", \"columns\": [", p->dim,
                          scal[p->scaling], imp[p->impute]);
    for (size_t k = 0; k < p->ncols; k++) {
        const pcol *c = &p->cols[k];
        rc |= sml_strbuf_adds(&sb, k ? ", {\"name\": " : "{\"name\": ");
        rc |= sml_strbuf_add_json_str(&sb, c->name, strlen(c->name));
        if (c->kind == COL_NUM) {
            rc |= sml_strbuf_adds(&sb, ", \"encoding\": \"numeric\", \"fill\": ");
            rc |= sml_strbuf_add_json_double(&sb, c->fill);
            rc |= sml_strbuf_adds(&sb, ", \"shift\": ");
            rc |= sml_strbuf_add_json_double(&sb, c->shift);
            rc |= sml_strbuf_adds(&sb, ", \"scale\": ");
            rc |= sml_strbuf_add_json_double(&sb, c->scale);
            rc |= sml_strbuf_addf(&sb, ", \"missing_indicator\": %s}", c->ind_index != NONE ? "true" : "false");
        } else if (c->kind == COL_ONEHOT) {
            rc |= sml_strbuf_adds(&sb, ", \"encoding\": \"onehot\", \"vocabulary\": [");
            for (uint32_t i = 0; i < c->nvocab; i++) {
                if (i)
                    rc |= sml_strbuf_adds(&sb, ", ");
                rc |= sml_strbuf_add_json_str(&sb, c->values[i], strlen(c->values[i]));
            }
            rc |= sml_strbuf_addf(&sb, "], \"missing_slot\": %s}", c->missing_index != NONE ? "true" : "false");
        } else {
            rc |= sml_strbuf_adds(&sb, ", \"encoding\": \"hash\"}");
        }
    }
    rc |= sml_strbuf_addf(&sb, "], \"hashing\": {\"function\": \"murmur3_32\", \"bits\": %u, \"seed\": %u, "
                               "\"signed\": %s, \"interactions\": %zu}}",
                          p->hash_bits, p->hash_seed, p->hash_signed ? "true" : "false", p->ninter);
    if (rc) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    *json = sb.buf;
    return 0;
}
