/*
 * streamml: replay a dataset as a live stream (`streamml replay`).
 *
 *   file (CSV/JSONL, plain, gzip or zstd) -> record boundaries from sml_reader -> pacing -> sink
 *
 * Records leave as their original bytes (the reader only says where each record starts and ends, so quoted
 * newlines, CR line ends and odd spacing are kept); a record is always sent whole and ends with a line terminator
 * (its own; "\n" when the file's last record has none; blank lines between records are not sent). Records the
 * reader rejects (wrong field count, broken JSON, longer than max_record_bytes) are skipped and counted.
 * CSV: the header goes first to every new connection or file.
 *
 * Pacing (one of):
 *   rate          record i is due at t0 + i / rate (monotonic clock, over loops too): smooth, never bursts. The loop
 *                 sleeps (ppoll, so that sockets are served meanwhile) until the next record is due, but at least
 *                 1 ms, and then sends every record that is due as one group: at high rates groups of rate/1000.
 *   time_column   record i is due at t0 + (ts_i - ts_0) / speedup. The column holds seconds or milliseconds since
 *                 the epoch (time_unit s|ms; auto: ms when the first value's magnitude is at least 1e11, else s),
 *                 or ISO-8601 text (2024-05-01T12:00:00.250Z, a space instead of T, an optional +hh:mm offset;
 *                 no offset is UTC). A record whose time is missing, unreadable or earlier than the one before it
 *                 is due with the record before it. With loop, each pass continues after the last one, one mean
 *                 gap later, so time keeps increasing.
 *   neither       as fast as the sink takes it.
 *
 * Sinks (`to`):
 *   "-", a file, "file:PATH", "null:"   written in order; blocking writes.
 *   tcp-listen://host:port  a server: every client gets every record sent after it connected (the CSV header
 *                 first). Each client has a bounded queue (client_buffer bytes); a client whose queue would
 *                 overflow is dropped with a log line, the others go on. Without pacing, the replay instead waits
 *                 for the slowest client, and drops a client that took nothing for 10 s. wait_clients holds the
 *                 start (t0) until that many clients are connected.
 *   tcp://host:port  connects, and reconnects with backoff (100 ms doubling to 5 s) when the peer goes away or
 *                 is not there yet. Records produced meanwhile wait in a bounded queue (client_buffer bytes);
 *                 when it is full, new records are dropped and counted (paced), or the replay waits for the peer
 *                 (unpaced). The group being written when a connection breaks is lost (TCP is at-most-once).
 *
 * The replay is configured from an sml_conf (keys used by "replay": `streamml help config`). One replay is
 * driven by one thread; sml_replay_stop may be called from any thread or a signal handler. Replays share nothing.
 */
#ifndef STREAMML_REPLAY_H
#define STREAMML_REPLAY_H

#include <stdint.h>

#include "streamml/conf.h"
#include "streamml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sml_replay sml_replay;

typedef struct sml_replay_stats {
    uint64_t records;         /* records handed to the sink (tcp-listen: sent to every client connected then) */
    uint64_t bytes;           /* their bytes */
    uint64_t skipped;         /* records the reader rejected */
    uint64_t passes;          /* passes over the data started (loop) */
    uint64_t clients;         /* tcp-listen: clients connected now; tcp: 1 while connected */
    uint64_t clients_dropped; /* tcp-listen: clients dropped for being too slow */
    uint64_t dropped;         /* tcp: records dropped (queue full while disconnected, or lost in a broken write) */
    double elapsed_s;         /* from the start (t0) to the last send (while running: to now) */
    double records_per_s;     /* records / elapsed_s */
    double max_gap_s;         /* largest time between two consecutive sends */
    double max_late_s;        /* largest delay of a send after its first record was due */
} sml_replay_stats;

/* Builds a replay from the settings (reads them; conf may be freed afterwards): opens the data and the sink
 * (a tcp-listen socket is bound here, so its errors come early). Errors name the setting or place. */
SML_API int sml_replay_new(const sml_conf *conf, sml_replay **out, sml_error *err);
SML_API void sml_replay_free(sml_replay *r); /* NULL is a no-op */
/* Log lines (level as SML_LOG_LEVEL_* of engine.h, message without newline). Without a callback it is silent. */
SML_API void sml_replay_set_log(sml_replay *r, void (*fn)(void *opaque, int level, const char *msg), void *opaque);
/* Called about twice a second while running (for a progress line). */
SML_API void sml_replay_set_progress(sml_replay *r, void (*fn)(void *opaque, const sml_replay_stats *st),
                                     void *opaque);
/* Runs until the data ends (no loop), the limit is reached or sml_replay_stop is called; then hands what is
 * queued to the clients (waiting up to 10 s for them; 1 s after a stop) and closes the sink. Returns 0 or a
 * negative code (read error, a write error on a file, more bad records than max_errors). */
SML_API int sml_replay_run(sml_replay *r, sml_error *err);
/* Asks a running replay to stop. Async-signal-safe. A second call skips the final hand-over of queued records. */
SML_API void sml_replay_stop(sml_replay *r);
SML_API void sml_replay_get_stats(const sml_replay *r, sml_replay_stats *st);

#ifdef __cplusplus
}
#endif
#endif
