/* Binary encoding helpers (see codec.h). */
#include "common/codec.h"

#include <stdlib.h>

int sml_put_u8(sml_strbuf *sb, uint8_t v) { return sml_strbuf_add(sb, &v, 1); }

int sml_put_u32(sml_strbuf *sb, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return sml_strbuf_add(sb, b, 4);
}

int sml_put_u64(sml_strbuf *sb, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return sml_strbuf_add(sb, b, 8);
}

int sml_put_f64(sml_strbuf *sb, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return sml_put_u64(sb, u);
}

int sml_put_str(sml_strbuf *sb, const char *s)
{
    if (!s)
        return sml_put_u32(sb, 0xffffffffu);
    size_t n = strlen(s);
    return sml_put_u32(sb, (uint32_t)n) | sml_strbuf_add(sb, s, n);
}

int sml_put_bytes(sml_strbuf *sb, const void *p, size_t len) { return sml_strbuf_add(sb, p, len); }

static int need(sml_cursor *c, size_t n)
{
    if (c->failed || (size_t)(c->end - c->p) < n) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

uint8_t sml_get_u8(sml_cursor *c) { return need(c, 1) ? *c->p++ : 0; }

uint32_t sml_get_u32(sml_cursor *c)
{
    if (!need(c, 4))
        return 0;
    uint32_t v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
    c->p += 4;
    return v;
}

uint64_t sml_get_u64(sml_cursor *c)
{
    if (!need(c, 8))
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | c->p[i];
    c->p += 8;
    return v;
}

double sml_get_f64(sml_cursor *c)
{
    uint64_t u = sml_get_u64(c);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

int sml_get_f64s(sml_cursor *c, double *out, size_t n)
{
    if (n > SIZE_MAX / 8 || !need(c, n * 8))
        return -1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(out, c->p, n * 8); /* the encoding is little-endian IEEE 754: on such a host, a plain copy */
    c->p += n * 8;
#else
    for (size_t i = 0; i < n; i++)
        out[i] = sml_get_f64(c);
#endif
    return c->failed ? -1 : 0;
}

char *sml_get_str(sml_cursor *c)
{
    uint32_t n = sml_get_u32(c);
    if (c->failed || n == 0xffffffffu)
        return NULL;
    if (n > SML_MAX_STR || !need(c, n)) {
        c->failed = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        c->failed = 1;
        return NULL;
    }
    memcpy(s, c->p, n);
    s[n] = 0;
    c->p += n;
    return s;
}

uint64_t sml_get_count(sml_cursor *c, uint64_t max, size_t min_bytes_each)
{
    uint64_t n = sml_get_u64(c);
    if (c->failed)
        return 0;
    if (n > max || (min_bytes_each && n > sml_cursor_left(c) / min_bytes_each)) {
        c->failed = 1;
        return 0;
    }
    return n;
}

int sml_get_bytes(sml_cursor *c, void *out, size_t len)
{
    if (!need(c, len))
        return -1;
    memcpy(out, c->p, len);
    c->p += len;
    return 0;
}

/* CRC-32C (Castagnoli), bytewise with a table built on the stack per call would be slow; a const table is
 * computed at compile time below. */
#define P 0x82f63b78u
/* one bit step; c appears twice, not three times, so the 8-fold nesting expands 2^8 (not 3^8) times */
#define C1(c) (((c) >> 1) ^ (P & (0u - ((c) & 1u))))
#define C8(c) C1(C1(C1(C1(C1(C1(C1(C1(c))))))))
#define R4(n) C8(n), C8((n) + 1), C8((n) + 2), C8((n) + 3)
#define R16(n) R4(n), R4((n) + 4), R4((n) + 8), R4((n) + 12)
#define R64(n) R16(n), R16((n) + 16), R16((n) + 32), R16((n) + 48)
static const uint32_t crc_table[256] = {R64(0u), R64(64u), R64(128u), R64(192u)};

static uint32_t crc32c_table(uint32_t crc, const uint8_t *p, size_t len)
{
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* SSE4.2's crc32 instruction computes CRC-32C 8 bytes at a time: a 2^20-weight model (8 MB) is checked in about
 * a millisecond instead of tens (the byte table), which is most of a hot swap's load time. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
    uint64_t c = crc;
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    crc = (uint32_t)c;
    while (len--)
        crc = __builtin_ia32_crc32qi(crc, *p++);
    return crc;
}
#define SML_HAVE_CRC32C_HW 1
#endif

uint32_t sml_crc32c(uint32_t crc, const void *data, size_t len)
{
    crc = ~crc;
#ifdef SML_HAVE_CRC32C_HW
    if (__builtin_cpu_supports("sse4.2"))
        return ~crc32c_sse42(crc, data, len);
#endif
    return ~crc32c_table(crc, data, len);
}
