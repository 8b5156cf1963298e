/*
 * Internal: the sinks of `streamml replay` (replay_sink.c), one table of functions per kind (file, tcp-listen,
 * tcp). The replay loop (replay.c) hands them groups of whole records; socket sinks never block: they queue, and
 * the loop gives them their file descriptors to wait on and calls service() after every wait.
 */
#ifndef SML_REPLAY_INT_H
#define SML_REPLAY_INT_H
#include <poll.h>
#include <stdint.h>

#include "common/strbuf.h"
#include "io/io_int.h"
#include "streamml/replay.h"

#define SML_REPLAY_STALL_NS (10 * (int64_t)1000000000) /* unpaced: a client that takes nothing this long is dropped */

typedef struct sml_replay_sink_opts {
    const sml_strbuf *header; /* CSV header bytes (owned by the replay; empty for JSONL), sent first on every
                                 new connection or file; complete before the first emit */
    size_t max_queue;         /* bytes queued per client (tcp: also while disconnected) */
    sml_log_fn log;
    void *log_opaque;
    const sml_sink_opts *sink; /* kafka:// (through the file sink): librdkafka properties, --key-column */
} sml_replay_sink_opts;

typedef struct sml_replay_sink_counts {
    uint64_t clients, clients_dropped, dropped;
} sml_replay_sink_counts;

typedef struct sml_replay_sink_kind {
    const char *prefix; /* "tcp-listen://", "tcp://", "" (files, "-", null:) */
    int (*open)(const char *location, const sml_replay_sink_opts *o, void **st, sml_error *err);
    /* One group of n whole records (len bytes). Sockets queue what they cannot send now; a client whose queue
     * would overflow is dropped (tcp-listen), or the group is dropped and counted (tcp). Returns 0 or a fatal
     * code (file write errors). */
    int (*emit)(void *st, const char *buf, size_t len, uint64_t n, int64_t now_ns, sml_error *err);
    /* Unpaced flow control: 1 when a group of len bytes can be emitted without dropping anything (drops clients
     * stalled for SML_REPLAY_STALL_NS). NULL: always. */
    int (*room)(void *st, size_t len, int64_t now_ns);
    /* Fills up to cap pollfds to wait on; returns how many. */
    size_t (*pollfds)(void *st, struct pollfd *p, size_t cap);
    /* After a wait: p/n are what pollfds gave (revents filled), or NULL/0 when nothing was waited on. Accepts,
     * reconnects when due, sends what is queued, notices peers that went away. */
    void (*service)(void *st, const struct pollfd *p, size_t n, int64_t now_ns);
    /* Monotonic time (ns) when service() wants to run again without an event (reconnect backoff); INT64_MAX: never. */
    int64_t (*deadline)(void *st);
    size_t (*pending)(void *st); /* bytes queued */
    void (*counts)(void *st, sml_replay_sink_counts *c);
    int (*flush)(void *st, sml_error *err); /* at the end: files are flushed; NULL for sockets */
    void (*close)(void *st);
} sml_replay_sink_kind;

extern const sml_replay_sink_kind sml_replay_sink_file, sml_replay_sink_tcp_listen, sml_replay_sink_tcp;

int64_t sml_replay_now_ns(void);

#endif
