/*
 * One byte stream parsed by its own reader (io_int.h): the piece every source is built from. Reads never block:
 * pipes and sockets are nonblocking, regular files read one chunk per call (up to 512 KiB, straight into the
 * reader's buffer once the input is known to be plain text).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"
#include "parse/parse_int.h"

#define CHUNK (1u << 20)
#define DIRECT_ROUNDS 7 /* extra direct reads per pull: 512 KiB in all */

int sml_colspec_set(sml_colspec *cs, const char *const *names, const sml_type *types, const uint8_t *optional,
                    size_t n, sml_error *err)
{
    sml_colspec_release(cs);
    cs->names = calloc(n ? n : 1, sizeof *cs->names);
    cs->types = calloc(n ? n : 1, sizeof *cs->types);
    cs->optional = calloc(n ? n : 1, 1);
    if (!cs->names || !cs->types || !cs->optional)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (!(cs->names[i] = strdup(names[i])))
            goto nomem;
        cs->types[i] = types[i];
        cs->optional[i] = optional ? optional[i] : 0;
        cs->n = i + 1;
    }
    cs->set = 1;
    return 0;
nomem:
    sml_colspec_release(cs);
    return sml_fail(err, SML_ENOMEM, "out of memory");
}

void sml_colspec_release(sml_colspec *cs)
{
    for (size_t i = 0; cs->names && i < cs->n; i++)
        free(cs->names[i]);
    free(cs->names);
    free(cs->types);
    free(cs->optional);
    memset(cs, 0, sizeof *cs);
}

int sml_stream_open(sml_stream *s, int fd, const char *name, const sml_reader_opts *ro, const char *const *names,
                    const sml_type *types, const uint8_t *optional, size_t ncols, sml_error *err)
{
    sml_reader_opts o = *ro;
    struct stat st;
    memset(s, 0, sizeof *s);
    s->fd = fd;
    if (!(s->name = strdup(name)))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    o.source_name = s->name;
    if (!(s->reader = sml_reader_new(&o, err))) {
        free(s->name);
        s->name = NULL;
        return err ? err->code : SML_ENOMEM;
    }
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (names && sml_reader_set_columns(s->reader, names, types, optional, ncols, err) != 0) {
        sml_stream_close(s);
        return err ? err->code : SML_EINVAL;
    }
    return 0;
}

/* Reads one chunk if there is one; sets eof. Returns bytes read, 0 for none now, < 0 error. Once the reader knows
 * its input is plain text, bytes are read straight into its buffer (no copy). */
static int pull(sml_stream *s, char *buf, sml_error *err)
{
    ssize_t n;
    char *direct = sml_reader_direct(s->reader, SML_READER_DIRECT_MAX);
    do
        n = direct ? read(s->fd, direct, SML_READER_DIRECT_MAX) : read(s->fd, buf, CHUNK);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == ECONNRESET) { /* the peer went away: like an end of stream */
            s->eof = 1;
            return 0;
        }
        return sml_fail(err, SML_EIO, "%s: read error: %s", s->name, strerror(errno));
    }
    if (n == 0) {
        s->eof = 1;
        return 0;
    }
    if (direct) {
        sml_reader_direct_commit(s->reader, (size_t)n);
        /* a file that fills whole reads: a few more, so batches fill in one parse instead of many small ones */
        for (int more = 0; more < DIRECT_ROUNDS && n == SML_READER_DIRECT_MAX; more++) {
            char *next = sml_reader_direct(s->reader, SML_READER_DIRECT_MAX);
            ssize_t m;
            if (!next)
                break;
            do
                m = read(s->fd, next, SML_READER_DIRECT_MAX);
            while (m < 0 && errno == EINTR);
            if (m <= 0)
                break; /* the next pull sees the end or the error again */
            sml_reader_direct_commit(s->reader, (size_t)m);
            n += m;
        }
        return (int)n;
    }
    int rc = sml_reader_feed(s->reader, buf, (size_t)n, err);
    return rc ? rc : (int)n;
}

int sml_stream_next(sml_stream *s, sml_batch *b, sml_error *err)
{
    if (!s->buf && !(s->buf = malloc(CHUNK)))
        return sml_fail(err, SML_ENOMEM, "out of memory");
    char *buf = s->buf;
    for (int rounds = 0;; rounds++) {
        int n = sml_reader_next(s->reader, b, err);
        if (n < 0)
            return n;
        if (n > 0 && s->skip_to) {
            /* resuming: drop what the checkpoint already covered */
            size_t k = 0;
            for (size_t i = 0; i < b->nrows; i++)
                if (b->offset[i] >= s->skip_to)
                    break;
                else
                    k++;
            if (k == b->nrows && b->end_offset <= s->skip_to) {
                b->nrows = 0;
                b->nbad = 0;
                continue;
            }
            if (k) { /* shift the kept rows down; a resumed run starts on a record boundary */
                for (size_t c = 0; c < b->ncols; c++) {
                    sml_column *col = &b->cols[c];
                    memmove(col->missing, col->missing + k, b->nrows - k);
                    if (col->num)
                        memmove(col->num, col->num + k, (b->nrows - k) * sizeof *col->num);
                    if (col->str_off) {
                        memmove(col->str_off, col->str_off + k, (b->nrows - k) * sizeof *col->str_off);
                        memmove(col->str_len, col->str_len + k, (b->nrows - k) * sizeof *col->str_len);
                    }
                }
                memmove(b->line, b->line + k, (b->nrows - k) * sizeof *b->line);
                memmove(b->offset, b->offset + k, (b->nrows - k) * sizeof *b->offset);
                b->nrows -= k;
            }
            size_t keep = 0;
            for (size_t i = 0; i < b->nbad; i++)
                if (b->bad[i].offset >= s->skip_to)
                    b->bad[keep++] = b->bad[i];
            b->nbad = keep;
            s->skip_to = 0;
            n = (int)(b->nrows + b->nbad);
            if (n == 0)
                continue;
        }
        if (n > 0)
            return n;
        if (s->ended || rounds > 64)
            return 0;
        if (s->eof) {
            if (sml_reader_end(s->reader, err) != 0)
                return err ? err->code : SML_EIO;
            s->ended = 1;
            continue;
        }
        int got = pull(s, buf, err);
        if (got < 0)
            return got;
        if (got == 0 && !s->eof)
            return 0;
    }
}

int sml_stream_finished(const sml_stream *s) { return s->ended && sml_reader_done(s->reader); }

void sml_stream_close(sml_stream *s)
{
    sml_reader_free(s->reader);
    free(s->buf);
    if (s->fd > 2)
        close(s->fd);
    free(s->name);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

int sml_parse_hostport(const char *text, struct sockaddr_storage *addr, unsigned *addrlen, sml_error *err)
{
    char host[256];
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof host || !colon[1])
        return sml_fail(err, SML_EINVAL, "\"%s\": expected host:port", text);
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h++;
        h[strlen(h) - 1] = 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(h, colon + 1, &hints, &res);
    if (rc != 0 || !res)
        return sml_fail(err, SML_EINVAL, "\"%s\": cannot resolve: %s", text, gai_strerror(rc));
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addrlen = (unsigned)res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}
