/*
 * streamml: batch training. The data (a table of typed batches laid out as the pipeline's inputs) stays in
 * memory; a trainer fits the pipeline on the chosen rows, builds the training matrix once, and then solves the
 * objective of DESIGN.md for as many regularisation settings as asked, warm-starting each from the last:
 *
 *   (1/W)·Σ wᵢ·lossᵢ + (l2/2)·||w||² + l1·||w||₁ + (l2_to_base/2)·||θ − θ_base||²
 *
 * Cross-validation runs one trainer per fold. A trainer is used by one thread at a time.
 */
#ifndef STREAMML_TRAIN_H
#define STREAMML_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/metrics.h"
#include "streamml/model.h"
#include "streamml/parse.h"
#include "streamml/pipeline.h"
#include "streamml/record.h"
#include "streamml/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows in memory: typed batches with the same columns. */
typedef struct sml_table {
    size_t nbatches, cap;
    sml_batch *batches;
    size_t nrows;
} sml_table;

#define SML_TABLE_INIT {0, 0, NULL, 0}

/* Moves *b into the table (b becomes SML_BATCH_INIT). Empty batches are released, not kept. */
SML_API int sml_table_take(sml_table *t, sml_batch *b, sml_error *err);
SML_API void sml_table_release(sml_table *t);

typedef struct sml_train_opts {
    sml_pipeline_opts pipeline;
    int fit_intercept;        /* default 1 */
    const char *solver;       /* "auto" (default), "newton" (trust-region Newton), "lbfgs" */
    int max_iter;             /* default 1000 */
    double tol;               /* default 1e-6 (see src/optim/optim.h for the rule) */
    const sml_model *base;    /* for l2_to_base: parameters are matched by feature name; others have base 0 */
} sml_train_opts;

#define SML_TRAIN_OPTS_INIT {SML_PIPELINE_OPTS_INIT, 1, "auto", 1000, 1e-6, NULL}

typedef struct sml_train_report {
    char solver[16];
    int converged;
    int iterations;
    long evaluations;
    double objective;
    double grad_norm;         /* inf-norm of the (pseudo-)gradient at the end */
    size_t rows, features, nonzeros;
    size_t skipped_bad_x, skipped_no_label; /* rows left out of training */
    double seconds;
} sml_train_report;

typedef struct sml_trainer sml_trainer;

/* Fits the pipeline on the rows of t with mask[global row] != 0 (mask NULL: all) and builds the training matrix.
 * Rows without a usable label or with NaN/Inf features are left out and counted. */
SML_API int sml_trainer_new(const sml_schema *schema, const sml_table *t, const uint8_t *mask,
                            const sml_train_opts *opts, sml_trainer **out, sml_error *err);
SML_API void sml_trainer_free(sml_trainer *tr);
/* Solves for (l2, l1, l2_to_base), starting from the previous solution (warm start). */
SML_API int sml_trainer_solve(sml_trainer *tr, double l2, double l1, double l2_to_base, sml_train_report *rep,
                              sml_error *err);
/* A model of the current solution (the pipeline is copied). */
SML_API int sml_trainer_model(const sml_trainer *tr, sml_model **out, sml_error *err);
/* Predictions of the current solution for the rows of t with mask != 0 (mask NULL: all) that have a usable label
 * and finite features: *n of them; y, pred (and w) malloc'd, caller frees. */
SML_API int sml_trainer_predict(const sml_trainer *tr, const sml_table *t, const uint8_t *mask, double **y,
                                double **pred, double **w, size_t *n, sml_error *err);

/* ---- the promotion gate (fit --gate, run --publish-every --gate) */
/* m's metric on the rows of t with mask != 0 (NULL: all) that have a usable label; m's inputs are matched to t's
 * columns by name (absent ones are missing). *value is NaN when the metric is undefined there. */
SML_API int sml_model_metric_on(const sml_model *m, const sml_table *t, const uint8_t *mask, sml_metric metric,
                                double *value, sml_error *err);
/* Reads a data file whose columns are m's inputs (features, label, weight by name) into t. Bad rows are skipped. */
SML_API int sml_table_read_for(const char *path, const sml_reader_opts *opts, const sml_model *m, sml_table *t,
                               sml_error *err);
/* 1 when a candidate with metric value `candidate` may replace the current model (`current`; NaN: nothing to compare
 * with): not worse by more than tolerance, in the metric's direction. */
SML_API int sml_gate_pass(sml_metric metric, double candidate, double current, double tolerance);

#ifdef __cplusplus
}
#endif
#endif
