/*
 * Source: a Kafka topic, read as a member of a consumer group (kafka://host:port[,...]/topic?group=G&offset=...).
 *
 * Each message holds one or more records: JSON lines, or headerless CSV lines whose fields --csv-columns names
 * (the header is fed to each partition's reader first). Every assigned partition has its own sml_reader, fed
 * message by message (copied straight into the reader's buffer, a newline appended when missing), so a record
 * never spans two partitions.
 * Per partition a queue maps the reader's byte offsets back to message offsets: the position of a partition is
 * the next message offset (plus the bytes of it already returned, for resuming inside a message of several
 * records).
 *
 * Delivery: offsets are never stored or committed by librdkafka on its own (enable.auto.commit=false); the engine
 * calls commit() once the sink has durably taken every record returned so far: at-least-once. Or, pipelined
 * (Kafka sink, no --state): snapshot() at a batch's end, commit_snapshot() once the sink has settled that batch,
 * while the next one is processed. With --state the positions also go into the checkpoint, and on assignment a
 * partition seeks to the checkpoint's position, never to the group's committed offset. On revocation (rebalance
 * or shutdown) the engine is asked to finish the batch in flight first (sml_source_opts.release: sink flush,
 * checkpoint, commit), then the partitions' readers are dropped.
 * With a transactional sink (sml_source_opts.committed_position: postgres) positions are per partition: an assigned
 * partition seeks to what the sink committed for it (sink_position), and save_parts gives the sink each moved
 * partition's old and new position for its compare-and-set.
 * Everything, rebalance callbacks and librdkafka's logs included, runs on the thread that calls next()/wait().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/kafka_int.h"
#include "parse/parse_int.h"

typedef struct kmsg {
    uint64_t end;   /* stream byte offset just past this message (and its added newline) */
    int64_t offset; /* its Kafka offset */
} kmsg;

typedef struct kpart {
    int known;              /* this partition was seen (assigned now or before, or in the checkpoint) */
    int assigned;
    sml_reader *reader;     /* while assigned */
    int pending;            /* fed bytes the reader may not have parsed yet */
    uint64_t fed;           /* stream bytes fed to the reader */
    uint64_t start;         /* stream offset where q[qhead] starts */
    kmsg *q;                /* messages fed whose records are not all returned */
    size_t qhead, qlen, qcap;
    int have_pos;
    int64_t pos;            /* next message offset to return from */
    uint64_t pos_skip;      /* bytes of message `pos` already returned */
    int64_t committed;      /* last offset committed to the group, -1 none */
    int64_t skip_offset;    /* resuming: drop the first skip_bytes of this message */
    uint64_t skip_bytes;
    int at_eof;
    int have_snap;          /* the positions of the last snapshot (committed once the sink settled them) */
    int64_t snap;
    int txn_have;           /* a transactional sink holds txn_pos/txn_skip for this partition (committed or read) */
    int64_t txn_pos;
    uint64_t txn_skip;
} kpart;

typedef struct kafka_src {
    sml_kafka_log lg;       /* first: librdkafka's opaque */
    sml_source_opts o;
    sml_kafka_uri uri;
    char where[300];
    rd_kafka_t *rk;
    sml_colspec cols;
    char *csv_header;       /* "a,b,c\n" for CSV topics */
    kpart *parts;
    size_t nparts;
    size_t rr;
    rd_kafka_queue_t *cq;      /* the consumer queue (messages, rebalances, logs), read in batches */
    rd_kafka_message_t *stash; /* a message wait() received, for next() */
    int closing;
    int down;
    int fatal;              /* a sticky error from a callback */
    sml_error fatal_err;
    int from_ckpt;             /* positions were restored: assignments seek there */
    int64_t reset_to;          /* auto.offset.reset as a logical offset (BEGINNING, END), or INVALID ("error") */
    int32_t last_part;
    int64_t *bad_offsets;      /* message offset of each bad row of the last batch */
    size_t bad_cap;
} kafka_src;

/* ------------------------------------------------------------------ partitions */

static kpart *part_get(kafka_src *k, int32_t p)
{
    if (p < 0)
        return NULL;
    if ((size_t)p >= k->nparts) {
        size_t n = (size_t)p + 1;
        kpart *np = realloc(k->parts, n * sizeof *np);
        if (!np)
            return NULL;
        memset(np + k->nparts, 0, (n - k->nparts) * sizeof *np);
        for (size_t i = k->nparts; i < n; i++)
            np[i].committed = np[i].skip_offset = -1;
        k->parts = np;
        k->nparts = n;
    }
    return &k->parts[p];
}

static void part_drop(kpart *p)
{
    sml_reader_free(p->reader);
    p->reader = NULL;
    free(p->q);
    p->q = NULL;
    p->qhead = p->qlen = p->qcap = 0;
    p->fed = p->start = 0;
    p->pending = p->assigned = p->at_eof = p->have_snap = 0;
}

static int part_open(kafka_src *k, int32_t partition, kpart *p, sml_error *err)
{
    char name[320];
    snprintf(name, sizeof name, "%.300s/%" PRId32, k->where, partition);
    sml_reader_opts ro = k->o.reader;
    ro.source_name = name;
    ro.format = k->csv_header ? SML_FORMAT_CSV : SML_FORMAT_JSONL;
    ro.header = k->csv_header != NULL;
    ro.require_terminator = 0;
    if (!(p->reader = sml_reader_new(&ro, err)))
        return err ? err->code : SML_ENOMEM;
    if (k->cols.set && sml_reader_set_columns(p->reader, (const char *const *)k->cols.names, k->cols.types,
                                              k->cols.optional, k->cols.n, err) != 0)
        return err ? err->code : SML_EINVAL;
    if (k->csv_header) {
        size_t len = strlen(k->csv_header);
        int rc = sml_reader_feed(p->reader, k->csv_header, len, err);
        if (rc)
            return rc;
        p->fed = p->start = len;
    }
    p->assigned = p->known = 1;
    return 0;
}

static void set_fatal(kafka_src *k, int rc, const sml_error *e, const char *fallback)
{
    if (k->fatal)
        return;
    k->fatal = rc ? rc : SML_EIO;
    if (e && e->msg[0])
        k->fatal_err = *e;
    else
        sml_fail(&k->fatal_err, k->fatal, "%s: %s", k->where, fallback);
}

/* ------------------------------------------------------------------ librdkafka callbacks (on our thread) */

static void list_text(const rd_kafka_topic_partition_list_t *l, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < l->cnt && used + 40 < cap; i++) {
        int n = l->elems[i].offset >= 0
                    ? snprintf(buf + used, cap - used, "%s%" PRId32 "@%" PRId64, i ? ", " : "", l->elems[i].partition,
                               l->elems[i].offset)
                    : snprintf(buf + used, cap - used, "%s%" PRId32, i ? ", " : "", l->elems[i].partition);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* A transactional sink keeps each partition's position ("offset:bytes"): an assigned partition starts there, or
 * from the topic's start (end with offset=latest) when the sink has none, never from the group's committed offset
 * nor another member's checkpoint. Returns 1 found, 0 none, < 0 (fatal set). */
static int sink_position(kafka_src *k, int32_t partition, int64_t *offset)
{
    char key[300];
    sml_strbuf val = SML_STRBUF_INIT;
    sml_error perr = SML_ERROR_INIT;
    kpart *p = part_get(k, partition);
    if (!p) {
        set_fatal(k, SML_ENOMEM, NULL, "out of memory");
        return -1;
    }
    snprintf(key, sizeof key, "%s/%" PRId32, k->uri.topic, partition);
    int rc = k->o.committed_position(k->o.release_opaque, key, &val, &perr);
    long long pos = -1;
    unsigned long long skip = 0;
    char end = 0;
    if (rc > 0 &&
        (sml_strbuf_add(&val, "", 1) != 0 || sscanf(val.buf, "%lld:%llu%c", &pos, &skip, &end) != 2 || pos < 0))
        rc = sml_fail(&perr, SML_EFORMAT, "%s/%" PRId32 ": bad position committed in the sink", k->where, partition);
    sml_strbuf_release(&val);
    if (rc < 0) {
        set_fatal(k, rc, &perr, "reading a partition's committed position failed");
        return rc;
    }
    p->known = 1;
    p->have_pos = p->txn_have = rc > 0;
    p->pos = p->txn_pos = rc > 0 ? pos : 0;
    p->pos_skip = p->txn_skip = rc > 0 ? skip : 0;
    *offset = rc > 0 ? pos : k->uri.latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    return rc;
}

static void set_offset(rd_kafka_topic_partition_list_t *parts, const rd_kafka_topic_partition_t *tp, int64_t offset)
{
    for (int j = 0; j < parts->cnt; j++)
        if (parts->elems[j].partition == tp->partition && !strcmp(parts->elems[j].topic, tp->topic))
            parts->elems[j].offset = offset;
}

/* Partitions assigned without a position of ours start at the group's committed offset, or where
 * auto.offset.reset says when the group has none (a transactional sink's "no position" is the log's start or end
 * already). Left to librdkafka (offset INVALID), a partition without a committed offset waits 100 ms before its
 * offset reset is even asked for (the reset is backed off as an error), and a logical BEGINNING/END given to assign
 * may find the partition's leader not yet known and retry 500 ms later: every fresh group, and every new
 * partition, would start 0.1-0.5 s late. So the committed offsets and, for partitions without one, the log's start
 * (or end) are asked for here, and the partitions are assigned at absolute offsets. If a query fails, that part is
 * left to librdkafka's own path (logged at debug level). */
static void start_at_committed(kafka_src *k, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts, int *ncommitted,
                               int *nreset)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new(parts->cnt);
    rd_kafka_topic_partition_list_t *ends = rd_kafka_topic_partition_list_new(parts->cnt);
    if (!q || !ends)
        goto done;
    for (int i = 0; i < parts->cnt; i++) {
        int64_t o = parts->elems[i].offset;
        if (o == RD_KAFKA_OFFSET_INVALID)
            rd_kafka_topic_partition_list_add(q, parts->elems[i].topic, parts->elems[i].partition);
        else if (o == RD_KAFKA_OFFSET_BEGINNING || o == RD_KAFKA_OFFSET_END) /* a transactional sink's "none" */
            rd_kafka_topic_partition_list_add(ends, parts->elems[i].topic, parts->elems[i].partition)->offset = o;
    }
    rd_kafka_resp_err_t r = q->cnt ? rd_kafka_committed(rk, q, 5000) : RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; i < q->cnt && !r; i++) {
        if (q->elems[i].err)
            continue;
        if (q->elems[i].offset < 0 && k->reset_to != RD_KAFKA_OFFSET_INVALID)
            /* no committed offset: the log's start or end (a timestamp of -2 or -1 asks for just that) */
            rd_kafka_topic_partition_list_add(ends, q->elems[i].topic, q->elems[i].partition)->offset = k->reset_to;
        else if (q->elems[i].offset >= 0) {
            set_offset(parts, &q->elems[i], q->elems[i].offset);
            ++*ncommitted;
        }
    }
    if (!r && ends->cnt && (r = rd_kafka_offsets_for_times(rk, ends, 5000)) == 0)
        for (int i = 0; i < ends->cnt; i++)
            if (!ends->elems[i].err && ends->elems[i].offset >= 0) {
                set_offset(parts, &ends->elems[i], ends->elems[i].offset);
                ++*nreset;
            }
    if (r)
        sml_kafka_logf(&k->lg, SML_LOG_DEBUG, "%s: asking for the start offsets failed (%s): librdkafka looks "
                       "them up", k->where, rd_kafka_err2str(r));
done:
    if (q)
        rd_kafka_topic_partition_list_destroy(q);
    if (ends)
        rd_kafka_topic_partition_list_destroy(ends);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kafka_src *k = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    char text[1024];
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        int from_ckpt = 0, from_sink = 0, ncommitted = 0, nreset = 0;
        if (k->o.committed_position && !k->closing && k->o.release && !k->fatal) {
            /* the sink is looked up between batches: the batch in flight goes out first (cooperative rebalances) */
            sml_error perr = SML_ERROR_INIT;
            int rc = k->o.release(k->o.release_opaque, &perr);
            if (rc)
                set_fatal(k, rc, &perr, "finishing the batch before a rebalance failed");
        }
        for (int i = 0; i < parts->cnt && k->o.committed_position && !k->fatal; i++) {
            int rc = sink_position(k, parts->elems[i].partition, &parts->elems[i].offset);
            from_sink += rc > 0;
        }
        for (int i = 0; i < parts->cnt; i++) {
            sml_error perr = SML_ERROR_INIT;
            kpart *p = part_get(k, parts->elems[i].partition);
            if (!p) {
                set_fatal(k, SML_ENOMEM, NULL, "out of memory");
                break;
            }
            part_drop(p);
            if (k->o.committed_position) {
                /* where the sink committed this partition (sink_position), set above */
                p->skip_offset = p->have_pos ? p->pos : -1;
                p->skip_bytes = p->pos_skip;
            } else if (k->from_ckpt && p->have_pos) {
                /* the checkpoint's position (or ours since), never the group's committed offset */
                parts->elems[i].offset = p->pos;
                p->skip_offset = p->pos;
                p->skip_bytes = p->pos_skip;
                from_ckpt++;
            } else {
                p->have_pos = 0;
                p->skip_offset = -1;
            }
            int rc = part_open(k, parts->elems[i].partition, p, &perr);
            if (rc)
                set_fatal(k, rc, &perr, "cannot open a reader");
        }
        int logical = 0;
        for (int i = 0; i < parts->cnt; i++)
            logical += parts->elems[i].offset < 0;
        if (logical && !k->fatal)
            start_at_committed(k, rk, parts, &ncommitted, &nreset);
        list_text(parts, text, sizeof text);
        char why[160] = "";
        if (from_ckpt || from_sink)
            snprintf(why, sizeof why, " (positions %s)", from_ckpt ? "from the checkpoint" : "committed in the sink");
        else if (ncommitted || nreset)
            snprintf(why, sizeof why, " (%d at the group's committed offset, %d at the log's %s: no offset committed)",
                     ncommitted, nreset, k->reset_to == RD_KAFKA_OFFSET_END ? "end" : "start");
        sml_kafka_logf(&k->lg, SML_LOG_INFO, "%s: assigned partition%s %s%s", k->where, parts->cnt == 1 ? "" : "s",
                       text, why);
        rd_kafka_error_t *er = NULL;
        rd_kafka_resp_err_t r = 0;
        if (cooperative)
            er = rd_kafka_incremental_assign(rk, parts);
        else
            r = rd_kafka_assign(rk, parts);
        if (er || r) {
            sml_kafka_logf(&k->lg, SML_LOG_ERROR, "%s: assign failed: %s", k->where,
                           er ? rd_kafka_error_string(er) : rd_kafka_err2str(r));
            rd_kafka_error_destroy(er);
        }
        return;
    }
    if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        list_text(parts, text, sizeof text);
        if (!k->closing && k->o.release && !k->fatal) {
            /* the batch in flight goes out and its offsets are committed while the partitions are still ours */
            sml_error perr = SML_ERROR_INIT;
            int rc = k->o.release(k->o.release_opaque, &perr);
            if (rc)
                set_fatal(k, rc, &perr, "finishing the batch before a rebalance failed");
        }
        sml_kafka_logf(&k->lg, SML_LOG_INFO, "%s: partition%s %s revoked%s", k->where, parts->cnt == 1 ? "" : "s",
                       text, k->closing ? " (closing)" : "");
        for (int i = 0; i < parts->cnt; i++) {
            kpart *p = part_get(k, parts->elems[i].partition);
            if (p)
                part_drop(p);
        }
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
            rd_kafka_assign(rk, NULL);
        return;
    }
    sml_kafka_logf(&k->lg, SML_LOG_ERROR, "%s: rebalance error: %s", k->where, rd_kafka_err2str(e));
    for (size_t i = 0; i < k->nparts; i++)
        part_drop(&k->parts[i]);
    rd_kafka_assign(rk, NULL);
}

static void on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
    kafka_src *k = opaque;
    if (e == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        sml_error fe = SML_ERROR_INIT;
        sml_fail(&fe, SML_EIO, "%s: fatal consumer error: %s", k->where, buf);
        set_fatal(k, SML_EIO, &fe, buf);
        return;
    }
    if (e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        if (!k->down)
            sml_kafka_logf(&k->lg, SML_LOG_WARN, "%s: all brokers are down (%s); waiting for them to come back",
                           k->where, reason);
        k->down = 1;
        return;
    }
    sml_kafka_logf(&k->lg, e == RD_KAFKA_RESP_ERR__TRANSPORT ? SML_LOG_DEBUG : SML_LOG_WARN, "%s: %s: %s", k->where,
                   rd_kafka_err2name(e), reason);
}

/* ------------------------------------------------------------------ the source */

static void kafka_close(void *st)
{
    kafka_src *k = st;
    if (!k)
        return;
    k->closing = 1;
    if (k->stash)
        rd_kafka_message_destroy(k->stash);
    if (k->cq)
        rd_kafka_queue_destroy(k->cq);
    if (k->rk) {
        rd_kafka_consumer_close(k->rk); /* leaves the group: revocation without the engine */
        rd_kafka_destroy(k->rk);
    }
    for (size_t i = 0; i < k->nparts; i++)
        part_drop(&k->parts[i]);
    free(k->parts);
    free(k->bad_offsets);
    free(k->csv_header);
    sml_colspec_release(&k->cols);
    sml_kafka_uri_release(&k->uri);
    free(k);
}

static int kafka_open(const char *location, const sml_source_opts *o, void **state, sml_error *err)
{
    kafka_src *k = calloc(1, sizeof *k);
    rd_kafka_conf_t *conf = NULL;
    char errstr[512];
    int rc;
    if (!k)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    k->o = *o;
    k->last_part = -1;
    if ((rc = sml_kafka_uri_parse(location, 1, &k->uri, err)) != 0)
        goto fail;
    snprintf(k->where, sizeof k->where, "kafka://%s", k->uri.topic);
    k->lg.log = o->log;
    k->lg.log_opaque = o->log_opaque;
    k->lg.where = k->where;
    if (o->csv_ncolumns) {
        size_t len = 2;
        for (size_t i = 0; i < o->csv_ncolumns; i++)
            len += strlen(o->csv_columns[i]) + 1;
        if (!(k->csv_header = malloc(len))) {
            rc = sml_fail(err, SML_ENOMEM, "out of memory");
            goto fail;
        }
        k->csv_header[0] = 0;
        for (size_t i = 0; i < o->csv_ncolumns; i++) {
            strcat(k->csv_header, o->csv_columns[i]);
            strcat(k->csv_header, i + 1 < o->csv_ncolumns ? "," : "\n");
        }
        if (o->reader.delimiter != ',')
            for (char *c = k->csv_header; *c; c++)
                *c = *c == ',' ? o->reader.delimiter : *c;
    } else if (o->reader.format == SML_FORMAT_CSV) {
        rc = sml_fail(err, SML_EINVAL, "%s: CSV messages carry no header: name their fields with --csv-columns "
                                       "a,b,c (or send JSON lines)", k->where);
        goto fail;
    }
    conf = rd_kafka_conf_new();
    struct {
        const char *k, *v;
    } defaults[] = {{"bootstrap.servers", k->uri.brokers},
                    {"group.id", k->uri.group},
                    {"client.id", "streamml"},
                    {"enable.auto.commit", "false"},
                    {"enable.auto.offset.store", "false"},
                    {"auto.offset.reset", k->uri.latest ? "latest" : "earliest"},
                    {"enable.partition.eof", "true"},
                    /* the prefetch queue is bounded by its bytes; the count limit (100k by default) is met
                     * first by small messages: one fetch round of 1 MB per partition holds ~33k messages of 31
                     * bytes, and librdkafka 2.0 then pauses fetching for ~1 s although the stream drains the
                     * queue in a tenth of that (docs/PERFORMANCE.md, issue 5) */
                    {"queued.max.messages.kbytes", "16384"},
                    {"queued.min.messages", "1000000"}};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if ((rc = sml_kafka_conf_set(conf, defaults[i].k, defaults[i].v, err)) != 0)
            goto fail;
    if ((rc = sml_kafka_conf_user(conf, "consumer", o->kafka_props, o->kafka_nprops, k, err)) != 0)
        goto fail;
    char reset[32];
    size_t reset_len = sizeof reset;
    k->reset_to = RD_KAFKA_OFFSET_INVALID;
    if (rd_kafka_conf_get(conf, "auto.offset.reset", reset, &reset_len) == RD_KAFKA_CONF_OK) {
        if (!strcmp(reset, "smallest") || !strcmp(reset, "earliest") || !strcmp(reset, "beginning"))
            k->reset_to = RD_KAFKA_OFFSET_BEGINNING;
        else if (!strcmp(reset, "largest") || !strcmp(reset, "latest") || !strcmp(reset, "end"))
            k->reset_to = RD_KAFKA_OFFSET_END;
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_error_cb(conf, on_error);
    if (!(k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr))) {
        rc = sml_fail(err, SML_EINVAL, "%s: cannot create a consumer: %s", k->where, errstr);
        goto fail;
    }
    conf = NULL; /* the handle owns it now */
    rd_kafka_set_log_queue(k->rk, NULL);
    rd_kafka_poll_set_consumer(k->rk);
    if (!(k->cq = rd_kafka_queue_get_consumer(k->rk))) {
        rc = sml_fail(err, SML_EINVAL, "%s: no consumer queue", k->where);
        goto fail;
    }
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, k->uri.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t r = rd_kafka_subscribe(k->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (r) {
        rc = sml_fail(err, SML_EIO, "%s: cannot subscribe: %s", k->where, rd_kafka_err2str(r));
        goto fail;
    }
    sml_kafka_logf(&k->lg, SML_LOG_INFO, "%s: joining group \"%s\" at %s", k->where, k->uri.group, k->uri.brokers);
    *state = k;
    return 0;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kafka_close(k);
    return rc;
}

static int kafka_set_columns(void *st, const char *const *names, const sml_type *types, const uint8_t *optional,
                             size_t n, sml_error *err)
{
    kafka_src *k = st;
    int rc = sml_colspec_set(&k->cols, names, types, optional, n, err);
    for (size_t i = 0; i < k->nparts && !rc; i++)
        if (k->parts[i].reader)
            rc = sml_reader_set_columns(k->parts[i].reader, names, types, optional, n, err);
    return rc;
}

/* Feeds one message to its partition's reader. */
static int take_message(kafka_src *k, rd_kafka_message_t *m, sml_error *err)
{
    int rc = 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        kpart *p = part_get(k, m->partition);
        if (p && !p->at_eof)
            sml_kafka_logf(&k->lg, SML_LOG_DEBUG, "%s/%" PRId32 ": at the end (offset %" PRId64 "); waiting for more",
                           k->where, m->partition, m->offset);
        if (p)
            p->at_eof = 1;
        goto out;
    }
    if (m->err) {
        sml_kafka_logf(&k->lg, SML_LOG_WARN, "%s: %s", k->where, rd_kafka_message_errstr(m));
        goto out;
    }
    if (k->down) {
        sml_kafka_logf(&k->lg, SML_LOG_INFO, "%s: brokers reachable again", k->where);
        k->down = 0;
    }
    kpart *p = part_get(k, m->partition);
    if (!p) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto out;
    }
    if (!p->reader)
        goto out; /* not ours (any more) */
    p->at_eof = 0;
    const char *data = m->payload;
    size_t len = data ? m->len : 0;
    if (p->skip_offset >= 0) {
        if (m->offset == p->skip_offset) /* resuming inside a message: its first records were returned before */
            data += p->skip_bytes < len ? p->skip_bytes : len, len -= p->skip_bytes < len ? p->skip_bytes : len;
        p->skip_offset = -1;
    }
    size_t nl = len && data[len - 1] != '\n'; /* a newline appended when missing */
    char *room = len ? sml_reader_direct(p->reader, len + nl) : NULL;
    if (room) { /* straight into the reader's buffer: one copy, one call */
        memcpy(room, data, len);
        if (nl)
            room[len] = '\n';
        sml_reader_direct_commit(p->reader, len + nl);
    } else if (len && ((rc = sml_reader_feed(p->reader, data, len, err)) != 0 ||
                       (nl && (rc = sml_reader_feed(p->reader, "\n", 1, err)) != 0)))
        goto out;
    p->fed += len + nl;
    if (p->qhead + p->qlen == p->qcap) {
        if (p->qhead) {
            memmove(p->q, p->q + p->qhead, p->qlen * sizeof *p->q);
            p->qhead = 0;
        } else {
            size_t cap = p->qcap ? 2 * p->qcap : 64;
            kmsg *nq = realloc(p->q, cap * sizeof *nq);
            if (!nq) {
                rc = sml_fail(err, SML_ENOMEM, "out of memory");
                goto out;
            }
            p->q = nq;
            p->qcap = cap;
        }
    }
    p->q[p->qhead + p->qlen++] = (kmsg){p->fed, m->offset};
    p->pending = 1;
out:
    rd_kafka_message_destroy(m);
    return rc;
}

/* The message holding stream byte `at`, searched from index *j on (rows come in stream order). */
static int64_t offset_of(const kpart *p, uint64_t at, size_t *j)
{
    while (*j + 1 < p->qlen && p->q[p->qhead + *j].end <= at)
        (*j)++;
    return p->qlen ? p->q[p->qhead + *j].offset : p->pos;
}

/* The columns every record carries (sml_source_kind.meta_names): where it came from. */
static const char *const meta_names[] = {"_topic", "_partition", "_offset", NULL};
static const sml_type meta_types[] = {SML_TYPE_STR, SML_TYPE_NUM, SML_TYPE_NUM};

static int set_cell(sml_batch *b, int col, size_t i, const char *text, double num)
{
    if (col < 0)
        return 0;
    sml_column *c = &b->cols[col];
    c->missing[i] = 0;
    if (c->type == SML_TYPE_NUM) {
        c->num[i] = num;
        return 0;
    }
    size_t len = strlen(text);
    if (sml_batch_put_string(b, text, len, &c->str_off[i]) != 0)
        return SML_ENOMEM;
    c->str_len[i] = (uint32_t)len;
    return 0;
}

/* A batch came from partition `part`: the _topic/_partition/_offset columns, then the new position. */
static int account(kafka_src *k, int32_t part, kpart *p, sml_batch *b, sml_error *err)
{
    int col[3];
    for (int m = 0; m < 3; m++) {
        col[m] = sml_batch_find(b, meta_names[m]);
        /* untyped (the head a schema is inferred from): the columns are added last, as text, so the engine can
         * keep them (and leave them out of the schema) */
        if (col[m] < 0 && !k->cols.set && b->nrows && (col[m] = sml_batch_add_column(b, meta_names[m], SML_TYPE_STR,
                                                                                      err)) < 0)
            return col[m];
    }
    int ct = col[0], cp = col[1], co = col[2];
    size_t j = 0;
    char num[32];
    if (ct >= 0 || cp >= 0 || co >= 0)
        for (size_t i = 0; i < b->nrows; i++) {
            int64_t off = offset_of(p, b->offset[i], &j);
            int rc = set_cell(b, ct, i, k->uri.topic, 0);
            snprintf(num, sizeof num, "%" PRId32, part);
            rc |= set_cell(b, cp, i, num, part);
            snprintf(num, sizeof num, "%" PRId64, off);
            rc |= set_cell(b, co, i, num, (double)off);
            if (rc)
                return sml_fail(err, SML_ENOMEM, "out of memory");
        }
    if (b->nbad > k->bad_cap) {
        int64_t *nb = realloc(k->bad_offsets, b->nbad * sizeof *nb);
        if (!nb)
            return sml_fail(err, SML_ENOMEM, "out of memory");
        k->bad_offsets = nb;
        k->bad_cap = b->nbad;
    }
    j = 0;
    for (size_t i = 0; i < b->nbad; i++)
        k->bad_offsets[i] = offset_of(p, b->bad[i].offset, &j);
    /* messages wholly parsed leave the queue; the position is the first one that is not */
    uint64_t end = b->end_offset;
    int64_t last = -1;
    while (p->qlen && p->q[p->qhead].end <= end) {
        last = p->q[p->qhead].offset;
        p->start = p->q[p->qhead].end;
        p->qhead++;
        p->qlen--;
    }
    if (p->qlen) {
        p->pos = p->q[p->qhead].offset;
        p->pos_skip = end > p->start ? end - p->start : 0;
        p->have_pos = 1;
    } else if (last >= 0) {
        p->pos = last + 1;
        p->pos_skip = 0;
        p->have_pos = 1;
    }
    if (!p->qlen)
        p->qhead = 0;
    return 0;
}

static int kafka_next(void *st, sml_batch *b, sml_error *err)
{
    kafka_src *k = st;
    for (int round = 0; round < 4; round++) {
        if (k->fatal) {
            if (err)
                *err = k->fatal_err;
            return k->fatal;
        }
        /* records already fed, partition by partition in turn */
        for (size_t t = 0; t < k->nparts; t++) {
            size_t i = (k->rr + t) % k->nparts;
            kpart *p = &k->parts[i];
            if (!p->reader || !p->pending)
                continue;
            int n = sml_reader_next(p->reader, b, err);
            if (n < 0)
                return n;
            if (n == 0) {
                p->pending = 0;
                continue;
            }
            k->rr = i + 1;
            k->last_part = (int32_t)i;
            int rc = account(k, (int32_t)i, p, b, err);
            return rc ? rc : n;
        }
        /* then what the consumer has now (rebalances and logs are served here too) */
        size_t got = 0;
        if (k->stash) {
            rd_kafka_message_t *m = k->stash;
            k->stash = NULL;
            int rc = take_message(k, m, err);
            if (rc)
                return rc;
            got++;
        }
        /* in batches: one lock of the queue per batch, not per message */
        rd_kafka_message_t *ms[256];
        while (got < 1024) {
            ssize_t n = rd_kafka_consume_batch_queue(k->cq, 0, ms, sizeof ms / sizeof ms[0]);
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; i++) {
                int rc = take_message(k, ms[i], err);
                if (rc) {
                    while (++i < n)
                        rd_kafka_message_destroy(ms[i]);
                    return rc;
                }
            }
            got += (size_t)n;
        }
        if (!got)
            return k->fatal ? (err ? (void)(*err = k->fatal_err) : (void)0, k->fatal) : 0;
    }
    return 0;
}

static int kafka_wait(void *st, int timeout_ms)
{
    kafka_src *k = st;
    if (k->stash || k->fatal)
        return 1;
    for (size_t i = 0; i < k->nparts; i++)
        if (k->parts[i].pending)
            return 1;
    k->stash = rd_kafka_consumer_poll(k->rk, timeout_ms);
    return k->stash != NULL || k->fatal;
}

static int kafka_done(void *st)
{
    (void)st;
    return 0; /* a topic never ends */
}

static size_t kafka_bad_format(void *st, const sml_batch *b, size_t i, char *buf, size_t cap)
{
    kafka_src *k = st;
    const sml_bad_row *bad = &b->bad[i];
    int64_t off = i < k->bad_cap && k->bad_offsets ? k->bad_offsets[i] : -1;
    snprintf(buf, cap, "%s/%" PRId32 "@%" PRId64 ": %.*s", k->where, k->last_part, off, (int)bad->reason_len,
             b->strings + bad->reason_off);
    return strlen(buf);
}

/* Positions of every partition seen: topic, count, then (partition, offset, bytes of it returned). */
static int kafka_save(void *st, sml_strbuf *sb)
{
    kafka_src *k = st;
    uint64_t n = 0;
    for (size_t i = 0; i < k->nparts; i++)
        n += k->parts[i].have_pos;
    int rc = sml_put_str(sb, k->uri.topic) | sml_put_u64(sb, n);
    for (size_t i = 0; i < k->nparts; i++)
        if (k->parts[i].have_pos)
            rc |= sml_put_u64(sb, i) | sml_put_u64(sb, (uint64_t)k->parts[i].pos) |
                  sml_put_u64(sb, k->parts[i].pos_skip);
    return rc;
}

static int kafka_restore(void *st, sml_cursor *c, sml_error *err)
{
    kafka_src *k = st;
    char *topic = sml_get_str(c);
    uint64_t n = sml_get_u64(c);
    int rc = 0;
    if (c->failed || !topic || n > 1000000)
        rc = sml_fail(err, SML_EFORMAT, "checkpoint: bad Kafka positions");
    else if (strcmp(topic, k->uri.topic) != 0)
        rc = sml_fail(err, SML_EINVAL, "checkpoint was taken reading topic %s, not %s", topic, k->uri.topic);
    for (uint64_t i = 0; i < n && !rc; i++) {
        uint64_t part = sml_get_u64(c), pos = sml_get_u64(c), skip = sml_get_u64(c);
        kpart *p = c->failed || part > INT32_MAX ? NULL : part_get(k, (int32_t)part);
        if (!p) {
            rc = sml_fail(err, SML_EFORMAT, "checkpoint: bad Kafka position");
            break;
        }
        p->known = p->have_pos = 1;
        p->pos = (int64_t)pos;
        p->pos_skip = skip;
    }
    k->from_ckpt = 1;
    free(topic);
    return rc;
}

/* For a transactional sink: each assigned partition whose position moved since the sink last held it. */
static int kafka_save_parts(void *st, sml_strbuf *sb)
{
    kafka_src *k = st;
    int rc = 0;
    char key[300], old[48], val[48];
    for (size_t i = 0; i < k->nparts; i++) {
        const kpart *p = &k->parts[i];
        if (!p->assigned || !p->have_pos || (p->txn_have && p->txn_pos == p->pos && p->txn_skip == p->pos_skip))
            continue;
        snprintf(key, sizeof key, "%s/%zu", k->uri.topic, i);
        snprintf(old, sizeof old, "%" PRId64 ":%" PRIu64, p->txn_pos, p->txn_skip);
        snprintf(val, sizeof val, "%" PRId64 ":%" PRIu64, p->pos, p->pos_skip);
        rc |= sml_put_str(sb, key) | sml_put_u8(sb, (uint8_t)p->txn_have);
        if (p->txn_have)
            rc |= sml_put_str(sb, old);
        rc |= sml_put_str(sb, val);
    }
    return rc;
}

/* The sink committed what kafka_save_parts gave: those are the positions it holds now. */
static void kafka_parts_committed(void *st)
{
    kafka_src *k = st;
    for (size_t i = 0; i < k->nparts; i++) {
        kpart *p = &k->parts[i];
        if (p->assigned && p->have_pos) {
            p->txn_have = 1;
            p->txn_pos = p->pos;
            p->txn_skip = p->pos_skip;
        }
    }
}

static void kafka_snapshot(void *st)
{
    kafka_src *k = st;
    for (size_t i = 0; i < k->nparts; i++) {
        kpart *p = &k->parts[i];
        p->have_snap = p->assigned && p->have_pos;
        p->snap = p->pos;
    }
}

/* Commits the current positions, or the last snapshot's. */
static int commit_positions(kafka_src *k, int snap)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    for (size_t i = 0; i < k->nparts; i++) {
        kpart *p = &k->parts[i];
        int have = snap ? p->have_snap : p->have_pos;
        int64_t at = snap ? p->snap : p->pos;
        p->have_snap = 0;
        if (p->assigned && have && at != p->committed)
            rd_kafka_topic_partition_list_add(l, k->uri.topic, (int32_t)i)->offset = at;
    }
    if (l->cnt) {
        /* a failed commit loses nothing: those records come again (at-least-once); say so and go on */
        rd_kafka_resp_err_t r = rd_kafka_commit(k->rk, l, 0);
        if (r && r != RD_KAFKA_RESP_ERR__NO_OFFSET)
            sml_kafka_logf(&k->lg, SML_LOG_WARN, "%s: committing offsets failed (%s): they will be read again",
                           k->where, rd_kafka_err2str(r));
        for (int j = 0; j < l->cnt; j++)
            if (!r && !l->elems[j].err)
                k->parts[l->elems[j].partition].committed = l->elems[j].offset;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

static int kafka_commit(void *st, sml_error *err)
{
    (void)err;
    return commit_positions(st, 0);
}

static int kafka_commit_snapshot(void *st, sml_error *err)
{
    (void)err;
    return commit_positions(st, 1);
}

/* Lag per assigned partition: the high watermark librdkafka cached from its last fetch response (no request
 * is made) minus the next offset the engine will return (its position, else the committed offset, else the low
 * watermark). Partitions whose watermarks are not known yet are left out. */
static size_t kafka_lag(void *st, int32_t *partition, int64_t *lag, size_t cap)
{
    kafka_src *k = st;
    size_t n = 0;
    for (size_t i = 0; i < k->nparts && n < cap; i++) {
        const kpart *p = &k->parts[i];
        int64_t lo = -1, hi = -1;
        if (!p->assigned ||
            rd_kafka_get_watermark_offsets(k->rk, k->uri.topic, (int32_t)i, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            hi < 0)
            continue;
        int64_t at = p->have_pos ? p->pos : p->committed >= 0 ? p->committed : lo;
        if (at < 0)
            continue;
        partition[n] = (int32_t)i;
        lag[n++] = hi > at ? hi - at : 0;
    }
    return n;
}

const sml_source_kind sml_source_kafka = {"kafka",          kafka_open,           kafka_set_columns, kafka_next,
                                          kafka_wait,       kafka_done,           kafka_bad_format,  kafka_save,
                                          kafka_restore,    kafka_close,          kafka_commit,      kafka_lag,
                                          kafka_snapshot,   kafka_commit_snapshot, kafka_save_parts, kafka_parts_committed,
                                          meta_names,       meta_types};
