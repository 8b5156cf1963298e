/* The Prometheus text exposition format (version 0.0.4), shared by `serve`'s /metrics and `run --metrics-listen`:
 * one HELP and TYPE line per metric family, then its samples; histograms with cumulative `_bucket{le=...}` lines,
 * `_sum` and `_count`. A histogram is observed from any thread (atomics) and written from any other. */
#ifndef SML_PROM_H
#define SML_PROM_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

#define SML_PROM_CONTENT_TYPE "text/plain; version=0.0.4"
#define SML_PROM_MAX_BUCKETS 16

/* "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram). */
int sml_prom_family(sml_strbuf *sb, const char *name, const char *type, const char *help);
/* One sample: "name{labels} value\n"; labels is the text between the braces (e.g. `partition="3"`) or NULL. */
int sml_prom_sample_u64(sml_strbuf *sb, const char *name, const char *labels, uint64_t v);
int sml_prom_sample(sml_strbuf *sb, const char *name, const char *labels, double v);
/* A family with one unlabelled sample. */
int sml_prom_counter(sml_strbuf *sb, const char *name, const char *help, uint64_t v);
int sml_prom_gauge(sml_strbuf *sb, const char *name, const char *help, double v);

typedef struct sml_prom_hist {
    size_t nbounds;
    double bounds[SML_PROM_MAX_BUCKETS];           /* upper bounds, increasing */
    atomic_ullong count[SML_PROM_MAX_BUCKETS + 1]; /* per bucket (not cumulative); the last is +Inf */
    _Atomic double sum;
} sml_prom_hist;

/* Sets the bucket bounds (at most SML_PROM_MAX_BUCKETS, increasing) and zeroes the counts. */
void sml_prom_hist_init(sml_prom_hist *h, const double *bounds, size_t nbounds);
void sml_prom_hist_observe(sml_prom_hist *h, double v);
/* The whole family: HELP, TYPE, cumulative buckets, _sum, _count. */
int sml_prom_hist_write(sml_strbuf *sb, const char *name, const char *help, sml_prom_hist *h);
#endif
