/*
 * streamml: the HTTP prediction service (`streamml serve`). POST /predict (a JSON object, an array of them, or a
 * CSV body), GET /model, /healthz, /metrics (Prometheus). Serves the current model of a store and swaps in new
 * versions live (requests in flight finish on the model they started with). Binds to 127.0.0.1 unless told
 * otherwise; bodies, connections and time are limited. The server runs its own threads; create and free it from
 * one thread.
 */
#ifndef STREAMML_SERVE_H
#define STREAMML_SERVE_H

#include <stdint.h>

#include "streamml/conf.h"
#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sml_server sml_server;

/* Loads the model (--model), starts listening (--listen) and serving. */
SML_API int sml_server_new(const sml_conf *conf, sml_server **out, sml_error *err);
SML_API void sml_server_set_log(sml_server *s, void (*fn)(void *opaque, int level, const char *msg), void *opaque);
/* The port actually bound (useful with port 0). */
SML_API uint16_t sml_server_port(const sml_server *s);
/* Stops serving (finishing requests in flight) and frees everything. NULL is a no-op. */
SML_API void sml_server_free(sml_server *s);

#ifdef __cplusplus
}
#endif
#endif
