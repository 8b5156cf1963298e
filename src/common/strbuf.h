/* A growable byte buffer (git's strbuf): stack object, SML_STRBUF_INIT / sml_strbuf_release. Append functions
 * return 0 or SML_ENOMEM; after a failed append the buffer keeps its old content. */
#ifndef SML_STRBUF_H
#define SML_STRBUF_H
#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"

typedef struct sml_strbuf {
    char *buf; /* NUL-terminated when len > 0 or after any append */
    size_t len, cap;
} sml_strbuf;

#define SML_STRBUF_INIT {NULL, 0, 0}

void sml_strbuf_release(sml_strbuf *sb);
int sml_strbuf_grow(sml_strbuf *sb, size_t extra);
int sml_strbuf_add(sml_strbuf *sb, const void *data, size_t len);
int sml_strbuf_adds(sml_strbuf *sb, const char *s);
int sml_strbuf_addf(sml_strbuf *sb, const char *fmt, ...) SML_PRINTF(2, 3);
/* Appends a double in shortest round-trip form (JSON: non-finite values become null). */
int sml_strbuf_add_double(sml_strbuf *sb, double v);
int sml_strbuf_add_json_double(sml_strbuf *sb, double v);
/* Appends s as a JSON string literal, quotes included. */
int sml_strbuf_add_json_str(sml_strbuf *sb, const char *s, size_t len);
/* Reads a whole file (at most max bytes, else SML_ERANGE). */
int sml_strbuf_read_file(sml_strbuf *sb, const char *path, size_t max, sml_error *err);
/* Writes a file atomically: temp file in the same directory, fsync, rename. */
int sml_write_file_atomic(const char *path, const void *data, size_t len, sml_error *err);
/* mkdir -p: creates path and its missing parents (0755); 0, or -1 with errno set. */
int sml_mkdir_p(const char *path);
#endif
