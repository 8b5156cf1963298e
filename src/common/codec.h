/*
 * Little-endian binary encoding for model files and checkpoints. Writing appends to an sml_strbuf; reading goes
 * through a bounded cursor that never reads past its end: every read checks the remaining length, and every
 * count or length read from the data is checked against a cap before anything is allocated.
 */
#ifndef SML_CODEC_H
#define SML_CODEC_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/strbuf.h"

/* ---- writing (return 0 or SML_ENOMEM) */
int sml_put_u8(sml_strbuf *sb, uint8_t v);
int sml_put_u32(sml_strbuf *sb, uint32_t v);
int sml_put_u64(sml_strbuf *sb, uint64_t v);
int sml_put_f64(sml_strbuf *sb, double v);
int sml_put_str(sml_strbuf *sb, const char *s); /* u32 length + bytes; NULL is length 0xffffffff */
int sml_put_bytes(sml_strbuf *sb, const void *p, size_t len);

/* ---- reading */
typedef struct sml_cursor {
    const uint8_t *p, *end;
    const char *what; /* section name for messages */
    int failed;       /* sticky: set by the first failed read */
} sml_cursor;

#define SML_MAX_STR (1u << 20)

uint8_t sml_get_u8(sml_cursor *c);
uint32_t sml_get_u32(sml_cursor *c);
uint64_t sml_get_u64(sml_cursor *c);
double sml_get_f64(sml_cursor *c);
/* n doubles at once into out (a model's weights); returns 0, or -1 (and c->failed) when fewer bytes are left. */
int sml_get_f64s(sml_cursor *c, double *out, size_t n);
/* Returns a malloc'd NUL-terminated copy (NULL for the NULL marker, or on failure: check c->failed). */
char *sml_get_str(sml_cursor *c);
/* A count that must be at most max and leave room for at least min_bytes_each per element. */
uint64_t sml_get_count(sml_cursor *c, uint64_t max, size_t min_bytes_each);
int sml_get_bytes(sml_cursor *c, void *out, size_t len);
static inline size_t sml_cursor_left(const sml_cursor *c) { return (size_t)(c->end - c->p); }

uint32_t sml_crc32c(uint32_t crc, const void *data, size_t len);
#endif
