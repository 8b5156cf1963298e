/*
 * Source: one file, or stdin ("-"). Position: the byte offset (in the decompressed stream) where the next record
 * starts; a resumed run re-reads the file and drops the records before it (works for compressed files too).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_int.h"

typedef struct file_src {
    sml_stream s;
    sml_source_opts o;
    uint64_t offset, line; /* after the last batch returned */
    char *path;
} file_src;

static void file_close(void *st)
{
    file_src *f = st;
    if (!f)
        return;
    sml_stream_close(&f->s);
    free(f->path);
    free(f);
}

static int file_open(const char *location, const sml_source_opts *o, void **state, sml_error *err)
{
    int is_stdin = strcmp(location, "-") == 0;
    file_src *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(location))) {
        free(f);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    f->o = *o;
    int fd = is_stdin ? 0 : open(location, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        file_close(f);
        return sml_fail(err, e == ENOENT ? SML_ENOTFOUND : SML_EIO, "%s: cannot open: %s", location, strerror(e));
    }
    sml_reader_opts ro = o->reader;
    if (ro.format == SML_FORMAT_AUTO && !is_stdin)
        ro.format = sml_format_from_path(location);
    int rc = sml_stream_open(&f->s, fd, is_stdin ? "<stdin>" : location, &ro, NULL, NULL, NULL, 0, err);
    if (rc) {
        if (fd > 2)
            close(fd);
        free(f->path);
        free(f);
        return rc;
    }
    *state = f;
    return 0;
}

static int file_set_columns(void *st, const char *const *names, const sml_type *types, const uint8_t *optional,
                            size_t n, sml_error *err)
{
    file_src *f = st;
    return sml_reader_set_columns(f->s.reader, names, types, optional, n, err);
}

static int file_next(void *st, sml_batch *b, sml_error *err)
{
    file_src *f = st;
    int n = sml_stream_next(&f->s, b, err);
    if (n > 0) {
        f->offset = b->end_offset;
        f->line = b->end_line;
    }
    return n;
}

static int file_wait(void *st, int timeout_ms)
{
    file_src *f = st;
    if (f->s.eof)
        return 1;
    struct pollfd p = {f->s.fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) != 0;
}

static int file_done(void *st) { return sml_stream_finished(&((file_src *)st)->s); }

static size_t file_bad_format(void *st, const sml_batch *b, size_t i, char *buf, size_t cap)
{
    return sml_bad_row_format(((file_src *)st)->s.reader, b, i, buf, cap);
}

static int file_save(void *st, sml_strbuf *sb)
{
    file_src *f = st;
    return sml_put_str(sb, f->path) | sml_put_u64(sb, f->offset) | sml_put_u64(sb, f->line);
}

static int file_restore(void *st, sml_cursor *c, sml_error *err)
{
    file_src *f = st;
    char *path = sml_get_str(c);
    uint64_t off = sml_get_u64(c), line = sml_get_u64(c);
    int rc = 0;
    if (c->failed || !path)
        rc = sml_fail(err, SML_EFORMAT, "checkpoint: bad file position");
    else if (strcmp(path, f->path) != 0)
        rc = sml_fail(err, SML_EINVAL, "checkpoint was taken reading %s, not %s", path, f->path);
    else if (strcmp(path, "-") == 0)
        rc = sml_fail(err, SML_EUNSUPPORTED, "cannot resume stdin from a checkpoint (no positions)");
    else {
        f->s.skip_to = off;
        f->offset = off;
        f->line = line;
    }
    free(path);
    return rc;
}

const sml_source_kind sml_source_file = {"file", file_open, file_set_columns, file_next, file_wait, file_done,
                                         file_bad_format, file_save, file_restore, file_close};
