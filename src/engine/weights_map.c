/* Matching a model's weights onto another pipeline by feature name (warm starts and bases, fit and run). */
#include <stdlib.h>

#include "common/strmap.h"
#include "engine/engine_int.h"
#include "features/features_int.h"

int sml_map_weights_by_name(const sml_pipeline *p, const sml_model *m, int fit_intercept, double *theta, size_t d,
                            sml_error *err)
{
    const sml_pipeline *mp = sml_model_pipeline(m);
    size_t md = sml_pipeline_dim(mp);
    const double *mw = sml_model_weights(m);
    sml_strmap names = SML_STRMAP_INIT;
    char name[512];
    int rc = 0;
    for (size_t i = 0; i < md; i++) {
        if (mw[i] == 0)
            continue;
        size_t n = sml_pipeline_feature_key(mp, i, name, sizeof name);
        if (!sml_strmap_put(&names, name, n, (uint32_t)i, NULL)) {
            rc = sml_fail(err, SML_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < d; i++) {
        size_t n = sml_pipeline_feature_key(p, i, name, sizeof name);
        const uint32_t *j = sml_strmap_get(&names, name, n);
        theta[i] = j ? mw[*j] : 0.0;
    }
    if (fit_intercept) {
        sml_model_info info;
        sml_model_get_info(m, &info);
        theta[d] = info.intercept;
    }
out:
    sml_strmap_release(&names);
    return rc;
}
