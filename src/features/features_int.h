/* Internal to the features stage and the model file: pipeline (de)serialisation. */
#ifndef SML_FEATURES_INT_H
#define SML_FEATURES_INT_H
#include "common/codec.h"
#include "streamml/pipeline.h"

int sml_pipeline_encode(const sml_pipeline *p, sml_strbuf *sb);
int sml_pipeline_decode(sml_cursor *c, sml_pipeline **out, sml_error *err);
/* Like sml_pipeline_feature_name, but a hashed slot is just "hash:N" (the same slot in any pipeline with the
 * same hashing), for matching weights across pipelines. */
size_t sml_pipeline_feature_key(const sml_pipeline *p, size_t i, char *buf, size_t cap);
/* A deep copy (through the encoding). */
int sml_pipeline_clone(const sml_pipeline *p, sml_pipeline **out, sml_error *err);
/* Hash-collision summary over the training data's hashed feature names. */
void sml_pipeline_hash_collisions(const sml_pipeline *p, uint64_t *names, uint64_t *slots_shared);
#endif
