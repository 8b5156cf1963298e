/* Internal: the store interface every kind of store implements (one file each, one table of functions). */
#ifndef SML_STORE_INT_H
#define SML_STORE_INT_H
#include "common/strbuf.h"
#include "streamml/store.h"

typedef struct sml_store_kind {
    const char *scheme; /* "dir" */
    int (*open)(const char *location, int create, void **state, sml_error *err);
    void (*close)(void *state);
    int (*publish)(void *state, const void *data, size_t len, int make_current, uint64_t *version, sml_error *err);
    int (*current)(void *state, uint64_t *version, sml_error *err);
    int (*set_current)(void *state, uint64_t version, sml_error *err);
    /* A version's bytes into `into` (emptied first, its capacity reused: the store handle keeps one buffer across
     * loads, so a hot swap of a large model writes into pages already mapped instead of faulting in fresh ones). */
    int (*fetch)(void *state, uint64_t version, sml_strbuf *into, char *source, size_t source_cap, sml_error *err);
    int (*list)(void *state, uint64_t **versions, size_t *n, sml_error *err);
    int (*remove)(void *state, uint64_t version, sml_error *err);
    /* Pinned versions (never garbage-collected): read all, or replace the set. */
    int (*pins)(void *state, uint64_t **versions, size_t *n, sml_error *err);
    int (*set_pins)(void *state, const uint64_t *versions, size_t n, sml_error *err);
    /* Change notifications (optional): open a subscription for `location` with a pollable fd; drain says whether a
     * change of current was announced since the last call (1), not (0), or that the subscription is lost (-1: the
     * watch closes it and opens a new one at its periodic check). */
    int (*watch_open)(const char *location, void **w, int *fd, sml_error *err);
    int (*watch_drain)(void *w);
    void (*watch_close)(void *w);
} sml_store_kind;

extern const sml_store_kind sml_store_redis;
/* Splits a redis store location "host:port[/prefix]" (after "redis://"): host into host[hostcap], the port
 * (1..65535), the key prefix (points into location, or "streamml"). Returns 0 or SML_EINVAL naming the URI. */
int sml_redis_uri_parse(const char *location, char *host, size_t hostcap, int *port, const char **prefix,
                        sml_error *err);
/* For the fuzz target: version 1's `total` bytes read as a fetch reads them (pipelined GETRANGEs of `piece` bytes,
 * each reply's payload straight into `into`) from a connection on fd, which is closed. Returns 0 with into->len ==
 * total, or an error naming the reason. */
int sml_redis_fetch_fd(int fd, size_t total, size_t piece, sml_strbuf *into, sml_error *err);
/* The kind a URI names and the location after its scheme ("dir:PATH" -> PATH, "redis://h:p/x" -> "h:p/x"). */
const sml_store_kind *sml_store_kind_of(const char *uri, const char **location);

extern const sml_store_kind sml_store_dir;
#endif
