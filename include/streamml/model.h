/*
 * streamml: linear models (linear regression; logistic regression = the linear model + a logistic link) together
 * with the fitted pipeline that feeds them, and the model file they are saved in.
 *
 * A loaded model is immutable and reference counted: sml_model_ref() takes a reference, sml_model_free() drops
 * one and frees the model at the last. Scoring functions only read the model, so any number of threads may score
 * with one model at once. Loading a model file only reads data: it never executes anything. The file is
 * sectioned, versioned (major.minor), length-capped and checksummed; a corrupt, truncated or newer-major file is
 * refused with an error that says which.
 */
#ifndef STREAMML_MODEL_H
#define STREAMML_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/pipeline.h"
#include "streamml/record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SML_MODEL_FORMAT_MAJOR 1
#define SML_MODEL_FORMAT_MINOR 1

typedef struct sml_model sml_model;

/* Builds a model from a fitted pipeline (taken: owned by the model, also on failure), weights (copied; dim must be
 * the pipeline's dimension) and an intercept. loss: "squared" or "logistic". Non-finite weights are refused
 * (SML_ENUMERIC): no NaN model is ever built. */
SML_API int sml_model_new(sml_pipeline *pipeline, const char *loss, const double *weights, size_t dim,
                          int has_intercept, double intercept, sml_model **out, sml_error *err);
SML_API sml_model *sml_model_ref(sml_model *m);
SML_API void sml_model_free(sml_model *m); /* drops a reference; NULL is a no-op */

/* Descriptive sections (JSON objects as text, copied): hyper-parameters and objective, training summary,
 * metrics, and the schema seen at fit time. Set them before saving; reading returns NULL when absent. */
enum { SML_MODEL_HYPERPARAMS = 0, SML_MODEL_SUMMARY = 1, SML_MODEL_METRICS = 2, SML_MODEL_SCHEMA = 3 };
SML_API int sml_model_set_json(sml_model *m, int which, const char *json, sml_error *err);
SML_API const char *sml_model_get_json(const sml_model *m, int which);

typedef struct sml_model_info {
    uint64_t version;       /* store version it was loaded from (0: a plain file or not saved) */
    sml_task task;
    const char *loss;       /* "squared" | "logistic" */
    const char *label;      /* label column or NULL */
    const char *positive, *negative; /* classification classes */
    size_t dim;             /* number of weights (without the intercept) */
    int has_intercept;
    double intercept;
    unsigned format_major, format_minor; /* of the file it was loaded from */
} sml_model_info;

SML_API void sml_model_get_info(const sml_model *m, sml_model_info *info);
SML_API const double *sml_model_weights(const sml_model *m);
SML_API const sml_pipeline *sml_model_pipeline(const sml_model *m);
SML_API void sml_model_set_version(sml_model *m, uint64_t version);

/* The linear score b + w.x of one sparse row. */
SML_API double sml_model_margin(const sml_model *m, const uint32_t *idx, const double *val, size_t nnz);
/* The prediction for a score: regression -> the score; classification -> P(positive class). */
SML_API double sml_model_mean(const sml_model *m, double margin);

/* Scores transformed rows: score[i] = the prediction (regression value or probability of the positive class).
 * Thread-safe. */
SML_API void sml_model_score_examples(const sml_model *m, const sml_examples *ex, double *score);

/* Scores one record given as field name/value pairs (text; a NULL value is missing; unknown names are ignored;
 * absent features are missing). *prediction: regression value or P(positive); *klass (optional): for
 * classification the predicted class text (owned by the model). Thread-safe; allocates per call. Errors:
 * a value that is not a number for a numeric feature (SML_EPARSE, naming the field). */
SML_API int sml_model_predict_record(const sml_model *m, const char *const *names, const char *const *values,
                                     size_t n, double *prediction, const char **klass, sml_error *err);

/* Files. Saving writes a temp file, fsyncs and renames it. Loading checks magic, version, lengths and checksum. */
SML_API int sml_model_save(const sml_model *m, const char *path, sml_error *err);
SML_API int sml_model_encode(const sml_model *m, void **data, size_t *len, sml_error *err); /* caller frees */
SML_API int sml_model_load_file(const char *path, sml_model **out, sml_error *err);
SML_API int sml_model_decode(const void *data, size_t len, const char *source, sml_model **out, sml_error *err);

#ifdef __cplusplus
}
#endif
#endif
