/*
 * `streamml replay` (include/streamml/replay.h): a dataset played as a live stream.
 *
 *   file -> [gzip/zstd: the reader's own decompressor] -> plain bytes -> kept here AND fed to an sml_reader
 *        -> the reader says where each record starts (batch offsets), we cut the record's bytes out of our copy
 *        -> schedule (rate, event time, or none) -> groups of records -> sink (replay_sink.c)
 *
 * The reader decides what a record is (CSV quoting, quoted newlines, CR line ends, over-long and malformed
 * records), and since it is fed the plain bytes its offsets index our copy directly. Only the time column is
 * parsed (as text), so the reader does little work per record.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/replay_int.h"
#include "parse/parse_int.h" /* sml_decomp: the decompressor the reader itself uses */
#include "streamml/num.h"

#define CHUNK (1u << 20)
#define GROUP_BYTES (256u << 10)          /* a group of records sent at once is at most this big... */
#define GROUP_RECORDS 8192                /* ...and this many records */
#define MIN_SLEEP_NS 1000000              /* paced: at most one wake-up per millisecond */
#define PROGRESS_NS 500000000             /* progress callback period */
#define STOP_DRAIN_NS 1000000000          /* after a stop, queued records get this long to leave */
#define BAD_SHOWN 5                       /* bad records logged one by one */

enum { UNIT_AUTO = 0, UNIT_S, UNIT_MS };

/* ------------------------------------------------------------------ the data: records as their bytes */

typedef struct replay_data {
    int fd;
    int eof;      /* read() returned 0 */
    int ended;    /* sml_reader_end called */
    int front;    /* SML_FRONT_DETECT, _PLAIN, _GZIP, _ZSTD */
    unsigned char magic[4];
    size_t magic_len;
    sml_decomp *decomp;
    sml_reader *reader;
    sml_batch batch;
    int batch_live;
    size_t row, bad; /* next row of the batch; bad rows before it */
    char *raw;       /* plain bytes [raw_base, raw_base + raw_len) of the stream */
    size_t raw_len, raw_cap;
    uint64_t raw_base;
    char *chunk;
    int first_batch;
} replay_data;

struct sml_replay {
    /* settings */
    char *data_path, *to, *time_column, *errors_path;
    char *key_column;
    char **kafka_props; /* kafka.* pass-through: key, value, key, value, ... */
    size_t kafka_nprops;
    sml_reader_opts ro;
    double rate, speedup;
    int time_unit, loop;
    uint64_t limit, wait_clients;
    int64_t max_errors;
    size_t max_queue;
    int errors_fd;

    replay_data d;
    int is_jsonl;      /* decided from the first bytes, as the reader does */
    sml_strbuf header; /* CSV header bytes, from the first pass */
    sml_strbuf group;

    const sml_replay_sink_kind *sk;
    void *ss;

    volatile sig_atomic_t stop_requested, abort_requested;
    int wake[2];

    void (*log)(void *, int, const char *);
    void *log_opaque;
    void (*progress)(void *, const sml_replay_stats *);
    void *progress_opaque;

    /* schedule */
    uint64_t seq; /* records scheduled so far (over every pass) */
    int64_t t0, last_emit, prev_due;
    int have_ts0, unit_known, warned_time;
    double ts0, ts_scale, pass_first, pass_last, shift, last_ts;
    uint64_t pass_timed;

    sml_replay_stats st;
    sml_replay_sink_counts sc;
};

static void say(sml_replay *r, int level, const char *fmt, ...) SML_PRINTF(3, 4);
static void say(sml_replay *r, int level, const char *fmt, ...)
{
    if (!r->log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->log(r->log_opaque, level, msg);
}

static void sink_log(void *opaque, int level, const char *msg)
{
    sml_replay *r = opaque;
    if (r->log)
        r->log(r->log_opaque, level, msg);
}

/* Plain bytes: kept (the records are cut from here) and parsed. An sml_sink_fn for the decompressor. */
static int plain_bytes(void *ctx, const char *p, size_t n, sml_error *err)
{
    sml_replay *r = ctx;
    replay_data *d = &r->d;
    if (d->raw_len + n > d->raw_cap) {
        size_t cap = d->raw_cap ? d->raw_cap : CHUNK;
        while (cap < d->raw_len + n)
            cap *= 2;
        char *b = realloc(d->raw, cap);
        if (!b)
            return sml_fail(err, SML_ENOMEM, "out of memory");
        d->raw = b;
        d->raw_cap = cap;
    }
    memcpy(d->raw + d->raw_len, p, n);
    d->raw_len += n;
    return sml_reader_feed(d->reader, p, n, err);
}

/* Bytes as read from the file: the first four choose plain, gzip or zstd (the reader's own rule). */
static int front_bytes(sml_replay *r, const unsigned char *p, size_t n, sml_error *err)
{
    replay_data *d = &r->d;
    if (d->front == SML_FRONT_DETECT) {
        while (n && d->magic_len < 4)
            d->magic[d->magic_len++] = *p++, n--;
        if (d->magic_len < 4 && !d->eof)
            return 0;
        const unsigned char *m = d->magic;
        if (d->magic_len >= 2 && m[0] == 0x1f && m[1] == 0x8b)
            d->front = SML_FRONT_GZIP;
        else if (d->magic_len == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
            d->front = SML_FRONT_ZSTD;
        else
            d->front = SML_FRONT_PLAIN;
        int rc;
        if (d->front != SML_FRONT_PLAIN && (rc = sml_decomp_new(d->front, &d->decomp, err)) != 0)
            return rc;
        if (d->magic_len && (rc = front_bytes(r, d->magic, d->magic_len, err)) != 0)
            return rc;
    }
    if (!n)
        return 0;
    if (d->front == SML_FRONT_PLAIN)
        return plain_bytes(r, (const char *)p, n, err);
    int rc = sml_decomp_run(d->decomp, p, n, plain_bytes, r, err);
    return rc ? sml_error_prefix(err, "%s", r->data_path) : 0;
}

static void data_close(replay_data *d)
{
    if (d->fd > 0)
        close(d->fd);
    d->fd = -1;
    sml_decomp_free(d->decomp);
    d->decomp = NULL;
    sml_reader_free(d->reader);
    d->reader = NULL;
}

static int data_open(sml_replay *r, sml_error *err)
{
    replay_data *d = &r->d;
    data_close(d);
    d->eof = d->ended = d->batch_live = 0;
    d->front = SML_FRONT_DETECT;
    d->magic_len = 0;
    d->raw_len = 0;
    d->raw_base = 0;
    d->row = d->bad = 0;
    d->fd = strcmp(r->data_path, "-") == 0 ? 0 : open(r->data_path, O_RDONLY | O_CLOEXEC);
    if (d->fd < 0)
        return sml_fail(err, errno == ENOENT ? SML_ENOTFOUND : SML_EIO, "%s: cannot open: %s", r->data_path,
                        strerror(errno));
    if (!d->chunk && !(d->chunk = malloc(CHUNK)))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    sml_reader_opts o = r->ro;
    o.source_name = strcmp(r->data_path, "-") == 0 ? "<stdin>" : r->data_path;
    if (!(d->reader = sml_reader_new(&o, err)))
        return err ? err->code : SML_ENOMEM;
    /* only the time column is parsed; without one, no column at all: the reader just finds records */
    const char *names[1] = {r->time_column};
    const sml_type types[1] = {SML_TYPE_STR};
    const uint8_t optional[1] = {0};
    return sml_reader_set_columns(d->reader, names, types, optional, r->time_column ? 1 : 0, err);
}

/* Reads one chunk; at the end of the file ends the reader. */
static int data_read(sml_replay *r, sml_error *err)
{
    replay_data *d = &r->d;
    ssize_t n;
    do
        n = read(d->fd, d->chunk, CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sml_fail(err, SML_EIO, "%s: read error: %s", r->data_path, strerror(errno));
    if (n == 0) {
        d->eof = 1;
        int rc = front_bytes(r, NULL, 0, err); /* a file shorter than the magic */
        if (!rc && d->decomp && (rc = sml_decomp_finish(d->decomp, err)) != 0)
            sml_error_prefix(err, "%s", r->data_path);
        if (!rc)
            rc = sml_reader_end(d->reader, err);
        d->ended = 1;
        return rc;
    }
    return front_bytes(r, (const unsigned char *)d->chunk, (size_t)n, err);
}

/* Appends a record's bytes: without the blank lines after it, ending with its own terminator (or "\n"). */
static int add_record(sml_strbuf *sb, const char *p, size_t n)
{
    size_t e = n;
    while (e && (p[e - 1] == '\n' || p[e - 1] == '\r'))
        e--;
    if (e == 0)
        return 0;
    size_t t = n == e ? 0 : p[e] == '\r' && e + 1 < n && p[e + 1] == '\n' ? 2 : 1;
    int rc = sml_strbuf_add(sb, p, e);
    if (!rc)
        rc = t ? sml_strbuf_add(sb, p + e, t) : sml_strbuf_add(sb, "\n", 1);
    return rc;
}

static int report_bad(sml_replay *r, const sml_batch *b, sml_error *err)
{
    for (size_t i = 0; i < b->nbad; i++) {
        char place[512];
        const sml_bad_row *bad = &b->bad[i];
        sml_bad_row_format(r->d.reader, b, i, place, sizeof place);
        r->st.skipped++;
        if (r->st.skipped <= BAD_SHOWN)
            say(r, SML_LOG_WARN, "skipped a bad record: %s", place);
        if (r->errors_fd >= 0) {
            sml_strbuf sb = SML_STRBUF_INIT;
            sml_strbuf_adds(&sb, "{\"_error\": ");
            sml_strbuf_add_json_str(&sb, place, strlen(place));
            sml_strbuf_addf(&sb, ", \"_line\": %llu, \"_column\": %llu, \"_offset\": %llu, \"_raw\": ",
                            (unsigned long long)bad->line, (unsigned long long)bad->column,
                            (unsigned long long)bad->offset);
            sml_strbuf_add_json_str(&sb, b->strings + bad->raw_off, bad->raw_len);
            sml_strbuf_adds(&sb, "}\n");
            int rc = sb.buf ? sml_write_fd(&r->errors_fd, sb.buf, sb.len, err) : SML_ENOMEM;
            sml_strbuf_release(&sb);
            if (rc)
                return sml_error_prefix(err, "%s", r->errors_path);
        }
        if (r->max_errors >= 0 && r->st.skipped > (uint64_t)r->max_errors)
            return sml_fail(err, SML_ELIMIT, "stopping: %llu bad records, more than --max-errors %lld (last: %s)",
                            (unsigned long long)r->st.skipped, (long long)r->max_errors, place);
    }
    return 0;
}

/* The CSV header: the bytes before the first record of the first batch. */
static int take_header(sml_replay *r, const sml_batch *b, sml_error *err)
{
    replay_data *d = &r->d;
    size_t k = 0;
    while (k < d->raw_len && (d->raw[k] == ' ' || d->raw[k] == '\t' || d->raw[k] == '\r' || d->raw[k] == '\n'))
        k++;
    r->is_jsonl = r->ro.format == SML_FORMAT_JSONL ||
                  (r->ro.format == SML_FORMAT_AUTO && k < d->raw_len && d->raw[k] == '{');
    if (r->is_jsonl || !r->ro.header || d->raw_base != 0)
        return 0;
    uint64_t first = b->end_offset;
    if (b->nrows && b->offset[0] < first)
        first = b->offset[0];
    if (b->nbad && b->bad[0].offset < first)
        first = b->bad[0].offset;
    if (first > d->raw_len)
        first = d->raw_len;
    return add_record(&r->header, d->raw, (size_t)first) ? sml_fail(err, SML_ENOMEM, "out of memory") : 0;
}

/* The next record of this pass: its bytes and its time cell. Returns 1, 0 at the end of the pass, or < 0. */
static int data_next(sml_replay *r, const char **rec, size_t *len, const char **ts, size_t *ts_len,
                     sml_error *err)
{
    replay_data *d = &r->d;
    sml_batch *b = &d->batch;
    for (;;) {
        while (d->batch_live && d->row < b->nrows) {
            size_t i = d->row++;
            uint64_t start = b->offset[i], end = i + 1 < b->nrows ? b->offset[i + 1] : b->end_offset;
            while (d->bad < b->nbad && b->bad[d->bad].offset <= start)
                d->bad++;
            if (d->bad < b->nbad && b->bad[d->bad].offset < end)
                end = b->bad[d->bad].offset;
            if (start < d->raw_base || end > d->raw_base + d->raw_len || end < start)
                return sml_fail(err, SML_ESTATE, "%s: record at byte %llu is out of the kept bytes (internal error)",
                                r->data_path, (unsigned long long)start);
            *rec = d->raw + (start - d->raw_base);
            *len = (size_t)(end - start);
            *ts = NULL;
            *ts_len = 0;
            if (b->ncols && !b->cols[0].missing[i])
                *ts = sml_batch_str(b, 0, i, ts_len);
            return 1;
        }
        if (d->batch_live) { /* forget the bytes of the records returned */
            uint64_t drop = b->end_offset > d->raw_base ? b->end_offset - d->raw_base : 0;
            if (drop > d->raw_len)
                drop = d->raw_len;
            memmove(d->raw, d->raw + drop, d->raw_len - (size_t)drop);
            d->raw_len -= (size_t)drop;
            d->raw_base += drop;
            d->batch_live = 0;
        }
        int n = sml_reader_next(d->reader, b, err);
        if (n < 0)
            return n;
        if (n > 0) {
            int rc;
            if (d->first_batch) {
                d->first_batch = 0;
                if ((rc = take_header(r, b, err)) != 0)
                    return rc;
            }
            if (b->nbad && (rc = report_bad(r, b, err)) != 0)
                return rc;
            d->batch_live = 1;
            d->row = d->bad = 0;
            continue;
        }
        if (d->ended)
            return 0;
        /* a record the reader is skipping (longer than max_record_bytes) need not be kept whole: a good record
         * still to come is at most max_record_bytes long, so only the tail can belong to it */
        size_t keep = r->ro.max_record_bytes + CHUNK;
        if (d->raw_len > 2 * keep) {
            size_t drop = d->raw_len - keep;
            memmove(d->raw, d->raw + drop, keep);
            d->raw_len = keep;
            d->raw_base += drop;
        }
        int rc = data_read(r, err);
        if (rc)
            return rc;
    }
}

/* ------------------------------------------------------------------ event time */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t n, size_t *i, int count, int64_t *out)
{
    int64_t v = 0;
    for (int k = 0; k < count; k++, (*i)++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return 0;
}

/* ISO-8601: YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|(+|-)hh[:]mm]; no offset is UTC. Seconds since the epoch. */
static int parse_iso8601(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int64_t y, mo, d, h = 0, mi = 0, sec = 0;
    double frac = 0;
    if (digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' || digits(s, n, &i, 2, &mo) || i >= n ||
        s[i++] != '-' || digits(s, n, &i, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &mi))
            return -1;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &sec))
                return -1;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                double scale = 0.1;
                for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
                    frac += (s[i] - '0') * scale;
            }
        }
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int neg = s[i++] == '-';
        int64_t oh, om = 0;
        if (digits(s, n, &i, 2, &oh))
            return -1;
        if (i < n && s[i] == ':')
            i++;
        if (i < n && digits(s, n, &i, 2, &om))
            return -1;
        off = (oh * 3600 + om * 60) * (neg ? -1 : 1);
    }
    if (i != n)
        return -1;
    *out = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) + frac;
    return 0;
}

/* A record's time in seconds; 0 when it has a usable one. */
static int record_time(sml_replay *r, const char *s, size_t n, double *out)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    double v;
    if (!s || !n)
        return -1;
    if (sml_parse_double(s, n, &v) == 0 && isfinite(v)) {
        if (!r->unit_known) {
            r->unit_known = 1;
            if (r->time_unit == UNIT_AUTO)
                r->time_unit = fabs(v) >= 1e11 ? UNIT_MS : UNIT_S;
            r->ts_scale = r->time_unit == UNIT_MS ? 1e-3 : 1.0;
            say(r, SML_LOG_INFO, "time column %s: numbers in %s", r->time_column,
                r->time_unit == UNIT_MS ? "milliseconds" : "seconds");
        }
        *out = v * r->ts_scale;
        return 0;
    }
    return parse_iso8601(s, n, out);
}

/* When the next record is due (monotonic ns). */
static int64_t due_time(sml_replay *r, const char *ts, size_t ts_len)
{
    int64_t due;
    if (r->rate > 0) {
        due = r->t0 + (int64_t)((double)r->seq * (1e9 / r->rate));
    } else if (r->time_column) {
        double t;
        if (ts && record_time(r, ts, ts_len, &t) == 0) {
            if (!r->have_ts0) {
                r->have_ts0 = 1;
                r->ts0 = t;
            }
            if (r->pass_timed++ == 0)
                r->pass_first = r->pass_last = t;
            if (t > r->pass_last)
                r->pass_last = t;
            r->last_ts = t + r->shift;
            due = r->t0 + (int64_t)((r->last_ts - r->ts0) / r->speedup * 1e9);
        } else {
            if (!r->warned_time++)
                say(r, SML_LOG_WARN, "a record without a usable time in %s (\"%.*s\"): sent with the one before",
                    r->time_column, ts ? (int)(ts_len > 40 ? 40 : ts_len) : 0, ts ? ts : "");
            due = r->prev_due;
        }
        if (due < r->prev_due)
            due = r->prev_due;
    } else {
        due = r->t0;
    }
    r->prev_due = due;
    r->seq++;
    return due;
}

/* At the end of a pass: the next one continues one mean gap after this one's last record. */
static void next_pass_time(sml_replay *r)
{
    if (!r->pass_timed)
        return;
    double span = r->pass_last - r->pass_first;
    double gap = r->pass_timed > 1 ? span / (double)(r->pass_timed - 1) : 1.0;
    r->shift += span + gap;
    r->pass_timed = 0;
}

/* ------------------------------------------------------------------ setup */

static int dup_opt(const sml_conf *c, const char *key, char **out, sml_error *err)
{
    const char *v = sml_conf_str(c, key);
    *out = NULL;
    if (v && *v && !(*out = strdup(v)))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    return 0;
}

/* --set kafka.KEY=VALUE: collected for a kafka:// sink. */
static int add_kafka_prop(const char *key, const char *value, void *opaque)
{
    sml_replay *r = opaque;
    char **kv = realloc(r->kafka_props, (2 * r->kafka_nprops + 2) * sizeof *kv);
    if (!kv)
        return -1;
    r->kafka_props = kv;
    kv[2 * r->kafka_nprops] = strdup(key);
    kv[2 * r->kafka_nprops + 1] = strdup(value);
    r->kafka_nprops++;
    return kv[2 * r->kafka_nprops - 2] && kv[2 * r->kafka_nprops - 1] ? 0 : -1;
}

int sml_replay_new(const sml_conf *c, sml_replay **out, sml_error *err)
{
    int rc;
    sml_replay *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    r->errors_fd = -1;
    r->wake[0] = r->wake[1] = -1;
    r->d.fd = -1;
    r->d.first_batch = 1;
    if ((rc = dup_opt(c, "data", &r->data_path, err)) || (rc = dup_opt(c, "to", &r->to, err)) ||
        (rc = dup_opt(c, "time_column", &r->time_column, err)) || (rc = dup_opt(c, "errors", &r->errors_path, err)) ||
        (rc = dup_opt(c, "key_column", &r->key_column, err)))
        goto fail;
    if (sml_conf_each_ns(c, "kafka", add_kafka_prop, r) != 0) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto fail;
    }
    rc = SML_EINVAL;
    if (!r->data_path) {
        sml_fail(err, SML_EINVAL, "nothing to replay: give --data FILE (or -)");
        goto fail;
    }
    if (!r->to) {
        sml_fail(err, SML_EINVAL, "--to URI is empty");
        goto fail;
    }
    r->rate = sml_conf_double(c, "rate");
    r->speedup = sml_conf_double(c, "speedup");
    r->loop = sml_conf_bool(c, "loop");
    r->limit = (uint64_t)sml_conf_int(c, "limit");
    r->wait_clients = (uint64_t)sml_conf_int(c, "wait_clients");
    r->max_queue = (size_t)sml_conf_int(c, "client_buffer");
    r->max_errors = sml_conf_int(c, "max_errors");
    const char *unit = sml_conf_str(c, "time_unit");
    r->time_unit = !strcmp(unit, "s") ? UNIT_S : !strcmp(unit, "ms") ? UNIT_MS : UNIT_AUTO;
    if (r->rate > 0 && r->time_column) {
        sml_fail(err, SML_EINVAL, "--rate and --time-column both set: pace by one of them");
        goto fail;
    }
    if (sml_conf_is_set(c, "speedup") && !r->time_column) {
        sml_fail(err, SML_EINVAL, "--speedup scales event time: it needs --time-column COL");
        goto fail;
    }
    if (r->loop && strcmp(r->data_path, "-") == 0) {
        sml_fail(err, SML_EINVAL, "--loop needs a file to read again, not stdin");
        goto fail;
    }
    sml_reader_opts ro = SML_READER_OPTS_INIT;
    const char *fmt = sml_conf_str(c, "format"), *delim = sml_conf_str(c, "delimiter");
    ro.format = !strcmp(fmt, "csv") ? SML_FORMAT_CSV : !strcmp(fmt, "jsonl") ? SML_FORMAT_JSONL : SML_FORMAT_AUTO;
    if (ro.format == SML_FORMAT_AUTO && strcmp(r->data_path, "-") != 0)
        ro.format = sml_format_from_path(r->data_path);
    ro.delimiter = !strcmp(delim, "\\t") || !strcmp(delim, "tab") ? '\t' : delim[0];
    if (strlen(delim) != 1 && ro.delimiter != '\t') {
        sml_fail(err, SML_EINVAL, "--delimiter must be one character, got \"%s\"", delim);
        goto fail;
    }
    ro.header = sml_conf_bool(c, "header");
    ro.max_record_bytes = (size_t)sml_conf_int(c, "max_record_bytes");
    ro.check_utf8 = 0; /* bytes are passed through: judging them is the consumer's job */
    r->ro = ro;

    static const sml_replay_sink_kind *const kinds[] = {&sml_replay_sink_tcp_listen, &sml_replay_sink_tcp};
    const char *loc = r->to;
    r->sk = &sml_replay_sink_file;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(r->to, kinds[i]->prefix, strlen(kinds[i]->prefix)) == 0) {
            r->sk = kinds[i];
            loc = r->to + strlen(kinds[i]->prefix);
        }
    if (r->wait_clients && r->sk == &sml_replay_sink_file) {
        sml_fail(err, SML_EINVAL, "--wait-clients needs a tcp-listen:// or tcp:// sink");
        goto fail;
    }
    if (r->sk == &sml_replay_sink_tcp && r->wait_clients > 1) {
        sml_fail(err, SML_EINVAL, "--wait-clients: a tcp:// sink has one peer");
        goto fail;
    }
    if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        rc = sml_fail(err, SML_EIO, "pipe: %s", strerror(errno));
        goto fail;
    }
    if ((rc = data_open(r, err)) != 0)
        goto fail;
    if (r->errors_path) {
        r->errors_fd = !strcmp(r->errors_path, "-") ? 1
                                                     : open(r->errors_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (r->errors_fd < 0) {
            rc = sml_fail(err, SML_EIO, "%s: cannot open the errors file: %s", r->errors_path, strerror(errno));
            goto fail;
        }
    }
    if (r->key_column && strncmp(r->to, "kafka://", 8) != 0) {
        rc = sml_fail(err, SML_EINVAL, "--key-column names the message key of a kafka:// sink, not of %s", r->to);
        goto fail;
    }
    sml_sink_opts ko = {(const char *const *)r->kafka_props, r->kafka_nprops, r->key_column, sink_log, r};
    sml_replay_sink_opts so = {&r->header, r->max_queue, sink_log, r, &ko};
    if ((rc = r->sk->open(loc, &so, &r->ss, err)) != 0) {
        r->sk = NULL;
        goto fail;
    }
    *out = r;
    return 0;
fail:
    sml_replay_free(r);
    return rc;
}

void sml_replay_free(sml_replay *r)
{
    if (!r)
        return;
    if (r->sk)
        r->sk->close(r->ss);
    data_close(&r->d);
    sml_batch_release(&r->d.batch);
    free(r->d.raw);
    free(r->d.chunk);
    if (r->errors_fd > 2)
        close(r->errors_fd);
    for (int i = 0; i < 2; i++)
        if (r->wake[i] >= 0)
            close(r->wake[i]);
    sml_strbuf_release(&r->header);
    sml_strbuf_release(&r->group);
    free(r->data_path);
    free(r->to);
    free(r->time_column);
    free(r->errors_path);
    free(r->key_column);
    for (size_t i = 0; i < 2 * r->kafka_nprops; i++)
        free(r->kafka_props[i]);
    free(r->kafka_props);
    free(r);
}

void sml_replay_set_log(sml_replay *r, void (*fn)(void *opaque, int level, const char *msg), void *opaque)
{
    r->log = fn;
    r->log_opaque = opaque;
}

void sml_replay_set_progress(sml_replay *r, void (*fn)(void *opaque, const sml_replay_stats *st), void *opaque)
{
    r->progress = fn;
    r->progress_opaque = opaque;
}

void sml_replay_stop(sml_replay *r)
{
    int saved = errno;
    if (r->stop_requested)
        r->abort_requested = 1;
    r->stop_requested = 1;
    if (write(r->wake[1], "s", 1) < 0) { /* full pipe: a wake-up is pending anyway */
    }
    errno = saved;
}

void sml_replay_get_stats(const sml_replay *r, sml_replay_stats *st) { *st = r->st; }

/* ------------------------------------------------------------------ the loop */

/* Waits until deadline (monotonic ns), a stop, or socket work, then lets the sink do that work. */
static void wait_until(sml_replay *r, int64_t deadline)
{
    struct pollfd p[1 + 300];
    p[0] = (struct pollfd){r->wake[0], POLLIN, 0};
    size_t n = r->sk->pollfds(r->ss, p + 1, sizeof p / sizeof p[0] - 1);
    int64_t sink_deadline = r->sk->deadline(r->ss);
    if (sink_deadline < deadline)
        deadline = sink_deadline;
    int64_t left = deadline - sml_replay_now_ns();
    if (left < 0)
        left = 0;
    struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
    int k = ppoll(p, n + 1, &ts, NULL);
    if (k > 0 && p[0].revents) {
        char buf[64];
        while (read(r->wake[0], buf, sizeof buf) > 0) {
        }
    }
    r->sk->service(r->ss, k > 0 ? p + 1 : NULL, n, sml_replay_now_ns());
}

static void update_stats(sml_replay *r, int64_t now)
{
    r->sk->counts(r->ss, &r->sc);
    r->st.clients = r->sc.clients;
    r->st.clients_dropped = r->sc.clients_dropped;
    r->st.dropped = r->sc.dropped;
    int64_t end = now;
    r->st.elapsed_s = r->t0 && end > r->t0 ? (double)(end - r->t0) / 1e9 : 0;
    r->st.records_per_s = r->st.elapsed_s > 0 ? (double)r->st.records / r->st.elapsed_s : 0;
}

/* Hands one group to the sink (unpaced: once there is room for it). */
static int emit(sml_replay *r, uint64_t nrec, int64_t first_due, sml_error *err)
{
    int64_t now = sml_replay_now_ns();
    if (r->sk->room && r->rate <= 0 && !r->time_column) {
        while (!r->sk->room(r->ss, r->group.len, now)) {
            if (r->stop_requested)
                return 0;
            wait_until(r, now + 50000000);
            now = sml_replay_now_ns();
        }
    }
    int rc = r->sk->emit(r->ss, r->group.buf, r->group.len, nrec, now, err);
    if (rc)
        return rc;
    if (r->last_emit && (double)(now - r->last_emit) / 1e9 > r->st.max_gap_s)
        r->st.max_gap_s = (double)(now - r->last_emit) / 1e9;
    if (first_due && (double)(now - first_due) / 1e9 > r->st.max_late_s)
        r->st.max_late_s = (double)(now - first_due) / 1e9;
    r->last_emit = now;
    r->st.records += nrec;
    r->st.bytes += r->group.len;
    return 0;
}

int sml_replay_run(sml_replay *r, sml_error *err)
{
    int rc = 0, finished = 0, have = 0;
    const char *rec = NULL, *ts = NULL;
    size_t rec_len = 0, ts_len = 0;
    int64_t due = 0;
    if (!r->sk)
        return sml_fail(err, SML_ESTATE, "the replay has already run");
    if (r->wait_clients)
        say(r, SML_LOG_INFO, "waiting for %llu client%s on %s", (unsigned long long)r->wait_clients,
            r->wait_clients > 1 ? "s" : "", r->to);
    for (;;) {
        r->sk->counts(r->ss, &r->sc);
        if (r->sc.clients >= r->wait_clients || r->stop_requested)
            break;
        wait_until(r, sml_replay_now_ns() + 200000000);
    }
    r->t0 = sml_replay_now_ns();
    r->prev_due = r->t0;
    r->st.passes = 1;
    int64_t next_progress = r->t0 + PROGRESS_NS;
    int paced = r->rate > 0 || r->time_column;
    while (!finished && !r->stop_requested) {
        int64_t now = sml_replay_now_ns();
        uint64_t nrec = 0;
        int64_t first_due = 0;
        r->group.len = 0;
        while (nrec < GROUP_RECORDS && r->group.len < GROUP_BYTES) {
            if (!have) {
                int k = data_next(r, &rec, &rec_len, &ts, &ts_len, err);
                if (k < 0) {
                    rc = k;
                    goto out;
                }
                if (k == 0) { /* end of the pass */
                    if (!r->loop || r->seq == 0 || r->stop_requested) {
                        finished = 1;
                        break;
                    }
                    next_pass_time(r);
                    if ((rc = data_open(r, err)) != 0)
                        goto out;
                    r->st.passes++;
                    continue;
                }
                have = 1;
                due = due_time(r, ts, ts_len);
            }
            if (due > now)
                break;
            if (!nrec)
                first_due = paced ? due : 0;
            if (add_record(&r->group, rec, rec_len) != 0) {
                rc = sml_fail(err, SML_ENOMEM, "out of memory");
                goto out;
            }
            have = 0;
            nrec++;
            if (r->limit && r->seq >= r->limit) {
                finished = 1;
                break;
            }
        }
        if (nrec && (rc = emit(r, nrec, first_due, err)) != 0)
            goto out;
        now = sml_replay_now_ns();
        if (r->progress && now >= next_progress) {
            update_stats(r, now);
            r->progress(r->progress_opaque, &r->st);
            next_progress = now + PROGRESS_NS;
        }
        if (finished)
            break;
        if (have && due > now)
            wait_until(r, due > now + MIN_SLEEP_NS ? due : now + MIN_SLEEP_NS);
        else
            r->sk->service(r->ss, NULL, 0, now); /* unpaced, or behind: keep the sockets moving */
    }
out:;
    int64_t end = r->last_emit ? r->last_emit : sml_replay_now_ns();
    /* hand what is queued to the clients */
    int64_t now = sml_replay_now_ns(), last_progress = now, stop_at = 0;
    size_t pending, before = r->sk->pending(r->ss);
    while (rc == 0 && (pending = r->sk->pending(r->ss)) > 0 && !r->abort_requested) {
        now = sml_replay_now_ns();
        if (r->stop_requested && !stop_at)
            stop_at = now + STOP_DRAIN_NS;
        if (pending < before)
            last_progress = now, before = pending;
        if ((stop_at && now > stop_at) || now - last_progress > SML_REPLAY_STALL_NS) {
            say(r, SML_LOG_WARN, "%zu bytes queued for clients were not delivered", pending);
            break;
        }
        wait_until(r, now + 100000000);
    }
    update_stats(r, end);
    if (r->sk->flush) {
        int frc = r->sk->flush(r->ss, rc ? NULL : err);
        if (!rc)
            rc = frc;
    }
    r->sk->close(r->ss);
    r->sk = NULL;
    r->ss = NULL;
    return rc;
}
