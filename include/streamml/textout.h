/*
 * streamml: the text record writer, where rows leave as CSV or JSON lines.
 *
 * A sink (file, stdout, socket, Kafka producer, ...) supplies a write callback; sml_textout formats rows of typed
 * values into an internal buffer (64 KiB) and hands it to the callback whenever it fills and on sml_textout_flush().
 * Nothing is allocated per row.
 *
 * Formats:
 *   CSV    one header line of column names, then one line per row, fields separated by the delimiter, lines ended
 *          by "\n". A field is quoted (RFC 4180: "..." with inner quotes doubled) only when it must be: it contains
 *          the delimiter, a quote, CR or LF, or starts or ends with a space or tab, or it is an empty string (so
 *          that it differs from a missing value). A missing value is an empty field.
 *   JSONL  one object per row, keys in column order: {"a":1,"b":"x"}. Strings are escaped as JSON requires
 *          (quote, backslash, control characters as \n \t ... or \u00XX); other bytes, UTF-8 included, pass
 *          through unchanged. A missing value is null. There is no header.
 * Numbers are printed with sml_format_double (the shortest text that reads back to the same double). NaN and
 * infinities are written as the text sml_format_double gives them ("nan", "inf", "-inf") in CSV, so that the
 * streamml readers get them back, and as null in JSON, which has no such numbers.
 *
 * Errors follow include/streamml/error.h. A failed write is sticky: the put/flush that triggered the write
 * returns the error, and so does every later call, so that a failure is never silently lost.
 * An sml_textout is used by one thread at a time; different objects are independent.
 */
#ifndef STREAMML_TEXTOUT_H
#define STREAMML_TEXTOUT_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_text_format {
    SML_TEXT_CSV = 0,
    SML_TEXT_JSONL = 1
} sml_text_format;

/* Writes all len bytes of buf, or returns a negative SML_E* code with err filled. */
typedef int (*sml_write_fn)(void *opaque, const void *buf, size_t len, sml_error *err);

typedef struct sml_textout sml_textout;

/* Internal buffer size: the callback gets chunks of at most this many bytes (except sml_textout_put_str with a
 * string longer than the buffer, whose bytes may be passed straight through). */
#define SML_TEXTOUT_BUFSZ 65536

/* Makes a writer for ncols columns. colnames (copied) name the columns: the CSV header and the JSON keys.
 * delimiter is the CSV separator (',' usually; ignored for JSONL); it may not be a quote, CR or LF.
 * write is called with opaque for every chunk of output. Returns NULL with err filled (SML_EINVAL, SML_ENOMEM). */
SML_API sml_textout *sml_textout_new(sml_text_format format, char delimiter, const char *const *colnames,
                                     size_t ncols, sml_write_fn write, void *opaque, sml_error *err);
/* Frees the writer without flushing: call sml_textout_flush() first to keep buffered output. NULL is a no-op. */
SML_API void sml_textout_free(sml_textout *t);

/* CSV: writes the header line. JSONL: does nothing. Call before the first row. */
SML_API int sml_textout_header(sml_textout *t, sml_error *err);

/* A row is begin_row, then exactly ncols put_* calls in column order, then end_row. Putting more values than
 * columns, or ending a row with fewer, is SML_ESTATE. */
SML_API int sml_textout_begin_row(sml_textout *t, sml_error *err);
SML_API int sml_textout_put_num(sml_textout *t, double v, sml_error *err);
SML_API int sml_textout_put_int(sml_textout *t, int64_t v, sml_error *err);
/* The decimal number scaled / 10^decimals (decimals <= 18), printed exactly, without trailing zeros: (1190, 4)
 * gives "0.119", (-5, 2) "-0.05", (300, 2) "3". For data that has a fixed precision this is the same text that
 * sml_format_double prints for the double nearest to that decimal, only much faster. */
SML_API int sml_textout_put_fixed(sml_textout *t, int64_t scaled, unsigned decimals, sml_error *err);
/* A string of len bytes (need not be NUL-terminated; may contain any bytes), quoted/escaped as needed. */
SML_API int sml_textout_put_str(sml_textout *t, const char *s, size_t len, sml_error *err);
SML_API int sml_textout_put_missing(sml_textout *t, sml_error *err);
SML_API int sml_textout_end_row(sml_textout *t, sml_error *err);

/* Hands everything buffered to the write callback. Returns 0, or the (sticky) write error. */
SML_API int sml_textout_flush(sml_textout *t, sml_error *err);
/* Bytes accepted so far (written or still buffered). */
SML_API uint64_t sml_textout_bytes(const sml_textout *t);

/* Ready-made write callbacks. sml_write_fd: opaque points to an int file descriptor (kept alive by the caller);
 * retries short writes and EINTR. sml_write_stdio: opaque is a FILE*; errors that stdio defers show up in
 * fflush/fclose, which are the caller's. */
SML_API int sml_write_fd(void *opaque, const void *buf, size_t len, sml_error *err);
SML_API int sml_write_stdio(void *opaque, const void *buf, size_t len, sml_error *err);

#ifdef __cplusplus
}
#endif
#endif
