/*
 * Sink: a Kafka topic (kafka://host:port[,...]/topic), one message per output row, through an idempotent
 * producer (enable.idempotence=true: no duplicates from the producer's retries, acks from all in-sync replicas).
 *
 * Rows arrive as bytes from sml_textout's write callback; the sink cuts them into records at line ends. Our JSON
 * lines never hold a raw newline (it is escaped); in CSV a newline inside a quoted field stays in its record (the
 * quotes are tracked). The first line decides the format: '{' is JSON lines, anything else is the CSV header, which
 * is not sent (it names the columns, for --key-column). The key of a message is the text of that output column.
 *
 * A thread of the sink's own produces: write() copies the engine's bytes into a bounded queue of chunks (at most
 * QUEUE_MAX bytes wait; a full queue makes write() wait: backpressure on the whole stream) and returns, so the
 * engine scores the next batch while the last one is cut into messages and handed to librdkafka (whose per-message
 * work, an allocation, a copy, the partition's lock, is most of the cost of producing). The thread alone calls
 * rd_kafka_produce_batch and rd_kafka_poll, so the delivery reports and librdkafka's logs come on it; the counts
 * are its own until it publishes them under the lock, and log lines wait in the sink until the engine's thread
 * calls in (write/mark/settle/flush) and passes them to the engine's log callback, which is never called from the
 * sink's thread. When idle, the thread waits on a pipe that both write() (a chunk arrived) and librdkafka (an event
 * for the poll: a delivery report, a log line; rd_kafka_queue_io_event_enable) write a byte to.
 *
 * Producing: the complete lines of one chunk are handed to librdkafka in lots of up to LOT_MAX messages, one
 * rd_kafka_produce_batch call each, after waiting until the producer queue has room for the whole lot (messages and
 * bytes not yet reported against queue.buffering.max.messages / .kbytes, counted by this sink), so librdkafka never
 * refuses one message of a lot and takes a later one: the order of the lines is the order in the topic.
 *
 * Delivery: flush() waits until every chunk is produced and every message has a delivery report; any failed
 * delivery fails the flush (and every later call) with the number of messages lost and the first reason: the batch
 * fails loudly, and the source does not commit its positions. Batches can also be settled one by one
 * (mark/settle): each chunk and each of its messages carries its batch's number, and the counts are kept per
 * batch, so the engine can commit the positions of batch N once all of batch N (and everything before) is
 * produced and delivered, while batch N+1 is already being scored.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "io/kafka_int.h"

#define NBATCH 16              /* batches in flight at most (the engine settles the one before the last) */
#define LOT_MAX 1024           /* messages per rd_kafka_produce_batch call at most */
#define QUEUE_MAX (4u << 20)   /* bytes of output waiting for the producer thread at most */
#define LOGS_MAX (1u << 20)    /* bytes of log lines waiting for the engine's thread at most (more are counted) */

typedef struct chunk {
    struct chunk *next;
    uint64_t batch;
    size_t len;
    char data[];
} chunk;

typedef struct kafka_sink {
    sml_kafka_log lg; /* first: librdkafka's opaque; its log goes to defer_log */
    sml_kafka_uri uri;
    char where[300];
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    char *key_name;               /* --key-column */
    uint64_t max_msgs, max_bytes; /* the producer queue's bounds */
    size_t lotmax;                /* LOT_MAX, or half the producer queue when that is smaller */
    sml_log_fn log;               /* the engine's log callback, called on the engine's thread only */
    void *log_opaque;
    rd_kafka_queue_t *mainq;      /* the producer's main queue (delivery reports, logs), its IO events on wake[1] */
    int wake[2];                  /* the idle thread's pipe: a byte per chunk queued, per event for the poll */
    pthread_t thread;
    int started;
    atomic_int stop;

    /* the producer thread's own (and, once it is joined, close's) */
    struct {
        sml_strbuf line;  /* the record being assembled */
        int in_quotes;    /* CSV: inside a quoted field */
        int format_known, csv;
        int key_index;    /* CSV: the key's field index, -1 none */
        uint64_t batch;   /* the batch of the chunk being produced */
        /* the lot being assembled for one rd_kafka_produce_batch: CSV keys are copied into `keys` and the messages
         * hold their offset there until the lot goes (the buffer may move while it grows) */
        rd_kafka_message_t lot[LOT_MAX];
        size_t nlot, lotbytes;
        sml_strbuf keys;
        uint64_t out_bytes;           /* payload + key bytes produced and not yet reported */
        uint64_t sent, acked, failed; /* messages produced, reported (delivered or not), not delivered */
        char first_error[300];
        uint64_t bsent[NBATCH], bdone[NBATCH]; /* not yet published */
    } t;

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t progress;      /* the thread published (a chunk produced, delivery reports) */
    chunk *qhead, *qtail;
    size_t qbytes;                /* bytes queued or being produced */
    uint64_t cur;                 /* the open batch */
    uint64_t settled;             /* batches below this one are all delivered */
    uint64_t bqueued[NBATCH], bsent[NBATCH], bdone[NBATCH]; /* chunks not yet produced, messages, reports */
    uint64_t sent, acked, failed;
    char first_error[300];
    sml_error error;              /* the thread's own failure (not a delivery), code 0 none */
    sml_strbuf logs;              /* log lines for the engine's thread: a level byte, the text, a NUL, ... */
    size_t logs_dropped;
} kafka_sink;

/* ------------------------------------------------------------------ logs: kept until the engine's thread calls */

static void defer_log(void *opaque, int level, const char *msg)
{
    kafka_sink *s = opaque;
    char lv = (char)('0' + level);
    pthread_mutex_lock(&s->mu);
    size_t was = s->logs.len;
    if (was + strlen(msg) + 2 > LOGS_MAX || sml_strbuf_add(&s->logs, &lv, 1) ||
        sml_strbuf_add(&s->logs, msg, strlen(msg) + 1)) {
        s->logs.len = was;
        s->logs_dropped++;
    }
    pthread_mutex_unlock(&s->mu);
}

/* On the engine's thread, with mu held. */
static void emit_logs_locked(kafka_sink *s)
{
    for (size_t i = 0; i < s->logs.len && s->log; i += strlen(s->logs.buf + i) + 1)
        s->log(s->log_opaque, s->logs.buf[i] - '0', s->logs.buf + i + 1);
    if (s->logs_dropped && s->log) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s: %zu log lines of the producer left out (too many waiting)", s->where,
                 s->logs_dropped);
        s->log(s->log_opaque, SML_LOG_WARN, msg);
    }
    s->logs.len = 0;
    s->logs_dropped = 0;
}

/* ------------------------------------------------------------------ callbacks (on the producer thread's polls) */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kafka_sink *s = opaque;
    s->t.acked++;
    s->t.bdone[(uintptr_t)m->_private % NBATCH]++;
    s->t.out_bytes -= m->len + m->key_len;
    if (m->err && !s->t.failed++)
        snprintf(s->t.first_error, sizeof s->t.first_error, "%s", rd_kafka_err2str(m->err));
}

static void on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    kafka_sink *s = opaque;
    if (e == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        if (!s->t.failed++)
            snprintf(s->t.first_error, sizeof s->t.first_error, "fatal producer error: %s", buf);
        return;
    }
    sml_kafka_logf(&s->lg, e == RD_KAFKA_RESP_ERR__TRANSPORT ? SML_LOG_DEBUG : SML_LOG_WARN, "%s: %s: %s", s->where,
                   rd_kafka_err2name(e), reason);
}

/* The thread's counts, made visible to the engine's thread (mu held). */
static void publish_locked(kafka_sink *s)
{
    for (size_t i = 0; i < NBATCH; i++) {
        s->bsent[i] += s->t.bsent[i];
        s->bdone[i] += s->t.bdone[i];
        s->t.bsent[i] = s->t.bdone[i] = 0;
    }
    s->sent = s->t.sent;
    s->acked = s->t.acked;
    if (s->t.failed && !s->failed)
        memcpy(s->first_error, s->t.first_error, sizeof s->first_error);
    s->failed = s->t.failed;
}

/* The sink's failure so far (mu held): the thread's own error, or messages not delivered. */
static int failure_locked(kafka_sink *s, sml_error *err)
{
    if (s->error.code) {
        if (err)
            *err = s->error;
        return s->error.code;
    }
    if (s->failed)
        return sml_fail(err, SML_EIO, "%s: %" PRIu64 " of %" PRIu64 " messages not delivered (first: %s)", s->where,
                        s->failed, s->sent, s->first_error);
    return 0;
}

/* ------------------------------------------------------------------ keys: one field of our own output line */

/* CSV field `index` (quotes removed) into out. */
static int csv_field(const char *p, size_t len, int index, sml_strbuf *out)
{
    int f = 0, q = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (q) {
            if (c == '"' && i + 1 < len && p[i + 1] == '"') {
                if (f == index && sml_strbuf_add(out, "\"", 1))
                    return SML_ENOMEM;
                i++;
            } else if (c == '"')
                q = 0;
            else if (f == index && sml_strbuf_add(out, &c, 1))
                return SML_ENOMEM;
        } else if (c == '"')
            q = 1;
        else if (c == ',')
            f++;
        else if (f == index && sml_strbuf_add(out, &c, 1))
            return SML_ENOMEM;
    }
    return 0;
}

/* Scans a JSON string at p[*i] == '"'; appends its raw (still escaped) text to out when out is not NULL. */
static void json_string(const char *p, size_t len, size_t *i, const char **start, size_t *slen)
{
    size_t j = *i + 1;
    *start = p + j;
    while (j < len && p[j] != '"')
        j += p[j] == '\\' ? 2 : 1;
    *slen = (j < len ? j : len) - (size_t)(*start - p);
    *i = j + 1;
}

/* The value of key `name` in our flat JSON object line: strings without their quotes (escapes kept), other values
 * as written; null: no key. Returns 1 found, 0 not. */
static int json_field(const char *p, size_t len, const char *name, const char **v, size_t *vlen)
{
    size_t i = 1, nl = strlen(name);
    while (i < len) {
        while (i < len && (p[i] == ' ' || p[i] == ','))
            i++;
        if (i >= len || p[i] != '"')
            return 0;
        const char *k;
        size_t klen;
        json_string(p, len, &i, &k, &klen);
        while (i < len && (p[i] == ':' || p[i] == ' '))
            i++;
        const char *val;
        size_t vl;
        if (i < len && p[i] == '"')
            json_string(p, len, &i, &val, &vl);
        else {
            val = p + i;
            while (i < len && p[i] != ',' && p[i] != '}')
                i++;
            vl = (size_t)(p + i - val);
        }
        if (klen == nl && !memcmp(k, name, nl)) {
            if (vl == 4 && !memcmp(val, "null", 4) && val[-1] != '"')
                return 0;
            *v = val;
            *vlen = vl;
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ the producer thread */

/* Messages produced and not yet reported. */
static uint64_t in_flight(const kafka_sink *s)
{
    return s->t.sent - s->t.acked;
}

/* Hands the lot to librdkafka: waits for room in the bounded producer queue (backpressure on the whole stream),
 * then one rd_kafka_produce_batch. */
static int produce_lot(kafka_sink *s, sml_error *err)
{
    size_t n = s->t.nlot;
    if (!n)
        return 0;
    s->t.nlot = 0;
    while (!s->t.failed && !atomic_load(&s->stop) && in_flight(s) &&
           (in_flight(s) + n > s->max_msgs || s->t.out_bytes + s->t.lotbytes > s->max_bytes))
        rd_kafka_poll(s->rk, 100);
    if (s->t.failed || atomic_load(&s->stop))
        return s->t.failed ? 0 : sml_fail(err, SML_EIO, "%s: closed with output not produced", s->where);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = &s->t.lot[i];
        if (m->key && s->t.csv) /* CSV: offset+1 into keys (0 is no key) */
            m->key = s->t.keys.buf + ((uintptr_t)m->key - 1);
        m->_private = (void *)(uintptr_t)s->t.batch;
        m->err = 0;
    }
    int ok = rd_kafka_produce_batch(s->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, s->t.lot, (int)n);
    s->t.sent += (uint64_t)ok;
    s->t.bsent[s->t.batch % NBATCH] += (uint64_t)ok;
    s->t.out_bytes += s->t.lotbytes;
    s->t.lotbytes = 0;
    s->t.keys.len = 0;
    if ((size_t)ok == n)
        return 0;
    /* not expected (room was made first): the first refusal fails the stream */
    for (size_t i = 0; i < n; i++)
        if (s->t.lot[i].err) {
            s->t.out_bytes -= s->t.lot[i].len + s->t.lot[i].key_len;
            return sml_fail(err, SML_EIO, "%s: cannot produce a message: %s", s->where,
                            rd_kafka_err2str(s->t.lot[i].err));
        }
    return 0;
}

/* Adds one output line to the lot (which goes when it is full). */
static int produce(kafka_sink *s, const char *p, size_t len, sml_error *err)
{
    const char *key = NULL;
    size_t klen = 0;
    if (s->key_name) {
        if (s->t.csv && s->t.key_index >= 0) {
            size_t at = s->t.keys.len;
            if (csv_field(p, len, s->t.key_index, &s->t.keys) != 0)
                return sml_fail(err, SML_ENOMEM, "out of memory");
            key = (const char *)(uintptr_t)(at + 1);
            klen = s->t.keys.len - at;
        } else if (!s->t.csv)
            json_field(p, len, s->key_name, &key, &klen);
    }
    rd_kafka_message_t *m = &s->t.lot[s->t.nlot++];
    memset(m, 0, sizeof *m);
    m->payload = (void *)p;
    m->len = len;
    m->key = (void *)key;
    m->key_len = key ? klen : 0;
    s->t.lotbytes += len + m->key_len;
    /* a lot never needs more than half the queue, so there is always room for it once the queue drains */
    if (s->t.nlot >= s->lotmax || s->t.lotbytes >= s->max_bytes / 2)
        return produce_lot(s, err);
    return 0;
}

/* One complete line (without its newline). */
static int take_line(kafka_sink *s, const char *p, size_t len, sml_error *err)
{
    if (!s->t.format_known) {
        s->t.format_known = 1;
        s->t.csv = !(len && p[0] == '{');
        if (s->t.csv) {
            /* the header: not sent; it says which field is the key */
            s->t.key_index = -1;
            if (s->key_name) {
                sml_strbuf f = SML_STRBUF_INIT;
                int nfields = 1;
                for (size_t c = 0; c < len; c++)
                    nfields += p[c] == ',';
                for (int i = 0; i < nfields && s->t.key_index < 0; i++) {
                    f.len = 0;
                    if (csv_field(p, len, i, &f) != 0) {
                        sml_strbuf_release(&f);
                        return sml_fail(err, SML_ENOMEM, "out of memory");
                    }
                    if (f.len == strlen(s->key_name) && (!f.len || !memcmp(f.buf, s->key_name, f.len)))
                        s->t.key_index = i;
                }
                sml_strbuf_release(&f);
                if (s->t.key_index < 0)
                    return sml_fail(err, SML_ENOTFOUND, "%s: --key-column %s is not an output column (%.*s); keep it "
                                                        "with --keep", s->where, s->key_name, (int)len, p);
            }
            return 0;
        }
    }
    return produce(s, p, len, err);
}

/* Cuts one chunk of output into messages and produces them. */
static int take_chunk(kafka_sink *s, const char *p, size_t len, sml_error *err)
{
    const char *end = p + len;
    int rc;
    while (p < end) {
        const char *nl;
        if (s->t.format_known && !s->t.csv)
            nl = memchr(p, '\n', (size_t)(end - p)); /* JSON lines: newlines inside values are escaped */
        else {
            nl = NULL;
            for (const char *c = p; c < end; c++) {
                if (*c == '"')
                    s->t.in_quotes = !s->t.in_quotes; /* a doubled quote toggles twice */
                else if (*c == '\n' && !s->t.in_quotes) {
                    nl = c;
                    break;
                }
            }
        }
        if (!nl) {
            /* the lot may point into `line`: it goes before the line is touched */
            if ((rc = produce_lot(s, err)) != 0)
                return rc;
            if (sml_strbuf_add(&s->t.line, p, (size_t)(end - p)))
                return sml_fail(err, SML_ENOMEM, "out of memory");
            break;
        }
        size_t n = (size_t)(nl - p);
        if (n && nl[-1] == '\r')
            n--;
        if (s->t.line.len) {
            if (sml_strbuf_add(&s->t.line, p, n))
                return sml_fail(err, SML_ENOMEM, "out of memory");
            rc = take_line(s, s->t.line.buf, s->t.line.len, err);
            s->t.line.len = 0;
        } else
            rc = take_line(s, p, n, err);
        if (rc)
            return rc;
        p = nl + 1;
    }
    return produce_lot(s, err);
}

/* Takes chunks off the queue and produces them; between chunks it serves delivery reports (a poll that
 * rd_kafka_yield ends when a chunk arrives), and publishes its counts after each. After a failure, chunks are
 * dropped (the engine fails at its next call). */
static void *producer_main(void *arg)
{
    kafka_sink *s = arg;
    prctl(PR_SET_NAME, "sml:producer"); /* in top, perf, /proc/PID/task/TID/comm */
    pthread_mutex_lock(&s->mu);
    for (;;) {
        chunk *c = s->qhead;
        if (!c && atomic_load(&s->stop))
            break;
        int bad = s->error.code != 0;
        if (c) {
            s->qhead = c->next;
            if (!s->qhead)
                s->qtail = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        sml_error e = SML_ERROR_INIT;
        int rc = 0;
        if (c && !bad) {
            s->t.batch = c->batch;
            rc = take_chunk(s, c->data, c->len, &e);
        } else if (!c) {
            /* idle until a chunk or an event arrives (the pipe is drained after waking: a byte written after
             * the drain wakes the next wait) */
            struct pollfd pf = {.fd = s->wake[0], .events = POLLIN};
            char drain[64];
            if (poll(&pf, 1, 1000) > 0)
                while (read(s->wake[0], drain, sizeof drain) > 0)
                    ;
        }
        rd_kafka_poll(s->rk, 0);
        pthread_mutex_lock(&s->mu);
        if (c) {
            s->qbytes -= c->len;
            s->bqueued[c->batch % NBATCH]--;
            free(c);
        }
        if (rc && !s->error.code)
            s->error = e;
        publish_locked(s);
        pthread_cond_broadcast(&s->progress);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Wakes the idle thread (a full pipe already will). */
static void wake(kafka_sink *s)
{
    ssize_t w = write(s->wake[1], "c", 1);
    (void)w;
}

/* ------------------------------------------------------------------ the engine's side */

static int kafka_write(void *st, const void *buf, size_t len, sml_error *err)
{
    kafka_sink *s = st;
    chunk *c = len ? malloc(sizeof *c + len) : NULL;
    if (len && !c)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    pthread_mutex_lock(&s->mu);
    emit_logs_locked(s);
    int rc;
    while (!(rc = failure_locked(s, err)) && c && s->qbytes && s->qbytes + len > QUEUE_MAX)
        pthread_cond_wait(&s->progress, &s->mu);
    if (!rc && c) {
        c->next = NULL;
        c->batch = s->cur;
        c->len = len;
        memcpy(c->data, buf, len);
        if (s->qtail)
            s->qtail->next = c;
        else
            s->qhead = c;
        s->qtail = c;
        s->qbytes += len;
        s->bqueued[s->cur % NBATCH]++;
        c = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    free(c);
    if (!rc)
        wake(s);
    return rc;
}

/* Every chunk produced and every message reported; a failed one fails the batch. */
static int kafka_flush(void *st, int durable, sml_error *err)
{
    kafka_sink *s = st;
    (void)durable; /* acknowledged by the in-sync replicas is Kafka's durability, asked for every batch */
    pthread_mutex_lock(&s->mu);
    int rc;
    /* messages that cannot be delivered fail at message.timeout.ms */
    while (!(rc = failure_locked(s, err)) && (s->qbytes || s->acked < s->sent))
        pthread_cond_wait(&s->progress, &s->mu);
    emit_logs_locked(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Batch `id` and every one before it are produced and delivered (their counters are then free for reuse). mu held. */
static int batches_done_locked(kafka_sink *s, uint64_t id)
{
    while (s->settled <= id && s->settled < s->cur) {
        size_t i = s->settled % NBATCH;
        if (s->bqueued[i] || s->bdone[i] < s->bsent[i])
            return 0;
        s->bsent[i] = s->bdone[i] = 0;
        s->settled++;
    }
    return 1;
}

static int kafka_settle(void *st, uint64_t id, int wait, sml_error *err)
{
    kafka_sink *s = st;
    pthread_mutex_lock(&s->mu);
    int rc, done = 0;
    /* undeliverable messages fail at message.timeout.ms */
    while (!(rc = failure_locked(s, err)) && !(done = batches_done_locked(s, id)) && wait)
        pthread_cond_wait(&s->progress, &s->mu);
    if (!rc)
        rc = done;
    emit_logs_locked(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static uint64_t kafka_mark(void *st)
{
    kafka_sink *s = st;
    pthread_mutex_lock(&s->mu);
    uint64_t id = s->cur++;
    /* the counters of the batch NBATCH back are reused: it must be settled (the engine settles far more often) */
    while (!failure_locked(s, NULL) && s->cur - s->settled >= NBATCH && !batches_done_locked(s, s->cur - NBATCH))
        pthread_cond_wait(&s->progress, &s->mu);
    emit_logs_locked(s);
    pthread_mutex_unlock(&s->mu);
    return id;
}

static void kafka_close(void *st)
{
    kafka_sink *s = st;
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stop, 1);
        wake(s);
        pthread_join(s->thread, NULL);
    }
    if (s->mainq) {
        rd_kafka_queue_io_event_enable(s->mainq, -1, NULL, 0);
        rd_kafka_queue_destroy(s->mainq);
    }
    if (s->rk) {
        rd_kafka_flush(s->rk, 2000);
        rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(s->rk, 0);
    }
    if (s->rkt)
        rd_kafka_topic_destroy(s->rkt);
    if (s->rk)
        rd_kafka_destroy(s->rk);
    pthread_mutex_lock(&s->mu);
    emit_logs_locked(s);
    pthread_mutex_unlock(&s->mu);
    while (s->qhead) {
        chunk *c = s->qhead;
        s->qhead = c->next;
        free(c);
    }
    sml_strbuf_release(&s->t.line);
    sml_strbuf_release(&s->t.keys);
    sml_strbuf_release(&s->logs);
    sml_kafka_uri_release(&s->uri);
    free(s->key_name);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    pthread_cond_destroy(&s->progress);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int sml_kafka_sink_open(const char *location, const sml_sink_opts *o, void **state, sml_error *err)
{
    kafka_sink *s = calloc(1, sizeof *s);
    rd_kafka_conf_t *conf = NULL;
    char errstr[512];
    int rc;
    if (!s)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->progress, NULL);
    atomic_init(&s->stop, 0);
    s->t.key_index = -1;
    s->wake[0] = s->wake[1] = -1;
    if (pipe(s->wake) != 0) {
        s->wake[0] = s->wake[1] = -1;
        rc = sml_fail(err, SML_EIO, "cannot create a pipe: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(s->wake[i], F_SETFL, O_NONBLOCK);
        fcntl(s->wake[i], F_SETFD, FD_CLOEXEC);
    }
    if ((rc = sml_kafka_uri_parse(location, 0, &s->uri, err)) != 0)
        goto fail;
    snprintf(s->where, sizeof s->where, "kafka://%s", s->uri.topic);
    s->log = o->log;
    s->log_opaque = o->log_opaque;
    s->lg.log = defer_log;
    s->lg.log_opaque = s;
    s->lg.where = s->where;
    if (o->key_column && !(s->key_name = strdup(o->key_column))) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto fail;
    }
    conf = rd_kafka_conf_new();
    struct {
        const char *k, *v;
    } defaults[] = {{"bootstrap.servers", s->uri.brokers},
                    {"client.id", "streamml"},
                    {"enable.idempotence", "true"},
                    {"queue.buffering.max.kbytes", "32768"}};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if ((rc = sml_kafka_conf_set(conf, defaults[i].k, defaults[i].v, err)) != 0)
            goto fail;
    if ((rc = sml_kafka_conf_user(conf, "producer", o->kafka_props, o->kafka_nprops, s, err)) != 0)
        goto fail;
    /* the queue's bounds, as configured (ours or the user's) */
    char v[64];
    size_t vl = sizeof v;
    s->max_msgs = rd_kafka_conf_get(conf, "queue.buffering.max.messages", v, &vl) == RD_KAFKA_CONF_OK
                      ? strtoull(v, NULL, 10) : 100000;
    vl = sizeof v;
    s->max_bytes = 1024 * (rd_kafka_conf_get(conf, "queue.buffering.max.kbytes", v, &vl) == RD_KAFKA_CONF_OK
                               ? strtoull(v, NULL, 10) : 32768);
    if (s->max_msgs < 2)
        s->max_msgs = 2;
    s->lotmax = s->max_msgs / 2 < LOT_MAX ? (size_t)(s->max_msgs / 2) : LOT_MAX;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    if (!(s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rc = sml_fail(err, SML_EINVAL, "%s: cannot create a producer: %s", s->where, errstr);
        goto fail;
    }
    conf = NULL;
    rd_kafka_set_log_queue(s->rk, NULL);
    if (!(s->rkt = rd_kafka_topic_new(s->rk, s->uri.topic, NULL))) {
        rc = sml_fail(err, SML_EINVAL, "%s: %s", s->where, rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    s->mainq = rd_kafka_queue_get_main(s->rk);
    rd_kafka_queue_io_event_enable(s->mainq, s->wake[1], "e", 1);
    if (pthread_create(&s->thread, NULL, producer_main, s) != 0) {
        rc = sml_fail(err, SML_ENOMEM, "%s: cannot start the producer thread", s->where);
        goto fail;
    }
    s->started = 1;
    *state = s;
    return 0;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kafka_close(s);
    return rc;
}

const sml_sink_kind sml_sink_kafka = {.scheme = "kafka",
                                      .write = kafka_write,
                                      .flush = kafka_flush,
                                      .close = kafka_close,
                                      .mark = kafka_mark,
                                      .settle = kafka_settle};
