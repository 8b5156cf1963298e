/*
 * streamml: records in column batches (struct of arrays).
 *
 * Parsers fill an sml_batch; the pipeline reads it. A batch owns its buffers and is reused: sml_batch_clear()
 * forgets the rows but keeps the memory, so steady-state parsing allocates nothing per record.
 * Strings live in one arena per batch, addressed by (offset, length) so the arena may grow.
 * Not thread-safe: one batch is used by one thread at a time.
 */
#ifndef STREAMML_RECORD_H
#define STREAMML_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_type {
    SML_TYPE_STR = 0, /* text (categorical); also what an untyped reader produces */
    SML_TYPE_NUM = 1  /* double */
} sml_type;

typedef struct sml_column {
    char *name;        /* owned, NUL-terminated */
    sml_type type;
    double *num;       /* SML_TYPE_NUM: one value per row (0 where missing) */
    uint32_t *str_off; /* SML_TYPE_STR: offset of the value in batch->strings */
    uint32_t *str_len; /* SML_TYPE_STR: its length in bytes (not NUL-terminated) */
    uint8_t *missing;  /* 1 = missing (empty CSV field, JSON null, absent JSON key) */
} sml_column;

/* A record the reader rejected; it is not among the batch's rows. */
typedef struct sml_bad_row {
    uint64_t line;     /* 1-based line where the problem is */
    uint64_t column;   /* 1-based byte column within that line */
    uint64_t offset;   /* byte offset (in the decompressed stream) where the record starts */
    int code;          /* SML_EPARSE, SML_ERANGE (over-long line), ... */
    uint32_t reason_off, reason_len; /* reason text in batch->strings (no source name, no position) */
    uint32_t raw_off, raw_len;       /* the raw record bytes in batch->strings (truncated to 4 KiB) */
} sml_bad_row;

typedef struct sml_batch {
    size_t nrows;       /* rows filled */
    size_t capacity;    /* rows the column arrays can hold */
    size_t ncols;
    sml_column *cols;   /* ncols entries */
    uint64_t *line;     /* per row: 1-based line where the record starts */
    uint64_t *offset;   /* per row: byte offset where the record starts */
    uint64_t end_offset;/* byte offset just past the last record (good or bad) taken into this batch:
                           where a restarted reader resumes */
    uint64_t end_line;  /* lines consumed up to end_offset */
    char *strings;      /* arena for string cells, bad-row reasons and raw text */
    size_t strings_len, strings_cap;
    sml_bad_row *bad;   /* rejected records met while filling this batch */
    size_t nbad, bad_cap;
    size_t limit;       /* if non-zero and below capacity: readers stop at this many rows + bad rows */
} sml_batch;

#define SML_BATCH_INIT {0, 0, 0, NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, 0, 0, 0}

/* How many rows + bad rows a reader may put in b: its capacity, or its limit when that is smaller. */
static inline size_t sml_batch_fill_limit(const sml_batch *b)
{
    return b->limit && b->limit < b->capacity ? b->limit : b->capacity;
}

/* Sets the columns (copies names) and allocates room for `capacity` rows. Frees what b had before. */
SML_API int sml_batch_setup(sml_batch *b, const char *const *names, const sml_type *types, size_t ncols,
                            size_t capacity, sml_error *err);
/* Appends one column (its earlier rows become missing). Returns its index or a negative code. */
SML_API int sml_batch_add_column(sml_batch *b, const char *name, sml_type type, sml_error *err);
/* Index of the column called name, or -1. */
SML_API int sml_batch_find(const sml_batch *b, const char *name);
/* Forgets rows, bad rows and strings; keeps columns and memory. */
SML_API void sml_batch_clear(sml_batch *b);
/* Frees everything; b becomes SML_BATCH_INIT. */
SML_API void sml_batch_release(sml_batch *b);
/* Drops the first k rows (the rest move to the front; strings stay in the arena). */
SML_API void sml_batch_drop_front(sml_batch *b, size_t k);
/* Copies bytes into the string arena; returns 0 and the offset, or SML_ENOMEM/SML_ERANGE (arena > 4 GiB). */
SML_API int sml_batch_put_string(sml_batch *b, const char *s, size_t len, uint32_t *off);

static inline const char *sml_batch_str(const sml_batch *b, size_t col, size_t row, size_t *len)
{
    const sml_column *c = &b->cols[col];
    *len = c->str_len[row];
    return b->strings + c->str_off[row];
}

#ifdef __cplusplus
}
#endif
#endif
