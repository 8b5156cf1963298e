/*
 * Sink: a PostgreSQL table (postgres://[user@]host[:port]/db?table=T[&create=1][&writer=W]), through libpq.
 *
 * Rows arrive as CSV text from sml_textout's write callback, without a header line (the engine names the
 * columns and their types through columns()). The first row of a batch opens a transaction and a
 * COPY T (cols) FROM STDIN (FORMAT csv); the rows stream into it as they come. PostgreSQL's CSV rules are the
 * ones textout writes: a field with a delimiter, quote, CR or LF (or empty, or with outer blanks) is quoted with
 * doubled quotes, backslashes and tabs are plain bytes, an unquoted empty field is NULL and "" the empty string.
 *
 * Exactly-once: commit_batch() ends the COPY, then stores the source positions after the batch and the checkpoint
 * id in the positions table (default streamml_positions, one row per writer, the writer defaulting to the table
 * name) and commits, all in the one transaction. The row is updated compare-and-set:
 *   UPDATE ... SET checkpoint_id = N+1, positions = P WHERE writer = W AND checkpoint_id = N
 * where N is the id this process last read or committed. Another process that committed for the same writer in
 * the meantime (a newer member after a rebalance, a restarted run) moved the id on: 0 rows are updated, the
 * transaction is rolled back and the batch fails with "stale writer". load() reads the committed positions and id
 * at start: they, not the consumer group's offsets or a checkpoint file, say where the stream resumes.
 *
 * A Kafka source keeps positions per topic partition (commit_batch's parts): the members of a consumer group share
 * the table, each partition with its own row "<table>#<topic>/<partition>" moved compare-and-set on the value the
 * member last read (load_part, on assignment) or committed. 0 rows: another member owns the partition now and
 * committed past it ("stale member"): the batch is rolled back and fails. The writer's row is then only written
 * when the engine gives positions (with --state: the checkpoint id that promotes a pending checkpoint).
 *
 * A value the server refuses (text that is not valid UTF-8, a table whose columns do not match) fails the batch
 * with the server's message: nothing of it is committed, and the run stops rather than skip it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "io/io_int.h"

typedef struct pg_sink {
    PGconn *conn;
    char *table;           /* as given (messages) */
    char *table_q;         /* quoted identifiers */
    char *positions_q;
    char *writer;
    int create;
    char *copy_sql;        /* COPY "t" ("a", "b") FROM STDIN (FORMAT csv) */
    int in_copy;
    uint64_t ckpt_id;      /* committed id this writer expects to find */
    sml_log_fn log;
    void *log_opaque;
} pg_sink;

static void on_notice(void *arg, const char *msg)
{
    pg_sink *s = arg;
    if (s->log) {
        char buf[512];
        snprintf(buf, sizeof buf, "postgres table %s: %s", s->table, msg);
        size_t n = strlen(buf);
        if (n && buf[n - 1] == '\n')
            buf[n - 1] = 0;
        s->log(s->log_opaque, SML_LOG_DEBUG, buf);
    }
}

/* The server's message without its trailing newline. */
static const char *pg_msg(const pg_sink *s, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", PQerrorMessage(s->conn));
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = 0;
    return buf;
}

static int fail_pg(pg_sink *s, const char *what, sml_error *err)
{
    char m[300];
    return sml_fail(err, SML_EIO, "postgres table %s: %s failed: %s", s->table, what, pg_msg(s, m, sizeof m));
}

/* Runs a command that returns no rows. */
static int exec_cmd(pg_sink *s, const char *sql, const char *what, sml_error *err)
{
    PGresult *r = PQexec(s->conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : fail_pg(s, what, err);
}

/* CREATE TABLE IF NOT EXISTS: two processes creating the same table at once may see a unique violation, "relation
 * already exists" or "type already exists" (the table's row type; the check and the catalog inserts are not
 * atomic). The other one created it, which is all we asked: then the table must exist now. */
static int create_table(pg_sink *s, const char *sql, const char *table_q, const char *what, sml_error *err)
{
    PGresult *r = PQexec(s->conn, sql);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        PQclear(r);
        return 0;
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    int raced = state && (!strcmp(state, "23505") || !strcmp(state, "42P07") || !strcmp(state, "42710"));
    PQclear(r);
    if (!raced)
        return fail_pg(s, what, err);
    const char *params[1] = {table_q};
    r = PQexecParams(s->conn, "SELECT relkind IN ('r', 'p') FROM pg_class WHERE oid = to_regclass($1)", 1, NULL,
                     params, NULL, NULL, 0);
    int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (!exists)
        return sml_fail(err, SML_EIO, "postgres table %s: %s failed: another object of that name exists, and it is "
                                      "not a table", s->table, what);
    return 0;
}

static char *quote_ident(pg_sink *s, const char *name, sml_error *err)
{
    char *q = PQescapeIdentifier(s->conn, name, strlen(name));
    if (!q) {
        fail_pg(s, "quoting a name", err);
        return NULL;
    }
    char *copy = strdup(q);
    PQfreemem(q);
    if (!copy)
        sml_fail(err, SML_ENOMEM, "out of memory");
    return copy;
}

/* ------------------------------------------------------------------ the URI */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A percent-decoded copy of s[0..len). */
static char *pct_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            *o++ = s[i];
    }
    *o = 0;
    return out;
}

/* Splits our parameters (table, create, writer, positions_table) off the URI; the rest is libpq's. */
static int parse_uri(pg_sink *s, const char *uri, sml_strbuf *conninfo, char **positions, sml_error *err)
{
    const char *q = strchr(uri, '?');
    if (sml_strbuf_add(conninfo, uri, q ? (size_t)(q - uri) : strlen(uri)) != 0)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    int first = 1;
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char **dst = NULL;
        if (klen == 5 && !strncmp(p, "table", 5))
            dst = &s->table;
        else if (klen == 6 && !strncmp(p, "writer", 6))
            dst = &s->writer;
        else if (klen == 15 && !strncmp(p, "positions_table", 15))
            dst = positions;
        if (dst || (klen == 6 && !strncmp(p, "create", 6))) {
            char *v = eq ? pct_decode(eq + 1, len - klen - 1) : strdup("");
            if (!v)
                return sml_fail(err, SML_ENOMEM, "out of memory");
            if (dst) {
                free(*dst);
                *dst = v;
            } else {
                if (strcmp(v, "1") && strcmp(v, "true") && strcmp(v, "0") && strcmp(v, "false") && v[0]) {
                    sml_fail(err, SML_EINVAL, "%s: create=%s: expected 1 or 0", uri, v);
                    free(v);
                    return SML_EINVAL;
                }
                s->create = !strcmp(v, "1") || !strcmp(v, "true") || !v[0];
                free(v);
            }
        } else if (sml_strbuf_add(conninfo, first ? "?" : "&", 1) != 0 || sml_strbuf_add(conninfo, p, len) != 0)
            return sml_fail(err, SML_ENOMEM, "out of memory");
        else
            first = 0;
        p = amp ? amp + 1 : NULL;
    }
    if (!s->table || !s->table[0])
        return sml_fail(err, SML_EINVAL, "%s: no table (postgres://...?table=NAME)", uri);
    return 0;
}

/* ------------------------------------------------------------------ open */

static void pg_close(void *st)
{
    pg_sink *s = st;
    if (!s)
        return;
    if (s->conn)
        PQfinish(s->conn); /* an open transaction is rolled back by the server */
    free(s->table);
    free(s->table_q);
    free(s->positions_q);
    free(s->writer);
    free(s->copy_sql);
    free(s);
}

int sml_pg_sink_open(const char *uri, const sml_sink_opts *o, void **state, sml_error *err)
{
    pg_sink *s = calloc(1, sizeof *s);
    sml_strbuf conninfo = SML_STRBUF_INIT;
    char *positions = NULL;
    int rc;
    *state = NULL;
    if (!s)
        return sml_fail(err, SML_ENOMEM, "out of memory");
    s->log = o ? o->log : NULL;
    s->log_opaque = o ? o->log_opaque : NULL;
    if ((rc = parse_uri(s, uri, &conninfo, &positions, err)) != 0)
        goto fail;
    if (!s->writer && !(s->writer = strdup(s->table))) {
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
        goto fail;
    }
    s->conn = PQconnectdb(conninfo.buf);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        char m[300];
        rc = sml_fail(err, SML_EIO, "postgres table %s: cannot connect: %s", s->table,
                      s->conn ? pg_msg(s, m, sizeof m) : "out of memory");
        goto fail;
    }
    PQsetNoticeProcessor(s->conn, on_notice, s);
    if (PQsetClientEncoding(s->conn, "UTF8") != 0) {
        rc = fail_pg(s, "setting the client encoding to UTF8", err);
        goto fail;
    }
    if (!(s->table_q = quote_ident(s, s->table, err)) ||
        !(s->positions_q = quote_ident(s, positions ? positions : "streamml_positions", err))) {
        rc = err ? err->code : SML_ENOMEM;
        goto fail;
    }
    sml_strbuf sql = SML_STRBUF_INIT;
    sml_strbuf_addf(&sql, "CREATE TABLE IF NOT EXISTS %s (writer text PRIMARY KEY, checkpoint_id bigint NOT NULL, "
                          "positions bytea, committed_at timestamptz)", s->positions_q);
    rc = sql.buf ? create_table(s, sql.buf, s->positions_q, "creating the positions table", err) : sml_fail(err, SML_ENOMEM, "out of memory");
    sml_strbuf_release(&sql);
    if (rc)
        goto fail;
    free(positions);
    sml_strbuf_release(&conninfo);
    *state = s;
    return 0;
fail:
    free(positions);
    sml_strbuf_release(&conninfo);
    pg_close(s);
    return rc;
}

/* ------------------------------------------------------------------ columns and rows */

static int pg_columns(void *st, const sml_parquet_column *cols, size_t n, sml_error *err)
{
    pg_sink *s = st;
    sml_strbuf create = SML_STRBUF_INIT, copy = SML_STRBUF_INIT;
    int rc = 0;
    sml_strbuf_addf(&create, "CREATE TABLE IF NOT EXISTS %s (", s->table_q);
    sml_strbuf_addf(&copy, "COPY %s (", s->table_q);
    for (size_t i = 0; i < n && !rc; i++) {
        char *q = quote_ident(s, cols[i].name, err);
        if (!q) {
            rc = err ? err->code : SML_ENOMEM;
            break;
        }
        const char *type = cols[i].type == SML_PARQUET_DOUBLE    ? "double precision"
                           : cols[i].type == SML_PARQUET_INT64   ? "bigint"
                           : cols[i].type == SML_PARQUET_BOOLEAN ? "boolean"
                                                                 : "text";
        sml_strbuf_addf(&create, "%s%s %s%s", i ? ", " : "", q, type, cols[i].required ? " NOT NULL" : "");
        sml_strbuf_addf(&copy, "%s%s", i ? ", " : "", q);
        free(q);
    }
    sml_strbuf_adds(&create, ")");
    sml_strbuf_adds(&copy, ") FROM STDIN (FORMAT csv)");
    if (!rc && (!create.buf || !copy.buf))
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
    if (!rc && s->create)
        rc = create_table(s, create.buf, s->table_q, "creating the table", err);
    if (!rc) {
        free(s->copy_sql);
        s->copy_sql = copy.buf;
        copy.buf = NULL;
    }
    sml_strbuf_release(&create);
    sml_strbuf_release(&copy);
    return rc;
}

static int start_copy(pg_sink *s, sml_error *err)
{
    if (!s->copy_sql)
        return sml_fail(err, SML_ESTATE, "postgres table %s: rows before the columns were named", s->table);
    int rc = exec_cmd(s, "BEGIN", "BEGIN", err);
    if (rc)
        return rc;
    PGresult *r = PQexec(s->conn, s->copy_sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok) {
        rc = fail_pg(s, "COPY", err);
        PGresult *rb = PQexec(s->conn, "ROLLBACK");
        PQclear(rb);
        return rc;
    }
    s->in_copy = 1;
    return 0;
}

static int pg_write(void *st, const void *buf, size_t len, sml_error *err)
{
    pg_sink *s = st;
    const char *p = buf;
    if (len == 0)
        return 0;
    int rc;
    if (!s->in_copy && (rc = start_copy(s, err)) != 0)
        return rc;
    while (len) {
        int n = len > (1u << 30) ? 1 << 30 : (int)len;
        if (PQputCopyData(s->conn, p, n) != 1)
            return fail_pg(s, "sending rows (COPY)", err);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Rows reach the server as they come; they become durable only with commit_batch. */
static int pg_flush(void *st, int durable, sml_error *err)
{
    (void)st;
    (void)durable;
    (void)err;
    return 0;
}

/* ------------------------------------------------------------------ transactions */

static uint64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | (uint8_t)p[i];
    return v;
}

static int pg_load(void *st, sml_strbuf *positions, uint64_t *ckpt_id, sml_error *err)
{
    pg_sink *s = st;
    sml_strbuf sql = SML_STRBUF_INIT;
    const char *params[1] = {s->writer};
    int rc = 0;
    sml_strbuf_addf(&sql, "INSERT INTO %s (writer, checkpoint_id) VALUES ($1, 0) ON CONFLICT DO NOTHING", s->positions_q);
    PGresult *r = sql.buf ? PQexecParams(s->conn, sql.buf, 1, NULL, params, NULL, NULL, 0) : NULL;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = fail_pg(s, "registering the writer in the positions table", err);
    PQclear(r);
    r = NULL;
    sml_strbuf_release(&sql);
    sml_strbuf_addf(&sql, "SELECT checkpoint_id, positions FROM %s WHERE writer = $1", s->positions_q);
    if (!rc) {
        r = PQexecParams(s->conn, sql.buf, 1, NULL, params, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQgetlength(r, 0, 0) != 8)
            rc = fail_pg(s, "reading the positions table", err);
    }
    if (!rc) {
        *ckpt_id = s->ckpt_id = be64(PQgetvalue(r, 0, 0));
        positions->len = 0;
        if (!PQgetisnull(r, 0, 1) && sml_strbuf_add(positions, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1)))
            rc = sml_fail(err, SML_ENOMEM, "out of memory");
        else
            rc = positions->len > 0;
    }
    PQclear(r);
    sml_strbuf_release(&sql);
    return rc;
}

static void rollback(pg_sink *s)
{
    PGresult *r = PQexec(s->conn, "ROLLBACK");
    PQclear(r);
}

/* Per-partition rows (a Kafka source, members of a consumer group sharing the table): the row of partition KEY
 * ("topic/partition") is "<table>#<key>" in the writer column, its positions the source's text for it. */
static char *part_row(const pg_sink *s, const char *key)
{
    size_t n = strlen(s->table) + strlen(key) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s#%s", s->table, key);
    return r;
}

static int pg_load_part(void *st, const char *key, sml_strbuf *val, sml_error *err)
{
    pg_sink *s = st;
    if (s->in_copy)
        return sml_fail(err, SML_ESTATE, "postgres table %s: partition %s looked up in the middle of a batch",
                        s->table, key);
    char *row = part_row(s, key);
    sml_strbuf sql = SML_STRBUF_INIT;
    sml_strbuf_addf(&sql, "SELECT positions FROM %s WHERE writer = $1", s->positions_q);
    if (!row || !sql.buf) {
        free(row);
        sml_strbuf_release(&sql);
        return sml_fail(err, SML_ENOMEM, "out of memory");
    }
    const char *params[1] = {row};
    PGresult *r = PQexecParams(s->conn, sql.buf, 1, NULL, params, NULL, NULL, 1);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = fail_pg(s, "reading a partition's position", err);
    else if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        val->len = 0;
        rc = sml_strbuf_add(val, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0)) != 0
                 ? sml_fail(err, SML_ENOMEM, "out of memory")
                 : 1;
    }
    PQclear(r);
    sml_strbuf_release(&sql);
    free(row);
    return rc;
}

/* In the batch's transaction: each partition's row moves from its old value to its new one, compare-and-set.
 * 0 rows means another member committed that partition since this one read it: the caller rolls back. */
static int commit_parts(pg_sink *s, const void *parts, size_t len, sml_error *err)
{
    sml_cursor c = {parts, (const uint8_t *)parts + len, "partition positions", 0};
    sml_strbuf upd = SML_STRBUF_INIT, ins = SML_STRBUF_INIT;
    int rc = 0;
    sml_strbuf_addf(&upd, "UPDATE %s SET positions = $3, checkpoint_id = checkpoint_id + 1, committed_at = now() "
                          "WHERE writer = $1 AND positions = $2", s->positions_q);
    sml_strbuf_addf(&ins, "INSERT INTO %s (writer, checkpoint_id, positions, committed_at) VALUES ($1, 1, $2, now()) "
                          "ON CONFLICT DO NOTHING", s->positions_q);
    if (!upd.buf || !ins.buf)
        rc = sml_fail(err, SML_ENOMEM, "out of memory");
    while (!rc && sml_cursor_left(&c) > 0) {
        char *key = sml_get_str(&c);
        int has_old = sml_get_u8(&c);
        char *old = has_old ? sml_get_str(&c) : NULL;
        char *val = sml_get_str(&c);
        char *row = key ? part_row(s, key) : NULL;
        if (c.failed || !key || !val || (has_old && !old) || !row) {
            rc = sml_fail(err, c.failed ? SML_EFORMAT : SML_ENOMEM, "postgres table %s: bad partition positions",
                          s->table);
        } else {
            const char *params[3] = {row, has_old ? old : val, val};
            int lens[3] = {0, (int)strlen(params[1]), (int)strlen(val)};
            int formats[3] = {0, 1, 1};
            PGresult *r = PQexecParams(s->conn, has_old ? upd.buf : ins.buf, has_old ? 3 : 2, NULL, params, lens,
                                       formats, 0);
            if (PQresultStatus(r) != PGRES_COMMAND_OK)
                rc = fail_pg(s, "updating a partition's position", err);
            else if (strcmp(PQcmdTuples(r), "1") != 0)
                rc = sml_fail(err, SML_ESTATE, "postgres table %s: stale member: partition %s was committed by "
                                               "another member since this one read it at %s (it was reassigned in a "
                                               "rebalance); this batch is rolled back", s->table, key,
                              has_old ? old : "the start");
            PQclear(r);
        }
        free(key);
        free(old);
        free(val);
        free(row);
    }
    sml_strbuf_release(&upd);
    sml_strbuf_release(&ins);
    return rc;
}

static int pg_commit_batch(void *st, const void *positions, size_t len, const void *parts, size_t parts_len,
                           uint64_t ckpt_id, sml_error *err)
{
    pg_sink *s = st;
    int rc = 0;
    if (ckpt_id != s->ckpt_id + 1)
        return sml_fail(err, SML_ESTATE, "postgres table %s: checkpoint id %" PRIu64 " does not follow %" PRIu64,
                        s->table, ckpt_id, s->ckpt_id);
    if (s->in_copy) {
        s->in_copy = 0;
        if (PQputCopyEnd(s->conn, NULL) != 1) {
            rc = fail_pg(s, "ending COPY", err);
            rollback(s);
            return rc;
        }
        PGresult *r = PQgetResult(s->conn);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        while ((r = PQgetResult(s->conn)) != NULL)
            PQclear(r);
        if (!ok) {
            rc = fail_pg(s, "COPY", err);
            rollback(s);
            return rc;
        }
    } else if ((rc = exec_cmd(s, "BEGIN", "BEGIN", err)) != 0)
        return rc;
    if (parts && (rc = commit_parts(s, parts, parts_len, err)) != 0) {
        rollback(s);
        return rc;
    }
    if (parts && !positions) { /* no writer row: the partitions' rows are the whole commit */
        if ((rc = exec_cmd(s, "COMMIT", "COMMIT", err)) != 0)
            return rc;
        s->ckpt_id = ckpt_id;
        return 0;
    }
    char next[24], expected[24];
    snprintf(next, sizeof next, "%" PRIu64, ckpt_id);
    snprintf(expected, sizeof expected, "%" PRIu64, s->ckpt_id);
    const char *params[4] = {s->writer, expected, next, len ? (const char *)positions : ""};
    int lens[4] = {0, 0, 0, (int)len};
    int formats[4] = {0, 0, 0, 1};
    sml_strbuf sql = SML_STRBUF_INIT;
    sml_strbuf_addf(&sql, "UPDATE %s SET checkpoint_id = $3, positions = $4, committed_at = now() "
                          "WHERE writer = $1 AND checkpoint_id = $2", s->positions_q);
    PGresult *r = sql.buf ? PQexecParams(s->conn, sql.buf, 4, NULL, params, lens, formats, 0) : NULL;
    sml_strbuf_release(&sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = fail_pg(s, "updating the positions", err);
    else if (strcmp(PQcmdTuples(r), "1") != 0)
        rc = sml_fail(err, SML_ESTATE, "postgres table %s: stale writer \"%s\": another process committed since "
                                       "checkpoint %" PRIu64 " (a rebalance or a second run with the same writer); "
                                       "this batch is rolled back", s->table, s->writer, s->ckpt_id);
    PQclear(r);
    if (rc) {
        rollback(s);
        return rc;
    }
    if ((rc = exec_cmd(s, "COMMIT", "COMMIT", err)) != 0)
        return rc;
    s->ckpt_id = ckpt_id;
    return 0;
}

const sml_sink_kind sml_sink_pg = {"postgres", NULL,    pg_write,        pg_flush,    pg_close, NULL, pg_columns,
                                   pg_load,    pg_commit_batch, pg_load_part};
