/*
 * Live metrics of a running stream (see run_metrics.h): the engine thread publishes snapshots, the exporter's
 * thread formats the latest one in the Prometheus text format (common/prom.c, the same writer as serve's).
 */
#include "engine/run_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/prom.h"
#include "streamml/error.h"

/* batch latency: from a batch's first record to its close (sink flushed, checkpoint and commit done) */
static const double batch_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct sml_run_metrics {
    pthread_mutex_t lock;
    sml_run_snapshot snap; /* under lock */
    sml_prom_hist batch_seconds;
};

int sml_run_metrics_new(sml_run_metrics **out)
{
    sml_run_metrics *m = calloc(1, sizeof *m);
    *out = m;
    if (!m)
        return SML_ENOMEM;
    pthread_mutex_init(&m->lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &m->snap.last_checkpoint);
    sml_prom_hist_init(&m->batch_seconds, batch_bounds, sizeof batch_bounds / sizeof batch_bounds[0]);
    return 0;
}

void sml_run_metrics_free(sml_run_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void sml_run_metrics_update(sml_run_metrics *m, const sml_run_snapshot *s)
{
    pthread_mutex_lock(&m->lock);
    m->snap = *s;
    pthread_mutex_unlock(&m->lock);
}

void sml_run_metrics_batch_seconds(sml_run_metrics *m, double secs) { sml_prom_hist_observe(&m->batch_seconds, secs); }

int sml_run_metrics_write(sml_run_metrics *m, sml_strbuf *sb)
{
    sml_run_snapshot s;
    pthread_mutex_lock(&m->lock);
    s = m->snap;
    pthread_mutex_unlock(&m->lock);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int rc = 0;
    rc |= sml_prom_counter(sb, "streamml_run_records_in_total",
                           "Records read from the source (each is written or dead-lettered).", s.records_in);
    rc |= sml_prom_counter(sb, "streamml_run_records_out_total", "Rows written to the sink.", s.records_out);
    rc |= sml_prom_counter(sb, "streamml_run_records_labelled_total", "Records scored with a usable label.",
                           s.labelled);
    rc |= sml_prom_counter(sb, "streamml_run_records_learned_total", "Records learned from.", s.learned);
    rc |= sml_prom_counter(sb, "streamml_run_dead_letters_total",
                           "Records rejected to the dead letters (bad rows and unusable records).", s.dead_letters);
    rc |= sml_prom_counter(sb, "streamml_run_bad_rows_total", "Rows the parser rejected (a subset of the dead letters).",
                           s.bad_rows);
    rc |= sml_prom_counter(sb, "streamml_run_batches_total", "Batches closed.", s.batches);
    rc |= sml_prom_gauge(sb, "streamml_model_version", "The model version scoring (0: learned from scratch).",
                         (double)s.model_version);
    rc |= sml_prom_counter(sb, "streamml_model_swaps_total", "Models swapped in live.", s.swaps);
    if (s.have_state)
        rc |= sml_prom_gauge(sb, "streamml_run_checkpoint_age_seconds",
                             "Seconds since the last checkpoint was written (or the run started).",
                             (double)(now.tv_sec - s.last_checkpoint.tv_sec) +
                                 1e-9 * (double)(now.tv_nsec - s.last_checkpoint.tv_nsec));
    if (s.npartitions) {
        rc |= sml_prom_family(sb, "streamml_run_kafka_lag", "gauge",
                              "Messages in an assigned partition after the engine's position (high watermark - position).");
        char labels[48];
        for (size_t i = 0; i < s.npartitions; i++) {
            snprintf(labels, sizeof labels, "partition=\"%d\"", (int)s.partition[i]);
            rc |= sml_prom_sample(sb, "streamml_run_kafka_lag", labels, (double)s.lag[i]);
        }
    }
    rc |= sml_prom_hist_write(sb, "streamml_run_batch_seconds",
                              "Batch latency: from a batch's first record to its close (sink flushed; with a Kafka "
                              "sink and no --state the delivery wait and the commit overlap the next batch).",
                              &m->batch_seconds);
    return rc;
}
