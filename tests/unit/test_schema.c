/* Schema inference: types, missing rates, cardinality, overrides, label task and positive class, JSON. */
#include <stdlib.h>

#include "streamml/schema.h"
#include "unit.h"

/* Builds an untyped batch from rows of text cells; NULL = missing. */
static void fill(sml_batch *b, const char *const *names, size_t ncols, const char *const *cells, size_t nrows)
{
    sml_batch_setup(b, names, NULL, ncols, nrows, NULL);
    for (size_t i = 0; i < nrows; i++) {
        for (size_t j = 0; j < ncols; j++) {
            const char *v = cells[i * ncols + j];
            sml_column *c = &b->cols[j];
            c->missing[i] = v == NULL;
            c->str_len[i] = v ? (uint32_t)strlen(v) : 0;
            if (v)
                sml_batch_put_string(b, v, strlen(v), &c->str_off[i]);
            else
                c->str_off[i] = 0;
        }
    }
    b->nrows = nrows;
}

static const char *names[] = {"x", "color", "y", "n"};
static const char *cells[] = {
    "1.5", "red", "0", "3",
    "2", "blue", "1", NULL,
    NULL, "red", "0", "4",
    "-7e2", NULL, "1", "5",
    "3.25", NULL, "0", "n/a",
};

static sml_schema *infer(const sml_schema_overrides *ov, int *rc, sml_error *err)
{
    sml_batch b = SML_BATCH_INIT;
    sml_schema *s = NULL;
    fill(&b, names, 4, cells, 5);
    sml_schema_infer *inf = sml_schema_infer_new(NULL);
    CHECK_INT(sml_schema_infer_add(inf, &b, NULL), 0);
    *rc = sml_schema_infer_finish(inf, NULL, ov, &s, err);
    sml_schema_infer_free(inf);
    sml_batch_release(&b);
    return s;
}

static void test_types_and_stats(void)
{
    int rc;
    sml_schema *s = infer(NULL, &rc, NULL);
    CHECK_INT(rc, 0);
    CHECK_INT(s->ncols, 4);
    CHECK_INT(s->rows, 5);
    CHECK(s->cols[0].type == SML_TYPE_NUM);
    CHECK_INT(s->cols[0].missing, 1);
    CHECK_INT(s->cols[0].count, 4);
    CHECK_NEAR(s->cols[0].min, -700, 0);
    CHECK_NEAR(s->cols[0].max, 3.25, 0);
    CHECK_NEAR(s->cols[0].mean, (1.5 + 2 - 700 + 3.25) / 4, 1e-12);
    CHECK(!s->cols[0].all_integer);
    CHECK(s->cols[1].type == SML_TYPE_STR);
    CHECK_INT(s->cols[1].missing, 2);
    CHECK_INT(s->cols[1].distinct, 2);
    CHECK_STR(s->cols[1].top[0], "red");
    CHECK_INT(s->cols[1].top_count[0], 2);
    CHECK(s->cols[2].type == SML_TYPE_NUM && s->cols[2].all_integer);
    CHECK(s->cols[3].type == SML_TYPE_STR); /* "n/a" makes it categorical */
    CHECK_INT(s->label, -1);
    sml_schema_free(s);
}

static void test_label_two_values_is_classification(void)
{
    int rc;
    sml_schema_overrides ov = {0};
    ov.label = "y";
    sml_schema *s = infer(&ov, &rc, NULL);
    CHECK_INT(rc, 0);
    CHECK_INT(s->label, 2);
    CHECK(s->task == SML_TASK_CLASSIFICATION);
    CHECK_STR(s->positive, "1");
    CHECK_STR(s->negative, "0");
    CHECK(s->cols[2].role == SML_ROLE_LABEL);
    sml_schema_free(s);
    ov.label = "x";
    s = infer(&ov, &rc, NULL);
    CHECK(s && s->task == SML_TASK_REGRESSION);
    sml_schema_free(s);
}

static void test_positive_class_rule(void)
{
    CHECK_INT(sml_positive_class("0", "1"), 1);
    CHECK_INT(sml_positive_class("false", "true"), 1);
    CHECK_INT(sml_positive_class("no", "yes"), 1);
    CHECK_INT(sml_positive_class("YES", "maybe"), 0);
    CHECK_INT(sml_positive_class("bad", "good"), 1); /* second in sorted order */
}

static void test_overrides_and_errors(void)
{
    int rc;
    sml_error err = SML_ERROR_INIT;
    const char *cat[] = {"x", NULL}, *ign[] = {"n", NULL}, *bad[] = {"nope", NULL}, *num[] = {"color", NULL};
    sml_schema_overrides ov = {0};
    ov.categorical = cat;
    ov.ignore = ign;
    sml_schema *s = infer(&ov, &rc, NULL);
    CHECK(s && s->cols[0].type == SML_TYPE_STR && s->cols[0].type_overridden);
    CHECK(s && s->cols[3].role == SML_ROLE_IGNORE);
    sml_schema_free(s);
    memset(&ov, 0, sizeof ov);
    ov.ignore = bad;
    s = infer(&ov, &rc, &err);
    CHECK(!s && rc == SML_ENOTFOUND && strstr(err.msg, "\"nope\""));
    memset(&ov, 0, sizeof ov);
    ov.numeric = num;
    s = infer(&ov, &rc, &err);
    CHECK(!s && rc == SML_EINVAL && strstr(err.msg, "color"));
    memset(&ov, 0, sizeof ov);
    ov.label = "x";
    ov.task = SML_TASK_CLASSIFICATION;
    s = infer(&ov, &rc, &err);
    CHECK(!s && rc == SML_EINVAL && strstr(err.msg, "exactly 2"));
    memset(&ov, 0, sizeof ov);
    ov.label = "color";
    ov.task = SML_TASK_REGRESSION;
    s = infer(&ov, &rc, &err);
    CHECK(!s && rc == SML_EINVAL && strstr(err.msg, "not numeric"));
}

static void test_json_round_trip(void)
{
    int rc;
    sml_schema_overrides ov = {0};
    ov.label = "y";
    sml_schema *s = infer(&ov, &rc, NULL), *t = NULL;
    char *json;
    size_t len;
    CHECK_INT(sml_schema_write_json(s, &json, &len, NULL), 0);
    CHECK_INT(sml_schema_read_json(json, len, "mem", &t, NULL), 0);
    CHECK(t && t->ncols == 4 && t->label == 2 && t->task == SML_TASK_CLASSIFICATION);
    CHECK(t && t->cols[1].type == SML_TYPE_STR && t->cols[0].type == SML_TYPE_NUM);
    free(json);
    sml_schema_free(t);
    sml_schema_free(s);
    sml_error err = SML_ERROR_INIT;
    const char *bad1 = "{\"columns\": [{\"name\": \"a\", \"type\": \"text\"}]}";
    CHECK_INT(sml_schema_read_json(bad1, strlen(bad1), "s.json", &t, &err), SML_EFORMAT);
    CHECK(strstr(err.msg, "s.json: column \"a\"") != NULL);
    const char *bad2 = "{\"columns\": [";
    CHECK_INT(sml_schema_read_json(bad2, strlen(bad2), "s.json", &t, &err), SML_EPARSE);
    const char *bad3 = "{\"columns\": [{\"name\": \"a\", \"type\": \"numeric\"}, {\"name\": \"a\", \"type\": \"numeric\"}]}";
    CHECK_INT(sml_schema_read_json(bad3, strlen(bad3), "s.json", &t, &err), SML_EFORMAT);
}

static void test_schema_file_fixes_types(void)
{
    const char *js = "{\"columns\": [{\"name\": \"y\", \"type\": \"categorical\", \"role\": \"label\"}]}";
    sml_schema *base = NULL, *s = NULL;
    sml_batch b = SML_BATCH_INIT;
    CHECK_INT(sml_schema_read_json(js, strlen(js), "f", &base, NULL), 0);
    fill(&b, names, 4, cells, 5);
    sml_schema_infer *inf = sml_schema_infer_new(NULL);
    sml_schema_infer_add(inf, &b, NULL);
    CHECK_INT(sml_schema_infer_finish(inf, base, NULL, &s, NULL), 0);
    CHECK(s && s->cols[2].type == SML_TYPE_STR && s->label == 2 && s->task == SML_TASK_CLASSIFICATION);
    sml_schema_free(s);
    sml_schema_free(base);
    sml_schema_infer_free(inf);
    sml_batch_release(&b);
}

int main(void)
{
    RUN(test_types_and_stats);
    RUN(test_label_two_values_is_classification);
    RUN(test_positive_class_rule);
    RUN(test_overrides_and_errors);
    RUN(test_json_round_trip);
    RUN(test_schema_file_fixes_types);
    return UNIT_DONE();
}
