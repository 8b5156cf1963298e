/*
 * Sinks of the stream engine (io_int.h): a file or stdout ("-") and null: (discard). Rows reach a sink through
 * sml_textout's write callback; flush(durable) fsyncs a file so a checkpoint never covers rows still in a cache.
 * Source and sink kinds are picked here from the URI's scheme.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_int.h"

extern const sml_source_kind sml_source_file, sml_source_dir, sml_source_tcp, sml_source_tcp_listen, sml_source_kafka;

/* ------------------------------------------------------------------ sources */

int sml_source_open(const char *uri, const sml_source_opts *o, sml_source *out, sml_error *err)
{
    static const struct {
        const char *prefix;
        const sml_source_kind *kind;
    } kinds[] = {{"tcp-listen://", &sml_source_tcp_listen}, {"tcp://", &sml_source_tcp}, {"dir:", &sml_source_dir},
                 {"file:", &sml_source_file}, {"kafka://", &sml_source_kafka}};
    const sml_source_kind *kind = &sml_source_file;
    const char *loc = uri;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(uri, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
            kind = kinds[i].kind;
            loc = uri + strlen(kinds[i].prefix);
            break;
        }
    if (kind == &sml_source_file && strstr(uri, "://"))
        return sml_fail(err, SML_EUNSUPPORTED, "%s: unknown kind of source (use a file, -, dir:, tcp://, "
                                               "tcp-listen:// or kafka://)", uri);
    int rc = kind->open(loc, o, &out->st, err);
    if (rc == 0)
        out->kind = kind;
    return rc;
}

int sml_source_meta(const sml_source_kind *k, const char *name)
{
    for (int i = 0; k->meta_names && k->meta_names[i]; i++)
        if (!strcmp(k->meta_names[i], name))
            return i;
    return -1;
}

void sml_source_close(sml_source *s)
{
    if (s->kind)
        s->kind->close(s->st);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ sinks */

typedef struct fd_sink {
    int fd;
    int regular;
    char *path;
} fd_sink;

static int file_sink_open(const char *location, void **state, sml_error *err)
{
    fd_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(location))) {
        free(s);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    if (strcmp(location, "-") == 0) {
        s->fd = 1;
    } else {
        s->fd = open(location, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (s->fd < 0) {
            int e = errno;
            free(s->path);
            free(s);
            return sml_fail(err, SML_EIO, "%s: cannot open for writing: %s", location, strerror(e));
        }
        /* only a regular file can be fsynced (a FIFO or a device answers EINVAL) */
        struct stat sb;
        s->regular = fstat(s->fd, &sb) == 0 && S_ISREG(sb.st_mode);
    }
    *state = s;
    return 0;
}

static int file_sink_write(void *st, const void *buf, size_t len, sml_error *err)
{
    fd_sink *s = st;
    const char *p = buf;
    while (len) {
        ssize_t n = write(s->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sml_fail(err, SML_EIO, "%s: write failed: %s", s->path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int file_sink_flush(void *st, int durable, sml_error *err)
{
    fd_sink *s = st;
    if (durable && s->regular && fsync(s->fd) != 0)
        return sml_fail(err, SML_EIO, "%s: fsync failed: %s", s->path, strerror(errno));
    return 0;
}

static void file_sink_close(void *st)
{
    fd_sink *s = st;
    if (!s)
        return;
    if (s->fd > 2)
        close(s->fd);
    free(s->path);
    free(s);
}

static int null_open(const char *location, void **state, sml_error *err)
{
    (void)location;
    (void)err;
    *state = NULL;
    return 0;
}

static int null_write(void *st, const void *buf, size_t len, sml_error *err)
{
    (void)st;
    (void)buf;
    (void)len;
    (void)err;
    return 0;
}

static int null_flush(void *st, int durable, sml_error *err)
{
    (void)st;
    (void)durable;
    (void)err;
    return 0;
}

static void null_close(void *st) { (void)st; }

static const sml_sink_kind file_sink = {"file", file_sink_open, file_sink_write, file_sink_flush, file_sink_close, NULL};
static const sml_sink_kind null_sink = {"null", null_open, null_write, null_flush, null_close, NULL};
static const sml_sink_kind part_sink = {"dir", NULL, sml_part_sink_write, sml_part_sink_flush, sml_part_sink_close,
                                        sml_part_sink_end_batch};

/* Where the last complete line of a file ends (0 when it has none): a run killed in the middle of a write leaves a
 * partial last row, which a resumed run writes again, so it must not be glued to what comes next. */
static int last_line_end(const char *path, off_t size, off_t *end, sml_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sml_fail(err, SML_EIO, "%s: cannot read back: %s", path, strerror(errno));
    char buf[65536];
    off_t at = size;
    *end = 0;
    while (at > 0) {
        size_t n = at < (off_t)sizeof buf ? (size_t)at : sizeof buf;
        ssize_t r = pread(fd, buf, n, at - (off_t)n);
        if (r != (ssize_t)n) {
            close(fd);
            return sml_fail(err, SML_EIO, "%s: cannot read back: %s", path, r < 0 ? strerror(errno) : "short read");
        }
        for (size_t i = n; i-- > 0;)
            if (buf[i] == '\n') {
                *end = at - (off_t)n + (off_t)i + 1;
                close(fd);
                return 0;
            }
        at -= (off_t)n;
    }
    close(fd);
    return 0;
}

int sml_sink_begin(sml_sink *s, int resuming, sml_error *err)
{
    if (s->kind != &file_sink)
        return 0;
    fd_sink *f = s->st;
    struct stat sb;
    if (!f->regular || fstat(f->fd, &sb) != 0 || sb.st_size == 0)
        return 0;
    off_t keep = 0;
    if (resuming && last_line_end(f->path, sb.st_size, &keep, err) != 0)
        return err ? err->code : SML_EIO;
    if (keep < sb.st_size && ftruncate(f->fd, keep) != 0)
        return sml_fail(err, SML_EIO, "%s: cannot truncate: %s", f->path, strerror(errno));
    return keep > 0;
}


int sml_sink_open(const char *uri, sml_sink *out, sml_error *err) { return sml_sink_open_with(uri, NULL, out, err); }

int sml_sink_open_with(const char *uri, const sml_sink_opts *o, sml_sink *out, sml_error *err)
{
    static const sml_sink_opts no_opts;
    memset(out, 0, sizeof *out);
    if (strncmp(uri, "kafka://", 8) == 0) {
        /* one message per output row: JSON lines unless --output-format csv (the sink drops the CSV header) */
        int rc = sml_kafka_sink_open(uri + 8, o ? o : &no_opts, &out->st, err);
        if (rc == 0) {
            out->kind = &sml_sink_kafka;
            out->format = SML_FORMAT_JSONL;
        }
        return rc;
    }
    if (strncmp(uri, "postgres://", 11) == 0 || strncmp(uri, "postgresql://", 13) == 0) {
        /* rows as CSV into COPY, committed per batch with the source positions */
        int rc = sml_pg_sink_open(uri, o ? o : &no_opts, &out->st, err);
        if (rc == 0) {
            out->kind = &sml_sink_pg;
            out->format = SML_FORMAT_CSV;
        }
        return rc;
    }
    const sml_sink_kind *kind = &file_sink;
    const char *loc = uri;
    if (strncmp(uri, "null:", 5) == 0)
        kind = &null_sink, loc = uri + 5;
    else if (strncmp(uri, "file:", 5) == 0)
        loc = uri + 5;
    else if (strncmp(uri, "dir:", 4) == 0 || strncmp(uri, "parquet:", 8) == 0) {
        /* dir:PATH[.jsonl] picks JSON lines by a trailing format word: dir:PATH?format=jsonl is not needed: the
         * engine's --output-format chooses; the files get that extension */
        int pq = uri[0] == 'p';
        loc = uri + (pq ? 8 : 4);
        out->parquet = pq;
        out->per_batch = 1;
        out->kind = &part_sink;
        out->format = SML_FORMAT_AUTO;
        return 0; /* opened by sml_sink_open_part once the format is known */
    } else if (strstr(uri, "://"))
        return sml_fail(err, SML_EUNSUPPORTED, "%s: this kind of sink is not available yet (a file, -, null:, "
                                               "dir:PATH, parquet:PATH, kafka:// or postgres://)", uri);
    int rc = kind->open(loc, &out->st, err);
    if (rc)
        return rc;
    out->kind = kind;
    out->format = kind == &file_sink && strcmp(loc, "-") != 0 ? sml_format_from_path(loc) : SML_FORMAT_AUTO;
    return 0;
}

int sml_sink_open_part(sml_sink *s, const char *uri, const char *ext, sml_error *err)
{
    const char *loc = uri + (s->parquet ? 8 : 4);
    return sml_part_sink_open(loc, ext, &s->st, err);
}

int sml_sink_write(void *sink, const void *buf, size_t len, sml_error *err)
{
    sml_sink *s = sink;
    return s->kind->write(s->st, buf, len, err);
}

void sml_sink_close(sml_sink *s)
{
    if (s->kind)
        s->kind->close(s->st);
    memset(s, 0, sizeof *s);
}
