/*
 * streamml: error convention shared by every stage.
 *
 * Every fallible call returns an int: 0 (or a non-negative count) on success, a negative SML_E* code on failure,
 * and fills the caller's sml_error (when not NULL) with a one-line message that says what failed and where,
 * e.g. "loan.csv:1042:7: expected a number, got \"n/a\"". The library never prints and never exits.
 */
#ifndef STREAMML_ERROR_H
#define STREAMML_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SML_API __attribute__((visibility("default")))
#define SML_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SML_API
#define SML_PRINTF(f, a)
#endif

enum {
    SML_OK = 0,
    SML_EINVAL = -1,    /* invalid argument or configuration value */
    SML_ENOMEM = -2,    /* out of memory */
    SML_EIO = -3,       /* an I/O call failed (errno text in the message) */
    SML_EPARSE = -4,    /* malformed input data */
    SML_ERANGE = -5,    /* a value or size outside its allowed range */
    SML_EFORMAT = -6,   /* a file is not in the expected format (bad magic, checksum, version) */
    SML_ENOTFOUND = -7, /* a file, column, key or version does not exist */
    SML_EAGAIN = -8,    /* not enough input yet; feed more and call again */
    SML_ELIMIT = -9,    /* a configured limit was exceeded (e.g. --max-errors) */
    SML_EEXIST = -10,   /* something that must be new already exists */
    SML_ESTATE = -11,   /* call not valid in the object's current state */
    SML_ENUMERIC = -12, /* numerical failure (NaN, divergence, no convergence) */
    SML_EUNSUPPORTED = -13
};

typedef struct sml_error {
    int code;
    char msg[256];
} sml_error;

#define SML_ERROR_INIT {0, {0}}

/* Fills err (if not NULL) with code and the formatted message; returns code (negative), so that
 * `return sml_fail(err, SML_EPARSE, "%s:%llu: ...", ...)` reads like git's `return error(...)`. */
SML_API int sml_fail(sml_error *err, int code, const char *fmt, ...) SML_PRINTF(3, 4);
SML_API int sml_failv(sml_error *err, int code, const char *fmt, va_list ap);
#ifdef __clang_analyzer__
/* For the clang static analyzer only (`make analyze-deep`): it does not see across files that sml_fail returns
 * its code, and without that every `return sml_fail(...)` looks like a success that left its outputs unset. */
#define sml_fail(err, code, ...) ((sml_fail)((err), (code), __VA_ARGS__), (code))
#endif
/* Prepends "prefix: " to an existing message (adds context while an error travels up). Returns err->code. */
SML_API int sml_error_prefix(sml_error *err, const char *fmt, ...) SML_PRINTF(2, 3);
/* A short constant description of a code ("parse error"). */
SML_API const char *sml_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
