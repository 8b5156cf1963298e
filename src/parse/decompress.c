/*
 * Decompression front of the reader: gzip (zlib inflate, every member of a multi-member file) and zstd (streaming,
 * every frame). reader.c picks one by the magic bytes at the start of the stream and hands compressed bytes here;
 * plain bytes come out through a sink callback in chunks of at most OUT_CHUNK bytes. A stream cut short is reported
 * by sml_decomp_finish, never by a crash.
 */
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "parse/parse_int.h"

#define OUT_CHUNK (64 * 1024)

struct sml_decomp {
    int front;
    z_stream z;
    int z_live;        /* inflateInit2 succeeded */
    int z_member_done; /* the last member ended exactly at the end of the input seen */
    int z_started;     /* some input was given to the current member */
    ZSTD_DStream *zs;
    size_t zs_hint;    /* last ZSTD_decompressStream result: 0 = at a frame boundary */
    unsigned char out[OUT_CHUNK];
};

int sml_decomp_new(int front, sml_decomp **out, sml_error *err)
{
    sml_decomp *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return sml_fail(err, SML_ENOMEM, "out of memory for the decompressor");
    d->front = front;
    if (front == SML_FRONT_GZIP) {
        if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK) {
            free(d);
            return sml_fail(err, SML_ENOMEM, "cannot initialise zlib");
        }
        d->z_live = 1;
    } else {
        d->zs = ZSTD_createDStream();
        if (!d->zs || ZSTD_isError(ZSTD_initDStream(d->zs))) {
            ZSTD_freeDStream(d->zs);
            free(d);
            return sml_fail(err, SML_ENOMEM, "cannot initialise zstd");
        }
    }
    *out = d;
    return 0;
}

void sml_decomp_free(sml_decomp *d)
{
    if (!d)
        return;
    if (d->z_live)
        inflateEnd(&d->z);
    ZSTD_freeDStream(d->zs);
    free(d);
}

static int gzip_run(sml_decomp *d, const unsigned char *in, size_t n, sml_sink_fn sink, void *ctx, sml_error *err)
{
    z_stream *z = &d->z;
    while (n > 0) {
        /* zlib counts in uInt; feed at most 1 GiB per round */
        uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;
        z->next_in = (Bytef *)in;
        z->avail_in = take;
        if (take)
            d->z_started = 1, d->z_member_done = 0;
        while (z->avail_in > 0) {
            if (d->z_member_done) {
                /* another gzip member follows */
                if (inflateReset(z) != Z_OK)
                    return sml_fail(err, SML_EFORMAT, "gzip: cannot start the next member");
                d->z_member_done = 0;
            }
            z->next_out = d->out;
            z->avail_out = OUT_CHUNK;
            int rc = inflate(z, Z_NO_FLUSH);
            size_t got = OUT_CHUNK - z->avail_out;
            if (got) {
                int src = sink(ctx, (const char *)d->out, got, err);
                if (src < 0)
                    return src;
            }
            if (rc == Z_STREAM_END) {
                d->z_member_done = 1;
            } else if (rc == Z_BUF_ERROR) {
                if (got == 0 && z->avail_in > 0)
                    return sml_fail(err, SML_EFORMAT, "gzip: cannot make progress");
            } else if (rc != Z_OK) {
                return sml_fail(err, SML_EFORMAT, "gzip: corrupt input (%s)", z->msg ? z->msg : "inflate failed");
            }
        }
        /* drain output that inflate still holds for this input */
        while (!d->z_member_done) {
            z->next_out = d->out;
            z->avail_out = OUT_CHUNK;
            int rc = inflate(z, Z_NO_FLUSH);
            size_t got = OUT_CHUNK - z->avail_out;
            if (got) {
                int src = sink(ctx, (const char *)d->out, got, err);
                if (src < 0)
                    return src;
            }
            if (rc == Z_STREAM_END)
                d->z_member_done = 1;
            else if (rc != Z_OK && rc != Z_BUF_ERROR)
                return sml_fail(err, SML_EFORMAT, "gzip: corrupt input (%s)", z->msg ? z->msg : "inflate failed");
            if (got < OUT_CHUNK)
                break;
        }
        in += take;
        n -= take;
    }
    return 0;
}

static int zstd_run(sml_decomp *d, const unsigned char *in, size_t n, sml_sink_fn sink, void *ctx, sml_error *err)
{
    ZSTD_inBuffer ib = {in, n, 0};
    for (;;) {
        ZSTD_outBuffer ob = {d->out, OUT_CHUNK, 0};
        size_t rc = ZSTD_decompressStream(d->zs, &ob, &ib);
        if (ZSTD_isError(rc))
            return sml_fail(err, SML_EFORMAT, "zstd: corrupt input (%s)", ZSTD_getErrorName(rc));
        d->zs_hint = rc;
        if (ob.pos) {
            int src = sink(ctx, (const char *)d->out, ob.pos, err);
            if (src < 0)
                return src;
        }
        /* done when all input is taken and the output buffer was not filled (nothing left inside) */
        if (ib.pos == ib.size && ob.pos < ob.size)
            break;
    }
    return 0;
}

int sml_decomp_run(sml_decomp *d, const unsigned char *in, size_t n, sml_sink_fn sink, void *ctx, sml_error *err)
{
    if (d->front == SML_FRONT_GZIP)
        return gzip_run(d, in, n, sink, ctx, err);
    return zstd_run(d, in, n, sink, ctx, err);
}

int sml_decomp_finish(sml_decomp *d, sml_error *err)
{
    if (d->front == SML_FRONT_GZIP) {
        if (!d->z_member_done)
            return sml_fail(err, SML_EFORMAT, "gzip: truncated input (the compressed stream ends early)");
        return 0;
    }
    if (d->zs_hint != 0)
        return sml_fail(err, SML_EFORMAT, "zstd: truncated input (the compressed stream ends early)");
    return 0;
}
