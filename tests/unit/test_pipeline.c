/* The feature pipeline: fitted parameters, transform values, unknown/missing slots, hashing, serialisation. */
#include <stdlib.h>

#include "common/codec.h"
#include "common/hash.h"
#include "features/features_int.h"
#include "streamml/pipeline.h"
#include "streamml/schema.h"
#include "unit.h"

/* A typed batch: x numeric, color text, y numeric label. NULL/NAN-marked cells are missing. */
static void make_batch(sml_batch *b, const double *x, const char *const *color, const double *y, size_t n)
{
    const char *names[] = {"x", "color", "y"};
    sml_type types[] = {SML_TYPE_NUM, SML_TYPE_STR, SML_TYPE_NUM};
    sml_batch_setup(b, names, types, 3, n, NULL);
    for (size_t i = 0; i < n; i++) {
        b->cols[0].missing[i] = isnan(x[i]);
        b->cols[0].num[i] = isnan(x[i]) ? 0 : x[i];
        b->cols[1].missing[i] = color[i] == NULL;
        if (color[i]) {
            sml_batch_put_string(b, color[i], strlen(color[i]), &b->cols[1].str_off[i]);
            b->cols[1].str_len[i] = (uint32_t)strlen(color[i]);
        }
        b->cols[2].missing[i] = isnan(y[i]);
        b->cols[2].num[i] = isnan(y[i]) ? 0 : y[i];
    }
    b->nrows = n;
}

static sml_schema *schema_xy(int classification)
{
    const char *js = classification
                         ? "{\"label\": \"y\", \"task\": \"classification\", \"columns\": [{\"name\": \"x\", \"type\": "
                           "\"numeric\"}, {\"name\": \"color\", \"type\": \"categorical\"}, {\"name\": \"y\", \"type\": "
                           "\"numeric\", \"role\": \"label\"}]}"
                         : "{\"label\": \"y\", \"task\": \"regression\", \"columns\": [{\"name\": \"x\", \"type\": "
                           "\"numeric\"}, {\"name\": \"color\", \"type\": \"categorical\"}, {\"name\": \"y\", \"type\": "
                           "\"numeric\", \"role\": \"label\"}]}";
    sml_schema *s = NULL;
    sml_schema_read_json(js, strlen(js), "test", &s, NULL);
    if (s && classification) {
        s->positive = strdup("1");
        s->negative = strdup("0");
    }
    return s;
}

static const double X[] = {1, 2, 3, NAN, 4};
static const char *const COLOR[] = {"red", "blue", "red", "green", NULL};
static const double Y[] = {0, 1, 1, 0, 1};

static sml_pipeline *fit(const sml_pipeline_opts *o, int classification)
{
    sml_schema *s = schema_xy(classification);
    sml_pipeline_fitter *f = NULL;
    sml_pipeline *p = NULL;
    sml_batch b = SML_BATCH_INIT;
    make_batch(&b, X, COLOR, Y, 5);
    CHECK_INT(sml_pipeline_fitter_new(s, o, &f, NULL), 0);
    CHECK_INT(sml_pipeline_fitter_add(f, &b, NULL, NULL), 0);
    CHECK_INT(sml_pipeline_fitter_finish(f, &p, NULL), 0);
    sml_pipeline_fitter_free(f);
    sml_batch_release(&b);
    sml_schema_free(s);
    return p;
}

static double value_of(const sml_examples *ex, size_t row, uint32_t idx)
{
    for (uint64_t k = ex->row_ptr[row]; k < ex->row_ptr[row + 1]; k++)
        if (ex->idx[k] == idx)
            return ex->val[k];
    return 0;
}

static void test_standard_scaling_mean_imputation_onehot(void)
{
    sml_pipeline *p = fit(NULL, 0);
    char name[128];
    /* x (0), x:missing (1), color=red (2), color=blue, color=green (alphabetical among ties), unknown, missing */
    CHECK_INT(sml_pipeline_dim(p), 7);
    sml_pipeline_feature_name(p, 0, name, sizeof name);
    CHECK_STR(name, "x");
    sml_pipeline_feature_name(p, 1, name, sizeof name);
    CHECK_STR(name, "x:missing");
    sml_pipeline_feature_name(p, 2, name, sizeof name);
    CHECK_STR(name, "color=red");
    sml_pipeline_feature_name(p, 3, name, sizeof name);
    CHECK_STR(name, "color=blue");
    sml_pipeline_feature_name(p, 5, name, sizeof name);
    CHECK_STR(name, "color=<unknown>");
    sml_pipeline_feature_name(p, 6, name, sizeof name);
    CHECK_STR(name, "color=<missing>");
    sml_batch b = SML_BATCH_INIT;
    const double x2[] = {2.5, NAN, 10};
    const char *c2[] = {"purple", NULL, "blue"};
    const double y2[] = {1, NAN, 2};
    make_batch(&b, x2, c2, y2, 3);
    sml_examples ex = SML_EXAMPLES_INIT;
    CHECK_INT(sml_pipeline_transform(p, &b, &ex, NULL), 0);
    double mean = 2.5, sd = sqrt((2.25 + 0.25 + 0.25 + 2.25) / 4); /* population sd of 1,2,3,4 */
    CHECK_NEAR(value_of(&ex, 0, 0), (2.5 - mean) / sd, 1e-15);
    CHECK_NEAR(value_of(&ex, 1, 0), 0, 1e-15);  /* missing -> mean -> 0 */
    CHECK_NEAR(value_of(&ex, 1, 1), 1, 0);      /* indicator */
    CHECK_NEAR(value_of(&ex, 2, 0), (10 - mean) / sd, 1e-14);
    CHECK_NEAR(value_of(&ex, 0, 5), 1, 0);      /* purple -> unknown */
    CHECK_NEAR(value_of(&ex, 1, 6), 1, 0);      /* missing slot */
    CHECK_NEAR(value_of(&ex, 2, 3), 1, 0);      /* blue */
    CHECK(ex.flags[0] & SML_EX_LABEL);
    CHECK(!(ex.flags[1] & SML_EX_LABEL));
    CHECK_NEAR(ex.y[2], 2, 0);
    sml_examples_release(&ex);
    sml_batch_release(&b);
    sml_pipeline_free(p);
}

static void test_minmax_median_classification(void)
{
    sml_pipeline_opts o = SML_PIPELINE_OPTS_INIT;
    o.scaling = SML_SCALE_MINMAX;
    o.impute = SML_IMPUTE_MEDIAN;
    o.missing_indicator = 0;
    sml_pipeline *p = fit(&o, 1);
    sml_batch b = SML_BATCH_INIT;
    const double x2[] = {1, NAN, 4};
    const char *c2[] = {"red", "red", "red"};
    const double y2[] = {1, 0, 7};
    make_batch(&b, x2, c2, y2, 3);
    sml_examples ex = SML_EXAMPLES_INIT;
    CHECK_INT(sml_pipeline_transform(p, &b, &ex, NULL), 0);
    CHECK_NEAR(value_of(&ex, 0, 0), 0, 0);
    CHECK_NEAR(value_of(&ex, 1, 0), (2.5 - 1) / 3, 1e-15); /* median of 1,2,3,4 */
    CHECK_NEAR(value_of(&ex, 2, 0), 1, 0);
    CHECK_NEAR(ex.y[0], 1, 0);
    CHECK_NEAR(ex.y[1], -1, 0);
    CHECK(ex.flags[2] & SML_EX_BAD_Y); /* 7 is not a class */
    sml_examples_release(&ex);
    sml_batch_release(&b);
    sml_pipeline_free(p);
}

static void test_nan_feature_is_flagged(void)
{
    sml_pipeline *p = fit(NULL, 0);
    sml_batch b = SML_BATCH_INIT;
    const double x2[] = {INFINITY};
    const char *c2[] = {"red"};
    const double y2[] = {1};
    make_batch(&b, x2, c2, y2, 1);
    b.cols[0].missing[0] = 0;
    sml_examples ex = SML_EXAMPLES_INIT;
    CHECK_INT(sml_pipeline_transform(p, &b, &ex, NULL), 0);
    CHECK(ex.flags[0] & SML_EX_BAD_X);
    sml_examples_release(&ex);
    sml_batch_release(&b);
    sml_pipeline_free(p);
}

static void test_hashing_and_round_trip(void)
{
    const char *hc[] = {"color", NULL}, *inter[] = {"x:color", NULL};
    sml_pipeline_opts o = SML_PIPELINE_OPTS_INIT;
    o.hash_columns = hc;
    o.hash_bits = 4;
    o.interactions = inter;
    sml_pipeline *p = fit(&o, 0), *q = NULL;
    CHECK_INT(sml_pipeline_dim(p), 2 + 16);
    sml_strbuf sb = SML_STRBUF_INIT;
    CHECK_INT(sml_pipeline_encode(p, &sb), 0);
    sml_cursor c = {(const uint8_t *)sb.buf, (const uint8_t *)sb.buf + sb.len, "t", 0};
    CHECK_INT(sml_pipeline_decode(&c, &q, NULL), 0);
    sml_batch b = SML_BATCH_INIT;
    make_batch(&b, X, COLOR, Y, 5);
    sml_examples e1 = SML_EXAMPLES_INIT, e2 = SML_EXAMPLES_INIT;
    CHECK_INT(sml_pipeline_transform(p, &b, &e1, NULL), 0);
    CHECK(q && sml_pipeline_transform(q, &b, &e2, NULL) == 0);
    CHECK_INT(e1.nnz, e2.nnz);
    CHECK(e1.nnz == e2.nnz && memcmp(e1.idx, e2.idx, e1.nnz * sizeof *e1.idx) == 0 &&
          memcmp(e1.val, e2.val, e1.nnz * sizeof *e1.val) == 0);
    /* every row: x, (indicator only when missing), the hashed color, the interaction */
    CHECK_INT(e1.row_ptr[1] - e1.row_ptr[0], 3);
    char name[128];
    uint32_t slot = sml_murmur3_32("red", 3, sml_murmur3_32("color", 5, 0)) & 15;
    sml_pipeline_feature_name(p, 2 + slot, name, sizeof name);
    CHECK_MSG(strstr(name, "color=red") != NULL, "%s", name);
    /* truncations of the encoding never decode */
    for (size_t cut = 0; cut < sb.len; cut++) {
        sml_pipeline *r = NULL;
        sml_cursor t = {(const uint8_t *)sb.buf, (const uint8_t *)sb.buf + cut, "t", 0};
        CHECK_MSG(sml_pipeline_decode(&t, &r, NULL) != 0, "cut %zu", cut);
        sml_pipeline_free(r);
    }
    sml_strbuf_release(&sb);
    sml_examples_release(&e1);
    sml_examples_release(&e2);
    sml_batch_release(&b);
    sml_pipeline_free(p);
    sml_pipeline_free(q);
}

static void test_murmur3_vectors(void)
{
    CHECK_INT(sml_murmur3_32("", 0, 0), 0);
    CHECK_INT(sml_murmur3_32("", 0, 1), 0x514e28b7u);
    CHECK_INT(sml_murmur3_32("hello", 5, 0), 0x248bfa47u);
    CHECK_INT(sml_murmur3_32("The quick brown fox jumps over the lazy dog", 43, 0), 0x2e4ff723u);
}

static void test_min_count_and_top_k(void)
{
    sml_pipeline_opts o = SML_PIPELINE_OPTS_INIT;
    o.min_count = 2;
    sml_pipeline *p = fit(&o, 0);
    char name[64];
    sml_pipeline_feature_name(p, 2, name, sizeof name);
    CHECK_STR(name, "color=red");
    sml_pipeline_feature_name(p, 3, name, sizeof name);
    CHECK_STR(name, "color=<unknown>"); /* blue and green were seen once */
    sml_pipeline_free(p);
}

int main(void)
{
    RUN(test_standard_scaling_mean_imputation_onehot);
    RUN(test_minmax_median_classification);
    RUN(test_nan_feature_is_flagged);
    RUN(test_hashing_and_round_trip);
    RUN(test_murmur3_vectors);
    RUN(test_min_count_and_top_k);
    return UNIT_DONE();
}
