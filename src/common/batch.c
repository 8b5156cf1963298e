/* Column batches (include/streamml/record.h): the unit of work between parser and pipeline. */
#include "streamml/record.h"

#include <stdlib.h>
#include <string.h>

static void column_free(sml_column *c)
{
    free(c->name);
    free(c->num);
    free(c->str_off);
    free(c->str_len);
    free(c->missing);
    memset(c, 0, sizeof *c);
}

static int column_alloc(sml_column *c, size_t capacity)
{
    size_t n = capacity ? capacity : 1;
    c->missing = calloc(n, 1);
    if (c->type == SML_TYPE_NUM) {
        c->num = calloc(n, sizeof *c->num);
        return c->missing && c->num ? 0 : -1;
    }
    c->str_off = calloc(n, sizeof *c->str_off);
    c->str_len = calloc(n, sizeof *c->str_len);
    return c->missing && c->str_off && c->str_len ? 0 : -1;
}

void sml_batch_release(sml_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->ncols; i++)
        column_free(&b->cols[i]);
    free(b->cols);
    free(b->line);
    free(b->offset);
    free(b->strings);
    free(b->bad);
    memset(b, 0, sizeof *b);
}

int sml_batch_setup(sml_batch *b, const char *const *names, const sml_type *types, size_t ncols, size_t capacity,
                    sml_error *err)
{
    sml_batch_release(b);
    if (capacity == 0)
        capacity = 1;
    b->capacity = capacity;
    b->line = malloc(capacity * sizeof *b->line);
    b->offset = malloc(capacity * sizeof *b->offset);
    /* the string arena always exists, so that an empty cell's pointer is never NULL + 0 */
    b->strings_cap = 4096;
    b->strings = malloc(b->strings_cap);
    if (!b->line || !b->offset || !b->strings)
        goto nomem;
    for (size_t i = 0; i < ncols; i++)
        if (sml_batch_add_column(b, names[i], types ? types[i] : SML_TYPE_STR, err) < 0)
            goto fail;
    return 0;
nomem:
    sml_fail(err, SML_ENOMEM, "out of memory allocating a batch of %zu rows", capacity);
fail:
    sml_batch_release(b);
    return err ? err->code : SML_ENOMEM;
}

int sml_batch_add_column(sml_batch *b, const char *name, sml_type type, sml_error *err)
{
    sml_column *cols = realloc(b->cols, (b->ncols + 1) * sizeof *cols);
    if (!cols)
        return sml_fail(err, SML_ENOMEM, "out of memory adding column %s", name);
    b->cols = cols;
    sml_column *c = &cols[b->ncols];
    memset(c, 0, sizeof *c);
    c->type = type;
    c->name = strdup(name);
    if (!c->name || column_alloc(c, b->capacity) != 0) {
        column_free(c);
        return sml_fail(err, SML_ENOMEM, "out of memory adding column %s", name);
    }
    /* rows already in the batch are missing in the new column */
    memset(c->missing, 1, b->nrows);
    return (int)b->ncols++;
}

int sml_batch_find(const sml_batch *b, const char *name)
{
    for (size_t i = 0; i < b->ncols; i++)
        if (strcmp(b->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

void sml_batch_clear(sml_batch *b)
{
    b->nrows = 0;
    b->nbad = 0;
    b->strings_len = 0;
}

int sml_batch_put_string(sml_batch *b, const char *s, size_t len, uint32_t *off)
{
    if (b->strings_len + len > UINT32_MAX)
        return SML_ERANGE;
    if (b->strings_len + len > b->strings_cap) {
        size_t cap = b->strings_cap ? b->strings_cap : 4096;
        while (cap < b->strings_len + len)
            cap *= 2;
        char *p = realloc(b->strings, cap);
        if (!p)
            return SML_ENOMEM;
        b->strings = p;
        b->strings_cap = cap;
    }
    memcpy(b->strings + b->strings_len, s, len);
    *off = (uint32_t)b->strings_len;
    b->strings_len += len;
    return 0;
}

void sml_batch_drop_front(sml_batch *b, size_t k)
{
    if (k >= b->nrows) {
        b->nrows = 0;
        return;
    }
    size_t n = b->nrows - k;
    for (size_t c = 0; c < b->ncols; c++) {
        sml_column *col = &b->cols[c];
        memmove(col->missing, col->missing + k, n);
        if (col->num)
            memmove(col->num, col->num + k, n * sizeof *col->num);
        if (col->str_off) {
            memmove(col->str_off, col->str_off + k, n * sizeof *col->str_off);
            memmove(col->str_len, col->str_len + k, n * sizeof *col->str_len);
        }
    }
    memmove(b->line, b->line + k, n * sizeof *b->line);
    memmove(b->offset, b->offset + k, n * sizeof *b->offset);
    b->nrows = n;
}
