/*
 * streamml: configuration properties.
 *
 * One table of properties {name, type, default, range, commands, doc} backs the config file, `--set key=value`
 * and every CLI flag (`--a-b` is the key `a_b`). Keys with a dot are namespaces passed through unchecked
 * (`kafka.fetch.max.bytes=...` goes to librdkafka). Durations always carry a unit (250ms, 10s, 5m, 1h); counts are
 * plain integers.
 *
 * An sml_conf is a set of values over that table; it is not shared between threads while being modified.
 */
#ifndef STREAMML_CONF_H
#define STREAMML_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sml_prop_type {
    SML_PROP_INT,      /* plain integer count */
    SML_PROP_DOUBLE,
    SML_PROP_BOOL,     /* true/false, 1/0, yes/no, on/off; a bare flag means true */
    SML_PROP_STRING,
    SML_PROP_DURATION, /* integer or decimal with a unit: ms, s, m, h */
    SML_PROP_ENUM,     /* one of a '|'-separated list */
    SML_PROP_LIST      /* comma-separated list, kept as text */
} sml_prop_type;

typedef struct sml_prop {
    const char *name;     /* config key: lower case, underscores */
    sml_prop_type type;
    const char *def;      /* default as text, NULL = unset */
    double min, max;      /* range for INT/DOUBLE/DURATION (ms); min > max means unchecked */
    const char *choices;  /* ENUM: "a|b|c" */
    const char *commands; /* space-separated subcommands that take it, "*" for all */
    const char *doc;      /* one line */
} sml_prop;

/* The property table (static, read-only). */
SML_API const sml_prop *sml_conf_props(size_t *n);
SML_API const sml_prop *sml_conf_find_prop(const char *name);
/* 1 when the command takes the property. */
SML_API int sml_prop_for_command(const sml_prop *p, const char *command);

typedef struct sml_conf sml_conf;

SML_API sml_conf *sml_conf_new(sml_error *err);
SML_API void sml_conf_free(sml_conf *c);
/* Validates and sets a value. Unknown keys without a dot are SML_ENOTFOUND; keys with a dot are kept as given. */
SML_API int sml_conf_set(sml_conf *c, const char *key, const char *value, sml_error *err);
/* Reads `key = value` lines ('#' comments, blank lines) from a file. Errors name file:line. */
SML_API int sml_conf_load_file(sml_conf *c, const char *path, sml_error *err);
/* 1 when the key was set explicitly (not just defaulted). */
SML_API int sml_conf_is_set(const sml_conf *c, const char *key);

/* Typed getters. The key must be in the table with that type (else the default of the type is returned).
 * Strings are owned by the conf; NULL when unset without default. */
SML_API int64_t sml_conf_int(const sml_conf *c, const char *key);
SML_API double sml_conf_double(const sml_conf *c, const char *key);
SML_API int sml_conf_bool(const sml_conf *c, const char *key);
SML_API const char *sml_conf_str(const sml_conf *c, const char *key);
SML_API int64_t sml_conf_duration_ms(const sml_conf *c, const char *key);

/* Pass-through keys under a namespace ("kafka"): calls fn(key-without-prefix, value, opaque) for each, in the
 * order they were set; stops and returns fn's value when it is non-zero. */
SML_API int sml_conf_each_ns(const sml_conf *c, const char *ns,
                             int (*fn)(const char *key, const char *value, void *opaque), void *opaque);

/* Splits a comma-separated list ("a,b,c"; empty items dropped) into a NULL-terminated malloc'd array of
 * malloc'd strings; NULL for NULL text (or out of memory). Free with sml_list_free. */
SML_API char **sml_split_list(const char *text);
SML_API void sml_list_free(char **list);

/* Parses "250ms", "10s", "1.5m", "2h" into milliseconds. A bare number is an error (units are mandatory). */
SML_API int sml_parse_duration_ms(const char *s, int64_t *ms, sml_error *err);

#ifdef __cplusplus
}
#endif
#endif
