/* Hash functions. murmur3_32 is the feature-hashing function (its id and seed are stored in models, so its
 * output must never change); sml_hash64 is for in-memory tables only. */
#ifndef SML_HASH_H
#define SML_HASH_H
#include <stddef.h>
#include <stdint.h>

#define SML_HASH_MURMUR3_32 1 /* id recorded in model files */

uint32_t sml_murmur3_32(const void *data, size_t len, uint32_t seed);
uint64_t sml_hash64(const void *data, size_t len);
#endif
