/*
 * streamml: the Parquet writer, where rows leave as columnar files (the `parquet:` sink, seed 002's output).
 *
 * Rows go in either as whole column batches (sml_parquet_write_batch, from a parser's sml_batch) or value by
 * value (sml_parquet_put_* then sml_parquet_end_row: the engine's prediction records). The writer keeps one row
 * group in memory (encoded and compressed pages, at most row_group_rows rows), hands it to the write callback
 * when it is full, and on sml_parquet_writer_finish writes the footer. Bytes leave strictly in file order, so
 * the callback may be a pipe, a socket or an append-only file.
 *
 * The file: "PAR1", row groups, FileMetaData (Thrift compact protocol), its 4-byte little-endian length, "PAR1".
 *   column types  DOUBLE (physical DOUBLE), INT64 (INT64), BOOLEAN (BOOLEAN), STRING (BYTE_ARRAY annotated with
 *                 the STRING logical type and the UTF8 converted type). A column is OPTIONAL (its missing values
 *                 are nulls, stored as definition levels in the RLE/bit-packed hybrid encoding) unless declared
 *                 required, then REQUIRED and a null there is an error.
 *   pages         data pages v1; numbers and booleans PLAIN. STRING columns, when the dictionary is on, are
 *                 dictionary encoded (a PLAIN dictionary page per column chunk, RLE_DICTIONARY data pages) until
 *                 the chunk's dictionary outgrows dictionary_page_bytes; the rest of that chunk is then PLAIN.
 *                 Every page (dictionary pages too) is compressed on its own with the chosen codec.
 *   statistics    every column chunk has null_count and, when it has a non-null (non-NaN) value, min_value and
 *                 max_value in the type's order (column_orders: TYPE_ORDER): signed for INT64, false < true,
 *                 unsigned bytewise for STRING; for DOUBLE NaN is left out (nan_count says how many there
 *                 were), a zero minimum is written as -0.0 and a zero maximum as +0.0, as the format requires.
 *   created_by    "streamml version <version>".
 * Doubles are stored bit for bit (-0.0, NaN payloads, subnormals, infinities).
 *
 * Memory: a row group's encoded pages plus per-column buffers of one page; buffers are reused, so once they have
 * grown to a row group's size nothing is allocated per value or per row (compressors may allocate per page).
 *
 * Errors follow include/streamml/error.h. Every error is sticky: the call that failed returns it, and so does
 * every later call except sml_parquet_writer_free (a half-written row could not be completed consistently).
 * An sml_parquet_writer is used by one thread at a time; different writers share nothing.
 */
#ifndef STREAMML_PARQUET_H
#define STREAMML_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"
#include "streamml/record.h"
#include "streamml/textout.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_parquet_type {
    SML_PARQUET_DOUBLE = 0,
    SML_PARQUET_INT64 = 1,
    SML_PARQUET_BOOLEAN = 2,
    SML_PARQUET_STRING = 3 /* UTF-8 text (the writer does not check the bytes) */
} sml_parquet_type;

typedef struct sml_parquet_column {
    const char *name;      /* copied; not empty, unique */
    sml_parquet_type type;
    int required;          /* non-zero: REQUIRED, never null; 0: OPTIONAL */
} sml_parquet_column;

typedef enum sml_parquet_compression {
    SML_PARQUET_UNCOMPRESSED = 0,
    SML_PARQUET_ZSTD = 1,
    SML_PARQUET_SNAPPY = 2
} sml_parquet_compression;

typedef struct sml_parquet_opts {
    sml_parquet_compression compression; /* default UNCOMPRESSED */
    int compression_level;               /* zstd level; 0: 1 (fast, what Arrow uses) */
    size_t row_group_rows;               /* rows per row group; 0: 131072 */
    size_t page_bytes;                   /* a data page closes when its encoded values reach this; 0: 1 MiB */
    int dictionary;                      /* non-zero: dictionary-encode STRING columns (default 1) */
    size_t dictionary_page_bytes;        /* a chunk's dictionary larger than this falls back to PLAIN; 0: 1 MiB */
} sml_parquet_opts;

#define SML_PARQUET_OPTS_INIT {SML_PARQUET_UNCOMPRESSED, 0, 0, 0, 1, 0}

typedef struct sml_parquet_writer sml_parquet_writer;

/* Makes a writer for ncols columns (at least 1). opts may be NULL (the defaults). write is called with opaque for
 * every chunk of output, in file order; nothing is written before the first row group is complete or
 * sml_parquet_writer_finish is called. Returns NULL with err filled (SML_EINVAL: bad column, name or option;
 * SML_ENOMEM). */
SML_API sml_parquet_writer *sml_parquet_writer_new(const sml_parquet_column *cols, size_t ncols,
                                                   const sml_parquet_opts *opts, sml_write_fn write, void *opaque,
                                                   sml_error *err);
/* Frees the writer without writing anything more (a file not finished is not a valid Parquet file).
 * NULL is a no-op. */
SML_API void sml_parquet_writer_free(sml_parquet_writer *w);

/* Appends every row of b. colmap[j] is the batch column that feeds Parquet column j, or -1 for a column that is
 * null in every row; colmap NULL means batch column j feeds column j. A NUM batch column feeds a DOUBLE column, a
 * STR column a STRING column; a missing cell is a null. The columns and the nulls of REQUIRED columns are checked
 * before anything is appended: then SML_EINVAL, and that error is not sticky. Must not be called in the middle of
 * a row of put_* calls (SML_ESTATE). */
SML_API int sml_parquet_write_batch(sml_parquet_writer *w, const sml_batch *b, const int *colmap, sml_error *err);

/* A row value by value: exactly one put per column, in column order, then end_row. The put must match the
 * column's type (SML_EINVAL); put_null on a REQUIRED column is SML_EINVAL; more puts than columns, or end_row
 * with fewer, is SML_ESTATE. */
SML_API int sml_parquet_put_double(sml_parquet_writer *w, double v, sml_error *err);
SML_API int sml_parquet_put_int64(sml_parquet_writer *w, int64_t v, sml_error *err);
SML_API int sml_parquet_put_bool(sml_parquet_writer *w, int v, sml_error *err);
/* len bytes of s (need not be NUL-terminated; copied). */
SML_API int sml_parquet_put_str(sml_parquet_writer *w, const char *s, size_t len, sml_error *err);
SML_API int sml_parquet_put_null(sml_parquet_writer *w, sml_error *err);
SML_API int sml_parquet_end_row(sml_parquet_writer *w, sml_error *err);

/* Writes the last (partial) row group and the footer. After it only sml_parquet_writer_free is valid
 * (SML_ESTATE otherwise). A row begun with put_* and not ended is SML_ESTATE. A file with no rows is valid. */
SML_API int sml_parquet_writer_finish(sml_parquet_writer *w, sml_error *err);

/* Rows accepted so far, and bytes handed to the write callback so far. */
SML_API uint64_t sml_parquet_writer_rows(const sml_parquet_writer *w);
SML_API uint64_t sml_parquet_writer_bytes(const sml_parquet_writer *w);

#ifdef __cplusplus
}
#endif
#endif
