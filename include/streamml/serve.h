/*
 * streamml: the HTTP prediction service (`streamml serve`). POST /predict (a JSON object, an array of them, or a
 * CSV body), GET /model, /healthz, /metrics (Prometheus). Serves the current model of a store and swaps in new
 * versions live (requests in flight finish on the model they started with). Binds to 127.0.0.1 unless told
 * otherwise; bodies, connections and time are limited. The server runs its own threads; create and free it from
 * one thread.
 */
#ifndef STREAMML_SERVE_H
#define STREAMML_SERVE_H

#include <stddef.h>
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

/* A metrics exporter (`run --metrics-listen`): GET /metrics answers the text fn formats (Prometheus text; fn sets
 * *text to an allocated buffer the server frees, returns 0, or non-zero for a 500), GET /healthz "ok". listen is
 * host:port, or a bare port on 127.0.0.1. fn is called from the server's own thread only. */
typedef struct sml_metrics_server sml_metrics_server;
typedef int (*sml_metrics_fn)(void *opaque, char **text, size_t *len);
SML_API int sml_metrics_server_new(const char *listen, sml_metrics_fn fn, void *opaque, sml_metrics_server **out,
                                   sml_error *err);
SML_API uint16_t sml_metrics_server_port(const sml_metrics_server *s);
/* Stops serving (waits for the request in flight) and frees it. NULL is a no-op. */
SML_API void sml_metrics_server_free(sml_metrics_server *s);

#ifdef __cplusplus
}
#endif
#endif
