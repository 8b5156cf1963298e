/* Model file and store: exact round trip, refusal of corrupt/truncated/newer files, versions, current,
 * concurrent publishers. Metrics against hand-computed values. */
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/strbuf.h"
#include "store/store_int.h"
#include "features/features_int.h"
#include "streamml/metrics.h"
#include "streamml/model.h"
#include "streamml/store.h"
#include "unit.h"

/* hash_bits 0: one-hot; else column c is hashed into 2^hash_bits slots and only every `stride`-th weight is set */
static sml_model *model_of(double w0, uint32_t hash_bits, size_t stride)
{
    const char *js = "{\"label\": \"y\", \"task\": \"regression\", \"columns\": [{\"name\": \"x\", \"type\": "
                     "\"numeric\"}, {\"name\": \"c\", \"type\": \"categorical\"}, {\"name\": \"y\", \"type\": "
                     "\"numeric\", \"role\": \"label\"}]}";
    sml_schema *s = NULL;
    sml_schema_read_json(js, strlen(js), "t", &s, NULL);
    const char *names[] = {"x", "c", "y"};
    sml_type types[] = {SML_TYPE_NUM, SML_TYPE_STR, SML_TYPE_NUM};
    sml_batch b = SML_BATCH_INIT;
    sml_batch_setup(&b, names, types, 3, 4, NULL);
    const char *cs[] = {"a", "b", "a", "c"};
    for (int i = 0; i < 4; i++) {
        b.cols[0].num[i] = i;
        sml_batch_put_string(&b, cs[i], 1, &b.cols[1].str_off[i]);
        b.cols[1].str_len[i] = 1;
        b.cols[2].num[i] = 2 * i;
    }
    b.nrows = 4;
    sml_pipeline_fitter *f;
    sml_pipeline *p;
    sml_pipeline_opts o = SML_PIPELINE_OPTS_INIT;
    const char *hashed[] = {"c", NULL};
    if (hash_bits) {
        o.hash_columns = hashed;
        o.hash_bits = hash_bits;
    }
    sml_pipeline_fitter_new(s, &o, &f, NULL);
    sml_pipeline_fitter_add(f, &b, NULL, NULL);
    sml_pipeline_fitter_finish(f, &p, NULL);
    sml_pipeline_fitter_free(f);
    size_t d = sml_pipeline_dim(p);
    double *w = calloc(d, sizeof *w);
    for (size_t i = 0; i < d; i += stride)
        w[i] = w0 / (double)(i + 3); /* not representable in short decimal: checks exactness */
    if (stride > 1)
        w[1] = -0.0; /* kept as written: its bits are not all zero */
    sml_model *m = NULL;
    CHECK_INT(sml_model_new(p, "squared", w, d, 1, -0.1, &m, NULL), 0);
    sml_model_set_json(m, SML_MODEL_SUMMARY, "{\"rows\": 4}", NULL);
    free(w);
    sml_batch_release(&b);
    sml_schema_free(s);
    return m;
}

static sml_model *small_model(double w0)
{
    return model_of(w0, 0, 1);
}

static unsigned char *find4(unsigned char *p, size_t len, const char *tag)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (!memcmp(p + i, tag, 4))
            return p + i;
    return NULL;
}

/* Mostly-zero weights (a hashed model) are written as index/value pairs (LINS) and read back bit for bit; a bad
 * index or a NaN among them is refused. */
static void test_sparse_weights(void)
{
    sml_model *m = model_of(1.0, 16, 997), *r = NULL;
    unsigned char *data;
    size_t len;
    sml_error err = SML_ERROR_INIT;
    sml_model_info a, b;
    sml_model_get_info(m, &a);
    CHECK(a.dim > 65536);
    CHECK_INT(sml_model_encode(m, (void **)&data, &len, NULL), 0);
    CHECK_MSG(len < a.dim * 8 / 20, "%zu bytes for %zu weights", len, a.dim);
    CHECK(find4(data, len, "LINS") != NULL);
    CHECK_INT(sml_model_decode(data, len, "mem", &r, NULL), 0);
    sml_model_get_info(r, &b);
    CHECK_INT(a.dim, b.dim);
    CHECK(memcmp(sml_model_weights(m), sml_model_weights(r), a.dim * sizeof(double)) == 0);
    CHECK(signbit(sml_model_weights(r)[1]) && sml_model_weights(r)[1] == 0);
    CHECK(a.intercept == b.intercept);
    sml_model_free(r);
    r = NULL;
    /* the first pair is (index 0, value); make the second index go backwards, then a NaN value, re-checksummed */
    unsigned char *lins = find4(data, len, "LINS");
    size_t pairs = (size_t)(lins - data) + 4 + 8 + (4 + 7) + 4 + 8 + 8 + 8; /* tag, len, "squared", icpt, dim, nnz */
    unsigned char *copy = malloc(len);
    for (int bad = 0; bad < 3; bad++) {
        memcpy(copy, data, len);
        uint32_t i0;
        memcpy(&i0, copy + pairs + 12, 4); /* the second pair's index */
        if (bad == 0) {
            i0 = 0;
            memcpy(copy + pairs + 12, &i0, 4);
        } else if (bad == 1) {
            i0 = (uint32_t)a.dim;
            memcpy(copy + pairs + 12, &i0, 4);
        } else {
            double nan = NAN;
            memcpy(copy + pairs + 16, &nan, 8);
        }
        uint32_t crc = sml_crc32c(0, copy, len - 16);
        for (int i = 0; i < 4; i++)
            copy[len - 4 + i] = (unsigned char)(crc >> (8 * i));
        int rc = sml_model_decode(copy, len, "t", &r, &err);
        CHECK_MSG(rc == (bad == 2 ? SML_ENUMERIC : SML_EFORMAT), "case %d: %d %s", bad, rc, err.msg);
        CHECK(r == NULL);
    }
    free(copy);
    free(data);
    sml_model_free(m);
}

/* Dense models of 4k to 128k weights (the one-pass checksum, copy and finite check of the weights): they load back
 * bit for bit; a flipped byte at the start, in the middle thirds or at the end of the weights fails the checksum; a
 * NaN near the end under a valid checksum is refused. */
static void test_dense_weights(void)
{
    for (uint32_t bits = 12; bits <= 17; bits += 1) {
        sml_model *m = model_of(1.0, bits, 1), *r = NULL;
        unsigned char *data;
        size_t len;
        sml_error err = SML_ERROR_INIT;
        sml_model_info a, b;
        sml_model_get_info(m, &a);
        CHECK_INT(sml_model_encode(m, (void **)&data, &len, NULL), 0);
        unsigned char *linm = find4(data, len, "LINM");
        CHECK(linm != NULL);
        CHECK_MSG(sml_model_decode(data, len, "mem", &r, &err) == 0, "dim %zu: %s", a.dim, err.msg);
        sml_model_get_info(r, &b);
        CHECK_INT(a.dim, b.dim);
        CHECK(memcmp(sml_model_weights(m), sml_model_weights(r), a.dim * sizeof(double)) == 0);
        sml_model_free(r);
        r = NULL;
        /* the weights follow the section's tag, length, "squared", the intercept flag and value, and dim */
        unsigned char *w = linm + 4 + 8 + (4 + 7) + 4 + 8 + 8;
        CHECK(w + a.dim * 8 <= data + len - 16);
        double w0;
        memcpy(&w0, w, 8);
        CHECK(w0 == sml_model_weights(m)[0]);
        size_t at[] = {3, a.dim / 3 + 1, 2 * (a.dim / 3) + 2, a.dim - 1};
        unsigned char *copy = malloc(len);
        for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
            memcpy(copy, data, len);
            copy[(w - data) + 8 * at[k] + 2] ^= 0x10;
            CHECK_MSG(sml_model_decode(copy, len, "t", &r, &err) == SML_EFORMAT, "dim %zu weight %zu", a.dim, at[k]);
            CHECK(r == NULL);
        }
        memcpy(copy, data, len);
        double nan = NAN;
        memcpy(copy + (w - data) + 8 * (a.dim - 2), &nan, 8);
        uint32_t crc = sml_crc32c(0, copy, len - 16);
        for (int i = 0; i < 4; i++)
            copy[len - 4 + i] = (unsigned char)(crc >> (8 * i));
        CHECK_INT(sml_model_decode(copy, len, "t", &r, &err), SML_ENUMERIC);
        free(copy);
        free(data);
        sml_model_free(m);
    }
}

static void test_round_trip_exact(void)
{
    sml_model *m = small_model(1.0), *r = NULL;
    void *data;
    size_t len;
    CHECK_INT(sml_model_encode(m, &data, &len, NULL), 0);
    CHECK_INT(sml_model_decode(data, len, "mem", &r, NULL), 0);
    sml_model_info a, b;
    sml_model_get_info(m, &a);
    sml_model_get_info(r, &b);
    CHECK_INT(a.dim, b.dim);
    CHECK(memcmp(sml_model_weights(m), sml_model_weights(r), a.dim * sizeof(double)) == 0);
    CHECK(a.intercept == b.intercept);
    CHECK_STR(sml_model_get_json(r, SML_MODEL_SUMMARY), "{\"rows\": 4}");
    const char *names[] = {"x", "c"}, *vals[] = {"2", "b"};
    double p1, p2;
    CHECK_INT(sml_model_predict_record(m, names, vals, 2, &p1, NULL, NULL), 0);
    CHECK_INT(sml_model_predict_record(r, names, vals, 2, &p2, NULL, NULL), 0);
    CHECK(p1 == p2);
    sml_error err = SML_ERROR_INIT;
    const char *bad[] = {"oops"};
    CHECK_INT(sml_model_predict_record(m, names, bad, 1, &p1, NULL, &err), SML_EPARSE);
    CHECK(strstr(err.msg, "\"x\"") != NULL);
    free(data);
    sml_model_free(m);
    sml_model_free(r);
}

static void test_refuses_corrupt_truncated_newer(void)
{
    sml_model *m = small_model(2.0), *r = NULL;
    unsigned char *data;
    size_t len;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_model_encode(m, (void **)&data, &len, NULL), 0);
    for (size_t cut = 0; cut < len; cut++) {
        int rc = sml_model_decode(data, cut, "t", &r, &err);
        CHECK_MSG(rc == SML_EFORMAT && r == NULL, "cut at %zu: rc %d", cut, rc);
    }
    for (size_t i = 16; i < len; i += 7) { /* a flipped byte anywhere is caught */
        data[i] ^= 0x40;
        CHECK_MSG(sml_model_decode(data, len, "t", &r, &err) != 0, "flip at %zu", i);
        data[i] ^= 0x40;
    }
    data[8] = 2; /* major 2 */
    CHECK_INT(sml_model_decode(data, len, "t", &r, &err), SML_EFORMAT);
    CHECK(strstr(err.msg, "newer") != NULL);
    data[8] = 1;
    data[0] = 'X';
    CHECK_INT(sml_model_decode(data, len, "t", &r, &err), SML_EFORMAT);
    CHECK(strstr(err.msg, "magic") != NULL);
    free(data);
    sml_model_free(m);
}

static void test_refuses_nan_weights(void)
{
    sml_model *m = small_model(1.0), *r = NULL;
    sml_pipeline *p = NULL;
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_pipeline_encode(sml_model_pipeline(m), &sb);
    sml_cursor c = {(const uint8_t *)sb.buf, (const uint8_t *)sb.buf + sb.len, "t", 0};
    sml_pipeline_decode(&c, &p, NULL);
    double w[64] = {0};
    w[1] = NAN;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_model_new(p, "squared", w, sml_pipeline_dim(sml_model_pipeline(m)), 1, 0, &r, &err), SML_ENUMERIC);
    CHECK(r == NULL);
    sml_strbuf_release(&sb);
    sml_model_free(m);
}

/* A model file whose weights hold a NaN under a valid checksum is refused (the decoder checks finiteness while
 * copying the weights, in the same pass as the checksum) and the message names the weight. */
static void test_refuses_nan_weight_in_file(void)
{
    sml_model *m = small_model(1.0), *r = NULL;
    unsigned char *data;
    size_t len, at = 0;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_model_encode(m, (void **)&data, &len, NULL), 0);
    double w1 = sml_model_weights(m)[1], nan = NAN;
    for (size_t i = 0; i + 8 <= len && !at; i++)
        if (memcmp(data + i, &w1, 8) == 0)
            at = i;
    CHECK(at > 0);
    memcpy(data + at, &nan, 8);
    uint32_t crc = sml_crc32c(0, data, len - 16); /* the CRC section: tag, length, then the checksum */
    for (int i = 0; i < 4; i++)
        data[len - 4 + i] = (unsigned char)(crc >> (8 * i));
    CHECK_INT(sml_model_decode(data, len, "t", &r, &err), SML_ENUMERIC);
    CHECK(r == NULL);
    CHECK_MSG(strstr(err.msg, "weight 1 is not finite") != NULL, "%s", err.msg);
    free(data);
    sml_model_free(m);
}

static void test_store_versions_and_current(void)
{
    char dir[] = "/tmp/sml-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/store", dir);
    sml_store *s = NULL;
    sml_error err = SML_ERROR_INIT;
    CHECK_INT(sml_store_open(path, 0, &s, &err), SML_ENOTFOUND);
    CHECK_INT(sml_store_open(path, 1, &s, NULL), 0);
    uint64_t v = 0, cur = 0;
    CHECK_INT(sml_store_current(s, &cur, &err), SML_ENOTFOUND);
    sml_model *m1 = small_model(1.0), *m2 = small_model(3.0), *got = NULL;
    CHECK_INT(sml_store_publish(s, m1, 1, &v, NULL), 0);
    CHECK_INT(v, 1);
    CHECK_INT(sml_store_publish(s, m2, 1, &v, NULL), 0);
    CHECK_INT(v, 2);
    CHECK_INT(sml_store_current(s, &cur, NULL), 0);
    CHECK_INT(cur, 2);
    CHECK_INT(sml_store_load(s, 0, &got, NULL), 0);
    sml_model_info info;
    sml_model_get_info(got, &info);
    CHECK_INT(info.version, 2);
    CHECK(sml_model_weights(got)[0] == sml_model_weights(m2)[0]);
    sml_model_free(got);
    CHECK_INT(sml_store_set_current(s, 1, NULL), 0);
    CHECK_INT(sml_model_load(path, &got, NULL), 0);
    sml_model_get_info(got, &info);
    CHECK_INT(info.version, 1);
    sml_model_free(got);
    CHECK_INT(sml_store_set_current(s, 9, &err), SML_ENOTFOUND);
    /* concurrent publishers never collide */
    for (int k = 0; k < 6; k++)
        if (fork() == 0) {
            sml_store *cs;
            uint64_t cv;
            int ok = sml_store_open(path, 0, &cs, NULL) == 0;
            for (int j = 0; ok && j < 5; j++)
                ok = sml_store_publish(cs, m1, 1, &cv, NULL) == 0;
            _exit(ok ? 0 : 1);
        }
    int all_ok = 1, status;
    while (wait(&status) > 0)
        all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    CHECK(all_ok);
    uint64_t *vs;
    size_t n;
    CHECK_INT(sml_store_list(s, &vs, &n, NULL), 0);
    CHECK_INT(n, 32);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(vs[i], i + 1);
    CHECK_INT(sml_store_current(s, &cur, NULL), 0);
    CHECK_INT(cur, 32); /* publishes never move current backwards */
    free(vs);
    sml_store_close(s);
    sml_model_free(m1);
    sml_model_free(m2);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

static void test_metrics(void)
{
    double y[] = {1, -1, 1, -1, 1}, p[] = {0.9, 0.1, 0.4, 0.4, 0.8};
    /* pairs (pos, neg): 3 x 2 = 6; 0.9 and 0.8 beat both; 0.4 beats 0.1, ties 0.4: 2+2+1.5 = 5.5 */
    CHECK_NEAR(sml_metric_compute(SML_METRIC_AUC, y, p, NULL, 5), 5.5 / 6, 1e-15);
    CHECK_NEAR(sml_metric_compute(SML_METRIC_ACCURACY, y, p, NULL, 5), 4.0 / 5, 1e-15);
    double ll = -(log(0.9) + log(0.9) + log(0.4) + log(0.6) + log(0.8)) / 5;
    CHECK_NEAR(sml_metric_compute(SML_METRIC_LOGLOSS, y, p, NULL, 5), ll, 1e-15);
    double f1 = 2.0 * 2 / (2 * 2 + 0 + 1);
    CHECK_NEAR(sml_metric_compute(SML_METRIC_F1, y, p, NULL, 5), f1, 1e-15);
    double r[] = {1, 2, 3}, q[] = {1, 2, 5};
    CHECK_NEAR(sml_metric_compute(SML_METRIC_RMSE, r, q, NULL, 3), sqrt(4.0 / 3), 1e-15);
    CHECK_NEAR(sml_metric_compute(SML_METRIC_MAE, r, q, NULL, 3), 2.0 / 3, 1e-15);
    CHECK_NEAR(sml_metric_compute(SML_METRIC_R2, r, q, NULL, 3), 1 - 4.0 / 2, 1e-15);
    double one[] = {1, 1};
    CHECK(isnan(sml_metric_compute(SML_METRIC_AUC, one, q, NULL, 2)));
    double pz[] = {0, 1};
    double yz[] = {1, -1};
    CHECK_NEAR(sml_metric_compute(SML_METRIC_LOGLOSS, yz, pz, NULL, 2), -log(1e-15), 1e-3); /* 1 - 1e-15 rounds */
}

/* The Redis fetch's reply reader (store_redis.c), given what a server could send: the replies are written into one
 * end of a socketpair whose other end the fetch reads (real-server behaviour is tested with redis-server in 0093 and
 * 0137; these are the replies a healthy server does not send on demand). */
static int fetch_from(const char *replies, size_t total, size_t piece, sml_strbuf *sb, sml_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    size_t n = strlen(replies);
    CHECK_INT(write(sv[1], replies, n), (long long)n);
    shutdown(sv[1], SHUT_WR);
    sb->len = 0;
    *err = (sml_error)SML_ERROR_INIT;
    int rc = sml_redis_fetch_fd(sv[0], total, piece, sb, err);
    close(sv[1]);
    return rc;
}

static void test_redis_fetch_replies(void)
{
    sml_strbuf sb = SML_STRBUF_INIT;
    sml_error err;
    /* pieces in order, the last one short, a reply split anywhere: the bytes in place */
    CHECK_INT(fetch_from("$3\r\nabc\r\n$3\r\ndef\r\n$3\r\nghi\r\n$1\r\nj\r\n", 10, 3, &sb, &err), 0);
    CHECK_INT(sb.len, 10);
    CHECK(sb.buf && memcmp(sb.buf, "abcdefghij", 10) == 0);
    /* refusals, each with the code and a piece of the message it must give */
    static const struct {
        const char *replies;
        size_t total;
        int rc;
        const char *msg;
    } bad[] = {
        /* an error reply: the other replies are still read (the connection stays in step), the error is reported */
        {"$3\r\nabc\r\n-WRONGTYPE not a string\r\n$1\r\nj\r\n", 7, SML_EIO, "WRONGTYPE not a string"},
        /* a piece shorter than asked: the version was removed while being read */
        {"$3\r\nabc\r\n$0\r\n\r\n", 6, SML_ENOTFOUND, "removed while being read"},
        /* the server goes away in the middle of a payload */
        {"$3\r\nabc\r\n$3\r\nd", 6, SML_EIO, "Server closed the connection"},
        /* not the protocol: refused, never read past */
        {"+OK\r\n", 3, SML_EIO, "protocol error"},
        {"$3\r\nabcXY", 3, SML_EIO, "no CRLF after a value"},
        {"$99999999999999999999\r\n", 3, SML_EIO, "protocol error"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(fetch_from(bad[i].replies, bad[i].total, 3, &sb, &err), bad[i].rc);
        CHECK_MSG(strstr(err.msg, bad[i].msg) != NULL, "case %zu: %s", i, err.msg);
    }
    sml_strbuf_release(&sb);
}

int main(void)
{
    RUN(test_round_trip_exact);
    RUN(test_sparse_weights);
    RUN(test_dense_weights);
    RUN(test_refuses_corrupt_truncated_newer);
    RUN(test_refuses_nan_weights);
    RUN(test_refuses_nan_weight_in_file);
    RUN(test_store_versions_and_current);
    RUN(test_redis_fetch_replies);
    RUN(test_metrics);
    return UNIT_DONE();
}
