/*
 * streamml: the model store. Versions are immutable, numbered by monotonically increasing integers assigned
 * atomically (two concurrent publishers never get the same number), and one of them is `current`, switched
 * atomically. A directory store keeps DIR/v<version>.smlm files and a DIR/current file; a Redis store (later)
 * keeps the same under a key prefix. Each kind of store is a table of functions behind this interface.
 *
 * An sml_store handle is used by one thread at a time; several processes may use one store concurrently.
 */
#ifndef STREAMML_STORE_H
#define STREAMML_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sml_store sml_store;

/* Opens a store: "dir:PATH" or a plain directory path. create: make the directory if it does not exist.
 * Errors: SML_ENOTFOUND (no such store and !create), SML_EIO (not a directory, permissions). */
SML_API int sml_store_open(const char *uri, int create, sml_store **out, sml_error *err);
SML_API void sml_store_close(sml_store *s);

/* Publishes m as a new version and (if make_current) makes it current. *version gets its number. */
SML_API int sml_store_publish(sml_store *s, const sml_model *m, int make_current, uint64_t *version, sml_error *err);
/* The current version (SML_ENOTFOUND when there is none). */
SML_API int sml_store_current(sml_store *s, uint64_t *version, sml_error *err);
SML_API int sml_store_set_current(sml_store *s, uint64_t version, sml_error *err);
/* Loads a version (0 = current). The model's version is set. */
SML_API int sml_store_load(sml_store *s, uint64_t version, sml_model **out, sml_error *err);
/* Every version, ascending (caller frees *versions). */
SML_API int sml_store_list(sml_store *s, uint64_t **versions, size_t *n, sml_error *err);

/* Removes a version (never the current one: SML_ESTATE). */
SML_API int sml_store_remove(sml_store *s, uint64_t version, sml_error *err);
/* Pinned versions (a base model in use elsewhere): gc never removes them. */
SML_API int sml_store_pins(sml_store *s, uint64_t **versions, size_t *n, sml_error *err);
SML_API int sml_store_pin(sml_store *s, uint64_t version, int pinned, sml_error *err);
/* Removes old versions, keeping the newest `keep`, the current one and any newer, the version before it (the
 * rollback target) and pinned ones. *removed (optional) gets the count. */
SML_API int sml_store_gc(sml_store *s, size_t keep, size_t *removed, sml_error *err);

/* Watching a store for a new `current` (hot reload). A directory store is watched with inotify, a Redis store with
 * SUBSCRIBE, each with a periodic check (check_ms) as a fallback for a missed event or a lost connection. The
 * watch is used by one thread. */
typedef struct sml_store_watch sml_store_watch;
SML_API int sml_store_watch_new(const char *uri, int64_t check_ms, sml_store_watch **out, sml_error *err);
SML_API void sml_store_watch_free(sml_store_watch *w);
/* Never blocks. Returns 1 and the current version when it differs from `known`, 0 when it does not, < 0 on error.
 * A store that cannot be reached (a Redis server restarting) is tried again at the periodic checks, its connection
 * and subscription made anew; while it fails, the checks come at twice the interval each time, up to every 30 s (a
 * check may wait for a connection's timeout), the first error is returned, then one a minute ("still failing after
 * N s: ..."), and 0 otherwise. */
SML_API int sml_store_watch_poll(sml_store_watch *w, uint64_t known, uint64_t *current, sml_error *err);
/* What the last poll noticed about the watch itself and that is worth a log line (the store answering again after
 * failures), or NULL. Valid until the next poll. */
SML_API const char *sml_store_watch_note(sml_store_watch *w);
/* A file descriptor that becomes readable when the store may have changed (-1 if none): for poll() loops. */
SML_API int sml_store_watch_fd(const sml_store_watch *w);
/* The store being watched (to load the new version). */
SML_API sml_store *sml_store_watch_store(sml_store_watch *w);

/* 1 when uri names a store (a directory, dir:, a store URL) rather than a model file. */
SML_API int sml_is_store_uri(const char *uri);

/* Loads a model from "STORE" (a directory store: its current version) or a model file. */
SML_API int sml_model_load(const char *uri, sml_model **out, sml_error *err);

#ifdef __cplusplus
}
#endif
#endif
