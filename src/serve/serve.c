/*
 * The HTTP prediction service (`streamml serve`): libmicrohttpd with a thread pool in front of the current model.
 *
 *   POST /predict   one JSON object, an array of them, or a CSV body (Content-Type text/csv) -> predictions
 *   GET  /model     version, task, label, features, the model's training summary and metrics
 *   GET  /healthz   "ok"
 *   GET  /metrics   Prometheus text: requests, errors, latency histogram, model version, swaps
 *
 * Bodies are parsed with the same push reader as files (JSON lines after the array's top-level commas become line
 * breaks; no DOM), through the model's own pipeline. Models are reference counted: a request takes a reference
 * under the lock and scores on it; a reload thread swaps the pointer when the store publishes a new version, so a
 * request in flight finishes on the model it started with.
 *
 * The request path allocates little: a connection keeps its body, response and scoring buffers (batch sized to
 * the body's records, examples, scores) between keep-alive requests, and frees those of a large body.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "streamml/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/prom.h"
#include "common/strbuf.h"
#include "io/io_int.h"
#include "serve/serve_int.h"
#include "streamml/model.h"
#include "streamml/parse.h"
#include "streamml/store.h"

#define SERVE_BATCH 4096  /* rows scored at a time */
#define SERVE_KEEP_ROWS 64 /* a connection keeps the buffers of a body up to this many records */

static const double lat_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                    0.01,   0.025,   0.05,   0.1,   0.5,    1.0};

struct sml_server {
    struct MHD_Daemon *daemon;
    char *model_uri;
    size_t max_body;
    pthread_mutex_t lock;
    sml_model *model; /* current, under lock */
    sml_store_watch *watch;
    pthread_t reload_thread;
    int reload_running;
    atomic_int stopping;
    int64_t reload_ms;
    /* metrics */
    atomic_ullong requests, errors, bad_requests, records, swaps;
    sml_prom_hist latency;
    void (*log)(void *, int, const char *); /* under lock */
    void *log_opaque;
    char listen[128];
};

/* One per connection (MHD's socket context), reused by its keep-alive requests: the body, the response and the
 * scoring buffers. Only the connection's worker thread touches it. */
typedef struct conn {
    sml_strbuf body, out;
    int too_big;
    sml_serve_scratch scratch;
} conn;

#define CONN_KEEP_BYTES 65536 /* larger body or response buffers are freed after the request */

static void slog(sml_server *s, int level, const char *fmt, ...) SML_PRINTF(3, 4);
static void slog(sml_server *s, int level, const char *fmt, ...)
{
    /* the callback may be set while the reload thread runs: read it under the lock */
    pthread_mutex_lock(&s->lock);
    void (*log)(void *, int, const char *) = s->log;
    void *opaque = s->log_opaque;
    pthread_mutex_unlock(&s->lock);
    if (!log)
        return;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(opaque, level, msg);
}

static sml_model *current_model(sml_server *s)
{
    pthread_mutex_lock(&s->lock);
    sml_model *m = sml_model_ref(s->model);
    pthread_mutex_unlock(&s->lock);
    return m;
}

/* ------------------------------------------------------------------ responses */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result reply_error(sml_server *s, struct MHD_Connection *c, unsigned status, const char *msg)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_strbuf_adds(&sb, "{\"error\": ");
    sml_strbuf_add_json_str(&sb, msg, strlen(msg));
    sml_strbuf_adds(&sb, "}\n");
    if (status >= 500)
        atomic_fetch_add(&s->errors, 1);
    else
        atomic_fetch_add(&s->bad_requests, 1);
    enum MHD_Result rc = reply(c, status, "application/json", sb.buf ? sb.buf : "{}", sb.len);
    sml_strbuf_release(&sb);
    return rc;
}

/* ------------------------------------------------------------------ /predict */

/* A JSON array of objects becomes JSON lines: the top-level commas between objects become newlines. Returns 1 if
 * the body was an array, 0 if a single object, -1 if neither. */
static int array_to_lines(sml_strbuf *b)
{
    size_t i = 0;
    while (i < b->len && (b->buf[i] == ' ' || b->buf[i] == '\t' || b->buf[i] == '\r' || b->buf[i] == '\n'))
        i++;
    if (i == b->len)
        return -1;
    if (b->buf[i] == '{')
        return 0;
    if (b->buf[i] != '[')
        return -1;
    b->buf[i] = ' ';
    int depth = 0, in_str = 0, esc = 0, closed = 0;
    for (size_t k = i + 1; k < b->len; k++) {
        char ch = b->buf[k];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (ch == '\\')
                esc = 1;
            else if (ch == '"')
                in_str = 0;
            continue;
        }
        if (closed) {
            if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
                return -1; /* garbage after the array */
            continue;
        }
        if (ch == '"')
            in_str = 1;
        else if (ch == '{' || ch == '[')
            depth++;
        else if (ch == '}' || ch == ']') {
            if (depth == 0 && ch == ']') {
                b->buf[k] = '\n';
                closed = 1;
                continue;
            }
            depth--;
        } else if (ch == ',' && depth == 0)
            b->buf[k] = '\n';
    }
    return closed ? 1 : -1;
}

void sml_serve_scratch_release(sml_serve_scratch *sc)
{
    if (!sc)
        return;
    sml_batch_release(&sc->batch);
    sml_examples_release(&sc->ex);
    free(sc->score);
    free(sc->optional);
    *sc = (sml_serve_scratch)SML_SERVE_SCRATCH_INIT;
}

unsigned sml_serve_predict_body(sml_model *m, sml_strbuf *body, int csv, sml_serve_scratch *scratch, sml_strbuf *out,
                                size_t *nscored, char *msg, size_t msgcap)
{
    int is_array = 0;
    *nscored = 0;
    if (msgcap)
        msg[0] = 0;
    if (!csv && (is_array = array_to_lines(body)) < 0) {
        snprintf(msg, msgcap, "body: expected a JSON object, a JSON array of objects, or CSV with "
                              "Content-Type: text/csv");
        return 400;
    }
    sml_serve_scratch tmp = SML_SERVE_SCRATCH_INIT, *sc = scratch ? scratch : &tmp;
    sml_model_info info;
    sml_model_get_info(m, &info);
    const char *const *names;
    const sml_type *types;
    size_t nin = sml_pipeline_inputs(sml_model_pipeline(m), &names, &types, NULL);
    sml_reader_opts ro = SML_READER_OPTS_INIT;
    ro.format = csv ? SML_FORMAT_CSV : SML_FORMAT_JSONL;
    ro.source_name = "body";
    sml_error err = SML_ERROR_INIT;
    sml_reader *r = sml_reader_new(&ro, &err);
    /* a batch as large as the body's records (a line each, at most SERVE_BATCH): the reader's default batch
     * of 4096 rows costs ~0.5 MB of zeroed columns, more than parsing and scoring one record */
    size_t rows = 1;
    for (const char *p = body->len ? body->buf : NULL, *end = p ? p + body->len : NULL;
         p && p < end && rows < SERVE_BATCH && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        rows++;
    sml_batch *bp = &sc->batch;
    if (bp->capacity < rows) {
        sml_batch_release(bp);
        bp->capacity = rows;
    }
    unsigned status = 200;
    size_t nrec = 0;
    if (nin > sc->optional_cap) {
        free(sc->optional);
        sc->optional_cap = 0;
        if ((sc->optional = malloc(nin)) != NULL)
            sc->optional_cap = nin;
    }
    if ((nin && !sc->optional) || !r) {
        status = 500;
        snprintf(msg, msgcap, "out of memory");
        goto done;
    }
    if (nin)
        memset(sc->optional, 1, nin); /* absent features are missing (imputed as in training) */
    if (sml_reader_set_columns(r, names, types, sc->optional, nin, &err) != 0 ||
        sml_reader_feed(r, body->buf ? body->buf : "", body->len, &err) != 0 || sml_reader_end(r, &err) != 0) {
        status = 400;
        snprintf(msg, msgcap, "%s", err.msg);
        goto done;
    }
    sml_strbuf_addf(out, is_array || csv ? "{\"model_version\": %llu, \"predictions\": [" : "{",
                    (unsigned long long)info.version);
    for (;;) {
        int n = sml_reader_next(r, bp, &err);
        if (n < 0) {
            status = 400;
            snprintf(msg, msgcap, "%s", err.msg);
            goto done;
        }
        if (n == 0)
            break;
        if (bp->nbad) { /* a malformed record fails the request, naming it */
            sml_bad_row_format(r, bp, 0, msg, msgcap);
            status = 400;
            goto done;
        }
        if (bp->nrows > sc->score_cap) {
            double *ns = realloc(sc->score, bp->nrows * sizeof *sc->score);
            if (!ns) {
                status = 500;
                snprintf(msg, msgcap, "out of memory");
                goto done;
            }
            sc->score = ns;
            sc->score_cap = bp->nrows;
        }
        if (sml_pipeline_transform(sml_model_pipeline(m), bp, &sc->ex, &err) != 0) {
            status = 500;
            snprintf(msg, msgcap, "%s", err.msg);
            goto done;
        }
        const double *score = sc->score;
        sml_model_score_examples(m, &sc->ex, sc->score);
        for (size_t i = 0; i < bp->nrows; i++, nrec++) {
            if (sc->ex.flags[i] & SML_EX_BAD_X) {
                snprintf(msg, msgcap, "body:%llu: a numeric feature is NaN or infinite", (unsigned long long)bp->line[i]);
                status = 400;
                goto done;
            }
            if (is_array || csv)
                sml_strbuf_adds(out, nrec ? ", {" : "{");
            if (info.task == SML_TASK_CLASSIFICATION) {
                const char *k = score[i] >= 0.5 ? info.positive : info.negative;
                sml_strbuf_adds(out, "\"prediction\": ");
                sml_strbuf_add_json_str(out, k, strlen(k));
                sml_strbuf_adds(out, ", \"probability\": ");
            } else {
                sml_strbuf_adds(out, "\"prediction\": ");
            }
            sml_strbuf_add_json_double(out, score[i]);
            if (is_array || csv)
                sml_strbuf_adds(out, "}");
            else
                sml_strbuf_addf(out, ", \"model_version\": %llu", (unsigned long long)info.version);
        }
    }
    if (!is_array && !csv && nrec != 1) {
        status = 400;
        snprintf(msg, msgcap, "body: expected one JSON object");
        goto done;
    }
    sml_strbuf_adds(out, is_array || csv ? "]}\n" : "}\n");
    *nscored = nrec;
done:
    sml_reader_free(r);
    if (sc == &tmp || bp->capacity > SERVE_KEEP_ROWS)
        sml_serve_scratch_release(sc); /* a large body's buffers are not kept for the connection's next request */
    return status;
}

static enum MHD_Result predict(sml_server *s, struct MHD_Connection *c, conn *cn)
{
    const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    int csv = ctype && (strstr(ctype, "text/csv") || strstr(ctype, "application/csv"));
    sml_model *m = current_model(s);
    char msg[400];
    size_t nrec;
    cn->out.len = 0;
    unsigned status = sml_serve_predict_body(m, &cn->body, csv, &cn->scratch, &cn->out, &nrec, msg, sizeof msg);
    enum MHD_Result res;
    if (status == 200) {
        atomic_fetch_add(&s->records, nrec);
        res = reply(c, 200, "application/json", cn->out.buf, cn->out.len);
    } else {
        res = reply_error(s, c, status, msg);
    }
    sml_model_free(m);
    return res;
}

/* ------------------------------------------------------------------ GET endpoints */

static enum MHD_Result get_model(sml_server *s, struct MHD_Connection *c)
{
    sml_model *m = current_model(s);
    sml_model_info info;
    sml_model_get_info(m, &info);
    sml_strbuf sb = SML_STRBUF_INIT;
    const char *const *names;
    size_t nin = sml_pipeline_inputs(sml_model_pipeline(m), &names, NULL, NULL);
    sml_strbuf_addf(&sb, "{\"version\": %llu, \"task\": \"%s\", \"loss\": \"%s\", \"label\": ",
                    (unsigned long long)info.version,
                    info.task == SML_TASK_CLASSIFICATION ? "classification" : "regression", info.loss);
    if (info.label)
        sml_strbuf_add_json_str(&sb, info.label, strlen(info.label));
    else
        sml_strbuf_adds(&sb, "null");
    sml_strbuf_addf(&sb, ", \"features\": %zu, \"inputs\": [", info.dim);
    for (size_t i = 0; i < nin; i++) {
        sml_strbuf_adds(&sb, i ? ", " : "");
        sml_strbuf_add_json_str(&sb, names[i], strlen(names[i]));
    }
    const char *summ = sml_model_get_json(m, SML_MODEL_SUMMARY), *metr = sml_model_get_json(m, SML_MODEL_METRICS);
    sml_strbuf_addf(&sb, "], \"summary\": %s, \"metrics\": %s}\n", summ ? summ : "null", metr ? metr : "null");
    sml_model_free(m);
    enum MHD_Result rc = reply(c, 200, "application/json", sb.buf, sb.len);
    sml_strbuf_release(&sb);
    return rc;
}

static enum MHD_Result get_metrics(sml_server *s, struct MHD_Connection *c)
{
    sml_model *m = current_model(s);
    sml_model_info info;
    sml_model_get_info(m, &info);
    sml_model_free(m);
    sml_strbuf sb = SML_STRBUF_INIT;
    int fail = sml_prom_counter(&sb, "streamml_requests_total", "Requests to /predict.", atomic_load(&s->requests));
    fail |= sml_prom_family(&sb, "streamml_request_errors_total", "counter",
                            "Requests that failed (4xx bad input, 5xx server).");
    fail |= sml_prom_sample_u64(&sb, "streamml_request_errors_total", "class=\"4xx\"", atomic_load(&s->bad_requests));
    fail |= sml_prom_sample_u64(&sb, "streamml_request_errors_total", "class=\"5xx\"", atomic_load(&s->errors));
    fail |= sml_prom_counter(&sb, "streamml_records_scored_total", "Records scored.", atomic_load(&s->records));
    fail |= sml_prom_gauge(&sb, "streamml_model_version", "The model version serving.", (double)info.version);
    fail |= sml_prom_counter(&sb, "streamml_model_swaps_total", "Models swapped in live.", atomic_load(&s->swaps));
    fail |= sml_prom_hist_write(&sb, "streamml_request_seconds", "/predict latency.", &s->latency);
    if (fail) {
        sml_strbuf_release(&sb);
        return reply_error(s, c, 500, "out of memory");
    }
    enum MHD_Result rc = reply(c, 200, SML_PROM_CONTENT_TYPE, sb.buf, sb.len);
    sml_strbuf_release(&sb);
    return rc;
}

/* ------------------------------------------------------------------ dispatch */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    sml_server *s = cls;
    (void)version;
    if (!strcmp(method, "POST")) {
        conn *rq = *con_cls;
        if (!rq) {
            if (strcmp(url, "/predict") != 0)
                return reply_error(s, c, 404, "no such endpoint (POST /predict)");
            const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
            if (!ci || !(rq = ci->socket_context))
                return MHD_NO; /* its allocation failed */
            rq->body.len = 0;
            rq->too_big = 0;
            *con_cls = rq;
            return MHD_YES;
        }
        if (*upload_size) {
            if (rq->body.len + *upload_size > s->max_body)
                rq->too_big = 1;
            else if (sml_strbuf_add(&rq->body, upload, *upload_size) != 0)
                rq->too_big = 1;
            *upload_size = 0;
            return MHD_YES;
        }
        double t0 = now_s();
        atomic_fetch_add(&s->requests, 1);
        enum MHD_Result rc = rq->too_big ? reply_error(s, c, 413, "body larger than --max-body-bytes")
                                         : predict(s, c, rq);
        sml_prom_hist_observe(&s->latency, now_s() - t0);
        return rc;
    }
    if (strcmp(method, "GET") != 0)
        return reply_error(s, c, 405, "method not allowed");
    if (!strcmp(url, "/healthz"))
        return reply(c, 200, "text/plain", "ok\n", 3);
    if (!strcmp(url, "/model"))
        return get_model(s, c);
    if (!strcmp(url, "/metrics"))
        return get_metrics(s, c);
    return reply_error(s, c, 404, "no such endpoint (GET /model, /healthz, /metrics; POST /predict)");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    conn *rq = *con_cls;
    if (rq) { /* the connection keeps small buffers for its next request */
        if (rq->body.cap > CONN_KEEP_BYTES)
            sml_strbuf_release(&rq->body);
        if (rq->out.cap > CONN_KEEP_BYTES)
            sml_strbuf_release(&rq->out);
        rq->body.len = rq->out.len = 0;
        *con_cls = NULL;
    }
}

static void connection_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)c;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn *cn = calloc(1, sizeof *cn); /* NULL: its POST requests are refused */
        if (cn)
            cn->scratch = (sml_serve_scratch)SML_SERVE_SCRATCH_INIT;
        *socket_context = cn;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn *cn = *socket_context;
        sml_strbuf_release(&cn->body);
        sml_strbuf_release(&cn->out);
        sml_serve_scratch_release(&cn->scratch);
        free(cn);
        *socket_context = NULL;
    }
}

/* ------------------------------------------------------------------ reload */

static void *reload_loop(void *arg)
{
    sml_server *s = arg;
    uint64_t failed = 0; /* a version that did not load: not retried until another one comes */
    while (!atomic_load(&s->stopping)) {
        /* sleep until the store's notification (inotify, SUBSCRIBE) arrives, so a swap starts at once; the
         * timeout bounds the wait for a stop request and for the periodic check */
        struct pollfd pfd = {sml_store_watch_fd(s->watch), POLLIN, 0};
        if (pfd.fd >= 0) {
            poll(&pfd, 1, 20);
        } else {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        sml_model *m = current_model(s);
        sml_model_info info;
        sml_model_get_info(m, &info);
        sml_model_free(m);
        uint64_t cur;
        sml_error err = SML_ERROR_INIT;
        int rc = sml_store_watch_poll(s->watch, info.version, &cur, &err);
        const char *note = sml_store_watch_note(s->watch);
        if (note)
            slog(s, 2, "watching %s: %s", s->model_uri, note);
        if (rc < 0)
            slog(s, 1, "watching %s: %s", s->model_uri, err.msg);
        if (rc <= 0 || cur == failed)
            continue;
        double t0 = now_s();
        sml_model *nm = NULL;
        if ((rc = sml_store_load(sml_store_watch_store(s->watch), cur, &nm, &err)) != 0) {
            /* a store that could not be read is tried again at the next check; a version that is bad is not */
            slog(s, rc == SML_EIO ? 1 : 0, "new model version %llu cannot be used%s: %s; version %llu keeps serving",
                 (unsigned long long)cur, rc == SML_EIO ? " now (tried again at the next check)" : "", err.msg,
                 (unsigned long long)info.version);
            if (rc != SML_EIO)
                failed = cur;
            continue;
        }
        pthread_mutex_lock(&s->lock);
        sml_model *old = s->model;
        s->model = nm;
        pthread_mutex_unlock(&s->lock);
        sml_model_free(old); /* requests still holding it finish first */
        atomic_fetch_add(&s->swaps, 1);
        slog(s, 2, "model swapped: version %llu -> %llu in %.1f ms", (unsigned long long)info.version,
             (unsigned long long)cur, 1e3 * (now_s() - t0));
    }
    return NULL;
}

/* ------------------------------------------------------------------ lifecycle */

int sml_server_new(const sml_conf *conf, sml_server **out, sml_error *err)
{
    sml_server *s = calloc(1, sizeof *s);
    int rc;
    *out = NULL;
    if (!s)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    sml_prom_hist_init(&s->latency, lat_bounds, sizeof lat_bounds / sizeof lat_bounds[0]);
    const char *model = sml_conf_str(conf, "model");
    if (!model) {
        rc = sml_fail(err, SML_EINVAL, "no model: give --model STORE|FILE");
        goto fail;
    }
    s->model_uri = strdup(model);
    s->max_body = (size_t)sml_conf_int(conf, "max_body_bytes");
    /* the first model comes through the watch's own store handle: the first swap finds it ready */
    if (sml_is_store_uri(model) &&
        (rc = sml_store_watch_new(model, sml_conf_duration_ms(conf, "reload_check_interval"), &s->watch, err)) != 0)
        goto fail;
    if ((rc = s->watch ? sml_store_load(sml_store_watch_store(s->watch), 0, &s->model, err)
                       : sml_model_load(model, &s->model, err)) != 0)
        goto fail;
    struct sockaddr_storage addr;
    unsigned addrlen;
    const char *listen = sml_conf_str(conf, "listen");
    snprintf(s->listen, sizeof s->listen, "%s", listen);
    if ((rc = sml_parse_hostport(listen, &addr, &addrlen, err)) != 0)
        goto fail;
    unsigned threads = (unsigned)sml_conf_int(conf, "threads");
    if (!threads) { /* one per core this process may run on (taskset, cgroup cpusets), not per core online */
        cpu_set_t cpus;
        long n = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 2;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)sml_conf_int(conf, "max_connections"),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(sml_conf_duration_ms(conf, "request_timeout") / 1000 + 1),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, connection_notify, s,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
    if (!s->daemon) {
        rc = sml_fail(err, SML_EIO, "cannot listen on %s (in use, or not a local address?)", listen);
        goto fail;
    }
    if (s->watch) {
        if (pthread_create(&s->reload_thread, NULL, reload_loop, s) != 0) {
            rc = sml_fail(err, SML_EIO, "cannot start the reload thread");
            goto fail;
        }
        s->reload_running = 1;
    }
    *out = s;
    return 0;
fail:
    sml_server_free(s);
    return rc;
}

void sml_server_set_log(sml_server *s, void (*fn)(void *, int, const char *), void *opaque)
{
    pthread_mutex_lock(&s->lock);
    s->log = fn;
    s->log_opaque = opaque;
    pthread_mutex_unlock(&s->lock);
}

uint16_t sml_server_port(const sml_server *s)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void sml_server_free(sml_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, 1);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->reload_running)
        pthread_join(s->reload_thread, NULL);
    sml_store_watch_free(s->watch);
    sml_model_free(s->model);
    pthread_mutex_destroy(&s->lock);
    free(s->model_uri);
    free(s);
}
