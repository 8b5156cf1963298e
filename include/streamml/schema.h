/*
 * streamml: schemas. Which columns a dataset has, whether each is numeric or categorical, its role (feature,
 * label, weight, ignored) and the statistics inference saw (missing rate, cardinality, range, top values).
 *
 * Inference reads untyped batches (every column text, as an untyped sml_reader produces) from the head of the
 * data: a column whose every present value is a number is numeric, anything else categorical. Flags and a schema
 * file (the JSON that sml_schema_write_json produces) override it.
 */
#ifndef STREAMML_SCHEMA_H
#define STREAMML_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_role { SML_ROLE_FEATURE = 0, SML_ROLE_LABEL, SML_ROLE_WEIGHT, SML_ROLE_IGNORE } sml_role;
typedef enum sml_task { SML_TASK_AUTO = 0, SML_TASK_REGRESSION, SML_TASK_CLASSIFICATION } sml_task;

#define SML_SCHEMA_TOP 10          /* most frequent values kept per column */
#define SML_SCHEMA_DISTINCT_CAP 100000 /* distinct values counted exactly up to this */

typedef struct sml_schema_col {
    char *name;
    sml_type type;
    sml_role role;
    int type_overridden;     /* type came from a flag or schema file, not inference */
    uint64_t count;          /* present values in the sample */
    uint64_t missing;        /* missing values in the sample */
    uint64_t distinct;       /* distinct present values (a lower bound when distinct_capped) */
    int distinct_capped;
    int all_integer;         /* numeric: every value is a whole number */
    double min, max, mean, sd; /* numeric (NaN when no finite values) */
    size_t ntop;             /* most frequent values, most frequent first */
    char **top;
    uint64_t *top_count;
} sml_schema_col;

typedef struct sml_schema {
    size_t ncols;
    sml_schema_col *cols;
    uint64_t rows;           /* records sampled */
    uint64_t bad_rows;       /* records rejected while sampling */
    int label;               /* index of the label column or -1 */
    int weight;              /* index of the sample-weight column or -1 */
    sml_task task;           /* with a label: the task (inferred when SML_TASK_AUTO was asked) */
    char *positive;          /* classification: the label value that is the positive class */
    char *negative;          /* classification: the other value */
} sml_schema;

/* What the user said: column lists (NULL-terminated arrays of names, or NULL) and the label. */
typedef struct sml_schema_overrides {
    const char *const *categorical;
    const char *const *numeric;
    const char *const *ignore;
    const char *label;
    const char *weight;
    sml_task task;
} sml_schema_overrides;

typedef struct sml_schema_infer sml_schema_infer;

SML_API sml_schema_infer *sml_schema_infer_new(sml_error *err);
SML_API void sml_schema_infer_free(sml_schema_infer *inf);
/* Adds the rows of an untyped batch (all columns SML_TYPE_STR; columns matched by name, new ones appended). */
SML_API int sml_schema_infer_add(sml_schema_infer *inf, const sml_batch *b, sml_error *err);
/* Builds the schema. `base` (optional, e.g. from a schema file) fixes types and roles of the columns it names.
 * Errors: an override naming a column that does not exist (SML_ENOTFOUND); a label that is missing in every row,
 * or has a single value when classification is asked (SML_EINVAL). */
SML_API int sml_schema_infer_finish(sml_schema_infer *inf, const sml_schema *base, const sml_schema_overrides *ov,
                                   sml_schema **out, sml_error *err);

SML_API void sml_schema_free(sml_schema *s);
SML_API int sml_schema_find(const sml_schema *s, const char *name);
/* A deep copy. */
SML_API int sml_schema_copy(const sml_schema *s, sml_schema **out, sml_error *err);

/* JSON text (malloc'd, NUL-terminated; caller frees) / back. Reading checks names, types and roles; statistics
 * are optional. */
SML_API int sml_schema_write_json(const sml_schema *s, char **out, size_t *len, sml_error *err);
SML_API int sml_schema_read_json(const char *text, size_t len, const char *source, sml_schema **out,
                                 sml_error *err);

/* The classification rule of DESIGN.md for a label with exactly two distinct values a < b (sorted): the
 * positive one is "1", "true" or "yes" (case-insensitive) when present, else b. Returns 0 or 1 (index). */
SML_API int sml_positive_class(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
