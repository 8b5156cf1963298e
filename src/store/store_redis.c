/*
 * A model store in Redis (redis://host:port/prefix), through hiredis:
 *   PREFIX:seq            INCR claims version numbers (concurrent publishers never collide)
 *   PREFIX:v:N            the model file bytes of version N (immutable; SET NX)
 *   PREFIX:versions       a sorted set of the version numbers
 *   PREFIX:current        the current version, switched in MULTI/EXEC (only forward on publish, via WATCH)
 *   PREFIX:pins           a set of pinned versions
 *   PUBLISH PREFIX:events "current N" on every switch (watchers subscribe; a periodic check covers a missed one)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "store/store_int.h"
#include "streamml/num.h"

typedef struct redis_store {
    redisContext *c;
    char *prefix;
    char where[300]; /* host:port/prefix for messages */
} redis_store;

static int reply_fail(redis_store *r, redisReply *rep, const char *what, sml_error *err)
{
    int rc;
    if (!rep)
        rc = sml_fail(err, SML_EIO, "redis://%s: %s: %s", r->where, what, r->c->errstr[0] ? r->c->errstr : "no reply");
    else
        rc = sml_fail(err, SML_EIO, "redis://%s: %s: %s", r->where, what,
                      rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
    freeReplyObject(rep);
    return rc;
}

#define REDIS_TIMEOUT ((struct timeval){5, 0})       /* connecting at first, and every read or write */
#define REDIS_RECONNECT ((struct timeval){2, 0})     /* connecting again: a watcher waits for it in its stream */

/* A connection that failed (server restarted, network dropped) is made again before the next command; until the
 * server is back, each command fails with the reason. */
static int conn_ready(redis_store *r, sml_error *err)
{
    if (!r->c->err)
        return 0;
    if (r->c->timeout)
        *r->c->timeout = REDIS_RECONNECT;
    if (redisReconnect(r->c) != REDIS_OK || redisSetTimeout(r->c, REDIS_TIMEOUT) != REDIS_OK)
        return sml_fail(err, SML_EIO, "redis://%s: reconnecting: %s", r->where,
                        r->c->errstr[0] ? r->c->errstr : "failed");
    return 0;
}

/* A read-only command. The first use of a connection the server dropped while it was idle finds it broken: the
 * command is then sent once more on a new one. */
static redisReply *read_command(redis_store *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = redisvCommand(r->c, fmt, ap);
    va_end(ap);
    if (!rep && (r->c->err == REDIS_ERR_EOF || r->c->err == REDIS_ERR_IO) && conn_ready(r, NULL) == 0) {
        va_start(ap, fmt);
        rep = redisvCommand(r->c, fmt, ap);
        va_end(ap);
    }
    return rep;
}

int sml_redis_uri_parse(const char *location, char *host, size_t hostcap, int *port, const char **prefix,
                        sml_error *err)
{
    const char *slash = strchr(location, '/');
    const char *colon = strchr(location, ':');
    if (!colon || (slash && colon > slash) || (size_t)(colon - location) >= hostcap)
        return sml_fail(err, SML_EINVAL, "redis://%s: expected redis://host:port/prefix", location);
    memcpy(host, location, (size_t)(colon - location));
    host[colon - location] = 0;
    int64_t p;
    size_t plen = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);
    if (sml_parse_int64(colon + 1, plen, &p) != 0 || p <= 0 || p > 65535)
        return sml_fail(err, SML_EINVAL, "redis://%s: bad port", location);
    *port = (int)p;
    *prefix = slash && slash[1] ? slash + 1 : "streamml";
    return 0;
}

static int redis_open(const char *location, int create, void **state, sml_error *err)
{
    (void)create;
    /* location: "host:port/prefix" (the "redis://" is gone) */
    char host[256];
    int port;
    const char *prefix;
    int rc = sml_redis_uri_parse(location, host, sizeof host, &port, &prefix, err);
    if (rc)
        return rc;
    redis_store *r = calloc(1, sizeof *r);
    if (!r || !(r->prefix = strdup(prefix))) {
        free(r);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    snprintf(r->where, sizeof r->where, "%s", location);
    r->c = redisConnectWithTimeout(host, port, REDIS_TIMEOUT);
    if (!r->c || r->c->err) {
        rc = sml_fail(err, SML_EIO, "redis://%s: cannot connect: %s", location, r->c ? r->c->errstr : "out of memory");
        redisFree(r->c);
        free(r->prefix);
        free(r);
        return rc;
    }
    redisSetTimeout(r->c, REDIS_TIMEOUT);
    *state = r;
    return 0;
}

static void redis_close(void *state)
{
    redis_store *r = state;
    if (!r)
        return;
    redisFree(r->c);
    free(r->prefix);
    free(r);
}

static int redis_current(void *state, uint64_t *version, sml_error *err)
{
    redis_store *r = state;
    int rc = conn_ready(r, err);
    if (rc)
        return rc;
    redisReply *rep = read_command(r, "GET %s:current", r->prefix);
    if (!rep || rep->type == REDIS_REPLY_ERROR)
        return reply_fail(r, rep, "GET current", err);
    if (rep->type == REDIS_REPLY_NIL) {
        freeReplyObject(rep);
        return sml_fail(err, SML_ENOTFOUND, "model store redis://%s has no current version", r->where);
    }
    int64_t v = 0;
    int ok = rep->type == REDIS_REPLY_STRING && sml_parse_int64(rep->str, rep->len, &v) == 0 && v > 0;
    freeReplyObject(rep);
    if (!ok)
        return sml_fail(err, SML_EFORMAT, "redis://%s: %s:current is not a version number", r->where, r->prefix);
    *version = (uint64_t)v;
    return 0;
}

static int exists_version(redis_store *r, uint64_t v, sml_error *err)
{
    redisReply *rep = redisCommand(r->c, "EXISTS %s:v:%" PRIu64, r->prefix, v);
    if (!rep || rep->type != REDIS_REPLY_INTEGER)
        return reply_fail(r, rep, "EXISTS", err);
    int e = rep->integer > 0;
    freeReplyObject(rep);
    return e ? 0 : sml_fail(err, SML_ENOTFOUND, "model store redis://%s has no version %" PRIu64, r->where, v);
}

/* Sets current in MULTI/EXEC and announces it; with only_forward, WATCH keeps a newer current in place. */
static int set_current(redis_store *r, uint64_t v, int only_forward, sml_error *err)
{
    int rc;
    if ((rc = conn_ready(r, err)) != 0 || (rc = exists_version(r, v, err)) != 0)
        return rc;
    for (int attempt = 0; attempt < 100; attempt++) {
        redisReply *rep = redisCommand(r->c, "WATCH %s:current", r->prefix);
        if (!rep || rep->type == REDIS_REPLY_ERROR)
            return reply_fail(r, rep, "WATCH", err);
        freeReplyObject(rep);
        uint64_t cur;
        if (only_forward && redis_current(r, &cur, NULL) == 0 && cur > v) {
            freeReplyObject(redisCommand(r->c, "UNWATCH"));
            return 0;
        }
        /* one write and one round trip for the four: the switch happens at EXEC, as soon as possible */
        if (redisAppendCommand(r->c, "MULTI") != REDIS_OK ||
            redisAppendCommand(r->c, "SET %s:current %" PRIu64, r->prefix, v) != REDIS_OK ||
            redisAppendCommand(r->c, "PUBLISH %s:events current:%" PRIu64, r->prefix, v) != REDIS_OK ||
            redisAppendCommand(r->c, "EXEC") != REDIS_OK)
            return reply_fail(r, NULL, "MULTI", err);
        for (int i = 0; i < 3; i++) { /* +OK, +QUEUED, +QUEUED */
            void *q = NULL;
            if (redisGetReply(r->c, &q) != REDIS_OK)
                return reply_fail(r, NULL, "MULTI", err);
            freeReplyObject(q);
        }
        void *x = NULL;
        if (redisGetReply(r->c, &x) != REDIS_OK)
            return reply_fail(r, NULL, "EXEC", err);
        rep = x;
        if (!rep || rep->type == REDIS_REPLY_ERROR)
            return reply_fail(r, rep, "EXEC", err);
        int done = rep->type == REDIS_REPLY_ARRAY; /* nil: current changed under us, look again */
        freeReplyObject(rep);
        if (done)
            return 0;
    }
    return sml_fail(err, SML_EIO, "redis://%s: could not switch current (too much contention)", r->where);
}

static int redis_set_current(void *state, uint64_t version, sml_error *err)
{
    return set_current(state, version, 0, err);
}

static int redis_publish(void *state, const void *data, size_t len, int make_current, uint64_t *version, sml_error *err)
{
    redis_store *r = state;
    int rc = conn_ready(r, err);
    if (rc)
        return rc;
    redisReply *rep = redisCommand(r->c, "INCR %s:seq", r->prefix);
    if (!rep || rep->type != REDIS_REPLY_INTEGER)
        return reply_fail(r, rep, "INCR", err);
    uint64_t v = (uint64_t)rep->integer;
    freeReplyObject(rep);
    rep = redisCommand(r->c, "SET %s:v:%" PRIu64 " %b NX", r->prefix, v, data, len);
    if (!rep || rep->type == REDIS_REPLY_ERROR || rep->type == REDIS_REPLY_NIL)
        return reply_fail(r, rep, "SET version", err);
    freeReplyObject(rep);
    rep = redisCommand(r->c, "ZADD %s:versions %" PRIu64 " %" PRIu64, r->prefix, v, v);
    if (!rep || rep->type == REDIS_REPLY_ERROR)
        return reply_fail(r, rep, "ZADD", err);
    freeReplyObject(rep);
    *version = v;
    return make_current ? set_current(r, v, 1, err) : 0;
}

/* Reading a version straight from the connection's socket. hiredis reads 16 KB per read() into its own buffer and
 * copies each reply once more into a reply object (and the caller once more into the fetch buffer): for an 8 MB
 * model that was three passes over the bytes and 512 reads. Here each GETRANGE payload is read by the kernel into
 * its place in the fetch buffer; only the reply headers (and what a read brings of the next payload) pass through
 * a small buffer. A failure leaves the connection out of step, so it is marked failed (the next command reconnects). */
typedef struct sock_in {
    redis_store *r;
    char buf[16384];
    size_t at, len; /* unread bytes: buf[at, len) */
} sock_in;

/* The connection is out of step (a reply half read, commands half sent): hiredis refuses it from now on, and the
 * next command of this store makes a new one. */
static int conn_broken(redis_store *r, int what, const char *why, sml_error *err)
{
    if (!r->c->err) {
        r->c->err = what;
        snprintf(r->c->errstr, sizeof r->c->errstr, "%s", why);
    }
    return sml_fail(err, SML_EIO, "redis://%s: GETRANGE: %s", r->where, why);
}

/* One read() into dst (at most cap bytes); > 0 on progress. */
static ssize_t sock_read(sock_in *in, char *dst, size_t cap, sml_error *err)
{
    for (;;) {
        ssize_t n = read(in->r->c->fd, dst, cap);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return conn_broken(in->r, REDIS_ERR_EOF, "Server closed the connection", err);
        return conn_broken(in->r, REDIS_ERR_IO, errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno),
                         err);
    }
}

/* The next reply line (without its CRLF, NUL-terminated in place). */
static int sock_line(sock_in *in, char **line, sml_error *err)
{
    for (;;) {
        char *nl = in->len > in->at ? memchr(in->buf + in->at, '\n', in->len - in->at) : NULL;
        if (nl && nl > in->buf + in->at && nl[-1] == '\r') {
            nl[-1] = 0;
            *line = in->buf + in->at;
            in->at = (size_t)(nl - in->buf) + 1;
            return 0;
        }
        if (nl)
            return conn_broken(in->r, REDIS_ERR_PROTOCOL, "protocol error: a line without CR", err);
        if (in->at > 0) { /* keep the partial line at the start */
            memmove(in->buf, in->buf + in->at, in->len - in->at);
            in->len -= in->at;
            in->at = 0;
        }
        if (in->len == sizeof in->buf)
            return conn_broken(in->r, REDIS_ERR_PROTOCOL, "protocol error: reply line too long", err);
        ssize_t n = sock_read(in, in->buf + in->len, sizeof in->buf - in->len, err);
        if (n < 0)
            return (int)n;
        in->len += (size_t)n;
    }
}

/* n bytes into dst (NULL: skipped): what the small buffer holds first, the rest read straight into dst. */
static int sock_bytes(sock_in *in, char *dst, size_t n, sml_error *err)
{
    char scratch[4096];
    size_t have = in->len - in->at, take = have < n ? have : n;
    if (dst)
        memcpy(dst, in->buf + in->at, take);
    in->at += take;
    for (size_t got = take; got < n;) {
        size_t want = n - got;
        if (!dst && want > sizeof scratch)
            want = sizeof scratch;
        ssize_t k = sock_read(in, dst ? dst + got : scratch, want, err);
        if (k < 0)
            return (int)k;
        got += (size_t)k;
    }
    return 0;
}

/* A version's bytes in pieces: STRLEN, then pipelined GETRANGEs of FETCH_PIECE bytes whose payloads land in the
 * fetch buffer. One GET of the whole value was slower: redis-server sends one large reply more slowly than
 * pipelined pieces. The key is immutable once written; a piece shorter than asked (a version removed meanwhile)
 * fails the fetch. */
#define FETCH_PIECE ((size_t)256 << 10)
#define FETCH_MAX ((size_t)8 << 30)

static int fetch_pieces(redis_store *r, uint64_t version, char *buf, size_t total, size_t piece, const char *source,
                        sml_error *err)
{
    size_t pieces = (total + piece - 1) / piece;
    for (size_t i = 0; i < pieces; i++) {
        size_t from = i * piece, to = from + piece < total ? from + piece : total;
        if (redisAppendCommand(r->c, "GETRANGE %s:v:%" PRIu64 " %llu %llu", r->prefix, version,
                               (unsigned long long)from, (unsigned long long)(to - 1)) != REDIS_OK)
            return conn_broken(r, REDIS_ERR_OOM, "out of memory", err); /* some may be queued: not in step */
    }
    for (int done = 0; !done;)
        if (redisBufferWrite(r->c, &done) != REDIS_OK) /* hiredis marked the connection failed */
            return sml_fail(err, SML_EIO, "redis://%s: GETRANGE: %s", r->where, r->c->errstr);
    sock_in *in = malloc(sizeof *in);
    if (!in)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    in->r = r;
    in->at = in->len = 0;
    redisReader *rd = r->c->reader; /* bytes hiredis has read but not parsed (none in request/reply use) */
    if (rd->len > rd->pos) {
        if (rd->len - rd->pos > sizeof in->buf) {
            free(in);
            return conn_broken(r, REDIS_ERR_PROTOCOL, "protocol error: unexpected data before the replies", err);
        }
        in->len = rd->len - rd->pos;
        memcpy(in->buf, rd->buf + rd->pos, in->len);
        rd->pos = rd->len;
    }
    int rc = 0; /* a refusal (error reply, short piece) keeps reading the rest; a broken connection stops */
    for (size_t i = 0; i < pieces; i++) {
        size_t from = i * piece, want = (from + piece < total ? piece : total - from);
        char *line = NULL, *end = NULL, crlf[2];
        int io = sock_line(in, &line, err);
        if (io) {
            rc = io;
            break;
        }
        if (line[0] == '-') {
            rc = rc ? rc : sml_fail(err, SML_EIO, "redis://%s: GETRANGE: %s", r->where, line + 1);
            continue;
        }
        errno = 0;
        long long n = line[0] == '$' ? strtoll(line + 1, &end, 10) : -1;
        if (n < 0 || errno || !end || *end) {
            rc = conn_broken(in->r, REDIS_ERR_PROTOCOL, "protocol error: unexpected reply", err);
            break;
        }
        int keep = rc == 0 && (size_t)n == want;
        if (!keep && rc == 0)
            rc = sml_fail(err, SML_ENOTFOUND, "%s: removed while being read", source);
        if ((io = sock_bytes(in, keep ? buf + from : NULL, (size_t)n, err)) == 0 &&
            (io = sock_bytes(in, crlf, 2, err)) == 0 && memcmp(crlf, "\r\n", 2) != 0)
            io = conn_broken(r, REDIS_ERR_PROTOCOL, "protocol error: no CRLF after a value", err);
        if (io) {
            rc = io;
            break;
        }
    }
    free(in);
    return rc;
}

static int redis_fetch(void *state, uint64_t version, sml_strbuf *into, char *source, size_t cap, sml_error *err)
{
    redis_store *r = state;
    int rc;
    snprintf(source, cap, "redis://%s version %" PRIu64, r->where, version);
    if ((rc = conn_ready(r, err)) != 0)
        return rc;
    redisReply *rep = read_command(r, "STRLEN %s:v:%" PRIu64, r->prefix, version);
    if (!rep || rep->type != REDIS_REPLY_INTEGER)
        return reply_fail(r, rep, "STRLEN version", err);
    long long n = rep->integer;
    freeReplyObject(rep);
    if (n <= 0)
        return sml_fail(err, SML_ENOTFOUND, "model store redis://%s has no version %" PRIu64, r->where, version);
    if ((unsigned long long)n > FETCH_MAX)
        return sml_fail(err, SML_EFORMAT, "%s: %lld bytes (at most %zu)", source, n, FETCH_MAX);
    if (sml_strbuf_grow(into, (size_t)n))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    if ((rc = fetch_pieces(r, version, into->buf, (size_t)n, FETCH_PIECE, source, err)) == 0)
        into->len = (size_t)n;
    return rc;
}

int sml_redis_fetch_fd(int fd, size_t total, size_t piece, sml_strbuf *into, sml_error *err)
{
    char prefix[] = "fuzz";
    redis_store r = {redisConnectFd(fd), prefix, "a connection given by fd"};
    if (!r.c)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    int rc = total && piece ? 0 : sml_fail(err, SML_EINVAL, "nothing to read");
    if (!rc && sml_strbuf_grow(into, total))
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
    if (!rc && (rc = fetch_pieces(&r, 1, into->buf, total, piece, "fuzz", err)) == 0)
        into->len = total;
    redisFree(r.c);
    return rc;
}

static int int_list(redis_store *r, redisReply *rep, uint64_t **out, size_t *n, const char *what, sml_error *err)
{
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        return reply_fail(r, rep, what, err);
    uint64_t *v = malloc((rep->elements ? rep->elements : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < rep->elements; i++) {
        int64_t x;
        if (rep->element[i]->type == REDIS_REPLY_STRING &&
            sml_parse_int64(rep->element[i]->str, rep->element[i]->len, &x) == 0 && x > 0)
            v[k++] = (uint64_t)x;
    }
    freeReplyObject(rep);
    if (!v)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    *out = v;
    *n = k;
    return 0;
}

static int redis_list(void *state, uint64_t **versions, size_t *n, sml_error *err)
{
    redis_store *r = state;
    int rc = conn_ready(r, err);
    if (rc)
        return rc;
    return int_list(r, redisCommand(r->c, "ZRANGE %s:versions 0 -1", r->prefix), versions, n, "ZRANGE", err);
}

static int redis_remove(void *state, uint64_t version, sml_error *err)
{
    redis_store *r = state;
    int rc = conn_ready(r, err);
    if (rc)
        return rc;
    redisReply *rep = redisCommand(r->c, "DEL %s:v:%" PRIu64, r->prefix, version);
    if (!rep || rep->type != REDIS_REPLY_INTEGER)
        return reply_fail(r, rep, "DEL", err);
    freeReplyObject(rep);
    rep = redisCommand(r->c, "ZREM %s:versions %" PRIu64, r->prefix, version);
    freeReplyObject(rep);
    return 0;
}

static int redis_pins(void *state, uint64_t **versions, size_t *n, sml_error *err)
{
    redis_store *r = state;
    int rc = conn_ready(r, err);
    if (rc)
        return rc;
    return int_list(r, redisCommand(r->c, "SMEMBERS %s:pins", r->prefix), versions, n, "SMEMBERS", err);
}

static int redis_set_pins(void *state, const uint64_t *versions, size_t n, sml_error *err)
{
    redis_store *r = state;
    int rc = conn_ready(r, err);
    if (rc)
        return rc;
    freeReplyObject(redisCommand(r->c, "MULTI"));
    freeReplyObject(redisCommand(r->c, "DEL %s:pins", r->prefix));
    for (size_t i = 0; i < n; i++)
        freeReplyObject(redisCommand(r->c, "SADD %s:pins %" PRIu64, r->prefix, versions[i]));
    redisReply *rep = redisCommand(r->c, "EXEC");
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        return reply_fail(r, rep, "EXEC", err);
    freeReplyObject(rep);
    return 0;
}

/* Change notifications: a second connection SUBSCRIBEd to PREFIX:events, read without blocking. */
static int redis_watch_open(const char *location, void **w, int *fd, sml_error *err)
{
    redis_store *r;
    int rc = redis_open(location, 0, (void **)&r, err);
    if (rc)
        return rc;
    redisReply *rep = redisCommand(r->c, "SUBSCRIBE %s:events", r->prefix);
    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        rc = reply_fail(r, rep, "SUBSCRIBE", err);
        redis_close(r);
        return rc;
    }
    freeReplyObject(rep);
    /* from now on only read, without blocking */
    fcntl(r->c->fd, F_SETFL, fcntl(r->c->fd, F_GETFL) | O_NONBLOCK);
    r->c->flags &= ~REDIS_BLOCK;
    *w = r;
    *fd = r->c->fd;
    return 0;
}

static int redis_watch_drain(void *w)
{
    redis_store *r = w;
    int event = 0;
    if (redisBufferRead(r->c) != REDIS_OK) /* nonblocking: nothing there is not an error */
        return -1;                          /* the server closed the connection or it failed */
    for (;;) {
        void *reply = NULL;
        if (redisGetReplyFromReader(r->c, &reply) != REDIS_OK || !reply)
            break;
        event = 1;
        freeReplyObject(reply);
    }
    return event;
}

static void redis_watch_close(void *w) { redis_close(w); }

const sml_store_kind sml_store_redis = {"redis",           redis_open,        redis_close,        redis_publish,
                                        redis_current,     redis_set_current, redis_fetch,
                                        redis_list,        redis_remove,      redis_pins,         redis_set_pins,
                                        redis_watch_open,  redis_watch_drain, redis_watch_close};
