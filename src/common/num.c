/*
 * PLACEHOLDER number conversion (replaced by the correctly rounded parser and shortest formatter).
 * Uses strtod_l/snprintf in the C locale; correct but slow.
 */
#define _GNU_SOURCE
#include "streamml/num.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_num_text(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1, ed = 0;
        if (j < len && (s[j] == '+' || s[j] == '-'))
            j++;
        while (j < len && s[j] >= '0' && s[j] <= '9')
            j++, ed++;
        if (ed)
            i = j;
    }
    return (int)i;
}

size_t sml_parse_double_prefix(const char *s, size_t len, double *out)
{
    char buf[512];
    int n = is_num_text(s, len);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return 0;
    memcpy(buf, s, (size_t)n);
    buf[n] = 0;
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    *out = strtod_l(buf, NULL, c);
    freelocale(c);
    return (size_t)n;
}

int sml_parse_double(const char *s, size_t len, double *out)
{
    double v;
    if (len >= 3) {
        const char *p = s;
        size_t l = len;
        int neg = 0;
        if (*p == '+' || *p == '-')
            neg = *p == '-', p++, l--;
        if ((l == 3 && strncasecmp(p, "inf", 3) == 0) || (l == 8 && strncasecmp(p, "infinity", 8) == 0))
            return *out = neg ? -INFINITY : INFINITY, 0;
        if (l == 3 && strncasecmp(p, "nan", 3) == 0)
            return *out = neg ? -NAN : NAN, 0;
    }
    if (sml_parse_double_prefix(s, len, &v) != len || len == 0)
        return SML_EPARSE;
    *out = v;
    return 0;
}

int sml_parse_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i] == '-', i++;
    if (i == len)
        return SML_EPARSE;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return SML_EPARSE;
        if (v > (UINT64_MAX - 9) / 10)
            return SML_ERANGE;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return SML_ERANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

size_t sml_format_double(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, SML_DOUBLE_BUFSZ, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, SML_DOUBLE_BUFSZ, v < 0 ? "-inf" : "inf");
    for (int prec = 1; prec <= 17; prec++) {
        int n = snprintf(buf, SML_DOUBLE_BUFSZ, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return (size_t)n;
    }
    return (size_t)snprintf(buf, SML_DOUBLE_BUFSZ, "%.17g", v);
}

size_t sml_format_int64(int64_t v, char *buf)
{
    return (size_t)snprintf(buf, 21, "%lld", (long long)v);
}
