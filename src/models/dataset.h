/*
 * Internal: an in-memory training set for the batch solvers: sparse rows (CSR), labels and optional sample weights.
 *
 * The feature pipeline appends examples row by row; dense numeric columns are stored as CSR entries like the rest.
 * The set owns its arrays. Not thread-safe while being appended to; read-only use from many threads is fine.
 */
#ifndef SML_MODELS_DATASET_H
#define SML_MODELS_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"

/* Compressed sparse rows: row i has entries k in [row_ptr[i], row_ptr[i+1]) at column col_idx[k], value values[k]. */
typedef struct sml_csr {
    size_t n_rows;
    uint32_t n_cols;    /* d: every col_idx is < n_cols */
    uint64_t *row_ptr;  /* n_rows + 1 entries */
    uint32_t *col_idx;
    double *values;
} sml_csr;

typedef struct sml_dataset {
    sml_csr x;
    double *y;          /* n_rows labels (−1/+1 for the log loss) */
    double *weight;     /* n_rows sample weights, or NULL when every weight is 1 */
    /* growth bookkeeping */
    size_t row_cap, nnz_cap;
} sml_dataset;

#define SML_DATASET_INIT {{0, 0, NULL, NULL, NULL}, NULL, NULL, 0, 0}

/* Appends one example: nnz entries (col_idx[k], values[k]), label y, sample weight (1 for none). Column indices
 * need not be sorted; n_cols grows to cover them. The first weight other than 1 makes the set keep a weight array.
 * Returns 0, SML_ENOMEM or SML_ERANGE (index of UINT32_MAX). On failure the set is unchanged. */
int sml_dataset_add_row(sml_dataset *ds, double y, double weight, const uint32_t *col_idx, const double *values,
                        size_t nnz, sml_error *err);
/* Makes the set at least n_cols wide (columns that are all zero at the end). */
void sml_dataset_set_min_cols(sml_dataset *ds, uint32_t n_cols);
/* Frees the arrays and resets to SML_DATASET_INIT. NULL is a no-op. */
void sml_dataset_release(sml_dataset *ds);

static inline size_t sml_dataset_nnz(const sml_dataset *ds) { return ds->x.n_rows ? ds->x.row_ptr[ds->x.n_rows] : 0; }

#endif
