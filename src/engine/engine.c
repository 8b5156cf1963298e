/*
 * The stream engine (see include/streamml/engine.h): the loop that moves records from a source through the
 * pipeline to a model and a sink, learns from them when asked, and keeps run state.
 *
 *   start      model from --model (its pipeline comes with it), or from scratch: the head of the stream is read
 *              untyped, its schema inferred and a pipeline fitted on it (categoricals hashed), then those records
 *              are processed like the rest;
 *   chunk      what the source has now (at most what the batch still takes): transform, then per record score,
 *              write, and learn (prequential);
 *   batch      closes on batch_size records or batch_interval, or early when the watched store has a new current
 *              version (swapped in right after): sink flushed, metrics line, progress, checkpoint and publish
 *              (through the promotion gate with --gate) when due;
 *   state      one checkpoint file written atomically: counters, pipeline, learner, metric accumulators, source
 *              position; a restart seeks the source there and continues bit for bit.
 */
#include "streamml/engine.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/codec.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "engine/engine_int.h"
#include "engine/run_metrics.h"
#include "features/features_int.h"
#include "io/io_int.h"
#include "models/loss.h"
#include "optim/online.h"
#include "streamml/model.h"
#include "streamml/num.h"
#include "streamml/schema.h"
#include "streamml/store.h"
#include "streamml/parquet.h"
#include "streamml/textout.h"
#include "streamml/train.h"

#define CHUNK_ROWS 4096
#define AUC_BINS 1000
#define LAT_BINS 64 /* log2 buckets of microseconds */
#define CKPT_MAGIC "SMLCKPT1"
#define MAX_TRACED 50

/* ------------------------------------------------------------------ metric accumulators */

typedef struct macc {
    uint64_t n;
    double sw, sse, sae, swy, swy2, logloss, correct;
    double pos[AUC_BINS], neg[AUC_BINS];
} macc;

/* Adds one labelled record to the batch's and the cumulative accumulators: the record's terms (a log for log loss)
 * are computed once for both. */
static void macc_add2(macc *a, macc *b, int classification, double y, double p, double w)
{
    a->n++;
    b->n++;
    a->sw += w;
    b->sw += w;
    if (classification) {
        double q = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
        double ll = w * -(y > 0 ? log(q) : log1p(-q)), ok = w * ((p >= 0.5) == (y > 0));
        a->logloss += ll;
        b->logloss += ll;
        a->correct += ok;
        b->correct += ok;
        int bin = (int)(p * AUC_BINS);
        bin = bin < 0 ? 0 : bin >= AUC_BINS ? AUC_BINS - 1 : bin;
        double *ha = y > 0 ? a->pos : a->neg, *hb = y > 0 ? b->pos : b->neg;
        ha[bin] += w;
        hb[bin] += w;
    } else {
        double d = y - p, se = w * d * d, ae = w * fabs(d), wy = w * y, wy2 = w * y * y;
        a->sse += se;
        b->sse += se;
        a->sae += ae;
        b->sae += ae;
        a->swy += wy;
        b->swy += wy;
        a->swy2 += wy2;
        b->swy2 += wy2;
    }
}

/* Binned AUC: pairs in different bins are ordered exactly, pairs within a bin count half; the error is at most
 * half the share of positive-negative pairs that fall in one bin (returned in *bound). */
static double macc_auc(const macc *m, double *bound)
{
    double neg_below = 0, area = 0, same = 0, P = 0, N = 0;
    for (int b = 0; b < AUC_BINS; b++) {
        area += m->pos[b] * (neg_below + 0.5 * m->neg[b]);
        same += m->pos[b] * m->neg[b];
        neg_below += m->neg[b];
        P += m->pos[b];
        N += m->neg[b];
    }
    if (bound)
        *bound = P > 0 && N > 0 ? 0.5 * same / (P * N) : NAN;
    return P > 0 && N > 0 ? area / (P * N) : NAN;
}

/* The headline metric: rmse (regression) or logloss (classification). */
static double macc_main(const macc *m, int classification)
{
    if (!m->n || !(m->sw > 0))
        return NAN;
    return classification ? m->logloss / m->sw : sqrt(m->sse / m->sw);
}

static int macc_json(sml_strbuf *sb, const macc *m, int classification)
{
    int rc = 0;
    if (!m->n || !(m->sw > 0))
        return sml_strbuf_adds(sb, "{}");
    if (classification) {
        double bound;
        double auc = macc_auc(m, &bound);
        rc |= sml_strbuf_adds(sb, "{\"logloss\": ");
        rc |= sml_strbuf_add_json_double(sb, m->logloss / m->sw);
        rc |= sml_strbuf_adds(sb, ", \"accuracy\": ");
        rc |= sml_strbuf_add_json_double(sb, m->correct / m->sw);
        rc |= sml_strbuf_adds(sb, ", \"auc\": ");
        rc |= sml_strbuf_add_json_double(sb, auc);
        rc |= sml_strbuf_adds(sb, ", \"auc_error_bound\": ");
        rc |= sml_strbuf_add_json_double(sb, bound);
        rc |= sml_strbuf_adds(sb, "}");
    } else {
        double mse = m->sse / m->sw, mean = m->swy / m->sw, var = m->swy2 / m->sw - mean * mean;
        rc |= sml_strbuf_adds(sb, "{\"rmse\": ");
        rc |= sml_strbuf_add_json_double(sb, sqrt(mse));
        rc |= sml_strbuf_adds(sb, ", \"mae\": ");
        rc |= sml_strbuf_add_json_double(sb, m->sae / m->sw);
        rc |= sml_strbuf_adds(sb, ", \"r2\": ");
        rc |= sml_strbuf_add_json_double(sb, var > 0 ? 1 - mse / var : NAN);
        rc |= sml_strbuf_adds(sb, ", \"mse\": ");
        rc |= sml_strbuf_add_json_double(sb, mse);
        rc |= sml_strbuf_adds(sb, "}");
    }
    return rc;
}

static int macc_encode(sml_strbuf *sb, const macc *m)
{
    int rc = sml_put_u64(sb, m->n);
    const double *v = &m->sw;
    for (size_t i = 0; i < 7; i++)
        rc |= sml_put_f64(sb, v[i]);
    for (int b = 0; b < AUC_BINS; b++)
        rc |= sml_put_f64(sb, m->pos[b]) | sml_put_f64(sb, m->neg[b]);
    return rc;
}

static void macc_decode(sml_cursor *c, macc *m)
{
    m->n = sml_get_u64(c);
    double *v = &m->sw;
    for (size_t i = 0; i < 7; i++)
        v[i] = sml_get_f64(c);
    for (int b = 0; b < AUC_BINS; b++) {
        m->pos[b] = sml_get_f64(c);
        m->neg[b] = sml_get_f64(c);
    }
}

/* ------------------------------------------------------------------ the engine */

struct sml_engine {
    /* settings */
    char *from, *to, *dead_path, *metrics_path, *run_name, *state_dir, *model_uri, *base_uri, *store_uri, *label;
    char *weight;
    char **keep;
    sml_task task_asked;
    size_t batch_size, sample_rows;
    int64_t batch_interval_ms, checkpoint_interval_ms, publish_every_ms;
    uint64_t checkpoint_records;
    int learn, trace_weights, fit_intercept;
    int discard;              /* the sink is null: rows are not even formatted */
    uint32_t hash_bits, hash_seed;
    double warm_records;
    sml_online_opts online;
    char learner_name[16];
    char output_format[8];
    char on_new_model[8];
    sml_store_watch *watch;     /* hot reload of --model STORE */
    uint64_t failed_version;    /* a version that would not load: not retried */
    uint64_t swaps;
    int64_t reload_check_ms;
    sml_source_opts sopts;
    sml_format out_format;
    char **kafka_props;         /* kafka.* pass-through: key, value, key, value, ... */
    size_t kafka_nprops;
    char **csv_columns;         /* --csv-columns (Kafka CSV messages) */
    char *key_column;           /* --key-column (Kafka sink) */
    /* --publish-every through the promotion gate (gate_check) */
    int gate;
    char *gate_data;
    double gate_tolerance;
    char gate_metric[16];
    sml_table gate_rows;        /* --gate-data, read at the first publish */

    /* parts */
    sml_source src;
    sml_sink sink;
    sml_textout *out;
    sml_parquet_writer *pq;     /* parquet: sinks */
    int label_decided;
    FILE *dead, *metrics;
    sml_model *model;         /* starting / scoring model (NULL from scratch) */
    sml_model *base;          /* for l2_to_base */
    sml_pipeline *pipeline;   /* the pipeline in use (owned: a clone or fitted on the head) */
    sml_learner *learner;
    const sml_loss *loss;
    int classification;
    char *positive, *negative;
    uint64_t model_version;

    /* layout: the pipeline inputs, then passthrough columns (text) */
    size_t nin, ncols;
    char **names;
    sml_type *types;
    uint8_t *optional;
    int *keep_idx;
    size_t nkeep;
    int label_in;             /* input index of the label, -1 without */
    int label_out;            /* label written to the output */
    int header_written;
    int header_kept;          /* the file sink kept a resumed run's output: its header is there already */

    /* work space */
    sml_batch chunk;
    sml_examples ex, spark;
    uint8_t *spark_use;
    double *theta;            /* dense weights for tracing/publishing */

    /* counters and metrics */
    uint64_t records, labelled, learned, dead_letters, batches, in_batch, ckpt_records_at;
    int have_ckpt; /* the state dir holds a checkpoint (restored or written) */
    /* pipelined commits (Kafka -> Kafka without --state): batch `pipe_mark` of the sink is not settled yet, and
     * the source's snapshot holds the positions after it; pipe_behind: batches closed after it (the last one
     * pipe_last) whose positions are in no snapshot yet */
    int pipe_pending, pipe_behind;
    uint64_t pipe_mark, pipe_last;
    int in_head;   /* processing the head read for the schema: the source is already past rows not yet done */
    macc cum, cur;
    double lat_hist[LAT_BINS], lat_hist_batch[LAT_BINS];
    struct timespec t_start, t_batch_first, t_last_ckpt, t_last_publish;
    double last_batch_rate, last_batch_metric;
    int have_batch_first;
    sml_run_metrics *rm;          /* live metrics for an exporter thread (run_metrics.c) */
    sml_run_snapshot rm_base;     /* counters when this process started (after a resume) */
    uint64_t bad_rows, written;   /* this process: rows the parser rejected, rows written to the sink */
    struct timespec t_rm;         /* last snapshot published */

    /* transactional sinks (postgres): the last committed checkpoint id and the positions it committed */
    uint64_t txn_id;
    sml_strbuf txn_positions;
    sml_strbuf txn_parts;     /* per-partition positions of the batch (save_parts) */
    int txn_have_positions;

    atomic_int stop;
    void (*log)(void *, int, const char *);
    void *log_opaque;
    void (*progress)(void *, const sml_engine_stats *);
    void *progress_opaque;
};

static void logf_(sml_engine *e, int level, const char *fmt, ...) SML_PRINTF(3, 4);
static void logf_(sml_engine *e, int level, const char *fmt, ...)
{
    if (!e->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->log(e->log_opaque, level, msg);
}

static void source_log(void *opaque, int level, const char *msg) { logf_(opaque, level, "%s", msg); }

static double secs_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + 1e-9 * (double)(b->tv_nsec - a->tv_nsec);
}

static struct timespec mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

void sml_engine_set_log(sml_engine *e, void (*fn)(void *, int, const char *), void *opaque)
{
    e->log = fn;
    e->log_opaque = opaque;
}

void sml_engine_set_progress(sml_engine *e, void (*fn)(void *, const sml_engine_stats *), void *opaque)
{
    e->progress = fn;
    e->progress_opaque = opaque;
}

void sml_engine_stop(sml_engine *e) { atomic_store(&e->stop, 1); }

void sml_engine_get_stats(const sml_engine *e, sml_engine_stats *st)
{
    struct timespec now = mono_now();
    memset(st, 0, sizeof *st);
    st->records = e->records;
    st->labelled = e->labelled;
    st->learned = e->learned;
    st->dead_letters = e->dead_letters;
    st->batches = e->batches;
    st->model_version = e->model_version;
    st->elapsed_s = secs_between(&e->t_start, &now);
    st->records_per_s = e->last_batch_rate;
    st->metric = e->classification ? "logloss" : "rmse";
    st->cumulative = macc_main(&e->cum, e->classification);
    st->last_batch = e->last_batch_metric;
}

int sml_engine_metrics_text(sml_engine *e, char **text, size_t *len, sml_error *err)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    *text = NULL;
    *len = 0;
    if (sml_run_metrics_write(e->rm, &sb) != 0 || !sb.buf) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOMEM, "out of memory formatting the metrics");
    }
    *text = sb.buf;
    *len = sb.len;
    return 0;
}

void sml_engine_free(sml_engine *e)
{
    if (!e)
        return;
    if (e->out) {
        sml_textout_flush(e->out, NULL);
        sml_textout_free(e->out);
    }
    sml_parquet_writer_free(e->pq);
    sml_sink_close(&e->sink);
    sml_source_close(&e->src);
    sml_strbuf_release(&e->txn_positions);
    sml_strbuf_release(&e->txn_parts);
    if (e->dead)
        fclose(e->dead);
    if (e->metrics)
        fclose(e->metrics);
    sml_store_watch_free(e->watch);
    sml_run_metrics_free(e->rm);
    sml_model_free(e->model);
    sml_model_free(e->base);
    sml_pipeline_free(e->pipeline);
    sml_learner_free(e->learner);
    for (size_t i = 0; e->names && i < e->ncols; i++)
        free(e->names[i]);
    free(e->names);
    free(e->types);
    free(e->optional);
    free(e->keep_idx);
    sml_list_free(e->keep);
    for (size_t i = 0; i < 2 * e->kafka_nprops; i++)
        free(e->kafka_props[i]);
    free(e->kafka_props);
    sml_list_free(e->csv_columns);
    free(e->key_column);
    free(e->gate_data);
    sml_table_release(&e->gate_rows);
    sml_batch_release(&e->chunk);
    sml_examples_release(&e->ex);
    sml_examples_release(&e->spark);
    free(e->spark_use);
    free(e->theta);
    free(e->positive);
    free(e->negative);
    char **strs[] = {&e->from, &e->to, &e->dead_path, &e->metrics_path, &e->run_name, &e->state_dir, &e->model_uri,
                     &e->base_uri, &e->store_uri, &e->label, &e->weight};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    free(e);
}


/* ------------------------------------------------------------------ setup */

static int add_kafka_prop(const char *key, const char *value, void *opaque)
{
    sml_engine *e = opaque;
    char **kv = realloc(e->kafka_props, (2 * e->kafka_nprops + 2) * sizeof *kv);
    if (!kv)
        return SML_ENOMEM;
    e->kafka_props = kv;
    if (!(kv[2 * e->kafka_nprops] = strdup(key)) || !(kv[2 * e->kafka_nprops + 1] = strdup(value))) {
        free(kv[2 * e->kafka_nprops]);
        return SML_ENOMEM;
    }
    e->kafka_nprops++;
    return 0;
}

static int close_batch(sml_engine *e, int force_checkpoint, sml_error *err);

/* Pipelined commits: once the sink has settled the snapshot's batch (waited for, or only checked), the source
 * commits the snapshot's positions. Returns 1 settled and committed, 0 not yet (only without `wait`), < 0. */
static int settle_snapshot(sml_engine *e, int wait, sml_error *err)
{
    int rc = e->sink.kind->settle(e->sink.st, e->pipe_mark, wait, err);
    if (rc != 1)
        return rc;
    e->pipe_pending = 0;
    rc = e->src.kind->commit_snapshot(e->src.st, err);
    return rc ? rc : 1;
}

/* Pipelined commits: the sink's batches are all settled and the source commits the positions after them (the
 * snapshot's, then the current ones when batches closed since). Only between batches: every record the source
 * returned is in a closed batch. */
static int drain_pipeline(sml_engine *e, sml_error *err)
{
    int rc;
    if (e->pipe_pending && (rc = settle_snapshot(e, 1, err)) < 0)
        return rc;
    if (e->pipe_behind) {
        if ((rc = e->sink.kind->settle(e->sink.st, e->pipe_last, 1, err)) < 0)
            return rc;
        e->pipe_behind = 0;
        return e->src.kind->commit(e->src.st, err);
    }
    return 0;
}

/* The source is about to lose input (Kafka partitions revoked): the batch in flight goes out now. */
static int source_release(void *opaque, sml_error *err)
{
    sml_engine *e = opaque;
    if (!e->pipeline || !e->names)
        return 0; /* still reading the head of the stream: nothing written, nothing to commit */
    int rc = close_batch(e, e->state_dir != NULL, err);
    return rc ? rc : drain_pipeline(e, err);
}

/* A partition was assigned (Kafka): where the transactional sink committed it, never the group's offset. */
static int source_committed_position(void *opaque, const char *key, sml_strbuf *val, sml_error *err)
{
    sml_engine *e = opaque;
    int rc = e->sink.kind->load_part(e->sink.st, key, val, err);
    if (rc < 0)
        sml_error_prefix(err, "%s: partition %s", e->to, key);
    return rc;
}

static int read_settings(sml_engine *e, const sml_conf *c, sml_error *err)
{
    static const sml_online_opts defaults = SML_ONLINE_OPTS_INIT;
    e->from = dup_or_null(sml_conf_str(c, "from"));
    e->to = dup_or_null(sml_conf_str(c, "to"));
    e->dead_path = dup_or_null(sml_conf_str(c, "dead_letter"));
    e->metrics_path = dup_or_null(sml_conf_str(c, "metrics"));
    e->run_name = dup_or_null(sml_conf_str(c, "run_name"));
    e->state_dir = dup_or_null(sml_conf_str(c, "state"));
    e->model_uri = dup_or_null(sml_conf_str(c, "model"));
    e->base_uri = dup_or_null(sml_conf_str(c, "base"));
    e->store_uri = dup_or_null(sml_conf_str(c, "store"));
    e->label = dup_or_null(sml_conf_str(c, "label"));
    e->weight = dup_or_null(sml_conf_str(c, "weight"));
    e->keep = sml_split_list(sml_conf_str(c, "keep"));
    if (!e->from)
        return sml_fail(err, SML_EINVAL, "no source: give --from URI (a file, -, dir:PATH, tcp://, tcp-listen://, "
                                         "kafka://)");
    const char *task = sml_conf_str(c, "task");
    e->task_asked = !strcmp(task, "regression") ? SML_TASK_REGRESSION
                    : !strcmp(task, "classification") ? SML_TASK_CLASSIFICATION
                                                       : SML_TASK_AUTO;
    e->batch_size = (size_t)sml_conf_int(c, "batch_size");
    e->sample_rows = sml_conf_is_set(c, "sample_rows") ? (size_t)sml_conf_int(c, "sample_rows") : 1000;
    e->batch_interval_ms = sml_conf_duration_ms(c, "batch_interval");
    e->checkpoint_interval_ms = sml_conf_duration_ms(c, "checkpoint_interval");
    e->checkpoint_records = (uint64_t)sml_conf_int(c, "checkpoint_records");
    e->publish_every_ms = sml_conf_is_set(c, "publish_every") ? sml_conf_duration_ms(c, "publish_every") : 0;
    e->learn = sml_conf_bool(c, "learn");
    e->trace_weights = sml_conf_bool(c, "trace_weights");
    e->fit_intercept = sml_conf_bool(c, "intercept");
    e->hash_bits = (uint32_t)sml_conf_int(c, "hash_bits");
    e->hash_seed = (uint32_t)sml_conf_int(c, "hash_seed");
    e->warm_records = sml_conf_double(c, "warm_records");
    snprintf(e->learner_name, sizeof e->learner_name, "%s", sml_conf_str(c, "learner"));
    snprintf(e->output_format, sizeof e->output_format, "%s", sml_conf_str(c, "output_format"));
    snprintf(e->on_new_model, sizeof e->on_new_model, "%s", sml_conf_str(c, "on_new_model"));
    e->reload_check_ms = sml_conf_duration_ms(c, "reload_check_interval");
    e->online = defaults;
    e->online.learner = e->learner_name;
    e->online.fit_intercept = e->fit_intercept;
    e->online.learning_rate = sml_conf_double(c, "learning_rate");
    e->online.power_t = sml_conf_double(c, "power_t");
    e->online.initial_t = sml_conf_double(c, "initial_t");
    e->online.l2 = sml_conf_double(c, "l2");
    e->online.l1 = sml_conf_double(c, "l1");
    e->online.l2_to_base = sml_conf_double(c, "l2_to_base");
    e->online.ftrl_alpha = sml_conf_double(c, "ftrl_alpha");
    e->online.ftrl_beta = sml_conf_double(c, "ftrl_beta");
    e->online.rls_forgetting = sml_conf_double(c, "rls_forgetting");
    e->online.rls_delta = sml_conf_double(c, "rls_delta");
    e->online.rls_max_features = (size_t)sml_conf_int(c, "rls_max_features");
    e->online.spark_iterations = (int)sml_conf_int(c, "spark_iterations");
    e->online.spark_mini_batch_fraction = sml_conf_double(c, "spark_mini_batch_fraction");
    e->online.spark_reg_param = sml_conf_double(c, "spark_reg_param");
    e->online.spark_convergence_tol = sml_conf_double(c, "spark_convergence_tol");
    e->online.seed = (uint64_t)sml_conf_int(c, "seed");
    if (!strcmp(e->learner_name, "spark")) {
        /* Spark's streaming models: no intercept unless asked, regParam instead of our penalties */
        if (!sml_conf_is_set(c, "intercept"))
            e->online.fit_intercept = e->fit_intercept = 0;
        if (!sml_conf_is_set(c, "l2"))
            e->online.l2 = 0;
        if (!sml_conf_is_set(c, "learning_rate"))
            e->online.learning_rate = 0.1;
    }
    if (!strcmp(e->learner_name, "rls") && !sml_conf_is_set(c, "l2"))
        e->online.l2 = 0;
    if (e->publish_every_ms && !e->store_uri)
        return sml_fail(err, SML_EINVAL, "--publish-every needs --store DIR to publish to");
    if (e->online.l2_to_base > 0 && !e->base_uri && !e->model_uri)
        return sml_fail(err, SML_EINVAL, "--l2-to-base needs a base model: --base STORE|FILE (or --model)");
    if (!e->learn && !e->model_uri)
        return sml_fail(err, SML_EINVAL, "nothing to score with: give --model STORE|FILE, or --learn --label COL");
    if (e->learn && !e->model_uri && !e->label)
        return sml_fail(err, SML_EINVAL, "learning from scratch needs the label column: --label COL");
    sml_reader_opts ro = SML_READER_OPTS_INIT;
    const char *fmt = sml_conf_str(c, "format"), *delim = sml_conf_str(c, "delimiter");
    ro.format = !strcmp(fmt, "csv") ? SML_FORMAT_CSV : !strcmp(fmt, "jsonl") ? SML_FORMAT_JSONL : SML_FORMAT_AUTO;
    ro.delimiter = !strcmp(delim, "\\t") || !strcmp(delim, "tab") ? '\t' : delim[0];
    if (strlen(delim) != 1 && ro.delimiter != '\t')
        return sml_fail(err, SML_EINVAL, "--delimiter must be one character, got \"%s\"", delim);
    ro.header = sml_conf_bool(c, "header");
    ro.max_record_bytes = (size_t)sml_conf_int(c, "max_record_bytes");
    e->sopts.reader = ro;
    e->sopts.poll_ms = 200;
    e->sopts.log = source_log;
    e->sopts.log_opaque = e;
    if (sml_conf_each_ns(c, "kafka", add_kafka_prop, e) != 0)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    e->csv_columns = sml_split_list(sml_conf_str(c, "csv_columns"));
    e->key_column = dup_or_null(sml_conf_str(c, "key_column"));
    e->sopts.kafka_props = (const char *const *)e->kafka_props;
    e->sopts.kafka_nprops = e->kafka_nprops;
    e->sopts.csv_columns = (const char *const *)e->csv_columns;
    for (char **k = e->csv_columns; k && *k; k++)
        e->sopts.csv_ncolumns++;
    e->sopts.release = source_release;
    e->sopts.release_opaque = e;
    return 0;
}

/* The columns the source parses: pipeline inputs, then --keep columns that are not inputs (as text). */
static int set_layout(sml_engine *e, sml_error *err)
{
    const char *const *in_names;
    const sml_type *in_types;
    const uint8_t *in_opt;
    size_t nkeep = 0;
    e->nin = sml_pipeline_inputs(e->pipeline, &in_names, &in_types, &in_opt);
    for (char **k = e->keep; k && *k; k++)
        nkeep++;
    size_t cap = e->nin + nkeep + 1;
    e->names = calloc(cap, sizeof *e->names);
    e->types = calloc(cap, sizeof *e->types);
    e->optional = calloc(cap, 1);
    e->keep_idx = calloc(nkeep + 2, sizeof *e->keep_idx);
    if (!e->names || !e->types || !e->optional || !e->keep_idx)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    for (size_t i = 0; i < e->nin; i++) {
        if (!(e->names[i] = strdup(in_names[i])))
            return sml_fail(err, SML_ENOMEM, "out of memory");
        e->types[i] = in_types[i];
        e->optional[i] = 1; /* absent features are missing (imputed), absent labels mean "score only" */
    }
    e->ncols = e->nin;
    sml_task task;
    const char *label = sml_pipeline_label(e->pipeline, &task, NULL, NULL);
    e->label_in = -1;
    for (size_t i = 0; label && i < e->nin; i++)
        if (!strcmp(e->names[i], label))
            e->label_in = (int)i;
    for (size_t j = 0; j < nkeep; j++) {
        int found = -1;
        for (size_t i = 0; i < e->ncols; i++)
            if (!strcmp(e->names[i], e->keep[j]))
                found = (int)i;
        if (found < 0) {
            found = (int)e->ncols;
            if (!(e->names[e->ncols] = strdup(e->keep[j])))
                return sml_fail(err, SML_ENOMEM, "out of memory");
            /* text, or the type of the source's meta column (Kafka: _partition and _offset are numbers) */
            int mi = sml_source_meta(e->src.kind, e->keep[j]);
            e->types[e->ncols] = mi >= 0 ? e->src.kind->meta_types[mi] : SML_TYPE_STR;
            e->optional[e->ncols++] = 1;
        }
        e->keep_idx[e->nkeep++] = found;
    }
    if (e->src.kind->set_columns(e->src.st, (const char *const *)e->names, e->types, e->optional, e->ncols, err) != 0)
        return err ? err->code : SML_EINVAL;
    /* the learner's weights gathered for tracing and publishing: scoring alone needs none (and a hot swap of a
     * large model would clear them for nothing) */
    if (e->learn && !(e->theta = calloc(sml_pipeline_dim(e->pipeline) + 2, sizeof *e->theta)))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    return sml_batch_setup(&e->chunk, (const char *const *)e->names, e->types, e->ncols, CHUNK_ROWS, err);
}

/* θ of the model, mapped by feature name onto the engine's pipeline (the intercept last). */
static int theta_from_model(const sml_engine *e, const sml_model *m, double *theta, sml_error *err)
{
    size_t d = sml_pipeline_dim(e->pipeline);
    return sml_map_weights_by_name(e->pipeline, m, e->fit_intercept, theta, d, err);
}

static int make_learner(sml_engine *e, sml_error *err)
{
    size_t d = sml_pipeline_dim(e->pipeline), n = d + (e->fit_intercept != 0);
    double *init = NULL, *base = NULL;
    int rc = 0;
    e->online.loss = e->loss;
    e->online.dim = d;
    if (e->model) {
        if (!(init = calloc(n ? n : 1, sizeof *init)) || (rc = theta_from_model(e, e->model, init, err)) != 0)
            goto out;
        e->online.init = init;
        if (e->warm_records < 0) {
            /* seed the optimiser as if it had seen the base model's training rows */
            double rows = 0;
            cJSON *summ = cJSON_Parse(sml_model_get_json(e->model, SML_MODEL_SUMMARY) ? sml_model_get_json(e->model, SML_MODEL_SUMMARY) : "{}");
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(summ, "rows");
            if (cJSON_IsNumber(r))
                rows = r->valuedouble;
            cJSON_Delete(summ);
            e->online.warm_records = rows;
        }
    }
    if (e->warm_records >= 0)
        e->online.warm_records = e->warm_records;
    if (e->online.warm_records < 0)
        e->online.warm_records = 0;
    const sml_model *bm = e->base ? e->base : e->online.l2_to_base > 0 ? e->model : NULL;
    if (bm) {
        if (!(base = calloc(n ? n : 1, sizeof *base)) || (rc = theta_from_model(e, bm, base, err)) != 0)
            goto out;
        e->online.base = base;
    }
    if (!strcmp(e->learner_name, "spark") && (e->online.l1 > 0 || e->online.l2_to_base > 0)) {
        rc = sml_fail(err, SML_EINVAL, "the spark learner has only --spark-reg-param (no --l1 or --l2-to-base)");
        goto out;
    }
    rc = sml_learner_new(&e->online, &e->learner, err);
out:
    if (rc == SML_ENOMEM && err && !err->msg[0])
        sml_fail(err, rc, "out of memory");
    e->online.init = e->online.base = NULL;
    free(init);
    free(base);
    return rc;
}

static int open_outputs(sml_engine *e, sml_error *err)
{
    int rc;
    sml_sink_opts so = {(const char *const *)e->kafka_props, e->kafka_nprops, e->key_column, source_log, e};
    if ((rc = sml_sink_open_with(e->to, &so, &e->sink, err)) != 0)
        return rc;
    e->discard = !strncmp(e->to, "null:", 5);
    e->out_format = !strcmp(e->output_format, "csv")     ? SML_FORMAT_CSV
                    : !strcmp(e->output_format, "jsonl") ? SML_FORMAT_JSONL
                                                         : e->sink.format;
    if (e->out_format == SML_FORMAT_AUTO)
        e->out_format = sml_format_from_path(e->from) == SML_FORMAT_JSONL || e->sopts.reader.format == SML_FORMAT_JSONL
                            ? SML_FORMAT_JSONL
                            : SML_FORMAT_CSV;
    if (e->sink.per_batch &&
        (rc = sml_sink_open_part(&e->sink, e->to,
                                 e->sink.parquet ? "parquet" : e->out_format == SML_FORMAT_JSONL ? "jsonl" : "csv", err)) != 0)
        return rc;
    if (e->dead_path && !(e->dead = fopen(e->dead_path, "a")))
        return sml_fail(err, SML_EIO, "%s: cannot open the dead-letter file: %s", e->dead_path, strerror(errno));
    if (e->metrics_path) {
        if (!(e->metrics = fopen(e->metrics_path, "a")))
            return sml_fail(err, SML_EIO, "%s: cannot open the metrics file: %s", e->metrics_path, strerror(errno));
        if (!e->run_name) {
            const char *b = strrchr(e->metrics_path, '/');
            b = b ? b + 1 : e->metrics_path;
            const char *dot = strrchr(b, '.');
            e->run_name = strndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
        }
    }
    if (e->state_dir && mkdir(e->state_dir, 0755) != 0 && errno != EEXIST)
        return sml_fail(err, SML_EIO, "%s: cannot create the state directory: %s", e->state_dir, strerror(errno));
    return 0;
}

/* --gate for --publish-every: a stream has no held-out rows, so the gate scores on a fixed --gate-data file. */
static int read_gate_settings(sml_engine *e, const sml_conf *c, sml_error *err)
{
    e->gate = sml_conf_bool(c, "gate");
    if (!e->gate)
        return 0;
    if (!e->publish_every_ms)
        return sml_fail(err, SML_EINVAL, "--gate gates what --publish-every publishes: give --publish-every DURATION");
    if (!sml_conf_str(c, "gate_data"))
        return sml_fail(err, SML_EINVAL, "the promotion gate of run needs validation rows: --gate-data FILE");
    if (!(e->gate_data = strdup(sml_conf_str(c, "gate_data"))))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    e->gate_tolerance = sml_conf_double(c, "gate_tolerance");
    snprintf(e->gate_metric, sizeof e->gate_metric, "%s", sml_conf_str(c, "metric"));
    return 0;
}

int sml_engine_new(const sml_conf *conf, sml_engine **out, sml_error *err)
{
    sml_engine *e = calloc(1, sizeof *e);
    int rc;
    *out = NULL;
    if (!e)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    atomic_init(&e->stop, 0);
    e->t_start = mono_now();
    if (sml_run_metrics_new(&e->rm) != 0) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = read_settings(e, conf, err)) != 0 || (rc = read_gate_settings(e, conf, err)) != 0)
        goto fail;
    /* a model from a store is swapped live for newly published versions (between batches); the first one is loaded
     * through the watch's own store handle, so the first swap finds its connection and fetch buffer ready */
    if (e->model_uri && sml_is_store_uri(e->model_uri) &&
        (e->learn ? strcmp(e->on_new_model, "ignore") != 0 && strcmp(e->on_new_model, "auto") != 0
                  : strcmp(e->on_new_model, "ignore") != 0) &&
        (rc = sml_store_watch_new(e->model_uri, e->reload_check_ms, &e->watch, err)) != 0)
        goto fail;
    if (e->model_uri && (rc = e->watch ? sml_store_load(sml_store_watch_store(e->watch), 0, &e->model, err)
                                       : sml_model_load(e->model_uri, &e->model, err)) != 0)
        goto fail;
    if (e->base_uri && (rc = sml_model_load(e->base_uri, &e->base, err)) != 0)
        goto fail;
    if (e->model) {
        sml_model_info info;
        sml_model_get_info(e->model, &info);
        e->model_version = info.version;
        if (!e->learn)
            e->fit_intercept = info.has_intercept;
    }
    if (e->sink.kind == NULL && (rc = open_outputs(e, err)) != 0)
        goto fail;
    if (e->state_dir && !strcmp(e->from, "-")) {
        rc = sml_fail(err, SML_EINVAL, "--state needs a source with positions (a file or dir:), not stdin");
        goto fail;
    }
    if (e->state_dir && (!strncmp(e->from, "tcp", 3)))
        logf_(e, SML_LOG_LEVEL_WARN, "TCP has no positions: a restart resumes the learner, not the stream");
    if (e->to && e->from && !strncmp(e->from, "dir:", 4) && strcmp(e->to, "-") && strncmp(e->to, "null:", 5)) {
        /* never read our own output */
        e->sopts.exclude_dir = e->to;
    }
    if (e->sink.kind->load_part)
        e->sopts.committed_position = source_committed_position;
    if ((rc = sml_source_open(e->from, &e->sopts, &e->src, err)) != 0)
        goto fail;
    *out = e;
    return 0;
fail:
    sml_engine_free(e);
    return rc;
}

/* ------------------------------------------------------------------ output */

/* The output columns: passthrough columns typed as parsed, the label, prediction (text for a class, a double for
 * a value), probability, model_version (INT64). cols holds 256. */
static size_t output_columns(const sml_engine *e, const sml_batch *b, sml_parquet_column *cols)
{
    size_t n = 0;
    memset(cols, 0, 256 * sizeof *cols);
    for (size_t j = 0; j < e->nkeep; j++) {
        cols[n].name = e->names[e->keep_idx[j]];
        cols[n++].type = b->cols[e->keep_idx[j]].type == SML_TYPE_NUM ? SML_PARQUET_DOUBLE : SML_PARQUET_STRING;
    }
    if (e->label_out) {
        cols[n].name = e->names[e->label_in];
        cols[n++].type = b->cols[e->label_in].type == SML_TYPE_NUM ? SML_PARQUET_DOUBLE : SML_PARQUET_STRING;
    }
    cols[n].name = "prediction";
    cols[n++].type = e->classification ? SML_PARQUET_STRING : SML_PARQUET_DOUBLE;
    if (e->classification) {
        cols[n].name = "probability";
        cols[n++].type = SML_PARQUET_DOUBLE;
    }
    cols[n].name = "model_version";
    cols[n].type = SML_PARQUET_INT64;
    cols[n++].required = 1;
    return n;
}

/* The Parquet writer of one batch's file. */
static int start_parquet(sml_engine *e, const sml_batch *b, sml_error *err)
{
    sml_parquet_column cols[256];
    size_t n = output_columns(e, b, cols);
    sml_parquet_opts o = SML_PARQUET_OPTS_INIT;
    o.compression = SML_PARQUET_ZSTD;
    e->pq = sml_parquet_writer_new(cols, n, &o, sml_sink_write, &e->sink, err);
    if (!e->pq)
        return err ? err->code : SML_ENOMEM;
    e->header_written = 1;
    return 0;
}

static int write_row_parquet(sml_engine *e, const sml_batch *b, size_t i, double p, sml_error *err)
{
    int rc = 0;
    int cols[258];
    size_t n = 0;
    for (size_t j = 0; j < e->nkeep; j++)
        cols[n++] = e->keep_idx[j];
    if (e->label_out)
        cols[n++] = e->label_in;
    for (size_t k = 0; k < n && !rc; k++) {
        const sml_column *c = &b->cols[cols[k]];
        rc = c->missing[i] ? sml_parquet_put_null(e->pq, err)
             : c->type == SML_TYPE_NUM ? sml_parquet_put_double(e->pq, c->num[i], err)
                                       : sml_parquet_put_str(e->pq, b->strings + c->str_off[i], c->str_len[i], err);
    }
    if (!rc && e->classification) {
        const char *k = p >= 0.5 ? e->positive : e->negative;
        rc = sml_parquet_put_str(e->pq, k, strlen(k), err);
    }
    rc = rc ? rc : sml_parquet_put_double(e->pq, p, err);
    rc = rc ? rc : sml_parquet_put_int64(e->pq, (int64_t)e->model_version, err);
    return rc ? rc : sml_parquet_end_row(e->pq, err);
}

/* Typed sinks (postgres) get the columns before the first row; their rows come as CSV. */
static int sink_columns(sml_engine *e, const sml_batch *b, sml_error *err)
{
    sml_parquet_column cols[256];
    if (e->out_format != SML_FORMAT_CSV)
        return sml_fail(err, SML_EINVAL, "%s: this sink takes CSV rows (no --output-format jsonl)", e->to);
    if (e->nkeep > 250)
        return sml_fail(err, SML_EINVAL, "--keep: too many columns");
    return e->sink.kind->columns(e->sink.st, cols, output_columns(e, b, cols), err);
}

static int write_header(sml_engine *e, sml_error *err)
{
    const char *cols[256];
    size_t n = 0;
    if (e->nkeep > 250)
        return sml_fail(err, SML_EINVAL, "--keep: too many columns");
    for (size_t j = 0; j < e->nkeep; j++)
        cols[n++] = e->names[e->keep_idx[j]];
    if (e->label_out)
        cols[n++] = e->names[e->label_in];
    cols[n++] = "prediction";
    if (e->classification)
        cols[n++] = "probability";
    cols[n++] = "model_version";
    e->out = sml_textout_new(e->out_format == SML_FORMAT_JSONL ? SML_TEXT_JSONL : SML_TEXT_CSV, ',', cols, n,
                             sml_sink_write, &e->sink, err);
    if (!e->out)
        return err ? err->code : SML_ENOMEM;
    e->header_written = 1;
    /* no header line where it is not wanted: a resumed file keeps its own, a typed sink (columns) got the names */
    return e->header_kept || e->sink.kind->columns ? 0 : sml_textout_header(e->out, err);
}

static int put_cell(sml_textout *o, const sml_batch *b, int col, size_t i, sml_error *err)
{
    const sml_column *c = &b->cols[col];
    if (c->missing[i])
        return sml_textout_put_missing(o, err);
    if (c->type == SML_TYPE_NUM)
        return sml_textout_put_num(o, c->num[i], err);
    return sml_textout_put_str(o, b->strings + c->str_off[i], c->str_len[i], err);
}

/* A dead letter: the reason with its place, and the record (raw text, or its fields). */
static void dead_letter(sml_engine *e, const char *place_reason, const sml_batch *b, int row, const sml_bad_row *bad)
{
    e->dead_letters++;
    e->bad_rows += bad != NULL;
    if (!e->dead) {
        if (e->dead_letters <= 5)
            logf_(e, SML_LOG_LEVEL_WARN, "dead letter: %s", place_reason);
        return;
    }
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_strbuf_adds(&sb, "{\"_error\": ");
    sml_strbuf_add_json_str(&sb, place_reason, strlen(place_reason));
    if (bad) {
        sml_strbuf_addf(&sb, ", \"_line\": %llu, \"_offset\": %llu, \"_raw\": ", (unsigned long long)bad->line,
                        (unsigned long long)bad->offset);
        sml_strbuf_add_json_str(&sb, b->strings + bad->raw_off, bad->raw_len);
    } else {
        sml_strbuf_addf(&sb, ", \"_line\": %llu, \"_offset\": %llu", (unsigned long long)b->line[row],
                        (unsigned long long)b->offset[row]);
        for (size_t c = 0; c < b->ncols; c++) {
            const sml_column *col = &b->cols[c];
            sml_strbuf_adds(&sb, ", ");
            sml_strbuf_add_json_str(&sb, col->name, strlen(col->name));
            sml_strbuf_adds(&sb, ": ");
            if (col->missing[row])
                sml_strbuf_adds(&sb, "null");
            else if (col->type == SML_TYPE_NUM) {
                double v = col->num[row];
                if (isfinite(v))
                    sml_strbuf_add_double(&sb, v);
                else
                    sml_strbuf_add_json_str(&sb, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf", isnan(v) ? 3 : v > 0 ? 3 : 4);
            } else
                sml_strbuf_add_json_str(&sb, b->strings + col->str_off[row], col->str_len[row]);
        }
    }
    sml_strbuf_adds(&sb, "}\n");
    if (sb.buf)
        fwrite(sb.buf, 1, sb.len, e->dead);
    sml_strbuf_release(&sb);
}

/* ------------------------------------------------------------------ processing */

/* One output row: passthrough columns, the label, prediction (class or value), probability, model version. */
static int write_row(sml_engine *e, const sml_batch *b, size_t i, double p, sml_error *err)
{
    int rc = sml_textout_begin_row(e->out, err);
    for (size_t j = 0; j < e->nkeep && !rc; j++)
        rc = put_cell(e->out, b, e->keep_idx[j], i, err);
    if (e->label_out && !rc)
        rc = put_cell(e->out, b, e->label_in, i, err);
    if (!rc && e->classification) {
        const char *k = p >= 0.5 ? e->positive : e->negative;
        rc = sml_textout_put_str(e->out, k, strlen(k), err);
    }
    rc = rc ? rc : sml_textout_put_num(e->out, p, err);
    rc = rc ? rc : sml_textout_put_int(e->out, (int64_t)e->model_version, err);
    return rc ? rc : sml_textout_end_row(e->out, err);
}

static int process_chunk(sml_engine *e, sml_batch *b, sml_error *err)
{
    int rc;
    char place[600];
    for (size_t i = 0; i < b->nbad; i++) {
        e->src.kind->bad_format(e->src.st, b, i, place, sizeof place);
        dead_letter(e, place, b, -1, &b->bad[i]);
    }
    if (b->nrows == 0)
        return 0;
    if (!e->header_written) {
        if (!e->label_decided) {
            /* the label goes to the output when the stream carries it */
            int seen = 0;
            for (size_t i = 0; e->label_in >= 0 && i < b->nrows && !seen; i++)
                seen = !b->cols[e->label_in].missing[i];
            int kept = 0;
            for (size_t j = 0; j < e->nkeep; j++)
                kept |= e->keep_idx[j] == e->label_in;
            e->label_out = e->label_in >= 0 && (seen || e->learn) && !kept;
            e->label_decided = 1;
        }
        if (e->sink.kind->columns && (rc = sink_columns(e, b, err)) != 0)
            return rc;
        if ((rc = e->sink.parquet ? start_parquet(e, b, err) : write_header(e, err)) != 0)
            return rc;
    }
    if ((rc = sml_pipeline_transform(e->pipeline, b, &e->ex, err)) != 0)
        return rc;
    const sml_examples *ex = &e->ex;
    int per_batch = e->learner && sml_learner_per_batch(e->learner);
    struct timespec now = mono_now();
    if (!e->have_batch_first) {
        e->t_batch_first = now;
        e->have_batch_first = 1;
    }
    for (size_t i = 0; i < ex->nrows; i++) {
        uint8_t fl = ex->flags[i];
        const uint32_t *idx = ex->idx + ex->row_ptr[i];
        const double *val = ex->val + ex->row_ptr[i];
        size_t nnz = (size_t)(ex->row_ptr[i + 1] - ex->row_ptr[i]);
        e->records++;
        e->in_batch++;
        if (fl & SML_EX_BAD_X) {
            snprintf(place, sizeof place, "%s:%llu: %s", e->from, (unsigned long long)b->line[i],
                     "a numeric feature is NaN or infinite: not scored, not learned");
            dead_letter(e, place, b, (int)i, NULL);
            continue;
        }
        /* prequential: a labelled record is scored, then learned from (one fused call for per-record learners) */
        int learn_now = e->learner && (fl & SML_EX_LABEL) && !(fl & SML_EX_BAD_W) && !per_batch;
        double margin = learn_now  ? sml_learner_score_learn(e->learner, idx, val, nnz, ex->y[i], ex->w[i])
                        : e->learner ? sml_learner_margin(e->learner, idx, val, nnz)
                                     : sml_model_margin(e->model, idx, val, nnz);
        double p = e->loss->mean(margin);
        rc = e->discard ? 0 : e->pq ? write_row_parquet(e, b, i, p, err) : write_row(e, b, i, p, err);
        if (rc)
            return rc;
        e->written++;
        if (!(fl & SML_EX_LABEL))
            continue;
        e->labelled++;
        macc_add2(&e->cur, &e->cum, e->classification, ex->y[i], p, ex->w[i]);
        if (!e->learner || (fl & SML_EX_BAD_W))
            continue;
        e->learned++;
    }
    if (per_batch) {
        /* keep the rows for the micro-batch update at the close of the batch */
        if ((rc = sml_pipeline_transform_append(e->pipeline, b, NULL, &e->spark, err)) != 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ checkpoints */

static int ckpt_path(const sml_engine *e, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%s/checkpoint", e->state_dir) < (int)cap ? 0 : -1;
}

/* Writes the checkpoint to path (durably: temp file, fsync, rename). */
static int write_checkpoint_at(sml_engine *e, const char *path, sml_error *err)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    int rc = 0;
    rc |= sml_put_bytes(&sb, CKPT_MAGIC, 8);
    rc |= sml_put_u64(&sb, e->records) | sml_put_u64(&sb, e->labelled) | sml_put_u64(&sb, e->learned);
    rc |= sml_put_u64(&sb, e->dead_letters) | sml_put_u64(&sb, e->batches) | sml_put_u64(&sb, e->model_version);
    rc |= sml_put_str(&sb, e->learner ? sml_learner_name(e->learner) : NULL);
    size_t at = sb.len;
    rc |= sml_put_u64(&sb, 0);
    rc |= sml_pipeline_encode(e->pipeline, &sb);
    if (!rc)
        for (int i = 0; i < 8; i++)
            sb.buf[at + i] = (char)(uint8_t)((sb.len - at - 8) >> (8 * i));
    if (e->learner)
        rc |= sml_learner_encode(e->learner, &sb);
    rc |= macc_encode(&sb, &e->cum);
    rc |= sml_put_u8(&sb, e->src.kind->save != NULL);
    if (e->src.kind->save)
        rc |= e->src.kind->save(e->src.st, &sb);
    if (rc) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOMEM, "out of memory writing a checkpoint");
    }
    uint32_t crc = sml_crc32c(0, sb.buf, sb.len);
    rc = sml_put_u32(&sb, crc);
    if (!rc)
        rc = sml_write_file_atomic(path, sb.buf, sb.len, err);
    sml_strbuf_release(&sb);
    if (!rc) {
        e->t_last_ckpt = mono_now();
        e->ckpt_records_at = e->records;
        e->have_ckpt = 1;
    }
    return rc;
}

static int write_checkpoint(sml_engine *e, sml_error *err)
{
    char path[4200];
    if (ckpt_path(e, path, sizeof path) != 0)
        return sml_fail(err, SML_ERANGE, "state directory path too long");
    return write_checkpoint_at(e, path, err);
}

/* Reads the checkpoint if there is one: 1 resumed, 0 none, < 0 error. The pipeline comes from it. */
static int read_checkpoint(sml_engine *e, sml_error *err)
{
    char path[4200];
    sml_strbuf sb = SML_STRBUF_INIT;
    int rc;
    if (ckpt_path(e, path, sizeof path) != 0)
        return sml_fail(err, SML_ERANGE, "state directory path too long");
    rc = sml_strbuf_read_file(&sb, path, (size_t)1 << 34, err);
    if (rc == SML_ENOTFOUND) {
        sml_strbuf_release(&sb);
        return 0;
    }
    if (rc)
        goto out;
    if (sb.len < 12 || memcmp(sb.buf, CKPT_MAGIC, 8) != 0 ||
        sml_crc32c(0, sb.buf, sb.len - 4) != ((uint32_t)(uint8_t)sb.buf[sb.len - 4] | (uint32_t)(uint8_t)sb.buf[sb.len - 3] << 8 |
                                               (uint32_t)(uint8_t)sb.buf[sb.len - 2] << 16 | (uint32_t)(uint8_t)sb.buf[sb.len - 1] << 24)) {
        rc = sml_fail(err, SML_EFORMAT, "%s: not a checkpoint or corrupt (checksum)", path);
        goto out;
    }
    sml_cursor c = {(const uint8_t *)sb.buf + 8, (const uint8_t *)sb.buf + sb.len - 4, "checkpoint", 0};
    e->records = sml_get_u64(&c);
    e->labelled = sml_get_u64(&c);
    e->learned = sml_get_u64(&c);
    e->dead_letters = sml_get_u64(&c);
    e->batches = sml_get_u64(&c);
    e->model_version = sml_get_u64(&c);
    char *lname = sml_get_str(&c);
    uint64_t plen = sml_get_u64(&c);
    if (c.failed || plen > sml_cursor_left(&c)) {
        free(lname);
        rc = sml_fail(err, SML_EFORMAT, "%s: truncated", path);
        goto out;
    }
    sml_cursor pc = {c.p, c.p + plen, "pipeline", 0};
    c.p += plen;
    sml_pipeline *p = NULL;
    if ((rc = sml_pipeline_decode(&pc, &p, err)) != 0) {
        free(lname);
        sml_error_prefix(err, "%s", path);
        goto out;
    }
    sml_pipeline_free(e->pipeline);
    e->pipeline = p;
    if (!e->model) {
        /* from scratch: the task and classes come with the checkpoint's pipeline */
        sml_task task;
        const char *pos, *neg;
        sml_pipeline_label(e->pipeline, &task, &pos, &neg);
        e->classification = task == SML_TASK_CLASSIFICATION;
        e->loss = e->classification ? &sml_loss_logistic : &sml_loss_squared;
        free(e->positive);
        free(e->negative);
        e->positive = pos ? strdup(pos) : NULL;
        e->negative = neg ? strdup(neg) : NULL;
    }
    if (lname && e->learn && strcmp(lname, e->learner_name) != 0) {
        rc = sml_fail(err, SML_EINVAL, "%s was written by the %s learner, not %s", path, lname, e->learner_name);
        free(lname);
        goto out;
    }
    free(lname);
    if (e->learn) {
        /* the options must be set up as for a fresh learner, then the state replaces it */
        e->online.loss = e->loss;
        e->online.dim = sml_pipeline_dim(e->pipeline);
        sml_learner_free(e->learner);
        e->learner = NULL;
        size_t d = e->online.dim, n = d + (e->fit_intercept != 0);
        double *base = NULL;
        const sml_model *bm = e->base ? e->base : e->online.l2_to_base > 0 ? e->model : NULL;
        if (bm) {
            if (!(base = calloc(n, sizeof *base)) || (rc = theta_from_model(e, bm, base, err)) != 0) {
                free(base);
                goto out;
            }
            e->online.base = base;
        }
        rc = sml_learner_decode(&c, &e->online, &e->learner, err);
        e->online.base = NULL;
        free(base);
        if (rc) {
            sml_error_prefix(err, "%s", path);
            goto out;
        }
    }
    macc_decode(&c, &e->cum);
    /* a transactional sink's committed positions, not the checkpoint's, say where to resume (txn_seek) */
    if (sml_get_u8(&c) && e->src.kind->restore && !e->sink.kind->commit_batch &&
        (rc = e->src.kind->restore(e->src.st, &c, err)) != 0)
        goto out;
    if (c.failed) {
        rc = sml_fail(err, SML_EFORMAT, "%s: truncated", path);
        goto out;
    }
    rc = 1;
out:
    sml_strbuf_release(&sb);
    return rc;
}

/* ------------------------------------------------------------------ exactly-once with a transactional sink
 *
 * The sink (postgres) commits each batch's rows with the source positions after them and a checkpoint id, in one
 * transaction: what it committed is where the stream resumes. With --state the learner checkpoint must agree:
 * it is written durably as checkpoint.<id>.pending, the sink commits naming <id>, then the file is promoted to
 * checkpoint. A crash between the two leaves a pending file: on restart it is promoted if the sink committed
 * <id>, else dropped (the checkpoint before it matches the sink's positions). */

static int pending_path(const sml_engine *e, uint64_t id, char *buf, size_t cap)
{
    return snprintf(buf, cap, "%s/checkpoint.%llu.pending", e->state_dir, (unsigned long long)id) < (int)cap ? 0 : -1;
}

/* At start: the sink's committed id and positions; a pending checkpoint is promoted or dropped. */
static int txn_recover(sml_engine *e, sml_error *err)
{
    int rc = e->sink.kind->load_positions(e->sink.st, &e->txn_positions, &e->txn_id, err);
    if (rc < 0)
        return rc;
    e->txn_have_positions = rc;
    if (!e->state_dir)
        return 0;
    char path[4200], ckpt[4200];
    if (ckpt_path(e, ckpt, sizeof ckpt) != 0)
        return sml_fail(err, SML_ERANGE, "state directory path too long");
    /* checkpoint.<id>.pending.tmp.<pid>: written by a process killed before its rename */
    DIR *d = opendir(e->state_dir);
    for (struct dirent *de; d && (de = readdir(d)) != NULL;)
        if (!strncmp(de->d_name, "checkpoint.", 11) && strstr(de->d_name, ".pending.tmp.") &&
            snprintf(path, sizeof path, "%s/%s", e->state_dir, de->d_name) < (int)sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    /* the only pending id that can exist is the one after the last commit, or that last commit itself */
    for (uint64_t id = e->txn_id; id <= e->txn_id + 1; id++) {
        if (pending_path(e, id, path, sizeof path) != 0)
            return sml_fail(err, SML_ERANGE, "state directory path too long");
        if (access(path, F_OK) != 0)
            continue;
        if (id == e->txn_id && id > 0) {
            if (rename(path, ckpt) != 0)
                return sml_fail(err, SML_EIO, "%s: cannot promote to %s: %s", path, ckpt, strerror(errno));
            logf_(e, SML_LOG_LEVEL_INFO, "checkpoint %llu was committed by the sink: promoted",
                  (unsigned long long)id);
        } else if (unlink(path) != 0)
            return sml_fail(err, SML_EIO, "%s: cannot remove: %s", path, strerror(errno));
        else
            logf_(e, SML_LOG_LEVEL_INFO, "checkpoint %llu was never committed by the sink: dropped",
                  (unsigned long long)id);
    }
    return 0;
}

/* After the checkpoint (if any) was read: the source seeks to the sink's committed positions. */
static int txn_seek(sml_engine *e, int resumed, sml_error *err)
{
    if (!e->txn_have_positions && resumed)
        logf_(e, SML_LOG_LEVEL_WARN, "%s has no committed positions for this writer but %s has a checkpoint: the "
              "stream starts from its beginning with the checkpoint's learner", e->to, e->state_dir);
    if (!e->txn_have_positions || !e->src.kind->restore || e->src.kind->save_parts)
        return 0; /* a source with positions per partition asks for each one as it is assigned */
    sml_cursor c = {(const uint8_t *)e->txn_positions.buf,
                    (const uint8_t *)e->txn_positions.buf + e->txn_positions.len, "committed positions", 0};
    int rc = e->src.kind->restore(e->src.st, &c, err);
    if (rc) {
        sml_error_prefix(err, "%s: committed positions", e->to);
        return rc;
    }
    logf_(e, SML_LOG_LEVEL_INFO, "resuming after checkpoint %llu committed in %s", (unsigned long long)e->txn_id,
          e->to);
    return 0;
}

/* Closes a batch in the sink: pending checkpoint, one transaction (rows, positions, id), promotion. */
static int txn_commit(sml_engine *e, sml_error *err)
{
    uint64_t id = e->txn_id + 1;
    char path[4200], ckpt[4200];
    int rc;
    if (e->state_dir) {
        if (pending_path(e, id, path, sizeof path) != 0 || ckpt_path(e, ckpt, sizeof ckpt) != 0)
            return sml_fail(err, SML_ERANGE, "state directory path too long");
        if ((rc = write_checkpoint_at(e, path, err)) != 0)
            return rc;
    }
    e->txn_positions.len = 0;
    if (e->src.kind->save && e->src.kind->save(e->src.st, &e->txn_positions) != 0)
        return sml_fail(err, SML_ENOMEM, "out of memory saving the source positions");
    /* per partition (Kafka): each partition's row, compare-and-set; the writer's row only for the checkpoint id
     * with --state (members of a group share the table and, by default, the writer name) */
    int parts = e->src.kind->save_parts != NULL;
    e->txn_parts.len = 0;
    if (parts && e->src.kind->save_parts(e->src.st, &e->txn_parts) != 0)
        return sml_fail(err, SML_ENOMEM, "out of memory saving the source positions");
    const void *wpos = parts && !e->state_dir ? NULL : e->txn_positions.buf ? e->txn_positions.buf : "";
    const void *pparts = parts ? (e->txn_parts.buf ? e->txn_parts.buf : "") : NULL;
    if ((rc = e->sink.kind->commit_batch(e->sink.st, wpos, e->txn_positions.len, pparts, e->txn_parts.len, id,
                                         err)) != 0)
        return rc;
    if (parts)
        e->src.kind->parts_committed(e->src.st);
    e->txn_id = id;
    if (e->state_dir && rename(path, ckpt) != 0)
        return sml_fail(err, SML_EIO, "%s: cannot promote to %s: %s", path, ckpt, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------------ batches */

/* The promotion gate before publishing the online model: candidate and current version scored on --gate-data with
 * --metric; *pass = 0 when the candidate is worse by more than --gate-tolerance (logged with both figures). */
static int gate_check(sml_engine *e, sml_store *st, const sml_model *cand, int *pass, sml_error *err)
{
    sml_model *cur = NULL;
    sml_metric metric;
    double cand_v, cur_v;
    int rc;
    *pass = 1;
    if (!strcmp(e->gate_metric, "auto"))
        metric = e->classification ? SML_METRIC_AUC : SML_METRIC_RMSE;
    else if (sml_metric_from_name(e->gate_metric, &metric) != 0 ||
             sml_metric_for_classification(metric) != e->classification)
        return sml_fail(err, SML_EINVAL, "--metric %s does not suit this task", e->gate_metric);
    if (!e->gate_rows.nrows) {
        sml_reader_opts ro = SML_READER_OPTS_INIT;
        if ((rc = sml_table_read_for(e->gate_data, &ro, cand, &e->gate_rows, err)) != 0)
            return rc;
    }
    if ((rc = sml_store_load(st, 0, &cur, err)) == SML_ENOTFOUND)
        return 0; /* nothing current yet: the first version needs no gate */
    if (rc)
        return rc;
    sml_model_info ci;
    sml_model_get_info(cur, &ci);
    if ((rc = sml_model_metric_on(cand, &e->gate_rows, NULL, metric, &cand_v, err)) == 0 &&
        (rc = sml_model_metric_on(cur, &e->gate_rows, NULL, metric, &cur_v, err)) == 0) {
        *pass = sml_gate_pass(metric, cand_v, cur_v, e->gate_tolerance);
        logf_(e, *pass ? SML_LOG_LEVEL_INFO : SML_LOG_LEVEL_WARN,
              "promotion gate (%s on %s): online model %.6f, current version %llu %.6f, tolerance %g: %s",
              sml_metric_name(metric), e->gate_data, cand_v, (unsigned long long)ci.version, cur_v, e->gate_tolerance,
              *pass ? "passed" : "REJECTED, not published");
    }
    sml_model_free(cur);
    return rc;
}

static int publish(sml_engine *e, sml_error *err)
{
    sml_pipeline *p;
    sml_model *m = NULL;
    sml_store *st = NULL;
    uint64_t v;
    size_t d = sml_pipeline_dim(e->pipeline);
    int rc = sml_pipeline_clone(e->pipeline, &p, err);
    if (rc)
        return rc;
    sml_learner_weights(e->learner, e->theta);
    if ((rc = sml_model_new(p, e->loss->name, e->theta, d, e->fit_intercept, e->fit_intercept ? e->theta[d] : 0, &m,
                            err)) != 0)
        return rc;
    sml_strbuf s = SML_STRBUF_INIT;
    sml_strbuf_addf(&s, "{\"online\": true, \"learner\": \"%s\", \"rows\": %llu, \"records\": %llu}", e->learner_name,
                    (unsigned long long)e->learned, (unsigned long long)e->records);
    sml_model_set_json(m, SML_MODEL_SUMMARY, s.buf, NULL);
    sml_strbuf_release(&s);
    int pass = 1;
    if ((rc = sml_store_open(e->store_uri, 1, &st, err)) == 0 && e->gate)
        rc = gate_check(e, st, m, &pass, err);
    if (!pass || rc)
        e->t_last_publish = mono_now(); /* refused (or not checkable): try again after another period */
    else if ((rc = sml_store_publish(st, m, 1, &v, err)) == 0) {
        logf_(e, SML_LOG_LEVEL_INFO, "published the online model as version %llu of %s", (unsigned long long)v,
              e->store_uri);
        e->t_last_publish = mono_now();
    }
    sml_store_close(st);
    sml_model_free(m);
    return rc;
}

static int metrics_line(sml_engine *e, double secs_batch)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    struct timespec wall, now = mono_now();
    clock_gettime(CLOCK_REALTIME, &wall);
    int rc = 0;
    rc |= sml_strbuf_adds(&sb, "{\"run\": ");
    rc |= sml_strbuf_add_json_str(&sb, e->run_name, strlen(e->run_name));
    rc |= sml_strbuf_addf(&sb, ", \"batch\": %llu, \"records\": %llu, \"batch_records\": %llu, \"labelled\": %llu, "
                               "\"time\": %.3f, \"elapsed_s\": %.6f, \"model_version\": %llu, \"task\": \"%s\", "
                               "\"batch_metrics\": ",
                          (unsigned long long)e->batches, (unsigned long long)e->records,
                          (unsigned long long)e->in_batch, (unsigned long long)e->labelled,
                          (double)wall.tv_sec + 1e-9 * (double)wall.tv_nsec, secs_between(&e->t_start, &now),
                          (unsigned long long)e->model_version, e->classification ? "classification" : "regression");
    rc |= macc_json(&sb, &e->cur, e->classification);
    rc |= sml_strbuf_adds(&sb, ", \"cumulative\": ");
    rc |= macc_json(&sb, &e->cum, e->classification);
    rc |= sml_strbuf_addf(&sb, ", \"records_per_s\": %.1f, \"latency_ms\": {\"batch\": %.3f",
                          secs_batch > 0 ? (double)e->in_batch / secs_batch : 0.0, 1e3 * secs_batch);
    /* per-record latency quantiles from log2 microsecond buckets */
    double tot = 0;
    for (int b = 0; b < LAT_BINS; b++)
        tot += e->lat_hist_batch[b];
    const double qs[2] = {0.5, 0.99};
    const char *qn[2] = {"p50", "p99"};
    for (int q = 0; q < 2 && tot > 0; q++) {
        double acc = 0;
        int b = 0;
        for (; b < LAT_BINS; b++) {
            acc += e->lat_hist_batch[b];
            if (acc >= qs[q] * tot)
                break;
        }
        rc |= sml_strbuf_addf(&sb, ", \"%s\": %.3f", qn[q], 1e-3 * ldexp(1.0, b));
    }
    rc |= sml_strbuf_addf(&sb, "}, \"dead_letters\": %llu", (unsigned long long)e->dead_letters);
    if (e->trace_weights && e->learner) {
        size_t d = sml_pipeline_dim(e->pipeline), nz = 0;
        sml_learner_weights(e->learner, e->theta);
        rc |= sml_strbuf_adds(&sb, ", \"weights\": {");
        if (e->fit_intercept) {
            rc |= sml_strbuf_adds(&sb, "\"intercept\": ");
            rc |= sml_strbuf_add_json_double(&sb, e->theta[d]);
            nz = 1;
        }
        /* every non-zero weight, or the largest MAX_TRACED */
        size_t nonzero = 0;
        for (size_t i = 0; i < d; i++)
            nonzero += e->theta[i] != 0;
        double cut = 0;
        if (nonzero > MAX_TRACED) {
            double *a = malloc(nonzero * sizeof *a);
            size_t k = 0;
            for (size_t i = 0; a && i < d; i++)
                if (e->theta[i] != 0)
                    a[k++] = fabs(e->theta[i]);
            for (size_t i = 0; a && i < MAX_TRACED; i++) /* partial selection of the largest */
                for (size_t j = i + 1; j < k; j++)
                    if (a[j] > a[i]) {
                        double t = a[i];
                        a[i] = a[j];
                        a[j] = t;
                    }
            cut = a ? a[MAX_TRACED - 1] : INFINITY;
            free(a);
        }
        size_t shown = 0;
        char name[512];
        for (size_t i = 0; i < d; i++) {
            if (e->theta[i] == 0 || fabs(e->theta[i]) < cut || shown == MAX_TRACED)
                continue;
            sml_pipeline_feature_name(e->pipeline, i, name, sizeof name);
            rc |= sml_strbuf_adds(&sb, nz ? ", " : "");
            rc |= sml_strbuf_add_json_str(&sb, name, strlen(name));
            rc |= sml_strbuf_adds(&sb, ": ");
            rc |= sml_strbuf_add_json_double(&sb, e->theta[i]);
            nz = 1;
            shown++;
        }
        if (shown < nonzero)
            rc |= sml_strbuf_addf(&sb, "%s\"_omitted\": %zu", nz ? ", " : "", nonzero - shown);
        rc |= sml_strbuf_adds(&sb, "}");
    }
    rc |= sml_strbuf_adds(&sb, "}\n");
    if (!rc && (fwrite(sb.buf, 1, sb.len, e->metrics) != sb.len || fflush(e->metrics) != 0))
        rc = SML_EIO;
    sml_strbuf_release(&sb);
    return rc;
}

/* The counters for the metrics exporter (run_metrics.c): this process's counts, Kafka lag, checkpoint time. */
static void metrics_publish(sml_engine *e)
{
    sml_run_snapshot s;
    const sml_run_snapshot *b = &e->rm_base;
    memset(&s, 0, offsetof(sml_run_snapshot, partition));
    /* every record read is either written or dead-lettered (bad rows, NaN features, head rows that do not fit the
     * inferred schema); e->records misses the first and the last kinds */
    s.records_out = e->written;
    s.records_in = e->written + (e->dead_letters - b->dead_letters);
    s.labelled = e->labelled - b->labelled;
    s.learned = e->learned - b->learned;
    s.dead_letters = e->dead_letters - b->dead_letters;
    s.bad_rows = e->bad_rows;
    s.batches = e->batches - b->batches;
    s.model_version = e->model_version;
    s.swaps = e->swaps;
    s.have_state = e->state_dir != NULL;
    s.last_checkpoint = e->t_last_ckpt;
    if (e->src.kind && e->src.kind->lag)
        s.npartitions = e->src.kind->lag(e->src.st, s.partition, s.lag, SML_RUN_MAX_PARTITIONS);
    sml_run_metrics_update(e->rm, &s);
    e->t_rm = mono_now();
}

static int close_batch(sml_engine *e, int force_checkpoint, sml_error *err)
{
    int rc = 0;
    struct timespec now = mono_now();
    if (e->in_batch == 0 && !force_checkpoint)
        return 0;
    if (e->learner && sml_learner_per_batch(e->learner) && e->spark.nrows) {
        if ((rc = sml_learner_update_batch(e->learner, &e->spark, NULL, err)) != 0)
            logf_(e, SML_LOG_LEVEL_WARN, "spark micro-batch skipped: %s", err ? err->msg : "numerical failure");
        rc = 0;
        e->spark.nrows = e->spark.nnz = 0;
    }
    int durable = e->state_dir != NULL;
    if (e->out && (rc = sml_textout_flush(e->out, err)) != 0)
        return rc;
    if (e->sink.per_batch && e->header_written) {
        /* one file per batch: finish it (Parquet footer), publish it into its partition, start afresh */
        if (e->pq && (rc = sml_parquet_writer_finish(e->pq, err)) != 0)
            return rc;
        sml_parquet_writer_free(e->pq);
        e->pq = NULL;
        sml_textout_free(e->out);
        e->out = NULL;
        e->header_written = 0;
        if ((rc = e->sink.kind->end_batch(e->sink.st, err)) != 0)
            return rc;
    }
    if (e->dead)
        fflush(e->dead);
    double secs = e->have_batch_first ? secs_between(&e->t_batch_first, &now) : 0;
    if (e->in_batch) {
        e->batches++;
        /* every record of the batch waited from its batch's start at most; record it as one bucket per batch */
        double us = secs * 1e6;
        int bin = us <= 1 ? 0 : (int)ceil(log2(us));
        bin = bin < 0 ? 0 : bin >= LAT_BINS ? LAT_BINS - 1 : bin;
        memset(e->lat_hist_batch, 0, sizeof e->lat_hist_batch);
        e->lat_hist_batch[bin] += (double)e->in_batch;
        e->lat_hist[bin] += (double)e->in_batch;
        e->last_batch_rate = secs > 0 ? (double)e->in_batch / secs : 0;
        e->last_batch_metric = macc_main(&e->cur, e->classification);
        if (e->metrics && metrics_line(e, secs) != 0)
            return sml_fail(err, SML_EIO, "%s: writing metrics failed", e->metrics_path);
    }
    /* a source that commits (Kafka) is checkpointed before its first commit: a restart with no checkpoint would
     * start from the group's committed offset with a fresh learner, skipping what was learned */
    int due = !e->in_head && (force_checkpoint || (e->state_dir && e->src.kind->commit && !e->have_ckpt) ||
              (e->state_dir && (secs_between(&e->t_last_ckpt, &now) * 1000 >= (double)e->checkpoint_interval_ms ||
                                (e->checkpoint_records && e->records - e->ckpt_records_at >= e->checkpoint_records))));
    /* the sink must hold everything the checkpoint covers and the source commits (Kafka: delivery reports) */
    if (e->in_head) {
        /* positions are past the batch: committing them would skip the rest of the head after a crash */
    } else if (e->sink.kind->commit_batch) {
        if ((rc = txn_commit(e, err)) != 0)
            return rc;
    } else if (!e->state_dir && e->src.kind->snapshot && e->sink.kind->mark) {
        /* pipelined: a batch's positions are committed once its delivery reports are all back, while later
         * batches' messages are still in flight. The stream never waits for them here: if the snapshot's batch
         * is not delivered yet, this batch's positions wait for a later snapshot (the sink bounds the batches in
         * flight). A failed delivery fails here, before any later commit. */
        uint64_t id = e->sink.kind->mark(e->sink.st);
        if (e->pipe_pending && (rc = settle_snapshot(e, 0, err)) < 0)
            return rc;
        rc = 0;
        if (!e->pipe_pending) {
            e->src.kind->snapshot(e->src.st);
            e->pipe_mark = id;
            e->pipe_pending = 1;
            e->pipe_behind = 0;
        } else {
            e->pipe_last = id;
            e->pipe_behind = 1;
        }
    } else {
        if ((e->state_dir && due) || e->src.kind->commit || e->sink.kind == &sml_sink_kafka)
            if ((rc = e->sink.kind->flush(e->sink.st, durable, err)) != 0)
                return rc;
        if (e->state_dir && due && (rc = write_checkpoint(e, err)) != 0)
            return rc;
    }
    if (e->src.kind->commit && !e->in_head && !e->pipe_pending && (rc = e->src.kind->commit(e->src.st, err)) != 0)
        return rc;
    if (e->publish_every_ms && e->learner &&
        secs_between(&e->t_last_publish, &now) * 1000 >= (double)e->publish_every_ms && (rc = publish(e, err)) != 0)
        logf_(e, SML_LOG_LEVEL_WARN, "publishing failed: %s", err ? err->msg : "?");
    rc = 0;
    if (e->progress && e->in_batch) {
        sml_engine_stats st;
        sml_engine_get_stats(e, &st);
        e->progress(e->progress_opaque, &st);
    }
    if (e->in_batch && e->have_batch_first) {
        struct timespec done = mono_now();
        sml_run_metrics_batch_seconds(e->rm, secs_between(&e->t_batch_first, &done));
    }
    metrics_publish(e);
    memset(&e->cur, 0, sizeof e->cur);
    e->in_batch = 0;
    e->have_batch_first = 0;
    return 0;
}

/* ------------------------------------------------------------------ starting from scratch */

/* Copies one untyped row into a typed batch (numbers parsed); returns 0 or SML_EPARSE naming the column. */
static int retype_row(const sml_batch *src, size_t i, sml_batch *dst, const int *map, char *why, size_t whycap)
{
    size_t r = dst->nrows;
    for (size_t c = 0; c < dst->ncols; c++) {
        sml_column *d = &dst->cols[c];
        int s = map[c];
        if (s < 0 || src->cols[s].missing[i]) {
            d->missing[r] = 1;
            if (d->num)
                d->num[r] = 0;
            else
                d->str_off[r] = d->str_len[r] = 0;
            continue;
        }
        const sml_column *sc = &src->cols[s];
        const char *t = src->strings + sc->str_off[i];
        size_t len = sc->str_len[i];
        d->missing[r] = 0;
        if (d->type == SML_TYPE_NUM) {
            if (sml_parse_double(t, len, &d->num[r]) != 0) {
                snprintf(why, whycap, "column \"%s\": expected a number, got \"%.*s\"", d->name, (int)(len > 40 ? 40 : len), t);
                return SML_EPARSE;
            }
        } else {
            if (sml_batch_put_string(dst, t, len, &d->str_off[r]) != 0)
                return SML_ENOMEM;
            d->str_len[r] = (uint32_t)len;
        }
    }
    dst->line[r] = src->line[i];
    dst->offset[r] = src->offset[i];
    dst->nrows = r + 1;
    return 0;
}

/* Reads the head of the stream untyped, infers the schema, fits the pipeline, then processes the head. */
static int start_from_scratch(sml_engine *e, sml_error *err)
{
    sml_batch *head = NULL;
    size_t nhead = 0, rows = 0;
    sml_schema_infer *inf = NULL;
    sml_schema *schema = NULL;
    sml_pipeline_fitter *f = NULL;
    int rc = 0;
    struct timespec t0 = mono_now();
    int have_first = 0;
    if (!(inf = sml_schema_infer_new(err)))
        return SML_ENOMEM;
    while (rows < e->sample_rows && !atomic_load(&e->stop)) {
        sml_batch *nh = realloc(head, (nhead + 1) * sizeof *head);
        if (!nh) {
            rc = sml_fail(err, SML_ENOMEM, "out of memory");
            goto out;
        }
        head = nh;
        memset(&head[nhead], 0, sizeof head[nhead]);
        sml_batch *b = &head[nhead];
        if ((rc = sml_batch_setup(b, NULL, NULL, 0, CHUNK_ROWS, err)) != 0)
            goto out;
        b->limit = e->sample_rows - rows < CHUNK_ROWS ? e->sample_rows - rows : CHUNK_ROWS;
        int n = e->src.kind->next(e->src.st, b, err);
        if (n < 0) {
            rc = n;
            goto out;
        }
        if (n == 0) {
            sml_batch_release(b);
            if (e->src.kind->done(e->src.st))
                break;
            struct timespec now = mono_now();
            if (have_first && secs_between(&t0, &now) * 1000 >= (double)e->batch_interval_ms * 5)
                break; /* a slow stream: learn the schema from what came so far */
            e->src.kind->wait(e->src.st, 100);
            continue;
        }
        if (!have_first) {
            have_first = b->nrows > 0;
            t0 = mono_now();
        }
        for (size_t i = 0; i < b->nbad; i++) {
            char place[600];
            e->src.kind->bad_format(e->src.st, b, i, place, sizeof place);
            dead_letter(e, place, b, -1, &b->bad[i]);
        }
        b->nbad = 0;
        /* the source's meta columns (Kafka: _topic/_partition/_offset, its last columns here) are no data */
        sml_batch view = *b;
        while (view.ncols && sml_source_meta(e->src.kind, view.cols[view.ncols - 1].name) >= 0)
            view.ncols--;
        if ((rc = sml_schema_infer_add(inf, &view, err)) != 0)
            goto out;
        rows += b->nrows;
        nhead++;
    }
    if (rows == 0) {
        /* stopped (SIGTERM) before the first record: nothing to learn, nothing to do */
        rc = atomic_load(&e->stop) ? 0 : sml_fail(err, SML_EINVAL, "%s: no records to learn the schema from", e->from);
        goto out;
    }
    sml_schema_overrides ov = {0};
    ov.label = e->label;
    ov.weight = e->weight;
    ov.task = e->task_asked;
    if ((rc = sml_schema_infer_finish(inf, NULL, &ov, &schema, err)) != 0)
        goto out;
    sml_pipeline_opts po = SML_PIPELINE_OPTS_INIT;
    int rls = !strcmp(e->learner_name, "rls");
    po.max_onehot = rls ? 1000 : 0; /* hashed categoricals: unseen values need no refit */
    po.hash_bits = e->hash_bits;
    po.hash_seed = e->hash_seed;
    /* normalized updates are scale-free; the others get a standard scaler frozen on the head */
    po.scaling = !strcmp(e->learner_name, "normalized") ? SML_SCALE_NONE : SML_SCALE_STANDARD;
    if ((rc = sml_pipeline_fitter_new(schema, &po, &f, err)) != 0)
        goto out;
    const char *const *in_names;
    const sml_type *in_types;
    size_t nin = sml_pipeline_fitter_inputs(f, &in_names, &in_types, NULL);
    /* the head, typed as the pipeline wants it */
    sml_batch typed = SML_BATCH_INIT;
    int map[1024];
    for (size_t c = 0; c < sizeof map / sizeof map[0]; c++)
        map[c] = -1;
    if (nin > 1024) {
        rc = sml_fail(err, SML_ERANGE, "too many columns (%zu)", nin);
        goto out;
    }
    for (size_t k = 0; k < nhead && rc == 0; k++) {
        sml_batch *b = &head[k];
        for (size_t c = 0; c < nin; c++)
            map[c] = sml_batch_find(b, in_names[c]);
        if ((rc = sml_batch_setup(&typed, in_names, in_types, nin, b->nrows ? b->nrows : 1, err)) != 0)
            break;
        for (size_t i = 0; i < b->nrows; i++) {
            char why[200];
            int r = retype_row(b, i, &typed, map, why, sizeof why);
            if (r == SML_EPARSE) {
                char place[400];
                snprintf(place, sizeof place, "%s:%llu: %s", e->from, (unsigned long long)b->line[i], why);
                dead_letter(e, place, b, (int)i, NULL);
            } else if (r) {
                rc = sml_fail(err, r, "out of memory");
                break;
            }
        }
        if (!rc)
            rc = sml_pipeline_fitter_add(f, &typed, NULL, err);
    }
    sml_batch_release(&typed);
    if (rc)
        goto out;
    if ((rc = sml_pipeline_fitter_finish(f, &e->pipeline, err)) != 0)
        goto out;
    logf_(e, SML_LOG_LEVEL_INFO, "learning from scratch: schema from the first %zu records, %zu features, %s",
          rows, sml_pipeline_dim(e->pipeline),
          schema->task == SML_TASK_CLASSIFICATION ? "classification (logistic)" : "regression (squared)");
    e->classification = schema->task == SML_TASK_CLASSIFICATION;
    e->loss = e->classification ? &sml_loss_logistic : &sml_loss_squared;
    if (e->classification && (!(e->positive = strdup(schema->positive)) || !(e->negative = strdup(schema->negative)))) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = set_layout(e, err)) != 0 || (rc = make_learner(e, err)) != 0)
        goto out;
    /* now process the head like any other input: typed in the engine's layout. The source's position is already
     * past all of it, so no checkpoint or commit until it is done (they would skip the rows not yet processed). */
    e->in_head = 1;
    for (size_t k = 0; k < nhead && rc == 0; k++) {
        sml_batch *b = &head[k];
        int map2[1024];
        if (e->ncols > 1024) {
            rc = sml_fail(err, SML_ERANGE, "too many columns");
            break;
        }
        for (size_t c = 0; c < e->ncols; c++)
            map2[c] = sml_batch_find(b, e->names[c]);
        for (size_t i0 = 0; i0 < b->nrows && rc == 0;) {
            sml_batch_clear(&e->chunk);
            size_t room = e->batch_size - e->in_batch;
            for (; i0 < b->nrows && e->chunk.nrows < e->chunk.capacity && e->chunk.nrows < room; i0++) {
                char why[200];
                int r = retype_row(b, i0, &e->chunk, map2, why, sizeof why);
                if (r && r != SML_EPARSE)
                    rc = sml_fail(err, r, "out of memory");
            }
            if (!rc)
                rc = process_chunk(e, &e->chunk, err);
            if (!rc && e->in_batch >= e->batch_size)
                rc = close_batch(e, 0, err);
        }
    }
    e->in_head = 0;
out:
    e->in_head = 0;
    for (size_t k = 0; k < nhead; k++)
        sml_batch_release(&head[k]);
    free(head);
    sml_pipeline_fitter_free(f);
    sml_schema_free(schema);
    sml_schema_infer_free(inf);
    return rc;
}

/* ------------------------------------------------------------------ hot reload */

static void release_layout(sml_engine *e)
{
    for (size_t i = 0; e->names && i < e->ncols; i++)
        free(e->names[i]);
    free(e->names);
    free(e->types);
    free(e->optional);
    free(e->keep_idx);
    free(e->theta);
    e->names = NULL;
    e->types = NULL;
    e->optional = NULL;
    e->keep_idx = NULL;
    e->theta = NULL;
    e->ncols = e->nin = e->nkeep = 0;
}

/* After each chunk: if the store has a new current version, close the batch in flight and swap the new one in. A version that does not load
 * (corrupt, truncated, another task) is logged and skipped; the model in use keeps serving. */
static int maybe_reload(sml_engine *e, sml_error *err)
{
    uint64_t cur = 0;
    sml_error perr = SML_ERROR_INIT;
    struct timespec t0 = mono_now();
    int rc = sml_store_watch_poll(e->watch, e->model_version, &cur, &perr);
    const char *note = sml_store_watch_note(e->watch);
    if (note)
        logf_(e, SML_LOG_LEVEL_INFO, "watching %s: %s", e->model_uri, note);
    if (rc < 0) {
        logf_(e, SML_LOG_LEVEL_WARN, "watching %s: %s", e->model_uri, perr.msg);
        return 0;
    }
    if (rc == 0 || cur == e->failed_version || cur == e->model_version)
        return 0;
    /* the batch in flight is closed now rather than when it fills: the swap waits for no one */
    if (e->in_batch && (rc = close_batch(e, 0, err)) != 0)
        return rc;
    sml_model *m = NULL;
    if ((rc = sml_store_load(sml_store_watch_store(e->watch), cur, &m, &perr)) != 0) {
        /* a store that could not be read is tried again at the next check; a version that is bad is not */
        logf_(e, rc == SML_EIO ? SML_LOG_LEVEL_WARN : SML_LOG_LEVEL_ERROR,
              "new model version %llu cannot be used%s: %s; version %llu keeps serving", (unsigned long long)cur,
              rc == SML_EIO ? " now (tried again at the next check)" : "", perr.msg,
              (unsigned long long)e->model_version);
        if (rc != SML_EIO)
            e->failed_version = cur;
        return 0;
    }
    sml_model_info a, b;
    sml_model_get_info(e->model, &a);
    sml_model_get_info(m, &b);
    if (a.task != b.task || (a.label && (!b.label || strcmp(a.label, b.label) != 0))) {
        logf_(e, SML_LOG_LEVEL_ERROR, "new model version %llu has another task or label (%s); version %llu keeps serving",
              (unsigned long long)cur, b.label ? b.label : "none", (unsigned long long)e->model_version);
        e->failed_version = cur;
        sml_model_free(m);
        return 0;
    }
    uint64_t old = e->model_version;
    if (e->learner && !strcmp(e->on_new_model, "base")) {
        /* the new batch model becomes the base the online weights are pulled toward */
        sml_model_free(e->base);
        e->base = m;
        size_t n = sml_pipeline_dim(e->pipeline) + (e->fit_intercept != 0);
        double *base = calloc(n, sizeof *base), *init = calloc(n, sizeof *init);
        sml_learner *nl = NULL;
        if (!base || !init || theta_from_model(e, m, base, err) != 0) {
            free(base);
            free(init);
            return sml_fail(err, SML_ENOMEM, "out of memory");
        }
        sml_learner_weights(e->learner, init);
        e->online.base = base;
        e->online.init = init;
        rc = sml_learner_new(&e->online, &nl, err);
        e->online.base = e->online.init = NULL;
        free(base);
        free(init);
        if (rc)
            return rc;
        sml_learner_free(e->learner);
        e->learner = nl;
    } else {
        /* scoring, or learning with "replace": the new model's pipeline and weights take over */
        sml_pipeline *p = NULL;
        if ((rc = sml_pipeline_clone(sml_model_pipeline(m), &p, err)) != 0) {
            sml_model_free(m);
            return rc;
        }
        sml_model_free(e->model);
        e->model = m;
        sml_pipeline_free(e->pipeline);
        e->pipeline = p;
        release_layout(e);
        if ((rc = set_layout(e, err)) != 0)
            return rc;
        if (e->learner) {
            sml_learner_free(e->learner);
            e->learner = NULL;
            if ((rc = make_learner(e, err)) != 0)
                return rc;
        }
    }
    e->model_version = cur;
    e->swaps++;
    metrics_publish(e);
    struct timespec t1 = mono_now();
    logf_(e, SML_LOG_LEVEL_INFO, "model swapped: version %llu -> %llu in %.1f ms (%s)", (unsigned long long)old,
          (unsigned long long)cur, 1e3 * secs_between(&t0, &t1),
          e->learner ? (!strcmp(e->on_new_model, "base") ? "new base for l2-to-base" : "online state replaced")
                     : "scoring");
    return 0;
}

/* ------------------------------------------------------------------ the loop */

static int start_from_model(sml_engine *e, sml_error *err)
{
    int rc;
    if ((rc = sml_pipeline_clone(sml_model_pipeline(e->model), &e->pipeline, err)) != 0)
        return rc;
    sml_model_info info;
    sml_model_get_info(e->model, &info);
    e->classification = info.task == SML_TASK_CLASSIFICATION;
    e->loss = e->classification ? &sml_loss_logistic : &sml_loss_squared;
    if (e->classification && (!(e->positive = strdup(info.positive)) || !(e->negative = strdup(info.negative))))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    if (e->learn && !info.label)
        return sml_fail(err, SML_EINVAL, "the model has no label column to learn from");
    return 0;
}

int sml_engine_run(sml_engine *e, sml_error *err)
{
    int rc = 0, resumed = 0;
    e->t_start = e->t_last_ckpt = e->t_last_publish = mono_now();
    if (e->model && (rc = start_from_model(e, err)) != 0)
        return rc;
    if (e->sink.kind->commit_batch && (rc = txn_recover(e, err)) != 0)
        return rc;
    if (e->state_dir) {
        if ((resumed = read_checkpoint(e, err)) < 0)
            return resumed;
        e->have_ckpt = resumed > 0;
        if (resumed)
            logf_(e, SML_LOG_LEVEL_INFO, "resumed from %s/checkpoint: %llu records, %llu batches", e->state_dir,
                  (unsigned long long)e->records, (unsigned long long)e->batches);
    }
    /* exported counters are this process's (they restart at 0 like any Prometheus counter) */
    e->rm_base.labelled = e->labelled;
    e->rm_base.learned = e->learned;
    e->rm_base.dead_letters = e->dead_letters;
    e->rm_base.batches = e->batches;
    metrics_publish(e);
    if (e->sink.kind->commit_batch && (rc = txn_seek(e, resumed, err)) != 0)
        return rc;
    /* a fresh run replaces a file sink's old content; a resumed one appends to it */
    if ((rc = sml_sink_begin(&e->sink, resumed, err)) < 0)
        return rc;
    e->header_kept = rc;
    rc = 0;
    if (!e->pipeline) {
        if ((rc = start_from_scratch(e, err)) != 0)
            return rc;
        if (!e->pipeline)
            return 0; /* stopped before the first record */
    } else {
        if ((rc = set_layout(e, err)) != 0)
            return rc;
        if (e->learn && !e->learner && (rc = make_learner(e, err)) != 0)
            return rc;
    }
    struct timespec last_data = mono_now();
    while (!atomic_load(&e->stop)) {
        size_t room = e->batch_size - e->in_batch;
        e->chunk.limit = room < CHUNK_ROWS ? room : CHUNK_ROWS;
        int n = e->src.kind->next(e->src.st, &e->chunk, err);
        if (n < 0) {
            rc = n;
            break;
        }
        struct timespec now = mono_now();
        if (n > 0) {
            last_data = now;
            if ((rc = process_chunk(e, &e->chunk, err)) != 0)
                break;
            if (e->in_batch >= e->batch_size && (rc = close_batch(e, 0, err)) != 0)
                break;
            if (e->watch && (rc = maybe_reload(e, err)) != 0)
                break;
            continue;
        }
        if (e->src.kind->done(e->src.st))
            break;
        if (e->watch && (rc = maybe_reload(e, err)) != 0)
            break;
        /* idle: flush a partial batch when its time is up, else wait for input */
        double waited_ms = e->have_batch_first ? secs_between(&e->t_batch_first, &now) * 1000 : 0;
        if (e->in_batch && waited_ms >= (double)e->batch_interval_ms) {
            if ((rc = close_batch(e, 0, err)) != 0)
                break;
            if (e->watch && (rc = maybe_reload(e, err)) != 0)
                break;
            continue;
        }
        if (!e->in_batch && (rc = drain_pipeline(e, err)) != 0) /* idle: the last batch's positions go out */
            break;
        if (secs_between(&e->t_rm, &now) >= 0.5)
            metrics_publish(e); /* idle: Kafka lag and checkpoint age stay current */
        int timeout = e->in_batch ? (int)((double)e->batch_interval_ms - waited_ms) + 1 : 200;
        if (timeout > 200)
            timeout = 200;
        e->src.kind->wait(e->src.st, timeout < 1 ? 1 : timeout);
        /* a new current that came while waiting is swapped in before the records that ended the wait are read
         * (they were scored by the old model, up to 200 ms after the switch) */
        if (e->watch && (rc = maybe_reload(e, err)) != 0)
            break;
        (void)last_data;
    }
    /* the batch in flight is finished, outputs flushed, state checkpointed */
    int rc2 = close_batch(e, e->state_dir != NULL, err);
    if (!rc2)
        rc2 = drain_pipeline(e, err);
    if (!rc)
        rc = rc2;
    if (!rc && e->out)
        rc = e->sink.kind->flush(e->sink.st, 1, err);
    if (!rc && e->publish_every_ms && e->learner)
        rc = publish(e, err);
    return rc;
}
