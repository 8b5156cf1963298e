/*
 * streamml: the stream engine (`streamml run`).
 *
 *   source -> parser -> pipeline -> predict -> (learn) -> sink
 *
 * Records move in batches closed by batch_size records or batch_interval, whichever comes first (an idle input
 * still gets its partial batch flushed). Learning is prequential and per record: each labelled record is scored,
 * then learned from, so the weights after a stream do not depend on the batch size (the Spark-compatible learner
 * is the exception: it learns per micro-batch, as Spark does). Bad records never stop the stream: they go to the
 * dead-letter file with the reason and are counted. With a state directory the engine checkpoints the learner,
 * pipeline, metric accumulators and source positions as one atomic unit and resumes from it.
 *
 * The engine is configured from an sml_conf (the property table: `streamml help config`, keys used by "run").
 * One engine is driven by one thread; sml_engine_stop may be called from any thread or a signal handler.
 * Engines share nothing: several may run in one process.
 */
#ifndef STREAMML_ENGINE_H
#define STREAMML_ENGINE_H

#include <stdint.h>

#include "streamml/conf.h"
#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sml_engine sml_engine;

enum { SML_LOG_LEVEL_ERROR = 0, SML_LOG_LEVEL_WARN = 1, SML_LOG_LEVEL_INFO = 2, SML_LOG_LEVEL_DEBUG = 3 };

typedef struct sml_engine_stats {
    uint64_t records;       /* good records read */
    uint64_t labelled;      /* records scored with a usable label (prequential count) */
    uint64_t learned;       /* records learned from */
    uint64_t dead_letters;  /* records rejected */
    uint64_t batches;
    uint64_t model_version;
    double elapsed_s;
    double records_per_s;   /* over the last batch */
    const char *metric;     /* "rmse" or "logloss" */
    double cumulative;      /* its prequential value so far (NaN before any label) */
    double last_batch;      /* its value over the last batch */
} sml_engine_stats;

/* Builds an engine from the settings (reads them; conf may be freed afterwards). Opens the source, the sink and
 * the model; errors say which setting or place is wrong. */
SML_API int sml_engine_new(const sml_conf *conf, sml_engine **out, sml_error *err);
SML_API void sml_engine_free(sml_engine *e);
/* Log lines (level, message without newline). Without a callback the engine is silent. */
SML_API void sml_engine_set_log(sml_engine *e, void (*fn)(void *opaque, int level, const char *msg), void *opaque);
/* Called after every batch (for a progress line). */
SML_API void sml_engine_set_progress(sml_engine *e, void (*fn)(void *opaque, const sml_engine_stats *st),
                                     void *opaque);
/* Runs until the source ends (a file) or sml_engine_stop is called: the batch in flight is finished, outputs
 * flushed and (with a state directory) a checkpoint written. Returns 0 or a negative code. */
SML_API int sml_engine_run(sml_engine *e, sml_error *err);
/* Asks a running engine to stop after the current batch. Async-signal-safe. */
SML_API void sml_engine_stop(sml_engine *e);
SML_API void sml_engine_get_stats(const sml_engine *e, sml_engine_stats *st);
/* The run's live metrics in the Prometheus text format (counts of this process, model version and swaps,
 * checkpoint age, per-partition lag of a Kafka source, a batch latency histogram), as the engine published them
 * after its last batch (or idle tick). Thread-safe: may be called from any thread while sml_engine_run runs, but
 * not concurrently with sml_engine_free. *text is allocated (release it with free()). Returns 0 or SML_ENOMEM. */
SML_API int sml_engine_metrics_text(sml_engine *e, char **text, size_t *len, sml_error *err);

#ifdef __cplusplus
}
#endif
#endif
