/* Internal: the /predict body parser of serve.c, separate from HTTP so it can be fuzzed and tested alone. */
#ifndef SML_SERVE_INT_H
#define SML_SERVE_INT_H
#include <stddef.h>

#include "common/strbuf.h"
#include "streamml/model.h"

/* Parses a /predict body (one JSON object, a JSON array of objects, or CSV when `csv`) through m's pipeline and
 * scores it. Returns the HTTP status: 200 with the JSON response appended to `out` and the records scored in
 * *nscored; 400 (bad body) or 500 with the reason in msg. `body` is rewritten in place (an array's top-level commas
 * become line breaks). m is borrowed; thread-safe for distinct bodies. */
unsigned sml_serve_predict_body(sml_model *m, sml_strbuf *body, int csv, sml_strbuf *out, size_t *nscored, char *msg,
                                size_t msgcap);
#endif
