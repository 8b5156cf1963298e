/*
 * streamml: the feature pipeline. Fitted once on training data and saved inside the model; applied unchanged in
 * fit, predict, the stream engine and the HTTP service, so a record becomes the same features everywhere.
 *
 *   numeric column:     missing -> imputed (mean | median | constant) [+ an is-missing indicator feature],
 *                       then scaled (standard | min-max | none) with parameters fitted from the data;
 *   categorical column: one-hot over a fitted vocabulary (min count, top-K), with an explicit unknown slot for
 *                       values not in it and a missing slot; or feature hashing (murmur3_32, seed and bit count
 *                       recorded) for high-cardinality ids;
 *   interactions:       named column pairs, hashed into the hashing block with the product of their values.
 *
 * A record batch whose columns are the pipeline's input columns (sml_pipeline_inputs), in that order, becomes an
 * sml_examples batch: sparse rows (feature index, value), the label mapped to a number (classification: +1/-1)
 * and a sample weight. A fitted pipeline is immutable: concurrent transforms on one pipeline are safe.
 */
#ifndef STREAMML_PIPELINE_H
#define STREAMML_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/record.h"
#include "streamml/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_scaling { SML_SCALE_STANDARD = 0, SML_SCALE_MINMAX, SML_SCALE_NONE } sml_scaling;
typedef enum sml_imputation { SML_IMPUTE_MEAN = 0, SML_IMPUTE_MEDIAN, SML_IMPUTE_CONSTANT } sml_imputation;

typedef struct sml_pipeline_opts {
    sml_scaling scaling;          /* default standard */
    sml_imputation impute;        /* default mean */
    double impute_constant;       /* for SML_IMPUTE_CONSTANT (raw units), default 0 */
    int missing_indicator;        /* -1 (default): add one for columns that had missing values; 0 never; 1 always */
    uint64_t min_count;           /* one-hot: rarer values go to the unknown slot (default 1) */
    uint32_t top_k;               /* one-hot: keep at most this many most frequent values (0 = all) */
    uint32_t max_onehot;          /* categoricals with more distinct values are hashed (default 1000) */
    const char *const *hash_columns; /* NULL-terminated: categoricals to hash whatever their cardinality */
    uint32_t hash_bits;           /* size of the hashing block, 2^bits (default 18; 1..28) */
    uint32_t hash_seed;           /* default 0 */
    int hash_signed;              /* multiply by +-1 from a hash bit to unbias collisions (default 1) */
    const char *const *interactions; /* NULL-terminated "a:b" column pairs */
} sml_pipeline_opts;

#define SML_PIPELINE_OPTS_INIT {SML_SCALE_STANDARD, SML_IMPUTE_MEAN, 0.0, -1, 1, 0, 1000, NULL, 18, 0, 1, NULL}

typedef struct sml_pipeline sml_pipeline;
typedef struct sml_pipeline_fitter sml_pipeline_fitter;

/* Starts fitting a pipeline for the feature, label and weight columns of schema (ignored columns are left
 * out). Errors: bad options, interaction naming an unknown column. */
SML_API int sml_pipeline_fitter_new(const sml_schema *schema, const sml_pipeline_opts *opts,
                                    sml_pipeline_fitter **out, sml_error *err);
SML_API void sml_pipeline_fitter_free(sml_pipeline_fitter *f);
/* Adds rows of a batch laid out as sml_pipeline_fitter_inputs says; rows with row_mask[i] == 0 are skipped
 * (row_mask may be NULL). */
SML_API int sml_pipeline_fitter_add(sml_pipeline_fitter *f, const sml_batch *b, const uint8_t *row_mask,
                                    sml_error *err);
/* Builds the fitted pipeline (the caller owns it). The fitter is spent either way: free it afterwards. */
SML_API int sml_pipeline_fitter_finish(sml_pipeline_fitter *f, sml_pipeline **out, sml_error *err);

SML_API void sml_pipeline_free(sml_pipeline *p);

/* The input columns, in batch order: the features, then the label (if any), then the weight column (if any).
 * Arrays are owned by the pipeline/fitter. optional[i] is 1 for the label and weight (absent when scoring). */
SML_API size_t sml_pipeline_inputs(const sml_pipeline *p, const char *const **names, const sml_type **types,
                                   const uint8_t **optional);
SML_API size_t sml_pipeline_fitter_inputs(const sml_pipeline_fitter *f, const char *const **names,
                                          const sml_type **types, const uint8_t **optional);

/* Number of features (the weight vector's length, without the intercept). */
SML_API size_t sml_pipeline_dim(const sml_pipeline *p);
/* Readable name of feature i: "fico", "fico:missing", "purpose=credit_card", "purpose=<unknown>",
 * "hash:12345". Writes at most cap bytes, NUL-terminated. */
SML_API size_t sml_pipeline_feature_name(const sml_pipeline *p, size_t i, char *buf, size_t cap);
/* The label: name (NULL without one), task, the positive/negative class texts (classification). */
SML_API const char *sml_pipeline_label(const sml_pipeline *p, sml_task *task, const char **positive,
                                       const char **negative);

/* Per-row flags of a transformed example. */
enum {
    SML_EX_LABEL = 1,     /* the row has a usable label (y is set) */
    SML_EX_BAD_X = 2,     /* a feature is NaN or infinite: never learned from */
    SML_EX_BAD_Y = 4,     /* the label is present but unusable (NaN, or not one of the two classes) */
    SML_EX_BAD_W = 8      /* the weight is present but negative, NaN or infinite */
};

/* Transformed rows (CSR). Reused across batches: buffers only grow. */
typedef struct sml_examples {
    size_t nrows;
    uint64_t *row_ptr;   /* nrows + 1 */
    uint32_t *idx;       /* feature indices of row i: idx[row_ptr[i] .. row_ptr[i+1]) */
    double *val;
    double *y;           /* regression: the value; classification: +1 / -1 */
    double *w;           /* sample weight (1 without a weight column) */
    uint8_t *flags;      /* SML_EX_* */
    size_t nnz, rows_cap, nnz_cap;
    const char *bad_reason; /* reason text for the first bad row of the batch (static string) */
} sml_examples;

#define SML_EXAMPLES_INIT {0}

/* Transforms the rows of b (laid out as sml_pipeline_inputs) into ex (cleared first). Returns 0 or SML_ENOMEM;
 * bad values are flagged per row, never fatal. */
SML_API int sml_pipeline_transform(const sml_pipeline *p, const sml_batch *b, sml_examples *ex, sml_error *err);
/* Appends the rows of b to ex (for building a training matrix across batches). */
SML_API int sml_pipeline_transform_append(const sml_pipeline *p, const sml_batch *b, const uint8_t *row_mask,
                                          sml_examples *ex, sml_error *err);
SML_API void sml_examples_release(sml_examples *ex);

/* Serialisation (used by the model file). */
struct sml_strbuf;
SML_API int sml_pipeline_describe(const sml_pipeline *p, char **json, sml_error *err); /* readable JSON */

#ifdef __cplusplus
}
#endif
#endif
