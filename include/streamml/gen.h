/*
 * streamml: synthetic data sources with a known truth.
 *
 * A generator produces rows of one dataset from a deterministic random stream that it owns (seeded from one
 * 64-bit seed; no global state): the same kind, seed and drift row always give the same rows. The label is drawn
 * from a known model of the other columns, so a learner's weights can be checked against the truth.
 *
 *   loans  the 14 columns of the LendingClub loan data (credit.policy, purpose, int.rate, ..., not.fully.paid),
 *          with realistic ranges, precisions, category frequencies and correlations; not.fully.paid ~
 *          Bernoulli(sigmoid(intercept + sum coef * column + coef[purpose])) over the values as written.
 *   feed   the seed-000 feed columns: audit_clientType, instanceId_objectType, audit_resourceType (categories),
 *          auditweights_numDislikes, auditweights_ctr_negative, auditweights_numLikes, metadata_numSymbols
 *          (heavy-tailed, very different scales) and the target metadata_numPhotos = intercept + sum coef * column
 *          + coef[each category] + normal noise.
 * With drift_at > 0 the true coefficients change at that row (rows are counted from 0: row drift_at is the first
 * of the second regime); the feature distributions do not change.
 *
 * Values have the fixed precision real data has (int.rate 4 decimals, installment 2, fico an integer ...); the
 * model is applied to the values exactly as written. A generator is used by one thread at a time.
 */
#ifndef STREAMML_GEN_H
#define STREAMML_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/record.h"
#include "streamml/textout.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_gen_kind {
    SML_GEN_LOANS = 0,
    SML_GEN_FEED = 1
} sml_gen_kind;

typedef struct sml_gen sml_gen;

/* "loans" or "feed" -> kind. SML_EINVAL (message lists the names) otherwise. */
SML_API int sml_gen_kind_parse(const char *name, sml_gen_kind *kind, sml_error *err);

/* A generator positioned at row 0. drift_at = 0: one regime. Returns NULL with err filled (SML_ENOMEM). */
SML_API sml_gen *sml_gen_new(sml_gen_kind kind, uint64_t seed, uint64_t drift_at, sml_error *err);
SML_API void sml_gen_free(sml_gen *g);

/* Columns in output order; the names are owned by the generator (static). The label is the last column. */
SML_API size_t sml_gen_ncols(const sml_gen *g);
SML_API const char *const *sml_gen_colnames(const sml_gen *g);
SML_API const char *sml_gen_label(const sml_gen *g);
/* 1 when column i holds categories (written as text), 0 when numbers. */
SML_API int sml_gen_col_is_categorical(const sml_gen *g, size_t i);
/* Rows produced so far (the index of the next row). */
SML_API uint64_t sml_gen_row(const sml_gen *g);

/* Writes the next nrows rows to out, which must have been made with sml_gen_colnames (no header is written; call
 * sml_textout_header first for CSV). Rows are made in internal batches: no allocation per row. Returns 0 or the
 * error of the writer. Does not flush. */
SML_API int sml_gen_write(sml_gen *g, sml_textout *out, uint64_t nrows, sml_error *err);

/* Puts the next nrows rows into b (numbers as the double nearest to the written decimal, categories as strings).
 * b is cleared first, and set up with the generator's columns unless it already has them and room for nrows. */
SML_API int sml_gen_fill(sml_gen *g, sml_batch *b, size_t nrows, sml_error *err);

/* The true model as JSON, through write(opaque, ...):
 *   {"generator":"loans","seed":S,"label":"not.fully.paid","link":"logistic","regimes":[
 *     {"start_row":0,"intercept":b0,"numeric":{"credit.policy":w,...},"categorical":{"purpose":{"all_other":w,...}}},
 *     {"start_row":DRIFT_AT,...}]}
 * feed has "link":"identity" and a "noise_sd" in every regime. Coefficients apply to the columns as written
 * (raw units); every category value is listed (the reference ones with 0). */
SML_API int sml_gen_truth_json(const sml_gen *g, sml_write_fn write, void *opaque, sml_error *err);

#ifdef __cplusplus
}
#endif
#endif
