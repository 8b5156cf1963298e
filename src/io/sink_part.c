/*
 * Partitioned file sinks, as seed 002 wrote them to HDFS: dir:PATH (CSV or JSON lines) and parquet:PATH.
 * Each batch becomes one file PATH/p_date=YYYYmmddHHMMSS/part-<writer>-<seq>.<ext> (UTC time of the batch's
 * close). Rows go to a hidden temp file in PATH; at the end of the batch it is fsynced and renamed into its
 * partition, and the partition gets a _SUCCESS marker. <writer> is the process id and start time, <seq> counts
 * the process's files, so two writers or two batches in one second never overwrite each other, and readers
 * (and dir: sources) only ever see complete files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/io_int.h"

typedef struct part_sink {
    char *root;
    const char *ext;
    char writer[48];
    uint64_t seq;
    int fd;
    char tmp[4200];
} part_sink;

static int part_open_common(const char *location, const char *ext, void **state, sml_error *err)
{
    part_sink *p = calloc(1, sizeof *p);
    if (!p || !(p->root = strdup(location))) {
        free(p);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    if (sml_mkdir_p(location) != 0) {
        int e = errno;
        free(p->root);
        free(p);
        return sml_fail(err, SML_EIO, "%s: cannot create the output folder: %s", location, strerror(e));
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(p->writer, sizeof p->writer, "%ld%03ld-%ld", (long)ts.tv_sec, ts.tv_nsec / 1000000, (long)getpid());
    p->ext = ext;
    p->fd = -1;
    *state = p;
    return 0;
}

int sml_part_sink_open(const char *location, const char *ext, void **state, sml_error *err)
{
    return part_open_common(location, ext, state, err);
}

static int part_write(void *st, const void *buf, size_t len, sml_error *err)
{
    part_sink *p = st;
    if (p->fd < 0) {
        snprintf(p->tmp, sizeof p->tmp, "%s/.part-%s-%llu.%s.tmp", p->root, p->writer, (unsigned long long)p->seq,
                 p->ext);
        p->fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (p->fd < 0)
            return sml_fail(err, SML_EIO, "%s: cannot create: %s", p->tmp, strerror(errno));
    }
    const char *b = buf;
    while (len) {
        ssize_t n = write(p->fd, b, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sml_fail(err, SML_EIO, "%s: write failed: %s", p->tmp, strerror(errno));
        b += n;
        len -= (size_t)n;
    }
    return 0;
}

static int part_flush(void *st, int durable, sml_error *err)
{
    (void)st;
    (void)durable;
    (void)err;
    return 0; /* files become durable and visible as a whole at the end of their batch */
}

int sml_part_sink_end_batch(void *st, sml_error *err)
{
    part_sink *p = st;
    if (p->fd < 0)
        return 0; /* nothing written in this batch */
    char dir[4200], final[4300], marker[4300];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(dir, sizeof dir, "%s/p_date=%04d%02d%02d%02d%02d%02d", p->root, tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    int rc = 0;
    if (fsync(p->fd) != 0)
        rc = sml_fail(err, SML_EIO, "%s: fsync failed: %s", p->tmp, strerror(errno));
    close(p->fd);
    p->fd = -1;
    if (rc)
        return rc;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return sml_fail(err, SML_EIO, "%s: cannot create: %s", dir, strerror(errno));
    snprintf(final, sizeof final, "%s/part-%s-%06llu.%s", dir, p->writer, (unsigned long long)p->seq, p->ext);
    if (rename(p->tmp, final) != 0)
        return sml_fail(err, SML_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    p->seq++;
    snprintf(marker, sizeof marker, "%s/_SUCCESS", dir);
    int fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return sml_fail(err, SML_EIO, "%s: cannot create: %s", marker, strerror(errno));
    close(fd);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

void sml_part_sink_close(void *st)
{
    part_sink *p = st;
    if (!p)
        return;
    if (p->fd >= 0) { /* an unfinished batch: its temp file is removed, never published */
        close(p->fd);
        unlink(p->tmp);
    }
    free(p->root);
    free(p);
}

int sml_part_sink_write(void *st, const void *buf, size_t len, sml_error *err) { return part_write(st, buf, len, err); }
int sml_part_sink_flush(void *st, int durable, sml_error *err) { return part_flush(st, durable, err); }
