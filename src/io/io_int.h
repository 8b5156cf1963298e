/*
 * Internal: sources and sinks of the stream engine, each kind one file behind one table of functions
 * (redis's dictType, ae.c's backends): a new source or sink is a new file and one entry in io.c's tables.
 *
 * A source turns bytes from somewhere (a file, stdin, new files in a directory, TCP) into record batches through
 * one sml_reader per byte stream (a file, a connection), so a record never spans two streams: a stream's partial
 * last record becomes a bad row at its end. Sources never block in next(); wait() blocks until input may be
 * ready or the timeout passes.
 */
#ifndef SML_IO_INT_H
#define SML_IO_INT_H
#include <stdint.h>

#include "common/codec.h"
#include "common/strbuf.h"
#include "streamml/io.h"
#include "streamml/parquet.h"
#include "streamml/textout.h"

typedef void (*sml_log_fn)(void *opaque, int level, const char *msg);
enum { SML_LOG_ERROR = 0, SML_LOG_WARN = 1, SML_LOG_INFO = 2, SML_LOG_DEBUG = 3 };

typedef struct sml_source_opts {
    sml_reader_opts reader;
    const char *exclude_dir; /* dir source: never read from here (the sink's own output) */
    int64_t poll_ms;         /* dir source: how often to look for new files; tcp: reconnect backoff start */
    sml_log_fn log;
    void *log_opaque;
    /* kafka: librdkafka properties passed through (--set kafka.KEY=VALUE), pairs key0, value0, key1, ... */
    const char *const *kafka_props;
    size_t kafka_nprops;
    const char *const *csv_columns; /* kafka: names of the fields of headerless CSV messages (NULL: JSONL) */
    size_t csv_ncolumns;
    /* Sources whose input can be taken away (a Kafka rebalance revoking partitions) call this before they let go:
     * the engine finishes the batch in flight (sink flushed, checkpoint, then the source's commit). */
    int (*release)(void *opaque, sml_error *err);
    void *release_opaque;
    /* Set when the sink is transactional (postgres): a source that keeps positions per partition (Kafka) asks, for
     * each partition assigned to it, the position the sink committed for it (key "topic/partition"): 1 found (val
     * filled with what save_parts gave), 0 none, < 0 an error. Called with release_opaque. */
    int (*committed_position)(void *opaque, const char *key, sml_strbuf *val, sml_error *err);
} sml_source_opts;

typedef struct sml_source_kind {
    const char *scheme; /* "file" (also "-" and plain paths), "dir", "tcp", "tcp-listen" */
    int (*open)(const char *location, const sml_source_opts *o, void **state, sml_error *err);
    /* Typed columns for every reader, current and future (see sml_reader_set_columns). */
    int (*set_columns)(void *st, const char *const *names, const sml_type *types, const uint8_t *optional, size_t n,
                       sml_error *err);
    /* Fills b (cleared first) with up to b->capacity records that are available now: > 0 rows + bad rows,
     * 0 nothing available at the moment, < 0 a fatal error. */
    int (*next)(void *st, sml_batch *b, sml_error *err);
    /* Blocks until input may be available (1) or timeout_ms passes (0). */
    int (*wait)(void *st, int timeout_ms);
    /* 1 when no input will ever come again (end of a file; never for dir and tcp sources). */
    int (*done)(void *st);
    /* "<source>:<line>:<column>: <reason>" of bad row i of the batch the last next() filled. */
    size_t (*bad_format)(void *st, const sml_batch *b, size_t i, char *buf, size_t cap);
    /* Position after the last batch returned (for checkpoints); restore seeks there. NULL: no positions (tcp). */
    int (*save)(void *st, sml_strbuf *sb);
    int (*restore)(void *st, sml_cursor *c, sml_error *err);
    void (*close)(void *st);
    /* Optional: every record returned so far was durably taken by the sink (flushed, delivery reports back):
     * the positions after them may be committed (Kafka: the consumer group's offsets). */
    int (*commit)(void *st, sml_error *err);
    /* Optional: for each assigned partition (up to cap), the messages after the position the engine has reached;
     * never blocks (Kafka: the cached high watermark). Returns how many were filled. */
    size_t (*lag)(void *st, int32_t *partition, int64_t *lag, size_t cap);
    /* Optional, both or neither (Kafka): snapshot remembers the positions after every record returned so far;
     * commit_snapshot commits the last snapshot's positions (once the sink has durably taken those records,
     * while later records are already being processed). commit also drops the snapshot. */
    void (*snapshot)(void *st);
    int (*commit_snapshot)(void *st, sml_error *err);
    /* Optional (Kafka): positions kept per partition, for a transactional sink. Appends, for each partition whose
     * position moved since it was last committed or loaded through committed_position: the key (str), 1 and the
     * old value (str) or 0 when none was ever committed, the new value (str). The sink commits them compare-and-set
     * on the old value; parts_committed then makes the new values the expected ones. */
    int (*save_parts)(void *st, sml_strbuf *sb);
    void (*parts_committed)(void *st);
    /* Optional (Kafka: _topic, _partition, _offset): columns the source adds to every record, NULL-terminated, and
     * their types. In an untyped batch (the head a schema is inferred from) they are its last columns, as text;
     * they are kept on request and never learned from. */
    const char *const *meta_names;
    const sml_type *meta_types;
} sml_source_kind;

/* The index of `name` among the source's meta columns, -1 if it is none of them. */
int sml_source_meta(const sml_source_kind *k, const char *name);

typedef struct sml_source {
    const sml_source_kind *kind;
    void *st;
} sml_source;

/* Opens the source a URI names: "-", "file:PATH", a plain path, "dir:PATH", "tcp://host:port",
 * "tcp-listen://host:port", "kafka://host:port[,host:port]/topic?group=G&offset=earliest|latest". */
int sml_source_open(const char *uri, const sml_source_opts *o, sml_source *out, sml_error *err);
void sml_source_close(sml_source *s);

/* A sink takes rows through a write callback (so sml_textout can format into it) and makes them durable on
 * flush. */
typedef struct sml_sink_kind {
    const char *scheme; /* "file" (also "-"), "null" */
    int (*open)(const char *location, void **state, sml_error *err);
    int (*write)(void *st, const void *buf, size_t len, sml_error *err);
    /* Makes everything written so far durable (fsync for files). */
    int (*flush)(void *st, int durable, sml_error *err);
    void (*close)(void *st);
    /* Optional: the batch ended (partitioned sinks publish the batch's file). */
    int (*end_batch)(void *st, sml_error *err);
    /* Optional: the output columns and their types, before the first row (tables are typed: postgres). */
    int (*columns)(void *st, const sml_parquet_column *cols, size_t n, sml_error *err);
    /* Optional, both or neither: a transactional sink (postgres). The rows written since the last commit_batch
     * commit in one transaction together with the source positions after them and the checkpoint id, which must
     * be the last committed id + 1 (compare-and-set: fails with SML_ESTATE when another writer committed since).
     * load_positions gives the committed positions (1, 0 when none yet) and checkpoint id (0 none): where a
     * restarted stream resumes. parts (NULL: none) holds per-partition positions as save_parts gives them: they
     * commit in the same transaction, each compare-and-set on its old value; with parts, positions NULL leaves the
     * writer's row alone (members of a group share the table, each without its own writer row). load_part reads
     * one partition's committed value (1 found, 0 none, < 0 error); it finishes no transaction, so it is only
     * called between batches. */
    int (*load_positions)(void *st, sml_strbuf *positions, uint64_t *ckpt_id, sml_error *err);
    int (*commit_batch)(void *st, const void *positions, size_t len, const void *parts, size_t parts_len,
                        uint64_t ckpt_id, sml_error *err);
    int (*load_part)(void *st, const char *key, sml_strbuf *val, sml_error *err);
    /* Optional, both or neither (Kafka): mark ends the current batch of rows written and returns its id; settle
     * tells whether every row of batch `id` and of every batch before it is durable (delivery reports back) while
     * later batches may still be in flight: 1 yes; 0 not yet (only without `wait`; with it, it waits for them); a
     * failed row fails it (and every later call). */
    uint64_t (*mark)(void *st);
    int (*settle)(void *st, uint64_t id, int wait, sml_error *err);
} sml_sink_kind;

typedef struct sml_sink {
    const sml_sink_kind *kind;
    void *st;
    sml_format format; /* from the URI's extension; AUTO when it names none */
    int parquet;       /* parquet:PATH: rows go through the Parquet writer, one file per batch */
    int per_batch;     /* one file per batch: a new header (or Parquet footer) each batch */
} sml_sink;

/* What some sinks need besides their URI (Kafka). */
typedef struct sml_sink_opts {
    const char *const *kafka_props; /* as in sml_source_opts */
    size_t kafka_nprops;
    const char *key_column;         /* kafka: message key from this output column (NULL: no key) */
    sml_log_fn log;
    void *log_opaque;
} sml_sink_opts;

/* kafka://host:port[,host:port]/topic (sink_kafka.c). */
int sml_kafka_sink_open(const char *location, const sml_sink_opts *o, void **state, sml_error *err);
extern const sml_sink_kind sml_sink_kafka;

/* postgres://...?table=T[&create=1][&writer=W][&positions_table=P] (sink_pg.c): the URI less our parameters
 * is libpq's. */
int sml_pg_sink_open(const char *uri, const sml_sink_opts *o, void **state, sml_error *err);
extern const sml_sink_kind sml_sink_pg;

/* Partitioned file sinks (sink_part.c). */
int sml_part_sink_open(const char *location, const char *ext, void **state, sml_error *err);
int sml_part_sink_write(void *st, const void *buf, size_t len, sml_error *err);
int sml_part_sink_flush(void *st, int durable, sml_error *err);
int sml_part_sink_end_batch(void *st, sml_error *err);
void sml_part_sink_close(void *st);

int sml_sink_open(const char *uri, sml_sink *out, sml_error *err);
/* The same with options (o may be NULL): kafka:// sinks need them. */
int sml_sink_open_with(const char *uri, const sml_sink_opts *o, sml_sink *out, sml_error *err);
/* dir:/parquet: sinks: creates the folder once the file extension (csv, jsonl, parquet) is known. */
int sml_sink_open_part(sml_sink *s, const char *uri, const char *ext, sml_error *err);
/* A file sink at the start of a run: a fresh run replaces what the file held; a run resumed from a checkpoint keeps
 * it (at-least-once) minus a partial last line a kill left. Returns 1 when kept output is there (no second header),
 * 0 when the output starts empty (or the sink is not a regular file), < 0 on error. */
int sml_sink_begin(sml_sink *s, int resuming, sml_error *err);
int sml_sink_write(void *sink, const void *buf, size_t len, sml_error *err); /* an sml_write_fn over sml_sink */
void sml_sink_close(sml_sink *s);

/* ---- shared by the sources: one byte stream (fd) parsed by its own reader */
typedef struct sml_stream {
    int fd;
    int eof;          /* read() returned 0 (or the peer closed) */
    int ended;        /* sml_reader_end was called */
    char *name;
    sml_reader *reader;
    uint64_t skip_to; /* resume: drop records that start before this offset */
    char *buf;        /* read buffer */
} sml_stream;

int sml_stream_open(sml_stream *s, int fd, const char *name, const sml_reader_opts *ro, const char *const *names,
                    const sml_type *types, const uint8_t *optional, size_t ncols, sml_error *err);
/* Reads what is available without blocking (nonblocking fds; regular files read a chunk), parses the next batch.
 * Returns like sml_source_kind.next. */
int sml_stream_next(sml_stream *s, sml_batch *b, sml_error *err);
/* 1 when the stream is exhausted: its end was seen and every record returned. */
int sml_stream_finished(const sml_stream *s);
void sml_stream_close(sml_stream *s);

/* Column spec kept by sources so that readers opened later get it too. */
typedef struct sml_colspec {
    char **names;
    sml_type *types;
    uint8_t *optional;
    size_t n;
    int set;
} sml_colspec;

int sml_colspec_set(sml_colspec *cs, const char *const *names, const sml_type *types, const uint8_t *optional,
                    size_t n, sml_error *err);
void sml_colspec_release(sml_colspec *cs);

/* "host:port" -> sockaddr; errors name the text. */
struct sockaddr_storage;
int sml_parse_hostport(const char *text, struct sockaddr_storage *addr, unsigned *addrlen, sml_error *err);
#endif
