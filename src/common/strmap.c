/* String -> uint32 map (see strmap.h). */
#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

void sml_strmap_release(sml_strmap *m)
{
    free(m->hashes);
    free(m->values);
    free(m->key_off);
    free(m->key_len);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

static inline uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = sml_hash64(key, len);
    return h ? h : 1; /* 0 marks an empty slot */
}

uint32_t *sml_strmap_get(const sml_strmap *m, const char *key, size_t len)
{
    if (!m->cap)
        return NULL;
    uint64_t h = key_hash(key, len);
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (m->hashes[i] == 0)
            return NULL;
        if (m->hashes[i] == h && m->key_len[i] == len && (len == 0 || memcmp(m->arena + m->key_off[i], key, len) == 0))
            return &m->values[i];
    }
}

static int grow(sml_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    uint64_t *hashes = calloc(cap, sizeof *hashes);
    uint32_t *values = malloc(cap * sizeof *values), *off = malloc(cap * sizeof *off),
             *klen = malloc(cap * sizeof *klen);
    if (!hashes || !values || !off || !klen) {
        free(hashes);
        free(values);
        free(off);
        free(klen);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->hashes[i])
            continue;
        size_t j = (size_t)m->hashes[i] & (cap - 1);
        while (hashes[j])
            j = (j + 1) & (cap - 1);
        hashes[j] = m->hashes[i];
        values[j] = m->values[i];
        off[j] = m->key_off[i];
        klen[j] = m->key_len[i];
    }
    free(m->hashes);
    free(m->values);
    free(m->key_off);
    free(m->key_len);
    m->hashes = hashes;
    m->values = values;
    m->key_off = off;
    m->key_len = klen;
    m->cap = cap;
    return 0;
}

uint32_t *sml_strmap_put(sml_strmap *m, const char *key, size_t len, uint32_t value, int *inserted)
{
    uint32_t *v = sml_strmap_get(m, key, len);
    if (inserted)
        *inserted = 0;
    if (v)
        return v;
    if ((m->len + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return NULL;
    if (m->arena_len + len > UINT32_MAX)
        return NULL;
    if (!m->arena || m->arena_len + len > m->arena_cap) {
        size_t cap = m->arena_cap ? m->arena_cap : 1024;
        while (cap < m->arena_len + len)
            cap *= 2;
        char *a = realloc(m->arena, cap);
        if (!a)
            return NULL;
        m->arena = a;
        m->arena_cap = cap;
    }
    uint64_t h = key_hash(key, len);
    size_t i = (size_t)h & (m->cap - 1);
    while (m->hashes[i])
        i = (i + 1) & (m->cap - 1);
    if (len)
        memcpy(m->arena + m->arena_len, key, len);
    m->hashes[i] = h;
    m->values[i] = value;
    m->key_off[i] = (uint32_t)m->arena_len;
    m->key_len[i] = (uint32_t)len;
    m->arena_len += len;
    m->len++;
    if (inserted)
        *inserted = 1;
    return &m->values[i];
}
