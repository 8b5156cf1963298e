/*
 * Prometheus text format writers (see prom.h): the one place `serve` and `run --metrics-listen` format their
 * metrics, so both follow the same conventions (names streamml_*, counters *_total, seconds, cumulative buckets).
 */
#include "common/prom.h"

#include <math.h>

int sml_prom_family(sml_strbuf *sb, const char *name, const char *type, const char *help)
{
    return sml_strbuf_addf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int sml_prom_sample_u64(sml_strbuf *sb, const char *name, const char *labels, uint64_t v)
{
    if (labels)
        return sml_strbuf_addf(sb, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
    return sml_strbuf_addf(sb, "%s %llu\n", name, (unsigned long long)v);
}

int sml_prom_sample(sml_strbuf *sb, const char *name, const char *labels, double v)
{
    int rc = labels ? sml_strbuf_addf(sb, "%s{%s} ", name, labels) : sml_strbuf_addf(sb, "%s ", name);
    /* Prometheus spells the non-finite values NaN, +Inf, -Inf */
    if (isnan(v))
        rc |= sml_strbuf_adds(sb, "NaN");
    else if (isinf(v))
        rc |= sml_strbuf_adds(sb, v > 0 ? "+Inf" : "-Inf");
    else
        rc |= sml_strbuf_add_double(sb, v);
    return rc | sml_strbuf_adds(sb, "\n");
}

int sml_prom_counter(sml_strbuf *sb, const char *name, const char *help, uint64_t v)
{
    return sml_prom_family(sb, name, "counter", help) | sml_prom_sample_u64(sb, name, NULL, v);
}

int sml_prom_gauge(sml_strbuf *sb, const char *name, const char *help, double v)
{
    return sml_prom_family(sb, name, "gauge", help) | sml_prom_sample(sb, name, NULL, v);
}

void sml_prom_hist_init(sml_prom_hist *h, const double *bounds, size_t nbounds)
{
    if (nbounds > SML_PROM_MAX_BUCKETS)
        nbounds = SML_PROM_MAX_BUCKETS;
    h->nbounds = nbounds;
    for (size_t i = 0; i < nbounds; i++)
        h->bounds[i] = bounds[i];
    for (size_t i = 0; i <= SML_PROM_MAX_BUCKETS; i++)
        atomic_init(&h->count[i], 0);
    atomic_init(&h->sum, 0.0);
}

void sml_prom_hist_observe(sml_prom_hist *h, double v)
{
    size_t b = 0;
    while (b < h->nbounds && v > h->bounds[b])
        b++;
    atomic_fetch_add(&h->count[b], 1);
    double old = atomic_load(&h->sum);
    while (!atomic_compare_exchange_weak(&h->sum, &old, old + v))
        ;
}

int sml_prom_hist_write(sml_strbuf *sb, const char *name, const char *help, sml_prom_hist *h)
{
    int rc = sml_prom_family(sb, name, "histogram", help);
    unsigned long long cum = 0;
    for (size_t i = 0; i < h->nbounds; i++) {
        cum += atomic_load(&h->count[i]);
        rc |= sml_strbuf_addf(sb, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i], cum);
    }
    cum += atomic_load(&h->count[h->nbounds]);
    rc |= sml_strbuf_addf(sb, "%s_bucket{le=\"+Inf\"} %llu\n", name, cum);
    rc |= sml_strbuf_addf(sb, "%s_sum %.6f\n%s_count %llu\n", name, atomic_load(&h->sum), name, cum);
    return rc;
}
