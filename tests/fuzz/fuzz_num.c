/* libFuzzer target for src/common/num.c: arbitrary bytes through both parse functions, compared bit for bit with
 * glibc strtod (the reference; allowed in tests, never in src/) on a NUL-terminated copy; every 8-byte chunk
 * formatted as a double must read back to the same bits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streamml/num.h"

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static int lower_eq(const char *s, const char *word, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i])
            return 0;
    return 1;
}

/* strtod reads further than our grammar after these: leading space, hex, "nan(...)"; there only the value of
 * the prefix we took is compared. */
static int strtod_grammar_differs(const char *s, size_t len)
{
    size_t i = 0;
    if (len && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
        return 1;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (len - i >= 2 && s[i] == '0' && (s[i + 1] | 0x20) == 'x')
        return 1;
    if (len - i >= 4 && lower_eq(s + i, "nan(", 4))
        return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* exact-size heap copies, so ASan catches any read past len */
    char *text = malloc(size ? size : 1);
    char *copy = malloc(size + 1);
    if (!text || !copy)
        abort();
    memcpy(text, data, size);
    memcpy(copy, data, size);
    copy[size] = 0;

    double prefix_value = 0, whole_value = 0;
    size_t n = sml_parse_double_prefix(text, size, &prefix_value);
    int rc = sml_parse_double(text, size, &whole_value);
    if (n > size)
        abort();
    if ((rc == 0) != (size > 0 && n == size))
        abort(); /* the whole-string parse accepts exactly when the prefix is everything */
    if (rc == 0 && bits_of(whole_value) != bits_of(prefix_value))
        abort();

    if (n > 0) {
        /* the prefix we took, alone, is read the same way by strtod and entirely */
        char *piece = malloc(n + 1), *end;
        if (!piece)
            abort();
        memcpy(piece, text, n);
        piece[n] = 0;
        double ref = strtod(piece, &end);
        if ((size_t)(end - piece) != n || bits_of(ref) != bits_of(prefix_value)) {
            fprintf(stderr, "\"%s\": strtod %a (%zu bytes), sml %a\n", piece, ref, (size_t)(end - piece),
                    prefix_value);
            abort();
        }
        free(piece);
    }
    if (!strtod_grammar_differs(copy, size) && strlen(copy) == size) {
        /* and we stop where strtod stops */
        char *end;
        double ref = strtod(copy, &end);
        if ((size_t)(end - copy) != n || (n && bits_of(ref) != bits_of(prefix_value))) {
            fprintf(stderr, "\"%s\": strtod took %zu bytes, sml %zu\n", copy, (size_t)(end - copy), n);
            abort();
        }
    }

    /* formatting: each 8-byte chunk as a double */
    for (size_t i = 0; i + 8 <= size; i += 8) {
        double v, back = 0;
        char buf[SML_DOUBLE_BUFSZ];
        memcpy(&v, data + i, 8);
        size_t len = sml_format_double(v, buf);
        if (len >= SML_DOUBLE_BUFSZ || len != strlen(buf))
            abort();
        if (sml_parse_double(buf, len, &back) != 0)
            abort();
        if (v != v ? back == back : bits_of(back) != bits_of(v))
            abort();
        if (v == v && bits_of(strtod(buf, NULL)) != bits_of(v))
            abort();
    }
    /* and as an integer */
    if (size >= 8) {
        int64_t iv, back = 0;
        char buf[24];
        memcpy(&iv, data, 8);
        size_t len = sml_format_int64(iv, buf);
        if (sml_parse_int64(buf, len, &back) != 0 || back != iv)
            abort();
    }
    free(text);
    free(copy);
    return 0;
}
