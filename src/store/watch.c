/*
 * Store watching (hot reload): the store kind's own notification (inotify on a directory store, SUBSCRIBE on a
 * Redis store) says that `current` may have changed; a periodic re-read of `current` covers a missed event, a
 * dropped connection or a filesystem without inotify. The watcher only says that the current version changed;
 * loading it is the caller's business (a corrupt version then fails to load and the caller keeps its model).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"

struct sml_store_watch {
    sml_store *store;
    const sml_store_kind *kind;
    char *location;  /* what the kind's watch_open takes */
    void *sub;       /* the kind's subscription, or NULL */
    int fd;
    int resubscribe; /* the subscription was lost (or never made): try again at each periodic check */
    int64_t check_ms;
    struct timespec last_check;
    /* reading current failed: the first failure is reported, then one a minute; the recovery becomes a note. While
     * it fails, the checks (each may wait for a connection's timeout) come less and less often, up to every 30 s */
    int failing;
    int64_t retry_ms;
    struct timespec fail_since, last_report;
    char note[256];
};

int sml_is_store_uri(const char *uri)
{
    struct stat st;
    if (strncmp(uri, "file:", 5) == 0)
        return 0;
    return strstr(uri, "://") || strncmp(uri, "dir:", 4) == 0 || (stat(uri, &st) == 0 && S_ISDIR(st.st_mode));
}

#define MAX_RETRY_MS ((int64_t)30000)

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void subscribe(sml_store_watch *w)
{
    if (w->kind->watch_open(w->location, &w->sub, &w->fd, NULL) != 0) {
        w->sub = NULL; /* no notifications: the periodic check alone until one can be made */
        w->fd = -1;
        w->resubscribe = 1;
        return;
    }
    w->resubscribe = 0;
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
    if (w->kind && w->kind->watch_open) {
        if (!(w->location = strdup(loc))) {
            sml_store_watch_free(w);
            return sml_fail(err, SML_ENOMEM, "out of memory");
        }
        subscribe(w);
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
    free(w->location);
    free(w);
}

int sml_store_watch_fd(const sml_store_watch *w) { return w->fd; }
sml_store *sml_store_watch_store(sml_store_watch *w) { return w->store; }

const char *sml_store_watch_note(sml_store_watch *w)
{
    if (!w->note[0])
        return NULL;
    return w->note;
}

int sml_store_watch_poll(sml_store_watch *w, uint64_t known, uint64_t *current, sml_error *err)
{
    w->note[0] = 0;
    int event = w->sub ? w->kind->watch_drain(w->sub) : 0;
    if (event < 0) { /* the subscription is gone (server restarted, connection dropped) */
        w->kind->watch_close(w->sub);
        w->sub = NULL;
        w->fd = -1;
        w->resubscribe = 1;
        event = 1; /* current is read now: a change may have come just before */
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!event && ms_between(&w->last_check, &now) < (double)(w->failing ? w->retry_ms : w->check_ms))
        return 0;
    w->last_check = now;
    int resubscribed = 0;
    if (w->resubscribe && !event) {
        subscribe(w);
        resubscribed = !w->resubscribe;
    }
    uint64_t v;
    sml_error e = SML_ERROR_INIT;
    int rc = sml_store_current(w->store, &v, &e);
    if (rc && rc != SML_ENOTFOUND) {
        w->retry_ms = w->failing ? w->retry_ms * 2 : w->check_ms * 2;
        if (w->retry_ms > MAX_RETRY_MS)
            w->retry_ms = MAX_RETRY_MS > w->check_ms ? MAX_RETRY_MS : w->check_ms;
        if (!w->failing) {
            w->failing = 1;
            w->fail_since = w->last_report = now;
            return sml_fail(err, rc, "%s (checking again in %.1f s, then less often)", e.msg, (double)w->retry_ms / 1e3);
        }
        if (ms_between(&w->last_report, &now) < 60e3)
            return 0; /* reported already: one line a minute while it lasts */
        w->last_report = now;
        return sml_fail(err, rc, "still failing after %.0f s: %s", ms_between(&w->fail_since, &now) / 1e3, e.msg);
    }
    if (w->failing) {
        w->failing = 0;
        snprintf(w->note, sizeof w->note, "the store answers again after %.1f s%s",
                 ms_between(&w->fail_since, &now) / 1e3, w->resubscribe ? " (notifications not yet back)" : "");
    } else if (resubscribed) {
        snprintf(w->note, sizeof w->note, "subscribed to the store's notifications again");
    }
    if (rc == SML_ENOTFOUND)
        return 0;
    *current = v;
    return v != known;
}
