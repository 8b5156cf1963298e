/*
 * streamml: evaluation metrics over labelled predictions, the plain textbook definitions (MSE = mean (y - yhat)^2,
 * not halved). Classification labels are +1/-1 and predictions are probabilities of +1; log loss clips them to
 * [1e-15, 1 - 1e-15]; accuracy and F1 use the threshold 0.5. Weights may be NULL (all 1).
 */
#ifndef STREAMML_METRICS_H
#define STREAMML_METRICS_H

#include <stddef.h>

#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_metric {
    SML_METRIC_AUC = 0,
    SML_METRIC_LOGLOSS,
    SML_METRIC_ACCURACY,
    SML_METRIC_F1,
    SML_METRIC_RMSE,
    SML_METRIC_MAE,
    SML_METRIC_R2,
    SML_METRIC_MSE,
    SML_METRIC_COUNT
} sml_metric;

SML_API int sml_metric_from_name(const char *name, sml_metric *out);
SML_API const char *sml_metric_name(sml_metric m);
SML_API int sml_metric_higher_is_better(sml_metric m);
SML_API int sml_metric_for_classification(sml_metric m);
/* Computes metric m over n predictions. Returns NaN when undefined (AUC with one class, R2 with constant y,
 * n == 0). AUC is exact (ties get half credit); it sorts a copy, so it allocates (NaN if that fails). */
SML_API double sml_metric_compute(sml_metric m, const double *y, const double *pred, const double *w, size_t n);

#ifdef __cplusplus
}
#endif
#endif
