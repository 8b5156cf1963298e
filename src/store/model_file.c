/*
 * The model file (store stage): what `fit` publishes and everything else loads.
 *
 *   "SMLMODEL" | u16 major | u16 minor | u32 section count
 *   section*:  u32 tag | u64 length | payload          (lengths capped; unknown tags of this major skipped)
 *   "CRC " section: u32 CRC-32C of every byte before it (always last)
 *
 * Sections: PIPE (the fitted pipeline), LINM (loss, intercept, weights) or, from format 1.1, LINS (the same with only
 * the weights whose bits are not all zero, as (u32 index, f64 value) pairs in index order: written when that is
 * at most half the size, as hashed models mostly are), and JSON text for HYPR (hyper-parameters
 * and objective), SUMM (training summary), METR (metrics), SCHM (the schema at fit time). Data only: loading
 * parses numbers and strings, never code. A newer major version is refused; a newer minor of this major loads.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "features/features_int.h"
#include "models/model_int.h"

#define MAGIC "SMLMODEL"
#define MAX_SECTION ((uint64_t)1 << 32) /* 4 GiB */
#define MAX_SECTIONS 64
#define MAX_FILE ((size_t)8 << 30)

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_PIPE TAG('P', 'I', 'P', 'E')
#define TAG_LINM TAG('L', 'I', 'N', 'M')
#define TAG_LINS TAG('L', 'I', 'N', 'S')
#define SPARSE_MIN_DIM 4096 /* smaller models stay dense: the gain is a few KB */
#define TAG_CRC TAG('C', 'R', 'C', ' ')
static const uint32_t json_tags[SML_MODEL_NJSON] = {TAG('H', 'Y', 'P', 'R'), TAG('S', 'U', 'M', 'M'),
                                                    TAG('M', 'E', 'T', 'R'), TAG('S', 'C', 'H', 'M')};

/* Appends a section: tag, then a placeholder length patched after the payload is written. */
static size_t section_begin(sml_strbuf *sb, uint32_t tag, int *rc)
{
    *rc |= sml_put_u32(sb, tag) | sml_put_u64(sb, 0);
    return sb->len;
}

static void section_end(sml_strbuf *sb, size_t start)
{
    uint64_t len = sb->len - start;
    for (int i = 0; i < 8; i++)
        sb->buf[start - 8 + i] = (char)(uint8_t)(len >> (8 * i));
}

static int nonzero_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return u != 0;
}

int sml_model_encode(const sml_model *m, void **data, size_t *len, sml_error *err)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    int rc = 0;
    uint32_t nsec = 3;
    for (int i = 0; i < SML_MODEL_NJSON; i++)
        nsec += m->json[i] != NULL;
    rc |= sml_put_bytes(&sb, MAGIC, 8);
    rc |= sml_put_u32(&sb, SML_MODEL_FORMAT_MAJOR | (uint32_t)SML_MODEL_FORMAT_MINOR << 16);
    rc |= sml_put_u32(&sb, nsec);
    size_t s = section_begin(&sb, TAG_PIPE, &rc);
    rc |= sml_pipeline_encode(m->pipeline, &sb);
    if (!rc)
        section_end(&sb, s);
    /* weights whose bits are all zero are left out (-0.0 is kept: the bits round-trip) */
    size_t nnz = 0;
    for (size_t i = 0; i < m->dim; i++)
        nnz += nonzero_bits(m->weights[i]);
    int sparse = m->dim >= SPARSE_MIN_DIM && m->dim <= UINT32_MAX && nnz * 12 <= m->dim * 4;
    s = section_begin(&sb, sparse ? TAG_LINS : TAG_LINM, &rc);
    rc |= sml_put_str(&sb, m->loss->name) | sml_put_u32(&sb, (uint32_t)m->has_intercept);
    rc |= sml_put_f64(&sb, m->intercept) | sml_put_u64(&sb, m->dim);
    if (sparse) {
        rc |= sml_put_u64(&sb, nnz);
        for (size_t i = 0; i < m->dim; i++)
            if (nonzero_bits(m->weights[i]))
                rc |= sml_put_u32(&sb, (uint32_t)i) | sml_put_f64(&sb, m->weights[i]);
    } else
        for (size_t i = 0; i < m->dim; i++)
            rc |= sml_put_f64(&sb, m->weights[i]);
    if (!rc)
        section_end(&sb, s);
    for (int i = 0; i < SML_MODEL_NJSON; i++) {
        if (!m->json[i])
            continue;
        s = section_begin(&sb, json_tags[i], &rc);
        rc |= sml_put_bytes(&sb, m->json[i], strlen(m->json[i]));
        if (!rc)
            section_end(&sb, s);
    }
    s = section_begin(&sb, TAG_CRC, &rc);
    if (!rc) {
        uint32_t crc = sml_crc32c(0, sb.buf, sb.len - 12);
        rc |= sml_put_u32(&sb, crc);
    }
    if (rc) {
        sml_strbuf_release(&sb);
        return sml_fail(err, SML_ENOMEM, "out of memory encoding the model");
    }
    section_end(&sb, s);
    *data = sb.buf;
    *len = sb.len;
    return 0;
}

int sml_model_save(const sml_model *m, const char *path, sml_error *err)
{
    void *data;
    size_t len;
    int rc = sml_model_encode(m, &data, &len, err);
    if (rc)
        return rc;
    rc = sml_write_file_atomic(path, data, len, err);
    free(data);
    return rc;
}

/* The checksum of the weights, the weights themselves and whether all are finite, in one pass over them: three
 * passes over the 8 MB of a 2^20-weight model (checksum, copy, finite check) were most of a hot swap's load. The
 * running CRC-32C is extended over src (n little-endian doubles); *finite says whether every weight is finite. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) &&                   \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
__attribute__((target("sse4.2"))) static uint32_t crc_copy_sse42(uint32_t crc, const uint8_t *src, double *dst,
                                                                 size_t n, int *finite)
{
    const uint64_t exp = 0x7ff0000000000000u;
    uint64_t c = ~crc & 0xffffffffu, bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, src + 8 * i, 8);
        c = __builtin_ia32_crc32di(c, u);
        memcpy(&dst[i], &u, 8);
        bad |= (uint64_t)((u & exp) == exp);
    }
    *finite = !bad;
    return ~(uint32_t)c;
}
#define HAVE_CRC_COPY_HW 1
#endif

static uint32_t crc_copy_weights(uint32_t crc, sml_cursor *c, double *dst, size_t n, int *finite)
{
#ifdef HAVE_CRC_COPY_HW
    if (__builtin_cpu_supports("sse4.2")) {
        crc = crc_copy_sse42(crc, c->p, dst, n, finite);
        c->p += n * 8;
        return crc;
    }
#endif
    crc = sml_crc32c(crc, c->p, n * 8);
    sml_get_f64s(c, dst, n);
    *finite = 1;
    for (size_t i = 0; i < n; i++)
        *finite &= isfinite(dst[i]) != 0;
    return crc;
}

/* The LINM section; the file's running checksum (crc over base[0, *crc_to)) is carried over the weights here. */
/* What LINM and LINS start with: the loss, the intercept and the number of weights (each taking at least
 * bytes_each of what is left). */
static void decode_lin_head(sml_cursor *c, char **loss, int *has_icpt, double *icpt, size_t *dim, size_t bytes_each)
{
    *loss = sml_get_str(c);
    *has_icpt = (int)sml_get_u32(c);
    *icpt = sml_get_f64(c);
    *dim = (size_t)sml_get_count(c, (uint64_t)1 << 30, bytes_each);
}

static int decode_linm(sml_cursor *c, const uint8_t *base, uint32_t *crc, size_t *crc_to, char **loss, int *has_icpt,
                       double *icpt, double **w, size_t *dim, int *finite)
{
    decode_lin_head(c, loss, has_icpt, icpt, dim, 8);
    if (c->failed || !*loss || *dim > sml_cursor_left(c) / 8)
        return -1;
    /* not zero-filled: every weight is written just below */
    *w = malloc((*dim ? *dim : 1) * sizeof **w);
    if (!*w)
        return -1;
    size_t at = (size_t)(c->p - base);
    *crc = sml_crc32c(*crc, base + *crc_to, at - *crc_to);
    *crc = crc_copy_weights(*crc, c, *w, *dim, finite);
    *crc_to = at + *dim * 8;
    return c->failed ? -1 : 0;
}

/* The LINS section: the weights not listed are zero. Indexes must rise strictly and stay below the dimension.
 * The file's running checksum covers it as any other section (checked before the model is built). */
static int decode_lins(sml_cursor *c, const sml_pipeline *pipe, char **loss, int *has_icpt, double *icpt, double **w,
                       size_t *dim, int *finite)
{
    decode_lin_head(c, loss, has_icpt, icpt, dim, 0);
    uint64_t nnz = sml_get_u64(c);
    /* the dimension is not bounded by the file's size here: it must be the pipeline's (read before), so a few
     * bytes cannot ask for more memory than the model they describe needs */
    if (c->failed || !*loss || !pipe || *dim != sml_pipeline_dim(pipe) || nnz > *dim || nnz * 12 != sml_cursor_left(c))
        return -1;
    /* zero-filled by the kernel, page by page as they are touched: scoring reads only the pages it needs */
    *w = calloc(*dim ? *dim : 1, sizeof **w);
    if (!*w)
        return -1;
    *finite = 1;
    int64_t last = -1;
    for (uint64_t k = 0; k < nnz; k++) {
        uint32_t i = sml_get_u32(c);
        double v = sml_get_f64(c);
        if ((int64_t)i <= last || i >= *dim)
            return -1;
        last = i;
        (*w)[i] = v;
        *finite &= isfinite(v) != 0;
    }
    return c->failed ? -1 : 0;
}

int sml_model_decode(const void *data, size_t len, const char *source, sml_model **out, sml_error *err)
{
    const uint8_t *p = data;
    sml_pipeline *pipe = NULL;
    char *loss = NULL, *json[SML_MODEL_NJSON] = {0};
    double *w = NULL, icpt = 0;
    size_t dim = 0, crc_to = 0; /* the running checksum covers p[0, crc_to) */
    uint32_t crc = 0;
    int has_icpt = 0, have_linm = 0, crc_ok = 0, finite = 0, rc = 0;
    *out = NULL;
    if (len < 16 || memcmp(p, MAGIC, 8) != 0)
        return sml_fail(err, SML_EFORMAT, "%s: not a streamml model file (bad magic)", source);
    sml_cursor c = {p + 8, p + len, "header", 0};
    uint32_t ver = sml_get_u32(&c), nsec = sml_get_u32(&c);
    unsigned major = ver & 0xffff, minor = ver >> 16;
    if (major > SML_MODEL_FORMAT_MAJOR)
        return sml_fail(err, SML_EFORMAT,
                        "%s: model format %u.%u is newer than this streamml reads (%d.x); upgrade streamml", source,
                        major, minor, SML_MODEL_FORMAT_MAJOR);
    if (major < 1)
        return sml_fail(err, SML_EFORMAT, "%s: unknown model format version %u.%u", source, major, minor);
    if (nsec > MAX_SECTIONS)
        return sml_fail(err, SML_EFORMAT, "%s: %u sections (at most %d)", source, nsec, MAX_SECTIONS);
    for (uint32_t s = 0; s < nsec; s++) {
        size_t at = (size_t)(c.p - p);
        uint32_t tag = sml_get_u32(&c);
        uint64_t slen = sml_get_u64(&c);
        char name[5] = {(char)(tag & 0xff), (char)(tag >> 8 & 0xff), (char)(tag >> 16 & 0xff), (char)(tag >> 24), 0};
        for (int i = 0; i < 4; i++)
            if (name[i] < 32 || name[i] > 126)
                name[i] = '?';
        if (c.failed || slen > MAX_SECTION || slen > sml_cursor_left(&c)) {
            rc = sml_fail(err, SML_EFORMAT, "%s: truncated at offset %zu (section %u of %u%s%s)", source, at, s + 1,
                          nsec, c.failed ? "" : ", ", c.failed ? "" : name);
            goto out;
        }
        sml_cursor sc = {c.p, c.p + slen, name, 0};
        c.p += slen;
        if (tag == TAG_CRC) {
            if (s != nsec - 1 || slen != 4) {
                rc = sml_fail(err, SML_EFORMAT, "%s: misplaced checksum section", source);
                goto out;
            }
            uint32_t want = sml_get_u32(&sc), got = sml_crc32c(crc, p + crc_to, at - crc_to);
            if (want != got) {
                rc = sml_fail(err, SML_EFORMAT, "%s: checksum mismatch (file corrupt)", source);
                goto out;
            }
            crc_ok = 1;
        } else if (tag == TAG_PIPE) {
            if (pipe) {
                rc = sml_fail(err, SML_EFORMAT, "%s: two pipeline sections", source);
                goto out;
            }
            if ((rc = sml_pipeline_decode(&sc, &pipe, err)) != 0) {
                sml_error_prefix(err, "%s", source);
                goto out;
            }
        } else if (tag == TAG_LINM) {
            if (have_linm || decode_linm(&sc, p, &crc, &crc_to, &loss, &has_icpt, &icpt, &w, &dim, &finite) != 0) {
                rc = sml_fail(err, SML_EFORMAT, "%s: bad model section (LINM)", source);
                goto out;
            }
            have_linm = 1;
        } else if (tag == TAG_LINS) {
            if (have_linm || decode_lins(&sc, pipe, &loss, &has_icpt, &icpt, &w, &dim, &finite) != 0) {
                rc = sml_fail(err, SML_EFORMAT, "%s: bad model section (LINS)", source);
                goto out;
            }
            have_linm = 1;
        } else {
            for (int i = 0; i < SML_MODEL_NJSON; i++)
                if (tag == json_tags[i] && !json[i]) {
                    if (!(json[i] = strndup((const char *)sc.p, (size_t)slen))) {
                        rc = sml_fail(err, SML_ENOMEM, "out of memory");
                        goto out;
                    }
                }
            /* other tags: sections of a newer minor version, skipped */
        }
    }
    if (!crc_ok) {
        rc = sml_fail(err, SML_EFORMAT, "%s: no checksum section (truncated?)", source);
        goto out;
    }
    if (c.p != c.end) {
        rc = sml_fail(err, SML_EFORMAT, "%s: %zu bytes of trailing garbage", source, sml_cursor_left(&c));
        goto out;
    }
    if (!pipe || !have_linm) {
        rc = sml_fail(err, SML_EFORMAT, "%s: missing %s section", source, pipe ? "model (LINM or LINS)" : "pipeline (PIPE)");
        goto out;
    }
    sml_model *m;
    rc = sml_model_new_taking(pipe, loss, w, dim, finite, has_icpt, icpt, &m, err);
    pipe = NULL; /* taken, also on failure */
    w = NULL;
    if (rc) {
        sml_error_prefix(err, "%s", source);
        goto out;
    }
    m->format_major = major;
    m->format_minor = minor;
    for (int i = 0; i < SML_MODEL_NJSON; i++) {
        m->json[i] = json[i];
        json[i] = NULL;
    }
    *out = m;
out:
    sml_pipeline_free(pipe);
    free(loss);
    free(w);
    for (int i = 0; i < SML_MODEL_NJSON; i++)
        free(json[i]);
    return rc;
}

int sml_model_load_file(const char *path, sml_model **out, sml_error *err)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    int rc = sml_strbuf_read_file(&sb, path, MAX_FILE, err);
    if (rc == 0)
        rc = sml_model_decode(sb.buf ? sb.buf : "", sb.len, path, out, err);
    sml_strbuf_release(&sb);
    return rc;
}
