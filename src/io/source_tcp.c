/*
 * Sources over TCP. tcp://host:port connects (and reconnects with backoff when the peer goes away);
 * tcp-listen://host:port accepts any number of producers at once. Each connection has its own reader, so a record
 * never spans two connections, and a connection's unterminated last line is dead-lettered as a partial record
 * (require_terminator). TCP has no positions: delivery is at-most-once across an abrupt disconnect.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io/io_int.h"

#define MAX_CONNS 256

typedef struct tcp_src {
    int listening;
    int lfd;                      /* listening socket, or -1 */
    struct sockaddr_storage addr; /* connect target */
    unsigned addrlen;
    char *hostport;
    sml_source_opts o;
    sml_colspec cols;
    sml_stream conns[MAX_CONNS];
    size_t nconns;
    size_t rr;                    /* round-robin start */
    size_t last;                  /* connection the last batch came from */
    sml_reader *last_reader;      /* kept alive until the next call for bad_format */
    int64_t backoff_ms;
    struct timespec next_try;
    uint64_t accepted;
} tcp_src;

static void log_msg(tcp_src *t, int level, const char *fmt, ...) SML_PRINTF(3, 4);
static void log_msg(tcp_src *t, int level, const char *fmt, ...)
{
    if (!t->o.log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->o.log(t->o.log_opaque, level, msg);
}

static void tcp_close(void *st)
{
    tcp_src *t = st;
    if (!t)
        return;
    for (size_t i = 0; i < t->nconns; i++)
        sml_stream_close(&t->conns[i]);
    sml_reader_free(t->last_reader);
    if (t->lfd >= 0)
        close(t->lfd);
    sml_colspec_release(&t->cols);
    free(t->hostport);
    free(t);
}

static int tcp_open_common(const char *location, const sml_source_opts *o, int listening, void **state,
                           sml_error *err)
{
    tcp_src *t = calloc(1, sizeof *t);
    if (!t || !(t->hostport = strdup(location))) {
        free(t);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    t->listening = listening;
    t->lfd = -1;
    t->o = *o;
    t->o.reader.require_terminator = 1;
    t->backoff_ms = 100;
    int rc = sml_parse_hostport(location, &t->addr, &t->addrlen, err);
    if (rc) {
        tcp_close(t);
        return rc;
    }
    if (listening) {
        int one = 1;
        t->lfd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (t->lfd < 0 || setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            bind(t->lfd, (struct sockaddr *)&t->addr, t->addrlen) != 0 || listen(t->lfd, 64) != 0) {
            rc = sml_fail(err, SML_EIO, "tcp-listen://%s: %s", location, strerror(errno));
            tcp_close(t);
            return rc;
        }
    }
    *state = t;
    return 0;
}

static int tcp_open(const char *location, const sml_source_opts *o, void **state, sml_error *err)
{
    return tcp_open_common(location, o, 0, state, err);
}

static int tcp_listen_open(const char *location, const sml_source_opts *o, void **state, sml_error *err)
{
    return tcp_open_common(location, o, 1, state, err);
}

static int tcp_set_columns(void *st, const char *const *names, const sml_type *types, const uint8_t *optional,
                           size_t n, sml_error *err)
{
    tcp_src *t = st;
    int rc = sml_colspec_set(&t->cols, names, types, optional, n, err);
    for (size_t i = 0; i < t->nconns && !rc; i++)
        rc = sml_reader_set_columns(t->conns[i].reader, names, types, optional, n, err);
    return rc;
}

static int add_conn(tcp_src *t, int fd, const char *peer, sml_error *err)
{
    if (t->nconns == MAX_CONNS) {
        close(fd);
        log_msg(t, SML_LOG_WARN, "%s: refusing a connection: %d already open", t->hostport, MAX_CONNS);
        return 0;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char name[300];
    snprintf(name, sizeof name, "tcp:%s#%llu", peer, (unsigned long long)++t->accepted);
    int rc = sml_stream_open(&t->conns[t->nconns], fd, name, &t->o.reader,
                             t->cols.set ? (const char *const *)t->cols.names : NULL, t->cols.types, t->cols.optional,
                             t->cols.n, err);
    if (rc) {
        close(fd);
        return rc;
    }
    t->nconns++;
    log_msg(t, SML_LOG_INFO, "%s: connected (%s)", t->hostport, name);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Accepts pending producers, or (re)connects to the target when due. */
static int get_connections(tcp_src *t, sml_error *err)
{
    if (t->listening) {
        for (;;) {
            int fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                return 0;
            int rc = add_conn(t, fd, t->hostport, err);
            if (rc)
                return rc;
        }
    }
    if (t->nconns)
        return 0;
    int64_t now = now_ms(), due = (int64_t)t->next_try.tv_sec * 1000 + t->next_try.tv_nsec / 1000000;
    if (now < due)
        return 0;
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == 0) {
        t->backoff_ms = 100;
        return add_conn(t, fd, t->hostport, err);
    }
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (t->backoff_ms <= 100 || t->backoff_ms >= 5000)
        log_msg(t, SML_LOG_WARN, "tcp://%s: cannot connect (%s); retrying", t->hostport, strerror(e));
    due = now + t->backoff_ms;
    t->next_try.tv_sec = due / 1000;
    t->next_try.tv_nsec = (due % 1000) * 1000000;
    t->backoff_ms = t->backoff_ms * 2 > 5000 ? 5000 : t->backoff_ms * 2;
    return 0;
}

static int tcp_next(void *st, sml_batch *b, sml_error *err)
{
    tcp_src *t = st;
    sml_reader_free(t->last_reader);
    t->last_reader = NULL;
    int rc = get_connections(t, err);
    if (rc)
        return rc;
    for (size_t k = 0; k < t->nconns; k++) {
        size_t i = (t->rr + k) % t->nconns;
        int n = sml_stream_next(&t->conns[i], b, err);
        if (n < 0) { /* a broken connection ends that connection, not the run */
            log_msg(t, SML_LOG_WARN, "%s: %s; dropping the connection", t->conns[i].name, err ? err->msg : "error");
            n = 0;
            t->conns[i].eof = t->conns[i].ended = 1;
        }
        if (n > 0) {
            t->last = i;
            t->rr = i + 1;
            return n;
        }
        if (sml_stream_finished(&t->conns[i]) || (t->conns[i].ended && n == 0)) {
            log_msg(t, SML_LOG_INFO, "%s: closed by the peer", t->conns[i].name);
            /* keep its reader until the next call: bad_format may still need it */
            sml_reader_free(t->last_reader);
            t->last_reader = t->conns[i].reader;
            t->conns[i].reader = NULL;
            sml_stream_close(&t->conns[i]);
            t->conns[i] = t->conns[--t->nconns];
            k--;
            if (!t->listening) {
                t->next_try.tv_sec = 0;
                t->next_try.tv_nsec = 0;
            }
        }
    }
    return 0;
}

static int tcp_wait(void *st, int timeout_ms)
{
    tcp_src *t = st;
    struct pollfd p[MAX_CONNS + 1];
    nfds_t n = 0;
    if (t->lfd >= 0)
        p[n++] = (struct pollfd){t->lfd, POLLIN, 0};
    for (size_t i = 0; i < t->nconns; i++)
        p[n++] = (struct pollfd){t->conns[i].fd, POLLIN, 0};
    if (!t->listening && t->nconns == 0) {
        int64_t left = (int64_t)t->next_try.tv_sec * 1000 + t->next_try.tv_nsec / 1000000 - now_ms();
        if (left < timeout_ms)
            timeout_ms = left < 0 ? 0 : (int)left;
    }
    return poll(p, n, timeout_ms) != 0;
}

static int tcp_done(void *st)
{
    (void)st;
    return 0;
}

static size_t tcp_bad_format(void *st, const sml_batch *b, size_t i, char *buf, size_t cap)
{
    tcp_src *t = st;
    const sml_reader *r = t->last < t->nconns ? t->conns[t->last].reader : t->last_reader;
    if (!r)
        r = t->last_reader;
    if (!r) {
        snprintf(buf, cap, "%s: bad record", t->hostport);
        return strlen(buf);
    }
    return sml_bad_row_format(r, b, i, buf, cap);
}

const sml_source_kind sml_source_tcp = {"tcp", tcp_open, tcp_set_columns, tcp_next, tcp_wait, tcp_done,
                                        tcp_bad_format, NULL, NULL, tcp_close};
const sml_source_kind sml_source_tcp_listen = {"tcp-listen", tcp_listen_open, tcp_set_columns, tcp_next, tcp_wait,
                                               tcp_done, tcp_bad_format, NULL, NULL, tcp_close};
