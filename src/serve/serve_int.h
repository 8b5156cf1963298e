/* Internal: the /predict body parser of serve.c, separate from HTTP so it can be fuzzed and tested alone. */
#ifndef SML_SERVE_INT_H
#define SML_SERVE_INT_H
#include <stddef.h>

#include <stdint.h>

#include "common/strbuf.h"
#include "streamml/pipeline.h"
#include "streamml/record.h"
#include "streamml/model.h"

/* Buffers one connection reuses from request to request, so a keep-alive client posting single records does not
 * allocate the batch, the examples and the scores for every record. SML_SERVE_SCRATCH_INIT /
 * sml_serve_scratch_release. */
typedef struct sml_serve_scratch {
    sml_batch batch;
    sml_examples ex;
    double *score;
    size_t score_cap;
    uint8_t *optional;
    size_t optional_cap;
} sml_serve_scratch;

#define SML_SERVE_SCRATCH_INIT {SML_BATCH_INIT, SML_EXAMPLES_INIT, NULL, 0, NULL, 0}

void sml_serve_scratch_release(sml_serve_scratch *sc);

/* Parses a /predict body (one JSON object, a JSON array of objects, or CSV when `csv`) through m's pipeline and
 * scores it. Returns the HTTP status: 200 with the JSON response appended to `out` and the records scored in
 * *nscored; 400 (bad body) or 500 with the reason in msg. `body` is rewritten in place (an array's top-level commas
 * become line breaks). m is borrowed; `scratch` (NULL: temporary buffers) holds buffers kept for the next call:
 * small ones are kept, those of a large body freed. Thread-safe for distinct bodies and scratches. */
unsigned sml_serve_predict_body(sml_model *m, sml_strbuf *body, int csv, sml_serve_scratch *scratch, sml_strbuf *out,
                                size_t *nscored, char *msg, size_t msgcap);
#endif
