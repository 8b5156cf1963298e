/*
 * streamml: push parsers for CSV and JSON lines.
 *
 * bytes -> sml_reader -> sml_batch. The caller feeds bytes as they arrive (any chunking, even one byte at a time)
 * and pulls batches of complete records. gzip and zstd input is recognised by its magic bytes at the start of the
 * stream and decompressed on the fly. Malformed records never stop the reader: each becomes an sml_bad_row in the
 * batch (with line, column and reason) and parsing resumes at the next record.
 *
 * Ownership: the reader copies fed bytes; the batch is the caller's. One reader is used by one thread at a time;
 * distinct readers share nothing.
 */
#ifndef STREAMML_PARSE_H
#define STREAMML_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_format { SML_FORMAT_AUTO = 0, SML_FORMAT_CSV = 1, SML_FORMAT_JSONL = 2 } sml_format;

typedef struct sml_reader_opts {
    sml_format format;       /* AUTO: JSONL if the first non-space byte is '{', else CSV */
    char delimiter;          /* CSV field delimiter (default ',') */
    int header;              /* CSV: the first record names the columns (default 1). Without a header columns are
                                named c1, c2, ... */
    const char *source_name; /* used in messages: "loan.csv", "<stdin>" (copied) */
    size_t max_record_bytes; /* a longer record is a bad row, skipped to its end without buffering it
                                (default 1 MiB) */
    int check_utf8;          /* reject records with invalid UTF-8 in string fields (default 1) */
    int require_terminator;  /* at the end of input, a last record without a line terminator is a bad row
                                ("partial record"), not a record: for sockets, where a cut connection leaves one
                                (default 0: files may end without a newline) */
} sml_reader_opts;

#define SML_READER_OPTS_INIT {SML_FORMAT_AUTO, ',', 1, NULL, (size_t)1 << 20, 1, 0}

typedef struct sml_reader sml_reader;

SML_API sml_reader *sml_reader_new(const sml_reader_opts *opts, sml_error *err);
SML_API void sml_reader_free(sml_reader *r); /* NULL is a no-op */

/* Gives the reader more input (copied). Returns 0 or a negative code (decompression failure, out of memory). */
SML_API int sml_reader_feed(sml_reader *r, const void *data, size_t len, sml_error *err);
/* Declares the end of input: a final record without a line terminator is then complete. */
SML_API int sml_reader_end(sml_reader *r, sml_error *err);

/* The column names found in the input so far: the CSV header, or for JSONL in discovery mode the keys seen so far
 * in order of first appearance. Returns 0, or SML_EAGAIN while a CSV header is not complete yet. The array is
 * owned by the reader and valid until the next call on it. */
SML_API int sml_reader_columns(sml_reader *r, const char *const **names, size_t *n);

/* Fixes the output columns: names and types, in the order batches will have them.
 * CSV: each name must be a header column (else SML_ENOTFOUND, unless optional[i] is non-zero: then the column is
 * missing in every row); header columns not named are skipped. JSONL: keys not named are skipped; absent keys are
 * missing. A NUM column holds numbers (JSON true/false count as 1/0); text that is not a number there makes the
 * record a bad row. Without this call the reader is untyped: every header column (CSV) or every key seen (JSONL,
 * discovery mode) becomes a STR column. Call before the first sml_reader_next, or between batches. */
SML_API int sml_reader_set_columns(sml_reader *r, const char *const *names, const sml_type *types,
                                   const uint8_t *optional, size_t n, sml_error *err);

/* Clears b and fills it with up to b->capacity complete records (and any bad rows met on the way); sets up b's
 * columns on the first call. Returns the number of rows plus bad rows taken (0: no complete record available:
 * feed more, or the input is finished, see sml_reader_done), or a negative code on a fatal error. */
SML_API int sml_reader_next(sml_reader *r, sml_batch *b, sml_error *err);

/* 1 when sml_reader_end was called and every record has been returned. */
SML_API int sml_reader_done(const sml_reader *r);

/* Statistics since creation. */
typedef struct sml_reader_stats {
    uint64_t bytes_in;    /* bytes fed (compressed size if compressed) */
    uint64_t bytes;       /* bytes parsed (decompressed) */
    uint64_t records;     /* good records returned */
    uint64_t bad_records; /* records rejected */
    uint64_t lines;       /* lines consumed */
} sml_reader_stats;
SML_API void sml_reader_get_stats(const sml_reader *r, sml_reader_stats *st);

/* Formats a bad row as one line: "<source>:<line>:<column>: <reason>" into buf (NUL-terminated, truncated). */
SML_API size_t sml_bad_row_format(const sml_reader *r, const sml_batch *b, size_t i, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
