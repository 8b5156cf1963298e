/*
 * The Parquet writer's two small encoders (src/io/parquet_int.h): the Thrift compact protocol, in which the
 * footer (FileMetaData) and every page header are written, and the RLE/bit-packed hybrid, in which definition
 * levels and dictionary indices are written. Both append to an sml_strbuf.
 */
#include <string.h>

#include "io/parquet_int.h"

/* ---------------------------------------------------------------- Thrift compact protocol */

static void tc_bytes(sml_tc *t, const void *p, size_t len)
{
    if (!t->failed && sml_strbuf_add(t->out, p, len) < 0)
        t->failed = SML_ENOMEM;
}

static void tc_varint(sml_tc *t, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    tc_bytes(t, b, n);
}

static uint64_t zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63)); }

/* Short form (delta << 4 | type) when the id is 1..15 above the previous one, else the type byte and the id as
 * a zigzag varint. */
static void tc_field(sml_tc *t, int16_t id, int type)
{
    int16_t delta = (int16_t)(id - t->last[t->depth]);
    if (delta > 0 && delta <= 15) {
        uint8_t b = (uint8_t)(delta << 4 | type);
        tc_bytes(t, &b, 1);
    } else {
        uint8_t b = (uint8_t)type;
        tc_bytes(t, &b, 1);
        tc_varint(t, zigzag64(id));
    }
    t->last[t->depth] = id;
}

static void tc_push(sml_tc *t)
{
    if (t->depth + 1 >= SML_TC_MAX_DEPTH) {
        t->failed = t->failed ? t->failed : SML_ESTATE;
        return;
    }
    t->last[++t->depth] = 0;
}

void sml_tc_init(sml_tc *t, sml_strbuf *out)
{
    memset(t, 0, sizeof *t);
    t->out = out;
}

void sml_tc_i16(sml_tc *t, int16_t id, int16_t v)
{
    tc_field(t, id, SML_TC_I16);
    tc_varint(t, zigzag64(v));
}

void sml_tc_i32(sml_tc *t, int16_t id, int32_t v)
{
    tc_field(t, id, SML_TC_I32);
    tc_varint(t, zigzag64(v));
}

void sml_tc_i64(sml_tc *t, int16_t id, int64_t v)
{
    tc_field(t, id, SML_TC_I64);
    tc_varint(t, zigzag64(v));
}

/* A bool field carries its value in the field header's type. */
void sml_tc_bool(sml_tc *t, int16_t id, int v) { tc_field(t, id, v ? SML_TC_TRUE : SML_TC_FALSE); }

void sml_tc_binary(sml_tc *t, int16_t id, const void *p, size_t len)
{
    tc_field(t, id, SML_TC_BINARY);
    sml_tc_elem_binary(t, p, len);
}

void sml_tc_string(sml_tc *t, int16_t id, const char *s) { sml_tc_binary(t, id, s, strlen(s)); }

void sml_tc_struct_begin(sml_tc *t, int16_t id)
{
    tc_field(t, id, SML_TC_STRUCT);
    tc_push(t);
}

void sml_tc_struct_end(sml_tc *t)
{
    uint8_t stop = 0;
    tc_bytes(t, &stop, 1);
    if (t->depth > 0)
        t->depth--;
}

void sml_tc_list_begin(sml_tc *t, int16_t id, int elem_type, uint32_t n)
{
    tc_field(t, id, SML_TC_LIST);
    if (n < 15) {
        uint8_t b = (uint8_t)(n << 4 | (uint32_t)elem_type);
        tc_bytes(t, &b, 1);
    } else {
        uint8_t b = (uint8_t)(0xF0 | elem_type);
        tc_bytes(t, &b, 1);
        tc_varint(t, n);
    }
}

void sml_tc_elem_i32(sml_tc *t, int32_t v) { tc_varint(t, zigzag64(v)); }

void sml_tc_elem_binary(sml_tc *t, const void *p, size_t len)
{
    tc_varint(t, len);
    tc_bytes(t, p, len);
}

void sml_tc_elem_struct_begin(sml_tc *t) { tc_push(t); }

void sml_tc_raw(sml_tc *t, const void *p, size_t len) { tc_bytes(t, p, len); }

/* ---------------------------------------------------------------- RLE / bit-packed hybrid */

static inline uint32_t value_at(const uint8_t *v8, const uint32_t *v32, size_t i) { return v8 ? v8[i] : v32[i]; }

static size_t varint_put(uint8_t *b, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    return n;
}

static int rle_run(sml_strbuf *out, uint32_t value, size_t count, int bit_width)
{
    uint8_t b[16];
    size_t n = varint_put(b, (uint64_t)count << 1);
    for (int k = 0; k < (bit_width + 7) / 8; k++)
        b[n++] = (uint8_t)(value >> (8 * k));
    return sml_strbuf_add(out, b, n);
}

/* Values [from, to) bit-packed, LSB first, in groups of 8 (to - from is a multiple of 8, or this is the last
 * run and the group is padded with zeros). */
static int packed_run(sml_strbuf *out, const uint8_t *v8, const uint32_t *v32, size_t from, size_t to,
                      int bit_width)
{
    size_t groups = (to - from + 7) / 8;
    uint8_t hdr[10];
    size_t hn = varint_put(hdr, (uint64_t)groups << 1 | 1);
    size_t bytes = groups * (size_t)bit_width;
    if (sml_strbuf_grow(out, hn + bytes) < 0)
        return SML_ENOMEM;
    uint8_t *p = (uint8_t *)out->buf + out->len;
    memcpy(p, hdr, hn);
    p += hn;
    uint64_t acc = 0;
    int nbits = 0;
    for (size_t i = from; i < from + groups * 8; i++) {
        uint64_t v = i < to ? value_at(v8, v32, i) : 0;
        acc |= v << nbits;
        nbits += bit_width;
        while (nbits >= 8) {
            *p++ = (uint8_t)acc;
            acc >>= 8;
            nbits -= 8;
        }
    }
    out->len += hn + bytes;
    out->buf[out->len] = 0;
    return 0;
}

int sml_rle_encode(sml_strbuf *out, const uint8_t *v8, const uint32_t *v32, size_t n, int bit_width)
{
    size_t i = 0, lit = 0; /* values [lit, i) wait to be bit-packed */
    while (i < n) {
        uint32_t v = value_at(v8, v32, i);
        size_t r = 1;
        while (i + r < n && value_at(v8, v32, i + r) == v)
            r++;
        if (r >= 8) {
            /* a bit-packed run must hold whole groups of 8: borrow from this run to fill the last one */
            size_t pad = (8 - (i - lit) % 8) % 8;
            if (r - pad >= 8) {
                i += pad;
                if (i > lit && packed_run(out, v8, v32, lit, i, bit_width) < 0)
                    return SML_ENOMEM;
                if (rle_run(out, v, r - pad, bit_width) < 0)
                    return SML_ENOMEM;
                i += r - pad;
                lit = i;
                continue;
            }
        }
        i += r;
    }
    if (i > lit && packed_run(out, v8, v32, lit, i, bit_width) < 0)
        return SML_ENOMEM;
    return 0;
}
