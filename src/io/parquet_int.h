/*
 * Internals of the Parquet writer (src/io/parquet*.c): the Thrift compact-protocol encoder that the footer and
 * the page headers are written with, the RLE/bit-packed hybrid encoder of definition levels and dictionary
 * indices, and the format's enum values. Shared with the unit tests; not part of the public API.
 */
#ifndef SML_PARQUET_INT_H
#define SML_PARQUET_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

/* ---------------------------------------------------------------- parquet.thrift enum values */

enum { PQ_BOOLEAN = 0, PQ_INT64 = 2, PQ_DOUBLE = 5, PQ_BYTE_ARRAY = 6 };                  /* Type */
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1 };                                                 /* FieldRepetitionType */
enum { PQ_CONVERTED_UTF8 = 0 };                                                            /* ConvertedType */
enum { PQ_ENC_PLAIN = 0, PQ_ENC_RLE = 3, PQ_ENC_RLE_DICTIONARY = 8 };                     /* Encoding */
enum { PQ_CODEC_UNCOMPRESSED = 0, PQ_CODEC_SNAPPY = 1, PQ_CODEC_ZSTD = 6 };                /* CompressionCodec */
enum { PQ_PAGE_DATA = 0, PQ_PAGE_DICTIONARY = 2 };                                         /* PageType */

/* ---------------------------------------------------------------- Thrift compact protocol */

/* Compact-protocol type ids (in field headers and list headers). */
enum {
    SML_TC_TRUE = 1,
    SML_TC_FALSE = 2,
    SML_TC_BYTE = 3,
    SML_TC_I16 = 4,
    SML_TC_I32 = 5,
    SML_TC_I64 = 6,
    SML_TC_DOUBLE = 7,
    SML_TC_BINARY = 8,
    SML_TC_LIST = 9,
    SML_TC_SET = 10,
    SML_TC_MAP = 11,
    SML_TC_STRUCT = 12
};

#define SML_TC_MAX_DEPTH 16

/* Writes one top-level struct (and what it nests) into out. Field ids must increase within a struct, as the
 * format's structs are written. Appends are checked once, at the end: `failed` is sticky (SML_ENOMEM, or
 * SML_ESTATE for a nesting error), and what was appended after a failure is garbage to be discarded. */
typedef struct sml_tc {
    sml_strbuf *out;
    int16_t last[SML_TC_MAX_DEPTH]; /* last field id written at each struct depth (field deltas) */
    int depth;                      /* 0: inside the top-level struct */
    int failed;
} sml_tc;

void sml_tc_init(sml_tc *t, sml_strbuf *out);
void sml_tc_i16(sml_tc *t, int16_t id, int16_t v);
void sml_tc_i32(sml_tc *t, int16_t id, int32_t v);
void sml_tc_i64(sml_tc *t, int16_t id, int64_t v);
void sml_tc_bool(sml_tc *t, int16_t id, int v);
void sml_tc_binary(sml_tc *t, int16_t id, const void *p, size_t len);
void sml_tc_string(sml_tc *t, int16_t id, const char *s); /* NUL-terminated */
/* A struct-typed field: its fields follow, then sml_tc_struct_end. */
void sml_tc_struct_begin(sml_tc *t, int16_t id);
/* The stop byte of the current struct (the top-level one too). */
void sml_tc_struct_end(sml_tc *t);
/* A list-typed field of n elements of elem_type; the elements follow (sml_tc_elem_*). */
void sml_tc_list_begin(sml_tc *t, int16_t id, int elem_type, uint32_t n);
void sml_tc_elem_i32(sml_tc *t, int32_t v);
void sml_tc_elem_binary(sml_tc *t, const void *p, size_t len);
/* A struct element of a list: its fields follow, then sml_tc_struct_end. */
void sml_tc_elem_struct_begin(sml_tc *t);
/* Bytes already encoded elsewhere (list elements encoded one by one as top-level structs). */
void sml_tc_raw(sml_tc *t, const void *p, size_t len);

/* ---------------------------------------------------------------- RLE / bit-packed hybrid */

/* Appends the hybrid encoding (no length prefix) of n values of bit_width bits (1..32): from v8 when it is not
 * NULL (definition levels), else from v32 (dictionary indices). Runs of 8 or more equal values become RLE runs,
 * the rest bit-packed groups of 8 (the last group padded with zeros). Returns 0 or SML_ENOMEM. */
int sml_rle_encode(sml_strbuf *out, const uint8_t *v8, const uint32_t *v32, size_t n, int bit_width);

/* Bits needed for values up to max_value (at least 1). */
static inline int sml_rle_bit_width(uint32_t max_value)
{
    int w = 1;
    while (w < 32 && (max_value >> w) != 0)
        w++;
    return w;
}

#endif
