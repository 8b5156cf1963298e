/*
 * Store watching (hot reload): inotify on a directory store's folder reports the rename that switches `current`;
 * a periodic re-read of `current` covers a missed event (or a filesystem without inotify). The watcher only says
 * that the current version changed; loading it is the caller's business (a corrupt version then fails to load and
 * the caller keeps the model it has).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "streamml/store.h"

struct sml_store_watch {
    sml_store *store;
    int fd;           /* inotify, or -1 */
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
    const char *dir = strncmp(uri, "dir:", 4) == 0 ? uri + 4 : uri;
    if (!strstr(uri, "://")) {
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->fd >= 0 && inotify_add_watch(w->fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
            close(w->fd);
            w->fd = -1; /* the periodic check still works */
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &w->last_check);
    *out = w;
    return 0;
}

void sml_store_watch_free(sml_store_watch *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    sml_store_close(w->store);
    free(w);
}

int sml_store_watch_fd(const sml_store_watch *w) { return w->fd; }
sml_store *sml_store_watch_store(sml_store_watch *w) { return w->store; }

int sml_store_watch_poll(sml_store_watch *w, uint64_t known, uint64_t *current, sml_error *err)
{
    int event = 0;
    if (w->fd >= 0) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;
        while ((n = read(w->fd, buf, sizeof buf)) > 0)
            for (char *p = buf; p < buf + n;) {
                const struct inotify_event *ev = (const struct inotify_event *)p;
                if (ev->len && strcmp(ev->name, "current") == 0)
                    event = 1;
                p += sizeof *ev + ev->len;
            }
    }
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
