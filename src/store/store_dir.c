/*
 * A model store in a directory:
 *   DIR/v00000001.smlm   immutable versions (written to a temp file, fsynced, then hard-linked to their final name:
 *                        link() fails if the name exists, so concurrent publishers never collide)
 *   DIR/current          the current version number, replaced atomically (temp file, fsync, rename) under flock,
 *                        so a publish never moves it backwards past a newer concurrent publish
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "store/store_int.h"
#include "streamml/num.h"

#define MAX_MODEL_BYTES ((size_t)8 << 30)

typedef struct dir_store {
    char *path;
} dir_store;


static int dir_open(const char *location, int create, void **state, sml_error *err)
{
    struct stat st;
    if (stat(location, &st) != 0) {
        if (errno != ENOENT || !create)
            return sml_fail(err, errno == ENOENT ? SML_ENOTFOUND : SML_EIO, "model store %s: %s", location,
                            errno == ENOENT ? "no such directory" : strerror(errno));
        if (sml_mkdir_p(location) != 0)
            return sml_fail(err, SML_EIO, "model store %s: cannot create: %s", location, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return sml_fail(err, SML_EIO, "model store %s: not a directory", location);
    }
    dir_store *d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(location))) {
        free(d);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    *state = d;
    return 0;
}

static void dir_close(void *state)
{
    dir_store *d = state;
    if (d) {
        free(d->path);
        free(d);
    }
}

static void version_path(const dir_store *d, uint64_t v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/v%08" PRIu64 ".smlm", d->path, v);
}

static int parse_version_name(const char *name, uint64_t *v)
{
    size_t n = strlen(name);
    int64_t x;
    if (n < 7 || name[0] != 'v' || strcmp(name + n - 5, ".smlm") != 0)
        return -1;
    for (size_t i = 1; i < n - 5; i++)
        if (name[i] < '0' || name[i] > '9')
            return -1;
    if (sml_parse_int64(name + 1, n - 6, &x) != 0 || x <= 0)
        return -1;
    *v = (uint64_t)x;
    return 0;
}

static int dir_list(void *state, uint64_t **versions, size_t *n, sml_error *err)
{
    dir_store *d = state;
    DIR *dh = opendir(d->path);
    size_t cap = 16, k = 0;
    uint64_t *v = malloc(cap * sizeof *v);
    *versions = NULL;
    *n = 0;
    if (!dh || !v) {
        int e = errno;
        if (dh)
            closedir(dh);
        free(v);
        return sml_fail(err, v ? SML_EIO : SML_ENOMEM, "model store %s: cannot list: %s", d->path, strerror(e));
    }
    struct dirent *de;
    while ((de = readdir(dh))) {
        uint64_t x;
        if (parse_version_name(de->d_name, &x) != 0)
            continue;
        if (k == cap) {
            uint64_t *nv = realloc(v, 2 * cap * sizeof *nv);
            if (!nv) {
                closedir(dh);
                free(v);
                return sml_fail(err, SML_ENOMEM, "out of memory");
            }
            v = nv;
            cap *= 2;
        }
        v[k++] = x;
    }
    closedir(dh);
    for (size_t i = 1; i < k; i++) /* insertion sort: stores hold few versions */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *versions = v;
    *n = k;
    return 0;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int read_current(dir_store *d, uint64_t *version, sml_error *err)
{
    char path[4200];
    sml_strbuf sb = SML_STRBUF_INIT;
    snprintf(path, sizeof path, "%s/current", d->path);
    int rc = sml_strbuf_read_file(&sb, path, 64, NULL);
    if (rc == SML_ENOTFOUND) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOTFOUND, "model store %s has no current version (publish one with `streamml fit`)",
                        d->path);
    }
    int64_t v = 0;
    size_t len = sb.len;
    while (len && (sb.buf[len - 1] == '\n' || sb.buf[len - 1] == ' '))
        len--;
    if (rc || sml_parse_int64(sb.buf ? sb.buf : "", len, &v) != 0 || v <= 0) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_EFORMAT, "%s: unreadable or corrupt", path);
    }
    sml_strbuf_release(&sb);
    *version = (uint64_t)v;
    return 0;
}

static int dir_current(void *state, uint64_t *version, sml_error *err) { return read_current(state, version, err); }

/* Writes `current` under the store lock. only_forward: leave a newer current in place. */
static int write_current(dir_store *d, uint64_t version, int only_forward, sml_error *err)
{
    char lock[4200], path[4200], vpath[4200], text[32];
    struct stat st;
    int rc = 0;
    version_path(d, version, vpath, sizeof vpath);
    if (stat(vpath, &st) != 0)
        return sml_fail(err, SML_ENOTFOUND, "model store %s has no version %" PRIu64, d->path, version);
    snprintf(lock, sizeof lock, "%s/.lock", d->path);
    snprintf(path, sizeof path, "%s/current", d->path);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return sml_fail(err, SML_EIO, "%s: cannot open: %s", lock, strerror(errno));
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    uint64_t cur;
    if (only_forward && read_current(d, &cur, NULL) == 0 && cur > version)
        goto out;
    int n = snprintf(text, sizeof text, "%" PRIu64 "\n", version);
    if ((rc = sml_write_file_atomic(path, text, (size_t)n, err)) == 0 && fsync_dir(d->path) != 0)
        rc = sml_fail(err, SML_EIO, "%s: fsync failed: %s", d->path, strerror(errno));
out:
    flock(fd, LOCK_UN);
    close(fd);
    return rc;
}

static int dir_set_current(void *state, uint64_t version, sml_error *err) { return write_current(state, version, 0, err); }

static int dir_publish(void *state, const void *data, size_t len, int make_current, uint64_t *version, sml_error *err)
{
    dir_store *d = state;
    char tmp[4200], final[4200];
    int rc = 0;
    /* one name per publishing thread (process and thread id): concurrent publishers never share it */
    snprintf(tmp, sizeof tmp, "%s/.publish-%ld-%ld", d->path, (long)getpid(), (long)syscall(SYS_gettid));
    if ((rc = sml_write_file_atomic(tmp, data, len, err)) != 0)
        return sml_error_prefix(err, "model store %s", d->path);
    for (int attempt = 0; attempt < 1000; attempt++) {
        uint64_t *vs;
        size_t n;
        if ((rc = dir_list(d, &vs, &n, err)) != 0)
            goto out;
        uint64_t v = n ? vs[n - 1] + 1 : 1;
        free(vs);
        version_path(d, v, final, sizeof final);
        if (link(tmp, final) == 0) {
            *version = v;
            if (fsync_dir(d->path) != 0) {
                rc = sml_fail(err, SML_EIO, "%s: fsync failed: %s", d->path, strerror(errno));
                goto out;
            }
            if (make_current)
                rc = write_current(d, v, 1, err);
            goto out;
        }
        if (errno != EEXIST) {
            rc = sml_fail(err, SML_EIO, "model store %s: cannot publish: %s", d->path, strerror(errno));
            goto out;
        }
        /* another publisher took v first: look again */
    }
    rc = sml_fail(err, SML_EIO, "model store %s: could not claim a version number", d->path);
out:
    unlink(tmp);
    return rc;
}

static int dir_fetch(void *state, uint64_t version, sml_strbuf *into, char *source, size_t source_cap,
                     sml_error *err)
{
    dir_store *d = state;
    version_path(d, version, source, source_cap);
    int rc = sml_strbuf_read_file(into, source, MAX_MODEL_BYTES, err);
    if (rc == SML_ENOTFOUND)
        return sml_fail(err, rc, "model store %s has no version %" PRIu64, d->path, version);
    return rc;
}

static int dir_remove(void *state, uint64_t version, sml_error *err)
{
    dir_store *d = state;
    char path[4200];
    version_path(d, version, path, sizeof path);
    if (unlink(path) != 0)
        return sml_fail(err, errno == ENOENT ? SML_ENOTFOUND : SML_EIO, "%s: cannot remove: %s", path, strerror(errno));
    fsync_dir(d->path);
    return 0;
}

static int dir_pins(void *state, uint64_t **versions, size_t *n, sml_error *err)
{
    dir_store *d = state;
    char path[4200];
    sml_strbuf sb = SML_STRBUF_INIT;
    snprintf(path, sizeof path, "%s/pins", d->path);
    *versions = NULL;
    *n = 0;
    int rc = sml_strbuf_read_file(&sb, path, 1 << 20, err);
    if (rc == SML_ENOTFOUND) {
        sml_strbuf_release(&sb);
        return 0;
    }
    if (rc) {
        sml_strbuf_release(&sb);
        return rc;
    }
    size_t cap = 1;
    for (size_t i = 0; i < sb.len; i++)
        cap += sb.buf[i] == '\n';
    uint64_t *v = malloc(cap * sizeof *v);
    if (!v) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    size_t k = 0;
    for (char *p = sb.buf; p && *p;) {
        char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int64_t x;
        if (len && sml_parse_int64(p, len, &x) == 0 && x > 0)
            v[k++] = (uint64_t)x;
        p = e ? e + 1 : NULL;
    }
    sml_strbuf_release(&sb);
    *versions = v;
    *n = k;
    return 0;
}

static int dir_set_pins(void *state, const uint64_t *versions, size_t n, sml_error *err)
{
    dir_store *d = state;
    char path[4200];
    sml_strbuf sb = SML_STRBUF_INIT;
    snprintf(path, sizeof path, "%s/pins", d->path);
    for (size_t i = 0; i < n; i++)
        sml_strbuf_addf(&sb, "%" PRIu64 "\n", versions[i]);
    int rc = sml_write_file_atomic(path, sb.buf ? sb.buf : "", sb.len, err);
    sml_strbuf_release(&sb);
    return rc;
}

/* Change notifications: inotify reports the rename that switches `current`. */
typedef struct dir_watch {
    int fd;
} dir_watch;

static int dir_watch_open(const char *location, void **w, int *fd, sml_error *err)
{
    dir_watch *dw = calloc(1, sizeof *dw);
    if (!dw)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    dw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (dw->fd >= 0 && inotify_add_watch(dw->fd, location, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0) {
        close(dw->fd);
        dw->fd = -1; /* the periodic check still works */
    }
    *w = dw;
    *fd = dw->fd;
    return 0;
}

static int dir_watch_drain(void *w)
{
    dir_watch *dw = w;
    int event = 0;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    if (dw->fd < 0)
        return 0;
    while ((n = read(dw->fd, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->len && strcmp(ev->name, "current") == 0)
                event = 1;
            p += sizeof *ev + ev->len;
        }
    return event;
}

static void dir_watch_close(void *w)
{
    dir_watch *dw = w;
    if (!dw)
        return;
    if (dw->fd >= 0)
        close(dw->fd);
    free(dw);
}

const sml_store_kind sml_store_dir = {"dir",           dir_open,       dir_close,       dir_publish,    dir_current,
                                      dir_set_current, dir_fetch,      dir_list,       dir_remove,
                                      dir_pins,        dir_set_pins,   dir_watch_open,  dir_watch_drain, dir_watch_close};
