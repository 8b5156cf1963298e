/* Blocking file input for batch commands: fd -> sml_reader -> batches (see include/streamml/io.h). */
#include "streamml/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse/parse_int.h"

#define CHUNK (1u << 20)

struct sml_input {
    int fd;
    int eof;
    char *path;
    sml_reader *reader;
    char *buf;
};

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

sml_format sml_format_from_path(const char *path)
{
    if (strncmp(path, "file:", 5) == 0)
        path += 5;
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz"))
        n -= 3;
    else if (ends_with(path, n, ".zst"))
        n -= 4;
    char tmp[4096];
    if (n >= sizeof tmp)
        return SML_FORMAT_AUTO;
    memcpy(tmp, path, n);
    tmp[n] = 0;
    if (ends_with(tmp, n, ".csv") || ends_with(tmp, n, ".tsv"))
        return SML_FORMAT_CSV;
    if (ends_with(tmp, n, ".jsonl") || ends_with(tmp, n, ".ndjson") || ends_with(tmp, n, ".json"))
        return SML_FORMAT_JSONL;
    return SML_FORMAT_AUTO;
}

int sml_input_open(const char *path, const sml_reader_opts *opts, sml_input **out, sml_error *err)
{
    sml_reader_opts o = SML_READER_OPTS_INIT;
    sml_input *in;
    int stdin_ = strcmp(path, "-") == 0;
    if (opts)
        o = *opts;
    *out = NULL;
    if (strncmp(path, "file:", 5) == 0)
        path += 5;
    if (!(in = calloc(1, sizeof *in)) || !(in->path = strdup(path)) || !(in->buf = malloc(CHUNK))) {
        sml_input_close(in);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    in->fd = stdin_ ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0) {
        int e = errno;
        sml_input_close(in);
        return sml_fail(err, e == ENOENT ? SML_ENOTFOUND : SML_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    if (!o.source_name)
        o.source_name = stdin_ ? "<stdin>" : path;
    if (o.format == SML_FORMAT_AUTO && !stdin_)
        o.format = sml_format_from_path(path);
    in->reader = sml_reader_new(&o, err);
    if (!in->reader) {
        sml_input_close(in);
        return err ? err->code : SML_ENOMEM;
    }
    *out = in;
    return 0;
}

sml_reader *sml_input_reader(sml_input *in) { return in->reader; }

/* Feeds one chunk; sets eof at the end of the file. */
static int fill(sml_input *in, sml_error *err)
{
    ssize_t n;
    do
        n = read(in->fd, in->buf, CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sml_fail(err, SML_EIO, "%s: read error: %s", in->path, strerror(errno));
    if (n == 0) {
        in->eof = 1;
        return sml_reader_end(in->reader, err);
    }
    return sml_reader_feed(in->reader, in->buf, (size_t)n, err);
}

int sml_input_next(sml_input *in, sml_batch *b, sml_error *err)
{
    for (;;) {
        int n = sml_reader_next(in->reader, b, err);
        if (n != 0)
            return n;
        if (in->eof)
            return 0;
        int rc = fill(in, err);
        if (rc)
            return rc;
    }
}

int sml_input_columns(sml_input *in, const char *const **names, size_t *n, sml_error *err)
{
    for (;;) {
        int rc = sml_reader_columns(in->reader, names, n);
        if (rc < 0 && rc != SML_EAGAIN) /* a bad header: the reader kept the reason */
            return sml_fail(err, rc, "%s", in->reader->fatal.code ? in->reader->fatal.msg : "cannot read the header");
        if (rc != SML_EAGAIN)
            return rc;
        if (in->eof) {
            *names = NULL;
            *n = 0;
            return 0;
        }
        if ((rc = fill(in, err)) != 0)
            return rc;
    }
}

void sml_input_close(sml_input *in)
{
    if (!in)
        return;
    if (in->fd > 0)
        close(in->fd);
    sml_reader_free(in->reader);
    free(in->buf);
    free(in->path);
    free(in);
}
