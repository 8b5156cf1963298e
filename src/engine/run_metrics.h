/* Live metrics of a running stream for `run --metrics-listen` (internal to the engine stage).
 *
 * The engine thread publishes a snapshot of its counters after every batch (and now and then while idle) with
 * sml_run_metrics_update; any other thread (the HTTP exporter's) formats the latest snapshot as Prometheus text
 * with sml_run_metrics_write. A mutex guards the snapshot; the batch latency histogram is atomic. No I/O here. */
#ifndef SML_RUN_METRICS_H
#define SML_RUN_METRICS_H
#include <stdint.h>
#include <time.h>

#include "common/strbuf.h"

#define SML_RUN_MAX_PARTITIONS 256

typedef struct sml_run_snapshot {
    uint64_t records_in;    /* records read: each is written to the sink or dead-lettered */
    uint64_t records_out;   /* rows written to the sink */
    uint64_t learned, labelled, dead_letters, bad_rows, batches, model_version, swaps;
    int have_state;                 /* a state directory: checkpoints are written */
    struct timespec last_checkpoint; /* CLOCK_MONOTONIC */
    size_t npartitions;             /* Kafka sources: assigned partitions and their lag */
    int32_t partition[SML_RUN_MAX_PARTITIONS];
    int64_t lag[SML_RUN_MAX_PARTITIONS];
} sml_run_snapshot;

typedef struct sml_run_metrics sml_run_metrics;

int sml_run_metrics_new(sml_run_metrics **out);
void sml_run_metrics_free(sml_run_metrics *m);
/* Engine thread: the counters now. */
void sml_run_metrics_update(sml_run_metrics *m, const sml_run_snapshot *s);
/* Engine thread: a batch closed after this many seconds from its first record. */
void sml_run_metrics_batch_seconds(sml_run_metrics *m, double secs);
/* Any thread: the latest snapshot as Prometheus text. */
int sml_run_metrics_write(sml_run_metrics *m, sml_strbuf *sb);
#endif
