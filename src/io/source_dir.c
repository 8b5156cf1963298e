/*
 * Source: complete new files appearing in a directory (seed 002's file stream, without its bug: temp files, hidden
 * files, markers and the sink's own output directory are never read). A file is taken when its name is final
 * (not .tmp/.part/hidden/_-prefixed) and its size and mtime did not change over one poll interval; files are read
 * one after another in name order, each with its own reader. Position: the files done, and the offset in the
 * current one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/strmap.h"
#include "io/io_int.h"

typedef struct cand {
    char *name;
    off_t size;
    struct timespec mtime;
} cand;

typedef struct dir_src {
    char *dir;
    char *exclude;         /* realpath of a directory never to read */
    sml_source_opts o;
    sml_colspec cols;
    sml_strmap done;       /* names of files fully read */
    char **done_order;     /* the same, in the order read (for checkpoints) */
    size_t ndone, done_cap;
    sml_stream cur;        /* the file being read (fd < 0: none) */
    char *cur_name;
    uint64_t cur_offset;
    uint64_t resume_offset; /* for the file named resume_name */
    char *resume_name;
    cand *seen;            /* last poll's candidates, for the settle check */
    size_t nseen;
    struct timespec last_poll;
} dir_src;

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int ignorable(const char *name)
{
    return name[0] == '.' || name[0] == '_' || ends_with(name, ".tmp") || ends_with(name, ".part") ||
           ends_with(name, ".crdownload") || ends_with(name, ".crc") || ends_with(name, "~");
}

static void free_seen(dir_src *d)
{
    for (size_t i = 0; i < d->nseen; i++)
        free(d->seen[i].name);
    free(d->seen);
    d->seen = NULL;
    d->nseen = 0;
}

static void dir_close(void *st)
{
    dir_src *d = st;
    if (!d)
        return;
    if (d->cur.reader)
        sml_stream_close(&d->cur);
    free(d->cur_name);
    free(d->resume_name);
    free_seen(d);
    for (size_t i = 0; i < d->ndone; i++)
        free(d->done_order[i]);
    free(d->done_order);
    sml_strmap_release(&d->done);
    sml_colspec_release(&d->cols);
    free(d->dir);
    free(d->exclude);
    free(d);
}

static int dir_open(const char *location, const sml_source_opts *o, void **state, sml_error *err)
{
    struct stat st;
    if (stat(location, &st) != 0 || !S_ISDIR(st.st_mode))
        return sml_fail(err, SML_ENOTFOUND, "dir:%s: not a directory", location);
    dir_src *d = calloc(1, sizeof *d);
    if (!d || !(d->dir = strdup(location))) {
        free(d);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    d->o = *o;
    d->cur.fd = -1;
    if (o->exclude_dir) {
        char buf[PATH_MAX];
        if (realpath(o->exclude_dir, buf))
            d->exclude = strdup(buf);
    }
    *state = d;
    return 0;
}

static int dir_set_columns(void *st, const char *const *names, const sml_type *types, const uint8_t *optional,
                           size_t n, sml_error *err)
{
    dir_src *d = st;
    int rc = sml_colspec_set(&d->cols, names, types, optional, n, err);
    if (!rc && d->cur.reader)
        rc = sml_reader_set_columns(d->cur.reader, names, types, optional, n, err);
    return rc;
}

static int cmp_cand(const void *a, const void *b) { return strcmp(((const cand *)a)->name, ((const cand *)b)->name); }

static int mark_done(dir_src *d, const char *name)
{
    if (!sml_strmap_put(&d->done, name, strlen(name), 1, NULL))
        return SML_ENOMEM;
    if (d->ndone == d->done_cap) {
        size_t cap = d->done_cap ? 2 * d->done_cap : 16;
        char **p = realloc(d->done_order, cap * sizeof *p);
        if (!p)
            return SML_ENOMEM;
        d->done_order = p;
        d->done_cap = cap;
    }
    if (!(d->done_order[d->ndone] = strdup(name)))
        return SML_ENOMEM;
    d->ndone++;
    return 0;
}

/* Looks for the next settled, unread file; opens it as the current stream. Returns 1 opened, 0 none, < 0. */
static int open_next(dir_src *d, sml_error *err)
{
    DIR *dh = opendir(d->dir);
    cand *now = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (!dh)
        return sml_fail(err, SML_EIO, "dir:%s: cannot list: %s", d->dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (ignorable(de->d_name) || sml_strmap_get(&d->done, de->d_name, strlen(de->d_name)))
            continue;
        char path[PATH_MAX], real[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", d->dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (d->exclude && realpath(path, real) && strncmp(real, d->exclude, strlen(d->exclude)) == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            cand *p = realloc(now, cap * sizeof *p);
            if (!p) {
                rc = sml_fail(err, SML_ENOMEM, "out of memory");
                goto out;
            }
            now = p;
        }
        now[n].name = strdup(de->d_name);
        now[n].size = st.st_size;
        now[n].mtime = st.st_mtim;
        if (!now[n].name) {
            rc = sml_fail(err, SML_ENOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    if (n)
        qsort(now, n, sizeof *now, cmp_cand);
    /* the first candidate that looked the same at the previous poll (or is the one to resume) */
    for (size_t i = 0; i < n && rc == 0; i++) {
        int settled = d->resume_name && strcmp(d->resume_name, now[i].name) == 0;
        for (size_t j = 0; j < d->nseen && !settled; j++)
            settled = strcmp(d->seen[j].name, now[i].name) == 0 && d->seen[j].size == now[i].size &&
                      d->seen[j].mtime.tv_sec == now[i].mtime.tv_sec && d->seen[j].mtime.tv_nsec == now[i].mtime.tv_nsec;
        if (!settled)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", d->dir, now[i].name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue; /* gone meanwhile */
        sml_reader_opts ro = d->o.reader;
        if (ro.format == SML_FORMAT_AUTO)
            ro.format = sml_format_from_path(path);
        rc = sml_stream_open(&d->cur, fd, path, &ro, d->cols.set ? (const char *const *)d->cols.names : NULL,
                             d->cols.types, d->cols.optional, d->cols.n, err);
        if (rc) {
            close(fd);
            break;
        }
        free(d->cur_name);
        d->cur_name = strdup(now[i].name);
        d->cur_offset = 0;
        if (d->resume_name && strcmp(d->resume_name, now[i].name) == 0) {
            d->cur.skip_to = d->resume_offset;
            d->cur_offset = d->resume_offset;
            free(d->resume_name);
            d->resume_name = NULL;
        }
        if (d->o.log) {
            char msg[PATH_MAX + 32];
            snprintf(msg, sizeof msg, "reading %s", path);
            d->o.log(d->o.log_opaque, SML_LOG_INFO, msg);
        }
        rc = 1;
        break;
    }
out:
    closedir(dh);
    free_seen(d);
    d->seen = now;
    d->nseen = n;
    clock_gettime(CLOCK_MONOTONIC, &d->last_poll);
    return rc;
}

static int64_t ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static int dir_next(void *st, sml_batch *b, sml_error *err)
{
    dir_src *d = st;
    for (;;) {
        if (!d->cur.reader) {
            if (d->nseen && ms_since(&d->last_poll) < d->o.poll_ms && !d->resume_name)
                return 0;
            int rc = open_next(d, err);
            if (rc <= 0)
                return rc;
        }
        int n = sml_stream_next(&d->cur, b, err);
        if (n > 0) {
            d->cur_offset = b->end_offset;
            return n;
        }
        if (n < 0)
            return n;
        if (!sml_stream_finished(&d->cur))
            return 0;
        if (mark_done(d, d->cur_name) != 0)
            return sml_fail(err, SML_ENOMEM, "out of memory");
        sml_stream_close(&d->cur);
        d->cur.reader = NULL;
    }
}

static int dir_wait(void *st, int timeout_ms)
{
    dir_src *d = st;
    if (d->cur.reader)
        return 1;
    int64_t left = d->o.poll_ms - ms_since(&d->last_poll);
    if (left > timeout_ms)
        left = timeout_ms;
    if (left > 0)
        poll(NULL, 0, (int)left);
    return 1;
}

static int dir_done(void *st)
{
    (void)st;
    return 0;
}

static size_t dir_bad_format(void *st, const sml_batch *b, size_t i, char *buf, size_t cap)
{
    dir_src *d = st;
    if (!d->cur.reader) {
        snprintf(buf, cap, "%s: bad record", d->dir);
        return strlen(buf);
    }
    return sml_bad_row_format(d->cur.reader, b, i, buf, cap);
}

static int dir_save(void *st, sml_strbuf *sb)
{
    dir_src *d = st;
    int rc = sml_put_str(sb, d->dir) | sml_put_u64(sb, d->ndone);
    for (size_t i = 0; i < d->ndone; i++)
        rc |= sml_put_str(sb, d->done_order[i]);
    rc |= sml_put_str(sb, d->cur.reader ? d->cur_name : NULL) | sml_put_u64(sb, d->cur_offset);
    return rc;
}

static int dir_restore(void *st, sml_cursor *c, sml_error *err)
{
    dir_src *d = st;
    char *dir = sml_get_str(c);
    uint64_t n = sml_get_count(c, 1u << 26, 4);
    int rc = 0;
    if (c->failed || !dir)
        rc = sml_fail(err, SML_EFORMAT, "checkpoint: bad directory position");
    else if (strcmp(dir, d->dir) != 0)
        rc = sml_fail(err, SML_EINVAL, "checkpoint was taken reading dir:%s, not dir:%s", dir, d->dir);
    for (uint64_t i = 0; i < n && !rc; i++) {
        char *name = sml_get_str(c);
        if (!name || mark_done(d, name) != 0)
            rc = sml_fail(err, SML_EFORMAT, "checkpoint: bad directory position");
        free(name);
    }
    if (!rc) {
        d->resume_name = sml_get_str(c);
        d->resume_offset = sml_get_u64(c);
        if (c->failed)
            rc = sml_fail(err, SML_EFORMAT, "checkpoint: bad directory position");
    }
    free(dir);
    return rc;
}

const sml_source_kind sml_source_dir = {"dir", dir_open, dir_set_columns, dir_next, dir_wait, dir_done,
                                        dir_bad_format, dir_save, dir_restore, dir_close};
