/*
 * Test tool: CSV in, Parquet out through sml_parquet_writer, so that tests/integration/0070-parquet.sh can read
 * the file back with an independent reader.
 *   parquet_write --cols NAME:TYPE[!],... [options] IN.csv OUT.parquet
 *     TYPE        double | int64 | bool | string; a trailing ! makes the column REQUIRED
 *     --compression none|zstd|snappy   --level N   --row-group-rows N   --page-bytes N
 *     --dict on|off   --dict-bytes N
 *     --mode values   (default) the untyped CSV reader, each cell converted and put with sml_parquet_put_*
 *     --mode batch    the typed CSV reader (double -> NUM, string -> STR) and sml_parquet_write_batch
 *     --fail-after N  the write callback fails once N bytes have been written (error propagation)
 * An empty unquoted CSV field is a null; "" is an empty string. Prints rows and bytes written on stderr.
 * Exit status: 0 ok, 1 usage, 2 failure (the library's message on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "streamml/streamml.h"

#define MAX_COLS 64

typedef struct out_state {
    int fd;
    long long fail_after; /* -1: never */
    long long written;
} out_state;

static int write_out(void *opaque, const void *buf, size_t len, sml_error *err)
{
    out_state *o = opaque;
    if (o->fail_after >= 0 && o->written + (long long)len > o->fail_after)
        return sml_fail(err, SML_EIO, "test: simulated write failure after %lld bytes", o->written);
    o->written += (long long)len;
    return sml_write_fd(&o->fd, buf, len, err);
}

static int die(const char *what, const sml_error *err)
{
    fprintf(stderr, "parquet_write: %s: %s\n", what, err->msg);
    return 2;
}

static int usage(void)
{
    fprintf(stderr, "usage: parquet_write --cols NAME:TYPE[!],... [--compression none|zstd|snappy] [--level N]\n"
                    "       [--row-group-rows N] [--page-bytes N] [--dict on|off] [--dict-bytes N]\n"
                    "       [--mode values|batch] [--fail-after N] IN.csv OUT.parquet\n");
    return 1;
}

/* One row of an untyped batch, value by value. */
static int put_row(sml_parquet_writer *w, const sml_batch *b, size_t row, const int *src,
                   const sml_parquet_column *cols, size_t n, sml_error *err)
{
    for (size_t j = 0; j < n; j++) {
        const sml_column *c = &b->cols[src[j]];
        int rc;
        if (c->missing[row]) {
            rc = sml_parquet_put_null(w, err);
        } else {
            size_t len;
            const char *s = sml_batch_str(b, (size_t)src[j], row, &len);
            switch (cols[j].type) {
            case SML_PARQUET_DOUBLE: {
                double v;
                if (sml_parse_double(s, len, &v) < 0)
                    return sml_fail(err, SML_EPARSE, "row %zu column %s: not a number: %.*s", row + 1,
                                    cols[j].name, (int)len, s);
                rc = sml_parquet_put_double(w, v, err);
                break;
            }
            case SML_PARQUET_INT64: {
                int64_t v;
                if (sml_parse_int64(s, len, &v) < 0)
                    return sml_fail(err, SML_EPARSE, "row %zu column %s: not an int64: %.*s", row + 1,
                                    cols[j].name, (int)len, s);
                rc = sml_parquet_put_int64(w, v, err);
                break;
            }
            case SML_PARQUET_BOOLEAN:
                if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1'))
                    rc = sml_parquet_put_bool(w, 1, err);
                else if ((len == 5 && memcmp(s, "false", 5) == 0) || (len == 1 && s[0] == '0'))
                    rc = sml_parquet_put_bool(w, 0, err);
                else
                    return sml_fail(err, SML_EPARSE, "row %zu column %s: not a bool", row + 1, cols[j].name);
                break;
            default:
                rc = sml_parquet_put_str(w, s, len, err);
                break;
            }
        }
        if (rc < 0)
            return rc;
    }
    return sml_parquet_end_row(w, err);
}

int main(int argc, char **argv)
{
    sml_parquet_opts opts = SML_PARQUET_OPTS_INIT;
    sml_parquet_column cols[MAX_COLS];
    char *names[MAX_COLS];
    size_t ncols = 0;
    char *spec = NULL; /* the --cols text, cut into names */
    int batch_mode = 0;
    long long fail_after = -1;
    const char *in = NULL, *outp = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            if (!in)
                in = a;
            else if (!outp)
                outp = a;
            else
                return usage();
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        const char *v = argv[++i];
        if (strcmp(a, "--cols") == 0) {
            char *save = NULL;
            free(spec);
            ncols = 0;
            spec = strdup(v);
            for (char *tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *colon = strrchr(tok, ':');
                if (!colon || ncols == MAX_COLS)
                    return usage();
                *colon = 0;
                char *type = colon + 1;
                size_t tl = strlen(type);
                int required = tl > 0 && type[tl - 1] == '!';
                if (required)
                    type[tl - 1] = 0;
                sml_parquet_type t;
                if (strcmp(type, "double") == 0)
                    t = SML_PARQUET_DOUBLE;
                else if (strcmp(type, "int64") == 0)
                    t = SML_PARQUET_INT64;
                else if (strcmp(type, "bool") == 0)
                    t = SML_PARQUET_BOOLEAN;
                else if (strcmp(type, "string") == 0)
                    t = SML_PARQUET_STRING;
                else
                    return usage();
                names[ncols] = tok;
                cols[ncols].name = tok;
                cols[ncols].type = t;
                cols[ncols].required = required;
                ncols++;
            }
        } else if (strcmp(a, "--compression") == 0) {
            opts.compression = strcmp(v, "zstd") == 0     ? SML_PARQUET_ZSTD
                               : strcmp(v, "snappy") == 0 ? SML_PARQUET_SNAPPY
                                                          : SML_PARQUET_UNCOMPRESSED;
        } else if (strcmp(a, "--level") == 0) {
            opts.compression_level = atoi(v);
        } else if (strcmp(a, "--row-group-rows") == 0) {
            opts.row_group_rows = (size_t)atoll(v);
        } else if (strcmp(a, "--page-bytes") == 0) {
            opts.page_bytes = (size_t)atoll(v);
        } else if (strcmp(a, "--dict") == 0) {
            opts.dictionary = strcmp(v, "on") == 0;
        } else if (strcmp(a, "--dict-bytes") == 0) {
            opts.dictionary_page_bytes = (size_t)atoll(v);
        } else if (strcmp(a, "--mode") == 0) {
            batch_mode = strcmp(v, "batch") == 0;
        } else if (strcmp(a, "--fail-after") == 0) {
            fail_after = atoll(v);
        } else {
            return usage();
        }
    }
    if (!in || !outp || ncols == 0) {
        free(spec);
        return usage();
    }

    sml_error err = SML_ERROR_INIT;
    int status = 2;
    out_state o = {-1, fail_after, 0};
    sml_reader *r = NULL;
    sml_parquet_writer *w = NULL;
    sml_batch b = SML_BATCH_INIT;
    FILE *f = fopen(in, "rb");
    if (!f) {
        fprintf(stderr, "parquet_write: %s: %s\n", in, strerror(errno));
        goto out;
    }
    o.fd = strcmp(outp, "-") == 0 ? 1 : open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o.fd < 0) {
        fprintf(stderr, "parquet_write: %s: %s\n", outp, strerror(errno));
        goto out;
    }

    sml_reader_opts ro = SML_READER_OPTS_INIT;
    ro.format = SML_FORMAT_CSV;
    ro.source_name = in;
    if (!(r = sml_reader_new(&ro, &err))) {
        status = die("reader", &err);
        goto out;
    }
    if (batch_mode) {
        sml_type types[MAX_COLS];
        for (size_t j = 0; j < ncols; j++) {
            if (cols[j].type != SML_PARQUET_DOUBLE && cols[j].type != SML_PARQUET_STRING) {
                fprintf(stderr, "parquet_write: --mode batch takes double and string columns only\n");
                status = 1;
                goto out;
            }
            types[j] = cols[j].type == SML_PARQUET_DOUBLE ? SML_TYPE_NUM : SML_TYPE_STR;
        }
        if (sml_reader_set_columns(r, (const char *const *)names, types, NULL, ncols, &err) < 0) {
            status = die("columns", &err);
            goto out;
        }
    }
    if (!(w = sml_parquet_writer_new(cols, ncols, &opts, write_out, &o, &err))) {
        status = die("writer", &err);
        goto out;
    }
    if (sml_batch_setup(&b, NULL, NULL, 0, 4096, &err) < 0) {
        status = die("batch", &err);
        goto out;
    }

    static char chunk[1 << 16];
    int src[MAX_COLS];
    int have_src = 0, eof = 0;
    for (;;) {
        int n = sml_reader_next(r, &b, &err);
        if (n < 0) {
            status = die(in, &err);
            goto out;
        }
        if (n == 0) {
            if (eof)
                break;
            size_t got = fread(chunk, 1, sizeof chunk, f);
            int rc = got ? sml_reader_feed(r, chunk, got, &err) : sml_reader_end(r, &err);
            if (rc < 0) {
                status = die(in, &err);
                goto out;
            }
            eof = got == 0;
            continue;
        }
        if (b.nbad) {
            char msg[512];
            sml_bad_row_format(r, &b, 0, msg, sizeof msg);
            fprintf(stderr, "parquet_write: bad row: %s\n", msg);
            goto out;
        }
        if (batch_mode) {
            if (sml_parquet_write_batch(w, &b, NULL, &err) < 0) {
                status = die("write", &err);
                goto out;
            }
            continue;
        }
        if (!have_src) {
            for (size_t j = 0; j < ncols; j++)
                if ((src[j] = sml_batch_find(&b, cols[j].name)) < 0) {
                    fprintf(stderr, "parquet_write: no column %s in %s\n", cols[j].name, in);
                    goto out;
                }
            have_src = 1;
        }
        for (size_t i = 0; i < b.nrows; i++)
            if (put_row(w, &b, i, src, cols, ncols, &err) < 0) {
                status = die("write", &err);
                goto out;
            }
    }
    if (sml_parquet_writer_finish(w, &err) < 0) {
        status = die("finish", &err);
        goto out;
    }
    fprintf(stderr, "parquet_write: %llu rows, %llu bytes\n", (unsigned long long)sml_parquet_writer_rows(w),
            (unsigned long long)sml_parquet_writer_bytes(w));
    status = 0;
out:
    sml_parquet_writer_free(w);
    sml_reader_free(r);
    sml_batch_release(&b);
    free(spec);
    if (f)
        fclose(f);
    if (o.fd > 1 && close(o.fd) < 0 && status == 0) {
        fprintf(stderr, "parquet_write: %s: %s\n", outp, strerror(errno));
        status = 2;
    }
    return status;
}
