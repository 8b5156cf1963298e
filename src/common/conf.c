/*
 * Configuration values over the property table (conf_props.c): validation, config files, typed getters.
 * Values are validated when set and kept as text; getters convert.
 */
#include "common/conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "streamml/num.h"

typedef struct ns_entry {
    char *key;
    char *value;
} ns_entry;

struct sml_conf {
    char **values;     /* per table entry: the value set, or NULL */
    ns_entry *ns;      /* dotted pass-through keys, in order set */
    size_t nns, ns_cap;
};

const sml_prop *sml_conf_props(size_t *n)
{
    if (n)
        *n = sml_conf_table_len;
    return sml_conf_table;
}

static long prop_index(const char *name)
{
    for (size_t i = 0; i < sml_conf_table_len; i++)
        if (strcmp(sml_conf_table[i].name, name) == 0)
            return (long)i;
    return -1;
}

const sml_prop *sml_conf_find_prop(const char *name)
{
    long i = prop_index(name);
    return i < 0 ? NULL : &sml_conf_table[i];
}

int sml_prop_for_command(const sml_prop *p, const char *command)
{
    size_t n = strlen(command);
    const char *s = p->commands;
    if (!s)
        return 0;
    while (*s) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if ((len == 1 && *s == '*') || (len == n && memcmp(s, command, n) == 0))
            return 1;
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

sml_conf *sml_conf_new(sml_error *err)
{
    sml_conf *c = calloc(1, sizeof *c);
    if (c)
        c->values = calloc(sml_conf_table_len, sizeof *c->values);
    if (!c || !c->values) {
        free(c);
        sml_fail(err, SML_ENOMEM, "out of memory");
        return NULL;
    }
    return c;
}

void sml_conf_free(sml_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < sml_conf_table_len; i++)
        free(c->values[i]);
    for (size_t i = 0; i < c->nns; i++) {
        free(c->ns[i].key);
        free(c->ns[i].value);
    }
    free(c->ns);
    free(c->values);
    free(c);
}

int sml_parse_duration_ms(const char *s, int64_t *ms, sml_error *err)
{
    size_t len = strlen(s), numlen = 0;
    double v, mult;
    while (numlen < len && (isdigit((unsigned char)s[numlen]) || s[numlen] == '.'))
        numlen++;
    const char *unit = s + numlen;
    if (numlen == 0 || sml_parse_double(s, numlen, &v) != 0)
        return sml_fail(err, SML_EINVAL, "\"%s\" is not a duration (a number with a unit: 250ms, 10s, 5m, 1h)", s);
    if (strcmp(unit, "ms") == 0)
        mult = 1;
    else if (strcmp(unit, "s") == 0)
        mult = 1000;
    else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
        mult = 60000;
    else if (strcmp(unit, "h") == 0)
        mult = 3600000;
    else if (*unit == 0)
        return sml_fail(err, SML_EINVAL, "duration \"%s\" needs a unit (ms, s, m, h), e.g. %sms or %ss", s, s, s);
    else
        return sml_fail(err, SML_EINVAL, "duration \"%s\": unknown unit \"%s\" (use ms, s, m, h)", s, unit);
    v *= mult;
    if (!(v >= 0 && v < 9.2e18))
        return sml_fail(err, SML_ERANGE, "duration \"%s\" is out of range", s);
    *ms = (int64_t)llround(v);
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *yes[] = {"true", "1", "yes", "on"}, *no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int check_range(const sml_prop *p, double v, const char *value, sml_error *err)
{
    if (p->min <= p->max && (v < p->min || v > p->max))
        return sml_fail(err, SML_ERANGE, "%s = %s is out of range [%.17g, %.17g]", p->name, value, p->min, p->max);
    return 0;
}

/* Validates value for p; writes the canonical text (malloc'd) to *canon. */
static int validate(const sml_prop *p, const char *value, char **canon, sml_error *err)
{
    int64_t i64;
    double d;
    int b, rc;
    switch (p->type) {
    case SML_PROP_INT:
        if (sml_parse_int64(value, strlen(value), &i64) != 0)
            return sml_fail(err, SML_EINVAL, "%s = \"%s\": expected an integer", p->name, value);
        if ((rc = check_range(p, (double)i64, value, err)) != 0)
            return rc;
        break;
    case SML_PROP_DOUBLE:
        if (sml_parse_double(value, strlen(value), &d) != 0 || !isfinite(d))
            return sml_fail(err, SML_EINVAL, "%s = \"%s\": expected a number", p->name, value);
        if ((rc = check_range(p, d, value, err)) != 0)
            return rc;
        break;
    case SML_PROP_BOOL:
        if (parse_bool(value, &b) != 0)
            return sml_fail(err, SML_EINVAL, "%s = \"%s\": expected true or false", p->name, value);
        value = b ? "true" : "false";
        break;
    case SML_PROP_DURATION:
        if ((rc = sml_parse_duration_ms(value, &i64, err)) != 0)
            return sml_error_prefix(err, "%s", p->name);
        if ((rc = check_range(p, (double)i64, value, err)) != 0)
            return rc;
        break;
    case SML_PROP_ENUM: {
        size_t n = strlen(value);
        const char *s = p->choices;
        int found = 0;
        while (s && *s) {
            const char *e = strchr(s, '|');
            size_t len = e ? (size_t)(e - s) : strlen(s);
            if (len == n && memcmp(s, value, n) == 0)
                found = 1;
            s = e ? e + 1 : s + len;
        }
        if (!found)
            return sml_fail(err, SML_EINVAL, "%s = \"%s\": expected one of %s", p->name, value, p->choices);
        break;
    }
    case SML_PROP_STRING:
    case SML_PROP_LIST:
        break;
    }
    *canon = strdup(value);
    return *canon ? 0 : sml_fail(err, SML_ENOMEM, "out of memory");
}

int sml_conf_set(sml_conf *c, const char *key, const char *value, sml_error *err)
{
    char *canon = NULL;
    int rc;
    if (strchr(key, '.')) {
        if (c->nns == c->ns_cap) {
            size_t cap = c->ns_cap ? 2 * c->ns_cap : 8;
            ns_entry *ns = realloc(c->ns, cap * sizeof *ns);
            if (!ns)
                return sml_fail(err, SML_ENOMEM, "out of memory");
            c->ns = ns;
            c->ns_cap = cap;
        }
        char *k = strdup(key), *v = strdup(value);
        if (!k || !v) {
            free(k);
            free(v);
            return sml_fail(err, SML_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < c->nns; i++)
            if (strcmp(c->ns[i].key, key) == 0) { /* a later setting wins */
                free(k);
                free(c->ns[i].value);
                c->ns[i].value = v;
                return 0;
            }
        c->ns[c->nns].key = k;
        c->ns[c->nns].value = v;
        c->nns++;
        return 0;
    }
    long i = prop_index(key);
    if (i < 0)
        return sml_fail(err, SML_ENOTFOUND, "unknown setting \"%s\" (see `streamml help config`)", key);
    if ((rc = validate(&sml_conf_table[i], value, &canon, err)) != 0)
        return rc;
    free(c->values[i]);
    c->values[i] = canon;
    return 0;
}

int sml_conf_load_file(sml_conf *c, const char *path, sml_error *err)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    unsigned long lineno = 0;
    int rc = 0;
    if (!f)
        return sml_fail(err, SML_EIO, "%s: cannot open: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = sml_fail(err, SML_EPARSE, "%s:%lu: line too long", path, lineno);
            goto out;
        }
        char *s = line, *e = line + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = 0;
        if (s == e || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = sml_fail(err, SML_EPARSE, "%s:%lu:1: expected key = value", path, lineno);
            goto out;
        }
        char *ke = eq, *v = eq + 1;
        while (ke > s && isspace((unsigned char)ke[-1]))
            ke--;
        *ke = 0;
        while (*v && isspace((unsigned char)*v))
            v++;
        for (char *p = s; *p; p++)
            if (*p == '-')
                *p = '_';
        if ((rc = sml_conf_set(c, s, v, err)) != 0) {
            sml_error_prefix(err, "%s:%lu", path, lineno);
            goto out;
        }
    }
    if (ferror(f))
        rc = sml_fail(err, SML_EIO, "%s: read error: %s", path, strerror(errno));
out:
    fclose(f);
    return rc;
}

int sml_conf_is_set(const sml_conf *c, const char *key)
{
    long i = prop_index(key);
    return i >= 0 && c->values[i] != NULL;
}

static const char *raw(const sml_conf *c, const char *key, sml_prop_type type)
{
    long i = prop_index(key);
    if (i < 0 || sml_conf_table[i].type != type)
        return NULL;
    return c->values[i] ? c->values[i] : sml_conf_table[i].def;
}

int64_t sml_conf_int(const sml_conf *c, const char *key)
{
    const char *v = raw(c, key, SML_PROP_INT);
    int64_t x = 0;
    if (v)
        sml_parse_int64(v, strlen(v), &x);
    return x;
}

double sml_conf_double(const sml_conf *c, const char *key)
{
    const char *v = raw(c, key, SML_PROP_DOUBLE);
    double x = 0;
    if (v)
        sml_parse_double(v, strlen(v), &x);
    return x;
}

int sml_conf_bool(const sml_conf *c, const char *key)
{
    const char *v = raw(c, key, SML_PROP_BOOL);
    int b = 0;
    if (v)
        parse_bool(v, &b);
    return b;
}

const char *sml_conf_str(const sml_conf *c, const char *key)
{
    long i = prop_index(key);
    if (i < 0)
        return NULL;
    return c->values[i] ? c->values[i] : sml_conf_table[i].def;
}

int64_t sml_conf_duration_ms(const sml_conf *c, const char *key)
{
    const char *v = raw(c, key, SML_PROP_DURATION);
    int64_t ms = 0;
    if (v)
        sml_parse_duration_ms(v, &ms, NULL);
    return ms;
}

int sml_conf_each_ns(const sml_conf *c, const char *ns, int (*fn)(const char *, const char *, void *), void *opaque)
{
    size_t n = strlen(ns);
    for (size_t i = 0; i < c->nns; i++) {
        const char *k = c->ns[i].key;
        if (strncmp(k, ns, n) == 0 && k[n] == '.') {
            int rc = fn(k + n + 1, c->ns[i].value, opaque);
            if (rc)
                return rc;
        }
    }
    return 0;
}

char **sml_split_list(const char *list)
{
    size_t n = 1, k = 0;
    if (!list)
        return NULL;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    char **out = calloc(n + 1, sizeof *out);
    if (!out)
        return NULL;
    for (const char *s = list;;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len && !(out[k++] = strndup(s, len))) {
            sml_list_free(out);
            return NULL;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return out;
}

void sml_list_free(char **list)
{
    for (char **p = list; p && *p; p++)
        free(*p);
    free(list);
}
