/*
 * Internals shared by the push parsers (reader.c, csv.c, jsonl.c, decompress.c).
 *
 * reader.c owns the sml_reader: it takes fed bytes, sends them through the decompression front (decompress.c), strips
 * a UTF-8 BOM and appends the plain bytes to one buffer. Each format is a table of function pointers (sml_format_ops):
 * a boundary scanner, used to find where a record ends without parsing it (for the max_record_bytes bound and to avoid
 * re-parsing a partial record on every call), and a parser that turns complete records at r->pos into batch rows.
 *
 * Buffer invariants: buf[len] is '\n' (a sentinel that stops every scan loop) and SML_PARSE_PAD zeroed bytes follow,
 * so 16-byte vector loads starting before len never leave the allocation.
 */
#ifndef SML_PARSE_INT_H
#define SML_PARSE_INT_H

#include <stdint.h>
#include <string.h>

#include "streamml/parse.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SML_PARSE_PAD 64          /* bytes kept after buf[len]: the sentinel and room for vector loads */
#define SML_RAW_MAX 4096          /* raw text kept for a bad row */
#define SML_MAX_COLUMNS 65536     /* JSONL discovery: more distinct keys make a bad row */
#define SML_DEFAULT_BATCH 4096    /* capacity given to a batch that has none */

/* State of a boundary scan through one record; reset at each record start. */
typedef struct sml_scan_state {
    int state;       /* format-specific (CSV quote state) */
    int last_cr;     /* the last byte seen inside a quoted field was '\r' (for CRLF counting) */
    uint64_t lines;  /* line breaks inside the record so far (CSV quoted newlines) */
} sml_scan_state;

/* A record longer than max_record_bytes, cut out of the buffer while it streamed past. Its bad row is emitted when
 * the parser reaches buf_pos; bytes after it in the buffer start at stream offset (offset at buf_pos) + bytes. */
typedef struct sml_skip {
    size_t buf_pos;      /* where the record was in the buffer (the bytes after it follow from here) */
    uint64_t bytes;      /* bytes removed: the record and its terminator */
    uint64_t lines;      /* line breaks inside the record */
    int closed;          /* its end was seen (or the input ended) */
    int ends_cr;         /* terminated by '\r' (a following '\n' belongs to the terminator) */
    char raw[SML_RAW_MAX];
    size_t raw_len;
} sml_skip;

/* CSV: where header field i goes in the current batch (bound per batch, so the hot loop needs no lookups). */
typedef struct sml_field_sink {
    int col;         /* output column, -1 = skipped */
    sml_type type;
    double *num;
    uint32_t *str_off, *str_len;
    uint8_t *missing;
} sml_field_sink;

/* JSONL: key -> output column. Open addressing, power-of-two size. */
typedef struct sml_key_slot {
    uint64_t hash;
    const char *name; /* points at r->out_names[col] */
    size_t len;
    int col;          /* -1 = empty slot */
} sml_key_slot;

typedef struct sml_decomp sml_decomp;

typedef struct sml_format_ops {
    const char *name;
    /* Continues st over p[0, n) of the current record; returns the index of the byte that terminates it, or -1. */
    long (*find_end)(const sml_reader *r, sml_scan_state *st, const char *p, size_t n);
    /* Once per sml_reader_next/columns: reads what must come before the records (the CSV header).
     * Returns 1 when ready, 0 when more input is needed, or a negative fatal code. */
    int (*prepare)(sml_reader *r, sml_error *err);
    /* Resolves names from sml_reader_set_columns against the input (CSV header). 0 or a negative code. */
    int (*resolve)(sml_reader *r, sml_error *err);
    /* Called with the batch set up for this call: caches column pointers. */
    void (*bind)(sml_reader *r, sml_batch *b);
    /* Parses complete records from r->pos up to lim into b until b is full. final: lim is the end of the input.
     * Returns 0 or a negative fatal code (out of memory). */
    int (*parse)(sml_reader *r, sml_batch *b, size_t lim, int final, sml_error *err);
} sml_format_ops;

extern const sml_format_ops sml_csv_ops;
extern const sml_format_ops sml_jsonl_ops;

enum { SML_FRONT_DETECT = 0, SML_FRONT_PLAIN, SML_FRONT_GZIP, SML_FRONT_ZSTD };

struct sml_reader {
    sml_reader_opts opts;
    char *source_name;
    const sml_format_ops *ops; /* NULL until the format is known */
    sml_error fatal;           /* a sticky error from the input front (code 0 = none) */

    /* input front: compression detection and BOM */
    int front;
    unsigned char magic[4];
    size_t magic_len;
    sml_decomp *decomp;
    unsigned char bom[3];
    size_t bom_len;
    int bom_done;
    int eof;
    size_t detect_pos;          /* format detection looked at [pos, detect_pos) (all white space) */

    /* the buffer of plain bytes; [pos, len) not parsed yet */
    char *buf;
    size_t pos, len, cap;
    uint64_t base_offset; /* stream offset of buf[0] (valid up to the next skip) */
    uint64_t line;        /* 1-based line at pos */
    int prev_cr;          /* the byte before pos was a '\r' terminator */

    /* boundary scan: [pos, scan_rec_start) holds complete records; the record at scan_rec_start has been scanned
       up to scan_pos with state scan */
    size_t scan_rec_start, scan_pos;
    sml_scan_state scan;

    /* over-long records cut out of the stream; the last may be open (skipping) */
    sml_skip **skips;
    size_t nskips, skips_cap;
    int skipping;

    /* CSV header */
    char **header;
    size_t nheader;
    int header_done;

    /* output columns: what batches get */
    char **out_names;
    sml_type *out_types;
    uint8_t *out_optional;
    size_t nout, out_cap;
    int typed;
    int resolved;               /* typed CSV: sinks match the header */
    sml_field_sink *sinks;      /* CSV: one per header field */
    sml_key_slot *keys;         /* JSONL: key table */
    size_t keys_cap;

    char *scratch;              /* unescaped field text */
    size_t scratch_cap;

    sml_reader_stats stats;
};

/* ---- shared helpers (reader.c) ---- */
void sml_scan_reset(sml_scan_state *st);
/* Advances the boundary scan of r up to lim (see struct sml_reader); with one, stops after the current record. */
void sml_reader_scan(sml_reader *r, size_t lim, int one);
/* Appends a bad row to b. raw is the record's text (truncated to SML_RAW_MAX here). Returns 0 or SML_ENOMEM. */
int sml_reader_bad(sml_reader *r, sml_batch *b, int code, uint64_t line, uint64_t column, uint64_t offset,
                   const char *raw, size_t raw_len, const char *fmt, ...) SML_PRINTF(9, 10);
/* Line and 1-based byte column of `at` within a record starting at rec on line rec_line. */
void sml_locate(const char *rec, const char *at, uint64_t rec_line, uint64_t *line, uint64_t *column);
/* First byte of [s, e) that is not valid UTF-8, or NULL. */
const char *sml_utf8_invalid(const char *s, const char *e);
/* Length of a valid UTF-8 sequence at s (s < e, *s >= 0x80), or 0 if invalid. */
size_t sml_utf8_seq(const unsigned char *s, const unsigned char *e);
/* Makes room for n more bytes of scratch text. 0 or SML_ENOMEM. */
int sml_scratch_reserve(sml_reader *r, size_t used, size_t n);
/* Appends an output column (discovery mode). Returns its index or a negative code. */
int sml_reader_add_out(sml_reader *r, const char *name, size_t len, sml_type type);
/* Writes a short, printable, quoted excerpt of a value for messages. */
void sml_excerpt(const char *s, size_t n, char *out, size_t cap);

/* Copies a string cell into the batch arena; the common case stays inline. */
static inline int sml_arena_put(sml_batch *b, const char *s, size_t n, uint32_t *off)
{
    if (b->strings_len + n <= b->strings_cap) {
        if (n)
            memcpy(b->strings + b->strings_len, s, n);
        *off = (uint32_t)b->strings_len;
        b->strings_len += n;
        return 0;
    }
    return sml_batch_put_string(b, s, n, off);
}

/* ---- reading straight into the buffer (reader.c, for io/stream.c) ---- */
#define SML_READER_DIRECT_MAX (64 * 1024) /* most bytes one direct read may take */
/* Room for n <= SML_READER_DIRECT_MAX bytes at the end of the buffer, to read() into without a copy, or NULL when
 * bytes must go through sml_reader_feed (input not yet known to be plain, a BOM pending, an over-long record
 * being skipped, an error, the end). Valid until the next call on r. */
char *sml_reader_direct(sml_reader *r, size_t n);
/* Takes the first n bytes read into sml_reader_direct's room: exactly what sml_reader_feed of them does. */
void sml_reader_direct_commit(sml_reader *r, size_t n);

/* ---- decompression front (decompress.c) ---- */
typedef int (*sml_sink_fn)(void *ctx, const char *p, size_t n, sml_error *err);
int sml_decomp_new(int front, sml_decomp **out, sml_error *err);
/* Decompresses in[0, n), handing output to sink. 0 or a negative code (corrupt input, or the sink's code). */
int sml_decomp_run(sml_decomp *d, const unsigned char *in, size_t n, sml_sink_fn sink, void *ctx, sml_error *err);
/* At the end of input: 0 if the compressed stream was complete, else SML_EFORMAT. */
int sml_decomp_finish(sml_decomp *d, sml_error *err);
void sml_decomp_free(sml_decomp *d);

#endif
