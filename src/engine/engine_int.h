/* Internal to the engine stage: pieces shared by batch training and the stream engine. */
#ifndef SML_ENGINE_INT_H
#define SML_ENGINE_INT_H
#include "streamml/model.h"
#include "streamml/pipeline.h"

/* θ for pipeline p from model m, matched by feature name ("fico", "purpose=credit_card"): features m does not have
 * get 0; with fit_intercept, theta[d] is m's intercept. theta has d (+1) entries, d = sml_pipeline_dim(p). */
int sml_map_weights_by_name(const sml_pipeline *p, const sml_model *m, int fit_intercept, double *theta, size_t d,
                            sml_error *err);
#endif
