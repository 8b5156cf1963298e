/*
 * Store watching (hot reload): the store kind's own notification (inotify on a directory store, SUBSCRIBE on a
 * Redis store) says that `current` may have changed; a periodic re-read of `current` covers a missed event, a
 * dropped connection or a filesystem without inotify. The watcher only says that the current version changed;
 * loading it is the caller's business (a corrupt version then fails to load and the caller keeps its model).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"

struct sml_store_watch {
    sml_store *store;
    const sml_store_kind *kind;
    void *sub; /* the kind's subscription, or NULL */
    int fd;
    int64_t check_ms;
    struct timespec last_check;
};

int sml_is_store_uri(const char *uri)
{
    struct stat st;
    if (strncmp(uri, "file:", 5) == 0)
        return 0;
    return strstr(uri, "://") || strncmp(uri, "dir:", 4) == 0 || (stat(uri, &st) == 0 && S_ISDIR(st.st_mode));
}

int sml_store_watch_new(const char *uri, int64_t check_ms, sml_store_watch **out, sml_error *err)
{
    sml_store_watch *w = calloc(1, sizeof *w);
    int rc;
    *out = NULL;
    if (!w)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    w->fd = -1;
    w->check_ms = check_ms > 0 ? check_ms : 1000;
    if ((rc = sml_store_open(uri, 0, &w->store, err)) != 0) {
        free(w);
        return rc;
    }
    const char *loc;
    w->kind = sml_store_kind_of(uri, &loc);
    if (w->kind && w->kind->watch_open && w->kind->watch_open(loc, &w->sub, &w->fd, NULL) != 0) {
        w->sub = NULL; /* no notifications: the periodic check alone */
        w->fd = -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &w->last_check);
    *out = w;
    return 0;
}

void sml_store_watch_free(sml_store_watch *w)
{
    if (!w)
        return;
    if (w->sub)
        w->kind->watch_close(w->sub);
    sml_store_close(w->store);
    free(w);
}

int sml_store_watch_fd(const sml_store_watch *w) { return w->fd; }
sml_store *sml_store_watch_store(sml_store_watch *w) { return w->store; }

int sml_store_watch_poll(sml_store_watch *w, uint64_t known, uint64_t *current, sml_error *err)
{
    int event = w->sub ? w->kind->watch_drain(w->sub) : 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t since = (int64_t)(now.tv_sec - w->last_check.tv_sec) * 1000 + (now.tv_nsec - w->last_check.tv_nsec) / 1000000;
    if (!event && since < w->check_ms)
        return 0;
    w->last_check = now;
    uint64_t v;
    int rc = sml_store_current(w->store, &v, err);
    if (rc == SML_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    *current = v;
    return v != known;
}
