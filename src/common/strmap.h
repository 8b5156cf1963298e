/*
 * A map from byte strings to uint32 values (open addressing, keys copied into an arena). Used for category
 * vocabularies on the hot path and for counting distinct values in schema inference. Not thread-safe for writes;
 * concurrent lookups on a map nobody modifies are safe.
 */
#ifndef SML_STRMAP_H
#define SML_STRMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct sml_strmap {
    uint64_t *hashes;  /* per slot: hash, 0 = empty */
    uint32_t *values;  /* per slot */
    uint32_t *key_off; /* per slot: offset of the key in arena */
    uint32_t *key_len;
    size_t cap, len;   /* slots (power of two), entries */
    char *arena;
    size_t arena_len, arena_cap;
} sml_strmap;

#define SML_STRMAP_INIT {0}

void sml_strmap_release(sml_strmap *m);
/* Looks up key; returns a pointer to its value or NULL. */
uint32_t *sml_strmap_get(const sml_strmap *m, const char *key, size_t len);
/* Inserts key with value if absent; returns a pointer to the (new or existing) value, or NULL when out of
 * memory. *inserted (optional) tells which. */
uint32_t *sml_strmap_put(sml_strmap *m, const char *key, size_t len, uint32_t value, int *inserted);
/* Iteration: slot i holds an entry when m->hashes[i] != 0. */
static inline const char *sml_strmap_key(const sml_strmap *m, size_t slot, size_t *len)
{
    *len = m->key_len[slot];
    return m->arena + m->key_off[slot];
}
#endif
