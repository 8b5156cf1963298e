/*
 * Sinks of `streamml replay` (replay_int.h): a file, stdout or a Kafka topic (through the engine's sml_sink: one
 * message per record, a CSV header not sent but naming the --key-column), a TCP server that
 * broadcasts to every client (tcp-listen://), and a TCP client that reconnects (tcp://). Socket sinks never block:
 * each connection has a bounded queue, the replay loop waits on their descriptors and calls service().
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io/replay_int.h"

#define MAX_CLIENTS 256

int64_t sml_replay_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(const sml_replay_sink_opts *o, int level, const char *fmt, ...) SML_PRINTF(3, 4);
static void say(const sml_replay_sink_opts *o, int level, const char *fmt, ...)
{
    if (!o->log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->log(o->log_opaque, level, msg);
}

/* ------------------------------------------------------------------ files, stdout, null: */

typedef struct file_sink {
    sml_sink sink;
    const sml_strbuf *header;
    int header_done;
} file_sink;

static int file_open(const char *location, const sml_replay_sink_opts *o, void **st, sml_error *err)
{
    file_sink *f = calloc(1, sizeof *f);
    if (!f)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    int rc = sml_sink_open_with(location, o->sink, &f->sink, err);
    if (rc) {
        free(f);
        return rc;
    }
    f->header = o->header;
    *st = f;
    return 0;
}

static int file_emit(void *st, const char *buf, size_t len, uint64_t n, int64_t now_ns, sml_error *err)
{
    file_sink *f = st;
    (void)n;
    (void)now_ns;
    if (!f->header_done) {
        f->header_done = 1;
        if (f->header->len && sml_sink_write(&f->sink, f->header->buf, f->header->len, err) != 0)
            return err ? err->code : SML_EIO;
    }
    return sml_sink_write(&f->sink, buf, len, err);
}

static size_t file_pollfds(void *st, struct pollfd *p, size_t cap)
{
    (void)st, (void)p, (void)cap;
    return 0;
}

static void file_service(void *st, const struct pollfd *p, size_t n, int64_t now_ns)
{
    (void)st, (void)p, (void)n, (void)now_ns;
}

static int64_t no_deadline(void *st)
{
    (void)st;
    return INT64_MAX;
}

static size_t file_pending(void *st)
{
    (void)st;
    return 0;
}

static void file_counts(void *st, sml_replay_sink_counts *c)
{
    (void)st;
    memset(c, 0, sizeof *c);
}

static int file_flush(void *st, sml_error *err)
{
    file_sink *f = st;
    return f->sink.kind->flush(f->sink.st, 0, err);
}

static void file_close(void *st)
{
    file_sink *f = st;
    if (!f)
        return;
    sml_sink_close(&f->sink);
    free(f);
}

const sml_replay_sink_kind sml_replay_sink_file = {"", file_open, file_emit, NULL, file_pollfds, file_service,
                                                   no_deadline, file_pending, file_counts, file_flush, file_close};

/* ------------------------------------------------------------------ one connection and its queue */

typedef struct conn {
    int fd;
    char peer[80];
    char *buf; /* queued bytes: buf[head, len) */
    size_t head, len, cap;
    size_t hdr_left;       /* header bytes still to send before the queue */
    int need_header;       /* the header goes before the next records */
    int64_t last_progress; /* when bytes last left (or the queue last became non-empty) */
    short revents;
} conn;

static size_t conn_pending(const conn *c) { return c->len - c->head + c->hdr_left; }

static int conn_queue(conn *c, const char *p, size_t n)
{
    if (c->head == c->len)
        c->head = c->len = 0;
    if (c->len + n > c->cap && c->head) {
        memmove(c->buf, c->buf + c->head, c->len - c->head);
        c->len -= c->head;
        c->head = 0;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 65536;
        while (cap < c->len + n)
            cap *= 2;
        char *b = realloc(c->buf, cap);
        if (!b)
            return SML_ENOMEM;
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    return 0;
}

/* Sends from p as much as the socket takes now. Returns bytes sent, or -1 when the peer is gone. */
static ssize_t conn_send_now(conn *c, const char *p, size_t n, int64_t now)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = send(c->fd, p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (k <= 0)
            return -1;
        done += (size_t)k;
        c->last_progress = now;
    }
    return (ssize_t)done;
}

/* Sends the header remainder and the queue. Returns bytes of the queue sent, or -1 when the peer is gone. */
static ssize_t conn_flush(conn *c, const sml_strbuf *hdr, int64_t now)
{
    if (c->need_header && c->len > c->head) {
        c->need_header = 0;
        c->hdr_left = hdr->len;
    }
    if (c->hdr_left) {
        ssize_t k = conn_send_now(c, hdr->buf + hdr->len - c->hdr_left, c->hdr_left, now);
        if (k < 0)
            return -1;
        c->hdr_left -= (size_t)k;
        if (c->hdr_left)
            return 0;
    }
    if (c->len == c->head)
        return 0;
    ssize_t k = conn_send_now(c, c->buf + c->head, c->len - c->head, now);
    if (k > 0)
        c->head += (size_t)k;
    return k;
}

/* Sends a group, queueing what the socket does not take now. Returns bytes of it sent at once, -1 peer gone,
 * -2 out of memory. */
static ssize_t conn_write(conn *c, const sml_strbuf *hdr, const char *p, size_t n, int64_t now)
{
    if (c->need_header) {
        c->need_header = 0;
        c->hdr_left = hdr->len;
    }
    if (conn_pending(c) && conn_flush(c, hdr, now) < 0)
        return -1;
    ssize_t sent = 0;
    if (!conn_pending(c) && (sent = conn_send_now(c, p, n, now)) < 0)
        return -1;
    if ((size_t)sent < n) {
        if (c->len == c->head)
            c->last_progress = now;
        if (conn_queue(c, p + sent, n - (size_t)sent) != 0)
            return -2;
    }
    return sent;
}

/* The peer sent something or hung up: 1 when it is gone (data it sends is read and ignored). */
static int conn_gone(conn *c)
{
    char tmp[4096];
    for (int i = 0; i < 16; i++) {
        ssize_t k = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (k > 0)
            continue;
        if (k < 0 && errno == EINTR)
            continue;
        return !(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
    return 0;
}

static void conn_close(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage a = {0};
    socklen_t len = sizeof a;
    char host[64] = "?";
    unsigned port = 0;
    if (getpeername(fd, (struct sockaddr *)&a, &len) == 0) {
        if (a.ss_family == AF_INET) {
            struct sockaddr_in *s = (struct sockaddr_in *)&a;
            inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
            port = ntohs(s->sin_port);
        } else if (a.ss_family == AF_INET6) {
            struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a;
            inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
            port = ntohs(s->sin6_port);
        }
    }
    snprintf(out, cap, "%s:%u", host, port);
}

/* ------------------------------------------------------------------ tcp-listen://: broadcast to every client */

typedef struct listen_sink {
    int lfd;
    char *hostport;
    sml_replay_sink_opts o;
    conn *clients[MAX_CLIENTS];
    size_t n;
    uint64_t dropped_clients;
} listen_sink;

static void listen_close(void *st)
{
    listen_sink *s = st;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        conn_close(s->clients[i]);
        free(s->clients[i]);
    }
    if (s->lfd >= 0)
        close(s->lfd);
    free(s->hostport);
    free(s);
}

static int listen_open(const char *location, const sml_replay_sink_opts *o, void **st, sml_error *err)
{
    struct sockaddr_storage addr;
    unsigned addrlen;
    int one = 1, rc;
    listen_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->hostport = strdup(location))) {
        free(s);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    s->o = *o;
    s->lfd = -1;
    if ((rc = sml_parse_hostport(location, &addr, &addrlen, err)) != 0)
        goto fail;
    s->lfd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s->lfd, (struct sockaddr *)&addr, addrlen) != 0 || listen(s->lfd, 64) != 0) {
        rc = sml_fail(err, SML_EIO, "tcp-listen://%s: %s", location, strerror(errno));
        goto fail;
    }
    *st = s;
    return 0;
fail:
    listen_close(s);
    return rc;
}

static void listen_drop(listen_sink *s, size_t i, int level, const char *why)
{
    conn *c = s->clients[i];
    say(&s->o, level, "tcp-listen://%s: client %s %s (%zu left)", s->hostport, c->peer, why, s->n - 1);
    conn_close(c);
    free(c);
    s->clients[i] = s->clients[--s->n];
}

static void listen_accept(listen_sink *s, int64_t now)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        conn *c = s->n < MAX_CLIENTS ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            say(&s->o, SML_LOG_WARN, "tcp-listen://%s: refusing a client (%zu connected)", s->hostport, s->n);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->need_header = 1;
        c->last_progress = now;
        peer_name(fd, c->peer, sizeof c->peer);
        s->clients[s->n++] = c;
        say(&s->o, SML_LOG_INFO, "tcp-listen://%s: client %s connected (%zu clients)", s->hostport, c->peer, s->n);
    }
}

static int listen_emit(void *st, const char *buf, size_t len, uint64_t n, int64_t now, sml_error *err)
{
    listen_sink *s = st;
    (void)n;
    (void)err;
    for (size_t i = s->n; i-- > 0;) {
        conn *c = s->clients[i];
        size_t hdr = c->need_header ? s->o.header->len : 0;
        if (conn_pending(c) + hdr + len > s->o.max_queue) {
            char why[128];
            snprintf(why, sizeof why, "dropped: too slow, %zu bytes queued (--client-buffer)", conn_pending(c));
            s->dropped_clients++;
            listen_drop(s, i, SML_LOG_WARN, why);
            continue;
        }
        ssize_t k = conn_write(c, s->o.header, buf, len, now);
        if (k == -1)
            listen_drop(s, i, SML_LOG_INFO, "disconnected");
        else if (k == -2) {
            s->dropped_clients++;
            listen_drop(s, i, SML_LOG_WARN, "dropped: out of memory for its queue");
        }
    }
    return 0;
}

static int listen_room(void *st, size_t len, int64_t now)
{
    listen_sink *s = st;
    for (size_t i = s->n; i-- > 0;) {
        conn *c = s->clients[i];
        size_t hdr = c->need_header ? s->o.header->len : 0;
        if (conn_pending(c) + hdr + len <= s->o.max_queue)
            continue;
        if (now - c->last_progress < SML_REPLAY_STALL_NS)
            return 0;
        s->dropped_clients++;
        listen_drop(s, i, SML_LOG_WARN, "dropped: took nothing for 10 s");
    }
    return 1;
}

static size_t listen_pollfds(void *st, struct pollfd *p, size_t cap)
{
    listen_sink *s = st;
    size_t k = 0;
    if (k < cap)
        p[k++] = (struct pollfd){s->lfd, POLLIN, 0};
    for (size_t i = 0; i < s->n && k < cap; i++)
        p[k++] = (struct pollfd){s->clients[i]->fd, (short)(POLLIN | (conn_pending(s->clients[i]) ? POLLOUT : 0)), 0};
    return k;
}

static void listen_service(void *st, const struct pollfd *p, size_t np, int64_t now)
{
    listen_sink *s = st;
    for (size_t i = 0; i < s->n; i++)
        s->clients[i]->revents = p && 1 + i < np ? p[1 + i].revents : 0;
    for (size_t i = s->n; i-- > 0;) {
        conn *c = s->clients[i];
        if ((c->revents & (POLLIN | POLLHUP | POLLERR)) && conn_gone(c)) {
            listen_drop(s, i, SML_LOG_INFO, "disconnected");
            continue;
        }
        if (conn_pending(c) && conn_flush(c, s->o.header, now) < 0)
            listen_drop(s, i, SML_LOG_INFO, "disconnected");
    }
    listen_accept(s, now);
}

static size_t listen_pending(void *st)
{
    listen_sink *s = st;
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += conn_pending(s->clients[i]);
    return n;
}

static void listen_counts(void *st, sml_replay_sink_counts *c)
{
    listen_sink *s = st;
    c->clients = s->n;
    c->clients_dropped = s->dropped_clients;
    c->dropped = 0;
}

const sml_replay_sink_kind sml_replay_sink_tcp_listen = {
    "tcp-listen://", listen_open,  listen_emit,    listen_room,   listen_pollfds, listen_service,
    no_deadline,     listen_pending, listen_counts, NULL,          listen_close};

/* ------------------------------------------------------------------ tcp://: one peer, reconnecting */

typedef struct group_end {
    uint64_t end; /* queue position just past the group */
    uint64_t n;   /* its records */
} group_end;

typedef struct tcp_sink {
    struct sockaddr_storage addr;
    unsigned addrlen;
    char *hostport;
    sml_replay_sink_opts o;
    conn c;            /* c.fd < 0: not connected */
    int connecting;
    int64_t next_try, backoff_ns;
    unsigned failures;
    /* queue positions count every byte ever queued or sent directly; groups not fully sent are listed so that a
     * broken connection loses whole groups, never half a record */
    uint64_t queued_end, sent, boundary;
    group_end *groups;
    size_t ghead, glen, gcap;
    uint64_t dropped;
    int dropping; /* logged "queue full" and not yet recovered */
} tcp_sink;

static void tcp_close_sink(void *st)
{
    tcp_sink *t = st;
    if (!t)
        return;
    conn_close(&t->c);
    free(t->groups);
    free(t->hostport);
    free(t);
}

static int tcp_open_sink(const char *location, const sml_replay_sink_opts *o, void **st, sml_error *err)
{
    tcp_sink *t = calloc(1, sizeof *t);
    if (!t || !(t->hostport = strdup(location))) {
        free(t);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    t->o = *o;
    t->c.fd = -1;
    t->backoff_ns = 100000000;
    int rc = sml_parse_hostport(location, &t->addr, &t->addrlen, err);
    if (rc) {
        tcp_close_sink(t);
        return rc;
    }
    *st = t;
    return 0;
}

/* Bytes of the queue left: sent moved on by k. Pops the groups fully sent. */
static void tcp_advance(tcp_sink *t, uint64_t k)
{
    t->sent += k;
    while (t->ghead < t->glen && t->groups[t->ghead].end <= t->sent)
        t->boundary = t->groups[t->ghead++].end;
    if (t->ghead == t->glen)
        t->ghead = t->glen = 0;
    if (t->sent == t->queued_end)
        t->boundary = t->sent;
}

static void tcp_lost(tcp_sink *t, const char *why)
{
    say(&t->o, SML_LOG_WARN, "tcp://%s: %s; reconnecting", t->hostport, why);
    int had_conn = t->c.fd >= 0;
    if (t->c.fd >= 0)
        close(t->c.fd);
    t->c.fd = -1;
    t->connecting = 0;
    t->c.hdr_left = 0;
    if (had_conn && t->sent > t->boundary && t->ghead < t->glen) {
        /* the rest of the group in flight: never half a record on the next connection */
        group_end g = t->groups[t->ghead];
        uint64_t rest = g.end - t->sent;
        t->c.head += (size_t)rest;
        t->dropped += g.n;
        tcp_advance(t, rest);
    }
    t->next_try = sml_replay_now_ns(); /* the first retry is at once, then with backoff */
}

static int tcp_push_group(tcp_sink *t, uint64_t n)
{
    if (t->glen == t->gcap) {
        if (t->ghead) {
            memmove(t->groups, t->groups + t->ghead, (t->glen - t->ghead) * sizeof *t->groups);
            t->glen -= t->ghead;
            t->ghead = 0;
        }
        if (t->glen == t->gcap) {
            size_t cap = t->gcap ? t->gcap * 2 : 256;
            group_end *g = realloc(t->groups, cap * sizeof *g);
            if (!g)
                return SML_ENOMEM;
            t->groups = g;
            t->gcap = cap;
        }
    }
    t->groups[t->glen++] = (group_end){t->queued_end, n};
    return 0;
}

static int tcp_emit(void *st, const char *buf, size_t len, uint64_t n, int64_t now, sml_error *err)
{
    tcp_sink *t = st;
    size_t hdr = t->c.need_header ? t->o.header->len : 0;
    if (t->c.len - t->c.head + t->c.hdr_left + hdr + len > t->o.max_queue) {
        if (!t->dropping)
            say(&t->o, SML_LOG_WARN, "tcp://%s: %s; dropping records until there is room (--client-buffer)",
                t->hostport, t->c.fd >= 0 && !t->connecting ? "the peer is too slow" : "not connected, queue full");
        t->dropping = 1;
        t->dropped += n;
        return 0;
    }
    t->dropping = 0;
    if (t->c.fd >= 0 && !t->connecting) {
        uint64_t before = t->queued_end;
        ssize_t k = conn_write(&t->c, t->o.header, buf, len, now);
        if (k == -2)
            return sml_fail(err, SML_ENOMEM, "out of memory for the tcp:// queue");
        if (k == -1) {
            /* older queued bytes may have left before the failure; this group goes whole to the next connection */
            tcp_advance(t, before - (t->c.len - t->c.head) - t->sent);
            tcp_lost(t, "the peer went away");
            if (conn_queue(&t->c, buf, len) != 0)
                return sml_fail(err, SML_ENOMEM, "out of memory for the tcp:// queue");
            t->queued_end += len;
            return tcp_push_group(t, n) ? sml_fail(err, SML_ENOMEM, "out of memory") : 0;
        }
        /* conn_write may also have flushed older queued bytes first: account for them, then this group */
        t->queued_end += len;
        if (tcp_push_group(t, n))
            return sml_fail(err, SML_ENOMEM, "out of memory");
        uint64_t queued_now = t->c.len - t->c.head;
        tcp_advance(t, t->queued_end - queued_now - t->sent);
        return 0;
    }
    if (conn_queue(&t->c, buf, len) != 0)
        return sml_fail(err, SML_ENOMEM, "out of memory for the tcp:// queue");
    t->queued_end += len;
    return tcp_push_group(t, n) ? sml_fail(err, SML_ENOMEM, "out of memory") : 0;
}

static int tcp_room(void *st, size_t len, int64_t now)
{
    tcp_sink *t = st;
    (void)now;
    size_t hdr = t->c.need_header ? t->o.header->len : 0;
    return t->c.len - t->c.head + t->c.hdr_left + hdr + len <= t->o.max_queue;
}

static size_t tcp_pollfds(void *st, struct pollfd *p, size_t cap)
{
    tcp_sink *t = st;
    if (t->c.fd < 0 || cap == 0)
        return 0;
    p[0] = (struct pollfd){t->c.fd, (short)(t->connecting ? POLLOUT : POLLIN | (conn_pending(&t->c) ? POLLOUT : 0)), 0};
    return 1;
}

static void tcp_retry_later(tcp_sink *t, int64_t now, int e)
{
    if (t->failures++ == 0 || t->backoff_ns >= 5000000000)
        say(&t->o, SML_LOG_WARN, "tcp://%s: cannot connect (%s); retrying", t->hostport, strerror(e));
    t->next_try = now + t->backoff_ns;
    t->backoff_ns = t->backoff_ns * 2 > 5000000000 ? 5000000000 : t->backoff_ns * 2;
}

static void tcp_try_connect(tcp_sink *t, int64_t now)
{
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == 0 || errno == EINPROGRESS)) {
        t->c.fd = fd;
        t->connecting = 1;
        return;
    }
    int e = errno;
    if (fd >= 0)
        close(fd);
    tcp_retry_later(t, now, e);
}

static void tcp_connected(tcp_sink *t, int64_t now)
{
    int one = 1;
    setsockopt(t->c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    t->connecting = 0;
    t->failures = 0;
    t->backoff_ns = 100000000;
    t->c.need_header = 1;
    t->c.hdr_left = 0;
    t->c.last_progress = now;
    peer_name(t->c.fd, t->c.peer, sizeof t->c.peer);
    say(&t->o, SML_LOG_INFO, "tcp://%s: connected", t->hostport);
}

static void tcp_service(void *st, const struct pollfd *p, size_t np, int64_t now)
{
    tcp_sink *t = st;
    short rev = p && np ? p[0].revents : 0;
    if (t->c.fd < 0) {
        if (now >= t->next_try)
            tcp_try_connect(t, now);
        if (t->c.fd < 0)
            return;
        rev = 0;
    }
    if (t->connecting) {
        if (!(rev & (POLLOUT | POLLERR | POLLHUP)))
            return;
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(t->c.fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
        if (e) {
            close(t->c.fd);
            t->c.fd = -1;
            t->connecting = 0;
            tcp_retry_later(t, now, e);
            return;
        }
        tcp_connected(t, now);
        rev = 0;
    }
    if ((rev & (POLLIN | POLLHUP | POLLERR)) && conn_gone(&t->c)) {
        tcp_lost(t, "the peer went away");
        return;
    }
    if (conn_pending(&t->c)) {
        size_t before = t->c.len - t->c.head;
        ssize_t k = conn_flush(&t->c, t->o.header, now);
        if (k < 0) {
            tcp_lost(t, "the peer went away");
            return;
        }
        tcp_advance(t, before - (t->c.len - t->c.head));
    }
}

static int64_t tcp_deadline(void *st)
{
    tcp_sink *t = st;
    return t->c.fd < 0 ? t->next_try : INT64_MAX;
}

static size_t tcp_pending(void *st)
{
    tcp_sink *t = st;
    return conn_pending(&t->c);
}

static void tcp_counts(void *st, sml_replay_sink_counts *c)
{
    tcp_sink *t = st;
    c->clients = t->c.fd >= 0 && !t->connecting;
    c->clients_dropped = 0;
    c->dropped = t->dropped;
}

const sml_replay_sink_kind sml_replay_sink_tcp = {"tcp://",     tcp_open_sink, tcp_emit,     tcp_room,
                                                  tcp_pollfds,  tcp_service,   tcp_deadline, tcp_pending,
                                                  tcp_counts,   NULL,          tcp_close_sink};
