/*
 * Sink: a Kafka topic (kafka://host:port[,...]/topic), one message per output row, through an idempotent
 * producer (enable.idempotence=true: no duplicates from the producer's retries, acks from all in-sync replicas).
 *
 * Rows arrive as bytes from sml_textout's write callback; the sink cuts them into records at line ends. Our JSON
 * lines never hold a raw newline (it is escaped); in CSV a newline inside a quoted field stays in its record (the
 * quotes are tracked). The first line decides the format: '{' is JSON lines, anything else is the CSV header, which
 * is not sent (it names the columns, for --key-column). The key of a message is the text of that output column.
 *
 * Producing: the complete lines of one write() (up to a chunk of the engine's output) are handed to librdkafka in
 * one rd_kafka_produce_batch call, which takes the topic's and each partition's lock once for the lot instead of
 * once per message. Before the call, write() waits until the producer queue has room for the whole lot (messages
 * and bytes not yet reported against queue.buffering.max.messages / .kbytes, counted by this sink), so librdkafka
 * never refuses one message of a lot and takes a later one: the order of the lines is the order in the topic.
 *
 * Delivery: the producer queue is bounded (queue.buffering.max.kbytes); when it is full, write() waits for room.
 * flush() waits until every message has a delivery report; any failed delivery fails the flush (and every later
 * call) with the number of messages lost and the first reason: the batch fails loudly, and the source does not
 * commit its positions. Batches can also be settled one by one (mark/settle): each message carries its batch's
 * number as its opaque and the delivery reports count per batch, so the engine can commit the positions of batch
 * N once all of batch N (and everything before) is delivered, while batch N+1 is already being produced.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/kafka_int.h"

#define NBATCH 16 /* batches in flight at most (the engine settles the one before the last) */
#define LOT_MAX 1024 /* messages per rd_kafka_produce_batch call at most */

typedef struct kafka_sink {
    sml_kafka_log lg; /* first: librdkafka's opaque */
    sml_kafka_uri uri;
    char where[300];
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    sml_strbuf line;  /* the record being assembled */
    int in_quotes;    /* CSV: inside a quoted field */
    int format_known, csv;
    char *key_name;   /* --key-column */
    int key_index;    /* CSV: its field index, -1 none */
    uint64_t sent, delivered, failed;
    char first_error[300];
    /* batches (mark/settle): every message carries its batch's sequence number as its opaque; a ring of
     * counters per batch not yet settled */
    uint64_t cur;                 /* the open batch */
    uint64_t settled;             /* batches below this one are all delivered */
    uint64_t bsent[NBATCH], bdone[NBATCH];
    /* the lot being assembled for one rd_kafka_produce_batch: CSV keys are copied into `keys` and the messages
     * hold their offset there until the lot goes (the buffer may move while it grows) */
    rd_kafka_message_t lot[LOT_MAX];
    size_t nlot, lotmax, lotbytes; /* lotmax: LOT_MAX, or half the producer queue when that is smaller */
    sml_strbuf keys;
    uint64_t max_msgs, max_bytes; /* the producer queue's bounds */
    uint64_t out_bytes;           /* payload + key bytes produced and not yet reported */
} kafka_sink;

/* ------------------------------------------------------------------ callbacks (served by rd_kafka_poll/flush) */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kafka_sink *s = opaque;
    s->bdone[(uintptr_t)m->_private % NBATCH]++;
    s->out_bytes -= m->len + m->key_len;
    if (!m->err) {
        s->delivered++;
        return;
    }
    if (!s->failed++)
        snprintf(s->first_error, sizeof s->first_error, "%s", rd_kafka_err2str(m->err));
}

static void on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    kafka_sink *s = opaque;
    if (e == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[256];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        if (!s->failed++)
            snprintf(s->first_error, sizeof s->first_error, "fatal producer error: %s", buf);
        return;
    }
    sml_kafka_logf(&s->lg, e == RD_KAFKA_RESP_ERR__TRANSPORT ? SML_LOG_DEBUG : SML_LOG_WARN, "%s: %s: %s", s->where,
                   rd_kafka_err2name(e), reason);
}

static int failed(kafka_sink *s, sml_error *err)
{
    return sml_fail(err, SML_EIO, "%s: %" PRIu64 " of %" PRIu64 " messages not delivered (first: %s)", s->where,
                    s->failed, s->sent, s->first_error);
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

/* ------------------------------------------------------------------ the sink */

/* Messages produced and not yet reported. */
static uint64_t in_flight(const kafka_sink *s)
{
    return s->sent - s->delivered - s->failed;
}

/* Hands the lot to librdkafka: waits for room in the bounded producer queue (backpressure on the whole stream),
 * then one rd_kafka_produce_batch. */
static int produce_lot(kafka_sink *s, sml_error *err)
{
    size_t n = s->nlot;
    if (!n)
        return 0;
    s->nlot = 0;
    while (!s->failed && in_flight(s) &&
           (in_flight(s) + n > s->max_msgs || s->out_bytes + s->lotbytes > s->max_bytes))
        rd_kafka_poll(s->rk, 100);
    if (s->failed)
        return failed(s, err);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = &s->lot[i];
        if (m->key && s->csv) /* CSV: offset+1 into keys (0 is no key) */
            m->key = s->keys.buf + ((uintptr_t)m->key - 1);
        m->_private = (void *)(uintptr_t)s->cur;
        m->err = 0;
    }
    int ok = rd_kafka_produce_batch(s->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, s->lot, (int)n);
    s->sent += (uint64_t)ok;
    s->bsent[s->cur % NBATCH] += (uint64_t)ok;
    s->out_bytes += s->lotbytes;
    s->lotbytes = 0;
    s->keys.len = 0;
    if ((size_t)ok == n)
        return 0;
    /* not expected (room was made first): the first refusal fails the stream */
    for (size_t i = 0; i < n; i++)
        if (s->lot[i].err) {
            s->out_bytes -= s->lot[i].len + s->lot[i].key_len;
            return sml_fail(err, SML_EIO, "%s: cannot produce a message: %s", s->where,
                            rd_kafka_err2str(s->lot[i].err));
        }
    return 0;
}

/* Adds one output line to the lot (which goes when it is full). */
static int produce(kafka_sink *s, const char *p, size_t len, sml_error *err)
{
    const char *key = NULL;
    size_t klen = 0;
    if (s->key_name) {
        if (s->csv && s->key_index >= 0) {
            size_t at = s->keys.len;
            if (csv_field(p, len, s->key_index, &s->keys) != 0)
                return sml_fail(err, SML_ENOMEM, "out of memory");
            key = (const char *)(uintptr_t)(at + 1);
            klen = s->keys.len - at;
        } else if (!s->csv)
            json_field(p, len, s->key_name, &key, &klen);
    }
    rd_kafka_message_t *m = &s->lot[s->nlot++];
    memset(m, 0, sizeof *m);
    m->payload = (void *)p;
    m->len = len;
    m->key = (void *)key;
    m->key_len = key ? klen : 0;
    s->lotbytes += len + m->key_len;
    /* a lot never needs more than half the queue, so there is always room for it once the queue drains */
    if (s->nlot >= s->lotmax || s->lotbytes >= s->max_bytes / 2)
        return produce_lot(s, err);
    return 0;
}

/* One complete line (without its newline). */
static int take_line(kafka_sink *s, const char *p, size_t len, sml_error *err)
{
    if (!s->format_known) {
        s->format_known = 1;
        s->csv = !(len && p[0] == '{');
        if (s->csv) {
            /* the header: not sent; it says which field is the key */
            s->key_index = -1;
            if (s->key_name) {
                sml_strbuf f = SML_STRBUF_INIT;
                int nfields = 1;
                for (size_t c = 0; c < len; c++)
                    nfields += p[c] == ',';
                for (int i = 0; i < nfields && s->key_index < 0; i++) {
                    f.len = 0;
                    if (csv_field(p, len, i, &f) != 0) {
                        sml_strbuf_release(&f);
                        return sml_fail(err, SML_ENOMEM, "out of memory");
                    }
                    if (f.len == strlen(s->key_name) && !memcmp(f.buf, s->key_name, f.len))
                        s->key_index = i;
                }
                sml_strbuf_release(&f);
                if (s->key_index < 0)
                    return sml_fail(err, SML_ENOTFOUND, "%s: --key-column %s is not an output column (%.*s); keep it "
                                                        "with --keep", s->where, s->key_name, (int)len, p);
            }
            return 0;
        }
    }
    return produce(s, p, len, err);
}

static int kafka_write(void *st, const void *buf, size_t len, sml_error *err)
{
    kafka_sink *s = st;
    const char *p = buf, *end = p + len;
    int rc;
    if (s->failed)
        return failed(s, err);
    while (p < end) {
        const char *nl;
        if (s->format_known && !s->csv)
            nl = memchr(p, '\n', (size_t)(end - p)); /* JSON lines: newlines inside values are escaped */
        else {
            nl = NULL;
            for (const char *c = p; c < end; c++) {
                if (*c == '"')
                    s->in_quotes = !s->in_quotes; /* a doubled quote toggles twice */
                else if (*c == '\n' && !s->in_quotes) {
                    nl = c;
                    break;
                }
            }
        }
        if (!nl) {
            /* the lot may point into `line`: it goes before the line is touched */
            if ((rc = produce_lot(s, err)) != 0)
                return rc;
            if (sml_strbuf_add(&s->line, p, (size_t)(end - p)))
                return sml_fail(err, SML_ENOMEM, "out of memory");
            break;
        }
        size_t n = (size_t)(nl - p);
        if (n && nl[-1] == '\r')
            n--;
        if (s->line.len) {
            if (sml_strbuf_add(&s->line, p, n))
                return sml_fail(err, SML_ENOMEM, "out of memory");
            rc = take_line(s, s->line.buf, s->line.len, err);
            s->line.len = 0;
        } else
            rc = take_line(s, p, n, err);
        if (rc)
            return rc;
        p = nl + 1;
    }
    if ((rc = produce_lot(s, err)) != 0)
        return rc;
    rd_kafka_poll(s->rk, 0); /* delivery reports so far */
    return s->failed ? failed(s, err) : 0;
}

/* Every message sent has its delivery report back; a failed one fails the batch. */
static int kafka_flush(void *st, int durable, sml_error *err)
{
    kafka_sink *s = st;
    (void)durable; /* acknowledged by the in-sync replicas is Kafka's durability, asked for every batch */
    while (rd_kafka_outq_len(s->rk) > 0)
        rd_kafka_flush(s->rk, 500); /* messages that cannot be delivered fail at message.timeout.ms */
    return s->failed ? failed(s, err) : 0;
}

/* Batch `id` and every one before it are delivered (their counters are then free for reuse). */
static int batches_done(kafka_sink *s, uint64_t id)
{
    while (s->settled <= id && s->settled < s->cur) {
        size_t i = s->settled % NBATCH;
        if (s->bdone[i] < s->bsent[i])
            return 0;
        s->bsent[i] = s->bdone[i] = 0;
        s->settled++;
    }
    return 1;
}

static int kafka_settle(void *st, uint64_t id, int wait, sml_error *err)
{
    kafka_sink *s = st;
    rd_kafka_poll(s->rk, 0);
    while (!s->failed && !batches_done(s, id)) {
        if (!wait)
            return 0;
        rd_kafka_poll(s->rk, 100); /* messages that cannot be delivered fail at message.timeout.ms */
    }
    return s->failed ? failed(s, err) : 1;
}

static uint64_t kafka_mark(void *st)
{
    kafka_sink *s = st;
    uint64_t id = s->cur++;
    /* the counters of the batch NBATCH back are reused: it must be settled (the engine settles far more often) */
    while (!s->failed && s->cur - s->settled >= NBATCH && !batches_done(s, s->cur - NBATCH))
        rd_kafka_poll(s->rk, 100);
    return id;
}

static void kafka_close(void *st)
{
    kafka_sink *s = st;
    if (!s)
        return;
    if (s->rk) {
        rd_kafka_flush(s->rk, 2000);
        rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(s->rk, 0);
    }
    if (s->rkt)
        rd_kafka_topic_destroy(s->rkt);
    if (s->rk)
        rd_kafka_destroy(s->rk);
    sml_strbuf_release(&s->line);
    sml_strbuf_release(&s->keys);
    sml_kafka_uri_release(&s->uri);
    free(s->key_name);
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
    s->key_index = -1;
    if ((rc = sml_kafka_uri_parse(location, 0, &s->uri, err)) != 0)
        goto fail;
    snprintf(s->where, sizeof s->where, "kafka://%s", s->uri.topic);
    s->lg.log = o->log;
    s->lg.log_opaque = o->log_opaque;
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
