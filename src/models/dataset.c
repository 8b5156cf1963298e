/* Training sets in memory (dataset.h): the rows the feature pipeline produces, as the batch solvers read them. */
#include "models/dataset.h"

#include <stdlib.h>
#include <string.h>

/* The capacity (a power of two, at least 256) that holds need elements, or 0 on overflow. */
static size_t capacity_for(size_t cap, size_t need, size_t elem)
{
    size_t n = cap ? cap : 256;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return 0;
        n *= 2;
    }
    return n;
}

/* Reallocates *p to n elements; on failure *p is untouched (and still valid at its old size). */
static int resize(void **p, size_t n, size_t elem)
{
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

/* Makes room for need rows in row_ptr (need + 1 entries), y and weight. The capacity is recorded only once
 * every array has it, so a failure part way leaves the set usable and unchanged. */
static int reserve_rows(sml_dataset *ds, size_t need)
{
    if (need + 1 <= ds->row_cap)
        return 0;
    size_t n = capacity_for(ds->row_cap, need + 1, sizeof(double));
    if (!n || resize((void **)&ds->x.row_ptr, n, sizeof *ds->x.row_ptr) || resize((void **)&ds->y, n, sizeof *ds->y) ||
        (ds->weight && resize((void **)&ds->weight, n, sizeof *ds->weight)))
        return -1;
    ds->row_cap = n;
    return 0;
}

static int reserve_entries(sml_dataset *ds, size_t need)
{
    if (need <= ds->nnz_cap)
        return 0;
    size_t n = capacity_for(ds->nnz_cap, need, sizeof(double));
    if (!n || resize((void **)&ds->x.col_idx, n, sizeof *ds->x.col_idx) ||
        resize((void **)&ds->x.values, n, sizeof *ds->x.values))
        return -1;
    ds->nnz_cap = n;
    return 0;
}

int sml_dataset_add_row(sml_dataset *ds, double y, double weight, const uint32_t *col_idx, const double *values,
                        size_t nnz, sml_error *err)
{
    sml_csr *x = &ds->x;
    size_t n = x->n_rows, base = n ? x->row_ptr[n] : 0;
    uint32_t max_col = 0;
    for (size_t k = 0; k < nnz; k++) {
        if (col_idx[k] == UINT32_MAX)
            return sml_fail(err, SML_ERANGE, "row %zu: column index %u out of range", n + 1, col_idx[k]);
        if (col_idx[k] + 1 > max_col)
            max_col = col_idx[k] + 1;
    }
    if (reserve_rows(ds, n + 1))
        return sml_fail(err, SML_ENOMEM, "out of memory for %zu rows", n + 1);
    if (nnz > SIZE_MAX - base || reserve_entries(ds, base + nnz))
        return sml_fail(err, SML_ENOMEM, "out of memory for %zu entries", base + nnz);
    if (weight != 1.0 && !ds->weight) {
        ds->weight = malloc(ds->row_cap * sizeof *ds->weight);
        if (!ds->weight)
            return sml_fail(err, SML_ENOMEM, "out of memory for %zu weights", n + 1);
        for (size_t i = 0; i < n; i++)
            ds->weight[i] = 1.0;
    }
    if (n == 0)
        x->row_ptr[0] = 0;
    if (nnz) {
        memcpy(x->col_idx + base, col_idx, nnz * sizeof *col_idx);
        memcpy(x->values + base, values, nnz * sizeof *values);
    }
    x->row_ptr[n + 1] = base + nnz;
    ds->y[n] = y;
    if (ds->weight)
        ds->weight[n] = weight;
    if (max_col > x->n_cols)
        x->n_cols = max_col;
    x->n_rows = n + 1;
    return 0;
}

void sml_dataset_set_min_cols(sml_dataset *ds, uint32_t n_cols)
{
    if (ds->x.n_cols < n_cols)
        ds->x.n_cols = n_cols;
}

void sml_dataset_release(sml_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x.row_ptr);
    free(ds->x.col_idx);
    free(ds->x.values);
    free(ds->y);
    free(ds->weight);
    memset(ds, 0, sizeof *ds);
}
