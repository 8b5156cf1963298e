/*
 * streamml: numbers as text, both ways, locale-independent.
 *
 * Parsing is correctly rounded (round-half-even, equal to strtod in the "C" locale on every input it accepts)
 * without calling strtod; formatting prints the shortest decimal string that reads back to the same double.
 * Both are pure functions: thread-safe, no allocation, no global state.
 */
#ifndef STREAMML_NUM_H
#define STREAMML_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses the whole of [s, s+len) as a decimal number:
 *   [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?   and  [+-]?(inf|infinity|nan)  (case-insensitive).
 * No leading/trailing spaces, no hex, no thousands separators. Overflow gives +-inf, underflow +-0 or a subnormal,
 * exactly as strtod rounds. Returns 0 and sets *out, or SML_EPARSE when the text is not such a number
 * (then *out is left unchanged). */
SML_API int sml_parse_double(const char *s, size_t len, double *out);

/* Parses a prefix of [s, s+len) with the grammar above; returns the number of bytes consumed (0 if none form a
 * number, then *out is left unchanged) and sets *out. It stops where strtod would: "1e+" consumes 1 byte,
 * "infinit" 3. Used by the JSON reader, where a number is followed by ',' or '}'. */
SML_API size_t sml_parse_double_prefix(const char *s, size_t len, double *out);

/* Parses a whole-string signed decimal integer into *out. Returns 0, SML_EPARSE or SML_ERANGE. */
SML_API int sml_parse_int64(const char *s, size_t len, int64_t *out);

/* Size a buffer for sml_format_double must have (longest output plus a NUL). */
#define SML_DOUBLE_BUFSZ 32

/* Writes the shortest decimal text that sml_parse_double (and strtod) reads back to exactly v, NUL-terminated,
 * into buf (SML_DOUBLE_BUFSZ bytes); returns its length. Of several shortest candidates the one closest to v is
 * chosen (ties: even last digit), as Ryu does. Style: plain digits when the decimal exponent x of the first
 * significant digit (v = d.ddd * 10^x) is in [-5, 21) ("0.1189", "829.1", "3", "-0", "123456789012", "0.00001",
 * "100000000000000000000"), otherwise scientific with a signed exponent of at least two digits ("1e+21", "1e-06",
 * "1.5e-07", "5e-324"); "nan" (whatever its sign), "inf", "-inf" for the specials. */
SML_API size_t sml_format_double(double v, char *buf);

/* Writes a signed integer in decimal, NUL-terminated; returns its length (buf: 21 bytes at least). */
SML_API size_t sml_format_int64(int64_t v, char *buf);

#ifdef __cplusplus
}
#endif
#endif
