/* Internal: the model object, shared with the model file code (store stage). */
#ifndef SML_MODEL_INT_H
#define SML_MODEL_INT_H
#include <stdatomic.h>

#include "models/loss.h"
#include "streamml/model.h"

#define SML_MODEL_NJSON 4

struct sml_model {
    atomic_long refs;
    sml_pipeline *pipeline;
    const sml_loss *loss;
    double *weights;
    size_t dim;
    int has_intercept;
    double intercept;
    char *json[SML_MODEL_NJSON]; /* hyper-parameters, summary, metrics, schema */
    uint64_t version;
    unsigned format_major, format_minor;
};

/* sml_model_new that takes `weights` (malloc'd, dim of them) as the model's own, also on failure: loading a large
 * model then copies its weights once less. finite: the caller has checked that every weight is finite (the model
 * file decoder does it while copying them), so they are not scanned again. */
int sml_model_new_taking(sml_pipeline *p, const char *loss, double *weights, size_t dim, int finite,
                         int has_intercept, double intercept, sml_model **out, sml_error *err);
#endif
