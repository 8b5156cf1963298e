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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    struct timeval tv = {5, 0};
    r->c = redisConnectWithTimeout(host, port, tv);
    if (!r->c || r->c->err) {
        rc = sml_fail(err, SML_EIO, "redis://%s: cannot connect: %s", location, r->c ? r->c->errstr : "out of memory");
        redisFree(r->c);
        free(r->prefix);
        free(r);
        return rc;
    }
    redisSetTimeout(r->c, tv);
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
    redisReply *rep = redisCommand(r->c, "GET %s:current", r->prefix);
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
    if ((rc = exists_version(r, v, err)) != 0)
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

/* A version's bytes in pieces (STRLEN, then pipelined GETRANGEs of FETCH_PIECE bytes copied into the store's fetch
 * buffer): one GET of an 8 MB model grew hiredis' read buffer a megabyte at a time (each growth a copy of
 * everything so far) and then copied it into the reply, ~19 ms of CPU for a 2^20-weight model. The key is immutable
 * once written; a piece shorter than asked (a version removed meanwhile) fails the fetch. */
#define FETCH_PIECE ((size_t)256 << 10)
#define FETCH_MAX ((size_t)8 << 30)

static int redis_fetch(void *state, uint64_t version, sml_strbuf *into, char *source, size_t cap, sml_error *err)
{
    redis_store *r = state;
    snprintf(source, cap, "redis://%s version %" PRIu64, r->where, version);
    redisReply *rep = redisCommand(r->c, "STRLEN %s:v:%" PRIu64, r->prefix, version);
    if (!rep || rep->type != REDIS_REPLY_INTEGER)
        return reply_fail(r, rep, "STRLEN version", err);
    long long n = rep->integer;
    freeReplyObject(rep);
    if (n <= 0)
        return sml_fail(err, SML_ENOTFOUND, "model store redis://%s has no version %" PRIu64, r->where, version);
    if ((unsigned long long)n > FETCH_MAX)
        return sml_fail(err, SML_EFORMAT, "%s: %lld bytes (at most %zu)", source, n, FETCH_MAX);
    size_t total = (size_t)n, pieces = (total + FETCH_PIECE - 1) / FETCH_PIECE;
    if (sml_strbuf_grow(into, total))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    char *buf = into->buf;
    for (size_t i = 0; i < pieces; i++) {
        size_t from = i * FETCH_PIECE, to = from + FETCH_PIECE < total ? from + FETCH_PIECE : total;
        if (redisAppendCommand(r->c, "GETRANGE %s:v:%" PRIu64 " %llu %llu", r->prefix, version,
                               (unsigned long long)from, (unsigned long long)(to - 1)) !=
            REDIS_OK) {
            return sml_fail(err, SML_EIO, "redis://%s: GETRANGE: %s", r->where, r->c->errstr);
        }
    }
    int rc = 0;
    for (size_t i = 0; i < pieces; i++) { /* every reply is read, also after a failure: the connection stays in step */
        size_t from = i * FETCH_PIECE, want = (from + FETCH_PIECE < total ? FETCH_PIECE : total - from);
        void *v = NULL;
        if (redisGetReply(r->c, &v) != REDIS_OK) {
            rc = rc ? rc : reply_fail(r, NULL, "GETRANGE", err);
            break; /* the connection failed: no more replies come */
        }
        rep = v;
        if (rc == 0 && (rep->type != REDIS_REPLY_STRING || rep->len != want)) {
            if (rep->type == REDIS_REPLY_ERROR) {
                rc = reply_fail(r, rep, "GETRANGE", err);
                continue;
            }
            rc = sml_fail(err, SML_ENOTFOUND, "%s: removed while being read", source);
        }
        if (rc == 0)
            memcpy(buf + from, rep->str, want);
        freeReplyObject(rep);
    }
    if (rc == 0)
        into->len = total;
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
    return int_list(r, redisCommand(r->c, "ZRANGE %s:versions 0 -1", r->prefix), versions, n, "ZRANGE", err);
}

static int redis_remove(void *state, uint64_t version, sml_error *err)
{
    redis_store *r = state;
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
    return int_list(r, redisCommand(r->c, "SMEMBERS %s:pins", r->prefix), versions, n, "SMEMBERS", err);
}

static int redis_set_pins(void *state, const uint64_t *versions, size_t n, sml_error *err)
{
    redis_store *r = state;
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
        return 1; /* a dropped connection: let the caller re-read current */
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
