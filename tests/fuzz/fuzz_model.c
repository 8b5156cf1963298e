/* Fuzz target: the model file loader (untrusted bytes). Anything it accepts must encode and decode again to the
 * same bytes, and score without faults. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "streamml/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sml_model *m = NULL, *m2 = NULL;
    sml_error err;
    if (sml_model_decode(data, size, "fuzz", &m, &err) != 0)
        return 0;
    void *enc = NULL, *enc2 = NULL;
    size_t len = 0, len2 = 0;
    if (sml_model_encode(m, &enc, &len, &err) != 0 || sml_model_decode(enc, len, "re", &m2, &err) != 0 ||
        sml_model_encode(m2, &enc2, &len2, &err) != 0 || len != len2 || memcmp(enc, enc2, len) != 0)
        abort();
    const char *names[] = {"a", "b", "purpose"}, *values[] = {"1", "x", "credit_card"};
    double p;
    sml_model_predict_record(m, names, values, 3, &p, NULL, &err);
    free(enc);
    free(enc2);
    sml_model_free(m);
    sml_model_free(m2);
    return 0;
}
